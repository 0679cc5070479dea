#include "test_graphs.hpp"

#include <eosdnn/graph/builder.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <boost/graph/adjacency_list.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <queue>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace eosdnn;
using eosdnn::test::make_layer;

namespace {

using test::validation_message;

layer_graph_builder input_and_fc() {
    layer_graph_builder b("tiny");
    const auto in = b.add_layer({.name = "input",
                                 .kind = "input",
                                 .macs = 0,
                                 .flops = 0,
                                 .param_bytes = 0,
                                 .output_bytes = 12,
                                 .output_shape = {3},
                                 .device_time_s = {},
                                 .server_time_s = {},
                                 .load_time_s = {}});
    b.add_layer(make_layer("fc", 256, "fc"), {in});
    return b;
}

}  // namespace

TEST_CASE("builder: a small graph and its accessors") {
    layer_graph_builder b("diamond");
    const auto in = b.add_layer({.name = "input",
                                 .kind = "Input",
                                 .macs = 0,
                                 .flops = 0,
                                 .param_bytes = 0,
                                 .output_bytes = 12,
                                 .output_shape = {3},
                                 .device_time_s = {},
                                 .server_time_s = {},
                                 .load_time_s = {}});
    const auto left = b.add_layer(make_layer("left", 100), {in});
    const auto right = b.add_layer(make_layer("right", 50), {in});
    const auto join = b.add_layer(make_layer("join"), {left, right});
    CHECK(b.size() == 4);
    CHECK(b.find("right") == right);
    CHECK_FALSE(b.find("nope"));
    const layer_graph g = b.build();

    CHECK(g.name() == "diamond");
    CHECK(g.size() == 4);
    CHECK(g.edge_count() == 4);
    CHECK(g.input() == in);
    CHECK(g.output() == join);
    // Kind "Input" in any case supplies the input bytes.
    CHECK(g.input_bytes() == 12);
    CHECK_FALSE(g.is_chain());
    CHECK(g.find("left") == left);
    CHECK_FALSE(g.find("nope"));
    CHECK(g[right].name == "right");
    CHECK(&g.at(join) == &g[join]);
    CHECK(g.at(in).output_shape == std::vector<std::size_t>{3});
    CHECK(std::vector<layer_id>(g.predecessors(join).begin(), g.predecessors(join).end()) ==
          std::vector<layer_id>{left, right});
    CHECK(std::vector<layer_id>(g.successors(in).begin(), g.successors(in).end()) ==
          std::vector<layer_id>{left, right});
    CHECK(g.total_param_bytes() == 150);
    CHECK(g.total_flops() == 30);  // three layers of 10 FLOPs, the input has none
    CHECK(g.total_macs() == 0);
    CHECK(boost::num_vertices(g.graph()) == 4);
    CHECK(boost::num_edges(g.graph()) == 4);
    CHECK(g.graph()[left].param_bytes == 100);

    const std::string message = validation_message([&] { (void)g.at(4); });
    CHECK(message == "layer index 4 is out of range: model 'diamond' has 4 layers");
}

TEST_CASE("builder: totals sum every layer") {
    layer_graph_builder b;
    double macs = 0, flops = 0, params = 0;
    for (int i = 0; i < 5; ++i) {
        layer l = make_layer("l" + std::to_string(i), 1.5 * i);
        l.macs = 3.0 * i;
        l.flops = 0.25 + i;
        macs += l.macs;
        flops += l.flops;
        params += l.param_bytes;
        b.add_layer(std::move(l));
        if (i) b.add_edge(static_cast<layer_id>(i - 1), static_cast<layer_id>(i));
    }
    b.set_input_bytes(1);
    const layer_graph g = b.build();
    CHECK(g.name().empty());
    CHECK(g.total_macs() == doctest::Approx(macs));
    CHECK(g.total_flops() == doctest::Approx(flops));
    CHECK(g.total_param_bytes() == doctest::Approx(params));
}

