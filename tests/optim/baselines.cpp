// The baselines behind the same interface as PSO-GA: each returns a valid plan, is reproducible,
// validates its options, and none beats the hybrid PSO-GA, which reaches the exact optimum.
#include <eosdnn/optim/baselines/discrete_pso.hpp>
#include <eosdnn/optim/baselines/genetic_algorithm.hpp>
#include <eosdnn/optim/baselines/greedy.hpp>
#include <eosdnn/optim/baselines/random_search.hpp>

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/incremental_chain.hpp>
#include <eosdnn/optim/exact.hpp>
#include <eosdnn/optim/optimiser.hpp>
#include <eosdnn/optim/pso_ga.hpp>
#include <eosdnn/optim/seeding.hpp>

#include "fixtures.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

using namespace eosdnn;
using problem_type = delay_evaluator<analytic_model>;

static_assert(placement_optimiser<paper_pso_ga, problem_type>);
static_assert(placement_optimiser<hybrid_pso_ga, problem_type>);
static_assert(placement_optimiser<genetic_algorithm<>, problem_type>);
static_assert(
    placement_optimiser<genetic_algorithm<k_gene_reset_mutation, uniform_crossover>, problem_type>);
static_assert(placement_optimiser<discrete_pso<>, problem_type>);
static_assert(placement_optimiser<random_search<>, problem_type>);
static_assert(placement_optimiser<greedy_per_layer, problem_type>);
static_assert(placement_optimiser<tier_baseline, problem_type>);
static_assert(placement_optimiser<exact_baseline<analytic_model>, problem_type>);

namespace {
// An optimiser with only solve(problem, seed) is not a placement_optimiser: the concept asks for
// solve(problem, seed, observer, stop) too.
struct seed_only {
    template <placement_problem P>
    optimisation_result solve(P&, std::uint64_t) const {
        return {};
    }
};
}  // namespace
static_assert(!placement_optimiser<seed_only, problem_type>);

namespace {

struct fixture {
    std::mt19937_64 rng{51};
    layer_graph graph = optim_test::random_chain(30, rng);
    analytic_model model{optim_test::three_tier(optim_test::link_speed::medium)};
    problem_type problem{graph, model};
    double optimum = viterbi_chain(graph, model).delay_s;
};

}  // namespace

TEST_CASE_TEMPLATE(
    "a stochastic baseline returns a valid, reproducible plan no better than the optimum", O,
    genetic_algorithm<>, genetic_algorithm<segment_reset_mutation, uniform_crossover>,
    discrete_pso<>, random_search<>) {
    fixture f;
    const O optimiser{};
    const optimisation_result a = optimiser.solve(f.problem, 3), b = optimiser.solve(f.problem, 3);
    CHECK(a.log == b.log);
    CHECK(a.placement == b.placement);
    CHECK(gene_space(f.problem).contains(a.placement));
    CHECK(f.problem.evaluate(a.placement).objective == a.value.objective);
    CHECK(a.value.objective >= f.optimum * (1 - 1e-12));
    CHECK(a.evaluations > 0);
    CHECK(!a.log.empty());
    for (std::size_t i = 1; i < a.log.size(); ++i)
        CHECK(a.log[i].best_objective <= a.log[i - 1].best_objective);
}

TEST_CASE("the GA and the plain PSO give the same result on two threads") {
    fixture f;
    const auto g1 = genetic_algorithm<>({.population = 20, .generations = 30}).solve(f.problem, 5);
    const auto g2 = genetic_algorithm<>({.population = 20, .generations = 30, .threads = 2})
                        .solve(f.problem, 5);
    CHECK(g1.log == g2.log);
    const auto p1 = discrete_pso<>({.population = 20, .iterations = 30}).solve(f.problem, 5);
    const auto p2 =
        discrete_pso<>({.population = 20, .iterations = 30, .threads = 2}).solve(f.problem, 5);
    CHECK(p1.log == p2.log);
    const auto r1 = random_search<>({.evaluations = 500}).solve(f.problem, 5);
    const auto r2 = random_search<>({.evaluations = 500, .threads = 2}).solve(f.problem, 5);
    CHECK(r1.log == r2.log);
    CHECK(r1.evaluations == 500);
}

TEST_CASE("baseline options are validated, naming the field") {
    CHECK_THROWS_AS(genetic_algorithm<>({.population = 1}), error);
    CHECK_THROWS_AS(genetic_algorithm<>({.tournament = 0}), error);
    CHECK_THROWS_AS(genetic_algorithm<>({.population = 4, .elites = 4}), error);
    CHECK_THROWS_AS(genetic_algorithm<>({.mutation_rate = 1.5}), error);
    CHECK_THROWS_AS(discrete_pso<>({.w = 2}), error);
    CHECK_THROWS_AS(discrete_pso<>({.max_velocity = 0}), error);
    CHECK_THROWS_AS(random_search<>({.evaluations = 0}), error);
    try {
        genetic_algorithm<>({.crossover_rate = -1});
        FAIL("no throw");
    } catch (const error& e) {
        CHECK(std::string(e.what()).find("genetic_algorithm_options.crossover_rate") !=
              std::string::npos);
    }
}

