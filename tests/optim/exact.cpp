#include <eosdnn/optim/exact.hpp>

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/builder.hpp>

#if __has_include(<eosdnn/cost/delay_evaluator.hpp>)
#include <eosdnn/cost/delay_evaluator.hpp>
#define EOSDNN_TEST_HAS_DELAY_EVALUATOR 1
#endif

#include <doctest/doctest.h>

#include <boost/random/bernoulli_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

using namespace eosdnn;

namespace {

using pin_list = std::vector<std::optional<node_id>>;

// Fixed seeds: every run checks the same instances, and a failure names its seed.
constexpr std::array<std::uint32_t, 48> seeds = {
    1,   2,   3,    5,     8,     13,     21,     34,     55,     89,     144,    233,
    377, 610, 987,  1597,  2584,  4181,   6765,   10946,  17711,  28657,  46368,  75025,
    7,   77,  777,  7777,  31337, 4242,   1234,   4321,   9999,   1001,   2002,   3003,
    11,  101, 1009, 10007, 65537, 271828, 314159, 161803, 141421, 173205, 223606, 99};

double uniform(std::mt19937& rng, double lo, double hi) {
    return boost::random::uniform_real_distribution<double>(lo, hi)(rng);
}

// Log-uniform, so that sizes and rates spread over orders of magnitude and optima are mixed.
double log_uniform(std::mt19937& rng, double lo, double hi) {
    return std::exp(uniform(rng, std::log(lo), std::log(hi)));
}

std::size_t pick(std::mt19937& rng, std::size_t lo, std::size_t hi) {
    return boost::random::uniform_int_distribution<std::size_t>(lo, hi)(rng);
}

bool chance(std::mt19937& rng, double p) { return boost::random::bernoulli_distribution<>(p)(rng); }

eosdnn::network_link random_link(std::mt19937& rng) {
    return {.bandwidth_Bps = mbps(log_uniform(rng, 1, 1000)),
            .latency_s = chance(rng, 0.3) ? 0.0 : uniform(rng, 0, 0.05)};
}

/// Node 0 local; then optionally a second local device; then `edges` edge servers and, if
/// `cloud`, one cloud. Every pair that must be linked gets different random up and down links.
environment random_environment(std::mt19937& rng, bool second_local, std::size_t edges,
                               bool cloud) {
    environment_builder b;
    b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = log_uniform(rng, 1e8, 1e10)});
    if (second_local)
        b.add_node(
            {.name = "watch", .tier = tier::local, .flops_per_s = log_uniform(rng, 1e8, 1e10)});
    for (std::size_t e = 0; e < edges; ++e)
        b.add_node({.name = "edge" + std::to_string(e),
                    .tier = tier::edge,
                    .flops_per_s = log_uniform(rng, 1e9, 1e11)});
    if (cloud)
        b.add_node(
            {.name = "cloud", .tier = tier::cloud, .flops_per_s = log_uniform(rng, 1e10, 1e12)});
    const std::size_t n = b.size();
    for (std::size_t a = 0; a < n; ++a)
        for (std::size_t c = a + 1; c < n; ++c) {
            const bool both_local = a == 0 && c == 1 && second_local;
            if (both_local) continue;
            b.connect(static_cast<node_id>(a), static_cast<node_id>(c), random_link(rng),
                      random_link(rng));
        }
    return b.build();
}

layer random_layer(std::mt19937& rng, std::size_t index) {
    return {.name = "l" + std::to_string(index),
            .kind = "conv",
            .flops = chance(rng, 0.2) ? 0.0 : log_uniform(rng, 1e6, 1e10),
            .output_bytes = chance(rng, 0.1) ? 0.0 : log_uniform(rng, 1e2, 1e7)};
}

