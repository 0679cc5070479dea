#pragma once
/// \file population_evaluator.hpp
/// Prices the rows of a population matrix: in full or incrementally, on one or several threads.
/// Each thread owns a copy of the problem (evaluators keep scratch space) and each row owns an
/// incremental state, and every row's value is a function of its genes only, so the result is
/// the same bit for bit whatever the number of threads. On request (PSO-GA), the rows a
/// delay_evaluator or an incremental_dag prices in full go as one batch to
/// sequential_batch_evaluator, which gives the same doubles.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/incremental.hpp>
#include <eosdnn/core/problem.hpp>
#include <eosdnn/cost/sequential_batch.hpp>
#include <eosdnn/detail/xtensor.hpp>
#include <eosdnn/optim/detail/thread_team.hpp>
#include <eosdnn/optim/gene_space.hpp>

#include <algorithm>
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
    /// `incremental` and the problem allows it, one state per row. With `batch`, when the problem
    /// is a delay_evaluator under the sequential schedule or an incremental_dag, the full
    /// evaluations are priced as batches by sequential_batch_evaluator (one per thread).
    population_evaluator(P& problem, std::size_t rows, std::size_t threads, bool incremental,
                         bool batch = false)
        : problem_(&problem), team_(threads), incremental_(incremental && can_increment) {
        if constexpr (kernel::available)
            if (batch && kernel::full(problem).options().schedule == dag_schedule::sequential) {
                kernels_.emplace_back(kernel::full(problem));
                for (std::size_t t = 1; t < threads; ++t) kernels_.push_back(kernels_.front());
                pending_.assign(rows, 0);
            }
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
    /// True if full evaluations are priced in batches (sequential_batch_evaluator).
    bool batched() const noexcept { return !kernels_.empty(); }

    /// Prices every row in full.
    void evaluate_all(const matrix<node_id>& x, std::span<evaluation> out) {
        if (batched() && !incremental_) {
            todo_.resize(x.shape(0));
            for (std::size_t i = 0; i < todo_.size(); ++i) todo_[i] = i;
            price_todo(x, out);
            evaluations_ += x.shape(0);
            return;
        }
        auto job = [&](std::size_t t, std::size_t i) { out[i] = full(t, i, row(x, i)); };
        team_.for_each(x.shape(0), job);
        evaluations_ += x.shape(0);
    }

    /// Re-prices the rows whose `changed` range is not empty; the others keep their value.
    void evaluate_changed(const matrix<node_id>& x, std::span<const gene_range> changed,
                          std::span<evaluation> out) {
        if constexpr (kernel::available)
            if (batched()) {
                evaluate_changed_batched(x, changed, out);
                return;
            }
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
    using kernel = batch_kernel<P>;

    P& on(std::size_t t) noexcept { return t == 0 ? *problem_ : *copies_[t - 1]; }

    // evaluate_changed() with the full evaluations in batches: an incremental row whose change
    // is small is re-priced by its state (stage()), the others are gathered and priced together.
    void evaluate_changed_batched(const matrix<node_id>& x, std::span<const gene_range> changed,
                                  std::span<evaluation> out) {
        todo_.clear();
        bool staged = false;
        if constexpr (can_increment && kernel::stages) {
            if (incremental_) {
                staged = true;
                auto job = [&](std::size_t t, std::size_t i) {
                    pending_[i] = 0;
                    if (changed[i].empty()) return;
                    auto& state = states_.states[i];
                    if (on(t).stage(state, row(x, i), changed[i]))
                        out[i] = state.value;
                    else
                        pending_[i] = 1;
                };
                team_.for_each(x.shape(0), job);
                for (std::size_t i = 0; i < x.shape(0); ++i)
                    if (pending_[i]) todo_.push_back(i);
                price_todo(x, out);
                for (const std::size_t i : todo_) states_.states[i].value = out[i];
            }
        }
        if (!staged) {
            for (std::size_t i = 0; i < x.shape(0); ++i)
                if (!changed[i].empty()) todo_.push_back(i);
            price_todo(x, out);
        }
        for (const auto& r : changed) evaluations_ += r.empty() ? 0 : 1;
    }

    // Prices the rows listed in todo_ in full, in batches of the kernel's lanes over the team.
    void price_todo(const matrix<node_id>& x, std::span<evaluation> out) {
        if constexpr (kernel::available) {
            using type = typename kernel::type;
            const std::span<const node_id> genes(x.data(), x.size());
            const std::span<const std::size_t> rows(todo_);
            const std::size_t batches = (rows.size() + type::lanes - 1) / type::lanes;
            auto job = [&](std::size_t t, std::size_t b) {
                const std::size_t first = b * type::lanes;
                kernels_[t].evaluate(
                    genes, rows.subspan(first, std::min(type::lanes, rows.size() - first)), out);
            };
            team_.for_each(batches, job);
        }
    }

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
    std::vector<typename kernel::type> kernels_{};  // per thread, when batched
    std::vector<std::size_t> todo_{};               // rows to price in full
    std::vector<char> pending_{};                   // per row: left to the batch by stage()
};

}  // namespace eosdnn::detail
