// solve_exact() (bucket elimination with branch and bound) against independent references:
// enumeration on small random DAGs with 3-6 nodes and asymmetric links (with pins, memory,
// upload and energy terms), Viterbi on chains and the min cut on two nodes at zoo sizes; then
// time limits, the large moves and the lower bounds.
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/multi_task_evaluator.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/optim/exact.hpp>
#include <eosdnn/optim/exact_dag.hpp>
#include <eosdnn/optim/large_moves.hpp>
#include <eosdnn/optim/lower_bound.hpp>
#include <eosdnn/optim/seeding.hpp>
#include <eosdnn/zoo/random_dag.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include "../error_message.hpp"
#include "../milp/capped_six.hpp"
#include "fixtures.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace eosdnn;
using optim_test::uniform;

// A device, then edges and a cloud, every ordered pair linked with its own bandwidth and latency
// (so links are asymmetric and a relay through a third node can pay), optionally a power profile
// on the device and a memory capacity on the first edge.
environment random_environment(std::size_t nodes, std::mt19937_64& rng, double edge_memory = 0) {
    environment_builder b;
    std::vector<node_id> ids;
    ids.push_back(
        b.add_node({.name = "device",
                    .tier = tier::local,
                    .flops_per_s = 1e10,
                    .power = power_profile{.compute_w = 3, .transmit_w = 1.5, .idle_w = 0.3}}));
    for (std::size_t k = 1; k < nodes; ++k) {
        node n{.name = "s" + std::to_string(k),
               .tier = k + 1 == nodes ? tier::cloud : tier::edge,
               .flops_per_s = std::pow(10.0, uniform(rng, 10.5, 12.5))};
        if (k == 1 && edge_memory > 0) n.memory_bytes = edge_memory;
        ids.push_back(b.add_node(n));
    }
    for (node_id a : ids)
        for (node_id c : ids)
            if (a != c)
                b.connect_one_way(a, c,
                                  {.bandwidth_Bps = mbps(std::pow(10.0, uniform(rng, 0, 3))),
                                   .latency_s = uniform(rng, 0.0005, 0.03)});
    return b.build();
}

double relative(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-300); }

}  // namespace

TEST_CASE("solve_exact equals enumeration on random DAGs of 3-6 nodes") {
    std::mt19937_64 rng(77);
    int cases = 0;
    for (int trial = 0; trial < 80; ++trial) {
        const std::size_t nodes = 3 + static_cast<std::size_t>(trial % 4);
        // Enumeration stays under ~2e5 placements: fewer layers for more nodes.
        const std::size_t layers = nodes <= 4 ? 5 + trial % 4 : 4 + trial % 3;
        const layer_graph g = trial % 5 == 0 ? optim_test::random_chain(layers, rng)
                                             : optim_test::random_dag(layers, rng);
        const int variant = trial % 4;  // 0 plain, 1 pins, 2 memory, 3 upload and energy
        const environment env = random_environment(nodes, rng, variant == 2 ? 2e6 : 0);
        const analytic_model model(env);
        objective_options o;
        constraints c;
        if (variant == 1) {
            c.pinned.assign(g.size(), std::nullopt);
            c.pinned[g.input()] = node_id{0};
            c.pinned[g.topological_order()[layers / 2]] = static_cast<node_id>(nodes - 1);
        }
        if (variant == 3) {
            o.include_upload = true;
            o.energy_weight = 0.05;
        }
        delay_evaluator<analytic_model> problem(g, model, o, c);
        const enumerated_plan best = enumerate_placements(problem);
        CAPTURE(trial);
        CAPTURE(variant);
        const exact_result r = solve_exact(problem);
        CHECK(r.proven_optimal);
        CHECK(r.constraints_honoured);
        CHECK(r.value.feasible() == best.value.feasible());
        if (best.value.feasible()) {
            CHECK(relative(r.value.objective, best.value.objective) < 1e-9);
            CHECK(r.lower_bound <= best.value.objective);
            ++cases;
        }
        // Branch and bound with a table budget too small for any join gives the same optimum.
        const exact_result split = solve_exact(problem, {.table_entries = 64});
        CHECK(split.proven_optimal == best.value.feasible());
        if (best.value.feasible())
            CHECK(relative(split.value.objective, best.value.objective) < 1e-9);
        // Any elimination order gives the same optimum: the one the solve used, handed back as
        // a re-planner does, and a random permutation.
        CHECK(r.elimination_order.size() >= g.size());  // the layers, then receiver sets
        std::vector<std::uint32_t> shuffled = r.elimination_order;
        std::mt19937_64 order_rng(static_cast<std::uint64_t>(trial));
        std::shuffle(shuffled.begin(), shuffled.end(), order_rng);
        for (const auto& order : {r.elimination_order, shuffled}) {
            exact_options with_order;
            with_order.elimination_order = order;
            const exact_result again = solve_exact(problem, with_order);
            CHECK(again.elimination_order == order);
            CHECK(again.proven_optimal == best.value.feasible());
            if (best.value.feasible())
                CHECK(relative(again.value.objective, best.value.objective) < 1e-9);
        }
    }
    CHECK(cases >= 70);
}

