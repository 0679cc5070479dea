#pragma once
/// \file trace_generators.hpp
/// Session traces made from a few numbers, for tests, examples and `eosdnn-plan --trace-kind`:
/// a step (a link's bandwidth changes once), a bounded random walk of a link's bandwidth, and an
/// on/off link as in a tunnel (the bandwidth drops to a floor, or the far node leaves, then
/// comes back; periodically or for random durations). The random ones draw through Boost.Random
/// from an engine the caller passes (or std::mt19937_64 seeded with `seed`), so a seed gives the
/// same trace with every standard library.
///
/// Generated times are whole milliseconds and bandwidths whole kbit/s (mbps() of a multiple of
/// 0.001), so that a generated trace writes to CSV and reads back exactly.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/optim/detail/random.hpp>
#include <eosdnn/replan/trace.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace eosdnn {

/// The link a generator changes: from -> to, and to -> from as well when `both_directions`
/// (the reverse event follows at the same time, so the environment must have both links).
struct trace_link {
    node_id from = 0;             ///< the link's source (usually the device)
    node_id to = 1;               ///< the link's destination
    bool both_directions = true;  ///< change to -> from too, with the same value
};

/// Most events a generator makes (duration_s / step_s, or the tunnels of duration_s): a trace
/// of a day at one event per 100 ms.
inline constexpr double max_generated_events = 1e6;

namespace detail::trace_generators {

inline void require(bool ok, std::string_view field, double value, std::string_view rule) {
    if (!ok)
        throw error(error_kind::validation, std::string(field) + " is " + format_number(value) +
                                                " (" + std::string(rule) + ")");
}

inline void require_link(const trace_link& link, std::string_view options) {
    if (link.from == link.to)
        throw error(error_kind::validation, std::string(options) + ".link joins node " +
                                                std::to_string(link.from) +
                                                " to itself (a link joins two different nodes)");
}

/// A time on the millisecond grid.
inline double whole_ms(double seconds) { return std::round(seconds * 1000) / 1000; }

/// A bandwidth on the kbit/s grid, at least one kbit/s.
inline double whole_kbps(double bytes_per_s) {
    const double megabits = std::round(bytes_per_s * 8 / 1e3) / 1e3;
    return mbps(std::max(megabits, 0.001));
}

/// Appends the bandwidth event of `link` (and its reverse).
inline void add_bandwidth(session_trace& trace, const trace_link& link, double time_s,
                          double bytes_per_s) {
    trace.push_back({.time_s = time_s,
                     .kind = event_kind::link_bandwidth,
                     .from = link.from,
                     .to = link.to,
                     .value = bytes_per_s});
    if (link.both_directions)
        trace.push_back({.time_s = time_s,
                         .kind = event_kind::link_bandwidth,
                         .from = link.to,
                         .to = link.from,
                         .value = bytes_per_s});
}

}  // namespace detail::trace_generators

/// A step: the link's bandwidth becomes `bandwidth_Bps` at `at_s`, and, if `back_at_s` > at_s,
/// returns to `back_Bps` then.
struct step_trace_options {
    trace_link link{};               ///< the link that changes
    double at_s = 10;                ///< when the bandwidth changes (s, >= 0)
    double bandwidth_Bps = mbps(5);  ///< the bandwidth from at_s (bytes/s, > 0)
    double back_at_s = 0;            ///< when it changes back (0: never; else > at_s)
    double back_Bps = mbps(40);      ///< the bandwidth from back_at_s (bytes/s, > 0)

    /// Throws eosdnn::error (validation) naming the field and the value.
    void validate() const {
        using detail::trace_generators::require;
        detail::trace_generators::require_link(link, "step_trace_options");
        require(std::isfinite(at_s) && at_s >= 0, "step_trace_options.at_s", at_s,
                "must be finite and >= 0");
        require(std::isfinite(bandwidth_Bps) && bandwidth_Bps > 0,
                "step_trace_options.bandwidth_Bps", bandwidth_Bps, "must be finite and > 0");
        require(back_at_s == 0 || (std::isfinite(back_at_s) && back_at_s > at_s),
                "step_trace_options.back_at_s", back_at_s, "must be 0 or finite and > at_s");
        require(back_at_s == 0 || (std::isfinite(back_Bps) && back_Bps > 0),
                "step_trace_options.back_Bps", back_Bps, "must be finite and > 0");
    }
};

