#pragma once
/// \file comparison.hpp
/// A plan next to what it should be measured against: the one-tier plans (every layer on the
/// device, on the first edge server, on the cloud: optim/baselines/greedy.hpp's tier_baseline),
/// an exact reference (the exact solver's plan and the lower bound it proved), and the relative
/// gap to the best lower bound known. report_text.hpp prints it; plan_document.hpp stores it
/// under "references" (references_json).

#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/exact_result.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/core/problem.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/optim/baselines/greedy.hpp>
#include <eosdnn/optim/lower_bound.hpp>
#include <eosdnn/optim/seeding.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn {

/// The delay of a one-tier plan; NaN when the environment has no node of that tier.
struct tier_reference {
    std::string name{};  ///< "all-local", "all-edge", "all-cloud"
    /// The delay of that plan, seconds (NaN if no node of the tier can run it).
    double delay_s = std::numeric_limits<double>::quiet_NaN();
    /// Its constraint violation (evaluation::violation; 0: feasible). A plan that breaks a
    /// memory capacity can be faster than every feasible one, so it must not read as better.
    double violation = 0;

    /// Whether the plan keeps every constraint (its violation is 0).
    bool feasible() const noexcept { return violation == 0; }
};

/// A second exact solve, after the optimiser, started from the optimiser's plan with the time
/// the optimiser left: an exact solver that did not prove its plan in its share of the budget
/// often proves or improves it from a plan close to the optimum (the planner's
/// exact_reference_after()).
struct exact_second_round {
    std::string method{};  ///< the exact solver's method in this round
    /// The delay of the optimiser's plan it started from.
    double from_delay_s = std::numeric_limits<double>::quiet_NaN();
    /// Its best plan's delay: never above from_delay_s (it is given that plan as its incumbent).
    double delay_s = std::numeric_limits<double>::quiet_NaN();
    double lower_bound_s = 0;  ///< the lower bound it proved; 0 when none
    double seconds = 0;        ///< the time it took
    double time_limit_s = 0;   ///< the time it was given: what the optimiser left of the budget

    /// Whether it found a plan better than the optimiser's.
    bool improved() const noexcept { return delay_s < from_delay_s; }
};

/// The exact reference a plan is compared with.
struct exact_reference {
    std::string
        method{};  ///< the exact solver's method ("bucket-elimination", "cbc", ...), or "per-task-exact"
    std::string note{};                ///< one line saying what it is, for the report
    bool exact = false;                ///< true if it is the proven optimum over every node
    std::vector<node_id> placement{};  ///< its placement, one node per gene
    double delay_s =
        std::numeric_limits<double>::quiet_NaN();  ///< its value under the plan's objective
    double lower_bound_s = 0;  ///< proven lower bound on the optimum; 0 when none is known
    double seconds = 0;        ///< time the exact solver took
    /// The time limit it was given (per task, for several tasks); 0: none. Says how much of a
    /// run's budget the reference had, whatever the clock shows.
    double time_limit_s = 0;
    /// The second round, when one ran (exact_reference_after()); the fields above then describe
    /// both rounds together, except `seconds` and `time_limit_s`, which are the first round's.
    std::optional<exact_second_round> second_round{};
};

/// A plan compared.
struct plan_comparison {
    evaluation value{};        ///< the plan's own evaluation
    double lower_bound_s = 0;  ///< the best lower bound known on the optimum (<= the objective)
    bool proven_optimal =
        false;  ///< feasible, and the objective meets lower_bound_s (relative 1e-9)
    std::vector<tier_reference> tiers{};  ///< all-local, all-edge, all-cloud
    exact_reference exact{};              ///< the exact solver's plan on the same problem
};

/// (value - lower_bound) / lower_bound: how far above the optimum `value` is at most. NaN when no
/// positive bound is known or `value` is not finite.
inline double relative_gap(double value, double lower_bound) {
    if (!(lower_bound > 0) || !std::isfinite(value))
        return std::numeric_limits<double>::quiet_NaN();
    return std::max(0.0, (value - lower_bound) / lower_bound);
}

