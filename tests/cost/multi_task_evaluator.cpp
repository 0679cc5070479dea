// Tests of multi_task_evaluator: one task equals delay_evaluator's list schedule; two tasks
// contending for one edge server, hand-computed under every aggregate; shared memory, deadlines,
// upload and energy; every rejected input.

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/multi_task_evaluator.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/optim/gene_space.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace eosdnn;

namespace {

using placement = std::vector<node_id>;

// Node 0 "phone_a" and node 1 "phone_b": 100 FLOP/s, power 2/1/0.5 W. Node 2 "edge": 1000
// FLOP/s, shared by both. Each phone reaches the edge at 100 B/s with no latency.
environment two_phones_one_edge(std::optional<double> edge_memory = {}) {
    environment_builder b;
    const power_profile power{.compute_w = 2, .transmit_w = 1, .idle_w = 0.5};
    b.add_node({.name = "phone_a", .tier = tier::local, .flops_per_s = 100, .power = power});
    b.add_node({.name = "phone_b", .tier = tier::local, .flops_per_s = 100, .power = power});
    b.add_node(
        {.name = "edge", .tier = tier::edge, .flops_per_s = 1000, .memory_bytes = edge_memory});
    b.connect(0, 2, {.bandwidth_Bps = 100});
    b.connect(1, 2, {.bandwidth_Bps = 100});
    return b.build();
}

// Two layers: first (first_flops FLOP, 10 B out) -> second (second_flops FLOP, 60 B of
// parameters, 10 B out); input 100 B.
layer_graph two_layers(const std::string& prefix, double first_flops, double second_flops) {
    layer_graph_builder b(prefix);
    auto l0 = b.add_layer({.name = prefix + "0", .flops = first_flops, .output_bytes = 10});
    b.add_layer(
        {.name = prefix + "1", .flops = second_flops, .param_bytes = 60, .output_bytes = 10}, {l0});
    b.set_input_bytes(100);
    return b.build();
}

// Same three nodes as the delay_evaluator tests: phone, edge, cloud.
environment shared_three_nodes(std::optional<double> edge_memory = {}) {
    environment_builder b;
    b.add_node({.name = "phone",
                .tier = tier::local,
                .flops_per_s = 100,
                .power = power_profile{.compute_w = 2, .transmit_w = 1, .idle_w = 0.5}});
    b.add_node(
        {.name = "edge", .tier = tier::edge, .flops_per_s = 1000, .memory_bytes = edge_memory});
    b.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 10000});
    b.connect(0, 1, {.bandwidth_Bps = 100, .latency_s = 0.5});
    b.connect(0, 2, {.bandwidth_Bps = 10, .latency_s = 1});
    b.connect(1, 2, {.bandwidth_Bps = 1000, .latency_s = 0.1});
    return b.build();
}

// A random DAG: every layer after the first consumes one or two earlier layers; a final layer
// consumes every layer left without a consumer, so there is one input and one output.
layer_graph random_dag(std::mt19937& rng, std::size_t n) {
    std::uniform_real_distribution<double> flops(1, 2000), bytes(0, 500), params(0, 300);
    layer_graph_builder b("random_dag");
    std::vector<bool> consumed(n, false);
    for (std::size_t j = 0; j < n; ++j) {
        b.add_layer({.name = "l" + std::to_string(j),
                     .flops = flops(rng),
                     .param_bytes = params(rng),
                     .output_bytes = bytes(rng)});
        if (j == 0) continue;
        std::uniform_int_distribution<std::size_t> earlier(0, j - 1);
        const std::size_t a = earlier(rng), c = earlier(rng);
        b.add_edge(a, j);
        consumed[a] = true;
        if (c != a) {
            b.add_edge(c, j);
            consumed[c] = true;
        }
    }
    const auto sink =
        b.add_layer({.name = "sink", .flops = flops(rng), .output_bytes = bytes(rng)});
    for (std::size_t j = 0; j < n; ++j)
        if (!consumed[j]) b.add_edge(j, sink);
    b.set_input_bytes(bytes(rng));
    return b.build();
}

using test::check_validation_error;

