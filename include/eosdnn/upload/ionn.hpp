#pragma once
/// \file ionn.hpp
/// The IONN uploading plan (Jeong et al., "IONN: Incremental Offloading of Neural Network
/// Computations from Mobile Devices to Edge Servers", SoCC'18): shortest paths on an execution
/// graph whose server edges carry a shrinking share of the upload time.

#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/optim/exact.hpp>
#include <eosdnn/upload/effective_delay.hpp>
#include <eosdnn/upload/upload_plan.hpp>
#include <eosdnn/upload/upload_problem.hpp>
#include <eosdnn/upload/upload_units.hpp>

#include <boost/graph/compressed_sparse_row_graph.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eosdnn {

namespace detail::upload {

// A cost model whose remote compute times carry `factor` times the layer's upload time: the
// server edges of IONN's execution graph.
template <class Model>
class penalised_model {
public:
    penalised_model(const Model& base, node_id device, double factor)
        : base_(&base), device_(device), factor_(factor) {}
    const environment& env() const noexcept { return base_->env(); }
    double compute_time(const layer& l, node_id s) const noexcept {
        const double t = base_->compute_time(l, s);
        return s == device_ ? t : t + factor_ * base_->upload_time(l, device_, s);
    }
    double transfer_time(double bytes, node_id from, node_id to) const noexcept {
        return base_->transfer_time(bytes, from, to);
    }

private:
    const Model* base_;
    node_id device_;
    double factor_;
};

// Shortest path of a chain where layer j may run on the device or on x_j only (Viterbi with two
// states per layer); ties go to the device.
template <class Model>
std::vector<node_id> two_choice_chain(const layer_graph& g, const Model& m,
                                      std::span<const node_id> x, node_id d) {
    const auto order = g.topological_order();
    const std::size_t n = order.size();
    std::vector<double> cost(2 * n);
    std::vector<std::uint8_t> from(2 * n, 0);
    auto node = [&](std::size_t p, int c) { return c == 0 ? d : x[order[p]]; };
    for (std::size_t p = 0; p < n; ++p) {
        const layer& l = g[order[p]];
        for (int c = 0; c < 2; ++c) {
            const node_id s = node(p, c);
            double best;
            if (p == 0) {
                best = m.transfer_time(g.input_bytes(), d, s);
            } else {
                const double bytes = g[order[p - 1]].output_bytes;
                const double via0 = cost[2 * (p - 1)] + m.transfer_time(bytes, node(p - 1, 0), s);
                const double via1 =
                    cost[2 * (p - 1) + 1] + m.transfer_time(bytes, node(p - 1, 1), s);
                best = via0;
                if (via1 < via0) {
                    best = via1;
                    from[2 * p + c] = 1;
                }
            }
            cost[2 * p + c] = best + m.compute_time(l, s);
        }
    }
    const double bytes = g[order[n - 1]].output_bytes;
    const double end0 = cost[2 * (n - 1)] + m.transfer_time(bytes, node(n - 1, 0), d);
    const double end1 = cost[2 * (n - 1) + 1] + m.transfer_time(bytes, node(n - 1, 1), d);
    int c = end1 < end0 ? 1 : 0;
    std::vector<node_id> y(n);
    for (std::size_t p = n; p-- > 0;) {
        y[order[p]] = node(p, c);
        c = from[2 * p + c];
    }
    return y;
}

// min_cut_two_nodes(graph, penalised_model(base, device, factor), device, remote, pins)'s
// placement for a series of factors, with its flow network built once: only the arcs from the
// source (remote compute times, which carry the penalty) and the INF capacity change with the
// factor. Every capacity is computed by the same expression, in the same order, and the network
// has the same arcs in the same order, so Boykov-Kolmogorov returns the same cut, bit for bit;
// the network is rebuilt if the set of arcs ever differs (a source arc whose capacity becomes 0).
template <class Model>
class ionn_min_cut {
public:
    ionn_min_cut(const layer_graph& graph, const Model& base, node_id device, node_id remote,
                 const std::vector<std::optional<node_id>>& pinned)
        : graph_(graph), base_(base), device_(device), remote_(remote) {
        detail::exact::check_two_nodes(graph, base.env(), device, remote, pinned,
                                       "min_cut_two_nodes");
        const std::size_t n = graph.size();
        on_device_.assign(n, 0);
        on_remote_.assign(n, 0);
        for (layer_id j = 0; j < n; ++j) {
            on_device_[j] = !pinned.empty() && pinned[j] && *pinned[j] == device;
            on_remote_[j] = !pinned.empty() && pinned[j] && *pinned[j] == remote;
        }
        remote_time_.resize(n);
        upload_.resize(n);
        device_time_.resize(n);
        up_.assign(n, 0);
        down_.assign(n, 0);
        for (layer_id j = 0; j < n; ++j) {
            remote_time_[j] = base.compute_time(graph[j], remote);
            upload_[j] = base.upload_time(graph[j], device, remote);
            device_time_[j] = check(base.compute_time(graph[j], device), "computing", j);
            if (graph.successors(j).empty()) continue;
            up_[j] = check(base.transfer_time(graph[j].output_bytes, device, remote),
                           "sending to the remote the output of", j);
            down_[j] = check(base.transfer_time(graph[j].output_bytes, remote, device),
                             "sending to the device the output of", j);
        }
        input_ = check(base.transfer_time(graph.input_bytes(), device, remote),
                       "sending the model input", no_layer);
        output_ = check(base.transfer_time(graph[graph.output()].output_bytes, remote, device),
                        "returning the result", no_layer);
    }