TEST_CASE("solve_exact equals Viterbi on chains and the min cut on two nodes at zoo sizes") {
    for (auto speed : {optim_test::link_speed::slow, optim_test::link_speed::medium,
                       optim_test::link_speed::fast}) {
        CAPTURE(optim_test::to_string(speed));
        const environment four = optim_test::three_tier(speed), two = optim_test::two_node(speed);
        const analytic_model m4(four), m2(two);
        for (const char* name : {"alexnet", "vgg16"}) {
            const layer_graph g = zoo_model(name);
            delay_evaluator<analytic_model> p(g, m4);
            const exact_result r = solve_exact(p);
            CHECK(r.proven_optimal);
            CHECK(relative(r.value.delay_s, viterbi_chain(g, m4).delay_s) < 1e-12);
        }
        for (const char* name : {"resnet18", "resnet50", "googlenet", "mobilenet_v2"}) {
            CAPTURE(name);
            const layer_graph g = zoo_model(name);
            delay_evaluator<analytic_model> p(g, m2);
            const exact_result r = solve_exact(p);
            CHECK(r.proven_optimal);
            CHECK(relative(r.value.delay_s, min_cut_two_nodes(g, m2, 0, 1).delay_s) < 1e-12);
        }
    }
}

TEST_CASE("solve_exact: a time limit keeps a valid plan and bound and an incumbent is never lost" *
          doctest::test_suite("slow")) {
    std::mt19937_64 rng(3);
    const layer_graph g = optim_test::random_dag(400, rng);
    const environment env = random_environment(6, rng);
    const analytic_model model(env);
    delay_evaluator<analytic_model> p(g, model);
    const exact_result full = solve_exact(p);
    REQUIRE(full.proven_optimal);
    // A budget of 64 entries forces mini-buckets; a microsecond stops the search early.
    const std::vector<node_id> local(g.size(), 0);
    const exact_result cut =
        solve_exact(p, {.time_limit_s = 1e-6, .table_entries = 64, .incumbent = local});
    CHECK(cut.placement.size() == g.size());
    CHECK(cut.lower_bound <= full.value.objective);
    CHECK(cut.value.objective <= p.evaluate(std::span<const node_id>(local)).objective);
    CHECK(cut.value.objective >= full.value.objective * (1 - 1e-12));
    if (!cut.proven_optimal) CHECK(cut.timed_out);
}

TEST_CASE("solve_exact: the time limit holds on a large DAG whose capacities need repairs") {
    // 3000 layers over six nodes whose capacities bind: the plans of the capacity bounds are
    // repaired move by move, each priced in full, which took 50 s for a 0.5 s limit before the
    // repairs gave up with the bounds' budget.
    const layer_graph g = make_random_dag({.layers = 3000, .shape = dag_shape::mixed, .seed = 6});
    const environment env = milp_test::capped_six(milp_test::caps_a);
    const profiled_model model(env);
    delay_evaluator p(g, model);
    const exact_result r = solve_exact(p, {.time_limit_s = 0.5});
    CHECK(r.placement.size() == g.size());
    CHECK(r.value.feasible());
    CHECK(r.lower_bound <= r.value.objective);
    // Not a speed claim: ten times the limit, where it took a hundred.
    CHECK(r.seconds < 5);
}

