#pragma once
// Instances shared by the optimiser tests: environments with slow, medium and fast links, random
// chains and DAGs, and a tiny placement problem whose optimum is known.

#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace eosdnn::optim_test {

/// How fast the device's links are.
enum class link_speed { slow, medium, fast };

inline const char* to_string(link_speed s) {
    return s == link_speed::slow ? "slow" : s == link_speed::medium ? "medium" : "fast";
}

/// Mbit/s of the device's uplink for each speed (3G-like, Wi-Fi-like, 5G-like).
inline double device_mbps(link_speed s) {
    return s == link_speed::slow ? 2 : s == link_speed::medium ? 30 : 300;
}

/// A phone, two edge servers and a cloud. With `speed_factor` the profiled model's measured
/// times scale: the edges are the profile's server, the cloud twice as fast.
inline environment three_tier(link_speed speed) {
    environment_builder env;
    const double up = device_mbps(speed);
    auto phone = env.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 2e10});
    auto edge1 = env.add_node({.name = "edge1", .tier = tier::edge, .flops_per_s = 4e11});
    auto edge2 = env.add_node(
        {.name = "edge2", .tier = tier::edge, .flops_per_s = 8e11, .speed_factor = 1.5});
    auto cloud = env.add_node(
        {.name = "cloud", .tier = tier::cloud, .flops_per_s = 4e12, .speed_factor = 2});
    env.connect(phone, edge1, {.bandwidth_Bps = mbps(up), .latency_s = 0.004});
    env.connect(phone, edge2, {.bandwidth_Bps = mbps(up / 2), .latency_s = 0.006});
    env.connect(phone, cloud, {.bandwidth_Bps = mbps(up / 4), .latency_s = 0.04});
    env.connect(edge1, edge2, {.bandwidth_Bps = mbps(1000), .latency_s = 0.001});
    env.connect(edge1, cloud, {.bandwidth_Bps = mbps(100), .latency_s = 0.02});
    env.connect(edge2, cloud, {.bandwidth_Bps = mbps(100), .latency_s = 0.02});
    return env.build();
}

/// `base` with every node but the local ones holding at most `bytes` of parameters, its links
/// unchanged: memory capacities that bind for a model of a few times `bytes`.
inline environment with_server_memory(const environment& base, double bytes) {
    environment_builder capped;
    for (const node& nd : base.nodes()) {
        node copy = nd;
        if (copy.tier != tier::local) copy.memory_bytes = bytes;
        capped.add_node(copy);
    }
    for (node_id a = 0; a < base.size(); ++a)
        for (node_id b = 0; b < base.size(); ++b)
            if (a != b)
                if (const auto& l = base.link_between(a, b)) capped.connect_one_way(a, b, *l);
    return capped.build();
}

/// A phone and one edge server: the two-node case the min cut solves exactly.
inline environment two_node(link_speed speed) {
    environment_builder env;
    auto phone = env.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 2e10});
    auto edge = env.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 5e11});
    env.connect(phone, edge, {.bandwidth_Bps = mbps(device_mbps(speed)), .latency_s = 0.005});
    return env.build();
}

/// Two phones sharing one edge server and a cloud (multi-task instances).
inline environment two_devices(link_speed speed) {
    environment_builder env;
    const double up = device_mbps(speed);
    auto p1 = env.add_node({.name = "phone1", .tier = tier::local, .flops_per_s = 2e10});
    auto p2 = env.add_node({.name = "phone2", .tier = tier::local, .flops_per_s = 3e10});
    auto edge = env.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 4e11});
    auto cloud = env.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 2e12});
    env.connect(p1, edge, {.bandwidth_Bps = mbps(up), .latency_s = 0.004});
    env.connect(p2, edge, {.bandwidth_Bps = mbps(up), .latency_s = 0.004});
    env.connect(p1, cloud, {.bandwidth_Bps = mbps(up / 4), .latency_s = 0.03});
    env.connect(p2, cloud, {.bandwidth_Bps = mbps(up / 4), .latency_s = 0.03});
    env.connect(edge, cloud, {.bandwidth_Bps = mbps(100), .latency_s = 0.02});
    return env.build();
}

/// A uniform real in [lo, hi) from raw draws, identical on every standard library.
inline double uniform(std::mt19937_64& rng, double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

/// A random layer: work, parameters and output spread over three orders of magnitude so that
/// the optimum mixes nodes.
inline layer random_layer(std::string name, std::mt19937_64& rng) {
    return layer{.name = std::move(name),
                 .kind = "conv",
                 .macs = 0,
                 .flops = std::pow(10.0, uniform(rng, 7, 10)),
                 .param_bytes = std::pow(10.0, uniform(rng, 3, 7)),
                 .output_bytes = std::pow(10.0, uniform(rng, 3, 6)),
                 .output_shape = {},
                 .device_time_s = {},
                 .server_time_s = {},
                 .load_time_s = {}};
}

/// A random chain of n layers.
inline layer_graph random_chain(std::size_t n, std::mt19937_64& rng) {
    layer_graph_builder b("random_chain");
    b.set_input_bytes(150528);
    for (std::size_t i = 0; i < n; ++i) {
        b.add_layer(random_layer("l" + std::to_string(i), rng));
        if (i) b.add_edge(i - 1, i);
    }
    return b.build();
}

/// A random DAG of n >= 3 layers with one input and one output: each layer after the first
/// consumes a random earlier one, some get a second input, and any layer left without a consumer
/// feeds the last one.
inline layer_graph random_dag(std::size_t n, std::mt19937_64& rng) {
    layer_graph_builder b("random_dag");
    b.set_input_bytes(150528);
    std::vector<bool> consumed(n, false);
    for (std::size_t i = 0; i < n; ++i) {
        b.add_layer(random_layer("l" + std::to_string(i), rng));
        if (i == 0) continue;
        const std::size_t a = i - 1 - static_cast<std::size_t>(rng() % std::min<std::size_t>(i, 3));
        b.add_edge(a, i);
        consumed[a] = true;
        if (i >= 2 && rng() % 2 == 0) {
            const std::size_t c = static_cast<std::size_t>(rng() % i);
            if (c != a) {
                b.add_edge(c, i);
                consumed[c] = true;
            }
        }
    }
    for (std::size_t i = 0; i + 1 < n; ++i)
        if (!consumed[i]) b.add_edge(i, n - 1);
    return b.build();
}

/// A toy problem: gene g may take nodes 0..k-1 (gene 0 only node 0 when `fix_first`), and the
/// objective counts the genes that differ from a hidden target, so the optimum is the target.
struct target_problem {
    std::vector<node_id> target;
    std::vector<std::vector<node_id>> choice_lists;

    target_problem(std::vector<node_id> t, node_id k, bool fix_first = false)
        : target(std::move(t)) {
        for (std::size_t g = 0; g < target.size(); ++g) {
            std::vector<node_id> c;
            for (node_id s = 0; s < k; ++s) c.push_back(s);
            if (fix_first && g == 0) c = {target[0]};
            choice_lists.push_back(c);
        }
    }
    std::size_t dimension() const { return target.size(); }
    std::span<const node_id> choices(std::size_t g) const { return choice_lists[g]; }
    evaluation evaluate(std::span<const node_id> x) {
        evaluation e;
        for (std::size_t g = 0; g < x.size(); ++g) e.objective += x[g] != target[g] ? 1.0 : 0.0;
        e.delay_s = e.objective;
        return e;
    }
};

}  // namespace eosdnn::optim_test
