// Wide models (issue 15, item 2): one input feeding thousands of parallel branches joined by a
// concat. The uploading planners must stay near-linear in the width, keep EMDL's exhaustive
// search (and so its plans) on gaps of at most exhaustive_limit parameter layers, and price
// wide ranges exactly (effective_delay's wide mode and many-consumer producers).
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/sequential_delay.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/upload/baselines.hpp>
#include <eosdnn/upload/efficiency_planner.hpp>
#include <eosdnn/upload/emdl.hpp>
#include <eosdnn/upload/ionn.hpp>
#include <eosdnn/upload/lmu.hpp>
#include <eosdnn/upload/query_simulation.hpp>

#include "../test_scale.hpp"
#include "upload_test_models.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

using namespace eosdnn;

namespace {

// One input, `branches` parallel chains of `depth` conv layers, one concat of the chain ends:
// the CSV fan of issue 15 (1 MFLOP, 1000 + i parameter bytes and 1000 output bytes per layer).
layer_graph fan(std::size_t branches, std::size_t depth) {
    layer_graph_builder b("fan");
    const layer_id in = b.add_layer({.name = "data", .kind = "input", .output_bytes = 1000});
    std::vector<layer_id> ends;
    for (std::size_t i = 0; i < branches; ++i) {
        layer_id last = in;
        for (std::size_t d = 0; d < depth; ++d)
            last = b.add_layer({.name = "b" + std::to_string(i) + "_" + std::to_string(d),
                                .kind = "conv",
                                .flops = 2e6,
                                .param_bytes = 1000.0 + static_cast<double>(i),
                                .output_bytes = 1000},
                               {last});
        ends.push_back(last);
    }
    layer l{.name = "cat",
            .kind = "concat",
            .flops = 1e3,
            .output_bytes = 1000.0 * static_cast<double>(branches)};
    const layer_id cat = b.add_layer(std::move(l));
    for (layer_id e : ends) b.add_edge(e, cat);
    b.set_input_bytes(1000);
    return b.build();
}

// Every layer but the input on node 1; the concat on the device if `concat_local`.
std::vector<node_id> all_remote(const layer_graph& g, bool concat_local) {
    std::vector<node_id> x(g.size(), 1);
    x[g.input()] = 0;
    if (concat_local) x[g.output()] = 0;
    return x;
}

// The properties every plan must have, checked independently of the planner: valid, each
// remote layer in exactly one partition, and the simulation's latencies equal to the
// sequential delay of the effective placement after each of a sample of prefixes.
template <class Model>
void check_wide_plan(const layer_graph& g, const Model& model, const upload_plan& plan) {
    CAPTURE(plan.planner);
    REQUIRE_NOTHROW(check_upload_plan(g, model.env(), plan));
    std::vector<int> count(g.size(), 0);
    for (const auto& part : plan.partitions)
        for (layer_id j : part.layers) ++count[j];
    std::size_t wrong = 0;
    for (layer_id j = 0; j < g.size(); ++j)
        wrong += count[j] != (plan.placement[j] != plan.device ? 1 : 0);
    CHECK(wrong == 0);
    // Forced: each step's latency is the delay of that prefix's placement (the default choice
    // of the fastest prefix would hide an incremental pricing error behind an earlier step).
    const simulation_result r = simulate_queries(g, model, plan, {.choice = remote_choice::forced});
    REQUIRE(r.step_latency_s.size() == plan.partitions.size() + 1);
    std::vector<node_id> e(g.size(), plan.device);
    const std::size_t parts = plan.partitions.size();
    const std::size_t stride = parts > 40 ? parts / 20 : 1;
    for (std::size_t k = 0; k <= parts; ++k) {
        if (k > 0)
            for (layer_id j : plan.partitions[k - 1].layers) e[j] = plan.placement[j];
        if (k % stride != 0 && k + 3 < parts) continue;
        CAPTURE(k);
        CHECK(r.step_latency_s[k] ==
              doctest::Approx(sequential_delay(g, model, e, plan.device)).epsilon(1e-9));
    }
    CHECK(r.metrics.final_latency_s ==
          doctest::Approx(sequential_delay(g, model, plan.placement, plan.device)).epsilon(1e-9));
}

// `emdl` is the reading of EMDL to run: the authors' (every sub-range a candidate) takes about a
// minute on a fan of 10^4 branches, so the widest fans run the paper's reading (docs/limits.md).
template <class Model>
void check_planners(const layer_graph& g, const Model& model, const std::vector<node_id>& x,
                    emdl_reading emdl = emdl_reading::authors_code) {
    const upload_problem problem(g, model, std::span<const node_id>(x));
    check_wide_plan(g, model, lmu_planner{}.plan(problem));
    check_wide_plan(g, model, lmu_planner{.portfolio = false}.plan(problem));
    check_wide_plan(g, model, emdl_planner{.reading = emdl}.plan(problem));
    check_wide_plan(g, model, whole_model_planner{}.plan(problem));
    check_wide_plan(g, model, layer_by_layer_planner{}.plan(problem));
}

// Partitions (node and layers, in order) of two plans.
bool same_partitions(const upload_plan& a, const upload_plan& b) {
    if (a.partitions.size() != b.partitions.size()) return false;
    for (std::size_t k = 0; k < a.partitions.size(); ++k)
        if (a.partitions[k].node != b.partitions[k].node ||
            a.partitions[k].layers != b.partitions[k].layers)
            return false;
    return true;
}

}  // namespace