layer_graph random_chain(std::mt19937& rng, std::size_t n) {
    layer_graph_builder b("chain");
    for (std::size_t i = 0; i < n; ++i) {
        b.add_layer(random_layer(rng, i));
        if (i > 0) b.add_edge(i - 1, i);
    }
    b.set_input_bytes(log_uniform(rng, 1e3, 1e7));
    return b.build();
}

/// Layer 0 is the input, layer n-1 the output; every other layer has 1-3 random earlier inputs,
/// and every layer left without a consumer feeds the output.
layer_graph random_dag(std::mt19937& rng, std::size_t n) {
    layer_graph_builder b("dag");
    for (std::size_t i = 0; i < n; ++i) b.add_layer(random_layer(rng, i));
    std::vector<bool> has_consumer(n, false);
    for (std::size_t i = 1; i < n; ++i) {
        const std::size_t inputs = pick(rng, 1, std::min<std::size_t>(i, 3));
        std::vector<std::size_t> from;
        while (from.size() < inputs) {
            const std::size_t p = pick(rng, 0, i - 1);
            if (std::find(from.begin(), from.end(), p) == from.end()) from.push_back(p);
        }
        for (std::size_t p : from) {
            b.add_edge(p, i);
            has_consumer[p] = true;
        }
    }
    for (std::size_t i = 0; i + 1 < n; ++i)
        if (!has_consumer[i]) b.add_edge(i, n - 1);
    b.set_input_bytes(log_uniform(rng, 1e3, 1e7));
    return b.build();
}

/// in -> `branches` parallel branches of `length` layers -> join -> out.
layer_graph random_fork_join(std::mt19937& rng, std::size_t branches, std::size_t length) {
    layer_graph_builder b("fork_join");
    std::size_t next = 0;
    const layer_id in = b.add_layer(random_layer(rng, next++));
    std::vector<layer_id> ends;
    for (std::size_t k = 0; k < branches; ++k) {
        layer_id prev = in;
        for (std::size_t i = 0; i < length; ++i) {
            const layer_id id = b.add_layer(random_layer(rng, next++));
            b.add_edge(prev, id);
            prev = id;
        }
        ends.push_back(prev);
    }
    const layer_id join = b.add_layer(random_layer(rng, next++));
    for (layer_id e : ends) b.add_edge(e, join);
    const layer_id out = b.add_layer(random_layer(rng, next++));
    b.add_edge(join, out);
    b.set_input_bytes(log_uniform(rng, 1e3, 1e7));
    return b.build();
}

/// Pins about a fifth of the layers to a random node of `allowed`.
pin_list random_pins(std::mt19937& rng, std::size_t n, const std::vector<node_id>& allowed) {
    pin_list pins(n);
    bool any = false;
    for (auto& p : pins)
        if (chance(rng, 0.2)) {
            p = allowed[pick(rng, 0, allowed.size() - 1)];
            any = true;
        }
    if (!any && chance(rng, 0.5)) pins.clear();  // also exercise the "no pins" form
    return pins;
}

/// The sequential delay as a placement_problem, restricted to `nodes` and the pins. Written here
/// so the exact solvers can be tested before and independently of the library's evaluators.
struct sequential_problem {
    const layer_graph* graph;
    const analytic_model* model;
    node_id device;
    std::vector<std::vector<node_id>> allowed;

    sequential_problem(const layer_graph& g, const analytic_model& m, node_id d,
                       const std::vector<node_id>& nodes, const pin_list& pins)
        : graph(&g), model(&m), device(d), allowed(g.size(), nodes) {
        for (std::size_t j = 0; j < pins.size(); ++j)
            if (pins[j]) allowed[j] = {*pins[j]};
    }

    std::size_t dimension() const { return allowed.size(); }
    std::span<const node_id> choices(std::size_t gene) const { return allowed[gene]; }
    evaluation evaluate(std::span<const node_id> x) {
        evaluation e;
        e.delay_s = sequential_delay(*graph, *model, x, device);
        e.objective = e.delay_s;
        return e;
    }
};
static_assert(placement_problem<sequential_problem>);

