#include "test_graphs.hpp"

#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/graph/merge_parameter_free.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace eosdnn;
using eosdnn::test::make_layer;

namespace {

layer model_input() {
    return {.name = "input",
            .kind = "input",
            .macs = 0,
            .flops = 0,
            .param_bytes = 0,
            .output_bytes = 12,
            .output_shape = {3, 2, 2},
            .device_time_s = 0.001,
            .server_time_s = {},
            .load_time_s = {}};
}

std::vector<std::string> names(const layer_graph& g) {
    std::vector<std::string> out;
    for (layer_id id = 0; id < g.size(); ++id) out.push_back(g[id].name);
    return out;
}

std::vector<std::pair<std::string, std::string>> edges(const layer_graph& g) {
    std::vector<std::pair<std::string, std::string>> out;
    for (layer_id u = 0; u < g.size(); ++u)
        for (layer_id v : g.successors(u)) out.emplace_back(g[u].name, g[v].name);
    std::sort(out.begin(), out.end());
    return out;
}

// The sequential migration delay of docs/model.md, written out independently of the evaluators:
// input transfer, every compute time, each output sent once to every other node hosting one of
// its consumers, and the result back to node 0.
double sequential_delay(const layer_graph& g, const analytic_model& m,
                        const std::vector<node_id>& x) {
    double t = m.transfer_time(g.input_bytes(), 0, x[g.input()]);
    for (layer_id j = 0; j < g.size(); ++j) {
        t += m.compute_time(g[j], x[j]);
        std::set<node_id> targets;
        for (layer_id k : g.successors(j))
            if (x[k] != x[j]) targets.insert(x[k]);
        for (node_id s : targets) t += m.transfer_time(g[j].output_bytes, x[j], s);
    }
    return t + m.transfer_time(g[g.output()].output_bytes, x[g.output()], 0);
}

analytic_model three_nodes() {
    environment_builder b;
    b.add_node({.name = "phone",
                .tier = tier::local,
                .flops_per_s = 10,
                .speed_factor = 1,
                .memory_bytes = {},
                .power = {}});
    b.add_node({.name = "edge",
                .tier = tier::edge,
                .flops_per_s = 40,
                .speed_factor = 1,
                .memory_bytes = {},
                .power = {}});
    b.add_node({.name = "cloud",
                .tier = tier::cloud,
                .flops_per_s = 200,
                .speed_factor = 1,
                .memory_bytes = {},
                .power = {}});
    b.connect(0, 1, {.bandwidth_Bps = 8, .latency_s = 0.5});
    b.connect(0, 2, {.bandwidth_Bps = 2, .latency_s = 2});
    b.connect(1, 2, {.bandwidth_Bps = 16, .latency_s = 1});
    return analytic_model(b.build());
}

// Everything merge_parameter_free promises, checked on any graph.
void check_merge(const layer_graph& g, const merged_graph& m) {
    const layer_graph& h = m.graph;
    REQUIRE(m.merged_into.size() == g.size());
    REQUIRE(m.members.size() == h.size());
    CHECK(h.name() == g.name());
    CHECK(h.input_bytes() == g.input_bytes());
    CHECK(h.total_macs() == doctest::Approx(g.total_macs()));
    CHECK(h.total_flops() == doctest::Approx(g.total_flops()));
    CHECK(h.total_param_bytes() == doctest::Approx(g.total_param_bytes()));
    CHECK(m.merged_into[g.input()] == h.input());
    CHECK(m.members[h.input()] == std::vector<layer_id>{g.input()});
    CHECK(m.merged_into[g.output()] == h.output());

    std::size_t counted = 0;
    for (layer_id k = 0; k < h.size(); ++k) {
        const auto& group = m.members[k];
        REQUIRE_FALSE(group.empty());
        counted += group.size();
        std::size_t with_parameters = 0;
        for (std::size_t i = 0; i < group.size(); ++i) {
            CHECK(m.merged_into[group[i]] == k);
            with_parameters += g[group[i]].has_parameters() ? 1 : 0;
            // Consecutive members are joined by a chain edge.
            if (i + 1 < group.size()) {
                REQUIRE(g.successors(group[i]).size() == 1);
                CHECK(g.successors(group[i]).front() == group[i + 1]);
                CHECK(g.predecessors(group[i + 1]).size() == 1);
            }
        }
        CHECK(with_parameters <= 1);
        // Name of the parameter layer, else of the first member; output of the last member.
        layer_id kept = group.front();
        for (layer_id id : group)
            if (g[id].has_parameters()) kept = id;
        CHECK(h[k].name == g[kept].name);
        CHECK(h[k].kind == g[kept].kind);
        CHECK(h[k].output_bytes == g[group.back()].output_bytes);
        CHECK(h[k].output_shape == g[group.back()].output_shape);
        // Numbered by first member.
        if (k > 0) CHECK(m.members[k - 1].front() < group.front());
    }
    CHECK(counted == g.size());

    // Edges: exactly the original edges between different groups.
    std::set<std::pair<layer_id, layer_id>> expected;
    for (layer_id u = 0; u < g.size(); ++u)
        for (layer_id v : g.successors(u))
            if (m.merged_into[u] != m.merged_into[v])
                CHECK(expected.emplace(m.merged_into[u], m.merged_into[v]).second);
    std::set<std::pair<layer_id, layer_id>> actual;
    for (layer_id u = 0; u < h.size(); ++u)
        for (layer_id v : h.successors(u)) actual.emplace(u, v);
    CHECK(actual == expected);

    // A fixed point: no chain edge is left along which a parameter-free layer could merge.
    for (layer_id u = 0; u < h.size(); ++u) {
        if (u == h.input() || h.successors(u).size() != 1) continue;
        const layer_id v = h.successors(u).front();
        if (h.predecessors(v).size() != 1) continue;
        CHECK(h[u].has_parameters());
        CHECK(h[v].has_parameters());
    }
    // So merging again changes nothing.
    const merged_graph again = merge_parameter_free(h);
    CHECK(again.graph.size() == h.size());
}

}  // namespace

