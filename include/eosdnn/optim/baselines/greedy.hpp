#pragma once
/// \file greedy.hpp
/// Greedy per layer: from a start plan (all-local by default), move one layer at a time to the
/// node that improves the plan, until no single move does. A coordinate descent, deterministic.

#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/optim/gene_space.hpp>
#include <eosdnn/optim/local_search.hpp>
#include <eosdnn/optim/lower_bound.hpp>
#include <eosdnn/optim/observer.hpp>
#include <eosdnn/optim/problem.hpp>
#include <eosdnn/optim/seeding.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace eosdnn {

/// Greedy per-layer descent over single-gene moves (local_search with prefix and suffix moves
/// off). The start is each gene's first choice (the device, for the evaluators: all-local).
class greedy_per_layer {
public:
    /// Block moves too (prefix and suffix), when `blocks` is true.
    explicit greedy_per_layer(bool blocks = false) : blocks_(blocks) {}

    /// Runs the descent; `seed` is ignored (the method is deterministic).
    template <placement_problem P>
    optimisation_result solve(P& problem, std::uint64_t /*seed*/ = 0) const {
        const gene_space space(problem);
        optimisation_result result;
        result.placement.resize(space.dimension());
        for (std::size_t g = 0; g < space.dimension(); ++g) result.placement[g] = space.choices(g)[0];
        result.value = problem.evaluate(std::span<const node_id>(result.placement));
        result.evaluations = 1 + local_search(problem, space, result.placement, result.value,
                                              {.single = true, .prefix = blocks_, .suffix = blocks_});
        result.iterations = 1;
        result.log.push_back({.iteration = 1, .evaluations = result.evaluations,
                              .best_objective = result.value.objective,
                              .best_violation = result.value.violation,
                              .mean_objective = result.value.objective, .diversity = 0});
        detail::attach_bound(result, structural_lower_bound(problem));
        return result;
    }

private:
    bool blocks_;
};

/// A fixed plan: every layer on its first node of one tier (all-local, all-edge, all-cloud).
class tier_baseline {
public:
    /// The plan puts every gene on its first choice of tier `t` in `env`.
    tier_baseline(const environment& env, tier t) : env_(&env), tier_(t) {}

    /// Evaluates the plan; `seed` is ignored.
    template <placement_problem P>
    optimisation_result solve(P& problem, std::uint64_t /*seed*/ = 0) const {
        optimisation_result result;
        result.placement = tier_plan(gene_space(problem), *env_, tier_);
        result.value = problem.evaluate(std::span<const node_id>(result.placement));
        result.evaluations = 1;
        result.log.push_back({.iteration = 0, .evaluations = 1,
                              .best_objective = result.value.objective,
                              .best_violation = result.value.violation,
                              .mean_objective = result.value.objective, .diversity = 0});
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
    optimisation_result solve(P& problem, std::uint64_t /*seed*/ = 0) const {
        optimisation_result result;
        result.evaluations = 1;
        if constexpr (sequential_structured_problem<P>) {
            if (problem.options().schedule == dag_schedule::sequential) {
                exact_result exact = solve_exact(problem, options_);
                result.placement = std::move(exact.placement);
                result.value = exact.value;
                detail::attach_bound(result, exact.lower_bound);
                return result;
            }
        }
        result.placement = exact_task_plan(*graph_, *model_, device_, pinned_, options_);
        result.value = problem.evaluate(std::span<const node_id>(result.placement));
        detail::attach_bound(result, structural_lower_bound(problem));
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
