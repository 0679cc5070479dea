// Throughput of the migration-delay evaluators: layers evaluated per second, for chains and
// DAGs (zoo models and synthetic graphs of 10^2 to 10^4 layers) under each DAG schedule.
#include <eosdnn/eosdnn.hpp>

#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

namespace {

// Three tiers as in the planner's default: a phone, two edge servers, a cloud.
eosdnn::analytic_model three_tier_model() {
    using namespace eosdnn;
    environment_builder env;
    auto phone = env.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 2e10});
    auto edge1 = env.add_node({.name = "edge1", .tier = tier::edge, .flops_per_s = 1e12});
    auto edge2 = env.add_node({.name = "edge2", .tier = tier::edge, .flops_per_s = 2e12});
    auto cloud = env.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 1e13});
    env.connect(phone, edge1, {.bandwidth_Bps = mbps(40), .latency_s = 0.005});
    env.connect(phone, edge2, {.bandwidth_Bps = mbps(20), .latency_s = 0.008});
    env.connect(phone, cloud, {.bandwidth_Bps = mbps(10), .latency_s = 0.05});
    env.connect(edge1, edge2, {.bandwidth_Bps = mbps(1000), .latency_s = 0.001});
    env.connect(edge1, cloud, {.bandwidth_Bps = mbps(200), .latency_s = 0.02});
    env.connect(edge2, cloud, {.bandwidth_Bps = mbps(200), .latency_s = 0.02});
    return analytic_model(env.build());
}

// A chain (skip_every == 0) or a residual-style DAG: every skip_every-th layer also feeds the
// layer two steps ahead, as ResNet's shortcuts do.
eosdnn::layer_graph synthetic(std::size_t layers, std::size_t skip_every) {
    using namespace eosdnn;
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> size(1e4, 1e6);
    layer_graph_builder b(skip_every ? "synthetic_dag" : "synthetic_chain");
    b.add_layer({.name = "input", .kind = "input", .output_bytes = 602112});
    for (std::size_t j = 1; j < layers; ++j) {
        b.add_layer({.name = "l" + std::to_string(j),
                     .kind = "conv",
                     .flops = 100 * size(rng),
                     .param_bytes = size(rng),
                     .output_bytes = size(rng)},
                    {j - 1});
        if (skip_every && j >= 2 && j % skip_every == 0 && j + 1 < layers) b.add_edge(j - 2, j);
    }
    return b.build();
}

std::vector<eosdnn::node_id> random_placement(std::size_t n, std::size_t nodes, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> pick(0, static_cast<int>(nodes) - 1);
    std::vector<eosdnn::node_id> x(n);
    for (auto& gene : x) gene = static_cast<eosdnn::node_id>(pick(rng));
    return x;
}

void run(benchmark::State& state, const eosdnn::layer_graph& graph, eosdnn::dag_schedule schedule) {
    const auto model = three_tier_model();
    eosdnn::delay_evaluator evaluator(graph, model, {.schedule = schedule});
    // A handful of placements so branch prediction cannot learn one.
    std::vector<std::vector<eosdnn::node_id>> placements;
    for (unsigned seed = 0; seed < 16; ++seed)
        placements.push_back(random_placement(graph.size(), model.env().size(), seed));
    std::size_t i = 0;
    double sink = 0;
    for (auto _ : state) {
        const eosdnn::evaluation value = evaluator.evaluate(placements[i++ % placements.size()]);
        sink += value.objective;
        benchmark::DoNotOptimize(sink);
    }
    // Whole placements priced per second, and the same in layers (to compare model sizes).
    state.counters["evaluations_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["layers_per_s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * graph.size()), benchmark::Counter::kIsRate);
    state.counters["layers"] = static_cast<double>(graph.size());
}

void synthetic_chain(benchmark::State& state) {
    run(state, synthetic(static_cast<std::size_t>(state.range(0)), 0),
        eosdnn::dag_schedule::sequential);
}
void synthetic_dag(benchmark::State& state, eosdnn::dag_schedule schedule) {
    run(state, synthetic(static_cast<std::size_t>(state.range(0)), 3), schedule);
}
void zoo(benchmark::State& state, const char* name, eosdnn::dag_schedule schedule) {
    run(state, eosdnn::zoo_model(name), schedule);
}

using eosdnn::dag_schedule;
BENCHMARK(synthetic_chain)->ArgName("layers")->RangeMultiplier(10)->Range(100, 10000);
BENCHMARK_CAPTURE(synthetic_dag, sequential, dag_schedule::sequential)
    ->ArgName("layers")
    ->RangeMultiplier(10)
    ->Range(100, 10000);
BENCHMARK_CAPTURE(synthetic_dag, list_scheduled, dag_schedule::list_scheduled)
    ->ArgName("layers")
    ->RangeMultiplier(10)
    ->Range(100, 10000);
BENCHMARK_CAPTURE(synthetic_dag, unbounded, dag_schedule::unbounded)
    ->ArgName("layers")
    ->RangeMultiplier(10)
    ->Range(100, 10000);
BENCHMARK_CAPTURE(zoo, vgg16_chain, "vgg16", dag_schedule::sequential);
BENCHMARK_CAPTURE(zoo, resnet50_sequential, "resnet50", dag_schedule::sequential);
BENCHMARK_CAPTURE(zoo, resnet50_list_scheduled, "resnet50", dag_schedule::list_scheduled);
BENCHMARK_CAPTURE(zoo, googlenet_sequential, "googlenet", dag_schedule::sequential);
BENCHMARK_CAPTURE(zoo, googlenet_list_scheduled, "googlenet", dag_schedule::list_scheduled);

}  // namespace
