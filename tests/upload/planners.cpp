// Every uploading planner: partitions cover each remote layer exactly once, never without
// parameters, and LMU with one server is EMDL.
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/upload/baselines.hpp>
#include <eosdnn/upload/emdl.hpp>
#include <eosdnn/upload/ionn.hpp>
#include <eosdnn/upload/lmu.hpp>
#include <eosdnn/upload/query_simulation.hpp>
#include <eosdnn/upload/reference_placement.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include "upload_test_models.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace eosdnn;

namespace {

static_assert(upload_planner<lmu_planner, analytic_model>);
static_assert(upload_planner<emdl_planner, analytic_model>);
static_assert(upload_planner<ionn_planner, profiled_model>);
static_assert(upload_planner<whole_model_planner, profiled_model>);
static_assert(upload_planner<layer_by_layer_planner, analytic_model>);

// Coverage, destinations and "no partition without parameters" (unless the node hosts none).
template <class Model>
void check_plan(const layer_graph& g, const Model& model, const upload_plan& plan) {
    CAPTURE(plan.planner);
    CAPTURE(g.name());
    REQUIRE_NOTHROW(check_upload_plan(g, model.env(), plan));
    std::set<node_id> nodes_with_params;
    for (layer_id j = 0; j < g.size(); ++j)
        if (plan.placement[j] != plan.device && g[j].has_parameters())
            nodes_with_params.insert(plan.placement[j]);
    std::vector<int> count(g.size(), 0);
    for (const auto& part : plan.partitions) {
        CHECK(!part.layers.empty());
        if (nodes_with_params.count(part.node)) CHECK(part.param_bytes > 0);
        for (layer_id j : part.layers) ++count[j];
    }
    for (layer_id j = 0; j < g.size(); ++j)
        CHECK(count[j] == (plan.placement[j] != plan.device ? 1 : 0));
    // Forced to run every acknowledged layer remotely, the last query runs the placement; by
    // default it runs the fastest prefix, never slower than that nor than the previous steps.
    const double target = sequential_delay(g, model, plan.placement);
    const simulation_result forced =
        simulate_queries(g, model, plan, {.horizon_queries = 1, .choice = remote_choice::forced});
    CHECK(forced.metrics.final_latency_s == doctest::Approx(target));
    const simulation_result r = simulate_queries(g, model, plan, {.horizon_queries = 1});
    CHECK(r.metrics.final_latency_s <= target * (1 + 1e-12));
    for (std::size_t k = 0; k + 1 < r.step_latency_s.size(); ++k) {
        CHECK(r.step_latency_s[k + 1] <= r.step_latency_s[k]);
        CHECK(r.step_latency_s[k + 1] ==
              std::min(r.step_latency_s[k], forced.step_latency_s[k + 1]));
    }
}

template <class Model>
void check_all_planners(const layer_graph& g, const Model& model, const std::vector<node_id>& x) {
    check_plan(g, model, lmu_planner{}.plan(upload_problem(g, model, x)));
    check_plan(g, model, lmu_planner{.portfolio = false}.plan(upload_problem(g, model, x)));
    check_plan(
        g, model,
        lmu_planner{.rule = {.strategy = merge_strategy::bottom_up}, .portfolio = false}.plan(
            upload_problem(g, model, x)));
    check_plan(g, model,
               lmu_planner{.rule = {.measure = efficiency_measure::rate_gained,
                                    .first_partition_rule = false,
                                    .refinement = refinement_rule::lookahead},
                           .portfolio = false}
                   .plan(upload_problem(g, model, x)));
    check_plan(g, model,
               lmu_planner{.rule = {.refine = false}, .portfolio = false}.plan(
                   upload_problem(g, model, x)));
    check_plan(g, model, whole_model_planner{}.plan(upload_problem(g, model, x)));
    check_plan(g, model, layer_by_layer_planner{}.plan(upload_problem(g, model, x)));
    std::set<node_id> remote;
    for (node_id s : x)
        if (s != 0) remote.insert(s);
    if (remote.size() <= 1) check_plan(g, model, emdl_planner{}.plan(upload_problem(g, model, x)));
    if (remote.size() <= 1 || g.is_chain())
        check_plan(g, model, ionn_planner{}.plan(upload_problem(g, model, x)));
}

profiled_model profiled_env(double megabits) {
    environment_builder env;
    auto phone = env.add_node({.name = "odroid", .tier = tier::local, .flops_per_s = 2e9});
    auto server = env.add_node({.name = "gpu", .tier = tier::edge, .flops_per_s = 1e12});
    env.connect(phone, server, {.bandwidth_Bps = mbps(megabits), .latency_s = 0.002});
    return profiled_model(env.build());
}

std::string data(const char* file) {
    return std::string(EOSDNN_DATA_DIR) + "/ionn-profiles/" + file;
}

}  // namespace

