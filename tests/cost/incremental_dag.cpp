// incremental_dag equals delay_evaluator bit for bit: after any sequence of mutations and
// crossovers, every field of its evaluation is the double a full pass gives. Instances: random
// DAGs of every shape (make_random_dag, seeds 1-3, 2 to 300 layers) and the fixtures' random
// DAGs (seed 31), in the four hard environments and in the three-tier environment with every
// optional term on (upload, energy, memory capacities, pins, deadline); every zoo model (seed 32).
// The pairwise sums themselves are checked against each other (seed 30). A large block move
// taken back, whole or in two steps, is priced from the sums kept before it (seed 7).
#include <eosdnn/cost/incremental_dag.hpp>

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/incremental.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/detail/pairwise_sum.hpp>
#include <eosdnn/optim/gene_space.hpp>
#include <eosdnn/optim/operators/crossover.hpp>
#include <eosdnn/optim/operators/mutation.hpp>
#include <eosdnn/optim/pinned_problem.hpp>
#include <eosdnn/zoo/random_dag.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include "../optim/fixtures.hpp"
#include "../optim/hard_environments.hpp"
#include "same_bits.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <vector>

using namespace eosdnn;

static_assert(incremental_placement_problem<incremental_dag<analytic_model>>);
static_assert(incremental_placement_problem<pinned_problem<incremental_dag<analytic_model>>>);

namespace {

using cost_test::require_same;
using cost_test::same_bits;
using cost_test::with_extras;

// Random changes of the kinds PSO-GA makes; after each, the incremental value must be the full
// pass's and a fresh state's, bit for bit.
void check_changes(const layer_graph& g, const analytic_model& model, objective_options options,
                   constraints limits, int steps, std::mt19937_64& rng) {
    incremental_dag<analytic_model> inc(g, model, options, limits);
    delay_evaluator<analytic_model> full(g, model, options, limits);
    const std::size_t n = g.size();
    const auto c = inc.choices(0);
    const gene_space space(
        std::vector<std::vector<node_id>>(n, std::vector<node_id>(c.begin(), c.end())));
    std::vector<node_id> x(n), guide(n);
    for (auto& v : x) v = c[rng() % c.size()];
    auto state = inc.make_state();
    require_same(inc.evaluate(state, x), full.evaluate(x));
    for (int step = 0; step < steps; ++step) {
        gene_range r{};
        switch (rng() % 5) {
        case 0: r = uniform_reset_mutation{}(std::span<node_id>(x), space, rng); break;
        case 1: r = k_gene_reset_mutation{.k = 3}(std::span<node_id>(x), space, rng); break;
        case 2: r = segment_reset_mutation{}(std::span<node_id>(x), space, rng); break;
        case 3:
            for (auto& v : guide) v = c[rng() % c.size()];
            r = two_point_crossover{}(std::span<node_id>(x), std::span<const node_id>(guide), space,
                                      rng);
            break;
        default:
            for (auto& v : guide) v = c[rng() % c.size()];
            r = uniform_crossover{}(std::span<node_id>(x), std::span<const node_id>(guide), space,
                                    rng);
        }
        const evaluation step_value = inc.evaluate(state, x, r);
        require_same(step_value, full.evaluate(x));
        auto fresh = inc.make_state();
        require_same(step_value, inc.evaluate(fresh, x));
    }
}

// Every optional term on: upload, energy (weighted), memory capacities, a pinned layer, a
// deadline between all-local and all-offloaded.
void check_with_extras(const layer_graph& g, const environment& env, int steps,
                       std::mt19937_64& rng) {
    const analytic_model model(with_extras(env, g.total_param_bytes()));
    constraints limits{.memory = true};
    limits.pinned.assign(g.size(), std::nullopt);
    limits.pinned[rng() % g.size()] = node_id{0};
    const std::vector<node_id> local(g.size(), 0);
    limits.deadline_s = 0.5 * delay_evaluator<analytic_model>(g, model).evaluate(local).delay_s;
    check_changes(g, model, {.include_upload = true, .energy_weight = 0.25}, limits, steps, rng);
}

}  // namespace

