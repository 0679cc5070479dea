#pragma once
/// \file pso_ga.hpp
/// PSO-GA (Lin et al., IEEE TII 2020; the migration planner of EosDNN): particle swarm
/// optimisation over discrete placements, where the velocity update is replaced by a mutation
/// (the inertia part) and two crossovers, with the particle's best (cognitive) and with the
/// swarm's best (social). Every operator is a policy given as a template parameter.

#include <eosdnn/cost/environment.hpp>
#include <eosdnn/cost/evaluation.hpp>
#include <eosdnn/detail/xtensor.hpp>
#include <eosdnn/error.hpp>
#include <eosdnn/optim/detail/population_evaluator.hpp>
#include <eosdnn/optim/detail/random.hpp>
#include <eosdnn/optim/gene_space.hpp>
#include <eosdnn/optim/incremental.hpp>
#include <eosdnn/optim/large_moves.hpp>
#include <eosdnn/optim/local_search.hpp>
#include <eosdnn/optim/lower_bound.hpp>
#include <eosdnn/optim/observer.hpp>
#include <eosdnn/optim/operators/coefficients.hpp>
#include <eosdnn/optim/operators/crossover.hpp>
#include <eosdnn/optim/operators/inertia.hpp>
#include <eosdnn/optim/operators/mutation.hpp>
#include <eosdnn/optim/operators/stop_condition.hpp>
#include <eosdnn/optim/options.hpp>
#include <eosdnn/optim/problem.hpp>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn {

namespace detail {

/// Fraction of the free genes where `x` differs from `best` (0 when no gene is free).
inline double distance(std::span<const node_id> x, std::span<const node_id> best,
                       const gene_space& space) noexcept {
    const auto free = space.free_genes();
    if (free.empty()) return 0;
    std::size_t differ = 0;
    for (std::size_t g : free) differ += x[g] != best[g] ? 1 : 0;
    return static_cast<double>(differ) / static_cast<double>(free.size());
}

/// Fills row `i` of `x` with genes drawn uniformly from their choices (fixed genes draw nothing).
template <std::uniform_random_bit_generator Rng>
void random_row(std::span<node_id> x, const gene_space& space, Rng& rng) {
    for (std::size_t g = 0; g < x.size(); ++g) {
        const auto c = space.choices(g);
        x[g] = c.size() == 1 ? c[0] : c[draw_index(c.size(), rng)];
    }
}

/// The initial population: the given plans first (checked against the space), then random rows.
template <std::uniform_random_bit_generator Rng>
void initial_population(matrix<node_id>& x, const gene_space& space,
                        std::span<const std::vector<node_id>> plans, Rng& rng) {
    if (plans.size() > x.shape(0))
        throw error(error_kind::validation, std::to_string(plans.size()) +
                                                " initial plans for a population of " +
                                                std::to_string(x.shape(0)));
    for (std::size_t i = 0; i < x.shape(0); ++i) {
        auto r = row(x, i);
        if (i < plans.size()) {
            space.check(plans[i], "initial plan " + std::to_string(i));
            std::copy(plans[i].begin(), plans[i].end(), r.begin());
        } else {
            random_row(r, space, rng);
        }
    }
}

/// Index of the best value (the first one among equals).
inline std::size_t best_index(std::span<const evaluation> values) noexcept {
    std::size_t b = 0;
    for (std::size_t i = 1; i < values.size(); ++i)
        if (better(values[i], values[b])) b = i;
    return b;
}

/// The hybrid's large moves on gBest, when the problem is one task under the sequential schedule
/// (itself, or the full evaluator behind an incremental chain). An improved gBest is re-priced
/// the way the swarm prices placements, so that values compare exactly. Returns the moves solved.
template <class P>
std::size_t polish_by_large_moves(P& problem, std::vector<node_id>& x, evaluation& value,
                                  const large_move_options& options) {
    auto run = [&](auto& full) -> std::size_t {
        if (full.options().schedule != dag_schedule::sequential) return 0;
        evaluation moved = value;
        const std::size_t moves = large_moves(full, x, moved, options);
        if (better(moved, value)) {
            if constexpr (incremental_placement_problem<P>) {
                auto state = problem.make_state();
                value = problem.evaluate(state, std::span<const node_id>(x));
            } else {
                value = problem.evaluate(std::span<const node_id>(x));
            }
        }
        return moves;
    };
    if constexpr (sequential_structured_problem<P>) return run(problem);
    else if constexpr (requires { problem.full_evaluator(); }) return run(problem.full_evaluator());
    else return 0;
}

/// Mean objective of a population.
inline double mean_objective(std::span<const evaluation> values) noexcept {
    double sum = 0;
    for (const auto& v : values) sum += v.objective;
    return values.empty() ? 0 : sum / static_cast<double>(values.size());
}

}  // namespace detail

