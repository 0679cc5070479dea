#pragma once
/// \file plan_document.hpp
/// The plan document: what eosdnn-plan prints with --json and writes as plan.json. With one task
/// it is a migration plan in the library's format (io/json.hpp: "model", "algorithm",
/// "placement", "evaluation"), so plan_from_json reads it, plus documented keys for what the
/// planner knows besides: where the model came from, the device, the environment, how the plan
/// was searched (with its convergence), the delay, the proven lower bound, the references and
/// the uploading plan. With several tasks each element of "tasks" is such a plan. docs/formats.md
/// ("Plan document") lists every key.
///
/// The references and the uploading plans are written by report/ (report/comparison.hpp,
/// report/upload_comparison.hpp), which knows their types; here they are JSON objects, checked
/// for shape only, so that io/ stays below the optimisers and uploading planners.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/plan.hpp>
#include <eosdnn/core/result.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/io/detail/json_reader.hpp>
#include <eosdnn/io/json.hpp>
#include <eosdnn/io/limits.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eosdnn {

/// The value of "format" in a plan document.
inline constexpr std::string_view plan_document_format = "eosdnn-plan-document";
/// The value of "version" this header writes and reads.
inline constexpr std::size_t plan_document_version = 1;

/// Totals of a model, for a reader who does not load it.
struct model_summary {
    std::string name{};      ///< the model's name
    std::size_t layers = 0;  ///< number of layers
    double param_bytes = 0;  ///< bytes of parameters in all layers
    double macs = 0;         ///< multiply-accumulates of one inference
    double flops = 0;        ///< floating-point operations of one inference
    bool chain = false;      ///< true if the layers form a chain
};

/// The totals of `g`.
inline model_summary summarise_model(const layer_graph& g) {
    return {.name = g.name(),
            .layers = g.size(),
            .param_bytes = g.total_param_bytes(),
            .macs = g.total_macs(),
            .flops = g.total_flops(),
            .chain = g.is_chain()};
}

/// One task of a plan document: a model on a device and its migration plan.
struct plan_document_task {
    std::string model_spec{};  ///< what the model was loaded from, as given ("resnet50", "a.csv")
    std::string
        model_source{};     ///< how: "zoo", "profile CSV a.csv", "model JSON m.json", "ONNX m.onnx"
    model_summary model{};  ///< its totals
    std::string device{};   ///< the name of the device node that owns it
    /// The migration plan as to_json(migration_plan, g, env) writes it (make_document_task):
    /// resolved against the model by plan_of().
    nlohmann::json plan = nlohmann::json::object();
    double completion_s =
        std::numeric_limits<double>::quiet_NaN();  ///< its delay or completion time
    /// Its uploading plan and the compared ones (report/upload_comparison.hpp); {} for none.
    nlohmann::json upload = nlohmann::json::object();
};

/// A task for the document: `plan` (of model `g` on `env`, owned by `device`) by name.
inline plan_document_task make_document_task(const migration_plan& plan, const layer_graph& g,
                                             const environment& env, node_id device,
                                             std::string model_spec, std::string model_source) {
    if (device >= env.size())
        throw error(error_kind::validation, "plan document: device " + std::to_string(device) +
                                                " is outside the environment of " +
                                                std::to_string(env.size()) + " nodes");
    return {.model_spec = std::move(model_spec),
            .model_source = std::move(model_source),
            .model = summarise_model(g),
            .device = env[device].name,
            .plan = to_json(plan, g, env),
            .completion_s = plan.value.delay_s,
            .upload = nlohmann::json::object()};
}

