#pragma once
/// \file zoo.hpp
/// The built-in models, by name: AlexNet, VGG-16/19, ResNet-18/50, GoogLeNet, MobileNetV2 and
/// ViT-B/16 as torchvision defines them, at 3x224x224, batch 1, fp32; BERT-base for a sequence
/// of 128 tokens, or of N with the name `bert_base:N`.

#include <eosdnn/core/error.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/zoo/alexnet.hpp>
#include <eosdnn/zoo/bert.hpp>
#include <eosdnn/zoo/googlenet.hpp>
#include <eosdnn/zoo/mobilenet_v2.hpp>
#include <eosdnn/zoo/network_builder.hpp>
#include <eosdnn/zoo/resnet.hpp>
#include <eosdnn/zoo/vgg.hpp>
#include <eosdnn/zoo/vit.hpp>

#include <array>
#include <charconv>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace eosdnn {

namespace detail {

struct zoo_entry {
    std::string_view name;
    layer_graph (*make)();
    // For a model with a sequence length: the model for `NAME:N`; null for the others.
    layer_graph (*make_sequence)(std::size_t) = nullptr;
};

// One table for names and factories, so the two cannot drift apart.
inline constexpr std::array<zoo_entry, 9> zoo_entries{{
    {"alexnet", &alexnet},
    {"vgg16", &vgg16},
    {"vgg19", &vgg19},
    {"resnet18", &resnet18},
    {"resnet50", &resnet50},
    {"googlenet", &googlenet},
    {"mobilenet_v2", &mobilenet_v2},
    {"vit_b_16", &vit_b_16},
    {"bert_base", [] { return bert_base(); }, [](std::size_t n) { return bert_base(n); }},
}};

// The entry `spec` names, exactly or as `NAME:REST` for a model with a sequence length; null
// for none.
inline const zoo_entry* find_zoo_entry(std::string_view spec) noexcept {
    for (const auto& entry : zoo_entries)
        if (spec == entry.name || (entry.make_sequence && spec.size() > entry.name.size() &&
                                   spec.starts_with(entry.name) && spec[entry.name.size()] == ':'))
            return &entry;
    return nullptr;
}

inline constexpr auto zoo_names = [] {
    std::array<std::string_view, zoo_entries.size()> names{};
    for (std::size_t i = 0; i < names.size(); ++i) names[i] = zoo_entries[i].name;
    return names;
}();

}  // namespace detail

/// Names accepted by zoo_model(), which are also the names of the graphs it returns:
/// alexnet, vgg16, vgg19, resnet18, resnet50, googlenet, mobilenet_v2, vit_b_16, bert_base.
inline std::span<const std::string_view> zoo_model_names() noexcept { return detail::zoo_names; }

/// Whether `spec` names a built-in model: one of zoo_model_names(), or `bert_base:` followed by
/// anything (zoo_model() then checks the length).
inline bool is_zoo_model(std::string_view spec) noexcept {
    return detail::find_zoo_entry(spec) != nullptr;
}

/// The built-in model called `name` (exact, lowercase); `bert_base:N` is BERT-base for a
/// sequence of N tokens (1 to 512; bert_base is bert_base:128, and the graph of bert_base:N is
/// named so, but for N = 128). Throws eosdnn::error of kind validation listing the known names
/// if there is none, or quoting the name if N is not a whole number in range.
inline layer_graph zoo_model(std::string_view name) {
    if (const detail::zoo_entry* entry = detail::find_zoo_entry(name)) {
        if (name == entry->name) return entry->make();
        const std::string_view digits = name.substr(entry->name.size() + 1);
        std::size_t n = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
        if (ec != std::errc{} || end != digits.data() + digits.size())
            throw error(error_kind::validation, "zoo model '" + std::string(name) + "': expected " +
                                                    std::string(entry->name) +
                                                    ":N, N the sequence length, a whole number (" +
                                                    std::string(entry->name) + ":384)");
        try {
            return entry->make_sequence(n);
        } catch (const error& e) {
            throw error(error_kind::validation,
                        "zoo model '" + std::string(name) + "': " + std::string(e.what()));
        }
    }
    std::string known;
    for (std::string_view n : detail::zoo_names)
        known += (known.empty() ? "" : ", ") + std::string(n);
    throw error(error_kind::validation, "unknown zoo model '" + std::string(name) +
                                            "'; known models: " + known +
                                            " (bert_base:N for a sequence of N tokens)");
}

}  // namespace eosdnn
