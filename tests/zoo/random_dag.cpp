// Tests of make_random_dag(): exact size, one input and one output, acyclic, every layer on a
// path from input to output, reproducible from the seed, series-parallel exactly for the shapes
// that promise it (checked by an independent reduction), the shapes' own structure, the
// attribute ranges, and the validation of the options. Last, the hard environments of
// tests/optim/hard_environments.hpp: plausible figures, and random chains whose optimum there
// splits the model.

#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/optim/exact.hpp>
#include <eosdnn/zoo/random_dag.hpp>

#include "../error_message.hpp"
#include "../optim/hard_environments.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace eosdnn;

constexpr dag_shape all_shapes[] = {dag_shape::chain, dag_shape::residual, dag_shape::inception,
                                    dag_shape::mixed, dag_shape::layered};
constexpr std::size_t sizes[] = {2, 3, 20, 300, 1000};
constexpr std::uint64_t seeds[] = {1, 2, 77, 0xdeadbeef};

random_dag_options options(dag_shape shape, std::size_t layers, std::uint64_t seed) {
    random_dag_options o;
    o.shape = shape;
    o.layers = layers;
    o.seed = seed;
    return o;
}

// Acyclic by a depth-first search with three colours over successors(), independent of the
// builder's Kahn order.
bool acyclic(const layer_graph& g) {
    enum : char { white, grey, black };
    std::vector<char> colour(g.size(), white);
    for (layer_id root = 0; root < g.size(); ++root) {
        if (colour[root] != white) continue;
        std::vector<std::pair<layer_id, std::size_t>> stack{{root, 0}};
        colour[root] = grey;
        while (!stack.empty()) {
            auto& [v, next] = stack.back();
            const auto succ = g.successors(v);
            if (next == succ.size()) {
                colour[v] = black;
                stack.pop_back();
                continue;
            }
            const layer_id w = succ[next++];
            if (colour[w] == grey) return false;
            if (colour[w] == white) {
                colour[w] = grey;
                stack.emplace_back(w, 0);
            }
        }
    }
    return true;
}

// Layers reached from `from` following successors (forward) or predecessors (backward).
std::size_t reached(const layer_graph& g, layer_id from, bool forward) {
    std::vector<bool> seen(g.size(), false);
    std::vector<layer_id> todo{from};
    seen[from] = true;
    std::size_t count = 1;
    while (!todo.empty()) {
        const layer_id v = todo.back();
        todo.pop_back();
        for (layer_id w : forward ? g.successors(v) : g.predecessors(v))
            if (!seen[w]) {
                seen[w] = true;
                ++count;
                todo.push_back(w);
            }
    }
    return count;
}

// Two-terminal series-parallel with terminals input() and output(): series reductions (a layer
// with one in-neighbour u and one out-neighbour w becomes the edge u -> w) and parallel
// reductions (edges with the same ends merge, done by keeping neighbour sets) until a single
// edge input -> output remains. The reductions are confluent, so the order does not matter.
bool series_parallel(const layer_graph& g) {
    const std::size_t n = g.size();
    std::vector<std::set<layer_id>> in(n), out(n);
    for (layer_id v = 0; v < n; ++v)
        for (layer_id w : g.successors(v)) {
            out[v].insert(w);
            in[w].insert(v);
        }
    const layer_id s = g.input(), t = g.output();
    std::vector<bool> removed(n, false);
    std::vector<layer_id> work;
    for (layer_id v = 0; v < n; ++v) work.push_back(v);
    std::size_t left = n;
    while (!work.empty()) {
        const layer_id v = work.back();
        work.pop_back();
        if (removed[v] || v == s || v == t || in[v].size() != 1 || out[v].size() != 1) continue;
        const layer_id u = *in[v].begin(), w = *out[v].begin();
        out[u].erase(v);
        in[w].erase(v);
        removed[v] = true;
        --left;
        out[u].insert(w);  // merges with an existing u -> w: the parallel reduction
        in[w].insert(u);
        work.push_back(u);
        work.push_back(w);
    }
    return left == 2 && out[s].size() == 1 && *out[s].begin() == t;
}

