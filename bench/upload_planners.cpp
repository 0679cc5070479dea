// Planning time of the uploading planners (LMU, EMDL, IONN) versus model size: synthetic chains
// of 100 to 2,000 layers with every layer but the input remote (one block, the hardest case for
// the range search), and the measured IONN profiles with their exact placements.
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/upload/emdl.hpp>
#include <eosdnn/upload/ionn.hpp>
#include <eosdnn/upload/lmu.hpp>
#include <eosdnn/upload/query_simulation.hpp>
#include <eosdnn/upload/reference_placement.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace eosdnn;

environment device_and_server() {
    environment_builder env;
    auto device = env.add_node({.name = "device", .tier = tier::local, .flops_per_s = 2e9});
    auto server = env.add_node({.name = "server", .tier = tier::edge, .flops_per_s = 1e12});
    env.connect(device, server, {.bandwidth_Bps = mbps(40), .latency_s = 0.002});
    return env.build();
}

// A chain in which 40% of the layers have no parameters (ReLU-like), as in CNNs.
layer_graph synthetic_chain(std::size_t layers) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> u(0, 1);
    layer_graph_builder b("synthetic_chain");
    b.add_layer({.name = "input", .kind = "input", .output_bytes = 602112});
    for (std::size_t j = 1; j < layers; ++j) {
        const bool free = u(rng) < 0.4;
        b.add_layer({.name = "l" + std::to_string(j),
                     .kind = free ? "relu" : "conv",
                     .flops = 2e7 * (0.2 + u(rng)),
                     .param_bytes = free ? 0.0 : 2e5 * (0.1 + u(rng)),
                     .output_bytes = 3e5 * (0.05 + u(rng))},
                    {j - 1});
    }
    return b.build();
}

template <class Planner, class Model>
void run(benchmark::State& state, const Planner& planner, const layer_graph& g, const Model& model,
         const std::vector<node_id>& x) {
    std::size_t partitions = 0;
    for (auto _ : state) {
        upload_plan plan = planner.plan(upload_problem(g, model, x));
        partitions = plan.partitions.size();
        benchmark::DoNotOptimize(plan);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * g.size()));
    state.counters["layers"] = static_cast<double>(g.size());
    state.counters["partitions"] = static_cast<double>(partitions);
    const upload_plan plan = planner.plan(upload_problem(g, model, x));
    state.counters["queries_during_upload"] =
        static_cast<double>(simulate_queries(g, model, plan).metrics.queries_during_upload);
}

template <class Planner>
void chain(benchmark::State& state, Planner planner) {
    const layer_graph g = synthetic_chain(static_cast<std::size_t>(state.range(0)));
    const analytic_model model(device_and_server());
    std::vector<node_id> x(g.size(), 1);
    x[g.input()] = 0;
    run(state, planner, g, model, x);
}

template <class Planner>
void profile(benchmark::State& state, Planner planner, const char* file) {
    const layer_graph g = read_profile_csv(std::string(EOSDNN_DATA_DIR) + "/ionn-profiles/" + file);
    const profiled_model model(device_and_server());
    run(state, planner, g, model, reference_placement(g, model).placement);
}

#define EOSDNN_CHAIN(name, planner)         \
    BENCHMARK_CAPTURE(chain, name, planner) \
        ->Arg(100)                          \
        ->Arg(250)                          \
        ->Arg(500)                          \
        ->Arg(1000)                         \
        ->Arg(2000)                         \
        ->Unit(benchmark::kMillisecond)
#define EOSDNN_PROFILE(name, planner)                                      \
    BENCHMARK_CAPTURE(profile, name##_alexnet, planner, "alexnet.csv")     \
        ->Unit(benchmark::kMillisecond);                                   \
    BENCHMARK_CAPTURE(profile, name##_googlenet, planner, "googlenet.csv") \
        ->Unit(benchmark::kMillisecond);                                   \
    BENCHMARK_CAPTURE(profile, name##_resnet50, planner, "resnet50.csv")   \
        ->Unit(benchmark::kMillisecond)

EOSDNN_CHAIN(lmu, lmu_planner{});
EOSDNN_CHAIN(lmu_rule_only, lmu_planner{.portfolio = false});
EOSDNN_CHAIN(emdl, emdl_planner{});
EOSDNN_CHAIN(ionn, ionn_planner{});
EOSDNN_PROFILE(lmu, lmu_planner{});
EOSDNN_PROFILE(lmu_rule_only, lmu_planner{.portfolio = false});
EOSDNN_PROFILE(emdl, emdl_planner{});
EOSDNN_PROFILE(ionn, ionn_planner{});

}  // namespace
