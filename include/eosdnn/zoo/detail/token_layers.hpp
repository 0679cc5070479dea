#pragma once
/// \file token_layers.hpp
/// The layers a transformer repeats over a sequence of tokens (any layer by its counts, a dense
/// layer on every token, a LayerNorm), counted once for zoo/vit.hpp and zoo/bert.hpp.

#include <eosdnn/graph/builder.hpp>
#include <eosdnn/graph/layer.hpp>
#include <eosdnn/zoo/detail/counted_layer.hpp>

#include <cstddef>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn::detail {

/// Adds fp32 layers (counted_layer.hpp) over `tokens` tokens of `features` features to a builder
/// it refers to.
class token_layers {
public:
    token_layers(layer_graph_builder& g, std::size_t tokens, std::size_t features)
        : g_(g), tokens_(tokens), features_(features) {}

    /// A layer fed by `from`: MACs, FLOPs and parameters per sample, its output `shape` without
    /// the batch dimension.
    layer_id add(std::string name, const char* kind, std::initializer_list<layer_id> from,
                 std::vector<std::size_t> shape, std::size_t macs, std::size_t flops,
                 std::size_t params) {
        const layer_id id = g_.add_layer(
            counted_layer(std::move(name), kind, std::move(shape), macs, flops, params));
        for (layer_id f : from) g_.add_edge(f, id);
        return id;
    }

    /// A dense layer on every token: in x out weights and out biases.
    layer_id linear(std::string name, layer_id from, std::size_t in, std::size_t out) {
        return add(std::move(name), "fc", {from}, {tokens_, out}, tokens_ * in * out,
                   2 * tokens_ * in * out, in * out + out);
    }

    /// LayerNorm over the features of every token: a mean, a variance, a normalisation, a scale
    /// and a shift per element (5 FLOPs an element, as the ONNX importer counts
    /// LayerNormalization), and a scale and a shift per feature.
    layer_id layer_norm(std::string name, layer_id from) {
        return add(std::move(name), "layernorm", {from}, {tokens_, features_}, 0,
                   5 * tokens_ * features_, 2 * features_);
    }

private:
    layer_graph_builder& g_;
    std::size_t tokens_, features_;
};

}  // namespace eosdnn::detail
