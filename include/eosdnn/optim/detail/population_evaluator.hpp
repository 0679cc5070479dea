#pragma once
/// \file population_evaluator.hpp
/// Prices the rows of a population matrix: in full or incrementally, on one or several threads.
/// Each thread owns a copy of the problem (evaluators keep scratch space) and each row owns an
/// incremental state, and every row's value is a function of its genes only, so the result is
/// the same bit for bit whatever the number of threads.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/incremental.hpp>
#include <eosdnn/core/problem.hpp>
#include <eosdnn/detail/xtensor.hpp>
#include <eosdnn/optim/detail/thread_team.hpp>
#include <eosdnn/optim/gene_space.hpp>

#include <concepts>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

namespace eosdnn::detail {

/// Row `i` of a row-major genes matrix as a span.
inline std::span<node_id> row(matrix<node_id>& m, std::size_t i) noexcept {
    return {m.data() + i * m.shape(1), m.shape(1)};
}
/// Row `i` of a row-major genes matrix as a read-only span.
inline std::span<const node_id> row(const matrix<node_id>& m, std::size_t i) noexcept {
    return {m.data() + i * m.shape(1), m.shape(1)};
}

template <class P>
struct incremental_states {
    std::vector<char> unused{};
};
template <incremental_placement_problem P>
struct incremental_states<P> {
    std::vector<typename P::incremental_state> states{};
};

/// Evaluates populations of `rows` placements of `problem`.
template <placement_problem P>
class population_evaluator {
public:
    /// Whether incremental evaluation is possible for this problem type.
    static constexpr bool can_increment = incremental_placement_problem<P>;

    /// Prepares `threads` problem copies (the caller's problem serves thread 0) and, when
    /// `incremental` and the problem allows it, one state per row.
    population_evaluator(P& problem, std::size_t rows, std::size_t threads, bool incremental)
        : problem_(&problem), team_(threads), incremental_(incremental && can_increment) {
        if (threads > 1) {
            if constexpr (std::copy_constructible<P>) {
                for (std::size_t t = 1; t < threads; ++t)
                    copies_.push_back(std::make_unique<P>(problem));
            } else {
                throw error(error_kind::validation,
                            "threads > 1 needs a copyable problem (one copy per thread)");
            }
        }
        if constexpr (can_increment)
            if (incremental_) {
                states_.states.reserve(rows);
                for (std::size_t i = 0; i < rows; ++i)
                    states_.states.push_back(problem.make_state());
            }
    }

    /// True if rows are re-priced incrementally.
    bool incremental() const noexcept { return incremental_; }

    /// Prices every row in full.
    void evaluate_all(const matrix<node_id>& x, std::span<evaluation> out) {
        auto job = [&](std::size_t t, std::size_t i) { out[i] = full(t, i, row(x, i)); };
        team_.for_each(x.shape(0), job);
        evaluations_ += x.shape(0);
    }

    /// Re-prices the rows whose `changed` range is not empty; the others keep their value.
    void evaluate_changed(const matrix<node_id>& x, std::span<const gene_range> changed,
                          std::span<evaluation> out) {
        auto job = [&](std::size_t t, std::size_t i) {
            if (changed[i].empty()) return;
            if constexpr (can_increment) {
                if (incremental_) {
                    out[i] = on(t).evaluate(states_.states[i], row(x, i), changed[i]);
                    return;
                }
            }
            out[i] = on(t).evaluate(row(x, i));
        };
        team_.for_each(x.shape(0), job);
        for (const auto& r : changed) evaluations_ += r.empty() ? 0 : 1;
    }

    /// Evaluations performed so far.
    std::size_t evaluations() const noexcept { return evaluations_; }

private:
    P& on(std::size_t t) noexcept { return t == 0 ? *problem_ : *copies_[t - 1]; }

    evaluation full(std::size_t t, std::size_t i, std::span<const node_id> genes) {
        if constexpr (can_increment)
            if (incremental_) return on(t).evaluate(states_.states[i], genes);
        return on(t).evaluate(genes);
    }

    P* problem_;
    std::vector<std::unique_ptr<P>> copies_{};
    thread_team team_;
    bool incremental_;
    incremental_states<P> states_{};
    std::size_t evaluations_ = 0;
};

}  // namespace eosdnn::detail
