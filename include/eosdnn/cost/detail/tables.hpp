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
#include <limits>
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
    std::vector<node_id> servers{};  ///< the edge and cloud nodes, ascending

    node_names() = default;
    explicit node_names(const environment& env) {
        for (const node& n : env.nodes()) {
            if (n.tier != tier::local) servers.push_back(static_cast<node_id>(names.size()));
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

    /// Whether a layer of a task owned by `device` may run on node `s` (refusal() is empty).
    bool allows(std::size_t s, node_id device) const noexcept {
        return s < size() && (s == device || tiers[s] != tier::local);
    }

    /// The nodes a layer of a task owned by `device` may run on, ascending: O(servers), not
    /// O(size()), so that thousands of devices, one per task, stay linear.
    std::vector<node_id> choices(node_id device) const {
        std::vector<node_id> allowed = servers;
        if (device < size() && tiers[device] == tier::local)
            allowed.insert(std::lower_bound(allowed.begin(), allowed.end(), device), device);
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

/// Whether the tables of an environment of `nodes` nodes, `servers` of them edge or cloud, use
/// the dense layout: with at most one device more than servers the dense tables are within
/// twice the compact ones, and their lookups are one load shorter.
constexpr bool dense_layout(std::size_t nodes, std::size_t servers) noexcept {
    return nodes - servers <= servers + 1;
}

/// Latency and inverse bandwidth of every ordered pair of nodes a placement can use, so that a
/// transfer costs one multiply-add in the inner loop: tr(b, s, t) = latency(s, t) + b *
/// inverse_bandwidth(s, t), 0 on the same node.
///
/// Stored in O(links), not O(nodes^2). With many local devices the table is compact: an edge or
/// cloud node (a "server") has a row over every node, a device a row over the servers and itself
/// only, because two distinct devices never exchange data; a per-row column map finds `to` in
/// the row of `from`. With few devices (dense_layout(), every zoo setting) the table is a dense
/// nodes x nodes matrix instead, whose lookup is one load shorter: the evaluators' inner loop is
/// dominated by these lookups (bench/evaluators.cpp).
class link_table {
public:
    link_table() = default;

    /// Reads latency and inverse bandwidth off the model's own transfer_time (its value at 0 bytes
    /// and its slope up to 1 MB), and checks at a third size that the model is affine in the
    /// bytes, because the tables replace that call in the inner loop. A model whose transfers are
    /// not latency + bytes / bandwidth is rejected rather than silently mispriced.
    template <cost_model Model>
    link_table(const Model& model, std::string_view who) {
        const environment& env = model.env();
        const std::size_t nodes = env.size();
        std::vector<node_id> servers;
        for (std::size_t s = 0; s < nodes; ++s)
            if (env[static_cast<node_id>(s)].tier != tier::local)
                servers.push_back(static_cast<node_id>(s));
        const std::size_t width = servers.size() + 1;  // a device's row: the servers, then itself
        // columns_[t]: t's column in a server's row (its node id); columns_[nodes + t]: in a
        // device's row (its server index, or the device's own column for every local node).
        columns_.assign(2 * nodes, static_cast<std::uint32_t>(servers.size()));
        for (std::size_t t = 0; t < nodes; ++t) columns_[t] = static_cast<std::uint32_t>(t);
        for (std::size_t k = 0; k < servers.size(); ++k)
            columns_[nodes + servers[k]] = static_cast<std::uint32_t>(k);
        rows_.resize(nodes);
        std::size_t start = 0;
        for (std::size_t s = 0; s < nodes; ++s) {
            const bool device = env[static_cast<node_id>(s)].tier == tier::local;
            rows_[s] = {start, device ? nodes : 0};
            start += device ? width : nodes;
        }
        nodes_ = nodes;
        dense_ = dense_layout(nodes, servers.size());
        latency_.assign(dense_ ? nodes * nodes : start, 0.0);
        inverse_bandwidth_.assign(latency_.size(), 0.0);
        for (std::size_t s = 0; s < nodes; ++s) {
            const auto from = static_cast<node_id>(s);
            if (dense_ || rows_[s].columns == 0)
                for (std::size_t t = 0; t < nodes; ++t)
                    read(model, who, from, static_cast<node_id>(t));
            else
                for (const node_id to : servers) read(model, who, from, to);
        }
    }

    /// Seconds to move `bytes` from one node to another (0 on the same node). `from` and `to`
    /// must not be two distinct local devices (no placement puts them in one task): use
    /// between() where they may be.
    double time(double bytes, node_id from, node_id to) const noexcept {
        const std::size_t i = index(from, to);
        return latency_[i] + bytes * inverse_bandwidth_[i];
    }

    /// time(), and infinity between two distinct local devices, which have no usable link.
    double between(double bytes, node_id from, node_id to) const noexcept {
        if (from != to && rows_[from].columns != 0 && rows_[to].columns != 0)
            return std::numeric_limits<double>::infinity();
        return time(bytes, from, to);
    }

    std::size_t nodes() const noexcept { return nodes_; }

    /// Latency and inverse-bandwidth pairs stored: O(links), for the scale tests.
    std::size_t entries() const noexcept { return latency_.size(); }

private:
    struct row {
        std::size_t start = 0;    // of this node's row in latency_ and inverse_bandwidth_
        std::size_t columns = 0;  // 0 for a server's row, nodes() for a device's, in columns_
    };

public:
    /// The dense layout's lookup without the test of the layout, for the inner loops.
    struct dense_view {
        const double* latency;
        const double* inverse_bandwidth;
        std::size_t nodes;
        double time(double bytes, node_id from, node_id to) const noexcept {
            const std::size_t i = from * nodes + to;
            return latency[i] + bytes * inverse_bandwidth[i];
        }
    };
    /// The compact layout's lookup, likewise.
    struct compact_view {
        const double* latency;
        const double* inverse_bandwidth;
        const row* rows;
        const std::uint32_t* columns;
        double time(double bytes, node_id from, node_id to) const noexcept {
            const row& r = rows[from];
            const std::size_t i = r.start + columns[r.columns + to];
            return latency[i] + bytes * inverse_bandwidth[i];
        }
    };

    /// f(view), with the view of this table's layout: the inner loops test the layout once per
    /// evaluation, not once per transfer (which cost the zoo models 10 to 40%).
    template <class F>
    decltype(auto) visit(F&& f) const {
        if (dense_) return f(dense_view{latency_.data(), inverse_bandwidth_.data(), nodes_});
        return f(compact_view{latency_.data(), inverse_bandwidth_.data(), rows_.data(),
                              columns_.data()});
    }

    /// f(links view, compute view) for this table and `compute`, built on the same environment
    /// (so both have the same layout): two instantiations of the inner loops, not four.
    template <class Compute, class F>
    decltype(auto) visit(const Compute& compute, F&& f) const {
        if (dense_ && compute.is_dense())
            return f(dense_view{latency_.data(), inverse_bandwidth_.data(), nodes_},
                     compute.dense());
        return f(
            compact_view{latency_.data(), inverse_bandwidth_.data(), rows_.data(), columns_.data()},
            compute.compact());
    }

private:
    std::size_t index(node_id from, node_id to) const noexcept {
        if (dense_) return from * nodes_ + to;
        const row& r = rows_[from];
        return r.start + columns_[r.columns + to];
    }

    template <cost_model Model>
    void read(const Model& model, std::string_view who, node_id from, node_id to) {
        if (from == to) return;  // nothing is charged on the same node
        const std::size_t i = index(from, to);
        constexpr double probe = 1e6, check = 12345.0;
        const double fixed = model.transfer_time(0.0, from, to);
        latency_[i] = fixed;
        if (std::isinf(fixed) && fixed > 0) return;  // no link: never a valid transfer
        const double per_byte = (model.transfer_time(probe, from, to) - fixed) / probe;
        inverse_bandwidth_[i] = per_byte;
        const double expected = model.transfer_time(check, from, to);
        const double ours = time(check, from, to);
        const bool valid =
            std::isfinite(fixed) && fixed >= 0 && std::isfinite(per_byte) && per_byte >= 0;
        const bool affine =
            std::abs(expected - ours) <= 1e-9 * std::max(std::abs(expected), std::abs(ours));
        if (!valid || !affine)
            evaluator_fail(who, "the cost model's transfer_time from node " + std::to_string(from) +
                                    " to node " + std::to_string(to) +
                                    " is not latency + bytes / bandwidth with finite, "
                                    "non-negative figures (" +
                                    format_number(fixed) + " s at 0 bytes, " +
                                    format_number(expected) + " s at " + format_number(check) +
                                    " bytes, " + format_number(ours) + " s expected)");
    }

    std::size_t nodes_ = 0;
    bool dense_ = false;                       // the tables are nodes_ x nodes_, indexed (from, to)
    std::vector<row> rows_{};                  // per node
    std::vector<std::uint32_t> columns_{};     // 2 x nodes: column maps of server and device rows
    std::vector<double> latency_{};            // per stored pair, see index()
    std::vector<double> inverse_bandwidth_{};  // likewise
};

/// A value per (global layer, node) for the nodes a layer may run on (compute and upload
/// times): its task's device and every server. Column 0 is the device, column 1 + k the k-th
/// server, so the table is layers x (servers + 1), not layers x nodes: with one device per task,
/// thousands of tasks would otherwise make it quadratic. Reading a local node other than the
/// layer's own device returns the device's value; no valid placement asks for it. With few
/// devices (dense_layout()) the columns are the nodes themselves, one load shorter in the inner
/// loop, as for link_table.
class layer_node_table {
public:
    layer_node_table() = default;

    /// A table of `layers` rows, all 0.
    layer_node_table(std::size_t layers, const node_names& nodes)
        : dense_(dense_layout(nodes.size(), nodes.servers.size())),
          width_(dense_ ? nodes.size() : nodes.servers.size() + 1),
          columns_(dense_ ? 0 : nodes.size(), 0), values_(layers * width_, 0.0) {
        if (dense_) return;
        for (std::size_t k = 0; k < nodes.servers.size(); ++k)
            columns_[nodes.servers[k]] = static_cast<std::uint32_t>(k + 1);
    }

    double unchecked(std::size_t g, node_id s) const noexcept {
        return values_[g * width_ + (dense_ ? s : columns_[s])];
    }
    double& at(std::size_t g, node_id s) noexcept {
        return values_[g * width_ + (dense_ ? s : columns_[s])];
    }

    /// Doubles stored: layers x (servers + 1), for the scale tests.
    std::size_t entries() const noexcept { return values_.size(); }

    /// The dense layout's lookup without the test of the layout, for the inner loops.
    struct dense_view {
        const double* values;
        std::size_t width;
        double unchecked(std::size_t g, node_id s) const noexcept { return values[g * width + s]; }
    };
    /// The compact layout's lookup, likewise.
    struct compact_view {
        const double* values;
        std::size_t width;
        const std::uint32_t* columns;
        double unchecked(std::size_t g, node_id s) const noexcept {
            return values[g * width + columns[s]];
        }
    };

    /// f(view), with the view of this table's layout (see link_table::visit).
    template <class F>
    decltype(auto) visit(F&& f) const {
        if (dense_) return f(dense());
        return f(compact());
    }
    bool is_dense() const noexcept { return dense_; }
    dense_view dense() const noexcept { return {values_.data(), width_}; }
    compact_view compact() const noexcept { return {values_.data(), width_, columns_.data()}; }

private:
    bool dense_ = false;  // one column per node; else columns_ maps a node to its column
    std::size_t width_ = 0;
    std::vector<std::uint32_t> columns_{};  // per node
    std::vector<double> values_{};
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

    /// The span of `graph` on `device` when its layers are numbered from `first` on.
    static task_span of(const layer_graph& graph, node_id device, layer_id first = 0) {
        return {.device = device,
                .first = first,
                .last = first + graph.size(),
                .input = first + graph.input(),
                .output = first + graph.output(),
                .input_bytes = graph.input_bytes()};
    }
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
        if (!capped_.empty()) {
            std::fill(load_.begin(), load_.end(), 0.0);
            for (std::size_t g = 0; g < x.size(); ++g) load_[x[g]] += param_bytes[g];
        }
        return violation_of(load_, misplaced(x));
    }

    /// The pinned layers of `x` not on their node.
    std::size_t misplaced(std::span<const node_id> x) const noexcept {
        std::size_t count = 0;
        for (const auto& [g, s] : pinned_) count += x[g] != s ? 1 : 0;
        return count;
    }

    /// violation() from the parameter bytes on each node (`load`, indexed by node; only the
    /// capped nodes are read) and the count of misplaced pinned layers: the one place the
    /// violation is composed, for the full and the incremental evaluations.
    double violation_of(std::span<const double> load, std::size_t misplaced) const noexcept {
        double total = 0;
        for (std::size_t i = 0; i < capped_.size(); ++i) {
            const double excess = load[capped_[i]] - capacity_[i];
            if (excess > 0) total += excess / capacity_[i];
        }
        return total + static_cast<double>(misplaced);
    }

    /// The pinned layers and their nodes.
    std::span<const std::pair<layer_id, node_id>> pins() const noexcept { return pinned_; }

private:
    std::vector<node_id> capped_{};
    std::vector<double> capacity_{};
    std::vector<std::pair<layer_id, node_id>> pinned_{};
    std::vector<double> load_{};
};

/// Fills rows [first, first + graph.size()) of the compute table for the nodes a layer of
/// `device`'s task may run on; throws if a time is not finite and >= 0 (a NaN would silently
/// corrupt every comparison).
template <cost_model Model>
void fill_compute(layer_node_table& table, layer_id first, const layer_graph& graph,
                  const Model& model, const node_names& nodes, node_id device,
                  std::string_view who) {
    const std::vector<node_id> allowed = nodes.choices(device);
    for (layer_id j = 0; j < graph.size(); ++j)
        for (const node_id s : allowed) {
            const double t = model.compute_time(graph[j], s);
            table.at(first + j, s) = t;
            if (!std::isfinite(t) || t < 0)
                evaluator_fail(who, "the compute time of layer '" + graph[j].name + "' on " +
                                        nodes.describe(s) + " is " + format_number(t) +
                                        " s (must be finite and >= 0)");
        }
}

/// Fills rows of the upload table: the one-off time to upload each layer from `device` to each
/// other allowed node (0 on the device itself).
template <upload_cost_model Model>
void fill_upload(layer_node_table& table, layer_id first, const layer_graph& graph,
                 const Model& model, const node_names& nodes, node_id device,
                 std::string_view who) {
    for (layer_id j = 0; j < graph.size(); ++j)
        for (const node_id to : nodes.servers) {
            const double t = model.upload_time(graph[j], device, to);
            table.at(first + j, to) = t;
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
