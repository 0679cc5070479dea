#pragma once
/// \file pinned_problem.hpp
/// Pins for problems that do not report them: a view of a placement problem whose pinned genes
/// have a single choice, so the optimisers never move them.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/incremental.hpp>
#include <eosdnn/core/problem.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/optim/gene_space.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace eosdnn {

namespace detail {
/// Gives pinned_problem the incremental state type of an incremental problem, and none otherwise.
template <class P>
struct pinned_problem_base {};
template <incremental_placement_problem P>
struct pinned_problem_base<P> {
    /// The wrapped problem's state.
    using incremental_state = typename P::incremental_state;
};
}  // namespace detail

/// Wraps a placement problem (a multi_task_evaluator, say) and pins genes: `choices(g)` is the
/// pinned node alone for a pinned gene, the problem's choices otherwise; evaluate() forwards (so
/// the evaluation is the problem's, still reporting a misplaced pin as a violation), and so do
/// the incremental evaluations when the problem has them. It holds the problem by value, so it
/// is copyable when the problem is (one copy per thread).
template <placement_problem P>
class pinned_problem : public detail::pinned_problem_base<P> {
public:
    /// Pins of every gene; `pinned` is empty or has one entry per gene, each one of the gene's
    /// choices. Throws eosdnn::error otherwise.
    pinned_problem(P problem, std::vector<std::optional<node_id>> pinned)
        : problem_(std::move(problem)), pinned_(std::move(pinned)) {
        const gene_space check(problem_, pinned_);  // validates size and membership
        (void)check;
    }

    /// The problem's dimension.
    std::size_t dimension() const { return problem_.dimension(); }

    /// The pinned node alone, or the problem's choices.
    std::span<const node_id> choices(std::size_t gene) const {
        if (gene < pinned_.size() && pinned_[gene]) return {&*pinned_[gene], 1};
        return problem_.choices(gene);
    }

    /// Forwards to the problem.
    evaluation evaluate(std::span<const node_id> x) { return problem_.evaluate(x); }

    /// The wrapped problem's empty incremental state.
    template <class Q = P>
    requires incremental_placement_problem<Q>
    typename Q::incremental_state make_state() const { return problem_.make_state(); }
    /// Forwards a full incremental evaluation to the problem.
    template <class Q = P>
    requires incremental_placement_problem<Q> evaluation
    evaluate(typename Q::incremental_state& state, std::span<const node_id> x) {
        return problem_.evaluate(state, x);
    }
    /// Forwards an incremental evaluation of a change within `changed` to the problem.
    template <class Q = P>
    requires incremental_placement_problem<Q> evaluation
    evaluate(typename Q::incremental_state& state, std::span<const node_id> x, gene_range changed) {
        return problem_.evaluate(state, x, changed);
    }

    /// The wrapped problem.
    P& problem() noexcept { return problem_; }
    /// The wrapped problem.
    const P& problem() const noexcept { return problem_; }
    /// The pins, one per gene or empty.
    std::span<const std::optional<node_id>> pinned() const noexcept { return pinned_; }

private:
    P problem_;
    std::vector<std::optional<node_id>> pinned_;
};

/// The pins of several tasks' layers concatenated in gene order (task 0 first), as
/// multi_task_evaluator numbers its genes; `layer_counts[t]` is task t's number of layers and
/// `pins[t]` its pins (empty or one per layer).
inline std::vector<std::optional<node_id>> concatenate_pins(
    std::span<const std::size_t> layer_counts,
    std::span<const std::vector<std::optional<node_id>>> pins) {
    std::vector<std::optional<node_id>> all;
    for (std::size_t t = 0; t < layer_counts.size(); ++t) {
        const bool has = t < pins.size() && !pins[t].empty();
        if (has && pins[t].size() != layer_counts[t])
            throw error(error_kind::validation, "task " + std::to_string(t) + " has " +
                                                    std::to_string(pins[t].size()) + " pins for " +
                                                    std::to_string(layer_counts[t]) + " layers");
        for (std::size_t j = 0; j < layer_counts[t]; ++j)
            all.push_back(has ? pins[t][j] : std::nullopt);
    }
    return all;
}

}  // namespace eosdnn