/// The delays of the all-local, all-edge and all-cloud plans of `problem` (tier_baseline: every
/// layer on the first node of the tier; all-local on each task's own device).
template <placement_problem Problem>
std::vector<tier_reference> tier_references(Problem& problem, const environment& env) {
    std::vector<tier_reference> out;
    for (auto [name, t] : {std::pair{"all-local", tier::local}, std::pair{"all-edge", tier::edge},
                           std::pair{"all-cloud", tier::cloud}}) {
        tier_reference r{.name = name};
        if (!env.nodes_of(t).empty()) {
            const evaluation v = tier_baseline(env, t).solve(problem).value;
            r.delay_s = v.delay_s;
            r.violation = v.violation;
        }
        out.push_back(r);
    }
    return out;
}

namespace detail::comparison {

/// printf into a string sized to the text: a fixed buffer cut "%.3f" of a 1e306 s bound to a
/// wrong number.
template <class... Args>
std::string format(const char* f, Args... args) {
    std::string text(static_cast<std::size_t>(std::snprintf(nullptr, 0, f, args...)), '\0');
    std::snprintf(text.data(), text.size() + 1, f, args...);
    return text;
}

/// A lower bound for the reference's note: milliseconds, in %g beyond 10^15 ms, seconds when
/// not finite.
inline std::string bound_text(double lower_bound_s) {
    const double ms = lower_bound_s * 1e3;
    return ms < 1e15           ? format("%.3f ms", ms)
           : std::isfinite(ms) ? format("%.4g ms", ms)
                               : format("%.4g s", lower_bound_s);
}

}  // namespace detail::comparison

/// An exact solver's answer as a reference; `nodes` is the number of nodes a layer may use and
/// `time_limit_s` the limit it was given (for the note when it did not prove its plan).
inline exact_reference exact_reference_of(const exact_result& e, std::size_t nodes,
                                          double time_limit_s) {
    exact_reference r{.method = e.method,
                      .note = {},
                      .exact = e.proven_optimal,
                      .placement = e.placement,
                      .delay_s = e.value.delay_s,
                      .lower_bound_s = e.lower_bound,
                      .seconds = e.seconds,
                      .time_limit_s = time_limit_s};
    using detail::comparison::format;
    if (e.proven_optimal)
        r.note = format("proven optimum over all %zu nodes (%s, %.3g s)", nodes, e.method.c_str(),
                        e.seconds);
    else
        r.note = format(
                     "best plan of the exact solver in its %g s time limit; the optimum is at "
                     "least ",
                     time_limit_s) +
                 detail::comparison::bound_text(e.lower_bound);
    return r;
}

/// `first`, the reference of a single task, with the second round `second`: an exact solve
/// started from the optimiser's plan (of delay `from_delay_s`) with what was left of the budget
/// (`time_limit_s`). The result keeps the better plan of the two rounds (the first on a tie) and
/// the larger lower bound (each is proven, so the larger holds), capped at that plan's value, and
/// is exact when the two together close the gap to `relative_gap`, as solve_portfolio judges its
/// two solvers. `nodes` is the number of nodes a layer may use, for the note.
inline exact_reference exact_reference_after(exact_reference first, const exact_result& second,
                                             double from_delay_s, double time_limit_s,
                                             std::size_t nodes, double relative_gap = 1e-9) {
    exact_second_round round{.method = second.method,
                             .from_delay_s = from_delay_s,
                             .delay_s = second.value.delay_s,
                             .lower_bound_s = second.lower_bound,
                             .seconds = second.seconds,
                             .time_limit_s = time_limit_s};
    exact_reference r = std::move(first);
    if (second.value.feasible() && second.constraints_honoured &&
        !(r.delay_s <= second.value.delay_s)) {
        r.placement = second.placement;
        r.delay_s = second.value.delay_s;
    }
    const double lower = std::max(r.lower_bound_s, second.lower_bound);
    r.lower_bound_s = std::isfinite(r.delay_s) ? std::min(lower, r.delay_s) : lower;
    r.exact = std::isfinite(r.delay_s) && r.delay_s - r.lower_bound_s <= relative_gap * r.delay_s;
    using detail::comparison::format;
    const std::string rounds = format(
        "%s in its %.3g s time limit, then %s for %.3g s from the optimiser's plan (%s)",
        r.method.c_str(), r.time_limit_s, round.method.c_str(), round.seconds,
        round.improved()
            ? format("%.3f -> %.3f ms", 1e3 * round.from_delay_s, 1e3 * round.delay_s).c_str()
            : "no better plan");
    if (r.exact)
        r.note = format("proven optimum over all %zu nodes (%s)", nodes, rounds.c_str());
    else
        r.note = "best plan of the exact solver (" + rounds + "); the optimum is at least " +
                 detail::comparison::bound_text(r.lower_bound_s);
    r.second_round = std::move(round);
    return r;
}

