#pragma once
/// \file alexnet.hpp
/// AlexNet as defined by torchvision (the single-GPU "one weird trick" variant, 3x224x224).

#include <eosdnn/config.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/zoo/network_builder.hpp>

#include <array>
#include <string>

namespace eosdnn {

#if EOSDNN_DECLARE_ONLY
// Defined once, in the unit that includes eosdnn/separate_compilation.hpp (config.hpp).
layer_graph alexnet();
#else

/// torchvision's AlexNet: five convolutions with biases (64, 192, 384, 256, 256 filters; no LRN,
/// unlike the Caffe original), three max pools, an adaptive average pool to 6x6 and three dense
/// layers with dropout before the first two. A chain of 23 layers; 61,100,840 parameters and
/// 714,188,480 MACs. Layer names follow the Caffe convention (conv1 ... fc8), so they line up with
/// the IONN profiles.
EOSDNN_DECL layer_graph alexnet() {
    network_builder nb("alexnet");
    auto x = nb.input("input", 3, 224, 224);

    struct conv_spec {
        std::size_t out_channels, kernel, stride, padding;
        bool pool_after;
    };
    constexpr std::array<conv_spec, 5> convs{{
        {64, 11, 4, 2, true},
        {192, 5, 1, 2, true},
        {384, 3, 1, 1, false},
        {256, 3, 1, 1, false},
        {256, 3, 1, 1, true},
    }};
    for (std::size_t i = 0; i < convs.size(); ++i) {
        const auto& c = convs[i];
        const std::string n = std::to_string(i + 1);
        x = nb.conv2d("conv" + n, x,
                      {.out_channels = c.out_channels,
                       .kernel = c.kernel,
                       .stride = c.stride,
                       .padding = c.padding});
        x = nb.relu("relu" + n, x);
        if (c.pool_after) x = nb.max_pool("pool" + n, x, {.kernel = 3, .stride = 2});
    }

    // torchvision pools to 6x6 whatever the input size; at 224 it is already 6x6.
    x = nb.adaptive_avg_pool("avgpool", x, 6, 6);
    x = nb.flatten("flatten", x);
    x = nb.dropout("drop6", x);
    x = nb.relu("relu6", nb.linear("fc6", x, 4096));
    x = nb.dropout("drop7", x);
    x = nb.relu("relu7", nb.linear("fc7", x, 4096));
    nb.linear("fc8", x, 1000);
    return nb.build();
}

#endif  // EOSDNN_DECLARE_ONLY

}  // namespace eosdnn
