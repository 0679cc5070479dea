// solve_min_sum() against brute force on random min-sum models: exact tables, forced mini-buckets
// (branch and bound), capacities, forbidden entries, incumbents and time limits.
#include <eosdnn/optim/bucket_search.hpp>
#include <eosdnn/optim/min_sum_model.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

using eosdnn::min_sum_model;
using value_type = min_sum_model::value_type;
constexpr double inf = std::numeric_limits<double>::infinity();

double unit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// A random model: `n` variables with 1-4 values, unary tables, pairwise tables on a random
// graph (a few long edges so that the width exceeds 2), some triple tables, optionally some
// forbidden entries and capacities.
min_sum_model random_model(std::size_t n, std::mt19937_64& rng, bool forbid, bool capacities) {
    min_sum_model m;
    for (std::size_t v = 0; v < n; ++v) m.add_variable(1 + rng() % 4);
    const auto var = [](std::size_t v) { return static_cast<min_sum_model::variable>(v); };
    const auto table = [&](std::size_t size) {
        std::vector<double> t(size);
        for (double& e : t) e = forbid && rng() % 9 == 0 ? inf : std::round(unit(rng) * 100) / 10;
        return t;
    };
    for (std::size_t v = 0; v < n; ++v) m.add_factor({var(v)}, table(m.domain(var(v))));
    for (std::size_t v = 1; v < n; ++v) {
        const std::size_t u = rng() % v;
        m.add_factor({var(u), var(v)}, table(m.domain(var(u)) * m.domain(var(v))));
    }
    for (std::size_t k = 0; k < n / 3; ++k) {
        const std::size_t a = rng() % n, b = rng() % n, c = rng() % n;
        if (a == b || b == c || a == c) continue;
        m.add_factor({var(a), var(b), var(c)},
                     table(m.domain(var(a)) * m.domain(var(b)) * m.domain(var(c))));
    }
    if (capacities) {
        const auto r = m.add_capacity(6);
        for (std::size_t v = 0; v < n; ++v)
            for (value_type a = 0; a < m.domain(var(v)); ++a)
                if (a > 0) m.set_usage(var(v), a, r, static_cast<double>(rng() % 3));
    }
    return m;
}

// The best assignment by enumeration (inf when none is within the capacities).
double brute_force(const min_sum_model& m) {
    std::vector<value_type> x(m.variables(), 0);
    double best = inf;
    for (;;) {
        if (m.within_capacities(x)) best = std::min(best, m.evaluate(x));
        std::size_t v = 0;
        for (; v < x.size(); ++v) {
            if (++x[v] < m.domain(static_cast<min_sum_model::variable>(v))) break;
            x[v] = 0;
        }
        if (v == x.size()) return best;
    }
}

}  // namespace

TEST_CASE("solve_min_sum: equals brute force with exact tables and with mini-buckets") {
    std::mt19937_64 rng(2024);
    for (int trial = 0; trial < 120; ++trial) {
        const bool forbid = trial % 3 == 1, capacities = trial % 4 == 2;
        const min_sum_model m =
            random_model(4 + static_cast<std::size_t>(trial % 7), rng, forbid, capacities);
        const double best = brute_force(m);
        for (std::size_t budget : {std::size_t{1} << 22, std::size_t{4}}) {
            CAPTURE(trial);
            CAPTURE(budget);
            const auto r = eosdnn::solve_min_sum(m, {.table_entries = budget});
            CHECK(r.proven_optimal);
            CHECK_FALSE(r.timed_out);
            if (std::isinf(best)) {
                CHECK(r.assignment.empty());
                CHECK(std::isinf(r.value));
                continue;
            }
            REQUIRE(r.assignment.size() == m.variables());
            CHECK(m.within_capacities(r.assignment));
            CHECK(r.value == doctest::Approx(best).epsilon(1e-12));
            CHECK(m.evaluate(r.assignment) == r.value);
            CHECK(r.lower_bound <= best);
            CHECK(r.lower_bound >= best - 1e-9 * std::abs(best));
            // Large tables never split; a tiny budget splits wherever a bucket joins two tables.
            if (budget > 1000) CHECK(r.exact_tables);
            // Any elimination order gives the optimum: the reverse of the one used.
            REQUIRE(r.order.size() == m.variables());
            eosdnn::min_sum_options reversed{.table_entries = budget};
            reversed.order.assign(r.order.rbegin(), r.order.rend());
            const auto again = eosdnn::solve_min_sum(m, reversed);
            CHECK(again.order == reversed.order);
            CHECK(again.proven_optimal);
            CHECK(again.value == doctest::Approx(best).epsilon(1e-12));
        }
    }
}

