// The shared uplink (simulation_options::uplink = uplink_sharing::queries_first): timelines
// computed by hand, the option off against the separate uplink, LMU's score against the
// simulation, LMU against every order of contiguous partitions, and the invariants.
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/upload/baselines.hpp>
#include <eosdnn/upload/best_upload_order.hpp>
#include <eosdnn/upload/effective_delay.hpp>
#include <eosdnn/upload/emdl.hpp>
#include <eosdnn/upload/ionn.hpp>
#include <eosdnn/upload/lmu.hpp>
#include <eosdnn/upload/query_simulation.hpp>
#include <eosdnn/upload/reference_placement.hpp>
#include <eosdnn/upload/upload_units.hpp>

#include "upload_test_models.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace eosdnn;
using doctest::Approx;

namespace {

constexpr simulation_options shared{.uplink = uplink_sharing::queries_first};

// Two results are the same timeline to the last bit.
bool identical(const simulation_result& a, const simulation_result& b) {
    auto same = [](double x, double y) { return std::memcmp(&x, &y, sizeof x) == 0; };
    if (a.uploads.size() != b.uploads.size() || a.queries.size() != b.queries.size()) return false;
    for (std::size_t k = 0; k < a.uploads.size(); ++k)
        if (!same(a.uploads[k].sent_s, b.uploads[k].sent_s) ||
            !same(a.uploads[k].loaded_s, b.uploads[k].loaded_s) ||
            !same(a.uploads[k].acknowledged_s, b.uploads[k].acknowledged_s))
            return false;
    for (std::size_t i = 0; i < a.queries.size(); ++i)
        if (!same(a.queries[i].start_s, b.queries[i].start_s) ||
            !same(a.queries[i].latency_s, b.queries[i].latency_s) ||
            a.queries[i].remote_layers != b.queries[i].remote_layers ||
            a.queries[i].acknowledged != b.queries[i].acknowledged)
            return false;
    const upload_metrics &m = a.metrics, &o = b.metrics;
    return m.queries_during_upload == o.queries_during_upload && same(m.upload_s, o.upload_s) &&
           same(m.latency_area_s2, o.latency_area_s2) &&
           (same(m.mean_latency_during_upload_s, o.mean_latency_during_upload_s) ||
            (std::isnan(m.mean_latency_during_upload_s) &&
             std::isnan(o.mean_latency_during_upload_s))) &&
           (same(m.first_offloaded_s, o.first_offloaded_s) ||
            (std::isnan(m.first_offloaded_s) && std::isnan(o.first_offloaded_s)));
}

// A random placement of `g` over the device and `servers` remote nodes (node 0 the device),
// the input layer kept on the device.
std::vector<node_id> random_placement(std::mt19937& rng, const layer_graph& g, int servers) {
    std::uniform_int_distribution<int> pick(0, servers);
    std::vector<node_id> x(g.size());
    for (layer_id j = 0; j < g.size(); ++j)
        x[j] = j == g.input() ? 0 : static_cast<node_id>(pick(rng));
    return x;
}

// One random case of the tests below: 1 to 3 servers by `trial`, a random model of 4 to
// 3 + spread parameter layers (a DAG on odd trials) and a random placement.
struct random_case {
    analytic_model model;
    layer_graph g;
    std::vector<node_id> x;
};

random_case draw_case(std::mt19937& rng, int trial, int spread) {
    const int servers = 1 + trial % 3;
    analytic_model model = upload_test::phone_and_servers(servers);
    layer_graph g = upload_test::random_model(rng, 4 + trial % spread, trial % 2 == 1);
    std::vector<node_id> x = random_placement(rng, g, servers);
    return {std::move(model), std::move(g), std::move(x)};
}

// A chain of `params` parameter layers drawn like upload_test::random_model()'s, and nothing
// else: every unit is one layer.
layer_graph parameter_chain(std::mt19937& rng, int params) {
    std::uniform_real_distribution<double> unit(0, 1);
    auto log_uniform = [&](double lo, double hi) { return lo * std::pow(hi / lo, unit(rng)); };
    layer_graph_builder b("parameter_chain");
    std::size_t last = b.add_layer({.name = "input", .kind = "input", .output_bytes = 1e4});
    b.set_input_bytes(log_uniform(1e3, 2e5));
    for (int i = 0; i < params; ++i)
        last = b.add_layer({.name = "p" + std::to_string(i),
                            .kind = "conv",
                            .flops = log_uniform(1e7, 3e8),
                            .param_bytes = log_uniform(1e4, 3e6),
                            .output_bytes = log_uniform(1e3, 3e5)},
                           {last});
    return b.build();
}

}  // namespace

