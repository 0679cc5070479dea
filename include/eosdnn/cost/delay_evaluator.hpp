#pragma once
/// \file delay_evaluator.hpp
/// delay_evaluator: the migration delay of one DNN task's placement (chain or DAG), with the
/// optional upload and energy terms and the constraints, as docs/model.md defines them.

#include <eosdnn/config.hpp>
#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/problem.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/detail/finite_sums.hpp>
#include <eosdnn/cost/detail/pairwise_sum.hpp>
#include <eosdnn/cost/detail/single_user.hpp>
#include <eosdnn/cost/detail/tables.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/cost/list_schedule.hpp>
#include <eosdnn/cost/sequential_delay.hpp>
#include <eosdnn/detail/xtensor.hpp>
#include <eosdnn/graph/layer.hpp>
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

/// Prices placements of one DNN task: gene j is the node of layer j (layer_id order, not
/// topological order). Each gene may take the task's device or any edge or cloud node.
///
/// evaluate() returns the migration delay under options.schedule (sequential, list_scheduled or
/// unbounded), the optional one-off upload time, the device energy when the model knows the
/// device's power, the weighted objective and the constraint violation; docs/model.md has the
/// formulas. Every time is read from tables built once, so evaluate() does O(n + edges + S) work
/// and never allocates. It keeps scratch buffers, hence is non-const: use one copy per thread
/// (a debug build throws when two calls overlap on one object; docs/cost-models.md).
template <cost_model Model>
class delay_evaluator {
public:
    /// Builds the tables for `graph` priced by `model`, with `device` the local node that owns
    /// the model. Throws eosdnn::error (validation) naming the field and value for: a graph
    /// without layers (a moved-from one); a device out of range or not local; a pinned list
    /// whose size is neither 0 nor n, or pinning a layer to a node it may not run on; a weight
    /// not finite or negative; a deadline not finite or <= 0; include_upload without an
    /// upload_cost_model; energy_weight > 0 without an energy_cost_model or without the device's
    /// power profile; a compute or upload time not finite; a model whose transfer_time is not
    /// affine in the bytes.
    // Defined below the class: a constructor defined in it is inline, and GCC compiles an inline
    // function for possible inlining even under `extern template` (separate compilation).
    delay_evaluator(const layer_graph& graph, const Model& model, objective_options options = {},
                    constraints limits = {}, node_id device = 0);

    /// One gene per layer.
    std::size_t dimension() const noexcept { return layers_.size(); }

    /// The nodes gene `gene` may take: the device and every edge and cloud node, ascending. The
    /// same for every gene: pinning is a constraint, reported as a violation, not a restriction.
    std::span<const node_id> choices(std::size_t gene) const {
        if (gene >= dimension())
            detail::evaluator_fail("delay_evaluator", "gene " + std::to_string(gene) +
                                                          " is out of range: the placement has " +
                                                          std::to_string(dimension()) + " genes");
        return choices_;
    }

    /// Prices `placement` (placement[j] = node of layer j). Throws eosdnn::error (validation) if
    /// its size is not dimension() or a gene is not one of choices(), naming layer and node.
    evaluation evaluate(std::span<const node_id> placement) {
        [[maybe_unused]] const auto busy = guard_.enter("delay_evaluator::evaluate");
        check(placement);
        double delay = 0;
        detail::sequential_parts parts;
        const bool sequential = options_.schedule == dag_schedule::sequential;
        // The tables' layouts are tested once here, not at every lookup in the inner loops.
        links_.visit(compute_, [&](const auto& links, const auto& compute) {
            if (power_)
                parts = detail::sequential_delay_parts(placement, task_, layers_, compute, links);
            else if (sequential)  // no energy term: the device's shares are not needed
                parts = detail::sequential_delay_parts<false>(placement, task_, layers_, compute,
                                                              links);
            delay = sequential
                        ? parts.delay_s
                        : schedule_.run(placement, layers_, std::span(&task_, 1), compute, links,
                                        options_.schedule == dag_schedule::list_scheduled)[0];
        });
        double upload = 0;
        if (options_.include_upload) {
            detail::pairwise_accumulator sum;  // the order incremental_dag keeps
            for (layer_id j = 0; j < placement.size(); ++j)
                sum.add(upload_.unchecked(j, placement[j]));
            upload = sum.total();
        }
        const double violation = limit_table_.violation(placement, layers_.param_bytes);
        parts.delay_s = delay;
        return compose(parts, upload, violation);
    }