    /// The placement of the minimum cut with remote compute times t + factor * upload.
    std::vector<node_id> solve(double factor) {
        const std::size_t n = graph_.size();
        // Capacities, and finite_sum in min_cut_two_nodes' order of additions.
        double finite_sum = 0;
        to_source_.assign(n, 0);
        for (layer_id j = 0; j < n; ++j) {
            // penalised_model::compute_time(), to the last bit.
            to_source_[j] +=
                check(remote_time_[j] + factor * upload_[j], "computing", j, finite_sum);
            finite_sum += device_time_[j];
            if (graph_.successors(j).empty()) continue;
            finite_sum += up_[j];
            finite_sum += down_[j];
        }
        to_source_[graph_.input()] += input_;
        finite_sum += input_;
        to_source_[graph_.output()] += output_;
        finite_sum += output_;
        const double infinite_capacity = 2 * finite_sum + 1;
        // The arcs, in min_cut_two_nodes' order: (from, to, capacity, infinite).
        arcs_.clear();
        std::size_t vertex_count = n + 2;
        const std::size_t source = n, sink = n + 1;
        const auto add_finite = [&](std::size_t from, std::size_t to, double capacity) {
            if (capacity > 0) arcs_.push_back({from, to, capacity, false});
        };
        const auto add_infinite = [&](std::size_t from, std::size_t to) {
            arcs_.push_back({from, to, 0, true});
        };
        for (layer_id j = 0; j < n; ++j) {
            const auto succ = graph_.successors(j);
            if (succ.empty()) continue;
            if (succ.size() == 1) {
                add_finite(j, succ[0], up_[j]);
                add_finite(succ[0], j, down_[j]);
                continue;
            }
            const std::size_t up_vertex = vertex_count++, down_vertex = vertex_count++;
            add_finite(j, up_vertex, up_[j]);
            add_finite(down_vertex, j, down_[j]);
            for (layer_id k : succ) {
                add_infinite(up_vertex, k);
                add_infinite(k, down_vertex);
            }
        }
        for (layer_id j = 0; j < n; ++j) {
            if (on_device_[j])
                add_infinite(source, j);
            else
                add_finite(source, j, to_source_[j]);
            if (on_remote_[j])
                add_infinite(j, sink);
            else
                add_finite(j, sink, device_time_[j]);
        }
        bool same = built_ && arcs_.size() == built_arcs_.size();
        for (std::size_t i = 0; same && i < arcs_.size(); ++i)
            same = arcs_[i].from == built_arcs_[i].from && arcs_[i].to == built_arcs_[i].to &&
                   arcs_[i].infinite == built_arcs_[i].infinite;
        if (!same) {
            // Edge 2i is arc i, 2i + 1 its reverse; each vertex's out-edges in the order
            // min_cut_two_nodes adds them (a stable sort by source), which is the order in
            // which Boykov-Kolmogorov walks them.
            const std::size_t edges = 2 * arcs_.size();
            std::vector<std::size_t> start(vertex_count + 1, 0);
            for (const arc& a : arcs_) {
                ++start[a.from + 1];
                ++start[a.to + 1];
            }
            for (std::size_t v = 0; v < vertex_count; ++v) start[v + 1] += start[v];
            slot_.resize(edges);
            std::vector<std::pair<std::size_t, std::size_t>> sorted(edges);
            for (std::size_t i = 0; i < arcs_.size(); ++i) {
                const arc& a = arcs_[i];
                slot_[2 * i] = start[a.from]++;
                sorted[slot_[2 * i]] = {a.from, a.to};
                slot_[2 * i + 1] = start[a.to]++;
                sorted[slot_[2 * i + 1]] = {a.to, a.from};
            }
            network_ =
                flow_graph(boost::edges_are_sorted, sorted.begin(), sorted.end(), vertex_count);
            reverse_.resize(edges);
            for (std::size_t i = 0; i < arcs_.size(); ++i) {
                const edge_descriptor forward(arcs_[i].from, slot_[2 * i]);
                const edge_descriptor backward(arcs_[i].to, slot_[2 * i + 1]);
                reverse_[slot_[2 * i]] = backward;
                reverse_[slot_[2 * i + 1]] = forward;
            }
            built_arcs_ = arcs_;
            vertex_count_ = vertex_count;
            built_ = true;
        }
        capacity_.resize(2 * arcs_.size());
        for (std::size_t i = 0; i < arcs_.size(); ++i) {
            capacity_[slot_[2 * i]] = arcs_[i].infinite ? infinite_capacity : arcs_[i].capacity;
            capacity_[slot_[2 * i + 1]] = 0;
        }
        residual_.assign(capacity_.size(), 0);
        const auto edge_index = boost::get(boost::edge_index, network_);
        const auto vertex_index = boost::get(boost::vertex_index, network_);
        boost::boykov_kolmogorov_max_flow(
            network_, boost::make_iterator_property_map(capacity_.begin(), edge_index),
            boost::make_iterator_property_map(residual_.begin(), edge_index),
            boost::make_iterator_property_map(reverse_.begin(), edge_index), vertex_index, source,
            sink);
        // The sink side, as min_cut_two_nodes finds it.
        reaches_sink_.assign(vertex_count_, 0);
        stack_.assign(1, sink);
        reaches_sink_[sink] = 1;
        while (!stack_.empty()) {
            const std::size_t v = stack_.back();
            stack_.pop_back();
            for (auto [it, end] = boost::out_edges(v, network_); it != end; ++it) {
                const std::size_t u = boost::target(*it, network_);
                if (reaches_sink_[u]) continue;
                if (residual_[get(edge_index, reverse_[get(edge_index, *it)])] > 0) {
                    reaches_sink_[u] = 1;
                    stack_.push_back(u);
                }
            }
        }
        std::vector<node_id> placement(n);
        for (layer_id j = 0; j < n; ++j) placement[j] = reaches_sink_[j] ? remote_ : device_;
        return placement;
    }

private:
    static constexpr layer_id no_layer = std::numeric_limits<layer_id>::max();
    double check(double value, std::string_view what, layer_id j) const {
        if (!std::isfinite(value) || value < 0) {
            std::string subject(what);
            if (j != no_layer) subject += " " + detail::exact::layer_label(graph_, j);
            detail::exact::fail("min_cut_two_nodes", "the cost model returned " +
                                                         detail::exact::format(value) + " s for " +
                                                         subject + " (must be finite and >= 0)");
        }
        return value;
    }
    double check(double value, std::string_view what, layer_id j, double& sum) const {
        sum += check(value, what, j);
        return value;
    }