/// The device and every non-local node, ascending.
std::vector<node_id> allowed_nodes(const environment& env, node_id device) {
    std::vector<node_id> nodes;
    for (std::size_t s = 0; s < env.size(); ++s)
        if (s == device || env[static_cast<node_id>(s)].tier != tier::local)
            nodes.push_back(static_cast<node_id>(s));
    return nodes;
}

void check_pins_held(const std::vector<node_id>& placement, const pin_list& pins) {
    for (std::size_t j = 0; j < pins.size(); ++j)
        if (pins[j]) CHECK(placement[j] == *pins[j]);
}

/// Runs `f` and returns the eosdnn::error it throws; fails the test if it throws nothing.
template <class F>
error thrown_by(F&& f) {
    try {
        f();
    } catch (const error& e) {
        return e;
    }
    FAIL("no eosdnn::error was thrown");
    return error(error_kind::io, "unreachable");
}

/// A hand-checkable environment: bandwidth 1 B/s and no latency, so bytes are seconds; rates in
/// FLOP/s so FLOPs are seconds times the rate.
analytic_model unit_model(double device_rate, double edge_rate, double cloud_rate) {
    environment_builder b;
    b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = device_rate});
    b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = edge_rate});
    b.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = cloud_rate});
    const eosdnn::network_link unit{.bandwidth_Bps = 1, .latency_s = 0};
    b.connect(0, 1, unit);
    b.connect(0, 2, unit);
    b.connect(1, 2, unit);
    return analytic_model(b.build());
}

}  // namespace

TEST_CASE("exact: sequential_delay matches a hand computation") {
    const analytic_model model = unit_model(1, 10, 100);

    SUBCASE("chain") {
        layer_graph_builder b("chain");
        b.add_layer({.name = "a", .kind = "conv", .flops = 10, .output_bytes = 3});
        b.add_layer({.name = "b", .kind = "conv", .flops = 100, .output_bytes = 2}, {0});
        b.add_layer({.name = "c", .kind = "fc", .flops = 1000, .output_bytes = 1}, {1});
        b.set_input_bytes(5);
        const layer_graph g = b.build();
        const std::vector<node_id> all_local{0, 0, 0};
        CHECK(sequential_delay(g, model, all_local) == doctest::Approx(1110));
        // input 5 to edge, a 1 on edge, 3 up to cloud, b 1, c 10, 1 back to the phone.
        const std::vector<node_id> mixed{1, 2, 2};
        CHECK(sequential_delay(g, model, mixed) == doctest::Approx(5 + 1 + 3 + 1 + 10 + 1));
    }

    SUBCASE("fork: an output is sent once per receiving node") {
        layer_graph_builder b("fork");
        const auto a = b.add_layer({.name = "a", .kind = "input", .output_bytes = 4});
        const auto l =
            b.add_layer({.name = "l", .kind = "conv", .flops = 10, .output_bytes = 1}, {a});
        const auto r =
            b.add_layer({.name = "r", .kind = "conv", .flops = 10, .output_bytes = 1}, {a});
        b.add_layer({.name = "j", .kind = "add", .output_bytes = 2}, {l, r});
        const layer_graph g = b.build();
        // Both consumers on the edge: a's 4 bytes travel once; l and r both send to the phone.
        const std::vector<node_id> same{0, 1, 1, 0};
        CHECK(sequential_delay(g, model, same) == doctest::Approx(4 + 1 + 1 + 1 + 1));
        // Consumers on two different nodes: a's output travels twice.
        const std::vector<node_id> split{0, 1, 2, 0};
        CHECK(sequential_delay(g, model, split) == doctest::Approx(4 + 4 + 1 + 0.1 + 1 + 1));
        // One consumer local, one remote: only the remote one costs a transfer.
        const std::vector<node_id> half{0, 0, 1, 0};
        CHECK(sequential_delay(g, model, half) == doctest::Approx(4 + 10 + 1 + 1));
    }
}

