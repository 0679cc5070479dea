// Invariants of the operator policies, shared by every operator of a kind (TEST_CASE_TEMPLATE),
// and their deterministic cores, checked without a random engine.
#include <eosdnn/optim/gene_space.hpp>
#include <eosdnn/optim/operators/coefficients.hpp>
#include <eosdnn/optim/operators/crossover.hpp>
#include <eosdnn/optim/operators/inertia.hpp>
#include <eosdnn/optim/operators/mutation.hpp>
#include <eosdnn/optim/operators/stop_condition.hpp>

#include <eosdnn/core/error.hpp>

#include <doctest/doctest.h>

#include <boost/random/uniform_int_distribution.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <type_traits>
#include <vector>

using namespace eosdnn;

static_assert(mutation_operator<uniform_reset_mutation, std::mt19937_64>);
static_assert(mutation_operator<k_gene_reset_mutation, std::mt19937_64>);
static_assert(mutation_operator<neighbour_tier_mutation, std::mt19937_64>);
static_assert(mutation_operator<segment_reset_mutation, std::mt19937_64>);
static_assert(mutation_operator<uniform_reset_mutation, std::ranlux48>);
static_assert(crossover_operator<two_point_crossover, std::mt19937_64>);
static_assert(crossover_operator<single_point_crossover, std::mt19937_64>);
static_assert(crossover_operator<uniform_crossover, std::minstd_rand>);
static_assert(!mutation_operator<two_point_crossover, std::mt19937_64>);
static_assert(!crossover_operator<uniform_reset_mutation, std::mt19937_64>);
static_assert(inertia_schedule<adaptive_exponential_inertia>);
static_assert(coefficient_schedule<linear_coefficients>);
static_assert(
    stop_condition<decltype(max_iterations{} || (stall_iterations{} && max_evaluations{}))>);
// validate() is optional: the policies with nothing to check have none, the others do.
static_assert(!validating_policy<uniform_reset_mutation>);
static_assert(!validating_policy<segment_reset_mutation>);
static_assert(!validating_policy<single_point_crossover>);
static_assert(validating_policy<uniform_crossover>);
static_assert(validating_policy<linear_coefficients>);
static_assert(validating_policy<default_stop>);

namespace {

// The user-written operator of docs/optimiser.md ("Writing a new operator"), verbatim, so the
// documented example keeps compiling and keeps the invariants.
struct swap_mutation {
    static eosdnn::gene_range apply(std::span<eosdnn::node_id> x, const eosdnn::gene_space& s,
                                    std::size_t a, std::size_t b) {
        const std::size_t ga = s.free_genes()[a], gb = s.free_genes()[b];
        // Only swap values each gene allows, so the particle stays valid.
        if (!s.allows(ga, x[gb]) || !s.allows(gb, x[ga]) || x[ga] == x[gb]) return {};
        std::swap(x[ga], x[gb]);
        return {std::min(ga, gb), std::max(ga, gb) + 1};
    }
    template <std::uniform_random_bit_generator Rng>
    eosdnn::gene_range operator()(std::span<eosdnn::node_id> x, const eosdnn::gene_space& s,
                                  Rng& rng) const {
        const auto n = s.free_genes().size();
        if (n < 2) return {};
        boost::random::uniform_int_distribution<std::size_t> pick(0, n - 1);
        const std::size_t a = pick(rng), b = pick(rng);
        return apply(x, s, a, b);
    }
};
static_assert(eosdnn::mutation_operator<swap_mutation, std::mt19937_64>);

// Genes with 1 to 5 choices, not all starting at 0, some fixed (pinned).
gene_space mixed_space(std::size_t n, std::mt19937_64& rng) {
    std::vector<std::vector<node_id>> c(n);
    for (std::size_t g = 0; g < n; ++g) {
        const std::size_t k = 1 + rng() % 5;
        for (std::size_t i = 0; i < k; ++i) c[g].push_back(static_cast<node_id>(2 * i + g % 2));
    }
    return gene_space(c);
}

std::vector<node_id> random_valid(const gene_space& s, std::mt19937_64& rng) {
    std::vector<node_id> x(s.dimension());
    for (std::size_t g = 0; g < x.size(); ++g) x[g] = s.choices(g)[rng() % s.choice_count(g)];
    return x;
}

}  // namespace

