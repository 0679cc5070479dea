#pragma once
/// \file optimiser.hpp
/// The placement_optimiser concept: what PSO-GA and every baseline have in common, so that
/// benchmarks and comparisons can run any of them on any placement problem.

#include <eosdnn/optim/observer.hpp>
#include <eosdnn/optim/problem.hpp>

#include <concepts>
#include <cstdint>

namespace eosdnn {

/// An optimiser solves a placement problem from a seed and returns an optimisation_result whose
/// placement is valid for the problem (and, for the same seed, always the same).
template <class O, class P>
concept placement_optimiser = placement_problem<P> && requires(const O& o, P& p, std::uint64_t seed) {
    { o.solve(p, seed) } -> std::same_as<optimisation_result>;
};

}  // namespace eosdnn
