// Several tasks with the shared uplink (simulation_options::uplink = queries_first): each task's
// upload pauses for its own queries' transfers out of its device, timed by the list schedule of
// all tasks together. One task against the single-task simulation and against a reference list
// schedule, disjoint tasks, a timeline computed by hand, and the invariants of random cases, on
// the upload tests' phones and on the four hard environments of the optimiser tests.
#include <eosdnn/upload/baselines.hpp>
#include <eosdnn/upload/lmu.hpp>
#include <eosdnn/upload/query_simulation.hpp>
#include <eosdnn/upload/reference_placement.hpp>
#include <eosdnn/upload/task_simulation.hpp>

#include "../optim/hard_environments.hpp"
#include "upload_test_models.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace eosdnn;
using doctest::Approx;

namespace {

constexpr simulation_options shared_default{.ack_latency_s = 0.002,
                                            .uplink = uplink_sharing::queries_first};

simulation_options with_shared_uplink(simulation_options o) {
    o.uplink = uplink_sharing::queries_first;
    return o;
}

// The timelines agree up to rounding: the single-task walk adds each transfer's offset to its
// query's start, the list schedule keeps absolute times, so the last bits may differ. Counts
// must be equal. Returns whether they are also equal to the last bit.
// `step_curve`: whether both have the same step latencies (not so between the sequential step
// curve that simulate_tasks reports and the list schedule's of list_reference() on a DAG).
bool same_up_to_rounding(const simulation_result& a, const simulation_result& b,
                         bool step_curve = true) {
    bool bits = true;
    const auto close = [&](double x, double y) {
        CHECK(x == Approx(y).epsilon(1e-9));
        bits = bits && x == y;
    };
    REQUIRE(a.queries.size() == b.queries.size());
    for (std::size_t i = 0; i < a.queries.size(); ++i) {
        CAPTURE(i);
        close(a.queries[i].start_s, b.queries[i].start_s);
        close(a.queries[i].end_s, b.queries[i].end_s);
        CHECK(a.queries[i].acknowledged == b.queries[i].acknowledged);
        CHECK(a.queries[i].remote_layers == b.queries[i].remote_layers);
    }
    REQUIRE(a.uploads.size() == b.uploads.size());
    for (std::size_t k = 0; k < a.uploads.size(); ++k) {
        CAPTURE(k);
        close(a.uploads[k].sent_s, b.uploads[k].sent_s);
        close(a.uploads[k].loaded_s, b.uploads[k].loaded_s);
        close(a.uploads[k].acknowledged_s, b.uploads[k].acknowledged_s);
    }
    const upload_metrics &m = a.metrics, &n = b.metrics;
    CHECK(m.partitions == n.partitions);
    CHECK(m.queries_during_upload == n.queries_during_upload);
    close(m.upload_s, n.upload_s);
    if (step_curve) close(m.latency_area_s2, n.latency_area_s2);
    if (std::isnan(n.mean_latency_during_upload_s))
        CHECK(std::isnan(m.mean_latency_during_upload_s));
    else
        close(m.mean_latency_during_upload_s, n.mean_latency_during_upload_s);
    if (std::isnan(n.first_offloaded_s))
        CHECK(std::isnan(m.first_offloaded_s));
    else
        close(m.first_offloaded_s, n.first_offloaded_s);
    if (step_curve) {
        close(m.initial_latency_s, n.initial_latency_s);
        close(m.final_latency_s, n.final_latency_s);
    }
    return bits;
}

// Equal to the last bit: tasks that share no node compute each other's numbers with the same
// operations as alone.
void check_identical_timelines(const simulation_result& a, const simulation_result& b) {
    REQUIRE(a.queries.size() == b.queries.size());
    for (std::size_t i = 0; i < a.queries.size(); ++i) {
        CHECK(a.queries[i].start_s == b.queries[i].start_s);
        CHECK(a.queries[i].end_s == b.queries[i].end_s);
        CHECK(a.queries[i].acknowledged == b.queries[i].acknowledged);
    }
    REQUIRE(a.uploads.size() == b.uploads.size());
    for (std::size_t k = 0; k < a.uploads.size(); ++k)
        CHECK(a.uploads[k].acknowledged_s == b.uploads[k].acknowledged_s);
    CHECK(a.metrics.queries_during_upload == b.metrics.queries_during_upload);
    CHECK(a.metrics.upload_s == b.metrics.upload_s);
    CHECK(a.metrics.latency_area_s2 == b.metrics.latency_area_s2);
}

// One query alone under placement `at`, list-scheduled independently of simulate_tasks (the
// nodes are free when a task's query starts, as the previous one has ended): its latency and
// its transfers out of the device, (offset, duration), in the order they start.
struct lone_query {
    double latency_s = 0;
    std::vector<uplink_interval> sends{};
};

lone_query lone_schedule(const layer_graph& g, const analytic_model& m,
                         const std::vector<node_id>& at, node_id device) {
    const auto tr = [&](double bytes, node_id from, node_id to) {
        return from == to ? 0.0 : m.transfer_time(bytes, from, to);
    };
    std::vector<double> finish(g.size(), 0.0), free_at(m.env().size(), 0.0);
    lone_query q;
    if (at[g.input()] != device)
        q.sends.push_back({0.0, tr(g.input_bytes(), device, at[g.input()])});
    for (layer_id j : g.topological_order()) {
        double ready = j == g.input() ? tr(g.input_bytes(), device, at[j]) : 0.0;
        for (layer_id p : g.predecessors(j))
            ready = std::max(ready, finish[p] + tr(g[p].output_bytes, at[p], at[j]));
        finish[j] = std::max(ready, free_at[at[j]]) + m.compute_time(g[j], at[j]);
        free_at[at[j]] = finish[j];
        if (at[j] != device) continue;
        std::vector<node_id> served;
        for (layer_id c : g.successors(j))
            if (at[c] != device && std::find(served.begin(), served.end(), at[c]) == served.end()) {
                served.push_back(at[c]);
                q.sends.push_back({finish[j], tr(g[j].output_bytes, device, at[c])});
            }
    }
    q.latency_s = finish[g.output()] + tr(g[g.output()].output_bytes, at[g.output()], device);
    return q;
}

// The one-task reference under remote_choice::forced: simulate_steps() on the latency and the
// uplink transfers of each prefix as lone_schedule() gives them (the list schedule's query
// model, which on a DAG is not the sequential one that simulate_queries prices).
simulation_result list_reference(const upload_task& task, const analytic_model& m,
                                 const simulation_options& o) {
    const upload_plan& plan = task.plan;
    std::vector<node_id> at(task.graph.size(), plan.device);
    std::vector<double> latency, upload, overhead;
    std::vector<std::size_t> remote;
    std::vector<std::vector<uplink_interval>> sends;
    std::size_t remote_count = 0;
    for (std::size_t k = 0; k <= plan.partitions.size(); ++k) {
        if (k > 0) {
            for (layer_id j : plan.partitions[k - 1].layers) {
                at[j] = plan.placement[j];
                remote_count += at[j] != plan.device;
            }
            upload.push_back(plan.partitions[k - 1].upload_s);
            overhead.push_back(plan.partitions[k - 1].overhead_s);
        }
        lone_query q = lone_schedule(task.graph, m, at, plan.device);
        latency.push_back(q.latency_s);
        remote.push_back(remote_count);
        sends.push_back(std::move(q.sends));
    }
    return simulate_steps(upload, latency, remote, o, overhead, sends);
}

// `env` with `extra` more phones, each linked to every edge and cloud node as node 0 is (the
// copies are nodes size() .. size() + extra - 1): several devices on one environment's servers.
environment with_cloned_phones(const environment& env, std::size_t extra) {
    environment_builder b;
    b.set_request_overhead_s(env.request_overhead_s());
    for (const node& n : env.nodes()) b.add_node(n);
    for (node_id a = 0; a < env.size(); ++a)
        for (node_id c = 0; c < env.size(); ++c)
            if (const auto& l = env.link_between(a, c)) b.connect_one_way(a, c, *l);
    for (std::size_t k = 0; k < extra; ++k) {
        node phone = env[0];
        phone.name += "_copy" + std::to_string(k + 1);
        const node_id p = b.add_node(phone);
        for (node_id s = 0; s < env.size(); ++s) {
            if (env[s].tier == tier::local) continue;
            b.connect_one_way(p, s, *env.link_between(0, s));
            b.connect_one_way(s, p, *env.link_between(s, 0));
        }
    }
    return b.build();
}

// Two copies of `env` (the second's nodes are size() .. 2 size() - 1) joined by links no plan
// would use (1 kbit/s, 10 s): tasks on different copies share no node.
environment twin_environment(const environment& env) {
    environment_builder b;
    b.set_request_overhead_s(env.request_overhead_s());
    const node_id n = static_cast<node_id>(env.size());
    for (int copy = 0; copy < 2; ++copy)
        for (const node& original : env.nodes()) {
            node c = original;
            if (copy) c.name += "_twin";
            b.add_node(c);
        }
    for (node_id a = 0; a < 2 * n; ++a)
        for (node_id c = 0; c < 2 * n; ++c) {
            if (a == c) continue;
            if (a / n == c / n) {
                if (const auto& l = env.link_between(a % n, c % n)) b.connect_one_way(a, c, *l);
            } else if (env[a % n].tier != tier::local || env[c % n].tier != tier::local) {
                b.connect_one_way(a, c, {.bandwidth_Bps = 125, .latency_s = 10});
            }
        }
    return b.build();
}

// LMU's plan (for the separate uplink) of the exact placement of `g` on `device`.
upload_task planned_task(const layer_graph& g, const analytic_model& model, node_id device) {
    const auto x = reference_placement(g, model, device).placement;
    return {
        g, lmu_planner{.simulation = upload_test::plain}.plan(upload_problem(g, model, x, device))};
}

// The invariants of several tasks on shared servers, under both uplinks; returns a short
// summary: queries during the upload summed over the tasks, separate / shared, how many tasks
// completed more queries together than alone under each, and how many had a lower mean latency
// than alone under either (neither is a theorem), and how many acknowledgements came later with
// the shared uplink than with the separate one.
std::string check_task_invariants(const std::vector<upload_task>& tasks, const analytic_model& m,
                                  const simulation_options& options) {
    simulation_options separate = options;
    separate.uplink = uplink_sharing::separate;
    const simulation_options shared = with_shared_uplink(options);
    const task_simulation_result a = simulate_tasks(tasks, m, separate);
    const task_simulation_result b = simulate_tasks(tasks, m, shared);
    std::size_t more_separate = 0, more_shared = 0, faster = 0, later = 0;
    for (std::size_t t = 0; t < tasks.size(); ++t) {
        CAPTURE(t);
        // The separate uplink: the uploads are the task's own simulation's, to the bit.
        const simulation_result own = simulate_queries(tasks[t].graph, m, tasks[t].plan, separate);
        REQUIRE(a.tasks[t].uploads.size() == own.uploads.size());
        for (std::size_t k = 0; k < own.uploads.size(); ++k) {
            CHECK(a.tasks[t].uploads[k].sent_s == own.uploads[k].sent_s);
            CHECK(a.tasks[t].uploads[k].acknowledged_s == own.uploads[k].acknowledged_s);
        }
        CHECK(a.tasks[t].metrics.upload_s == own.metrics.upload_s);
        CHECK(a.tasks[t].metrics.latency_area_s2 == own.metrics.latency_area_s2);
        // The shared uplink only pauses an upload: no partition is sent, loaded or acknowledged
        // earlier than with the separate uplink (a theorem, exact: every time is a sum of the
        // separate one's terms and of pauses, and rounding is monotone).
        REQUIRE(b.tasks[t].uploads.size() == own.uploads.size());
        for (std::size_t k = 0; k < own.uploads.size(); ++k) {
            CHECK(b.tasks[t].uploads[k].sent_s >= own.uploads[k].sent_s);
            CHECK(b.tasks[t].uploads[k].acknowledged_s >= own.uploads[k].acknowledged_s);
            later += b.tasks[t].uploads[k].acknowledged_s > own.uploads[k].acknowledged_s;
        }
        // Contention only delays a query's layers: each query takes at least its latency alone
        // with the same placement (a theorem of the list schedule in dispatch order), under
        // either uplink.
        std::vector<double> alone(tasks[t].plan.partitions.size() + 1);
        std::vector<node_id> at(tasks[t].graph.size(), tasks[t].plan.device);
        for (std::size_t k = 0; k < alone.size(); ++k) {
            if (k > 0)
                for (layer_id j : tasks[t].plan.partitions[k - 1].layers)
                    at[j] = tasks[t].plan.placement[j];
            alone[k] = lone_schedule(tasks[t].graph, m, at, tasks[t].plan.device).latency_s;
        }
        // The prefix a query with k acknowledgements runs: the choice by the sequential
        // latencies, as simulate_tasks makes it.
        std::vector<double> latency;
        std::vector<std::size_t> remote, chosen(alone.size());
        step_latencies(tasks[t].graph, m, tasks[t].plan, latency, remote);
        detail::upload::apply_remote_choice(options.choice, latency, chosen);
        for (const task_simulation_result* r : {&a, &b})
            for (const query_record& q : r->tasks[t].queries) {
                CHECK(q.latency_s >= alone[chosen[q.acknowledged]] * (1 - 1e-12));
                CHECK(q.remote_layers == remote[chosen[q.acknowledged]]);
            }
        more_separate +=
            a.tasks[t].metrics.queries_during_upload > a.alone[t].queries_during_upload;
        more_shared += b.tasks[t].metrics.queries_during_upload > b.alone[t].queries_during_upload;
        for (const task_simulation_result* r : {&a, &b})
            faster += r->tasks[t].metrics.mean_latency_during_upload_s <
                      r->alone[t].mean_latency_during_upload_s * (1 - 1e-12);
    }
    std::ostringstream out;
    out << a.aggregate.queries_during_upload << "/" << b.aggregate.queries_during_upload;
    if (more_separate + more_shared)
        out << " more than alone " << more_separate << "/" << more_shared;
    if (faster) out << " mean latency below alone " << faster;
    out << " later acks " << later;
    return out.str();
}

}  // namespace

