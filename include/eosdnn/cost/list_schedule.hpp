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
          completion_(tasks, 0.0), heap_(tasks + 2 * layers, waiting{}), parked_(nodes, none),
          version_(nodes, 0), left_(tasks, none), right_(tasks, none) {}

    /// Schedules placement `x` (global layer numbering of `layers`) and returns each task's
    /// completion time, valid until the next run().
    /// `compute` and `links` are a layer_node_table and a link_table or their views.
    template <class Compute, class Links>
    std::span<const double> run(std::span<const node_id> x, const layer_table& layers,
                                std::span<const task_span> tasks, const Compute& compute,
                                const Links& links, bool one_at_a_time) noexcept {
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
    // Several tasks: at each step the task whose next layer can start earliest goes, ties to the
    // lower task index. A scan of every task at every step made a run O(layers x tasks), so the
    // candidates wait in a min-heap on (start, task), with stale entries allowed:
    // - a task's entry holds its start when pushed; its ready time is fixed until it runs, but
    //   its node's free time may grow, so the popped entry is recomputed. If it grew, the task
    //   is "parked" at its node: every task parked at a node starts when the node is free, so
    //   they are one candidate, the lowest task index (a skew heap per node);
    // - a node with parked tasks has one valid entry, (free time, lowest parked index), tagged
    //   with a version that any change of either bumps, so older entries are skipped.
    // Stored keys are never later than the truth, so the first valid entry popped is the
    // earliest start: the same choice as the scan, in O(layers log) without contention storms
    // (thousands of tasks waiting on one server were re-pushed at every dispatch).
    template <class Compute, class Links>
    void dispatch(std::span<const node_id> x, const layer_table& layers,
                  std::span<const task_span> tasks, const Compute& compute, const Links& links,
                  bool one_at_a_time) noexcept {
        const auto later = [](const waiting& a, const waiting& b) {
            return a.start > b.start || (a.start == b.start && a.task > b.task);
        };
        const auto first = heap_.begin();
        std::size_t size = 0;  // heap_[0, size) is the heap
        const auto push = [&](const waiting& w) {
            heap_[size++] = w;
            std::push_heap(first, first + size, later);
        };
        const auto node_of_next = [&](std::size_t t) { return x[layers.order[next_[t]]]; };
        const auto start_of = [&](std::size_t t) {
            return one_at_a_time ? std::max(ready_[t], free_[node_of_next(t)]) : ready_[t];
        };
        const auto offer_parked = [&](node_id s) {  // a new valid entry for node s
            ++version_[s];
            if (parked_[s] != none) push({free_[s], parked_[s], s, version_[s]});
        };
        std::fill(parked_.begin(), parked_.end(), none);
        for (std::size_t t = 0; t < tasks.size(); ++t) {
            next_[t] = tasks[t].first;  // the task's topological order starts there in layers.order
            if (next_[t] == tasks[t].last) continue;
            ready_[t] = ready(layers.order[next_[t]], x, layers, tasks[t], links);
            push({start_of(t), t, none, 0});
        }
        while (size != 0) {
            std::pop_heap(first, first + size, later);
            const waiting w = heap_[--size];
            std::size_t t = w.task;
            if (w.node != none) {  // the lowest task parked at node w.node
                if (w.version != version_[w.node]) continue;  // superseded
                parked_[w.node] = merge(left_[t], right_[t]);
            } else if (const double start = start_of(t); start > w.start) {
                const node_id s = node_of_next(t);  // busy until later: wait with its node
                const std::size_t lowest = parked_[s];
                left_[t] = right_[t] = none;
                parked_[s] = merge(parked_[s], t);
                if (lowest == none || t < lowest) offer_parked(s);
                continue;
            }
            const layer_id g = layers.order[next_[t]];
            const node_id s = x[g];
            finish_[g] = w.start + compute.unchecked(g, s);
            free_[s] = finish_[g];
            if (parked_[s] != none) offer_parked(s);  // they now start later
            if (++next_[t] == tasks[t].last) continue;
            ready_[t] = ready(layers.order[next_[t]], x, layers, tasks[t], links);
            push({start_of(t), t, none, 0});
        }
    }

    // Merges the skew heaps (on task index) rooted at tasks a and b; `none` is the empty heap.
    std::size_t merge(std::size_t a, std::size_t b) noexcept {
        if (a == none) return b;
        if (b == none) return a;
        if (b < a) std::swap(a, b);
        const std::size_t root = a;
        for (std::size_t at = a;;) {  // top-down: merge b into at's right, then swap children
            std::size_t right = right_[at];
            right_[at] = left_[at];
            if (right == none || b == none) {
                left_[at] = right == none ? b : right;
                return root;
            }
            if (b < right) std::swap(right, b);
            left_[at] = right;
            at = right;
        }
    }

    // When every input of global layer g has reached g's node: its predecessors' outputs and,
    // for the task's input layer, the model input sent from the device.
    template <class Links>
    double ready(layer_id g, std::span<const node_id> x, const layer_table& layers,
                 const task_span& task, const Links& links) const noexcept {
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
    static constexpr std::size_t none = static_cast<std::size_t>(-1);
    struct waiting {
        double start = 0;         // when the task's next layer could start, as last computed
        std::size_t task = 0;     // the task, or the lowest task parked at `node`
        std::size_t node = none;  // none for a task's own entry
        std::size_t version = 0;  // of `node`'s parked tasks when pushed
    };
    // Scratch of dispatch(), sized once: one entry per task, plus at most two per layer
    // dispatched (a task parked, a node's free time changed) for the nodes' entries.
    std::vector<waiting> heap_{};
    std::vector<std::size_t> parked_{};   // per node: root of its parked tasks' heap, or none
    std::vector<std::size_t> version_{};  // per node
    std::vector<std::size_t> left_{}, right_{};  // per task: children in its node's heap
};

}  // namespace eosdnn::detail
