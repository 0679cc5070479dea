#pragma once
// A small hand-built problem for the report tests: a diamond (input -> a, b -> join -> out) on
// a phone, an edge server and a cloud, with round numbers; and an exact answer stopped early.
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/exact_result.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/builder.hpp>

#include <utility>
#include <vector>

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

/// An exact solver's answer that its time limit stopped on `placement`, of value `value`, with
/// the lower bound `lower_bound`: the first round of a reference that a second round can beat.
inline exact_result stopped_exact(std::vector<node_id> placement, const evaluation& value,
                                  double lower_bound) {
    exact_result r;
    r.method = "bucket-elimination";
    r.placement = std::move(placement);
    r.value = value;
    r.lower_bound = lower_bound;
    r.timed_out = true;
    return r;
}

}  // namespace eosdnn::test