TEST_CASE("every planner covers each remote layer once on random placements") {
    std::mt19937 rng(3);
    const analytic_model three = upload_test::phone_edge_cloud();
    const analytic_model two = upload_test::phone_and_server();
    for (int trial = 0; trial < 30; ++trial) {
        const bool dag = trial % 3 == 2;
        const layer_graph g = upload_test::random_model(rng, 2 + trial % 12, dag);
        std::vector<node_id> x(g.size());
        std::uniform_int_distribution<int> pick(0, dag ? 1 : 2);
        for (auto& s : x) s = static_cast<node_id>(pick(rng));
        check_all_planners(g, dag ? two : three, x);
        check_all_planners(g, dag ? two : three,
                           reference_placement(g, dag ? two : three).placement);
    }
}

TEST_CASE("every planner on the measured profiles and the zoo") {
    const profiled_model model = profiled_env(40);
    for (const char* file : {"alexnet.csv", "googlenet.csv", "resnet50.csv"}) {
        const layer_graph g = read_profile_csv(data(file));
        check_all_planners(g, model, reference_placement(g, model).placement);
        // Everything but the input remote: one big block.
        std::vector<node_id> x(g.size(), 1);
        x[g.input()] = 0;
        check_all_planners(g, model, x);
    }
    const analytic_model analytic = upload_test::phone_edge_cloud();
    for (const char* name : {"alexnet", "resnet18", "mobilenet_v2"}) {
        const layer_graph g = zoo_model(name);
        check_all_planners(g, analytic, reference_placement(g, analytic).placement);
    }
}

TEST_CASE("parameter-free layers never form a partition of their own") {
    // A remote ReLU between two local layers and a remote block: the ReLU joins the block's
    // partition; with no parameter layer on its node it stays alone.
    layer_graph_builder b("free");
    auto in = b.add_layer({.name = "in", .kind = "input", .output_bytes = 1000});
    auto c1 = b.add_layer(
        {.name = "c1", .kind = "conv", .flops = 1e8, .param_bytes = 1e5, .output_bytes = 1e4},
        {in});
    auto r1 = b.add_layer({.name = "r1", .kind = "relu", .flops = 1e4, .output_bytes = 1e4}, {c1});
    auto c2 = b.add_layer(
        {.name = "c2", .kind = "conv", .flops = 1e8, .param_bytes = 1e5, .output_bytes = 1e3},
        {r1});
    auto r2 = b.add_layer({.name = "r2", .kind = "relu", .flops = 1e4, .output_bytes = 1e3}, {c2});
    b.add_layer({.name = "c3", .kind = "fc", .flops = 1e8, .param_bytes = 1e5, .output_bytes = 10},
                {r2});
    const layer_graph g = b.build();
    const analytic_model model = upload_test::phone_and_server();
    const std::vector<node_id> x = {0, 0, 1, 0, 1, 1};
    for (const upload_plan& plan : {lmu_planner{}.plan(upload_problem(g, model, x)),
                                    emdl_planner{}.plan(upload_problem(g, model, x)),
                                    ionn_planner{}.plan(upload_problem(g, model, x)),
                                    layer_by_layer_planner{}.plan(upload_problem(g, model, x)),
                                    whole_model_planner{}.plan(upload_problem(g, model, x))}) {
        CAPTURE(plan.planner);
        check_plan(g, model, plan);
        for (const auto& part : plan.partitions) CHECK(part.param_bytes > 0);
    }
    const std::vector<node_id> only_free = {0, 0, 1, 0, 0, 0};
    const upload_plan lone = lmu_planner{}.plan(upload_problem(g, model, only_free));
    REQUIRE(lone.partitions.size() == 1);
    CHECK(lone.partitions[0].layers == std::vector<layer_id>{r1});
}

