#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/optim/exact_dag.hpp>
#include <eosdnn/report/comparison.hpp>

#include "fixture.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

using namespace eosdnn;

TEST_CASE("compare_plan: the one-tier plans, the exact reference and the gap") {
    const environment env = test::report_environment();
    const layer_graph g = test::report_model();
    const analytic_model model(env);
    delay_evaluator problem(g, model);
    const exact_result e = solve_exact(problem);
    REQUIRE(e.proven_optimal);
    const exact_reference ref = exact_reference_of(e, 3, 10);
    CHECK(ref.note.find("proven optimum over all 3 nodes") != std::string::npos);

    // The optimum itself: proven.
    const plan_comparison best =
        compare_plan(problem, env, std::span<const node_id>(e.placement), ref);
    CHECK(best.proven_optimal);
    CHECK(best.value.delay_s == problem.evaluate(e.placement).delay_s);
    CHECK(relative_gap(best.value.delay_s, best.lower_bound_s) == doctest::Approx(0).epsilon(1e-9));
    REQUIRE(best.tiers.size() == 3);
    for (node_id s = 0; s < 3; ++s) {
        CHECK(best.tiers[s].name ==
              std::vector<std::string>{"all-local", "all-edge", "all-cloud"}[s]);
        CHECK(best.tiers[s].delay_s == problem.evaluate(std::vector<node_id>(g.size(), s)).delay_s);
        CHECK(best.tiers[s].delay_s >= best.value.delay_s);
    }

    // All on the phone: the gap is its distance to the proven optimum.
    const std::vector<node_id> local(g.size(), 0);
    const plan_comparison c = compare_plan(problem, env, std::span<const node_id>(local), ref);
    const double expected = (c.value.delay_s - e.lower_bound) / e.lower_bound;
    CHECK(c.lower_bound_s == doctest::Approx(e.lower_bound));
    CHECK(relative_gap(c.value.delay_s, c.lower_bound_s) == doctest::Approx(expected));
    CHECK(c.proven_optimal == (expected <= 1e-9));
    CHECK(references_json(c)["all-local"].get<double>() == c.tiers[0].delay_s);
    CHECK(references_json(c)["exact"]["delay_s"].get<double>() == e.value.delay_s);
}

TEST_CASE("relative_gap and tier_references without a tier") {
    CHECK(std::isnan(relative_gap(1.0, 0.0)));
    CHECK(std::isnan(relative_gap(INFINITY, 1.0)));
    CHECK(relative_gap(1.5, 1.0) == doctest::Approx(0.5));
    environment_builder b;
    const auto phone = b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 1e9});
    const auto edge = b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1e10});
    b.connect(phone, edge, {.bandwidth_Bps = 1e6});
    const environment env = b.build();
    const layer_graph g = test::report_model();
    delay_evaluator problem(g, analytic_model(env));
    const auto tiers = tier_references(problem, env);
    REQUIRE(tiers.size() == 3);
    CHECK(std::isnan(tiers[2].delay_s));
    CHECK(references_json(plan_comparison{.tiers = tiers})["all-cloud"].is_null());
}

TEST_CASE("tier_references: a one-tier plan over a memory capacity carries its violation") {
    // The diamond's 12.1 kB of parameters on an edge server that holds 10 kB: all-edge breaks
    // it (and is faster than all-local), all-local and all-cloud do not.
    environment_builder b;
    const auto phone = b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 1e9});
    const auto edge = b.add_node(
        {.name = "edge", .tier = tier::edge, .flops_per_s = 1e10, .memory_bytes = 10000});
    const auto cloud = b.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 1e11});
    b.connect(phone, edge, {.bandwidth_Bps = 1e6, .latency_s = 0.01});
    b.connect(phone, cloud, {.bandwidth_Bps = 5e5, .latency_s = 0.05});
    b.connect(edge, cloud, {.bandwidth_Bps = 1e7, .latency_s = 0.02});
    const environment env = b.build();
    const layer_graph g = test::report_model();
    delay_evaluator problem(g, analytic_model(env));
    const auto tiers = tier_references(problem, env);
    REQUIRE(tiers.size() == 3);
    CHECK(tiers[0].feasible());
    CHECK(!tiers[1].feasible());
    CHECK(tiers[1].violation == problem.evaluate(std::vector<node_id>(g.size(), edge)).violation);
    CHECK(tiers[1].delay_s < tiers[0].delay_s);
    CHECK(tiers[2].feasible());
    const nlohmann::json refs = references_json(plan_comparison{.tiers = tiers});
    CHECK(refs["all-edge"].get<double>() == tiers[1].delay_s);  // the delay stays a number
    CHECK(refs["violations"]["all-edge"].get<double>() == tiers[1].violation);
    CHECK(refs["violations"]["all-local"].get<double>() == 0);
    // Without the capacity the same plan is feasible.
    const environment unlimited = test::report_environment();
    delay_evaluator free_problem(g, analytic_model(unlimited));
    CHECK(references_json(plan_comparison{
              .tiers = tier_references(free_problem, unlimited)})["violations"]["all-edge"] == 0.0);
}

