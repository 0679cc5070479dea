#pragma once
/// \file mobilenet_v2.hpp
/// MobileNetV2 (width multiplier 1.0) as defined by torchvision.

#include <eosdnn/config.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/zoo/network_builder.hpp>

#include <array>
#include <cstddef>
#include <string>

namespace eosdnn {

#if EOSDNN_DECLARE_ONLY
// Defined once, in the unit that includes eosdnn/separate_compilation.hpp (config.hpp).
layer_graph mobilenet_v2();
#else

namespace detail {

using mobilenet_tensor = network_builder::tensor;

/// torchvision's Conv2dNormActivation: a convolution without bias, BatchNorm and, unless the
/// stage is a linear bottleneck, ReLU6; named `<name>.conv`, `<name>.bn`, `<name>.relu6`.
inline mobilenet_tensor mobilenet_conv(network_builder& nb, const std::string& name,
                                       const mobilenet_tensor& x, std::size_t out_channels,
                                       std::size_t kernel, std::size_t stride, std::size_t groups,
                                       bool activation) {
    auto y = nb.conv2d(name + ".conv", x,
                       {.out_channels = out_channels,
                        .kernel = kernel,
                        .stride = stride,
                        .padding = kernel / 2,
                        .groups = groups,
                        .bias = false});
    y = nb.batch_norm(name + ".bn", y);
    return activation ? nb.relu6(name + ".relu6", y) : y;
}

/// An inverted residual block `features.<index>`: a 1x1 expansion by `expand` (omitted when it
/// is 1), a 3x3 depthwise convolution carrying the stride, a linear 1x1 projection, and a
/// residual add when the shape is unchanged.
inline mobilenet_tensor inverted_residual(network_builder& nb, std::size_t index,
                                          const mobilenet_tensor& x, std::size_t expand,
                                          std::size_t out_channels, std::size_t stride) {
    const std::string p = "features." + std::to_string(index) + ".";
    const std::size_t in_channels = x.shape[0];
    const std::size_t hidden = in_channels * expand;
    auto y = x;
    if (expand != 1) y = mobilenet_conv(nb, p + "expand", y, hidden, 1, 1, 1, true);
    y = mobilenet_conv(nb, p + "depthwise", y, hidden, 3, stride, hidden, true);
    y = mobilenet_conv(nb, p + "project", y, out_channels, 1, 1, 1, false);
    if (stride == 1 && in_channels == out_channels) y = nb.add(p + "add", {y, x});
    return y;
}

}  // namespace detail

/// torchvision's MobileNetV2: a 3x3/2 stem with 32 filters, 17 inverted residual blocks in seven
/// groups (expansion t, channels c, repeats n, first stride s), a 1x1 convolution to 1280
/// channels, a global average pool, dropout and a 1000-way dense layer. Channel counts are
/// already multiples of 8 at width 1.0, so torchvision's rounding changes nothing. 154 layers;
/// 3,504,872 parameters and 300,774,272 MACs.
EOSDNN_DECL layer_graph mobilenet_v2() {
    struct group {
        std::size_t t, c, n, s;
    };
    constexpr std::array<group, 7> groups{{
        {1, 16, 1, 1},
        {6, 24, 2, 2},
        {6, 32, 3, 2},
        {6, 64, 4, 2},
        {6, 96, 3, 1},
        {6, 160, 3, 2},
        {6, 320, 1, 1},
    }};
    network_builder nb("mobilenet_v2");
    auto x = nb.input("input", 3, 224, 224);
    x = detail::mobilenet_conv(nb, "features.0", x, 32, 3, 2, 1, true);
    std::size_t index = 1;
    for (const group& g : groups)
        for (std::size_t i = 0; i < g.n; ++i)
            x = detail::inverted_residual(nb, index++, x, g.t, g.c, i == 0 ? g.s : 1);
    x = detail::mobilenet_conv(nb, "features." + std::to_string(index), x, 1280, 1, 1, 1, true);
    x = nb.flatten("flatten", nb.global_avg_pool("avgpool", x));
    x = nb.dropout("dropout", x);
    nb.linear("fc", x, 1000);
    return nb.build();
}

#endif  // EOSDNN_DECLARE_ONLY

}  // namespace eosdnn
