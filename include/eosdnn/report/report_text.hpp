#pragma once
/// \file report_text.hpp
/// The human report of a planning run (docs/getting-started.md shows one): the models, the
/// environment, the migration plan node by node (plan_summary.hpp), its delay next to the
/// one-tier plans and the exact reference (comparison.hpp), and each task's uploading plan with
/// the queries served while it uploads (upload_comparison.hpp).

#include <eosdnn/core/messages.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/report/comparison.hpp>
#include <eosdnn/report/plan_report.hpp>
#include <eosdnn/report/plan_summary.hpp>
#include <eosdnn/report/upload_comparison.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eosdnn {

namespace detail::text {

/// Appends printf-formatted text.
template <class... Args>
void appendf(std::string& out, const char* format, Args... args) {
    const int n = std::snprintf(nullptr, 0, format, args...);
    if (n <= 0) return;
    std::string buffer(static_cast<std::size_t>(n) + 1, '\0');
    std::snprintf(buffer.data(), buffer.size(), format, args...);
    buffer.pop_back();
    out += buffer;
}

inline std::string fmt(const char* format, double v) {
    std::string out;
    appendf(out, format, v);
    return out;
}

/// `v` x 10^`shift` with `digits` decimals, or in scientific notation (4 significant digits) when
/// that would be unreadable: a magnitude of 10^15 or more, or nonzero below 10^-digits. The
/// product is formed in the text, not in a double, so that 5.1e306 s prints as 5.1e+309 ms
/// rather than as "inf" (and any double prints as what it is).
inline std::string number(double v, int shift = 0, int digits = 3) {
    if (!std::isfinite(v)) return fmt("%g", v);
    const double scaled = v * std::pow(10.0, shift);
    const double magnitude = std::fabs(scaled);
    if (std::isfinite(scaled) &&
        (v == 0 || (magnitude < 1e15 && magnitude >= std::pow(10.0, -digits)))) {
        std::string out;
        appendf(out, "%.*f", digits, scaled);
        return out;
    }
    std::string text = fmt("%.3e", v);  // d.ddde+XX: move the exponent by `shift`
    const std::size_t e = text.find('e');
    const int exponent = std::stoi(text.substr(e + 1)) + shift;
    std::string out = text.substr(0, e);
    appendf(out, "e%+03d", exponent);
    return out;
}

/// `text` right-aligned in `width` columns (counted in bytes: numbers are ASCII).
inline std::string right(const std::string& text, std::size_t width) {
    return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
}

/// `text` with each line made printable (messages.hpp): a name with ESC or another control
/// character, from a file or a C++ caller, shows as \x1B instead of acting on the terminal.
inline std::string printable_lines(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t begin = 0; begin < text.size();) {
        const std::size_t end = std::min(text.find('\n', begin), text.size());
        out += printable(std::string_view(text).substr(begin, end - begin));
        if (end < text.size()) out += '\n';
        begin = end + 1;
    }
    return out;
}

/// How many times this plan's delay `other_s` is, for the comparison table: "1.23x", or what
/// the ratio cannot say (this plan takes no time; a ratio past the largest double).
inline std::string ratio_text(double other_s, double mine_s) {
    if (!(mine_s > 0)) return other_s > 0 ? "this plan takes no time" : "the same, no time";
    const double ratio = other_s / mine_s;
    if (!std::isfinite(ratio)) return "more than 1e308x this plan";
    return (ratio < 1e6 ? fmt("%.2f", ratio) : fmt("%.3g", ratio)) + "x this plan";
}

}  // namespace detail::text

/// "optimal (proven)", "at most 1.23 % above the optimum (which is at least X ms)", or that no
/// bound is known.
inline std::string gap_text(const plan_comparison& c) {
    namespace t = detail::text;
    if (c.proven_optimal) return "optimal (proven)";
    const double gap = relative_gap(c.value.objective, c.lower_bound_s);
    if (std::isnan(gap)) return "no lower bound known, gap unknown";
    return "at most " + t::fmt("%.3g", 100 * gap) + " % above the optimum (which is at least " +
           t::number(c.lower_bound_s, 3) + " ms)";
}