TEST_CASE("builder: is_chain") {
    CHECK(test::chain(1).is_chain());
    CHECK(test::chain(5).is_chain());

    // A fork is not a chain even when the branches are single layers.
    layer_graph_builder b;
    b.set_input_bytes(1);
    const auto a = b.add_layer(make_layer("a"));
    const auto c = b.add_layer(make_layer("c"), {a});
    const auto d = b.add_layer(make_layer("d"), {a, c});
    (void)d;
    CHECK_FALSE(b.build().is_chain());
}

TEST_CASE("builder: a single layer is input and output") {
    layer_graph_builder b("one");
    b.add_layer({.name = "x",
                 .kind = "INPUT",
                 .macs = 0,
                 .flops = 0,
                 .param_bytes = 0,
                 .output_bytes = 7,
                 .output_shape = {},
                 .device_time_s = {},
                 .server_time_s = {},
                 .load_time_s = {}});
    const layer_graph g = b.build();
    CHECK(g.size() == 1);
    CHECK(g.input() == 0);
    CHECK(g.output() == 0);
    CHECK(g.input_bytes() == 7);
    CHECK(g.edge_count() == 0);
    CHECK(g.topological_order().size() == 1);
}

TEST_CASE("builder: set_input_bytes overrides the input layer's output bytes") {
    layer_graph_builder b = input_and_fc();
    b.set_input_bytes(99);
    CHECK(b.build().input_bytes() == 99);
    CHECK(input_and_fc().build().input_bytes() == 12);
}

TEST_CASE("builder: layer validation errors") {
    SUBCASE("empty name") {
        layer_graph_builder b("m");
        b.add_layer(make_layer("a"));
        CHECK(validation_message([&] { b.add_layer(make_layer("")); }) ==
              "model 'm': layer #1 has an empty name");
    }
    SUBCASE("duplicate name") {
        layer_graph_builder b("m");
        b.add_layer(make_layer("a"));
        CHECK(validation_message([&] { b.add_layer(make_layer("a")); }) ==
              "model 'm': duplicate layer name 'a'");
        CHECK(b.size() == 1);
    }
    SUBCASE("an unnamed model says 'model'") {
        layer_graph_builder b;
        CHECK(validation_message([&] { b.add_layer(make_layer("")); }) ==
              "model: layer #0 has an empty name");
    }
    SUBCASE("negative, NaN and infinite numbers, field by field") {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const double inf = std::numeric_limits<double>::infinity();
        struct field_setter {
            const char* field;
            std::function<void(layer&, double)> set;
        };
        const std::vector<field_setter> fields = {
            {"macs", [](layer& l, double v) { l.macs = v; }},
            {"flops", [](layer& l, double v) { l.flops = v; }},
            {"param_bytes", [](layer& l, double v) { l.param_bytes = v; }},
            {"output_bytes", [](layer& l, double v) { l.output_bytes = v; }},
            {"device_time_s", [](layer& l, double v) { l.device_time_s = v; }},
            {"server_time_s", [](layer& l, double v) { l.server_time_s = v; }},
            {"load_time_s", [](layer& l, double v) { l.load_time_s = v; }},
        };
        for (const auto& setter : fields)
            for (double bad : {-1.0, nan, inf, -inf}) {
                // Not a structured binding: clang 14 cannot capture those in a lambda.
                const char* field = setter.field;
                const auto& set = setter.set;
                CAPTURE(field);
                CAPTURE(bad);
                layer_graph_builder b("m");
                layer l = make_layer("bad");
                set(l, bad);
                std::ostringstream value;
                value << bad;
                CHECK(validation_message([&] { b.add_layer(l); }) ==
                      "model 'm': layer 'bad': " + std::string(field) + " is " + value.str() +
                          " (must be finite and >= 0)");
                CHECK(b.size() == 0);
                // Zero is fine.
                set(l, 0);
                CHECK_NOTHROW(b.add_layer(l));
            }
    }
    SUBCASE("input bytes") {
        layer_graph_builder b("m");
        CHECK(validation_message([&] { b.set_input_bytes(-2); }) ==
              "model 'm': input bytes -2 must be finite and >= 0");
        CHECK_THROWS_AS(b.set_input_bytes(std::numeric_limits<double>::quiet_NaN()), error);
        CHECK_THROWS_AS(b.set_input_bytes(std::numeric_limits<double>::infinity()), error);
        CHECK_NOTHROW(b.set_input_bytes(0));
    }
}