TEST_CASE("shared uplink: a model-free timeline computed by hand") {
    // Two partitions of 1 s each; a query takes 0.5 s with 0 or 1 partitions acknowledged
    // (prefixes 0 and 1) and 0.25 s with both. Prefix 0 runs locally (no uplink traffic);
    // prefix 1 sends during [0, 0.125) and [0.25, 0.375) of its 0.5 s; prefix 2 sends at
    // [0.0625, 0.125) and [0.125, 0.1875). Every number is a binary fraction: exact.
    const std::vector<double> upload{1, 1}, latency{0.5, 0.5, 0.25};
    const std::vector<std::size_t> remote{0, 1, 2};
    const std::vector<std::vector<uplink_interval>> sends{
        {}, {{0, 0.125}, {0.25, 0.125}}, {{0.0625, 0.0625}, {0.125, 0.0625}}};
    simulation_options options = shared;
    options.horizon_queries = 2;
    const simulation_result r = simulate_steps(upload, latency, remote, options, {}, sends);
    // Partition 0: sent at 0, loaded at 1 (the queries at 0 and 0.5 run locally, no traffic).
    // The query at 1 (prefix 1) sends during [1, 1.125): partition 1, due to start at 1, starts
    // at 1.125 and would end at 2.125; [1.25, 1.375) pauses it: 2.25. The queries at 1.5, 2
    // and 2.5 pause it twice each by 0.125: 2.5, 2.75, 2.875 and, its last pause [2.75, 2.875)
    // found it still on the uplink, 3. So it is loaded at 3 (ack latency 0), when the query
    // issued at 2.5 ends: the query at 3 runs with both, 0.25 s, and so does the one at 3.25
    // (the horizon's two queries; their transfers no longer matter).
    REQUIRE(r.uploads.size() == 2);
    CHECK(r.uploads[0].sent_s == 0);
    CHECK(r.uploads[0].loaded_s == 1);
    CHECK(r.uploads[0].acknowledged_s == 1);
    CHECK(r.uploads[1].sent_s == 1.125);
    CHECK(r.uploads[1].loaded_s == 3);
    CHECK(r.uploads[1].acknowledged_s == 3);
    const std::vector<double> starts{0, 0.5, 1, 1.5, 2, 2.5, 3, 3.25};
    const std::vector<std::size_t> acked{0, 0, 1, 1, 1, 1, 2, 2};
    REQUIRE(r.queries.size() == starts.size());
    for (std::size_t i = 0; i < starts.size(); ++i) {
        CAPTURE(i);
        CHECK(r.queries[i].start_s == starts[i]);
        CHECK(r.queries[i].acknowledged == acked[i]);
        CHECK(r.queries[i].latency_s == latency[acked[i]]);
    }
    // Six queries end by the upload's end at 3 (the separate uplink: four, by 2).
    CHECK(r.metrics.upload_s == 3);
    CHECK(r.metrics.queries_during_upload == 6);
    CHECK(r.metrics.latency_area_s2 == 0.5 * 1 + 0.5 * 2);
    CHECK(r.metrics.first_offloaded_s == 1);
    options.uplink = uplink_sharing::separate;
    const simulation_result apart = simulate_steps(upload, latency, remote, options, {}, sends);
    CHECK(apart.metrics.upload_s == 2);
    CHECK(apart.metrics.queries_during_upload == 4);

    // Held until the first acknowledgement: the same timeline from 1 on.
    options = shared;
    options.first_query = first_query_policy::wait;
    const simulation_result held = simulate_steps(upload, latency, remote, options, {}, sends);
    CHECK(held.queries.front().start_s == 1);
    CHECK(held.uploads[1].sent_s == 1.125);
    CHECK(held.uploads[1].loaded_s == 3);
    CHECK(held.metrics.queries_during_upload == 4);
}

