#pragma once
/// \file trace.hpp
/// What happens to the environment during a session: events in time order (a link's bandwidth or
/// latency changes, a node's speed factor changes, a node leaves or comes back, the query rate
/// changes). A trace is what the re-planner consumes and what `eosdnn-plan --trace` replays.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/core/messages.hpp>

#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace eosdnn {

/// What an event changes.
enum class event_kind {
    link_bandwidth,  ///< link from -> to now carries `value` bytes per second
    link_latency,    ///< link from -> to now has a one-way latency of `value` seconds
    node_speed,      ///< node `from` now has speed factor `value` (relative to its profile)
    node_down,       ///< node `from` leaves: its resident layers are lost (value unused)
    node_up,         ///< node `from` comes back, empty (value unused)
    query_rate,      ///< the device now issues `value` queries per second at most (0: closed loop)
};

/// Name of an event kind as the trace CSV writes it ("bandwidth", "latency", "speed", "down",
/// "up", "rate").
constexpr std::string_view to_string(event_kind kind) noexcept {
    switch (kind) {
    case event_kind::link_bandwidth: return "bandwidth";
    case event_kind::link_latency: return "latency";
    case event_kind::node_speed: return "speed";
    case event_kind::node_down: return "down";
    case event_kind::node_up: return "up";
    case event_kind::query_rate: return "rate";
    }
    return "unknown";
}

/// Whether an event of this kind names a link (from -> to) rather than a node.
constexpr bool is_link_event(event_kind kind) noexcept {
    return kind == event_kind::link_bandwidth || kind == event_kind::link_latency;
}

/// One change of the environment at a point of the session.
struct session_event {
    double time_s = 0;                             ///< seconds from the start of the session
    event_kind kind = event_kind::link_bandwidth;  ///< what changes
    node_id from = 0;  ///< the link's source, or the node of a node event
    node_id to = 0;    ///< the link's destination (link events only)
    double value = 0;  ///< the new bandwidth (B/s), latency (s), speed factor or query rate
};

/// A session's events, sorted by time (ties keep their order: they apply one after the other).
using session_trace = std::vector<session_event>;

/// Checks a trace against an environment of `nodes` nodes: times finite, >= 0 and not
/// decreasing; node indices inside the environment; a link event between two different nodes;
/// a bandwidth or speed factor finite and > 0; a latency or query rate finite and >= 0. Throws
/// eosdnn::error (validation) naming the event's position otherwise. (Whether the link exists is
/// the environment's business: the re-planner checks it when it applies the event.)
inline void check_trace(const session_trace& trace, std::size_t nodes) {
    constexpr std::string_view where = "session trace";
    double previous = 0;
    for (std::size_t i = 0; i < trace.size(); ++i) {
        const session_event& e = trace[i];
        const std::string at = "event #" + std::to_string(i) + " (" +
                               std::string(to_string(e.kind)) + " at " +
                               detail::format_number(e.time_s) + " s)";
        if (!std::isfinite(e.time_s) || e.time_s < 0)
            detail::fail_validation(where, at + ": time must be finite and >= 0");
        if (e.time_s < previous)
            detail::fail_validation(where, at + ": times must not decrease (previous " +
                                               detail::format_number(previous) + " s)");
        previous = e.time_s;
        if (e.from >= nodes || (is_link_event(e.kind) && e.to >= nodes))
            detail::fail_validation(where, at + ": names a node outside the environment of " +
                                               std::to_string(nodes) + " nodes");
        if (is_link_event(e.kind) && e.from == e.to)
            detail::fail_validation(where, at + ": a link joins two different nodes");
        const bool positive =
            e.kind == event_kind::link_bandwidth || e.kind == event_kind::node_speed;
        const bool non_negative =
            e.kind == event_kind::link_latency || e.kind == event_kind::query_rate;
        if (positive && !(std::isfinite(e.value) && e.value > 0))
            detail::fail_validation(where, at + ": value " + detail::format_number(e.value) +
                                               " must be finite and > 0");
        if (non_negative && !(std::isfinite(e.value) && e.value >= 0))
            detail::fail_validation(where, at + ": value " + detail::format_number(e.value) +
                                               " must be finite and >= 0");
    }
}

}  // namespace eosdnn
