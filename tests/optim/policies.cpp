// Changing one policy of PSO-GA at a time: the rebinding helpers (with_mutation, with_stop, ...,
// the with_* member types) and the named policies (pso_ga_policies) change exactly one policy
// and give the same run as the spelled-out engine; a policy without validate() is accepted; a
// stop condition given to solve() replaces the engine's own for that run.
#include <eosdnn/optim/pso_ga.hpp>

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/incremental_chain.hpp>
#include <eosdnn/optim/optimiser.hpp>

#include "fixtures.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <random>
#include <span>
#include <type_traits>
#include <vector>

using namespace eosdnn;
using optim_test::link_speed;

namespace {

using chain_problem = incremental_chain<analytic_model>;

struct policy_fixture {
    std::mt19937_64 rng{61};
    layer_graph graph = optim_test::random_chain(30, rng);
    analytic_model model{optim_test::three_tier(link_speed::medium)};
    chain_problem problem{graph, model};
};

// Policies with nothing to check, hence no validate().
struct
    first_free_to_last_choice {  // a mutation: the first free gene not on its last choice moves there
    template <std::uniform_random_bit_generator Rng>
    gene_range operator()(std::span<node_id> x, const gene_space& space, Rng&) const {
        for (std::size_t g : space.free_genes()) {
            const node_id last = space.choices(g).back();
            if (x[g] == last) continue;
            x[g] = last;
            return {g, g + 1};
        }
        return {};
    }
};
struct half_inertia {
    double operator()(const inertia_context&) const { return 0.5; }
};
struct fixed_coefficients {
    coefficients operator()(std::size_t, std::size_t) const { return {0.3, 0.6}; }
};
struct stop_after {
    std::size_t count;
    bool operator()(const run_status& r) const { return r.iteration >= count; }
};

static_assert(!validating_policy<first_free_to_last_choice>);
static_assert(!validating_policy<half_inertia>);
static_assert(!validating_policy<stop_after>);
static_assert(!validating_policy<uniform_reset_mutation>);  // the empty validate()s are gone
static_assert(!validating_policy<two_point_crossover>);
static_assert(!validating_policy<max_iterations>);
static_assert(validating_policy<k_gene_reset_mutation>);
static_assert(mutation_operator<first_free_to_last_choice, std::mt19937_64>);
static_assert(inertia_schedule<half_inertia>);
static_assert(coefficient_schedule<fixed_coefficients>);
static_assert(stop_condition<stop_after>);
static_assert(stop_condition<decltype(stop_after{3} || max_evaluations{})>);

// The with_* member types change one parameter and keep the others.
using paper = pso_ga<uniform_reset_mutation, two_point_crossover, adaptive_exponential_inertia,
                     linear_coefficients, default_stop, std::mt19937_64>;
static_assert(std::is_same_v<paper_pso_ga, paper>);
static_assert(std::is_same_v<paper_pso_ga::with_mutation<segment_reset_mutation>, hybrid_pso_ga>);
static_assert(
    std::is_same_v<paper_pso_ga::with_stop<max_evaluations>,
                   pso_ga<uniform_reset_mutation, two_point_crossover, adaptive_exponential_inertia,
                          linear_coefficients, max_evaluations>>);
static_assert(std::is_same_v<hybrid_pso_ga::with_crossover<uniform_crossover>,
                             pso_ga<segment_reset_mutation, uniform_crossover>>);
static_assert(std::is_same_v<
              paper_pso_ga::with_inertia<linear_inertia>::with_coefficients<constant_coefficients>,
              pso_ga<uniform_reset_mutation, two_point_crossover, linear_inertia,
                     constant_coefficients>>);
static_assert(
    std::is_same_v<paper_pso_ga::with_engine<std::minstd_rand>::random_engine, std::minstd_rand>);
static_assert(
    std::is_same_v<paper_pso_ga::with_engine<std::minstd_rand>::with_stop<max_iterations>,
                   pso_ga<uniform_reset_mutation, two_point_crossover, adaptive_exponential_inertia,
                          linear_coefficients, max_iterations, std::minstd_rand>>);

// The named policies deduce the engine type and keep the paper's defaults for the others.
static_assert(std::is_same_v<decltype(pso_ga({}, pso_ga_policies{.stop = max_evaluations{}})),
                             paper_pso_ga::with_stop<max_evaluations>>);
static_assert(
    std::is_same_v<decltype(pso_ga({}, pso_ga_policies{.mutation = segment_reset_mutation{}})),
                   hybrid_pso_ga>);

bool same_run(const optimisation_result& a, const optimisation_result& b) {
    return a.log == b.log && a.placement == b.placement && a.iterations == b.iterations &&
           a.evaluations == b.evaluations;
}

}  // namespace

