#pragma once
/// \file pso_ga.hpp
/// PSO-GA (Lin et al., IEEE TII 2020; the migration planner of EosDNN): particle swarm
/// optimisation over discrete placements, where the velocity update is replaced by a mutation
/// (the inertia part) and two crossovers, with the particle's best (cognitive) and with the
/// swarm's best (social). Every operator is a policy given as a template parameter.

#include <eosdnn/config.hpp>
#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/incremental.hpp>
#include <eosdnn/core/problem.hpp>
#include <eosdnn/core/result.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/detail/xtensor.hpp>
#include <eosdnn/optim/detail/population.hpp>
#include <eosdnn/optim/detail/population_evaluator.hpp>
#include <eosdnn/optim/detail/progress.hpp>
#include <eosdnn/optim/detail/random.hpp>
#include <eosdnn/optim/gene_space.hpp>
#include <eosdnn/optim/large_moves.hpp>
#include <eosdnn/optim/local_search.hpp>
#include <eosdnn/optim/lower_bound.hpp>
#include <eosdnn/optim/operators/coefficients.hpp>
#include <eosdnn/optim/operators/crossover.hpp>
#include <eosdnn/optim/operators/inertia.hpp>
#include <eosdnn/optim/operators/mutation.hpp>
#include <eosdnn/optim/operators/policy.hpp>
#include <eosdnn/optim/operators/stop_condition.hpp>
#include <eosdnn/optim/options.hpp>

#include <algorithm>
#include <cmath>
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
    if constexpr (sequential_structured_problem<P>)
        return run(problem);
    else if constexpr (requires { problem.full_evaluator(); })
        return run(problem.full_evaluator());
    else
        return 0;
}

}  // namespace detail

/// The PSO-GA engine. Every policy is stored by value and validated (when it has a validate())
/// when the engine is built.
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
/// Change one policy without spelling the others: `with_mutation(paper_pso_ga(o), m)` (a value)
/// or `paper_pso_ga::with_mutation<M>` (a type); likewise with_crossover, with_inertia,
/// with_coefficients, with_stop, with_engine; or name them: `pso_ga(o, pso_ga_policies{.stop = s})`.
///
/// \tparam Mutation      a mutation_operator (default: the paper's one-gene reset)
/// \tparam Crossover     a crossover_operator (default: the paper's two-point crossover)
/// \tparam Inertia       an inertia_schedule (default: the paper's self-adaptive rule)
/// \tparam Coefficients  a coefficient_schedule (default: the paper's linear c1, c2)
/// \tparam Stop          a stop_condition (default: planned iterations or 100 stalled ones)
/// \tparam Rng           the random engine (default std::mt19937_64; change it by with_engine)
template <class Mutation = uniform_reset_mutation, class Crossover = two_point_crossover,
          inertia_schedule Inertia = adaptive_exponential_inertia,
          coefficient_schedule Coefficients = linear_coefficients,
          stop_condition Stop = default_stop,
          std::uniform_random_bit_generator Rng = std::mt19937_64>
requires mutation_operator<Mutation, Rng> && crossover_operator<Crossover, Rng>
class pso_ga {
public:
    /// The random engine type.
    using random_engine = Rng;
    /// The policies, by name.
    using policies_type = pso_ga_policies<Mutation, Crossover, Inertia, Coefficients, Stop>;

    /// This engine with another mutation type, the other policies unchanged.
    template <class M>
    using with_mutation = pso_ga<M, Crossover, Inertia, Coefficients, Stop, Rng>;
    /// This engine with another crossover type.
    template <class C>
    using with_crossover = pso_ga<Mutation, C, Inertia, Coefficients, Stop, Rng>;
    /// This engine with another inertia schedule type.
    template <class I>
    using with_inertia = pso_ga<Mutation, Crossover, I, Coefficients, Stop, Rng>;
    /// This engine with another coefficient schedule type.
    template <class C>
    using with_coefficients = pso_ga<Mutation, Crossover, Inertia, C, Stop, Rng>;
    /// This engine with another stop condition type.
    template <class S>
    using with_stop = pso_ga<Mutation, Crossover, Inertia, Coefficients, S, Rng>;
    /// This engine with another random engine.
    template <class E>
    using with_engine = pso_ga<Mutation, Crossover, Inertia, Coefficients, Stop, E>;

