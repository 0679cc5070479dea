#pragma once
/// \file layer_graph.hpp
/// The frozen, validated DAG of a DNN's layers over boost::adjacency_list.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/graph/layer.hpp>

#include <boost/graph/adjacency_list.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace eosdnn {

class layer_graph_builder;

/// A validated DAG of layers with exactly one input layer (no predecessors) and one output layer
/// (no successors). It is immutable: build one with layer_graph_builder. The topological order and
/// the adjacency lists are cached as flat arrays, because evaluators walk them millions of times.
///
/// The model input (`input_bytes()`) starts on the local device and flows into input(); the
/// output of output() is the query result, which returns to the local device.
///
/// A moved-from layer_graph is empty, as a moved-from standard container is: size() and
/// edge_count() are 0, name() is "", find() finds nothing, and it may be copied, moved, assigned
/// to or destroyed. It has no input or output layer (input() and output() return 0, which is not
/// a layer of it). The builder never makes an empty graph, so what plans or writes one
/// (delay_evaluator, to_json, write_profile_csv) throws eosdnn::error (validation) instead.
class layer_graph {
public:
    /// The Boost.Graph representation: vertex i is layer i, bundled properties are eosdnn::layer.
    using graph_type =
        boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, layer>;

    /// A copy of every layer and edge.
    layer_graph(const layer_graph&) = default;
    /// Replaces the layers and edges by copies of `other`'s.
    layer_graph& operator=(const layer_graph&) = default;

    /// Takes the layers of `other` and leaves it empty (see the class comment).
    layer_graph(layer_graph&& other)
        : graph_(std::move(other.graph_)), name_(std::move(other.name_)),
          layers_count_(other.layers_count_), input_bytes_(other.input_bytes_),
          input_(other.input_), output_(other.output_), is_chain_(other.is_chain_),
          topo_(std::move(other.topo_)), rank_(std::move(other.rank_)),
          pred_begin_(std::move(other.pred_begin_)), succ_begin_(std::move(other.succ_begin_)),
          pred_(std::move(other.pred_)), succ_(std::move(other.succ_)),
          by_name_(std::move(other.by_name_)) {
        other.make_empty();
    }

    /// Takes the layers of `other` and leaves it empty (see the class comment).
    layer_graph& operator=(layer_graph&& other) {
        if (this == &other) return *this;
        graph_ = std::move(other.graph_);
        name_ = std::move(other.name_);
        layers_count_ = other.layers_count_;
        input_bytes_ = other.input_bytes_;
        input_ = other.input_;
        output_ = other.output_;
        is_chain_ = other.is_chain_;
        topo_ = std::move(other.topo_);
        rank_ = std::move(other.rank_);
        pred_begin_ = std::move(other.pred_begin_);
        succ_begin_ = std::move(other.succ_begin_);
        pred_ = std::move(other.pred_);
        succ_ = std::move(other.succ_);
        by_name_ = std::move(other.by_name_);
        other.make_empty();
        return *this;
    }

    ~layer_graph() = default;

    /// Number of layers; 0 only for a moved-from graph.
    std::size_t size() const noexcept { return layers_count_; }

    /// The layer with index `id` (no bounds check).
    const layer& operator[](layer_id id) const noexcept { return graph_[id]; }

    /// The layer with index `id`; throws eosdnn::error if out of range.
    const layer& at(layer_id id) const {
        if (id >= size())
            throw error(error_kind::validation, "layer index " + std::to_string(id) +
                                                    " is out of range: model '" + name_ + "' has " +
                                                    std::to_string(size()) + " layers");
        return graph_[id];
    }

    /// The underlying Boost adjacency list, for running Boost.Graph algorithms on it.
    const graph_type& graph() const noexcept { return graph_; }

    /// Name of the model ("resnet50", a file name, ...), possibly empty.
    const std::string& name() const noexcept { return name_; }

    /// Bytes of the model input, sent from the local device to the node that runs input().
    double input_bytes() const noexcept { return input_bytes_; }

    /// The only layer without predecessors.
    layer_id input() const noexcept { return input_; }

    /// The only layer without successors; its output is the query result.
    layer_id output() const noexcept { return output_; }

    /// A topological order of all layers, computed once at build time. Deterministic: among ready
    /// layers the one added first comes first, so a chain lists its layers from input to output.
    std::span<const layer_id> topological_order() const noexcept { return topo_; }

    /// Position of each layer in topological_order().
    std::span<const std::size_t> topological_rank() const noexcept { return rank_; }

    /// Layers whose output `id` consumes, in the order the edges were added.
    std::span<const layer_id> predecessors(layer_id id) const noexcept {
        return {pred_.data() + pred_begin_[id], pred_.data() + pred_begin_[id + 1]};
    }

    /// Layers that consume the output of `id`, in the order the edges were added.
    std::span<const layer_id> successors(layer_id id) const noexcept {
        return {succ_.data() + succ_begin_[id], succ_.data() + succ_begin_[id + 1]};
    }

    /// Number of edges.
    std::size_t edge_count() const noexcept { return succ_.size(); }

    /// True if every layer has at most one predecessor and one successor: a chain, for which
    /// exact shortest-path planning applies and topological_order() is the chain order.
    bool is_chain() const noexcept { return is_chain_; }

    /// The layer called `name`, if any.
    std::optional<layer_id> find(std::string_view name) const {
        auto it = by_name_.find(std::string(name));
        if (it == by_name_.end()) return std::nullopt;
        return it->second;
    }

    /// Sum of the layers' multiply-accumulates.
    double total_macs() const noexcept { return sum(&layer::macs); }
    /// Sum of the layers' floating-point operations.
    double total_flops() const noexcept { return sum(&layer::flops); }
    /// Sum of the layers' parameter bytes: the size of the model to upload.
    double total_param_bytes() const noexcept { return sum(&layer::param_bytes); }

private:
    friend class layer_graph_builder;
    layer_graph() = default;

    // The state of a moved-from graph. (Boost 1.74's adjacency_list has no move constructor, so
    // "moving" it copies: the vertices must be cleared here, not left to the move.)
    void make_empty() noexcept {
        graph_.clear();
        name_.clear();
        layers_count_ = 0;
        input_bytes_ = 0;
        input_ = output_ = 0;
        is_chain_ = false;
        topo_.clear();
        rank_.clear();
        pred_begin_.clear();
        succ_begin_.clear();
        pred_.clear();
        succ_.clear();
        by_name_.clear();
    }

    double sum(double layer::*field) const noexcept {
        double total = 0;
        for (layer_id id = 0; id < size(); ++id) total += graph_[id].*field;
        return total;
    }

    graph_type graph_;
    std::string name_;
    std::size_t layers_count_ = 0;
    double input_bytes_ = 0;
    layer_id input_ = 0;
    layer_id output_ = 0;
    bool is_chain_ = false;
    std::vector<layer_id> topo_;
    std::vector<std::size_t> rank_;
    std::vector<std::size_t> pred_begin_, succ_begin_;
    std::vector<layer_id> pred_, succ_;
    std::unordered_map<std::string, layer_id> by_name_;
};

namespace detail {
/// "layer 3 ('conv1')".
inline std::string layer_label(const layer_graph& graph, layer_id j) {
    return layer_label(j, graph[j].name);
}
}  // namespace detail

}  // namespace eosdnn
