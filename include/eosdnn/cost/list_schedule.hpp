#pragma once
/// \file list_schedule.hpp
/// List scheduling of one or several tasks on shared nodes (docs/model.md, "DAG schedules" and
/// "Several tasks"), written once for delay_evaluator and multi_task_evaluator.

#include <eosdnn/core/ids.hpp>
#include <eosdnn/cost/detail/tables.hpp>
#include <eosdnn/detail/xtensor.hpp>

#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>

namespace eosdnn::detail {

/// Dispatches the layers of every task in its own topological order; at each step the task
/// whose next layer can start earliest goes (ties to the lower task index). A layer starts when
/// the outputs of its predecessors (and, for the input layer, the model input) have reached its
/// node and, with `one_at_a_time`, when its node is free: one layer at a time per node. Without
/// it node contention is ignored and each task's completion is its critical path (the
/// `unbounded` schedule). A task completes when its result reaches its device.
///
/// Holds its scratch, sized once, so run() never allocates: one object per evaluator copy.
class list_schedule {
public:
    list_schedule() = default;

    /// Scratch for `layers` layers in all, `nodes` nodes and `tasks` tasks.
    list_schedule(std::size_t layers, std::size_t nodes, std::size_t tasks)
        : finish_(layers, 0.0), free_(nodes, 0.0), next_(tasks, 0), ready_(tasks, 0.0),
          completion_(tasks, 0.0) {}

    /// Schedules placement `x` (global layer numbering of `layers`) and returns each task's
    /// completion time, valid until the next run().
    std::span<const double> run(std::span<const node_id> x, const layer_table& layers,
                                std::span<const task_span> tasks, const matrix<double>& compute,
                                const link_table& links, bool one_at_a_time) noexcept {
        const std::size_t count = tasks.size();
        std::fill(free_.begin(), free_.end(), 0.0);
        if (count == 1) {
            // One task: the choice of the next task is trivial, so the dispatch is the task's
            // topological order itself (the same schedule, without the per-step choice).
            const task_span& task = tasks[0];
            for (std::size_t k = task.first; k < task.last; ++k) {
                const layer_id g = layers.order[k];
                const node_id s = x[g];
                const double at = ready(g, x, layers, task, links);
                const double start = one_at_a_time ? std::max(at, free_[s]) : at;
                finish_[g] = start + compute.unchecked(g, s);
                free_[s] = finish_[g];
            }
        } else {
            dispatch(x, layers, tasks, compute, links, one_at_a_time);
        }
        for (std::size_t t = 0; t < count; ++t) {
            const task_span& task = tasks[t];
            completion_[t] = finish_[task.output] + links.time(layers.output_bytes[task.output],
                                                               x[task.output], task.device);
        }
        return {completion_.data(), count};
    }

private:
    // Several tasks: at each step the task whose next layer can start earliest goes.
    void dispatch(std::span<const node_id> x, const layer_table& layers,
                  std::span<const task_span> tasks, const matrix<double>& compute,
                  const link_table& links, bool one_at_a_time) noexcept {
        const std::size_t count = tasks.size();
        for (std::size_t t = 0; t < count; ++t) {
            next_[t] = tasks[t].first;  // the task's topological order starts there in layers.order
            if (next_[t] != tasks[t].last)
                ready_[t] = ready(layers.order[next_[t]], x, layers, tasks[t], links);
        }
        for (std::size_t step = 0; step < layers.size(); ++step) {
            std::size_t best = count;
            double best_start = 0;
            for (std::size_t t = 0; t < count; ++t) {
                if (next_[t] == tasks[t].last) continue;
                const double start = one_at_a_time
                                         ? std::max(ready_[t], free_[x[layers.order[next_[t]]]])
                                         : ready_[t];
                if (best == count || start < best_start) {
                    best = t;
                    best_start = start;
                }
            }
            if (best == count) break;
            const layer_id g = layers.order[next_[best]];
            const node_id s = x[g];
            finish_[g] = best_start + compute.unchecked(g, s);
            free_[s] = finish_[g];
            if (++next_[best] != tasks[best].last)
                ready_[best] = ready(layers.order[next_[best]], x, layers, tasks[best], links);
        }
    }

    // When every input of global layer g has reached g's node: its predecessors' outputs and,
    // for the task's input layer, the model input sent from the device.
    double ready(layer_id g, std::span<const node_id> x, const layer_table& layers,
                 const task_span& task, const link_table& links) const noexcept {
        double at = g == task.input ? links.time(task.input_bytes, task.device, x[g]) : 0.0;
        for (layer_id p : layers.predecessors(g))
            at = std::max(at, finish_[p] + links.time(layers.output_bytes[p], x[p], x[g]));
        return at;
    }

    std::vector<double> finish_{};
    std::vector<double> free_{};
    std::vector<std::size_t> next_{};
    std::vector<double> ready_{};
    std::vector<double> completion_{};
};

}  // namespace eosdnn::detail