    struct arc {
        std::size_t from, to;
        double capacity;
        bool infinite;
    };
    // Compressed rows rather than min_cut_two_nodes' adjacency list: the same out-edges in the
    // same order (so the same flow and cut, bit for bit), stored contiguously, and built once.
    using flow_graph = boost::compressed_sparse_row_graph<boost::directedS>;
    using edge_descriptor = typename boost::graph_traits<flow_graph>::edge_descriptor;

    const layer_graph& graph_;
    const Model& base_;
    node_id device_, remote_;
    std::vector<std::uint8_t> on_device_, on_remote_;
    std::vector<double> remote_time_, upload_, device_time_, up_, down_;
    double input_ = 0, output_ = 0;
    std::vector<double> to_source_;
    std::vector<arc> arcs_, built_arcs_;
    bool built_ = false;
    std::size_t vertex_count_ = 0;
    flow_graph network_;
    std::vector<edge_descriptor> reverse_;
    std::vector<std::size_t> slot_;  // edge index in network_ of edge 2i (arc i), 2i + 1
    std::vector<double> capacity_, residual_;
    std::vector<char> reaches_sink_;
    std::vector<std::size_t> stack_;
};

}  // namespace detail::upload

/// IONN's incremental plan. For k = 1 - K^level, level = 0, 1, 2, ..., it finds the fastest
/// placement in which each layer runs on the device or on its target node, when running a layer
/// remotely also costs (1 - k) times its upload time (transfer and load): with k = 0 only layers
/// worth their whole upload go remote, and as k grows towards 1 the plan approaches the target
/// placement. Each plan that adds layers is the next upload step: the added layers, one partition
/// per node. The levels stop after the first k > `stop_k`; the target's remote layers still
/// missing then form the last step.
///
/// Layers without parameters carry no penalty; a step made only of them joins the next step to
/// the same node (finish_plan()). The shortest path is Viterbi on a chain (any number of remote
/// nodes) and an s-t minimum cut on a DAG (min_cut_two_nodes), which needs the placement to use
/// at most one remote node; otherwise the planner throws eosdnn::error (validation).
struct ionn_planner {
    double penalty_decay = 0.8;  ///< IONN's K, in (0, 1)
    double stop_k = 0.999;       ///< last level: the first with k above this, in (0, 1)

