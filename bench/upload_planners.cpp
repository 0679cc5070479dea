// Planning time of the uploading planners (LMU, EMDL, IONN) versus model size: synthetic chains
// of 100 to 2,000 layers with every layer but the input remote (one block, the hardest case for
// the range search), the measured IONN profiles with their exact placements, and wide fans of
// 10^2 to 10^4 parallel layers (one input, one concat on the device).
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/upload/baselines.hpp>
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

// One input, `branches` parallel conv layers and a concat on the device: one block of
// `branches` parameter layers whose input has as many consumers (issue 15, item 2).
layer_graph wide_fan(std::size_t branches) {
    layer_graph_builder b("wide_fan");
    const layer_id in = b.add_layer({.name = "data", .kind = "input", .output_bytes = 1000});
    std::vector<layer_id> ends;
    for (std::size_t i = 0; i < branches; ++i)
        ends.push_back(b.add_layer({.name = "b" + std::to_string(i),
                                    .kind = "conv",
                                    .flops = 2e6,
                                    .param_bytes = 1000.0 + static_cast<double>(i),
                                    .output_bytes = 1000},
                                   {in}));
    const layer_id cat = b.add_layer({.name = "cat",
                                      .kind = "concat",
                                      .flops = 1e3,
                                      .output_bytes = 1000.0 * static_cast<double>(branches)});
    for (layer_id e : ends) b.add_edge(e, cat);
    return b.build();
}

template <class Planner>
void fan(benchmark::State& state, Planner planner) {
    const layer_graph g = wide_fan(static_cast<std::size_t>(state.range(0)));
    const analytic_model model(device_and_server());
    std::vector<node_id> x(g.size(), 1);
    x[g.input()] = 0;
    x[g.output()] = 0;
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

#define EOSDNN_FAN(name, planner)         \
    BENCHMARK_CAPTURE(fan, name, planner) \
        ->Arg(100)                        \
        ->Arg(1000)                       \
        ->Arg(10000)                      \
        ->Unit(benchmark::kMillisecond)

EOSDNN_CHAIN(lmu, lmu_planner{});
EOSDNN_CHAIN(lmu_rule_only, lmu_planner{.portfolio = false});
EOSDNN_CHAIN(emdl, emdl_planner{});
EOSDNN_CHAIN(emdl_paper_text, emdl_planner{.reading = emdl_reading::paper_text});
EOSDNN_CHAIN(ionn, ionn_planner{});
EOSDNN_PROFILE(lmu, lmu_planner{});
// Without the last pass (partitions of several runs), for its cost side by side.
EOSDNN_PROFILE(lmu_without_run_merges, lmu_planner{.merge_evaluations = 0});
EOSDNN_PROFILE(lmu_rule_only, lmu_planner{.portfolio = false});
EOSDNN_PROFILE(emdl, emdl_planner{});
EOSDNN_PROFILE(emdl_paper_text, emdl_planner{.reading = emdl_reading::paper_text});
EOSDNN_PROFILE(ionn, ionn_planner{});
EOSDNN_FAN(lmu, lmu_planner{});
EOSDNN_FAN(emdl, emdl_planner{});
EOSDNN_FAN(ionn, ionn_planner{});
EOSDNN_FAN(whole, whole_model_planner{});

}  // namespace
