#pragma once
/// \file googlenet.hpp
/// GoogLeNet (Inception v1) as defined by torchvision, without the auxiliary classifiers (they
/// only run in training).

#include <eosdnn/config.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/zoo/network_builder.hpp>

#include <array>
#include <cstddef>
#include <string>

namespace eosdnn {

#if EOSDNN_DECLARE_ONLY
// Defined once, in the unit that includes eosdnn/separate_compilation.hpp (config.hpp).
layer_graph googlenet();
#else

namespace detail {

using googlenet_tensor = network_builder::tensor;

/// torchvision's BasicConv2d: a convolution without bias, BatchNorm (eps 0.001, which changes no
/// count) and ReLU, named `<name>.conv`, `<name>.bn`, `<name>.relu`.
inline googlenet_tensor googlenet_conv(network_builder& nb, const std::string& name,
                                       const googlenet_tensor& x, std::size_t out_channels,
                                       std::size_t kernel, std::size_t stride = 1) {
    auto y = nb.conv2d(name + ".conv", x,
                       {.out_channels = out_channels,
                        .kernel = kernel,
                        .stride = stride,
                        .padding = kernel / 2,
                        .bias = false});
    return nb.relu(name + ".relu", nb.batch_norm(name + ".bn", y));
}

/// Filter counts of one Inception module, in torchvision's argument order.
struct inception_spec {
    const char* name;
    std::size_t ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj;
};

/// An Inception module: four branches concatenated along the channels. Branch 3 is the "5x5"
/// branch of the paper, but torchvision (like the Caffe model it ported) uses a 3x3 kernel there,
/// which is what the canonical totals count. Names mirror torchvision's modules:
/// inception4a.branch2.1.conv is the 3x3 convolution of the second branch.
inline googlenet_tensor inception(network_builder& nb, const inception_spec& s,
                                  const googlenet_tensor& x) {
    const std::string p = std::string(s.name) + ".";
    auto b1 = googlenet_conv(nb, p + "branch1", x, s.ch1x1, 1);
    auto b2 = googlenet_conv(nb, p + "branch2.0", x, s.ch3x3red, 1);
    b2 = googlenet_conv(nb, p + "branch2.1", b2, s.ch3x3, 3);
    auto b3 = googlenet_conv(nb, p + "branch3.0", x, s.ch5x5red, 1);
    b3 = googlenet_conv(nb, p + "branch3.1", b3, s.ch5x5, 3);
    auto b4 = nb.max_pool(p + "branch4.0", x,
                          {.kernel = 3, .stride = 1, .padding = 1, .ceil_mode = true});
    b4 = googlenet_conv(nb, p + "branch4.1", b4, s.pool_proj, 1);
    return nb.concat(p + "concat", {b1, b2, b3, b4});
}

}  // namespace detail

/// torchvision's GoogLeNet without auxiliary heads (and without its optional input
/// re-normalisation, an affine map of the image that torchvision enables only for the pretrained
/// weights): a stem of three BasicConv2d and two max pools (ceil mode), nine Inception modules,
/// a global average pool, dropout and a 1000-way dense layer. 198 layers; 6,624,904 parameters
/// and 1,498,376,192 MACs.
EOSDNN_DECL layer_graph googlenet() {
    using detail::googlenet_conv;
    using detail::inception;
    using spec = detail::inception_spec;
    network_builder nb("googlenet");
    auto x = nb.input("input", 3, 224, 224);
    x = googlenet_conv(nb, "conv1", x, 64, 7, 2);
    x = nb.max_pool("maxpool1", x, {.kernel = 3, .stride = 2, .ceil_mode = true});
    x = googlenet_conv(nb, "conv2", x, 64, 1);
    x = googlenet_conv(nb, "conv3", x, 192, 3);
    x = nb.max_pool("maxpool2", x, {.kernel = 3, .stride = 2, .ceil_mode = true});

    x = inception(nb, spec{"inception3a", 64, 96, 128, 16, 32, 32}, x);
    x = inception(nb, spec{"inception3b", 128, 128, 192, 32, 96, 64}, x);
    x = nb.max_pool("maxpool3", x, {.kernel = 3, .stride = 2, .ceil_mode = true});

    constexpr std::array<spec, 5> stage4{{
        {"inception4a", 192, 96, 208, 16, 48, 64},
        {"inception4b", 160, 112, 224, 24, 64, 64},
        {"inception4c", 128, 128, 256, 24, 64, 64},
        {"inception4d", 112, 144, 288, 32, 64, 64},
        {"inception4e", 256, 160, 320, 32, 128, 128},
    }};
    for (const spec& s : stage4) x = inception(nb, s, x);
    x = nb.max_pool("maxpool4", x, {.kernel = 2, .stride = 2, .ceil_mode = true});

    x = inception(nb, spec{"inception5a", 256, 160, 320, 32, 128, 128}, x);
    x = inception(nb, spec{"inception5b", 384, 192, 384, 48, 128, 128}, x);

    x = nb.flatten("flatten", nb.global_avg_pool("avgpool", x));
    x = nb.dropout("dropout", x);
    nb.linear("fc", x, 1000);
    return nb.build();
}

#endif  // EOSDNN_DECLARE_ONLY

}  // namespace eosdnn
