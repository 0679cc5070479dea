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
/// solve_exact()'s value; the elimination order settles ties); when it proves nothing, PSO-GA
/// (options.pso_population, pso_iterations, `seed`) started from the exact incumbent, from
/// `in_force` and from the plans of `swarm` (the last fallback run's swarm), those that fit the
/// domains, and the better of the two. `proven` says whether the plan is proven optimal. The two
/// last arguments carry what a solve leaves for the next one of the same graph after an event
/// (new costs, other allowed nodes): `elimination_order`, the exact solver's decomposition
/// (exact_options::elimination_order), used when not empty and replaced by the one used; and
/// `swarm`, replaced by the PSO-GA run's final swarm (pso_ga_options::keep_swarm) when it runs.
template <class Model>
std::vector<node_id> best_placement_within(delay_evaluator<Model>& problem,
                                           const std::vector<std::vector<node_id>>& domains,
                                           const replan_options& options,
                                           std::span<const node_id> in_force, std::uint64_t seed,
                                           bool& proven,
                                           std::vector<std::uint32_t>& elimination_order,
                                           std::vector<std::vector<node_id>>& swarm) {
    const std::span<const std::vector<node_id>> dom(domains);
    exact_options o{.time_limit_s = options.exact_time_limit_s};
    o.elimination_order = std::move(elimination_order);
    exact_result r = solve_exact_within(problem, dom, o);
    elimination_order = r.elimination_order.empty() ? std::move(o.elimination_order)
                                                    : std::move(r.elimination_order);
    proven = r.proven_optimal;
    if (proven) return std::move(r.placement);
    const auto fits = [&](std::span<const node_id> x) {
        if (x.size() != domains.size()) return false;
        for (std::size_t j = 0; j < x.size(); ++j)
            if (std::find(domains[j].begin(), domains[j].end(), x[j]) == domains[j].end())
                return false;
        return true;
    };
    std::vector<std::vector<node_id>> seeds{r.placement};
    if (fits(in_force)) seeds.emplace_back(in_force.begin(), in_force.end());
    for (auto& x : swarm)
        if (seeds.size() < options.pso_population && fits(x)) seeds.push_back(std::move(x));
    domain_problem<delay_evaluator<Model>> p(problem, dom);
    const pso_ga<> ga(pso_ga_options{.population = options.pso_population,
                                     .iterations = options.pso_iterations,
                                     .keep_log = false,
                                     .keep_swarm = true});
    auto g = ga.solve(p, seed, std::span<const std::vector<node_id>>(seeds));
    swarm = std::move(g.swarm);
    return better(g.value, r.value) ? g.placement : std::move(r.placement);
}

}  // namespace eosdnn
