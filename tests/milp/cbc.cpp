// The CBC backend against the references it must agree with: enumeration on small random DAGs
// (latency, pins, upload, energy, memory), Viterbi on chains, the min cut with two nodes; then
// the time limit, the incumbent and the errors.
#include <eosdnn/milp/cbc.hpp>

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/optim/exact.hpp>

#include "../error_message.hpp"
#include "../graph/test_graphs.hpp"
#include "../optim/fixtures.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace eosdnn;

namespace {

using pin_list = std::vector<std::optional<node_id>>;

/// |a - b| relative to the larger magnitude (0 when both are 0).
double relative_difference(double a, double b) {
    const double scale = std::max(std::abs(a), std::abs(b));
    return scale == 0 ? 0 : std::abs(a - b) / scale;
}

/// An environment drawn from `seed`: a phone with a power profile, optionally a second phone
/// (never a choice of our task), and `servers` edge or cloud nodes; every required pair gets
/// different random up and down links. `capacity` puts a memory capacity on one node; the rest
/// of the draw does not depend on it, so the same seed rebuilds the same environment with it.
environment random_environment(std::uint64_t seed, std::size_t servers, bool second_phone,
                               std::optional<std::pair<node_id, double>> capacity = {}) {
    std::mt19937_64 rng(seed);
    const auto u = [&](double lo, double hi) { return optim_test::uniform(rng, lo, hi); };
    const auto log_u = [&](double lo, double hi) {
        return std::exp(u(std::log(lo), std::log(hi)));
    };
    environment_builder b;
    b.add_node({.name = "phone",
                .tier = tier::local,
                .flops_per_s = log_u(1e10, 5e10),
                .power = power_profile{
                    .compute_w = u(1, 5), .transmit_w = u(0.5, 3), .idle_w = u(0.05, 0.5)}});
    if (second_phone)
        b.add_node({.name = "phone2", .tier = tier::local, .flops_per_s = log_u(1e10, 5e10)});
    for (std::size_t i = 0; i < servers; ++i) {
        const bool cloud = rng() % 3 == 0;
        b.add_node({.name = (cloud ? "cloud" : "edge") + std::to_string(i),
                    .tier = cloud ? tier::cloud : tier::edge,
                    .flops_per_s = cloud ? log_u(1e12, 5e12) : log_u(1e11, 1e12)});
    }
    const auto random_link = [&] {
        return network_link{.bandwidth_Bps = mbps(log_u(2, 1000)),
                            .latency_s = rng() % 4 == 0 ? 0.0 : u(0, 0.04)};
    };
    const std::size_t n = b.size();
    for (std::size_t a = 0; a < n; ++a)
        for (std::size_t c = a + 1; c < n; ++c) {
            if (second_phone && a == 0 && c == 1) continue;  // two local devices: no link
            b.connect(static_cast<node_id>(a), static_cast<node_id>(c), random_link(),
                      random_link());
        }
    environment env = b.build();
    if (!capacity) return env;
    // Rebuilt with the capacity: same nodes, same links.
    environment_builder with;
    for (std::size_t s = 0; s < env.size(); ++s) {
        node copy = env[static_cast<node_id>(s)];
        if (s == capacity->first) copy.memory_bytes = capacity->second;
        with.add_node(copy);
    }
    for (std::size_t a = 0; a < env.size(); ++a)
        for (std::size_t c = 0; c < env.size(); ++c)
            if (const auto& l = env.link_between(static_cast<node_id>(a), static_cast<node_id>(c)))
                with.connect_one_way(static_cast<node_id>(a), static_cast<node_id>(c), *l);
    return with.build();
}

/// A random DAG of n layers whose ids are not in topological order, with layers whose work,
/// parameters and outputs span orders of magnitude (so optima mix nodes) and some layers with
/// several consumers.
layer_graph random_model(std::size_t n, std::mt19937_64& rng) {
    auto edges = test::random_dag_edges(n, n / 2, rng);
    std::vector<std::size_t> id_of(n);
    std::iota(id_of.begin(), id_of.end(), std::size_t{0});
    std::shuffle(id_of.begin() + 1, id_of.end(), rng);  // ids 1.. shuffled, the input stays 0
    layer_graph_builder b("random_model");
    b.set_input_bytes(150528);
    std::vector<layer> layers(n);
    for (std::size_t p = 0; p < n; ++p)
        layers[id_of[p]] = optim_test::random_layer("l" + std::to_string(id_of[p]), rng);
    for (layer& l : layers) b.add_layer(std::move(l));
    for (auto [a, c] : edges) b.add_edge(id_of[a], id_of[c]);
    return b.build();
}

/// Random pins on about a third of the layers, each on one of the task's allowed nodes.
pin_list random_pins(std::size_t n, std::span<const node_id> allowed, std::mt19937_64& rng) {
    pin_list pins(n);
    for (auto& p : pins)
        if (rng() % 3 == 0) p = allowed[rng() % allowed.size()];
    return pins;
}

/// The phone at a fraction of its clock, as in examples/energy_aware_cost_model.cpp: slower
/// device compute at a cubically lower compute power. A custom energy_cost_model.
struct eco_mode_model {
    analytic_model base;
    double clock = 0.6;

