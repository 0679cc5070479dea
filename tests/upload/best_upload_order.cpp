// LMU against the exhaustive best uploading plan (branch and bound over every order and grouping
// of contiguous runs of parameter layers) on random models with at most 10 parameter layers.
#include <eosdnn/upload/baselines.hpp>
#include <eosdnn/upload/best_upload_order.hpp>
#include <eosdnn/upload/emdl.hpp>
#include <eosdnn/upload/ionn.hpp>
#include <eosdnn/upload/lmu.hpp>
#include <eosdnn/upload/query_simulation.hpp>
#include <eosdnn/upload/reference_placement.hpp>

#include "upload_test_models.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <vector>

using namespace eosdnn;

TEST_CASE("the exhaustive search agrees with the simulation of the order it returns") {
    const layer_graph g = upload_test::three_layers();
    const analytic_model model = upload_test::phone_and_server();
    const std::vector<node_id> x = {1, 1, 1};
    const upload_order_search best = best_upload_order(upload_problem(g, model, x));
    const simulation_result r = simulate_queries(g, model, best.plan);
    CHECK(r.metrics.queries_during_upload == best.queries_during_upload);
    // Layer by layer (A, B, C) completes 18 queries (see query_simulation.cpp); it is one of the
    // plans searched.
    CHECK(best.queries_during_upload >= 18);
    CHECK_THROWS_WITH_AS(
        best_upload_order(upload_problem(g, model, x, 0), {}, {.max_parameter_layers = 2}),
        doctest::Contains("max_parameter_layers"), eosdnn::error);
    // An incumbent nobody beats: nothing found, the incumbent is reported.
    const upload_order_search none =
        best_upload_order(upload_problem(g, model, x, 0), {}, {.incumbent = 1000});
    CHECK(!none.improved);
    CHECK(none.queries_during_upload == 1000);
}

TEST_CASE("LMU reaches at least 90% of the best queries during upload on small models" *
          doctest::test_suite("slow")) {
    std::mt19937 rng(2024);
    const analytic_model one = upload_test::phone_and_server();
    const analytic_model three = upload_test::phone_edge_cloud();
    std::vector<double> ratios, ionn_ratios, lbl_ratios;
    double worst = 1;
    for (int trial = 0; trial < 30; ++trial) {
        const bool dag = trial % 3 == 1;
        const bool multi = trial % 3 == 2;  // chains placed on the edge and the cloud
        const int params = 3 + trial % 8;   // 3..10 parameter layers
        const layer_graph g = upload_test::random_model(rng, params, dag);
        const analytic_model& model = multi ? three : one;
        std::vector<node_id> x = reference_placement(g, model).placement;
        if (std::count(x.begin(), x.end(), node_id{0}) == static_cast<long>(x.size()))
            std::fill(x.begin() + 1, x.end(), node_id{1});  // plan for an all-remote target then
        const auto lmu =
            simulate_queries(g, model, lmu_planner{}.plan(upload_problem(g, model, x)));
        // LMU's plan lies in the search space, so its count prunes without losing the optimum.
        const upload_order_search best = best_upload_order(
            upload_problem(g, model, x, 0), {}, {.incumbent = lmu.metrics.queries_during_upload});
        REQUIRE(best.complete);
        if (best.queries_during_upload < 5) continue;  // too short an upload to compare ratios
        const auto lbl =
            simulate_queries(g, model, layer_by_layer_planner{}.plan(upload_problem(g, model, x)));
        const double ratio = static_cast<double>(lmu.metrics.queries_during_upload) /
                             static_cast<double>(best.queries_during_upload);
        CAPTURE(trial);
        CAPTURE(best.queries_during_upload);
        CAPTURE(lmu.metrics.queries_during_upload);
        CHECK(ratio >= 0.9);
        // Layer by layer and EMDL are plans of the search space (up to rounding of the closed
        // form).
        CHECK(lbl.metrics.queries_during_upload <= best.queries_during_upload + 1);
        if (!multi) {
            const auto emdl =
                simulate_queries(g, model, emdl_planner{}.plan(upload_problem(g, model, x)));
            CHECK(emdl.metrics.queries_during_upload <= best.queries_during_upload + 1);
        }
        ratios.push_back(ratio);
        worst = std::min(worst, ratio);
        lbl_ratios.push_back(static_cast<double>(lbl.metrics.queries_during_upload) /
                             static_cast<double>(best.queries_during_upload));
        if (!multi || g.is_chain()) {
            const auto ionn =
                simulate_queries(g, model, ionn_planner{}.plan(upload_problem(g, model, x)));
            ionn_ratios.push_back(static_cast<double>(ionn.metrics.queries_during_upload) /
                                  static_cast<double>(best.queries_during_upload));
        }
    }
    auto mean = [](const std::vector<double>& v) {
        double s = 0;
        for (double r : v) s += r;
        return v.empty() ? 0.0 : s / static_cast<double>(v.size());
    };
    REQUIRE(ratios.size() >= 20);
    MESSAGE("LMU / best queries during upload over "
            << ratios.size() << " models: mean " << mean(ratios) << ", worst " << worst
            << "; IONN mean " << mean(ionn_ratios) << "; layer-by-layer mean " << mean(lbl_ratios));
    CHECK(mean(ratios) >= 0.95);
    CHECK(mean(ratios) <= 1.0);
}
