#pragma once
/// \file greedy.hpp
/// Greedy per layer: from a start plan (all-local by default), move one layer at a time to the
/// node that improves the plan, until no single move does. A coordinate descent, deterministic.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/core/problem.hpp>
#include <eosdnn/core/result.hpp>
#include <eosdnn/core/stop_request.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/optim/detail/progress.hpp>
#include <eosdnn/optim/gene_space.hpp>
#include <eosdnn/optim/local_search.hpp>
#include <eosdnn/optim/lower_bound.hpp>
#include <eosdnn/optim/operators/policy.hpp>
#include <eosdnn/optim/operators/stop_condition.hpp>
#include <eosdnn/optim/seeding.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace eosdnn {

/// Greedy per-layer descent over single-gene moves (local_search with prefix and suffix moves
/// off). The start is each gene's first choice (the device, for the evaluators: all-local).
/// Iteration 0 is the start plan; each further iteration is one pass over every move; the run
/// ends after a pass that improves nothing (or when a stop condition or the observer says so).
class greedy_per_layer {
public:
    /// Block moves too (prefix and suffix), when `blocks` is true; `time_limit_s` > 0 ends the
    /// descent after that many seconds (checked inside a pass too), saying so in
    /// optimisation_result::stopped_by_time_limit; a request on `stop` (core/stop_request.hpp)
    /// ends it after the pass in progress (optimisation_result::stopped_by_request). Throws
    /// eosdnn::error if the time limit is negative or not finite.
    explicit greedy_per_layer(bool blocks = false, double time_limit_s = 0,
                              const stop_request* stop = nullptr)
        : blocks_(blocks), time_limit_s_(time_limit_s), stop_(stop) {
        detail::require_time_limit("greedy_per_layer: time_limit_s", time_limit_s);
    }

    /// The stop condition a run uses unless solve() is given one: none (the descent ends when a
    /// pass improves nothing). run_status::horizon is unbounded, so max_iterations{} never stops it.
    max_iterations stop() const noexcept { return {}; }

    /// Runs the descent; `seed` is ignored (the method is deterministic).
    template <placement_problem P>
    optimisation_result solve(P& problem, std::uint64_t seed = 0) const {
        return solve(problem, seed, no_observer{}, stop());
    }

    /// The same, showing every log record to `obs` (which may stop the run by returning false).
    template <placement_problem P, observer O>
    optimisation_result solve(P& problem, std::uint64_t seed, O&& obs) const {
        return solve(problem, seed, std::forward<O>(obs), stop());
    }

    /// The same, also ending the run when `stop` holds (checked after every pass).
    template <placement_problem P, observer O, stop_condition S>
    optimisation_result solve(P& problem, std::uint64_t /*seed*/, O&& obs, const S& stop) const {
        validate_policy(stop);
        const gene_space space(problem);
        optimisation_result result;
        result.placement.resize(space.dimension());
        for (std::size_t g = 0; g < space.dimension(); ++g)
            result.placement[g] = space.choices(g)[0];
        result.value = problem.evaluate(std::span<const node_id>(result.placement));
        run_status status{.iteration = 0,
                          .horizon = std::numeric_limits<std::size_t>::max(),
                          .evaluations = 1,
                          .stall = 0,
                          .best = result.value};
        detail::run_report<std::remove_reference_t<O>> report(result, obs, true, time_limit_s_,
                                                              stop_);
        auto record = [&] {
            return report({.iteration = status.iteration,
                           .evaluations = status.evaluations,
                           .best_objective = result.value.objective,
                           .best_violation = result.value.violation,
                           .mean_objective = result.value.objective,
                           .diversity = 0},
                          std::span<const node_id>(result.placement));
        };
        local_search_options pass{
            .single = true, .prefix = blocks_, .suffix = blocks_, .max_passes = 1};
        std::vector<node_id> before;
        for (bool go_on = record(); go_on && status.stall == 0 && !stop(status); go_on = record()) {
            before = result.placement;
            // A pass on a large model is long: it gets the time that is left.
            if (const double left = report.seconds_left(); std::isfinite(left))
                pass.time_limit_s = std::max(left, 1e-9);
            status.evaluations +=
                local_search(problem, space, result.placement, result.value, pass);
            ++status.iteration;
            // A pass only takes strictly better moves: it improved iff it moved a gene.
            status.stall = result.placement == before ? 1 : 0;
            status.best = result.value;
        }
        result.iterations = status.iteration;
        result.evaluations = status.evaluations;
        detail::attach_bound(result, structural_lower_bound(problem));
        return result;
    }

private:
    bool blocks_;
    double time_limit_s_ = 0;
    const stop_request* stop_ = nullptr;
};