/// How a plan was searched.
struct search_record {
    std::string algorithm{};             ///< "pso-ga", "exact", "all-edge", ...
    std::uint64_t seed = 0;              ///< the random seed
    std::size_t particles = 0;           ///< swarm or population size
    std::size_t iterations_planned = 0;  ///< the iterations asked for
    std::size_t iterations = 0;          ///< the iterations run
    std::size_t stall = 0;               ///< stop after this many without improvement; 0: never
    std::string start{};                 ///< "seeded" or "random"
    std::size_t evaluations = 0;         ///< placements priced
    double plan_seconds = 0;             ///< the optimiser's wall time
    double time_limit_s = 0;             ///< the exact solver's limit; 0: none
    std::string exact_solver{};          ///< "auto", "native" or "cbc"
    /// Why the search ended before its planned iterations: "stall", "time-limit", "interrupted"
    /// (a stop request, e.g. Ctrl-C: the plan is the best found so far), or "" (it ran them all,
    /// or the method does not iterate).
    std::string stopped_by{};
    std::vector<iteration_record> convergence{};  ///< the optimiser's log
};

/// The whole document. Non-finite numbers outside the plans are written as null and read as NaN.
struct plan_document {
    environment env{};                 ///< the environment planned for
    std::string environment_source{};  ///< "default" or the file it was read from
    std::string objective{};           ///< which delay migration_delay_s is, in words
    search_record search{};            ///< how the plan was searched
    /// The plan's delay (the objective), seconds.
    double migration_delay_s = std::numeric_limits<double>::quiet_NaN();
    double lower_bound_s = 0;     ///< proven lower bound on the optimum
    bool proven_optimal = false;  ///< true if no plan is better
    double violation = 0;         ///< how far constraints are exceeded; 0 if feasible
    /// The references (report/comparison.hpp): {"all-local": s, ..., "exact": {...}}.
    nlohmann::json references = nlohmann::json::object();
    std::string upload_planner{};             ///< the uploading planner asked for
    std::vector<plan_document_task> tasks{};  ///< one or more
    /// The uplink model the uploading plans were simulated under: "separate", "shared", or ""
    /// (a document that does not say: written before the option, i.e. separate).
    std::string uplink{};
};

namespace detail::plan_doc {

inline nlohmann::json number(double v) {
    if (!std::isfinite(v)) return nullptr;
    return v;
}

inline nlohmann::json record_json(const iteration_record& r) {
    namespace d = json_io;
    return {{"iteration", r.iteration},
            {"evaluations", r.evaluations},
            {"best_objective_s", d::extended_number(r.best_objective)},
            {"best_violation", d::extended_number(r.best_violation)},
            {"mean_objective_s", d::extended_number(r.mean_objective)},
            {"diversity", d::extended_number(r.diversity)}};
}

/// The keys of one task's plan object besides the plan's own.
inline void task_into(nlohmann::json& o, const plan_document_task& t, bool several) {
    for (const auto& [key, value] : t.plan.items()) o[key] = value;
    o["model_spec"] = t.model_spec;
    o["model_source"] = t.model_source;
    o["model_summary"] = {
        {"name", t.model.name}, {"layers", t.model.layers}, {"param_bytes", t.model.param_bytes},
        {"macs", t.model.macs}, {"flops", t.model.flops},   {"chain", t.model.chain}};
    o["device"] = t.device;
    if (several) o["completion_s"] = number(t.completion_s);
    o["upload"] = t.upload;
}

}  // namespace detail::plan_doc