std::string differences(const layer_graph& a, const layer_graph& b) {
    if (a.size() != b.size()) return "sizes differ";
    if (a.name() != b.name()) return "names differ";
    if (a.input_bytes() != b.input_bytes()) return "input bytes differ";
    for (layer_id id = 0; id < a.size(); ++id) {
        const layer &x = a[id], &y = b[id];
        const std::string where = "layer " + std::to_string(id) + ": ";
        if (x.name != y.name) return where + "name";
        if (x.kind != y.kind) return where + "kind";
        if (x.macs != y.macs || x.flops != y.flops) return where + "work";
        if (x.param_bytes != y.param_bytes) return where + "parameters";
        if (x.output_bytes != y.output_bytes) return where + "output";
        const auto sa = a.successors(id), sb = b.successors(id);
        if (!std::equal(sa.begin(), sa.end(), sb.begin(), sb.end())) return where + "edges";
    }
    return {};
}

std::size_t in_degree(const layer_graph& g, layer_id id) { return g.predecessors(id).size(); }

}  // namespace

TEST_CASE("random DAGs have the exact size, one input and output, and every layer on a path") {
    for (dag_shape shape : all_shapes)
        for (std::size_t n : sizes)
            for (std::uint64_t seed : seeds) {
                INFO(to_string(shape) << ", " << n << " layers, seed " << seed);
                const layer_graph g = make_random_dag(options(shape, n, seed));
                CHECK(g.size() == n);
                CHECK(acyclic(g));
                std::size_t sources = 0, sinks = 0;
                std::set<std::string> names;
                for (layer_id id = 0; id < n; ++id) {
                    sources += g.predecessors(id).empty() ? 1 : 0;
                    sinks += g.successors(id).empty() ? 1 : 0;
                    names.insert(g[id].name);
                }
                CHECK(sources == 1);
                CHECK(sinks == 1);
                CHECK(names.size() == n);
                CHECK(g[g.input()].kind == "input");
                CHECK(g[g.input()].name == "input");
                CHECK(g.input_bytes() == 602112);
                CHECK(g[g.output()].kind == "fc");
                CHECK(reached(g, g.input(), true) == n);    // everything comes from the input
                CHECK(reached(g, g.output(), false) == n);  // and reaches the output
                if (shape == dag_shape::chain) CHECK(g.is_chain());
            }
}

TEST_CASE("random DAGs: the same seed gives the same graph, another seed another one") {
    for (dag_shape shape : all_shapes)
        for (std::size_t n : sizes) {
            INFO(to_string(shape) << ", " << n << " layers");
            const layer_graph a = make_random_dag(options(shape, n, 5));
            const layer_graph b = make_random_dag(options(shape, n, 5));
            const layer_graph c = make_random_dag(options(shape, n, 6));
            CHECK(differences(a, b).empty());
            CHECK(differences(a, c) != "");
        }
}

TEST_CASE("random DAGs are pinned: the same draws on every platform") {
    // Draws use raw mt19937_64 output, integer arithmetic, square roots and products, so these
    // figures must come out exactly everywhere. A change here changes every benchmark instance.
    const layer_graph g = make_random_dag(options(dag_shape::mixed, 60, 42));
    CHECK(g.edge_count() == 76u);
    CHECK(g.total_flops() == 930266178.0);
    CHECK(g.total_param_bytes() == 26264072.0);
    CHECK(g[g.output()].output_bytes == 57468.0);
    const layer_graph h = make_random_dag(options(dag_shape::layered, 60, 42));
    CHECK(h.edge_count() == 114u);
    CHECK(h.total_flops() == 2029655185.0);
}

TEST_CASE("random DAGs: series-parallel shapes are, layered ones are not") {
    for (dag_shape shape : all_shapes)
        for (std::size_t n : sizes)
            for (std::uint64_t seed : seeds) {
                INFO(to_string(shape) << ", " << n << " layers, seed " << seed);
                const layer_graph g = make_random_dag(options(shape, n, seed));
                if (shape != dag_shape::layered)
                    CHECK(series_parallel(g));
                else if (n >= 20)
                    CHECK_FALSE(series_parallel(g));
            }
    // The checker itself: a diamond is series-parallel, the "Wheatstone bridge" is not.
    layer_graph_builder diamond;
    for (const char* name : {"s", "a", "b", "t"}) diamond.add_layer({.name = name, .kind = "x"});
    diamond.set_input_bytes(1);
    diamond.add_edge("s", "a");
    diamond.add_edge("s", "b");
    diamond.add_edge("a", "t");
    diamond.add_edge("b", "t");
    CHECK(series_parallel(diamond.build()));
    diamond.add_edge("a", "b");
    CHECK_FALSE(series_parallel(diamond.build()));
}

