#pragma once
// eosdnn-plan --trace TRACE.csv / --trace-kind step|walk|tunnel: a session of closed-loop queries
// through uploads and the events of a trace, re-planned at each event by three policies side by
// side (never, from scratch, upload-aware: eosdnn/replan/session.hpp), then a table, or the JSON
// document, and with --out the session's CSV files and its figure (session_figure.hpp). The trace
// is read (eosdnn/replan/trace_csv.hpp) or generated (eosdnn/replan/trace_generators.hpp).
#include "planner.hpp"
#include "session_figure.hpp"

#include <eosdnn/replan.hpp>
#include <eosdnn/replan/trace_csv.hpp>
#include <eosdnn/replan/trace_generators.hpp>

#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn::cli {

/// The traces --trace-kind generates.
inline std::vector<std::string> trace_kind_names() { return {"step", "walk", "tunnel"}; }

/// Seconds simulated after the trace's last event when --duration is not given: long enough
/// for the queries to show what the last event did.
inline constexpr double session_tail_s = 30;

/// The trace of a session and how to say where it came from.
struct session_input {
    session_trace trace;
    std::string description;  ///< one line for the report
    nlohmann::json json;      ///< the same for the document
};

/// --trace-link FROM->TO, or the device's uplink with the largest bandwidth (the one the
/// default environment's optimum uses); the first on a tie.
inline std::pair<node_id, node_id> generated_link(const options& opt, const environment& env,
                                                  node_id device) {
    if (opt.trace_link.empty()) {
        std::pair<node_id, node_id> best{device, device};
        double fastest = 0;
        for (const auto& [to, bandwidth] : device_uplinks(env, device))
            if (bandwidth > fastest) {
                best = {device, to};
                fastest = bandwidth;
            }
        if (best.second == device)
            fail("--trace-kind: the device '" + env[device].name + "' has no uplink to change");
        return best;
    }
    if (opt.trace_link.find_first_of(",\"\n") != std::string::npos)
        fail("--trace-link " + quoted(opt.trace_link) +
             ": expected FROM->TO by node names (node names in a trace hold no comma or quote)");
    // The trace CSV's reader resolves the target: one row, the same rules and messages.
    std::istringstream row("time_s,kind,target,value\n0,bandwidth," + opt.trace_link + ",1\n");
    try {
        const session_trace t = read_trace_csv(row, env, "--trace-link");
        return {t.front().from, t.front().to};
    } catch (const error& e) {
        std::string what = e.what();
        const std::string noise = "--trace-link:2: column 3 ('target'): ";
        if (what.starts_with(noise)) what = what.substr(noise.size());
        fail("--trace-link " + quoted(opt.trace_link) + ": " + what);
    }
}

inline std::string mbit_text(double bytes_per_s) {
    return detail::format_number(bytes_per_s * 8 / 1e6) + " Mbit/s";
}

