// Several tasks uploading at once: a timeline computed by hand, the single-task simulation as the
// one-task and the disjoint cases, contention on a shared server, determinism and bad input.
#include <eosdnn/upload/baselines.hpp>
#include <eosdnn/upload/lmu.hpp>
#include <eosdnn/upload/query_simulation.hpp>
#include <eosdnn/upload/reference_placement.hpp>
#include <eosdnn/upload/task_simulation.hpp>

#include "upload_test_models.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace eosdnn;
using doctest::Approx;

namespace {

// `phones` phones (1 GFLOP/s each, nodes 0 to phones - 1) and either one server they all share
// (`shared`) or one server per phone (phone i's is node phones + i); every phone-server link at
// 250 kB/s with 2 ms of latency, as upload_test::phone_and_servers(1), so that uploads take tens
// of seconds. An environment links every pair of nodes, so with a server per phone the tests
// keep each task's layers on its own server. The servers run at `server_flops`: slow enough
// that queries queue for a shared one.
analytic_model phones_and_servers(int phones, bool shared, double server_flops = 2e10) {
    environment_builder env;
    std::vector<node_id> p, servers;
    for (int i = 0; i < phones; ++i)
        p.push_back(env.add_node(
            {.name = "phone" + std::to_string(i), .tier = tier::local, .flops_per_s = 1e9}));
    for (int i = 0; i < (shared ? 1 : phones); ++i) {
        const node_id s = env.add_node({.name = "server" + std::to_string(i),
                                        .tier = tier::edge,
                                        .flops_per_s = server_flops});
        for (node_id phone : p) env.connect(phone, s, {.bandwidth_Bps = 2.5e5, .latency_s = 0.002});
        for (node_id other : servers)
            env.connect(other, s, {.bandwidth_Bps = 1e7, .latency_s = 0.002});
        servers.push_back(s);
    }
    return analytic_model(env.build());
}

// A random placement of `graph` on `device` and `server`: every layer but the input goes to the
// server with probability 0.7.
std::vector<node_id> random_placement(std::mt19937& rng, const layer_graph& graph, node_id device,
                                      node_id server) {
    std::bernoulli_distribution remote(0.7);
    std::vector<node_id> x(graph.size(), device);
    for (layer_id j = 0; j < graph.size(); ++j)
        if (j != graph.input() && remote(rng)) x[j] = server;
    return x;
}

// LMU's plan for `graph` on `device`, uploading the task's exact placement.
template <class Model>
upload_task lmu_task(const layer_graph& graph, const Model& model, node_id device) {
    const auto x = reference_placement(graph, model, device).placement;
    return {graph, lmu_planner{}.plan(upload_problem(graph, model, x, device))};
}

void check_same(const simulation_result& together, const simulation_result& alone) {
    REQUIRE(together.queries.size() == alone.queries.size());
    for (std::size_t i = 0; i < alone.queries.size(); ++i) {
        CAPTURE(i);
        const query_record &a = together.queries[i], &b = alone.queries[i];
        CHECK(a.start_s == Approx(b.start_s).epsilon(1e-12));
        CHECK(a.end_s == Approx(b.end_s).epsilon(1e-12));
        CHECK(a.latency_s == Approx(b.latency_s).epsilon(1e-9));
        CHECK(a.remote_layers == b.remote_layers);
        CHECK(a.acknowledged == b.acknowledged);
    }
    REQUIRE(together.uploads.size() == alone.uploads.size());
    for (std::size_t k = 0; k < alone.uploads.size(); ++k)
        CHECK(together.uploads[k].acknowledged_s == alone.uploads[k].acknowledged_s);
    const upload_metrics &a = together.metrics, &b = alone.metrics;
    CHECK(a.partitions == b.partitions);
    CHECK(a.upload_s == b.upload_s);
    CHECK(a.queries_during_upload == b.queries_during_upload);
    if (std::isnan(b.mean_latency_during_upload_s))
        CHECK(std::isnan(a.mean_latency_during_upload_s));
    else
        CHECK(a.mean_latency_during_upload_s ==
              Approx(b.mean_latency_during_upload_s).epsilon(1e-9));
    if (std::isnan(b.first_offloaded_s))
        CHECK(std::isnan(a.first_offloaded_s));
    else
        CHECK(a.first_offloaded_s == Approx(b.first_offloaded_s).epsilon(1e-12));
    CHECK(a.latency_area_s2 == b.latency_area_s2);
    CHECK(a.initial_latency_s == b.initial_latency_s);
    CHECK(a.final_latency_s == b.final_latency_s);
}

// X1 (4e8 FLOPs: 0.4 s on a phone, 0.2 s on the server; 200 kB: 0.2 s to upload; output
// 10 kB: 0.01 s) then X2 (1e8 FLOPs: 0.1 s, 0.05 s; 1 MB: 1 s; output 1 kB: 0.001 s); input
// 10 kB: 0.01 s.
layer_graph two_layers() {
    layer_graph_builder b("two");
    auto x1 = b.add_layer(
        {.name = "X1", .kind = "conv", .flops = 4e8, .param_bytes = 2e5, .output_bytes = 1e4});
    b.add_layer({.name = "X2", .kind = "fc", .flops = 1e8, .param_bytes = 1e6, .output_bytes = 1e3},
                {x1});
    b.set_input_bytes(1e4);
    return b.build();
}

}  // namespace

