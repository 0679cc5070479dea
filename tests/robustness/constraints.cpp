// Robustness: constraints that no plan can satisfy, and pins on nodes that do not exist
// (issue 7).
//
// Memory capacities and pins are soft constraints of the evaluators: a placement that breaks them
// is still priced, and the excess is reported as violation > 0 (docs/model.md), so that an
// optimiser can move from infeasible placements towards feasible ones. No evaluator or exact
// solver throws error_kind::infeasible; a caller that needs a feasible plan checks the violation
// of the best one (eosdnn-plan does). check_memory_feasible() throws it up front for the cases
// that are certain. A pin on a node that is not in the environment, by contrast, is a malformed
// input and throws at construction.

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/cost/feasibility.hpp>
#include <eosdnn/cost/multi_task_evaluator.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/optim/exact.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <optional>
#include <span>
#include <string>
#include <vector>

using namespace eosdnn;
using test::error_message;

namespace {

// A phone and an edge server, each holding `capacity` bytes of parameters; optionally an
// uncapped cloud.
environment capped_nodes(double capacity, bool with_cloud) {
    environment_builder b;
    b.add_node(
        {.name = "phone", .tier = tier::local, .flops_per_s = 1e9, .memory_bytes = capacity});
    b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1e11, .memory_bytes = capacity});
    b.connect(0, 1, {.bandwidth_Bps = 1e6, .latency_s = 0.01});
    if (with_cloud) {
        b.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 1e12});
        b.connect(0, 2, {.bandwidth_Bps = 1e5, .latency_s = 0.05});
        b.connect(1, 2, {.bandwidth_Bps = 1e7, .latency_s = 0.02});
    }
    return b.build();
}

// A chain input -> one layer per entry of `params` (its parameter bytes) -> nothing more.
layer_graph chain_with_params(const std::string& name, const std::vector<double>& params) {
    layer_graph_builder b(name);
    layer_id previous = b.add_layer({.name = name + "_in", .kind = "input", .output_bytes = 1000});
    for (std::size_t i = 0; i < params.size(); ++i)
        previous = b.add_layer({.name = name + "_" + std::to_string(i),
                                .flops = 1e6,
                                .param_bytes = params[i],
                                .output_bytes = 100},
                               {previous});
    return b.build();
}

}  // namespace

TEST_CASE(
    "robustness: a layer larger than every node's memory: every placement violates, none throws") {
    const analytic_model model(capped_nodes(1000, false));
    const layer_graph g = chain_with_params("m", {5000});
    delay_evaluator ev(g, model);
    const enumerated_plan best = enumerate_placements(ev);
    CHECK(best.candidates == 4);
    // (5000 - 1000) / 1000 wherever the big layer goes: the least violation is still 4.
    CHECK(best.value.violation == doctest::Approx(4));
    CHECK_FALSE(best.value.feasible());
    CHECK(std::isfinite(best.value.delay_s));

    // The exact solvers optimise the delay alone: their plan is the fastest, and as infeasible.
    const exact_plan fastest = viterbi_chain(g, model);
    CHECK(ev.evaluate(std::span<const node_id>(fastest.placement)).violation == doctest::Approx(4));
    // Without the memory constraint the same placements are feasible.
    delay_evaluator unconstrained(g, model, {}, {.memory = false});
    CHECK(enumerate_placements(unconstrained).value.feasible());
}

TEST_CASE("robustness: layers that fit one by one but not together") {
    // Three layers of 800 bytes on two nodes of 1000: one node must hold two (0.6 over).
    const analytic_model model(capped_nodes(1000, false));
    delay_evaluator ev(chain_with_params("m", {800, 800, 800}), model);
    CHECK(enumerate_placements(ev).value.violation == doctest::Approx(0.6));
    // An uncapped cloud makes it feasible.
    const analytic_model with_cloud(capped_nodes(1000, true));
    delay_evaluator feasible(chain_with_params("m", {800, 800, 800}), with_cloud);
    CHECK(enumerate_placements(feasible).value.feasible());
}

TEST_CASE("robustness: a pin that the memory cannot hold costs the excess, a broken pin costs 1") {
    const analytic_model model(capped_nodes(1000, false));
    const layer_graph g = chain_with_params("m", {5000});
    delay_evaluator ev(g, model, {}, {.pinned = {std::nullopt, node_id{1}}});
    const enumerated_plan best = enumerate_placements(ev);
    CHECK(best.value.violation == doctest::Approx(4));  // on the edge as pinned, 4000 bytes over
    CHECK(best.placement[1] == 1);
    CHECK(ev.evaluate(std::vector<node_id>{0, 0}).violation ==
          doctest::Approx(5));  // over, and unpinned
}