/// The trace of --trace (read against `env`) or --trace-kind (generated with --seed).
inline session_input session_trace_of(const options& opt, const environment& env, node_id device) {
    session_input in;
    if (!opt.trace.empty()) {
        in.trace = read_trace_csv(opt.trace, env);
        in.description = "trace " + opt.trace + " (" + std::to_string(in.trace.size()) + " events)";
        in.json = {{"source", "file"}, {"file", opt.trace}, {"events", in.trace.size()}};
        return in;
    }
    const auto [from, to] = generated_link(opt, env, device);
    const double start = env.link_between(from, to)->bandwidth_Bps;
    const trace_link link{
        .from = from, .to = to, .both_directions = env.link_between(to, from).has_value()};
    const std::string name = env[from].name + "->" + env[to].name;
    const std::string both = link.both_directions ? " and back" : "";
    if (opt.trace_kind == "step") {
        const step_trace_options o{.link = link, .at_s = 10, .bandwidth_Bps = start / 8};
        in.trace = step_trace(o);
        in.description = "step: " + name + both + " drops from " + mbit_text(start) + " to " +
                         mbit_text(in.trace.front().value) + " at 10 s";
    } else if (opt.trace_kind == "walk") {
        const random_walk_options o{.link = link,
                                    .start_Bps = start,
                                    .min_Bps = start / 8,
                                    .max_Bps = start * 1.5,
                                    .max_step_Bps = start / 4,
                                    .step_s = 2,
                                    .duration_s = 60};
        in.trace = random_walk_trace(o, opt.seed);
        in.description = "walk (seed " + std::to_string(opt.seed) + "): " + name + both + " from " +
                         mbit_text(start) + ", every 2 s a step of at most " +
                         mbit_text(o.max_step_Bps) + " within [" + mbit_text(o.min_Bps) + ", " +
                         mbit_text(o.max_Bps) + "], until 60 s";
    } else if (opt.trace_kind == "tunnel") {
        const tunnel_trace_options o{.link = link,
                                     .open_Bps = start,
                                     .floor_Bps = start / 80,
                                     .first_s = 10,
                                     .inside_s = 5,
                                     .outside_s = 15,
                                     .jitter = 0.5,
                                     .duration_s = 60};
        in.trace = tunnel_trace(o, opt.seed);
        in.description = "tunnel (seed " + std::to_string(opt.seed) + "): " + name + both +
                         " drops from " + mbit_text(start) + " to " + mbit_text(o.floor_Bps) +
                         " for 2.5-7.5 s, every 10-30 s from 10 s until 60 s";
    } else {
        fail("--trace-kind '" + opt.trace_kind + "' is unknown (known: step, walk, tunnel)");
    }
    in.json = {{"source", opt.trace_kind},
               {"seed", opt.seed},
               {"link", name},
               {"both_directions", link.both_directions},
               {"events", in.trace.size()}};
    return in;
}