/// The PSO-GA engine. Every policy is stored by value and validated when the engine is built.
///
/// One iteration, for each particle i in order (all random draws from one engine, in a fixed
/// order, so a seed fixes the run):
///  1. with probability w_i (the Inertia schedule) apply the Mutation;
///  2. with probability c1 apply the Crossover with pBest_i;
///  3. with probability c2 apply the Crossover with gBest;
/// then the changed particles are evaluated (in parallel if asked; incrementally if the problem
/// allows it), and pBest_i and gBest are updated in particle order. gBest is updated once per
/// iteration (a synchronous swarm): this is what makes a parallel run identical to a serial one.
///
/// \tparam Mutation      a mutation_operator (default: the paper's one-gene reset)
/// \tparam Crossover     a crossover_operator (default: the paper's two-point crossover)
/// \tparam Inertia       an inertia_schedule (default: the paper's self-adaptive rule)
/// \tparam Coefficients  a coefficient_schedule (default: the paper's linear c1, c2)
/// \tparam Stop          a stop_condition (default: planned iterations or 100 stalled ones)
/// \tparam Rng           the random engine, any std::uniform_random_bit_generator
template <class Mutation = uniform_reset_mutation, class Crossover = two_point_crossover,
          inertia_schedule Inertia = adaptive_exponential_inertia,
          coefficient_schedule Coefficients = linear_coefficients, stop_condition Stop = default_stop,
          std::uniform_random_bit_generator Rng = std::mt19937_64>
    requires mutation_operator<Mutation, Rng> && crossover_operator<Crossover, Rng>
class pso_ga {
public:
    /// The random engine type.
    using random_engine = Rng;

    /// Stores the options and the policies; throws eosdnn::error if any is invalid.
    explicit pso_ga(pso_ga_options options = {}, Mutation mutation = {}, Crossover crossover = {},
                    Inertia inertia = {}, Coefficients coefficients = {}, Stop stop = {})
        : options_(options), mutation_(std::move(mutation)), crossover_(std::move(crossover)),
          inertia_(std::move(inertia)), coefficients_(std::move(coefficients)), stop_(std::move(stop)) {
        options_.validate();
        mutation_.validate();
        crossover_.validate();
        inertia_.validate();
        coefficients_.validate();
        stop_.validate();
    }

    /// The options.
    const pso_ga_options& options() const noexcept { return options_; }
    /// The mutation policy.
    const Mutation& mutation() const noexcept { return mutation_; }
    /// The crossover policy.
    const Crossover& crossover() const noexcept { return crossover_; }
    /// The inertia schedule.
    const Inertia& inertia() const noexcept { return inertia_; }
    /// The coefficient schedule.
    const Coefficients& coefficients_schedule() const noexcept { return coefficients_; }
    /// The stop condition.
    const Stop& stop() const noexcept { return stop_; }

    /// Runs PSO-GA on `problem` seeded with `seed` (the engine is Rng(seed)).
    template <placement_problem P, observer O = no_observer>
        requires std::constructible_from<Rng, std::uint64_t>
    optimisation_result solve(P& problem, std::uint64_t seed,
                              std::span<const std::vector<node_id>> initial_plans = {},
                              O&& obs = {}) const {
        Rng rng(seed);
        return solve(problem, rng, initial_plans, std::forward<O>(obs));
    }

