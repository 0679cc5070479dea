#pragma once
/// \file local_search.hpp
/// A first-improvement local search over block moves, used to polish PSO-GA's gBest (the hybrid)
/// and as the "greedy per layer" baseline (single-gene moves only).

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/incremental.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/core/problem.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/optim/detail/sequential_model.hpp>
#include <eosdnn/optim/gene_space.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <span>
#include <string>
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
    /// Evaluations the call may spend, 0: no limit. On a large model a pass costs n S moves of
    /// up to n genes each: the budget (and the time limit) keeps a polish from outlasting the
    /// run that asked for it. The search stops where the budget ends, keeping every gain so far.
    std::size_t max_evaluations = 0;
    double time_limit_s = 0;  ///< wall-clock seconds of the call, 0: no limit

    /// Throws eosdnn::error if no move is enabled or the time limit is negative or not finite.
    void validate() const {
        if (!single && !prefix && !suffix && !segments)
            throw error(error_kind::validation, "local_search_options: no move is enabled");
        detail::require_time_limit("local_search_options.time_limit_s", time_limit_s);
    }
};

namespace detail {

/// Stops a local search at its evaluation budget or its time limit (the clock is read every
/// 256 moves, so a check costs nothing next to a move).
class search_budget {
public:
    explicit search_budget(const local_search_options& o)
        : max_evaluations_(o.max_evaluations), time_limit_s_(o.time_limit_s),
          start_(std::chrono::steady_clock::now()) {}

    /// True once the budget or the time is spent; `evaluations` spent so far.
    bool exhausted(std::size_t evaluations) {
        if (max_evaluations_ && evaluations >= max_evaluations_) return true;
        if (time_limit_s_ <= 0 || (++moves_ & 255) != 0) return out_of_time_;
        out_of_time_ =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() >=
            time_limit_s_;
        return out_of_time_;
    }

private:
    std::size_t max_evaluations_;
    double time_limit_s_;
    std::chrono::steady_clock::time_point start_;
    std::size_t moves_ = 0;
    bool out_of_time_ = false;
};

/// The single, prefix and suffix moves of local_search() on one chain under the sequential
/// schedule, whose layers are numbered in chain order: the objective is then a sum of terms that
/// each read one or two neighbouring genes (exact_dag::weighted_costs, the exact solver's form of the
/// objective), so a move's change is a difference of prefix sums. Per target node v, Fenwick
/// trees hold the change of every term if its genes that allow v took v; a pass prices all of
/// its n S moves in O(n S log n) instead of O(n^2 S), and an accepted move updates the terms of
/// the genes it changed. A move is taken or refused on its predicted change when that is clearly
/// negative or positive (beyond a relative 1e-9, far above the rounding of either sum); an
/// unclear one is decided by the problem's own evaluations, as the full search decides it. So
/// the moves taken, and the local optimum reached, are those of the full search.
template <sequential_structured_problem P>
class chain_moves {
public:
    /// Whether the fast path prices `problem` exactly: a chain numbered in order, the
    /// sequential schedule, every transfer between choices finite, and a violation that no
    /// move can change (no memory capacity, no deadline; pinned genes never move).
    static bool applies(const P& problem, const gene_space& space) {
        const auto& L = problem.layers();
        const std::size_t n = problem.dimension();
        if (n < 2 || problem.options().schedule != dag_schedule::sequential) return false;
        if (!problem.memory_limits().capped_nodes().empty() || problem.limits().deadline_s)
            return false;
        for (std::size_t j = 0; j < n; ++j) {
            if (L.order[j] != j) return false;
            const auto pred = L.predecessors(static_cast<layer_id>(j));
            const auto succ = L.successors(static_cast<layer_id>(j));
            if (pred.size() != (j > 0 ? 1U : 0U) || (j > 0 && pred[0] != j - 1)) return false;
            if (succ.size() != (j + 1 < n ? 1U : 0U) || (j + 1 < n && succ[0] != j + 1))
                return false;
        }
        const exact_dag::weighted_costs<P> costs(problem);
        for (std::size_t g = 0; g < n; ++g)
            for (node_id s : space.choices(g)) {
                if (!std::isfinite(costs.compute(static_cast<layer_id>(g), s))) return false;
                if (g + 1 < n)
                    for (node_id r : space.choices(g + 1))
                        if (!std::isfinite(costs.transfer(1.0, s, r))) return false;
            }
        return true;
    }

