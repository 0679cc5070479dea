// Tests of delay_evaluator: hand-computed delays of every schedule on a chain and small DAGs,
// the upload and energy terms, each constraint's violation, and every rejected input.

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/graph/builder.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace eosdnn;

namespace {

using placement = std::vector<node_id>;

// Node 0 "phone": 100 FLOP/s, power 2 W computing, 1 W transmitting, 0.5 W idle.
// Node 1 "edge": 1000 FLOP/s. Node 2 "cloud": 10000 FLOP/s.
// phone-edge 100 B/s + 0.5 s, phone-cloud 10 B/s + 1 s, edge-cloud 1000 B/s + 0.1 s.
// Round numbers so that every expected value below can be checked by hand.
environment three_nodes(std::optional<double> edge_memory = {}, bool phone_power = true) {
    environment_builder b;
    std::optional<power_profile> power;
    if (phone_power) power = power_profile{.compute_w = 2, .transmit_w = 1, .idle_w = 0.5};
    b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 100, .power = power});
    b.add_node(
        {.name = "edge", .tier = tier::edge, .flops_per_s = 1000, .memory_bytes = edge_memory});
    b.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 10000});
    b.connect(0, 1, {.bandwidth_Bps = 100, .latency_s = 0.5});
    b.connect(0, 2, {.bandwidth_Bps = 10, .latency_s = 1});
    b.connect(1, 2, {.bandwidth_Bps = 1000, .latency_s = 0.1});
    return b.build();
}

// Input 100 B; l0: 100 FLOP -> 50 B; l1: 1000 FLOP -> 20 B; l2: 200 FLOP -> 10 B.
layer_graph chain3() {
    layer_graph_builder b("chain3");
    auto l0 = b.add_layer({.name = "l0", .flops = 100, .param_bytes = 10, .output_bytes = 50});
    auto l1 = b.add_layer(
        {.name = "l1", .flops = 1000, .param_bytes = 500, .output_bytes = 20, .load_time_s = 0.25},
        {l0});
    b.add_layer({.name = "l2", .flops = 200, .param_bytes = 30, .output_bytes = 10}, {l1});
    b.set_input_bytes(100);
    return b.build();
}

// a -> {b, c} -> d. a: 100 FLOP -> 40 B; b: 500 -> 10 B; c: 300 -> 30 B; d: 100 -> 5 B.
layer_graph diamond() {
    layer_graph_builder b("diamond");
    auto a = b.add_layer({.name = "a", .flops = 100, .output_bytes = 40});
    auto l = b.add_layer({.name = "b", .flops = 500, .output_bytes = 10}, {a});
    auto r = b.add_layer({.name = "c", .flops = 300, .output_bytes = 30}, {a});
    b.add_layer({.name = "d", .flops = 100, .output_bytes = 5}, {l, r});
    b.set_input_bytes(100);
    return b.build();
}

// x -> {p, q, r} -> j. x: 100 FLOP -> 20 B; p: 1000; q: 2000; r: 10000; j: 1000; all -> 10 B.
layer_graph fork_join() {
    layer_graph_builder b("fork_join");
    auto x = b.add_layer({.name = "x", .flops = 100, .output_bytes = 20});
    auto p = b.add_layer({.name = "p", .flops = 1000, .output_bytes = 10}, {x});
    auto q = b.add_layer({.name = "q", .flops = 2000, .output_bytes = 10}, {x});
    auto r = b.add_layer({.name = "r", .flops = 10000, .output_bytes = 10}, {x});
    b.add_layer({.name = "j", .flops = 1000, .output_bytes = 10}, {p, q, r});
    b.set_input_bytes(100);
    return b.build();
}

objective_options with_schedule(dag_schedule s) { return {.schedule = s}; }

double delay(const layer_graph& g, dag_schedule s, const placement& x) {
    analytic_model model(three_nodes());
    delay_evaluator ev(g, model, with_schedule(s));
    return ev.evaluate(x).delay_s;
}

using test::check_validation_error;

