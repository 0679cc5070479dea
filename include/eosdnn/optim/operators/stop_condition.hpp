#pragma once
/// \file stop_condition.hpp
/// Termination policies, composable with `||` (stop when either holds) and `&&` (when both do),
/// as in gapp: `max_iterations{500} || stall_iterations{50}`.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/optim/operators/policy.hpp>

#include <concepts>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

namespace eosdnn {

/// The state of a run after an iteration, which stop conditions read.
struct run_status {
    std::size_t iteration = 0;    ///< iterations completed (initialisation not counted)
    std::size_t horizon = 1;      ///< planned iterations (the options' `iterations`)
    std::size_t evaluations = 0;  ///< calls to the problem's evaluate, initialisation included
    std::size_t stall = 0;        ///< iterations since gBest last improved
    evaluation best{};            ///< gBest's value
};

/// A stop condition says, after each iteration, whether the run should end. A `validate()`
/// member is optional (optim/operators/policy.hpp).
template <class S>
concept stop_condition = std::copy_constructible<S> && requires(const S& s, const run_status& r) {
    { s(r) } -> std::convertible_to<bool>;
};

/// Stops after `count` iterations; 0 (the default) means the options' planned iterations.
struct max_iterations {
    std::size_t count = 0;  ///< iterations to run, 0 for the horizon (0 has a meaning: no check)
    /// True once the limit is reached.
    bool operator()(const run_status& r) const noexcept {
        return r.iteration >= (count ? count : r.horizon);
    }
};

/// Stops once `count` evaluations have been spent (checked after each iteration, so a run may
/// overshoot by at most one swarm).
struct max_evaluations {
    std::size_t count = 10000;  ///< evaluation budget, > 0
    /// Throws eosdnn::error if count is 0.
    void validate() const {
        if (count == 0)
            throw error(error_kind::validation, "max_evaluations.count is 0 (must be > 0)");
    }
    /// True once the budget is spent.
    bool operator()(const run_status& r) const noexcept { return r.evaluations >= count; }
};

/// Stops after `count` consecutive iterations without a gBest improvement.
struct stall_iterations {
    std::size_t count = 100;  ///< iterations without improvement, > 0
    /// Throws eosdnn::error if count is 0.
    void validate() const {
        if (count == 0)
            throw error(error_kind::validation, "stall_iterations.count is 0 (must be > 0)");
    }
    /// True once gBest has not improved for `count` iterations.
    bool operator()(const run_status& r) const noexcept { return r.stall >= count; }
};

/// Stops when gBest is feasible and its objective is at most `objective` (plus a relative
/// tolerance): for "time to reach a known optimum" measurements.
struct target_objective {
    double objective = 0;              ///< the value to reach
    double relative_tolerance = 1e-9;  ///< accepted relative excess, >= 0
    /// Throws eosdnn::error if the tolerance is negative or not finite.
    void validate() const {
        if (!(relative_tolerance >= 0) ||
            relative_tolerance == std::numeric_limits<double>::infinity())
            throw error(error_kind::validation, "target_objective.relative_tolerance is " +
                                                    std::to_string(relative_tolerance) +
                                                    " (must be finite and >= 0)");
    }
    /// True once gBest is feasible and good enough.
    bool operator()(const run_status& r) const noexcept {
        const double slack = relative_tolerance * (objective < 0 ? -objective : objective);
        return r.best.feasible() && r.best.objective <= objective + slack;
    }
};

/// Stops when either condition holds.
template <stop_condition A, stop_condition B>
struct stop_any {
    A first{};   ///< left operand
    B second{};  ///< right operand
    /// Validates both operands (those that have a validate()).
    void validate() const { validate_policy(first), validate_policy(second); }
    /// first(r) || second(r).
    bool operator()(const run_status& r) const { return first(r) || second(r); }
};

/// Stops when both conditions hold.
template <stop_condition A, stop_condition B>
struct stop_all {
    A first{};   ///< left operand
    B second{};  ///< right operand
    /// Validates both operands (those that have a validate()).
    void validate() const { validate_policy(first), validate_policy(second); }
    /// first(r) && second(r).
    bool operator()(const run_status& r) const { return first(r) && second(r); }
};

/// Composes two stop conditions: stop when either holds.
template <stop_condition A, stop_condition B>
stop_any<A, B> operator||(A a, B b) {
    return {std::move(a), std::move(b)};
}

/// Composes two stop conditions: stop when both hold.
template <stop_condition A, stop_condition B>
stop_all<A, B> operator&&(A a, B b) {
    return {std::move(a), std::move(b)};
}

/// The paper's termination: the planned iterations, or 100 iterations without improvement.
using default_stop = stop_any<max_iterations, stall_iterations>;

static_assert(stop_condition<max_iterations>);
static_assert(stop_condition<max_evaluations>);
static_assert(stop_condition<stall_iterations>);
static_assert(stop_condition<target_objective>);
static_assert(stop_condition<default_stop>);

}  // namespace eosdnn
