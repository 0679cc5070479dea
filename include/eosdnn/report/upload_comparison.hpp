#pragma once
/// \file upload_comparison.hpp
/// Uploading plans side by side: each planner's plan for one task, its simulated queries, or why
/// the planner could not plan it (IONN and EMDL plan for one server), and how the plan document
/// stores them under "upload".

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/upload/query_simulation.hpp>
#include <eosdnn/upload/upload_plan.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn {

/// One task's side of a simulation of several tasks together (simulate_tasks(), upload/
/// task_simulation.hpp): its metrics with the other tasks' queries on the shared nodes, and alone
/// in the same simulation (the baseline the contention is measured against).
struct contention_outcome {
    bool simulated = false;   ///< false with one task, or when it could not be simulated
    std::string why_not{};    ///< why not, when several tasks were not simulated together
    std::size_t tasks = 0;    ///< how many tasks were simulated together
    upload_metrics alone{};   ///< this task alone (simulate_tasks' query model)
    upload_metrics shared{};  ///< this task together with the others
};

/// One uploading planner's plan for one task and its simulated queries.
struct upload_outcome {
    std::string planner{};    ///< the planner's name ("lmu", "layer-by-layer", ...)
    bool available = false;   ///< false when the planner refused the task
    std::string why_not{};    ///< its message, when not available
    upload_plan plan{};       ///< the uploading plan
    simulation_result sim{};  ///< its queries during the upload
    /// With several tasks: every task's plan by this planner simulated together.
    contention_outcome together{};
};

/// The name of an uplink model as eosdnn-plan's --uplink, the report and the plan document spell
/// it: "separate" or "shared" (uplink_sharing::queries_first).
inline std::string uplink_name(uplink_sharing u) {
    return u == uplink_sharing::queries_first ? "shared" : "separate";
}

/// The uplink model of a name uplink_name() writes; throws eosdnn::error (validation) naming
/// `what` (the option or the document key it came from) for any other text.
inline uplink_sharing uplink_from_name(const std::string& name, const std::string& what) {
    if (name == "separate") return uplink_sharing::separate;
    if (name == "shared") return uplink_sharing::queries_first;
    throw error(error_kind::validation,
                what + " '" + name + "' is not an uplink model (separate or shared)");
}

/// The query simulation eosdnn-plan uses: the first query runs on the device, 5 more after the
/// upload, and one acknowledgement latency (the "CR" message) for every partition: the largest
/// latency of a link back from a node the placement uses to `device`. The simulation has one
/// such latency, so a placement over several nodes gets the conservative one, whichever node a
/// partition goes to. `uplink` says whether the queries' transfers pause the upload
/// (eosdnn-plan --uplink).
inline simulation_options upload_simulation_options(
    const environment& env, std::span<const node_id> x, node_id device,
    uplink_sharing uplink = uplink_sharing::separate) {
    double ack = 0;
    for (node_id s : x)
        if (s != device)
            if (const auto& l = env.link_between(s, device)) ack = std::max(ack, l->latency_s);
    return {.horizon_queries = 5, .ack_latency_s = ack, .uplink = uplink};
}

/// Runs `plan()` (which returns an upload_plan) and simulates its queries under `options`: an
/// available outcome, or, if either throws eosdnn::error, an unavailable one with the message on
/// one line.
template <class Model, class Plan>
upload_outcome plan_and_simulate(std::string planner, const layer_graph& g, const Model& model,
                                 const simulation_options& options, Plan&& plan) {
    upload_outcome r{.planner = std::move(planner)};
    try {
        r.plan = plan();
        r.sim = simulate_queries(g, model, r.plan, options);
        r.available = true;
    } catch (const error& e) {
        std::string why;
        for (char c : std::string(e.what())) why += c == '\n' ? ' ' : c;
        r.why_not = std::move(why);
    }
    return r;
}

/// The metrics of one simulation as JSON (null for a value that is not finite).
inline nlohmann::json upload_metrics_json(const upload_metrics& m) {
    const auto number = [](double v) -> nlohmann::json {
        if (!std::isfinite(v)) return nullptr;
        return v;
    };
    return {{"partitions", m.partitions},
            {"upload_s", number(m.upload_s)},
            {"queries_during_upload", m.queries_during_upload},
            {"mean_latency_during_upload_s", number(m.mean_latency_during_upload_s)},
            {"first_offloaded_s", number(m.first_offloaded_s)},
            {"latency_area_s2", number(m.latency_area_s2)},
            {"initial_latency_s", number(m.initial_latency_s)},
            {"final_latency_s", number(m.final_latency_s)}};
}

/// One outcome's "together" object: {"tasks", "metrics", "alone"}, or {"unavailable": why};
/// null when it was not simulated with other tasks (one task).
inline nlohmann::json together_json(const contention_outcome& c) {
    if (c.simulated)
        return {{"tasks", c.tasks},
                {"metrics", upload_metrics_json(c.shared)},
                {"alone", upload_metrics_json(c.alone)}};
    if (!c.why_not.empty()) return {{"unavailable", c.why_not}};
    return nullptr;
}

/// A task's "upload" section of the plan document: the first outcome is the chosen planner's:
/// {"planner", "uplink", "partitions": [{"node", "layers": [names], "param_bytes", "upload_s"}],
/// "metrics", "compared": {planner: metrics or {"unavailable": why}}}, and with several tasks
/// "together" (the chosen planner's, together_json()) and "compared_together" ({planner:
/// together_json()}). {} for no outcome. `uplink` is the model every outcome was simulated under.
inline nlohmann::json upload_json(const layer_graph& g, const environment& env,
                                  std::span<const upload_outcome> uploads,
                                  uplink_sharing uplink = uplink_sharing::separate) {
    if (uploads.empty()) return nlohmann::json::object();
    const upload_outcome& chosen = uploads.front();
    nlohmann::json parts = nlohmann::json::array();
    for (const auto& p : chosen.plan.partitions) {
        nlohmann::json names = nlohmann::json::array();
        for (layer_id j : p.layers) names.push_back(g[j].name);
        parts.push_back({{"node", env[p.node].name},
                         {"layers", std::move(names)},
                         {"param_bytes", p.param_bytes},
                         {"upload_s", p.upload_s}});
    }
    nlohmann::json compared = nlohmann::json::object();
    nlohmann::json compared_together = nlohmann::json::object();
    for (const auto& u : uploads) {
        compared[u.planner] = u.available ? upload_metrics_json(u.sim.metrics)
                                          : nlohmann::json{{"unavailable", u.why_not}};
        if (const nlohmann::json t = together_json(u.together); !t.is_null())
            compared_together[u.planner] = t;
    }
    nlohmann::json out = {{"planner", chosen.planner},
                          {"uplink", uplink_name(uplink)},
                          {"partitions", std::move(parts)},
                          {"metrics", upload_metrics_json(chosen.sim.metrics)},
                          {"compared", std::move(compared)}};
    // Only with several tasks: a one-task document keeps its keys.
    if (const nlohmann::json t = together_json(chosen.together); !t.is_null()) {
        out["together"] = t;
        out["compared_together"] = std::move(compared_together);
    }
    return out;
}

}  // namespace eosdnn
