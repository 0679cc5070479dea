#pragma once
// Small models and environments shared by the upload tests.
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/upload/query_simulation.hpp>
#include <eosdnn/upload/upload_plan.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

namespace upload_test {

// A phone and one server over a 1 MB/s link without latency: transfers cost bytes / 1e6 s.
inline eosdnn::analytic_model phone_and_server(double bandwidth = 1e6, double latency = 0) {
    using namespace eosdnn;
    environment_builder env;
    auto phone = env.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 1e9});
    auto server = env.add_node({.name = "server", .tier = tier::edge, .flops_per_s = 1e11});
    env.connect(phone, server, {.bandwidth_Bps = bandwidth, .latency_s = latency});
    return analytic_model(env.build());
}

// A phone, an edge server and a cloud: the cloud computes faster behind a slower, longer link.
inline eosdnn::analytic_model phone_edge_cloud() {
    using namespace eosdnn;
    environment_builder env;
    auto phone = env.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 1e9});
    auto edge = env.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 2e10});
    auto cloud = env.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 1e12});
    env.connect(phone, edge, {.bandwidth_Bps = 2e6, .latency_s = 0.002});
    env.connect(phone, cloud, {.bandwidth_Bps = 1e6, .latency_s = 0.02});
    env.connect(edge, cloud, {.bandwidth_Bps = 5e6, .latency_s = 0.01});
    return analytic_model(env.build());
}

// A phone and `servers` (1, 2 or 3) remote nodes behind slow uplinks (uploads of the random
// models take tens of seconds, so that tens of queries complete during them): a server at
// 250 kB/s; an edge at 500 kB/s and a cloud at 250 kB/s; or two edges (500 and 375 kB/s) and a
// cloud. The servers are linked to each other at 5 to 10 MB/s. `request_overhead_s`: the
// environment's fixed cost per upload request.
inline eosdnn::analytic_model phone_and_servers(int servers, double request_overhead_s = 0) {
    using namespace eosdnn;
    environment_builder env;
    env.set_request_overhead_s(request_overhead_s);
    auto phone = env.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 1e9});
    if (servers == 1) {
        auto server = env.add_node({.name = "server", .tier = tier::edge, .flops_per_s = 1e11});
        env.connect(phone, server, {.bandwidth_Bps = 2.5e5, .latency_s = 0.002});
        return analytic_model(env.build());
    }
    auto edge = env.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 2e10});
    env.connect(phone, edge, {.bandwidth_Bps = 5e5, .latency_s = 0.002});
    node_id second = 0;
    if (servers == 3) {
        second = env.add_node({.name = "edge2", .tier = tier::edge, .flops_per_s = 6e10});
        env.connect(phone, second, {.bandwidth_Bps = 3.75e5, .latency_s = 0.005});
        env.connect(edge, second, {.bandwidth_Bps = 1e7, .latency_s = 0.002});
    }
    auto cloud = env.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 1e12});
    env.connect(phone, cloud, {.bandwidth_Bps = 2.5e5, .latency_s = 0.02});
    env.connect(edge, cloud, {.bandwidth_Bps = 5e6, .latency_s = 0.01});
    if (servers == 3) env.connect(second, cloud, {.bandwidth_Bps = 5e6, .latency_s = 0.01});
    return analytic_model(env.build());
}

// The three-layer chain of the hand-computed timelines: A (1e8 FLOPs, 1 MB), B (2e8, 2 MB),
// C (1e8, 1 MB); input 1000 B, outputs 1000, 500 and 100 B.
inline eosdnn::layer_graph three_layers() {
    eosdnn::layer_graph_builder b("three");
    auto a = b.add_layer(
        {.name = "A", .kind = "fc", .flops = 1e8, .param_bytes = 1e6, .output_bytes = 1000});
    auto bb = b.add_layer(
        {.name = "B", .kind = "fc", .flops = 2e8, .param_bytes = 2e6, .output_bytes = 500}, {a});
    b.add_layer({.name = "C", .kind = "fc", .flops = 1e8, .param_bytes = 1e6, .output_bytes = 100},
                {bb});
    b.set_input_bytes(1000);
    return b.build();
}

