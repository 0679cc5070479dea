#pragma once
/// \file window_score.hpp
/// What the next queries see: closed-loop queries over a window while partitions arrive one
/// after another, counted with the latency in force when each query is issued. The model-free
/// kernel the re-planner scores its candidate plans with.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/messages.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>

namespace eosdnn {

/// Queries completed in a window and their mean latency.
struct window_score {
    std::size_t queries = 0;  ///< queries issued and completed inside the window
    /// Mean latency of those queries; NaN if there are none.
    double mean_latency_s = std::numeric_limits<double>::quiet_NaN();
};

/// Whether `a` is a better score than `b`: more queries, then (both having some) the smaller
/// mean latency.
inline bool better_score(const window_score& a, const window_score& b) noexcept {
    if (a.queries != b.queries) return a.queries > b.queries;
    if (a.queries == 0) return false;
    return a.mean_latency_s < b.mean_latency_s;
}

/// Closed-loop queries over [0, window_s): the first is issued at 0, the next when the previous
/// completes, but never sooner than `min_period_s` after the previous one was issued (a
/// query-rate cap; 0: none). A query issued at `a` takes `latency_after[k]` seconds, k being
/// the number of entries of `completion_s` (ascending times, relative to the window's start) that
/// are <= a; `latency_after` has one entry more than `completion_s`. Counts the queries that
/// complete by `window_s`. Throws eosdnn::error (validation) for a latency not finite and > 0,
/// a negative window or period, or more than `max_queries` queries.
inline window_score score_window(std::span<const double> completion_s,
                                 std::span<const double> latency_after, double window_s,
                                 double min_period_s = 0, std::size_t max_queries = 10'000'000) {
    constexpr std::string_view where = "score_window";
    if (latency_after.size() != completion_s.size() + 1)
        detail::fail_validation(where, "expected " + std::to_string(completion_s.size() + 1) +
                                           " latencies for " + std::to_string(completion_s.size()) +
                                           " completions");
    if (!(window_s >= 0) || !std::isfinite(window_s))
        detail::fail_validation(
            where, "window " + detail::format_number(window_s) + " s must be finite and >= 0");
    if (!(min_period_s >= 0) || !std::isfinite(min_period_s))
        detail::fail_validation(where, "minimum period " + detail::format_number(min_period_s) +
                                           " s must be finite and >= 0");
    for (double l : latency_after)
        if (!(l > 0) || !std::isfinite(l))
            detail::fail_validation(where, "a query latency of " + detail::format_number(l) +
                                               " s (must be finite and > 0)");
    window_score s;
    double sum = 0, a = 0;
    std::size_t k = 0, issued = 0;
    while (a < window_s) {
        if (++issued > max_queries)
            detail::fail_validation(
                where, "more than " + std::to_string(max_queries) + " queries in the window");
        while (k < completion_s.size() && completion_s[k] <= a) ++k;
        const double l = latency_after[k];
        if (a + l <= window_s) {
            ++s.queries;
            sum += l;
        }
        a += std::max(l, min_period_s);
    }
    if (s.queries) s.mean_latency_s = sum / static_cast<double>(s.queries);
    return s;
}

}  // namespace eosdnn