TEST_CASE("solve_exact: more than 64 nodes gives a plan and a bound, exact on chains") {
    std::mt19937_64 rng(21);
    const environment env = random_environment(70, rng);
    const analytic_model model(env);
    const layer_graph chain = optim_test::random_chain(30, rng);
    delay_evaluator<analytic_model> on_chain(chain, model);
    const exact_result c = solve_exact(on_chain);
    CHECK(c.proven_optimal);
    CHECK(relative(c.value.delay_s, viterbi_chain(chain, model).delay_s) < 1e-12);
    const layer_graph dag = optim_test::random_dag(30, rng);
    delay_evaluator<analytic_model> on_dag(dag, model);
    const exact_result d = solve_exact(on_dag, {.time_limit_s = 5});
    REQUIRE(d.placement.size() == dag.size());
    CHECK(d.lower_bound <= d.value.objective);
    CHECK(d.lower_bound > 0);
    for (const auto& x : tier_plans(on_dag, env))
        CHECK(d.value.objective <= on_dag.evaluate(std::span<const node_id>(x)).objective);
}

TEST_CASE("large_moves: never worse, pins kept, and from all-local to the optimum on the zoo") {
    const environment env = optim_test::three_tier(optim_test::link_speed::medium);
    const analytic_model model(env);
    for (const char* name : {"alexnet", "resnet18", "googlenet"}) {
        CAPTURE(name);
        const layer_graph g = zoo_model(name);
        constraints c;
        c.pinned.assign(g.size(), std::nullopt);
        c.pinned[g.output()] = node_id{2};
        delay_evaluator<analytic_model> p(g, model, {}, c);
        const exact_result best = solve_exact(p);
        std::vector<node_id> x(g.size(), 0);
        x[g.output()] = 2;
        evaluation value = p.evaluate(std::span<const node_id>(x));
        const evaluation start = value;
        large_moves(p, x, value);
        CHECK(value.objective <= start.objective);
        CHECK(x[g.output()] == 2);
        CHECK(p.evaluate(std::span<const node_id>(x)).objective == value.objective);
        CHECK(relative(value.objective, best.value.objective) < 1e-9);
    }
}

TEST_CASE("large_moves under binding capacities: optimal in every one-node expansion") {
    // Random DAGs of 7 layers on a device and three servers that each hold a third of the
    // parameters at most. Every expansion of the last round was solved exactly (no time limits)
    // from the final plan and did not improve it, so no plan of any one-node expansion
    // neighbourhood that fits the capacities is better: checked by enumerating each. Moves that
    // leave the capacities out (memory = false) return plans that break them and stall where
    // the capacity-honouring ones go on.
    std::mt19937_64 rng(83);
    int stalled_without = 0;
    for (int trial = 0; trial < 12; ++trial) {
        CAPTURE(trial);
        const layer_graph g = optim_test::random_dag(7, rng);
        const environment env =
            optim_test::with_server_memory(random_environment(4, rng), g.total_param_bytes() / 3);
        const analytic_model model(env);
        delay_evaluator<analytic_model> p(g, model);
        large_move_options o;
        o.capped_move_time_limit_s = 0;
        o.time_limit_s = 0;
        const std::vector<node_id> local(g.size(), 0);
        std::vector<node_id> x = local;
        evaluation value = p.evaluate(std::span<const node_id>(x));
        const evaluation start = value;
        large_moves(p, x, value, o);
        REQUIRE(value.feasible());
        CHECK(value.objective <= start.objective);
        CHECK(p.evaluate(std::span<const node_id>(x)).objective == value.objective);
        for (node_id a = 0; a < env.size(); ++a) {
            std::vector<node_id> y = x;
            for (std::uint32_t mask = 0; mask < (1U << g.size()); ++mask) {
                for (std::size_t j = 0; j < g.size(); ++j) y[j] = (mask >> j) & 1 ? a : x[j];
                const evaluation e = p.evaluate(std::span<const node_id>(y));
                if (e.feasible()) CHECK(e.objective >= value.objective * (1 - 1e-12));
            }
        }
        o.memory = false;
        std::vector<node_id> blind = local;
        evaluation blind_value = start;
        large_moves(p, blind, blind_value, o);
        CHECK(blind_value.feasible());
        if (blind_value.objective > value.objective * (1 + 1e-9)) ++stalled_without;
    }
    CHECK(stalled_without >= 6);  // 11 of the 12 here
}

