#include "test_graphs.hpp"

#include <eosdnn/graph/builder.hpp>
#include <eosdnn/graph/dominator_blocks.hpp>

#include <boost/graph/dominator_tree.hpp>
#include <boost/graph/reverse_graph.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace eosdnn;
using eosdnn::test::make_layer;

namespace {

// Names of the layers of each block, for readable comparisons.
std::vector<std::vector<std::string>> block_names(const layer_graph& g,
                                                  const std::vector<layer_block>& blocks) {
    std::vector<std::vector<std::string>> names;
    for (const auto& block : blocks) {
        names.emplace_back();
        for (layer_id id : block.layers) names.back().push_back(g[id].name);
    }
    return names;
}

// Cut vertices by enumerating every input -> output path: those on all of them.
std::vector<bool> cut_by_paths(const layer_graph& g, std::size_t& paths) {
    std::vector<std::size_t> on_paths(g.size(), 0);
    std::vector<layer_id> path;
    paths = 0;
    std::function<void(layer_id)> walk = [&](layer_id v) {
        path.push_back(v);
        if (v == g.output()) {
            ++paths;
            for (layer_id u : path) ++on_paths[u];
        } else {
            for (layer_id w : g.successors(v)) walk(w);
        }
        path.pop_back();
    };
    walk(g.input());
    std::vector<bool> cut(g.size());
    for (layer_id v = 0; v < g.size(); ++v) cut[v] = on_paths[v] == paths;
    return cut;
}

// The chain of immediate dominators from `from` back to the root of a Boost dominator tree.
template <class Graph>
std::vector<bool> dominator_chain(const Graph& graph, std::size_t root, std::size_t from) {
    using vertex = typename boost::graph_traits<Graph>::vertex_descriptor;
    const std::size_t n = boost::num_vertices(graph);
    std::vector<vertex> idom(n, boost::graph_traits<Graph>::null_vertex());
    boost::lengauer_tarjan_dominator_tree(
        graph, vertex(root),
        boost::make_iterator_property_map(idom.begin(), boost::get(boost::vertex_index, graph)));
    std::vector<bool> on(n, false);
    for (vertex v = from;; v = idom[v]) {
        on[v] = true;
        if (v == root) break;
        REQUIRE(idom[v] != boost::graph_traits<Graph>::null_vertex());
    }
    return on;
}

// Everything dominator_blocks promises, checked from the definition.
void check_blocks(const layer_graph& g, const std::vector<layer_block>& blocks) {
    const std::vector<bool> cut = cut_vertices(g);
    // Boundary = dominates the output and post-dominates the input (Boost's Lengauer-Tarjan).
    CHECK(cut == dominator_chain(g.graph(), g.input(), g.output()));
    CHECK(cut == dominator_chain(boost::make_reverse_graph(g.graph()), g.output(), g.input()));

    REQUIRE_FALSE(blocks.empty());
    std::vector<std::size_t> block_of(g.size(), blocks.size());
    std::size_t position = 0;
    for (std::size_t b = 0; b < blocks.size(); ++b) {
        const layer_block& block = blocks[b];
        REQUIRE_FALSE(block.layers.empty());
        CHECK(block.entry == block.layers.front());
        CHECK(block.exit == block.layers.back());
        CHECK(cut[block.exit]);
        for (layer_id id : block.layers) {
            REQUIRE(id < g.size());
            CHECK(block_of[id] == blocks.size());  // in no earlier block
            block_of[id] = b;
            if (id != block.exit) CHECK_FALSE(cut[id]);
            // Contiguous ranges of the topological order, in order.
            CHECK(g.topological_order()[position++] == id);
        }
    }
    CHECK(position == g.size());  // every layer in exactly one block
    CHECK(blocks.front().layers == std::vector<layer_id>{g.input()});
    CHECK(blocks.back().exit == g.output());
    // The blocks form a chain: data moves inside a block or from an exit to the next block.
    for (layer_id u = 0; u < g.size(); ++u)
        for (layer_id v : g.successors(u)) {
            if (u == blocks[block_of[u]].exit)
                CHECK(block_of[v] == block_of[u] + 1);
            else
                CHECK(block_of[v] == block_of[u]);
        }
}

layer input_layer() {
    return {.name = "input",
            .kind = "input",
            .macs = 0,
            .flops = 0,
            .param_bytes = 0,
            .output_bytes = 12,
            .output_shape = {3, 2, 2},
            .device_time_s = 0.001,
            .server_time_s = 0.0001,
            .load_time_s = {}};
}

// input -> conv0 -> k residual blocks (a -> b -> add, with the skip into add) -> fc.
layer_graph residual_stack(std::size_t k) {
    layer_graph_builder b("resnet-ish");
    layer_id x = b.add_layer(input_layer());
    x = b.add_layer(make_layer("conv0", 10), {x});
    for (std::size_t i = 0; i < k; ++i) {
        const std::string p = "res" + std::to_string(i);
        const auto a = b.add_layer(make_layer(p + "a", 10), {x});
        const auto c = b.add_layer(make_layer(p + "b", 10), {a});
        x = b.add_layer(make_layer(p + "add", 0, "add"), {c, x});
    }
    b.add_layer(make_layer("fc", 10), {x});
    return b.build();
}

// input -> pre -> inception (1x1 | 3x3reduce->3x3 | 5x5reduce->5x5 | pool->proj) -> concat -> fc.
layer_graph inception() {
    layer_graph_builder b("googlenet-ish");
    const auto in = b.add_layer(input_layer());
    const auto pre = b.add_layer(make_layer("pre", 10), {in});
    const auto b1 = b.add_layer(make_layer("1x1", 10), {pre});
    const auto b2a = b.add_layer(make_layer("3x3_reduce", 10), {pre});
    const auto b2 = b.add_layer(make_layer("3x3", 10), {b2a});
    const auto b3a = b.add_layer(make_layer("5x5_reduce", 10), {pre});
    const auto b3 = b.add_layer(make_layer("5x5", 10), {b3a});
    const auto b4a = b.add_layer(make_layer("pool", 0), {pre});
    const auto b4 = b.add_layer(make_layer("pool_proj", 10), {b4a});
    const auto cat = b.add_layer(make_layer("concat", 0, "concat"), {b1, b2, b3, b4});
    b.add_layer(make_layer("fc", 10), {cat});
    return b.build();
}

}  // namespace