TEST_CASE("rebinding one policy keeps the others and runs as the spelled-out engine") {
    policy_fixture f;
    const pso_ga_options options{.population = 12, .iterations = 40};
    // A base engine whose every policy differs from its default, so a lost value would show.
    const auto base =
        pso_ga(options, pso_ga_policies{.mutation = k_gene_reset_mutation{.k = 3},
                                        .crossover = uniform_crossover{.rate = 0.3},
                                        .inertia = constant_inertia{.w = 0.4},
                                        .coefficients = constant_coefficients{.c1 = 0.6, .c2 = 0.7},
                                        .stop = max_iterations{.count = 25}});
    using spelled_base = pso_ga<k_gene_reset_mutation, uniform_crossover, constant_inertia,
                                constant_coefficients, max_iterations>;
    static_assert(std::is_same_v<decltype(base), const spelled_base>);
    const spelled_base positional(options, {.k = 3}, {.rate = 0.3}, {.w = 0.4},
                                  {.c1 = 0.6, .c2 = 0.7}, {.count = 25});
    const auto reference = positional.solve(f.problem, 7);
    CHECK(same_run(base.solve(f.problem, 7), reference));
    CHECK(reference.iterations == 25);

    SUBCASE("mutation") {
        const auto m = with_mutation(base, k_gene_reset_mutation{.k = 5});
        static_assert(std::is_same_v<decltype(m), const spelled_base>);
        CHECK(m.mutation().k == 5);
        CHECK(m.crossover().rate == 0.3);
        CHECK(m.inertia().w == 0.4);
        CHECK(m.coefficients_schedule().c2 == 0.7);
        CHECK(m.stop().count == 25);
        CHECK(m.options().population == 12);
        const spelled_base spelled(options, {.k = 5}, {.rate = 0.3}, {.w = 0.4},
                                   {.c1 = 0.6, .c2 = 0.7}, {.count = 25});
        const auto r = m.solve(f.problem, 7);
        CHECK(same_run(r, spelled.solve(f.problem, 7)));
        CHECK(!same_run(r, reference));  // the new mutation is the one used

        const auto seg = with_mutation(base, segment_reset_mutation{});
        using spelled_seg = pso_ga<segment_reset_mutation, uniform_crossover, constant_inertia,
                                   constant_coefficients, max_iterations>;
        static_assert(std::is_same_v<decltype(seg), const spelled_seg>);
        CHECK(same_run(seg.solve(f.problem, 8), spelled_seg(options, {}, {.rate = 0.3}, {.w = 0.4},
                                                            {.c1 = 0.6, .c2 = 0.7}, {.count = 25})
                                                    .solve(f.problem, 8)));
    }
    SUBCASE("crossover") {
        const auto c = with_crossover(base, two_point_crossover{});
        using spelled = pso_ga<k_gene_reset_mutation, two_point_crossover, constant_inertia,
                               constant_coefficients, max_iterations>;
        static_assert(std::is_same_v<decltype(c), const spelled>);
        CHECK(c.mutation().k == 3);
        CHECK(c.stop().count == 25);
        const auto r = c.solve(f.problem, 7);
        CHECK(same_run(
            r, spelled(options, {.k = 3}, {}, {.w = 0.4}, {.c1 = 0.6, .c2 = 0.7}, {.count = 25})
                   .solve(f.problem, 7)));
        CHECK(!same_run(r, reference));
    }
    SUBCASE("inertia and coefficients") {
        const auto i = with_inertia(base, linear_inertia{.w_max = 0.9, .w_min = 0.1});
        using spelled_i = pso_ga<k_gene_reset_mutation, uniform_crossover, linear_inertia,
                                 constant_coefficients, max_iterations>;
        static_assert(std::is_same_v<decltype(i), const spelled_i>);
        CHECK(same_run(i.solve(f.problem, 7),
                       spelled_i(options, {.k = 3}, {.rate = 0.3}, {.w_max = 0.9, .w_min = 0.1},
                                 {.c1 = 0.6, .c2 = 0.7}, {.count = 25})
                           .solve(f.problem, 7)));
        const auto c = with_coefficients(base, linear_coefficients{});
        using spelled_c = pso_ga<k_gene_reset_mutation, uniform_crossover, constant_inertia,
                                 linear_coefficients, max_iterations>;
        static_assert(std::is_same_v<decltype(c), const spelled_c>);
        CHECK(c.inertia().w == 0.4);
        const auto r = c.solve(f.problem, 7);
        CHECK(same_run(r, spelled_c(options, {.k = 3}, {.rate = 0.3}, {.w = 0.4}, {}, {.count = 25})
                              .solve(f.problem, 7)));
        CHECK(!same_run(r, reference));
    }
    SUBCASE("stop") {
        const auto s = with_stop(base, max_evaluations{.count = 150});
        using spelled = pso_ga<k_gene_reset_mutation, uniform_crossover, constant_inertia,
                               constant_coefficients, max_evaluations>;
        static_assert(std::is_same_v<decltype(s), const spelled>);
        CHECK(s.mutation().k == 3);
        CHECK(s.crossover().rate == 0.3);
        const auto r = s.solve(f.problem, 7);
        CHECK(same_run(r, spelled(options, {.k = 3}, {.rate = 0.3}, {.w = 0.4},
                                  {.c1 = 0.6, .c2 = 0.7}, {.count = 150})
                              .solve(f.problem, 7)));
        CHECK(r.evaluations >= 150);
        CHECK(r.evaluations < 150 + 12);
        // The run is the reference run cut at another point: the same records up to there.
        REQUIRE(r.log.size() <= reference.log.size());
        for (std::size_t i = 0; i < r.log.size(); ++i) CHECK(r.log[i] == reference.log[i]);
    }
    SUBCASE("options and engine") {
        const auto o = with_options(base, {.population = 12, .iterations = 40, .threads = 2});
        CHECK(o.options().threads == 2);
        CHECK(o.mutation().k == 3);
        CHECK(same_run(o.solve(f.problem, 7), reference));  // threads never change a run
        const auto e = with_engine<std::minstd_rand>(base);
        static_assert(std::is_same_v<decltype(e)::random_engine, std::minstd_rand>);
        CHECK(e.stop().count == 25);
        const auto r = e.solve(f.problem, 7);
        CHECK(same_run(r, e.solve(f.problem, 7)));
        CHECK(!same_run(r, reference));
    }
}