/// A number for the document: null for NaN.
inline nlohmann::json json_number(double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

/// The document of a session run (--json, session.json).
inline nlohmann::json session_json(const options& opt, const task_input& task,
                                   const environment& env, const std::string& env_source,
                                   const session_input& in,
                                   const std::vector<session_result>& results) {
    nlohmann::json policies = nlohmann::json::array();
    for (const session_result& r : results) {
        nlohmann::json changes = nlohmann::json::array();
        for (const plan_change& c : r.plan_changes)
            changes.push_back({{"time_s", c.time_s},
                               {"version", c.version},
                               {"candidate", c.candidate},
                               {"reason", c.reason},
                               {"summary", c.summary},
                               {"steady_delay_s", json_number(c.steady_delay_s)},
                               {"replan_wall_s", c.replan_wall_s}});
        policies.push_back({{"policy", r.policy},
                            {"queries_completed", r.queries_completed},
                            {"mean_latency_s", json_number(r.mean_latency_s)},
                            {"p95_latency_s", json_number(r.p95_latency_s)},
                            {"replans", r.replans},
                            {"replan_wall_s", r.replan_wall_s},
                            {"bytes_uploaded", r.bytes_uploaded},
                            {"bytes_lost", r.bytes_lost},
                            {"plan_changes", std::move(changes)}});
    }
    return {{"mode", "session"},
            {"model", task.model.graph.name()},
            {"model_spec", task.spec},
            {"model_source", task.model.source},
            {"device", env[task.device].name},
            {"environment_source", env_source},
            {"environment", to_json(env)},
            {"seed", opt.seed},
            {"trace", in.json},
            {"duration_s", results.empty() ? 0.0 : results.front().duration_s},
            {"policies", std::move(policies)}};
}

/// The table of the report.
inline std::string session_text(const task_input& task, const environment& env,
                                const std::string& env_source, const session_input& in,
                                const std::vector<session_result>& results) {
    std::string s = "session: model " + detail::printable(task.model.graph.name()) + " (" +
                    detail::printable(task.model.source) + ") on " +
                    detail::printable(env[task.device].name) + ", environment " +
                    detail::printable(env_source) + "\n" + detail::printable(in.description) + "\n";
    const double duration = results.empty() ? 0 : results.front().duration_s;
    char line[256];
    std::snprintf(line, sizeof line,
                  "%.1f s of closed-loop queries; at each event time the policy re-plans the "
                  "migration and the upload:\n",
                  duration);
    s += line;
    s += "  policy          queries  mean (ms)   p95 (ms)  re-plans  changes  re-planning (s)  "
         "uploaded (MB)  lost (MB)\n";
    for (const session_result& r : results) {
        std::snprintf(
            line, sizeof line, "  %-14s %8zu %10.2f %10.2f %9zu %8zu %16.4f %14.2f %10.2f\n",
            r.policy.c_str(), r.queries_completed, r.mean_latency_s * 1e3, r.p95_latency_s * 1e3,
            r.replans, r.plan_changes.empty() ? std::size_t{0} : r.plan_changes.size() - 1,
            r.replan_wall_s, r.bytes_uploaded / 1e6, r.bytes_lost / 1e6);
        s += line;
    }
    return s;
}

/// The CSV files and the figure of --out.
inline std::vector<file_text> session_files(const task_input& task, const environment& env,
                                            const session_input& in,
                                            const std::vector<session_result>& results,
                                            const std::string& document) {
    namespace t = detail::tables;
    using std::to_string;
    std::ostringstream trace;
    write_trace_csv(trace, in.trace, env);
    std::string queries = "policy,query,start_s,end_s,latency_s,version,remote_layers,completed\n";
    std::string plans =
        "policy,version,time_s,candidate,steady_delay_s,replan_wall_s,summary,reason\n";
    for (const session_result& r : results) {
        for (std::size_t i = 0; i < r.queries.size(); ++i) {
            const session_query& q = r.queries[i];
            queries += t::row({r.policy, to_string(i + 1), t::number(q.start_s), t::number(q.end_s),
                               t::number(q.latency_s), to_string(q.version),
                               to_string(q.remote_layers), q.end_s <= r.duration_s ? "1" : "0"});
        }
        for (const plan_change& c : r.plan_changes)
            plans += t::row({r.policy, to_string(c.version), t::number(c.time_s),
                             t::text(c.candidate), t::number(c.steady_delay_s),
                             t::number(c.replan_wall_s), t::text(c.summary), t::text(c.reason)});
    }
    std::string uplink = "time_s,from,to,bandwidth_mbps\n";
    if (!results.empty())
        for (const link_sample& l : results.front().uplink)
            uplink += t::row({t::number(l.time_s), t::text(env[task.device].name),
                              t::text(env[l.to].name), t::number(l.bandwidth_Bps * 8 / 1e6)});
    const std::string title = "session of " + task.model.graph.name() + " on " +
                              env[task.device].name + ", three re-planning policies";
    return {{"session.json", document},
            {"trace.csv", trace.str()},
            {"session_queries.csv", std::move(queries)},
            {"session_plans.csv", std::move(plans)},
            {"session_uplink.csv", std::move(uplink)},
            {"session.svg", session_svg(results, env, task.device, title, in.description)}};
}

/// eosdnn-plan --trace / --trace-kind: one model on its device, three policies.
inline int run_session(const options& opt) {
    refuse_out_over_inputs(opt, out_file_names(opt, 1), named_inputs(opt));
    const inputs in = load_inputs(opt, task_specs(opt));
    const task_input& task = in.tasks.front();
    const profiled_model model(in.env);
    require_cost(task, model, opt);
    check_memory_feasible(task.model.graph, in.env, task.device);
    const session_input trace = session_trace_of(opt, in.env, task.device);
    const double duration =
        opt.duration > 0 ? opt.duration
                         : (trace.trace.empty() ? 0.0 : trace.trace.back().time_s) + session_tail_s;

    progress_line progress(!opt.quiet);
    std::vector<session_result> results;
    for (replan_policy p :
         {replan_policy::never, replan_policy::from_scratch, replan_policy::upload_aware}) {
        progress.begin("simulating the session (" + std::string(to_string(p)) + ")");
        session_options o{.device = task.device,
                          .replan = {.policy = p, .seed = opt.seed},
                          .duration_s = duration};
        results.push_back(
            simulate_session<profiled_model>(task.model.graph, in.env, trace.trace, o));
        progress.end();
    }

    const std::string document =
        session_json(opt, task, in.env, in.env_source, trace, results).dump(2) + "\n";
    if (!opt.out.empty()) {
        try {
            write_files_atomically(opt.out, session_files(task, in.env, trace, results, document));
        } catch (const error& e) {
            throw error(e.kind(), "--out: " + std::string(e.what()));
        }
    }
    const std::string text =
        opt.json ? document : session_text(task, in.env, in.env_source, trace, results);
    write_stdout(text);
    return 0;
}

}  // namespace eosdnn::cli
