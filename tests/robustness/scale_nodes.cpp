// Robustness at scale (issue 15, item 13): environments of 10^4 devices and up to the node_id
// limit stored in O(links), not O(nodes^2); built, validated, written to JSON and read back;
// evaluators priced on them against independent computations; thousands of tasks, one device
// each, scheduled together and checked against a plain re-implementation of the documented
// list schedule. Nothing is timed: the checks count stored entries and compare values.

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/detail/tables.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/cost/multi_task_evaluator.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/io/json.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace eosdnn;
using test::error_message;

namespace {

constexpr double device_flops = 100, edge_flops = 1000, cloud_flops = 10'000;

// Device d's link to the edge: 1000 + d B/s, 10 ms; to the cloud: 500 + d B/s, 50 ms (distinct
// per device, so that a lookup of the wrong device's link shows). Edge <-> cloud: 10^4 B/s, 1 ms.
double edge_bandwidth(std::size_t d) { return 1000.0 + static_cast<double>(d); }
double cloud_bandwidth(std::size_t d) { return 500.0 + static_cast<double>(d); }

// `devices` local devices d0.. (nodes 0 .. devices - 1), then "edge" and "cloud". Leaves out
// the link from device `missing` to the cloud if given.
environment_builder devices_and_two_servers(std::size_t devices,
                                            std::optional<std::size_t> missing = {}) {
    environment_builder b;
    for (std::size_t d = 0; d < devices; ++d)
        b.add_node(
            {.name = "d" + std::to_string(d), .tier = tier::local, .flops_per_s = device_flops});
    const node_id edge =
        b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = edge_flops});
    const node_id cloud =
        b.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = cloud_flops});
    for (std::size_t d = 0; d < devices; ++d) {
        const auto id = static_cast<node_id>(d);
        b.connect(id, edge, {.bandwidth_Bps = edge_bandwidth(d), .latency_s = 0.01});
        const network_link up{.bandwidth_Bps = cloud_bandwidth(d), .latency_s = 0.05};
        if (missing == d)
            b.connect_one_way(cloud, id, up);
        else
            b.connect(id, cloud, up);
    }
    b.connect(edge, cloud, {.bandwidth_Bps = 1e4, .latency_s = 0.001});
    return b;
}

// input 100 B -> l0 (100 FLOP, 50 B out) -> l1 (1000 FLOP, 20 B out) -> l2 (500 FLOP, 10 B out).
layer_graph small_chain(const std::string& name = "small") {
    layer_graph_builder b(name);
    auto l0 = b.add_layer({.name = "l0", .flops = 100, .output_bytes = 50});
    auto l1 = b.add_layer({.name = "l1", .flops = 1000, .output_bytes = 20}, {l0});
    b.add_layer({.name = "l2", .flops = 500, .output_bytes = 10}, {l1});
    b.set_input_bytes(100);
    return b.build();
}

// How many links of `a` differ from the same link of `b` (or are missing there), visited
// through neighbours() in O(links); counted, not checked one by one, to keep the test quick.
std::size_t differing_links(const environment& a, const environment& b) {
    std::size_t differ = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto from = static_cast<node_id>(i);
        const std::vector<node_id> linked = a.neighbours(from);
        if (linked != b.neighbours(from)) ++differ;
        for (const node_id to : linked) {
            const auto& la = a.link_between(from, to);
            const auto& lb = b.link_between(from, to);
            if (la.has_value() != lb.has_value() ||
                (la && (la->bandwidth_Bps != lb->bandwidth_Bps || la->latency_s != lb->latency_s)))
                ++differ;
        }
    }
    return differ;
}

// The list schedule as docs/model.md states it, written plainly: at each step, of the tasks
// with a layer left, the one whose next layer (in its topological order) can start earliest
// goes, ties to the lower task index; a layer starts when its inputs have arrived and its node
// is free. Returns each task's completion (its output back on its device).
std::vector<double> reference_schedule(const std::vector<dnn_task>& tasks,
                                       const analytic_model& model, const std::vector<node_id>& x) {
    const environment& env = model.env();
    std::vector<std::size_t> first, next(tasks.size(), 0);
    std::size_t total = 0;
    for (const dnn_task& t : tasks) first.push_back(std::exchange(total, total + t.graph.size()));
    std::vector<double> finish(total, 0.0), free(env.size(), 0.0);
    const auto start_of = [&](std::size_t t) {
        const layer_graph& g = tasks[t].graph;
        const layer_id j = g.topological_order()[next[t]];
        const node_id here = x[first[t] + j];
        double at = j == g.input() ? env.transfer_time(g.input_bytes(), tasks[t].device, here) : 0;
        for (layer_id p : g.predecessors(j))
            at = std::max(at, finish[first[t] + p] +
                                  env.transfer_time(g[p].output_bytes, x[first[t] + p], here));
        return std::max(at, free[here]);
    };
    for (std::size_t step = 0; step < total; ++step) {
        std::size_t best = tasks.size();
        double best_start = 0;
        for (std::size_t t = 0; t < tasks.size(); ++t) {
            if (next[t] == tasks[t].graph.size()) continue;
            const double start = start_of(t);
            if (best == tasks.size() || start < best_start) best = t, best_start = start;
        }
        const layer_graph& g = tasks[best].graph;
        const layer_id j = g.topological_order()[next[best]++];
        const std::size_t gene = first[best] + j;
        finish[gene] = best_start + g[j].flops / env[x[gene]].flops_per_s;
        free[x[gene]] = finish[gene];
    }
    std::vector<double> completion;
    for (std::size_t t = 0; t < tasks.size(); ++t) {
        const layer_graph& g = tasks[t].graph;
        const std::size_t out = first[t] + g.output();
        completion.push_back(
            finish[out] + env.transfer_time(g[g.output()].output_bytes, x[out], tasks[t].device));
    }
    return completion;
}

}  // namespace

