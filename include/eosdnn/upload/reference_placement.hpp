#pragma once
/// \file reference_placement.hpp
/// An exact target placement to plan uploads for, where a PSO-GA placement would otherwise be
/// used: the task's sequential optimum (exact_task_plan()).

#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/sequential_delay.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/optim/exact.hpp>
#include <eosdnn/optim/exact_task_plan.hpp>

#include <utility>

namespace eosdnn {

/// The fastest placement of `graph` under the sequential model, memory capacities ignored:
/// exact_task_plan() (proven optimal on any DAG and any number of nodes, given the time), with
/// its sequential delay. Throws eosdnn::error (validation) as the solver does.
template <cost_model Model>
exact_plan reference_placement(const layer_graph& graph, const Model& model, node_id device = 0) {
    exact_plan plan;
    plan.placement = exact_task_plan(graph, model, device);
    plan.delay_s = sequential_delay(graph, model, plan.placement, device);
    return plan;
}

}  // namespace eosdnn
