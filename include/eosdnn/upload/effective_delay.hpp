#pragma once
/// \file effective_delay.hpp
/// Query latency while a model is being uploaded: the sequential migration delay of the
/// *effective placement* (a layer runs on its target node once its partition is acknowledged,
/// on the device before), with prefix sums and boundary-only re-pricing so that a planner can
/// score a candidate range of layers in time independent of its length.

#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/detail/pairwise_sum.hpp>
#include <eosdnn/cost/detail/tables.hpp>
#include <eosdnn/cost/sequential_delay.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/upload/upload_plan.hpp>

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
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
/// cut width w and out-degree d: O(1) on a chain. Where those lists would grow past a budget
/// linear in the graph (a fan of many parallel layers has n cuts of width n), they are not built
/// and the boundary producers are read from R's own edges instead, in O(|R| * d). A producer
/// with more than 64 consumers (the fan's input) keeps a count of its consumers per node, updated
/// by upload(), so its transfers cost O(nodes) to re-price, not O(consumers).
///
/// The class keeps the acknowledged set as its state (upload(), reset()); gain() and delay() are
/// const and allocation-free.
template <upload_cost_model Model>
class effective_delay {
public:
    /// Precomputes compute times, upload times and crossing edges. Throws eosdnn::error
    /// (validation) if the placement or the device is invalid (see check_upload_plan()); the
    /// message starts with `who` (upload_problem passes its own name: a planner's user never
    /// built an effective_delay).
    effective_delay(const layer_graph& graph, const Model& model, std::span<const node_id> x,
                    node_id device = 0, std::string_view who = "effective_delay")
        : effective_delay(graph, model, x, device, upload_cost_options{}, who) {}

    /// The same, with the per-partition costs of `costs` (partition_overhead(); the other
    /// constructor takes the defaults: the overhead on).
    effective_delay(const layer_graph& graph, const Model& model, std::span<const node_id> x,
                    node_id device, const upload_cost_options& costs,
                    std::string_view who = "effective_delay")
        : graph_(&graph), model_(&model), x_(x.begin(), x.end()), device_(device), costs_(costs) {
        detail::upload::check_inputs(who, graph, model.env(), x, device);
        overhead_.resize(model.env().size());
        for (node_id s = 0; s < overhead_.size(); ++s)
            overhead_[s] = partition_overhead_s(model.env(), device, s, costs);
        const std::size_t n = graph.size();
        const auto order = graph.topological_order();
        const auto rank = graph.topological_rank();
        order_.assign(order.begin(), order.end());
        layers_.append(graph);
        task_ = detail::task_span::of(graph, device);
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
                detail::upload::fail(who, "the upload time of " +
                                              detail::upload::layer_label(graph, j) +
                                              " is negative or not a number");
            upload_time_[j] = up;
            upload_prefix_[p + 1] = upload_prefix_[p] + up;
        }
        // crossing(p): edges u -> v with rank(u) < p <= rank(v), i.e. over the cut before p.
        // Their total is the sum of the edges' rank spans: quadratic in the width of a fan, so
        // past a budget linear in the graph the lists are not built and gain() reads the
        // range's own edges instead ("wide" mode).
        std::size_t edges = 0, spans = 0;
        for (layer_id u = 0; u < n; ++u)
            for (layer_id v : graph.successors(u)) {
                ++edges;
                spans += rank_[v] - rank_[u];
            }
        wide_ = spans > cross_budget_per_item * (n + edges);
        std::vector<std::size_t> count(n + 2, 0);
        if (!wide_)
            for (layer_id u = 0; u < n; ++u)
                for (layer_id v : graph.successors(u))
                    for (std::size_t p = rank_[u] + 1; p <= rank_[v]; ++p) ++count[p + 1];
        cross_begin_.assign(n + 2, 0);
        for (std::size_t p = 0; p <= n; ++p) cross_begin_[p + 1] = cross_begin_[p] + count[p + 1];
        cross_.resize(cross_begin_[n + 1]);
        std::vector<std::size_t> fill(cross_begin_.begin(), cross_begin_.end() - 1);
        if (!wide_)
            for (layer_id u = 0; u < n; ++u)
                for (layer_id v : graph.successors(u))
                    for (std::size_t p = rank_[u] + 1; p <= rank_[v]; ++p)
                        cross_[fill[p]++] = {u, v};
        last_consumer_.assign(n, 0);
        hub_of_.assign(n, none);
        for (layer_id u = 0; u < n; ++u) {
            const auto succ = graph.successors(u);
            for (layer_id v : succ) last_consumer_[u] = std::max(last_consumer_[u], rank_[v]);
            if (succ.size() <= max_boundary) continue;
            hub_of_[u] = hubs_.size();
            hub h{.layer = u};
            for (layer_id v : succ) h.consumer_ranks.push_back(rank_[v]);
            std::sort(h.consumer_ranks.begin(), h.consumer_ranks.end());
            hubs_.push_back(std::move(h));
        }
        reset_hubs();
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

