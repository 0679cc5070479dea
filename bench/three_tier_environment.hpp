#pragma once
// The environment the optimiser benchmarks share (bench/pso_ga.cpp and the pagmo comparison), so
// their figures describe the same instance: a phone, two edge servers and a cloud, with a
// 30 Mbit/s uplink to the nearer edge server.

#include <eosdnn/cost/environment.hpp>

namespace eosdnn::bench {

inline environment three_tier() {
    environment_builder env;
    auto phone = env.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 2e10});
    auto edge1 = env.add_node({.name = "edge1", .tier = tier::edge, .flops_per_s = 4e11});
    auto edge2 = env.add_node(
        {.name = "edge2", .tier = tier::edge, .flops_per_s = 8e11, .speed_factor = 1.5});
    auto cloud = env.add_node(
        {.name = "cloud", .tier = tier::cloud, .flops_per_s = 4e12, .speed_factor = 2});
    env.connect(phone, edge1, {.bandwidth_Bps = mbps(30), .latency_s = 0.004});
    env.connect(phone, edge2, {.bandwidth_Bps = mbps(15), .latency_s = 0.006});
    env.connect(phone, cloud, {.bandwidth_Bps = mbps(7.5), .latency_s = 0.04});
    env.connect(edge1, edge2, {.bandwidth_Bps = mbps(1000), .latency_s = 0.001});
    env.connect(edge1, cloud, {.bandwidth_Bps = mbps(100), .latency_s = 0.02});
    env.connect(edge2, cloud, {.bandwidth_Bps = mbps(100), .latency_s = 0.02});
    return env.build();
}

}  // namespace eosdnn::bench