    /// The evaluation of a placement from its parts: the delay (parts.delay_s, under the
    /// evaluator's schedule) and the device's compute and transfer times, the upload time and
    /// the memory and pin violation (detail::limit_table::violation_of). evaluate() ends with
    /// it, and so does incremental_dag: the objective, the energy and the deadline are composed
    /// in one place.
    evaluation compose(const detail::sequential_parts& parts, double upload_s,
                       double violation) const noexcept {
        evaluation e;
        e.delay_s = parts.delay_s;
        e.upload_s = upload_s;
        if (power_)
            e.energy_j = detail::device_energy(*power_, e.delay_s, parts.device_compute_s,
                                               parts.device_transfer_s);
        e.objective = options_.latency_weight * (e.delay_s + e.upload_s);
        if (options_.energy_weight > 0) e.objective += options_.energy_weight * e.energy_j;
        e.violation = violation;
        if (limits_.deadline_s)
            e.violation += std::max(0.0, e.delay_s - *limits_.deadline_s) / *limits_.deadline_s;
        return e;
    }

    /// f(links, compute): the views of the transfer and compute tables that evaluate() reads,
    /// in their layout (detail::link_table::visit), for evaluators that re-price parts of a
    /// placement with the same arithmetic (incremental_dag).
    template <class F>
    decltype(auto) visit_tables(F&& f) const {
        return links_.visit(compute_, std::forward<F>(f));
    }

    /// t_j(s): seconds to run layer `j` on node `s`, one of choices(), from the precomputed table.
    double compute_time(layer_id j, node_id s) const noexcept { return compute_.unchecked(j, s); }

    /// tr(bytes, from, to): 0 if from == to, else latency + bytes / bandwidth (infinite between
    /// two local devices, which never exchange data).
    double transfer_time(double bytes, node_id from, node_id to) const noexcept {
        return links_.between(bytes, from, to);
    }

    /// One-off upload time of layer `j` to node `s`, one of choices() (0 on the device); 0 for
    /// every layer and node unless objective_options::include_upload is on.
    double upload_time(layer_id j, node_id s) const noexcept {
        return options_.include_upload ? upload_.unchecked(j, s) : 0.0;
    }

    /// The device's power profile when the cost model knows it (the energy term), else none.
    const std::optional<power_profile>& device_power() const noexcept { return power_; }

    /// The local node that owns the model.
    node_id device() const noexcept { return device_; }

    /// The model's structure as the evaluator copied it (predecessors, successors, output and
    /// parameter bytes, topological order), for solvers that exploit it (optim/exact_dag.hpp).
    const detail::layer_table& layers() const noexcept { return layers_; }
    /// The input layer (it receives the model input from the device).
    layer_id input_layer() const noexcept { return task_.input; }
    /// The output layer (its output returns to the device).
    layer_id output_layer() const noexcept { return task_.output; }
    /// Bytes of the model input.
    double input_bytes() const noexcept { return task_.input_bytes; }
    /// The memory capacities the violation counts: nodes and bytes (empty when memory is off).
    const detail::limit_table& memory_limits() const noexcept { return limit_table_; }

    /// The objective switches given at construction.
    const objective_options& options() const noexcept { return options_; }
    /// The constraints given at construction.
    const constraints& limits() const noexcept { return limits_; }
    /// The pinned node of every layer, or empty (constraints::pinned): the optimisers keep these
    /// genes fixed (pinned_placement_problem).
    std::span<const std::optional<node_id>> pinned() const noexcept { return limits_.pinned; }

    /// Marks this evaluator busy, as evaluate() does while it runs, until the returned object
    /// is destroyed: a second call meanwhile throws in a debug build (NDEBUG undefined). For
    /// tests of that check; does nothing with NDEBUG.
    [[nodiscard]] detail::single_user::scope debug_hold() {
        return guard_.enter("delay_evaluator");
    }

private:
    void check(std::span<const node_id> x) const {
        if (x.size() != dimension())
            detail::evaluator_fail("delay_evaluator",
                                   "the placement has " + std::to_string(x.size()) +
                                       " genes, expected " + std::to_string(dimension()) +
                                       " (one per layer)");
        for (layer_id j = 0; j < x.size(); ++j)
            if (x[j] >= allowed_.size() || !allowed_[x[j]])
                detail::bad_gene("delay_evaluator", j, layers_.names[j], "",
                                 nodes_.refusal(x[j], device_));
    }

