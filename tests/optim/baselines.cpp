// The baselines behind the same interface as PSO-GA: each returns a valid plan, is reproducible,
// validates its options, and none beats the hybrid PSO-GA, which reaches the exact optimum.
#include <eosdnn/optim/baselines/discrete_pso.hpp>
#include <eosdnn/optim/baselines/genetic_algorithm.hpp>
#include <eosdnn/optim/baselines/greedy.hpp>
#include <eosdnn/optim/baselines/random_search.hpp>

#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/incremental_chain.hpp>
#include <eosdnn/error.hpp>
#include <eosdnn/optim/exact.hpp>
#include <eosdnn/optim/optimiser.hpp>
#include <eosdnn/optim/pso_ga.hpp>
#include <eosdnn/optim/seeding.hpp>

#include "fixtures.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace eosdnn;
using problem_type = delay_evaluator<analytic_model>;

static_assert(placement_optimiser<paper_pso_ga, problem_type>);
static_assert(placement_optimiser<hybrid_pso_ga, problem_type>);
static_assert(placement_optimiser<genetic_algorithm<>, problem_type>);
static_assert(placement_optimiser<genetic_algorithm<k_gene_reset_mutation, uniform_crossover>, problem_type>);
static_assert(placement_optimiser<discrete_pso<>, problem_type>);
static_assert(placement_optimiser<random_search<>, problem_type>);
static_assert(placement_optimiser<greedy_per_layer, problem_type>);
static_assert(placement_optimiser<tier_baseline, problem_type>);
static_assert(placement_optimiser<exact_baseline<analytic_model>, problem_type>);

namespace {

struct fixture {
    std::mt19937_64 rng{51};
    layer_graph graph = optim_test::random_chain(30, rng);
    analytic_model model{optim_test::three_tier(optim_test::link_speed::medium)};
    problem_type problem{graph, model};
    double optimum = viterbi_chain(graph, model).delay_s;
};

}  // namespace

TEST_CASE_TEMPLATE("a stochastic baseline returns a valid, reproducible plan no better than the optimum", O,
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
    for (std::size_t i = 1; i < a.log.size(); ++i) CHECK(a.log[i].best_objective <= a.log[i - 1].best_objective);
}

TEST_CASE("the GA and the plain PSO give the same result on two threads") {
    fixture f;
    const auto g1 = genetic_algorithm<>({.population = 20, .generations = 30}).solve(f.problem, 5);
    const auto g2 = genetic_algorithm<>({.population = 20, .generations = 30, .threads = 2}).solve(f.problem, 5);
    CHECK(g1.log == g2.log);
    const auto p1 = discrete_pso<>({.population = 20, .iterations = 30}).solve(f.problem, 5);
    const auto p2 = discrete_pso<>({.population = 20, .iterations = 30, .threads = 2}).solve(f.problem, 5);
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
        CHECK(std::string(e.what()).find("genetic_algorithm_options.crossover_rate") != std::string::npos);
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