TEST_CASE("merge_parameter_free: conv -> relu -> pool becomes one conv layer") {
    layer_graph_builder b("cnn");
    const auto in = b.add_layer(model_input());
    layer conv{.name = "conv",
               .kind = "conv",
               .macs = 100,
               .flops = 200,
               .param_bytes = 64,
               .output_bytes = 400,
               .output_shape = {4, 10, 10},
               .device_time_s = 1.0,
               .server_time_s = 0.1,
               .load_time_s = 0.25};
    layer relu{.name = "relu",
               .kind = "relu",
               .macs = 0,
               .flops = 40,
               .param_bytes = 0,
               .output_bytes = 400,
               .output_shape = {4, 10, 10},
               .device_time_s = 0.5,
               .server_time_s = {},
               .load_time_s = {}};
    layer pool{.name = "pool",
               .kind = "pool",
               .macs = 0,
               .flops = 30,
               .param_bytes = 0,
               .output_bytes = 100,
               .output_shape = {4, 5, 5},
               .device_time_s = 0.25,
               .server_time_s = 0.02,
               .load_time_s = {}};
    layer fc{.name = "fc",
             .kind = "fc",
             .macs = 1000,
             .flops = 2000,
             .param_bytes = 4000,
             .output_bytes = 40,
             .output_shape = {10},
             .device_time_s = 2.0,
             .server_time_s = 0.2,
             .load_time_s = 0.5};
    layer softmax{.name = "softmax",
                  .kind = "softmax",
                  .macs = 0,
                  .flops = 10,
                  .param_bytes = 0,
                  .output_bytes = 40,
                  .output_shape = {10},
                  .device_time_s = 0.125,
                  .server_time_s = 0.01,
                  .load_time_s = 0.125};
    const auto c = b.add_layer(conv, {in});
    const auto r = b.add_layer(relu, {c});
    const auto p = b.add_layer(pool, {r});
    const auto f = b.add_layer(fc, {p});
    const auto s = b.add_layer(softmax, {f});
    const layer_graph g = b.build();

    const merged_graph m = merge_parameter_free(g);
    check_merge(g, m);
    const layer_graph& h = m.graph;
    CHECK(names(h) == std::vector<std::string>{"input", "conv", "fc"});
    CHECK(h.is_chain());
    CHECK(m.merged_into == std::vector<layer_id>{0, 1, 1, 1, 2, 2});
    CHECK(m.members == std::vector<std::vector<layer_id>>{{in}, {c, r, p}, {f, s}});

    // The input layer is kept as it was.
    CHECK(h[0].kind == "input");
    CHECK(h[0].device_time_s == 0.001);

    const layer& mc = h[1];
    CHECK(mc.kind == "conv");
    CHECK(mc.macs == 100);
    CHECK(mc.flops == 270);
    CHECK(mc.param_bytes == 64);
    CHECK(mc.output_bytes == 100);  // the pool's output
    CHECK(mc.output_shape == std::vector<std::size_t>{4, 5, 5});
    REQUIRE(mc.device_time_s);
    CHECK(*mc.device_time_s == doctest::Approx(1.75));
    CHECK_FALSE(mc.server_time_s);  // relu has no server time
    REQUIRE(mc.load_time_s);
    CHECK(*mc.load_time_s == doctest::Approx(0.25));

    const layer& mf = h[2];
    CHECK(mf.flops == 2010);
    CHECK(mf.param_bytes == 4000);
    CHECK(mf.output_bytes == 40);
    CHECK(*mf.device_time_s == doctest::Approx(2.125));
    CHECK(*mf.server_time_s == doctest::Approx(0.21));
    CHECK(*mf.load_time_s == doctest::Approx(0.625));
}