/// The document as JSON (docs/formats.md, "Plan document"). Throws eosdnn::error (validation)
/// if it has no task.
inline nlohmann::json to_json(const plan_document& doc) {
    namespace p = detail::plan_doc;
    if (doc.tasks.empty()) throw error(error_kind::validation, "plan document: no task");
    const bool several = doc.tasks.size() > 1;
    nlohmann::json j = nlohmann::json::object();
    if (!several) p::task_into(j, doc.tasks.front(), false);
    j["format"] = plan_document_format;
    j["version"] = plan_document_version;
    j["environment"] = to_json(doc.env);
    j["environment_source"] = doc.environment_source;
    j["objective"] = doc.objective;
    j["migration_delay_s"] = p::number(doc.migration_delay_s);
    j["lower_bound_s"] = p::number(doc.lower_bound_s);
    j["proven_optimal"] = doc.proven_optimal;
    j["violation"] = p::number(doc.violation);
    const search_record& s = doc.search;
    if (several) j["algorithm"] = s.algorithm;
    j["seed"] = s.seed;
    j["particles"] = s.particles;
    j["evaluations"] = s.evaluations;
    j["iterations"] = s.iterations;
    j["iterations_planned"] = s.iterations_planned;
    j["stall"] = s.stall;
    j["start"] = s.start;
    j["plan_seconds"] = s.plan_seconds;
    j["time_limit_s"] = s.time_limit_s;
    j["exact_solver"] = s.exact_solver;
    j["stopped_by"] = s.stopped_by;
    j["interrupted"] = s.stopped_by == "interrupted";
    nlohmann::json log = nlohmann::json::array();
    for (const auto& r : s.convergence) log.push_back(p::record_json(r));
    j["convergence"] = std::move(log);
    j["references"] = doc.references;
    if (several) {
        j["upload"] = {{"planner", doc.upload_planner}};
        if (!doc.uplink.empty()) j["upload"]["uplink"] = doc.uplink;
        nlohmann::json tasks = nlohmann::json::array();
        for (const auto& t : doc.tasks) {
            nlohmann::json o = nlohmann::json::object();
            p::task_into(o, t, true);
            tasks.push_back(std::move(o));
        }
        j["tasks"] = std::move(tasks);
    }
    return j;
}

namespace detail::plan_doc {

using nlohmann::json;

/// Allowed keys of the root (tasks too) and of a task's plan object.
inline std::vector<std::string_view> plan_object_keys(bool root) {
    std::vector<std::string_view> keys{"model", "algorithm", "placement", "evaluation"};
    keys.insert(keys.end(), std::begin(plan_document_keys), std::end(plan_document_keys));
    if (root) keys.push_back("tasks");
    return keys;
}

inline std::size_t count(const json_io::reader& r, const json& o, std::string_view key,
                         const std::string& path) {
    const json* v = r.optional(o, key);
    return v ? r.unsigned_integer(*v, json_io::child(path, key)) : 0;
}

inline double real(const json_io::reader& r, const json& o, std::string_view key,
                   const std::string& path, double otherwise) {
    const json* v = r.optional(o, key);
    return v ? r.number_or_null(*v, json_io::child(path, key)) : otherwise;
}

inline std::string text(const json_io::reader& r, const json& o, std::string_view key,
                        const std::string& path) {
    const json* v = r.optional(o, key);
    return v ? r.string(*v, json_io::child(path, key)) : std::string();
}

/// One task's plan object at `path` (the root, or /tasks/k).
inline plan_document_task read_task(const json_io::reader& r, const json& o,
                                    const std::string& path, bool root) {
    namespace d = json_io;
    const auto keys = plan_object_keys(root);
    r.object(o, path, std::span<const std::string_view>(keys));
    plan_document_task t;
    t.model_spec = text(r, o, "model_spec", path);
    t.model_source = text(r, o, "model_source", path);
    t.device = r.string(r.required(o, "device", path), d::child(path, "device"));
    t.plan = json::object();
    for (const char* key : {"model", "algorithm", "evaluation"})
        if (const json* v = r.optional(o, key)) t.plan[key] = *v;
    t.plan["placement"] = r.array(r.required(o, "placement", path), d::child(path, "placement"));
    if (const json* v = r.optional(o, "model_summary")) {
        const std::string at = d::child(path, "model_summary");
        const json& m =
            r.object(*v, at, {"name", "layers", "param_bytes", "macs", "flops", "chain"});
        t.model.name = text(r, m, "name", at);
        t.model.layers = count(r, m, "layers", at);
        t.model.param_bytes = real(r, m, "param_bytes", at, 0);
        t.model.macs = real(r, m, "macs", at, 0);
        t.model.flops = real(r, m, "flops", at, 0);
        if (const json* c = r.optional(m, "chain"))
            t.model.chain = r.boolean(*c, d::child(at, "chain"));
    }
    t.completion_s = real(r, o, "completion_s", path, std::numeric_limits<double>::quiet_NaN());
    if (const json* v = r.optional(o, "upload")) {
        if (!v->is_object())
            r.fail(error_kind::parse, d::child(path, "upload"),
                   "expected an object, found " + d::reader::type_of(*v));
        t.upload = *v;
    }
    return t;
}

}  // namespace detail::plan_doc

