// Runs of any length stay bounded: the convergence log keeps a fixed-size sample plus every
// improvement, every optimiser stops by its stall rule and by its time limit, and local search on
// a long chain prices its moves from prefix sums yet reaches the full search's local optimum.
#include <eosdnn/optim/baselines/discrete_pso.hpp>
#include <eosdnn/optim/baselines/genetic_algorithm.hpp>
#include <eosdnn/optim/baselines/greedy.hpp>
#include <eosdnn/optim/baselines/random_search.hpp>

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/result.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/optim/detail/progress.hpp>
#include <eosdnn/optim/gene_space.hpp>
#include <eosdnn/optim/local_search.hpp>
#include <eosdnn/optim/pso_ga.hpp>

#include "../test_scale.hpp"
#include "fixtures.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <random>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

using namespace eosdnn;
using problem_type = delay_evaluator<analytic_model>;

namespace {

struct small_chain {
    std::mt19937_64 rng{7};
    layer_graph graph = optim_test::random_chain(12, rng);
    analytic_model model{optim_test::three_tier(optim_test::link_speed::medium)};
    problem_type problem{graph, model};
};

constexpr std::size_t long_run = 10'000'000;

// Records every iteration_record the optimiser reports: the unbounded log.
struct log_recorder {
    std::vector<iteration_record>* all;
    void operator()(const iteration_record& r, std::span<const node_id>) const {
        all->push_back(r);
    }
};

bool improves(const iteration_record& r, const iteration_record& before) {
    return r.best_objective != before.best_objective || r.best_violation != before.best_violation;
}

// The local search as it was before the prefix-sum pricing: every move evaluated in full.
std::vector<node_id> full_local_search(problem_type& problem, std::vector<node_id> x) {
    const gene_space space(problem);
    evaluation value = problem.evaluate(std::span<const node_id>(x));
    const std::size_t n = x.size();
    auto try_move = [&](std::size_t first, std::size_t last, node_id v) {
        std::vector<node_id> y = x;
        bool moved = false;
        for (std::size_t g = first; g < last; ++g)
            if (y[g] != v && space.is_free(g) && space.allows(g, v)) {
                y[g] = v;
                moved = true;
            }
        if (!moved) return false;
        const evaluation e = problem.evaluate(std::span<const node_id>(y));
        if (!better(e, value)) return false;
        x = std::move(y);
        value = e;
        return true;
    };
    for (bool improved = true; improved;) {
        improved = false;
        for (std::size_t g : space.free_genes())
            for (node_id v : space.choices(g)) {
                if (v == x[g]) continue;
                if (try_move(g, g + 1, v)) improved = true;
                if (v == x[g]) continue;
                if (try_move(0, g + 1, v)) improved = true;
                if (v == x[g]) continue;
                if (try_move(g, n, v)) improved = true;
            }
    }
    return x;
}

std::vector<node_id> random_placement(const gene_space& space, std::mt19937_64& rng) {
    std::vector<node_id> x(space.dimension());
    for (std::size_t g = 0; g < x.size(); ++g) {
        const auto c = space.choices(g);
        x[g] = c[std::uniform_int_distribution<std::size_t>(0, c.size() - 1)(rng)];
    }
    return x;
}

// From `starts` random placements, local_search (prefix sums on a chain) ends where the full
// search does, with the value the problem gives its plan.
void matches_full_search(problem_type& problem, std::mt19937_64& rng, int starts) {
    const gene_space space(problem);
    for (int start = 0; start < starts; ++start) {
        std::vector<node_id> x = random_placement(space, rng);
        const std::vector<node_id> reference = full_local_search(problem, x);
        evaluation value = problem.evaluate(std::span<const node_id>(x));
        local_search(problem, space, x, value);
        CHECK(x == reference);
        CHECK(value.objective == problem.evaluate(std::span<const node_id>(x)).objective);
    }
}

}  // namespace

TEST_CASE("the log keeps the first and last record and every improvement and thins the rest") {
    // 101 records, improvements at iterations 5 and 37, room for 8 sampled records: the stride
    // doubles at iterations 10, 18, 36 and 72, ending at 16.
    optimisation_result result;
    no_observer quiet;
    detail::run_report<no_observer> report(result, quiet, true, 0, nullptr, 8);
    double best = 10;
    for (std::size_t i = 0; i <= 100; ++i) {
        if (i == 5 || i == 37) best -= 1;
        CHECK(report({.iteration = i, .best_objective = best}, {}));
    }
    std::vector<std::size_t> kept;
    for (const auto& r : result.log) kept.push_back(r.iteration);
    CHECK(kept == std::vector<std::size_t>{0, 5, 16, 32, 37, 48, 64, 80, 96, 100});
    CHECK(result.log[1].best_objective == 9);
    CHECK(result.log[4].best_objective == 8);
}

