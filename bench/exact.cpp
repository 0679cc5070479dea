// The exact solvers side by side: the native solver (bucket elimination with branch and bound,
// optim/exact_dag.hpp) and, when eosdnn::milp is built, the integer program solved by CBC
// (milp/cbc.hpp), each to a proven optimum, on the ResNet-50 profile with four nodes and on
// random 200- and 1000-layer DAGs with six nodes; and the hybrid PSO-GA from a random start on
// the 1000-layer DAGs: its time and its gap above the proven optimum. native_reused_order: the
// native solver handed the elimination order of its previous solve (as the re-planner does).
//
// Counters: layers; optimum_s (the proven optimum); proven (1 when the solver proved it);
// search_nodes (branch-and-bound nodes, native) or cbc_nodes; gap_percent (PSO-GA above the
// optimum); iterations (PSO-GA iterations run).
#include "../tests/optim/hard_environments.hpp"
#include "three_tier_environment.hpp"

#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/optim/exact_dag.hpp>
#include <eosdnn/optim/pso_ga.hpp>
#include <eosdnn/zoo/random_dag.hpp>

#if defined(EOSDNN_BENCH_WITH_MILP)
#include <eosdnn/milp/cbc.hpp>
#endif

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using namespace eosdnn;

// One instance: a graph and the environment it is planned in.
struct instance {
    layer_graph graph;
    environment env;
};

instance resnet50_profile_four_nodes() {
    return {read_profile_csv(std::string(EOSDNN_DATA_DIR) + "/ionn-profiles/resnet50.csv"),
            bench::three_tier()};
}

// Residual and inception blocks nested one level (series-parallel, like real CNNs), or layers in
// levels with crossing skips (not series-parallel), over the six-node mesh of the tests.
instance random_six_nodes(std::size_t layers, dag_shape shape) {
    return {make_random_dag({.layers = layers, .shape = shape, .seed = 7}), optim_test::mesh_six()};
}

// Times `solve` (a call returning an exact_result) to the proven optimum of the instance.
template <class Make, class Solve>
void to_optimum(benchmark::State& state, Make make, Solve solve, const char* nodes_counter) {
    const instance in = make();
    const profiled_model model(in.env);
    delay_evaluator<profiled_model> p(in.graph, model);
    exact_result r;
    for (auto _ : state) {
        r = solve(in.graph, p);
        benchmark::DoNotOptimize(r);
    }
    state.counters["layers"] = static_cast<double>(in.graph.size());
    state.counters["optimum_s"] = r.value.objective;
    state.counters["proven"] = r.proven_optimal ? 1 : 0;
    state.counters[nodes_counter] = static_cast<double>(r.search_nodes);
}

template <class Make>
void native(benchmark::State& state, Make make) {
    to_optimum(
        state, make,
        [](const layer_graph&, auto& p) { return solve_exact(p, {.time_limit_s = 60}); },
        "search_nodes");
}

// The native solver given the elimination order of an earlier solve of the same graph, as the
// re-planner does after an event (exact_options::elimination_order): the same optimum, without
// computing the order.
template <class Make>
void native_reused_order(benchmark::State& state, Make make) {
    std::vector<std::uint32_t> order;
    to_optimum(
        state, make,
        [&](const layer_graph&, auto& p) {
            exact_options o{.time_limit_s = 60};
            o.elimination_order = order;
            exact_result r = solve_exact(p, o);
            order = r.elimination_order;
            return r;
        },
        "search_nodes");
}

#if defined(EOSDNN_BENCH_WITH_MILP)
template <class Make>
void cbc(benchmark::State& state, Make make) {
    to_optimum(
        state, make,
        [](const layer_graph& g, auto& p) { return solve_milp(g, p, {.time_limit_s = 600}); },
        "cbc_nodes");
}
#endif

// The hybrid PSO-GA with its defaults, started at random (no initial plans), one thread; a new
// seed each repetition; the gap is the mean over the repetitions.
template <class Make>
void pso_ga_random_start(benchmark::State& state, Make make) {
    const instance in = make();
    const profiled_model model(in.env);
    delay_evaluator<profiled_model> p(in.graph, model);
    const double optimum = solve_exact(p, {.time_limit_s = 60}).value.objective;
    std::uint64_t seed = 0;
    double gap = 0, worst = 0, iterations = 0, runs = 0;
    for (auto _ : state) {
        const auto r = hybrid_pso_ga(hybrid_options()).solve(p, seed++);
        const double g = 100 * (r.value.objective / optimum - 1);
        gap += g;
        worst = std::max(worst, g);
        iterations += static_cast<double>(r.iterations);
        runs += 1;
    }
    state.counters["layers"] = static_cast<double>(in.graph.size());
    state.counters["gap_percent"] = gap / runs;
    state.counters["worst_gap_percent"] = worst;
    state.counters["iterations"] = iterations / runs;
}

auto resnet50_csv_4 = [] { return resnet50_profile_four_nodes(); };
auto mixed_200_6 = [] { return random_six_nodes(200, dag_shape::mixed); };
auto mixed_1000_6 = [] { return random_six_nodes(1000, dag_shape::mixed); };
auto layered_200_6 = [] { return random_six_nodes(200, dag_shape::layered); };

BENCHMARK_CAPTURE(native, resnet50_csv_4_nodes, resnet50_csv_4)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(native_reused_order, resnet50_csv_4_nodes, resnet50_csv_4)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(native, mixed_200_6_nodes, mixed_200_6)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(native_reused_order, mixed_200_6_nodes, mixed_200_6)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(native, mixed_1000_6_nodes, mixed_1000_6)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(native_reused_order, mixed_1000_6_nodes, mixed_1000_6)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(native, layered_200_6_nodes, layered_200_6)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
#if defined(EOSDNN_BENCH_WITH_MILP)
BENCHMARK_CAPTURE(cbc, resnet50_csv_4_nodes, resnet50_csv_4)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK_CAPTURE(cbc, mixed_200_6_nodes, mixed_200_6)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK_CAPTURE(cbc, mixed_1000_6_nodes, mixed_1000_6)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK_CAPTURE(cbc, layered_200_6_nodes, layered_200_6)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
#endif
BENCHMARK_CAPTURE(pso_ga_random_start, mixed_1000_6_nodes, mixed_1000_6)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5);

}  // namespace