// A cost model with time only: no upload_time, no device_power.
struct time_only_model {
    environment e;
    const environment& env() const { return e; }
    double compute_time(const layer& l, node_id s) const { return l.flops / e[s].flops_per_s; }
    double transfer_time(double bytes, node_id from, node_id to) const {
        return e.transfer_time(bytes, from, to);
    }
};

// A cost model whose transfers are twice the links': still latency + bytes / bandwidth, so the
// evaluators must price with the model's figures, not the environment's.
struct doubled_transfer_model : time_only_model {
    double transfer_time(double bytes, node_id from, node_id to) const {
        return 2 * e.transfer_time(bytes, from, to);
    }
};

// A cost model whose transfers grow with the square of the bytes: no latency/bandwidth table can
// represent it, so evaluators must refuse it.
struct quadratic_transfer_model : time_only_model {
    double transfer_time(double bytes, node_id from, node_id to) const {
        return from == to ? 0.0 : e.transfer_time(bytes * bytes, from, to);
    }
};

// A cost model that cannot run layer "l1" on the cloud.
struct infinite_compute_model : time_only_model {
    double compute_time(const layer& l, node_id s) const {
        if (l.name == "l1" && s == 2) return std::numeric_limits<double>::infinity();
        return time_only_model::compute_time(l, s);
    }
};

// A random environment: one phone, `edges` edge servers, one cloud, random rates and links.
environment random_environment(std::mt19937& rng, int edges) {
    std::uniform_real_distribution<double> rate(50, 5000), bandwidth(10, 1000), latency(0, 0.5);
    environment_builder b;
    b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = rate(rng)});
    for (int i = 0; i < edges; ++i)
        b.add_node(
            {.name = "edge" + std::to_string(i), .tier = tier::edge, .flops_per_s = rate(rng)});
    b.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = rate(rng) * 10});
    for (std::size_t s = 0; s < b.size(); ++s)
        for (std::size_t t = s + 1; t < b.size(); ++t)
            b.connect(static_cast<node_id>(s), static_cast<node_id>(t),
                      {.bandwidth_Bps = bandwidth(rng), .latency_s = latency(rng)},
                      {.bandwidth_Bps = bandwidth(rng), .latency_s = latency(rng)});
    return b.build();
}

layer_graph random_chain(std::mt19937& rng, std::size_t n) {
    std::uniform_real_distribution<double> flops(1, 2000), bytes(0, 500);
    layer_graph_builder b("random_chain");
    for (std::size_t j = 0; j < n; ++j) {
        layer l{.name = "l" + std::to_string(j), .flops = flops(rng), .output_bytes = bytes(rng)};
        if (j == 0)
            b.add_layer(l);
        else
            b.add_layer(l, {j - 1});
    }
    b.set_input_bytes(bytes(rng));
    return b.build();
}

placement random_placement(std::mt19937& rng, std::size_t n, std::span<const node_id> choices) {
    std::uniform_int_distribution<std::size_t> pick(0, choices.size() - 1);
    placement x(n);
    for (auto& gene : x) gene = choices[pick(rng)];
    return x;
}

}  // namespace

static_assert(placement_problem<delay_evaluator<analytic_model>>);
static_assert(placement_problem<delay_evaluator<profiled_model>>);
static_assert(placement_problem<delay_evaluator<time_only_model>>);

TEST_CASE("delay_evaluator: dimension, choices and tables") {
    analytic_model model(three_nodes());
    delay_evaluator ev(chain3(), model);
    CHECK(ev.dimension() == 3);
    for (std::size_t gene = 0; gene < 3; ++gene)
        CHECK(std::vector<node_id>(ev.choices(gene).begin(), ev.choices(gene).end()) ==
              std::vector<node_id>{0, 1, 2});
    CHECK(ev.device() == 0);
    CHECK(ev.compute_time(1, 0) == doctest::Approx(10));
    CHECK(ev.compute_time(1, 1) == doctest::Approx(1));
    CHECK(ev.compute_time(1, 2) == doctest::Approx(0.1));
    CHECK(ev.transfer_time(50, 0, 1) == doctest::Approx(1.0));
    CHECK(ev.transfer_time(50, 1, 0) == doctest::Approx(1.0));
    CHECK(ev.transfer_time(20, 1, 2) == doctest::Approx(0.12));
    CHECK(ev.transfer_time(1e9, 2, 2) == 0);
    CHECK(ev.options().schedule == dag_schedule::sequential);
    CHECK(ev.limits().memory);
}