TEST_CASE("exact: viterbi equals enumeration on random chains") {
    std::size_t instances = 0;
    for (std::uint32_t seed : seeds) {
        CAPTURE(seed);
        std::mt19937 rng(seed);
        const bool second_local = chance(rng, 0.3);
        const std::size_t edges = pick(rng, 1, 2);
        const bool cloud = edges == 1 || chance(rng, 0.5);
        const analytic_model model(random_environment(rng, second_local, edges, cloud));
        const node_id device = second_local && chance(rng, 0.5) ? 1 : 0;
        const std::vector<node_id> nodes = allowed_nodes(model.env(), device);
        REQUIRE((nodes.size() == 3 || nodes.size() == 4));

        const layer_graph g = random_chain(rng, pick(rng, 1, 7));
        const pin_list pins = random_pins(rng, g.size(), nodes);

        const exact_plan plan = viterbi_chain(g, model, device, pins);
        sequential_problem problem(g, model, device, nodes, pins);
        const enumerated_plan best = enumerate_placements(problem);

        CHECK(plan.delay_s == doctest::Approx(best.value.delay_s).epsilon(1e-9));
        CHECK(plan.delay_s == sequential_delay(g, model, plan.placement, device));
        REQUIRE(plan.placement.size() == g.size());
        for (node_id s : plan.placement)
            CHECK(std::find(nodes.begin(), nodes.end(), s) != nodes.end());
        check_pins_held(plan.placement, pins);
        ++instances;
    }
    CHECK(instances == seeds.size());
}

TEST_CASE("exact: viterbi breaks ties towards the lowest node index") {
    // Two identical edge servers with identical links: every plan using edge1 has a twin on
    // edge0 with bitwise the same cost, so edge1 must never appear.
    environment_builder b;
    b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 1e8});
    b.add_node({.name = "edge0", .tier = tier::edge, .flops_per_s = 1e11});
    b.add_node({.name = "edge1", .tier = tier::edge, .flops_per_s = 1e11});
    const eosdnn::network_link fast{.bandwidth_Bps = mbps(100), .latency_s = 0.001};
    b.connect(0, 1, fast);
    b.connect(0, 2, fast);
    b.connect(1, 2, fast);
    const analytic_model model(b.build());
    layer_graph_builder gb("tie");
    for (std::size_t i = 0; i < 4; ++i) {
        gb.add_layer(
            {.name = "l" + std::to_string(i), .kind = "conv", .flops = 1e9, .output_bytes = 1e3});
        if (i > 0) gb.add_edge(i - 1, i);
    }
    gb.set_input_bytes(1e3);
    const layer_graph g = gb.build();
    const exact_plan plan = viterbi_chain(g, model);
    CHECK(plan.placement == std::vector<node_id>{1, 1, 1, 1});

    // With nothing to compute or send, every plan costs 0 and the device (index 0) wins.
    layer_graph_builder zb("free");
    zb.add_layer({.name = "a", .kind = "input"});
    zb.add_layer({.name = "b", .kind = "relu"}, {0});
    const layer_graph free_graph = zb.build();
    environment_builder nb;
    nb.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 1});
    nb.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1});
    nb.connect(0, 1, eosdnn::network_link{.bandwidth_Bps = 1, .latency_s = 0});
    const analytic_model no_latency(nb.build());
    const exact_plan zero = viterbi_chain(free_graph, no_latency);
    CHECK(zero.delay_s == 0);
    CHECK(zero.placement == std::vector<node_id>{0, 0});
}