TEST_CASE("effective_delay prices ranges of a wide fan exactly on two servers") {
    // 300 branches: the crossing lists would hold ~300^2 edges, so the wide mode is on, and
    // the input has 300 consumers, so it is priced from its per-node counts.
    const analytic_model model = upload_test::phone_edge_cloud();
    const layer_graph g = fan(300, 1);
    std::mt19937 rng(5);
    for (int trial = 0; trial < 4; ++trial) {
        std::vector<node_id> x(g.size());
        // Runs of branches on the edge or the cloud; the concat anywhere.
        node_id s = 1;
        for (layer_id j = 0; j < g.size(); ++j) {
            if (rng() % 40 == 0) s = static_cast<node_id>(3 - s);
            x[j] = s;
        }
        x[g.input()] = 0;
        x[g.output()] = static_cast<node_id>(trial % 3);
        effective_delay<analytic_model> q(g, model, x);
        std::vector<std::uint8_t> acked(g.size(), 0);
        for (int step = 0; step < 60; ++step) {
            std::size_t a = rng() % g.size();
            const layer_id first = q.layer_at(a);
            if (q.acknowledged(first) || x[first] == 0) continue;
            std::size_t b = a;
            // Short and long ranges (long ones have more than 64 boundary producers).
            const std::size_t stop = rng() % 2 ? 3 : 200;
            while (b + 1 < g.size() && b - a < stop && x[q.layer_at(b + 1)] == x[first] &&
                   !q.acknowledged(q.layer_at(b + 1)))
                ++b;
            const double g_ab = q.gain(a, b);
            const double before = q.current();
            q.upload(a, b);
            for (std::size_t p = a; p <= b; ++p) acked[q.layer_at(p)] = 1;
            std::vector<node_id> e(g.size());
            for (layer_id j = 0; j < g.size(); ++j) e[j] = acked[j] ? x[j] : 0;
            const double exact = sequential_delay(g, model, e);
            CHECK(before - g_ab == doctest::Approx(exact).epsilon(1e-9));
            CHECK(q.current() == doctest::Approx(exact).epsilon(1e-9));
        }
    }
}

TEST_CASE("gaps within the exhaustive limit keep the exhaustive plans") {
    const analytic_model model = upload_test::phone_and_server();
    for (std::size_t branches : {20u, 64u}) {
        for (bool concat_local : {false, true}) {
            const layer_graph g = fan(branches, 1);
            const std::vector<node_id> x = all_remote(g, concat_local);
            const upload_problem problem(g, model, std::span<const node_id>(x));
            for (const efficiency_options& rule :
                 {efficiency_options{},
                  efficiency_options{.measure = efficiency_measure::rate_gained},
                  efficiency_options{.refinement = refinement_rule::lookahead},
                  efficiency_options{.strategy = merge_strategy::bottom_up}}) {
                efficiency_options exhaustive = rule;
                exhaustive.exhaustive_limit = std::size_t{1} << 30;
                CHECK(same_partitions(efficiency_plan("x", problem, rule),
                                      efficiency_plan("x", problem, exhaustive)));
            }
        }
    }
}

TEST_CASE("the bounded search on a gap of 300 parameter layers stays close to the exhaustive one") {
    // Measured on random chains of 100 to 400 parameter layers (docs/uploading.md): the
    // bounded search completes at least 98% of the exhaustive search's queries.
    const analytic_model model = upload_test::phone_and_server();
    std::mt19937 rng(2);
    const layer_graph g = upload_test::random_model(rng, 300, false);
    std::vector<node_id> x(g.size(), 1);
    x[g.input()] = 0;
    const upload_problem problem(g, model, std::span<const node_id>(x));
    efficiency_options exhaustive{.exhaustive_limit = std::size_t{1} << 30};
    const upload_plan bounded = efficiency_plan("b", problem, efficiency_options{});
    const upload_plan full = efficiency_plan("e", problem, exhaustive);
    check_wide_plan(g, model, bounded);
    const auto mb = simulate_queries(g, model, bounded).metrics;
    const auto me = simulate_queries(g, model, full).metrics;
    CHECK(static_cast<double>(mb.queries_during_upload) >=
          0.98 * static_cast<double>(me.queries_during_upload));
}

TEST_CASE("every planner on a fan of 300 branches") {
    const analytic_model model = upload_test::phone_and_server();
    const layer_graph g = fan(300, 1);
    for (bool concat_local : {false, true}) check_planners(g, model, all_remote(g, concat_local));
}

TEST_CASE("every planner on a fan of 10^4 branches" * doctest::test_suite("slow")) {
    const analytic_model model = upload_test::phone_and_server();
    const layer_graph g = fan(10'000, 1);
    for (bool concat_local : {false, true}) {
        const std::vector<node_id> x = all_remote(g, concat_local);
        check_planners(g, model, x, emdl_reading::paper_text);
        check_wide_plan(g, model, ionn_planner{}.plan(upload_problem(g, model, x)));
    }
}

TEST_CASE("every planner on a fan of 10^4 chains of 3 layers" * doctest::test_suite("slow")) {
    const analytic_model model = upload_test::phone_and_server();
    // 2000 chains under the sanitizers (test_scale.hpp): the same wide-mode code.
    const layer_graph g = fan(eosdnn::test::size_here(10'000, 2'000), 3);
    for (bool concat_local : {false, true}) {
        const std::vector<node_id> x = all_remote(g, concat_local);
        check_planners(g, model, x, emdl_reading::paper_text);
        check_wide_plan(g, model, ionn_planner{}.plan(upload_problem(g, model, x)));
    }
}