TEST_CASE("builder: edge validation errors") {
    layer_graph_builder b("m");
    const auto a = b.add_layer(make_layer("a"));
    const auto c = b.add_layer(make_layer("c"));
    SUBCASE("self-loop") {
        CHECK(validation_message([&] { b.add_edge(a, a); }) ==
              "model 'm': layer 'a' consumes its own output");
    }
    SUBCASE("duplicate edge") {
        b.add_edge(a, c);
        CHECK(validation_message([&] { b.add_edge(a, c); }) ==
              "model 'm': duplicate edge 'a' -> 'c'");
        CHECK(validation_message([&] { b.add_edge("a", "c"); }) ==
              "model 'm': duplicate edge 'a' -> 'c'");
        // The reverse edge is a different edge (and makes a cycle, found by build()).
        CHECK_NOTHROW(b.add_edge(c, a));
    }
    SUBCASE("unknown layer name") {
        CHECK(validation_message([&] { b.add_edge("a", "zz"); }) ==
              "model 'm': edge between 'zz' and 'a' names unknown layer 'zz'");
        CHECK(validation_message([&] { b.add_edge("yy", "c"); }) ==
              "model 'm': edge between 'yy' and 'c' names unknown layer 'yy'");
    }
    SUBCASE("index out of range") {
        CHECK(validation_message([&] { b.add_edge(a, 2); }) ==
              "model 'm': edge names layer index 2 but only 2 layers were added");
        CHECK(validation_message([&] { b.add_edge(7, c); }) ==
              "model 'm': edge names layer index 7 but only 2 layers were added");
        // A bad input of add_layer(layer, inputs) leaves the builder as it was.
        CHECK(validation_message([&] {
                  b.add_layer(make_layer("d"), {a, 9});
              }) == "model 'm': edge names layer index 9 but only 2 layers were added");
        CHECK(b.size() == 2);
        CHECK_FALSE(b.find("d"));
    }
    SUBCASE("an input listed twice") {
        CHECK(validation_message([&] {
                  b.add_layer(make_layer("d"), {a, c, a});
              }) == "model 'm': layer 'd' lists input 'a' twice");
        CHECK(b.size() == 2);
    }
    SUBCASE("edges by name") {
        b.add_edge("a", "c");
        b.set_input_bytes(1);
        const layer_graph g = b.build();
        CHECK(g.input() == a);
        CHECK(g.output() == c);
    }
}