TEST_CASE("shared uplink across tasks: one task is simulate_queries on chains") {
    // A chain's list schedule is the sequential model, so one task is the single-task walk with
    // the shared uplink, up to rounding (same_up_to_rounding(): offsets from a query's start
    // there, absolute times here). Counted: how many are equal to the last bit, and how many
    // uploads the queries' transfers did lengthen.
    std::mt19937 rng(17);
    const std::vector<simulation_options> variants = {
        shared_default,
        with_shared_uplink({.first_query = first_query_policy::wait, .horizon_queries = 3}),
        with_shared_uplink({.ack_latency_s = 0.05, .choice = remote_choice::forced}),
        with_shared_uplink({.horizon_queries = 2, .window = count_window::upload_end}),
    };
    std::size_t cases = 0, bits = 0, paused = 0;
    for (int servers = 1; servers <= 3; ++servers) {
        const analytic_model model = upload_test::phone_and_servers(servers, 0.01);
        for (int trial = 0; trial < 8; ++trial) {
            const layer_graph g = upload_test::random_model(rng, 5 + trial % 5, false);
            const std::vector<upload_task> tasks = {planned_task(g, model, 0)};
            for (const simulation_options& o : variants) {
                CAPTURE(servers);
                CAPTURE(trial);
                const task_simulation_result r = simulate_tasks(tasks, model, o);
                const simulation_result single = simulate_queries(g, model, tasks[0].plan, o);
                bits += same_up_to_rounding(r.tasks[0], single);
                CHECK(r.alone[0].queries_during_upload == r.tasks[0].metrics.queries_during_upload);
                simulation_options separate = o;
                separate.uplink = uplink_sharing::separate;
                paused += single.metrics.upload_s >
                          simulate_queries(g, model, tasks[0].plan, separate).metrics.upload_s;
                ++cases;
            }
        }
    }
    MESSAGE("one task, shared uplink, chains: " << cases << " cases, " << bits
                                                << " equal to the last bit, " << paused
                                                << " uploads lengthened by the queries");
    CHECK(paused > cases / 2);
}

