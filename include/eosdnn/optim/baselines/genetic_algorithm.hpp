#pragma once
/// \file genetic_algorithm.hpp
/// A plain generational GA over placements: tournament selection, the same crossover and
/// mutation policies as PSO-GA, and elitism. The GA half of PSO-GA without the swarm.

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
#include <eosdnn/optim/operators/crossover.hpp>
#include <eosdnn/optim/operators/mutation.hpp>
#include <eosdnn/optim/operators/policy.hpp>
#include <eosdnn/optim/operators/stop_condition.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <random>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace eosdnn {

/// Options of genetic_algorithm.
struct genetic_algorithm_options {
    std::size_t population = 50;    ///< individuals, >= 2
    std::size_t generations = 300;  ///< generations after the initial one, >= 1
    std::size_t tournament = 2;     ///< contestants per selection, 1..population
    std::size_t elites = 1;         ///< best individuals copied unchanged, < population
    double crossover_rate = 0.9;    ///< probability a child is crossed with a second parent
    double mutation_rate = 0.3;     ///< probability a child is mutated
    std::size_t threads = 1;        ///< threads evaluating a generation, >= 1
    std::size_t stall = 0;  ///< stop after this many generations without a better best; 0: never
                            ///< (with `generations`, the default stop; a stop given to
                            ///< solve() replaces both)
    /// Wall-clock seconds of the run, 0: none; checked after every generation (a run overshoots by at
    /// most one), and a run it ends says so in optimisation_result::stopped_by_time_limit.
    double time_limit_s = 0;
    /// A request to end the run early (core/stop_request.hpp; null: none), checked after every
    /// generation; a run it ends keeps its best plan and says so in
    /// optimisation_result::stopped_by_request. The request outlives the run.
    const stop_request* stop = nullptr;

    /// Throws eosdnn::error naming the field and the value if one is out of range.
    void validate() const {
        auto fail = [](const char* field, const std::string& value, const char* rule) {
            throw error(error_kind::validation, std::string("genetic_algorithm_options.") + field +
                                                    " is " + value + " (must be " + rule + ")");
        };
        if (population < 2) fail("population", std::to_string(population), ">= 2");
        if (generations < 1) fail("generations", std::to_string(generations), ">= 1");
        if (tournament < 1 || tournament > population)
            fail("tournament", std::to_string(tournament), "in 1..population");
        if (elites >= population) fail("elites", std::to_string(elites), "< population");
        if (!(crossover_rate >= 0 && crossover_rate <= 1))
            fail("crossover_rate", std::to_string(crossover_rate), "in [0, 1]");
        if (!(mutation_rate >= 0 && mutation_rate <= 1))
            fail("mutation_rate", std::to_string(mutation_rate), "in [0, 1]");
        if (threads < 1) fail("threads", std::to_string(threads), ">= 1");
        detail::require_time_limit("genetic_algorithm_options.time_limit_s", time_limit_s);
    }
};

/// The GA. Each generation: the `elites` best survive; every other child is a copy of a
/// tournament winner, crossed (Crossover, guide = a second winner) with crossover_rate and
/// mutated (Mutation) with mutation_rate; children are evaluated (in parallel if asked). The
/// result (and the log's best) is the best individual seen in any generation.
template <class Mutation = uniform_reset_mutation, class Crossover = two_point_crossover,
          std::uniform_random_bit_generator Rng = std::mt19937_64>
requires mutation_operator<Mutation, Rng> && crossover_operator<Crossover, Rng>
class genetic_algorithm {
public:
    /// Stores and validates the options and the operators.
    explicit genetic_algorithm(genetic_algorithm_options options = {}, Mutation mutation = {},
                               Crossover crossover = {})
        : options_(options), mutation_(std::move(mutation)), crossover_(std::move(crossover)) {
        options_.validate();
        validate_policy(mutation_);
        validate_policy(crossover_);
    }

    /// The options.
    const genetic_algorithm_options& options() const noexcept { return options_; }
    /// The mutation policy.
    const Mutation& mutation() const noexcept { return mutation_; }
    /// The crossover policy.
    const Crossover& crossover() const noexcept { return crossover_; }