    /// "ionn": the planner name recorded in upload_plan::planner.
    std::string_view name() const noexcept { return "ionn"; }

    /// The IONN plan for uploading `problem`'s placement. Throws eosdnn::error (validation) if
    /// penalty_decay or stop_k is outside (0, 1), or a DAG's placement uses more than one remote
    /// node.
    template <upload_cost_model Model>
    upload_plan plan(const upload_problem<Model>& problem) const {
        return finish_plan(std::string(name()), problem.delay(), upload_units{}, steps(problem));
    }

    /// The steps of plan() before finish_plan() (which adds the problem's per-partition
    /// overheads to them): they depend on the placement and the cost model, not on
    /// upload_cost_options. Throws as plan() does.
    template <upload_cost_model Model>
    std::vector<upload_partition> steps(const upload_problem<Model>& problem) const {
        constexpr std::string_view where = "ionn_planner";
        if (!(penalty_decay > 0 && penalty_decay < 1))
            detail::upload::fail(where, "penalty_decay (K) is " + std::to_string(penalty_decay) +
                                            " (must be in (0, 1))");
        if (!(stop_k > 0 && stop_k < 1))
            detail::upload::fail(where,
                                 "stop_k is " + std::to_string(stop_k) + " (must be in (0, 1))");
        const effective_delay<Model>& q = problem.delay();
        const layer_graph& graph = problem.graph();
        const Model& model = problem.model();
        const auto x = problem.placement();
        const node_id device = problem.device();
        std::optional<node_id> remote;
        for (layer_id j = 0; j < x.size(); ++j) {
            if (x[j] == device) continue;
            if (!graph.is_chain() && remote && *remote != x[j])
                detail::upload::fail(where, "the placement of DAG model '" + graph.name() +
                                                "' uses two remote nodes; IONN's minimum cut "
                                                "plans for one server");
            remote = x[j];
        }
        std::vector<std::optional<node_id>> pins(graph.size());
        for (layer_id j = 0; j < x.size(); ++j)
            if (x[j] == device) pins[j] = device;

        std::vector<std::uint8_t> uploaded(graph.size(), 0);
        std::size_t missing = 0;  // remote layers of the target not yet in a step
        for (layer_id j = 0; j < x.size(); ++j) missing += x[j] != device;
        std::vector<upload_partition> planned;
        auto add_step = [&](auto&& is_new) {
            for (node_id s = 0; s < model.env().size(); ++s) {
                if (s == device) continue;
                upload_partition part{.node = s};
                for (std::size_t p = 0; p < q.size(); ++p) {
                    const layer_id j = q.layer_at(p);
                    if (!uploaded[j] && x[j] == s && is_new(j)) part.layers.push_back(j);
                }
                for (layer_id j : part.layers) uploaded[j] = 1;
                missing -= part.layers.size();
                if (!part.layers.empty()) planned.push_back(std::move(part));
            }
        };
        if (remote) {
            // On a DAG, one flow network for every level (its capacities change, not its arcs).
            std::optional<detail::upload::ionn_min_cut<Model>> cut;
            if (!graph.is_chain()) cut.emplace(graph, model, device, *remote, pins);
            for (int level = 0;; ++level) {
                const double k = 1 - std::pow(penalty_decay, level);
                const detail::upload::penalised_model<Model> penalised(model, device, 1 - k);
                std::vector<node_id> y =
                    graph.is_chain() ? detail::upload::two_choice_chain(graph, penalised, x, device)
                                     : cut->solve(1 - k);
                add_step([&](layer_id j) { return y[j] != device; });
                // Once every remote layer is in a step, later levels cannot add one: each
                // minimum cut is O(n) or more, so a wide model skips them.
                if (k > stop_k || missing == 0) break;
            }
            add_step([](layer_id) { return true; });
        }
        return planned;
    }
};

}  // namespace eosdnn
