#pragma once
/// \file exact_task_plan.hpp
/// The exact plan of one task: the one place where "solve this task alone, exactly" is written,
/// for seeding swarms, the exact baseline and the uploading planners' reference placement.

#include <eosdnn/core/exact_result.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/optim/exact_dag.hpp>

#include <optional>
#include <vector>

namespace eosdnn {

/// The sequential optimum of one task taken alone, pins honoured and memory capacities ignored
/// (as for a task that had the servers to itself): solve_exact() on its delay_evaluator, under
/// `options` (give a time limit for graphs of unknown width; the plan is then the best found).
template <cost_model Model>
std::vector<node_id> exact_task_plan(const layer_graph& graph, const Model& model, node_id device,
                                     const std::vector<std::optional<node_id>>& pinned = {},
                                     const exact_options& options = {}) {
    delay_evaluator<Model> problem(graph, model, {}, {.memory = false, .pinned = pinned}, device);
    return solve_exact(problem, options).placement;
}

}  // namespace eosdnn
