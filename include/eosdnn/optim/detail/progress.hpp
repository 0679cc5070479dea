#pragma once
/// \file progress.hpp
/// The bookkeeping every optimiser does after its initialisation (iteration 0) and after each
/// iteration: append the record to the log, show it to the observer, and tell the loop whether
/// to go on. Shared so that the observer and the log mean the same for every optimiser.

#include <eosdnn/core/ids.hpp>
#include <eosdnn/core/result.hpp>
#include <eosdnn/optim/operators/stop_condition.hpp>

#include <cstddef>
#include <limits>
#include <span>

namespace eosdnn::detail {

/// Writes the log of `result` and notifies an observer; an observer that returns false sets
/// `result.stopped_by_observer`.
template <observer O>
class run_report {
public:
    /// Reports into `result` (kept by reference, as is `obs`); `keep_log` false keeps no log.
    run_report(optimisation_result& result, O& obs, bool keep_log = true) noexcept
        : result_(&result), obs_(&obs), keep_log_(keep_log) {}

    /// Logs `r`, shows it with the best placement to the observer; false if the run must stop.
    bool operator()(const iteration_record& r, std::span<const node_id> best) {
        if (keep_log_) result_->log.push_back(r);
        if (notify(*obs_, r, best)) return true;
        result_->stopped_by_observer = true;
        return false;
    }

private:
    optimisation_result* result_;
    O* obs_;
    bool keep_log_;
};

/// The log of a method that does not iterate: one record (iteration 0) for its plan, shown to the
/// observer.
template <observer O>
void report_once(optimisation_result& result, O& obs) {
    run_report<O> report(result, obs);
    report({.iteration = 0,
            .evaluations = result.evaluations,
            .best_objective = result.value.objective,
            .best_violation = result.value.violation,
            .mean_objective = result.value.objective,
            .diversity = 0},
           std::span<const node_id>(result.placement));
}

/// The stall rule of a baseline's options: `count` stalled iterations, or never when 0.
inline stall_iterations stall_or_never(std::size_t count) noexcept {
    return {.count = count ? count : std::numeric_limits<std::size_t>::max()};
}

}  // namespace eosdnn::detail