TEST_CASE("exact: min cut equals viterbi on random two-node chains") {
    for (std::uint32_t seed : seeds) {
        CAPTURE(seed);
        std::mt19937 rng(seed + 1000);
        const bool use_cloud = chance(rng, 0.5);
        const analytic_model model(random_environment(rng, false, use_cloud ? 0 : 1, use_cloud));
        REQUIRE(model.env().size() == 2);
        const layer_graph g = random_chain(rng, pick(rng, 1, 12));
        const pin_list pins = random_pins(rng, g.size(), {0, 1});

        const exact_plan cut = min_cut_two_nodes(g, model, 0, 1, pins);
        const exact_plan path = viterbi_chain(g, model, 0, pins);
        CHECK(cut.delay_s == doctest::Approx(path.delay_s).epsilon(1e-9));
        CHECK(cut.delay_s == sequential_delay(g, model, cut.placement, 0));
        check_pins_held(cut.placement, pins);
    }
}

TEST_CASE("exact: min cut equals enumeration on random two-node DAGs") {
    const auto check_instance = [](std::mt19937& rng, const layer_graph& g) {
        const bool second_local = chance(rng, 0.3);
        const analytic_model model(random_environment(rng, second_local, pick(rng, 1, 2), true));
        const node_id device = second_local && chance(rng, 0.5) ? 1 : 0;
        // Any edge or cloud node may be the remote one; the others stay unused.
        std::vector<node_id> remotes = allowed_nodes(model.env(), device);
        remotes.erase(std::find(remotes.begin(), remotes.end(), device));
        const node_id remote = remotes[pick(rng, 0, remotes.size() - 1)];
        std::vector<node_id> nodes{device, remote};
        std::sort(nodes.begin(), nodes.end());
        const pin_list pins = random_pins(rng, g.size(), nodes);

        const exact_plan cut = min_cut_two_nodes(g, model, device, remote, pins);
        sequential_problem problem(g, model, device, nodes, pins);
        const enumerated_plan best = enumerate_placements(problem);
        CHECK(cut.delay_s == doctest::Approx(best.value.delay_s).epsilon(1e-9));
        CHECK(cut.delay_s == sequential_delay(g, model, cut.placement, device));
        for (node_id s : cut.placement) CHECK((s == device || s == remote));
        check_pins_held(cut.placement, pins);
    };

    SUBCASE("random DAGs up to 12 layers") {
        for (std::uint32_t seed : seeds) {
            CAPTURE(seed);
            std::mt19937 rng(seed + 2000);
            check_instance(rng, random_dag(rng, pick(rng, 2, 12)));
        }
    }
    SUBCASE("diamonds and fork-joins") {
        for (std::uint32_t seed : seeds) {
            CAPTURE(seed);
            std::mt19937 rng(seed + 3000);
            const std::size_t branches = pick(rng, 2, 4);
            const std::size_t length = branches == 2 && chance(rng, 0.5) ? 1 : pick(rng, 1, 2);
            check_instance(rng, random_fork_join(rng, branches, length));  // 2 x 1 is a diamond
        }
    }
}

TEST_CASE("exact: min cut pays an output once for two remote consumers") {
    // a (on the phone) feeds b and c. Each of b, c takes 7 s on the phone and 1 s on the edge;
    // sending a's output up takes 10 s. Offloading both pays 10 once: 10 + 1 + 1 = 12 < 14 s on
    // the phone. A model charging the transfer per consumer (22 s) would keep them local.
    const analytic_model model = unit_model(1, 7, 7);
    layer_graph_builder b("fork");
    const auto a = b.add_layer({.name = "a", .kind = "input", .output_bytes = 10});
    const auto l = b.add_layer({.name = "b", .kind = "conv", .flops = 7, .output_bytes = 0}, {a});
    const auto r = b.add_layer({.name = "c", .kind = "conv", .flops = 7, .output_bytes = 0}, {a});
    b.add_layer({.name = "d", .kind = "add", .output_bytes = 0}, {l, r});
    const layer_graph g = b.build();
    const pin_list pins{node_id{0}, std::nullopt, std::nullopt, std::nullopt};

    const exact_plan cut = min_cut_two_nodes(g, model, 0, 1, pins);
    CHECK(cut.placement[1] == 1);
    CHECK(cut.placement[2] == 1);
    CHECK(cut.delay_s == doctest::Approx(12));

    // The same with an asymmetric link: the up direction is priced on its own.
    environment_builder eb;
    eb.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 1});
    eb.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 7});
    eb.connect(0, 1, eosdnn::network_link{.bandwidth_Bps = 2, .latency_s = 0},
               eosdnn::network_link{.bandwidth_Bps = 0.5, .latency_s = 0});
    const analytic_model asym(eb.build());
    const exact_plan cut2 = min_cut_two_nodes(g, asym, 0, 1, pins);  // 5 up + 1 + 1 = 7 < 14
    CHECK(cut2.placement[1] == 1);
    CHECK(cut2.placement[2] == 1);
    CHECK(cut2.delay_s == doctest::Approx(7));
}

