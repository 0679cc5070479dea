#pragma once
/// \file crossover.hpp
/// Crossover policies: a particle copies a part of a guide (its pBest or the swarm's gBest in
/// PSO-GA, the other parent in the GA baseline). Each exposes a deterministic `apply` with its
/// draws explicit and a thin `operator()` that draws them. The returned range is the hull of the
/// genes whose value actually changed, so identical segments cost no re-evaluation.

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/optim/detail/random.hpp>
#include <eosdnn/optim/gene_space.hpp>
#include <eosdnn/optim/operators/policy.hpp>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <random>
#include <span>
#include <string>
#include <utility>

namespace eosdnn {

/// A crossover overwrites some genes of `child` with those of `guide` (same dimension) and returns
/// the hull of the genes that changed. Since both hold only allowed values, so does the result,
/// and fixed genes (equal in every valid placement) never change. A `validate()` member is
/// optional (optim/operators/policy.hpp).
template <class C, class Rng>
concept crossover_operator = std::uniform_random_bit_generator<Rng> && std::copy_constructible<C> &&
    requires(const C& c, std::span<node_id> child, std::span<const node_id> guide,
             const gene_space& space, Rng& rng) {
    { c(child, guide, space, rng) } -> std::same_as<gene_range>;
};

namespace detail {

/// Copies guide[first, last) into child and returns the hull of the genes that differed.
inline gene_range copy_segment(std::span<node_id> child, std::span<const node_id> guide,
                               std::size_t first, std::size_t last) noexcept {
    // The first and the last gene that differ bound the change; between them one straight
    // copy (equal genes copied again are unchanged) replaces a branch and a store per gene.
    while (first < last && child[first] == guide[first]) ++first;
    if (first == last) return {};
    while (child[last - 1] == guide[last - 1]) --last;
    std::copy(guide.begin() + static_cast<std::ptrdiff_t>(first),
              guide.begin() + static_cast<std::ptrdiff_t>(last),
              child.begin() + static_cast<std::ptrdiff_t>(first));
    return {first, last};
}

}  // namespace detail

/// The paper's crossover: two cut points p <= q drawn uniformly over the genes; genes p..q
/// (inclusive) are copied from the guide.
struct two_point_crossover {
    /// Copies genes min(p,q)..max(p,q) inclusive. Deterministic core of operator().
    static gene_range apply(std::span<node_id> child, std::span<const node_id> guide, std::size_t p,
                            std::size_t q) noexcept {
        if (p > q) std::swap(p, q);
        return detail::copy_segment(child, guide, p, q + 1);
    }

    /// Draws both cut points independently in [0, dimension).
    template <std::uniform_random_bit_generator Rng>
    gene_range operator()(std::span<node_id> child, std::span<const node_id> guide,
                          const gene_space&, Rng& rng) const {
        const std::size_t n = child.size();
        if (n == 0) return {};
        const std::size_t p = detail::draw_index(n, rng);
        const std::size_t q = detail::draw_index(n, rng);
        return apply(child, guide, p, q);
    }
};

/// One cut point c drawn uniformly in [0, dimension): genes c..end are copied from the guide.
struct single_point_crossover {
    /// Copies genes [cut, end). Deterministic core of operator().
    static gene_range apply(std::span<node_id> child, std::span<const node_id> guide,
                            std::size_t cut) noexcept {
        return detail::copy_segment(child, guide, cut, child.size());
    }

    /// Draws the cut point.
    template <std::uniform_random_bit_generator Rng>
    gene_range operator()(std::span<node_id> child, std::span<const node_id> guide,
                          const gene_space&, Rng& rng) const {
        if (child.empty()) return {};
        return apply(child, guide, detail::draw_index(child.size(), rng));
    }
};

/// Each gene is copied from the guide independently with probability `rate`.
struct uniform_crossover {
    double rate = 0.5;  ///< probability that a gene comes from the guide, in [0, 1]

    /// Throws eosdnn::error unless rate is in [0, 1].
    void validate() const {
        if (!(rate >= 0 && rate <= 1))
            throw error(error_kind::validation, "uniform_crossover.rate is " +
                                                    std::to_string(rate) + " (must be in [0, 1])");
    }

    /// Copies the genes whose `take` flag is non-zero. Deterministic core of operator().
    static gene_range apply(std::span<node_id> child, std::span<const node_id> guide,
                            std::span<const unsigned char> take) noexcept {
        gene_range changed{};
        for (std::size_t g = 0; g < child.size(); ++g)
            if (take[g] && child[g] != guide[g]) {
                if (changed.empty()) changed.first = g;
                changed.last = g + 1;
                child[g] = guide[g];
            }
        return changed;
    }

    /// Draws one flag per gene, in gene order, and copies as apply() would (without a buffer).
    template <std::uniform_random_bit_generator Rng>
    gene_range operator()(std::span<node_id> child, std::span<const node_id> guide,
                          const gene_space&, Rng& rng) const {
        gene_range changed{};
        for (std::size_t g = 0; g < child.size(); ++g)
            if (detail::draw_bernoulli(rate, rng) && child[g] != guide[g]) {
                if (changed.empty()) changed.first = g;
                changed.last = g + 1;
                child[g] = guide[g];
            }
        return changed;
    }
};

}  // namespace eosdnn