TEST_CASE("two phones sharing one server: the timeline computed by hand") {
    const analytic_model model = upload_test::two_phones_one_server();
    const layer_graph g = two_layers();
    const std::vector<node_id> x = {2, 2};
    std::vector<upload_task> tasks;
    for (node_id device : {node_id{0}, node_id{1}})
        tasks.push_back({g, layer_by_layer_planner{}.plan(upload_problem(g, model, x, device))});
    // Each task alone: X1 acknowledged at 0.2, X2 at 1.2. Q(none) = 0.4 + 0.1 = 0.5,
    // Q(X1) = in 0.01 + X1 0.2 + out 0.01 + X2 0.1 = 0.32, Q(all) = 0.01 + 0.2 + 0.05 + 0.001
    // = 0.261. Queries at 0 (0.5), 0.5, 0.82, 1.14 (0.32 each): 3 end by 1.2, mean 1.46 / 4.
    //
    // Together, one horizon query each:
    // - both first queries run locally on their own phones, 0 to 0.5;
    // - both issue at 0.5 with X1 acknowledged; both inputs reach the server at 0.51 (a tie:
    //   task 0 first). Task 0: X1 0.51-0.71, X2 on phone0 0.72-0.82. Task 1: X1 waits for the
    //   server, 0.71-0.91, X2 on phone1 0.92-1.02 (latency 0.52);
    // - task 0 issues at 0.82, input at 0.83, X1 waits until 0.91: 0.91-1.11, X2 1.12-1.22;
    // - task 1 issues at 1.02, input at 1.03, X1 waits until 1.11: 1.11-1.31, X2 1.32-1.42;
    // - task 0 issues at 1.22 (its upload ended at 1.2: the horizon query, everything remote),
    //   input at 1.23, X1 waits until 1.31: 1.31-1.51;
    // - task 1 issues at 1.42 (horizon), input at 1.43. At 1.51 the server frees and both
    //   task 0's X2 (ready 1.51) and task 1's X1 (waiting since 1.43) want it: first come,
    //   first served, task 1's X1 1.51-1.71, then task 0's X2 1.71-1.76, result back at 1.761;
    //   task 1's X2 1.76-1.81, back at 1.811.
    const task_simulation_result r = simulate_tasks(tasks, model, {.horizon_queries = 1});
    REQUIRE(r.tasks.size() == 2);
    const std::vector<std::vector<std::pair<double, double>>> expected = {
        {{0, 0.5}, {0.5, 0.82}, {0.82, 1.22}, {1.22, 1.761}},
        {{0, 0.5}, {0.5, 1.02}, {1.02, 1.42}, {1.42, 1.811}}};
    for (std::size_t t = 0; t < 2; ++t) {
        CAPTURE(t);
        const auto& q = r.tasks[t].queries;
        REQUIRE(q.size() == expected[t].size());
        for (std::size_t i = 0; i < q.size(); ++i) {
            CAPTURE(i);
            CHECK(q[i].start_s == Approx(expected[t][i].first));
            CHECK(q[i].end_s == Approx(expected[t][i].second));
            CHECK(q[i].latency_s == Approx(expected[t][i].second - expected[t][i].first));
        }
        CHECK(q[1].acknowledged == 1);
        CHECK(q[1].remote_layers == 1);
        CHECK(q[3].remote_layers == 2);
        const upload_metrics& m = r.tasks[t].metrics;
        CHECK(m.upload_s == Approx(1.2));
        CHECK(m.queries_during_upload == 2);
        CHECK(m.first_offloaded_s == Approx(0.5));
        CHECK(r.alone[t].queries_during_upload == 3);
        CHECK(r.alone[t].mean_latency_during_upload_s == Approx(1.46 / 4));
        // The step curve is the task's own.
        CHECK(m.latency_area_s2 == Approx(0.5 * 0.2 + 0.32 * 1.0));
    }
    CHECK(r.tasks[0].metrics.mean_latency_during_upload_s == Approx(1.22 / 3));
    CHECK(r.tasks[1].metrics.mean_latency_during_upload_s == Approx(1.42 / 3));
    CHECK(r.aggregate.queries_during_upload == 4);
    CHECK(r.aggregate.mean_queries_during_upload == Approx(2));
    CHECK(r.aggregate.mean_latency_during_upload_s == Approx((1.22 / 3 + 1.42 / 3) / 2));
    CHECK(r.aggregate.upload_s == Approx(1.2));

    // Each alone: the single-task timeline.
    for (std::size_t t = 0; t < 2; ++t) {
        const task_simulation_result one =
            simulate_tasks(std::span<const upload_task>(&tasks[t], 1), model);
        check_same(one.tasks[0], simulate_queries(g, model, tasks[t].plan));
    }
}