TEST_CASE_TEMPLATE(
    "a mutation keeps genes valid, never moves a fixed gene and reports what changed", M,
    uniform_reset_mutation, k_gene_reset_mutation, neighbour_tier_mutation, segment_reset_mutation,
    swap_mutation) {
    std::mt19937_64 rng(11);
    const M mutation{};
    validate_policy(mutation);
    for (int trial = 0; trial < 300; ++trial) {
        const gene_space space = mixed_space(1 + rng() % 40, rng);
        std::vector<node_id> x = random_valid(space, rng);
        const std::vector<node_id> before = x;
        const gene_range r = mutation(std::span<node_id>(x), space, rng);
        REQUIRE(space.contains(x));
        std::size_t changes = 0;
        for (std::size_t g = 0; g < x.size(); ++g) {
            if (x[g] == before[g]) continue;
            ++changes;
            CHECK(space.is_free(g));
            CHECK(g >= r.first);
            CHECK(g < r.last);
        }
        // Every built-in mutation moves at least one gene when one is free: a mutation that may
        // do nothing would silently lower the effective inertia. (The documented swap example
        // may do nothing, by design.)
        if constexpr (!std::is_same_v<M, swap_mutation>)
            CHECK((changes > 0) == !space.free_genes().empty());
    }
}

TEST_CASE_TEMPLATE("a crossover copies only from the guide and reports the hull of its changes", C,
                   two_point_crossover, single_point_crossover, uniform_crossover) {
    std::mt19937_64 rng(12);
    const C crossover{};
    validate_policy(crossover);
    for (int trial = 0; trial < 300; ++trial) {
        const gene_space space = mixed_space(1 + rng() % 40, rng);
        std::vector<node_id> x = random_valid(space, rng);
        const std::vector<node_id> guide = random_valid(space, rng);
        const std::vector<node_id> before = x;
        const gene_range r =
            crossover(std::span<node_id>(x), std::span<const node_id>(guide), space, rng);
        REQUIRE(space.contains(x));
        for (std::size_t g = 0; g < x.size(); ++g) {
            CHECK((x[g] == before[g] || x[g] == guide[g]));
            if (x[g] != before[g]) CHECK((g >= r.first && g < r.last));
        }
        if (!r.empty()) {  // the hull is tight: its ends did change
            CHECK(x[r.first] != before[r.first]);
            CHECK(x[r.last - 1] != before[r.last - 1]);
        }
    }
}

TEST_CASE_TEMPLATE("crossing with oneself changes nothing", C, two_point_crossover,
                   single_point_crossover, uniform_crossover) {
    std::mt19937_64 rng(13);
    const gene_space space = mixed_space(30, rng);
    std::vector<node_id> x = random_valid(space, rng);
    const std::vector<node_id> copy = x;
    for (int i = 0; i < 50; ++i)
        CHECK(C{}(std::span<node_id>(x), std::span<const node_id>(copy), space, rng).empty());
    CHECK(x == copy);
}

TEST_CASE_TEMPLATE("operators are reproducible for a seed", M, uniform_reset_mutation,
                   k_gene_reset_mutation, neighbour_tier_mutation, segment_reset_mutation,
                   swap_mutation) {
    std::mt19937_64 gen(14);
    const gene_space space = mixed_space(25, gen);
    std::vector<node_id> a = random_valid(space, gen), b = a;
    std::mt19937_64 r1(99), r2(99);
    for (int i = 0; i < 100; ++i) {
        M{}(std::span<node_id>(a), space, r1);
        M{}(std::span<node_id>(b), space, r2);
    }
    CHECK(a == b);
}

