#pragma once
/// \file portfolio.hpp
/// solve_portfolio(): the two exact solvers one after the other within one time limit. The
/// native solver (solve_exact) first, for a share of the limit; if it has not proven its plan,
/// CBC (solve_milp) for the rest, started from the native solver's plan. The answer is the
/// better plan of the two and the larger of their lower bounds. Needs eosdnn::milp, as
/// milp/cbc.hpp does; docs/exact.md has the measurements behind the default share.

#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/exact_result.hpp>
#include <eosdnn/core/stop_request.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/milp/cbc.hpp>
#include <eosdnn/optim/exact_dag.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <string>
#include <utility>

namespace eosdnn {

/// How solve_portfolio() divides its time limit.
struct portfolio_options {
    /// The native solver's share of the time limit, in [0, 1]; CBC gets what is left. 0 runs CBC
    /// alone (from exact_options::incumbent, if any) where it fits (milp_fits()), 1 the native
    /// solver alone.
    ///
    /// A quarter because the two fail on different instances. The native solver proves the zoo's
    /// models in milliseconds but, where memory capacities bind, can end far from the optimum,
    /// which CBC proves in seconds, sooner from a plan to start from. On 20 random 84-layer DAGs
    /// over six capped nodes with 5 s each (bench/exact_portfolio.cpp, docs/exact.md): the
    /// native solver alone proved 11 (the plans of the others up to 97% above the optimum), CBC
    /// alone 14, a quarter then CBC 18.
    double native_share = 0.25;

    /// Throws eosdnn::error (validation) if native_share is outside [0, 1] or not a number.
    void validate() const {
        if (!(native_share >= 0 && native_share <= 1))
            throw error(error_kind::validation,
                        "portfolio_options.native_share must be in [0, 1], got " +
                            std::to_string(native_share));
    }
};

namespace detail::portfolio {

/// The shortest time limit either solver is given: 0 would mean none, and a millisecond makes
/// each return the best plan it has.
inline constexpr double min_time_limit_s = 1e-3;

/// The native answer `native` and CBC's answer `milp`, started from it, as one answer: the plan
/// eosdnn::better() prefers (the native one on a tie, so that a CBC that only confirms it
/// changes nothing), the larger lower bound (each is proven for every plan that keeps the pins
/// and, where the solver honoured them, the capacities, so the larger one holds too), capped at
/// that plan's objective, and the proof judged on the two together: neither may prove alone
/// what their bounds prove jointly.
inline exact_result merge(exact_result native, exact_result milp, double relative_gap) {
    const double lower = std::max(native.lower_bound, milp.lower_bound);
    const std::size_t nodes = native.search_nodes + milp.search_nodes;
    const double seconds = native.seconds + milp.seconds;
    const bool stopped = native.stopped_by_request || milp.stopped_by_request;
    exact_result out = better(milp.value, native.value) ? std::move(milp) : native;
    const double upper = out.value.objective;
    out.lower_bound = std::isfinite(upper) ? std::min(lower, upper) : lower;
    out.proven_optimal = out.value.feasible() && out.constraints_honoured && std::isfinite(upper) &&
                         upper - out.lower_bound <= relative_gap * upper;
    out.timed_out = !out.proven_optimal;
    out.stopped_by_request = stopped;
    out.method = native.method + "+cbc";
    out.search_nodes = nodes;
    out.seconds = seconds;
    out.elimination_order = std::move(native.elimination_order);
    return out;
}

}  // namespace detail::portfolio

/// The optimum of `problem` (built from `graph`, sequential schedule) by the native solver and
/// CBC in turn, within `options.time_limit_s`:
/// - the native solver (solve_exact) gets `portfolio.native_share` of the limit; a plan it
///   proves, or a stop request, ends the solve with its answer, as solve_exact's;
/// - otherwise CBC (solve_milp) gets the rest of the limit (at least a millisecond), with the
///   native plan as its start (and `options.incumbent` given to the native solver before);
/// - the answer is detail::portfolio::merge(): the better plan, the larger lower bound, proven
///   when the two together close the gap to `options.relative_gap`. `method` is the native
///   method and "+cbc" (for example "bucket-elimination+cbc"); `seconds` and `search_nodes` add
///   up both.
/// With no time limit (0) the native solver runs to its proof alone, as solve_exact does; so it
/// does, with the whole limit, when CBC's set-up would not fit in its part of the limit
/// (milp_fits(): about 13,000 columns, 220 layers over six nodes, for CBC's 3.75 s of a 5 s
/// limit). CBC does not see `options.stop` (it ends at its time limit); `on_progress` reports
/// the native search only; `options.memory` false leaves CBC out (it always enforces the
/// capacities).
///
/// Throws what solve_exact and solve_milp throw, and eosdnn::error (validation) for invalid
/// `portfolio`.
template <cost_model Model>
exact_result solve_portfolio(const layer_graph& graph, delay_evaluator<Model>& problem,
                             const exact_options& options = {},
                             const portfolio_options& portfolio = {}) {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    options.validate();
    portfolio.validate();
    const double limit = options.time_limit_s;
    // CBC applies to the sequential schedule, with the capacities, when its set-up fits in its
    // share of the limit: on larger programs it would run past the limit (a 1000-layer DAG over
    // six nodes: 26 s for a 5 s limit), and the native solver, which keeps to it, runs alone.
    const bool cbc_applies =
        options.memory && problem.options().schedule == dag_schedule::sequential &&
        milp_fits(graph, problem.choices(0).size(), (1 - portfolio.native_share) * limit);
    if (limit == 0 || portfolio.native_share == 1 || !cbc_applies)
        return solve_exact(problem, options);

    exact_result native;
    if (portfolio.native_share > 0) {
        exact_options first = options;
        first.time_limit_s =
            std::max(detail::portfolio::min_time_limit_s, portfolio.native_share * limit);
        native = solve_exact(problem, first);
        if (native.proven_optimal || native.stopped_by_request ||
            (options.stop != nullptr && options.stop->requested()))
            return native;
    }
    exact_options second = options;
    const double used = std::chrono::duration<double>(clock::now() - start).count();
    second.time_limit_s = std::max(detail::portfolio::min_time_limit_s, limit - used);
    if (!native.placement.empty()) second.incumbent = native.placement;
    exact_result milp = solve_milp(graph, problem, second);
    if (native.placement.empty()) return milp;
    return detail::portfolio::merge(std::move(native), std::move(milp), options.relative_gap);
}

}  // namespace eosdnn
