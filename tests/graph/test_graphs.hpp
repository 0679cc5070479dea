#pragma once
// Graphs shared by the graph tests: chains, random DAGs with one input and one output, and the
// IONN profiles of data/ionn-profiles.

#include <eosdnn/graph/builder.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/io/profile_csv.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn::test {

/// A layer with the given name and parameters, FLOPs 10, output 4 bytes.
inline layer make_layer(std::string name, double param_bytes = 0, std::string kind = "op") {
    return layer{.name = std::move(name),
                 .kind = std::move(kind),
                 .macs = 0,
                 .flops = 10,
                 .param_bytes = param_bytes,
                 .output_bytes = 4,
                 .output_shape = {},
                 .device_time_s = {},
                 .server_time_s = {},
                 .load_time_s = {}};
}

/// A uniform index in [0, k): the modulo bias does not matter for tests, and unlike
/// std::uniform_int_distribution it gives the same draws on every standard library.
inline std::size_t pick(std::mt19937_64& rng, std::size_t k) {
    return static_cast<std::size_t>(rng() % k);
}

/// input -> l1 -> ... -> l(n-1).
inline layer_graph chain(std::size_t n) {
    layer_graph_builder b("chain");
    b.set_input_bytes(8);
    for (std::size_t i = 0; i < n; ++i) {
        b.add_layer(make_layer("l" + std::to_string(i), 100));
        if (i) b.add_edge(i - 1, i);
    }
    return b.build();
}

/// The edges of a random DAG on n >= 1 vertices with one source and one sink, vertices numbered
/// in a hidden topological order 0..n-1: each vertex after 0 gets a random earlier predecessor,
/// `extra` further random forward edges are tried, and each vertex without a successor (other
/// than n-1) gets a random later one.
inline std::vector<std::pair<std::size_t, std::size_t>> random_dag_edges(std::size_t n,
                                                                         std::size_t extra,
                                                                         std::mt19937_64& rng) {
    std::vector<std::pair<std::size_t, std::size_t>> edges;
    std::vector<std::vector<std::size_t>> out(n);
    const auto add = [&](std::size_t a, std::size_t b) {
        if (std::find(out[a].begin(), out[a].end(), b) != out[a].end()) return;
        out[a].push_back(b);
        edges.emplace_back(a, b);
    };
    for (std::size_t v = 1; v < n; ++v) {
        // Mostly local predecessors, so that large graphs keep some cut vertices.
        const std::size_t span = std::min<std::size_t>(v, 4);
        add(v - 1 - pick(rng, span), v);
    }
    for (std::size_t e = 0; e < extra && n > 2; ++e) {
        const std::size_t a = pick(rng, n - 1);
        const std::size_t b = a + 1 + pick(rng, std::min<std::size_t>(n - 1 - a, 5));
        add(a, b);
    }
    for (std::size_t v = 0; v + 1 < n; ++v)
        if (out[v].empty()) add(v, v + 1 + pick(rng, std::min<std::size_t>(n - 1 - v, 3)));
    return edges;
}

/// A random DAG whose layers are added in a random order (so ids are not topological) and whose
/// edges are added in a random order. Every third layer has parameters.
inline layer_graph random_dag(std::size_t n, std::size_t extra, std::mt19937_64& rng) {
    auto edges = random_dag_edges(n, extra, rng);
    std::vector<std::size_t> id_of(n);  // hidden position -> layer id
    std::iota(id_of.begin(), id_of.end(), std::size_t{0});
    std::shuffle(id_of.begin(), id_of.end(), rng);
    std::vector<std::size_t> position(n);
    for (std::size_t p = 0; p < n; ++p) position[id_of[p]] = p;
    layer_graph_builder b("random");
    b.set_input_bytes(16);
    for (std::size_t id = 0; id < n; ++id) {
        layer l = make_layer("v" + std::to_string(id), position[id] % 3 == 1 ? 64 : 0);
        l.macs = static_cast<double>(id);
        l.output_bytes = static_cast<double>(1 + id % 7);
        b.add_layer(std::move(l));
    }
    std::shuffle(edges.begin(), edges.end(), rng);
    for (auto [a, c] : edges) b.add_edge(id_of[a], id_of[c]);
    return b.build();
}

}  // namespace eosdnn::test

// The IONN profiles in data/ionn-profiles, read with the library's reader (which throws with the
// file name if it cannot). EOSDNN_DATA_DIR comes from CMake.

namespace eosdnn::test {

inline std::string data_dir() { return EOSDNN_DATA_DIR; }

/// The graph of data/ionn-profiles/<model>.csv.
inline std::optional<layer_graph> ionn_profile(const std::string& model) {
    return read_profile_csv(std::filesystem::path(data_dir()) / "ionn-profiles" / (model + ".csv"));
}

}  // namespace eosdnn::test