TEST_CASE("random DAGs have the structure of their shape") {
    for (std::uint64_t seed : seeds) {
        INFO("seed " << seed);
        const auto count = [](const layer_graph& g, const char* kind) {
            std::size_t c = 0;
            for (layer_id id = 0; id < g.size(); ++id) c += g[id].kind == kind ? 1 : 0;
            return c;
        };
        const layer_graph residual = make_random_dag(options(dag_shape::residual, 300, seed));
        CHECK(count(residual, "add") >= 300 / 6);
        CHECK(count(residual, "concat") == 0);
        for (layer_id id = 0; id < residual.size(); ++id)
            CHECK(in_degree(residual, id) == (residual[id].kind == "add" ? 2u : id == 0 ? 0u : 1u));

        const layer_graph inception = make_random_dag(options(dag_shape::inception, 300, seed));
        CHECK(count(inception, "concat") >= 300 / 19);
        CHECK(count(inception, "add") == 0);
        for (layer_id id = 0; id < inception.size(); ++id) {
            if (inception[id].kind != "concat") continue;
            CHECK(in_degree(inception, id) >= 2);
            CHECK(in_degree(inception, id) <= 6);
            double sum = 0;
            for (layer_id p : inception.predecessors(id)) sum += inception[p].output_bytes;
            CHECK(inception[id].output_bytes == sum);
        }

        const layer_graph mixed = make_random_dag(options(dag_shape::mixed, 300, seed));
        CHECK(count(mixed, "add") > 0);
        CHECK(count(mixed, "concat") > 0);

        const layer_graph layered = make_random_dag(options(dag_shape::layered, 300, seed));
        const layer_id collector = layered.predecessors(layered.output())[0];
        std::size_t long_skips = 0;
        for (layer_id id = 1; id < layered.size(); ++id) {
            if (id == collector || id == layered.output()) continue;
            CHECK(in_degree(layered, id) >= 1);
            CHECK(in_degree(layered, id) <= 3);
            for (layer_id p : layered.predecessors(id)) long_skips += id - p > 3 ? 1 : 0;
        }
        CHECK(long_skips > 0);
    }
}

TEST_CASE("random DAG attributes follow the options' ranges and trends") {
    for (dag_shape shape : all_shapes) {
        INFO(to_string(shape));
        random_dag_options o = options(shape, 1000, 3);
        const layer_graph g = make_random_dag(o);
        double early_out = 0, late_out = 0, early_flops = 0, late_flops = 0;
        std::size_t early = 0, late = 0, weighted = 0;
        for (layer_id id = 0; id < g.size(); ++id) {
            const layer& l = g[id];
            CHECK(std::isfinite(l.flops));
            CHECK(std::fmod(l.output_bytes, 4) == 0);
            if (l.kind == "conv") {
                ++weighted;
                CHECK(l.flops >= o.min_flops);
                CHECK(l.flops <= o.max_flops);
                CHECK(l.macs == l.flops / 2);
                CHECK(l.param_bytes >= o.min_param_bytes);
                CHECK(l.param_bytes <= o.max_param_bytes);
                CHECK(std::fmod(l.param_bytes, 4) == 0);
            } else if (l.kind != "fc") {
                CHECK(l.param_bytes == 0);
            }
            CHECK(l.output_bytes > 0);
            // Elsewhere a residual branch may end at the size of a concat before its block.
            if ((shape == dag_shape::chain || shape == dag_shape::layered) &&
                (l.kind == "conv" || l.kind == "relu")) {
                CHECK(l.output_bytes >= o.min_output_bytes - 2);
                CHECK(l.output_bytes <= o.max_output_bytes + 2);
            }
            if (l.kind != "conv") continue;
            if (id < g.size() / 4)
                early_out += std::log(l.output_bytes), early_flops += std::log(l.flops), ++early;
            if (id >= 3 * g.size() / 4)
                late_out += std::log(l.output_bytes), late_flops += std::log(l.flops), ++late;
        }
        CHECK(weighted > 400);  // parameter_share 0.6 of the plain layers
        REQUIRE(early > 0);
        REQUIRE(late > 0);
        CHECK(early_out / early > late_out / late + 2);      // outputs shrink along the network
        CHECK(early_flops / early + 2 < late_flops / late);  // and work grows
    }

    // Without a trend and with one fixed size, every draw is that size.
    random_dag_options flat = options(dag_shape::layered, 200, 9);
    flat.min_flops = flat.max_flops = 1e6;
    flat.min_output_bytes = flat.max_output_bytes = 1e4;
    flat.min_param_bytes = flat.max_param_bytes = 4e4;
    flat.parameter_share = 1;
    flat.trend = 0;
    const layer_graph g = make_random_dag(flat);
    for (layer_id id = 0; id < g.size(); ++id)
        if (g[id].kind == "conv") {
            CHECK(g[id].flops == 1e6);
            CHECK(g[id].param_bytes == 4e4);
            CHECK(g[id].output_bytes == 1e4);
        } else {
            CHECK(g[id].kind != "relu");  // parameter_share 1: every plain layer is weighted
        }
    CHECK(g[g.output()].param_bytes == 4e4);

    random_dag_options share0 = options(dag_shape::chain, 50, 9);
    share0.parameter_share = 0;
    const layer_graph relu = make_random_dag(share0);
    for (layer_id id = 1; id + 1 < relu.size(); ++id) CHECK(relu[id].kind == "relu");
}