/// Reads a plan document written by to_json(const plan_document&) (eosdnn-plan's plan.json).
/// Strict as the other readers of io/json.hpp: an unknown key, a value of the wrong type, a
/// missing "format", "version", "environment", "device" or "placement" (with one task) or
/// "tasks" (with several) throw eosdnn::error of kind parse; an unknown format or version, an
/// invalid environment or a device it does not have, of kind validation; each message names the
/// JSON path. The placements are read against their models by plan_of().
inline plan_document plan_document_from_json(const nlohmann::json& j) {
    using nlohmann::json;
    namespace d = detail::json_io;
    namespace p = detail::plan_doc;
    const d::reader r("plan document");
    const auto keys = p::plan_object_keys(true);
    const json& root = r.object(j, "", std::span<const std::string_view>(keys));
    const json& format = r.required(root, "format", "");
    if (r.string(format, "/format") != plan_document_format)
        r.fail(error_kind::validation, "/format",
               "\"" + format.get<std::string>() + "\" is not \"" +
                   std::string(plan_document_format) + "\"");
    if (const std::size_t v = r.unsigned_integer(r.required(root, "version", ""), "/version");
        v != plan_document_version)
        r.fail(error_kind::validation, "/version",
               "version " + std::to_string(v) + " (this reader knows version " +
                   std::to_string(plan_document_version) + ")");
    plan_document doc;
    const json& env = r.required(root, "environment", "");
    doc.env = r.wrap("/environment", nullptr, [&] { return environment_from_json(env); });
    doc.environment_source = p::text(r, root, "environment_source", "");
    doc.objective = p::text(r, root, "objective", "");
    doc.migration_delay_s =
        p::real(r, root, "migration_delay_s", "", std::numeric_limits<double>::quiet_NaN());
    doc.lower_bound_s = p::real(r, root, "lower_bound_s", "", 0);
    if (const json* v = r.optional(root, "proven_optimal"))
        doc.proven_optimal = r.boolean(*v, "/proven_optimal");
    doc.violation = p::real(r, root, "violation", "", 0);

    search_record& s = doc.search;
    s.algorithm = p::text(r, root, "algorithm", "");
    if (const json* v = r.optional(root, "seed")) s.seed = r.unsigned_integer(*v, "/seed");
    s.particles = p::count(r, root, "particles", "");
    s.evaluations = p::count(r, root, "evaluations", "");
    s.iterations = p::count(r, root, "iterations", "");
    s.iterations_planned = p::count(r, root, "iterations_planned", "");
    s.stall = p::count(r, root, "stall", "");
    s.start = p::text(r, root, "start", "");
    s.plan_seconds = p::real(r, root, "plan_seconds", "", 0);
    s.time_limit_s = p::real(r, root, "time_limit_s", "", 0);
    s.exact_solver = p::text(r, root, "exact_solver", "");
    s.stopped_by = p::text(r, root, "stopped_by", "");
    if (const json* v = r.optional(root, "convergence")) {
        const json& log = r.array(*v, "/convergence");
        for (std::size_t k = 0; k < log.size(); ++k) {
            const std::string at = d::child("/convergence", k);
            const json& o = r.object(log[k], at,
                                     {"iteration", "evaluations", "best_objective_s",
                                      "best_violation", "mean_objective_s", "diversity"});
            iteration_record rec;
            rec.iteration = p::count(r, o, "iteration", at);
            rec.evaluations = p::count(r, o, "evaluations", at);
            const auto extended = [&](std::string_view key) {
                const json* e = r.optional(o, key);
                return e ? r.extended_number(*e, d::child(at, key)) : 0.0;
            };
            rec.best_objective = extended("best_objective_s");
            rec.best_violation = extended("best_violation");
            rec.mean_objective = extended("mean_objective_s");
            rec.diversity = extended("diversity");
            s.convergence.push_back(rec);
        }
    }
    if (const json* v = r.optional(root, "references")) {
        if (!v->is_object())
            r.fail(error_kind::parse, "/references",
                   "expected an object, found " + d::reader::type_of(*v));
        doc.references = *v;
    }

    if (const json* tasks = r.optional(root, "tasks")) {
        const json& list = r.array(*tasks, "/tasks");
        if (list.empty()) r.fail(error_kind::validation, "/tasks", "no task");
        r.at_most(list, limits::max_tasks, "/tasks", "tasks");
        for (std::size_t k = 0; k < list.size(); ++k)
            doc.tasks.push_back(p::read_task(r, list[k], d::child("/tasks", k), false));
        if (const json* u = r.optional(root, "upload")) {
            const json& o = r.object(*u, "/upload", {"planner", "uplink"});
            doc.upload_planner = p::text(r, o, "planner", "/upload");
            doc.uplink = p::text(r, o, "uplink", "/upload");
        }
    } else {
        doc.tasks.push_back(p::read_task(r, root, "", true));
        doc.tasks.front().completion_s = doc.migration_delay_s;
        const json& upload = doc.tasks.front().upload;
        if (const auto v = upload.find("planner"); v != upload.end())
            doc.upload_planner = r.string(*v, "/upload/planner");
        if (const auto v = upload.find("uplink"); v != upload.end())
            doc.uplink = r.string(*v, "/upload/uplink");
    }
    for (std::size_t k = 0; k < doc.tasks.size(); ++k) {
        const std::string path =
            (doc.tasks.size() > 1 ? d::child("/tasks", k) : std::string()) + "/device";
        const auto device = doc.env.find(doc.tasks[k].device);
        if (!device)
            r.fail(error_kind::validation, path,
                   "the environment has no node '" + doc.tasks[k].device + "'");
        // The device owns the model and runs what is not offloaded: a local node, as the
        // planners require (checked here, where the message can name the JSON path).
        if (doc.env[*device].tier != tier::local)
            r.fail(error_kind::validation, path,
                   "'" + doc.tasks[k].device + "' is not a local node (its tier is " +
                       std::string(to_string(doc.env[*device].tier)) + ")");
    }
    return doc;
}

