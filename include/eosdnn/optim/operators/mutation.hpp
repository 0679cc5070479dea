#pragma once
/// \file mutation.hpp
/// Mutation policies of PSO-GA and the GA baseline: the inertia part of a particle's update.
/// Each one exposes a deterministic `apply` taking its draws explicitly (so tests need no random
/// engine) and a thin `operator()` that draws them with Boost.Random and calls `apply`.
/// Only free genes (more than one choice) are ever selected: pinned layers never move.

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/optim/detail/random.hpp>
#include <eosdnn/optim/gene_space.hpp>
#include <eosdnn/optim/operators/policy.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <random>
#include <span>
#include <string>
#include <utility>

namespace eosdnn {

/// A mutation changes some genes of `x` to other allowed values, drawing from `rng`, and returns
/// the hull of the genes it changed. It must keep every gene within its choices and never touch a
/// fixed gene. A `validate()` member is optional (optim/operators/policy.hpp).
template <class M, class Rng>
concept mutation_operator = std::uniform_random_bit_generator<Rng> && std::copy_constructible<M> &&
    requires(const M& m, std::span<node_id> x, const gene_space& space, Rng& rng) {
    { m(x, space, rng) } -> std::same_as<gene_range>;
};

/// The paper's mutation: one random free gene gets another of its choices, uniformly.
struct uniform_reset_mutation {
    /// Sets free gene `space.free_genes()[free_index]` to the `other`-th choice that differs from
    /// its current value (other < choice_count - 1). Deterministic core of operator().
    static gene_range apply(std::span<node_id> x, const gene_space& space, std::size_t free_index,
                            std::size_t other) noexcept {
        const std::size_t g = space.free_genes()[free_index];
        const auto c = space.choices(g);
        const std::size_t current = space.position(g, x[g]);
        // Skipping the current position makes every other value equally likely.
        x[g] = c[other >= current ? other + 1 : other];
        return {g, g + 1};
    }

    /// Draws the gene and the new value.
    template <std::uniform_random_bit_generator Rng>
    gene_range operator()(std::span<node_id> x, const gene_space& space, Rng& rng) const {
        const auto free = space.free_genes();
        if (free.empty()) return {};
        const std::size_t i = detail::draw_index(free.size(), rng);
        const std::size_t other = detail::draw_index(space.choice_count(free[i]) - 1, rng);
        return apply(x, space, i, other);
    }
};

/// Resets `k` distinct free genes (all of them if fewer), each to another of its choices: a
/// larger jump than the paper's one-gene move, useful when many layers must move together.
struct k_gene_reset_mutation {
    /// The largest k: the distinct genes are kept in a fixed buffer so a mutation never allocates.
    static constexpr std::size_t max_k = 32;
    std::size_t k = 2;  ///< genes reset per mutation, 1..max_k

    /// Throws eosdnn::error if k is outside 1..max_k.
    void validate() const {
        if (k < 1 || k > max_k)
            throw error(error_kind::validation, "k_gene_reset_mutation.k is " + std::to_string(k) +
                                                    " (must be in 1.." + std::to_string(max_k) +
                                                    ")");
    }

    /// Resets the free genes at positions `free_indices` of free_genes() (distinct), the i-th to
    /// its `others[i]`-th other choice. Deterministic core of operator().
    static gene_range apply(std::span<node_id> x, const gene_space& space,
                            std::span<const std::size_t> free_indices,
                            std::span<const std::size_t> others) noexcept {
        gene_range changed{};
        for (std::size_t i = 0; i < free_indices.size(); ++i)
            changed |= uniform_reset_mutation::apply(x, space, free_indices[i], others[i]);
        return changed;
    }

