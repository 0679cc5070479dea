#pragma once
// What the ONNX importer's tests share: the committed fixtures (tests/data/onnx), their
// reference totals, and the phone and edge server the imported models are planned on.
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

namespace eosdnn::test {

// The directory of the committed fixtures (CMake defines it).
inline const std::filesystem::path onnx_fixtures = EOSDNN_ONNX_FIXTURES;

// reference.json: the canonical totals the fixtures are checked against.
inline nlohmann::json onnx_reference() {
    std::ifstream in(onnx_fixtures / "reference.json");
    REQUIRE_MESSAGE(in, "cannot open " << (onnx_fixtures / "reference.json"));
    return nlohmann::json::parse(in);
}

// A phone (20 GFLOP/s) and an edge server (1 TFLOP/s) over 40 Mbit/s and 5 ms.
inline environment phone_and_edge() {
    environment_builder env;
    auto phone = env.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 20e9});
    auto edge = env.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1e12});
    env.connect(phone, edge, {.bandwidth_Bps = mbps(40), .latency_s = 0.005});
    return env.build();
}

// The imported layer named `name`; fails the test case when there is none.
inline const layer& layer_named(const layer_graph& g, const std::string& name) {
    const auto id = g.find(name);
    REQUIRE_MESSAGE(id.has_value(), "no layer '" << name << "'");
    return g[*id];
}

}  // namespace eosdnn::test
