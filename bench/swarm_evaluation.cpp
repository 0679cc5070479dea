// Evaluations per second of the sequential migration delay on DAGs, the three ways PSO-GA can
// price a particle: in full (delay_evaluator), incrementally after a move (incremental_dag), and
// a whole swarm as one batch (population_evaluator, the way PSO-GA prices an iteration), on one
// and two threads, with the 2-thread speed-up measured side by side in one fixture; and the same
// swarm priced in full by the layer-major batch kernel (sequential_batch_evaluator); and, for
// reading the 2-thread speed-up, what the host gives two threads on a memory walk of the same
// size and shape (host_scaling).
//
// One meaning for every rate: `evaluations_per_s` counts placements priced (one particle's value
// computed), per second of CPU time for the single-threaded benchmarks and of wall time for the
// batches (their names end in /real_time).
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/incremental_dag.hpp>
#include <eosdnn/cost/sequential_batch.hpp>
#include <eosdnn/optim/detail/population_evaluator.hpp>
#include <eosdnn/optim/detail/thread_team.hpp>
#include <eosdnn/optim/gene_space.hpp>
#include <eosdnn/optim/operators/crossover.hpp>
#include <eosdnn/optim/operators/mutation.hpp>
#include <eosdnn/zoo/random_dag.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include "three_tier_environment.hpp"

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace eosdnn;
using model_type = analytic_model;

// The graphs by name: zoo models, and make_random_dag's mixed DAGs of 1,000 and 10,000 layers.
const layer_graph& graph(const std::string& name) {
    static std::map<std::string, layer_graph> cache;
    auto it = cache.find(name);
    if (it != cache.end()) return it->second;
    layer_graph g = name == "random_1000"    ? make_random_dag({.layers = 1000, .seed = 17})
                    : name == "random_10000" ? make_random_dag({.layers = 10000, .seed = 17})
                                             : zoo_model(name);
    return cache.emplace(name, std::move(g)).first->second;
}

const model_type& model() {
    static const model_type m(bench::three_tier());
    return m;
}

gene_space space_of(const delay_evaluator<model_type>& p) {
    const auto c = p.choices(0);
    return gene_space(
        std::vector<std::vector<node_id>>(p.dimension(), std::vector<node_id>(c.begin(), c.end())));
}

std::vector<node_id> random_placement(const gene_space& space, std::mt19937_64& rng) {
    std::vector<node_id> x(space.dimension());
    for (std::size_t g = 0; g < x.size(); ++g)
        x[g] = space.choices(g)[rng() % space.choice_count(g)];
    return x;
}

// The move before each evaluation: PSO-GA's one-gene mutation, or its two-point crossover with a
// guide that agrees with the particle on 90% of the genes (as particles near their pBest do).
enum class move { one_gene, crossover };

