#pragma once
/// \file coefficients.hpp
/// Coefficient schedules: c1, the probability of crossing with the particle's own best (the
/// cognitive part), and c2, with the swarm's best (the social part).

#include <eosdnn/core/error.hpp>
#include <eosdnn/optim/operators/policy.hpp>

#include <concepts>
#include <cstddef>
#include <string>

namespace eosdnn {

/// c1 and c2 for one iteration, both probabilities.
struct coefficients {
    double c1 = 0;  ///< probability of the crossover with pBest
    double c2 = 0;  ///< probability of the crossover with gBest
    /// Member-wise equality (exact comparison of the doubles).
    friend bool operator==(const coefficients&, const coefficients&) = default;
};

/// A coefficient schedule maps (iteration, horizon) to c1 and c2 in [0, 1]. A `validate()`
/// member is optional.
template <class C>
concept coefficient_schedule = std::copy_constructible<C> &&
    requires(const C& c, std::size_t iteration, std::size_t horizon) {
    { c(iteration, horizon) } -> std::same_as<coefficients>;
};

namespace detail {
inline void check_probability(const char* who, const char* field, double v) {
    if (!(v >= 0 && v <= 1))
        throw error(error_kind::validation, std::string(who) + "." + field + " is " +
                                                std::to_string(v) + " (must be in [0, 1])");
}
}  // namespace detail

/// The paper's schedule: c1 goes linearly from c1_start to c1_end and c2 from c2_start to c2_end
/// over the planned iterations, so particles first follow their own best, then the swarm's.
struct linear_coefficients {
    double c1_start = 0.9;  ///< c1 at the first iteration
    double c1_end = 0.2;    ///< c1 at the last planned iteration
    double c2_start = 0.4;  ///< c2 at the first iteration
    double c2_end = 0.9;    ///< c2 at the last planned iteration

    /// Throws eosdnn::error unless all four are in [0, 1].
    void validate() const {
        detail::check_probability("linear_coefficients", "c1_start", c1_start);
        detail::check_probability("linear_coefficients", "c1_end", c1_end);
        detail::check_probability("linear_coefficients", "c2_start", c2_start);
        detail::check_probability("linear_coefficients", "c2_end", c2_end);
    }

    /// c = start + (end - start) * t / (T - 1), held at `end` past the horizon.
    coefficients operator()(std::size_t iteration, std::size_t horizon) const noexcept {
        double f = 1;
        if (horizon > 1 && iteration + 1 < horizon)
            f = static_cast<double>(iteration) / static_cast<double>(horizon - 1);
        return {c1_start + (c1_end - c1_start) * f, c2_start + (c2_end - c2_start) * f};
    }
};

/// The same c1 and c2 at every iteration.
struct constant_coefficients {
    double c1 = 0.5;  ///< probability of the crossover with pBest
    double c2 = 0.5;  ///< probability of the crossover with gBest

    /// Throws eosdnn::error unless both are in [0, 1].
    void validate() const {
        detail::check_probability("constant_coefficients", "c1", c1);
        detail::check_probability("constant_coefficients", "c2", c2);
    }

    /// c1 and c2.
    coefficients operator()(std::size_t, std::size_t) const noexcept { return {c1, c2}; }
};

static_assert(coefficient_schedule<linear_coefficients>);
static_assert(coefficient_schedule<constant_coefficients>);

}  // namespace eosdnn
