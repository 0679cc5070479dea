#pragma once
/// \file common_instances.hpp
/// The instantiations that separate compilation (config.hpp) compiles once: PSO-GA (the paper's
/// and the hybrid preset) on delay_evaluator<analytic_model>, and the exact solver, the large
/// moves and the lower bound that the hybrid's polish calls. In a unit that only declares them
/// they are `extern template`; eosdnn/separate_compilation.hpp defines them.

#include <eosdnn/config.hpp>
#include <eosdnn/core/result.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/optim/exact_dag.hpp>
#include <eosdnn/optim/large_moves.hpp>
#include <eosdnn/optim/lower_bound.hpp>
#include <eosdnn/optim/pso_ga.hpp>

#include <cstddef>
#include <random>
#include <span>
#include <vector>

namespace eosdnn::detail {
/// The problem type the common instantiations are for.
using common_problem = delay_evaluator<analytic_model>;
}  // namespace eosdnn::detail

/// Declares (`extern template`) or defines (`template`) every common instantiation.
#define EOSDNN_COMMON_INSTANCES(declare)                                                          \
    declare exact_result solve_exact_within<detail::common_problem>(                              \
        detail::common_problem&, std::span<const std::vector<node_id>>, const exact_options&);    \
    declare exact_result solve_exact<detail::common_problem>(detail::common_problem&,             \
                                                             const exact_options&);               \
    declare std::size_t large_moves<detail::common_problem>(                                      \
        detail::common_problem&, std::vector<node_id>&, evaluation&, const large_move_options&);  \
    declare double structural_lower_bound<detail::common_problem>(const detail::common_problem&); \
    declare optimisation_result                                                                   \
    hybrid_pso_ga::run<detail::common_problem, no_observer, default_stop>(                        \
        detail::common_problem&, std::mt19937_64&, std::span<const std::vector<node_id>>,         \
        no_observer&, const default_stop&) const;                                                 \
    declare optimisation_result                                                                   \
    paper_pso_ga::run<detail::common_problem, no_observer, default_stop>(                         \
        detail::common_problem&, std::mt19937_64&, std::span<const std::vector<node_id>>,         \
        no_observer&, const default_stop&) const;

#if EOSDNN_DECLARE_ONLY
namespace eosdnn {
EOSDNN_COMMON_INSTANCES(extern template)
}  // namespace eosdnn
#endif