TEST_CASE("merge_parameter_free: parameter-free layers after the input merge forward") {
    layer_graph_builder b("m");
    const auto in = b.add_layer(model_input());
    const auto norm = b.add_layer(make_layer("normalize"), {in});
    const auto crop = b.add_layer(make_layer("crop"), {norm});
    const auto conv = b.add_layer(make_layer("conv", 8, "conv"), {crop});
    const layer_graph g = b.build();
    const merged_graph m = merge_parameter_free(g);
    check_merge(g, m);
    CHECK(names(m.graph) == std::vector<std::string>{"input", "conv"});
    CHECK(m.members[1] == std::vector<layer_id>{norm, crop, conv});
    CHECK(m.graph[1].output_bytes == g[conv].output_bytes);
    CHECK(m.graph[1].flops == 30);
}

TEST_CASE("merge_parameter_free: a residual fork and join") {
    // input -> conv0 -> relu0 (fork) -> a -> relu_a -> b -> add (join) -> relu -> fc,
    // with the skip relu0 -> add.
    layer_graph_builder b("res");
    const auto in = b.add_layer(model_input());
    const auto conv0 = b.add_layer(make_layer("conv0", 10), {in});
    const auto relu0 = b.add_layer(make_layer("relu0"), {conv0});
    const auto a = b.add_layer(make_layer("a", 10), {relu0});
    const auto relu_a = b.add_layer(make_layer("relu_a"), {a});
    const auto bb = b.add_layer(make_layer("b", 10), {relu_a});
    const auto add = b.add_layer(make_layer("add", 0, "add"), {bb, relu0});
    const auto relu = b.add_layer(make_layer("relu"), {add});
    const auto fc = b.add_layer(make_layer("fc", 10, "fc"), {relu});
    const layer_graph g = b.build();

    const merged_graph m = merge_parameter_free(g);
    check_merge(g, m);
    const layer_graph& h = m.graph;
    // relu0 is a fork but its edge from conv0 is a chain edge, so it merges back; add is a join
    // but its edge to relu is a chain edge, so add and relu merge forward into fc.
    CHECK(names(h) == std::vector<std::string>{"input", "conv0", "a", "b", "fc"});
    CHECK(m.members == std::vector<std::vector<layer_id>>{
                           {in}, {conv0, relu0}, {a, relu_a}, {bb}, {add, relu, fc}});
    CHECK(h[4].kind == "fc");
    CHECK(edges(h) ==
          std::vector<std::pair<std::string, std::string>>{
              {"a", "b"}, {"b", "fc"}, {"conv0", "a"}, {"conv0", "fc"}, {"input", "conv0"}});
}

TEST_CASE("merge_parameter_free: layers between a fork and a join stay") {
    // conv forks into x (no parameters) and y; both feed the join j, which feeds split (no
    // parameters, fork) -> p, q -> out (join). x, j's run and out have no chain edge to a
    // parameter layer.
    layer_graph_builder b("fj");
    const auto in = b.add_layer(model_input());
    const auto conv = b.add_layer(make_layer("conv", 10), {in});
    const auto x = b.add_layer(make_layer("x"), {conv});
    const auto y = b.add_layer(make_layer("y", 10), {conv});
    const auto j = b.add_layer(make_layer("j"), {x, y});
    const auto j2 = b.add_layer(make_layer("j_relu"), {j});
    const auto split = b.add_layer(make_layer("split"), {j2});
    const auto p = b.add_layer(make_layer("p", 10), {split});
    const auto q = b.add_layer(make_layer("q"), {split});
    const auto out = b.add_layer(make_layer("out"), {p, q});
    const layer_graph g = b.build();

    const merged_graph m = merge_parameter_free(g);
    check_merge(g, m);
    // j -> j_relu -> split is a parameter-free run between a join and a fork: one layer named
    // after its first member, with split's output.
    CHECK(names(m.graph) ==
          std::vector<std::string>{"input", "conv", "x", "y", "j", "p", "q", "out"});
    CHECK(m.members[4] == std::vector<layer_id>{j, j2, split});
    CHECK(m.graph[4].has_parameters() == false);
    CHECK(m.graph[4].flops == 30);
    CHECK(m.merged_into[x] == 2);
    CHECK(m.merged_into[q] == 6);
    CHECK(m.merged_into[out] == 7);
    CHECK(m.merged_into[y] == 3);
    CHECK(m.merged_into[p] == 5);
}

