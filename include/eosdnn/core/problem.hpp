#pragma once
/// \file problem.hpp
/// The placement_problem concept: what an optimiser needs from the problem it solves.

#include <eosdnn/cost/environment.hpp>
#include <eosdnn/cost/evaluation.hpp>

#include <concepts>
#include <cstddef>
#include <span>

namespace eosdnn {

/// A placement problem has `dimension()` genes; gene `g` takes a value from `choices(g)` (node
/// indices); `evaluate(x)` prices a whole placement. Evaluators keep scratch space, so evaluate
/// is non-const: use one copy per thread.
template <class P>
concept placement_problem = requires(P& p, const P& cp, std::size_t gene, std::span<const node_id> x) {
    { cp.dimension() } -> std::convertible_to<std::size_t>;
    { cp.choices(gene) } -> std::convertible_to<std::span<const node_id>>;
    { p.evaluate(x) } -> std::same_as<evaluation>;
};

}  // namespace eosdnn