    /// The stop condition a run uses unless solve() is given one: the planned generations, or
    /// `options().stall` generations without a better best.
    default_stop stop() const noexcept {
        return {max_iterations{}, detail::stall_or_never(options_.stall)};
    }

    /// Runs the GA seeded with `seed`.
    template <placement_problem P>
    optimisation_result solve(P& problem, std::uint64_t seed) const {
        return solve(problem, seed, no_observer{}, stop());
    }

    /// The same, showing every log record to `obs` (which may stop the run by returning false).
    template <placement_problem P, observer O>
    optimisation_result solve(P& problem, std::uint64_t seed, O&& obs) const {
        return solve(problem, seed, std::forward<O>(obs), stop());
    }

    /// The same, ending the run by `stop` (checked after every generation; an iteration is a
    /// generation and run_status::horizon is `options().generations`) instead of stop().
    template <placement_problem P, observer O, stop_condition S>
    optimisation_result solve(P& problem, std::uint64_t seed, O&& obs, const S& stop) const {
        validate_policy(stop);
        Rng rng(seed);
        const gene_space space(problem);
        const std::size_t pop = options_.population, n = space.dimension();
        detail::matrix<node_id> x({pop, n}), next({pop, n});
        detail::initial_population(x, space, {}, rng);
        std::vector<evaluation> value(pop), next_value(pop);
        std::vector<gene_range> changed(pop);
        std::vector<std::size_t> rank(pop);
        detail::population_evaluator<P> eval(problem, pop, options_.threads, false);
        eval.evaluate_all(x, value);

        optimisation_result result;
        run_status status{.iteration = 0,
                          .horizon = options_.generations,
                          .evaluations = eval.evaluations(),
                          .stall = 0,
                          .best = {}};
        detail::run_report<std::remove_reference_t<O>> report(result, obs, true,
                                                              options_.time_limit_s, options_.stop);
        // The result is the best individual seen so far (with elites, the generation's best).
        auto record = [&] {
            const std::size_t b = detail::best_index(value);
            const bool improved = status.iteration == 0 || better(value[b], result.value);
            status.stall = improved ? 0 : status.stall + 1;
            if (improved) {
                auto r = detail::row(std::as_const(x), b);
                result.value = value[b];
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
        auto select = [&] {
            std::size_t winner = detail::draw_index(pop, rng);
            for (std::size_t t = 1; t < options_.tournament; ++t) {
                const std::size_t c = detail::draw_index(pop, rng);
                if (better(value[c], value[winner])) winner = c;
            }
            return winner;
        };
        for (bool go_on = record(); go_on && !stop(status); go_on = record()) {
            std::iota(rank.begin(), rank.end(), std::size_t{0});
            std::stable_sort(rank.begin(), rank.end(), [&](std::size_t a, std::size_t b) {
                return better(value[a], value[b]);
            });
            for (std::size_t i = 0; i < pop; ++i) {
                auto child = detail::row(next, i);
                const std::size_t parent = i < options_.elites ? rank[i] : select();
                auto src = detail::row(std::as_const(x), parent);
                std::copy(src.begin(), src.end(), child.begin());
                changed[i] = {};
                if (i < options_.elites) {
                    next_value[i] = value[parent];
                    continue;
                }
                // Every non-elite child is re-evaluated: its value is not known until it is.
                changed[i] = {0, n};
                if (detail::draw_bernoulli(options_.crossover_rate, rng))
                    crossover_(child, detail::row(std::as_const(x), select()), space, rng);
                if (detail::draw_bernoulli(options_.mutation_rate, rng))
                    mutation_(child, space, rng);
                next_value[i] = value[parent];
            }
            std::swap(x, next);
            std::swap(value, next_value);
            eval.evaluate_changed(x, changed, value);
            ++status.iteration;
        }
        result.iterations = status.iteration;
        result.evaluations = eval.evaluations();
        detail::attach_bound(result, structural_lower_bound(problem));
        return result;
    }

private:
    genetic_algorithm_options options_;
    Mutation mutation_;
    Crossover crossover_;
};

}  // namespace eosdnn
