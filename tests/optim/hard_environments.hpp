#pragma once
// Environments of 3 to 6 nodes that are hard on purpose, for optimiser tests and benchmarks.
// Each comment says what makes it hard. Node 0 is always the phone; no node has a memory
// capacity; rates lie in 1e9 .. 1e13 FLOP/s, links in 1 .. 10,000 Mbit/s and 0.1 .. 100 ms.

#include <eosdnn/cost/environment.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn::optim_test {

/// A phone, a near but slow edge server and a far but fast cloud; every uplink is ten times
/// slower than its downlink (phone -> edge 40 Mbit/s, edge -> phone 400 Mbit/s).
///
/// Hard because the two servers trade off in opposite directions: the edge answers in 2 ms but
/// computes only 4x faster than the phone, the cloud computes 250x faster but is 80 ms from the
/// phone and 30 ms from the edge. Which one wins, or whether the input should be relayed
/// through the edge to the cloud (the optimum for VGG and ResNet-50), depends on where the
/// model's outputs shrink; GoogLeNet and MobileNetV2 stay on the phone, while the optima of
/// random DAGs of 200 layers split between the phone and the edge, some adding the cloud. The
/// asymmetry makes sending data back cheap and sending it out expensive, so plans priced with
/// symmetric links are wrong.
inline environment asymmetric_three() {
    environment_builder env;
    auto phone = env.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 2e10});
    auto edge = env.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 8e10});
    auto cloud = env.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 5e12});
    // connect(a, b, uplink a -> b, downlink b -> a)
    env.connect(phone, edge, {.bandwidth_Bps = mbps(40), .latency_s = 0.002},
                {.bandwidth_Bps = mbps(400), .latency_s = 0.002});
    env.connect(phone, cloud, {.bandwidth_Bps = mbps(10), .latency_s = 0.08},
                {.bandwidth_Bps = mbps(100), .latency_s = 0.08});
    env.connect(edge, cloud, {.bandwidth_Bps = mbps(200), .latency_s = 0.03},
                {.bandwidth_Bps = mbps(2000), .latency_s = 0.03});
    return env.build();
}

/// A phone, two weak edge servers (access points) and a cloud. The phone reaches the cloud
/// poorly in both directions (2 Mbit/s, 80 ms), but phone -> edge1 and edge1 -> cloud are fast,
/// and so are cloud -> edge2 and edge2 -> phone; the other directions of the phone's edge links
/// are poor.
///
/// Hard because the best plan relays: the input layer (or the first cheap layers) on edge1, the
/// bulk on the cloud, the last cheap layers on edge2, so that every hop takes a fast link. No
/// plan that uses one server, or that only splits the model into a device prefix and a server
/// suffix, gets close, and moving a single layer from the all-cloud plan to edge1 or edge2
/// helps only if it is the first or the last one.
inline environment relay_four() {
    environment_builder env;
    auto phone = env.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 2e10});
    auto edge1 = env.add_node({.name = "edge1", .tier = tier::edge, .flops_per_s = 4e10});
    auto edge2 = env.add_node({.name = "edge2", .tier = tier::edge, .flops_per_s = 4e10});
    auto cloud = env.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 8e12});
    const network_link fast{.bandwidth_Bps = mbps(300), .latency_s = 0.001};
    const network_link poor{.bandwidth_Bps = mbps(3), .latency_s = 0.03};
    env.connect(phone, edge1, fast, poor);  // up fast, back poor
    env.connect(phone, edge2, poor, fast);  // up poor, back fast
    env.connect(phone, cloud, {.bandwidth_Bps = mbps(2), .latency_s = 0.08});
    env.connect(edge1, cloud, {.bandwidth_Bps = mbps(1000), .latency_s = 0.005},
                {.bandwidth_Bps = mbps(50), .latency_s = 0.02});
    env.connect(cloud, edge2, {.bandwidth_Bps = mbps(1000), .latency_s = 0.005},
                {.bandwidth_Bps = mbps(50), .latency_s = 0.02});
    env.connect(edge1, edge2, {.bandwidth_Bps = mbps(100), .latency_s = 0.003});
    return env.build();
}