/// A fixed plan: every layer on its first node of one tier (all-local, all-edge, all-cloud).
class tier_baseline {
public:
    /// The plan puts every gene on its first choice of tier `t` in `env`.
    tier_baseline(const environment& env, tier t) : env_(&env), tier_(t) {}

    /// The stop condition: none (there is nothing to iterate).
    max_iterations stop() const noexcept { return {}; }

    /// Evaluates the plan; `seed` is ignored.
    template <placement_problem P>
    optimisation_result solve(P& problem, std::uint64_t seed = 0) const {
        return solve(problem, seed, no_observer{}, stop());
    }

    /// The same, showing the one log record (iteration 0) to `obs`; `stop` is never needed.
    template <placement_problem P, observer O, stop_condition S = max_iterations>
    optimisation_result solve(P& problem, std::uint64_t /*seed*/, O&& obs,
                              const S& stop = {}) const {
        validate_policy(stop);
        optimisation_result result;
        result.placement = tier_plan(gene_space(problem), *env_, tier_);
        result.value = problem.evaluate(std::span<const node_id>(result.placement));
        result.evaluations = 1;
        detail::report_once(result, obs);
        detail::attach_bound(result, structural_lower_bound(problem));
        return result;
    }

private:
    const environment* env_;
    tier tier_;
};

/// The exact sequential optimum of one task (solve_exact: bucket elimination and branch and
/// bound, any DAG and any number of nodes), evaluated by the problem: the reference behind the
/// same interface. When `problem` is itself one task under the sequential schedule it is solved
/// directly (memory capacities honoured, the proven bound attached); otherwise the task's
/// exact_task_plan() is evaluated by the problem.
template <cost_model Model>
class exact_baseline {
public:
    /// Keeps references to the graph and the model, which must outlive the baseline.
    exact_baseline(const layer_graph& graph, const Model& model, node_id device = 0,
                   std::vector<std::optional<node_id>> pinned = {}, exact_options options = {})
        : graph_(&graph), model_(&model), device_(device), pinned_(std::move(pinned)),
          options_(std::move(options)) {}

    /// Solves exactly and evaluates the plan with `problem`; `seed` is ignored.
    template <placement_problem P>
    optimisation_result solve(P& problem, std::uint64_t seed = 0) const {
        return solve(problem, seed, no_observer{});
    }

    /// The same, showing the one log record (iteration 0, the exact plan) to `obs`; the exact
    /// solver does not iterate, so `stop` is never needed (bound its time by exact_options).
    template <placement_problem P, observer O, stop_condition S = max_iterations>
    optimisation_result solve(P& problem, std::uint64_t /*seed*/, O&& obs,
                              const S& stop = {}) const {
        validate_policy(stop);
        optimisation_result result;
        result.evaluations = 1;
        double bound = 0;
        bool solved = false;
        if constexpr (sequential_structured_problem<P>) {
            if (problem.options().schedule == dag_schedule::sequential) {
                exact_result exact = solve_exact(problem, options_);
                result.placement = std::move(exact.placement);
                result.value = exact.value;
                bound = exact.lower_bound;
                solved = true;
            }
        }
        if (!solved) {
            result.placement = exact_task_plan(*graph_, *model_, device_, pinned_, options_);
            result.value = problem.evaluate(std::span<const node_id>(result.placement));
            bound = structural_lower_bound(problem);
        }
        detail::report_once(result, obs);
        detail::attach_bound(result, bound);
        return result;
    }

private:
    const layer_graph* graph_;
    const Model* model_;
    node_id device_;
    std::vector<std::optional<node_id>> pinned_;
    exact_options options_;
};

}  // namespace eosdnn