    /// What one partition to `node` costs beyond its layers: partition_overhead_s() under the
    /// upload_cost_options this object was built with (0 for the device).
    double partition_overhead(node_id node) const noexcept { return overhead_[node]; }

    /// Upload time of the layers at positions first..last sent as one partition to the target
    /// of the layer at `first`: upload_time(first, last) + partition_overhead(). What every
    /// planner prices a candidate partition with, and what upload_partition::upload_s holds.
    double partition_upload_time(std::size_t first, std::size_t last) const noexcept {
        return upload_time(first, last) + overhead_[x_[order_[first]]];
    }

    /// The per-partition costs this object charges.
    const upload_cost_options& cost_options() const noexcept { return costs_; }

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

    /// delay() of one acknowledged set after another, each re-priced from the one before: only
    /// the per-layer terms of the layers whose flag changed and of their producers are priced
    /// again, and their pairwise sum is kept as a tree of the same shape as the full pass's sum
    /// (cost/detail/pairwise_sum.hpp), so every value is delay()'s to the last bit, in time
    /// proportional to the change (and a scan of the flags). The effective_delay must outlive it.
    class tracker {
    public:
        /// Starts at the empty acknowledged set (every layer on the device), priced in full.
        explicit tracker(const effective_delay& q)
            : q_(&q), acked_(q.size(), 0), dirty_(q.size(), 0), shape_(q.size(), 1),
              tree_(shape_.doubles(), 0.0), marked_(q.size()) {
            for (layer_id g = 0; g < q.size(); ++g) *shape_.row(tree_, 0, g) = term(g);
            shape_.build(tree_);
        }

        /// How many of the flags of `acked` (0 or 1 each) differ from the last set priced: what
        /// delay(acked) would re-price.
        std::size_t distance(std::span<const std::uint8_t> acked) const noexcept {
            const std::size_t n = acked_.size();
            std::size_t count = 0, j = 0;
            for (; j + 8 <= n; j += 8) {
                std::uint64_t a = 0, b = 0;
                std::memcpy(&a, acked.data() + j, 8);
                std::memcpy(&b, acked_.data() + j, 8);
                count += differing_bytes(a ^ b);
            }
            for (; j < n; ++j) count += (acked[j] != 0) != (acked_[j] != 0);
            return count;
        }

