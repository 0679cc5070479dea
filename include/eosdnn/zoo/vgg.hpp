#pragma once
/// \file vgg.hpp
/// VGG-16 and VGG-19 (configurations D and E, without BatchNorm) as defined by torchvision.

#include <eosdnn/config.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/zoo/network_builder.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <utility>

namespace eosdnn {

#if EOSDNN_DECLARE_ONLY
// Defined once, in the unit that includes eosdnn/separate_compilation.hpp (config.hpp).
layer_graph vgg16();
layer_graph vgg19();
#else

namespace detail {

/// Builds a VGG whose five stages have `convs_per_stage[s]` 3x3 convolutions each (64, 128, 256,
/// 512, 512 filters, padding 1, with biases), each stage closed by a 2x2 max pool; then an
/// adaptive average pool to 7x7 and three dense layers (4096, 4096, 1000) with ReLU and dropout.
/// Names follow the Caffe convention: conv3_2, relu3_2, pool3, fc6, relu6, drop6, ...
inline layer_graph vgg(std::string model_name, std::span<const std::size_t, 5> convs_per_stage) {
    constexpr std::size_t widths[5] = {64, 128, 256, 512, 512};
    network_builder nb(std::move(model_name));
    auto x = nb.input("input", 3, 224, 224);
    for (std::size_t s = 0; s < 5; ++s) {
        const std::string stage = std::to_string(s + 1);
        for (std::size_t i = 0; i < convs_per_stage[s]; ++i) {
            const std::string id = stage + "_" + std::to_string(i + 1);
            x = nb.conv2d("conv" + id, x, {.out_channels = widths[s], .kernel = 3, .padding = 1});
            x = nb.relu("relu" + id, x);
        }
        x = nb.max_pool("pool" + stage, x, {.kernel = 2, .stride = 2});
    }
    x = nb.adaptive_avg_pool("avgpool", x, 7, 7);
    x = nb.flatten("flatten", x);
    x = nb.dropout("drop6", nb.relu("relu6", nb.linear("fc6", x, 4096)));
    x = nb.dropout("drop7", nb.relu("relu7", nb.linear("fc7", x, 4096)));
    nb.linear("fc8", x, 1000);
    return nb.build();
}

}  // namespace detail

/// torchvision's VGG-16 (configuration D): 13 convolutions and 3 dense layers, a chain of 41
/// layers; 138,357,544 parameters and 15,470,264,320 MACs.
EOSDNN_DECL layer_graph vgg16() {
    constexpr std::size_t convs[5] = {2, 2, 3, 3, 3};
    return detail::vgg("vgg16", convs);
}

/// torchvision's VGG-19 (configuration E): 16 convolutions and 3 dense layers, a chain of 47
/// layers; 143,667,240 parameters and 19,632,062,464 MACs.
EOSDNN_DECL layer_graph vgg19() {
    constexpr std::size_t convs[5] = {2, 2, 4, 4, 4};
    return detail::vgg("vgg19", convs);
}

#endif  // EOSDNN_DECLARE_ONLY

}  // namespace eosdnn