/// A phone, three edge servers and a cloud, graded: edge_a sits on the phone's fast Wi-Fi
/// (400 Mbit/s, 1 ms) but computes little (5e10 FLOP/s), edge_b is one fast hop further
/// (1000 Mbit/s from edge_a, 40 Mbit/s from the phone, 2e11 FLOP/s), edge_c is the strong
/// server (2e12 FLOP/s) one more fast hop away but behind a 10 Mbit/s link from the phone, and
/// the cloud (1e13 FLOP/s) is a decoy, 50 ms from the phone and 5 ms behind edge_c.
///
/// Hard because the optimum spreads over three or more nodes, each best for one part of the
/// model: the exact optimum of every zoo model computes on three nodes (AlexNet, VGG-16/19,
/// ResNet-18/50 and GoogLeNet on edge_a, edge_b and edge_c, with the input relayed through
/// edge_a; MobileNetV2 on the phone, edge_a and edge_b), and so do those of random DAGs of
/// 200 layers (three or four nodes).
/// Searches that move one layer at a time from a one- or two-node plan get stuck, since a
/// hop pays off only once a whole stretch of layers has moved.
inline environment split_five() {
    environment_builder env;
    auto phone = env.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 2e10});
    auto edge_a = env.add_node({.name = "edge_a", .tier = tier::edge, .flops_per_s = 5e10});
    auto edge_b = env.add_node({.name = "edge_b", .tier = tier::edge, .flops_per_s = 2e11});
    auto edge_c = env.add_node({.name = "edge_c", .tier = tier::edge, .flops_per_s = 2e12});
    auto cloud = env.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 1e13});
    env.connect(phone, edge_a, {.bandwidth_Bps = mbps(400), .latency_s = 0.001});
    env.connect(phone, edge_b, {.bandwidth_Bps = mbps(40), .latency_s = 0.004},
                {.bandwidth_Bps = mbps(100), .latency_s = 0.004});
    env.connect(phone, edge_c, {.bandwidth_Bps = mbps(10), .latency_s = 0.008},
                {.bandwidth_Bps = mbps(40), .latency_s = 0.008});
    env.connect(phone, cloud, {.bandwidth_Bps = mbps(5), .latency_s = 0.05},
                {.bandwidth_Bps = mbps(20), .latency_s = 0.05});
    env.connect(edge_a, edge_b, {.bandwidth_Bps = mbps(1000), .latency_s = 0.001});
    env.connect(edge_a, edge_c, {.bandwidth_Bps = mbps(100), .latency_s = 0.002});
    env.connect(edge_b, edge_c, {.bandwidth_Bps = mbps(1000), .latency_s = 0.001});
    env.connect(edge_a, cloud, {.bandwidth_Bps = mbps(50), .latency_s = 0.02});
    env.connect(edge_b, cloud, {.bandwidth_Bps = mbps(200), .latency_s = 0.015});
    env.connect(edge_c, cloud, {.bandwidth_Bps = mbps(1000), .latency_s = 0.005});
    return env.build();
}

/// A phone, four edge servers and a cloud, every ordered pair linked with its own bandwidth and
/// latency drawn from a fixed seed (phone-edge 5-300 Mbit/s and 1-10 ms, phone-cloud 2-50 Mbit/s
/// and 30-100 ms, edge-edge 50-2000 Mbit/s and 0.5-5 ms, edge-cloud 100-5000 Mbit/s and
/// 5-40 ms; edges 5e10-1e12 FLOP/s). Figures are rounded (whole Mbit/s, 0.1 ms, 1e9 FLOP/s)
/// so they print cleanly and do not depend on the last bit of std::pow.
///
/// Hard because it has no structure to exploit: links break the triangle inequality, so a relay
/// through a third node often beats the direct link (for 15 of the 30 ordered pairs at 100 kB);
/// the return path differs from the way out;
/// and with six nodes a 200-layer model has 6^200 plans.
inline environment mesh_six() {
    std::mt19937_64 rng(0x6d657368);  // "mesh"
    // A uniform real in [lo, hi) from the raw output (as optim_test::uniform does).
    auto uniform = [&rng](double lo, double hi) {
        return lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1.0p-53;
    };
    auto log_uniform = [&uniform](double lo, double hi) {
        return std::pow(10.0, uniform(std::log10(lo), std::log10(hi)));
    };
    environment_builder env;
    std::vector<node_id> ids;
    ids.push_back(env.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 2e10}));
    for (int k = 1; k <= 4; ++k)
        ids.push_back(
            env.add_node({.name = "edge" + std::to_string(k),
                          .tier = tier::edge,
                          .flops_per_s = 1e9 * std::round(log_uniform(5e10, 1e12) / 1e9)}));
    ids.push_back(env.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 5e12}));
    const node_id cloud = ids.back();
    for (node_id a : ids)
        for (node_id b : ids) {
            if (a == b) continue;
            const bool phone = a == 0 || b == 0, to_cloud = a == cloud || b == cloud;
            double lo_mbps = 50, hi_mbps = 2000, lo_ms = 0.5, hi_ms = 5;  // edge - edge
            if (phone && !to_cloud) lo_mbps = 5, hi_mbps = 300, lo_ms = 1, hi_ms = 10;
            if (phone && to_cloud) lo_mbps = 2, hi_mbps = 50, lo_ms = 30, hi_ms = 100;
            if (!phone && to_cloud) lo_mbps = 100, hi_mbps = 5000, lo_ms = 5, hi_ms = 40;
            const double bandwidth = std::round(log_uniform(lo_mbps, hi_mbps));
            const double latency_ms = std::round(10 * uniform(lo_ms, hi_ms)) / 10;
            env.connect_one_way(a, b,
                                {.bandwidth_Bps = mbps(bandwidth), .latency_s = latency_ms / 1000});
        }
    return env.build();
}

/// One named hard environment.
struct named_environment {
    std::string name;
    environment env;
};

/// All four hard environments, by name: asymmetric_three, relay_four, split_five, mesh_six.
inline std::vector<named_environment> hard_environments() {
    std::vector<named_environment> all;
    all.push_back({"asymmetric_three", asymmetric_three()});
    all.push_back({"relay_four", relay_four()});
    all.push_back({"split_five", split_five()});
    all.push_back({"mesh_six", mesh_six()});
    return all;
}

}  // namespace eosdnn::optim_test