TEST_CASE("lower bounds: the structural bound and certify() hold on every schedule") {
    std::mt19937_64 rng(9);
    for (int trial = 0; trial < 20; ++trial) {
        const layer_graph g = optim_test::random_dag(6, rng);
        const environment env = random_environment(3 + static_cast<std::size_t>(trial % 3), rng);
        const analytic_model model(env);
        for (auto schedule :
             {dag_schedule::sequential, dag_schedule::list_scheduled, dag_schedule::unbounded}) {
            delay_evaluator<analytic_model> p(g, model, {.schedule = schedule});
            const double optimum = enumerate_placements(p).value.objective;
            CHECK(structural_lower_bound(p) <= optimum * (1 + 1e-12));
            CHECK(structural_lower_bound(p) > 0);
            if (schedule != dag_schedule::sequential) continue;
            optimisation_result r;
            r.placement.assign(g.size(), 0);
            r.value = p.evaluate(std::span<const node_id>(r.placement));
            const exact_result e = certify(p, r);
            CHECK(r.placement == std::vector<node_id>(g.size(), 0));  // the plan is kept
            CHECK(r.lower_bound <= optimum);
            CHECK(r.lower_bound >= optimum * (1 - 1e-9));
            CHECK(r.proven_optimal == (relative(r.value.objective, optimum) <= 1e-9));
            CHECK(relative(e.value.objective, optimum) < 1e-9);
        }
    }
}

TEST_CASE("lower bounds: several tasks are bounded by their critical paths") {
    std::mt19937_64 rng(10);
    const environment env = optim_test::two_devices(optim_test::link_speed::medium);
    const analytic_model model(env);
    for (int trial = 0; trial < 6; ++trial) {
        const layer_graph a = optim_test::random_dag(4, rng), b = optim_test::random_chain(3, rng);
        std::vector<dnn_task> tasks{{.graph = a, .device = 0}, {.graph = b, .device = 1}};
        for (auto aggregate :
             {task_aggregate::mean, task_aggregate::makespan, task_aggregate::sum}) {
            multi_task_evaluator<analytic_model> p(tasks, model, {.aggregate = aggregate});
            const double optimum = enumerate_placements(p).value.objective;
            const double bound = structural_lower_bound(p);
            CHECK(bound > 0);
            CHECK(bound <= optimum * (1 + 1e-12));
        }
    }
}

TEST_CASE("solve_exact: bad input is refused with a message") {
    const environment env = optim_test::three_tier(optim_test::link_speed::fast);
    const analytic_model model(env);
    const layer_graph g = zoo_model("alexnet");
    delay_evaluator<analytic_model> listed(g, model, {.schedule = dag_schedule::list_scheduled});
    const auto says = [](const std::string& message, const std::string& part) {
        CAPTURE(message);
        CHECK(message.find(part) != std::string::npos);
    };
    says(test::validation_message([&] { solve_exact(listed); }), "sequential schedule only");
    delay_evaluator<analytic_model> p(g, model);
    says(test::validation_message([&] { solve_exact(p, {.time_limit_s = -1}); }),
         "exact_options.time_limit_s");
    says(test::validation_message([&] {
             solve_exact(p, {.incumbent = {0, 1}});
         }),
         "incumbent has 2 genes for 23 layers");
    // An elimination order that does not fit the model is a hint ignored: the same optimum.
    const exact_result plain = solve_exact(p);
    for (const auto& misfit :
         {std::vector<std::uint32_t>{0, 1, 2}, std::vector<std::uint32_t>(g.size(), 0)}) {
        exact_options hint;
        hint.elimination_order = misfit;
        const exact_result r = solve_exact(p, hint);
        CHECK(r.elimination_order == plain.elimination_order);
        CHECK(r.value.objective == plain.value.objective);
    }
    std::vector<std::vector<node_id>> domains(g.size(), std::vector<node_id>{0});
    domains[3] = {};
    says(test::validation_message(
             [&] { solve_exact_within(p, std::span<const std::vector<node_id>>(domains)); }),
         "layer 3 may take no node");
    // The large moves' options, each limit by name.
    std::vector<node_id> x(g.size(), 0);
    evaluation value = p.evaluate(std::span<const node_id>(x));
    says(test::validation_message(
             [&] { large_moves(p, x, value, {.expansion_nodes = 0, .window = 0}); }),
         "no move is enabled");
    says(test::validation_message([&] {
             large_move_options o;
             o.capped_move_time_limit_s = -1;
             large_moves(p, x, value, o);
         }),
         "large_move_options.capped_move_time_limit_s is -1");
    says(test::validation_message([&] {
             large_move_options o;
             o.move_time_limit_s = std::nan("");
             large_moves(p, x, value, o);
         }),
         "large_move_options.move_time_limit_s is nan");
}
