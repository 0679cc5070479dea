#pragma once
/// \file inertia.hpp
/// Inertia schedules: the probability w that a particle mutates in an iteration. In PSO-GA the
/// mutation plays the role of the velocity's inertia term, so w keeps particles exploring.

#include <eosdnn/core/error.hpp>
#include <eosdnn/optim/operators/policy.hpp>

#include <cmath>
#include <concepts>
#include <cstddef>
#include <string>

namespace eosdnn {

/// What an inertia schedule may look at when it sets w for one particle.
struct inertia_context {
    std::size_t iteration = 0;    ///< iterations completed before this one (0-based)
    std::size_t horizon = 1;      ///< planned iterations (pso_ga_options::iterations), >= 1
    double distance = 0;          ///< fraction of free genes where this particle differs from gBest
    double swarm_similarity = 0;  ///< swarm mean of the fraction of free genes equal to gBest
};

/// An inertia schedule maps the context to w in [0, 1]. A `validate()` member is optional.
template <class I>
concept inertia_schedule = std::copy_constructible<I> &&
    requires(const I& i, const inertia_context& c) {
    { i(c) } -> std::convertible_to<double>;
};

namespace detail {
inline void check_weights(const char* who, double w_min, double w_max) {
    if (!(w_min >= 0 && w_min <= w_max && w_max <= 1))
        throw error(error_kind::validation,
                    std::string(who) + ": w_min is " + std::to_string(w_min) + " and w_max is " +
                        std::to_string(w_max) + " (need 0 <= w_min <= w_max <= 1)");
}
}  // namespace detail

/// Which quantity `d` the self-adaptive rule reads.
enum class inertia_reading {
    /// d = fraction of genes where the particle differs from gBest: particles far from gBest
    /// mutate more (w -> w_max), particles equal to it mutate least (w = w_min). The default.
    particle_distance,
    /// d = swarm-averaged fraction of genes equal to gBest: the whole swarm mutates more as it
    /// converges, the other reading of the rule seen in the literature.
    swarm_similarity,
};

/// The self-adaptive rule of Lin et al.: w = w_max - (w_max - w_min) * exp(d / (d - 1.01)).
/// At d = 0, w = w_min; as d -> 1, exp(d / (d - 1.01)) -> exp(-100) and w -> w_max.
struct adaptive_exponential_inertia {
    double w_max = 0.8;                                            ///< upper bound of w
    double w_min = 0.2;                                            ///< lower bound of w
    inertia_reading reading = inertia_reading::particle_distance;  ///< which d to read

    /// Throws eosdnn::error unless 0 <= w_min <= w_max <= 1.
    void validate() const { detail::check_weights("adaptive_exponential_inertia", w_min, w_max); }

    /// The rule as a function of d in [0, 1].
    double at(double d) const noexcept {
        return w_max - (w_max - w_min) * std::exp(d / (d - 1.01));
    }

    /// w for one particle.
    double operator()(const inertia_context& c) const noexcept {
        return at(reading == inertia_reading::particle_distance ? c.distance : c.swarm_similarity);
    }
};

/// w decreases linearly from w_max at the first iteration to w_min at the last one (Shi and
/// Eberhart's classic schedule).
struct linear_inertia {
    double w_max = 0.8;  ///< w at the first iteration
    double w_min = 0.2;  ///< w at the last planned iteration

    /// Throws eosdnn::error unless 0 <= w_min <= w_max <= 1.
    void validate() const { detail::check_weights("linear_inertia", w_min, w_max); }

    /// w_max - (w_max - w_min) * t / (T - 1), held at w_min past the horizon.
    double operator()(const inertia_context& c) const noexcept {
        if (c.horizon <= 1 || c.iteration + 1 >= c.horizon) return w_min;
        const double f = static_cast<double>(c.iteration) / static_cast<double>(c.horizon - 1);
        return w_max - (w_max - w_min) * f;
    }
};

/// The same w for every particle and iteration.
struct constant_inertia {
    double w = 0.5;  ///< the mutation probability, in [0, 1]

    /// Throws eosdnn::error unless w is in [0, 1].
    void validate() const {
        if (!(w >= 0 && w <= 1))
            throw error(error_kind::validation,
                        "constant_inertia.w is " + std::to_string(w) + " (must be in [0, 1])");
    }

    /// w.
    double operator()(const inertia_context&) const noexcept { return w; }
};

static_assert(inertia_schedule<adaptive_exponential_inertia>);
static_assert(inertia_schedule<linear_inertia>);
static_assert(inertia_schedule<constant_inertia>);

}  // namespace eosdnn