TEST_CASE("exact: pins are respected even when they cost") {
    const analytic_model model = unit_model(1, 1000, 1000);
    layer_graph_builder b("chain");
    b.add_layer({.name = "a", .kind = "conv", .flops = 100, .output_bytes = 1});
    b.add_layer({.name = "b", .kind = "conv", .flops = 100, .output_bytes = 1}, {0});
    b.add_layer({.name = "c", .kind = "conv", .flops = 100, .output_bytes = 1}, {1});
    b.set_input_bytes(1);
    const layer_graph g = b.build();

    // Unpinned, everything runs remotely; pinning b to the phone costs 100 s of compute.
    const exact_plan free_plan = viterbi_chain(g, model);
    CHECK(free_plan.placement[1] != 0);
    const pin_list pins{std::nullopt, node_id{0}, std::nullopt};
    const exact_plan path = viterbi_chain(g, model, 0, pins);
    CHECK(path.placement[1] == 0);
    const exact_plan cut = min_cut_two_nodes(g, model, 0, 1, pins);
    CHECK(cut.placement[1] == 0);

    // Pinning the output to the cloud is honoured by Viterbi too.
    const pin_list cloud_pin{std::nullopt, std::nullopt, node_id{2}};
    CHECK(viterbi_chain(g, model, 0, cloud_pin).placement[2] == 2);
    // A remote pin in the min cut.
    const pin_list remote_pin{node_id{1}, std::nullopt, std::nullopt};
    const analytic_model slow_remote = unit_model(1000, 1, 1);
    CHECK(min_cut_two_nodes(g, slow_remote, 0, 1).placement == std::vector<node_id>{0, 0, 0});
    CHECK(min_cut_two_nodes(g, slow_remote, 0, 1, remote_pin).placement[0] == 1);
}