TEST_CASE("one task is the single-task simulation on random chains") {
    std::mt19937 rng(11);
    const std::vector<simulation_options> variants = {
        {},
        {.first_query = first_query_policy::wait, .horizon_queries = 3},
        {.ack_latency_s = 0.05, .choice = remote_choice::forced},
        {.horizon_queries = 2, .window = count_window::upload_end},
    };
    for (int servers = 1; servers <= 3; ++servers) {
        const analytic_model model = upload_test::phone_and_servers(servers, 0.01);
        for (int trial = 0; trial < 8; ++trial) {
            const layer_graph g = upload_test::random_model(rng, 5 + trial % 5, false);
            const std::vector<upload_task> tasks = {lmu_task(g, model, 0)};
            const upload_plan whole = whole_model_planner{}.plan(
                upload_problem(g, model, tasks[0].plan.placement, node_id{0}));
            for (const simulation_options& o : variants) {
                CAPTURE(servers);
                CAPTURE(trial);
                const task_simulation_result r = simulate_tasks(tasks, model, o);
                check_same(r.tasks[0], simulate_queries(g, model, tasks[0].plan, o));
                CHECK(r.alone[0].queries_during_upload == r.tasks[0].metrics.queries_during_upload);
                const std::vector<upload_task> one_whole = {{g, whole}};
                check_same(simulate_tasks(one_whole, model, o).tasks[0],
                           simulate_queries(g, model, whole, o));
            }
        }
    }
}

TEST_CASE("one task on a DAG: the list schedule is never slower than the sequential sum") {
    // The single-task simulation prices a query by the sequential model; here a query is
    // list-scheduled, which overlaps branches on different nodes.
    std::mt19937 rng(7);
    const analytic_model model = upload_test::phone_and_servers(2);
    for (int trial = 0; trial < 10; ++trial) {
        const layer_graph g = upload_test::random_model(rng, 6 + trial % 4, true);
        const std::vector<upload_task> tasks = {lmu_task(g, model, 0)};
        const simulation_options o{.choice = remote_choice::forced};
        const task_simulation_result r = simulate_tasks(tasks, model, o);
        const simulation_result single = simulate_queries(g, model, tasks[0].plan, o);
        CHECK(r.tasks[0].uploads.size() == single.uploads.size());
        for (const query_record& q : r.tasks[0].queries)
            CHECK(q.latency_s <= single.step_latency_s[q.acknowledged] * (1 + 1e-12));
        CHECK(r.tasks[0].metrics.queries_during_upload >= single.metrics.queries_during_upload);
        CHECK(r.alone[0].queries_during_upload == r.tasks[0].metrics.queries_during_upload);
    }
}

TEST_CASE("tasks on disjoint servers are each alone") {
    std::mt19937 rng(3);
    for (const bool dag : {false, true}) {
        const analytic_model model = phones_and_servers(3, /*shared=*/false);
        for (int trial = 0; trial < 4; ++trial) {
            std::vector<upload_task> tasks;
            for (node_id device = 0; device < 3; ++device) {
                layer_graph g = upload_test::random_model(rng, 5 + trial, dag);
                const auto x = random_placement(rng, g, device, device + 3);
                upload_plan plan = lmu_planner{}.plan(upload_problem(g, model, x, device));
                tasks.push_back({std::move(g), std::move(plan)});
            }
            const simulation_options o{.horizon_queries = 2};
            const task_simulation_result r = simulate_tasks(tasks, model, o);
            for (std::size_t t = 0; t < tasks.size(); ++t) {
                CAPTURE(dag);
                CAPTURE(t);
                const task_simulation_result one =
                    simulate_tasks(std::span<const upload_task>(&tasks[t], 1), model, o);
                check_same(r.tasks[t], one.tasks[0]);
                if (!dag)
                    check_same(r.tasks[t],
                               simulate_queries(tasks[t].graph, model, tasks[t].plan, o));
            }
        }
    }
}