TEST_CASE("dominator_blocks: a chain gives one block per layer") {
    const layer_graph g = test::chain(6);
    const auto blocks = dominator_blocks(g);
    REQUIRE(blocks.size() == 6);
    for (layer_id i = 0; i < 6; ++i) {
        CHECK(blocks[i].layers == std::vector<layer_id>{i});
        CHECK(blocks[i].entry == i);
        CHECK(blocks[i].exit == i);
    }
    check_blocks(g, blocks);

    // Its block chain is the chain itself, layer for layer.
    const layer_graph c = block_chain(g, blocks);
    REQUIRE(c.size() == g.size());
    CHECK(c.is_chain());
    for (layer_id i = 0; i < 6; ++i) {
        CHECK(c[i].name == g[i].name);
        CHECK(c[i].kind == g[i].kind);
        CHECK(c[i].param_bytes == g[i].param_bytes);
    }
}

TEST_CASE("dominator_blocks: a single layer") {
    const layer_graph g = test::chain(1);
    const auto blocks = dominator_blocks(g);
    REQUIRE(blocks.size() == 1);
    CHECK(blocks[0].layers == std::vector<layer_id>{0});
    CHECK(block_chain(g, blocks).size() == 1);
}

TEST_CASE("dominator_blocks: a diamond collapses into one block ending at the join") {
    layer_graph_builder b("diamond");
    const auto in = b.add_layer(input_layer());
    const auto l = b.add_layer(make_layer("left", 10), {in});
    const auto r = b.add_layer(make_layer("right", 20), {in});
    const auto j = b.add_layer(make_layer("join"), {l, r});
    b.add_layer(make_layer("out", 5), {j});
    const layer_graph g = b.build();
    const auto blocks = dominator_blocks(g);
    check_blocks(g, blocks);
    CHECK(block_names(g, blocks) ==
          std::vector<std::vector<std::string>>{{"input"}, {"left", "right", "join"}, {"out"}});
    CHECK(blocks[1].entry == l);
    CHECK(blocks[1].exit == j);
}

TEST_CASE("dominator_blocks: a residual stack") {
    const layer_graph g = residual_stack(3);
    const auto blocks = dominator_blocks(g);
    check_blocks(g, blocks);
    CHECK(block_names(g, blocks) ==
          std::vector<std::vector<std::string>>{{"input"},
                                                {"conv0"},
                                                {"res0a", "res0b", "res0add"},
                                                {"res1a", "res1b", "res1add"},
                                                {"res2a", "res2b", "res2add"},
                                                {"fc"}});
    for (std::size_t i = 2; i < 5; ++i) CHECK(g[blocks[i].exit].kind == "add");
}

