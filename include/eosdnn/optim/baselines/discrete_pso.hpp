#pragma once
/// \file discrete_pso.hpp
/// Plain PSO on rounded positions (Kennedy and Eberhart's update, each gene a real position over
/// the indices of its choices, rounded down to pick one): the swarm without the GA operators.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/core/problem.hpp>
#include <eosdnn/core/result.hpp>
#include <eosdnn/detail/xtensor.hpp>
#include <eosdnn/optim/detail/population.hpp>
#include <eosdnn/optim/detail/population_evaluator.hpp>
#include <eosdnn/optim/detail/progress.hpp>
#include <eosdnn/optim/detail/random.hpp>
#include <eosdnn/optim/gene_space.hpp>
#include <eosdnn/optim/lower_bound.hpp>
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

/// Options of discrete_pso.
struct discrete_pso_options {
    std::size_t population = 50;   ///< particles, >= 1
    std::size_t iterations = 300;  ///< iterations, >= 1
    double w = 0.7298;             ///< inertia weight (Clerc's constriction value), in [0, 1]
    double c1 = 1.49618;           ///< cognitive weight, >= 0
    double c2 = 1.49618;           ///< social weight, >= 0
    double max_velocity = 0.5;     ///< velocity limit as a fraction of a gene's range, in (0, 1]
    std::size_t threads = 1;       ///< threads evaluating the swarm, >= 1
    std::size_t stall = 0;  ///< stop after this many iterations without a better gBest; 0: never
                            ///< (with `iterations`, the default stop; a stop given to solve()
                            ///< replaces both)
    /// Wall-clock seconds of the run, 0: none; checked after every iteration (a run overshoots by at
    /// most one), and a run it ends says so in optimisation_result::stopped_by_time_limit.
    double time_limit_s = 0;
    /// A request to end the run early (core/stop_request.hpp; null: none), checked after every
    /// iteration; a run it ends keeps its best plan and says so in
    /// optimisation_result::stopped_by_request. The request outlives the run.
    const stop_request* stop = nullptr;

    /// Throws eosdnn::error naming the field and the value if one is out of range.
    void validate() const {
        auto fail = [](const char* field, double value, const char* rule) {
            throw error(error_kind::validation, std::string("discrete_pso_options.") + field +
                                                    " is " + std::to_string(value) + " (must be " +
                                                    rule + ")");
        };
        if (population < 1) fail("population", 0, ">= 1");
        if (iterations < 1) fail("iterations", 0, ">= 1");
        if (!(w >= 0 && w <= 1)) fail("w", w, "in [0, 1]");
        if (!(c1 >= 0 && std::isfinite(c1))) fail("c1", c1, "finite and >= 0");
        if (!(c2 >= 0 && std::isfinite(c2))) fail("c2", c2, "finite and >= 0");
        if (!(max_velocity > 0 && max_velocity <= 1))
            fail("max_velocity", max_velocity, "in (0, 1]");
        if (threads < 1) fail("threads", 0, ">= 1");
        detail::require_time_limit("discrete_pso_options.time_limit_s", time_limit_s);
    }
};

/// The plain PSO: v = w v + c1 r1 (pbest - p) + c2 r2 (gbest - p), p += v, clamped to
/// [0, k) for a gene with k choices; the gene is choice floor(p). gBest is synchronous, as in
/// pso_ga, so threads do not change the result.
template <std::uniform_random_bit_generator Rng = std::mt19937_64>
class discrete_pso {
public:
    /// Validates the options.
    explicit discrete_pso(discrete_pso_options options = {}) : options_(options) {
        options_.validate();
    }

    /// The options.
    const discrete_pso_options& options() const noexcept { return options_; }

    /// The stop condition a run uses unless solve() is given one: the planned iterations, or
    /// `options().stall` iterations without a better gBest.
    default_stop stop() const noexcept {
        return {max_iterations{}, detail::stall_or_never(options_.stall)};
    }

    /// Runs the swarm seeded with `seed`.
    template <placement_problem P>
    optimisation_result solve(P& problem, std::uint64_t seed) const {
        return solve(problem, seed, no_observer{}, stop());
    }

    /// The same, showing every log record to `obs` (which may stop the run by returning false).
    template <placement_problem P, observer O>
    optimisation_result solve(P& problem, std::uint64_t seed, O&& obs) const {
        return solve(problem, seed, std::forward<O>(obs), stop());
    }

