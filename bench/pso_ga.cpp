// PSO-GA's kernels and end-to-end speed: genes per second of the mutation and crossover
// policies and of a whole iteration, evaluations per second full and incremental, and the time
// to reach the exact optimum on ResNet-50 (IONN profile CSV) with 100 particles.
#include "three_tier_environment.hpp"

#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/incremental_chain.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/optim/exact.hpp>
#include <eosdnn/optim/pso_ga.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace {

using namespace eosdnn;

using bench::three_tier;  // the same instance in every optimiser benchmark

environment two_node() {
    environment_builder env;
    auto phone = env.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 2e10});
    auto edge = env.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 5e11});
    env.connect(phone, edge, {.bandwidth_Bps = mbps(30), .latency_s = 0.005});
    return env.build();
}

// A synthetic chain of n layers with mixed sizes.
layer_graph synthetic_chain(std::size_t n) {
    std::mt19937_64 rng(7);
    layer_graph_builder b("chain");
    b.set_input_bytes(150528);
    for (std::size_t i = 0; i < n; ++i) {
        const double u = static_cast<double>(rng() % 1000) / 1000;
        b.add_layer({.name = "l" + std::to_string(i),
                     .kind = "conv",
                     .flops = 1e8 * (1 + 9 * u),
                     .param_bytes = 1e5 * (1 + u),
                     .output_bytes = 1e4 * (1 + 99 * u)});
        if (i) b.add_edge(i - 1, i);
    }
    return b.build();
}

gene_space uniform_space(std::size_t n, node_id k) {
    std::vector<node_id> c(k);
    for (node_id s = 0; s < k; ++s) c[s] = s;
    return gene_space(std::vector<std::vector<node_id>>(n, c));
}

