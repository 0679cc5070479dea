#pragma once
/// \file optimiser.hpp
/// The placement_optimiser concept: what PSO-GA and every baseline have in common, so that
/// benchmarks and comparisons can run any of them on any placement problem, watch its progress
/// and stop it the same way.

#include <eosdnn/core/ids.hpp>
#include <eosdnn/core/problem.hpp>
#include <eosdnn/core/result.hpp>
#include <eosdnn/optim/operators/stop_condition.hpp>

#include <concepts>
#include <cstdint>
#include <span>

namespace eosdnn {

namespace detail {
/// An observer that has nothing but the observer interface: an optimiser that accepts it accepts
/// any observer.
struct observer_archetype {
    bool operator()(const iteration_record&, std::span<const node_id>) const { return true; }
};
/// A stop condition that has nothing but the stop_condition interface (no validate()).
struct stop_archetype {
    bool operator()(const run_status&) const { return false; }
};
static_assert(observer<observer_archetype>);
static_assert(stop_condition<stop_archetype>);
}  // namespace detail

/// An optimiser solves a placement problem from a seed and returns an optimisation_result whose
/// placement is valid for the problem (and, for the same seed, always the same):
/// `o.solve(problem, seed)` and `o.solve(problem, seed, observer, stop)`, where the observer sees
/// one iteration_record per iteration (0 for the initialisation) and may stop the run by
/// returning false, and the stop condition, checked after the initialisation and after each
/// iteration, replaces the optimiser's own termination rule for that run.
template <class O, class P>
concept placement_optimiser = placement_problem<P> &&
    requires(const O& o, P& p, std::uint64_t seed, detail::observer_archetype obs,
             detail::stop_archetype stop) {
    { o.solve(p, seed) } -> std::same_as<optimisation_result>;
    { o.solve(p, seed, obs, stop) } -> std::same_as<optimisation_result>;
};

}  // namespace eosdnn