    objective_options options_;
    constraints limits_;
    node_id device_;
    detail::node_names nodes_;
    detail::layer_table layers_{};
    detail::task_span task_{};
    std::vector<node_id> choices_{};
    std::vector<std::uint8_t> allowed_{};  // per node: may a gene take it?
    detail::link_table links_{};
    detail::layer_node_table compute_{};  // n x (servers + 1)
    detail::layer_node_table upload_{};   // n x (servers + 1), only with include_upload
    std::optional<power_profile> power_{};
    detail::limit_table limit_table_{};
    detail::list_schedule schedule_{};  // scratch of evaluate(), sized once
    // Debug builds: throws when two calls are inside this object at once; empty with NDEBUG.
    [[no_unique_address]] detail::single_user guard_{};
};

template <cost_model Model>
delay_evaluator<Model>::delay_evaluator(const layer_graph& graph, const Model& model,
                                        objective_options options, constraints limits,
                                        node_id device)
    : options_(std::move(options)), limits_(std::move(limits)), device_(device),
      nodes_(model.env()) {
    constexpr std::string_view who = "delay_evaluator";
    if (graph.size() == 0)  // only a moved-from graph: the builder refuses an empty one
        detail::evaluator_fail(
            who, "model" + (graph.name().empty() ? std::string() : " '" + graph.name() + "'") +
                     " has no layers (a moved-from layer_graph?)");
    nodes_.check_device(who, "device", device_);
    if (options_.schedule != dag_schedule::sequential &&
        options_.schedule != dag_schedule::list_scheduled &&
        options_.schedule != dag_schedule::unbounded)
        detail::evaluator_fail(who, "objective_options.schedule has the invalid value " +
                                        std::to_string(static_cast<int>(options_.schedule)));
    detail::check_weight(who, "objective_options.latency_weight", options_.latency_weight);
    detail::check_weight(who, "objective_options.energy_weight", options_.energy_weight);
    detail::check_deadline(who, "constraints.deadline_s", limits_.deadline_s);
    detail::check_pinned(who, "constraints.pinned", limits_.pinned, graph, nodes_, device_);

    const std::size_t n = graph.size(), nodes = nodes_.size();
    layers_.append(graph);
    task_ = detail::task_span::of(graph, device_);
    choices_ = nodes_.choices(device_);
    allowed_.assign(nodes, 0);
    for (node_id s : choices_) allowed_[s] = 1;

    links_ = detail::link_table(model, who);
    compute_ = detail::layer_node_table(n, nodes_);
    detail::fill_compute(compute_, 0, graph, model, nodes_, device_, who);

    if (options_.include_upload) {
        if constexpr (upload_cost_model<Model>) {
            upload_ = detail::layer_node_table(n, nodes_);
            detail::fill_upload(upload_, 0, graph, model, nodes_, device_, who);
        } else {
            detail::evaluator_fail(who,
                                   "objective_options.include_upload is true but the "
                                   "cost model has no upload_time (it is not an "
                                   "upload_cost_model)");
        }
    }

    if constexpr (energy_cost_model<Model>) power_ = model.device_power(device_);
    if (options_.energy_weight > 0) {
        if constexpr (!energy_cost_model<Model>)
            detail::evaluator_fail(who, "objective_options.energy_weight is " +
                                            detail::format_number(options_.energy_weight) +
                                            " but the cost model has no device_power (it is "
                                            "not an energy_cost_model)");
        if (!power_)
            detail::evaluator_fail(who, "objective_options.energy_weight is " +
                                            detail::format_number(options_.energy_weight) +
                                            " but the device " + nodes_.describe(device_) +
                                            " has no power profile");
    }

    limit_table_ = detail::limit_table(model.env(), limits_.memory);
    for (layer_id j = 0; j < limits_.pinned.size(); ++j)
        if (limits_.pinned[j]) limit_table_.pin(j, *limits_.pinned[j]);

    schedule_ = detail::list_schedule(n, nodes, 1);
    detail::check_finite_sums(who, graph, model, device_);  // sums past the largest double
}

static_assert(pinned_placement_problem<delay_evaluator<analytic_model>>);

#if EOSDNN_DECLARE_ONLY
// Compiled once in the unit that includes eosdnn/separate_compilation.hpp (config.hpp).
extern template class delay_evaluator<analytic_model>;
#endif

}  // namespace eosdnn