TEST_CASE("builder: whole-graph validation errors") {
    SUBCASE("no layers") {
        CHECK(validation_message([] { (void)layer_graph_builder("m").build(); }) ==
              "model 'm': the model has no layers");
    }
    SUBCASE("cycle: the message lists the cycle") {
        layer_graph_builder b("m");
        b.set_input_bytes(1);
        const auto in = b.add_layer(make_layer("in"));
        const auto x = b.add_layer(make_layer("x"), {in});
        const auto y = b.add_layer(make_layer("y"), {x});
        const auto z = b.add_layer(make_layer("z"), {y});
        b.add_edge(z, x);
        b.add_layer(make_layer("out"), {z});
        CHECK(validation_message([&] { (void)b.build(); }) ==
              "model 'm': the layers contain a cycle: 'x' -> 'y' -> 'z' -> 'x'");
    }
    SUBCASE("cycle of two, reached from a layer downstream of it") {
        // x comes first and cannot be ordered either, but it is not on the cycle: the message
        // must name only the cycle's layers.
        layer_graph_builder b("m");
        b.set_input_bytes(1);
        const auto in = b.add_layer(make_layer("in"));
        const auto x = b.add_layer(make_layer("x"));
        const auto c1 = b.add_layer(make_layer("c1"));
        const auto c2 = b.add_layer(make_layer("c2"));
        b.add_edge(in, c1);
        b.add_edge(c1, c2);
        b.add_edge(c2, c1);
        b.add_edge(c2, x);
        CHECK(validation_message([&] { (void)b.build(); }) ==
              "model 'm': the layers contain a cycle: 'c2' -> 'c1' -> 'c2'");
    }
    SUBCASE("a graph that is one cycle has no input but reports the cycle") {
        layer_graph_builder b("m");
        const auto a = b.add_layer(make_layer("a"));
        const auto c = b.add_layer(make_layer("c"), {a});
        b.add_edge(c, a);
        CHECK(validation_message([&] { (void)b.build(); }) ==
              "model 'm': the layers contain a cycle: 'a' -> 'c' -> 'a'");
    }
    SUBCASE("two inputs") {
        layer_graph_builder b("m");
        b.set_input_bytes(1);
        const auto a = b.add_layer(make_layer("a"));
        const auto c = b.add_layer(make_layer("c"));
        b.add_layer(make_layer("d"), {a, c});
        CHECK(validation_message([&] { (void)b.build(); }) ==
              "model 'm': the model must have exactly one input layer (no predecessors), found 2: "
              "'a', 'c'");
    }
    SUBCASE("two outputs") {
        layer_graph_builder b("m");
        b.set_input_bytes(1);
        const auto a = b.add_layer(make_layer("a"));
        b.add_layer(make_layer("c"), {a});
        b.add_layer(make_layer("d"), {a});
        CHECK(validation_message([&] { (void)b.build(); }) ==
              "model 'm': the model must have exactly one output layer (no successors), found 2: "
              "'c', 'd'");
    }
    SUBCASE("many outputs are abbreviated after five") {
        layer_graph_builder b("m");
        b.set_input_bytes(1);
        const auto a = b.add_layer(make_layer("a"));
        for (int i = 0; i < 7; ++i) b.add_layer(make_layer("o" + std::to_string(i)), {a});
        CHECK(validation_message([&] { (void)b.build(); }) ==
              "model 'm': the model must have exactly one output layer (no successors), found 7: "
              "'o0', 'o1', 'o2', 'o3', 'o4', ...");
    }
    SUBCASE("missing input bytes") {
        layer_graph_builder b("m");
        const auto a = b.add_layer(make_layer("conv", 10, "conv"));
        b.add_layer(make_layer("fc"), {a});
        CHECK(validation_message([&] { (void)b.build(); }) ==
              "model 'm': input bytes are not set and the input layer 'conv' is not of kind "
              "'input'; call set_input_bytes()");
    }
}

TEST_CASE("builder: a chain added in order lists its layers in order") {
    const layer_graph g = test::chain(50);
    CHECK(g.is_chain());
    for (std::size_t i = 0; i < g.size(); ++i) {
        CHECK(g.topological_order()[i] == i);
        CHECK(g.topological_rank()[i] == i);
    }
}

