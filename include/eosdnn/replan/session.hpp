#pragma once
/// \file session.hpp
/// simulate_session(): a closed-loop stream of queries through uploads and the events of a trace,
/// re-planning at each event by a policy; the numbers that compare the policies and the time
/// series a figure draws (bandwidth of the device's uplinks, plan changes, query latency).

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/replan/replan_options.hpp>
#include <eosdnn/replan/replanner.hpp>
#include <eosdnn/replan/session_environment.hpp>
#include <eosdnn/replan/trace.hpp>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace eosdnn {

/// Options of simulate_session().
struct session_options {
    node_id device = 0;       ///< the local device that owns the model and issues the queries
    replan_options replan{};  ///< the policy and its budgets
    /// Length of the session in seconds; 0: the last event's time plus `tail_s`.
    double duration_s = 0;
    double tail_s = 10;                   ///< see duration_s (finite, >= 0)
    std::size_t max_queries = 1'000'000;  ///< safety limit on the queries issued

    /// Throws eosdnn::error (validation) naming the field and the value if one is out of range.
    void validate() const {
        replan.validate();
        if (!std::isfinite(duration_s) || duration_s < 0)
            detail::fail_validation("session_options", "duration_s is " +
                                                           detail::format_number(duration_s) +
                                                           " (must be finite and >= 0)");
        if (!std::isfinite(tail_s) || tail_s < 0)
            detail::fail_validation(
                "session_options",
                "tail_s is " + detail::format_number(tail_s) + " (must be finite and >= 0)");
    }
};

/// One query of a session.
struct session_query {
    double start_s = 0;             ///< issued
    double end_s = 0;               ///< completed (may be after the session's end: not counted)
    double latency_s = 0;           ///< end_s - start_s
    std::size_t version = 0;        ///< plan version in force when it was issued
    std::size_t remote_layers = 0;  ///< layers it ran away from the device
};

/// A plan put in force (the initial one, then each change).
struct plan_change {
    double time_s = 0;                 ///< when
    std::size_t version = 0;           ///< its version
    std::string candidate{};           ///< which candidate ("optimum", "stale", ...)
    std::string reason{};              ///< why (replan_decision::reason)
    std::vector<node_id> placement{};  ///< target node of each layer
    std::string summary{};             ///< layers per node, e.g. "phone 12, edge1 40"
    double steady_delay_s = 0;         ///< latency once everything has arrived
    double replan_wall_s = 0;          ///< measured wall time of the decision
};

/// The bandwidth of the device's uplink to node `to` from `time_s` on.
struct link_sample {
    double time_s = 0;         ///< when it took this value
    node_id to = 0;            ///< the uplink device -> to
    double bandwidth_Bps = 0;  ///< bytes per second
};

/// What a session did.
struct session_result {
    std::string policy{};                  ///< to_string(replan_policy)
    std::vector<session_query> queries{};  ///< in issue order
    std::size_t queries_completed = 0;     ///< completed by duration_s
    /// Mean and 95th-percentile (nearest rank) latency of the completed queries; NaN if none.
    double mean_latency_s = std::numeric_limits<double>::quiet_NaN();
    double p95_latency_s = std::numeric_limits<double>::quiet_NaN();  ///< see mean_latency_s
    double replan_wall_s = 0;  ///< measured wall time of every decision (not in the clock)
    /// Re-planning decisions: one per event time with an event other than a rate change.
    std::size_t replans = 0;
    /// Bytes sent over the uplinks: re-uploads after a node left and the part of a partition in
    /// flight to a node that left included.
    double bytes_uploaded = 0;
    double bytes_lost = 0;  ///< resident parameter bytes lost with nodes that left
    double duration_s = 0;  ///< the session's length
    std::vector<plan_change> plan_changes{};  ///< the initial plan at 0, then each change
    std::vector<link_sample> uplink{};        ///< every uplink at 0, then each change
};

namespace detail::replan {

/// "phone 12, edge1 40": layers per node, in node order.
inline std::string placement_summary(const environment& env, std::span<const node_id> x) {
    std::map<node_id, std::size_t> count;
    for (node_id s : x) ++count[s];
    std::string out;
    for (const auto& [s, k] : count)
        out += (out.empty() ? "" : ", ") + env[s].name + " " + std::to_string(k);
    return out;
}

template <class Model>
void record_change(session_result& r, const replanner<Model>& rp, const replan_decision& d) {
    r.plan_changes.push_back({.time_s = d.time_s,
                              .version = d.version,
                              .candidate = d.chosen.name,
                              .reason = d.reason,
                              .placement = d.chosen.placement,
                              .summary = placement_summary(rp.env(), d.chosen.placement),
                              .steady_delay_s = d.chosen.steady_delay_s,
                              .replan_wall_s = d.replan_wall_s});
}

}  // namespace detail::replan

