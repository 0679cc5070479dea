// Incremental chain evaluation equals full evaluation: after any sequence of changes its value is
// the one a fresh full pass gives (bit for bit) and delay_evaluator's (to rounding).
#include <eosdnn/cost/incremental_chain.hpp>

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/incremental.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/optim/exact.hpp>
#include <eosdnn/optim/operators/crossover.hpp>
#include <eosdnn/optim/operators/mutation.hpp>
#include <eosdnn/optim/pinned_problem.hpp>

#include "fixtures.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <span>
#include <vector>

using namespace eosdnn;

static_assert(incremental_placement_problem<incremental_chain<analytic_model>>);
static_assert(!incremental_placement_problem<delay_evaluator<analytic_model>>);
static_assert(incremental_placement_problem<pinned_problem<incremental_chain<analytic_model>>>);
static_assert(!incremental_placement_problem<pinned_problem<delay_evaluator<analytic_model>>>);
static_assert(placement_problem<pinned_problem<delay_evaluator<analytic_model>>>);

namespace {

bool close(double a, double b) {
    return std::abs(a - b) <= 1e-12 * std::max(std::abs(a), std::abs(b));
}

void check_same(const evaluation& inc, const evaluation& full) {
    CHECK(close(inc.delay_s, full.delay_s));
    CHECK(close(inc.upload_s, full.upload_s));
    CHECK(close(inc.objective, full.objective));
    CHECK(close(inc.violation, full.violation));
    CHECK(inc.feasible() == full.feasible());
}

// A chain whose layer ids are not in chain order, to exercise the rank mapping.
layer_graph shuffled_chain(std::size_t n, std::mt19937_64& rng) {
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    for (std::size_t i = n; i-- > 1;) std::swap(order[i], order[rng() % (i + 1)]);
    layer_graph_builder b("shuffled");
    b.set_input_bytes(1000);
    for (std::size_t i = 0; i < n; ++i)
        b.add_layer(optim_test::random_layer("l" + std::to_string(i), rng));
    for (std::size_t i = 1; i < n; ++i) b.add_edge(order[i - 1], order[i]);
    return b.build();
}

}  // namespace

TEST_CASE("incremental chain evaluation equals full evaluation after random changes") {
    std::mt19937_64 rng(21);
    for (int instance = 0; instance < 24; ++instance) {
        const std::size_t n = 1 + rng() % 60;
        const layer_graph g =
            instance % 3 == 2 ? shuffled_chain(n, rng) : optim_test::random_chain(n, rng);
        environment_builder eb;
        const auto speed = static_cast<optim_test::link_speed>(instance % 3);
        analytic_model model(optim_test::three_tier(speed));
        // Half the instances add the upload term, memory capacities, a pin and a deadline.
        objective_options options{};
        constraints limits{};
        if (instance % 2) {
            options.include_upload = true;
            limits.deadline_s = 0.05;
            limits.pinned.assign(n, std::nullopt);
            limits.pinned[rng() % n] = node_id{0};
            model = analytic_model(optim_test::with_server_memory(optim_test::three_tier(speed),
                                                                  g.total_param_bytes() / 3));
        }
        incremental_chain<analytic_model> inc(g, model, options, limits);
        delay_evaluator<analytic_model> full(g, model, options, limits);
        const gene_space space(std::vector<std::vector<node_id>>(
            n, std::vector<node_id>(inc.choices(0).begin(), inc.choices(0).end())));
        std::vector<node_id> x(n), guide(n);
        for (auto& v : x) v = space.choices(0)[rng() % space.choice_count(0)];
        auto state = inc.make_state();
        check_same(inc.evaluate(state, x), full.evaluate(x));
        for (int step = 0; step < 200; ++step) {
            gene_range r{};
            switch (rng() % 4) {
            case 0: r = uniform_reset_mutation{}(std::span<node_id>(x), space, rng); break;
            case 1: r = k_gene_reset_mutation{.k = 3}(std::span<node_id>(x), space, rng); break;
            case 2:
                for (auto& v : guide) v = space.choices(0)[rng() % space.choice_count(0)];
                r = two_point_crossover{}(std::span<node_id>(x), std::span<const node_id>(guide),
                                          space, rng);
                break;
            default:
                for (auto& v : guide) v = space.choices(0)[rng() % space.choice_count(0)];
                r = uniform_crossover{}(std::span<node_id>(x), std::span<const node_id>(guide),
                                        space, rng);
            }
            const evaluation step_value = inc.evaluate(state, x, r);
            auto fresh = inc.make_state();
            const evaluation fresh_value = inc.evaluate(fresh, x);
            // A function of the placement alone: bit-identical to a fresh pass.
            REQUIRE(step_value.objective == fresh_value.objective);
            REQUIRE(step_value.violation == fresh_value.violation);
            check_same(step_value, full.evaluate(x));
            if (!limits.deadline_s && !options.include_upload)
                CHECK(close(step_value.delay_s, sequential_delay(g, model, x, 0)));
        }
    }
}

TEST_CASE("incremental chain refuses DAGs and the energy term") {
    std::mt19937_64 rng(22);
    analytic_model model(optim_test::three_tier(optim_test::link_speed::fast));
    CHECK_THROWS_AS(incremental_chain<analytic_model>(optim_test::random_dag(8, rng), model),
                    error);
    CHECK_THROWS_AS(incremental_chain<analytic_model>(optim_test::random_chain(8, rng), model,
                                                      {.energy_weight = 1}),
                    error);
}
