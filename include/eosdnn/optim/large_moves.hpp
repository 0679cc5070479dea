#pragma once
/// \file large_moves.hpp
/// Moves that change many genes at once and are solved exactly: the hybrid PSO-GA applies them
/// to gBest when the swarm stalls. An *expansion* to a set A of nodes lets every layer either
/// stay where it is or move to any node of A (for one node, the alpha-expansion of Boykov,
/// Veksler and Zabih, PAMI 2001, solved here by the exact solver rather than a cut); a *window*
/// lets every layer of a run of consecutive layers in topological order take any node while the
/// rest stay. Both are restricted problems of solve_exact_within(): each move returns the best
/// placement of its neighbourhood, never a worse one than the current.
///
/// Expansions to one node at a time miss the plans that need two or three new nodes at once: a
/// model that moves from edge A to cloud C only pays when its result returns through edge B (a
/// relay), and moving to C alone is worse than staying. So the sets grow: all single nodes,
/// then (only if none of those improves) all pairs, then all triples, back to single nodes after
/// every improvement (a variable neighbourhood descent). Sizes with more than 4,096 sets (pairs
/// beyond 91 nodes, triples beyond 30) are skipped.
///
/// The moves honour the memory capacities (large_move_options::memory), each within a short
/// limit of its own where they exist, so that they can move layers between servers that are full.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/exact_result.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/optim/exact_dag.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn {

/// Which large moves to try and how big they are.
struct large_move_options {
    /// Largest set of nodes one expansion moves layers to (1: single nodes only; 0: no
    /// expansions). Sets of k nodes are tried only when no smaller set improves.
    std::size_t expansion_nodes = 3;
    std::size_t window = 48;     ///< layers per window move (windows overlap by half); 0: none
    std::size_t max_rounds = 0;  ///< rounds over all moves; 0: until a round improves nothing
    /// Time limit of each move's exact solve, in seconds (0: none). A move whose neighbourhood is
    /// too wide to solve in time still returns its best placement found, never a worse one.
    double move_time_limit_s = 0.25;
    /// Honour the problem's memory capacities inside each move's solve (the exact solver's
    /// Lagrangian prices, then its capacity search). Where capacities bind, a move that leaves
    /// them out almost always returns a plan that breaks one, which is never better(): without
    /// this the moves do nothing on the instances that need them most (docs/optimiser.md).
    bool memory = true;
    /// Time limit of each move's solve, in seconds, instead of move_time_limit_s when `memory`
    /// is on and the problem has memory capacities (0: none). The capacity search rarely proves
    /// a move's neighbourhood, so it usually ends at this limit: many short moves found better
    /// plans than a few long ones, in less time (docs/optimiser.md has the figures).
    double capped_move_time_limit_s = 0.01;
    /// Time limit of the whole call, in seconds (0: none): no new move starts after it.
    double time_limit_s = 1;

    /// Throws eosdnn::error if no move is enabled or the time limit is negative or not finite.
    void validate() const {
        if (expansion_nodes == 0 && window == 0)
            throw error(error_kind::validation, "large_move_options: no move is enabled");
        for (auto [field, value] : {std::pair{"move_time_limit_s", move_time_limit_s},
                                    std::pair{"capped_move_time_limit_s", capped_move_time_limit_s},
                                    std::pair{"time_limit_s", time_limit_s}})
            if (!std::isfinite(value) || value < 0)
                throw error(error_kind::validation, std::string("large_move_options.") + field +
                                                        " is " + std::to_string(value) +
                                                        " (must be finite and >= 0)");
    }
};

