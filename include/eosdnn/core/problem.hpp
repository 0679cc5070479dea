#pragma once
/// \file problem.hpp
/// The problem concepts: what an optimiser needs from the problem it solves, and the pins a
/// problem may name.

#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/ids.hpp>

#include <concepts>
#include <cstddef>
#include <optional>
#include <span>

namespace eosdnn {

/// A placement problem has `dimension()` genes; gene `g` takes a value from `choices(g)` (node
/// indices); `evaluate(x)` prices a whole placement. Evaluators keep scratch space, so evaluate
/// is non-const: use one copy per thread.
template <class P>
concept placement_problem = requires(P& p, const P& cp, std::size_t gene,
                                     std::span<const node_id> x) {
    { cp.dimension() } -> std::convertible_to<std::size_t>;
    { cp.choices(gene) } -> std::convertible_to<std::span<const node_id>>;
    { p.evaluate(x) } -> std::same_as<evaluation>;
};

/// A placement problem that names pinned genes: `pinned()` is empty or has one entry per gene,
/// the node that gene must take or none. The optimisers (through gene_space) reduce a pinned gene
/// to its node, so they never move it; evaluate() still reports a placement that breaks a pin as
/// a violation, so a pin holds whichever way a placement was made. delay_evaluator and
/// multi_task_evaluator are both pinned problems; wrap any other problem in pinned_problem
/// (optim/pinned_problem.hpp) to pin its genes.
template <class P>
concept pinned_placement_problem = placement_problem<P> && requires(const P& cp) {
    { cp.pinned() } -> std::convertible_to<std::span<const std::optional<node_id>>>;
};

/// The pins of `problem`: its pinned() when it names them, else none.
template <placement_problem P>
std::span<const std::optional<node_id>> pins_of(const P& problem) noexcept {
    if constexpr (pinned_placement_problem<P>)
        return problem.pinned();
    else
        return {};
}

}  // namespace eosdnn