TEST_CASE("shared uplink across tasks: one task is the list schedule's walk on chains and DAGs") {
    // On a DAG the list schedule is not the sequential model, so simulate_queries is no
    // reference: simulate_steps() on each prefix's list-scheduled latency and transfers is
    // (lone_schedule(), independent of simulate_tasks), with the forced choice so that the
    // prefix a query runs does not depend on the sequential latencies.
    std::mt19937 rng(19);
    std::size_t cases = 0;
    for (const bool dag : {false, true})
        for (int servers = 1; servers <= 3; ++servers) {
            const analytic_model model = upload_test::phone_and_servers(servers, 0.01);
            for (int trial = 0; trial < 6; ++trial) {
                const layer_graph g = upload_test::random_model(rng, 5 + trial, dag);
                const std::vector<upload_task> tasks = {planned_task(g, model, 0)};
                for (const simulation_options& o :
                     {with_shared_uplink({.ack_latency_s = 0.002, .choice = remote_choice::forced}),
                      with_shared_uplink({.first_query = first_query_policy::wait,
                      .horizon_queries = 2,
                      .choice = remote_choice::forced})}) {
                    CAPTURE(dag);
                    CAPTURE(servers);
                    CAPTURE(trial);
                    const task_simulation_result r = simulate_tasks(tasks, model, o);
                    same_up_to_rounding(r.tasks[0], list_reference(tasks[0], model, o), !dag);
                    ++cases;
                }
            }
        }
    CHECK(cases == 72);
}