/// Improves `x` (valued `value`) in place by exact expansion and window moves until a round
/// improves nothing (or max_rounds). Returns the number of moves solved. Pinned layers keep
/// their node. Only for the sequential schedule (solve_exact's model); deterministic.
template <sequential_structured_problem P>
std::size_t large_moves(P& problem, std::vector<node_id>& x, evaluation& value,
                        const large_move_options& options) {
    options.validate();
    const std::size_t n = problem.dimension();
    const auto full = detail::exact_dag::full_domains(problem);
    std::vector<std::vector<node_id>> domains(n);
    std::size_t moves = 0;
    constexpr std::size_t max_sets = 4096;  // expansion sets of one size tried in one round
    const auto start = std::chrono::steady_clock::now();
    const auto time_left = [&] {
        if (options.time_limit_s == 0) return std::numeric_limits<double>::infinity();
        return options.time_limit_s -
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    // A move whose plan breaks a capacity is not better() (feasible plans win), so without
    // `memory` the capacities need not enter the searches; with it they do, under the shorter
    // limit (the capacity search can take long to prove little).
    const bool capped = options.memory && !problem.memory_limits().capped_nodes().empty();
    const auto solve = [&] {
        const double left = time_left();
        if (left <= 0) return false;
        // A move never improves its own start by moves (no recursion).
        double limit = capped ? options.capped_move_time_limit_s : options.move_time_limit_s;
        if (std::isfinite(left)) limit = limit == 0 ? left : std::min(limit, left);
        exact_options o{
            .time_limit_s = limit, .incumbent = x, .memory = capped, .improve_incumbent = false};
        const exact_result r =
            solve_exact_within(problem, std::span<const std::vector<node_id>>(domains), o);
        ++moves;
        if (!better(r.value, value)) return false;
        x = r.placement;
        value = r.value;
        return true;
    };
    const auto& order = problem.layers().order;
    const auto choices = problem.choices(0);
    // Sets of k nodes of `choices`, as index combinations in lexicographic order.
    const auto expand_sets = [&](std::size_t k) {
        bool improved = false;
        std::vector<std::size_t> pick(k);
        for (std::size_t i = 0; i < k; ++i) pick[i] = i;
        while (k <= choices.size() && time_left() > 0) {
            for (std::size_t j = 0; j < n; ++j) {
                domains[j] = {x[j]};
                for (std::size_t i : pick) {
                    const node_id a = choices[i];
                    if (a != x[j] && std::find(full[j].begin(), full[j].end(), a) != full[j].end())
                        domains[j].push_back(a);
                }
            }
            improved = solve() || improved;
            std::size_t i = k;  // next combination
            while (i > 0 && pick[i - 1] == choices.size() - k + i - 1) --i;
            if (i == 0) break;
            ++pick[i - 1];
            for (std::size_t m = i; m < k; ++m) pick[m] = pick[m - 1] + 1;
        }
        return improved;
    };
    for (std::size_t round = 0;
         (options.max_rounds == 0 || round < options.max_rounds) && time_left() > 0; ++round) {
        bool improved = false;
        // Sets of k nodes only while there are at most max_sets of them (C(S, k) grows fast:
        // a thousand nodes have 166 million triples).
        std::size_t largest = 0;
        for (double count = 1; largest < std::min(options.expansion_nodes, choices.size());) {
            count = count * static_cast<double>(choices.size() - largest) /
                    static_cast<double>(largest + 1);
            if (largest > 0 && count > static_cast<double>(max_sets)) break;
            ++largest;
        }
        for (std::size_t k = 1; k <= largest && !improved && time_left() > 0; ++k)
            improved = expand_sets(k);
        if (options.window > 0) {
            const std::size_t w = std::min(options.window, n),
                              step = std::max<std::size_t>(w / 2, 1);
            // Only the window's layers leave their node, so only their domains change between
            // windows: resetting all n of them per window made a pass quadratic in n.
            for (std::size_t j = 0; j < n; ++j) domains[j] = {x[j]};
            for (std::size_t first = 0; time_left() > 0; first += step) {
                const std::size_t last = std::min(first + w, n);
                for (std::size_t k = first; k < last; ++k) domains[order[k]] = full[order[k]];
                improved = solve() || improved;
                for (std::size_t k = first; k < last; ++k) domains[order[k]] = {x[order[k]]};
                if (last == n) break;
            }
        }
        if (!improved) break;
    }
    return moves;
}

namespace detail {
template <sequential_structured_problem P>
void improve_by_large_moves(P& problem, std::vector<node_id>& x, evaluation& value, double seconds,
                            bool memory) {
    large_move_options options;
    options.time_limit_s = seconds;
    options.memory = memory;
    large_moves(problem, x, value, options);
}
}  // namespace detail

/// large_moves() with the default options.
template <sequential_structured_problem P>
std::size_t large_moves(P& problem, std::vector<node_id>& x, evaluation& value) {
    return large_moves(problem, x, value, large_move_options{});
}

}  // namespace eosdnn