TEST_CASE("exact: enumerate_placements visits every candidate and keeps the best") {
    // Objective = sum of genes; gene 1 must not be 2 (a violation), so the best feasible is the
    // smallest sum avoiding it, and an infeasible candidate never beats a feasible one.
    struct toy {
        std::vector<std::vector<node_id>> c{{3, 1, 2}, {2, 0}, {5, 4}};
        std::size_t evaluations = 0;
        std::size_t dimension() const { return c.size(); }
        std::span<const node_id> choices(std::size_t g) const { return c[g]; }
        evaluation evaluate(std::span<const node_id> x) {
            ++evaluations;
            evaluation e;
            e.objective = static_cast<double>(x[0] + x[1] + x[2]);
            e.delay_s = e.objective;
            e.violation = x[1] == 0 ? 1.0 : 0.0;
            return e;
        }
    };
    static_assert(placement_problem<toy>);
    toy problem;
    const enumerated_plan best = enumerate_placements(problem);
    CHECK(best.candidates == 12);
    CHECK(problem.evaluations == 12);
    CHECK(best.placement == std::vector<node_id>{1, 2, 4});
    CHECK(best.value.feasible());
    CHECK(best.value.objective == 7);

    // Ties: the first candidate in choice order wins (here genes 0 and 1 only swap sums).
    struct tie {
        std::vector<node_id> c{1, 0};
        std::size_t dimension() const { return 2; }
        std::span<const node_id> choices(std::size_t) const { return c; }
        evaluation evaluate(std::span<const node_id> x) {
            evaluation e;
            e.objective = x[0] + x[1] == 1 ? 0.0 : 1.0;
            return e;
        }
    };
    tie t;
    CHECK(enumerate_placements(t).placement == std::vector<node_id>{1, 0});

    // All candidates infeasible: the smallest violation wins.
    struct hopeless {
        std::vector<node_id> c{0, 1, 2};
        std::size_t dimension() const { return 1; }
        std::span<const node_id> choices(std::size_t) const { return c; }
        evaluation evaluate(std::span<const node_id> x) {
            evaluation e;
            e.objective = -static_cast<double>(x[0]);
            e.violation = x[0] == 1 ? 0.5 : 2.0;
            return e;
        }
    };
    hopeless h;
    const enumerated_plan least_bad = enumerate_placements(h);
    CHECK(least_bad.placement == std::vector<node_id>{1});
    CHECK(least_bad.value.violation == 0.5);

    // Exactly at the limit is allowed.
    toy again;
    CHECK(enumerate_placements(again, 12).candidates == 12);
}

TEST_CASE("exact: bad inputs throw eosdnn::error naming the problem") {
    std::mt19937 rng(42);
    const analytic_model model(random_environment(rng, true, 1, true));  // phone watch edge0 cloud
    const layer_graph chain = random_chain(rng, 4);
    const layer_graph dag = random_dag(rng, 6);
    REQUIRE_FALSE(dag.is_chain());

    const auto expect = [](const error& e, const char* where, const char* what) {
        CHECK(e.kind() == error_kind::validation);
        CHECK_MESSAGE(std::string(e.what()).find(where) != std::string::npos, e.what());
        CHECK_MESSAGE(std::string(e.what()).find(what) != std::string::npos, e.what());
    };

    SUBCASE("viterbi_chain") {
        expect(thrown_by([&] { viterbi_chain(dag, model); }), "viterbi_chain", "is not a chain");
        expect(thrown_by([&] { viterbi_chain(chain, model, 2); }), "viterbi_chain",
               "device node 2 ('edge0') is not a local device");
        expect(thrown_by([&] { viterbi_chain(chain, model, 9); }), "viterbi_chain", "out of range");
        expect(thrown_by([&] { viterbi_chain(chain, model, 0, pin_list(3)); }), "viterbi_chain",
               "pinned has 3 entries but the model has 4 layers");
        pin_list other_device(4);
        other_device[2] = 1;  // the watch: another task's device
        expect(thrown_by([&] { viterbi_chain(chain, model, 0, other_device); }), "viterbi_chain",
               "layer 2 ('l2') is pinned to node 1 ('watch'), which is not allowed");
        pin_list outside(4);
        outside[0] = 7;
        expect(thrown_by([&] { viterbi_chain(chain, model, 0, outside); }), "viterbi_chain",
               "pinned to node 7");
    }
    SUBCASE("min_cut_two_nodes") {
        expect(thrown_by([&] { min_cut_two_nodes(dag, model, 0, 0); }), "min_cut_two_nodes",
               "is the device itself");
        expect(thrown_by([&] { min_cut_two_nodes(dag, model, 0, 1); }), "min_cut_two_nodes",
               "remote node 1 ('watch') is a local device");
        expect(thrown_by([&] { min_cut_two_nodes(dag, model, 0, 12); }), "min_cut_two_nodes",
               "remote node 12 is out of range");
        expect(thrown_by([&] { min_cut_two_nodes(dag, model, 3, 2); }), "min_cut_two_nodes",
               "device node 3 ('cloud') is not a local device");
        pin_list third(dag.size());
        third[1] = 3;  // the cloud, while the cut is between the phone and the edge
        expect(thrown_by([&] { min_cut_two_nodes(dag, model, 0, 2, third); }), "min_cut_two_nodes",
               "layer 1 ('l1') is pinned to node 3 ('cloud')");
        // A NaN capacity would silently corrupt the flow, so the cut refuses it.
        struct broken_model {
            const analytic_model* base;
            const environment& env() const { return base->env(); }
            double compute_time(const layer& l, node_id s) const {
                return l.name == "l1" ? std::nan("") : base->compute_time(l, s);
            }
            double transfer_time(double bytes, node_id from, node_id to) const {
                return base->transfer_time(bytes, from, to);
            }
        };
        static_assert(cost_model<broken_model>);
        const broken_model broken{&model};
        expect(thrown_by([&] { min_cut_two_nodes(dag, broken, 0, 2); }), "min_cut_two_nodes",
               "the cost model returned nan s for computing layer 1 ('l1')");
    }
    SUBCASE("enumerate_placements") {
        sequential_problem big(dag, model, 0, {0, 2, 3}, {});  // 3^6 = 729 candidates
        expect(thrown_by([&] { enumerate_placements(big, 728); }), "enumerate_placements",
               "more than max_candidates = 728");
        struct huge {
            std::vector<node_id> c{0, 1, 2, 3};
            std::size_t dimension() const { return 200; }  // 4^200 would overflow any integer
            std::span<const node_id> choices(std::size_t) const { return c; }
            evaluation evaluate(std::span<const node_id>) { return {}; }
        };
        huge h;
        expect(thrown_by([&] { enumerate_placements(h); }), "enumerate_placements",
               "max_candidates");
        struct empty_gene {
            std::vector<node_id> c{};
            std::size_t dimension() const { return 2; }
            std::span<const node_id> choices(std::size_t) const { return c; }
            evaluation evaluate(std::span<const node_id>) { return {}; }
        };
        empty_gene e;
        expect(thrown_by([&] { enumerate_placements(e); }), "enumerate_placements",
               "gene 0 has no choice");
    }
    SUBCASE("sequential_delay") {
        const std::vector<node_id> short_x{0, 0};
        expect(thrown_by([&] { sequential_delay(chain, model, short_x); }), "sequential_delay",
               "the placement has 2 genes but the model has 4 layers");
        const std::vector<node_id> outside{0, 0, 9, 0};
        expect(thrown_by([&] { sequential_delay(chain, model, outside); }), "sequential_delay",
               "layer 2 ('l2') is placed on node 9");
    }
}