TEST_CASE("shared uplink across tasks: tasks on disjoint nodes are each alone") {
    std::mt19937 rng(23);
    for (const bool dag : {false, true})
        for (int servers = 1; servers <= 3; ++servers) {
            const environment single = upload_test::phone_and_servers(servers, 0.01).env();
            const analytic_model one(single), twin(twin_environment(single));
            const node_id n = static_cast<node_id>(single.size());
            for (int trial = 0; trial < 3; ++trial) {
                std::vector<upload_task> tasks;
                for (node_id copy = 0; copy < 2; ++copy) {
                    layer_graph g = upload_test::random_model(rng, 5 + trial, dag);
                    std::vector<node_id> x = reference_placement(g, one).placement;
                    for (node_id& s : x) s += copy * n;
                    upload_plan plan = lmu_planner{.simulation = upload_test::plain}.plan(
                        upload_problem(g, twin, x, copy * n));
                    tasks.push_back({std::move(g), std::move(plan)});
                }
                const simulation_options o = with_shared_uplink({.horizon_queries = 2});
                const task_simulation_result r = simulate_tasks(tasks, twin, o);
                for (std::size_t t = 0; t < 2; ++t) {
                    CAPTURE(dag);
                    CAPTURE(servers);
                    CAPTURE(t);
                    check_identical_timelines(
                        r.tasks[t],
                        simulate_tasks(std::span<const upload_task>(&tasks[t], 1), twin, o)
                            .tasks[0]);
                    if (!dag)
                        same_up_to_rounding(
                            r.tasks[t], simulate_queries(tasks[t].graph, twin, tasks[t].plan, o));
                }
            }
        }
}