/// The per-node table of placement `x`: layers, GFLOP, parameter MB and the runs of consecutive
/// layers (the first three) of each node that runs something.
inline std::string placement_text(const layer_graph& g, const environment& env,
                                  std::span<const node_id> x, node_id device = 0) {
    using namespace detail::text;
    std::string out;
    appendf(out, "  %-8s %6s %10s %12s   %s\n", "node", "layers", "GFLOP", "params (MB)",
            "runs of consecutive layers (topological order)");
    const auto order = g.topological_order();
    const plan_summary s = summarise_plan(g, profiled_model(env), x, device);
    for (const node_load& n : s.used()) {
        std::string runs;
        for (std::size_t r = 0; r < n.runs.size() && r < 3; ++r) {
            runs += (r ? ", " : "") + g[order[n.runs[r].first]].name;
            if (n.runs[r].second != n.runs[r].first)
                runs += " .. " + g[order[n.runs[r].second]].name;
        }
        if (n.runs.size() > 3) runs += ", and " + std::to_string(n.runs.size() - 3) + " more runs";
        appendf(out, "  %-8s %6zu %s %s   ", env[n.node].name.c_str(), n.layers,
                right(number(n.flops, -9), 10).c_str(),
                right(number(n.param_bytes, -6, 2), 12).c_str());
        out += runs + "\n";
    }
    return printable_lines(out);
}

/// A task's uploading plan (partitions in order) and the query table of every compared planner,
/// simulated under `uplink`.
inline std::string upload_text(const layer_graph& g, const environment& env, const task_report& t,
                               uplink_sharing uplink = uplink_sharing::separate) {
    using namespace detail::text;
    std::string out;
    const upload_outcome& chosen = t.uploads.front();
    const upload_plan& plan = chosen.plan;
    double bytes = 0;
    for (const auto& p : plan.partitions) bytes += p.param_bytes;
    appendf(out,
            "\nuploading plan (%s): %zu partition(s), %s MB, %s s over %s's uplink%s, in this "
            "order:\n",
            chosen.planner.c_str(), plan.partitions.size(), number(bytes, -6, 2).c_str(),
            number(plan.upload_s(), 0, 2).c_str(), env[t.device].name.c_str(),
            // The acknowledgements below, and the upload s of the query table, include the pauses.
            uplink == uplink_sharing::queries_first ? " (without the queries' pauses)" : "");
    appendf(out, "  %4s %-8s %6s %9s %9s %9s   %s\n", "#", "to", "layers", "MB", "upload s",
            "acked s", "layers");
    for (std::size_t i = 0; i < plan.partitions.size(); ++i) {
        const auto& p = plan.partitions[i];
        std::string names = g[p.layers.front()].name;
        if (p.layers.size() > 1) names += " .. " + g[p.layers.back()].name;
        appendf(out, "  %4zu %-8s %6zu %s %s %s   ", i + 1, env[p.node].name.c_str(),
                p.layers.size(), right(number(p.param_bytes, -6), 9).c_str(),
                right(number(p.upload_s), 9).c_str(),
                right(number(chosen.sim.uploads[i].acknowledged_s), 9).c_str());
        out += names + "\n";
    }
    appendf(
        out,
        "\nqueries while uploading (closed loop: the first runs on %s, the next starts when one "
        "ends; 5 after the upload; %s):\n",
        env[t.device].name.c_str(),
        uplink == uplink_sharing::queries_first
            ? "shared uplink: the queries' transfers out of the device pause the upload"
            : "separate uplink: the queries' transfers do not slow the upload");
    appendf(out, "  %-14s %10s %9s %15s %18s %16s %12s\n", "planner", "partitions", "upload s",
            "queries during", "mean latency (ms)", "first offload s", "final (ms)");
    for (const auto& u : t.uploads) {
        if (!u.available) {
            appendf(out, "  %-14s n/a: ", u.planner.c_str());
            out += u.why_not + "\n";
            continue;
        }
        const upload_metrics& m = u.sim.metrics;
        const std::string mean = std::isnan(m.mean_latency_during_upload_s)
                                     ? "-"
                                     : number(m.mean_latency_during_upload_s, 3, 2);
        const std::string first =
            std::isnan(m.first_offloaded_s) ? "-" : number(m.first_offloaded_s);
        appendf(out, "  %-14s %10zu %s %15zu %18s %16s %s\n", u.planner.c_str(), m.partitions,
                right(number(m.upload_s, 0, 2), 9).c_str(), m.queries_during_upload, mean.c_str(),
                first.c_str(), right(number(m.final_latency_s, 3, 2), 12).c_str());
    }
    return printable_lines(out);
}

