#pragma once
/// \file incremental.hpp
/// The incremental_placement_problem concept: a placement problem that can re-price a placement
/// after a change confined to a range of genes faster than a full evaluation.

#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/gene_range.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/core/problem.hpp>

#include <concepts>
#include <span>

namespace eosdnn {

/// Besides the placement_problem members, `P::incremental_state` caches what a placement's value
/// is made of; `make_state()` returns an empty one; `evaluate(state, x)` prices `x` in full and
/// fills the state; `evaluate(state, x, changed)` prices `x` when it differs from the placement
/// last priced with `state` only within `changed`, and updates the state. Both must return the
/// same value for the same `x`, whatever the history of the state: that is what keeps a seeded
/// run reproducible and lets tests compare against full evaluation. States are independent of
/// the problem object, so any copy of the problem may update any state.
template <class P>
concept incremental_placement_problem = placement_problem<P> &&
    requires(P& p, const P& cp, typename P::incremental_state& s, std::span<const node_id> x,
             gene_range changed) {
    { cp.make_state() } -> std::same_as<typename P::incremental_state>;
    { p.evaluate(s, x) } -> std::same_as<evaluation>;
    { p.evaluate(s, x, changed) } -> std::same_as<evaluation>;
};

}  // namespace eosdnn
