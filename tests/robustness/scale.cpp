// Robustness: huge inputs (issue 7): 10^5 layers through every reader, evaluator and exact
// solver; a layer with 10^5 inputs; a cycle through 10^5 layers; environments up to the node_id
// limit. Nothing here times anything (timings belong in benchmarks), but each case used to be, or
// would be, slow or unreadable if an algorithm were quadratic or a message listed everything.

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/io/json.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/optim/exact.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <sstream>
#include <string>
#include <vector>

using namespace eosdnn;
using nlohmann::json;
using test::error_message;

namespace {

constexpr std::size_t many = 100'000;

// A profile CSV of a chain of `layers` layers, l0 (the input) to l<layers-1>.
std::string chain_csv(std::size_t layers) {
    std::string text = "name,inputs,output_bytes,param_bytes,macs,client_ms,server_ms\n";
    for (std::size_t i = 0; i < layers; ++i)
        text += "l" + std::to_string(i) + "," + (i ? "l" + std::to_string(i - 1) : std::string()) +
                "," + std::to_string(1000 + i % 7) + "," + std::to_string(i % 5 * 100) +
                ",1000,0.5,0.01\n";
    return text;
}

layer_graph read_text(const std::string& text, const std::string& source) {
    std::istringstream in(text);
    return read_profile_csv(in, source);
}

environment phone_edge_cloud() {
    environment_builder b;
    b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 1e9});
    b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1e11});
    b.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 1e12});
    b.connect(0, 1, {.bandwidth_Bps = 1e7, .latency_s = 0.001});
    b.connect(0, 2, {.bandwidth_Bps = 1e6, .latency_s = 0.02});
    b.connect(1, 2, {.bandwidth_Bps = 1e8, .latency_s = 0.01});
    return b.build();
}

}  // namespace

TEST_CASE("robustness scale: a chain of 10^5 layers through the CSV and JSON readers" *
          doctest::test_suite("slow")) {
    const layer_graph g = read_text(chain_csv(many), "long.csv");
    CHECK(g.size() == many);
    CHECK(g.is_chain());
    CHECK(g[g.output()].name == "l99999");
    CHECK(g.input_bytes() == 1000);

    const layer_graph again = model_from_json(json::parse(to_json(g).dump()));
    CHECK(again.size() == many);
    CHECK(again.topological_order().back() == again.output());

    // An error on the last row still names its line.
    std::string bad = chain_csv(many);
    bad.replace(bad.rfind(",0.5,"), 5, ",-0.5,");
    CHECK(
        error_message(error_kind::validation, [&] { read_text(bad, "long.csv"); }) ==
        "long.csv:100001: column 6 ('client_ms'): '-0.5' is not allowed (must be finite and >= 0)");
}

TEST_CASE("robustness scale: a layer with 10^5 inputs") {
    std::string text = "name,inputs,output_bytes,param_bytes\nin,,8,0\n";
    std::string all;
    for (std::size_t i = 0; i < many; ++i) {
        text += "b" + std::to_string(i) + ",in,4,1\n";
        all += (i ? ";b" : "b") + std::to_string(i);
    }
    const layer_graph g = read_text(text + "concat," + all + ",400000,0\n", "wide.csv");
    CHECK(g.size() == many + 2);
    CHECK(g.predecessors(g.output()).size() == many);
    CHECK(g.successors(g.input()).size() == many);
    // The same input listed twice among them.
    CHECK(error_message(error_kind::validation, [&] {
              read_text(text + "concat," + all + ";b7,400000,0\n", "wide.csv");
          }) == "wide.csv:100003: model 'wide': duplicate edge 'b7' -> 'concat'");
}

TEST_CASE("robustness scale: a cycle through 10^5 layers is named by its ends, not listed") {
    // Found while writing these tests: the message listed all 10^5 layers (about a megabyte).
    json layers = json::array();
    for (std::size_t i = 0; i < many; ++i)
        layers.push_back({{"name", "l" + std::to_string(i)},
                          {"inputs", {"l" + std::to_string(i ? i - 1 : many - 1)}}});
    CHECK(error_message(error_kind::validation,
                        [&] {
                            model_from_json({{"name", "ring"}, {"layers", layers}});
                        }) ==
          "model JSON /layers: model 'ring': the layers contain a cycle: 'l0' -> 'l1' -> 'l2' -> "
          "'l3' -> ... "
          "(99992 more layers) -> 'l99996' -> 'l99997' -> 'l99998' -> 'l99999' -> 'l0'");
    // Short cycles are still listed whole.
    layer_graph_builder b("m");
    std::vector<layer_id> ids;
    for (int i = 0; i < 9; ++i) ids.push_back(b.add_layer({.name = "c" + std::to_string(i)}));
    for (int i = 0; i < 9; ++i)
        b.add_edge(ids[static_cast<std::size_t>(i)], ids[static_cast<std::size_t>((i + 1) % 9)]);
    CHECK(error_message(error_kind::validation, [&] { (void)b.build(); }) ==
          "model 'm': the layers contain a cycle: 'c0' -> 'c1' -> 'c2' -> 'c3' -> 'c4' -> 'c5' -> "
          "'c6' -> 'c7' -> "
          "'c8' -> 'c0'");
}