TEST_CASE("delay_evaluator: hand-computed chain, every schedule") {
    const layer_graph g = chain3();
    for (dag_schedule s :
         {dag_schedule::sequential, dag_schedule::list_scheduled, dag_schedule::unbounded}) {
        CAPTURE(static_cast<int>(s));
        // All local: 1 + 10 + 2 s of compute, nothing sent.
        CHECK(delay(g, s, {0, 0, 0}) == doctest::Approx(13));
        // 1 (l0 on phone) + 1.0 (50 B phone->edge) + 1 (l1 on edge) + 0.12 (20 B edge->cloud)
        // + 0.02 (l2 on cloud) + 2 (10 B cloud->phone).
        CHECK(delay(g, s, {0, 1, 2}) == doctest::Approx(5.14));
        // 1.5 (input 100 B phone->edge) + 0.1 + 1 (l0, l1 on edge) + 0.7 (20 B edge->phone)
        // + 2 (l2 on phone).
        CHECK(delay(g, s, {1, 1, 0}) == doctest::Approx(5.3));
        // 11 (input to cloud) + 0.01 + 0.1 + 0.02 + 2 (10 B back).
        CHECK(delay(g, s, {2, 2, 2}) == doctest::Approx(13.13));
    }
}

TEST_CASE("delay_evaluator: hand-computed diamond, the three schedules differ") {
    const layer_graph g = diamond();
    // a on phone, b and c on edge, d on phone. a's output goes to the edge once (0.9 s) although
    // two consumers sit there; b -> d 0.6 s; c -> d 0.8 s.
    const placement x{0, 1, 1, 0};
    // 1 + 0.5 + 0.3 + 1 of compute + 0.9 + 0.6 + 0.8 of transfers.
    CHECK(delay(g, dag_schedule::sequential, x) == doctest::Approx(5.1));
    // a 0-1; b 1.9-2.4 on edge; c waits for the edge: 2.4-2.7; d ready at max(3.0, 3.5): 3.5-4.5.
    CHECK(delay(g, dag_schedule::list_scheduled, x) == doctest::Approx(4.5));
    // c runs alongside b: 1.9-2.2; d ready at max(3.0, 3.0): 3.0-4.0.
    CHECK(delay(g, dag_schedule::unbounded, x) == doctest::Approx(4.0));

    // b on edge, c on phone: a 0-1; b 1.9-2.4; c 1-4 on phone; d ready at max(3.0, 4): 4-5.
    const placement y{0, 1, 0, 0};
    CHECK(delay(g, dag_schedule::sequential, y) == doctest::Approx(7.0));
    CHECK(delay(g, dag_schedule::list_scheduled, y) == doctest::Approx(5.0));
    CHECK(delay(g, dag_schedule::unbounded, y) == doctest::Approx(5.0));

    // Everything local: list scheduling serialises the phone, the critical path does not.
    const placement z{0, 0, 0, 0};
    CHECK(delay(g, dag_schedule::sequential, z) == doctest::Approx(10));
    CHECK(delay(g, dag_schedule::list_scheduled, z) == doctest::Approx(10));
    CHECK(delay(g, dag_schedule::unbounded, z) == doctest::Approx(7));
}

