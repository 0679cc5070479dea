#pragma once
/// \file lower_bound.hpp
/// Lower bounds on the optimum of a placement problem, so that every optimiser's result can say
/// how far it may be from the best plan: a structural bound that costs one pass over the model
/// (attached by every optimiser of eosdnn), and certify(), which runs the exact solver under a
/// time limit to prove optimality or tighten the bound.

#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/exact_result.hpp>
#include <eosdnn/core/result.hpp>
#include <eosdnn/optim/exact_dag.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <vector>

namespace eosdnn {

/// A lower bound on the objective of every placement of `problem` that honours its pins, cheap
/// to compute: for one task under the sequential schedule, each layer's cheapest compute (with
/// its upload and energy terms) plus the cheapest input and return transfers; under the list or
/// unbounded schedule, the latency weight times the longest path of cheapest compute times (no
/// schedule beats its critical path). A problem with its own objective_lower_bound() (several
/// tasks) gives that; an incremental chain is bounded through its full evaluator. 0 for a
/// problem it knows nothing of (objectives are never negative).
template <class P>
double structural_lower_bound(const P& problem) {
    if constexpr (sequential_structured_problem<P>) {
        const auto domains = detail::exact_dag::full_domains(problem);
        if (problem.options().schedule == dag_schedule::sequential)
            return detail::exact_dag::cheapest_compute_bound(
                problem, std::span<const std::vector<node_id>>(domains));
        const auto& layers = problem.layers();
        std::vector<double> finish(problem.dimension(), 0.0);
        double longest = 0;
        for (layer_id j : layers.order) {
            double start = 0;
            for (layer_id p : layers.predecessors(j)) start = std::max(start, finish[p]);
            double fastest = std::numeric_limits<double>::infinity();
            for (node_id s : domains[j]) fastest = std::min(fastest, problem.compute_time(j, s));
            finish[j] = start + fastest;
            longest = std::max(longest, finish[j]);
        }
        return std::isfinite(longest) ? problem.options().latency_weight * longest : 0.0;
    } else if constexpr (requires { problem.objective_lower_bound(); }) {
        return problem.objective_lower_bound();  // several tasks: multi_task_evaluator
    } else if constexpr (requires { problem.full_evaluator(); }) {
        return structural_lower_bound(problem.full_evaluator());  // an incremental chain
    } else {
        return 0.0;
    }
}

namespace detail {
/// Sets `r.lower_bound` to the larger of its own and `bound`, and `r.proven_optimal` when the
/// plan is feasible and meets the bound to a relative 1e-9.
inline void attach_bound(optimisation_result& r, double bound) {
    r.lower_bound = std::max(r.lower_bound, std::min(bound, r.value.objective));
    const double upper = r.value.objective;
    r.proven_optimal = r.value.feasible() && std::isfinite(upper) &&
                       upper - r.lower_bound <= 1e-9 * std::abs(upper);
}
}  // namespace detail

/// Runs the exact solver on `problem` from `result`'s plan (the incumbent) under `options` and
/// raises `result.lower_bound` to what it proves, setting `result.proven_optimal` when the plan
/// meets the bound. The plan itself is not changed; the exact result is returned, so a caller
/// may adopt its plan when it is better. Only for one task under the sequential schedule.
template <sequential_structured_problem P>
exact_result certify(P& problem, optimisation_result& result, exact_options options = {}) {
    options.incumbent = result.placement;
    exact_result exact = solve_exact(problem, options);
    detail::attach_bound(result, exact.lower_bound);
    return exact;
}

}  // namespace eosdnn