TEST_CASE("a long run keeps a bounded log and shows every record to the observer") {
    small_chain f;
    const genetic_algorithm<> ga({.population = 2, .generations = 50'000});
    std::vector<iteration_record> all;
    const optimisation_result r = ga.solve(f.problem, 5, log_recorder{&all});
    REQUIRE(all.size() == 50'001);
    CHECK(r.iterations == 50'000);
    std::size_t improvements = 0;
    for (std::size_t i = 1; i < all.size(); ++i) improvements += improves(all[i], all[i - 1]);
    CHECK(r.log.size() <= log_sample_capacity + improvements + 2);
    CHECK(r.log.size() >= log_sample_capacity / 2);
    CHECK(r.log.front() == all.front());
    CHECK(r.log.back() == all.back());
    // The log is the unbounded one with records left out: same records, same order, every
    // improvement there, and the sampled rest evenly spaced.
    std::size_t k = 0, stride = 0;
    for (std::size_t i = 0; i < all.size(); ++i) {
        const bool kept = k < r.log.size() && r.log[k] == all[i];
        if (i > 0 && improves(all[i], all[i - 1])) CHECK(kept);
        if (kept && i > 0 && i + 1 < all.size() && !improves(all[i], all[i - 1])) {
            if (stride == 0) stride = i;
            CHECK(i % stride == 0);
        }
        k += kept;
    }
    CHECK(k == r.log.size());
    CHECK(r.log.back().best_objective == r.value.objective);
    // The same seed without an observer: the same best.
    const optimisation_result again = ga.solve(f.problem, 5);
    CHECK(again.placement == r.placement);
    CHECK(again.log == r.log);
}

TEST_CASE_TEMPLATE("a stochastic optimiser stops at its stall count", O, genetic_algorithm<>,
                   discrete_pso<>, random_search<>) {
    small_chain f;
    O optimiser;
    if constexpr (std::is_same_v<O, random_search<>>)
        optimiser = O({.evaluations = long_run, .batch = 4, .stall = 6});
    else if constexpr (std::is_same_v<O, genetic_algorithm<>>)
        optimiser = O({.population = 4, .generations = long_run, .stall = 6});
    else
        optimiser = O({.population = 4, .iterations = long_run, .stall = 6});
    const optimisation_result r = optimiser.solve(f.problem, 2);
    REQUIRE(r.iterations < long_run / 4);
    CHECK(!r.stopped_by_time_limit);
    REQUIRE(r.log.size() == r.iterations + 1);
    std::size_t last_change = 0;
    for (std::size_t i = 1; i < r.log.size(); ++i)
        if (improves(r.log[i], r.log[i - 1])) last_change = i;
    CHECK(r.iterations - last_change == 6);
}

TEST_CASE("pso_ga and greedy stop when they stall") {
    small_chain f;
    const default_stop stop{max_iterations{}, stall_iterations{6}};
    const optimisation_result r = paper_pso_ga({.population = 4, .iterations = long_run})
                                      .solve(f.problem, 2, no_observer{}, stop);
    REQUIRE(r.iterations < long_run);
    std::size_t last_change = 0;
    for (std::size_t i = 1; i < r.log.size(); ++i)
        if (improves(r.log[i], r.log[i - 1])) last_change = i;
    CHECK(r.iterations - last_change == 6);
    // Greedy's stall is one pass that moves nothing.
    const optimisation_result g = greedy_per_layer{}.solve(f.problem);
    REQUIRE(g.log.size() >= 2);
    CHECK(g.log.back().best_objective == g.log[g.log.size() - 2].best_objective);
    CHECK(!g.stopped_by_time_limit);
}

TEST_CASE("every optimiser stops at its time limit and says so") {
    small_chain f;
    const double tiny = 1e-9;  // spent by the first evaluation already
    std::vector<optimisation_result> runs;
    runs.push_back(
        genetic_algorithm<>({.population = 4, .generations = long_run, .time_limit_s = tiny})
            .solve(f.problem, 1));
    runs.push_back(discrete_pso<>({.population = 4, .iterations = long_run, .time_limit_s = tiny})
                       .solve(f.problem, 1));
    runs.push_back(random_search<>({.evaluations = long_run, .batch = 4, .time_limit_s = tiny})
                       .solve(f.problem, 1));
    pso_ga_options o = hybrid_options();
    o.population = 4;
    o.iterations = long_run;
    o.time_limit_s = tiny;
    runs.push_back(hybrid_pso_ga(o).solve(f.problem, 1));
    runs.push_back(greedy_per_layer(true, tiny).solve(f.problem));
    for (const auto& r : runs) {
        CHECK(r.stopped_by_time_limit);
        CHECK(!r.stopped_by_observer);
        CHECK(r.iterations == 0);
        CHECK(r.log.size() == 1);
        CHECK(gene_space(f.problem).contains(r.placement));
    }
    // Without the limit greedy runs passes: the limit did cut it.
    CHECK(greedy_per_layer(true).solve(f.problem).iterations > 0);
}

TEST_CASE("a time limit or a budget that is not a number of seconds is refused") {
    CHECK_THROWS_AS(genetic_algorithm<>({.time_limit_s = -1}), error);
    CHECK_THROWS_AS(discrete_pso<>({.time_limit_s = -1}), error);
    CHECK_THROWS_AS(random_search<>({.time_limit_s = -1}), error);
    CHECK_THROWS_AS(paper_pso_ga({.time_limit_s = -1}), error);
    CHECK_THROWS_AS(greedy_per_layer(false, -1), error);
    CHECK_THROWS_AS(local_search_options{.time_limit_s = -1}.validate(), error);
}

TEST_CASE("local search stops at its evaluation budget") {
    std::mt19937_64 rng{3};
    const layer_graph graph = optim_test::random_dag(40, rng);
    analytic_model model{optim_test::three_tier(optim_test::link_speed::medium)};
    problem_type problem(graph, model);
    const gene_space space(problem);
    std::vector<node_id> x = random_placement(space, rng);
    evaluation value = problem.evaluate(std::span<const node_id>(x));
    const evaluation start = value;
    const std::size_t spent =
        local_search(problem, space, x, value, local_search_options{.max_evaluations = 25});
    CHECK(spent == 25);
    CHECK(!better(start, value));
    CHECK(problem.evaluate(std::span<const node_id>(x)).objective == value.objective);
}

TEST_CASE("local search on a chain reaches the local optimum of the full search") {
    std::mt19937_64 rng{11};
    const layer_graph graph = optim_test::random_chain(1500, rng);
    analytic_model model{optim_test::three_tier(optim_test::link_speed::slow)};
    problem_type problem(graph, model);
    matches_full_search(problem, rng, 2);
}

TEST_CASE("local search on a chain of a device among many reaches the full search's optimum") {
    // The task's device is node 37 of 40 phones, the servers nodes 40 and 41: the prefix sums
    // are kept per node a gene may take (three), not per node id (42).
    environment_builder b;
    for (int d = 0; d < 40; ++d)
        b.add_node({.name = "p" + std::to_string(d), .tier = tier::local, .flops_per_s = 2e10});
    const node_id edge = b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 4e11});
    const node_id cloud = b.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 4e12});
    for (node_id d = 0; d < 40; ++d) {
        b.connect(d, edge, {.bandwidth_Bps = 1e6 * (1 + d % 7), .latency_s = 0.004});
        b.connect(d, cloud, {.bandwidth_Bps = 4e5 * (1 + d % 5), .latency_s = 0.04});
    }
    b.connect(edge, cloud, {.bandwidth_Bps = 1e7, .latency_s = 0.02});
    std::mt19937_64 rng{17};
    const layer_graph graph = optim_test::random_chain(400, rng);
    analytic_model model{b.build()};
    problem_type problem(graph, model, {}, {}, 37);
    matches_full_search(problem, rng, 2);
}

TEST_CASE("local search on a 10^4-layer chain reaches the local optimum of the full search" *
          doctest::test_suite("slow")) {
    std::mt19937_64 rng{13};
    // 4000 layers under the sanitizers (test_scale.hpp).
    const layer_graph graph = optim_test::random_chain(eosdnn::test::size_here(10'000, 4'000), rng);
    analytic_model model{optim_test::two_node(optim_test::link_speed::medium)};
    problem_type problem(graph, model);
    matches_full_search(problem, rng, 1);
}