TEST_CASE("builder: topological order on random DAGs is valid and deterministic") {
    std::mt19937_64 rng(20240611);
    for (int round = 0; round < 60; ++round) {
        const std::size_t n = 1 + test::pick(rng, 40);
        const std::size_t extra = test::pick(rng, 2 * n + 1);
        std::mt19937_64 copy = rng;
        const layer_graph g = test::random_dag(n, extra, rng);
        const layer_graph again = test::random_dag(n, extra, copy);
        CAPTURE(round);
        REQUIRE(g.size() == n);

        const auto order = g.topological_order();
        const auto rank = g.topological_rank();
        REQUIRE(order.size() == n);
        // A permutation whose rank is its inverse.
        std::vector<bool> seen(n, false);
        for (std::size_t r = 0; r < n; ++r) {
            REQUIRE(order[r] < n);
            CHECK_FALSE(seen[order[r]]);
            seen[order[r]] = true;
            CHECK(rank[order[r]] == r);
        }
        // Every edge goes forward.
        for (layer_id u = 0; u < n; ++u)
            for (layer_id v : g.successors(u)) CHECK(rank[u] < rank[v]);
        CHECK(order.front() == g.input());
        CHECK(order.back() == g.output());

        // Deterministic: the same input gives the same order ...
        CHECK(std::vector<layer_id>(order.begin(), order.end()) ==
              std::vector<layer_id>(again.topological_order().begin(),
                                    again.topological_order().end()));
        // ... and it is the order in which the smallest ready layer always comes first.
        std::vector<std::size_t> remaining(n);
        std::priority_queue<layer_id, std::vector<layer_id>, std::greater<>> ready;
        for (layer_id v = 0; v < n; ++v) {
            remaining[v] = g.predecessors(v).size();
            if (remaining[v] == 0) ready.push(v);
        }
        for (std::size_t r = 0; r < n; ++r) {
            REQUIRE_FALSE(ready.empty());
            CHECK(order[r] == ready.top());
            const layer_id v = ready.top();
            ready.pop();
            for (layer_id w : g.successors(v))
                if (--remaining[w] == 0) ready.push(w);
        }
    }
}

TEST_CASE("builder: predecessors and successors match the Boost graph") {
    std::mt19937_64 rng(7);
    for (int round = 0; round < 30; ++round) {
        const std::size_t n = 1 + test::pick(rng, 30);
        const layer_graph g = test::random_dag(n, test::pick(rng, 3 * n + 1), rng);
        const auto& bg = g.graph();
        REQUIRE(boost::num_vertices(bg) == n);
        CHECK(boost::num_edges(bg) == g.edge_count());
        std::size_t counted = 0;
        for (layer_id v = 0; v < n; ++v) {
            std::vector<layer_id> out, in;
            for (auto [it, end] = boost::out_edges(v, bg); it != end; ++it)
                out.push_back(boost::target(*it, bg));
            for (auto [it, end] = boost::in_edges(v, bg); it != end; ++it)
                in.push_back(boost::source(*it, bg));
            // Both sides keep the order in which the edges were added.
            CHECK(out == std::vector<layer_id>(g.successors(v).begin(), g.successors(v).end()));
            CHECK(in == std::vector<layer_id>(g.predecessors(v).begin(), g.predecessors(v).end()));
            CHECK(bg[v].name == g[v].name);
            counted += out.size();
        }
        CHECK(counted == g.edge_count());
        // is_chain is exactly "every degree <= 1".
        bool chain = true;
        for (layer_id v = 0; v < n; ++v)
            chain = chain && g.predecessors(v).size() <= 1 && g.successors(v).size() <= 1;
        CHECK(g.is_chain() == chain);
        // The single input and output.
        for (layer_id v = 0; v < n; ++v) {
            CHECK((g.predecessors(v).empty()) == (v == g.input()));
            CHECK((g.successors(v).empty()) == (v == g.output()));
            CHECK(g.find(g[v].name) == v);
        }
    }
}

TEST_CASE("builder: a graph stays valid when copied or moved") {
    // The flat adjacency is read through spans made on each call, so copies must not point into
    // the original's storage.
    std::optional<layer_graph> original = test::chain(4);
    const layer_graph copy = *original;
    layer_graph moved = std::move(*original);
    original.reset();
    for (const layer_graph* g : {&copy, static_cast<const layer_graph*>(&moved)}) {
        CHECK(g->size() == 4);
        CHECK(g->predecessors(2).size() == 1);
        CHECK(g->predecessors(2)[0] == 1);
        CHECK(g->successors(2)[0] == 3);
        CHECK(g->topological_order()[3] == 3);
        CHECK(g->find("l2") == layer_id{2});
        CHECK(boost::num_edges(g->graph()) == 3);
    }
}