TEST_CASE("shared uplink across tasks: two phones and one server, computed by hand") {
    // X1 (4e8 FLOPs: 0.4 s on a phone, 0.2 s on the server; 200 kB: 0.2 s to upload; output
    // 10 kB: 0.01 s) then X2 (1e8 FLOPs: 0.1 s, 0.05 s; 1.05 MB: 1.05 s; output 1 kB: 0.001 s);
    // input 10 kB: 0.01 s. Both layers on the server, uploaded one by one, no acknowledgement
    // latency, one horizon query. The only transfer out of a phone is the input, once X1 runs
    // on the server: it pauses that phone's upload for 0.01 s.
    const analytic_model model = upload_test::two_phones_one_server();
    layer_graph_builder b("two");
    auto x1 = b.add_layer(
        {.name = "X1", .kind = "conv", .flops = 4e8, .param_bytes = 2e5, .output_bytes = 1e4});
    b.add_layer(
        {.name = "X2", .kind = "fc", .flops = 1e8, .param_bytes = 1.05e6, .output_bytes = 1e3},
        {x1});
    b.set_input_bytes(1e4);
    const layer_graph g = b.build();
    const std::vector<node_id> x = {2, 2};
    std::vector<upload_task> tasks;
    for (node_id device : {node_id{0}, node_id{1}})
        tasks.push_back({g, layer_by_layer_planner{}.plan(upload_problem(g, model, x, device))});
    const simulation_options o{.horizon_queries = 1, .uplink = uplink_sharing::queries_first};
    // Alone: X1 acknowledged at 0.2; X2 sent at 0.2, due at 1.25. Queries at 0 (local, 0.5),
    // then with X1 remote (0.32: input 0.01, X1 0.2, back 0.01, X2 0.1) at 0.5, 0.82, 1.14, each
    // sending its input first: X2 loaded at 1.25 + 3 x 0.01 = 1.28; the horizon query at 1.46
    // runs both remotely (0.261). 3 queries end by 1.28, 4 issued before: mean 1.46 / 4.
    //
    // Together:
    // - both first queries local, 0 to 0.5;
    // - both issue at 0.5 (X1 acknowledged), inputs at the server at 0.51: task 0's X1 0.51-0.71
    //   (a tie, task 0 first), X2 on phone0 0.72-0.82; task 1's X1 0.71-0.91, X2 0.92-1.02;
    // - task 0 at 0.82 (its upload due 1.26): X1 0.91-1.11, X2 1.12-1.22;
    // - task 1 at 1.02 (due 1.26): X1 1.11-1.31, X2 1.32-1.42;
    // - task 0 at 1.22 (due 1.27 > 1.22: X1 only): X1 1.31-1.51, X2 1.52-1.62;
    // - task 1 at 1.42: its upload ended at 1.27 (two pauses only, one fewer than alone: the
    //   server delayed its queries), so the horizon query runs both remotely: input at 1.43,
    //   X1 1.51-1.71;
    // - task 0 at 1.62: its upload ended at 1.28; horizon, input at 1.63. At 1.71 the server
    //   frees and task 0's X1 (ready at 1.63) goes before task 1's X2 (ready at 1.71): X1
    //   1.71-1.91, then task 1's X2 1.91-1.96 (back at 1.961), task 0's X2 1.96-2.01 (2.011).
    const task_simulation_result r = simulate_tasks(tasks, model, o);
    REQUIRE(r.tasks.size() == 2);
    const std::vector<std::vector<std::pair<double, double>>> expected = {
        {{0, 0.5}, {0.5, 0.82}, {0.82, 1.22}, {1.22, 1.62}, {1.62, 2.011}},
        {{0, 0.5}, {0.5, 1.02}, {1.02, 1.42}, {1.42, 1.961}}};
    const std::vector<double> acknowledged = {1.28, 1.27};
    for (std::size_t t = 0; t < 2; ++t) {
        CAPTURE(t);
        const auto& q = r.tasks[t].queries;
        REQUIRE(q.size() == expected[t].size());
        for (std::size_t i = 0; i < q.size(); ++i) {
            CAPTURE(i);
            CHECK(q[i].start_s == Approx(expected[t][i].first));
            CHECK(q[i].end_s == Approx(expected[t][i].second));
            CHECK(q[i].acknowledged == std::size_t{i == 0 ? 0U : i + 1 == q.size() ? 2U : 1U});
        }
        const auto& u = r.tasks[t].uploads;
        REQUIRE(u.size() == 2);
        CHECK(u[0].acknowledged_s == Approx(0.2));
        CHECK(u[1].sent_s == Approx(0.2));
        CHECK(u[1].acknowledged_s == Approx(acknowledged[t]));
        const upload_metrics& m = r.tasks[t].metrics;
        CHECK(m.upload_s == Approx(acknowledged[t]));
        CHECK(m.latency_area_s2 == Approx(0.5 * 0.2 + 0.32 * (acknowledged[t] - 0.2)));
        CHECK(r.alone[t].queries_during_upload == 3);
        CHECK(r.alone[t].upload_s == Approx(1.28));
        CHECK(r.alone[t].mean_latency_during_upload_s == Approx(1.46 / 4));
    }
    // Task 0: by 1.28, 3 queries end, 4 are issued (0.5 + 0.32 + 0.4 + 0.4). Task 1: by 1.27,
    // 2 end, 3 are issued (0.5 + 0.52 + 0.4).
    CHECK(r.tasks[0].metrics.queries_during_upload == 3);
    CHECK(r.tasks[0].metrics.mean_latency_during_upload_s == Approx(1.62 / 4));
    CHECK(r.tasks[1].metrics.queries_during_upload == 2);
    CHECK(r.tasks[1].metrics.mean_latency_during_upload_s == Approx(1.42 / 3));
    CHECK(r.aggregate.upload_s == Approx(1.28));
    // The separate uplink: X2 acknowledged at 1.25 for both.
    const simulation_options apart{.horizon_queries = 1};
    for (const simulation_result& t : simulate_tasks(tasks, model, apart).tasks)
        CHECK(t.uploads[1].acknowledged_s == Approx(1.25));
}