TEST_CASE("LMU's rule with one server reproduces EMDL's plan and the full LMU never does worse") {
    // LMU's rule is EMDL's paper-text reading; with EMDL's handling of parameter-free blocks
    // (the first partition to their node) the plans are the same partition by partition, and
    // the authors' reading is the rule with their candidate and refinement.
    const lmu_planner rule{.rule = {.place_free_blocks = false}, .portfolio = false};
    const lmu_planner authors{.rule = {.refinement = refinement_rule::loop,
                                       .candidate = candidate_rule::any_sub_range,
                                       .place_free_blocks = false},
                              .portfolio = false};
    const emdl_planner text{.reading = emdl_reading::paper_text};
    std::mt19937 rng(5);
    const analytic_model model = upload_test::phone_and_server();
    auto same = [](const upload_plan& a, const upload_plan& b) {
        if (a.partitions.size() != b.partitions.size()) return false;
        for (std::size_t k = 0; k < a.partitions.size(); ++k)
            if (a.partitions[k].layers != b.partitions[k].layers ||
                a.partitions[k].node != b.partitions[k].node)
                return false;
        return true;
    };
    for (int trial = 0; trial < 40; ++trial) {
        const layer_graph g = upload_test::random_model(rng, 2 + trial % 14, trial % 2 == 0);
        const auto x = reference_placement(g, model).placement;
        const upload_plan emdl = emdl_planner{}.plan(upload_problem(g, model, x));
        CHECK(same(rule.plan(upload_problem(g, model, x)), text.plan(upload_problem(g, model, x))));
        CHECK(same(authors.plan(upload_problem(g, model, x)), emdl));
        std::vector<node_id> all(g.size(), 1);
        CHECK(same(rule.plan(upload_problem(g, model, all)),
                   text.plan(upload_problem(g, model, all))));
        CHECK(same(authors.plan(upload_problem(g, model, all)),
                   emdl_planner{}.plan(upload_problem(g, model, all))));
        // The full LMU completes at least as many queries as every baseline.
        for (const auto& placement : {x, all}) {
            const upload_problem problem(g, model, placement);
            const std::size_t lmu = simulate_queries(g, model, lmu_planner{}.plan(problem))
                                        .metrics.queries_during_upload;
            CAPTURE(trial);
            for (const upload_plan& other :
                 {emdl_planner{}.plan(problem), text.plan(problem), ionn_planner{}.plan(problem),
                  whole_model_planner{}.plan(problem), layer_by_layer_planner{}.plan(problem)}) {
                CAPTURE(other.planner);
                CHECK(lmu >= simulate_queries(g, model, other).metrics.queries_during_upload);
            }
        }
    }
    const profiled_model profiled = profiled_env(10);
    for (const char* file : {"alexnet.csv", "googlenet.csv", "resnet50.csv"}) {
        const layer_graph g = read_profile_csv(data(file));
        const auto x = reference_placement(g, profiled).placement;
        CHECK(same(rule.plan(upload_problem(g, profiled, x)),
                   text.plan(upload_problem(g, profiled, x))));
        CHECK(same(authors.plan(upload_problem(g, profiled, x)),
                   emdl_planner{}.plan(upload_problem(g, profiled, x))));
    }
}

TEST_CASE("LMU sends partitions to several destinations") {
    // A chain whose exact placement uses both the edge and the cloud.
    const analytic_model model = upload_test::phone_edge_cloud();
    std::mt19937 rng(21);
    int multi = 0;
    for (int trial = 0; trial < 40; ++trial) {
        const layer_graph g = upload_test::random_model(rng, 4 + trial % 8, false);
        const auto x = reference_placement(g, model).placement;
        std::set<node_id> remote;
        for (node_id s : x)
            if (s != 0) remote.insert(s);
        if (remote.size() < 2) continue;
        ++multi;
        const upload_plan plan = lmu_planner{}.plan(upload_problem(g, model, x));
        std::set<node_id> destinations;
        for (const auto& part : plan.partitions) destinations.insert(part.node);
        CHECK(destinations == remote);
        CHECK_THROWS_WITH_AS(emdl_planner{}.plan(upload_problem(g, model, x)),
                             doctest::Contains("two remote nodes"), eosdnn::error);
    }
    CHECK(multi > 0);
}