TEST_CASE("merge_parameter_free: a graph without parameter-free layers is unchanged") {
    const layer_graph g = test::chain(4);
    const merged_graph m = merge_parameter_free(g);
    check_merge(g, m);
    CHECK(names(m.graph) == names(g));
    CHECK(m.merged_into == std::vector<layer_id>{0, 1, 2, 3});

    const layer_graph one = test::chain(1);
    CHECK(merge_parameter_free(one).graph.size() == 1);
}

TEST_CASE("merge_parameter_free: random DAGs keep totals and the sequential delay") {
    std::mt19937_64 rng(31337);
    const analytic_model model = three_nodes();
    for (int round = 0; round < 200; ++round) {
        const std::size_t n = 1 + test::pick(rng, 30);
        const layer_graph g = test::random_dag(n, test::pick(rng, n + 1), rng);
        CAPTURE(round);
        const merged_graph m = merge_parameter_free(g);
        check_merge(g, m);
        // Any placement of the merged graph, mapped back, has the same sequential delay.
        for (int trial = 0; trial < 5; ++trial) {
            std::vector<node_id> merged_x(m.graph.size());
            for (auto& gene : merged_x) gene = static_cast<node_id>(test::pick(rng, 3));
            std::vector<node_id> x(g.size());
            for (layer_id j = 0; j < g.size(); ++j) x[j] = merged_x[m.merged_into[j]];
            CHECK(sequential_delay(m.graph, model, merged_x) ==
                  doctest::Approx(sequential_delay(g, model, x)));
        }
    }
}

TEST_CASE("merge_parameter_free: 10^4 layers") {
    std::mt19937_64 rng(5);
    const layer_graph g = test::random_dag(10'000, 3'000, rng);
    const merged_graph m = merge_parameter_free(g);
    CHECK(m.graph.size() < g.size());
    CHECK(m.graph.total_param_bytes() == doctest::Approx(g.total_param_bytes()));
}

TEST_CASE("merge_parameter_free: the IONN profiles") {
    // AlexNet: the input and its 5 convolutions and 3 fully connected layers.
    // GoogLeNet: the input, 57 convolutions and 1 classifier, and the concat (+ pool) + split of
    // each inception module but the last, whose concat merges forward into the classifier.
    // ResNet-50: the input, 53 x (conv, BatchNorm, Scale) and the fc, and 15 Eltwise + ReLU +
    // Split runs (the last one merges forward into the fc).
    struct expected {
        const char* model;
        std::size_t layers, merged, parameter_free;
    };
    for (const expected& e : {expected{"alexnet", 24, 9, 1}, expected{"googlenet", 152, 67, 9},
                              expected{"resnet50", 245, 176, 16}}) {
        const std::string model = e.model;
        CAPTURE(model);
        const auto g = test::ionn_profile(model);
        REQUIRE_MESSAGE(g, "cannot read the profile of " << model << " in " << test::data_dir());
        CHECK(g->size() == e.layers);
        const merged_graph m = merge_parameter_free(*g);
        check_merge(*g, m);
        CHECK(m.graph.size() == e.merged);
        std::size_t without = 0;
        for (layer_id id = 0; id < m.graph.size(); ++id)
            without += m.graph[id].has_parameters() ? 0 : 1;
        CHECK(without == e.parameter_free);
        // Measured times are complete in these profiles, so the sums survive the merge.
        double device = 0, merged_device = 0;
        for (layer_id id = 0; id < g->size(); ++id) device += *(*g)[id].device_time_s;
        for (layer_id id = 0; id < m.graph.size(); ++id)
            merged_device += *m.graph[id].device_time_s;
        CHECK(merged_device == doctest::Approx(device));
    }
}