    const environment& env() const { return base.env(); }
    double compute_time(const layer& l, node_id s) const {
        const double t = base.compute_time(l, s);
        return env()[s].tier == tier::local ? t / clock : t;
    }
    double transfer_time(double bytes, node_id from, node_id to) const {
        return base.transfer_time(bytes, from, to);
    }
    std::optional<power_profile> device_power(node_id device) const {
        auto p = base.device_power(device);
        if (p) p->compute_w *= clock * clock * clock;
        return p;
    }
};
static_assert(energy_cost_model<eco_mode_model>);

/// CBC's plan must be an optimum: the enumeration's objective to a relative 1e-9, proven, with a
/// lower bound at most the objective and within the gap.
template <class Model>
void check_matches_enumeration(const layer_graph& graph, delay_evaluator<Model>& problem) {
    const exact_result r = solve_milp(graph, problem);
    const enumerated_plan reference = enumerate_placements(problem);
    INFO("cbc " << r.value.objective << " enumeration " << reference.value.objective << " bound "
                << r.lower_bound << " nodes " << r.search_nodes);
    CHECK(r.method == "cbc");
    CHECK(r.proven_optimal);
    CHECK_FALSE(r.timed_out);
    CHECK(r.constraints_honoured);
    REQUIRE(r.placement.size() == graph.size());
    CHECK(r.value.violation == reference.value.violation);
    CHECK(relative_difference(r.value.objective, reference.value.objective) <= 1e-9);
    CHECK(r.lower_bound <= r.value.objective);
    CHECK(r.lower_bound >= 0);
    CHECK(r.gap() <= 1e-9);
    // The value is the problem's own evaluation of the plan, not CBC's number.
    const evaluation again = problem.evaluate(r.placement);
    CHECK(again.objective == r.value.objective);
    CHECK(r.seconds >= 0);
}

/// Layers and servers such that enumeration stays below a few hundred thousand placements.
struct size_case {
    std::size_t layers, servers;
};
constexpr size_case sizes[] = {{6, 2}, {6, 4}, {7, 3}, {8, 2}, {8, 3}, {9, 2}, {10, 2}, {7, 4}};

}  // namespace

TEST_CASE("cbc: equals enumeration on random DAGs with asymmetric links") {
    std::uint64_t seed = 100;
    for (const size_case sc : sizes)
        for (bool second_phone : {false, true}) {
            ++seed;
            CAPTURE(seed);
            std::mt19937_64 rng(seed);
            const layer_graph g = random_model(sc.layers, rng);
            const analytic_model model(random_environment(seed, sc.servers, second_phone));
            delay_evaluator problem(g, model);
            REQUIRE(problem.choices(0).size() == sc.servers + 1);
            check_matches_enumeration(g, problem);
        }
}

TEST_CASE("cbc: equals enumeration with pins") {
    for (std::uint64_t seed = 200; seed < 212; ++seed) {
        CAPTURE(seed);
        std::mt19937_64 rng(seed);
        const size_case sc = sizes[seed % std::size(sizes)];
        const layer_graph g = random_model(sc.layers, rng);
        const analytic_model model(random_environment(seed, sc.servers, seed % 2 == 0));
        const delay_evaluator unpinned(g, model);
        const pin_list pins = random_pins(g.size(), unpinned.choices(0), rng);
        delay_evaluator problem(g, model, {}, {.pinned = pins});
        check_matches_enumeration(g, problem);
        const exact_result r = solve_milp(g, problem);
        for (layer_id j = 0; j < g.size(); ++j)
            if (pins[j]) CHECK(r.placement[j] == *pins[j]);
    }
}