// A random model with `params` parameter layers, some parameter-free layers between them and,
// if `dag`, residual-style skip edges joined by parameter-free "add" layers.
inline eosdnn::layer_graph random_model(std::mt19937& rng, int params, bool dag) {
    std::uniform_real_distribution<double> unit(0, 1);
    auto log_uniform = [&](double lo, double hi) { return lo * std::pow(hi / lo, unit(rng)); };
    eosdnn::layer_graph_builder b(dag ? "random_dag" : "random_chain");
    std::size_t last =
        b.add_layer({.name = "input", .kind = "input", .output_bytes = log_uniform(1e3, 2e5)});
    int made = 0, free_count = 0;
    while (made < params) {
        last = b.add_layer({.name = "p" + std::to_string(made),
                            .kind = "conv",
                            .flops = log_uniform(1e7, 3e8),
                            .param_bytes = log_uniform(1e4, 3e6),
                            .output_bytes = log_uniform(1e3, 3e5)},
                           {last});
        ++made;
        if (unit(rng) < 0.4)
            last = b.add_layer({.name = "f" + std::to_string(free_count++),
                                .kind = "relu",
                                .flops = log_uniform(1e5, 1e7),
                                .output_bytes = log_uniform(1e3, 3e5)},
                               {last});
        if (dag && made < params && unit(rng) < 0.5) {
            const std::size_t branch = b.add_layer({.name = "p" + std::to_string(made),
                                                    .kind = "conv",
                                                    .flops = log_uniform(1e7, 3e8),
                                                    .param_bytes = log_uniform(1e4, 3e6),
                                                    .output_bytes = log_uniform(1e3, 3e5)},
                                                   {last});
            ++made;
            last = b.add_layer({.name = "add" + std::to_string(free_count++),
                                .kind = "add",
                                .flops = 1e5,
                                .output_bytes = log_uniform(1e3, 3e5)},
                               {last, branch});
        }
    }
    return b.build();
}

// Every layer but the input remote, the topological order cut into `servers` runs at random
// points, run k on remote node k.
inline std::vector<eosdnn::node_id> all_remote(const eosdnn::layer_graph& g, int servers,
                                               std::mt19937& rng) {
    const auto order = g.topological_order();
    std::vector<std::size_t> cuts;
    std::uniform_int_distribution<std::size_t> at(1, g.size() - 1);
    for (int k = 1; k < servers; ++k) cuts.push_back(at(rng));
    std::sort(cuts.begin(), cuts.end());
    std::vector<eosdnn::node_id> x(g.size(), 0);
    for (std::size_t p = 1; p < order.size(); ++p) {
        eosdnn::node_id s = 1;
        for (std::size_t c : cuts) s += p >= c ? 1 : 0;
        x[order[p]] = s;
    }
    return x;
}

// Two phones (nodes 0 and 1) and one server (node 2, 2 GFLOP/s), each phone linked to it at
// 1 MB/s without latency: a transfer of b bytes takes b / 1e6 s, a partition has no overhead.
inline eosdnn::analytic_model two_phones_one_server() {
    eosdnn::environment_builder env;
    auto p0 = env.add_node({.name = "phone0", .tier = eosdnn::tier::local, .flops_per_s = 1e9});
    auto p1 = env.add_node({.name = "phone1", .tier = eosdnn::tier::local, .flops_per_s = 1e9});
    auto s = env.add_node({.name = "server", .tier = eosdnn::tier::edge, .flops_per_s = 2e9});
    env.connect(p0, s, {.bandwidth_Bps = 1e6});
    env.connect(p1, s, {.bandwidth_Bps = 1e6});
    return eosdnn::analytic_model(env.build());
}

// The simulation of the exhaustive comparisons: the defaults and a 2 ms acknowledgement.
inline constexpr eosdnn::simulation_options plain{.ack_latency_s = 0.002};

// Queries a plan completes during its upload under `sim`.
inline std::size_t queries(const eosdnn::layer_graph& g, const auto& model,
                           const eosdnn::upload_plan& plan,
                           const eosdnn::simulation_options& sim = {}) {
    return eosdnn::simulate_queries(g, model, plan, sim).metrics.queries_during_upload;
}

}  // namespace upload_test
