#pragma once
/// \file local_search.hpp
/// A first-improvement local search over block moves, used to polish PSO-GA's gBest (the hybrid)
/// and as the "greedy per layer" baseline (single-gene moves only).

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/incremental.hpp>
#include <eosdnn/core/problem.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/optim/gene_space.hpp>

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <span>
#include <vector>

namespace eosdnn {

/// Which moves the local search tries, for each free gene g and each other choice v of g.
struct local_search_options {
    bool single = true;  ///< set gene g to v
    bool prefix = true;  ///< set every free gene 0..g that allows v to v
    bool suffix = true;  ///< set every free gene g..end that allows v to v
    /// also every segment g..h (h > g) that allows v to v: O(n^2 S) moves per pass, for
    /// instances whose optimum has blocks in the middle; off by default
    bool segments = false;
    std::size_t max_passes = 0;  ///< passes over all moves; 0: until a pass improves nothing

    /// Throws eosdnn::error if no move is enabled.
    void validate() const {
        if (!single && !prefix && !suffix && !segments)
            throw error(error_kind::validation, "local_search_options: no move is enabled");
    }
};

/// Improves `x` (valued `value`) in place by the moves of `options`, taking each move that is
/// better() as soon as it is found, until a whole pass finds none (or max_passes). Returns the
/// number of evaluations spent. Deterministic: moves are tried in a fixed order.
///
/// Prefix and suffix moves are there because good offloading plans are blocks ("these layers
/// here, the rest there"): leaving a block one layer at a time costs two transfers before it pays,
/// so single-gene moves stall exactly where a block move succeeds.
template <placement_problem P>
std::size_t local_search(P& problem, const gene_space& space, std::vector<node_id>& x,
                         evaluation& value, const local_search_options& options = {}) {
    options.validate();
    std::size_t evaluations = 0;
    const std::size_t n = x.size();
    // With an incremental problem a move costs O(moved genes + log n), and the values are the
    // ones the swarm's incremental states give, so polished and swarm values compare exactly.
    auto state = [&] {
        if constexpr (incremental_placement_problem<P>) {
            auto s = problem.make_state();
            value = problem.evaluate(s, std::span<const node_id>(x));
            ++evaluations;
            return s;
        } else {
            return 0;
        }
    }();
    std::vector<node_id> saved(n);
    auto try_move = [&](std::size_t first, std::size_t last, node_id v) {
        std::copy(x.begin() + static_cast<std::ptrdiff_t>(first),
                  x.begin() + static_cast<std::ptrdiff_t>(last),
                  saved.begin() + static_cast<std::ptrdiff_t>(first));
        gene_range moved{};
        for (std::size_t g = first; g < last; ++g)
            if (x[g] != v && space.is_free(g) && space.allows(g, v)) {
                x[g] = v;
                if (moved.empty()) moved.first = g;
                moved.last = g + 1;
            }
        if (moved.empty()) return false;
        evaluation e;
        if constexpr (incremental_placement_problem<P>)
            e = problem.evaluate(state, std::span<const node_id>(x), moved);
        else
            e = problem.evaluate(std::span<const node_id>(x));
        ++evaluations;
        if (better(e, value)) {
            value = e;
            return true;
        }
        for (std::size_t g = moved.first; g < moved.last; ++g) x[g] = saved[g];
        if constexpr (incremental_placement_problem<P>)
            problem.evaluate(state, std::span<const node_id>(x), moved);  // restore the state
        return false;
    };
    for (std::size_t pass = 0; options.max_passes == 0 || pass < options.max_passes; ++pass) {
        bool improved = false;
        for (std::size_t g : space.free_genes())
            for (node_id v : space.choices(g)) {
                if (v == x[g]) continue;
                if (options.single && try_move(g, g + 1, v)) improved = true;
                if (v == x[g]) continue;
                if (options.prefix && try_move(0, g + 1, v)) improved = true;
                if (v == x[g]) continue;
                if (options.suffix && try_move(g, n, v)) improved = true;
                if (options.segments)
                    for (std::size_t h = g + 2; h < n && v != x[g]; ++h)
                        if (try_move(g, h, v)) improved = true;
            }
        if (!improved) break;
    }
    return evaluations;
}

}  // namespace eosdnn