TEST_CASE("cbc: equals enumeration with the upload term") {
    for (std::uint64_t seed = 300; seed < 310; ++seed) {
        CAPTURE(seed);
        std::mt19937_64 rng(seed);
        const size_case sc = sizes[seed % std::size(sizes)];
        const layer_graph g = random_model(sc.layers, rng);
        const analytic_model model(random_environment(seed, sc.servers, false));
        delay_evaluator problem(g, model, {.include_upload = true, .latency_weight = 0.7});
        check_matches_enumeration(g, problem);
    }
}

TEST_CASE("cbc: equals enumeration with the energy term") {
    for (std::uint64_t seed = 400; seed < 410; ++seed) {
        CAPTURE(seed);
        std::mt19937_64 rng(seed);
        const size_case sc = sizes[seed % std::size(sizes)];
        const layer_graph g = random_model(sc.layers, rng);
        const eco_mode_model model{
            analytic_model(random_environment(seed, sc.servers, seed % 2 == 1)),
            seed % 2 ? 0.6 : 1.0};
        // From energy only to mostly latency, with and without the upload.
        const double energy_weight = seed % 3 == 0 ? 5.0 : 1.0;
        const double latency_weight = seed % 4 == 0 ? 0.0 : 1.0;
        delay_evaluator problem(g, model,
                                {.latency_weight = latency_weight, .energy_weight = energy_weight});
        check_matches_enumeration(g, problem);
        const exact_result r = solve_milp(g, problem);
        CHECK(r.value.energy_j > 0);
    }
}

TEST_CASE("cbc: equals enumeration when a memory capacity rules out the free optimum") {
    int binding = 0;
    for (std::uint64_t seed = 500; seed < 512; ++seed) {
        CAPTURE(seed);
        std::mt19937_64 rng(seed);
        const size_case sc = sizes[seed % std::size(sizes)];
        const layer_graph g = random_model(sc.layers, rng);
        const bool second_phone = seed % 2 == 1;
        const analytic_model free_model(random_environment(seed, sc.servers, second_phone));
        delay_evaluator free_problem(g, free_model);
        const enumerated_plan free_best = enumerate_placements(free_problem);

        // Half the parameters the free optimum puts on its most loaded node.
        std::vector<double> load(free_model.env().size(), 0.0);
        for (layer_id j = 0; j < g.size(); ++j) load[free_best.placement[j]] += g[j].param_bytes;
        const auto busiest =
            static_cast<node_id>(std::max_element(load.begin(), load.end()) - load.begin());
        const analytic_model model(random_environment(seed, sc.servers, second_phone,
                                                      std::pair{busiest, load[busiest] / 2}));
        delay_evaluator problem(g, model);
        CHECK_FALSE(problem.evaluate(free_best.placement).feasible());
        check_matches_enumeration(g, problem);
        const exact_result r = solve_milp(g, problem);
        CHECK(r.value.feasible());
        CHECK(r.value.objective >= free_best.value.objective * (1 - 1e-12));
        binding += r.value.objective > free_best.value.objective * (1 + 1e-9);

        // With memory off the capacity is ignored and the free optimum comes back.
        delay_evaluator ignoring(g, model, {}, {.memory = false});
        const exact_result free_again = solve_milp(g, ignoring);
        CHECK(relative_difference(free_again.value.objective, free_best.value.objective) <= 1e-9);
    }
    CHECK(binding > 0);
}

TEST_CASE("cbc: equals viterbi on chains, with and without pins") {
    for (std::uint64_t seed = 600; seed < 616; ++seed) {
        CAPTURE(seed);
        std::mt19937_64 rng(seed);
        const std::size_t n = 5 + seed % 20;
        const layer_graph g = optim_test::random_chain(n, rng);
        const analytic_model model(random_environment(seed, 2 + seed % 3, seed % 2 == 0));
        pin_list pins;
        if (seed % 2) pins = random_pins(n, delay_evaluator(g, model).choices(0), rng);
        delay_evaluator problem(g, model, {}, {.pinned = pins});
        const exact_result r = solve_milp(g, problem);
        const exact_plan reference = viterbi_chain(g, model, 0, pins);
        CHECK(r.proven_optimal);
        CHECK(relative_difference(r.value.delay_s, reference.delay_s) <= 1e-9);
        CHECK(r.lower_bound <= r.value.objective);
    }
}

