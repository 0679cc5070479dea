#pragma once
/// \file upload_units.hpp
/// The granularity every uploading planner works at. A *block* is a maximal run of consecutive
/// topological positions whose layers share one remote target node; a *unit* is one parameter
/// layer of a block together with the parameter-free layers that follow it (those in front of a
/// block's first parameter layer join that layer's unit). Units never cost zero to upload, so no
/// planner can produce a partition without parameters; a partition is always a run of whole
/// units of one block. Also finish_plan(), which every planner calls to turn its ordered layer
/// sets into an upload_plan.

#include <eosdnn/upload/effective_delay.hpp>
#include <eosdnn/upload/upload_plan.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace eosdnn {

/// A maximal run of topological positions first..last whose layers all target `node`.
struct upload_block {
    /// The target node of all its layers.
    node_id node = 0;
    /// First and last topological position of the run.
    std::size_t first = 0, last = 0;  ///< positions, inclusive
    /// Range of its units in upload_units::units.
    std::size_t first_unit = 0, end_unit = 0;  ///< its units are [first_unit, end_unit)
};

/// One parameter layer with its parameter-free followers: positions first..last of one block.
struct upload_unit {
    /// First and last topological position of the unit.
    std::size_t first = 0, last = 0;  ///< positions, inclusive
    std::size_t block = 0;            ///< index into upload_units::blocks
};

/// The blocks and units of a target placement, in topological order.
struct upload_units {
    std::vector<upload_block> blocks{};  ///< blocks with at least one parameter layer
    std::vector<upload_unit> units{};    ///< units of all those blocks, in position order
    /// Blocks without any parameter layer (a remote ReLU between two local layers, ...): they
    /// cost nothing and finish_plan() attaches them to a partition of the same node.
    std::vector<upload_block> free_blocks{};
};

/// Splits the remote layers of `q`'s placement into blocks and units.
template <class Model>
upload_units make_upload_units(const effective_delay<Model>& q) {
    upload_units out;
    const auto x = q.placement();
    const std::size_t n = q.size();
    std::size_t p = 0;
    while (p < n) {
        const node_id s = x[q.layer_at(p)];
        if (s == q.device()) {
            ++p;
            continue;
        }
        upload_block block{.node = s, .first = p, .last = p};
        while (block.last + 1 < n && x[q.layer_at(block.last + 1)] == s) ++block.last;
        p = block.last + 1;
        std::vector<std::size_t> starts;
        for (std::size_t i = block.first; i <= block.last; ++i)
            if (q.graph()[q.layer_at(i)].has_parameters()) starts.push_back(i);
        if (starts.empty()) {
            out.free_blocks.push_back(block);
            continue;
        }
        starts.front() = block.first;  // leading parameter-free layers join the first unit
        block.first_unit = out.units.size();
        const std::size_t index = out.blocks.size();
        for (std::size_t k = 0; k < starts.size(); ++k)
            out.units.push_back({.first = starts[k],
                                 .last = k + 1 < starts.size() ? starts[k + 1] - 1 : block.last,
                                 .block = index});
        block.end_unit = out.units.size();
        out.blocks.push_back(block);
    }
    return out;
}

/// Turns ordered steps (each a node and its layers) into an upload_plan:
/// - a step whose layers carry no parameters joins the next step to the same node, or the
///   previous one if there is none (it costs nothing to upload), unless it is made of whole
///   parameter-free blocks of `units`, which a planner placed there on purpose (IONN's steps,
///   planned without units, may add only parameter-free layers);
/// - each parameter-free block that no step holds yet joins the first step to its node; if no
///   step goes there, the block becomes a partition of its own at the front (it costs only its
///   load time, if any). Planners that place free blocks themselves (the efficiency rule, LMU)
///   put their layers in a step: those stay where they are;
/// - layers are sorted by position, sizes and upload times are summed; each partition's
///   upload_s also holds its overhead (effective_delay::partition_overhead()).
template <class Model>
upload_plan finish_plan(std::string planner, const effective_delay<Model>& q,
                        const upload_units& units, std::vector<upload_partition> steps) {
    const layer_graph& g = q.graph();
    auto params = [&](const upload_partition& part) {
        double bytes = 0;
        for (layer_id j : part.layers) bytes += g[j].param_bytes;
        return bytes;
    };
    std::vector<std::uint8_t> in_free_block(g.size(), 0);
    for (const upload_block& block : units.free_blocks)
        for (std::size_t p = block.first; p <= block.last; ++p) in_free_block[q.layer_at(p)] = 1;
    for (std::size_t k = 0; k < steps.size(); ++k) {
        if (steps[k].layers.empty() || params(steps[k]) > 0) continue;
        // Parameter-free blocks a planner placed as steps of their own stay where they are.
        if (std::all_of(steps[k].layers.begin(), steps[k].layers.end(),
                        [&](layer_id j) { return in_free_block[j] != 0; }))
            continue;
        std::size_t target = steps.size();
        for (std::size_t i = k + 1; i < steps.size() && target == steps.size(); ++i)
            if (steps[i].node == steps[k].node && !steps[i].layers.empty()) target = i;
        for (std::size_t i = k; i-- > 0 && target == steps.size();)
            if (steps[i].node == steps[k].node && !steps[i].layers.empty()) target = i;
        if (target == steps.size()) continue;
        steps[target].layers.insert(steps[target].layers.end(), steps[k].layers.begin(),
                                    steps[k].layers.end());
        steps[k].layers.clear();
    }
    std::erase_if(steps, [](const upload_partition& part) { return part.layers.empty(); });
    std::vector<std::uint8_t> placed(g.size(), 0);
    for (const auto& part : steps)
        for (layer_id j : part.layers) placed[j] = 1;
    for (const upload_block& block : units.free_blocks) {
        if (placed[q.layer_at(block.first)]) continue;  // the planner placed it itself
        auto it = std::find_if(steps.begin(), steps.end(), [&](const upload_partition& part) {
            return part.node == block.node;
        });
        if (it == steps.end())
            it = steps.insert(steps.begin(), upload_partition{.node = block.node});
        for (std::size_t p = block.first; p <= block.last; ++p) it->layers.push_back(q.layer_at(p));
    }
    upload_plan plan{.planner = std::move(planner),
                     .device = q.device(),
                     .placement = {q.placement().begin(), q.placement().end()},
                     .partitions = std::move(steps)};
    for (auto& part : plan.partitions) {
        std::sort(part.layers.begin(), part.layers.end(),
                  [&](layer_id a, layer_id b) { return q.position(a) < q.position(b); });
        part.param_bytes = params(part);
        part.overhead_s = q.partition_overhead(part.node);
        part.upload_s = part.overhead_s;
        for (layer_id j : part.layers) part.upload_s += q.upload_time(j);
    }
    return plan;
}

