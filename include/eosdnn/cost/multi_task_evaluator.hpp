#pragma once
/// \file multi_task_evaluator.hpp
/// multi_task_evaluator: several DNN tasks list-scheduled together on shared edge and cloud
/// nodes, priced by their aggregated completion times (docs/model.md, "Several tasks").

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/problem.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/detail/finite_sums.hpp>
#include <eosdnn/cost/detail/single_user.hpp>
#include <eosdnn/cost/detail/tables.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/cost/list_schedule.hpp>
#include <eosdnn/cost/sequential_delay.hpp>
#include <eosdnn/detail/xtensor.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eosdnn {

/// One DNN task: a model owned by a local device, with its own deadline and pinned layers.
struct dnn_task {
    layer_graph graph;                             ///< the task's model
    node_id device = 0;                            ///< the local node that owns the model
    std::optional<double> deadline_s{};            ///< on its completion time, if any
    std::vector<std::optional<node_id>> pinned{};  ///< per layer of this task, empty = none
};

/// Switches of the multi-task objective:
/// objective = latency_weight * (delay_s + upload_s) + energy_weight * energy_j, where each of
/// delay_s, upload_s and energy_j aggregates the per-task values with `aggregate`.
struct multi_task_options {
    /// How the per-task values are combined: mean (default), makespan or sum.
    task_aggregate aggregate = task_aggregate::mean;
    bool include_upload = false;  ///< add each task's one-off upload over its device's uplink
    /// Weight of the aggregated time terms (delay_s + upload_s) in the objective, per second.
    double latency_weight = 1;
    double energy_weight = 0;  ///< > 0 needs an energy_cost_model and every device's power
    bool memory = true;        ///< capacities shared by all tasks' layers on a node
};