TEST_CASE("the short forms build the presets' engines") {
    policy_fixture f;
    // The brief forms of docs/optimiser.md against the positional ones they replace.
    const auto stop = max_iterations{} || stall_iterations{.count = 7};
    const auto a = with_stop(hybrid_pso_ga(hybrid_options()), stop).solve(f.problem, 3);
    const auto b = pso_ga<segment_reset_mutation, two_point_crossover, adaptive_exponential_inertia,
                          linear_coefficients, default_stop>(hybrid_options(), {}, {}, {}, {}, stop)
                       .solve(f.problem, 3);
    CHECK(same_run(a, b));
    const auto c = pso_ga(hybrid_options(),
                          pso_ga_policies{.mutation = segment_reset_mutation{}, .stop = stop})
                       .solve(f.problem, 3);
    CHECK(same_run(a, c));
    // The default stall is 100: a stall of 7 must end this run earlier.
    const auto d = hybrid_pso_ga(hybrid_options()).solve(f.problem, 3);
    CHECK(d.iterations > a.iterations);
}

TEST_CASE("policies without validate() are accepted and used") {
    policy_fixture f;
    const auto engine = pso_ga({.population = 8, .iterations = 50},
                               pso_ga_policies{.mutation = first_free_to_last_choice{},
                                               .inertia = half_inertia{},
                                               .coefficients = fixed_coefficients{},
                                               .stop = stop_after{9}});
    const auto r = engine.solve(f.problem, 4);
    CHECK(r.iterations == 9);
    CHECK(r.log.size() == 10);
    CHECK(gene_space(f.problem).contains(r.placement));
    CHECK(same_run(r, engine.solve(f.problem, 4)));
    // A validate-less stop composed with a validating one: the validating operand is still checked.
    CHECK_THROWS_AS(with_stop(paper_pso_ga(), stop_after{3} || stall_iterations{.count = 0}),
                    error);
    CHECK_NOTHROW(with_stop(paper_pso_ga(), stop_after{3} || stall_iterations{.count = 2}));
}

TEST_CASE("a stop condition given to solve() replaces the engine's own for that run") {
    policy_fixture f;
    const auto engine = paper_pso_ga({.population = 10, .iterations = 100});
    std::vector<std::size_t> seen;
    auto watch = [&](const iteration_record& r, std::span<const node_id>) {
        seen.push_back(r.iteration);
    };
    const auto r = engine.solve(f.problem, 2, watch, max_iterations{.count = 7});
    CHECK(r.iterations == 7);
    CHECK(seen == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7});
    CHECK(!r.stopped_by_observer);
    // Past the planned iterations too: the given stop is the whole rule.
    const auto longer = paper_pso_ga({.population = 10, .iterations = 5})
                            .solve(f.problem, 2, no_observer{}, max_iterations{.count = 12});
    CHECK(longer.iterations == 12);
    // The same run as the engine rebound to that stop, and a prefix of the engine's own run.
    const auto rebound = with_stop(engine, max_iterations{.count = 7}).solve(f.problem, 2);
    CHECK(same_run(r, rebound));
    const auto own = engine.solve(f.problem, 2);
    REQUIRE(own.log.size() > r.log.size());
    for (std::size_t i = 0; i < r.log.size(); ++i) CHECK(own.log[i] == r.log[i]);
    // With initial plans as well.
    const std::vector<std::vector<node_id>> plans{std::vector<node_id>(f.graph.size(), 0)};
    const auto seeded =
        engine.solve(f.problem, 2, plans, no_observer{}, max_iterations{.count = 3});
    CHECK(seeded.iterations == 3);
    CHECK(seeded.value.objective <= f.problem.evaluate(plans[0]).objective);
    // An invalid stop given to solve() is refused.
    CHECK_THROWS_AS(engine.solve(f.problem, 2, no_observer{}, stall_iterations{.count = 0}), error);
}
