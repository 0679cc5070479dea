#pragma once
/// \file result.hpp
/// What an optimiser reports: one record per iteration (the convergence curve), the result of a
/// run, and observers, callables that see every record and may stop the run.

#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/ids.hpp>

#include <concepts>
#include <cstddef>
#include <span>
#include <type_traits>
#include <vector>

namespace eosdnn {

/// One line of the log, written after initialisation (iteration 0) and after every iteration.
struct iteration_record {
    std::size_t iteration = 0;    ///< iterations completed; 0 for the initial swarm
    std::size_t evaluations = 0;  ///< evaluations spent so far
    double best_objective = 0;    ///< gBest's objective
    double best_violation = 0;    ///< gBest's constraint violation (0 when feasible)
    double mean_objective = 0;    ///< mean objective of the current population
    double diversity = 0;         ///< mean fraction of free genes differing from gBest
    /// Member-wise equality (exact comparison of the doubles).
    friend bool operator==(const iteration_record&, const iteration_record&) = default;
};

/// What every optimiser of eosdnn returns.
struct optimisation_result {
    std::vector<node_id> placement{};    ///< the best placement found
    evaluation value{};                  ///< its evaluation
    std::size_t iterations = 0;          ///< iterations (generations) run
    std::size_t evaluations = 0;         ///< calls to evaluate
    bool stopped_by_observer = false;    ///< true if an observer ended the run
    bool stopped_by_time_limit = false;  ///< true if the options' time_limit_s ended the run
    bool stopped_by_request =
        false;  ///< true if the options' stop (core/stop_request.hpp) ended it
    /// A proven lower bound on the optimal objective: at least the problem's
    /// structural_lower_bound() (optim/lower_bound.hpp), higher when an exact solve was run;
    /// the plan is at most (objective - lower_bound) / objective above the optimum.
    double lower_bound = 0;
    bool proven_optimal = false;  ///< the plan is feasible and meets lower_bound
    /// The convergence curve, bounded so that a run of any length keeps a log of a few
    /// thousand records: the first and the last iteration, every iteration that changed the
    /// best (objective or violation), and of the others an evenly spaced sample of at most
    /// log_sample_capacity records (every k-th iteration, k a power of two that doubles, thinning
    /// the sample by half, whenever the sample is full). Every record is still shown to the
    /// observer: observe the run to keep them all.
    std::vector<iteration_record> log{};
    /// With pso_ga_options::keep_swarm: as many plans as particles, ready to start a later run:
    /// gBest first (`placement`, which the polish may have improved), then the other particles'
    /// best placements (the best particle's is the one gBest replaces). Empty otherwise.
    std::vector<std::vector<node_id>> swarm{};
};

/// The most records of optimisation_result::log that are neither the first, nor the last, nor an
/// improvement (the evenly spaced sample of the rest).
inline constexpr std::size_t log_sample_capacity = 1024;

/// An observer is called with each record and gBest's placement. It returns `true` to continue,
/// `false` to stop the run (an observer returning void never stops it).
template <class O>
concept observer = std::invocable<O&, const iteration_record&, std::span<const node_id>>;

/// The observer that does nothing.
struct no_observer {
    /// Always continue.
    constexpr bool operator()(const iteration_record&, std::span<const node_id>) const noexcept {
        return true;
    }
};

namespace detail {
/// Calls an observer and maps its answer to "continue?".
template <observer O>
bool notify(O& obs, const iteration_record& r, std::span<const node_id> best) {
    using result = std::invoke_result_t<O&, const iteration_record&, std::span<const node_id>>;
    if constexpr (std::is_void_v<result>) {
        obs(r, best);
        return true;
    } else {
        return static_cast<bool>(obs(r, best));
    }
}
}  // namespace detail

static_assert(observer<no_observer>);

}  // namespace eosdnn