        /// delay(acked), bit for bit.
        double delay(std::span<const std::uint8_t> acked) {
            assert(acked.size() == acked_.size());
            std::size_t marked = 0;  // into marked_, which holds every layer at most once
            const auto mark = [&](layer_id g) {
                if (!dirty_[g]) {
                    dirty_[g] = 1;
                    marked_[marked++] = g;
                }
            };
            const std::size_t n = acked_.size();
            for (layer_id j = 0; j < n; ++j) {
                // Eight flags at a time while they match (the common case: a set differs from
                // the last one in a few runs of layers).
                if (j % 8 == 0) {
                    while (j + 8 <= n) {
                        std::uint64_t a = 0, b = 0;
                        std::memcpy(&a, acked.data() + j, 8);
                        std::memcpy(&b, acked_.data() + j, 8);
                        if (a != b) break;
                        j += 8;
                    }
                    if (j >= n) break;
                }
                if ((acked[j] != 0) == (acked_[j] != 0)) continue;
                acked_[j] = acked[j] != 0;
                // Layer j's node changes its own term and those of its producers (they may
                // now send to another node).
                if (q_->x_[j] == q_->device_) continue;
                mark(j);
                for (layer_id u : q_->layers_.predecessors(j)) mark(u);
            }
            if (marked == 0) return *shape_.root(tree_);
            changed_.assign(marked_.begin(), marked_.begin() + static_cast<std::ptrdiff_t>(marked));
            if (changed_.size() * 16 < n) {
                std::sort(changed_.begin(), changed_.end());
            } else {  // many: in order from the flags
                changed_.clear();
                for (layer_id g = 0; g < n; ++g)
                    if (dirty_[g]) changed_.push_back(g);
            }
            for (layer_id g : changed_) {
                *shape_.row(tree_, 0, g) = term(g);
                dirty_[g] = 0;
            }
            shape_.update(tree_, changed_);
            return *shape_.root(tree_);
        }

    private:
        // How many of the eight bytes of x are not 0, without a popcount instruction (which
        // -march=x86-64 turns into a libgcc call): each byte's high bit set iff it is not 0,
        // then the bits summed by one multiplication.
        static std::size_t differing_bytes(std::uint64_t x) noexcept {
            constexpr std::uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;
            const std::uint64_t nonzero = (((x & low7) + low7) | x) & ~low7;
            return static_cast<std::size_t>(((nonzero >> 7) * 0x0101010101010101ULL) >> 56);
        }

        // Layer g's term of the full pass under acked_.
        double term(layer_id g) const {
            const effective_delay& q = *q_;
            return detail::sequential_layer_parts(
                       q.layers_, q.task_, g,
                       [this](layer_id j) { return acked_[j] ? q_->x_[j] : q_->device_; },
                       [&q](layer_id j, node_id s) {
                           return s == q.device_ ? q.t_device_[j] : q.t_target_[j];
                       },
                       [&q](double b, node_id f, node_id t) { return q.transfer(b, f, t); })
                .delay_s;
        }

        const effective_delay* q_;
        std::vector<std::uint8_t> acked_, dirty_;
        detail::pairwise_shape shape_;
        std::vector<double> tree_;
        std::vector<std::size_t> changed_, marked_;
    };