TEST_CASE("exact_reference_after: two rounds as one reference") {
    const environment env = test::report_environment();
    const layer_graph g = test::report_model();
    const analytic_model model(env);
    delay_evaluator problem(g, model);
    const exact_result optimum = solve_exact(problem);
    REQUIRE(optimum.proven_optimal);
    const std::vector<node_id> local(g.size(), 0);
    const evaluation local_value = problem.evaluate(local);
    REQUIRE(local_value.delay_s > optimum.value.delay_s);

    // A first round stopped by its limit on the all-local plan, with a weak bound.
    const exact_result stopped = test::stopped_exact(local, local_value, 0.5 * optimum.lower_bound);
    const exact_reference first = exact_reference_of(stopped, 3, 2);
    REQUIRE_FALSE(first.exact);

    SUBCASE("the second round proves a better plan: it is the reference, proven") {
        const exact_reference r =
            exact_reference_after(first, optimum, local_value.delay_s, 1.5, 3);
        CHECK(r.exact);
        CHECK(r.placement == optimum.placement);
        CHECK(r.delay_s == optimum.value.delay_s);
        CHECK(r.lower_bound_s == doctest::Approx(optimum.lower_bound));
        CHECK(r.lower_bound_s <= r.delay_s);
        CHECK(r.time_limit_s == 2);  // the first round's
        REQUIRE(r.second_round);
        CHECK(r.second_round->improved());
        CHECK(r.second_round->time_limit_s == 1.5);
        CHECK(r.note.find("proven optimum over all 3 nodes") != std::string::npos);
        CHECK(r.note.find("from the optimiser's plan") != std::string::npos);
        const plan_comparison c =
            compare_plan(problem, env, std::span<const node_id>(optimum.placement), r);
        CHECK(c.proven_optimal);
        const auto json = references_json(c)["exact"];
        CHECK(json["exact"] == true);
        CHECK(json["second_round"]["from_delay_s"].get<double>() == local_value.delay_s);
        CHECK(json["second_round"]["delay_s"].get<double>() == optimum.value.delay_s);
        CHECK(json["second_round"]["time_limit_s"].get<double>() == 1.5);
    }
    SUBCASE("a second round that finds nothing better keeps the plan and the larger bound") {
        exact_result again = stopped;
        again.lower_bound = 0.25 * optimum.lower_bound;
        exact_reference r = exact_reference_after(first, again, local_value.delay_s, 1, 3);
        CHECK_FALSE(r.exact);
        CHECK(r.placement == local);
        CHECK(r.lower_bound_s == first.lower_bound_s);
        CHECK_FALSE(r.second_round->improved());
        CHECK(r.note.find("no better plan") != std::string::npos);
        // A better bound from it counts, and closes the gap when it meets the plan.
        again.lower_bound = local_value.delay_s;
        r = exact_reference_after(first, again, local_value.delay_s, 1, 3);
        CHECK(r.exact);
        CHECK(r.lower_bound_s == local_value.delay_s);
    }
    SUBCASE("a plan that breaks a constraint is not taken") {
        exact_result broken = optimum;
        broken.value.violation = 1;
        broken.constraints_honoured = false;
        const exact_reference r = exact_reference_after(first, broken, local_value.delay_s, 1, 3);
        CHECK(r.placement == local);
        CHECK(r.delay_s == local_value.delay_s);
        // Its bound still holds (the search honoured the constraints it was asked to).
        CHECK(r.lower_bound_s == doctest::Approx(optimum.lower_bound));
    }
    CHECK(
        references_json(compare_plan(problem, env, std::span<const node_id>(local), first))["exact"]
            .count("second_round") == 0);
}