#ifdef EOSDNN_TEST_HAS_DELAY_EVALUATOR
TEST_CASE("exact: enumeration over delay_evaluator equals viterbi on small chains") {
    for (std::uint32_t seed : seeds) {
        CAPTURE(seed);
        std::mt19937 rng(seed + 5000);
        const bool second_local = chance(rng, 0.3);
        const analytic_model model(random_environment(rng, second_local, pick(rng, 1, 2), true));
        const node_id device = second_local && chance(rng, 0.5) ? 1 : 0;
        const layer_graph g = random_chain(rng, pick(rng, 1, 6));
        const pin_list pins = random_pins(rng, g.size(), allowed_nodes(model.env(), device));
        // The evaluator reports a broken pin as a violation, so the best feasible candidate of
        // the enumeration is the pinned optimum.
        delay_evaluator<analytic_model> evaluator(g, model, {}, {.pinned = pins}, device);
        const enumerated_plan best = enumerate_placements(evaluator);
        const exact_plan path = viterbi_chain(g, model, device, pins);
        CHECK(best.value.feasible());
        CHECK(best.value.delay_s == doctest::Approx(path.delay_s).epsilon(1e-9));
        CHECK(evaluator.evaluate(path.placement).delay_s ==
              doctest::Approx(path.delay_s).epsilon(1e-12));
    }
}
#endif
