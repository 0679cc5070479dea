// The query simulation against timelines computed by hand on a three-layer chain.
#include <eosdnn/optim/exact.hpp>
#include <eosdnn/upload/baselines.hpp>
#include <eosdnn/upload/effective_delay.hpp>
#include <eosdnn/upload/query_simulation.hpp>

#include "upload_test_models.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace eosdnn;
using doctest::Approx;

namespace {

// Everything on the server, one layer per partition: A (1 s), B (2 s), C (1 s).
//   Q(none) = 0.1 + 0.2 + 0.1                                   = 0.4
//   Q(A)    = in 0.001 + A 0.001 + out_A 0.001 + B 0.2 + C 0.1     = 0.303
//   Q(A,B)  = 0.001 + 0.001 + 0.002 + out_B 0.0005 + C 0.1         = 0.1045
//   Q(all)  = 0.001 + 0.001 + 0.002 + 0.001 + return 0.0001       = 0.0051
struct three_layer_fixture {
    layer_graph graph = upload_test::three_layers();
    analytic_model model = upload_test::phone_and_server();
    std::vector<node_id> x = {1, 1, 1};
    upload_plan plan = layer_by_layer_planner{}.plan(upload_problem(graph, model, x));
};

void check_queries(const simulation_result& r, const std::vector<double>& starts,
                   const std::vector<double>& latencies) {
    REQUIRE(r.queries.size() == starts.size());
    for (std::size_t i = 0; i < starts.size(); ++i) {
        CAPTURE(i);
        CHECK(r.queries[i].start_s == Approx(starts[i]));
        CHECK(r.queries[i].latency_s == Approx(latencies[i]));
        CHECK(r.queries[i].end_s == Approx(starts[i] + latencies[i]));
    }
}

}  // namespace

TEST_CASE("effective delays of the three-layer chain match the hand computation") {
    three_layer_fixture f;
    REQUIRE(f.plan.partitions.size() == 3);
    std::vector<double> latency;
    std::vector<std::size_t> remote;
    step_latencies(f.graph, f.model, f.plan, latency, remote);
    REQUIRE(latency.size() == 4);
    CHECK(latency[0] == Approx(0.4));
    CHECK(latency[1] == Approx(0.303));
    CHECK(latency[2] == Approx(0.1045));
    CHECK(latency[3] == Approx(0.0051));
    CHECK(remote == std::vector<std::size_t>{0, 1, 2, 3});
    CHECK(f.plan.partitions[0].upload_s == Approx(1));
    CHECK(f.plan.partitions[1].upload_s == Approx(2));
    CHECK(f.plan.partitions[2].upload_s == Approx(1));
}

TEST_CASE("timeline: first query runs locally, no acknowledgement latency") {
    three_layer_fixture f;
    const simulation_result r = simulate_queries(f.graph, f.model, f.plan);
    // Acknowledgements at 1, 3 and 4. Local queries at 0, 0.4, 0.8; from 1.2 on A is remote;
    // from 3.018 on A and B; the query issued at 3.9585 ends at 4.063, after the upload.
    std::vector<double> starts, lat;
    for (int i = 0; i < 3; ++i) starts.push_back(0.4 * i), lat.push_back(0.4);
    for (int i = 0; i < 6; ++i) starts.push_back(1.2 + 0.303 * i), lat.push_back(0.303);
    for (int i = 0; i < 10; ++i) starts.push_back(3.018 + 0.1045 * i), lat.push_back(0.1045);
    check_queries(r, starts, lat);
    REQUIRE(r.uploads.size() == 3);
    CHECK(r.uploads[1].sent_s == Approx(1));
    CHECK(r.uploads[1].loaded_s == Approx(3));
    CHECK(r.uploads[2].acknowledged_s == Approx(4));
    CHECK(r.queries[3].remote_layers == 1);
    CHECK(r.queries[3].acknowledged == 1);
    CHECK(r.queries[9].remote_layers == 2);
    const upload_metrics& m = r.metrics;
    CHECK(m.partitions == 3);
    CHECK(m.upload_s == Approx(4));
    CHECK(m.queries_during_upload == 18);
    CHECK(m.mean_latency_during_upload_s == Approx(4.063 / 19));
    CHECK(m.first_offloaded_s == Approx(1.2));
    CHECK(m.latency_area_s2 == Approx(0.4 * 1 + 0.303 * 2 + 0.1045 * 1));
    CHECK(m.initial_latency_s == Approx(0.4));
    CHECK(m.final_latency_s == Approx(0.0051));
}