/// Prices placements of several tasks at once: the genes of task 0 come first (one per layer, in
/// layer_id order), then those of task 1, and so on. A gene may take its task's device or any
/// edge or cloud node.
///
/// All tasks start at time 0 and are list-scheduled together, one layer at a time per node, so
/// they contend for the shared nodes: each task dispatches its layers in its own topological
/// order, and at each step the task whose next layer can start earliest goes (ties to the lower
/// task index). A task completes when its result reaches its device. With one task this is
/// exactly delay_evaluator with dag_schedule::list_scheduled. evaluate() never allocates; it
/// keeps scratch buffers, hence is non-const: use one copy per thread
/// (a debug build throws when two calls overlap on one object; docs/cost-models.md).
template <cost_model Model>
class multi_task_evaluator {
public:
    /// Builds the tables of every task. Throws eosdnn::error (validation) naming the task and the
    /// field for: no tasks; a device out of range or not local; a pinned list whose size is
    /// neither 0 nor the task's layer count, or pinning a layer to a node it may not run on; a
    /// deadline not finite or <= 0; a weight not finite or negative; an invalid aggregate;
    /// include_upload without an upload_cost_model; energy_weight > 0 without an
    /// energy_cost_model or without the power profile of a task's device; a compute or upload
    /// time not finite; a model whose transfer_time is not affine in the bytes.
    multi_task_evaluator(std::vector<dnn_task> tasks, const Model& model,
                         multi_task_options options = {})
        : options_(std::move(options)), nodes_(model.env()) {
        constexpr std::string_view who = "multi_task_evaluator";
        if (tasks.empty()) detail::evaluator_fail(who, "there are no tasks");
        if (options_.aggregate != task_aggregate::mean &&
            options_.aggregate != task_aggregate::makespan &&
            options_.aggregate != task_aggregate::sum)
            detail::evaluator_fail(who, "multi_task_options.aggregate has the invalid value " +
                                            std::to_string(static_cast<int>(options_.aggregate)));
        detail::check_weight(who, "multi_task_options.latency_weight", options_.latency_weight);
        detail::check_weight(who, "multi_task_options.energy_weight", options_.energy_weight);
        if (options_.include_upload && !upload_cost_model<Model>)
            detail::evaluator_fail(who,
                                   "multi_task_options.include_upload is true but the cost "
                                   "model has no upload_time (it is not an "
                                   "upload_cost_model)");
        if (options_.energy_weight > 0 && !energy_cost_model<Model>)
            detail::evaluator_fail(who, "multi_task_options.energy_weight is " +
                                            detail::format_number(options_.energy_weight) +
                                            " but the cost model has no device_power (it is not "
                                            "an energy_cost_model)");

        const std::size_t count = tasks.size(), nodes = nodes_.size();
        std::size_t total = 0;
        for (std::size_t t = 0; t < count; ++t) {
            const std::string task = "task " + std::to_string(t);
            const dnn_task& d = tasks[t];
            nodes_.check_device(who, task + ": device", d.device);
            detail::check_deadline(who, task + ": deadline_s", d.deadline_s);
            detail::check_pinned(who, task + ": pinned", d.pinned, d.graph, nodes_, d.device);
            total += d.graph.size();
        }

        compute_ = detail::layer_node_table(total, nodes_);
        if (options_.include_upload) upload_ = detail::layer_node_table(total, nodes_);
        links_ = detail::link_table(model, who);
        limit_table_ = detail::limit_table(model.env(), options_.memory);
        energy_ = true;
        for (std::size_t t = 0; t < count; ++t) {
            const dnn_task& d = tasks[t];
            const layer_id first = layers_.append(d.graph);
            spans_.push_back(detail::task_span::of(d.graph, d.device, first));
            deadlines_.push_back(d.deadline_s);
            choices_.push_back(nodes_.choices(d.device));
            task_of_gene_.insert(task_of_gene_.end(), d.graph.size(), t);
            for (layer_id j = 0; j < d.pinned.size(); ++j)
                if (d.pinned[j]) {
                    limit_table_.pin(first + j, *d.pinned[j]);
                    if (pinned_.empty()) pinned_.resize(total);
                    pinned_[first + j] = d.pinned[j];
                }

            detail::fill_compute(compute_, first, d.graph, model, nodes_, d.device, who);
            if constexpr (upload_cost_model<Model>)
                if (options_.include_upload)
                    detail::fill_upload(upload_, first, d.graph, model, nodes_, d.device, who);

            std::optional<power_profile> power;
            if constexpr (energy_cost_model<Model>) power = model.device_power(d.device);
            if (!power && options_.energy_weight > 0)
                detail::evaluator_fail(who, "multi_task_options.energy_weight is " +
                                                detail::format_number(options_.energy_weight) +
                                                " but the device of task " + std::to_string(t) +
                                                ", " + nodes_.describe(d.device) +
                                                ", has no power profile");
            energy_ = energy_ && power.has_value();
            powers_.push_back(power.value_or(power_profile{}));
        }

        schedule_ = detail::list_schedule(total, nodes, count);
        detail::check_finite_task_sums(who, tasks, model);  // sums past the largest double
    }

    /// Sum of the tasks' layer counts.
    std::size_t dimension() const noexcept { return layers_.size(); }

    /// The nodes gene `gene` may take: its task's device and every edge and cloud node, ascending.
    std::span<const node_id> choices(std::size_t gene) const {
        if (gene >= dimension())
            detail::evaluator_fail("multi_task_evaluator",
                                   "gene " + std::to_string(gene) +
                                       " is out of range: the placement has " +
                                       std::to_string(dimension()) + " genes");
        return choices_[task_of_gene_[gene]];
    }