// Task 0 owned by phone_a, task 1 by phone_b; both run their first layer at home and their
// second on the edge.
std::vector<dnn_task> contending_tasks(double b_first_flops) {
    return {dnn_task{.graph = two_layers("a", 100, 1000), .device = 0},
            dnn_task{.graph = two_layers("b", b_first_flops, 2000), .device = 1}};
}

}  // namespace

static_assert(placement_problem<multi_task_evaluator<analytic_model>>);
static_assert(placement_problem<multi_task_evaluator<profiled_model>>);

TEST_CASE("multi_task_evaluator: genes, offsets and choices") {
    analytic_model model(two_phones_one_edge());
    multi_task_evaluator ev(contending_tasks(50), model);
    CHECK(ev.task_count() == 2);
    CHECK(ev.dimension() == 4);
    CHECK(ev.offset(0) == 0);
    CHECK(ev.offset(1) == 2);
    CHECK(ev.device(1) == 1);
    for (std::size_t gene : {0u, 1u})
        CHECK(std::vector<node_id>(ev.choices(gene).begin(), ev.choices(gene).end()) ==
              std::vector<node_id>{0, 2});
    for (std::size_t gene : {2u, 3u})
        CHECK(std::vector<node_id>(ev.choices(gene).begin(), ev.choices(gene).end()) ==
              std::vector<node_id>{1, 2});
    CHECK(ev.compute_time(3, 2) == doctest::Approx(2));
    CHECK(ev.transfer_time(10, 1, 2) == doctest::Approx(0.1));
}

TEST_CASE("multi_task_evaluator: two tasks contending for one edge server") {
    analytic_model model(two_phones_one_edge());
    const placement x{0, 2, 1, 2};

    SUBCASE("the task that can start earlier goes first") {
        // a0 0-1 on phone_a, its 10 B reach the edge at 1.1. b0 0-0.5 on phone_b, at the edge at
        // 0.6. b1 can start first (0.6): 0.6-2.6 on the edge; a1 waits for the edge: 2.6-3.6.
        // Results return in 0.1 s: task 0 at 3.7, task 1 at 2.7.
        multi_task_evaluator mean(contending_tasks(50), model);
        const evaluation e = mean.evaluate(x);
        const std::vector<double> done = mean.completion_times(x);
        REQUIRE(done.size() == 2);
        CHECK(done[0] == doctest::Approx(3.7));
        CHECK(done[1] == doctest::Approx(2.7));
        CHECK(e.delay_s == doctest::Approx(3.2));
        CHECK(e.objective == doctest::Approx(3.2));
        CHECK(e.feasible());

        multi_task_evaluator makespan(contending_tasks(50), model,
                                      {.aggregate = task_aggregate::makespan});
        CHECK(makespan.evaluate(x).delay_s == doctest::Approx(3.7));
        multi_task_evaluator sum(contending_tasks(50), model, {.aggregate = task_aggregate::sum});
        CHECK(sum.evaluate(x).delay_s == doctest::Approx(6.4));
    }
    SUBCASE("ties go to the lower task index") {
        // a0 and b0 both 0-1; both second layers ready at the edge at 1.1: a1 (task 0) goes
        // first, 1.1-2.1, back at 2.2; b1 waits: 2.1-4.1, back at 4.2.
        multi_task_evaluator ev(contending_tasks(100), model);
        const evaluation e = ev.evaluate(x);
        CHECK(ev.completion_times(x)[0] == doctest::Approx(2.2));
        CHECK(ev.completion_times(x)[1] == doctest::Approx(4.2));
        CHECK(e.delay_s == doctest::Approx(3.2));
    }
    SUBCASE("no contention when the tasks use different nodes") {
        // b1 stays on phone_b: 0.5 + 20 s; a runs as alone: 1 + 0.1 + 1 + 0.1.
        multi_task_evaluator ev(contending_tasks(50), model, {.aggregate = task_aggregate::sum});
        const placement apart{0, 2, 1, 1};
        const evaluation e = ev.evaluate(apart);
        CHECK(ev.completion_times(apart)[0] == doctest::Approx(2.2));
        CHECK(ev.completion_times(apart)[1] == doctest::Approx(20.5));
        CHECK(e.delay_s == doctest::Approx(22.7));
    }
    SUBCASE("two apps on one device share it") {
        // Both tasks owned by phone_a, everything local. a0 and b0 could both start at 0: tie,
        // a0 runs 0-1. Then a1 and b0 could both start at 1 (the phone is busy until then): tie
        // again, a1 runs 1-11. b0 runs 11-11.5 and b1 11.5-31.5.
        std::vector<dnn_task> tasks{dnn_task{.graph = two_layers("a", 100, 1000), .device = 0},
                                    dnn_task{.graph = two_layers("b", 50, 2000), .device = 0}};
        multi_task_evaluator ev(tasks, model, {.aggregate = task_aggregate::makespan});
        const placement local{0, 0, 0, 0};
        const evaluation e = ev.evaluate(local);
        CHECK(ev.completion_times(local)[0] == doctest::Approx(11));
        CHECK(ev.completion_times(local)[1] == doctest::Approx(31.5));
        CHECK(e.delay_s == doctest::Approx(31.5));
    }
}