/// The layers at positions first..last as one step to `node`.
template <class Model>
upload_partition range_step(const effective_delay<Model>& q, node_id node, std::size_t first,
                            std::size_t last) {
    upload_partition part{.node = node};
    for (std::size_t p = first; p <= last; ++p) part.layers.push_back(q.layer_at(p));
    return part;
}

namespace detail::upload {

// Gains (effective_delay::gain()) by acknowledged set and range, for efficiency_engine runs on one
// graph, model, placement and device (LMU's readings, with and without per-partition overheads,
// price the same ranges under the same sets again and again). gain() is a function of the set
// and the range alone, so a remembered gain is the computed one, bit for bit. A set is known by
// two 64-bit keys, the XOR of random keys of its positions (as in plan_polisher).
class gain_memo {
public:
    struct set_key {
        std::uint64_t a = 0, b = 0;
        friend set_key operator^(set_key x, set_key y) noexcept { return {x.a ^ y.a, x.b ^ y.b}; }
    };
    // Sizes the keys for `n` positions (once; the same n every time).
    void prepare(std::size_t n) {
        if (prefix_.size() == n + 1) return;
        prefix_.assign(n + 1, set_key{});
        for (std::size_t p = 0; p < n; ++p) {
            const std::uint64_t z = static_cast<std::uint64_t>(p + 1) * 0x9e3779b97f4a7c15ULL;
            prefix_[p + 1] = prefix_[p] ^ set_key { mix(z), mix(z ^ 0x5bd1e9955bd1e995ULL) };
        }
    }
    // The key of q's acknowledged set (prepare()s for q's size).
    template <class Model>
    set_key acked_key(const effective_delay<Model>& q) {
        prepare(q.size());
        set_key k{};
        for (std::size_t p = 0; p < q.size(); ++p)
            if (q.acknowledged(q.layer_at(p))) k = k ^ key_of(p, p);
        return k;
    }
    // The key of positions first..last.
    set_key key_of(std::size_t first, std::size_t last) const noexcept {
        return prefix_[last + 1] ^ prefix_[first];
    }
    // The gain of first..last under the set `u`: remembered, or `compute()` (then remembered).
    template <class Compute>
    double get(set_key u, std::size_t first, std::size_t last, const Compute& compute) {
        if (2 * (size_ + 1) > slots_.size() && !grow()) return compute();
        std::size_t i = mix(u.a ^ (first * 0xff51afd7ed558ccdULL) ^ (last << 32 ^ last)) & mask_;
        for (;; i = (i + 1) & mask_) {
            entry& e = slots_[i];
            if (!e.used) break;
            if (e.a == u.a && e.b == u.b && e.first == first && e.last == last) return e.gain;
        }
        const double g = compute();
        slots_[i] = {.a = u.a, .b = u.b, .first = first, .last = last, .gain = g, .used = true};
        ++size_;
        return g;
    }

private:
    struct entry {
        std::uint64_t a = 0, b = 0;
        std::size_t first = 0, last = 0;
        double gain = 0;
        bool used = false;
    };
    static std::uint64_t mix(std::uint64_t z) noexcept {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // Doubles the table (at most max_slots); false when full.
    bool grow() {
        if (slots_.size() >= max_slots) return false;
        std::vector<entry> old(std::max<std::size_t>(4096, 2 * slots_.size()));
        old.swap(slots_);
        mask_ = slots_.size() - 1;
        size_ = 0;
        for (const entry& e : old)
            if (e.used) get({e.a, e.b}, e.first, e.last, [&] { return e.gain; });
        return true;
    }
    static constexpr std::size_t max_slots = std::size_t{1} << 18;
    std::vector<set_key> prefix_;
    std::vector<entry> slots_;
    std::size_t mask_ = 0, size_ = 0;
};

}  // namespace detail::upload

}  // namespace eosdnn