TEST_CASE("shared uplink: the queries' transfers out of the device, by hand") {
    // The three-layer chain: A 0.1 s / 0.001 s, B 0.2 / 0.002, C 0.1 / 0.001 on the device /
    // server; 1 MB/s, no latency: input 1000 B = 1 ms, out_A 1 ms, out_B 0.5 ms, out_C 0.1 ms.
    const layer_graph g = upload_test::three_layers();
    const analytic_model model = upload_test::phone_and_server();
    const std::vector<node_id> x{0, 1, 1};  // A on the device, B and C on the server
    const effective_delay<analytic_model> q(g, model, x, 0);
    std::vector<std::uint8_t> acked(3, 0);
    std::vector<uplink_interval> sends;
    auto collect = [&] {
        sends.clear();
        q.uplink_sends(acked, [&](double o, double d) { sends.push_back({o, d}); });
    };
    collect();
    CHECK(sends.empty());  // all local
    acked[1] = 1;          // B remote: A computes 0.1 s, then out_A goes up (1 ms)
    collect();
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].offset_s == Approx(0.1));
    CHECK(sends[0].duration_s == Approx(0.001));
    // B's output comes back down (not the uplink), C runs locally.
    acked[2] = 1;
    collect();
    REQUIRE(sends.size() == 1);
    CHECK(sends[0].offset_s == Approx(0.1));
    const std::vector<node_id> all{1, 1, 1};
    const effective_delay<analytic_model> remote(g, model, all, 0);
    std::fill(acked.begin(), acked.end(), std::uint8_t{1});
    sends.clear();
    remote.uplink_sends(acked, [&](double o, double d) { sends.push_back({o, d}); });
    REQUIRE(sends.size() == 1);  // the input, at the start
    CHECK(sends[0].offset_s == 0);
    CHECK(sends[0].duration_s == Approx(0.001));
}

TEST_CASE("shared uplink: the three-layer chain uploaded layer by layer, by hand") {
    // Everything on the server, partitions A (1 s), B (2 s), C (1 s) (query_simulation.cpp):
    // Q = 0.4, 0.303, 0.1045, 0.0051; every offloaded query sends the input, 1 ms, at its start.
    const layer_graph g = upload_test::three_layers();
    const analytic_model model = upload_test::phone_and_server();
    const std::vector<node_id> x{1, 1, 1};
    const upload_plan plan = layer_by_layer_planner{}.plan(upload_problem(g, model, x));
    const simulation_result r = simulate_queries(g, model, plan, shared);
    // A: [0, 1), no traffic (the queries at 0, 0.4, 0.8 are local). B: sent at 1, 2 s; the
    // queries with A remote start at 1.2 + 0.303 i and each pauses it 1 ms: six start before it
    // ends (1.2 .. 2.715), so it is loaded at 3 + 0.006 = 3.006, before the query at 3.018,
    // which runs with A and B (as with the separate uplink). C: sent at 3.006, 1 s; the queries
    // at 3.018 + 0.1045 i, i = 0..9 (up to 3.9585), start before it ends and pause it: loaded
    // at 4.006 + 0.010 = 4.016; the next query starts at 4.063, after the upload.
    REQUIRE(r.uploads.size() == 3);
    CHECK(r.uploads[0].loaded_s == Approx(1));
    CHECK(r.uploads[1].sent_s == Approx(1));
    CHECK(r.uploads[1].loaded_s == Approx(3.006));
    CHECK(r.uploads[2].sent_s == Approx(3.006));
    CHECK(r.uploads[2].loaded_s == Approx(4.016));
    CHECK(r.uploads[2].acknowledged_s == Approx(4.016));
    REQUIRE(r.queries.size() == 19);
    CHECK(r.queries[9].start_s == Approx(3.018));
    CHECK(r.queries[9].acknowledged == 2);
    CHECK(r.queries[18].start_s == Approx(3.9585));
    CHECK(r.metrics.upload_s == Approx(4.016));
    CHECK(r.metrics.queries_during_upload == 18);  // the last ends at 4.063
    CHECK(r.metrics.latency_area_s2 == Approx(0.4 * 1 + 0.303 * 2.006 + 0.1045 * 1.010));
}