    chain_moves(const P& problem, const gene_space& space, const std::vector<node_id>& x)
        : p_(problem), space_(space), x_(x), costs_(problem), n_(x.size()) {
        // One slot per node that some gene may take, not per node id: a chain on a phone with
        // id 9999 and three servers keeps four rows of n terms, not 10^4.
        for (std::size_t g = 0; g < n_; ++g)
            for (node_id v : space.choices(g)) {
                if (v >= slot_of_.size()) slot_of_.resize(std::size_t{v} + 1, no_slot);
                if (slot_of_[v] != no_slot) continue;
                slot_of_[v] = slot_node_.size();
                slot_node_.push_back(v);
            }
        const std::size_t slots = slot_node_.size();
        prefix_.assign(slots * n_, 0.0);
        suffix_.assign(slots * n_, 0.0);
        prefix_tree_.assign(slots * (n_ + 1), 0.0);
        suffix_tree_.assign(slots * (n_ + 1), 0.0);
        rebuild();
    }

    /// Recomputes every term and tree from the current placement (clears rounding drift).
    void rebuild() {
        for (auto* v : {&prefix_, &suffix_, &prefix_tree_, &suffix_tree_})
            std::fill(v->begin(), v->end(), 0.0);
        for (std::size_t k = 0; k < slot_node_.size(); ++k)
            for (std::size_t j = 0; j < n_; ++j) {
                set(prefix_, prefix_tree_, k, j, prefix_term(slot_node_[k], j));
                set(suffix_, suffix_tree_, k, j, suffix_term(slot_node_[k], j));
            }
    }

    /// The predicted change of the objective by the move of genes [first, last) to v (first
    /// == 0: a prefix, last == n: a suffix, last == first + 1: one gene).
    double change(std::size_t first, std::size_t last, node_id v) const {
        if (last == first + 1) {
            const std::size_t g = first;
            double d = compute(g, v) - compute(g, x_[g]);
            if (g > 0) d += transfer(g - 1, x_[g - 1], v) - transfer(g - 1, x_[g - 1], x_[g]);
            if (g + 1 < n_) d += transfer(g, v, x_[g + 1]) - transfer(g, x_[g], x_[g + 1]);
            return d;
        }
        if (first == 0) {
            const std::size_t g = last - 1;
            double d = sum(prefix_tree_, v, last);
            if (last < n_) d += transfer(g, take(g, v), x_[last]) - transfer(g, x_[g], x_[last]);
            return d;
        }
        double d = sum(suffix_tree_, v, n_) - sum(suffix_tree_, v, first);
        d += transfer(first - 1, x_[first - 1], take(first, v)) -
             transfer(first - 1, x_[first - 1], x_[first]);
        return d;
    }