TEST_CASE("timeline: first query waits for the first partition") {
    three_layer_fixture f;
    const simulation_result r =
        simulate_queries(f.graph, f.model, f.plan, {.first_query = first_query_policy::wait});
    std::vector<double> starts, lat;
    for (int i = 0; i < 7; ++i) starts.push_back(1 + 0.303 * i), lat.push_back(0.303);
    for (int i = 0; i < 9; ++i) starts.push_back(3.121 + 0.1045 * i), lat.push_back(0.1045);
    check_queries(r, starts, lat);
    CHECK(r.metrics.queries_during_upload == 15);
    CHECK(r.metrics.first_offloaded_s == Approx(1));
    // The curve does not depend on what the first query does.
    CHECK(r.metrics.latency_area_s2 == Approx(1.1105));
}

TEST_CASE("timeline: acknowledgement latency and a horizon after the upload") {
    three_layer_fixture f;
    const simulation_result r =
        simulate_queries(f.graph, f.model, f.plan, {.horizon_queries = 2, .ack_latency_s = 0.5});
    // Acknowledgements at 1.5, 3.5, 4.5; transmissions still back to back.
    CHECK(r.uploads[1].sent_s == Approx(1));
    CHECK(r.uploads[1].acknowledged_s == Approx(3.5));
    std::vector<double> starts, lat;
    for (int i = 0; i < 4; ++i) starts.push_back(0.4 * i), lat.push_back(0.4);
    for (int i = 0; i < 7; ++i) starts.push_back(1.6 + 0.303 * i), lat.push_back(0.303);
    for (int i = 0; i < 8; ++i) starts.push_back(3.721 + 0.1045 * i), lat.push_back(0.1045);
    // The query issued at 4.4525 ends at 4.557; then two queries with everything remote.
    starts.push_back(4.557), lat.push_back(0.0051);
    starts.push_back(4.5621), lat.push_back(0.0051);
    check_queries(r, starts, lat);
    CHECK(r.metrics.upload_s == Approx(4.5));
    CHECK(r.metrics.queries_during_upload == 18);
    CHECK(r.metrics.mean_latency_during_upload_s == Approx((1.6 + 2.121 + 0.836) / 19));
    CHECK(r.metrics.latency_area_s2 == Approx(0.4 * 1.5 + 0.303 * 2 + 0.1045 * 1));
}

TEST_CASE("timeline: the whole model in one partition") {
    three_layer_fixture f;
    const upload_plan whole = whole_model_planner{}.plan(upload_problem(f.graph, f.model, f.x));
    REQUIRE(whole.partitions.size() == 1);
    const simulation_result r = simulate_queries(f.graph, f.model, whole, {.horizon_queries = 1});
    CHECK(r.metrics.upload_s == Approx(4));
    CHECK(r.metrics.queries_during_upload >= 9);  // ten local queries end at 4.0 (up to rounding)
    CHECK(r.metrics.queries_during_upload <= 10);
    CHECK(r.metrics.first_offloaded_s >= 4);
    CHECK(r.queries.back().latency_s == Approx(0.0051));
}

TEST_CASE("a plan without partitions runs the horizon locally") {
    three_layer_fixture f;
    const std::vector<node_id> local = {0, 0, 0};
    const upload_plan plan = layer_by_layer_planner{}.plan(upload_problem(f.graph, f.model, local));
    CHECK(plan.partitions.empty());
    const simulation_result r = simulate_queries(f.graph, f.model, plan, {.horizon_queries = 3});
    CHECK(r.queries.size() == 3);
    CHECK(r.metrics.upload_s == 0);
    CHECK(r.metrics.queries_during_upload == 0);
    CHECK(std::isnan(r.metrics.mean_latency_during_upload_s));
    CHECK(std::isnan(r.metrics.first_offloaded_s));
}