/// The trace of a step (no randomness: the same options give the same trace).
inline session_trace step_trace(const step_trace_options& o) {
    namespace g = detail::trace_generators;
    o.validate();
    session_trace trace;
    g::add_bandwidth(trace, o.link, g::whole_ms(o.at_s), g::whole_kbps(o.bandwidth_Bps));
    if (o.back_at_s > 0)
        g::add_bandwidth(trace, o.link, std::max(g::whole_ms(o.back_at_s), g::whole_ms(o.at_s)),
                         g::whole_kbps(o.back_Bps));
    return trace;
}

/// A random walk of a link's bandwidth: every `step_s` from `step_s` to `duration_s`, the
/// bandwidth moves by a step drawn uniformly in [-max_step_Bps, max_step_Bps], reflected at
/// the bounds [min_Bps, max_Bps].
struct random_walk_options {
    trace_link link{};               ///< the link that changes
    double start_Bps = mbps(40);     ///< the bandwidth before the first step (in the bounds)
    double min_Bps = mbps(5);        ///< lower bound (bytes/s, > 0)
    double max_Bps = mbps(80);       ///< upper bound (bytes/s, >= min_Bps)
    double max_step_Bps = mbps(10);  ///< largest change in one step (bytes/s, >= 0)
    double step_s = 1;               ///< time between two changes (s, >= 0.001)
    double duration_s = 60;          ///< no change after this (s, >= 0)

    /// Throws eosdnn::error (validation) naming the field and the value.
    void validate() const {
        using detail::trace_generators::require;
        detail::trace_generators::require_link(link, "random_walk_options");
        require(std::isfinite(min_Bps) && min_Bps > 0, "random_walk_options.min_Bps", min_Bps,
                "must be finite and > 0");
        require(std::isfinite(max_Bps) && max_Bps >= min_Bps, "random_walk_options.max_Bps",
                max_Bps, "must be finite and >= min_Bps");
        require(start_Bps >= min_Bps && start_Bps <= max_Bps, "random_walk_options.start_Bps",
                start_Bps, "must be in [min_Bps, max_Bps]");
        require(std::isfinite(max_step_Bps) && max_step_Bps >= 0,
                "random_walk_options.max_step_Bps", max_step_Bps, "must be finite and >= 0");
        require(std::isfinite(step_s) && step_s >= 0.001, "random_walk_options.step_s", step_s,
                "must be finite and >= 0.001");
        require(std::isfinite(duration_s) && duration_s >= 0 &&
                    duration_s / step_s <= max_generated_events,
                "random_walk_options.duration_s", duration_s,
                "must be finite, >= 0 and at most max_generated_events steps");
    }
};

/// The random walk of `o`, drawing from `rng` (one draw per step; none if max_step_Bps is 0).
template <std::uniform_random_bit_generator Rng>
session_trace random_walk_trace(const random_walk_options& o, Rng& rng) {
    namespace g = detail::trace_generators;
    o.validate();
    session_trace trace;
    double bandwidth = o.start_Bps;
    const auto steps = static_cast<std::uint64_t>(std::floor(o.duration_s / o.step_s + 1e-9));
    for (std::uint64_t k = 1; k <= steps; ++k) {
        if (o.max_step_Bps > 0)
            bandwidth += detail::draw_real(-o.max_step_Bps, o.max_step_Bps, rng);
        // Reflected at the bounds (twice at most when a step is wider than the band), then
        // clamped so that rounding cannot leave them.
        for (int bounce = 0; bounce < 2; ++bounce) {
            if (bandwidth > o.max_Bps) bandwidth = 2 * o.max_Bps - bandwidth;
            if (bandwidth < o.min_Bps) bandwidth = 2 * o.min_Bps - bandwidth;
        }
        bandwidth = std::clamp(g::whole_kbps(bandwidth), o.min_Bps, o.max_Bps);
        g::add_bandwidth(trace, o.link, g::whole_ms(static_cast<double>(k) * o.step_s), bandwidth);
    }
    return trace;
}

/// The random walk of `o` from std::mt19937_64 seeded with `seed`.
inline session_trace random_walk_trace(const random_walk_options& o, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    return random_walk_trace(o, rng);
}