    /// Draws k distinct genes (Floyd's sampling) and their new values.
    template <std::uniform_random_bit_generator Rng>
    gene_range operator()(std::span<node_id> x, const gene_space& space, Rng& rng) const {
        const auto free = space.free_genes();
        const std::size_t n = free.size();
        const std::size_t count = k < n ? k : n;
        std::array<std::size_t, max_k> picked{};
        std::array<std::size_t, max_k> others{};
        // Floyd: for j = n-count .. n-1 draw t in [0, j]; take t unless already taken, else j.
        for (std::size_t m = 0, j = n - count; j < n; ++j, ++m) {
            const std::size_t t = detail::draw_index(j + 1, rng);
            bool taken = false;
            for (std::size_t q = 0; q < m; ++q) taken = taken || picked[q] == t;
            picked[m] = taken ? j : t;
        }
        for (std::size_t m = 0; m < count; ++m)
            others[m] = detail::draw_index(space.choice_count(free[picked[m]]) - 1, rng);
        return apply(x, space, std::span(picked.data(), count), std::span(others.data(), count));
    }
};

/// Moves one random free gene to a neighbouring choice (the previous or next one in the gene's
/// choice list). The evaluators list choices by node index, which is tier order (local device,
/// edge servers, cloud), so this is a move to an adjacent tier or server: a local step, where
/// uniform reset is a global one.
struct neighbour_tier_mutation {
    /// Moves free gene `space.free_genes()[free_index]` one position up (`up`) or down its choice
    /// list; at either end of the list it moves the only possible way. Deterministic core.
    static gene_range apply(std::span<node_id> x, const gene_space& space, std::size_t free_index,
                            bool up) noexcept {
        const std::size_t g = space.free_genes()[free_index];
        const auto c = space.choices(g);
        std::size_t p = space.position(g, x[g]);
        if (p >= c.size()) p = 0;  // not a choice: cannot happen for a valid particle
        if (p == 0) up = true;
        if (p + 1 == c.size()) up = false;
        x[g] = c[up ? p + 1 : p - 1];
        return {g, g + 1};
    }

    /// Draws the gene and the direction.
    template <std::uniform_random_bit_generator Rng>
    gene_range operator()(std::span<node_id> x, const gene_space& space, Rng& rng) const {
        const auto free = space.free_genes();
        if (free.empty()) return {};
        const std::size_t i = detail::draw_index(free.size(), rng);
        return apply(x, space, i, detail::draw_bernoulli(0.5, rng));
    }
};

/// Moves a whole segment at once: a random free gene f, a second end q (uniform over the genes,
/// plus an extra chance each for the first and the last gene), and one of f's other choices;
/// every free gene between f and q that allows that value takes it. The optimum of a chain (and of most DAG blocks) runs consecutive layers on the same
/// node, and a one-gene move out of such a block pays two transfers before it can pay off; a
/// segment move crosses that barrier in one step. Not in the paper: an eosdnn extension.
struct segment_reset_mutation {
    /// Sets every free gene of [min(p,q), max(p,q)] that allows `value` to it. Deterministic core.
    static gene_range apply(std::span<node_id> x, const gene_space& space, std::size_t p,
                            std::size_t q, node_id value) noexcept {
        if (p > q) std::swap(p, q);
        gene_range changed{};
        for (std::size_t g = p; g <= q && g < x.size(); ++g) {
            if (x[g] == value || !space.movable(g, value)) continue;
            x[g] = value;
            if (changed.empty()) changed.first = g;
            changed.last = g + 1;
        }
        return changed;
    }

    /// Draws a free gene f, a second cut point, and a value among f's choices other than x[f],
    /// so that at least gene f moves.
    template <std::uniform_random_bit_generator Rng>
    gene_range operator()(std::span<node_id> x, const gene_space& space, Rng& rng) const {
        const auto free = space.free_genes();
        if (free.empty()) return {};
        const std::size_t f = free[detail::draw_index(free.size(), rng)];
        // The other end is uniform over the genes plus two extra outcomes, the first and the
        // last gene, because offloading plans are mostly "a prefix here, the rest there": a
        // whole prefix or suffix should not be a 1/n^2 event.
        std::size_t other = detail::draw_index(x.size() + 2, rng);
        if (other == x.size()) other = 0;
        if (other == x.size() + 1) other = x.size() - 1;
        const auto c = space.choices(f);
        const std::size_t current = space.position(f, x[f]);
        const std::size_t pick = detail::draw_index(c.size() - 1, rng);
        return apply(x, space, f, other, c[pick >= current ? pick + 1 : pick]);
    }
};

}  // namespace eosdnn
