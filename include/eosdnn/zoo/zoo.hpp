#pragma once
/// \file zoo.hpp
/// The built-in models, by name: AlexNet, VGG-16/19, ResNet-18/50, GoogLeNet, MobileNetV2 and
/// ViT-B/16 as torchvision defines them, at 3x224x224, batch 1, fp32.

#include <eosdnn/core/error.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/zoo/alexnet.hpp>
#include <eosdnn/zoo/googlenet.hpp>
#include <eosdnn/zoo/mobilenet_v2.hpp>
#include <eosdnn/zoo/network_builder.hpp>
#include <eosdnn/zoo/resnet.hpp>
#include <eosdnn/zoo/vgg.hpp>
#include <eosdnn/zoo/vit.hpp>

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace eosdnn {

namespace detail {

struct zoo_entry {
    std::string_view name;
    layer_graph (*make)();
};

// One table for names and factories, so the two cannot drift apart.
inline constexpr std::array<zoo_entry, 8> zoo_entries{{
    {"alexnet", &alexnet},
    {"vgg16", &vgg16},
    {"vgg19", &vgg19},
    {"resnet18", &resnet18},
    {"resnet50", &resnet50},
    {"googlenet", &googlenet},
    {"mobilenet_v2", &mobilenet_v2},
    {"vit_b_16", &vit_b_16},
}};

inline constexpr auto zoo_names = [] {
    std::array<std::string_view, zoo_entries.size()> names{};
    for (std::size_t i = 0; i < names.size(); ++i) names[i] = zoo_entries[i].name;
    return names;
}();

}  // namespace detail

/// Names accepted by zoo_model(), which are also the names of the graphs it returns:
/// alexnet, vgg16, vgg19, resnet18, resnet50, googlenet, mobilenet_v2, vit_b_16.
inline std::span<const std::string_view> zoo_model_names() noexcept { return detail::zoo_names; }

/// The built-in model called `name` (exact, lowercase). Throws eosdnn::error of kind validation
/// listing the known names if there is none.
inline layer_graph zoo_model(std::string_view name) {
    for (const auto& entry : detail::zoo_entries)
        if (entry.name == name) return entry.make();
    std::string known;
    for (std::string_view n : detail::zoo_names)
        known += (known.empty() ? "" : ", ") + std::string(n);
    throw error(error_kind::validation,
                "unknown zoo model '" + std::string(name) + "'; known models: " + known);
}

}  // namespace eosdnn