TEST_CASE("robustness scale: evaluators and exact solvers on 10^5 layers") {
    const layer_graph g = read_text(chain_csv(many), "long.csv");
    const analytic_model model(phone_edge_cloud());
    const exact_plan best = viterbi_chain(g, model);
    REQUIRE(best.placement.size() == many);
    CHECK(std::isfinite(best.delay_s));
    delay_evaluator ev(g, model);
    CHECK(ev.evaluate(std::span<const node_id>(best.placement)).delay_s ==
          doctest::Approx(best.delay_s));
    delay_evaluator scheduled(g, model, {.schedule = dag_schedule::list_scheduled});
    CHECK(scheduled.evaluate(std::span<const node_id>(best.placement)).delay_s ==
          doctest::Approx(best.delay_s));
    const exact_plan cut = min_cut_two_nodes(g, model, 0, 1);
    CHECK(cut.delay_s >= best.delay_s * (1 - 1e-9));
    // A wrong gene at the far end is still named.
    std::vector<node_id> wrong = best.placement;
    wrong.back() = 3;
    CHECK(error_message(error_kind::validation,
                        [&] { ev.evaluate(std::span<const node_id>(wrong)); }) ==
          "delay_evaluator: gene 99999 (layer 'l99999') is node 3, out of range: the environment "
          "has 3 nodes");
}

TEST_CASE("robustness scale: environments up to the node_id limit") {
    constexpr std::size_t limit = std::numeric_limits<node_id>::max();  // node ids are 0 .. 65534
    SUBCASE("the builder takes 65535 nodes and refuses one more") {
        // Found while writing these tests: the duplicate-name check scanned every earlier node,
        // so adding this many took seconds (minutes under the sanitizers).
        environment_builder b;
        node_id last = 0;
        for (std::size_t i = 0; i < limit; ++i)
            last = b.add_node(
                {.name = "n" + std::to_string(i), .tier = tier::local, .flops_per_s = 1});
        CHECK(last == limit - 1);
        CHECK(b.size() == limit);
        CHECK(error_message(error_kind::validation, [&] {
                  b.add_node({.name = "one more", .tier = tier::local, .flops_per_s = 1});
              }) == "environment: too many nodes (at most 65535)");
        CHECK(error_message(error_kind::validation, [&] {
                  b.add_node({.name = "n65534", .tier = tier::edge, .flops_per_s = 1});
              }) == "environment: duplicate node name 'n65534'");
        // Not built here: tests/robustness/scale_nodes.cpp builds one at the limit.
    }
    SUBCASE("the JSON reader names the node past the limit") {
        json nodes = json::array();
        for (std::size_t i = 0; i <= limit; ++i)
            nodes.push_back(
                {{"name", "n" + std::to_string(i)}, {"tier", "local"}, {"flops_per_s", 1}});
        const std::string refused = error_message(error_kind::validation, [&] {
            environment_from_json({{"nodes", nodes}});
        });
        CHECK(refused ==
              "environment JSON /nodes: 65536 nodes, more than the limit of 65535 "
              "(docs/limits.md)");
    }
    SUBCASE("a thousand devices sharing one edge server: built, read and priced") {
        json nodes = json::array(), links = json::array();
        nodes.push_back({{"name", "edge"}, {"tier", "edge"}, {"flops_per_s", 1e12}});
        for (std::size_t i = 0; i < 999; ++i) {
            nodes.push_back(
                {{"name", "d" + std::to_string(i)}, {"tier", "local"}, {"flops_per_s", 1e9}});
            links.push_back(
                {{"from", "d" + std::to_string(i)}, {"to", "edge"}, {"bandwidth_mbps", 10}});
        }
        std::swap(nodes[0], nodes[1]);  // node 0 must be a device
        const environment env = environment_from_json({{"nodes", nodes}, {"links", links}});
        REQUIRE(env.size() == 1000);
        const analytic_model model(env);
        const layer_graph g = read_text(chain_csv(10), "short.csv");
        delay_evaluator ev(g, model, {}, {}, 998);
        CHECK(ev.choices(0).size() == 2);  // its own device and the edge server
        CHECK(ev.device() == 998);
        std::vector<node_id> x(10, 998);
        x[5] = 1;  // the edge server, second in the document after the swap
        CHECK(std::isfinite(ev.evaluate(std::span<const node_id>(x)).delay_s));
        x[5] = 2;
        CHECK(error_message(error_kind::validation,
                            [&] { ev.evaluate(std::span<const node_id>(x)); }) ==
              "delay_evaluator: gene 5 (layer 'l5') is node 2 ('d1'), a local node other than the "
              "device node "
              "998 ('d997')");
    }
}
