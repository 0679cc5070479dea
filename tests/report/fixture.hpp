#pragma once
// A small hand-built problem for the report tests: a diamond (input -> a, b -> join -> out) on
// a phone, an edge server and a cloud, with round numbers.
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/builder.hpp>

namespace eosdnn::test {

inline environment report_environment() {
    environment_builder b;
    const auto phone = b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 1e9});
    const auto edge = b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1e10});
    const auto cloud = b.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 1e11});
    b.connect(phone, edge, {.bandwidth_Bps = 1e6, .latency_s = 0.01});
    b.connect(phone, cloud, {.bandwidth_Bps = 5e5, .latency_s = 0.05});
    b.connect(edge, cloud, {.bandwidth_Bps = 1e7, .latency_s = 0.02});
    return b.build();
}

inline layer_graph report_model() {
    layer_graph_builder b("diamond");
    const auto in = b.add_layer({.name = "input", .kind = "input", .output_bytes = 1000});
    const auto a =
        b.add_layer({.name = "a", .flops = 2e8, .param_bytes = 4000, .output_bytes = 2000}, {in});
    const auto c =
        b.add_layer({.name = "b", .flops = 3e8, .param_bytes = 8000, .output_bytes = 3000}, {in});
    const auto join = b.add_layer({.name = "join", .flops = 1e7, .output_bytes = 3000}, {a, c});
    b.add_layer({.name = "out", .flops = 5e7, .param_bytes = 100, .output_bytes = 40}, {join});
    return b.build();
}

}  // namespace eosdnn::test
