// solve_portfolio(): the native solver for a share of the time limit, then CBC from its plan.
// The merge of two answers, the paths that return the native answer unchanged, CBC alone against
// the native optimum, and the hand-off on a memory-bound DAG that the native solver does not
// prove: the portfolio must prove the optimum CBC proves alone, starting from a plan that is
// far from it.
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/milp/portfolio.hpp>
#include <eosdnn/optim/exact_dag.hpp>
#include <eosdnn/zoo/random_dag.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include "../optim/hard_environments.hpp"
#include "../test_scale.hpp"
#include "capped_six.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace {

using namespace eosdnn;

// An answer of one solver: a two-layer plan on `node` with these figures.
exact_result solver_answer(double objective, double lower_bound, node_id node,
                           double violation = 0) {
    exact_result r;
    r.placement = {node, node};
    r.value.objective = objective;
    r.value.delay_s = objective;
    r.value.violation = violation;
    r.lower_bound = lower_bound;
    r.method = "bucket-elimination";
    r.search_nodes = 10;
    r.seconds = 1;
    return r;
}

double relative_change(double a, double b) { return std::abs(a - b) / std::abs(b); }

}  // namespace

TEST_CASE("portfolio: the merge keeps the better plan and the larger bound, and proves jointly") {
    // CBC found a better plan and proved it.
    exact_result m =
        detail::portfolio::merge(solver_answer(2, 1, 0), solver_answer(1.5, 1.5, 1), 1e-9);
    CHECK(m.value.objective == 1.5);
    CHECK(m.placement == std::vector<node_id>{1, 1});
    CHECK(m.lower_bound == 1.5);
    CHECK(m.proven_optimal);
    CHECK_FALSE(m.timed_out);
    CHECK(m.method == "bucket-elimination+cbc");
    CHECK(m.search_nodes == 20);
    CHECK(m.seconds == 2);

    // The native plan is better, CBC's bound is larger: neither proves alone, the two do.
    m = detail::portfolio::merge(solver_answer(1, 0.5, 0), solver_answer(1.2, 1, 1), 1e-9);
    CHECK(m.placement == std::vector<node_id>{0, 0});
    CHECK(m.lower_bound == 1);
    CHECK(m.proven_optimal);

    // A tie keeps the native plan; a bound above the plan is capped at it.
    m = detail::portfolio::merge(solver_answer(1, 0.2, 0), solver_answer(1, 1.0000001, 1), 1e-9);
    CHECK(m.placement == std::vector<node_id>{0, 0});
    CHECK(m.lower_bound == 1);

    // A gap left open stays open, and a faster plan that breaks a capacity does not win.
    m = detail::portfolio::merge(solver_answer(2, 1, 0), solver_answer(1.5, 1.2, 1, 3e6), 1e-9);
    CHECK(m.placement == std::vector<node_id>{0, 0});
    CHECK(m.lower_bound == 1.2);
    CHECK_FALSE(m.proven_optimal);
    CHECK(m.timed_out);
}

TEST_CASE("portfolio: a plan the native solver proves is its answer, unchanged") {
    // The zoo in the hard environments without capacities: the native solver proves each in
    // milliseconds, so CBC never runs.
    const auto envs = optim_test::hard_environments();
    const char* names[] = {"alexnet", "resnet18", "googlenet", "mobilenet_v2"};
    for (std::size_t e = 0; e < envs.size(); ++e) {
        const profiled_model model(envs[e].env);
        const char* name = names[e];
        const std::string& env_name = envs[e].name;
        CAPTURE(env_name);
        CAPTURE(name);
        const layer_graph g = zoo_model(name);
        delay_evaluator p(g, model);
        const exact_result native = solve_exact(p);
        REQUIRE(native.proven_optimal);
        for (double limit : {0.0, 60.0}) {
            const exact_result r = solve_portfolio(g, p, {.time_limit_s = limit});
            CHECK(r.proven_optimal);
            CHECK(r.method == native.method);
            CHECK(r.placement == native.placement);
            CHECK(r.value.objective == native.value.objective);
        }
        // native_share 1 is the native solver alone, whatever the limit.
        const exact_result alone = solve_portfolio(g, p, {.time_limit_s = 60}, {.native_share = 1});
        CHECK(alone.method == native.method);
    }
}

TEST_CASE("portfolio: CBC alone (native share 0) proves the native optimum under binding memory") {
    const environment env = milp_test::capped_six(milp_test::caps_a);
    const profiled_model model(env);
    for (std::uint64_t seed = 1; seed <= eosdnn::test::seeds_here(6, 3); ++seed) {
        CAPTURE(seed);
        const layer_graph g =
            make_random_dag({.layers = 30, .shape = dag_shape::mixed, .seed = seed});
        delay_evaluator p(g, model);
        const exact_result native = solve_exact(p);
        REQUIRE(native.proven_optimal);
        const exact_result r = solve_portfolio(g, p, {.time_limit_s = 600}, {.native_share = 0});
        REQUIRE(r.proven_optimal);
        CHECK(r.method == "cbc");
        CHECK(relative_change(r.value.objective, native.value.objective) <= 1e-9);
        CHECK(r.value.feasible());
    }
}

