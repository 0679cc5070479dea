#pragma once
/// \file random_search.hpp
/// Random search: uniform random placements, the best one kept. The floor any optimiser must beat.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/core/problem.hpp>
#include <eosdnn/core/result.hpp>
#include <eosdnn/detail/xtensor.hpp>
#include <eosdnn/optim/detail/population.hpp>
#include <eosdnn/optim/detail/population_evaluator.hpp>
#include <eosdnn/optim/detail/progress.hpp>
#include <eosdnn/optim/gene_space.hpp>
#include <eosdnn/optim/lower_bound.hpp>
#include <eosdnn/optim/operators/policy.hpp>
#include <eosdnn/optim/operators/stop_condition.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace eosdnn {

/// Options of random_search.
struct random_search_options {
    std::size_t evaluations = 10000;  ///< placements drawn, >= 1
    std::size_t batch = 100;          ///< drawn and evaluated together (one iteration, one log
                                      ///< record each; the first batch is iteration 0), >= 1
    std::size_t threads = 1;          ///< threads evaluating a batch, >= 1
    std::size_t stall = 0;  ///< stop after this many batches without a better plan; 0: never
                            ///< (with `evaluations`, the default stop; a stop given to
                            ///< solve() replaces both)
    /// Wall-clock seconds of the run, 0: none; checked after every batch (a run overshoots by at
    /// most one), and a run it ends says so in optimisation_result::stopped_by_time_limit.
    double time_limit_s = 0;
    /// A request to end the run early (core/stop_request.hpp; null: none), checked after every
    /// batch; a run it ends keeps its best plan and says so in
    /// optimisation_result::stopped_by_request. The request outlives the run.
    const stop_request* stop = nullptr;

    /// Throws eosdnn::error naming the field if one is 0 or the time limit is negative or not
    /// finite.
    void validate() const {
        detail::require_time_limit("random_search_options.time_limit_s", time_limit_s);
        for (auto [field, v] : {std::pair{"evaluations", evaluations}, std::pair{"batch", batch},
                                std::pair{"threads", threads}})
            if (v == 0)
                throw error(error_kind::validation,
                            std::string("random_search_options.") + field + " is 0 (must be >= 1)");
    }
};

/// Draws placements uniformly (each gene uniform over its choices, pins fixed) in batches.
template <std::uniform_random_bit_generator Rng = std::mt19937_64>
class random_search {
public:
    /// Validates the options.
    explicit random_search(random_search_options options = {}) : options_(options) {
        options_.validate();
    }

    /// The options.
    const random_search_options& options() const noexcept { return options_; }

    /// The planned iterations: the batches after the first one that `options().evaluations` asks
    /// for (the horizon of max_iterations{}).
    std::size_t horizon() const noexcept {
        const std::size_t batch = std::min(options_.batch, options_.evaluations);
        return (options_.evaluations + batch - 1) / batch - 1;
    }

    /// The stop condition a run uses unless solve() is given one: the planned batches, or
    /// `options().stall` batches without a better plan.
    default_stop stop() const noexcept {
        return {max_iterations{}, detail::stall_or_never(options_.stall)};
    }

    /// Runs the search seeded with `seed`.
    template <placement_problem P>
    optimisation_result solve(P& problem, std::uint64_t seed) const {
        return solve(problem, seed, no_observer{}, stop());
    }

    /// The same, showing every log record to `obs` (which may stop the run by returning false).
    template <placement_problem P, observer O>
    optimisation_result solve(P& problem, std::uint64_t seed, O&& obs) const {
        return solve(problem, seed, std::forward<O>(obs), stop());
    }

    /// The same, ending the run by `stop` (checked after every batch; run_status::horizon is
    /// horizon()) instead of stop().
    template <placement_problem P, observer O, stop_condition S>
    optimisation_result solve(P& problem, std::uint64_t seed, O&& obs, const S& stop) const {
        validate_policy(stop);
        Rng rng(seed);
        const gene_space space(problem);
        const std::size_t batch = std::min(options_.batch, options_.evaluations);
        detail::matrix<node_id> x({batch, space.dimension()});
        std::vector<evaluation> value(batch);
        detail::population_evaluator<P> eval(problem, batch, options_.threads, false);
        optimisation_result result;
        run_status status{
            .iteration = 0, .horizon = horizon(), .evaluations = 0, .stall = 0, .best = {}};
        detail::run_report<std::remove_reference_t<O>> report(result, obs, true,
                                                              options_.time_limit_s, options_.stop);
        // One batch: drawn, evaluated, its best kept if better; then the record.
        auto draw_batch = [&] {
            for (std::size_t i = 0; i < batch; ++i)
                detail::random_row(detail::row(x, i), space, rng);
            eval.evaluate_all(x, value);
            const std::size_t b = detail::best_index(value);
            const bool improved = status.iteration == 0 || better(value[b], result.value);
            status.stall = improved ? 0 : status.stall + 1;
            if (improved) {
                result.value = value[b];
                auto r = detail::row(std::as_const(x), b);
                result.placement.assign(r.begin(), r.end());
            }
            status.evaluations = eval.evaluations();
            status.best = result.value;
            const std::span<const node_id> best(result.placement);
            return report({.iteration = status.iteration,
                           .evaluations = status.evaluations,
                           .best_objective = result.value.objective,
                           .best_violation = result.value.violation,
                           .mean_objective = detail::mean_objective(value),
                           .diversity = detail::diversity(x, best, space)},
                          best);
        };
        for (bool go_on = draw_batch(); go_on && !stop(status); go_on = draw_batch())
            ++status.iteration;
        result.iterations = status.iteration;
        result.evaluations = eval.evaluations();
        detail::attach_bound(result, structural_lower_bound(problem));
        return result;
    }

private:
    random_search_options options_;
};

}  // namespace eosdnn