TEST_CASE("a shared server only slows queries") {
    // Contention delays a query's layers, never advances them, so each query takes at least its
    // latency alone with the same placement. Fewer queries and a higher mean during the upload
    // hold on these models but are not theorems: a query delayed past an acknowledgement it
    // would have missed alone runs with more of the model uploaded. Over 1,800 random cases
    // (2 to 4 phones, chains and DAGs, LMU and whole-model plans) no task completed more
    // queries than alone, and 8 had a mean latency lower than alone (by 2.3 % at most; the
    // next test is one of them).
    std::mt19937 rng(5);
    std::size_t slower = 0, fewer = 0;
    for (const int phones : {2, 3}) {
        const analytic_model model = phones_and_servers(phones, /*shared=*/true, 5e9);
        for (int trial = 0; trial < 8; ++trial) {
            std::vector<upload_task> tasks;
            for (node_id device = 0; device < static_cast<node_id>(phones); ++device)
                tasks.push_back(
                    lmu_task(upload_test::random_model(rng, 5 + trial % 4, false), model, device));
            const task_simulation_result r = simulate_tasks(tasks, model);
            for (std::size_t t = 0; t < tasks.size(); ++t) {
                CAPTURE(phones);
                CAPTURE(trial);
                CAPTURE(t);
                const simulation_result& together = r.tasks[t];
                for (const query_record& q : together.queries)
                    CHECK(q.latency_s >= together.step_latency_s[q.acknowledged] * (1 - 1e-12));
                const upload_metrics& m = together.metrics;
                const upload_metrics a =
                    simulate_queries(tasks[t].graph, model, tasks[t].plan).metrics;
                CHECK(r.alone[t].queries_during_upload == a.queries_during_upload);
                CHECK(m.queries_during_upload <= a.queries_during_upload);
                CHECK(m.mean_latency_during_upload_s >=
                      a.mean_latency_during_upload_s * (1 - 1e-12));
                slower += m.mean_latency_during_upload_s > a.mean_latency_during_upload_s;
                fewer += m.queries_during_upload < a.queries_during_upload;
            }
        }
    }
    CHECK(slower > 20);  // the server is shared enough for queries to queue
    CHECK(fewer > 5);
}

TEST_CASE("contention can lower a task's mean latency during the upload") {
    // Four phones on one server (one of the 8 cases of the search above): task 2's queries are
    // delayed past acknowledgements, so more of them run with more of the model uploaded. It
    // still completes no more queries than alone.
    std::mt19937 rng(623);
    const analytic_model model = phones_and_servers(4, /*shared=*/true, 5e9);
    std::vector<upload_task> tasks;
    for (node_id device = 0; device < 4; ++device)
        tasks.push_back(lmu_task(upload_test::random_model(rng, 8, false), model, device));
    const task_simulation_result r = simulate_tasks(tasks, model);
    const upload_metrics& m = r.tasks[2].metrics;
    CHECK(m.mean_latency_during_upload_s < r.alone[2].mean_latency_during_upload_s);
    CHECK(m.queries_during_upload <= r.alone[2].queries_during_upload);
}

TEST_CASE("the simulation is deterministic") {
    std::mt19937 rng(9);
    const analytic_model model = phones_and_servers(3, /*shared=*/true, 5e9);
    std::vector<upload_task> tasks;
    for (node_id device = 0; device < 3; ++device)
        tasks.push_back(lmu_task(upload_test::random_model(rng, 7, device == 1), model, device));
    const simulation_options o{.horizon_queries = 4};
    const task_simulation_result a = simulate_tasks(tasks, model, o);
    const task_simulation_result b = simulate_tasks(tasks, model, o);
    REQUIRE(a.tasks.size() == b.tasks.size());
    for (std::size_t t = 0; t < a.tasks.size(); ++t) {
        REQUIRE(a.tasks[t].queries.size() == b.tasks[t].queries.size());
        for (std::size_t i = 0; i < a.tasks[t].queries.size(); ++i) {
            CHECK(a.tasks[t].queries[i].start_s == b.tasks[t].queries[i].start_s);
            CHECK(a.tasks[t].queries[i].end_s == b.tasks[t].queries[i].end_s);
        }
        CHECK(a.tasks[t].metrics.queries_during_upload == b.tasks[t].metrics.queries_during_upload);
    }
    CHECK(a.aggregate.queries_during_upload == b.aggregate.queries_during_upload);
    std::size_t sum = 0;
    for (const auto& t : a.tasks) sum += t.metrics.queries_during_upload;
    CHECK(a.aggregate.queries_during_upload == sum);
}