    /// The transfers out of the device (to any node) of one query under the acknowledged set
    /// `acked`, in the order they occur: `sink(offset_s, duration_s)` for each. The query runs
    /// its layers one after another in topological order, as the sequential delay prices them:
    /// the model input is sent to its first layer's node first, then each layer computes, sends
    /// its output once to each other node hosting a consumer, and the output layer returns the
    /// result; the offset of a transfer is the sum of the times before it. O(n + E).
    template <class Sink>
    void uplink_sends(std::span<const std::uint8_t> acked, Sink&& sink) const {
        assert(acked.size() == size());
        const auto node = [&](layer_id j) { return acked[j] ? x_[j] : device_; };
        double clock = 0;
        std::vector<node_id> served;
        for (const layer_id g : order_) {
            const node_id here = node(g);
            if (g == task_.input) {
                const double in = transfer(task_.input_bytes, device_, here);
                if (here != device_) sink(clock, in);
                clock += in;
            }
            clock += here == device_ ? t_device_[g] : t_target_[g];
            served.clear();
            for (const layer_id c : layers_.successors(g)) {
                const node_id to = node(c);
                if (to == here || std::find(served.begin(), served.end(), to) != served.end())
                    continue;
                served.push_back(to);
                const double t = transfer(layers_.output_bytes[g], here, to);
                if (here == device_) sink(clock, t);
                clock += t;
            }
            if (g == task_.output) clock += transfer(layers_.output_bytes[g], here, device_);
        }
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
            if (hub_of_[p] != none)
                g += hub_gain(p, first, last, s);
            else
                g += producer_cost(p, before) - producer_cost(p, after);
        };
        if (!wide_) {
            for (std::size_t i = cross_begin_[first]; i < cross_begin_[first + 1]; ++i)
                if (rank_[cross_[i].second] <= last) visit(cross_[i].first);
            for (std::size_t i = cross_begin_[last + 1]; i < cross_begin_[last + 2]; ++i)
                if (rank_[cross_[i].first] >= first) visit(cross_[i].first);
        } else {
            // The range's own edges: O(its length and in-degrees), whatever the cut width.
            for (std::size_t p = first; p <= last && !overflow; ++p) {
                const layer_id j = order_[p];
                for (layer_id u : layers_.predecessors(j))
                    if (rank_[u] < first) visit(u);
                if (last_consumer_[j] > last) visit(j);
            }
        }
        if (overflow) return slow_gain(first, last);
        return g;
    }

    /// Marks the layers at positions first..last as acknowledged. Throws eosdnn::error
    /// (validation), and changes nothing, unless the preconditions of gain() hold: a range
    /// inside the model whose layers are all unacknowledged and share one target node (a layer
    /// acknowledged twice would be priced as moved twice; upload_layer() is the call for a layer
    /// whatever its state).
    void upload(std::size_t first, std::size_t last) {
        constexpr std::string_view where = "effective_delay::upload";
        if (first > last || last >= size())
            detail::upload::fail(where, "positions " + std::to_string(first) + ".." +
                                            std::to_string(last) + " are not a range of the " +
                                            std::to_string(size()) + " layers");
        const node_id s = x_[order_[first]];
        for (std::size_t p = first; p <= last; ++p) {
            const layer_id j = order_[p];
            if (acked_[j])
                detail::upload::fail(
                    where, detail::upload::layer_label(*graph_, j) + " is already acknowledged");
            if (x_[j] != s)
                detail::upload::fail(where,
                                     detail::upload::layer_label(*graph_, j) +
                                         " has another target node than " +
                                         detail::upload::layer_label(*graph_, order_[first]));
        }
        const double g = gain(first, last);
        for (std::size_t p = first; p <= last; ++p) {
            acked_[order_[p]] = 1;
            hub_moved(order_[p]);
        }
        current_ -= g;
    }

    /// Marks one layer as acknowledged, whatever its neighbours (re-prices from scratch).
    void upload_layer(layer_id j) {
        if (!acked_[j]) {
            acked_[j] = 1;
            hub_moved(j);
        }
        current_ = delay_of([this](layer_id v) { return node_of(v); });
    }

    /// Forgets every acknowledgement.
    void reset() {
        acked_.assign(size(), 0);
        reset_hubs();
        current_ = delay_of([this](layer_id j) { return node_of(j); });
    }

    /// For a layer with more than 64 consumers: a counter that changes whenever the set of nodes
    /// running its consumers changes (the only thing its transfers depend on while it stays on
    /// the device). 0 for every other layer.
    std::uint64_t consumer_nodes_version(layer_id p) const noexcept {
        return hub_of_[p] == none ? 0 : hubs_[hub_of_[p]].version;
    }

    /// The acknowledged flags, one per layer_id.
    std::span<const std::uint8_t> acked() const noexcept { return acked_; }