    /// The same, ending the run by `stop` (checked after every iteration; run_status::horizon is
    /// `options().iterations`) instead of stop().
    template <placement_problem P, observer O, stop_condition S>
    optimisation_result solve(P& problem, std::uint64_t seed, O&& obs, const S& stop) const {
        validate_policy(stop);
        Rng rng(seed);
        const gene_space space(problem);
        const std::size_t pop = options_.population, n = space.dimension();
        detail::matrix<double> pos({pop, n}), vel({pop, n}, 0.0), pbest_pos({pop, n});
        detail::matrix<node_id> x({pop, n});
        std::vector<double> gbest_pos(n);
        for (std::size_t i = 0; i < pop; ++i)
            for (std::size_t g = 0; g < n; ++g) {
                const double k = static_cast<double>(space.choice_count(g));
                pos(i, g) = space.is_free(g) ? detail::draw_real(0, k, rng) : 0.0;
                const double vmax = options_.max_velocity * k;
                vel(i, g) = space.is_free(g) ? detail::draw_real(-vmax, vmax, rng) : 0.0;
            }
        auto decode = [&](std::size_t i) {
            for (std::size_t g = 0; g < n; ++g) {
                const std::size_t k = space.choice_count(g);
                const auto c = std::min(static_cast<std::size_t>(pos(i, g)), k - 1);
                x(i, g) = space.choices(g)[c];
            }
        };
        for (std::size_t i = 0; i < pop; ++i) decode(i);
        pbest_pos = pos;
        std::vector<evaluation> value(pop), pbest_value(pop);
        detail::population_evaluator<P> eval(problem, pop, options_.threads, false);
        eval.evaluate_all(x, value);
        pbest_value = value;
        std::size_t b = detail::best_index(value);
        evaluation gbest_value = value[b];
        std::vector<node_id> gbest(detail::row(x, b).begin(), detail::row(x, b).end());
        for (std::size_t g = 0; g < n; ++g) gbest_pos[g] = pos(b, g);

        optimisation_result result;
        run_status status{.iteration = 0,
                          .horizon = options_.iterations,
                          .evaluations = eval.evaluations(),
                          .stall = 0,
                          .best = gbest_value};
        detail::run_report<std::remove_reference_t<O>> report(result, obs, true,
                                                              options_.time_limit_s, options_.stop);
        auto record = [&] {
            return report({.iteration = status.iteration,
                           .evaluations = status.evaluations,
                           .best_objective = gbest_value.objective,
                           .best_violation = gbest_value.violation,
                           .mean_objective = detail::mean_objective(value),
                           .diversity = detail::diversity(x, gbest, space)},
                          std::span<const node_id>(gbest));
        };
        const std::vector<gene_range> all(pop, gene_range{0, n});
        for (bool go_on = record(); go_on && !stop(status); go_on = record()) {
            for (std::size_t i = 0; i < pop; ++i) {
                for (std::size_t g = 0; g < n; ++g) {
                    if (!space.is_free(g)) continue;
                    const double k = static_cast<double>(space.choice_count(g));
                    const double vmax = options_.max_velocity * k;
                    const double r1 = detail::draw_real(0, 1, rng),
                                 r2 = detail::draw_real(0, 1, rng);
                    double v = options_.w * vel(i, g) +
                               options_.c1 * r1 * (pbest_pos(i, g) - pos(i, g)) +
                               options_.c2 * r2 * (gbest_pos[g] - pos(i, g));
                    v = std::clamp(v, -vmax, vmax);
                    vel(i, g) = v;
                    // Just below k, so that floor() stays a valid choice index.
                    pos(i, g) = std::clamp(pos(i, g) + v, 0.0, std::nextafter(k, 0.0));
                }
                decode(i);
            }
            eval.evaluate_changed(x, all, value);
            bool improved = false;
            for (std::size_t i = 0; i < pop; ++i) {
                if (!better(value[i], pbest_value[i])) continue;
                pbest_value[i] = value[i];
                for (std::size_t g = 0; g < n; ++g) pbest_pos(i, g) = pos(i, g);
                if (better(value[i], gbest_value)) {
                    improved = true;
                    gbest_value = value[i];
                    for (std::size_t g = 0; g < n; ++g) {
                        gbest_pos[g] = pos(i, g);
                        gbest[g] = x(i, g);
                    }
                }
            }
            ++status.iteration;
            status.stall = improved ? 0 : status.stall + 1;
            status.evaluations = eval.evaluations();
            status.best = gbest_value;
        }
        result.placement = std::move(gbest);
        result.value = gbest_value;
        result.iterations = status.iteration;
        result.evaluations = eval.evaluations();
        detail::attach_bound(result, structural_lower_bound(problem));
        return result;
    }

private:
    discrete_pso_options options_;
};

}  // namespace eosdnn