TEST_CASE("pairwise accumulator and pairwise tree give the same sums") {
    std::mt19937_64 rng(30);
    for (std::size_t n : {1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33, 100, 257, 1000}) {
        std::vector<double> terms(n);
        for (auto& t : terms) t = std::pow(10.0, optim_test::uniform(rng, -9, 3));
        const detail::pairwise_shape shape(n, 2);
        std::vector<double> tree(shape.doubles(), 0.0);
        for (int round = 0; round < 20; ++round) {
            detail::pairwise_accumulator a, b;
            for (std::size_t i = 0; i < n; ++i) {
                a.add(terms[i]);
                b.add(2 * terms[i]);
            }
            if (round == 0) {
                for (std::size_t i = 0; i < n; ++i) {
                    shape.row(tree, 0, i)[0] = terms[i];
                    shape.row(tree, 0, i)[1] = 2 * terms[i];
                }
                shape.build(tree);
            }
            REQUIRE(same_bits(shape.root(tree)[0], a.total()));
            REQUIRE(same_bits(shape.root(tree)[1], b.total()));
            // Change a few terms and update their ancestors only.
            std::vector<std::size_t> changed;
            for (int k = 0; k < 3; ++k) changed.push_back(rng() % n);
            std::sort(changed.begin(), changed.end());
            changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
            for (std::size_t i : changed) {
                terms[i] = std::pow(10.0, optim_test::uniform(rng, -9, 3));
                shape.row(tree, 0, i)[0] = terms[i];
                shape.row(tree, 0, i)[1] = 2 * terms[i];
            }
            shape.update(tree, changed);
        }
    }
    CHECK(detail::pairwise_accumulator{}.total() == 0.0);
}

TEST_CASE("incremental dag equals the full pass bit for bit on random DAGs in hard environments") {
    std::mt19937_64 rng(1);
    const auto envs = optim_test::hard_environments();
    for (const dag_shape shape : {dag_shape::chain, dag_shape::residual, dag_shape::inception,
                                  dag_shape::mixed, dag_shape::layered})
        for (std::uint64_t seed : {1, 2, 3})
            for (std::size_t layers : {2, 37, 300}) {
                const layer_graph g =
                    make_random_dag({.layers = layers, .shape = shape, .seed = seed});
                const auto& env = envs[seed % envs.size()].env;
                CAPTURE(std::string(to_string(shape)));
                CAPTURE(seed);
                CAPTURE(layers);
                check_changes(g, analytic_model(env), {}, {}, 60, rng);
                check_with_extras(g, env, 60, rng);
            }
}

TEST_CASE("incremental dag equals the full pass bit for bit with fractional parameter bytes") {
    // The fixtures' layers have fractional parameter bytes: the loads are re-added in full.
    std::mt19937_64 rng(31);
    for (int instance = 0; instance < 12; ++instance) {
        const layer_graph g = optim_test::random_dag(3 + rng() % 80, rng);
        const auto speed = static_cast<optim_test::link_speed>(instance % 3);
        CAPTURE(instance);
        check_changes(g, analytic_model(optim_test::three_tier(speed)), {}, {}, 100, rng);
        check_with_extras(g, optim_test::three_tier(speed), 100, rng);
    }
}

TEST_CASE("incremental dag equals the full pass bit for bit on every zoo model") {
    std::mt19937_64 rng(32);
    const auto envs = optim_test::hard_environments();
    for (const std::string_view name : zoo_model_names()) {
        const layer_graph g = zoo_model(name);
        CAPTURE(std::string(name));
        check_changes(g, analytic_model(optim_test::three_tier(optim_test::link_speed::medium)), {},
                      {}, 40, rng);
        check_with_extras(g, envs[g.size() % envs.size()].env, 40, rng);
    }
}