TEST_CASE("IONN: K = 0.8 by default, validated, and its plan grows towards the placement") {
    CHECK(ionn_planner{}.penalty_decay == 0.8);
    const layer_graph g = upload_test::three_layers();
    const analytic_model model = upload_test::phone_and_server();
    const std::vector<node_id> x = {1, 1, 1};
    CHECK_THROWS_WITH_AS(ionn_planner{.penalty_decay = 1.5}.plan(upload_problem(g, model, x)),
                         doctest::Contains("penalty_decay"), eosdnn::error);
    // Running A remotely saves 0.099 s (minus 0.002 s of transfers) against 1 s of upload, so the
    // first plans keep everything local; as (1 - k) shrinks, layers join in.
    const upload_plan plan = ionn_planner{}.plan(upload_problem(g, model, x));
    check_plan(g, model, plan);
    CHECK(plan.partitions.size() >= 1);
    // A penalty that never bites (K tiny): the first plan is already the target, one step.
    const upload_plan eager = ionn_planner{.penalty_decay = 1e-9}.plan(upload_problem(g, model, x));
    CHECK(eager.partitions.size() <= 2);
}

TEST_CASE("planners reject bad placements with errors that name them") {
    const layer_graph g = upload_test::three_layers();
    const analytic_model model = upload_test::phone_and_server();
    CHECK_THROWS_WITH_AS(lmu_planner{}.plan(upload_problem(g, model, std::vector<node_id>{1, 1})),
                         doctest::Contains("2 genes"), eosdnn::error);
    CHECK_THROWS_WITH_AS(
        lmu_planner{}.plan(upload_problem(g, model, std::vector<node_id>{1, 7, 1})),
        doctest::Contains("layer 1 ('B')"), eosdnn::error);
    CHECK_THROWS_WITH_AS(
        whole_model_planner{}.plan(upload_problem(g, model, std::vector<node_id>{1, 1, 1}, 1)),
        doctest::Contains("not a local node"), eosdnn::error);
    // The message names what the user built, not an internal table (issue 13).
    std::string message;
    try {
        upload_problem(g, model, std::vector<node_id>{1, 1});
    } catch (const eosdnn::error& e) {
        message = e.what();
    }
    CHECK(message.starts_with("upload_problem: "));
}

TEST_CASE("bottom-up merging joins layers that only pay off together") {
    // A's output is large (1 s on the link), B's tiny: offloading either alone ships A's output
    // (Q rises from 0.2 s to 1.1 s), offloading both ships only B's (Q = 0.0031 s).
    layer_graph_builder b("pair");
    auto a = b.add_layer(
        {.name = "A", .kind = "conv", .flops = 1e8, .param_bytes = 1e5, .output_bytes = 1e6});
    b.add_layer({.name = "B", .kind = "fc", .flops = 1e8, .param_bytes = 1e5, .output_bytes = 100},
                {a});
    b.set_input_bytes(1000);
    const layer_graph g = b.build();
    const analytic_model model = upload_test::phone_and_server();
    const std::vector<node_id> x = {1, 1};
    const upload_plan plan =
        lmu_planner{.rule = {.strategy = merge_strategy::bottom_up}, .portfolio = false}.plan(
            upload_problem(g, model, x));
    REQUIRE(plan.partitions.size() == 1);
    CHECK(plan.partitions[0].layers == std::vector<layer_id>{0, 1});
    // Forced to run every acknowledged layer remotely, layer by layer goes through the slow
    // state and completes fewer queries; choosing the fastest prefix, its queries stay on the
    // device meanwhile, so it is never worse than running locally.
    const upload_plan layers = layer_by_layer_planner{}.plan(upload_problem(g, model, x));
    const simulation_options forced{.choice = remote_choice::forced};
    const auto merged = simulate_queries(g, model, plan, forced).metrics;
    const auto single = simulate_queries(g, model, layers, forced).metrics;
    CHECK(merged.latency_area_s2 < single.latency_area_s2);
    CHECK(merged.queries_during_upload >= single.queries_during_upload);
    const auto chosen = simulate_queries(g, model, layers).metrics;
    CHECK(chosen.latency_area_s2 < single.latency_area_s2);
    CHECK(chosen.queries_during_upload >= single.queries_during_upload);
}