TEST_CASE("delay_evaluator: fork-join pays once per receiving node") {
    const layer_graph g = fork_join();
    // x on phone; p and q on edge; r and j on cloud.
    const placement x{0, 1, 1, 2, 2};
    // Compute 1 + 1 + 2 + 1 + 0.1 = 5.1. x sends 20 B once to the edge (0.7 s, though p and q
    // both sit there) and once to the cloud (3 s); p -> j and q -> j 0.11 s each; r -> j nothing;
    // the result returns from the cloud in 2 s.
    CHECK(delay(g, dag_schedule::sequential, x) == doctest::Approx(11.02));
    // x 0-1; p 1.7-2.7; q waits for the edge: 2.7-4.7; r 4-5; j ready at max(2.81, 4.81, 5):
    // 5-5.1; back at 7.1.
    CHECK(delay(g, dag_schedule::list_scheduled, x) == doctest::Approx(7.1));
    // q runs alongside p, but r still sets j's start.
    CHECK(delay(g, dag_schedule::unbounded, x) == doctest::Approx(7.1));
}

TEST_CASE("delay_evaluator: the three schedules agree on random chains") {
    std::mt19937 rng(20240611);
    for (int trial = 0; trial < 200; ++trial) {
        const std::size_t n = 1 + static_cast<std::size_t>(trial % 12);
        analytic_model model(random_environment(rng, 1 + trial % 3));
        const layer_graph g = random_chain(rng, n);
        delay_evaluator seq(g, model, with_schedule(dag_schedule::sequential));
        delay_evaluator list(g, model, with_schedule(dag_schedule::list_scheduled));
        delay_evaluator unbounded(g, model, with_schedule(dag_schedule::unbounded));
        const placement x = random_placement(rng, n, seq.choices(0));

        // Section 2's chain formula, written out independently of the evaluator.
        const environment& env = model.env();
        double expected = env.transfer_time(g.input_bytes(), 0, x[0]) +
                          env.transfer_time(g[n - 1].output_bytes, x[n - 1], 0);
        for (std::size_t j = 0; j < n; ++j) {
            expected += g[j].flops / env[x[j]].flops_per_s;
            if (j > 0) expected += env.transfer_time(g[j - 1].output_bytes, x[j - 1], x[j]);
        }
        CAPTURE(trial);
        const double d = seq.evaluate(x).delay_s;
        CHECK(d == doctest::Approx(expected));
        CHECK(list.evaluate(x).delay_s == doctest::Approx(d));
        CHECK(unbounded.evaluate(x).delay_s == doctest::Approx(d));
    }
}

TEST_CASE("delay_evaluator: genes follow layer_id order, not topological order") {
    // Layers added out of topological order: "late" (id 0) consumes "early" (id 1).
    layer_graph_builder b("reversed");
    auto late = b.add_layer({.name = "late", .flops = 1000, .output_bytes = 10});
    auto early = b.add_layer({.name = "early", .flops = 100, .output_bytes = 50});
    b.add_edge(early, late);
    b.set_input_bytes(100);
    const layer_graph g = b.build();
    REQUIRE(g.topological_order()[0] == early);
    // early on phone (1), 50 B to the edge (1.0), late on edge (1), 10 B back (0.6).
    for (dag_schedule s :
         {dag_schedule::sequential, dag_schedule::list_scheduled, dag_schedule::unbounded})
        CHECK(delay(g, s, {1, 0}) == doctest::Approx(3.6));
}

TEST_CASE("delay_evaluator: upload term, hand-computed") {
    analytic_model model(three_nodes());
    delay_evaluator ev(chain3(), model, {.include_upload = true});
    // l1 on edge: 500 B / 100 B/s + 0.25 s load; l2 on cloud: 30 B / 10 B/s.
    const evaluation e = ev.evaluate(placement{0, 1, 2});
    CHECK(e.delay_s == doctest::Approx(5.14));
    CHECK(e.upload_s == doctest::Approx(8.25));
    CHECK(e.objective == doctest::Approx(13.39));
    // Nothing leaves the device: nothing to upload.
    CHECK(ev.evaluate(placement{0, 0, 0}).upload_s == 0);

    // The weight scales delay and upload together.
    delay_evaluator weighted(chain3(), model, {.include_upload = true, .latency_weight = 2});
    CHECK(weighted.evaluate(placement{0, 1, 2}).objective == doctest::Approx(26.78));

    // Without the switch the upload is neither computed nor charged.
    delay_evaluator off(chain3(), model);
    const evaluation f = off.evaluate(placement{0, 1, 2});
    CHECK(f.upload_s == 0);
    CHECK(f.objective == doctest::Approx(5.14));
}