TEST_CASE("multi_task_evaluator: shared memory, pinned layers and deadlines") {
    SUBCASE("capacities are shared by all tasks") {
        // a1 and b1 each bring 60 B to an edge that holds 100 B.
        analytic_model model(two_phones_one_edge(100));
        multi_task_evaluator ev(contending_tasks(50), model);
        CHECK(ev.evaluate(placement{0, 2, 1, 2}).violation == doctest::Approx(0.2));
        CHECK(ev.evaluate(placement{0, 2, 1, 1}).feasible());
        multi_task_evaluator off(contending_tasks(50), model, {.memory = false});
        CHECK(off.evaluate(placement{0, 2, 1, 2}).feasible());
    }
    SUBCASE("deadlines and pins per task") {
        analytic_model model(two_phones_one_edge());
        std::vector<dnn_task> tasks = contending_tasks(50);
        tasks[0].deadline_s = 3;                     // completes at 3.7: (3.7 - 3) / 3
        tasks[1].deadline_s = 3;                     // completes at 2.7: met
        tasks[1].pinned = {node_id{1}, node_id{1}};  // b1 sits on the edge: 1
        multi_task_evaluator ev(tasks, model);
        CHECK(ev.evaluate(placement{0, 2, 1, 2}).violation == doctest::Approx(0.7 / 3 + 1));
        // The pins are named to the optimisers too (pinned_placement_problem): gene_space
        // reduces task 1's genes, global genes 2 and 3, to node 1, so no optimiser moves them.
        static_assert(pinned_placement_problem<multi_task_evaluator<analytic_model>>);
        REQUIRE(ev.pinned().size() == 4);
        CHECK_FALSE(ev.pinned()[0].has_value());
        CHECK_FALSE(ev.pinned()[1].has_value());
        CHECK(*ev.pinned()[2] == 1);
        CHECK(*ev.pinned()[3] == 1);
        const gene_space space(ev);
        CHECK(space.free_genes().size() == 2);
        CHECK(space.choices(3).size() == 1);
        CHECK(space.choices(3)[0] == 1);
    }
    SUBCASE("without pins, pinned() is empty") {
        analytic_model model(two_phones_one_edge());
        multi_task_evaluator ev(contending_tasks(50), model);
        CHECK(ev.pinned().empty());
    }
}

TEST_CASE("multi_task_evaluator: upload and energy are aggregated like the delay") {
    analytic_model model(two_phones_one_edge());
    const placement x{0, 2, 1, 2};
    // Uploads: a1 and b1, 60 B each at 100 B/s.
    multi_task_evaluator mean(contending_tasks(50), model,
                              {.include_upload = true, .energy_weight = 1});
    const evaluation e = mean.evaluate(x);
    CHECK(e.upload_s == doctest::Approx(0.6));
    // Task 0 (completes 3.7): computes 1 s, transmits 0.1 + 0.1 s, idles 2.5 s: 2 + 0.2 + 1.25.
    // Task 1 (completes 2.7): computes 0.5 s, transmits 0.2 s, idles 2 s: 1 + 0.2 + 1.
    CHECK(e.energy_j == doctest::Approx((3.45 + 2.2) / 2));
    CHECK(e.objective == doctest::Approx(3.2 + 0.6 + (3.45 + 2.2) / 2));

    multi_task_evaluator sum(contending_tasks(50), model,
                             {.aggregate = task_aggregate::sum, .include_upload = true});
    const evaluation s = sum.evaluate(x);
    CHECK(s.upload_s == doctest::Approx(1.2));
    CHECK(s.energy_j == doctest::Approx(3.45 + 2.2));  // reported although not charged
    CHECK(s.objective == doctest::Approx(6.4 + 1.2));
}

