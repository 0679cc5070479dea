#pragma once
/// \file delay_evaluator.hpp
/// delay_evaluator: the migration delay of one DNN task's placement (chain or DAG), with the
/// optional upload and energy terms and the constraints, as docs/model.md defines them.

#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/cost/evaluation.hpp>
#include <eosdnn/detail/xtensor.hpp>
#include <eosdnn/error.hpp>
#include <eosdnn/graph/layer.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/optim/problem.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eosdnn {
namespace detail {

/// A number as error messages print it.
inline std::string format_number(double value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

/// Throws the validation error of evaluator `who` ("delay_evaluator", ...).
[[noreturn]] inline void evaluator_fail(std::string_view who, const std::string& what) {
    throw error(error_kind::validation, std::string(who) + ": " + what);
}

/// Throws unless an objective weight is finite and >= 0.
inline void check_weight(std::string_view who, const std::string& field, double value) {
    if (!std::isfinite(value) || value < 0)
        evaluator_fail(who, field + " is " + format_number(value) + " (must be finite and >= 0)");
}

/// Throws unless a deadline, when set, is finite and > 0 (the violation divides by it).
inline void check_deadline(std::string_view who, const std::string& field,
                           const std::optional<double>& deadline) {
    if (deadline && (!std::isfinite(*deadline) || *deadline <= 0))
        evaluator_fail(who, field + " is " + format_number(*deadline) +
                                " (must be finite and > 0)");
}

/// Names and tiers of the environment's nodes. Evaluators keep them so that evaluate() can name
/// a bad gene's node without holding on to the environment.
struct node_names {
    std::vector<std::string> names{};
    std::vector<tier> tiers{};

    node_names() = default;
    explicit node_names(const environment& env) {
        for (const node& n : env.nodes()) {
            names.push_back(n.name);
            tiers.push_back(n.tier);
        }
    }

    std::size_t size() const noexcept { return names.size(); }

    /// "node 2 ('edge1')".
    std::string describe(node_id s) const {
        return "node " + std::to_string(s) + " ('" + names[s] + "')";
    }

    /// Why node `s` cannot run a layer of a task owned by `device`, or "" if it can: a layer runs
    /// on its own device or on any edge or cloud node, never on another task's device.
    std::string refusal(std::size_t s, node_id device) const {
        if (s >= size())
            return "node " + std::to_string(s) + ", out of range: the environment has " +
                   std::to_string(size()) + " nodes";
        if (tiers[s] == tier::local && s != device)
            return describe(static_cast<node_id>(s)) + ", a local node other than the device " +
                   describe(device);
        return {};
    }

    /// The nodes a layer of a task owned by `device` may run on, ascending.
    std::vector<node_id> choices(node_id device) const {
        std::vector<node_id> allowed;
        for (std::size_t s = 0; s < size(); ++s)
            if (refusal(s, device).empty()) allowed.push_back(static_cast<node_id>(s));
        return allowed;
    }

    /// Throws unless `device` names a local node.
    void check_device(std::string_view who, const std::string& field, node_id device) const {
        if (device >= size())
            evaluator_fail(who, field + " is node " + std::to_string(device) +
                                    ", out of range: the environment has " +
                                    std::to_string(size()) + " nodes");
        if (tiers[device] != tier::local)
            evaluator_fail(who, field + " is " + describe(device) +
                                    ", which must be a local node but is " +
                                    std::string(to_string(tiers[device])));
    }
};

/// Latency and inverse bandwidth of every ordered pair of nodes, so that a transfer costs one
/// multiply-add in the inner loop: tr(b, s, t) = latency(s, t) + b * inverse_bandwidth(s, t).
/// Both are 0 on the diagonal (nothing is charged on the same node); a missing link (two local
/// devices) has infinite latency.
class link_table {
public:
    link_table() = default;

    /// Reads latency and inverse bandwidth off the model's own transfer_time (its value at 0 bytes
    /// and its slope up to 1 MB), and checks at a third size that the model is affine in the
    /// bytes, because the tables replace that call in the inner loop. A model whose transfers are
    /// not latency + bytes / bandwidth is rejected rather than silently mispriced.
    template <cost_model Model>
    link_table(const Model& model, std::string_view who) {
        nodes_ = model.env().size();
        const std::array<std::size_t, 2> shape{nodes_, nodes_};
        latency_ = matrix<double>(shape, 0.0);
        inverse_bandwidth_ = matrix<double>(shape, 0.0);
        constexpr double probe = 1e6, check = 12345.0;
        for (std::size_t s = 0; s < nodes_; ++s)
            for (std::size_t t = 0; t < nodes_; ++t) {
                if (s == t) continue;  // nothing is charged on the same node
                const auto from = static_cast<node_id>(s), to = static_cast<node_id>(t);
                const double fixed = model.transfer_time(0.0, from, to);
                if (std::isinf(fixed) && fixed > 0) {  // no link: never a valid transfer
                    latency_(s, t) = fixed;
                    continue;
                }
                latency_(s, t) = fixed;
                inverse_bandwidth_(s, t) = (model.transfer_time(probe, from, to) - fixed) / probe;
                const double expected = model.transfer_time(check, from, to);
                const double ours = time(check, from, to);
                const bool valid = std::isfinite(fixed) && fixed >= 0 &&
                                   std::isfinite(inverse_bandwidth_(s, t)) &&
                                   inverse_bandwidth_(s, t) >= 0;
                const bool affine = std::abs(expected - ours) <=
                                    1e-9 * std::max(std::abs(expected), std::abs(ours));
                if (!valid || !affine)
                    evaluator_fail(who, "the cost model's transfer_time from node " +
                                            std::to_string(s) + " to node " + std::to_string(t) +
                                            " is not latency + bytes / bandwidth with finite, "
                                            "non-negative figures (" +
                                            format_number(fixed) + " s at 0 bytes, " +
                                            format_number(expected) + " s at " +
                                            format_number(check) + " bytes, " +
                                            format_number(ours) + " s expected)");
            }
    }

    /// Seconds to move `bytes` from one node to another (0 on the same node).
    double time(double bytes, node_id from, node_id to) const noexcept {
        return latency_.unchecked(from, to) + bytes * inverse_bandwidth_.unchecked(from, to);
    }

    std::size_t nodes() const noexcept { return nodes_; }

private:
    std::size_t nodes_ = 0;
    matrix<double> latency_{};
    matrix<double> inverse_bandwidth_{};
};

/// What the inner loop reads from one or more layer graphs, copied into flat arrays so that an
/// evaluator owns its data (copyable, never dangling). The layers of several graphs are
/// numbered globally: layer j of the k-th appended graph is (layers before it) + j.
struct layer_table {
    std::vector<std::size_t> pred_begin{0}, succ_begin{0};
    std::vector<layer_id> pred{}, succ{};
    std::vector<layer_id> order{};  ///< each graph's topological order, concatenated
    std::vector<double> output_bytes{}, param_bytes{};
    std::vector<std::string> names{};

    std::size_t size() const noexcept { return names.size(); }

    std::span<const layer_id> predecessors(layer_id g) const noexcept {
        return {pred.data() + pred_begin[g], pred.data() + pred_begin[g + 1]};
    }
    std::span<const layer_id> successors(layer_id g) const noexcept {
        return {succ.data() + succ_begin[g], succ.data() + succ_begin[g + 1]};
    }

    /// Appends a graph; returns the global index of its layer 0.
    layer_id append(const layer_graph& graph) {
        const layer_id first = size();
        for (layer_id j = 0; j < graph.size(); ++j) {
            for (layer_id p : graph.predecessors(j)) pred.push_back(first + p);
            for (layer_id k : graph.successors(j)) succ.push_back(first + k);
            pred_begin.push_back(pred.size());
            succ_begin.push_back(succ.size());
            output_bytes.push_back(graph[j].output_bytes);
            param_bytes.push_back(graph[j].param_bytes);
            names.push_back(graph[j].name);
        }
        for (layer_id j : graph.topological_order()) order.push_back(first + j);
        return first;
    }
};

/// Where one task sits in the global layer numbering and what it sends and receives.
struct task_span {
    node_id device = 0;
    layer_id first = 0, last = 0;    ///< its layers are [first, last)
    layer_id input = 0, output = 0;  ///< global indices of its input and output layers
    double input_bytes = 0;
};

/// Memory capacities and pinned layers, checked without allocating (the load per node is a
/// member sized once).
class limit_table {
public:
    limit_table() = default;

    /// Records the capacity of every node that has one, if `memory` is on.
    limit_table(const environment& env, bool memory) : load_(env.size(), 0.0) {
        if (!memory) return;
        for (std::size_t s = 0; s < env.size(); ++s)
            if (const auto& capacity = env[static_cast<node_id>(s)].memory_bytes) {
                capped_.push_back(static_cast<node_id>(s));
                capacity_.push_back(*capacity);
            }
    }

    /// The nodes with a capacity (memory on), and their capacities in bytes, aligned.
    std::span<const node_id> capped_nodes() const noexcept { return capped_; }
    /// See capped_nodes().
    std::span<const double> capacities() const noexcept { return capacity_; }

    /// Global layer `g` must run on node `s`.
    void pin(layer_id g, node_id s) { pinned_.emplace_back(g, s); }

    /// Sum of max(0, load - M_s) / M_s over capped nodes, plus 1 per misplaced pinned layer.
    double violation(std::span<const node_id> x, std::span<const double> param_bytes) noexcept {
        double total = 0;
        if (!capped_.empty()) {
            std::fill(load_.begin(), load_.end(), 0.0);
            for (std::size_t g = 0; g < x.size(); ++g) load_[x[g]] += param_bytes[g];
            for (std::size_t i = 0; i < capped_.size(); ++i) {
                const double excess = load_[capped_[i]] - capacity_[i];
                if (excess > 0) total += excess / capacity_[i];
            }
        }
        for (const auto& [g, s] : pinned_)
            if (x[g] != s) total += 1;
        return total;
    }

private:
    std::vector<node_id> capped_{};
    std::vector<double> capacity_{};
    std::vector<std::pair<layer_id, node_id>> pinned_{};
    std::vector<double> load_{};
};

/// Prices the sends of a layer's output: once to each distinct other node that hosts one of its
/// consumers, however many consumers sit there. A stamp per node marks the nodes already served
/// for the current layer, so no set is built and nothing is cleared between layers.
class send_scan {
public:
    send_scan() = default;
    explicit send_scan(std::size_t nodes) : stamp_(nodes, 0) {}

    /// Total seconds of layer `g`'s sends under placement `x`; the sends that start or end at
    /// `device` are also added to `device_part`.
    double operator()(layer_id g, std::span<const node_id> x, const layer_table& layers,
                      const link_table& links, node_id device, double& device_part) noexcept {
        ++tick_;
        const node_id from = x[g];
        double total = 0;
        for (layer_id k : layers.successors(g)) {
            const node_id to = x[k];
            if (to == from || stamp_[to] == tick_) continue;
            stamp_[to] = tick_;
            const double t = links.time(layers.output_bytes[g], from, to);
            total += t;
            if (from == device || to == device) device_part += t;
        }
        return total;
    }

private:
    std::vector<std::uint64_t> stamp_{};
    std::uint64_t tick_ = 0;
};

/// Adds up every time of one task: its compute times, every send, the input and the return
/// transfer. This is the sequential delay; it also gives the device's compute and transmit times
/// that the energy term needs under every schedule.
inline double add_up(std::span<const node_id> x, const task_span& task, const layer_table& layers,
                     const matrix<double>& compute, const link_table& links, send_scan& sends,
                     double& device_compute, double& device_transmit) noexcept {
    const double in = links.time(task.input_bytes, task.device, x[task.input]);
    const double back = links.time(layers.output_bytes[task.output], x[task.output], task.device);
    double total = in + back;
    device_compute = 0;
    device_transmit = in + back;
    for (layer_id g = task.first; g < task.last; ++g) {
        const double c = compute.unchecked(g, x[g]);
        total += c;
        if (x[g] == task.device) device_compute += c;
        total += sends(g, x, layers, links, task.device, device_transmit);
    }
    return total;
}

/// Device energy of one query: compute power while the device computes, transmit power while
/// data leaves or reaches it, idle power for the rest of the delay.
inline double device_energy(const power_profile& p, double delay, double compute,
                            double transmit) noexcept {
    return p.compute_w * compute + p.transmit_w * transmit +
           p.idle_w * std::max(0.0, delay - compute - transmit);
}

/// Fills rows [first, first + graph.size()) of the n x S compute table; throws if a time on an
/// allowed node is not finite and >= 0 (a NaN would silently corrupt every comparison).
template <cost_model Model>
void fill_compute(matrix<double>& table, layer_id first, const layer_graph& graph,
                  const Model& model, const node_names& nodes, node_id device,
                  std::string_view who) {
    for (layer_id j = 0; j < graph.size(); ++j)
        for (std::size_t s = 0; s < nodes.size(); ++s) {
            const double t = model.compute_time(graph[j], static_cast<node_id>(s));
            table(first + j, s) = t;
            if (nodes.refusal(s, device).empty() && (!std::isfinite(t) || t < 0))
                evaluator_fail(who, "the compute time of layer '" + graph[j].name + "' on " +
                                        nodes.describe(static_cast<node_id>(s)) + " is " +
                                        format_number(t) + " s (must be finite and >= 0)");
        }
}

/// Fills rows of the n x S upload table: the one-off time to upload each layer from `device` to
/// each other allowed node (0 on the device itself).
template <upload_cost_model Model>
void fill_upload(matrix<double>& table, layer_id first, const layer_graph& graph,
                 const Model& model, const node_names& nodes, node_id device,
                 std::string_view who) {
    for (layer_id j = 0; j < graph.size(); ++j)
        for (std::size_t s = 0; s < nodes.size(); ++s) {
            const auto to = static_cast<node_id>(s);
            if (to == device || !nodes.refusal(s, device).empty()) continue;
            const double t = model.upload_time(graph[j], device, to);
            table(first + j, s) = t;
            if (!std::isfinite(t) || t < 0)
                evaluator_fail(who, "the upload time of layer '" + graph[j].name + "' to " +
                                        nodes.describe(to) + " is " + format_number(t) +
                                        " s (must be finite and >= 0)");
        }
}

/// Throws unless `pinned` is empty or has one entry per layer, each a node the layer may run on.
inline void check_pinned(std::string_view who, const std::string& field,
                         const std::vector<std::optional<node_id>>& pinned,
                         const layer_graph& graph, const node_names& nodes, node_id device) {
    if (pinned.empty()) return;
    if (pinned.size() != graph.size())
        evaluator_fail(who, field + " has " + std::to_string(pinned.size()) +
                                " entries but model '" + graph.name() + "' has " +
                                std::to_string(graph.size()) +
                                " layers (give none or one per layer)");
    for (layer_id j = 0; j < pinned.size(); ++j) {
        if (!pinned[j]) continue;
        const std::string why = nodes.refusal(*pinned[j], device);
        if (!why.empty())
            evaluator_fail(who, field + "[" + std::to_string(j) + "] pins layer '" +
                                    graph[j].name + "' to " + why);
    }
}

/// Throws for a gene that is not an allowed node; kept out of line from the O(n) check.
[[noreturn]] inline void bad_gene(std::string_view who, std::size_t gene,
                                  const std::string& layer_name, const std::string& task,
                                  const std::string& why) {
    evaluator_fail(who, "gene " + std::to_string(gene) + " (" + task + "layer '" + layer_name +
                            "') is " + why);
}

}  // namespace detail

/// Prices placements of one DNN task: gene j is the node of layer j (layer_id order, not
/// topological order). Each gene may take the task's device or any edge or cloud node.
///
/// evaluate() returns the migration delay under options.schedule (sequential, list_scheduled or
/// unbounded), the optional one-off upload time, the device energy when the model knows the
/// device's power, the weighted objective and the constraint violation; docs/model.md has the
/// formulas. Every time is read from tables built once, so evaluate() does O(n + edges + S) work
/// and never allocates. It keeps scratch buffers, hence is non-const: use one copy per thread.
template <cost_model Model>
class delay_evaluator {
public:
    /// Builds the tables for `graph` priced by `model`, with `device` the local node that owns
    /// the model. Throws eosdnn::error (validation) naming the field and value for: a device out
    /// of range or not local; a pinned list whose size is neither 0 nor n, or pinning a layer to
    /// a node it may not run on; a weight not finite or negative; a deadline not finite or <= 0;
    /// include_upload without an upload_cost_model; energy_weight > 0 without an
    /// energy_cost_model or without the device's power profile; a compute or upload time not
    /// finite; a model whose transfer_time is not affine in the bytes.
    delay_evaluator(const layer_graph& graph, const Model& model, objective_options options = {},
                    constraints limits = {}, node_id device = 0)
        : options_(std::move(options)), limits_(std::move(limits)), device_(device),
          nodes_(model.env()) {
        constexpr std::string_view who = "delay_evaluator";
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
        task_ = detail::task_span{.device = device_, .first = 0, .last = n, .input = graph.input(),
                 .output = graph.output(), .input_bytes = graph.input_bytes()};
        choices_ = nodes_.choices(device_);
        allowed_.assign(nodes, 0);
        for (node_id s : choices_) allowed_[s] = 1;

        links_ = detail::link_table(model, who);
        compute_ = detail::matrix<double>(std::array<std::size_t, 2>{n, nodes}, 0.0);
        detail::fill_compute(compute_, 0, graph, model, nodes_, device_, who);

        if (options_.include_upload) {
            if constexpr (upload_cost_model<Model>) {
                upload_ = detail::matrix<double>(std::array<std::size_t, 2>{n, nodes}, 0.0);
                detail::fill_upload(upload_, 0, graph, model, nodes_, device_, who);
            } else {
                detail::evaluator_fail(who, "objective_options.include_upload is true but the "
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

        finish_.assign(n, 0.0);
        free_.assign(nodes, 0.0);
        sends_ = detail::send_scan(nodes);
    }

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
        check(placement);
        evaluation e;
        double device_compute = 0, device_transmit = 0;
        if (options_.schedule == dag_schedule::sequential) {
            e.delay_s = detail::add_up(placement, task_, layers_, compute_, links_, sends_,
                                       device_compute, device_transmit);
        } else {
            e.delay_s = scheduled(placement, options_.schedule == dag_schedule::list_scheduled);
            if (power_)
                detail::add_up(placement, task_, layers_, compute_, links_, sends_,
                               device_compute, device_transmit);
        }
        if (options_.include_upload)
            for (layer_id j = 0; j < placement.size(); ++j)
                e.upload_s += upload_.unchecked(j, placement[j]);
        if (power_)
            e.energy_j = detail::device_energy(*power_, e.delay_s, device_compute, device_transmit);
        e.objective = options_.latency_weight * (e.delay_s + e.upload_s);
        if (options_.energy_weight > 0) e.objective += options_.energy_weight * e.energy_j;
        e.violation = limit_table_.violation(placement, layers_.param_bytes);
        if (limits_.deadline_s)
            e.violation += std::max(0.0, e.delay_s - *limits_.deadline_s) / *limits_.deadline_s;
        return e;
    }

    /// t_j(s): seconds to run layer `j` on node `s`, from the precomputed table.
    double compute_time(layer_id j, node_id s) const noexcept { return compute_.unchecked(j, s); }

    /// tr(bytes, from, to): 0 if from == to, else latency + bytes / bandwidth.
    double transfer_time(double bytes, node_id from, node_id to) const noexcept {
        return links_.time(bytes, from, to);
    }

    /// One-off upload time of layer `j` to node `s` (0 on the device); 0 for every layer and
    /// node unless objective_options::include_upload is on.
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

    // List scheduling in topological order; with one_at_a_time false the node free times are
    // ignored, which gives the critical path (the unbounded variant).
    double scheduled(std::span<const node_id> x, bool one_at_a_time) noexcept {
        std::fill(free_.begin(), free_.end(), 0.0);
        for (layer_id j : layers_.order) {
            const node_id s = x[j];
            double ready = j == task_.input ? links_.time(task_.input_bytes, device_, s) : 0.0;
            for (layer_id p : layers_.predecessors(j))
                ready = std::max(ready, finish_[p] + links_.time(layers_.output_bytes[p], x[p], s));
            const double start = one_at_a_time ? std::max(ready, free_[s]) : ready;
            finish_[j] = start + compute_.unchecked(j, s);
            free_[s] = finish_[j];
        }
        const layer_id out = task_.output;
        return finish_[out] + links_.time(layers_.output_bytes[out], x[out], device_);
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
    detail::matrix<double> compute_{};     // n x S
    detail::matrix<double> upload_{};      // n x S, only with include_upload
    std::optional<power_profile> power_{};
    detail::limit_table limit_table_{};
    // Scratch of evaluate(), sized here so that evaluate() never allocates.
    std::vector<double> finish_{};
    std::vector<double> free_{};
    detail::send_scan sends_{};
};

static_assert(placement_problem<delay_evaluator<analytic_model>>);

}  // namespace eosdnn