TEST_CASE("delay_evaluator: energy term, hand-computed") {
    analytic_model model(three_nodes());
    SUBCASE("chain, sequential") {
        delay_evaluator ev(chain3(), model, {.energy_weight = 0.1});
        const evaluation e = ev.evaluate(placement{0, 1, 2});
        // Device computes l0 (1 s), transmits 50 B to edge (1.0 s) and receives the result
        // (2 s), idles 5.14 - 1 - 3 = 1.14 s: 2*1 + 1*3 + 0.5*1.14.
        CHECK(e.delay_s == doctest::Approx(5.14));
        CHECK(e.energy_j == doctest::Approx(5.57));
        CHECK(e.objective == doctest::Approx(5.14 + 0.557));
    }
    SUBCASE("diamond, list scheduled") {
        delay_evaluator ev(diamond(), model,
                           {.schedule = dag_schedule::list_scheduled, .energy_weight = 1});
        const evaluation e = ev.evaluate(placement{0, 1, 1, 0});
        // Compute a, d: 2 s; transmit 0.9 + 0.6 + 0.8 = 2.3 s; idle 4.5 - 4.3 = 0.2 s.
        CHECK(e.delay_s == doctest::Approx(4.5));
        CHECK(e.energy_j == doctest::Approx(4 + 2.3 + 0.1));
        CHECK(e.objective == doctest::Approx(4.5 + 6.4));
    }
    SUBCASE("reported with a zero weight, not charged") {
        delay_evaluator ev(chain3(), model);
        const evaluation e = ev.evaluate(placement{0, 0, 0});
        CHECK(e.energy_j == doctest::Approx(2 * 13));
        CHECK(e.objective == doctest::Approx(13));
    }
    SUBCASE("no power profile: zero energy") {
        analytic_model no_power(three_nodes({}, false));
        delay_evaluator ev(chain3(), no_power);
        CHECK(ev.evaluate(placement{0, 0, 0}).energy_j == 0);
    }
    SUBCASE("idle never negative") {
        // Everything local: compute fills the whole delay.
        delay_evaluator ev(chain3(), model, {.energy_weight = 1});
        CHECK(ev.evaluate(placement{0, 0, 0}).energy_j == doctest::Approx(26));
    }
}

TEST_CASE("delay_evaluator: each constraint gives the documented violation") {
    SUBCASE("memory: excess over capacity") {
        analytic_model model(three_nodes(400));
        delay_evaluator ev(chain3(), model);
        const evaluation e = ev.evaluate(placement{0, 1, 2});
        CHECK(e.violation == doctest::Approx((500.0 - 400) / 400));
        CHECK_FALSE(e.feasible());
        CHECK(ev.evaluate(placement{0, 0, 1}).feasible());  // 30 B on the edge fits
        CHECK(ev.evaluate(placement{1, 1, 1}).violation == doctest::Approx(140.0 / 400));

        delay_evaluator off(chain3(), model, {}, {.memory = false});
        CHECK(off.evaluate(placement{0, 1, 2}).feasible());
    }
    SUBCASE("pinned: one per misplaced layer") {
        analytic_model model(three_nodes());
        delay_evaluator ev(chain3(), model, {}, {.pinned = {node_id{0}, std::nullopt, node_id{1}}});
        CHECK(ev.evaluate(placement{0, 2, 1}).feasible());
        CHECK(ev.evaluate(placement{0, 1, 2}).violation == 1);
        CHECK(ev.evaluate(placement{2, 1, 2}).violation == 2);
        // Pinning does not restrict the choices.
        CHECK(ev.choices(0).size() == 3);
    }
    SUBCASE("deadline: relative excess") {
        analytic_model model(three_nodes());
        delay_evaluator ev(chain3(), model, {}, {.deadline_s = 5});
        CHECK(ev.evaluate(placement{0, 1, 2}).violation == doctest::Approx(0.14 / 5));
        CHECK(ev.evaluate(placement{0, 0, 0}).violation == doctest::Approx(8.0 / 5));
        delay_evaluator loose(chain3(), model, {}, {.deadline_s = 6});
        CHECK(loose.evaluate(placement{0, 1, 2}).feasible());
    }
    SUBCASE("all three add up") {
        analytic_model model(three_nodes(400));
        delay_evaluator ev(chain3(), model, {},
                           {.pinned = {std::nullopt, std::nullopt, node_id{1}}, .deadline_s = 5});
        const evaluation e = ev.evaluate(placement{0, 1, 2});
        CHECK(e.violation == doctest::Approx(0.25 + 1 + 0.028));
        CHECK(e.objective == doctest::Approx(5.14));  // constraints never touch the objective
    }
}