TEST_CASE("dominator_blocks: an inception module with four branches") {
    const layer_graph g = inception();
    const auto blocks = dominator_blocks(g);
    check_blocks(g, blocks);
    CHECK(block_names(g, blocks) ==
          std::vector<std::vector<std::string>>{
              {"input"},
              {"pre"},
              {"1x1", "3x3_reduce", "3x3", "5x5_reduce", "5x5", "pool", "pool_proj", "concat"},
              {"fc"}});
}

TEST_CASE("block_chain: merged layers") {
    // A diamond whose members carry measured times, loads, MACs and shapes.
    layer_graph_builder b("timed");
    const auto in = b.add_layer(input_layer());
    layer left = make_layer("left", 100, "conv");
    left.macs = 7;
    left.device_time_s = 0.5;
    left.server_time_s = 0.05;
    left.load_time_s = 0.2;
    layer right = make_layer("right", 40, "conv");
    right.macs = 3;
    right.device_time_s = 0.25;  // no server time
    layer join = make_layer("join", 0, "add");
    join.device_time_s = 0.125;
    join.server_time_s = 0.01;
    join.output_bytes = 1234;
    join.output_shape = {4, 5};
    const auto l = b.add_layer(left, {in});
    const auto r = b.add_layer(right, {in});
    b.add_layer(join, {l, r});
    const layer_graph g = b.build();

    const auto blocks = dominator_blocks(g);
    REQUIRE(blocks.size() == 2);
    const layer_graph c = block_chain(g, blocks);
    CHECK(c.name() == "timed");
    CHECK(c.input_bytes() == g.input_bytes());
    REQUIRE(c.size() == 2);
    CHECK(c.is_chain());
    CHECK(c.topological_order()[0] == 0);

    // The single-layer block is the input layer itself.
    CHECK(c[0].name == "input");
    CHECK(c[0].kind == "input");
    CHECK(c[0].device_time_s == 0.001);
    CHECK(c[0].output_shape == std::vector<std::size_t>{3, 2, 2});

    const layer& m = c[1];
    CHECK(m.name == "join");
    CHECK(c.find("join") == 1);
    CHECK(m.kind == "block");
    CHECK(m.macs == 10);
    CHECK(m.flops == 30);
    CHECK(m.param_bytes == 140);
    CHECK(m.output_bytes == 1234);
    CHECK(m.output_shape == std::vector<std::size_t>{4, 5});
    REQUIRE(m.device_time_s);
    CHECK(*m.device_time_s == doctest::Approx(0.875));
    CHECK_FALSE(m.server_time_s);  // "right" has no server time
    REQUIRE(m.load_time_s);
    CHECK(*m.load_time_s == doctest::Approx(0.2));

    // Totals are preserved.
    CHECK(c.total_macs() == g.total_macs());
    CHECK(c.total_flops() == g.total_flops());
    CHECK(c.total_param_bytes() == g.total_param_bytes());
}

TEST_CASE("block_chain: a grouping that is not a chain of blocks is rejected") {
    const layer_graph g = residual_stack(1);  // input conv0 res0a res0b res0add fc
    const auto blocks = dominator_blocks(g);
    REQUIRE(blocks.size() == 4);
    const auto message = [&](const std::vector<layer_block>& bad) -> std::string {
        try {
            (void)block_chain(g, bad);
        } catch (const error& e) {
            CHECK(e.kind() == error_kind::validation);
            return e.what();
        }
        return "no error";
    };
    const std::string prefix = "block_chain of model 'resnet-ish': ";

    auto missing = blocks;
    missing.pop_back();
    CHECK(message(missing) == prefix + "layer 'fc' is in no block");

    auto twice = blocks;
    twice[3].layers.push_back(1);
    CHECK(message(twice) == prefix + "layer 'conv0' is in more than one block");

    auto empty = blocks;
    empty.push_back({});
    CHECK(message(empty) == prefix + "block #4 has no layers");

    auto bad_exit = blocks;
    bad_exit[2].exit = 1;
    CHECK(message(bad_exit) == prefix + "the exit 'conv0' of block #2 is not one of its layers");

    // Splitting the residual block lets the skip edge conv0 -> add jump a block.
    std::vector<layer_block> split = {blocks[0], blocks[1], {{2, 3}, 2, 3}, {{4}, 4, 4}, blocks[3]};
    CHECK(message(split) == prefix +
                                "edge 'conv0' -> 'res0add' does not run inside a block or from a "
                                "block's exit into the next block");

    auto out_of_range = blocks;
    out_of_range[3].layers.push_back(99);
    CHECK_THROWS_AS((void)block_chain(g, out_of_range), error);

    // A coarser grouping is fine: merge the residual block with conv0.
    std::vector<layer_block> coarse = {blocks[0], {{1, 2, 3, 4}, 1, 4}, blocks[3]};
    const layer_graph c = block_chain(g, coarse);
    CHECK(c.size() == 3);
    CHECK(c[1].name == "res0add");
    CHECK(c[1].param_bytes == 30);
}