TEST_CASE("fixed plans, greedy and exact baselines") {
    fixture f;
    const environment& env = f.model.env();
    const auto local = tier_baseline(env, tier::local).solve(f.problem);
    const auto edge = tier_baseline(env, tier::edge).solve(f.problem);
    const auto cloud = tier_baseline(env, tier::cloud).solve(f.problem);
    CHECK(local.placement == std::vector<node_id>(f.graph.size(), 0));
    CHECK(edge.placement == std::vector<node_id>(f.graph.size(), 1));
    CHECK(cloud.placement == std::vector<node_id>(f.graph.size(), 3));
    const auto greedy = greedy_per_layer().solve(f.problem);
    CHECK(greedy.value.objective <= local.value.objective);
    const auto blocks = greedy_per_layer(true).solve(f.problem);
    CHECK(blocks.value.objective <= greedy.value.objective * (1 + 1e-12));
    const auto exact = exact_baseline<analytic_model>(f.graph, f.model).solve(f.problem);
    CHECK(std::abs(exact.value.objective - f.optimum) <= 1e-9 * f.optimum);
    // The hybrid matches the exact baseline; every other baseline is at best equal.
    incremental_chain<analytic_model> inc(f.graph, f.model);
    const auto hybrid = hybrid_pso_ga(hybrid_options()).solve(inc, 1);
    CHECK(std::abs(hybrid.value.objective - f.optimum) <= 1e-9 * f.optimum);
    for (double other : {local.value.objective, edge.value.objective, cloud.value.objective,
                         greedy.value.objective, blocks.value.objective})
        CHECK(hybrid.value.objective <= other * (1 + 1e-12));
}

TEST_CASE("tier plans honour pins and seed the swarm") {
    fixture f;
    constraints limits;
    limits.pinned.assign(f.graph.size(), std::nullopt);
    limits.pinned[0] = node_id{0};
    problem_type pinned(f.graph, f.model, {}, limits);
    const auto plans = tier_plans(pinned, f.model.env());
    REQUIRE(plans.size() == 3);
    for (const auto& p : plans) CHECK(p[0] == 0);
    CHECK(plans[2][1] == 3);
    const auto r = paper_pso_ga({.population = 10, .iterations = 5}).solve(pinned, 1, plans);
    for (const auto& p : plans) CHECK(r.value.objective <= pinned.evaluate(p).objective);
}

namespace {

// Records what an observer sees; stops the run (returns false) at iteration `stop_at`.
struct recorder {
    std::vector<iteration_record> seen{};
    std::size_t stop_at = ~std::size_t{0};
    std::size_t dimension = 0;
    bool operator()(const iteration_record& r, std::span<const node_id> best) {
        seen.push_back(r);
        CHECK(best.size() == dimension);
        return r.iteration < stop_at;
    }
};

// Small instances of each iterating baseline, so that runs are short.
template <class O>
O small();
template <>
genetic_algorithm<> small<genetic_algorithm<>>() {
    return genetic_algorithm<>({.population = 12, .generations = 40});
}
template <>
discrete_pso<> small<discrete_pso<>>() {
    return discrete_pso<>({.population = 12, .iterations = 40});
}
template <>
random_search<> small<random_search<>>() {
    return random_search<>({.evaluations = 480, .batch = 12});
}
template <>
greedy_per_layer small<greedy_per_layer>() {
    return greedy_per_layer(true);
}

}  // namespace

TEST_CASE_TEMPLATE("every baseline shows each iteration to the observer and can be stopped by it",
                   O, genetic_algorithm<>, discrete_pso<>, random_search<>, greedy_per_layer) {
    fixture f;
    const O optimiser = small<O>();
    // Without a stop from the observer: one call per iteration, 0..n, the same records as the log.
    recorder all{.dimension = f.graph.size()};
    const auto r = optimiser.solve(f.problem, 3, all);
    REQUIRE(all.seen.size() == r.iterations + 1);
    for (std::size_t i = 0; i < all.seen.size(); ++i) CHECK(all.seen[i].iteration == i);
    CHECK(all.seen == r.log);
    CHECK(!r.stopped_by_observer);
    CHECK(r.iterations >= 1);
    CHECK(all.seen.back().evaluations == r.evaluations);
    CHECK(all.seen.back().best_objective == r.value.objective);
    // The observer changes nothing else: the same run as without it.
    const auto quiet = optimiser.solve(f.problem, 3);
    CHECK(quiet.log == r.log);
    CHECK(quiet.placement == r.placement);
    // Returning false at iteration 1 ends the run there.
    recorder early{.stop_at = 1, .dimension = f.graph.size()};
    const auto s = optimiser.solve(f.problem, 3, early, max_iterations{});
    CHECK(s.stopped_by_observer);
    CHECK(s.iterations == 1);
    CHECK(early.seen.size() == 2);
    CHECK(s.log == early.seen);
    CHECK(gene_space(f.problem).contains(s.placement));
    CHECK(f.problem.evaluate(s.placement).objective == s.value.objective);
}

