#pragma once
/// \file progress.hpp
/// The bookkeeping every optimiser does after its initialisation (iteration 0) and after each
/// iteration: append the record to the log, show it to the observer, and tell the loop whether
/// to go on. Shared so that the observer and the log mean the same for every optimiser.

#include <eosdnn/core/ids.hpp>
#include <eosdnn/core/result.hpp>
#include <eosdnn/core/stop_request.hpp>
#include <eosdnn/optim/operators/stop_condition.hpp>

#include <chrono>
#include <cstddef>
#include <limits>
#include <span>
#include <vector>

namespace eosdnn::detail {

/// Writes the log of `result` (bounded: optimisation_result::log says which records it keeps),
/// notifies an observer and watches the clock and the stop request; an observer that returns
/// false sets `result.stopped_by_observer`, a request `result.stopped_by_request`, a run past
/// its time limit `result.stopped_by_time_limit`.
template <observer O>
class run_report {
public:
    /// Reports into `result` (kept by reference, as is `obs`); `keep_log` false keeps no log;
    /// `time_limit_s` > 0 ends the run at the first record after that many seconds from now, a
    /// request made on `stop` (if not null) at the first record after it.
    run_report(optimisation_result& result, O& obs, bool keep_log = true, double time_limit_s = 0,
               const stop_request* stop = nullptr,
               std::size_t sample_capacity = log_sample_capacity) noexcept
        : result_(&result), obs_(&obs), keep_log_(keep_log), time_limit_s_(time_limit_s),
          stop_(stop), sample_capacity_(sample_capacity ? sample_capacity : 1),
          start_(std::chrono::steady_clock::now()) {}

    /// Logs `r`, shows it with the best placement to the observer; false if the run must stop.
    bool operator()(const iteration_record& r, std::span<const node_id> best) {
        if (keep_log_) log(r);
        if (!notify(*obs_, r, best)) {
            result_->stopped_by_observer = true;
            return false;
        }
        if (stop_requested(stop_)) {
            result_->stopped_by_request = true;
            return false;
        }
        if (past_time_limit()) {
            result_->stopped_by_time_limit = true;
            return false;
        }
        return true;
    }

    /// True once the time limit (if any) has passed: for the long steps between two records.
    bool past_time_limit() const noexcept { return seconds_left() <= 0; }

    /// True once the run should end before its next record: a stop was requested or the time
    /// limit passed (long steps between two records ask before they start).
    bool must_end() const noexcept { return stop_requested(stop_) || past_time_limit(); }

    /// Seconds left before the time limit; infinity without one.
    double seconds_left() const noexcept {
        if (time_limit_s_ <= 0) return std::numeric_limits<double>::infinity();
        return time_limit_s_ -
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }

private:
    // Keeps the first record, every improvement, the latest record and the iterations that are
    // multiples of stride_; when more than sample_capacity_ multiples are kept, the stride
    // doubles and every other one goes. The log stays in iteration order.
    void log(const iteration_record& r) {
        auto& log = result_->log;
        if (latest_is_extra_) {  // the previous record was only kept as the latest
            log.pop_back();
            improvement_.pop_back();
        }
        const bool first = seen_ == 0;
        const bool improved = !first && (r.best_objective != previous_.best_objective ||
                                         r.best_violation != previous_.best_violation);
        previous_ = r;
        ++seen_;
        const bool sampled = !first && !improved && r.iteration % stride_ == 0;
        log.push_back(r);
        improvement_.push_back(first || improved);
        latest_is_extra_ = !first && !improved && !sampled;
        if (!sampled) return;
        if (++samples_ <= sample_capacity_) return;
        stride_ *= 2;
        std::size_t kept = 0;
        samples_ = 0;
        for (std::size_t i = 0; i < log.size(); ++i) {
            const bool keep = improvement_[i] || log[i].iteration % stride_ == 0;
            if (!keep) continue;
            if (!improvement_[i]) ++samples_;
            log[kept] = log[i];
            improvement_[kept] = improvement_[i];
            ++kept;
        }
        // The record just added may have gone: then it stays as the latest one.
        if (log[kept - 1].iteration != r.iteration) {
            log[kept] = r;
            improvement_[kept] = false;
            ++kept;
            latest_is_extra_ = true;
        }
        log.resize(kept);
        improvement_.resize(kept);
    }

    optimisation_result* result_;
    O* obs_;
    bool keep_log_;
    double time_limit_s_;
    const stop_request* stop_;
    std::size_t sample_capacity_;
    std::chrono::steady_clock::time_point start_;
    std::vector<bool> improvement_{};  // per log record: the first one or an improvement
    iteration_record previous_{};
    std::size_t seen_ = 0, samples_ = 0, stride_ = 1;
    bool latest_is_extra_ = false;
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