private:
    static constexpr std::size_t max_boundary = 64;
    static constexpr std::size_t none = static_cast<std::size_t>(-1);
    // Crossing lists are kept while their total stays within this many entries per layer and
    // edge: always on chains and the zoo's DAGs, never on a fan of hundreds of branches.
    static constexpr std::size_t cross_budget_per_item = 32;

    // A producer with more than max_boundary consumers: how many of them run on each node under
    // the acknowledged set, kept up to date by upload(), so that its transfers are priced from
    // these counts in O(nodes) rather than from its consumer list in O(consumers).
    struct hub {
        layer_id layer = 0;
        std::vector<std::size_t> consumer_ranks{};                 // ascending
        std::vector<std::pair<node_id, std::size_t>> per_node_{};  // node, consumers there
        std::uint64_t version = 1;  // bumped when a node gains its first or loses its last
    };

    void reset_hubs() {
        for (hub& h : hubs_) {
            h.per_node_.assign(1, {device_, h.consumer_ranks.size()});
            ++h.version;
        }
    }

    // Layer j has just been acknowledged: its producers' hubs count it on x_j.
    void hub_moved(layer_id j) {
        if (x_[j] == device_) return;
        for (layer_id u : layers_.predecessors(j)) {
            if (hub_of_[u] == none) continue;
            hub& h = hubs_[hub_of_[u]];
            auto& counts = h.per_node_;
            if (--counts.front().second == 0) ++h.version;  // the device's entry, always first
            auto it = std::find_if(counts.begin(), counts.end(),
                                   [&](const auto& e) { return e.first == x_[j]; });
            if (it == counts.end()) counts.push_back({x_[j], 0});
            it = std::find_if(counts.begin(), counts.end(),
                              [&](const auto& e) { return e.first == x_[j]; });
            if (it->second++ == 0) ++h.version;
        }
    }

    // What hub p's output costs under the current set minus with positions first..last moved
    // to s: its consumers there leave the device for s, and so does p if it is in the range.
    double hub_gain(layer_id p, std::size_t first, std::size_t last, node_id s) const noexcept {
        const hub& h = hubs_[hub_of_[p]];
        const auto lo = std::lower_bound(h.consumer_ranks.begin(), h.consumer_ranks.end(), first);
        const auto hi = std::upper_bound(lo, h.consumer_ranks.end(), last);
        const auto moved = static_cast<std::size_t>(hi - lo);
        const double bytes = layers_.output_bytes[p];
        const node_id from = node_of(p);
        const node_id to_after = rank_[p] >= first && rank_[p] <= last ? s : from;
        double before = 0, after = 0;
        bool s_seen = false;
        for (const auto& [node, count] : h.per_node_) {
            if (count > 0) before += transfer(bytes, from, node);
            std::size_t count_after = count;
            if (node == device_) count_after -= moved;
            if (node == s) {
                count_after += moved;
                s_seen = true;
            }
            if (count_after > 0) after += transfer(bytes, to_after, node);
        }
        if (!s_seen && moved > 0) after += transfer(bytes, to_after, s);
        return before - after;
    }

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

    // Q for the effective placement `node`, by the one sequential-delay kernel (its delay only:
    // the device's shares are summed in columns of their own, which do not change it).
    template <class NodeOf>
    double delay_of(const NodeOf& node) const {
        return detail::sequential_delay_parts<false>(
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
    upload_cost_options costs_{};
    std::vector<double> overhead_{};  // partition_overhead() per node
    std::vector<layer_id> order_;
    detail::layer_table layers_{};
    detail::task_span task_{};
    std::vector<std::size_t> rank_;
    std::vector<double> t_device_, t_target_, upload_time_;
    std::vector<double> saving_prefix_, upload_prefix_;
    std::vector<std::size_t> cross_begin_;
    std::vector<std::pair<layer_id, layer_id>> cross_;
    bool wide_ = false;                       // no crossing lists: gain() reads the range's edges
    std::vector<std::size_t> last_consumer_;  // highest position of a consumer of each layer
    std::vector<std::size_t> hub_of_;         // index into hubs_, or none
    std::vector<hub> hubs_;
    std::vector<std::uint8_t> acked_;
    double current_ = 0;
};

}  // namespace eosdnn