TEST_CASE("portfolio: from a native plan far from the optimum, CBC proves the optimum" *
          doctest::test_suite("slow")) {
    // make_random_dag seed 12, 84 layers, 38 MB of parameters: the native solver alone ends
    // 29% above the optimum after 5 s without a proof (0.1437 s against 0.1112 s); CBC alone
    // proves the optimum in about 5 s.
    const environment env = milp_test::capped_six(milp_test::caps_a);
    const profiled_model model(env);
    const layer_graph g = make_random_dag({.layers = 84, .shape = dag_shape::mixed, .seed = 12});
    delay_evaluator p(g, model);
    const exact_result cbc = solve_milp(g, p);
    REQUIRE(cbc.proven_optimal);
    // A native share of 6 ms: too short for a proof, long enough for a plan to start from.
    const exact_result short_native = solve_exact(p, {.time_limit_s = 6e-3});
    REQUIRE_FALSE(short_native.proven_optimal);
    const exact_result r = solve_portfolio(g, p, {.time_limit_s = 600}, {.native_share = 1e-5});
    REQUIRE(r.proven_optimal);
    CHECK(r.method == short_native.method + "+cbc");
    CHECK(relative_change(r.value.objective, cbc.value.objective) <= 1e-9);
    CHECK(r.value.feasible());
    CHECK(r.lower_bound <= r.value.objective);
    CHECK(r.lower_bound >= cbc.value.objective * (1 - 1e-9));
    MESSAGE("optimum " << cbc.value.objective << " s; native plan after 6 ms "
                       << short_native.value.objective << " s; portfolio " << r.seconds << " s");
}

TEST_CASE("portfolio: CBC runs only where its set-up fits in its share of the limit") {
    // The columns of solve_milp's program on a diamond over three nodes: x, 4 layers x 3 nodes;
    // w, 4 edges x 9 pairs of nodes; z, 6 ordered pairs of distinct nodes for the input's two
    // consumers.
    layer_graph_builder b("diamond");
    const auto in = b.add_layer({.name = "in", .kind = "input", .output_bytes = 1e3});
    const auto a = b.add_layer({.name = "a", .flops = 1e6, .output_bytes = 1e3}, {in});
    const auto c = b.add_layer({.name = "c", .flops = 1e6, .output_bytes = 1e3}, {in});
    b.add_layer({.name = "out", .flops = 1e6, .output_bytes = 10}, {a, c});
    CHECK(milp_columns(b.build(), 3) == 12 + 36 + 6);

    // 84 layers fit in CBC's 3.75 s of a default 5 s reference; 1000 layers (about 59,000
    // columns, 26 s in all for a 5 s limit before) do not; without a limit everything fits.
    const layer_graph small =
        make_random_dag({.layers = 84, .shape = dag_shape::mixed, .seed = 13});
    const layer_graph large =
        make_random_dag({.layers = 1000, .shape = dag_shape::mixed, .seed = 5});
    CHECK(milp_fits(small, 6, 3.75));
    CHECK_FALSE(milp_fits(large, 6, 3.75));
    CHECK(milp_fits(large, 6, 0));
    CHECK(milp_setup_estimate_s(milp_columns(large, 6)) > 18.3);  // measured from a start

    // 200 layers (11,814 columns, about 1.2 s of CBC set-up) with a 1 s limit: CBC's 0.75 s
    // cannot hold it, so the native solver runs alone, for the whole limit.
    const environment env = milp_test::capped_six(milp_test::caps_a);
    const profiled_model model(env);
    const layer_graph g = make_random_dag({.layers = 200, .shape = dag_shape::mixed, .seed = 7});
    delay_evaluator p(g, model);
    REQUIRE_FALSE(milp_fits(g, 6, 0.75));
    const exact_result r = solve_portfolio(g, p, {.time_limit_s = 1});
    CHECK(r.method.find("cbc") == std::string::npos);
    CHECK(r.value.feasible());
    CHECK(r.lower_bound <= r.value.objective);
}

TEST_CASE("portfolio: a share outside [0, 1] is refused") {
    const environment env = milp_test::capped_six(milp_test::caps_a);
    const profiled_model model(env);
    const layer_graph g = zoo_model("alexnet");
    delay_evaluator p(g, model);
    for (double share : {-0.1, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
        CAPTURE(share);
        CHECK_THROWS_AS(solve_portfolio(g, p, {.time_limit_s = 1}, {.native_share = share}), error);
    }
}