TEST_CASE("shared uplink off gives the separate uplink's results bit for bit") {
    std::mt19937 rng(11);
    for (int trial = 0; trial < 24; ++trial) {
        CAPTURE(trial);
        const auto [model, g, x] = draw_case(rng, trial, 5);
        const upload_problem problem(g, model, x);
        for (const upload_plan& plan :
             {layer_by_layer_planner{}.plan(problem), whole_model_planner{}.plan(problem)}) {
            simulation_options off;
            off.ack_latency_s = 0.003;
            off.horizon_queries = 2;
            const simulation_result base = simulate_queries(g, model, plan, off);
            // The queries' transfers, handed to the core, are ignored with the option off.
            std::vector<double> latency, upload, overhead;
            std::vector<std::size_t> remote;
            step_latencies(g, model, plan, latency, remote);
            for (const auto& part : plan.partitions) {
                upload.push_back(part.upload_s);
                overhead.push_back(part.overhead_s);
            }
            std::vector<std::vector<uplink_interval>> sends;
            step_uplink_sends(g, model, plan, sends);
            CHECK(identical(base, simulate_steps(upload, latency, remote, off, overhead, sends)));
            // On, with no transfer at all: the same timeline.
            simulation_options on = off;
            on.uplink = uplink_sharing::queries_first;
            CHECK(identical(base, simulate_steps(upload, latency, remote, on, overhead, {})));
        }
    }
}

TEST_CASE("shared uplink: no query is slower, no acknowledgement earlier, no traffic no change") {
    std::mt19937 rng(5);
    for (int trial = 0; trial < 24; ++trial) {
        CAPTURE(trial);
        const auto [model, g, x] = draw_case(rng, trial, 5);
        const upload_problem problem(g, model, x);
        for (const auto choice : {remote_choice::fastest_prefix, remote_choice::forced}) {
            const upload_plan plan = layer_by_layer_planner{}.plan(problem);
            const simulation_options off{.choice = choice};
            simulation_options on = off;
            on.uplink = uplink_sharing::queries_first;
            const simulation_result a = simulate_queries(g, model, plan, off);
            const simulation_result b = simulate_queries(g, model, plan, on);
            // A query's latency is that of the prefix it runs with: the upload never slows it.
            CHECK(a.step_latency_s == b.step_latency_s);
            for (const query_record& query : b.queries)
                CHECK(query.latency_s == b.step_latency_s[query.acknowledged]);
            REQUIRE(a.uploads.size() == b.uploads.size());
            for (std::size_t k = 0; k < a.uploads.size(); ++k) {
                CHECK(b.uploads[k].sent_s >= a.uploads[k].sent_s);
                CHECK(b.uploads[k].loaded_s >= a.uploads[k].loaded_s);
                CHECK(b.uploads[k].loaded_s - b.uploads[k].sent_s >=
                      plan.partitions[k].upload_s * (1 - 1e-12));
            }
            CHECK(b.metrics.upload_s >= a.metrics.upload_s);
            // The same with every query held until the first acknowledgement and a plan of one
            // partition: no query runs before the upload ends, so nothing pauses it.
            const upload_plan whole = whole_model_planner{}.plan(problem);
            if (whole.partitions.size() == 1) {
                simulation_options hold_off = off, hold_on = on;
                hold_off.first_query = hold_on.first_query = first_query_policy::wait;
                CHECK(identical(simulate_queries(g, model, whole, hold_off),
                                simulate_queries(g, model, whole, hold_on)));
            }
        }
    }
    // No transfer out of the device at all: an input of 0 bytes over a link without latency,
    // every layer on the server.
    layer_graph_builder b("no_uplink");
    auto l1 = b.add_layer(
        {.name = "A", .kind = "fc", .flops = 1e8, .param_bytes = 1e6, .output_bytes = 1000});
    b.add_layer({.name = "B", .kind = "fc", .flops = 2e8, .param_bytes = 2e6, .output_bytes = 10},
                {l1});
    b.set_input_bytes(0);
    const layer_graph g = b.build();
    const analytic_model model = upload_test::phone_and_server();
    const std::vector<node_id> x{1, 1};
    const upload_plan plan = layer_by_layer_planner{}.plan(upload_problem(g, model, x));
    CHECK(identical(simulate_queries(g, model, plan), simulate_queries(g, model, plan, shared)));
}

