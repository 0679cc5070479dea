#pragma once
/// \file best_placement.hpp
/// The re-planner's search for the best placement within per-layer allowed nodes: the exact
/// solver, and PSO-GA warm-started from its incumbent and the plan in force when the exact
/// solver is out of its time budget.

#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/exact_result.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/optim/exact_dag.hpp>
#include <eosdnn/optim/pso_ga.hpp>
#include <eosdnn/replan/domain_problem.hpp>
#include <eosdnn/replan/replan_options.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace eosdnn {

/// The best placement of `problem` with layer j on one of domains[j]: solve_exact_within()
/// under options.exact_time_limit_s (no incumbent, so a proven solve returns an optimum of
/// solve_exact()'s value; the elimination order settles ties); when it proves nothing, PSO-GA (options.pso_population,
/// pso_iterations, `seed`) started from the exact incumbent and from `in_force` (when it fits
/// the domains), and the better of the two. `proven` says whether the plan is proven optimal.
/// `elimination_order` is the exact solver's decomposition of the model: the solve uses it when
/// it is not empty (exact_options::elimination_order) and leaves there the one it used, so the
/// next solve of the same graph after an event (new costs, other allowed nodes) reuses it.
template <class Model>
std::vector<node_id> best_placement_within(delay_evaluator<Model>& problem,
                                           const std::vector<std::vector<node_id>>& domains,
                                           const replan_options& options,
                                           std::span<const node_id> in_force, std::uint64_t seed,
                                           bool& proven,
                                           std::vector<std::uint32_t>& elimination_order) {
    const std::span<const std::vector<node_id>> dom(domains);
    exact_options o{.time_limit_s = options.exact_time_limit_s};
    o.elimination_order = std::move(elimination_order);
    exact_result r = solve_exact_within(problem, dom, o);
    elimination_order = r.elimination_order.empty() ? std::move(o.elimination_order)
                                                    : std::move(r.elimination_order);
    proven = r.proven_optimal;
    if (proven) return std::move(r.placement);
    std::vector<std::vector<node_id>> seeds{r.placement};
    bool fits = in_force.size() == domains.size();
    for (std::size_t j = 0; fits && j < domains.size(); ++j)
        fits = std::find(domains[j].begin(), domains[j].end(), in_force[j]) != domains[j].end();
    if (fits) seeds.emplace_back(in_force.begin(), in_force.end());
    domain_problem<delay_evaluator<Model>> p(problem, dom);
    const pso_ga<> ga(pso_ga_options{.population = options.pso_population,
                                     .iterations = options.pso_iterations,
                                     .keep_log = false});
    const auto g = ga.solve(p, seed, std::span<const std::vector<node_id>>(seeds));
    return better(g.value, r.value) ? g.placement : std::move(r.placement);
}

}  // namespace eosdnn
