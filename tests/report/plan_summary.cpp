#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/report/plan_summary.hpp>

#include "../error_message.hpp"
#include "fixture.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace eosdnn;

TEST_CASE("summarise_plan: all on one node adds up to delay_evaluator's delay") {
    const environment env = test::report_environment();
    const layer_graph g = test::report_model();
    const analytic_model model(env);
    delay_evaluator problem(g, model);
    for (node_id s = 0; s < env.size(); ++s) {
        const std::vector<node_id> x(g.size(), s);
        const plan_summary sum = summarise_plan(g, model, x);
        const double delay = problem.evaluate(x).delay_s;
        CHECK(sum.compute_s + sum.transfer_s == doctest::Approx(delay).epsilon(1e-12));
        REQUIRE(sum.nodes.size() == env.size());
        CHECK(sum.nodes[s].layers == g.size());
        CHECK(sum.nodes[s].compute_s ==
              doctest::Approx((2e8 + 3e8 + 1e7 + 5e7) / env[s].flops_per_s));
        CHECK(sum.nodes[s].param_bytes == 12100);
        CHECK(sum.used().size() == 1);
        CHECK(sum.nodes[s].runs.size() == 1);
        if (s == 0) {
            CHECK(sum.transfer_s == 0);
            CHECK(sum.compute_s == doctest::Approx(delay).epsilon(1e-12));  // compute only
        } else {
            // The input goes up, the result comes back.
            CHECK(sum.nodes[s].bytes_in == 1000);
            CHECK(sum.nodes[s].bytes_out == 40);
            CHECK(sum.nodes[0].bytes_out == 1000);
            CHECK(sum.nodes[0].bytes_in == 40);
        }
    }
}

TEST_CASE("summarise_plan: a split counts each output once per other node") {
    const environment env = test::report_environment();
    const layer_graph g = test::report_model();
    const analytic_model model(env);
    // input, a on the phone; b on the edge; join, out on the cloud.
    const std::vector<node_id> x{0, 0, 1, 2, 2};
    const plan_summary sum = summarise_plan(g, model, x);
    CHECK(sum.nodes[0].bytes_out == 1000 + 2000);  // input to b's node, a's output to join's
    CHECK(sum.nodes[1].bytes_in == 1000);
    CHECK(sum.nodes[1].bytes_out == 3000);
    CHECK(sum.nodes[2].bytes_in == 2000 + 3000);
    CHECK(sum.nodes[2].bytes_out == 40);
    CHECK(sum.nodes[0].bytes_in == 40);
    CHECK(sum.nodes[1].param_bytes == 8000);
    delay_evaluator problem(g, model);
    CHECK(sum.compute_s + sum.transfer_s ==
          doctest::Approx(problem.evaluate(x).delay_s).epsilon(1e-12));
    // Runs in topological order.
    std::size_t runs = 0;
    for (const auto& n : sum.nodes) runs += n.runs.size();
    CHECK(runs >= 3);
}

TEST_CASE("summarise_plan: a wrong placement is a validation error") {
    const environment env = test::report_environment();
    const layer_graph g = test::report_model();
    const analytic_model model(env);
    test::check_validation_error(
        [&] {
            summarise_plan(g, model, std::vector<node_id>{0, 0});
        },
        {"summarise_plan", "2 genes", "5 layers"});
    test::check_validation_error(
        [&] {
            summarise_plan(g, model, std::vector<node_id>{0, 0, 7, 0, 0});
        },
        {"layer 'b'", "node 7"});
}