TEST_CASE("robustness: tasks that share an edge server too small for both") {
    environment_builder b;
    b.add_node({.name = "phone_a", .tier = tier::local, .flops_per_s = 1e9, .memory_bytes = 100});
    b.add_node({.name = "phone_b", .tier = tier::local, .flops_per_s = 1e9, .memory_bytes = 100});
    b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1e11, .memory_bytes = 1000});
    b.connect(0, 2, {.bandwidth_Bps = 1e6});
    b.connect(1, 2, {.bandwidth_Bps = 1e6});
    const analytic_model model(b.build());
    std::vector<dnn_task> tasks{{.graph = chain_with_params("a", {600}), .device = 0},
                                {.graph = chain_with_params("b", {600}), .device = 1}};
    multi_task_evaluator ev(tasks, model);
    // Both big layers on the edge (200 over 1000) beats either on its phone (500 over 100).
    const enumerated_plan best = enumerate_placements(ev);
    CHECK(best.value.violation == doctest::Approx(0.2));
    CHECK(best.placement == std::vector<node_id>{0, 2, 1, 2});
}

TEST_CASE("robustness: a layer pinned to a node that does not exist is refused at construction") {
    const analytic_model model(capped_nodes(1000, true));
    const layer_graph g = chain_with_params("m", {10, 10});
    CHECK(error_message(error_kind::validation,
                        [&] {
                            delay_evaluator ev(
                                g, model, {},
                                {.pinned = {std::nullopt, node_id{65535}, std::nullopt}});
                        }) ==
          "delay_evaluator: constraints.pinned[1] pins layer 'm_0' to node 65535, out of range: "
          "the environment has 3 nodes");
    CHECK(
        error_message(error_kind::validation,
                      [&] {
                          multi_task_evaluator ev(
                              std::vector<dnn_task>{
                                  {.graph = g, .pinned = {std::nullopt, std::nullopt, node_id{3}}}},
                              model);
                      }) ==
        "multi_task_evaluator: task 0: pinned[2] pins layer 'm_1' to node 3, out of range: "
        "the environment has 3 nodes");
    const std::vector<std::optional<node_id>> pins{std::nullopt, node_id{9}, std::nullopt};
    CHECK(error_message(error_kind::validation, [&] { min_cut_two_nodes(g, model, 0, 1, pins); }) ==
          "min_cut_two_nodes: layer 1 ('m_0') is pinned to node 9, which is not allowed: pins must "
          "name the "
          "device node 0 ('phone') or the remote node 1 ('edge')");
    CHECK(error_message(error_kind::validation, [&] { viterbi_chain(g, model, 0, pins); }) ==
          "viterbi_chain: layer 1 ('m_0') is pinned to node 9, which is not allowed: pins must "
          "name the "
          "device or an edge or cloud node");
}

TEST_CASE("robustness: check_memory_feasible proves infeasibility before optimising") {
    // One layer larger than every node it may use.
    CHECK(
        error_message(error_kind::infeasible,
                      [] {
                          check_memory_feasible(chain_with_params("m", {500, 5000}),
                                                capped_nodes(1000, false), 0);
                      }) ==
        "model 'm': layer 'm_1' has 5000 parameter bytes, more than the memory of any node it may "
        "run on (the largest, 'phone', holds 1000 bytes)");
    // Layers that fit one by one but not in total.
    CHECK(error_message(error_kind::infeasible,
                        [] {
                            check_memory_feasible(chain_with_params("m", {800, 800, 800}),
                                                  capped_nodes(1000, false), 0);
                        }) ==
          "model 'm': its layers hold 2400 parameter bytes, 400 more than the memory of every node "
          "it may run on together (phone 1000, edge 1000)");
    // An uncapped node (the cloud) makes both possible; packing is left to the optimiser.
    CHECK_NOTHROW(
        check_memory_feasible(chain_with_params("m", {5000}), capped_nodes(1000, true), 0));
    CHECK_NOTHROW(check_memory_feasible(chain_with_params("m", {600, 600, 600}),
                                        capped_nodes(1000, false), 0));
    // Another task's device does not count: phone_b's memory is not phone_a's.
    environment_builder b;
    b.add_node({.name = "phone_a", .tier = tier::local, .flops_per_s = 1e9, .memory_bytes = 100});
    b.add_node({.name = "phone_b", .tier = tier::local, .flops_per_s = 1e9});
    b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1e11, .memory_bytes = 1000});
    b.connect(0, 2, {.bandwidth_Bps = 1e6});
    b.connect(1, 2, {.bandwidth_Bps = 1e6});
    const environment env = b.build();
    CHECK(error_message(error_kind::infeasible,
                        [&] { check_memory_feasible(chain_with_params("a", {2000}), env, 0); }) ==
          "model 'a': layer 'a_0' has 2000 parameter bytes, more than the memory of any node it "
          "may run on "
          "(the largest, 'edge', holds 1000 bytes)");
    CHECK_NOTHROW(check_memory_feasible(chain_with_params("a", {2000}), env, 1));
    CHECK(error_message(error_kind::validation,
                        [&] { check_memory_feasible(chain_with_params("a", {1}), env, 2); }) ==
          "model 'a': check_memory_feasible: the device, node 2, is not a local node of the "
          "environment");
}