/// Runs a session of `graph` owned by options.device in `env` (priced by Model, built from each
/// environment in force) through `trace`:
/// - at 0 the re-planner plans the optimum and LMU's upload (replanner::plan_initial());
/// - queries are closed-loop: the first at 0, the next when the previous completes, never
///   sooner than 1 / rate after the previous one was issued under a query_rate cap;
/// - a query runs with the state at its start (effective placement and environment) and
///   completes with those conditions whatever happens meanwhile: an event during a query, a
///   node leaving included, changes the queries issued after it, so no query is ever lost;
/// - an event at the time a query is issued applies first; events apply in trace order, and
///   those at one time together, answered by one decision of options.replan.policy
///   (replanner::apply);
/// - events after duration_s are ignored; queries are issued until duration_s, and those
///   completed by then are counted (the last one may end after it; it is in `queries` but not
///   in the statistics).
/// The simulated clock never reads the wall clock, so a session is reproducible to the bit
/// (see replan_options::exact_time_limit_s); the wall time of re-planning is measured and
/// reported apart. Throws eosdnn::error (validation) for a bad trace (check_trace(), and each
/// event as replanner::apply() checks it) or options.
template <upload_cost_model Model>
requires std::constructible_from<Model, environment> session_result
simulate_session(const layer_graph& graph, const environment& env, const session_trace& trace,
                 const session_options& options = {}) {
    options.validate();
    check_trace(trace, env.size());
    for (const auto& e : trace) check_event(env, options.device, e);  // the links exist
    session_result r{.policy = std::string(to_string(options.replan.policy))};
    r.duration_s = options.duration_s > 0
                       ? options.duration_s
                       : (trace.empty() ? 0.0 : trace.back().time_s) + options.tail_s;

    replanner<Model> rp(graph, env, options.device, options.replan);
    const auto sample_uplinks = [&](double t) {
        for (const auto& [to, b] : device_uplinks(rp.env(), options.device)) {
            const auto last = std::find_if(r.uplink.rbegin(), r.uplink.rend(),
                                           [&](const link_sample& s) { return s.to == to; });
            if (last == r.uplink.rend() || last->bandwidth_Bps != b)
                r.uplink.push_back({.time_s = t, .to = to, .bandwidth_Bps = b});
        }
    };
    sample_uplinks(0);
    const replan_decision first = rp.plan_initial();
    r.replan_wall_s += first.replan_wall_s;
    detail::replan::record_change(r, rp, first);

    double a = 0;  // issue time of the next query
    std::size_t next = 0;
    while (true) {
        if (next < trace.size() && trace[next].time_s <= a && trace[next].time_s <= r.duration_s) {
            // The events at one time are one change of the environment: one decision.
            std::size_t last = next + 1;
            while (last < trace.size() && trace[last].time_s == trace[next].time_s) ++last;
            const std::span<const session_event> now(trace.data() + next, last - next);
            next = last;
            const replan_decision d = rp.apply(now);
            r.replan_wall_s += d.replan_wall_s;
            if (std::any_of(now.begin(), now.end(),
                            [](const auto& e) { return e.kind != event_kind::query_rate; }))
                ++r.replans;
            if (d.changed) detail::replan::record_change(r, rp, d);
            if (std::any_of(now.begin(), now.end(),
                            [](const auto& e) { return is_link_event(e.kind); }))
                sample_uplinks(now.front().time_s);
            continue;
        }
        if (a >= r.duration_s) break;
        if (r.queries.size() == options.max_queries)
            detail::fail_validation(
                "simulate_session",
                "more than max_queries = " + std::to_string(options.max_queries) + " queries");
        rp.advance_to(a);
        const double l = rp.query_latency();
        if (!(l > 0) || !std::isfinite(l))
            detail::fail_validation(
                "simulate_session",
                "a query latency of " + detail::format_number(l) + " s (must be finite and > 0)");
        r.queries.push_back({.start_s = a,
                             .end_s = a + l,
                             .latency_s = l,
                             .version = rp.version(),
                             .remote_layers = rp.remote_layers()});
        a += std::max(l, rp.query_rate() > 0 ? 1 / rp.query_rate() : 0.0);
    }
    // Uploads continue to the end of the session (bytes_uploaded counts them).
    if (rp.now() < r.duration_s) rp.advance_to(r.duration_s);

    std::vector<double> done;
    for (const auto& q : r.queries)
        if (q.end_s <= r.duration_s) done.push_back(q.latency_s);
    r.queries_completed = done.size();
    if (!done.empty()) {
        double sum = 0;
        for (double l : done) sum += l;
        r.mean_latency_s = sum / static_cast<double>(done.size());
        std::sort(done.begin(), done.end());
        const auto rank =
            static_cast<std::size_t>(std::ceil(0.95 * static_cast<double>(done.size())));
        r.p95_latency_s = done[std::max<std::size_t>(rank, 1) - 1];
    }
    r.bytes_uploaded = rp.bytes_uploaded();
    r.bytes_lost = rp.bytes_lost();
    return r;
}

}  // namespace eosdnn