TEST_CASE("random_dag_options are validated, naming the field") {
    using test::check_validation_error;
    const auto bad = [](auto change, const char* field) {
        random_dag_options o;
        change(o);
        INFO(field);
        check_validation_error([&] { (void)make_random_dag(o); },
                               {std::string("random_dag_options.") + field});
    };
    const double inf = std::numeric_limits<double>::infinity();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    bad([](auto& o) { o.layers = 0; }, "layers");
    bad([](auto& o) { o.layers = 1; }, "layers is 1");
    bad([](auto& o) { o.layers = 10'000'001; }, "layers");
    bad([](auto& o) { o.shape = static_cast<dag_shape>(9); }, "shape is 9");
    bad([&](auto& o) { o.input_bytes = 0; }, "input_bytes is 0");
    bad([&](auto& o) { o.input_bytes = nan; }, "input_bytes");
    bad([&](auto& o) { o.min_flops = 0.5; }, "min_flops is 0.5");
    bad([&](auto& o) { o.min_flops = -1; }, "min_flops");
    bad([&](auto& o) { o.max_flops = 10; }, "max_flops is 10");
    bad([&](auto& o) { o.max_flops = inf; }, "max_flops");
    bad([&](auto& o) { o.min_output_bytes = 2; }, "min_output_bytes is 2");
    bad([&](auto& o) { o.max_output_bytes = 1e16; }, "max_output_bytes");
    bad([&](auto& o) { o.min_param_bytes = nan; }, "min_param_bytes");
    bad([&](auto& o) { o.max_param_bytes = 100; }, "max_param_bytes is 100");
    bad([&](auto& o) { o.parameter_share = 1.5; }, "parameter_share is 1.5");
    bad([&](auto& o) { o.parameter_share = nan; }, "parameter_share");
    bad([&](auto& o) { o.trend = -0.1; }, "trend is -0.1");
    CHECK_NOTHROW(random_dag_options{}.validate());
    random_dag_options two;
    two.layers = 2;
    CHECK_NOTHROW(two.validate());
}

TEST_CASE("hard environments are plausible and random chains split there") {
    const auto environments = optim_test::hard_environments();
    REQUIRE(environments.size() == 4);
    for (const auto& named : environments) {
        const environment& env = named.env;  // not a structured binding: INFO captures it
        INFO(named.name);
        CHECK(env.size() >= 3);
        CHECK(env.size() <= 6);
        CHECK(env[0].tier == tier::local);
        for (node_id a = 0; a < env.size(); ++a) {
            CHECK_FALSE(env[a].memory_bytes.has_value());
            CHECK(env[a].flops_per_s >= 1e9);
            CHECK(env[a].flops_per_s <= 1e13);
            for (node_id b = 0; b < env.size(); ++b) {
                if (a == b) continue;
                const auto& l = env.link_between(a, b);
                REQUIRE(l.has_value());
                CHECK(l->bandwidth_Bps >= mbps(1));
                CHECK(l->bandwidth_Bps <= mbps(10000));
                CHECK(l->latency_s >= 1e-4);
                CHECK(l->latency_s <= 0.1);
            }
        }
        // The exact optimum of a random chain of 200 layers (Viterbi) beats running everything
        // on any one node by 10% or more, and uses at least two nodes besides.
        const analytic_model model(env);
        for (std::uint64_t seed : {1, 2, 3}) {
            INFO("seed " << seed);
            const layer_graph g = make_random_dag(options(dag_shape::chain, 200, seed));
            const exact_plan best = viterbi_chain(g, model);
            double single = std::numeric_limits<double>::infinity();
            for (node_id s = 0; s < env.size(); ++s) {
                const std::vector<node_id> all(g.size(), s);
                single = std::min(single, sequential_delay(g, model, all));
            }
            CHECK(best.delay_s < 0.9 * single);
            const std::set<node_id> used(best.placement.begin(), best.placement.end());
            CHECK(used.size() >= 2);
        }
    }
}
