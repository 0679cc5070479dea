#pragma once
/// \file counted_layer.hpp
/// The one place the zoo turns an architecture's counts into a layer: fp32 parameters and
/// outputs, sized from MACs, FLOPs, parameter count and output shape. network_builder (CNNs) and
/// token_layers (transformers) both add their layers through it.

#include <eosdnn/graph/layer.hpp>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn::detail {

/// Bytes of an fp32 element or parameter: the zoo's models are fp32.
inline constexpr std::size_t fp32_bytes = 4;

/// A layer of kind `kind` with its counts per sample: MACs, FLOPs, trainable parameters and the
/// output `shape` without the batch dimension.
inline layer counted_layer(std::string name, const char* kind, std::vector<std::size_t> shape,
                           std::size_t macs, std::size_t flops, std::size_t params) {
    layer l;
    l.name = std::move(name);
    l.kind = kind;
    l.macs = static_cast<double>(macs);
    l.flops = static_cast<double>(flops);
    l.param_bytes = static_cast<double>(params * fp32_bytes);
    std::size_t elements = 1;
    for (std::size_t s : shape) elements *= s;
    l.output_bytes = static_cast<double>(elements * fp32_bytes);
    l.output_shape = std::move(shape);
    return l;
}

}  // namespace eosdnn::detail
