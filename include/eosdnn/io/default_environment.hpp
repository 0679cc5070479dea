#pragma once
/// \file default_environment.hpp
/// The environment eosdnn-plan uses when given none (docs/getting-started.md has the table): a
/// recent phone on Wi-Fi or 5G, two edge servers and a cloud.

#include <eosdnn/core/ids.hpp>
#include <eosdnn/cost/environment.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace eosdnn {

/// `devices` phones, two edge servers and a cloud, with symmetric links:
/// - phone: 20 GFLOP/s; edge1: 1 TFLOP/s (a small GPU server next to the access point);
///   edge2: 2 TFLOP/s (a MEC server in the operator's network); cloud: 10 TFLOP/s;
/// - each phone: to edge1 40 Mbit/s, 5 ms; to edge2 20 Mbit/s, 8 ms; to the cloud 10 Mbit/s,
///   40 ms; edge1-edge2 1 Gbit/s, 1 ms; each edge server to the cloud 200 Mbit/s, 20 ms.
/// One device is called "phone"; several are "phone1", "phone2", ... (nodes 0 .. devices-1).
inline environment default_environment(std::size_t devices = 1) {
    environment_builder env;
    std::vector<node_id> phones;
    for (std::size_t k = 0; k < devices; ++k)
        phones.push_back(env.add_node(
            {.name = devices == 1 ? std::string("phone") : "phone" + std::to_string(k + 1),
             .tier = tier::local,
             .flops_per_s = 20e9}));
    const auto edge1 = env.add_node({.name = "edge1", .tier = tier::edge, .flops_per_s = 1e12});
    const auto edge2 = env.add_node({.name = "edge2", .tier = tier::edge, .flops_per_s = 2e12});
    const auto cloud = env.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 10e12});
    for (node_id phone : phones) {
        env.connect(phone, edge1, {.bandwidth_Bps = mbps(40), .latency_s = 0.005});
        env.connect(phone, edge2, {.bandwidth_Bps = mbps(20), .latency_s = 0.008});
        env.connect(phone, cloud, {.bandwidth_Bps = mbps(10), .latency_s = 0.040});
    }
    env.connect(edge1, edge2, {.bandwidth_Bps = mbps(1000), .latency_s = 0.001});
    env.connect(edge1, cloud, {.bandwidth_Bps = mbps(200), .latency_s = 0.020});
    env.connect(edge2, cloud, {.bandwidth_Bps = mbps(200), .latency_s = 0.020});
    return env.build();
}

}  // namespace eosdnn