TEST_CASE("scale nodes: 10^4 devices and two servers stored in O(links)") {
    constexpr std::size_t devices = 10'000, servers = 2;
    const environment env = devices_and_two_servers(devices).build();
    REQUIRE(env.size() == devices + servers);
    // Device -> server and server -> device for every pair, and the server block; the dense
    // layout stored (10^4 + 2)^2, about 10^8.
    CHECK(detail::stored_link_entries(env) == 2 * devices * servers + servers * servers);
    CHECK(env.link_between(7777, devices)->bandwidth_Bps == edge_bandwidth(7777));
    CHECK(env.link_between(devices + 1, 7777)->bandwidth_Bps == cloud_bandwidth(7777));
    CHECK(env.link_between(devices, devices + 1)->latency_s == 0.001);
    CHECK_FALSE(env.link_between(7777, 7778));  // two devices: no link
    CHECK_FALSE(env.link_between(7777, 7777));
    CHECK(env.transfer_time(10, 7777, 7778) == std::numeric_limits<double>::infinity());
    CHECK(env.find("d9999") == node_id{9999});
    CHECK(env.neighbours(5) == std::vector<node_id>{devices, devices + 1});
    CHECK(env.neighbours(devices).size() == devices + servers - 1);

    SUBCASE("a missing link is named in O(links), the first as a scan of every pair finds it") {
        CHECK(error_message(error_kind::validation, [] {
                  devices_and_two_servers(devices, 5000).build();
              }) == "environment: no link from 'd5000' to 'cloud'");
    }
    SUBCASE("written to JSON and read back equal") {
        const nlohmann::json j = to_json(env);
        CHECK(j["links"].size() == devices * servers + 1);  // symmetric pairs written once
        const environment back = environment_from_json(j);
        REQUIRE(back.size() == env.size());
        std::size_t differing_nodes = 0;
        for (std::size_t i = 0; i < env.size(); ++i) {
            const auto id = static_cast<node_id>(i);
            if (back[id].name != env[id].name || back[id].tier != env[id].tier ||
                back[id].flops_per_s != env[id].flops_per_s)
                ++differing_nodes;
        }
        CHECK(differing_nodes == 0);
        CHECK(differing_links(env, back) == 0);
        CHECK(detail::stored_link_entries(back) == detail::stored_link_entries(env));
        CHECK(to_json(back) == j);
    }
    SUBCASE("a delay_evaluator on device 7777 against the formula") {
        const analytic_model model(env);
        delay_evaluator ev(small_chain(), model, {}, {}, 7777);
        const auto edge = static_cast<node_id>(devices), cloud = static_cast<node_id>(devices + 1);
        CHECK(ev.choices(0).size() == 3);
        const double de = edge_bandwidth(7777), dc = cloud_bandwidth(7777);
        // l0 on the device, l1 on the edge, l2 on the cloud, result back to the device.
        const double expected = 100 / device_flops + (0.01 + 50 / de) + 1000 / edge_flops +
                                (0.001 + 20 / 1e4) + 500 / cloud_flops + (0.05 + 10 / dc);
        CHECK(ev.evaluate(std::vector<node_id>{7777, edge, cloud}).delay_s ==
              doctest::Approx(expected).epsilon(1e-12));
        // Everything on the cloud: the input goes up, the result comes back.
        const double remote = (0.05 + 100 / dc) + 1600 / cloud_flops + (0.05 + 10 / dc);
        CHECK(ev.evaluate(std::vector<node_id>{cloud, cloud, cloud}).delay_s ==
              doctest::Approx(remote).epsilon(1e-12));
        CHECK(ev.transfer_time(10, 7777, 7778) == std::numeric_limits<double>::infinity());
        CHECK(ev.transfer_time(10, edge, 7777) == doctest::Approx(0.01 + 10 / de));
        CHECK(
            error_message(error_kind::validation, [&] {
                ev.evaluate(std::vector<node_id>{7778, edge, cloud});
            }).find("a local node other than the device node 7777 ('d7777')") != std::string::npos);
    }
}

