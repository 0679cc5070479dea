#pragma once
/// \file tables.hpp
/// What the evaluators read in their inner loops, copied once into flat tables (layers, links,
/// compute times, limits) and checked on the way in, so that evaluate() never allocates and
/// never sees a bad number. Shared by delay_evaluator, multi_task_evaluator, the exact solvers
/// and the uploading planners.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/detail/xtensor.hpp>
#include <eosdnn/graph/layer.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eosdnn::detail {

/// Throws the validation error of evaluator `who` ("delay_evaluator", ...).
[[noreturn]] inline void evaluator_fail(std::string_view who, const std::string& what) {
    fail_validation(who, what);
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
        evaluator_fail(who,
                       field + " is " + format_number(*deadline) + " (must be finite and > 0)");
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
    std::string describe(node_id s) const { return node_label(s, names[s]); }

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
            evaluator_fail(who, field + "[" + std::to_string(j) + "] pins layer '" + graph[j].name +
                                    "' to " + why);
    }
}

/// Throws for a gene that is not an allowed node; kept out of line from the O(n) check.
[[noreturn]] inline void bad_gene(std::string_view who, std::size_t gene,
                                  const std::string& layer_name, const std::string& task,
                                  const std::string& why) {
    evaluator_fail(who, "gene " + std::to_string(gene) + " (" + task + "layer '" + layer_name +
                            "') is " + why);
}

}  // namespace eosdnn::detail