TEST_CASE("deterministic cores of the mutations") {
    const gene_space space(std::vector<std::vector<node_id>>{{0}, {0, 1, 2, 3}, {0, 2}});
    std::vector<node_id> x{0, 1, 2};
    // Free genes are 1 and 2; the 'other' index skips the current value.
    CHECK(uniform_reset_mutation::apply(x, space, 0, 0) == gene_range{1, 2});
    CHECK(x[1] == 0);
    uniform_reset_mutation::apply(x, space, 0, 2);
    CHECK(x[1] == 3);
    uniform_reset_mutation::apply(x, space, 1, 0);
    CHECK(x[2] == 0);
    // Neighbour moves go up or down the choice list and bounce at its ends.
    x = {0, 0, 0};
    neighbour_tier_mutation::apply(x, space, 0, false);
    CHECK(x[1] == 1);
    neighbour_tier_mutation::apply(x, space, 0, true);
    CHECK(x[1] == 2);
    x[1] = 3;
    neighbour_tier_mutation::apply(x, space, 0, true);
    CHECK(x[1] == 2);
    // k genes at once.
    x = {0, 1, 2};
    const std::size_t genes[] = {0, 1}, others[] = {1, 0};
    CHECK(k_gene_reset_mutation::apply(x, space, genes, others) == gene_range{1, 3});
    CHECK(x == std::vector<node_id>{0, 2, 0});
}

TEST_CASE("segment reset moves a block, skipping fixed genes and genes that refuse the value") {
    const gene_space space(
        std::vector<std::vector<node_id>>{{0, 1}, {0}, {0, 1, 2}, {0, 2}, {0, 1}});
    std::vector<node_id> x{0, 0, 0, 0, 0};
    CHECK(segment_reset_mutation::apply(x, space, 4, 0, 1) == gene_range{0, 5});
    CHECK(x == std::vector<node_id>{1, 0, 1, 0, 1});
    CHECK(segment_reset_mutation::apply(x, space, 2, 3, 2) == gene_range{2, 4});
    CHECK(x == std::vector<node_id>{1, 0, 2, 2, 1});
    CHECK(segment_reset_mutation::apply(x, space, 2, 3, 2).empty());
}

TEST_CASE("deterministic cores of the crossovers") {
    const std::vector<node_id> guide{9, 9, 9, 9, 9, 9};
    std::vector<node_id> x{0, 1, 2, 3, 4, 5};
    CHECK(two_point_crossover::apply(x, guide, 4, 2) == gene_range{2, 5});
    CHECK(x == std::vector<node_id>{0, 1, 9, 9, 9, 5});
    x = {0, 1, 2, 3, 4, 5};
    CHECK(single_point_crossover::apply(x, guide, 3) == gene_range{3, 6});
    CHECK(x == std::vector<node_id>{0, 1, 2, 9, 9, 9});
    x = {0, 1, 2, 3, 4, 5};
    const unsigned char take[] = {0, 1, 0, 0, 1, 0};
    CHECK(uniform_crossover::apply(x, guide, take) == gene_range{1, 5});
    CHECK(x == std::vector<node_id>{0, 9, 2, 3, 9, 5});
    // Genes already equal to the guide do not count as changed.
    x = {0, 9, 9, 3, 4, 5};
    CHECK(two_point_crossover::apply(x, guide, 1, 3) == gene_range{3, 4});
}

TEST_CASE("k-gene reset moves exactly k distinct free genes") {
    std::mt19937_64 rng(15);
    const gene_space space(std::vector<std::vector<node_id>>(20, std::vector<node_id>{0, 1}));
    for (std::size_t k : {1u, 3u, 7u, 20u}) {
        const k_gene_reset_mutation m{.k = k};
        for (int i = 0; i < 50; ++i) {
            std::vector<node_id> x(20, 0);
            m(std::span<node_id>(x), space, rng);
            CHECK(static_cast<std::size_t>(std::count(x.begin(), x.end(), 1)) == k);
        }
    }
    CHECK_THROWS_AS(k_gene_reset_mutation{.k = 0}.validate(), error);
    CHECK_THROWS_AS(k_gene_reset_mutation{.k = 33}.validate(), error);
}