    /// A lower bound on the objective of every placement: latency_weight times the aggregate of
    /// each task's bound, the cheapest way to run its critical path alone: the path from the
    /// input to the output layer with the largest sum of fastest compute times, priced over
    /// every placement of its layers by a shortest path over (layer, node) that counts its
    /// compute, its transfers and the input and return transfers. A task's completion time is
    /// at least that path's time under its placement (waiting, the other branches, uploads and
    /// energy only add), so every optimiser's result can carry the bound.
    double objective_lower_bound() const {
        std::vector<double> finish(layers_.size(), 0.0), path(spans_.size(), 0.0);
        std::vector<layer_id> heaviest(layers_.size());
        std::vector<double> cost, next;
        for (std::size_t t = 0; t < spans_.size(); ++t) {
            const detail::task_span& task = spans_[t];
            const auto fastest = [&](layer_id g) {
                double f = std::numeric_limits<double>::infinity();
                for (node_id s : choices_[t]) f = std::min(f, compute_.unchecked(g, s));
                return f;
            };
            for (std::size_t k = task.first; k < task.last; ++k) {
                const layer_id g = layers_.order[k];
                double start = 0;
                heaviest[g] = g;
                for (layer_id p : layers_.predecessors(g))
                    if (finish[p] >= start) {
                        start = finish[p];
                        heaviest[g] = p;
                    }
                finish[g] = start + fastest(g);
            }
            std::vector<layer_id> chain{task.output};
            while (heaviest[chain.back()] != chain.back()) chain.push_back(heaviest[chain.back()]);
            std::reverse(chain.begin(), chain.end());  // from the input layer to the output
            // cost[a]: the cheapest path so far ending on node allowed[a] (indexed by position
            // in the task's choices, not by node: O(servers) per task, however many devices).
            const std::vector<node_id>& allowed = choices_[t];
            cost.assign(allowed.size(), 0.0);
            for (std::size_t a = 0; a < allowed.size(); ++a)
                cost[a] = links_.time(task.input_bytes, task.device, allowed[a]) +
                          compute_.unchecked(chain[0], allowed[a]);
            for (std::size_t i = 1; i < chain.size(); ++i) {
                next.assign(allowed.size(), std::numeric_limits<double>::infinity());
                const double bytes = layers_.output_bytes[chain[i - 1]];
                for (std::size_t a = 0; a < allowed.size(); ++a)
                    for (std::size_t b = 0; b < allowed.size(); ++b)
                        next[a] =
                            std::min(next[a], cost[b] + links_.time(bytes, allowed[b], allowed[a]));
                for (std::size_t a = 0; a < allowed.size(); ++a)
                    next[a] += compute_.unchecked(chain[i], allowed[a]);
                cost.swap(next);
            }
            double best = std::numeric_limits<double>::infinity();
            for (std::size_t a = 0; a < allowed.size(); ++a)
                best = std::min(best, cost[a] + links_.time(layers_.output_bytes[chain.back()],
                                                            allowed[a], task.device));
            path[t] = std::isfinite(best) ? best : finish[task.output];
        }
        const double bound =
            options_.latency_weight * aggregate([&](std::size_t t) { return path[t]; });
        return std::isfinite(bound) ? bound : 0.0;
    }

    /// Prices `placement` (all tasks' genes, task 0 first). Throws eosdnn::error (validation) if
    /// its size is not dimension() or a gene is not one of choices(), naming task, layer, node.
    evaluation evaluate(std::span<const node_id> placement) {
        [[maybe_unused]] const auto busy = guard_.enter("multi_task_evaluator::evaluate");
        check(placement);
        const std::span<const double> completion = schedule(placement);
        evaluation e;
        e.delay_s = aggregate([&](std::size_t t) { return completion[t]; });
        if (options_.include_upload)
            e.upload_s = aggregate([&](std::size_t t) {
                double upload = 0;
                for (layer_id g = spans_[t].first; g < spans_[t].last; ++g)
                    upload += upload_.unchecked(g, placement[g]);
                return upload;
            });
        if (energy_)
            e.energy_j = aggregate([&](std::size_t t) {
                const detail::sequential_parts parts =
                    detail::sequential_delay_parts(placement, spans_[t], layers_, compute_, links_);
                return detail::device_energy(powers_[t], completion[t], parts.device_compute_s,
                                             parts.device_transfer_s);
            });
        e.objective = options_.latency_weight * (e.delay_s + e.upload_s);
        if (options_.energy_weight > 0) e.objective += options_.energy_weight * e.energy_j;
        e.violation = limit_table_.violation(placement, layers_.param_bytes);
        for (std::size_t t = 0; t < spans_.size(); ++t)
            if (const auto& deadline = deadlines_[t])
                e.violation += std::max(0.0, completion[t] - *deadline) / *deadline;
        return e;
    }

    /// Number of tasks.
    std::size_t task_count() const noexcept { return spans_.size(); }

    /// Index of task `task`'s first gene.
    std::size_t offset(std::size_t task) const noexcept { return spans_[task].first; }

    /// The local node that owns task `task`.
    node_id device(std::size_t task) const noexcept { return spans_[task].device; }

    /// The pinned node of every gene (task 0's first), or empty when no task pins a layer: the
    /// optimisers keep these genes fixed (pinned_placement_problem).
    std::span<const std::optional<node_id>> pinned() const noexcept { return pinned_; }