    /// Updates the terms that read genes [first, last), after they changed.
    void changed(std::size_t first, std::size_t last) {
        const std::size_t lo = first > 0 ? first - 1 : 0, hi = std::min(last + 1, n_);
        for (std::size_t k = 0; k < slot_node_.size(); ++k)
            for (std::size_t j = lo; j < hi; ++j) {
                set(prefix_, prefix_tree_, k, j, prefix_term(slot_node_[k], j));
                set(suffix_, suffix_tree_, k, j, suffix_term(slot_node_[k], j));
            }
    }

private:
    double compute(std::size_t j, node_id s) const {
        return costs_.compute(static_cast<layer_id>(j), s);
    }
    double transfer(std::size_t producer, node_id from, node_id to) const {
        return costs_.transfer(p_.layers().output_bytes[producer], from, to);
    }
    // The gene j after a block move to v: v if the gene may take it, else unchanged.
    node_id take(std::size_t j, node_id v) const { return space_.movable(j, v) ? v : x_[j]; }
    // Term j of a prefix move: layer j and the transfer that reaches it, both ends moved.
    double prefix_term(node_id v, std::size_t j) const {
        const node_id y = take(j, v);
        double d = compute(j, y) - compute(j, x_[j]);
        if (j > 0) d += transfer(j - 1, take(j - 1, v), y) - transfer(j - 1, x_[j - 1], x_[j]);
        return d;
    }
    // Term j of a suffix move: layer j and the transfer that leaves it, both ends moved.
    double suffix_term(node_id v, std::size_t j) const {
        const node_id y = take(j, v);
        double d = compute(j, y) - compute(j, x_[j]);
        if (j + 1 < n_) d += transfer(j, y, take(j + 1, v)) - transfer(j, x_[j], x_[j + 1]);
        return d;
    }
    // Fenwick trees, one per slot, 1-based in blocks of n + 1.
    void set(std::vector<double>& terms, std::vector<double>& tree, std::size_t slot, std::size_t j,
             double term) {
        const double delta = term - terms[slot * n_ + j];
        terms[slot * n_ + j] = term;
        if (delta == 0) return;
        double* t = tree.data() + slot * (n_ + 1);
        for (std::size_t i = j + 1; i <= n_; i += i & (~i + 1)) t[i] += delta;
    }
    // The sum of terms [0, count) of node v (a node some gene may take).
    double sum(const std::vector<double>& tree, node_id v, std::size_t count) const {
        const double* t = tree.data() + slot_of_[v] * (n_ + 1);
        double s = 0;
        for (std::size_t i = count; i > 0; i -= i & (~i + 1)) s += t[i];
        return s;
    }

    const P& p_;
    const gene_space& space_;
    const std::vector<node_id>& x_;
    exact_dag::weighted_costs<P> costs_;
    std::size_t n_;
    static constexpr std::size_t no_slot = ~std::size_t{0};
    std::vector<std::size_t> slot_of_{};  // node id -> slot, no_slot if no gene may take it
    std::vector<node_id> slot_node_{};    // slot -> node id
    std::vector<double> prefix_{}, suffix_{}, prefix_tree_{}, suffix_tree_{};
};

}  // namespace detail