TEST_CASE("bad simulation inputs throw errors that name them") {
    three_layer_fixture f;
    CHECK_THROWS_WITH_AS(simulate_queries(f.graph, f.model, f.plan, {.ack_latency_s = -1}),
                         doctest::Contains("ack_latency_s"), eosdnn::error);
    upload_plan broken = f.plan;
    broken.partitions.pop_back();
    CHECK_THROWS_WITH_AS(simulate_queries(f.graph, f.model, broken),
                         doctest::Contains("layer 2 ('C')"), eosdnn::error);
    broken = f.plan;
    broken.partitions[1].layers.push_back(0);
    CHECK_THROWS_WITH_AS(simulate_queries(f.graph, f.model, broken),
                         doctest::Contains("partitions #0 and #1"), eosdnn::error);
    const std::vector<double> up = {1};
    const std::vector<double> lat = {0.1, 0};
    const std::vector<std::size_t> rem = {0, 1};
    CHECK_THROWS_AS(simulate_steps(up, lat, rem), eosdnn::error);
}

TEST_CASE("effective_delay agrees with sequential_delay and prices ranges incrementally") {
    std::mt19937 rng(11);
    const analytic_model model = upload_test::phone_edge_cloud();
    for (int trial = 0; trial < 40; ++trial) {
        const layer_graph g = upload_test::random_model(rng, 3 + trial % 8, trial % 2 == 1);
        std::uniform_int_distribution<int> pick(0, 2);
        std::vector<node_id> x(g.size());
        for (auto& s : x) s = static_cast<node_id>(pick(rng));
        effective_delay<analytic_model> q(g, model, x);
        std::vector<std::uint8_t> acked(g.size(), 0);
        // Upload random same-node ranges of unacknowledged layers and compare every step.
        for (int step = 0; step < 6; ++step) {
            std::uniform_int_distribution<std::size_t> start(0, g.size() - 1);
            std::size_t a = start(rng);
            const layer_id first = q.layer_at(a);
            if (q.acknowledged(first) || x[first] == 0) continue;
            std::size_t b = a;
            while (b + 1 < g.size() && x[q.layer_at(b + 1)] == x[first] &&
                   !q.acknowledged(q.layer_at(b + 1)) && rng() % 3 != 0)
                ++b;
            const double before = q.current();
            const double g_ab = q.gain(a, b);
            q.upload(a, b);
            for (std::size_t p = a; p <= b; ++p) acked[q.layer_at(p)] = 1;
            std::vector<node_id> e(g.size());
            for (layer_id j = 0; j < g.size(); ++j) e[j] = acked[j] ? x[j] : 0;
            const double exact = sequential_delay(g, model, e);
            CHECK(q.delay(acked) == Approx(exact).epsilon(1e-12));
            CHECK(before - g_ab == Approx(exact).epsilon(1e-9));
            CHECK(q.current() == Approx(exact).epsilon(1e-9));
        }
    }
}

TEST_CASE("effective_delay refuses to acknowledge a layer twice or a range across nodes") {
    const layer_graph g = upload_test::three_layers();
    const analytic_model model = upload_test::phone_edge_cloud();
    effective_delay<analytic_model> q(g, model, std::vector<node_id>{1, 1, 2});
    q.upload(0, 0);
    const double after_a = q.current();
    // B is new but A is already acknowledged: refused, and nothing changes.
    CHECK_THROWS_WITH_AS(q.upload(0, 1), doctest::Contains("layer 0 ('A') is already acknowledged"),
                         eosdnn::error);
    CHECK(q.current() == after_a);
    CHECK_FALSE(q.acknowledged(1));
    // B goes to the edge and C to the cloud: not one range.
    CHECK_THROWS_WITH_AS(q.upload(1, 2), doctest::Contains("another target node"), eosdnn::error);
    CHECK_THROWS_WITH_AS(q.upload(2, 3), doctest::Contains("not a range"), eosdnn::error);
    CHECK(q.current() == after_a);
    // The same layers one range at a time are accepted and priced as from scratch.
    q.upload(1, 1);
    q.upload(2, 2);
    std::vector<std::uint8_t> all(3, 1);
    CHECK(q.current() == Approx(q.delay(all)).epsilon(1e-12));
    // upload_layer() takes a layer whatever its state.
    q.upload_layer(0);
    CHECK(q.current() == Approx(q.delay(all)).epsilon(1e-12));
}