template <class Price>
void moves(benchmark::State& state, const std::string& name, move kind, Price price) {
    const layer_graph& g = graph(name);
    delay_evaluator<model_type> full(g, model());
    const gene_space space = space_of(full);
    std::mt19937_64 rng(5);
    std::vector<node_id> x = random_placement(space, rng), guide = x;
    for (std::size_t k = 0; k < guide.size() / 10; ++k) {
        const std::size_t gene = rng() % guide.size();
        guide[gene] = space.choices(gene)[rng() % space.choice_count(gene)];
    }
    auto step = price.start(x);
    for (auto _ : state) {
        const gene_range r =
            kind == move::one_gene
                ? uniform_reset_mutation{}(std::span<node_id>(x), space, rng)
                : two_point_crossover{}(std::span<node_id>(x), std::span<const node_id>(guide),
                                        space, rng);
        const evaluation e = price(step, x, r);
        benchmark::DoNotOptimize(e.objective);
    }
    state.counters["evaluations_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["layers"] = static_cast<double>(g.size());
}

struct full_price {
    delay_evaluator<model_type> p;
    int start(std::span<const node_id>) { return 0; }
    evaluation operator()(int, std::span<const node_id> x, gene_range) { return p.evaluate(x); }
};

struct incremental_price {
    incremental_dag<model_type> p;
    incremental_dag<model_type>::incremental_state start(std::span<const node_id> x) {
        auto s = p.make_state();
        p.evaluate(s, x);
        return s;
    }
    evaluation operator()(incremental_dag<model_type>::incremental_state& s,
                          std::span<const node_id> x, gene_range r) {
        return p.evaluate(s, x, r);
    }
};

void full(benchmark::State& state, const char* name, move kind) {
    moves(state, name, kind, full_price{delay_evaluator<model_type>(graph(name), model())});
}
void incremental(benchmark::State& state, const char* name, move kind) {
    moves(state, name, kind, incremental_price{incremental_dag<model_type>(graph(name), model())});
}

// A swarm of `rows` particles as two populations a and b that differ in one gene per row:
// pricing a, then b, then a, ... re-prices every particle after a one-gene move, with no
// operator in the timed loop.
struct swarm {
    detail::matrix<node_id> a, b;
    std::vector<gene_range> changed;
    std::vector<evaluation> values;

    swarm(const gene_space& space, std::size_t rows) : changed(rows), values(rows) {
        std::mt19937_64 rng(9);
        const std::size_t n = space.dimension();
        a = detail::matrix<node_id>({rows, n});
        for (std::size_t i = 0; i < rows; ++i) {
            const auto x = random_placement(space, rng);
            std::copy(x.begin(), x.end(), detail::row(a, i).begin());
        }
        b = a;
        for (std::size_t i = 0; i < rows; ++i)
            changed[i] = uniform_reset_mutation{}(detail::row(b, i), space, rng);
    }
};

// One batch: every particle of the swarm priced once (incrementally or in full), on `threads`.
struct batch_runner {
    incremental_dag<model_type> problem;
    detail::population_evaluator<incremental_dag<model_type>> eval;
    bool at_b = false;

    batch_runner(const layer_graph& g, std::size_t rows, std::size_t threads, bool inc, swarm& s)
        : problem(g, model()), eval(problem, rows, threads, inc) {
        eval.evaluate_all(s.a, s.values);
    }
    void run(swarm& s) {
        at_b = !at_b;
        eval.evaluate_changed(at_b ? s.b : s.a, s.changed, s.values);
    }
};

constexpr std::size_t swarm_rows = 512;

void batched(benchmark::State& state, const char* name) {
    const layer_graph& g = graph(name);
    const auto threads = static_cast<std::size_t>(state.range(0));
    const bool inc = state.range(1) != 0;
    swarm s(space_of(delay_evaluator<model_type>(g, model())), swarm_rows);
    batch_runner runner(g, swarm_rows, threads, inc, s);
    for (auto _ : state) {
        runner.run(s);
        benchmark::DoNotOptimize(s.values.data());
    }
    state.counters["evaluations_per_s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * swarm_rows), benchmark::Counter::kIsRate);
    state.counters["layers"] = static_cast<double>(g.size());
}

// The same swarm priced in full as one batch by the layer-major kernel, on the caller's thread:
// every particle after a one-gene move (a, then b, then a, ...), all rows priced each time.
void batched_kernel(benchmark::State& state, const char* name) {
    const layer_graph& g = graph(name);
    sequential_batch_evaluator<model_type> kernel(g, model());
    swarm s(space_of(kernel.full()), swarm_rows);
    bool at_b = false;
    for (auto _ : state) {
        at_b = !at_b;
        const auto& x = at_b ? s.b : s.a;
        kernel.evaluate(std::span<const node_id>(x.data(), x.size()), s.values);
        benchmark::DoNotOptimize(s.values.data());
    }
    state.counters["evaluations_per_s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * swarm_rows), benchmark::Counter::kIsRate);
    state.counters["layers"] = static_cast<double>(g.size());
}

// The 2-thread speed-up, measured side by side: each iteration prices the swarm on one thread,
// then on two (separate evaluators and states), timing each; the load of the machine changes
// both alike. speedup = one-thread time / two-thread time.
void thread_scaling(benchmark::State& state, const char* name) {
    const layer_graph& g = graph(name);
    const bool inc = state.range(0) != 0;
    swarm s(space_of(delay_evaluator<model_type>(g, model())), swarm_rows);
    batch_runner one(g, swarm_rows, 1, inc, s), two(g, swarm_rows, 2, inc, s);
    double t1 = 0, t2 = 0;
    using clock = std::chrono::steady_clock;
    for (auto _ : state) {
        const auto start = clock::now();
        one.run(s);
        const auto middle = clock::now();
        two.run(s);
        const auto end = clock::now();
        t1 += std::chrono::duration<double>(middle - start).count();
        t2 += std::chrono::duration<double>(end - middle).count();
        state.SetIterationTime(std::chrono::duration<double>(end - start).count());
    }
    const double evaluations = static_cast<double>(state.iterations() * swarm_rows);
    state.counters["one_thread_evaluations_per_s"] = evaluations / t1;
    state.counters["two_threads_evaluations_per_s"] = evaluations / t2;
    state.counters["speedup"] = t1 / t2;
    state.counters["layers"] = static_cast<double>(g.size());
}

#define EOSDNN_MODELS(X) \
    X(resnet50) X(googlenet) X(mobilenet_v2) X(vit_b_16) X(random_1000) X(random_10000)

#define EOSDNN_SINGLE(m)                                              \
    BENCHMARK_CAPTURE(full, m##_one_gene, #m, move::one_gene);        \
    BENCHMARK_CAPTURE(incremental, m##_one_gene, #m, move::one_gene); \
    BENCHMARK_CAPTURE(full, m##_crossover, #m, move::crossover);      \
    BENCHMARK_CAPTURE(incremental, m##_crossover, #m, move::crossover);
EOSDNN_MODELS(EOSDNN_SINGLE)

#define EOSDNN_BATCH(m)                                      \
    BENCHMARK_CAPTURE(batched, m, #m)                        \
        ->ArgNames({"threads", "incremental"})               \
        ->ArgsProduct({{1, 2}, {0, 1}})                      \
        ->UseRealTime();                                     \
    BENCHMARK_CAPTURE(batched_kernel, m, #m)->UseRealTime(); \
    BENCHMARK_CAPTURE(thread_scaling, m, #m)                 \
        ->ArgName("incremental")                             \
        ->Arg(0)                                             \
        ->Arg(1)                                             \
        ->UseManualTime();
EOSDNN_MODELS(EOSDNN_BATCH)

// What the host gives two threads on work like an incremental batch, timed the way
// thread_scaling times the batches: 512 items, each a dependent walk of 64 steps (a load whose
// address is the previous load's value) through `bytes` of memory, the size of the swarm's
// incremental states (about 2.3 MB for ResNet-50's 512 particles), priced on one thread of a
// thread_team, then on two. Each item's result depends on its own walk only. Where the host's
// two virtual cores share caches or a physical core, this speed-up falls below 2 as the
// batches' does, with none of the evaluators' code in the loop: read thread_scaling beside it.
void host_scaling(benchmark::State& state) {
    const auto words = static_cast<std::size_t>(state.range(0)) / sizeof(std::uint32_t);
    // One cycle through every word (Sattolo's shuffle), so that no walk falls into a short loop.
    std::vector<std::uint32_t> next(words);
    for (std::size_t i = 0; i < words; ++i) next[i] = static_cast<std::uint32_t>(i);
    std::mt19937_64 rng(11);
    for (std::size_t i = words - 1; i > 0; --i) std::swap(next[i], next[rng() % i]);
    constexpr std::size_t items = swarm_rows, steps = 64;
    std::vector<std::uint32_t> position(items), out(items);
    for (std::size_t i = 0; i < items; ++i)
        position[i] = static_cast<std::uint32_t>(i * (words / items));
    auto walk = [&](std::size_t, std::size_t i) {
        std::uint32_t at = position[i];
        for (std::size_t k = 0; k < steps; ++k) at = next[at];
        position[i] = at;  // the next batch goes on from here, as a state would
        out[i] = at;
    };
    detail::thread_team one(1), two(2);
    double t1 = 0, t2 = 0;
    using clock = std::chrono::steady_clock;
    for (auto _ : state) {
        const auto start = clock::now();
        one.for_each(items, walk);
        const auto middle = clock::now();
        two.for_each(items, walk);
        const auto end = clock::now();
        t1 += std::chrono::duration<double>(middle - start).count();
        t2 += std::chrono::duration<double>(end - middle).count();
        state.SetIterationTime(std::chrono::duration<double>(end - start).count());
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["speedup"] = t1 / t2;
    state.counters["bytes"] = static_cast<double>(words * sizeof(std::uint32_t));
}
BENCHMARK(host_scaling)
    ->ArgName("bytes")
    ->Arg(1 << 18)
    ->Arg(1 << 21)
    ->Arg(1 << 24)
    ->UseManualTime();

}  // namespace