TEST_CASE("two tasks on one device contend for it") {
    // Both tasks own phone 0 and upload nothing: their queries run on it one layer at a time.
    const analytic_model model = upload_test::two_phones_one_server();
    const layer_graph g = two_layers();
    const std::vector<node_id> local = {0, 0};
    const upload_plan plan = whole_model_planner{}.plan(upload_problem(g, model, local));
    const std::vector<upload_task> tasks = {{g, plan}, {g, plan}};
    const task_simulation_result r = simulate_tasks(tasks, model, {.horizon_queries = 1});
    // Task 0: X1 0-0.4, then X2 (ready 0.4) and task 1's X1 (waiting since 0) want the phone at
    // 0.4: task 1's X1 came first, 0.4-0.8; task 0's X2 0.8-0.9; task 1's X2 0.9-1.0.
    REQUIRE(r.tasks[0].queries.size() == 1);
    CHECK(r.tasks[0].queries[0].end_s == Approx(0.9));
    CHECK(r.tasks[1].queries[0].end_s == Approx(1.0));
}

TEST_CASE("tasks that upload nothing and issue no query have no mean latency") {
    // Plans without partitions end their upload at 0: without a horizon no query is issued.
    const analytic_model model = upload_test::two_phones_one_server();
    const layer_graph g = two_layers();
    const std::vector<node_id> local = {1, 1};
    const upload_plan plan = whole_model_planner{}.plan(upload_problem(g, model, local, 1));
    const task_simulation_result r = simulate_tasks({{g, plan}, {g, plan}}, model);
    CHECK(r.tasks[0].queries.empty());
    CHECK(r.aggregate.queries_during_upload == 0);
    CHECK(std::isnan(r.aggregate.mean_latency_during_upload_s));
    CHECK(r.aggregate.upload_s == 0);
}

TEST_CASE("bad inputs to simulate_tasks throw errors that name the task") {
    const analytic_model model = upload_test::two_phones_one_server();
    const layer_graph g = two_layers();
    const std::vector<node_id> x = {2, 2};
    const upload_plan good = layer_by_layer_planner{}.plan(upload_problem(g, model, x));
    const auto message = [&](std::vector<upload_task> tasks, simulation_options o = {}) {
        try {
            simulate_tasks(tasks, model, o);
        } catch (const error& e) {
            CHECK(e.kind() == error_kind::validation);
            return std::string(e.what());
        }
        return std::string("no error");
    };
    const auto contains = [](const std::string& text, const std::string& part) {
        CAPTURE(text);
        CHECK(text.find(part) != std::string::npos);
    };
    contains(message({}), "there are no tasks");
    upload_plan bad = good;
    bad.device = 7;
    contains(message({{g, good}, {g, bad}}), "task 1: ");
    contains(message({{g, good}, {g, bad}}), "outside the environment");
    bad = good;
    bad.device = 2;
    contains(message({{g, bad}}), "not a local node");
    bad = good;
    bad.placement.push_back(2);
    contains(message({{g, good}, {g, bad}}), "task 1: ");
    bad = good;
    bad.partitions.pop_back();
    contains(message({{g, bad}}), "in no partition");
    bad = good;
    bad.partitions[0].upload_s = -1;
    contains(message({{g, bad}}), "upload time");
    layer_graph emptied = g;                       // a moved-from graph has no layers
    const layer_graph taken = std::move(emptied);  // NOLINT(bugprone-use-after-move) below
    contains(message({{emptied, good}}), "task 0: its model has no layers");
    contains(message({{upload_test::three_layers(), good}}), "task 0: ");
    contains(message({{g, good}}, {.ack_latency_s = -1}), "ack_latency_s");
    contains(message({{g, good}}, {.horizon_queries = 5, .max_queries = 3}), "max_queries");
}