/// The migration plan of task `k` of `doc`, read against its model `g` and the environment
/// `env` (plan_from_json; nodes by name, so `env` may be another than doc.env, the nodes in
/// another order): throws eosdnn::error (validation) if `k` is out of range or the plan does
/// not fit `g` and `env` (another model, a missing or unknown layer or node), naming the task.
inline migration_plan plan_of(const plan_document& doc, std::size_t k, const layer_graph& g,
                              const environment& env) {
    if (k >= doc.tasks.size())
        throw error(error_kind::validation, "plan document: task " + std::to_string(k) +
                                                " out of range (it has " +
                                                std::to_string(doc.tasks.size()) + ")");
    try {
        return plan_from_json(doc.tasks[k].plan, g, env);
    } catch (const error& e) {
        if (doc.tasks.size() == 1) throw;
        throw error(e.kind(), "plan document /tasks/" + std::to_string(k) + ": " + e.what());
    }
}

/// The same, read against the document's own environment.
inline migration_plan plan_of(const plan_document& doc, std::size_t k, const layer_graph& g) {
    return plan_of(doc, k, g, doc.env);
}

/// The node id of task `k`'s device in `doc.env`.
inline node_id device_of(const plan_document& doc, std::size_t k) {
    const auto id = doc.env.find(doc.tasks.at(k).device);
    if (!id)
        throw error(error_kind::validation, "plan document: no node '" + doc.tasks[k].device + "'");
    return *id;
}

}  // namespace eosdnn
