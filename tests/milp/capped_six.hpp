#pragma once
// A six-node environment whose memory capacities bind, for the exact solvers' tests and
// bench/exact_portfolio.cpp: random DAGs of 84 layers, with 20-40 MB of parameters, must be
// spread over the servers and the phone, and the native solver proves few of them in seconds.

#include <eosdnn/cost/environment.hpp>

#include <array>

namespace eosdnn::milp_test {

/// The capacities of e1, e2, e3, relay and cloud, in bytes.
inline constexpr std::array<double, 5> caps_a = {6e6, 8e6, 5e6, 3e6, 10e6};
/// Tighter: 4, 6, 3, 2 and 6 MB.
inline constexpr std::array<double, 5> caps_b = {4e6, 6e6, 3e6, 2e6, 6e6};

/// Six nodes, five of them with the memory capacities `caps`, every link one-way with its own
/// figures (some relays are faster than the direct link): random DAGs of 84 layers with 20-40 MB
/// of parameters must be spread over the servers and the phone.
inline environment capped_six(const std::array<double, 5>& caps) {
    environment_builder b;
    const auto phone = b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 1.5e10});
    const auto e1 = b.add_node(
        {.name = "e1", .tier = tier::edge, .flops_per_s = 4e11, .memory_bytes = caps[0]});
    const auto e2 = b.add_node(
        {.name = "e2", .tier = tier::edge, .flops_per_s = 8e11, .memory_bytes = caps[1]});
    const auto e3 = b.add_node(
        {.name = "e3", .tier = tier::edge, .flops_per_s = 1.2e12, .memory_bytes = caps[2]});
    const auto relay = b.add_node(
        {.name = "relay", .tier = tier::edge, .flops_per_s = 2e11, .memory_bytes = caps[3]});
    const auto cloud = b.add_node(
        {.name = "cloud", .tier = tier::cloud, .flops_per_s = 1e13, .memory_bytes = caps[4]});
    // connect(a, b, a -> b, b -> a)
    b.connect(phone, e1, {.bandwidth_Bps = mbps(8), .latency_s = 0.06},
              {.bandwidth_Bps = mbps(500), .latency_s = 0.004});
    b.connect(phone, e2, {.bandwidth_Bps = mbps(500), .latency_s = 0.001},
              {.bandwidth_Bps = mbps(200), .latency_s = 0.03});
    b.connect(phone, e3, {.bandwidth_Bps = mbps(20), .latency_s = 0.001},
              {.bandwidth_Bps = mbps(200), .latency_s = 0.06});
    b.connect(phone, relay, {.bandwidth_Bps = mbps(40), .latency_s = 0.03},
              {.bandwidth_Bps = mbps(500), .latency_s = 0.03});
    b.connect(phone, cloud, {.bandwidth_Bps = mbps(40), .latency_s = 0.03},
              {.bandwidth_Bps = mbps(20), .latency_s = 0.001});
    b.connect(e1, e2, {.bandwidth_Bps = mbps(3), .latency_s = 0.03},
              {.bandwidth_Bps = mbps(20), .latency_s = 0.004});
    b.connect(e1, e3, {.bandwidth_Bps = mbps(3), .latency_s = 0.03},
              {.bandwidth_Bps = mbps(3), .latency_s = 0.03});
    b.connect(e1, relay, {.bandwidth_Bps = mbps(40), .latency_s = 0.06},
              {.bandwidth_Bps = mbps(40), .latency_s = 0.06});
    b.connect(e1, cloud, {.bandwidth_Bps = mbps(500), .latency_s = 0.001},
              {.bandwidth_Bps = mbps(40), .latency_s = 0.06});
    b.connect(e2, e3, {.bandwidth_Bps = mbps(90), .latency_s = 0.001},
              {.bandwidth_Bps = mbps(200), .latency_s = 0.004});
    b.connect(e2, relay, {.bandwidth_Bps = mbps(20), .latency_s = 0.001},
              {.bandwidth_Bps = mbps(8), .latency_s = 0.01});
    b.connect(e2, cloud, {.bandwidth_Bps = mbps(3), .latency_s = 0.001},
              {.bandwidth_Bps = mbps(200), .latency_s = 0.001});
    b.connect(e3, relay, {.bandwidth_Bps = mbps(40), .latency_s = 0.001},
              {.bandwidth_Bps = mbps(8), .latency_s = 0.004});
    b.connect(e3, cloud, {.bandwidth_Bps = mbps(90), .latency_s = 0.004},
              {.bandwidth_Bps = mbps(8), .latency_s = 0.01});
    b.connect(relay, cloud, {.bandwidth_Bps = mbps(500), .latency_s = 0.03},
              {.bandwidth_Bps = mbps(3), .latency_s = 0.01});
    return b.build();
}

}  // namespace eosdnn::milp_test
