#pragma once
/// \file report_text.hpp
/// The human report of a planning run (docs/getting-started.md shows one): the models, the
/// environment, the migration plan node by node (plan_summary.hpp), its delay next to the
/// one-tier plans and the exact reference (comparison.hpp), and each task's uploading plan with
/// the queries served while it uploads (upload_comparison.hpp).

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

}  // namespace detail::text

/// "optimal (proven)", "at most 1.23 % above the optimum (which is at least X ms)", or that no
/// bound is known.
inline std::string gap_text(const plan_comparison& c) {
    namespace t = detail::text;
    if (c.proven_optimal) return "optimal (proven)";
    const double gap = relative_gap(c.value.objective, c.lower_bound_s);
    if (std::isnan(gap)) return "no lower bound known, gap unknown";
    return "at most " + t::fmt("%.3g", 100 * gap) + " % above the optimum (which is at least " +
           t::fmt("%.3f", c.lower_bound_s * 1e3) + " ms)";
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
        appendf(out, "  %-8s %6zu %10.3f %12.2f   ", env[n.node].name.c_str(), n.layers,
                n.flops / 1e9, n.param_bytes / 1e6);
        out += runs + "\n";
    }
    return out;
}

/// A task's uploading plan (partitions in order) and the query table of every compared planner.
inline std::string upload_text(const layer_graph& g, const environment& env, const task_report& t) {
    using namespace detail::text;
    std::string out;
    const upload_outcome& chosen = t.uploads.front();
    const upload_plan& plan = chosen.plan;
    double bytes = 0;
    for (const auto& p : plan.partitions) bytes += p.param_bytes;
    appendf(out,
            "\nuploading plan (%s): %zu partition(s), %.2f MB, %.2f s over %s's uplink, in this "
            "order:\n",
            chosen.planner.c_str(), plan.partitions.size(), bytes / 1e6, plan.upload_s(),
            env[t.device].name.c_str());
    appendf(out, "  %4s %-8s %6s %9s %9s %9s   %s\n", "#", "to", "layers", "MB", "upload s",
            "acked s", "layers");
    for (std::size_t i = 0; i < plan.partitions.size(); ++i) {
        const auto& p = plan.partitions[i];
        std::string names = g[p.layers.front()].name;
        if (p.layers.size() > 1) names += " .. " + g[p.layers.back()].name;
        appendf(out, "  %4zu %-8s %6zu %9.3f %9.3f %9.3f   ", i + 1, env[p.node].name.c_str(),
                p.layers.size(), p.param_bytes / 1e6, p.upload_s,
                chosen.sim.uploads[i].acknowledged_s);
        out += names + "\n";
    }
    appendf(
        out,
        "\nqueries while uploading (closed loop: the first runs on %s, the next starts when one "
        "ends; 5 after the upload):\n",
        env[t.device].name.c_str());
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
                                     : fmt("%.2f", m.mean_latency_during_upload_s * 1e3);
        const std::string first =
            std::isnan(m.first_offloaded_s) ? "-" : fmt("%.3f", m.first_offloaded_s);
        appendf(out, "  %-14s %10zu %9.2f %15zu %18s %16s %12.2f\n", u.planner.c_str(),
                m.partitions, m.upload_s, m.queries_during_upload, mean.c_str(), first.c_str(),
                m.final_latency_s * 1e3);
    }
    return out;
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
        appendf(out, "  %-8s %-5s %8.0f GFLOP/s", n.name.c_str(),
                std::string(to_string(n.tier)).c_str(), n.flops_per_s / 1e9);
        if (n.speed_factor != 1) appendf(out, "  x%.3g measured times", n.speed_factor);
        std::vector<std::pair<std::string, std::string>> links;  // devices, figures
        for (const auto& t : r.tasks) {
            if (n.tier == tier::local) break;
            const auto& l = env.link_between(t.device, s);
            if (!l) continue;
            const std::string figures = fmt("%.4g Mbit/s", l->bandwidth_Bps * 8 / 1e6) + ", " +
                                        fmt("%.4g ms", l->latency_s * 1e3);
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
    return out;
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
        appendf(out, "%zu layers, %s, %.2f M parameters (%.1f MB), %.3f G MACs\n", g.size(),
                g.is_chain() ? "a chain" : "a DAG", g.total_param_bytes() / 4e6,
                g.total_param_bytes() / 1e6, g.total_macs() / 1e9);
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
    appendf(out, ": %zu evaluations in %.3f s\n", s.evaluations, s.plan_seconds);
    for (const auto& t : r.tasks) {
        if (several)
            appendf(out, " task %s on %s (completion %.3f ms):\n", t.graph->name().c_str(),
                    env[t.device].name.c_str(), t.delay_s * 1e3);
        out += placement_text(*t.graph, env, t.placement, t.device);
    }

    out +=
        several
            ? "\nmean completion time of the tasks (list-scheduled on shared nodes):\n"
            : "\nmigration delay (sequential model: every compute and transfer time added up):\n";
    const plan_comparison& c = r.comparison;
    const double mine = c.value.delay_s;
    appendf(out, "  %-14s %12.3f ms   <- this plan: ", s.algorithm.c_str(), mine * 1e3);
    out += gap_text(c) + "\n";
    for (const auto& t : c.tiers) {
        if (std::isnan(t.delay_s))
            appendf(out, "  %-14s %15s   the environment has no such node\n", t.name.c_str(),
                    "n/a");
        else
            appendf(out, "  %-14s %12.3f ms   %.2fx this plan\n", t.name.c_str(), t.delay_s * 1e3,
                    t.delay_s / mine);
    }
    appendf(out, "  %-14s %12.3f ms   ", c.exact.exact ? "exact" : "reference",
            c.exact.delay_s * 1e3);
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
        out += upload_text(*t.graph, env, t);
    }
    return out;
}

}  // namespace eosdnn