    /// Stores the options and the policies (positionally); throws eosdnn::error if any is invalid.
    explicit pso_ga(pso_ga_options options = {}, Mutation mutation = {}, Crossover crossover = {},
                    Inertia inertia = {}, Coefficients coefficients = {}, Stop stop = {})
        : pso_ga(options,
                 policies_type{std::move(mutation), std::move(crossover), std::move(inertia),
                               std::move(coefficients), std::move(stop)}) {}

    /// Stores the options and the policies (by name); throws eosdnn::error if any is invalid.
    pso_ga(pso_ga_options options, policies_type policies)
        : options_(options), policies_(std::move(policies)) {
        options_.validate();
        policies_.validate();
    }

    /// The options.
    const pso_ga_options& options() const noexcept { return options_; }
    /// All the policies.
    const policies_type& policies() const noexcept { return policies_; }
    /// The mutation policy.
    const Mutation& mutation() const noexcept { return policies_.mutation; }
    /// The crossover policy.
    const Crossover& crossover() const noexcept { return policies_.crossover; }
    /// The inertia schedule.
    const Inertia& inertia() const noexcept { return policies_.inertia; }
    /// The coefficient schedule.
    const Coefficients& coefficients_schedule() const noexcept { return policies_.coefficients; }
    /// The stop condition, used when solve() is given none.
    const Stop& stop() const noexcept { return policies_.stop; }

    /// Runs PSO-GA on `problem` seeded with `seed` (the engine is Rng(seed)).
    template <placement_problem P>
    requires std::constructible_from<Rng, std::uint64_t> optimisation_result
    solve(P& problem, std::uint64_t seed)
    const { return solve(problem, seed, no_observer{}); }

    /// The same, showing every log record to `obs` (which may stop the run by returning false).
    template <placement_problem P, observer O>
    requires std::constructible_from<Rng, std::uint64_t> optimisation_result
    solve(P& problem, std::uint64_t seed, O&& obs)
    const { return solve(problem, seed, std::forward<O>(obs), policies_.stop); }

    /// The same, ending the run by `stop` instead of the engine's stop condition.
    template <placement_problem P, observer O, stop_condition S>
    requires std::constructible_from<Rng, std::uint64_t> optimisation_result
    solve(P& problem, std::uint64_t seed, O&& obs, const S& stop)
    const {
        Rng rng(seed);
        return run(problem, rng, {}, obs, stop);
    }

    /// Runs PSO-GA seeded with `seed` from `initial_plans` (seeding; each must be a valid
    /// placement; the other particles start at random), with an observer.
    template <placement_problem P, observer O = no_observer>
    requires std::constructible_from<Rng, std::uint64_t> optimisation_result
    solve(P& problem, std::uint64_t seed, std::span<const std::vector<node_id>> initial_plans,
          O&& obs = {})
    const { return solve(problem, seed, initial_plans, std::forward<O>(obs), policies_.stop); }

    /// The same, ending the run by `stop` instead of the engine's stop condition.
    template <placement_problem P, observer O, stop_condition S>
    requires std::constructible_from<Rng, std::uint64_t> optimisation_result
    solve(P& problem, std::uint64_t seed, std::span<const std::vector<node_id>> initial_plans,
          O&& obs, const S& stop)
    const {
        Rng rng(seed);
        return run(problem, rng, initial_plans, obs, stop);
    }

    /// Runs PSO-GA on `problem` drawing from `rng` (whose state carries over to the caller).
    /// The first particles start from `initial_plans`, the others at random. `obs` sees every
    /// log record and may stop the run by returning false.
    template <placement_problem P, observer O = no_observer>
    optimisation_result solve(P& problem, Rng& rng,
                              std::span<const std::vector<node_id>> initial_plans = {},
                              O&& obs = {}) const {
        return run(problem, rng, initial_plans, obs, policies_.stop);
    }