TEST_CASE("solve_min_sum: an exact elimination walks straight to the optimum") {
    // A chain of 200 variables: width 2, so the search expands each level once.
    min_sum_model m;
    std::mt19937_64 rng(5);
    for (int v = 0; v < 200; ++v) m.add_variable(3);
    for (min_sum_model::variable v = 0; v < 200; ++v) {
        m.add_factor({v}, {unit(rng), unit(rng), unit(rng)});
        if (v) {
            std::vector<double> t(9);
            for (double& e : t) e = unit(rng);
            m.add_factor({v - 1, v}, t);
        }
    }
    const auto r = eosdnn::solve_min_sum(m);
    CHECK(r.proven_optimal);
    CHECK(r.exact_tables);
    CHECK(r.width == 2);
    CHECK(r.search_nodes == 200);
}

TEST_CASE("solve_min_sum: a time limit returns the incumbent or better and a valid bound") {
    std::mt19937_64 rng(11);
    // Dense enough that a budget of 4 entries leaves a weak bound and a long search.
    min_sum_model m;
    for (int v = 0; v < 60; ++v) m.add_variable(4);
    for (min_sum_model::variable a = 0; a < 60; ++a)
        for (min_sum_model::variable b = a + 1; b < 60;
             b += 1 + static_cast<min_sum_model::variable>(rng() % 5)) {
            std::vector<double> t(16);
            for (double& e : t) e = unit(rng);
            m.add_factor({a, b}, t);
        }
    std::vector<value_type> start(60, 0);
    const double start_value = m.evaluate(start);
    const auto r =
        eosdnn::solve_min_sum(m, {.time_limit_s = 0.05, .table_entries = 4, .incumbent = start});
    CHECK(r.timed_out);
    CHECK_FALSE(r.proven_optimal);
    REQUIRE(r.assignment.size() == 60);
    CHECK(r.value <= start_value);
    CHECK(r.lower_bound <= r.value);
    CHECK(r.lower_bound >= 0);  // every entry is >= 0
}

TEST_CASE("min_sum_model: bad input is refused with a message") {
    using eosdnn::test::validation_message;
    const auto says = [](const std::string& message, const std::string& part) {
        CAPTURE(message);
        CHECK(message.find(part) != std::string::npos);
    };
    min_sum_model m;
    says(validation_message([&] { m.add_variable(0); }), "domain has 0 values");
    const auto v = m.add_variable(2);
    says(validation_message([&] { m.add_factor({v, v}, {0, 0, 0, 0}); }), "twice");
    says(validation_message([&] { m.add_factor({v}, {0, 0, 0}); }), "has 3 entries, expected 2");
    says(validation_message([&] { m.add_factor({v}, {0, std::nan("")}); }), "numbers or +infinity");
    says(validation_message([&] { m.add_factor({7}, {0}); }), "names variable 7");
    says(validation_message([&] {
             eosdnn::solve_min_sum(m, {.incumbent = {0, 1}});
         }),
         "incumbent has 2 values for 1 variables");
    says(validation_message([&] { eosdnn::solve_min_sum(m, {.relative_gap = 1}); }),
         "relative_gap");
    for (const auto& bad :
         {std::vector<min_sum_model::variable>{0, 0}, std::vector<min_sum_model::variable>{1}}) {
        eosdnn::min_sum_options o;
        o.order = bad;
        says(validation_message([&] { eosdnn::solve_min_sum(m, o); }),
             "min_sum_options.order is not a permutation of the 1 variables");
    }
}