TEST_CASE("multi_task_evaluator: one task equals delay_evaluator's list schedule") {
    std::mt19937 rng(7);
    for (int trial = 0; trial < 100; ++trial) {
        CAPTURE(trial);
        const layer_graph g = random_dag(rng, 1 + static_cast<std::size_t>(trial % 15));
        analytic_model model(
            shared_three_nodes(trial % 2 ? std::optional<double>(400) : std::nullopt));
        const std::optional<double> deadline = trial % 3 ? std::optional<double>(5) : std::nullopt;
        std::vector<std::optional<node_id>> pinned;
        if (trial % 4 == 0) {
            pinned.assign(g.size(), std::nullopt);
            pinned[g.input()] = node_id{0};
        }
        delay_evaluator single(g, model,
                               {.schedule = dag_schedule::list_scheduled,
                                .include_upload = true,
                                .latency_weight = 0.5,
                                .energy_weight = 0.25},
                               {.pinned = pinned, .deadline_s = deadline});
        multi_task_evaluator multi(
            std::vector<dnn_task>{dnn_task{.graph = g, .deadline_s = deadline, .pinned = pinned}},
            model, {.include_upload = true, .latency_weight = 0.5, .energy_weight = 0.25});
        REQUIRE(multi.dimension() == single.dimension());
        std::uniform_int_distribution<node_id> node(0, 2);
        for (int draw = 0; draw < 5; ++draw) {
            placement x(g.size());
            for (auto& gene : x) gene = node(rng);
            const evaluation a = single.evaluate(x), b = multi.evaluate(x);
            CHECK(b.delay_s == doctest::Approx(a.delay_s));
            CHECK(multi.completion_times(x)[0] == doctest::Approx(a.delay_s));
            CHECK(b.upload_s == doctest::Approx(a.upload_s));
            CHECK(b.energy_j == doctest::Approx(a.energy_j));
            CHECK(b.objective == doctest::Approx(a.objective));
            CHECK(b.violation == doctest::Approx(a.violation));
        }
    }
}

TEST_CASE("multi_task_evaluator: copies evaluate independently and alike") {
    analytic_model model(two_phones_one_edge());
    multi_task_evaluator a(contending_tasks(50), model);
    multi_task_evaluator b = a;
    const placement shared{0, 2, 1, 2}, apart{0, 0, 1, 1};
    const std::vector<double> from_a = a.completion_times(shared);
    const std::vector<double> from_b = b.completion_times(apart);
    CHECK(from_a[0] == doctest::Approx(3.7));
    CHECK(from_b[0] == doctest::Approx(11));
    // Interleaved: neither copy's scratch leaks into the other's answer.
    CHECK(a.evaluate(shared).delay_s == doctest::Approx((from_a[0] + from_a[1]) / 2));
    CHECK(b.evaluate(apart).delay_s == doctest::Approx((from_b[0] + from_b[1]) / 2));
    CHECK(a.completion_times(shared) == from_a);
}