TEST_CASE("the uniform reset draws every other value about equally often") {
    std::mt19937_64 rng(16);
    const gene_space space(std::vector<std::vector<node_id>>{{0, 1, 2, 3}});
    std::vector<int> hits(4, 0);
    for (int i = 0; i < 30000; ++i) {
        std::vector<node_id> x{1};
        uniform_reset_mutation{}(std::span<node_id>(x), space, rng);
        ++hits[x[0]];
    }
    CHECK(hits[1] == 0);
    for (int v : {0, 2, 3}) CHECK(std::abs(hits[v] - 10000) < 500);
}

TEST_CASE("self-adaptive inertia: both readings and the limits of the rule") {
    const adaptive_exponential_inertia a{};
    CHECK(a.at(0) == doctest::Approx(0.2));
    CHECK(a.at(1) == doctest::Approx(0.8).epsilon(1e-6));
    CHECK(a.at(0.5) > a.at(0.2));
    CHECK(a({.iteration = 0, .horizon = 10, .distance = 0, .swarm_similarity = 1}) ==
          doctest::Approx(0.2));
    const adaptive_exponential_inertia b{.reading = inertia_reading::swarm_similarity};
    CHECK(b({.iteration = 0, .horizon = 10, .distance = 0, .swarm_similarity = 1}) ==
          doctest::Approx(0.8).epsilon(1e-6));
    CHECK_THROWS_AS((adaptive_exponential_inertia{.w_max = 0.1, .w_min = 0.2}.validate()), error);
    const linear_inertia l{};
    CHECK(l({.iteration = 0, .horizon = 11}) == doctest::Approx(0.8));
    CHECK(l({.iteration = 5, .horizon = 11}) == doctest::Approx(0.5));
    CHECK(l({.iteration = 10, .horizon = 11}) == doctest::Approx(0.2));
    CHECK(constant_inertia{.w = 0.3}({}) == 0.3);
    CHECK_THROWS_AS(constant_inertia{.w = 1.5}.validate(), error);
}

TEST_CASE("linear coefficients follow the paper's ranges") {
    const linear_coefficients c{};
    CHECK(c(0, 101) == coefficients{0.9, 0.4});
    CHECK(c(50, 101).c1 == doctest::Approx(0.55));
    CHECK(c(50, 101).c2 == doctest::Approx(0.65));
    CHECK(c(100, 101).c1 == doctest::Approx(0.2));
    CHECK(c(100, 101).c2 == doctest::Approx(0.9));
    CHECK(constant_coefficients{}(7, 10) == coefficients{0.5, 0.5});
    CHECK_THROWS_AS(linear_coefficients{.c1_start = -0.1}.validate(), error);
}

TEST_CASE("stop conditions compose with || and &&") {
    run_status r{.iteration = 5, .horizon = 10, .evaluations = 500, .stall = 3, .best = {}};
    CHECK(!max_iterations{}(r));
    CHECK(max_iterations{.count = 5}(r));
    CHECK(max_evaluations{.count = 500}(r));
    CHECK(stall_iterations{.count = 3}(r));
    CHECK(!stall_iterations{.count = 4}(r));
    CHECK((max_iterations{} || stall_iterations{.count = 3})(r));
    CHECK(!(max_iterations{} && stall_iterations{.count = 3})(r));
    CHECK((max_evaluations{.count = 100} && stall_iterations{.count = 2})(r));
    r.best.objective = 1.0;
    CHECK(target_objective{.objective = 1.0}(r));
    CHECK(!target_objective{.objective = 0.9}(r));
    r.best.violation = 0.5;
    CHECK(!target_objective{.objective = 2}(r));
    CHECK_THROWS_AS((max_iterations{} || stall_iterations{.count = 0}).validate(), error);
    CHECK_THROWS_AS(max_evaluations{.count = 0}.validate(), error);
}