TEST_CASE("incremental dag reports no change as the cached value and refuses bad input") {
    std::mt19937_64 rng(33);
    const layer_graph g = make_random_dag({.layers = 50, .shape = dag_shape::mixed, .seed = 4});
    const analytic_model model(optim_test::three_tier(optim_test::link_speed::fast));
    incremental_dag<analytic_model> inc(g, model);
    std::vector<node_id> x(g.size(), 1);
    auto state = inc.make_state();
    const evaluation first = inc.evaluate(state, x);
    require_same(inc.evaluate(state, x, gene_range{0, g.size()}), first);
    require_same(inc.evaluate(state, x, gene_range{}), first);
    // An empty state is filled in full.
    auto empty = inc.make_state();
    require_same(inc.evaluate(empty, x, gene_range{3, 4}), first);
    // A gene outside the environment throws, and the state recovers on the next call.
    x[7] = 42;
    CHECK_THROWS_AS(inc.evaluate(state, x, gene_range{7, 8}), error);
    x[7] = 2;
    require_same(inc.evaluate(state, x, gene_range{7, 8}), inc.evaluate(x));
    CHECK_THROWS_AS(
        incremental_dag<analytic_model>(g, model, {.schedule = dag_schedule::list_scheduled}),
        error);
    CHECK_THROWS_AS(
        incremental_dag<analytic_model>(g, model, {.schedule = dag_schedule::unbounded}), error);
}

namespace {

// A block move over [a, b) (often large, so priced by the full pass), then taken back whole or
// in two parts: incremental_dag prices the take-back from the sums it kept, without a pass.
void take_back_walk(const layer_graph& g, const analytic_model& model, objective_options o,
                    constraints l, std::mt19937_64& rng) {
    incremental_dag<analytic_model> inc(g, model, o, l);
    delay_evaluator<analytic_model> full(g, model, o, l);
    const std::size_t n = g.size();
    const auto c = inc.choices(0);
    std::vector<node_id> x(n);
    for (auto& v : x) v = c[rng() % c.size()];
    auto state = inc.make_state();
    cost_test::require_same(inc.evaluate(state, x), full.evaluate(x));
    for (int step = 0; step < 80; ++step) {
        const std::vector<node_id> saved = x;
        // A block move over [a, b) (often large), priced, then taken back whole or in two parts,
        // then sometimes kept and followed by a small move.
        std::size_t a = rng() % n, b = rng() % n;
        if (a > b) std::swap(a, b);
        ++b;
        const node_id v = c[rng() % c.size()];
        for (std::size_t k = a; k < b; ++k) x[k] = v;
        cost_test::require_same(inc.evaluate(state, x, gene_range{a, b}), full.evaluate(x));
        const int how = static_cast<int>(rng() % 3);
        if (how == 0) {
            x = saved;
            cost_test::require_same(inc.evaluate(state, x, gene_range{a, b}), full.evaluate(x));
        } else if (how == 1) {
            const std::size_t m = a + (b - a) / 2;
            for (std::size_t k = a; k < m; ++k) x[k] = saved[k];
            cost_test::require_same(inc.evaluate(state, x, gene_range{a, m}), full.evaluate(x));
            for (std::size_t k = m; k < b; ++k) x[k] = saved[k];
            cost_test::require_same(inc.evaluate(state, x, gene_range{m, b}), full.evaluate(x));
        }
        const std::size_t s = rng() % n;
        x[s] = c[rng() % c.size()];
        cost_test::require_same(inc.evaluate(state, x, gene_range{s, s + 1}), full.evaluate(x));
        auto fresh = inc.make_state();
        cost_test::require_same(inc.evaluate(fresh, x), full.evaluate(x));
    }
}
}  // namespace

TEST_CASE("a large change taken back is priced from the kept sums, bit for bit") {
    std::mt19937_64 rng(7);
    const auto envs = optim_test::hard_environments();
    for (const dag_shape shape : {dag_shape::chain, dag_shape::residual, dag_shape::inception,
                                  dag_shape::mixed, dag_shape::layered})
        for (std::uint64_t seed : {1, 2})
            for (std::size_t layers : {3, 40, 250}) {
                const layer_graph g =
                    make_random_dag({.layers = layers, .shape = shape, .seed = seed});
                const auto& env = envs[seed % envs.size()].env;
                take_back_walk(g, analytic_model(env), {}, {}, rng);
                const analytic_model extras(cost_test::with_extras(env, g.total_param_bytes()));
                constraints limits{.memory = true};
                limits.pinned.assign(g.size(), std::nullopt);
                limits.pinned[rng() % g.size()] = node_id{0};
                take_back_walk(g, extras, {.include_upload = true, .energy_weight = 0.25}, limits,
                               rng);
            }
    for (const char* name : {"resnet50", "googlenet", "vit_b_16"})
        take_back_walk(zoo_model(name),
                       analytic_model(optim_test::three_tier(optim_test::link_speed::medium)), {},
                       {}, rng);
}