    /// Runs PSO-GA on `problem` drawing from `rng`. The first particles start from
    /// `initial_plans` (seeding; each must be a valid placement), the others at random.
    /// `obs` sees every log record and may stop the run by returning false.
    template <placement_problem P, observer O = no_observer>
    optimisation_result solve(P& problem, Rng& rng,
                              std::span<const std::vector<node_id>> initial_plans = {},
                              O&& obs = {}) const {
        const gene_space space(problem);
        const std::size_t n = space.dimension();
        const std::size_t pop = options_.population;

        detail::matrix<node_id> x({pop, n});
        detail::initial_population(x, space, initial_plans, rng);
        detail::matrix<node_id> pbest = x;
        std::vector<evaluation> value(pop), pbest_value(pop);
        std::vector<gene_range> changed(pop);
        std::vector<double> dist(pop, 0.0);

        detail::population_evaluator<P> eval(problem, pop, options_.threads, options_.incremental);
        eval.evaluate_all(x, value);
        pbest_value = value;
        std::size_t g = detail::best_index(value);
        std::vector<node_id> gbest(detail::row(x, g).begin(), detail::row(x, g).end());
        evaluation gbest_value = value[g];

        optimisation_result result;
        std::size_t polish_evaluations = 0;
        run_status status{.iteration = 0, .horizon = options_.iterations,
                          .evaluations = eval.evaluations(), .stall = 0, .best = gbest_value};

        // Distances to gBest feed both the log's diversity and the next iteration's inertia.
        auto measure = [&] {
            double similarity = 0;
            for (std::size_t i = 0; i < pop; ++i) {
                dist[i] = detail::distance(detail::row(x, i), gbest, space);
                similarity += 1 - dist[i];
            }
            return similarity / static_cast<double>(pop);
        };
        double swarm_similarity = measure();

        auto record = [&] {
            const iteration_record r{.iteration = status.iteration,
                                     .evaluations = status.evaluations,
                                     .best_objective = gbest_value.objective,
                                     .best_violation = gbest_value.violation,
                                     .mean_objective = detail::mean_objective(value),
                                     .diversity = 1 - swarm_similarity};
            if (options_.keep_log) result.log.push_back(r);
            return detail::notify(obs, r, std::span<const node_id>(gbest));
        };
        bool go_on = record();
        if (!go_on) result.stopped_by_observer = true;

        while (go_on && !stop_(status)) {
            const coefficients c = coefficients_(status.iteration, options_.iterations);
            for (std::size_t i = 0; i < pop; ++i) {
                auto xi = detail::row(x, i);
                const double w = inertia_(inertia_context{.iteration = status.iteration,
                                                          .horizon = options_.iterations,
                                                          .distance = dist[i],
                                                          .swarm_similarity = swarm_similarity});
                gene_range r{};
                if (detail::draw_bernoulli(w, rng)) r |= mutation_(xi, space, rng);
                if (detail::draw_bernoulli(c.c1, rng))
                    r |= crossover_(xi, detail::row(std::as_const(pbest), i), space, rng);
                if (detail::draw_bernoulli(c.c2, rng))
                    r |= crossover_(xi, std::span<const node_id>(gbest), space, rng);
                changed[i] = r;
            }
            eval.evaluate_changed(x, changed, value);

            bool improved = false;
            for (std::size_t i = 0; i < pop; ++i) {
                if (changed[i].empty() || !better(value[i], pbest_value[i])) continue;
                pbest_value[i] = value[i];
                auto src = detail::row(std::as_const(x), i);
                std::copy(src.begin(), src.end(), detail::row(pbest, i).begin());
                if (better(value[i], gbest_value)) {
                    gbest_value = value[i];
                    std::copy(src.begin(), src.end(), gbest.begin());
                    improved = true;
                }
            }
            ++status.iteration;
            status.stall = improved ? 0 : status.stall + 1;
            if (options_.polish_after_stall && status.stall == options_.polish_after_stall) {
                // The hybrid: a swarm that has stalled usually sits next to a block move that
                // single-gene mutations cannot find; try them all once on gBest.
                polish_evaluations += local_search(problem, space, gbest, gbest_value, options_.polish);
                if (options_.polish_large_moves)
                    polish_evaluations += detail::polish_by_large_moves(problem, gbest, gbest_value,
                                                                        options_.large_moves);
                if (better(gbest_value, status.best)) status.stall = 0;
            }
            status.evaluations = eval.evaluations() + polish_evaluations;
            status.best = gbest_value;
            swarm_similarity = measure();
            if (!record()) {
                result.stopped_by_observer = true;
                break;
            }
        }

        result.placement = std::move(gbest);
        result.value = gbest_value;
        result.iterations = status.iteration;
        result.evaluations = status.evaluations;
        detail::attach_bound(result, structural_lower_bound(problem));
        return result;
    }

private:
    pso_ga_options options_;
    Mutation mutation_;
    Crossover crossover_;
    Inertia inertia_;
    Coefficients coefficients_;
    Stop stop_;
};

/// The published algorithm as described (one-gene mutation, two-point crossover, self-adaptive
/// inertia reading the particle's distance to gBest, linear c1 and c2, iteration limit or stall),
/// without seeding: pass no initial plans to solve().
using paper_pso_ga = pso_ga<>;

/// eosdnn's recommended engine: the paper's update with segment moves as the mutation; use it
/// with hybrid_options(), which polishes gBest when the swarm stalls by local search and, on
/// one-task sequential problems, by exact large moves (expansions and windows). From a random
/// start it reaches the proven optimum on the zoo, the profiles and hard 3-6 node environments
/// (docs/optimizer.md has the figures).
using hybrid_pso_ga = pso_ga<segment_reset_mutation>;

/// Options of the hybrid: 50 particles, 300 planned iterations, polish (local search and large
/// moves) after 20 stalled ones.
inline pso_ga_options hybrid_options() {
    return {.population = 50, .iterations = 300, .polish_after_stall = 20,
            .polish_large_moves = true};
}

}  // namespace eosdnn
