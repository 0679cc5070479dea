// Robustness (issue 15): a moved-from layer_graph is a valid empty graph, as a moved-from
// standard container is. Its size is 0, it can be copied, moved and assigned to, and what plans
// or writes a model (delay_evaluator, to_json, write_profile_csv) refuses it with an
// eosdnn::error instead of reading freed or missing tables. Also run under ASan and UBSan.

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/io/json.hpp>
#include <eosdnn/io/profile_csv.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace eosdnn;
using test::check_validation_error;

namespace {

// in -> conv -> out, named "tiny", with input bytes equal to the input layer's output bytes (so
// that it can be written as a profile CSV).
layer_graph tiny() {
    layer_graph_builder b("tiny");
    b.add_layer({.name = "in", .kind = "Input", .output_bytes = 12});
    b.add_layer({.name = "conv", .kind = "Conv", .macs = 5, .flops = 10, .output_bytes = 8});
    b.add_layer({.name = "out", .kind = "Dense", .macs = 1, .flops = 2, .output_bytes = 4});
    b.add_edge(0, 1);
    b.add_edge(1, 2);
    return b.build();
}

environment two_nodes() {
    environment_builder b;
    b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 100});
    b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1000});
    b.connect(0, 1, {.bandwidth_Bps = 100, .latency_s = 0.5});
    return b.build();
}

// Every observer of an empty graph answers as for no layers.
void check_empty(const layer_graph& g) {
    CHECK(g.size() == 0);
    CHECK(g.edge_count() == 0);
    CHECK(g.name().empty());
    CHECK(g.topological_order().empty());
    CHECK(g.topological_rank().empty());
    CHECK_FALSE(g.is_chain());
    CHECK_FALSE(g.find("conv").has_value());
    CHECK(g.total_macs() == 0);
    CHECK(g.total_param_bytes() == 0);
    CHECK(boost::num_vertices(g.graph()) == 0);
    CHECK(boost::num_edges(g.graph()) == 0);
    CHECK_THROWS_AS((void)g.at(0), error);
}

// A graph that holds tiny()'s layers.
void check_tiny(const layer_graph& g) {
    REQUIRE(g.size() == 3);
    CHECK(g.name() == "tiny");
    CHECK(g.edge_count() == 2);
    CHECK(g.find("conv") == layer_id{1});
    CHECK(g.predecessors(2).size() == 1);
    CHECK(g.successors(0)[0] == 1);
    CHECK(g.input() == 0);
    CHECK(g.output() == 2);
    CHECK(g.is_chain());
    CHECK(boost::num_vertices(g.graph()) == 3);
}

// What plans or writes the (empty) graph `g` throws a validation error that says so.
void check_refused(const layer_graph& g) {
    const analytic_model model(two_nodes());
    check_validation_error([&] { delay_evaluator ev(g, model); },
                           {"delay_evaluator", "has no layers", "moved-from"});
    check_validation_error([&] { (void)to_json(g); },
                           {"model", "cannot write it as JSON", "has no layers"});
    std::ostringstream out;
    check_validation_error([&] { write_profile_csv(out, g); },
                           {"model", "cannot be written to CSV", "has no layers"});
    CHECK(out.str().empty());
}

}  // namespace

TEST_CASE("moved_from: a move-constructed-from layer_graph is empty and refused by its users") {
    layer_graph a = tiny();
    layer_graph b = std::move(a);
    check_tiny(b);
    check_empty(a);  // NOLINT(bugprone-use-after-move): the point of the test
    check_refused(a);

    // The empty graph copies and moves as an empty graph.
    const layer_graph copy = a;
    check_empty(copy);
    layer_graph moved = std::move(a);
    check_empty(moved);
    check_empty(a);

    // And it takes new layers by assignment.
    a = b;
    check_tiny(a);
    check_tiny(b);
    a = std::move(b);
    check_tiny(a);
    check_empty(b);
    CHECK(to_json(a) == to_json(tiny()));
}

TEST_CASE("moved_from: a move-assigned-from layer_graph is empty and refused by its users") {
    layer_graph a = tiny();
    layer_graph b = tiny();
    b = std::move(a);
    check_tiny(b);
    check_empty(a);
    check_refused(a);

    // Self-move leaves a valid graph (here: still the same one).
    layer_graph& alias = b;
    b = std::move(alias);
    check_tiny(b);

    // A graph moved out of a vector element, and the vector reallocating after it.
    std::vector<layer_graph> graphs;
    graphs.push_back(tiny());
    graphs.push_back(std::move(graphs[0]));
    check_empty(graphs[0]);
    check_tiny(graphs[1]);
    for (int i = 0; i < 8; ++i) graphs.push_back(tiny());
    check_empty(graphs[0]);
    check_tiny(graphs[1]);

    // Still usable with a model that reads it (delay_evaluator over the graph that took it).
    const analytic_model model(two_nodes());
    delay_evaluator ev(b, model);
    CHECK(ev.dimension() == 3);
    const std::vector<node_id> all_local(3, 0);
    CHECK(ev.evaluate(all_local).delay_s > 0);
}
