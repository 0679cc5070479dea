#pragma once
/// \file gene_space.hpp
/// The values each gene of a placement problem may take, flattened once so that operators can
/// draw from them millions of times without touching the problem.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/gene_range.hpp>
#include <eosdnn/core/problem.hpp>
#include <eosdnn/cost/environment.hpp>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace eosdnn {

/// The allowed values of every gene, stored flat. A gene with a single choice is *fixed* (a pinned
/// layer, or a problem that leaves no freedom): operators never select it, which is how pinned
/// layers are never mutated.
class gene_space {
public:
    /// An empty space (dimension 0).
    gene_space() = default;

    /// Copies the choices of every gene of `problem`. A pinned_placement_problem has each pinned
    /// gene reduced to its pinned node: the evaluators treat a pin as a constraint, the
    /// optimisers as a fixed gene, so a plan they return never breaks one. Throws eosdnn::error if a gene has
    /// no choice or is pinned to a node that is not one of its choices.
    template <placement_problem P>
    explicit gene_space(const P& problem) : gene_space(problem, eosdnn::pins_of(problem)) {}

    /// Copies the choices of every gene of `problem`, gene g reduced to `pinned[g]` when set
    /// (`pinned` is empty or has one entry per gene). Throws eosdnn::error if a gene has no
    /// choice, `pinned` has the wrong size, or a pin is not one of its gene's choices.
    template <placement_problem P>
    gene_space(const P& problem, std::span<const std::optional<node_id>> pinned) {
        const std::size_t n = problem.dimension();
        if (!pinned.empty() && pinned.size() != n)
            throw error(error_kind::validation, "pinned has " + std::to_string(pinned.size()) +
                                                    " entries for " + std::to_string(n) + " genes");
        begin_.reserve(n + 1);
        begin_.push_back(0);
        for (std::size_t g = 0; g < n; ++g) {
            const std::span<const node_id> c = problem.choices(g);
            if (!pinned.empty() && pinned[g]) {
                if (std::find(c.begin(), c.end(), *pinned[g]) == c.end())
                    throw error(error_kind::validation, "gene " + std::to_string(g) +
                                                            " is pinned to node " +
                                                            std::to_string(*pinned[g]) +
                                                            ", which is not one of its choices");
                append(g, std::span<const node_id>(&*pinned[g], 1));
            } else {
                append(g, c);
            }
        }
    }

    /// Builds a space from explicit choices, gene by gene (tests, problems of one's own).
    explicit gene_space(const std::vector<std::vector<node_id>>& choices) {
        begin_.reserve(choices.size() + 1);
        begin_.push_back(0);
        for (std::size_t g = 0; g < choices.size(); ++g) append(g, choices[g]);
    }

    /// Number of genes.
    std::size_t dimension() const noexcept { return begin_.empty() ? 0 : begin_.size() - 1; }

    /// The values gene `g` may take, in the problem's order.
    std::span<const node_id> choices(std::size_t g) const noexcept {
        return {values_.data() + begin_[g], values_.data() + begin_[g + 1]};
    }

    /// Number of values gene `g` may take.
    std::size_t choice_count(std::size_t g) const noexcept { return begin_[g + 1] - begin_[g]; }

    /// Genes with at least two choices: the only ones operators may change.
    std::span<const std::size_t> free_genes() const noexcept { return free_; }

    /// True if gene `g` has at least two choices.
    bool is_free(std::size_t g) const noexcept { return choice_count(g) > 1; }

    /// Position of `value` among the choices of gene `g`, or choice_count(g) if it is not one.
    std::size_t position(std::size_t g, node_id value) const noexcept {
        const auto c = choices(g);
        return static_cast<std::size_t>(std::find(c.begin(), c.end(), value) - c.begin());
    }

    /// True if `value` is one of the choices of gene `g`.
    bool allows(std::size_t g, node_id value) const noexcept {
        return position(g, value) < choice_count(g);
    }

    /// is_free(g) && allows(g, value): whether a block move may set gene `g` to `value`. With
    /// node ids below 64 (every environment of a few tiers) one bit test, not a search of the
    /// choices: block moves (segment mutation, the local search) ask it for every gene they span.
    bool movable(std::size_t g, node_id value) const noexcept {
        if (!movable_.empty()) return value < 64 && ((movable_[g] >> value) & 1U) != 0;
        return is_free(g) && allows(g, value);
    }

    /// True if `x` has dimension() genes, each one of its choices.
    bool contains(std::span<const node_id> x) const noexcept {
        if (x.size() != dimension()) return false;
        for (std::size_t g = 0; g < x.size(); ++g)
            if (!allows(g, x[g])) return false;
        return true;
    }

    /// Throws eosdnn::error naming `what` and the first bad gene unless contains(x).
    void check(std::span<const node_id> x, const std::string& what) const {
        if (x.size() != dimension())
            throw error(error_kind::validation, what + " has " + std::to_string(x.size()) +
                                                    " genes, the problem has " +
                                                    std::to_string(dimension()));
        for (std::size_t g = 0; g < x.size(); ++g)
            if (!allows(g, x[g]))
                throw error(error_kind::validation, what + ": gene " + std::to_string(g) +
                                                        " is node " + std::to_string(x[g]) +
                                                        ", which is not one of its choices");
    }

private:
    void append(std::size_t g, std::span<const node_id> c) {
        if (c.empty())
            throw error(error_kind::validation,
                        "gene " + std::to_string(g) + " of the problem has no choice");
        values_.insert(values_.end(), c.begin(), c.end());
        begin_.push_back(values_.size());
        if (c.size() > 1) free_.push_back(g);
        std::uint64_t bits = 0;
        for (const node_id v : c) masked_ = masked_ && v < 64;
        if (masked_ && c.size() > 1)
            for (const node_id v : c) bits |= std::uint64_t{1} << v;
        if (masked_)
            movable_.push_back(bits);
        else
            movable_.clear();
    }

    std::vector<node_id> values_{};
    std::vector<std::size_t> begin_{};
    std::vector<std::size_t> free_{};
    std::vector<std::uint64_t> movable_{};  // per gene, bit v: movable(g, v); empty: ids >= 64
    bool masked_ = true;                    // whether movable_ is kept (every id so far < 64)
};

}  // namespace eosdnn
