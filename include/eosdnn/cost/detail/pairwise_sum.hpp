#pragma once
/// \file pairwise_sum.hpp
/// The one summation order of the evaluators' per-layer terms: a pairwise sum over blocks of
/// powers of two. pairwise_accumulator adds terms one at a time in O(log n) memory (the full
/// pass); pairwise_tree keeps every partial sum of the same shape, so that changing k terms
/// re-sums O(k log n) of them (the incremental pass). Both give the same double for the same
/// terms, whatever the history of changes, because the shape is fixed by the number of terms.

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <vector>

namespace eosdnn::detail {

/// The shape, for terms t_0 .. t_{n-1}: pad them with zeros to the next power of two P and add
/// them as a perfect binary tree (node = left + right). Adding a +0.0 is exact, so the padding
/// never shows; non-negative terms never produce -0.0.
///
/// The terms go in blocks of pairwise_block (8): a block is added as its subtree by
/// block_sum() (a partial last block is padded with zeros), and pairwise_cascade keeps the sums
/// of the complete runs of blocks seen so far (one per set bit of the block count, like a binary
/// counter); its total() adds those from the smallest up, which is the tree's value. The full
/// pass fills blocks of terms in a short loop the compiler unrolls, with no bookkeeping per term.
inline constexpr std::size_t pairwise_block = 8;

/// The sum of one block of pairwise_block terms, in the tree's order.
inline double block_sum(const double* b) noexcept {
    return ((b[0] + b[1]) + (b[2] + b[3])) + ((b[4] + b[5]) + (b[6] + b[7]));
}

/// Pairwise sums of `Columns` columns at once, fed one block sum per column at a time.
template <std::size_t Columns>
class pairwise_cascade {
public:
    using row = std::array<double, Columns>;

    /// Appends the sums of the next block.
    void add(row t) noexcept {
        std::size_t k = 0;
        for (std::size_t c = count_; c & 1; c >>= 1, ++k)
            for (std::size_t i = 0; i < Columns; ++i) t[i] = partial_[k][i] + t[i];
        partial_[k] = t;
        ++count_;
    }

    /// The sums of all blocks added so far (zeros for none).
    row total() const noexcept {
        row sum{};
        bool any = false;
        for (std::size_t k = 0, c = count_; c != 0; c >>= 1, ++k)
            if (c & 1) {
                for (std::size_t i = 0; i < Columns; ++i)
                    sum[i] = any ? partial_[k][i] + sum[i] : partial_[k][i];
                any = true;
            }
        return sum;
    }

private:
    std::array<row, 64> partial_{};  // partial_[k]: the last complete run of 2^k blocks
    std::size_t count_ = 0;          // blocks added
};

/// One column of terms added one at a time (where there is no loop to block).
class pairwise_accumulator {
public:
    /// Appends the next term.
    void add(double t) noexcept {
        block_[filled_++] = t;
        if (filled_ == pairwise_block) {
            sums_.add({block_sum(block_.data())});
            filled_ = 0;
        }
    }

    /// The sum of the terms added so far (0 for none).
    double total() const noexcept {
        if (filled_ == 0) return sums_.total()[0];
        pairwise_cascade<1> sums = sums_;
        std::array<double, pairwise_block> last{};
        std::copy(block_.begin(), block_.begin() + static_cast<std::ptrdiff_t>(filled_),
                  last.begin());
        sums.add({block_sum(last.data())});
        return sums.total()[0];
    }

private:
    std::array<double, pairwise_block> block_{};
    std::size_t filled_ = 0;
    pairwise_cascade<1> sums_{};
};

/// The layout of a pairwise_tree over `terms` terms with `columns` sums each (a row per tree
/// node): level 0 holds the terms, level k the sums of blocks of 2^k; a node whose right child
/// would cover only padding is a copy of its left child. Shared by every state of one problem.
class pairwise_shape {
public:
    pairwise_shape() = default;
    pairwise_shape(std::size_t terms, std::size_t columns) : columns_(columns) {
        std::size_t width = terms == 0 ? 1 : terms, start = 0;  // no terms: one zero row
        for (;;) {
            begin_.push_back(start);
            width_.push_back(width);
            start += width * columns;
            if (width <= 1) break;
            width = (width + 1) / 2;
        }
        doubles_ = start;
    }

    std::size_t columns() const noexcept { return columns_; }
    std::size_t levels() const noexcept { return width_.size(); }
    /// Doubles a tree of this shape stores (about 2 x terms x columns).
    std::size_t doubles() const noexcept { return doubles_; }

    /// The row of node `i` of level `k` in `tree`.
    double* row(std::vector<double>& tree, std::size_t k, std::size_t i) const noexcept {
        return tree.data() + begin_[k] + i * columns_;
    }
    const double* row(const std::vector<double>& tree, std::size_t k,
                      std::size_t i) const noexcept {
        return tree.data() + begin_[k] + i * columns_;
    }
    /// The root row: the sums of all terms (zeros for no terms).
    const double* root(const std::vector<double>& tree) const noexcept {
        return row(tree, levels() - 1, 0);
    }

    /// Recomputes node `i` of level `k` >= 1 from its children.
    void combine(std::vector<double>& tree, std::size_t k, std::size_t i) const noexcept {
        double* parent = row(tree, k, i);
        const double* left = row(tree, k - 1, 2 * i);
        if (2 * i + 1 < width_[k - 1]) {
            const double* right = left + columns_;
            for (std::size_t c = 0; c < columns_; ++c) parent[c] = left[c] + right[c];
        } else {
            for (std::size_t c = 0; c < columns_; ++c) parent[c] = left[c];
        }
    }

    /// Recomputes every node above the terms.
    void build(std::vector<double>& tree) const noexcept {
        for (std::size_t k = 1; k < levels(); ++k)
            for (std::size_t i = 0; i < width_[k]; ++i) combine(tree, k, i);
    }

    /// Recomputes the ancestors of the terms listed in `changed` (sorted, distinct), which is
    /// overwritten: O(|changed| log(terms / |changed|)) rows.
    void update(std::vector<double>& tree, std::vector<std::size_t>& changed) const noexcept {
        for (std::size_t k = 1; k < levels() && !changed.empty(); ++k) {
            std::size_t kept = 0;
            for (std::size_t i : changed) {
                const std::size_t parent = i >> 1;
                if (kept == 0 || changed[kept - 1] != parent) changed[kept++] = parent;
            }
            changed.resize(kept);
            for (std::size_t i : changed) combine(tree, k, i);
        }
    }

private:
    std::size_t columns_ = 0, doubles_ = 0;
    std::vector<std::size_t> begin_{}, width_{};  // per level: first double, nodes
};

}  // namespace eosdnn::detail
