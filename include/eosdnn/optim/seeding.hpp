#pragma once
/// \file seeding.hpp
/// Heuristic plans to seed a swarm with (pass them as solve()'s initial plans): all-local,
/// all-edge, all-cloud, and per-task exact plans that ignore the contention between tasks.

#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/optim/exact.hpp>
#include <eosdnn/optim/gene_space.hpp>
#include <eosdnn/optim/problem.hpp>

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

/// The sequential optimum of one task taken alone: Viterbi over all allowed nodes for a chain;
/// for a DAG, the best of the two-node min cuts between the device and each edge or cloud node.
template <cost_model Model>
std::vector<node_id> exact_task_plan(const layer_graph& graph, const Model& model, node_id device,
                                     const std::vector<std::optional<node_id>>& pinned = {}) {
    if (graph.is_chain()) return viterbi_chain(graph, model, device, pinned).placement;
    std::vector<node_id> best;
    double best_delay = std::numeric_limits<double>::infinity();
    const environment& env = model.env();
    for (std::size_t s = 0; s < env.size(); ++s) {
        const auto remote = static_cast<node_id>(s);
        if (env[remote].tier == tier::local) continue;
        bool pins_fit = true;  // a pin on a third node rules this pair out
        for (const auto& p : pinned) pins_fit = pins_fit && (!p || *p == device || *p == remote);
        if (!pins_fit) continue;
        exact_plan plan = min_cut_two_nodes(graph, model, device, remote, pinned);
        if (plan.delay_s < best_delay) {
            best_delay = plan.delay_s;
            best = std::move(plan.placement);
        }
    }
    if (best.empty()) best.assign(graph.size(), device);
    return best;
}

/// One plan for several tasks: each task's exact_task_plan(), concatenated in gene order (task 0
/// first), as multi_task_evaluator numbers its genes. `Task` has `graph`, `device` and `pinned`
/// (dnn_task does).
template <class Task, cost_model Model>
std::vector<node_id> exact_tasks_plan(std::span<const Task> tasks, const Model& model) {
    std::vector<node_id> x;
    for (const Task& task : tasks) {
        const auto part = exact_task_plan(task.graph, model, task.device, task.pinned);
        x.insert(x.end(), part.begin(), part.end());
    }
    return x;
}

}  // namespace eosdnn