TEST_CASE("shared uplink: LMU's score of its plan is the simulation's") {
    std::mt19937 rng(7);
    for (int trial = 0; trial < 12; ++trial) {
        CAPTURE(trial);
        const auto [model, g, x] = draw_case(rng, trial, 4);
        const upload_problem problem(g, model, x);
        lmu_planner lmu;
        lmu.simulation = shared;
        const upload_plan plan = lmu.plan(problem);
        const upload_metrics score = lmu.score(problem, plan);
        const upload_metrics truth = simulate_queries(g, model, plan, shared).metrics;
        CHECK(score.queries_during_upload == truth.queries_during_upload);
        CHECK(score.latency_area_s2 == truth.latency_area_s2);
        CHECK(score.upload_s == truth.upload_s);
        // Never fewer queries than the baselines it holds as candidates, under the option.
        for (const upload_plan& other :
             {whole_model_planner{}.plan(problem), layer_by_layer_planner{}.plan(problem)})
            CHECK(truth.queries_during_upload >=
                  simulate_queries(g, model, other, shared).metrics.queries_during_upload);
    }
}

TEST_CASE("shared uplink: LMU reaches 0.9 of the best order of contiguous partitions" *
          doctest::test_suite("slow")) {
    // The best plan whose partitions are contiguous runs of units of one block, in every order
    // and grouping, simulated with the option on. What changed: this test used to enumerate
    // those plans itself and simulate each (30 models of 4 to 6 parameter layers on one or two
    // servers); best_upload_order() under the option now finds that best count (the same
    // space on the parameter chains, checked against a brute force in best_upload_order.cpp; on
    // the random models its space also moves each parameter-free run between two parameter
    // layers to the layer after it, as LMU may, so the reference there can only be higher), with
    // LMU's count as the incumbent, which prunes. So the test covers 60 models of 4 to 8
    // parameter layers on one to three servers in a few seconds.
    std::mt19937 rng(31);
    std::vector<double> ratios, chain_ratios;
    std::size_t nodes = 0;
    for (int trial = 0; trial < 60; ++trial) {
        CAPTURE(trial);
        const int servers = 1 + trial % 3;
        const analytic_model model = upload_test::phone_and_servers(servers);
        // Half of them chains of parameter layers only, the rest the tests' random models
        // (parameter-free layers between, residual joins on every third).
        const int params = 4 + trial % 5;
        const layer_graph g = trial % 2 == 0
                                  ? parameter_chain(rng, params)
                                  : upload_test::random_model(rng, params, trial % 3 == 2);
        std::vector<node_id> x(g.size(), 1);
        x[g.input()] = 0;
        if (servers > 1)  // the second half on the cloud
            for (layer_id j = static_cast<layer_id>(g.size() / 2); j < g.size(); ++j)
                x[j] = static_cast<node_id>(servers);
        const upload_problem problem(g, model, x);
        lmu_planner lmu;
        lmu.simulation = shared;
        const std::size_t got =
            simulate_queries(g, model, lmu.plan(problem), shared).metrics.queries_during_upload;
        const upload_order_search search = best_upload_order(problem, shared, {.incumbent = got});
        REQUIRE(search.complete);
        nodes += search.nodes_visited;
        const std::size_t best = search.queries_during_upload;
        CAPTURE(best);
        CAPTURE(got);
        if (best < 5) continue;  // too short an upload to compare ratios
        const double ratio = static_cast<double>(got) / static_cast<double>(best);
        CHECK(ratio >= 0.9);
        ratios.push_back(ratio);
        if (trial % 2 == 0) chain_ratios.push_back(ratio);
    }
    REQUIRE(!chain_ratios.empty());
    auto mean = [](const std::vector<double>& v) {
        return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    };
    MESSAGE("LMU / best order under the shared uplink: mean "
            << mean(ratios) << ", worst " << *std::min_element(ratios.begin(), ratios.end())
            << " over " << ratios.size() << " models; parameter chains: mean " << mean(chain_ratios)
            << ", worst " << *std::min_element(chain_ratios.begin(), chain_ratios.end()) << " over "
            << chain_ratios.size() << "; " << nodes << " search nodes");
}