TEST_CASE("cbc: equals the min cut with two nodes on DAGs") {
    for (std::uint64_t seed = 700; seed < 716; ++seed) {
        CAPTURE(seed);
        std::mt19937_64 rng(seed);
        const std::size_t n = 6 + seed % 25;
        const layer_graph g = random_model(n, rng);
        const analytic_model model(random_environment(seed, 1, false));
        delay_evaluator problem(g, model);
        REQUIRE(problem.choices(0).size() == 2);
        const exact_result r = solve_milp(g, problem);
        const node_id remote = problem.choices(0)[1];
        const exact_plan reference = min_cut_two_nodes(g, model, 0, remote);
        CHECK(r.proven_optimal);
        CHECK(relative_difference(r.value.delay_s, reference.delay_s) <= 1e-9);
        CHECK(r.lower_bound <= r.value.objective);
    }
}

TEST_CASE("cbc: a tiny time limit still returns a valid plan and a valid bound") {
    std::mt19937_64 rng(800);
    const layer_graph g = random_model(120, rng);
    const analytic_model model(random_environment(800, 5, true));
    delay_evaluator problem(g, model, {.include_upload = true});
    const exact_result r = solve_milp(g, problem, {.time_limit_s = 1e-3});
    REQUIRE(r.placement.size() == g.size());
    const evaluation again = problem.evaluate(r.placement);  // throws if a gene is not allowed
    CHECK(again.objective == r.value.objective);
    CHECK(r.lower_bound >= 0);
    CHECK(r.lower_bound <= r.value.objective);
    if (r.timed_out) CHECK_FALSE(r.proven_optimal);
    MESSAGE("120 layers, 6 nodes, 1 ms: timed out " << r.timed_out << ", gap " << r.gap());

    // With an incumbent the answer is never worse than it.
    std::vector<node_id> all_on_device(g.size(), 0);
    const evaluation device_only = problem.evaluate(all_on_device);
    const exact_result started =
        solve_milp(g, problem, {.time_limit_s = 1e-3, .incumbent = all_on_device});
    CHECK(started.value.objective <= device_only.objective);
    CHECK(started.lower_bound <= started.value.objective);
}

TEST_CASE("cbc: an optimal incumbent is kept, and a proof needs no time limit") {
    std::mt19937_64 rng(900);
    const layer_graph g = random_model(8, rng);
    const analytic_model model(random_environment(900, 3, false));
    delay_evaluator problem(g, model);
    const enumerated_plan best = enumerate_placements(problem);
    const exact_result r = solve_milp(g, problem, {.incumbent = best.placement});
    CHECK(r.proven_optimal);
    CHECK(relative_difference(r.value.objective, best.value.objective) <= 1e-9);
}

TEST_CASE("cbc: bad inputs throw eosdnn::error naming the problem") {
    std::mt19937_64 rng(1000);
    const layer_graph g = random_model(6, rng);
    const layer_graph other = random_model(7, rng);
    const analytic_model model(random_environment(1000, 2, false));

    delay_evaluator wrong_graph(other, model);
    test::check_validation_error([&] { (void)solve_milp(g, wrong_graph); },
                                 {"solve_milp", "7 genes", "'random_model' has 6 layers"});

    delay_evaluator scheduled(g, model, {.schedule = dag_schedule::list_scheduled});
    test::check_validation_error([&] { (void)solve_milp(g, scheduled); },
                                 {"solve_milp", "dag_schedule::sequential", "supported"});

    delay_evaluator problem(g, model);
    test::check_validation_error([&] { (void)solve_milp(g, problem, {.time_limit_s = -1}); },
                                 {"exact_options.time_limit_s"});
    test::check_validation_error(
        [&] { (void)solve_milp(g, problem, {.incumbent = std::vector<node_id>(3, 0)}); },
        {"solve_milp", "exact_options.incumbent", "the placement has 3 genes, expected 6"});

    // Every node capped below the largest layer: no plan fits.
    const double largest = [&] {
        double m = 0;
        for (layer_id j = 0; j < g.size(); ++j) m = std::max(m, g[j].param_bytes);
        return m;
    }();
    environment_builder b;
    const auto phone = b.add_node(
        {.name = "phone", .tier = tier::local, .flops_per_s = 2e10, .memory_bytes = largest / 2});
    const auto edge = b.add_node(
        {.name = "edge", .tier = tier::edge, .flops_per_s = 5e11, .memory_bytes = largest / 2});
    b.connect(phone, edge, {.bandwidth_Bps = mbps(30), .latency_s = 0.005});
    const analytic_model tight(b.build());
    delay_evaluator impossible(g, tight);
    const std::string message =
        test::error_message(error_kind::infeasible, [&] { (void)solve_milp(g, impossible); });
    CHECK(message.find("solve_milp") != std::string::npos);
    CHECK(message.find("'random_model'") != std::string::npos);
    CHECK(message.find("memory") != std::string::npos);
}
