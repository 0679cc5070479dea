#pragma once
/// \file gene_range.hpp
/// gene_range: the span of genes an operator changed, which incremental evaluation re-prices.

#include <algorithm>
#include <cstddef>

namespace eosdnn {

/// A half-open range [first, last) of gene indices; empty when first == last. Operators return
/// the hull of the genes they may have changed, so an incremental evaluator can re-price only
/// that part of the placement.
struct gene_range {
    std::size_t first = 0;  ///< first gene that may have changed
    std::size_t last = 0;   ///< one past the last gene that may have changed

    /// True when no gene changed.
    constexpr bool empty() const noexcept { return first >= last; }
    /// Number of genes in the hull.
    constexpr std::size_t size() const noexcept { return empty() ? 0 : last - first; }
    /// The smallest range covering both.
    constexpr gene_range merged(gene_range other) const noexcept {
        if (empty()) return other;
        if (other.empty()) return *this;
        return {std::min(first, other.first), std::max(last, other.last)};
    }
    /// Grows this range to cover `other` as well.
    constexpr gene_range& operator|=(gene_range other) noexcept { return *this = merged(other); }
    /// Ranges compare by value; all empty ranges are not necessarily equal, which tests avoid.
    friend constexpr bool operator==(gene_range, gene_range) = default;
};

}  // namespace eosdnn