template <class Mutation>
void mutation_kernel(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const gene_space space = uniform_space(n, 4);
    std::vector<node_id> x(n, 0);
    std::mt19937_64 rng(1);
    const Mutation m{};
    for (auto _ : state) {
        gene_range r = m(std::span<node_id>(x), space, rng);
        benchmark::DoNotOptimize(r);
        benchmark::DoNotOptimize(x.data());
    }
    // One call mutates one particle of n genes (most operators touch only a few of them).
    state.counters["particles_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

template <class Crossover>
void crossover_kernel(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const gene_space space = uniform_space(n, 4);
    std::vector<node_id> x(n), a(n), b(n);
    std::mt19937_64 rng(2);
    for (std::size_t g = 0; g < n; ++g)
        a[g] = static_cast<node_id>(rng() % 4), b[g] = static_cast<node_id>(rng() % 4);
    const Crossover c{};
    bool flip = false;
    for (auto _ : state) {
        gene_range r = c(std::span<node_id>(x), std::span<const node_id>(flip ? a : b), space, rng);
        flip = !flip;
        benchmark::DoNotOptimize(r);
        benchmark::DoNotOptimize(x.data());
    }
    // One call writes one child particle of n genes.
    state.counters["particles_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

BENCHMARK(mutation_kernel<uniform_reset_mutation>)->ArgName("genes")->Arg(64)->Arg(1024);
BENCHMARK(mutation_kernel<k_gene_reset_mutation>)->ArgName("genes")->Arg(64)->Arg(1024);
BENCHMARK(mutation_kernel<neighbour_tier_mutation>)->ArgName("genes")->Arg(64)->Arg(1024);
BENCHMARK(mutation_kernel<segment_reset_mutation>)->ArgName("genes")->Arg(64)->Arg(1024);
BENCHMARK(crossover_kernel<two_point_crossover>)->ArgName("genes")->Arg(64)->Arg(1024);
BENCHMARK(crossover_kernel<single_point_crossover>)->ArgName("genes")->Arg(64)->Arg(1024);
BENCHMARK(crossover_kernel<uniform_crossover>)->ArgName("genes")->Arg(64)->Arg(1024);

// Evaluations per second after a one-gene move: full pass vs the incremental chain.
void evaluate_full(benchmark::State& state) {
    const layer_graph g = synthetic_chain(static_cast<std::size_t>(state.range(0)));
    const profiled_model model(three_tier());
    delay_evaluator<profiled_model> p(g, model);
    std::vector<node_id> x(g.size(), 1);
    std::size_t i = 0;
    for (auto _ : state) {
        const std::size_t gene = (i++ * 7919) % x.size();
        x[gene] = static_cast<node_id>((x[gene] + 1) % 4);
        evaluation e = p.evaluate(x);
        benchmark::DoNotOptimize(e);
    }
    state.counters["evaluations_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void evaluate_incremental(benchmark::State& state) {
    const layer_graph g = synthetic_chain(static_cast<std::size_t>(state.range(0)));
    const profiled_model model(three_tier());
    incremental_chain<profiled_model> p(g, model);
    std::vector<node_id> x(g.size(), 1);
    auto s = p.make_state();
    p.evaluate(s, x);
    std::size_t i = 0;
    for (auto _ : state) {
        const std::size_t gene = (i++ * 7919) % x.size();
        x[gene] = static_cast<node_id>((x[gene] + 1) % 4);
        evaluation e = p.evaluate(s, x, gene_range{gene, gene + 1});
        benchmark::DoNotOptimize(e);
    }
    state.counters["evaluations_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(evaluate_full)->ArgName("layers")->Arg(50)->Arg(200)->Arg(1000)->Arg(10000);
BENCHMARK(evaluate_incremental)->ArgName("layers")->Arg(50)->Arg(200)->Arg(1000)->Arg(10000);

// A whole PSO-GA run of fixed length (100 particles, 50 iterations) on a 200-layer chain, with
// full or incremental evaluation; evaluations_per_s counts particle evaluations.
void whole_iterations(benchmark::State& state) {
    const layer_graph g = synthetic_chain(200);
    const profiled_model model(three_tier());
    incremental_chain<profiled_model> p(g, model);
    const bool incremental = state.range(0) != 0;
    const auto opt =
        with_stop(paper_pso_ga({.population = 100, .iterations = 50, .incremental = incremental}),
                  max_iterations{});
    std::uint64_t seed = 0;
    for (auto _ : state) {
        auto r = opt.solve(p, seed++);
        benchmark::DoNotOptimize(r);
    }
    state.counters["evaluations_per_s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * 100 * 50), benchmark::Counter::kIsRate);
}
BENCHMARK(whole_iterations)->ArgName("incremental")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The same on a 2000-layer chain priced by the full evaluator on 1 or 2 threads: where an
// evaluation is expensive enough for the threads to pay for their synchronisation.
void whole_iterations_threads(benchmark::State& state) {
    const layer_graph g = synthetic_chain(2000);
    const profiled_model model(three_tier());
    delay_evaluator<profiled_model> p(g, model);
    const auto opt = with_stop(paper_pso_ga({.population = 100,
                                             .iterations = 20,
                                             .threads = static_cast<std::size_t>(state.range(0))}),
                               max_iterations{});
    std::uint64_t seed = 0;
    for (auto _ : state) {
        auto r = opt.solve(p, seed++);
        benchmark::DoNotOptimize(r);
    }
    state.counters["evaluations_per_s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * 100 * 20), benchmark::Counter::kIsRate);
}
BENCHMARK(whole_iterations_threads)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Time for PSO-GA to reach the exact (min-cut) optimum on the ResNet-50 profile with two nodes,
// 100 particles; stops at the optimum or after 1000 iterations. Counters: iterations,
// evaluations and whether the optimum was reached (fraction over the repetitions).
template <class Mutation>
void resnet50_time_to_optimum(benchmark::State& state, bool hybrid) {
    const layer_graph g =
        read_profile_csv(std::string(EOSDNN_DATA_DIR) + "/ionn-profiles/resnet50.csv");
    const profiled_model model(two_node());
    const double optimum = min_cut_two_nodes(g, model, 0, 1).delay_s;
    delay_evaluator<profiled_model> p(g, model);
    pso_ga_options options{
        .population = 100, .iterations = 1000, .threads = static_cast<std::size_t>(state.range(0))};
    if (hybrid) options.polish_after_stall = 20;
    const auto opt = with_stop(paper_pso_ga::with_mutation<Mutation>(options),
                               target_objective{.objective = optimum} || max_iterations{});
    std::uint64_t seed = 0;
    double iterations = 0, evaluations = 0, hits = 0, runs = 0;
    for (auto _ : state) {
        const auto r = opt.solve(p, seed++);
        iterations += static_cast<double>(r.iterations);
        evaluations += static_cast<double>(r.evaluations);
        hits += r.value.objective <= optimum * (1 + 1e-9) ? 1 : 0;
        runs += 1;
    }
    state.counters["iterations"] = iterations / runs;
    state.counters["evaluations"] = evaluations / runs;
    state.counters["reached"] = hits / runs;
    state.counters["layers"] = static_cast<double>(g.size());
}
void resnet50_hybrid(benchmark::State& state) {
    resnet50_time_to_optimum<segment_reset_mutation>(state, true);
}
void resnet50_paper(benchmark::State& state) {
    resnet50_time_to_optimum<uniform_reset_mutation>(state, false);
}
BENCHMARK(resnet50_hybrid)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(10);
BENCHMARK(resnet50_paper)
    ->ArgName("threads")
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(10);

}  // namespace