/// With several tasks: each task's queries during the upload, alone and with the other tasks'
/// queries on the shared nodes (simulate_tasks()), for every compared planner; "" with one task.
/// A task with nothing to upload has no line (its queries stay on its device).
inline std::string together_text(const plan_report& r) {
    using namespace detail::text;
    if (!r.several()) return {};
    const environment& env = *r.env;
    const auto uploads = [](const task_report& t) {
        return std::any_of(t.placement.begin(), t.placement.end(),
                           [&](node_id s) { return s != t.device; });
    };
    std::string why_not;
    bool any = false;
    for (const auto& t : r.tasks)
        for (const auto& u : t.uploads) {
            if (!uploads(t)) continue;
            any = any || u.together.simulated;
            if (why_not.empty()) why_not = u.together.why_not;
        }
    if (!any) {
        if (why_not.empty()) return {};
        return printable_lines("\nall tasks together: not simulated: " + why_not + "\n");
    }
    std::string out =
        "\nqueries while uploading, all tasks together (their queries list-scheduled on the "
        "nodes they share, links not shared between tasks";
    // Under the shared uplink each task's own queries pause its upload, as scheduled together.
    if (r.uplink == uplink_sharing::queries_first)
        out += "; each device's uplink shared by its upload and its own queries' transfers";
    out += "; alone: the same simulation without the other tasks):\n";
    appendf(out, "  %-24s %-14s %26s %36s\n", "task", "planner", "queries alone -> together",
            "mean latency (ms) alone -> together");
    const auto ms = [](double v) { return std::isnan(v) ? std::string("-") : number(v, 3, 2); };
    for (const auto& t : r.tasks) {
        if (!uploads(t)) continue;
        const std::string task = t.graph->name() + " on " + env[t.device].name;
        for (const auto& u : t.uploads) {
            const contention_outcome& c = u.together;
            if (!c.simulated) {
                if (c.why_not.empty()) continue;
                appendf(out, "  %-24s %-14s n/a: ", task.c_str(), u.planner.c_str());
                out += c.why_not + "\n";
                continue;
            }
            const std::string queries = std::to_string(c.alone.queries_during_upload) + " -> " +
                                        std::to_string(c.shared.queries_during_upload);
            const std::string latency = ms(c.alone.mean_latency_during_upload_s) + " -> " +
                                        ms(c.shared.mean_latency_during_upload_s);
            appendf(out, "  %-24s %-14s %s %s\n", task.c_str(), u.planner.c_str(),
                    right(queries, 26).c_str(), right(latency, 36).c_str());
        }
    }
    return printable_lines(out);
}

/// The environment: each node's tier and rate and the links from the tasks' devices to it
/// (devices with the same link share a line).
inline std::string environment_text(const plan_report& r) {
    using namespace detail::text;
    const environment& env = *r.env;
    std::string out;
    const std::string what = r.environment_source != "default" ? r.environment_source
                             : r.several()
                                 ? "the default: a phone per task, two edge servers, a cloud"
                                 : "the default: a phone, two edge servers, a cloud";
    out += "environment (" + what + "):\n";
    for (node_id s = 0; s < env.size(); ++s) {
        const node& n = env[s];
        appendf(out, "  %-8s %-5s %s GFLOP/s", n.name.c_str(),
                std::string(to_string(n.tier)).c_str(),
                right(number(n.flops_per_s, -9, 0), 8).c_str());
        if (n.speed_factor != 1) appendf(out, "  x%.3g measured times", n.speed_factor);
        std::vector<std::pair<std::string, std::string>> links;  // devices, figures
        for (const auto& t : r.tasks) {
            if (n.tier == tier::local) break;
            const auto& l = env.link_between(t.device, s);
            if (!l) continue;
            // Bytes/s / 125000 is Mbit/s: x 8 / 1e6 overflowed to "inf" for 1e308 B/s.
            const std::string figures =
                fmt("%.4g Mbit/s", l->bandwidth_Bps / 125000) + ", " +
                (std::isfinite(l->latency_s * 1e3) ? fmt("%.4g", l->latency_s * 1e3)
                                                   : number(l->latency_s, 3)) +
                " ms";
            auto same = std::find_if(links.begin(), links.end(),
                                     [&](const auto& e) { return e.second == figures; });
            if (same == links.end())
                links.emplace_back(env[t.device].name, figures);
            else
                same->first += ", " + env[t.device].name;
        }
        for (std::size_t k = 0; k < links.size(); ++k)
            out += (k ? "; " : "   ") + links[k].first + " -> " + n.name + ": " + links[k].second;
        out += "\n";
    }
    return printable_lines(out);
}