/// The reference for several tasks sharing nodes (`problem`, a multi_task_evaluator of `tasks`):
/// each task's own optimum (exact_tasks_plan), which ignores the contention, priced by
/// `problem`, each solved with `options` (its time limit per task). No exact reference exists for
/// several tasks, so `exact` is false.
template <placement_problem Problem, class Task, cost_model Model>
exact_reference per_task_reference(Problem& problem, std::span<const Task> tasks,
                                   const Model& model, const exact_options& options) {
    exact_reference r{
        .method = "per-task-exact",
        .note =
            "each task's own optimum, ignoring the contention between tasks (no exact "
            "reference exists for several tasks)",
        .placement = exact_tasks_plan(tasks, model, options),
        .time_limit_s = options.time_limit_s};
    r.delay_s = problem.evaluate(std::span<const node_id>(r.placement)).delay_s;
    return r;
}

/// Compares placement `x` of `problem` with the one-tier plans and `exact`. The lower bound is the
/// largest of `lower_bound`, `exact.lower_bound_s` and structural_lower_bound(problem), capped at
/// the plan's objective. Throws what problem.evaluate throws for an invalid placement.
template <placement_problem Problem>
plan_comparison compare_plan(Problem& problem, const environment& env, std::span<const node_id> x,
                             exact_reference exact, double lower_bound = 0) {
    plan_comparison c;
    c.value = problem.evaluate(x);
    const double bound =
        std::max({lower_bound, exact.lower_bound_s, structural_lower_bound(problem)});
    const double upper = c.value.objective;
    c.lower_bound_s = std::isfinite(upper) ? std::min(bound, upper) : bound;
    c.proven_optimal = c.value.feasible() && std::isfinite(upper) &&
                       upper - c.lower_bound_s <= 1e-9 * std::abs(upper);
    c.tiers = tier_references(problem, env);
    c.exact = std::move(exact);
    return c;
}

/// The references as the plan document stores them: each tier's delay (null when the tier has
/// no node), "violations": each tier's constraint violation (0: feasible; null when the tier has
/// no node), and "exact": {method, exact, delay_s, lower_bound_s, seconds, time_limit_s, note,
/// and second_round: {method, from_delay_s, delay_s, lower_bound_s, seconds, time_limit_s} when
/// one ran}.
inline nlohmann::json references_json(const plan_comparison& c) {
    const auto number = [](double v) -> nlohmann::json {
        if (!std::isfinite(v)) return nullptr;
        return v;
    };
    nlohmann::json refs = nlohmann::json::object();
    nlohmann::json violations = nlohmann::json::object();
    for (const auto& t : c.tiers) {
        refs[t.name] = number(t.delay_s);
        violations[t.name] =
            std::isnan(t.delay_s) ? nlohmann::json(nullptr) : nlohmann::json(t.violation);
    }
    // Beside the delays, not instead of them: readers of the tier keys still get numbers.
    refs["violations"] = violations;
    refs["exact"] = {{"method", c.exact.method},
                     {"exact", c.exact.exact},
                     {"delay_s", number(c.exact.delay_s)},
                     {"lower_bound_s", number(c.exact.lower_bound_s)},
                     {"seconds", c.exact.seconds},
                     {"time_limit_s", c.exact.time_limit_s},
                     {"note", c.exact.note}};
    if (const auto& k = c.exact.second_round)
        refs["exact"]["second_round"] = {
            {"method", k->method},           {"from_delay_s", number(k->from_delay_s)},
            {"delay_s", number(k->delay_s)}, {"lower_bound_s", number(k->lower_bound_s)},
            {"seconds", k->seconds},         {"time_limit_s", k->time_limit_s}};
    return refs;
}

}  // namespace eosdnn