TEST_CASE("delay_evaluator: several local devices, evaluator owned by another device") {
    environment_builder b;
    b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 100});
    b.add_node({.name = "tablet", .tier = tier::local, .flops_per_s = 200});
    b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1000});
    b.connect(0, 2, {.bandwidth_Bps = 100, .latency_s = 0.5});
    b.connect(1, 2, {.bandwidth_Bps = 50, .latency_s = 0.25});
    analytic_model model(b.build());
    delay_evaluator ev(chain3(), model, {}, {}, 1);
    CHECK(ev.device() == 1);
    CHECK(std::vector<node_id>(ev.choices(0).begin(), ev.choices(0).end()) ==
          std::vector<node_id>{1, 2});
    // tablet: l0 0.5 s; 50 B to edge 1.25 s; l1 1 s, l2 0.2 s on edge; 10 B back 0.45 s.
    CHECK(ev.evaluate(placement{1, 2, 2}).delay_s == doctest::Approx(3.4));
    CHECK(ev.transfer_time(1, 0, 1) == std::numeric_limits<double>::infinity());
}

TEST_CASE("delay_evaluator: copies evaluate independently and alike") {
    analytic_model model(three_nodes(400));
    delay_evaluator a(diamond(), model, {.schedule = dag_schedule::list_scheduled});
    delay_evaluator b = a;
    const placement x{0, 1, 1, 0}, y{0, 1, 0, 0};
    const evaluation ax = a.evaluate(x);
    b.evaluate(y);
    const evaluation bx = b.evaluate(x);
    CHECK(ax.delay_s == bx.delay_s);
    CHECK(ax.energy_j == bx.energy_j);
    CHECK(ax.violation == bx.violation);
    // Repeated calls reuse the scratch without leaking state.
    CHECK(a.evaluate(x).delay_s == ax.delay_s);
}

TEST_CASE("delay_evaluator: the profiled model's measured times are used") {
    layer_graph_builder b("profiled");
    auto l0 = b.add_layer(
        {.name = "l0", .flops = 100, .output_bytes = 50, .device_time_s = 3, .server_time_s = 0.5});
    b.add_layer({.name = "l1", .flops = 1000, .output_bytes = 10}, {l0});
    b.set_input_bytes(100);
    profiled_model model(three_nodes());
    delay_evaluator ev(b.build(), model);
    CHECK(ev.compute_time(0, 0) == doctest::Approx(3));
    CHECK(ev.compute_time(0, 1) == doctest::Approx(0.5));
    CHECK(ev.compute_time(1, 1) == doctest::Approx(1));  // no measurement: FLOPs / rate
    // l0 on phone 3 s, 50 B to the edge 1.0 s, l1 on edge 1 s, 10 B back 0.6 s.
    CHECK(ev.evaluate(placement{0, 1}).delay_s == doctest::Approx(5.6));
}