/// The whole report eosdnn-plan prints.
inline std::string report_text(const plan_report& r) {
    using namespace detail::text;
    const environment& env = *r.env;
    const bool several = r.several();
    const search_record& s = r.search;
    std::string out;
    for (const auto& t : r.tasks) {
        const layer_graph& g = *t.graph;
        out += "model " + g.name() + " (" + t.model_source + ") on " + env[t.device].name + ": ";
        appendf(out, "%zu layers, %s, %s M parameters (%s MB), %s G MACs\n", g.size(),
                g.is_chain() ? "a chain" : "a DAG",
                number(g.total_param_bytes() / 4, -6, 2).c_str(),
                number(g.total_param_bytes(), -6, 1).c_str(), number(g.total_macs(), -9).c_str());
    }
    out += environment_text(r);

    std::string how = s.algorithm;
    if (s.algorithm == "pso-ga") how = "pso-ga (hybrid preset)";
    if (s.algorithm == "pso-ga-paper") how = "pso-ga (paper preset)";
    const bool searched = s.algorithm == "pso-ga" || s.algorithm == "pso-ga-paper" ||
                          s.algorithm == "ga" || s.algorithm == "pso" || s.algorithm == "random";
    out += "\nmigration plan: " + how;
    if (searched) {
        appendf(out, ", seed %llu, %zu particles, %zu of %zu iterations run",
                static_cast<unsigned long long>(s.seed), s.particles, s.iterations,
                s.iterations_planned);
        if (s.stall) appendf(out, " (stop after %zu without improvement)", s.stall);
        if (s.algorithm == "pso-ga") out += ", " + s.start + " start";
    }
    appendf(out, ": %zu evaluations in %.3f s", s.evaluations, s.plan_seconds);
    if (s.stopped_by == "interrupted")
        out += ", INTERRUPTED: the best plan found before the stop request";
    else if (s.stopped_by == "time-limit")
        appendf(out, ", stopped by the time limit (%s s)", number(s.time_limit_s, 0, 1).c_str());
    else if (s.stopped_by == "stall")
        out += ", stopped after the stall";
    out += "\n";
    for (const auto& t : r.tasks) {
        if (several)
            appendf(out, " task %s on %s (completion %s ms):\n", t.graph->name().c_str(),
                    env[t.device].name.c_str(), number(t.delay_s, 3).c_str());
        out += placement_text(*t.graph, env, t.placement, t.device);
    }

    out +=
        several
            ? "\nmean completion time of the tasks (list-scheduled on shared nodes):\n"
            : "\nmigration delay (sequential model: every compute and transfer time added up):\n";
    const plan_comparison& c = r.comparison;
    const double mine = c.value.delay_s;
    // A plan the exact solver's second round found, from the optimiser's, is credited to both.
    const bool second = c.exact.second_round && c.exact.second_round->improved();
    appendf(out, "  %-14s %s ms   <- this plan: ", (s.algorithm + (second ? "+exact" : "")).c_str(),
            right(number(mine, 3), 12).c_str());
    out += gap_text(c) + "\n";
    for (const auto& t : c.tiers) {
        if (std::isnan(t.delay_s))
            appendf(out, "  %-14s %15s   the environment has no such node\n", t.name.c_str(),
                    "n/a");
        else  // an infeasible one-tier plan may be faster than this plan, but is no plan to use
            appendf(out, "  %-14s %s ms   %s%s\n", t.name.c_str(),
                    right(number(t.delay_s, 3), 12).c_str(), ratio_text(t.delay_s, mine).c_str(),
                    t.feasible() ? ""
                                 : ", INFEASIBLE (breaks a memory capacity or another constraint)");
    }
    appendf(out, "  %-14s %s ms   ", c.exact.exact ? "exact" : "reference",
            right(number(c.exact.delay_s, 3), 12).c_str());
    out += c.exact.note + "\n";

    if (several)
        out += "\n(query latencies below are those of each task alone, sequential model)\n";
    for (const auto& t : r.tasks) {
        if (several) out += "\ntask " + t.graph->name() + " on " + env[t.device].name + ":";
        const bool remote = std::any_of(t.placement.begin(), t.placement.end(),
                                        [&](node_id s) { return s != t.device; });
        if (!remote || t.uploads.empty()) {
            out += "\nuploading plan: nothing to upload (every layer runs on " +
                   env[t.device].name + ")\n";
            continue;
        }
        out += upload_text(*t.graph, env, t, r.uplink);
    }
    out += together_text(r);
    return printable_lines(out);
}

}  // namespace eosdnn
