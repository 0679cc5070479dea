// LMU's order of plans (more queries during the upload, then the smaller latency area, then fewer
// partitions) must not be decided by rounding: plans whose latency curves are the same differ in
// their areas only by the rounding of different sums.
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/optim/exact_dag.hpp>
#include <eosdnn/report/upload_comparison.hpp>
#include <eosdnn/upload/baselines.hpp>
#include <eosdnn/upload/detail/run_merges.hpp>
#include <eosdnn/upload/lmu.hpp>
#include <eosdnn/upload/query_simulation.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

using namespace eosdnn;

TEST_CASE("LMU's order of plans: areas within rounding tie, and fewer partitions decide") {
    using detail::upload::better_metrics;
    upload_metrics few{.partitions = 2, .queries_during_upload = 461, .latency_area_s2 = 311.8};
    upload_metrics many = few;
    many.partitions = 69;
    // One ulp smaller or larger: the same curve summed in another order.
    for (const double area :
         {std::nextafter(few.latency_area_s2, 0.0), std::nextafter(few.latency_area_s2, 1e9)}) {
        many.latency_area_s2 = area;
        CHECK(better_metrics(few, many));
        CHECK_FALSE(better_metrics(many, few));
    }
    // A real difference of area still comes before the partitions, and queries before both.
    many.latency_area_s2 = few.latency_area_s2 * (1 - 1e-9);
    CHECK(better_metrics(many, few));
    many.queries_during_upload = few.queries_during_upload - 1;
    CHECK(better_metrics(few, many));
}

// An outside test's case: ResNet-50 where edge1 holds only 40 MB and the phone's links to edge2
// and the cloud are slow, so no query can run remotely before the upload ends (the first
// offload comes after the last acknowledgement) and every plan completes the same queries with
// the same latency curve. LMU chose a 69-partition plan over the whole model's 2 partitions, by
// 2e-13 s^2 of area.
TEST_CASE("LMU returns no more partitions than the whole model when every plan ties") {
    environment_builder env;
    const node_id phone = env.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 1e10});
    const node_id edge1 = env.add_node(
        {.name = "edge1", .tier = tier::edge, .flops_per_s = 5e11, .memory_bytes = 4e7});
    const node_id edge2 = env.add_node({.name = "edge2", .tier = tier::edge, .flops_per_s = 2e12});
    const node_id cloud = env.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 1e13});
    env.set_request_overhead_s(0.01);
    env.connect(phone, edge1, {.bandwidth_Bps = mbps(20), .latency_s = 0.005},
                {.bandwidth_Bps = mbps(200), .latency_s = 0.005});
    env.connect(phone, edge2, {.bandwidth_Bps = mbps(2), .latency_s = 0.05});
    env.connect(phone, cloud, {.bandwidth_Bps = mbps(1), .latency_s = 0.2});
    env.connect(edge1, edge2, {.bandwidth_Bps = mbps(1000), .latency_s = 0.001});
    env.connect(edge1, cloud, {.bandwidth_Bps = mbps(500), .latency_s = 0.01});
    env.connect(edge2, cloud, {.bandwidth_Bps = mbps(500), .latency_s = 0.01});
    const analytic_model model(env.build());
    const layer_graph g = zoo_model("resnet50");
    delay_evaluator<analytic_model> problem(g, model);
    const exact_result best = solve_exact(problem);
    REQUIRE(best.proven_optimal);

    const simulation_options sim = upload_simulation_options(model.env(), best.placement, phone);
    const upload_problem<analytic_model> up(g, model, best.placement, phone);
    const upload_plan lmu = lmu_planner{.simulation = sim}.plan(up);
    const upload_plan whole = whole_model_planner{}.plan(up);
    const upload_metrics l = simulate_queries(g, model, lmu, sim).metrics;
    const upload_metrics w = simulate_queries(g, model, whole, sim).metrics;
    MESSAGE("LMU: " << l.partitions << " partitions, " << l.queries_during_upload
                    << " queries, area " << l.latency_area_s2 << "; whole model: " << w.partitions
                    << ", " << w.queries_during_upload << ", " << w.latency_area_s2);
    // The premise: nothing runs remotely before the upload ends.
    REQUIRE(w.first_offloaded_s >= w.upload_s);
    CHECK(l.queries_during_upload == w.queries_during_upload);
    CHECK(l.latency_area_s2 == doctest::Approx(w.latency_area_s2).epsilon(1e-12));
    CHECK(l.partitions <= w.partitions);
}
