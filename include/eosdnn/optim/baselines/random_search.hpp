#pragma once
/// \file random_search.hpp
/// Random search: uniform random placements, the best one kept. The floor any optimiser must beat.

#include <eosdnn/detail/xtensor.hpp>
#include <eosdnn/error.hpp>
#include <eosdnn/optim/detail/population_evaluator.hpp>
#include <eosdnn/optim/gene_space.hpp>
#include <eosdnn/optim/lower_bound.hpp>
#include <eosdnn/optim/observer.hpp>
#include <eosdnn/optim/problem.hpp>
#include <eosdnn/optim/pso_ga.hpp>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn {

/// Options of random_search.
struct random_search_options {
    std::size_t evaluations = 10000;  ///< placements drawn, >= 1
    std::size_t batch = 100;          ///< drawn and evaluated together (one log record each), >= 1
    std::size_t threads = 1;          ///< threads evaluating a batch, >= 1
    std::size_t stall = 0;            ///< stop after this many batches without a better plan; 0: never

    /// Throws eosdnn::error naming the field if one is 0.
    void validate() const {
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
    explicit random_search(random_search_options options = {}) : options_(options) { options_.validate(); }

    /// Runs the search seeded with `seed`.
    template <placement_problem P>
    optimisation_result solve(P& problem, std::uint64_t seed) const {
        Rng rng(seed);
        const gene_space space(problem);
        const std::size_t batch = std::min(options_.batch, options_.evaluations);
        detail::matrix<node_id> x({batch, space.dimension()});
        std::vector<evaluation> value(batch);
        detail::population_evaluator<P> eval(problem, batch, options_.threads, false);
        optimisation_result result;
        bool first = true;
        std::size_t stalled = 0;
        while (eval.evaluations() < options_.evaluations) {
            for (std::size_t i = 0; i < batch; ++i) detail::random_row(detail::row(x, i), space, rng);
            eval.evaluate_all(x, value);
            const std::size_t b = detail::best_index(value);
            const bool improved = first || better(value[b], result.value);
            stalled = improved ? 0 : stalled + 1;
            if (improved) {
                result.value = value[b];
                auto r = detail::row(std::as_const(x), b);
                result.placement.assign(r.begin(), r.end());
                first = false;
            }
            result.log.push_back({.iteration = result.iterations, .evaluations = eval.evaluations(),
                                  .best_objective = result.value.objective,
                                  .best_violation = result.value.violation,
                                  .mean_objective = detail::mean_objective(value), .diversity = 0});
            ++result.iterations;
            if (options_.stall && stalled >= options_.stall) break;
        }
        result.evaluations = eval.evaluations();
        detail::attach_bound(result, structural_lower_bound(problem));
        return result;
    }

private:
    random_search_options options_;
};

}  // namespace eosdnn