TEST_CASE("scale nodes: devices linked to each other are listed from their own links") {
    // 10^4 devices in a ring of device-to-device links, and one link one way: neighbours() of
    // a device lists its peers and the servers in order, from an index of its links (it
    // scanned every device, O(size()^2) over the environment, once any such link existed).
    constexpr std::size_t devices = 10'000;
    environment_builder b = devices_and_two_servers(devices);
    const network_link near{.bandwidth_Bps = 1e6, .latency_s = 0.002};
    for (std::size_t d = 0; d + 1 < devices; ++d)
        b.connect(static_cast<node_id>(d), static_cast<node_id>(d + 1), near);
    b.connect_one_way(7, 9, near);
    const environment env = b.build();
    const auto edge = static_cast<node_id>(devices), cloud = static_cast<node_id>(devices + 1);
    CHECK(env.neighbours(5) == std::vector<node_id>{4, 6, edge, cloud});
    CHECK(env.neighbours(0) == std::vector<node_id>{1, edge, cloud});
    CHECK(env.neighbours(9) == std::vector<node_id>{7, 8, 10, edge, cloud});
    CHECK(env.neighbours(7) == std::vector<node_id>{6, 8, 9, edge, cloud});
    CHECK(env.neighbours(edge).size() == devices + 1);
    CHECK(env.link_between(7, 9));
    CHECK_FALSE(env.link_between(9, 7));
    // Every listed pair is a link one way or the other, and every link is listed.
    std::size_t listed = 0, unlinked = 0;
    for (std::size_t d = 0; d < devices; ++d)
        for (const node_id to : env.neighbours(static_cast<node_id>(d))) {
            ++listed;
            if (!env.link_between(static_cast<node_id>(d), to) &&
                !env.link_between(to, static_cast<node_id>(d)))
                ++unlinked;
        }
    CHECK(unlinked == 0);
    CHECK(listed == devices * 2 + 2 * (devices - 1) + 2);
    // The JSON writer visits links through neighbours(): the round trip keeps every one.
    const environment back = environment_from_json(to_json(env));
    CHECK(differing_links(env, back) == 0);
}

TEST_CASE("scale nodes: the link tables of the evaluators stay linear in links") {
    const environment env = devices_and_two_servers(10'000).build();
    const analytic_model model(env);
    const detail::link_table links(model, "test");
    // A row over every node for each server, over the servers and itself for each device.
    CHECK(links.entries() == 2 * env.size() + 10'000 * 3);
    const detail::node_names names(env);
    CHECK(detail::layer_node_table(5, names).entries() == 5 * 3);
    // A few devices: the dense layout, nodes x nodes, is used (it is within twice the compact).
    const environment small = devices_and_two_servers(2).build();
    CHECK(detail::link_table(analytic_model(small), "test").entries() == 16);
}

TEST_CASE("scale nodes: an environment at the node_id limit is built and read back") {
    constexpr std::size_t devices = std::numeric_limits<node_id>::max() - 2;
    const environment env = devices_and_two_servers(devices).build();
    REQUIRE(env.size() == std::numeric_limits<node_id>::max());
    CHECK(detail::stored_link_entries(env) == 4 * devices + 4);
    const environment back = environment_from_json(to_json(env));
    CHECK(differing_links(env, back) == 0);
}

TEST_CASE("scale nodes: 1500 tasks on their own devices share two servers") {
    constexpr std::size_t devices = 1500;
    const environment env = devices_and_two_servers(devices).build();
    const analytic_model model(env);
    std::vector<dnn_task> tasks;
    for (std::size_t t = 0; t < devices; ++t)
        tasks.push_back(
            {.graph = small_chain("task" + std::to_string(t)), .device = static_cast<node_id>(t)});
    // Task 1 also on device 0, to contend for it with task 0.
    tasks[1].device = 0;
    multi_task_evaluator ev(tasks, model, {.aggregate = task_aggregate::sum});
    REQUIRE(ev.dimension() == 3 * devices);
    CHECK(ev.choices(5).size() == 3);  // task 1's genes: device 0, edge, cloud

    std::mt19937 rng(15);
    for (int round = 0; round < 2; ++round) {
        std::vector<node_id> x(ev.dimension());
        for (std::size_t t = 0; t < tasks.size(); ++t)
            for (std::size_t j = 0; j < 3; ++j) {
                const auto options = ev.choices(3 * t);
                x[3 * t + j] = options[rng() % options.size()];
            }
        const std::vector<double> expected = reference_schedule(tasks, model, x);
        const std::vector<double> got = ev.completion_times(x);
        CHECK(got == expected);  // the same schedule to the last bit
        double sum = 0;
        for (double c : expected) sum += c;
        CHECK(ev.evaluate(x).delay_s == doctest::Approx(sum).epsilon(1e-12));
    }
}