/// An on/off link, as for a phone on a train through tunnels: from `first_s` on, the link
/// spends `inside_s` in a tunnel (its bandwidth `floor_Bps`, or with `node_down` the far node
/// `link.to` gone) and `outside_s` out of it (`open_Bps`, or the node back), until
/// `duration_s`. With `jitter` > 0 each duration is drawn uniformly in mean x [1 - jitter,
/// 1 + jitter]; with 0 the tunnels are periodic and no draw is made.
struct tunnel_trace_options {
    trace_link link{};             ///< the link that drops (with node_down: link.to leaves)
    double open_Bps = mbps(40);    ///< bandwidth outside a tunnel (bytes/s, > 0)
    double floor_Bps = mbps(0.5);  ///< bandwidth inside (bytes/s, > 0, <= open_Bps)
    bool node_down = false;        ///< inside, link.to leaves (down) instead of the floor
    double first_s = 10;           ///< when the first tunnel starts (s, >= 0)
    double inside_s = 5;           ///< mean time in a tunnel (s, >= 0.001)
    double outside_s = 20;         ///< mean time between two tunnels (s, >= 0.001)
    double jitter = 0;             ///< relative spread of the durations, in [0, 1)
    double duration_s = 120;       ///< no tunnel starts at or after this (s, >= 0)

    /// Throws eosdnn::error (validation) naming the field and the value.
    void validate() const {
        using detail::trace_generators::require;
        detail::trace_generators::require_link(link, "tunnel_trace_options");
        require(std::isfinite(open_Bps) && open_Bps > 0, "tunnel_trace_options.open_Bps", open_Bps,
                "must be finite and > 0");
        require(node_down || (std::isfinite(floor_Bps) && floor_Bps > 0 && floor_Bps <= open_Bps),
                "tunnel_trace_options.floor_Bps", floor_Bps, "must be > 0 and <= open_Bps");
        require(std::isfinite(first_s) && first_s >= 0, "tunnel_trace_options.first_s", first_s,
                "must be finite and >= 0");
        require(std::isfinite(inside_s) && inside_s >= 0.001, "tunnel_trace_options.inside_s",
                inside_s, "must be finite and >= 0.001");
        require(std::isfinite(outside_s) && outside_s >= 0.001, "tunnel_trace_options.outside_s",
                outside_s, "must be finite and >= 0.001");
        require(jitter >= 0 && jitter < 1, "tunnel_trace_options.jitter", jitter,
                "must be in [0, 1)");
        require(std::isfinite(duration_s) && duration_s >= 0 &&
                    duration_s / (inside_s + outside_s) <= max_generated_events,
                "tunnel_trace_options.duration_s", duration_s,
                "must be finite, >= 0 and hold at most max_generated_events tunnels");
    }
};

/// The tunnels of `o`, drawing from `rng` (two draws per tunnel when jitter > 0, none else).
/// Every tunnel that starts is left again, even after duration_s, so that the trace ends with
/// the link open (or the node back).
template <std::uniform_random_bit_generator Rng>
session_trace tunnel_trace(const tunnel_trace_options& o, Rng& rng) {
    namespace g = detail::trace_generators;
    o.validate();
    const auto draw = [&](double mean) {
        if (o.jitter == 0) return mean;
        return detail::draw_real(mean * (1 - o.jitter), mean * (1 + o.jitter), rng);
    };
    session_trace trace;
    const auto set = [&](double time_s, bool inside) {
        if (o.node_down)
            trace.push_back({.time_s = time_s,
                             .kind = inside ? event_kind::node_down : event_kind::node_up,
                             .from = o.link.to,
                             .to = 0,
                             .value = 0});
        else
            g::add_bandwidth(trace, o.link, time_s,
                             g::whole_kbps(inside ? o.floor_Bps : o.open_Bps));
    };
    double t = o.first_s;
    double last = 0;
    while (t < o.duration_s) {
        const double enter = std::max(g::whole_ms(t), last);
        const double leave =
            std::max(g::whole_ms(t + draw(o.inside_s)), g::whole_ms(enter + 0.001));
        set(enter, true);
        set(leave, false);
        last = leave;
        t = leave + draw(o.outside_s);
    }
    return trace;
}

/// The tunnels of `o` from std::mt19937_64 seeded with `seed`.
inline session_trace tunnel_trace(const tunnel_trace_options& o, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    return tunnel_trace(o, rng);
}

}  // namespace eosdnn
