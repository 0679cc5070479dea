#pragma once
/// \file session_environment.hpp
/// Events applied to an environment: an environment is immutable, so a changed link or node
/// speed gives a new environment, built with environment_builder from a copy of the nodes and
/// links. Node ids never change (a node that leaves stays in the environment; the re-planner
/// keeps layers off it through the allowed nodes of each layer).

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/replan/trace.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eosdnn {

namespace detail::replan {

/// "event (bandwidth at 3 s)": how messages name an event.
inline std::string event_label(const session_event& e) {
    return "event (" + std::string(to_string(e.kind)) + " at " + format_number(e.time_s) + " s)";
}

}  // namespace detail::replan

/// Checks that `e` can be applied to `env` in a session owned by `device`: its nodes exist; a
/// link event names a link of `env` (two local devices are not linked); the device never goes
/// down; a value is in range (as check_trace()). Throws eosdnn::error (validation) otherwise.
inline void check_event(const environment& env, node_id device, const session_event& e) {
    constexpr std::string_view where = "re-planner";
    check_trace(session_trace{e}, env.size());  // time, indices and value ranges
    const std::string at = detail::replan::event_label(e);
    if (is_link_event(e.kind) && !env.link_between(e.from, e.to))
        detail::fail_validation(
            where, at + ": there is no link " + detail::node_label(e.from, env[e.from].name) +
                       " -> " + detail::node_label(e.to, env[e.to].name) + " in the environment");
    if (e.kind == event_kind::node_down && (e.from == device || env[e.from].tier == tier::local))
        detail::fail_validation(where,
                                at + ": " + detail::node_label(e.from, env[e.from].name) + " is " +
                                    (e.from == device ? "the session's device" : "a local device") +
                                    ", which cannot go down (only edge and cloud "
                                    "nodes leave a session)");
    if ((e.kind == event_kind::node_up) && env[e.from].tier == tier::local)
        detail::fail_validation(where, at + ": " + detail::node_label(e.from, env[e.from].name) +
                                           " is a local device, which never leaves or returns");
}

/// Checks `events` as replanner::apply() takes them: at least one, all at one time, each as
/// check_event(). Throws eosdnn::error (validation) otherwise.
inline void check_simultaneous(const environment& env, node_id device,
                               std::span<const session_event> events) {
    if (events.empty()) detail::fail_validation("re-planner", "apply: no event");
    for (const auto& e : events) {
        check_event(env, device, e);
        if (e.time_s != events.front().time_s)
            detail::fail_validation("re-planner", "apply: events at " +
                                                      detail::format_number(events.front().time_s) +
                                                      " s and " + detail::format_number(e.time_s) +
                                                      " s are applied by separate calls");
    }
}

/// "bandwidth node 0 ('phone') -> edge1; ...": what changed, each event named (kind, node and
/// the link's other end).
inline std::string events_cause(const environment& env, std::span<const session_event> events) {
    std::string cause;
    for (const auto& e : events) {
        cause += (cause.empty() ? "" : "; ") + std::string(to_string(e.kind)) + " " +
                 detail::node_label(e.from, env[e.from].name);
        if (is_link_event(e.kind)) cause += " -> " + env[e.to].name;
    }
    return cause;
}

/// `env` with event `e` applied (a link_bandwidth, link_latency or node_speed event; any other
/// kind returns `env` unchanged). A node_speed event sets the node's speed_factor to `value`
/// and scales its flops_per_s by value / (its speed_factor in `initial`), so that both cost
/// models see the same relative change: the profiled model divides measured times by the speed
/// factor, the analytic model divides FLOPs by the rate. `initial` is the environment the
/// session started with (the same nodes). Throws eosdnn::error (validation) if check_event()
/// refuses the event.
inline environment with_event(const environment& env, const environment& initial, node_id device,
                              const session_event& e) {
    check_event(env, device, e);
    if (e.kind != event_kind::link_bandwidth && e.kind != event_kind::link_latency &&
        e.kind != event_kind::node_speed)
        return env;
    environment_builder b;
    for (std::size_t s = 0; s < env.size(); ++s) {
        node n = env[static_cast<node_id>(s)];
        if (e.kind == event_kind::node_speed && s == e.from) {
            const node& base = initial.at(e.from);
            n.speed_factor = e.value;
            n.flops_per_s = base.flops_per_s * (e.value / base.speed_factor);
        }
        b.add_node(std::move(n));
    }
    for (std::size_t a = 0; a < env.size(); ++a) {
        const auto from = static_cast<node_id>(a);
        for (node_id to : env.neighbours(from)) {
            const auto& l = env.link_between(from, to);
            if (!l) continue;
            network_link changed = *l;
            if (from == e.from && to == e.to) {
                if (e.kind == event_kind::link_bandwidth) changed.bandwidth_Bps = e.value;
                if (e.kind == event_kind::link_latency) changed.latency_s = e.value;
            }
            b.connect_one_way(from, to, changed);
        }
    }
    return b.build();
}

/// Whether event `e`, applied to `env`, can only make placements slower: a bandwidth or a speed
/// factor that does not grow, a latency that does not shrink (the event must name a link of
/// `env`: check_event()).
inline bool only_slows(const environment& env, const session_event& e) {
    switch (e.kind) {
    case event_kind::link_bandwidth:
        return e.value <= env.link_between(e.from, e.to)->bandwidth_Bps;
    case event_kind::link_latency: return e.value >= env.link_between(e.from, e.to)->latency_s;
    case event_kind::node_speed: return e.value <= env[e.from].speed_factor;
    default: return false;
    }
}

/// `env` with the link and speed changes among `events` applied in order (with_event()), or
/// nothing if there are none (the other kinds change no environment). `only_slower` is set to
/// whether every one of them can only slow placements down (only_slows()).
inline std::optional<environment> with_events(environment env, const environment& initial,
                                              node_id device, std::span<const session_event> events,
                                              bool& only_slower) {
    bool changed = false;
    only_slower = true;
    for (const auto& e : events)
        if (e.kind == event_kind::link_bandwidth || e.kind == event_kind::link_latency ||
            e.kind == event_kind::node_speed) {
            only_slower = only_slower && only_slows(env, e);
            env = with_event(env, initial, device, e);
            changed = true;
        }
    if (!changed) return std::nullopt;
    return env;
}

/// Every figure of `env` that an event can change (each node's rate and speed factor, each
/// link's bandwidth and latency) and whether each node is up (`up`, one flag per node), as one
/// vector: equal keys, equal optima.
inline std::vector<double> environment_key(const environment& env,
                                           std::span<const std::uint8_t> up) {
    std::vector<double> key;
    for (std::size_t a = 0; a < env.size(); ++a) {
        const auto s = static_cast<node_id>(a);
        key.insert(key.end(), {env[s].flops_per_s, env[s].speed_factor,
                               a < up.size() ? static_cast<double>(up[a]) : 1.0});
        for (node_id t : env.neighbours(s))
            if (const auto& l = env.link_between(s, t))
                key.insert(key.end(), {l->bandwidth_Bps, l->latency_s});
    }
    return key;
}

/// The bandwidth of each uplink of `device` (device -> every edge or cloud node), in node order.
inline std::vector<std::pair<node_id, double>> device_uplinks(const environment& env,
                                                              node_id device) {
    std::vector<std::pair<node_id, double>> links;
    for (node_id to : env.neighbours(device))
        if (const auto& l = env.link_between(device, to); l && env[to].tier != tier::local)
            links.emplace_back(to, l->bandwidth_Bps);
    return links;
}

}  // namespace eosdnn