TEST_CASE("dominator_blocks: random DAGs against path enumeration and Lengauer-Tarjan") {
    std::mt19937_64 rng(4242);
    for (int round = 0; round < 300; ++round) {
        const std::size_t n = 1 + test::pick(rng, 16);
        const layer_graph g = test::random_dag(n, test::pick(rng, n + 1), rng);
        CAPTURE(round);
        const auto blocks = dominator_blocks(g);
        check_blocks(g, blocks);
        std::size_t paths = 0;
        CHECK(cut_vertices(g) == cut_by_paths(g, paths));
        CHECK(paths >= 1);
        // The block chain keeps the totals and the exits' outputs.
        const layer_graph c = block_chain(g, blocks);
        REQUIRE(c.size() == blocks.size());
        CHECK(c.is_chain());
        CHECK(c.input_bytes() == g.input_bytes());
        CHECK(c.total_macs() == doctest::Approx(g.total_macs()));
        CHECK(c.total_flops() == doctest::Approx(g.total_flops()));
        CHECK(c.total_param_bytes() == doctest::Approx(g.total_param_bytes()));
        for (std::size_t b = 0; b < blocks.size(); ++b) {
            CHECK(c.topological_order()[b] == b);
            CHECK(c[b].output_bytes == g[blocks[b].exit].output_bytes);
        }
    }
}

TEST_CASE("dominator_blocks: 10^4 layers") {
    std::mt19937_64 rng(99);
    const layer_graph g = test::random_dag(10'000, 5'000, rng);
    const auto blocks = dominator_blocks(g);
    check_blocks(g, blocks);
    CHECK(blocks.size() > 1);
    CHECK(block_chain(g, blocks).size() == blocks.size());

    // A residual stack of 3000 residual blocks: input, conv0, the 3000 blocks and fc.
    const layer_graph r = residual_stack(3000);
    CHECK(r.size() == 9003);
    CHECK(dominator_blocks(r).size() == 3003);
}

TEST_CASE("dominator_blocks: the IONN profiles of GoogLeNet and ResNet-50") {
    SUBCASE("GoogLeNet: each inception module is one block ending at its concat") {
        const auto g = test::ionn_profile("googlenet");
        REQUIRE_MESSAGE(g, "cannot read " << test::data_dir() << "/ionn-profiles/googlenet.csv");
        const auto blocks = dominator_blocks(*g);
        check_blocks(*g, blocks);
        std::size_t modules = 0;
        for (const auto& block : blocks) {
            if (block.layers.size() == 1) continue;
            ++modules;
            const layer& exit = (*g)[block.exit];
            CHECK(exit.kind == "Concat");
            // Its 13 other layers are the module's four branches.
            CHECK(block.layers.size() == 14);
            const std::string module = exit.name.substr(0, exit.name.find('/') + 1);
            for (layer_id id : block.layers) CHECK((*g)[id].name.rfind(module, 0) == 0);
        }
        CHECK(modules == 9);
        CHECK(blocks.size() == 152 - 9 * 13);
        const layer_graph c = block_chain(*g, blocks);
        CHECK(c.total_param_bytes() == g->total_param_bytes());
        CHECK(c.find("inception_4a/output"));
        CHECK(c[*c.find("inception_4a/output")].output_bytes == 401408);
    }
    SUBCASE("ResNet-50: each residual block is one block ending at its Eltwise") {
        const auto g = test::ionn_profile("resnet50");
        REQUIRE_MESSAGE(g, "cannot read " << test::data_dir() << "/ionn-profiles/resnet50.csv");
        const auto blocks = dominator_blocks(*g);
        check_blocks(*g, blocks);
        std::size_t residual = 0;
        for (const auto& block : blocks) {
            if (block.layers.size() == 1) continue;
            ++residual;
            CHECK((*g)[block.exit].kind == "Eltwise");
            // 3 x (conv, bn, scale) with 2 ReLUs, plus a projection (conv, bn, scale) in the
            // first block of each stage.
            CHECK((block.layers.size() == 12 || block.layers.size() == 15));
        }
        CHECK(residual == 16);
    }
}
