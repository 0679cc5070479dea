#pragma once
/// \file effective_delay.hpp
/// Query latency while a model is being uploaded: the sequential migration delay of the
/// *effective placement* (a layer runs on its target node once its partition is acknowledged,
/// on the device before), with prefix sums and boundary-only re-pricing so that a planner can
/// score a candidate range of layers in time independent of its length.

#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/detail/tables.hpp>
#include <eosdnn/cost/sequential_delay.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/upload/upload_plan.hpp>

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace eosdnn {

/// Prices queries under partial uploads of a target placement `x` owned by `device`.
///
/// Q(U) is the sequential delay of the effective placement e (e_j = x_j if layer j is
/// acknowledged, else the device): every compute time, each layer's output once per other node
/// that hosts one of its consumers, the input transfer and the return of the result: the
/// formula of cost/sequential_delay.hpp (the same kernel) applied to e.
///
/// Layers are addressed by their *position* in the graph's topological order, because planners
/// work on ranges of consecutive positions. For a range R of unacknowledged layers that share one
/// target node, Q(U) - Q(U + R) needs only
/// - the compute saving, a difference of two prefix sums, and
/// - the transfers of the *boundary producers*: layers of R with a consumer outside R and layers
///   outside R with a consumer inside R (the input and return transfers when R holds the input or
///   output layer). Every other transfer is inside R (device to device before, s to s after: free
///   both times) or untouched.
/// The boundary producers are found from the edges that cross the cut before the first and after
/// the last position of R, precomputed per position, so a range costs O(w * d) for a graph of
/// cut width w and out-degree d: O(1) on a chain.
///
/// The class keeps the acknowledged set as its state (upload(), reset()); gain() and delay() are
/// const and allocation-free.
template <upload_cost_model Model>
class effective_delay {
public:
    /// Precomputes compute times, upload times and crossing edges. Throws eosdnn::error
    /// (validation) if the placement or the device is invalid (see check_upload_plan()).
    effective_delay(const layer_graph& graph, const Model& model, std::span<const node_id> x,
                    node_id device = 0)
        : graph_(&graph), model_(&model), x_(x.begin(), x.end()), device_(device) {
        detail::upload::check_inputs("effective_delay", graph, model.env(), x, device);
        const std::size_t n = graph.size();
        const auto order = graph.topological_order();
        const auto rank = graph.topological_rank();
        order_.assign(order.begin(), order.end());
        layers_.append(graph);
        task_ = detail::task_span{.device = device,
                                  .first = 0,
                                  .last = n,
                                  .input = graph.input(),
                                  .output = graph.output(),
                                  .input_bytes = graph.input_bytes()};
        rank_.assign(rank.begin(), rank.end());
        t_device_.resize(n);
        t_target_.resize(n);
        upload_time_.resize(n);
        saving_prefix_.assign(n + 1, 0);
        upload_prefix_.assign(n + 1, 0);
        for (std::size_t p = 0; p < n; ++p) {
            const layer_id j = order_[p];
            t_device_[j] = model.compute_time(graph[j], device);
            t_target_[j] = x_[j] == device ? t_device_[j] : model.compute_time(graph[j], x_[j]);
            saving_prefix_[p + 1] = saving_prefix_[p] + (t_device_[j] - t_target_[j]);
            const double up = x_[j] == device ? 0.0 : model.upload_time(graph[j], device, x_[j]);
            if (!(up >= 0) || up != up)
                detail::upload::fail("effective_delay", "the upload time of " +
                                                            detail::upload::layer_label(graph, j) +
                                                            " is negative or not a number");
            upload_time_[j] = up;
            upload_prefix_[p + 1] = upload_prefix_[p] + up;
        }
        // crossing(p): edges u -> v with rank(u) < p <= rank(v), i.e. over the cut before p.
        std::vector<std::size_t> count(n + 2, 0);
        for (layer_id u = 0; u < n; ++u)
            for (layer_id v : graph.successors(u))
                for (std::size_t p = rank_[u] + 1; p <= rank_[v]; ++p) ++count[p + 1];
        cross_begin_.assign(n + 2, 0);
        for (std::size_t p = 0; p <= n; ++p) cross_begin_[p + 1] = cross_begin_[p] + count[p + 1];
        cross_.resize(cross_begin_[n + 1]);
        std::vector<std::size_t> fill(cross_begin_.begin(), cross_begin_.end() - 1);
        for (layer_id u = 0; u < n; ++u)
            for (layer_id v : graph.successors(u))
                for (std::size_t p = rank_[u] + 1; p <= rank_[v]; ++p) cross_[fill[p]++] = {u, v};
        acked_.assign(n, 0);
        current_ = delay_of([this](layer_id j) { return node_of(j); });
    }

    /// The graph being uploaded (referenced, not copied: it must outlive this object).
    const layer_graph& graph() const noexcept { return *graph_; }
    /// The cost model the times come from (referenced, not copied).
    const Model& model() const noexcept { return *model_; }
    /// The target placement x, one node per layer id.
    std::span<const node_id> placement() const noexcept { return x_; }
    /// The device that owns the model and runs every layer not yet acknowledged.
    node_id device() const noexcept { return device_; }
    /// Number of layers, which is also the number of topological positions.
    std::size_t size() const noexcept { return order_.size(); }

    /// Layer at topological position `p`.
    layer_id layer_at(std::size_t p) const noexcept { return order_[p]; }
    /// Position of layer `j` in the topological order (the inverse of layer_at()).
    std::size_t position(layer_id j) const noexcept { return rank_[j]; }

    /// Upload time (transfer and load) of layer `j` to its target; 0 for a layer on the device.
    double upload_time(layer_id j) const noexcept { return upload_time_[j]; }

    /// Upload time of the layers at positions first..last (inclusive).
    double upload_time(std::size_t first, std::size_t last) const noexcept {
        return upload_prefix_[last + 1] - upload_prefix_[first];
    }

    /// Node on which layer `j` runs under the current acknowledged set.
    node_id node_of(layer_id j) const noexcept { return acked_[j] ? x_[j] : device_; }

    /// True if layer `j` has been acknowledged.
    bool acknowledged(layer_id j) const noexcept { return acked_[j] != 0; }

    /// Q(U) for the current acknowledged set U.
    double current() const noexcept { return current_; }

    /// Q for an arbitrary acknowledged set (one flag per layer_id), from scratch in O(n + E).
    double delay(std::span<const std::uint8_t> acked) const {
        assert(acked.size() == size());
        return delay_of([&](layer_id j) { return acked[j] ? x_[j] : device_; });
    }

    /// Number of layers that run away from the device under the acknowledged set `acked`.
    std::size_t remote_layers(std::span<const std::uint8_t> acked) const noexcept {
        std::size_t count = 0;
        for (layer_id j = 0; j < size(); ++j) count += acked[j] && x_[j] != device_;
        return count;
    }

    /// Q(U) - Q(U + R) for R = the layers at positions first..last, all unacknowledged and all
    /// with the same target node. Positive when uploading R makes queries faster.
    double gain(std::size_t first, std::size_t last) const noexcept {
        assert(first <= last && last < size());
        const node_id s = x_[order_[first]];
        auto in_range = [&](layer_id v) { return rank_[v] >= first && rank_[v] <= last; };
        auto after = [&](layer_id v) { return in_range(v) ? s : node_of(v); };
        auto before = [&](layer_id v) { return node_of(v); };

        double g = saving_prefix_[last + 1] - saving_prefix_[first];
        const layer_id in = graph_->input(), out = graph_->output();
        if (in_range(in))
            g += model_->transfer_time(graph_->input_bytes(), device_, device_) -
                 model_->transfer_time(graph_->input_bytes(), device_, s);
        if (in_range(out)) {
            const double bytes = (*graph_)[out].output_bytes;
            g += model_->transfer_time(bytes, device_, device_) -
                 model_->transfer_time(bytes, s, device_);
        }
        // Boundary producers, each priced once: at most w per side, deduplicated in place.
        layer_id seen[max_boundary];
        std::size_t seen_count = 0;
        bool overflow = false;
        auto visit = [&](layer_id p) {
            for (std::size_t i = 0; i < seen_count; ++i)
                if (seen[i] == p) return;
            if (seen_count == max_boundary) {
                overflow = true;
                return;
            }
            seen[seen_count++] = p;
            g += producer_cost(p, before) - producer_cost(p, after);
        };
        for (std::size_t i = cross_begin_[first]; i < cross_begin_[first + 1]; ++i)
            if (rank_[cross_[i].second] <= last) visit(cross_[i].first);
        for (std::size_t i = cross_begin_[last + 1]; i < cross_begin_[last + 2]; ++i)
            if (rank_[cross_[i].first] >= first) visit(cross_[i].first);
        if (overflow) return slow_gain(first, last);
        return g;
    }

    /// Marks the layers at positions first..last as acknowledged (same preconditions as gain()).
    void upload(std::size_t first, std::size_t last) noexcept {
        const double g = gain(first, last);
        for (std::size_t p = first; p <= last; ++p) acked_[order_[p]] = 1;
        current_ -= g;
    }

    /// Marks one layer as acknowledged, whatever its neighbours (re-prices from scratch).
    void upload_layer(layer_id j) {
        acked_[j] = 1;
        current_ = delay_of([this](layer_id v) { return node_of(v); });
    }

    /// Forgets every acknowledgement.
    void reset() {
        acked_.assign(size(), 0);
        current_ = delay_of([this](layer_id j) { return node_of(j); });
    }

    /// The acknowledged flags, one per layer_id.
    std::span<const std::uint8_t> acked() const noexcept { return acked_; }

private:
    static constexpr std::size_t max_boundary = 64;

    // Seconds to move bytes between two nodes (0 on one node).
    double transfer(double bytes, node_id from, node_id to) const noexcept {
        return from == to ? 0.0 : model_->transfer_time(bytes, from, to);
    }

    // What layer p's output costs to ship: once to each other node hosting a consumer.
    template <class NodeOf>
    double producer_cost(layer_id p, const NodeOf& node) const noexcept {
        double device_part = 0;
        return detail::send_time(
            layers_.successors(p), node(p), layers_.output_bytes[p], device_, node,
            [this](double b, node_id f, node_id t) { return transfer(b, f, t); }, device_part);
    }

    // Q for the effective placement `node`, by the one sequential-delay kernel.
    template <class NodeOf>
    double delay_of(const NodeOf& node) const {
        return detail::sequential_delay_parts(
                   layers_, task_, node,
                   [this](layer_id j, node_id s) {
                       return s == device_ ? t_device_[j] : t_target_[j];
                   },
                   [this](double b, node_id f, node_id t) { return transfer(b, f, t); })
            .delay_s;
    }

    // Fallback for extremely wide cuts: the difference of two full evaluations.
    double slow_gain(std::size_t first, std::size_t last) const {
        const node_id s = x_[order_[first]];
        auto after = [&](layer_id v) {
            return rank_[v] >= first && rank_[v] <= last ? s : node_of(v);
        };
        return current_ - delay_of(after);
    }

    const layer_graph* graph_;
    const Model* model_;
    std::vector<node_id> x_;
    node_id device_;
    std::vector<layer_id> order_;
    detail::layer_table layers_{};
    detail::task_span task_{};
    std::vector<std::size_t> rank_;
    std::vector<double> t_device_, t_target_, upload_time_;
    std::vector<double> saving_prefix_, upload_prefix_;
    std::vector<std::size_t> cross_begin_;
    std::vector<std::pair<layer_id, layer_id>> cross_;
    std::vector<std::uint8_t> acked_;
    double current_ = 0;
};

}  // namespace eosdnn
