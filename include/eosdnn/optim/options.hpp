#pragma once
/// \file options.hpp
/// What configures the PSO-GA engine: its options and its policies, two aggregates for
/// designated initializers, validated once when the engine is built.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/optim/large_moves.hpp>
#include <eosdnn/optim/local_search.hpp>
#include <eosdnn/optim/operators/coefficients.hpp>
#include <eosdnn/optim/operators/crossover.hpp>
#include <eosdnn/optim/operators/inertia.hpp>
#include <eosdnn/optim/operators/mutation.hpp>
#include <eosdnn/optim/operators/policy.hpp>
#include <eosdnn/optim/operators/stop_condition.hpp>

#include <cmath>
#include <cstddef>
#include <string>

namespace eosdnn {

/// Size and execution of a PSO-GA run. The operators' own parameters live in the policies.
struct pso_ga_options {
    std::size_t population = 50;   ///< particles, >= 1
    std::size_t iterations = 300;  ///< planned iterations: the horizon of the schedules and the
                                   ///< default iteration limit, >= 1
    std::size_t threads = 1;       ///< threads evaluating the swarm (1: the caller only), >= 1;
                                   ///< the result is bit-identical for any value
    bool incremental = true;       ///< re-price only changed genes when the problem allows it
    bool keep_log = true;          ///< keep the convergence log (bounded: optimisation_result::log)
    /// Return the swarm's personal bests at the end (optimisation_result::swarm), to start a
    /// later run from (a warm start after the problem changed, as the re-planner does).
    bool keep_swarm = false;
    /// Wall-clock seconds of the run, 0: none. Checked after every iteration (so a run overshoots
    /// by at most one iteration) and inside the polish; a run it ends says so in
    /// optimisation_result::stopped_by_time_limit. A run it ends depends on the machine's speed.
    double time_limit_s = 0;
    /// A request to end the run early (core/stop_request.hpp; null: none), checked after every
    /// iteration and before the polish; a run it ends keeps its best plan and says so in
    /// optimisation_result::stopped_by_request. The request outlives the run.
    const stop_request* stop = nullptr;
    /// The hybrid: after this many iterations without a gBest improvement, polish gBest once
    /// with local_search() (prefix, suffix and single-gene moves); 0 (the paper) never does.
    std::size_t polish_after_stall = 0;
    local_search_options polish{};  ///< the moves of the polish
    /// With a polish: also try the exact large moves (optim/large_moves.hpp: expansions and
    /// windows) when the problem is one task under the sequential schedule; ignored otherwise.
    bool polish_large_moves = false;
    large_move_options large_moves{};  ///< the large moves of the polish

    /// Throws eosdnn::error naming the field and its value if one is out of range.
    void validate() const {
        check(population >= 1, "population", population, ">= 1");
        check(iterations >= 1, "iterations", iterations, ">= 1");
        check(threads >= 1 && threads <= 1024, "threads", threads, "in 1..1024");
        detail::require_time_limit("pso_ga_options.time_limit_s", time_limit_s);
        if (polish_after_stall) polish.validate();
        if (polish_after_stall && polish_large_moves) large_moves.validate();
    }

private:
    static void check(bool ok, const char* field, std::size_t value, const char* rule) {
        if (!ok)
            throw error(error_kind::validation, std::string("pso_ga_options.") + field + " is " +
                                                    std::to_string(value) + " (must be " + rule +
                                                    ")");
    }
};

/// The five policies of a pso_ga, by name, so that one can be changed without spelling the
/// others: `pso_ga(options, pso_ga_policies{.stop = max_evaluations{.count = 5000}})` deduces
/// the types of the policies given and keeps the defaults (the paper's) for the rest.
template <class Mutation = uniform_reset_mutation, class Crossover = two_point_crossover,
          class Inertia = adaptive_exponential_inertia, class Coefficients = linear_coefficients,
          class Stop = default_stop>
struct pso_ga_policies {
    Mutation mutation{};          ///< a mutation_operator: the inertia part of the update
    Crossover crossover{};        ///< a crossover_operator, with pBest and with gBest
    Inertia inertia{};            ///< an inertia_schedule: the mutation probability w
    Coefficients coefficients{};  ///< a coefficient_schedule: the crossover probabilities c1, c2
    Stop stop{};                  ///< a stop_condition: when the run ends

    /// Validates every policy that has a validate().
    void validate() const {
        validate_policy(mutation);
        validate_policy(crossover);
        validate_policy(inertia);
        validate_policy(coefficients);
        validate_policy(stop);
    }
};

}  // namespace eosdnn