/// Improves `x` (valued `value`) in place by the moves of `options`, taking each move that is
/// better() as soon as it is found, until a whole pass finds none (or max_passes, the evaluation
/// budget or the time limit). Returns the number of evaluations spent. Deterministic: moves are
/// tried in a fixed order (the budget and the time limit only cut the search short).
///
/// Prefix and suffix moves are there because good offloading plans are blocks ("these layers
/// here, the rest there"): leaving a block one layer at a time costs two transfers before it pays,
/// so single-gene moves stall exactly where a block move succeeds. A block move that changes the
/// same genes as a move of the same gene and node refused just before (a prefix or suffix that
/// moves gene g alone, the single move of g) is the same placement and is not priced again.
///
/// On one chain under the sequential schedule (detail::chain_moves) moves are priced from
/// prefix sums and only unclear ones are evaluated: a pass costs O(n S log n), not O(n^2 S),
/// and reaches the same moves as pricing every move in full.
template <placement_problem P>
std::size_t local_search(P& problem, const gene_space& space, std::vector<node_id>& x,
                         evaluation& value, const local_search_options& options = {}) {
    options.validate();
    detail::search_budget budget(options);
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
    auto evaluate = [&](gene_range moved) {
        ++evaluations;
        if constexpr (incremental_placement_problem<P>)
            return problem.evaluate(state, std::span<const node_id>(x), moved);
        else
            return problem.evaluate(std::span<const node_id>(x));
    };
    std::vector<node_id> saved(n);
    // Moves genes [first, last) that may take v to v; returns the genes moved.
    auto apply = [&](std::size_t first, std::size_t last, node_id v) {
        std::copy(x.begin() + static_cast<std::ptrdiff_t>(first),
                  x.begin() + static_cast<std::ptrdiff_t>(last),
                  saved.begin() + static_cast<std::ptrdiff_t>(first));
        gene_range moved{};
        for (std::size_t g = first; g < last; ++g)
            if (x[g] != v && space.movable(g, v)) {
                x[g] = v;
                if (moved.empty()) moved.first = g;
                moved.last = g + 1;
            }
        return moved;
    };
    auto undo = [&](gene_range moved) {
        for (std::size_t g = moved.first; g < moved.last; ++g) x[g] = saved[g];
    };
    const auto spent = [&] {
        return options.max_evaluations && evaluations >= options.max_evaluations;
    };
    // The genes moved by the moves of the current gene and node refused so far: a move that
    // changes the same genes (the same hull: every gene in it that may take v takes v) is the
    // same placement, refused already, and is not priced again.
    std::array<gene_range, 8> refused{};
    std::size_t refused_count = 0;
    // Moves genes [first, last) that may take v to v and keeps the move if it is better.
    auto try_move = [&](std::size_t first, std::size_t last, node_id v) {
        if (spent()) return false;
        const gene_range moved = apply(first, last, v);
        if (moved.empty()) return false;
        if (std::find(refused.begin(), refused.begin() + static_cast<std::ptrdiff_t>(refused_count),
                      moved) != refused.begin() + static_cast<std::ptrdiff_t>(refused_count)) {
            undo(moved);
            return false;
        }
        const evaluation e = evaluate(moved);
        if (better(e, value)) {
            value = e;
            return true;
        }
        undo(moved);
        if constexpr (incremental_placement_problem<P>)
            problem.evaluate(state, std::span<const node_id>(x), moved);  // restore the state
        if (refused_count < refused.size()) refused[refused_count++] = moved;
        return false;
    };
    if constexpr (sequential_structured_problem<P> && !incremental_placement_problem<P>) {
        if (!options.segments && detail::chain_moves<P>::applies(problem, space)) {
            detail::chain_moves<P> moves(problem, space, x);
            bool stale = false;  // value is not yet the evaluation of x (moves taken on prices)
            auto try_priced = [&](std::size_t first, std::size_t last, node_id v) {
                const double d = moves.change(first, last, v);
                const double clear = 1e-9 * (std::abs(value.objective) + std::abs(d));
                if (d >= clear) return false;
                if (spent()) return false;
                const gene_range moved = apply(first, last, v);
                if (moved.empty()) return false;
                bool take = d <= -clear;
                if (!take) {  // too close to call: decide as the full search does
                    const evaluation e = evaluate(moved);
                    if (stale) {
                        undo(moved);
                        value = evaluate(moved);
                        apply(first, last, v);
                    }
                    take = better(e, value);
                    if (take) value = e;
                    stale = false;
                } else {
                    stale = true;
                }
                if (!take) {
                    undo(moved);
                    return false;
                }
                moves.changed(moved.first, moved.last);
                return true;
            };
            for (std::size_t pass = 0; options.max_passes == 0 || pass < options.max_passes;
                 ++pass) {
                bool improved = false;
                if (pass > 0) moves.rebuild();
                for (std::size_t g : space.free_genes()) {
                    for (node_id v : space.choices(g)) {
                        if (v == x[g]) continue;
                        if (budget.exhausted(evaluations)) break;
                        if (options.single && try_priced(g, g + 1, v)) improved = true;
                        if (v == x[g]) continue;
                        if (options.prefix && try_priced(0, g + 1, v)) improved = true;
                        if (v == x[g]) continue;
                        if (options.suffix && try_priced(g, n, v)) improved = true;
                    }
                    if (budget.exhausted(evaluations)) break;
                }
                if (!improved || budget.exhausted(evaluations)) break;
            }
            if (stale) value = evaluate(gene_range{0, n});
            return evaluations;
        }
    }
    for (std::size_t pass = 0; options.max_passes == 0 || pass < options.max_passes; ++pass) {
        bool improved = false;
        for (std::size_t g : space.free_genes()) {
            for (node_id v : space.choices(g)) {
                if (v == x[g]) continue;
                if (budget.exhausted(evaluations)) break;
                refused_count = 0;
                if (options.single && try_move(g, g + 1, v)) improved = true;
                if (v == x[g]) continue;
                if (options.prefix && try_move(0, g + 1, v)) improved = true;
                if (v == x[g]) continue;
                if (options.suffix && try_move(g, n, v)) improved = true;
                if (options.segments)
                    for (std::size_t h = g + 2; h < n && v != x[g]; ++h)
                        if (try_move(g, h, v)) improved = true;
            }
            if (budget.exhausted(evaluations)) break;
        }
        if (!improved || budget.exhausted(evaluations)) break;
    }
    return evaluations;
}

}  // namespace eosdnn