TEST_CASE_TEMPLATE("every stochastic baseline honours the stop condition given to solve()", O,
                   genetic_algorithm<>, discrete_pso<>, random_search<>) {
    fixture f;
    const O optimiser = small<O>();
    std::size_t calls = 0;
    auto count = [&](const iteration_record& r, std::span<const node_id>) {
        CHECK(r.iteration == calls++);
    };
    // An iteration limit below the planned one...
    const auto a = optimiser.solve(f.problem, 4, count, max_iterations{.count = 6});
    CHECK(a.iterations == 6);
    CHECK(a.log.size() == 7);
    CHECK(calls == 7);
    CHECK(!a.stopped_by_observer);
    // ... and above it: the given stop replaces the baseline's own rule.
    const auto b = optimiser.solve(f.problem, 4, no_observer{}, max_iterations{.count = 55});
    CHECK(b.iterations == 55);
    // The shorter run is the longer one cut short: same seed, same records.
    for (std::size_t i = 0; i < a.log.size(); ++i) CHECK(a.log[i] == b.log[i]);
    // An evaluation budget (each iteration prices at most the 12 individuals).
    const auto c = optimiser.solve(f.problem, 4, no_observer{}, max_evaluations{.count = 100});
    CHECK(c.evaluations >= 100);
    CHECK(c.evaluations < 100 + 12);
    CHECK(c.log.back().evaluations == c.evaluations);
    // Composed conditions; max_iterations{} is the planned count (the horizon).
    const auto d = optimiser.solve(f.problem, 4, no_observer{},
                                   max_iterations{} || stall_iterations{.count = 3});
    const auto planned = optimiser.solve(f.problem, 4);
    CHECK(d.iterations <= planned.iterations);
    std::size_t stall = 0;
    for (std::size_t i = 1; i < d.log.size(); ++i)
        stall = d.log[i].best_objective < d.log[i - 1].best_objective ? 0 : stall + 1;
    CHECK((stall == 3 || d.iterations == planned.iterations));
    // Same seed, observer and stop: the identical result.
    const auto e = optimiser.solve(f.problem, 4, no_observer{}, max_evaluations{.count = 100});
    CHECK(e.log == c.log);
    CHECK(e.placement == c.placement);
    CHECK(e.value.objective == c.value.objective);
    // An invalid stop is refused.
    CHECK_THROWS_AS(optimiser.solve(f.problem, 4, no_observer{}, stall_iterations{.count = 0}),
                    error);
}

TEST_CASE("the options' stall is the default stop of the baselines") {
    fixture f;
    const auto ga =
        genetic_algorithm<>({.population = 12, .generations = 500, .stall = 5}).solve(f.problem, 6);
    std::size_t stall = 0;
    for (std::size_t i = 1; i < ga.log.size(); ++i)
        stall = ga.log[i].best_objective < ga.log[i - 1].best_objective ? 0 : stall + 1;
    CHECK(ga.iterations < 500);
    CHECK(stall == 5);
    const auto rs =
        random_search<>({.evaluations = 5000, .batch = 10, .stall = 4}).solve(f.problem, 6);
    CHECK(rs.evaluations < 5000);
    CHECK(rs.log.size() == rs.iterations + 1);
    const auto full = random_search<>({.evaluations = 550, .batch = 100}).solve(f.problem, 6);
    CHECK(full.evaluations == 600);  // whole batches
    CHECK(full.iterations == 5);     // the first batch is iteration 0
}

TEST_CASE("greedy ends at a pass that improves nothing, or when told to") {
    fixture f;
    const auto all = greedy_per_layer().solve(f.problem);
    REQUIRE(all.log.size() >= 3);  // the start, at least one improving pass, the last one
    CHECK(all.log[all.log.size() - 1].best_objective == all.log[all.log.size() - 2].best_objective);
    for (std::size_t i = 1; i + 1 < all.log.size(); ++i)
        CHECK(all.log[i].best_objective < all.log[i - 1].best_objective);
    const auto one =
        greedy_per_layer().solve(f.problem, 0, no_observer{}, max_iterations{.count = 1});
    CHECK(one.iterations == 1);
    CHECK(one.log.size() == 2);
    CHECK(one.log[1] == all.log[1]);
}

TEST_CASE("the one-shot baselines show their plan to the observer once") {
    fixture f;
    recorder tier_seen{.dimension = f.graph.size()};
    const auto t =
        tier_baseline(f.model.env(), tier::cloud).solve(f.problem, 1, tier_seen, max_iterations{});
    REQUIRE(tier_seen.seen.size() == 1);
    CHECK(tier_seen.seen[0].iteration == 0);
    CHECK(tier_seen.seen[0].best_objective == t.value.objective);
    CHECK(t.log == tier_seen.seen);
    recorder exact_seen{.stop_at = 0, .dimension = f.graph.size()};
    const auto e = exact_baseline<analytic_model>(f.graph, f.model)
                       .solve(f.problem, 1, exact_seen, max_iterations{});
    REQUIRE(exact_seen.seen.size() == 1);
    CHECK(e.stopped_by_observer);
    CHECK(e.log == exact_seen.seen);
    CHECK(std::abs(e.value.objective - f.optimum) <= 1e-9 * f.optimum);
}