TEST_CASE("multi_task_evaluator: bad input throws naming the task, layer and node") {
    analytic_model model(two_phones_one_edge());
    multi_task_evaluator ev(contending_tasks(50), model);
    check_validation_error(
        [&] {
            ev.evaluate(placement{0, 2, 1});
        },
        {"multi_task_evaluator", "3 genes", "expected 4"});
    check_validation_error(
        [&] {
            ev.evaluate(placement{0, 2, 0, 2});
        },
        {"gene 2", "task 1", "layer 'b0'", "node 0 ('phone_a')", "device node 1 ('phone_b')"});
    check_validation_error(
        [&] {
            ev.evaluate(placement{0, 9, 1, 2});
        },
        {"gene 1", "task 0", "layer 'a1'", "node 9", "out of range"});
    check_validation_error([&] { (void)ev.choices(4); }, {"gene 4", "out of range"});

    check_validation_error([&] { multi_task_evaluator(std::vector<dnn_task>{}, model); },
                           {"no tasks"});
    {
        auto tasks = contending_tasks(50);
        tasks[1].device = 2;
        check_validation_error([&] { multi_task_evaluator(tasks, model); },
                               {"task 1: device", "node 2 ('edge')", "local"});
    }
    {
        auto tasks = contending_tasks(50);
        tasks[1].device = 3;
        check_validation_error([&] { multi_task_evaluator(tasks, model); },
                               {"task 1: device", "node 3", "out of range"});
    }
    {
        auto tasks = contending_tasks(50);
        tasks[1].pinned = {node_id{1}};
        check_validation_error([&] { multi_task_evaluator(tasks, model); },
                               {"task 1: pinned", "1 entries", "2 layers"});
    }
    {
        auto tasks = contending_tasks(50);
        tasks[0].pinned = {std::nullopt, node_id{1}};
        check_validation_error([&] { multi_task_evaluator(tasks, model); },
                               {"task 0: pinned[1]", "layer 'a1'", "node 1 ('phone_b')"});
    }
    {
        auto tasks = contending_tasks(50);
        tasks[0].deadline_s = -2;
        check_validation_error([&] { multi_task_evaluator(tasks, model); },
                               {"task 0: deadline_s", "-2"});
    }
    check_validation_error(
        [&] { multi_task_evaluator(contending_tasks(50), model, {.latency_weight = -0.5}); },
        {"multi_task_options.latency_weight", "-0.5"});
    check_validation_error(
        [&] {
            multi_task_evaluator(contending_tasks(50), model,
                                 {.aggregate = static_cast<task_aggregate>(9)});
        },
        {"multi_task_options.aggregate", "9"});

    environment_builder b;
    b.add_node({.name = "phone_a",
                .tier = tier::local,
                .flops_per_s = 100,
                .power = power_profile{.compute_w = 1}});
    b.add_node({.name = "phone_b", .tier = tier::local, .flops_per_s = 100});
    b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1000});
    b.connect(0, 2, {.bandwidth_Bps = 100});
    b.connect(1, 2, {.bandwidth_Bps = 100});
    analytic_model half_power(b.build());
    check_validation_error(
        [&] { multi_task_evaluator(contending_tasks(50), half_power, {.energy_weight = 1}); },
        {"multi_task_options.energy_weight", "task 1", "node 1 ('phone_b')", "no power profile"});
    // Without the weight, energy is simply not reported when a device lacks power.
    multi_task_evaluator quiet(contending_tasks(50), half_power);
    CHECK(quiet.evaluate(placement{0, 2, 1, 2}).energy_j == 0);
}

TEST_CASE("multi_task_evaluator: tasks that share no node complete as if each ran alone") {
    // Two phones, each keeping its own task at home: the interleaved dispatch of several tasks
    // must then give each task the one-task list schedule (delay_evaluator's), layer by layer.
    const analytic_model model(two_phones_one_edge());
    std::mt19937 rng(11);
    for (int draw = 0; draw < 20; ++draw) {
        CAPTURE(draw);
        const layer_graph a = random_dag(rng, 3 + draw % 9), b = random_dag(rng, 2 + draw % 7);
        multi_task_evaluator both(std::vector<dnn_task>{dnn_task{.graph = a, .device = 0},
                                                        dnn_task{.graph = b, .device = 1}},
                                  model, {.aggregate = task_aggregate::sum});
        delay_evaluator<analytic_model> alone_a(a, model,
                                                {.schedule = dag_schedule::list_scheduled}, {}, 0);
        delay_evaluator<analytic_model> alone_b(b, model,
                                                {.schedule = dag_schedule::list_scheduled}, {}, 1);
        placement x(a.size(), 0);
        x.insert(x.end(), b.size(), 1);
        const std::vector<double> done = both.completion_times(x);
        CHECK(done[0] == doctest::Approx(alone_a.evaluate(placement(a.size(), 0)).delay_s));
        CHECK(done[1] == doctest::Approx(alone_b.evaluate(placement(b.size(), 1)).delay_s));
    }
}
