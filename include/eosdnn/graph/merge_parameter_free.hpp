#pragma once
/// \file merge_parameter_free.hpp
/// Merges layers without parameters (ReLU, pooling, LRN, Caffe's Split, ...) into a neighbouring
/// layer, so that plans and uploads are made at the granularity of the layers that carry
/// parameters. Such layers cost nothing to upload, so planning them separately only enlarges the
/// search space.

#include <eosdnn/graph/builder.hpp>
#include <eosdnn/graph/detail/combine_layers.hpp>
#include <eosdnn/graph/layer.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

namespace eosdnn {

/// The result of merge_parameter_free(): the smaller graph and how to map plans back.
struct merged_graph {
    layer_graph graph;                    ///< one layer per group of merged layers
    std::vector<layer_id> merged_into{};  ///< per original layer: its layer in `graph`
    /// Per layer of `graph`: the original layers merged into it, from the input side on.
    std::vector<std::vector<layer_id>> members{};
};

/// Merges each parameter-free layer (param_bytes == 0) into a neighbour along a "chain edge":
/// an edge u -> v where u has exactly one successor (v) and v has exactly one predecessor (u).
/// The rules, applied until nothing changes, with groups of merged layers treated as layers:
/// 1. a parameter-free layer merges into its predecessor when the edge between them is a chain
///    edge (conv -> relu -> pool becomes one layer "conv" whose output is the pool's);
/// 2. otherwise a parameter-free layer merges into its successor when the edge between them is
///    a chain edge (a concat followed by a conv becomes the conv's layer);
/// 3. otherwise it stays a layer of its own: a join whose successor has other inputs, a fork
///    whose predecessor has other consumers, a parameter-free layer between a fork and a join;
/// 4. the input layer never merges and nothing merges into it, so the model input keeps its own
///    layer (to pin it on the device, for instance).
/// Chain edges form disjoint paths, and the rules come down to: along each such path (the input
/// layer left out), every parameter-free layer joins the nearest parameter layer before it, those
/// in front of the first parameter layer join that one, and a path without parameter layers
/// becomes one layer. So a merged layer holds at most one parameter layer.
///
/// A merged layer takes the name and kind of its parameter layer (of its first member when it
/// has none); sums macs, flops and param_bytes; takes output_bytes and output_shape of its last
/// member; sums device_time_s and server_time_s when every member has them and leaves them unset
/// otherwise (a partial sum would undercount, while an unset time falls back to FLOPs / rate);
/// sums load_time_s over the members that have one (a missing load time reads as 0), unset when
/// none has. Its predecessors are those of its first member, its successors those of its last.
/// The graph keeps the model name and input bytes; merged layers are numbered in the order of
/// their first members.
///
/// Why the sequential delay is preserved: only chain edges are contracted. When u and v sit on
/// the same node, the transfer u -> v costs nothing, and it is u's only transfer (v is its only
/// consumer) and v's only input; what remains is compute time, which the merged layer sums, and
/// v's output, which the merged layer sends to the same consumers. So any placement of the
/// merged graph has exactly the sequential delay of the original placement that puts every
/// member on the merged layer's node. (Under list scheduling the members become one task that
/// a node runs without interleaving other layers, which can shift start times slightly.)
inline merged_graph merge_parameter_free(const layer_graph& g) {
    const std::size_t n = g.size();
    const layer_id input = g.input();
    const auto chain_next = [&](layer_id u) -> std::optional<layer_id> {
        if (u == input || g.successors(u).size() != 1) return std::nullopt;
        const layer_id v = g.successors(u).front();
        if (g.predecessors(v).size() != 1) return std::nullopt;
        return v;
    };
    const auto chain_previous = [&](layer_id v) -> std::optional<layer_id> {
        if (g.predecessors(v).size() != 1) return std::nullopt;
        const layer_id u = g.predecessors(v).front();
        if (u == input || g.successors(u).size() != 1) return std::nullopt;
        return u;
    };

    // Cut each chain path into groups: a new group starts at a parameter layer unless the group
    // so far holds only parameter-free layers, which then join it.
    std::vector<std::vector<layer_id>> groups;
    for (layer_id head : g.topological_order()) {
        if (chain_previous(head)) continue;  // not the first layer of its chain path
        std::vector<layer_id> group;
        bool group_has_parameters = false;
        for (std::optional<layer_id> v = head; v; v = chain_next(*v)) {
            const bool has_parameters = g[*v].has_parameters();
            if (has_parameters && group_has_parameters) {
                groups.push_back(std::move(group));
                group.clear();
                group_has_parameters = false;
            }
            group.push_back(*v);
            group_has_parameters = group_has_parameters || has_parameters;
        }
        groups.push_back(std::move(group));
    }
    // Number the groups in the order of their first members (the builder's order of layers).
    std::sort(groups.begin(), groups.end(),
              [](const auto& a, const auto& b) { return a.front() < b.front(); });

    std::vector<layer_id> merged_into(n);
    layer_graph_builder builder(g.name());
    builder.set_input_bytes(g.input_bytes());
    for (layer_id m = 0; m < groups.size(); ++m) {
        const std::vector<layer_id>& group = groups[m];
        layer_id kept = group.front();
        for (layer_id id : group)
            if (g[id].has_parameters()) kept = id;
        layer merged = g[kept];
        if (group.size() > 1) {
            detail::combine_layers(g, group, group.back(), merged);
        }
        builder.add_layer(std::move(merged));
        for (layer_id id : group) merged_into[id] = m;
    }
    // Only the last member of a group has consumers outside it, and only the first has producers
    // outside it, so each remaining edge maps to a distinct edge between groups.
    for (layer_id m = 0; m < groups.size(); ++m)
        for (layer_id to : g.successors(groups[m].back())) builder.add_edge(m, merged_into[to]);
    return merged_graph{.graph = builder.build(),
                        .merged_into = std::move(merged_into),
                        .members = std::move(groups)};
}

}  // namespace eosdnn