TEST_CASE("delay_evaluator: bad placements throw naming the layer and node") {
    environment_builder b;
    b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 100});
    b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1000});
    b.add_node({.name = "phone2", .tier = tier::local, .flops_per_s = 100});
    b.connect(0, 1, {.bandwidth_Bps = 100});
    b.connect(2, 1, {.bandwidth_Bps = 100});
    analytic_model model(b.build());
    delay_evaluator ev(chain3(), model);
    CHECK(ev.choices(0).size() == 2);

    check_validation_error(
        [&] {
            ev.evaluate(placement{0, 1});
        },
        {"delay_evaluator", "2 genes", "expected 3"});
    check_validation_error(
        [&] {
            ev.evaluate(placement{0, 7, 1});
        },
        {"gene 1", "layer 'l1'", "node 7", "out of range"});
    check_validation_error(
        [&] {
            ev.evaluate(placement{0, 1, 2});
        },
        {"gene 2", "layer 'l2'", "node 2 ('phone2')", "local node other than",
         "device node 0 ('phone')"});
    check_validation_error([&] { (void)ev.choices(3); }, {"gene 3", "out of range"});
}

TEST_CASE("delay_evaluator: bad construction throws naming the field and value") {
    const layer_graph g = chain3();
    analytic_model model(three_nodes());

    check_validation_error([&] { delay_evaluator(g, model, {}, {}, 5); },
                           {"delay_evaluator", "device", "node 5", "out of range"});
    check_validation_error([&] { delay_evaluator(g, model, {}, {}, 1); },
                           {"device", "node 1 ('edge')", "local", "edge"});
    check_validation_error(
        [&] {
            delay_evaluator(g, model, {}, {.pinned = {node_id{0}, node_id{1}}});
        },
        {"constraints.pinned", "2 entries", "3 layers"});
    check_validation_error(
        [&] {
            delay_evaluator(g, model, {}, {.pinned = {std::nullopt, node_id{9}, std::nullopt}});
        },
        {"constraints.pinned[1]", "layer 'l1'", "node 9", "out of range"});
    check_validation_error([&] { delay_evaluator(g, model, {.latency_weight = -1}); },
                           {"objective_options.latency_weight", "-1"});
    check_validation_error(
        [&] {
            delay_evaluator(g, model, {.energy_weight = std::numeric_limits<double>::quiet_NaN()});
        },
        {"objective_options.energy_weight", "nan"});
    check_validation_error([&] { delay_evaluator(g, model, {}, {.deadline_s = 0}); },
                           {"constraints.deadline_s", "0", "> 0"});
    check_validation_error(
        [&] { delay_evaluator(g, model, {.schedule = static_cast<dag_schedule>(7)}); },
        {"objective_options.schedule", "7"});

    time_only_model plain{three_nodes()};
    check_validation_error([&] { delay_evaluator(g, plain, {.include_upload = true}); },
                           {"objective_options.include_upload", "upload_cost_model"});
    check_validation_error([&] { delay_evaluator(g, plain, {.energy_weight = 1}); },
                           {"objective_options.energy_weight", "energy_cost_model"});
    analytic_model no_power(three_nodes({}, false));
    check_validation_error(
        [&] { delay_evaluator(g, no_power, {.energy_weight = 1}); },
        {"objective_options.energy_weight", "node 0 ('phone')", "no power profile"});
    check_validation_error([&] { delay_evaluator(g, quadratic_transfer_model{three_nodes()}); },
                           {"transfer_time", "node 0", "node 1", "latency + bytes / bandwidth"});
    {
        const doubled_transfer_model doubled{three_nodes()};
        delay_evaluator twice(g, doubled);
        CHECK(twice.transfer_time(50, 0, 1) == doctest::Approx(doubled.transfer_time(50, 0, 1)));
        CHECK(twice.transfer_time(20, 1, 2) == doctest::Approx(doubled.transfer_time(20, 1, 2)));
    }
    check_validation_error([&] { delay_evaluator(g, infinite_compute_model{three_nodes()}); },
                           {"compute time", "layer 'l1'", "node 2 ('cloud')", "inf"});

    // A time-only model is fine without the optional terms; no energy is reported.
    delay_evaluator ok(g, plain);
    CHECK(ok.evaluate(placement{0, 1, 2}).delay_s == doctest::Approx(5.14));
    CHECK(ok.evaluate(placement{0, 1, 2}).energy_j == 0);
}