    /// The same, ending the run by `stop` instead of the engine's stop condition.
    template <placement_problem P, observer O, stop_condition S>
    optimisation_result solve(P& problem, Rng& rng,
                              std::span<const std::vector<node_id>> initial_plans, O&& obs,
                              const S& stop) const {
        return run(problem, rng, initial_plans, obs, stop);
    }

private:
    // Defined below the class, not in it: a member function defined in the class is inline, and
    // GCC instantiates an inline function for possible inlining even where an `extern template`
    // declares it (detail/common_instances.hpp), so every separately compiled unit would compile
    // the whole engine again only to throw it away.
    template <placement_problem P, observer O, stop_condition S>
    optimisation_result run(P& problem, Rng& rng,
                            std::span<const std::vector<node_id>> initial_plans, O& obs,
                            const S& stop) const;

private:
    pso_ga_options options_;
    policies_type policies_;
};

template <class Mutation, class Crossover, inertia_schedule Inertia,
          coefficient_schedule Coefficients, stop_condition Stop,
          std::uniform_random_bit_generator Rng>
requires mutation_operator<Mutation, Rng> && crossover_operator<Crossover, Rng>
template <placement_problem P, observer O, stop_condition S>
optimisation_result pso_ga<Mutation, Crossover, Inertia, Coefficients, Stop, Rng>::run(
    P& problem, Rng& rng, std::span<const std::vector<node_id>> initial_plans, O& obs,
    const S& stop) const {
    validate_policy(stop);
    const gene_space space(problem);
    const std::size_t n = space.dimension();
    const std::size_t pop = options_.population;

    detail::matrix<node_id> x({pop, n});
    detail::initial_population(x, space, initial_plans, rng);
    detail::matrix<node_id> pbest = x;
    std::vector<evaluation> value(pop), pbest_value(pop);
    std::vector<gene_range> changed(pop);
    std::vector<double> dist(pop, 0.0);

    detail::population_evaluator<P> eval(problem, pop, options_.threads, options_.incremental,
                                         true);
    eval.evaluate_all(x, value);
    pbest_value = value;
    std::size_t g = detail::best_index(value);
    std::vector<node_id> gbest(detail::row(x, g).begin(), detail::row(x, g).end());
    evaluation gbest_value = value[g];

    optimisation_result result;
    std::size_t polish_evaluations = 0;
    run_status status{.iteration = 0,
                      .horizon = options_.iterations,
                      .evaluations = eval.evaluations(),
                      .stall = 0,
                      .best = gbest_value};

    // Distances to gBest feed both the log's diversity and the next iteration's inertia. A
    // particle that did not move keeps its distance while gBest stays: late in a run most do,
    // and this count over every gene was a tenth of the run.
    auto measure = [&](bool gbest_moved) {
        double similarity = 0;
        for (std::size_t i = 0; i < pop; ++i) {
            if (gbest_moved || !changed[i].empty())
                dist[i] = detail::distance(detail::row(x, i), gbest, space);
            similarity += 1 - dist[i];
        }
        return similarity / static_cast<double>(pop);
    };
    double swarm_similarity = measure(true);

    detail::run_report<O> report(result, obs, options_.keep_log, options_.time_limit_s,
                                 options_.stop);
    auto record = [&] {
        return report({.iteration = status.iteration,
                       .evaluations = status.evaluations,
                       .best_objective = gbest_value.objective,
                       .best_violation = gbest_value.violation,
                       .mean_objective = detail::mean_objective(value),
                       .diversity = 1 - swarm_similarity},
                      std::span<const node_id>(gbest));
    };

    for (bool go_on = record(); go_on && !stop(status); go_on = record()) {
        const coefficients c = policies_.coefficients(status.iteration, options_.iterations);
        for (std::size_t i = 0; i < pop; ++i) {
            auto xi = detail::row(x, i);
            const double w =
                policies_.inertia(inertia_context{.iteration = status.iteration,
                                                  .horizon = options_.iterations,
                                                  .distance = dist[i],
                                                  .swarm_similarity = swarm_similarity});
            gene_range r{};
            if (detail::draw_bernoulli(w, rng)) r |= policies_.mutation(xi, space, rng);
            if (detail::draw_bernoulli(c.c1, rng))
                r |= policies_.crossover(xi, detail::row(std::as_const(pbest), i), space, rng);
            if (detail::draw_bernoulli(c.c2, rng))
                r |= policies_.crossover(xi, std::span<const node_id>(gbest), space, rng);
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
        bool gbest_moved = improved;
        // A polish is long next to an iteration: not after a stop request or past the limit.
        if (options_.polish_after_stall && status.stall == options_.polish_after_stall &&
            !report.must_end()) {
            gbest_moved = true;  // the polish may move gBest
            // The hybrid: a swarm that has stalled usually sits next to a block move that
            // single-gene mutations cannot find; try them all once on gBest.
            // Within the run's time limit: the polish must not outlast the run.
            local_search_options polish = options_.polish;
            large_move_options large = options_.large_moves;
            if (const double left = report.seconds_left(); std::isfinite(left)) {
                const double share = std::max(left, 1e-9);
                polish.time_limit_s =
                    polish.time_limit_s > 0 ? std::min(polish.time_limit_s, share) : share;
                large.time_limit_s =
                    large.time_limit_s > 0 ? std::min(large.time_limit_s, share) : share;
            }
            polish_evaluations += local_search(problem, space, gbest, gbest_value, polish);
            if (options_.polish_large_moves && !report.must_end())
                polish_evaluations +=
                    detail::polish_by_large_moves(problem, gbest, gbest_value, large);
            if (better(gbest_value, status.best)) status.stall = 0;
        }
        status.evaluations = eval.evaluations() + polish_evaluations;
        status.best = gbest_value;
        swarm_similarity = measure(gbest_moved);
    }

    if (options_.keep_swarm) {
        for (std::size_t i = 0; i < pop; ++i) {
            const auto r = detail::row(std::as_const(pbest), i);
            result.swarm.emplace_back(r.begin(), r.end());
        }
        // gBest (which the polish may have improved) first, in place of the best personal best.
        std::swap(result.swarm[0], result.swarm[detail::best_index(pbest_value)]);
        result.swarm[0] = gbest;
    }
    result.placement = std::move(gbest);
    result.value = gbest_value;
    result.iterations = status.iteration;
    result.evaluations = status.evaluations;
    detail::attach_bound(result, structural_lower_bound(problem));
    return result;
}

/// The engine of a set of named policies: `pso_ga(options, pso_ga_policies{.mutation = m})`.
template <class M, class C, class I, class Co, class S>
pso_ga(pso_ga_options, pso_ga_policies<M, C, I, Co, S>) -> pso_ga<M, C, I, Co, S>;

/// The published algorithm as described (one-gene mutation, two-point crossover, self-adaptive
/// inertia reading the particle's distance to gBest, linear c1 and c2, iteration limit or stall),
/// without seeding: pass no initial plans to solve().
using paper_pso_ga = pso_ga<>;

/// eosdnn's recommended engine: the paper's update with segment moves as the mutation; use it
/// with hybrid_options(), which polishes gBest when the swarm stalls by local search and, on
/// one-task sequential problems, by exact large moves (expansions and windows). From a random
/// start it reaches the proven optimum on the zoo, the profiles and hard 3-6 node environments
/// (docs/optimiser.md has the figures).
using hybrid_pso_ga = pso_ga<segment_reset_mutation>;

/// Options of the hybrid: 50 particles, 300 planned iterations, polish (local search and large
/// moves) after 20 stalled ones.
inline pso_ga_options hybrid_options() {
    return {
        .population = 50, .iterations = 300, .polish_after_stall = 20, .polish_large_moves = true};
}

/// `optimiser` with its mutation replaced by `mutation`, everything else unchanged:
/// `with_mutation(hybrid_pso_ga(hybrid_options()), k_gene_reset_mutation{.k = 3})`.
template <class M, class C, class I, class Co, class S, class R, class NewM>
auto with_mutation(const pso_ga<M, C, I, Co, S, R>& optimiser, NewM mutation) {
    using rebound = typename pso_ga<M, C, I, Co, S, R>::template with_mutation<NewM>;
    const auto& p = optimiser.policies();
    using policies = typename rebound::policies_type;
    return rebound(optimiser.options(),
                   policies{std::move(mutation), p.crossover, p.inertia, p.coefficients, p.stop});
}

/// `optimiser` with its crossover replaced by `crossover`, everything else unchanged.
template <class M, class C, class I, class Co, class S, class R, class NewC>
auto with_crossover(const pso_ga<M, C, I, Co, S, R>& optimiser, NewC crossover) {
    using rebound = typename pso_ga<M, C, I, Co, S, R>::template with_crossover<NewC>;
    const auto& p = optimiser.policies();
    using policies = typename rebound::policies_type;
    return rebound(optimiser.options(),
                   policies{p.mutation, std::move(crossover), p.inertia, p.coefficients, p.stop});
}

/// `optimiser` with its inertia schedule replaced by `inertia`, everything else unchanged.
template <class M, class C, class I, class Co, class S, class R, class NewI>
auto with_inertia(const pso_ga<M, C, I, Co, S, R>& optimiser, NewI inertia) {
    using rebound = typename pso_ga<M, C, I, Co, S, R>::template with_inertia<NewI>;
    const auto& p = optimiser.policies();
    using policies = typename rebound::policies_type;
    return rebound(optimiser.options(),
                   policies{p.mutation, p.crossover, std::move(inertia), p.coefficients, p.stop});
}

/// `optimiser` with its coefficient schedule replaced by `coefficients`, everything else unchanged.
template <class M, class C, class I, class Co, class S, class R, class NewCo>
auto with_coefficients(const pso_ga<M, C, I, Co, S, R>& optimiser, NewCo coefficients) {
    using rebound = typename pso_ga<M, C, I, Co, S, R>::template with_coefficients<NewCo>;
    const auto& p = optimiser.policies();
    using policies = typename rebound::policies_type;
    return rebound(optimiser.options(),
                   policies{p.mutation, p.crossover, p.inertia, std::move(coefficients), p.stop});
}

/// `optimiser` with its stop condition replaced by `stop`, everything else unchanged:
/// `with_stop(paper_pso_ga(options), max_evaluations{.count = 5000})`.
template <class M, class C, class I, class Co, class S, class R, class NewS>
auto with_stop(const pso_ga<M, C, I, Co, S, R>& optimiser, NewS stop) {
    using rebound = typename pso_ga<M, C, I, Co, S, R>::template with_stop<NewS>;
    const auto& p = optimiser.policies();
    using policies = typename rebound::policies_type;
    return rebound(optimiser.options(),
                   policies{p.mutation, p.crossover, p.inertia, p.coefficients, std::move(stop)});
}

/// `optimiser` drawing from another random engine type, everything else unchanged:
/// `with_engine<std::minstd_rand>(paper_pso_ga(options))`.
template <class E, class M, class C, class I, class Co, class S, class R>
typename pso_ga<M, C, I, Co, S, R>::template with_engine<E> with_engine(
    const pso_ga<M, C, I, Co, S, R>& optimiser) {
    return typename pso_ga<M, C, I, Co, S, R>::template with_engine<E>(optimiser.options(),
                                                                       optimiser.policies());
}

/// `optimiser` with other options (size, threads, the hybrid's polish), the policies unchanged.
template <class M, class C, class I, class Co, class S, class R>
pso_ga<M, C, I, Co, S, R> with_options(const pso_ga<M, C, I, Co, S, R>& optimiser,
                                       const pso_ga_options& options) {
    return pso_ga<M, C, I, Co, S, R>(options, optimiser.policies());
}

}  // namespace eosdnn

#if EOSDNN_DECLARE_ONLY
#include <eosdnn/detail/common_instances.hpp>  // extern templates of the common instantiations
#endif