    /// Completion time of each task under `placement`: when its result reaches its device. Checks
    /// the placement as evaluate() does.
    std::vector<double> completion_times(std::span<const node_id> placement) {
        [[maybe_unused]] const auto busy = guard_.enter("multi_task_evaluator::completion_times");
        check(placement);
        const std::span<const double> completion = schedule(placement);
        return {completion.begin(), completion.end()};
    }

    /// t_g(s): seconds to run global layer `gene` on node `s`, one of choices(gene), from the
    /// precomputed table.
    double compute_time(std::size_t gene, node_id s) const noexcept {
        return compute_.unchecked(gene, s);
    }

    /// tr(bytes, from, to): 0 if from == to, else latency + bytes / bandwidth (infinite between
    /// two devices, which never exchange data).
    double transfer_time(double bytes, node_id from, node_id to) const noexcept {
        return links_.between(bytes, from, to);
    }

    /// The switches given at construction.
    const multi_task_options& options() const noexcept { return options_; }

    /// Marks this evaluator busy, as evaluate() does while it runs, until the returned object
    /// is destroyed: a second call meanwhile throws in a debug build (NDEBUG undefined). For
    /// tests of that check; does nothing with NDEBUG.
    [[nodiscard]] detail::single_user::scope debug_hold() {
        return guard_.enter("multi_task_evaluator");
    }

private:
    void check(std::span<const node_id> x) const {
        if (x.size() != dimension())
            detail::evaluator_fail("multi_task_evaluator",
                                   "the placement has " + std::to_string(x.size()) +
                                       " genes, expected " + std::to_string(dimension()) +
                                       " (one per layer of every task)");
        for (std::size_t t = 0; t < spans_.size(); ++t) {
            const node_id device = spans_[t].device;
            for (layer_id g = spans_[t].first; g < spans_[t].last; ++g)
                if (!nodes_.allows(x[g], device))
                    detail::bad_gene("multi_task_evaluator", g, layers_.names[g],
                                     "task " + std::to_string(t) + ", ",
                                     nodes_.refusal(x[g], spans_[t].device));
        }
    }

    // Each task's completion time, valid until the next call. The tables' layouts are tested
    // once here, not at every lookup in the inner loop.
    std::span<const double> schedule(std::span<const node_id> x) noexcept {
        return links_.visit(compute_, [&](const auto& links, const auto& compute) {
            return schedule_.run(x, layers_, spans_, compute, links, /*one_at_a_time=*/true);
        });
    }

    // Mean, makespan or sum of value(t) over the tasks, as options_.aggregate says.
    template <class Value>
    double aggregate(Value value) const {
        double total = 0, largest = 0;
        for (std::size_t t = 0; t < spans_.size(); ++t) {
            const double v = value(t);
            total += v;
            largest = t == 0 ? v : std::max(largest, v);
        }
        switch (options_.aggregate) {
        case task_aggregate::mean: return total / static_cast<double>(spans_.size());
        case task_aggregate::makespan: return largest;
        case task_aggregate::sum: return total;
        }
        return total;
    }

    multi_task_options options_;
    detail::node_names nodes_;
    detail::layer_table layers_{};  // every task's layers, globally numbered
    std::vector<detail::task_span> spans_{};
    std::vector<std::optional<double>> deadlines_{};
    std::vector<power_profile> powers_{};          // per task, meaningful when energy_ is true
    bool energy_ = false;                          // every task's device has a power profile
    std::vector<std::vector<node_id>> choices_{};  // per task
    std::vector<std::size_t> task_of_gene_{};
    std::vector<std::optional<node_id>> pinned_{};  // per gene, empty when nothing is pinned
    detail::link_table links_{};
    // N x (servers + 1), not N x nodes: one device per task made that quadratic in tasks.
    detail::layer_node_table compute_{};
    detail::layer_node_table upload_{};  // as compute_, only with include_upload
    detail::limit_table limit_table_{};
    detail::list_schedule schedule_{};  // scratch of evaluate(), sized once
    // Debug builds: throws when two calls are inside this object at once; empty with NDEBUG.
    [[no_unique_address]] detail::single_user guard_{};
};

static_assert(placement_problem<multi_task_evaluator<analytic_model>>);

}  // namespace eosdnn
