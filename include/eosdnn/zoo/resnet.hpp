#pragma once
/// \file resnet.hpp
/// ResNet-18 and ResNet-50 as defined by torchvision (ResNet "v1.5": a bottleneck downsamples in
/// its 3x3 convolution, not in its first 1x1 convolution as in the original paper).

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
layer_graph resnet18();
layer_graph resnet50();
#else

namespace detail {

using resnet_tensor = network_builder::tensor;

/// A convolution without bias followed by its BatchNorm, named `<prefix>conv<suffix>` and
/// `<prefix>bn<suffix>`, as in torchvision's state dict (layer1.0.conv1, layer1.0.bn1).
inline resnet_tensor resnet_conv_bn(network_builder& nb, const std::string& prefix,
                                    const std::string& suffix, const resnet_tensor& x,
                                    std::size_t out_channels, std::size_t kernel,
                                    std::size_t stride) {
    auto y = nb.conv2d(prefix + "conv" + suffix, x,
                       {.out_channels = out_channels,
                        .kernel = kernel,
                        .stride = stride,
                        .padding = kernel / 2,
                        .bias = false});
    return nb.batch_norm(prefix + "bn" + suffix, y);
}

/// The shortcut of a block: the identity, or a strided 1x1 convolution and a BatchNorm
/// (`<prefix>downsample.conv`, `<prefix>downsample.bn`) when the shape changes.
inline resnet_tensor resnet_shortcut(network_builder& nb, const std::string& prefix,
                                     const resnet_tensor& x, std::size_t out_channels,
                                     std::size_t stride) {
    if (stride == 1 && x.shape[0] == out_channels) return x;
    auto y =
        nb.conv2d(prefix + "downsample.conv", x,
                  {.out_channels = out_channels, .kernel = 1, .stride = stride, .bias = false});
    return nb.batch_norm(prefix + "downsample.bn", y);
}

/// BasicBlock: 3x3 (strided) and 3x3 convolutions, `planes` channels out.
inline resnet_tensor resnet_basic_block(network_builder& nb, const std::string& prefix,
                                        const resnet_tensor& x, std::size_t planes,
                                        std::size_t stride) {
    auto y = nb.relu(prefix + "relu1", resnet_conv_bn(nb, prefix, "1", x, planes, 3, stride));
    y = resnet_conv_bn(nb, prefix, "2", y, planes, 3, 1);
    auto shortcut = resnet_shortcut(nb, prefix, x, planes, stride);
    return nb.relu(prefix + "relu", nb.add(prefix + "add", {y, shortcut}));
}

/// Bottleneck (v1.5): 1x1 reduce, 3x3 (strided), 1x1 expand to 4·planes channels.
inline resnet_tensor resnet_bottleneck(network_builder& nb, const std::string& prefix,
                                       const resnet_tensor& x, std::size_t planes,
                                       std::size_t stride) {
    auto y = nb.relu(prefix + "relu1", resnet_conv_bn(nb, prefix, "1", x, planes, 1, 1));
    y = nb.relu(prefix + "relu2", resnet_conv_bn(nb, prefix, "2", y, planes, 3, stride));
    y = resnet_conv_bn(nb, prefix, "3", y, 4 * planes, 1, 1);
    auto shortcut = resnet_shortcut(nb, prefix, x, 4 * planes, stride);
    return nb.relu(prefix + "relu", nb.add(prefix + "add", {y, shortcut}));
}

/// The torchvision ResNet skeleton: a 7x7/2 stem and a 3x3/2 max pool, four stages of
/// `blocks[s]` blocks with 64·2^s planes (the first block of stages 2-4 has stride 2), a global
/// average pool and a 1000-way dense layer. Blocks are named layer<stage>.<index>.
inline layer_graph resnet(std::string model_name, std::span<const std::size_t, 4> blocks,
                          bool bottleneck) {
    network_builder nb(std::move(model_name));
    auto x = nb.input("input", 3, 224, 224);
    x = nb.conv2d("conv1", x,
                  {.out_channels = 64, .kernel = 7, .stride = 2, .padding = 3, .bias = false});
    x = nb.relu("relu", nb.batch_norm("bn1", x));
    x = nb.max_pool("maxpool", x, {.kernel = 3, .stride = 2, .padding = 1});
    for (std::size_t s = 0; s < 4; ++s) {
        const std::size_t planes = std::size_t{64} << s;
        for (std::size_t b = 0; b < blocks[s]; ++b) {
            const std::string prefix =
                "layer" + std::to_string(s + 1) + "." + std::to_string(b) + ".";
            const std::size_t stride = (s > 0 && b == 0) ? 2 : 1;
            x = bottleneck ? resnet_bottleneck(nb, prefix, x, planes, stride)
                           : resnet_basic_block(nb, prefix, x, planes, stride);
        }
    }
    x = nb.flatten("flatten", nb.global_avg_pool("avgpool", x));
    nb.linear("fc", x, 1000);
    return nb.build();
}

}  // namespace detail

/// torchvision's ResNet-18: [2, 2, 2, 2] basic blocks; 70 layers; 11,689,512 parameters and
/// 1,814,073,344 MACs.
EOSDNN_DECL layer_graph resnet18() {
    constexpr std::size_t blocks[4] = {2, 2, 2, 2};
    return detail::resnet("resnet18", blocks, false);
}

/// torchvision's ResNet-50 (v1.5): [3, 4, 6, 3] bottleneck blocks; 176 layers; 25,557,032
/// parameters and 4,089,184,256 MACs (the original v1, strided in the first 1x1, has ~3.86 G).
EOSDNN_DECL layer_graph resnet50() {
    constexpr std::size_t blocks[4] = {3, 4, 6, 3};
    return detail::resnet("resnet50", blocks, true);
}

#endif  // EOSDNN_DECLARE_ONLY

}  // namespace eosdnn
