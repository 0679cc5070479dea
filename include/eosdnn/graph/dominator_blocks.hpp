#pragma once
/// \file dominator_blocks.hpp
/// Groups a layer DAG into a chain of blocks at its cut vertices, as IONN does for GoogLeNet and
/// ResNet, so that chain algorithms (shortest paths, IONN's execution graph) apply to DAGs.

#include <eosdnn/core/error.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/graph/detail/combine_layers.hpp>
#include <eosdnn/graph/layer.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn {

/// A run of layers that a plan keeps together: the layers strictly after one boundary layer up to
/// and including the next one (see dominator_blocks()).
struct layer_block {
    std::vector<layer_id> layers{};  ///< members, in the graph's topological order
    layer_id entry = 0;              ///< the first member in topological order (layers.front())
    layer_id exit = 0;               ///< the boundary layer that ends the block (layers.back())
};

/// True for each layer that every input -> output path passes through (the "cut vertices").
///
/// Such a layer dominates the output (from the input) and post-dominates the input. Since every
/// layer of a layer_graph lies on an input -> output path, both conditions say the same thing, and
/// for any topological order they are equivalent to: no edge jumps over the layer's position.
/// Proof sketch: an edge a -> b with rank(a) < rank(v) < rank(b) extends to an input -> a -> b ->
/// output path, whose ranks increase and so never meet v; conversely a path whose ranks climb from
/// 0 to n-1 without an edge jumping rank(v) must step on rank(v). Checking that takes one sweep
/// over the edges with a difference array, O(n + m), exact, and needs none of the depth-first
/// bookkeeping of Lengauer-Tarjan (the tests check the result against
/// boost::lengauer_tarjan_dominator_tree and against path enumeration).
inline std::vector<bool> cut_vertices(const layer_graph& g) {
    const std::size_t n = g.size();
    const auto rank = g.topological_rank();
    // covering[r] = number of edges a -> b with rank(a) < r < rank(b), built as a difference array.
    std::vector<long long> covering(n + 1, 0);
    for (layer_id from = 0; from < n; ++from)
        for (layer_id to : g.successors(from)) {
            const std::size_t a = rank[from], b = rank[to];
            if (b > a + 1) {
                ++covering[a + 1];
                --covering[b];
            }
        }
    std::vector<bool> cut(n, false);
    long long open = 0;
    const auto order = g.topological_order();
    for (std::size_t r = 0; r < n; ++r) {
        open += covering[r];
        cut[order[r]] = open == 0;
    }
    return cut;
}

/// Splits `g` into a chain of blocks at its cut vertices b_0 = input, b_1, ..., b_k = output
/// (in topological order):
/// - the first block is the input layer alone: {b_0};
/// - block i (1 <= i <= k) holds every layer after b_{i-1} and up to b_i, b_i included; its exit
///   is b_i.
/// Every layer is in exactly one block, each block is a contiguous range of the topological
/// order, and the only data crossing from one block to the next is the exit's output: the
/// members other than the exit feed only members of their own block, and a block's members read
/// only each other and the previous exit. So a chain yields one block per layer, a residual
/// block (x -> conv -> conv -> add, x -> add) yields {conv, conv, add} with exit `add`, and an
/// inception module yields its four branches and its concat, with exit the concat.
///
/// Boundary layers end blocks rather than forming blocks of their own, because a block that
/// ended with the branches of a fork would have several outputs and no single output size.
inline std::vector<layer_block> dominator_blocks(const layer_graph& g) {
    const std::vector<bool> cut = cut_vertices(g);
    std::vector<layer_block> blocks;
    layer_block current;
    for (layer_id id : g.topological_order()) {
        current.layers.push_back(id);
        if (cut[id]) {
            current.entry = current.layers.front();
            current.exit = id;
            blocks.push_back(std::move(current));
            current = layer_block{};
        }
    }
    // The output is a cut vertex and comes last, so nothing is left in `current`.
    return blocks;
}

/// A chain with one layer per block, in block order, so that a chain planner can plan a DAG at
/// block granularity. A single-layer block is that layer, unchanged. A larger block becomes a
/// layer
/// - named after its exit (unique, and find() on `g` gives back the exit), of kind "block";
/// - with macs, flops and param_bytes summed over the members;
/// - with the exit's output_bytes and output_shape (the only data leaving the block);
/// - with device_time_s / server_time_s summed when every member has them, else unset, because
///   a partial sum would undercount while an unset time falls back to FLOPs / rate for the whole
///   block;
/// - with load_time_s summed over the members that have one (the cost models read a missing load
///   time as 0), unset when no member has one.
/// The model name and input bytes are those of `g`. Under the sequential delay model, placing
/// every member of a block on the block's node costs exactly what the chain layer costs.
///
/// Throws eosdnn::error (validation) unless `blocks` partition the layers of `g` into non-empty
/// blocks, each exit is a member of its block, and every edge runs inside a block (from a member
/// other than the exit) or from a block's exit into the next block: what dominator_blocks()
/// returns, or a coarser grouping of it.
inline layer_graph block_chain(const layer_graph& g, const std::vector<layer_block>& blocks) {
    const auto fail = [&](const std::string& what) {
        throw error(error_kind::validation, "block_chain of model '" + g.name() + "': " + what);
    };
    // Which block each layer is in, checking that the blocks partition the layers.
    constexpr std::size_t none = static_cast<std::size_t>(-1);
    std::vector<std::size_t> block_of(g.size(), none);
    for (std::size_t b = 0; b < blocks.size(); ++b) {
        if (blocks[b].layers.empty()) fail("block #" + std::to_string(b) + " has no layers");
        for (layer_id id : blocks[b].layers) {
            const layer& l = g.at(id);  // throws on an index out of range
            if (block_of[id] != none) fail("layer '" + l.name + "' is in more than one block");
            block_of[id] = b;
        }
        g.at(blocks[b].exit);
        if (block_of[blocks[b].exit] != b)
            fail("the exit '" + g[blocks[b].exit].name + "' of block #" + std::to_string(b) +
                 " is not one of its layers");
    }
    for (layer_id id = 0; id < g.size(); ++id)
        if (block_of[id] == none) fail("layer '" + g[id].name + "' is in no block");
    // Data may only flow inside a block, or from a block's exit into the next block; otherwise
    // the chain would drop a transfer.
    for (layer_id from = 0; from < g.size(); ++from)
        for (layer_id to : g.successors(from)) {
            const std::size_t a = block_of[from], b = block_of[to];
            const bool is_exit = blocks[a].exit == from;
            if ((a == b && !is_exit) || (b == a + 1 && is_exit)) continue;
            fail("edge '" + g[from].name + "' -> '" + g[to].name +
                 "' does not run inside a block or from a block's exit into the next block");
        }

    layer_graph_builder builder(g.name());
    builder.set_input_bytes(g.input_bytes());
    std::optional<layer_id> previous;
    for (const layer_block& block : blocks) {
        const layer& exit = g[block.exit];
        layer merged;
        if (block.layers.size() == 1) {
            merged = exit;
        } else {
            merged.name = exit.name;
            merged.kind = "block";
            detail::combine_layers(g, block.layers, block.exit, merged);
        }
        const layer_id id = builder.add_layer(std::move(merged));
        if (previous) builder.add_edge(*previous, id);
        previous = id;
    }
    return builder.build();
}

}  // namespace eosdnn