TEST_CASE("shared uplink across tasks: invariants of phones sharing servers") {
    std::mt19937 rng(29);
    for (int servers = 1; servers <= 3; ++servers) {
        const analytic_model model(
            with_cloned_phones(upload_test::phone_and_servers(servers).env(), 2));
        const node_id n = static_cast<node_id>(model.env().size() - 2);
        std::string summary;
        for (int trial = 0; trial < 6; ++trial) {
            std::vector<upload_task> tasks;
            for (node_id device : {node_id{0}, n, node_id(n + 1)})
                tasks.push_back(planned_task(
                    upload_test::random_model(rng, 5 + trial % 4, trial % 2 == 1), model, device));
            CAPTURE(servers);
            CAPTURE(trial);
            summary +=
                " " + std::to_string(trial) + ":" +
                check_task_invariants(tasks, model, {.horizon_queries = 2, .ack_latency_s = 0.002});
        }
        MESSAGE(servers << " server(s), 3 phones, queries separate/shared:" << summary);
    }
}

namespace {

// One hard environment, one shape, seeds from..to: every check of this file and the separate
// uplink's invariants of tests/upload/task_simulation.cpp, on a random model of 5 to 9
// parameter layers placed exactly (as tests/upload/hard_environments.cpp draws them). Returns
// the per-seed summary " seed:..." of every seed.
std::string check_hard_environment(const optim_test::named_environment& named, std::size_t index,
                                   bool dag, int from, int to) {
    const analytic_model one(named.env), twin(twin_environment(named.env)),
        phones(with_cloned_phones(named.env, 2));
    const node_id n = static_cast<node_id>(named.env.size());
    const simulation_options options{.horizon_queries = 2, .ack_latency_s = 0.002};
    std::string summary;
    for (int seed = from; seed <= to; ++seed) {
        CAPTURE(named.name);
        CAPTURE(dag);
        CAPTURE(seed);
        std::mt19937 rng(static_cast<unsigned>(9000 + 100 * seed + 10 * index + dag));
        std::vector<layer_graph> models;
        for (int k = 0; k < 3; ++k)
            models.push_back(upload_test::random_model(rng, 5 + (seed + k - 1) % 5, dag));
        std::vector<std::vector<node_id>> x;
        for (const layer_graph& g : models) x.push_back(reference_placement(g, one).placement);
        std::ostringstream line;
        line << " " << seed << ":";
        // One task, both uplinks: on a chain simulate_queries, on any model the reference walk
        // of the list schedule (forced choice). The queries during the upload, separate/shared.
        const std::vector<upload_task> single = {
            {models[0], lmu_planner{.simulation = upload_test::plain}.plan(
                            upload_problem(models[0], one, x[0]))}};
        for (const uplink_sharing u : {uplink_sharing::separate, uplink_sharing::queries_first}) {
            simulation_options o = options;
            o.uplink = u;
            const task_simulation_result r = simulate_tasks(single, one, o);
            // Alone, the list schedule is never slower than the sequential sum it is chosen by.
            for (const query_record& q : r.tasks[0].queries)
                CHECK(q.latency_s <= r.tasks[0].step_latency_s[q.acknowledged] * (1 + 1e-12));
            if (!dag)
                same_up_to_rounding(r.tasks[0],
                                    simulate_queries(models[0], one, single[0].plan, o));
            o.choice = remote_choice::forced;
            same_up_to_rounding(simulate_tasks(single, one, o).tasks[0],
                                list_reference(single[0], one, o), !dag);
            line << (u == uplink_sharing::separate ? "" : "/")
                 << r.tasks[0].metrics.queries_during_upload;
        }
        // Two tasks on disjoint copies of the environment: each is alone, to the last bit.
        std::vector<upload_task> apart;
        for (node_id copy = 0; copy < 2; ++copy) {
            std::vector<node_id> y = x[copy];
            for (node_id& s : y) s += copy * n;
            apart.push_back({models[copy], lmu_planner{.simulation = upload_test::plain}.plan(
                                               upload_problem(models[copy], twin, y, copy * n))});
        }
        for (const uplink_sharing u : {uplink_sharing::separate, uplink_sharing::queries_first}) {
            simulation_options o = options;
            o.uplink = u;
            const task_simulation_result r = simulate_tasks(apart, twin, o);
            for (std::size_t t = 0; t < 2; ++t)
                check_identical_timelines(
                    r.tasks[t],
                    simulate_tasks(std::span<const upload_task>(&apart[t], 1), twin, o).tasks[0]);
        }
        // Three phones on the environment's servers, each with its own model.
        std::vector<upload_task> together;
        for (std::size_t k = 0; k < 3; ++k) {
            const node_id device = k == 0 ? node_id{0} : static_cast<node_id>(n + k - 1);
            std::vector<node_id> y = x[k];
            for (node_id& s : y)
                if (s == 0) s = device;
            together.push_back({models[k], lmu_planner{.simulation = upload_test::plain}.plan(
                                               upload_problem(models[k], phones, y, device))});
        }
        line << " 3 phones " << check_task_invariants(together, phones, options);
        summary += line.str();
    }
    return summary;
}

void check_hard_environments_together(int from, int to) {
    const auto all = optim_test::hard_environments();
    for (std::size_t i = 0; i < all.size(); ++i)
        for (const bool dag : {false, true}) {
            const std::string name = all[i].name + (dag ? " DAGs" : " chains");
            const std::string seeds = check_hard_environment(all[i], i, dag, from, to);
            MESSAGE(name << ", seed:queries of one task separate/shared, 3 phones' sums "
                            "separate/shared, acknowledgements later when shared:"
                         << seeds);
        }
}

}  // namespace

TEST_CASE("several tasks on the hard environments, both uplinks") {
    check_hard_environments_together(1, 8);
}
