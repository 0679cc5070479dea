#pragma once
/// \file plan_report.hpp
/// Everything known about a planning run, in one value: the tasks (model, device, placement,
/// uploading plans), the environment, how the plan was searched and how it compares. From it:
/// the plan document (to_document, io/plan_document.hpp), the text report (report_text.hpp) and
/// the CSV tables eosdnn-plan writes with --out (plan_tables).

#include <eosdnn/core/plan.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/io/atomic_file.hpp>
#include <eosdnn/io/plan_document.hpp>
#include <eosdnn/report/comparison.hpp>
#include <eosdnn/report/upload_comparison.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace eosdnn {

/// One task of a run.
struct task_report {
    const layer_graph* graph = nullptr;  ///< the model (not owned)
    std::string model_spec{};            ///< what it was loaded from, as given
    std::string model_source{};          ///< "zoo", "profile CSV a.csv", ...
    node_id device = 0;                  ///< the task's local device
    std::vector<node_id> placement{};    ///< the task's layers, one node each
    double delay_s = 0;  ///< its migration delay (one task) or completion time (several)
    std::vector<upload_outcome> uploads{};  ///< the chosen planner's first, then the compared ones
};

/// A whole run.
struct plan_report {
    const environment* env = nullptr;  ///< not owned
    std::string environment_source{};  ///< "default" or the file
    search_record search{};            ///< how the plan was searched
    std::string upload_planner{};      ///< the chosen uploading planner's name
    plan_comparison comparison{};      ///< the plan (all tasks) against the references
    std::vector<task_report> tasks{};  ///< one per task
    /// The uplink model every uploading plan was simulated under (and LMU planned for).
    uplink_sharing uplink = uplink_sharing::separate;

    /// True for a run of several tasks.
    bool several() const noexcept { return tasks.size() > 1; }

    /// The objective in words, as the document and the report say it.
    std::string objective() const {
        return several() ? "mean completion time of the tasks, list-scheduled on shared nodes"
                         : "migration delay, sequential DAG model";
    }
};

/// The plan document of `r` (io/plan_document.hpp): each task's migration plan (with one task,
/// its evaluation is the comparison's; with several, its completion time), the references and
/// the uploading plans.
inline plan_document to_document(const plan_report& r) {
    plan_document doc{.env = *r.env,
                      .environment_source = r.environment_source,
                      .objective = r.objective(),
                      .search = r.search,
                      .migration_delay_s = r.comparison.value.delay_s,
                      .lower_bound_s = r.comparison.lower_bound_s,
                      .proven_optimal = r.comparison.proven_optimal,
                      .violation = r.comparison.value.violation,
                      .references = references_json(r.comparison),
                      .upload_planner = r.upload_planner,
                      .tasks = {},
                      .uplink = uplink_name(r.uplink)};
    for (const task_report& t : r.tasks) {
        migration_plan plan{.model = t.graph->name(),
                            .algorithm = r.search.algorithm,
                            .placement = t.placement,
                            .value = {}};
        if (r.several())
            plan.value = {.delay_s = t.delay_s, .objective = t.delay_s};
        else
            plan.value = r.comparison.value;
        plan_document_task d =
            make_document_task(plan, *t.graph, *r.env, t.device, t.model_spec, t.model_source);
        d.completion_s = t.delay_s;
        d.upload = upload_json(*t.graph, *r.env, t.uploads, r.uplink);
        doc.tasks.push_back(std::move(d));
    }
    return doc;
}

namespace detail::tables {

inline std::string number(double v) {
    if (std::isnan(v)) return "";
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%.10g", v);
    return buffer;
}

inline std::string text(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

/// Joins the cells with commas and ends the row.
inline std::string row(std::initializer_list<std::string> cells) {
    std::string out;
    for (const auto& c : cells) out += (out.empty() ? "" : ",") + c;
    return out + "\n";
}

}  // namespace detail::tables

/// The CSV files of eosdnn-plan --out (docs/getting-started.md): convergence.csv (one row per
/// iteration of the optimiser), placement.csv (per layer, topological order), uploads.csv (per
/// partition of each compared uploading plan) and timeline.csv (per simulated query).
inline std::vector<file_text> plan_tables(const plan_report& r) {
    namespace t = detail::tables;
    const environment& env = *r.env;
    using std::to_string;
    std::string convergence =
        "algorithm,iteration,evaluations,best_objective_s,best_violation,"
        "mean_objective_s,diversity\n";
    for (const auto& rec : r.search.convergence)
        convergence +=
            t::row({r.search.algorithm, to_string(rec.iteration), to_string(rec.evaluations),
                    t::number(rec.best_objective), t::number(rec.best_violation),
                    t::number(rec.mean_objective), t::number(rec.diversity)});
    std::string placement =
        "task,model,position,layer,kind,node,tier,flops,param_bytes,output_bytes\n";
    std::string uploads =
        "task,planner,partition,node,layers,first_layer,last_layer,param_bytes,"
        "upload_s,sent_s,acknowledged_s\n";
    std::string timeline =
        "task,planner,query,start_s,end_s,latency_s,remote_layers,acknowledged,"
        "upload_end_s\n";
    for (std::size_t k = 0; k < r.tasks.size(); ++k) {
        const task_report& task = r.tasks[k];
        const layer_graph& g = *task.graph;
        const auto order = g.topological_order();
        for (std::size_t p = 0; p < order.size(); ++p) {
            const layer_id j = order[p];
            const node_id s = task.placement[j];
            placement += t::row({to_string(k + 1), t::text(g.name()), to_string(p + 1),
                                 t::text(g[j].name), t::text(g[j].kind), t::text(env[s].name),
                                 std::string(to_string(env[s].tier)), t::number(g[j].flops),
                                 t::number(g[j].param_bytes), t::number(g[j].output_bytes)});
        }
        for (const auto& u : task.uploads) {
            if (!u.available) continue;
            for (std::size_t i = 0; i < u.plan.partitions.size(); ++i) {
                const auto& part = u.plan.partitions[i];
                uploads += t::row({to_string(k + 1), u.planner, to_string(i + 1),
                                   t::text(env[part.node].name), to_string(part.layers.size()),
                                   t::text(g[part.layers.front()].name),
                                   t::text(g[part.layers.back()].name), t::number(part.param_bytes),
                                   t::number(part.upload_s), t::number(u.sim.uploads[i].sent_s),
                                   t::number(u.sim.uploads[i].acknowledged_s)});
            }
            for (std::size_t i = 0; i < u.sim.queries.size(); ++i) {
                const auto& q = u.sim.queries[i];
                timeline +=
                    t::row({to_string(k + 1), u.planner, to_string(i + 1), t::number(q.start_s),
                            t::number(q.end_s), t::number(q.latency_s), to_string(q.remote_layers),
                            to_string(q.acknowledged), t::number(u.sim.metrics.upload_s)});
            }
        }
    }
    return {{"convergence.csv", std::move(convergence)},
            {"placement.csv", std::move(placement)},
            {"uploads.csv", std::move(uploads)},
            {"timeline.csv", std::move(timeline)}};
}

}  // namespace eosdnn
