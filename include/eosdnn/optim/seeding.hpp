#pragma once
/// \file seeding.hpp
/// Heuristic plans to seed a swarm with (pass them as solve()'s initial plans): all-local,
/// all-edge, all-cloud, and per-task exact plans that ignore the contention between tasks.

#include <eosdnn/core/exact_result.hpp>
#include <eosdnn/core/problem.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/optim/exact_task_plan.hpp>
#include <eosdnn/optim/gene_space.hpp>

#include <cstddef>
#include <limits>
#include <optional>
#include <span>
#include <vector>

namespace eosdnn {

/// Every gene on its first choice of tier `t` (for tier::local, the task's own device), or on its
/// first choice when it has none of that tier; fixed (pinned) genes keep their only value.
inline std::vector<node_id> tier_plan(const gene_space& space, const environment& env, tier t) {
    std::vector<node_id> x(space.dimension());
    for (std::size_t g = 0; g < x.size(); ++g) {
        const auto c = space.choices(g);
        x[g] = c[0];
        for (node_id s : c)
            if (env[s].tier == t) {
                x[g] = s;
                break;
            }
    }
    return x;
}

/// The all-local, all-edge and all-cloud plans of `problem` (pins honoured), without duplicates.
template <placement_problem P>
std::vector<std::vector<node_id>> tier_plans(const P& problem, const environment& env) {
    const gene_space space(problem);
    std::vector<std::vector<node_id>> plans;
    for (tier t : {tier::local, tier::edge, tier::cloud}) {
        auto x = tier_plan(space, env, t);
        bool seen = false;
        for (const auto& p : plans) seen = seen || p == x;
        if (!seen) plans.push_back(std::move(x));
    }
    return plans;
}

/// One plan for several tasks: each task's exact_task_plan() under `options`, concatenated in gene order (task 0
/// first), as multi_task_evaluator numbers its genes. `Task` has `graph`, `device` and `pinned`
/// (dnn_task does).
template <class Task, cost_model Model>
std::vector<node_id> exact_tasks_plan(std::span<const Task> tasks, const Model& model,
                                      const exact_options& options = {}) {
    std::vector<node_id> x;
    for (const Task& task : tasks) {
        const auto part = exact_task_plan(task.graph, model, task.device, task.pinned, options);
        x.insert(x.end(), part.begin(), part.end());
    }
    return x;
}

}  // namespace eosdnn
