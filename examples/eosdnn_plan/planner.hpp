#pragma once
// The work of eosdnn-plan behind its command line: load the model(s) and the environment, plan
// the migration (one task: delay_evaluator; several: multi_task_evaluator), plan the upload of
// each task's remote layers, simulate the queries during the upload, then report (text or
// JSON) and write the CSV files. eosdnn_plan.cpp only parses the arguments.
#include <eosdnn/eosdnn.hpp>
#include <eosdnn/upload/baselines.hpp>
#include <eosdnn/upload/emdl.hpp>
#include <eosdnn/upload/ionn.hpp>
#include <eosdnn/upload/lmu.hpp>
#include <eosdnn/upload/query_simulation.hpp>

#if defined(EOSDNN_PLAN_WITH_MILP)
#include <eosdnn/milp/cbc.hpp>
#endif
#if defined(EOSDNN_PLAN_WITH_ONNX)
#include <eosdnn/io/onnx.hpp>
#define EOSDNN_PLAN_ONNX_HELP " or ONNX file"
#else
#define EOSDNN_PLAN_ONNX_HELP ""
#endif

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace eosdnn::cli {

/// What the command line says.
struct options {
    std::string model = "resnet50";
    std::string env = "default";
    std::string algo = "pso-ga";
    std::string upload = "lmu";
    std::vector<std::string> tasks{};
    std::uint64_t seed = 1;
    std::size_t particles = 50;
    std::size_t iterations = 300;
    std::size_t stall = 100;        ///< iterations without improvement before stopping; 0: never
    std::string start = "seeded";   ///< pso-ga's initial swarm: "seeded" or "random"
    double time_limit = 10;         ///< seconds for the exact solver; 0: no limit
    std::string exact_solver = "native";  ///< "native" (solve_exact) or "cbc" (solve_milp)
    std::size_t threads = 1;
    bool json = false;
    std::string out{};
};

inline std::vector<std::string> algorithm_names() {
    return {"pso-ga", "pso-ga-paper", "ga", "pso", "exact", "greedy", "random",
            "all-local", "all-edge", "all-cloud"};
}

inline std::vector<std::string> start_names() { return {"seeded", "random"}; }

inline std::vector<std::string> exact_solver_names() { return {"native", "cbc"}; }

inline std::vector<std::string> upload_names() { return {"lmu", "emdl", "ionn", "layerwise", "whole"}; }

/// A message on one line: every line break becomes "; ".
inline std::string one_line(std::string text) {
    std::string out;
    for (char c : text) {
        if (c == '\n' || c == '\r') {
            if (!out.empty() && out.back() != ' ') out += "; ";
        } else {
            out += c;
        }
    }
    while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
    return out;
}

[[noreturn]] inline void fail(const std::string& what) { throw error(error_kind::validation, what); }

/// One number printed with a printf format.
inline std::string fmt(const char* format, double v) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, v);
    return buffer;
}

// ---------------------------------------------------------------------------------------------
// Inputs

/// The default environment: `devices` phones, two edge servers and a cloud. Rates and links are
/// those of a recent phone on Wi-Fi or 5G (docs/getting-started.md has the table):
/// - phone: 20 GFLOP/s; edge1: 1 TFLOP/s (a small GPU server next to the access point);
///   edge2: 2 TFLOP/s (a MEC server in the operator's network); cloud: 10 TFLOP/s;
/// - phone-edge1 40 Mbit/s, 5 ms; phone-edge2 20 Mbit/s, 8 ms; phone-cloud 10 Mbit/s, 40 ms;
///   edge1-edge2 1 Gbit/s, 1 ms; each edge-cloud 200 Mbit/s, 20 ms. Symmetric links.
/// One device is called "phone"; several are "phone1", "phone2", ...
inline environment default_environment(std::size_t devices = 1) {
    environment_builder env;
    std::vector<node_id> phones;
    for (std::size_t k = 0; k < devices; ++k)
        phones.push_back(env.add_node({.name = devices == 1 ? "phone" : "phone" + std::to_string(k + 1),
                                       .tier = tier::local, .flops_per_s = 20e9}));
    const auto edge1 = env.add_node({.name = "edge1", .tier = tier::edge, .flops_per_s = 1e12});
    const auto edge2 = env.add_node({.name = "edge2", .tier = tier::edge, .flops_per_s = 2e12});
    const auto cloud = env.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 10e12});
    for (node_id phone : phones) {
        env.connect(phone, edge1, {.bandwidth_Bps = mbps(40), .latency_s = 0.005});
        env.connect(phone, edge2, {.bandwidth_Bps = mbps(20), .latency_s = 0.008});
        env.connect(phone, cloud, {.bandwidth_Bps = mbps(10), .latency_s = 0.040});
    }
    env.connect(edge1, edge2, {.bandwidth_Bps = mbps(1000), .latency_s = 0.001});
    env.connect(edge1, cloud, {.bandwidth_Bps = mbps(200), .latency_s = 0.020});
    env.connect(edge2, cloud, {.bandwidth_Bps = mbps(200), .latency_s = 0.020});
    return env.build();
}

inline std::string lowercase(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

inline std::string zoo_list() {
    std::string known;
    for (std::string_view n : zoo_model_names()) known += (known.empty() ? "" : ", ") + std::string(n);
    return known;
}

/// Runs `f`; an eosdnn::error whose message does not name `file` gets it in front.
template <class F>
auto naming(const std::string& file, F&& f) {
    try {
        return f();
    } catch (const error& e) {
        const std::string what = e.what();
        if (what.find(file) != std::string::npos) throw;
        throw error(e.kind(), file + ": " + what);
    }
}

/// A model from a zoo name, a profile CSV, a model JSON or (when built with it) an ONNX file.
inline layer_graph load_model(const std::string& spec, const char* option) {
    namespace fs = std::filesystem;
    const fs::path path(spec);
    const std::string ext = lowercase(path.extension().string());
    if (ext == ".csv") return naming(spec, [&] { return read_profile_csv(path); });
    if (ext == ".json") return naming(spec, [&] { return model_from_json(read_json_file(path)); });
    if (ext == ".onnx") {
#if defined(EOSDNN_PLAN_WITH_ONNX)
        return naming(spec, [&] {
            onnx_import_result r = import_onnx(path);
            for (const std::string& w : r.warnings)
                std::fprintf(stderr, "eosdnn-plan: %s: %s\n", spec.c_str(), one_line(w).c_str());
            return std::move(r.graph);
        });
#else
        fail(std::string(option) + " '" + spec +
             "': this eosdnn-plan was built without the ONNX importer (eosdnn::onnx); use a "
             "profile CSV or model JSON");
#endif
    }
    for (std::string_view name : zoo_model_names())
        if (name == spec) return zoo_model(name);
    std::error_code ec;
    if (fs::exists(path, ec))
        fail(std::string(option) + " '" + spec + "': unknown file type '" + ext +
             "' (expected .csv, .json" + (EOSDNN_PLAN_ONNX_HELP[0] ? ", .onnx" : "") + ")");
    fail(std::string(option) + " '" + spec + "' is neither a file nor a zoo model (known: " +
         zoo_list() + ")");
}

/// One model to plan: its graph, where it came from and the device that owns it.
struct task_input {
    layer_graph graph;
    std::string source;  ///< "zoo", "profile CSV", ...
    node_id device = 0;
};

inline std::string source_of(const std::string& spec) {
    const std::string ext = lowercase(std::filesystem::path(spec).extension().string());
    if (ext == ".csv") return "profile CSV " + spec;
    if (ext == ".json") return "model JSON " + spec;
    if (ext == ".onnx") return "ONNX " + spec;
    return "zoo";
}

/// The environment and the tasks the options describe.
struct inputs {
    environment env;
    std::string env_source;
    std::vector<task_input> tasks;
};

inline inputs load_inputs(const options& opt) {
    const bool several = !opt.tasks.empty();
    std::vector<std::pair<std::string, std::string>> specs;  // model, device ("" = next local)
    if (several) {
        for (const std::string& item : opt.tasks) {
            if (item.empty()) fail("--tasks: an empty task (expected MODEL[@DEVICE],...)");
            const auto at = item.rfind('@');
            if (at == std::string::npos) specs.emplace_back(item, "");
            else if (at == 0 || at + 1 == item.size())
                fail("--tasks '" + item + "': expected MODEL@DEVICE with both parts non-empty");
            else specs.emplace_back(item.substr(0, at), item.substr(at + 1));
        }
    } else {
        specs.emplace_back(opt.model, "");
    }

    inputs in{.env = environment{}, .env_source = {}, .tasks = {}};
    if (opt.env == "default") {
        for (const auto& s : specs)
            if (!s.second.empty())
                fail("--tasks '" + s.first + "@" + s.second +
                     "': devices can be named only with --env; the default environment has one "
                     "phone per task (phone1, phone2, ...)");
        in.env = default_environment(specs.size());
        in.env_source = "default";
    } else {
        in.env = naming(opt.env, [&] { return environment_from_json(read_json_file(opt.env)); });
        in.env_source = opt.env;
    }

    const std::vector<node_id> locals = in.env.nodes_of(tier::local);
    std::vector<bool> taken(in.env.size(), false);
    std::size_t next_local = 0;
    for (const auto& [model, device_name] : specs) {
        node_id device = 0;
        if (device_name.empty()) {
            while (next_local < locals.size() && taken[locals[next_local]]) ++next_local;
            if (next_local == locals.size())
                fail("--tasks: " + std::to_string(specs.size()) + " tasks but the environment has " +
                     std::to_string(locals.size()) + " local device(s); add devices or name them "
                     "with MODEL@DEVICE");
            device = locals[next_local];
        } else {
            const auto found = in.env.find(device_name);
            if (!found) fail("--tasks: unknown device '" + device_name + "' in " + in.env_source);
            if (in.env[*found].tier != tier::local)
                fail("--tasks: node '" + device_name + "' is " +
                     std::string(to_string(in.env[*found].tier)) + ", not a local device");
            device = *found;
        }
        if (taken[device])
            fail("--tasks: two tasks on device '" + in.env[device].name + "' (one task per device)");
        taken[device] = true;
        in.tasks.push_back({load_model(model, several ? "--tasks" : "--model"), source_of(model), device});
    }
    if (in.env.nodes_of(tier::edge).empty() && in.env.nodes_of(tier::cloud).empty())
        fail("environment " + in.env_source + " has no edge or cloud node: nothing to offload to");
    return in;
}

// ---------------------------------------------------------------------------------------------
// Progress

/// A progress line on stderr, shown only when stderr is a terminal and a phase lasts more than a
/// second; erased when the phase ends.
class progress_line {
public:
    progress_line() : enabled_(::isatty(2) == 1) {}
    progress_line(const progress_line&) = delete;
    progress_line& operator=(const progress_line&) = delete;
    ~progress_line() { end(); }

    /// Starts a phase ("planning the migration (pso-ga)").
    void begin(std::string what, std::size_t horizon = 0) {
        end();
        if (!enabled_) return;
        what_ = std::move(what);
        horizon_ = horizon;
        iteration_ = 0;
        best_ = std::numeric_limits<double>::quiet_NaN();
        done_ = false;
        thread_ = std::thread([this] { loop(); });
    }

    /// What an optimiser's observer reports.
    void update(std::size_t iteration, double best) {
        iteration_.store(iteration, std::memory_order_relaxed);
        best_.store(best, std::memory_order_relaxed);
    }

    void end() {
        if (!thread_.joinable()) return;
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }

private:
    void loop() {
        using namespace std::chrono;
        const auto start = steady_clock::now();
        bool shown = false;
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, milliseconds(200), [this] { return done_; })) {
            const double elapsed = duration<double>(steady_clock::now() - start).count();
            if (elapsed < 1.0) continue;
            shown = true;
            std::string line = "eosdnn-plan: " + what_;
            const std::size_t it = iteration_.load(std::memory_order_relaxed);
            if (horizon_ > 0 && it > 0)
                line += ", iteration " + std::to_string(it) + "/" + std::to_string(horizon_);
            const double best = best_.load(std::memory_order_relaxed);
            char buffer[96];
            if (!std::isnan(best)) {
                std::snprintf(buffer, sizeof buffer, ", best %.3f ms", best * 1e3);
                line += buffer;
            }
            std::snprintf(buffer, sizeof buffer, " (%.1f s)", elapsed);
            line += buffer;
            std::fprintf(stderr, "\r\033[K%s", line.c_str());
            std::fflush(stderr);
        }
        if (shown) {
            std::fputs("\r\033[K", stderr);
            std::fflush(stderr);
        }
    }

    bool enabled_;
    std::string what_{};
    std::size_t horizon_ = 0;
    std::atomic<std::size_t> iteration_{0};
    std::atomic<double> best_{0};
    std::mutex mutex_{};
    std::condition_variable wake_{};
    bool done_ = false;
    std::thread thread_{};
};

// ---------------------------------------------------------------------------------------------
// Migration plan

/// The exact reference the report compares against, and how far it is exact.
struct reference {
    std::string method;     ///< "bucket-elimination" (one task) or "per-task-exact" (several)
    std::string note;       ///< one line for the report
    bool exact = false;     ///< true if it is the proven optimum over every node
    std::vector<node_id> placement{};
    double delay_s = 0;     ///< its value under the planner's objective
    double lower_bound_s = 0;  ///< proven lower bound on the optimum (0 when none is known)
    double seconds = 0;        ///< time the exact solver took
};

/// Runs the chosen optimiser on `problem`.
/// `seeds` start the hybrid PSO-GA's swarm (the other optimisers start at random).
template <placement_problem Problem, class Exact>
optimisation_result optimise(Problem& problem, const options& opt, const environment& env,
                             Exact&& exact_plan_of, progress_line& progress,
                             std::span<const std::vector<node_id>> seeds = {}) {
    auto observe = [&](const iteration_record& r, std::span<const node_id>) {
        progress.update(r.iteration, r.best_objective);
    };
    const std::string& a = opt.algo;
    // --stall 0 means never: a stall count no run reaches.
    const default_stop stop{max_iterations{}, stall_iterations{opt.stall ? opt.stall : ~std::size_t{0}}};
    if (a == "pso-ga") {
        pso_ga_options o = hybrid_options();
        o.population = opt.particles;
        o.iterations = opt.iterations;
        o.threads = opt.threads;
        if (opt.stall) o.polish_after_stall = std::min(o.polish_after_stall, opt.stall);
        const auto start = opt.start == "seeded" ? seeds.first(std::min(seeds.size(), o.population))
                                                 : std::span<const std::vector<node_id>>{};
        return pso_ga<segment_reset_mutation>(o, {}, {}, {}, {}, stop).solve(problem, opt.seed, start, observe);
    }
    if (a == "pso-ga-paper")
        return pso_ga<>({.population = opt.particles, .iterations = opt.iterations, .threads = opt.threads},
                        {}, {}, {}, {}, stop)
            .solve(problem, opt.seed, {}, observe);
    if (a == "ga")
        return genetic_algorithm<>({.population = opt.particles, .generations = opt.iterations,
                                    .threads = opt.threads, .stall = opt.stall})
            .solve(problem, opt.seed);
    if (a == "pso")
        return discrete_pso<>({.population = opt.particles, .iterations = opt.iterations,
                               .threads = opt.threads, .stall = opt.stall})
            .solve(problem, opt.seed);
    if (a == "random")
        return random_search<>({.evaluations = opt.particles * opt.iterations, .threads = opt.threads,
                                .stall = opt.stall})
            .solve(problem, opt.seed);
    if (a == "greedy") return greedy_per_layer{}.solve(problem, opt.seed);
    if (a == "all-local") return tier_baseline(env, tier::local).solve(problem);
    for (auto [name, t] : {std::pair{"all-edge", tier::edge}, std::pair{"all-cloud", tier::cloud}})
        if (a == name) {
            if (env.nodes_of(t).empty())
                fail("--algo " + a + ": the environment has no " + std::string(to_string(t)) + " node");
            return tier_baseline(env, t).solve(problem);
        }
    if (a == "exact") {
        optimisation_result r;
        r.placement = exact_plan_of();
        r.value = problem.evaluate(std::span<const node_id>(r.placement));
        r.evaluations = 1;
        r.iterations = 1;
        r.log.push_back({.iteration = 0, .evaluations = 1, .best_objective = r.value.objective,
                         .best_violation = r.value.violation, .mean_objective = r.value.objective,
                         .diversity = 0});
        return r;
    }
    fail("--algo '" + a + "' is unknown");
}

/// The delays of the all-local, all-edge and all-cloud plans; NaN for a tier without a node.
template <placement_problem Problem>
std::vector<std::pair<std::string, double>> tier_references(Problem& problem, const environment& env) {
    std::vector<std::pair<std::string, double>> out;
    for (auto [name, t] : {std::pair{"all-local", tier::local}, std::pair{"all-edge", tier::edge},
                           std::pair{"all-cloud", tier::cloud}})
        out.emplace_back(name, env.nodes_of(t).empty()
                                   ? std::numeric_limits<double>::quiet_NaN()
                                   : tier_baseline(env, t).solve(problem).value.delay_s);
    return out;
}

/// Number of edge and cloud nodes a layer of a task on `device` may use.
inline std::size_t remote_nodes(const environment& env) {
    return env.nodes_of(tier::edge).size() + env.nodes_of(tier::cloud).size();
}

/// The exact reference of one task: solve_exact() on the planner's own problem (pins and memory
/// capacities honoured), proven optimal unless the time limit stopped it first.
template <class Problem>
reference exact_reference(const layer_graph& graph, Problem& problem, const environment& env,
                          const options& opt) {
    const exact_options limits{.time_limit_s = opt.time_limit};
    exact_result e;
    if (opt.exact_solver == "cbc") {
#if defined(EOSDNN_PLAN_WITH_MILP)
        e = solve_milp(graph, problem, limits);
#else
        (void)graph;
        fail("--exact-solver cbc: this eosdnn-plan was built without the integer-program backend "
             "(eosdnn::milp, found when Debian's coinor-libcbc-dev is installed)");
#endif
    } else {
        e = solve_exact(problem, limits);
    }
    reference r{.method = e.method, .note = {}, .exact = e.proven_optimal, .placement = e.placement,
                .delay_s = e.value.delay_s, .lower_bound_s = e.lower_bound, .seconds = e.seconds};
    const std::string nodes = std::to_string(remote_nodes(env) + 1) + " nodes";
    if (e.proven_optimal)
        r.note = "proven optimum over all " + nodes + " (" + e.method + ", " + fmt("%.3g", e.seconds) + " s)";
    else
        r.note = "best plan of the exact solver in its " + fmt("%g", opt.time_limit) +
                 " s time limit; the optimum is at least " + fmt("%.3f", e.lower_bound * 1e3) + " ms";
    return r;
}

// ---------------------------------------------------------------------------------------------
// Uploading plan

/// One uploading planner's plan for one task and its simulated queries.
struct upload_result {
    std::string planner;
    bool available = false;
    std::string why_not{};  ///< when not available
    upload_plan plan{};
    simulation_result sim{};
};

/// Acknowledgement latency: the largest one-way latency from a node the placement uses back to
/// the device (the "CR" message travels that link).
inline double ack_latency(const environment& env, std::span<const node_id> x, node_id device) {
    double ack = 0;
    for (node_id s : x)
        if (s != device)
            if (const auto& l = env.link_between(s, device)) ack = std::max(ack, l->latency_s);
    return ack;
}

inline simulation_options simulation_for(const environment& env, std::span<const node_id> x,
                                         node_id device) {
    return {.horizon_queries = 5, .ack_latency_s = ack_latency(env, x, device)};
}

template <class Model>
upload_result plan_upload(const std::string& planner, const layer_graph& g, const Model& model,
                          std::span<const node_id> x, node_id device) {
    const simulation_options sim = simulation_for(model.env(), x, device);
    upload_result r{.planner = planner};
    try {
        if (planner == "lmu") r.plan = lmu_planner{.simulation = sim}.plan(g, model, x, device);
        else if (planner == "emdl") r.plan = emdl_planner{}.plan(g, model, x, device);
        else if (planner == "ionn") r.plan = ionn_planner{}.plan(g, model, x, device);
        else if (planner == "layerwise") r.plan = layer_by_layer_planner{}.plan(g, model, x, device);
        else if (planner == "whole") r.plan = whole_model_planner{}.plan(g, model, x, device);
        else fail("--upload '" + planner + "' is unknown");
        r.sim = simulate_queries(g, model, r.plan, sim);
        r.available = true;
    } catch (const error& e) {
        r.why_not = one_line(e.what());
    }
    return r;
}

// ---------------------------------------------------------------------------------------------
// Results

/// Everything about one task after planning.
struct task_result {
    const task_input* input = nullptr;
    std::vector<node_id> placement{};
    double delay_s = 0;  ///< its migration delay (one task) or completion time (several)
    std::vector<upload_result> uploads{};  ///< the chosen planner first, then the comparisons
};

struct run_result {
    std::string algorithm;
    optimisation_result opt{};
    double plan_seconds = 0;
    std::vector<std::pair<std::string, double>> tiers{};  ///< all-local, all-edge, all-cloud
    reference exact{};
    std::vector<task_result> tasks{};
};

inline nlohmann::json number(double v) {
    if (!std::isfinite(v)) return nullptr;
    return v;
}

inline nlohmann::json metrics_json(const upload_metrics& m) {
    return {{"partitions", m.partitions},
            {"upload_s", number(m.upload_s)},
            {"queries_during_upload", m.queries_during_upload},
            {"mean_latency_during_upload_s", number(m.mean_latency_during_upload_s)},
            {"first_offloaded_s", number(m.first_offloaded_s)},
            {"latency_area_s2", number(m.latency_area_s2)},
            {"initial_latency_s", number(m.initial_latency_s)},
            {"final_latency_s", number(m.final_latency_s)}};
}

inline nlohmann::json model_json(const task_input& t) {
    const layer_graph& g = t.graph;
    return {{"name", g.name()}, {"source", t.source}, {"layers", g.size()},
            {"param_bytes", g.total_param_bytes()}, {"macs", g.total_macs()},
            {"flops", g.total_flops()}, {"chain", g.is_chain()}};
}

inline nlohmann::json placement_json(const layer_graph& g, const environment& env,
                                     std::span<const node_id> x) {
    nlohmann::json p = nlohmann::json::array();
    for (layer_id j = 0; j < g.size(); ++j) p.push_back({{"layer", g[j].name}, {"node", env[x[j]].name}});
    return p;
}

inline nlohmann::json upload_json(const layer_graph& g, const environment& env,
                                  const std::vector<upload_result>& uploads) {
    const upload_result& chosen = uploads.front();
    nlohmann::json parts = nlohmann::json::array();
    for (const auto& p : chosen.plan.partitions) {
        nlohmann::json names = nlohmann::json::array();
        for (layer_id j : p.layers) names.push_back(g[j].name);
        parts.push_back({{"node", env[p.node].name}, {"layers", names},
                         {"param_bytes", p.param_bytes}, {"upload_s", p.upload_s}});
    }
    nlohmann::json compared = nlohmann::json::object();
    for (const auto& u : uploads)
        compared[u.planner] = u.available ? metrics_json(u.sim.metrics)
                                          : nlohmann::json{{"unavailable", u.why_not}};
    return {{"planner", chosen.planner}, {"partitions", parts},
            {"metrics", metrics_json(chosen.sim.metrics)}, {"compared", compared}};
}

inline nlohmann::json to_json(const run_result& r, const inputs& in, const options& opt) {
    const environment& env = in.env;
    nlohmann::json j;
    const bool several = r.tasks.size() > 1;
    if (!several) {
        const task_result& t = r.tasks.front();
        j["model"] = model_json(*t.input);
        j["device"] = env[t.input->device].name;
        j["placement"] = placement_json(t.input->graph, env, t.placement);
    } else {
        std::string names;
        std::size_t layers = 0;
        double params = 0, macs = 0;
        nlohmann::json placement = nlohmann::json::array();
        for (std::size_t k = 0; k < r.tasks.size(); ++k) {
            const layer_graph& g = r.tasks[k].input->graph;
            names += (k ? "+" : "") + g.name();
            layers += g.size();
            params += g.total_param_bytes();
            macs += g.total_macs();
            for (auto& p : placement_json(g, env, r.tasks[k].placement)) {
                p["task"] = k;
                placement.push_back(p);
            }
        }
        j["model"] = {{"name", names}, {"layers", layers}, {"param_bytes", params}, {"macs", macs}};
        j["placement"] = placement;
    }
    j["environment"] = eosdnn::to_json(env);
    j["environment_source"] = in.env_source;
    j["algorithm"] = r.algorithm;
    j["seed"] = opt.seed;
    j["objective"] = several ? "mean completion time of the tasks, list-scheduled on shared nodes"
                             : "migration delay, sequential DAG model";
    j["migration_delay_s"] = number(r.opt.value.delay_s);
    j["lower_bound_s"] = number(r.opt.lower_bound);
    j["proven_optimal"] = r.opt.proven_optimal;
    j["violation"] = r.opt.value.violation;
    j["evaluations"] = r.opt.evaluations;
    j["iterations"] = r.opt.iterations;
    j["iterations_planned"] = opt.iterations;
    j["stall"] = opt.stall;
    j["start"] = opt.start;
    j["plan_seconds"] = r.plan_seconds;
    nlohmann::json refs = nlohmann::json::object();
    for (const auto& [name, v] : r.tiers) refs[name] = number(v);
    refs["exact"] = {{"method", r.exact.method}, {"exact", r.exact.exact},
                     {"delay_s", number(r.exact.delay_s)}, {"lower_bound_s", number(r.exact.lower_bound_s)},
                     {"seconds", r.exact.seconds}, {"note", r.exact.note}};
    j["references"] = refs;
    if (!several) {
        j["upload"] = upload_json(r.tasks.front().input->graph, env, r.tasks.front().uploads);
    } else {
        nlohmann::json tasks = nlohmann::json::array(), parts = nlohmann::json::array(),
                       metrics = nlohmann::json::array();
        for (std::size_t k = 0; k < r.tasks.size(); ++k) {
            const task_result& t = r.tasks[k];
            const nlohmann::json u = upload_json(t.input->graph, env, t.uploads);
            for (auto p : u["partitions"]) {
                p["task"] = k;
                parts.push_back(p);
            }
            metrics.push_back(u["metrics"]);
            tasks.push_back({{"model", model_json(*t.input)}, {"device", env[t.input->device].name},
                             {"placement", placement_json(t.input->graph, env, t.placement)},
                             {"completion_s", number(t.delay_s)}, {"upload", u}});
        }
        j["upload"] = {{"planner", opt.upload}, {"partitions", parts}, {"metrics", metrics}};
        j["tasks"] = tasks;
    }
    return j;
}

// ---------------------------------------------------------------------------------------------
// CSV files of --out

inline std::string csv_number(double v) {
    if (std::isnan(v)) return "";
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%.10g", v);
    return buffer;
}

inline std::string csv_text(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

inline std::string convergence_csv(const run_result& r) {
    std::string out = "algorithm,iteration,evaluations,best_objective_s,best_violation,"
                      "mean_objective_s,diversity\n";
    for (const auto& rec : r.opt.log)
        out += r.algorithm + "," + std::to_string(rec.iteration) + "," +
               std::to_string(rec.evaluations) + "," + csv_number(rec.best_objective) + "," +
               csv_number(rec.best_violation) + "," + csv_number(rec.mean_objective) + "," +
               csv_number(rec.diversity) + "\n";
    return out;
}

inline std::string placement_csv(const run_result& r, const environment& env) {
    std::string out = "task,model,position,layer,kind,node,tier,flops,param_bytes,output_bytes\n";
    for (std::size_t k = 0; k < r.tasks.size(); ++k) {
        const layer_graph& g = r.tasks[k].input->graph;
        const auto order = g.topological_order();
        for (std::size_t p = 0; p < order.size(); ++p) {
            const layer_id j = order[p];
            const node_id s = r.tasks[k].placement[j];
            out += std::to_string(k) + "," + csv_text(g.name()) + "," + std::to_string(p) + "," +
                   csv_text(g[j].name) + "," + csv_text(g[j].kind) + "," + csv_text(env[s].name) +
                   "," + std::string(to_string(env[s].tier)) + "," + csv_number(g[j].flops) + "," +
                   csv_number(g[j].param_bytes) + "," + csv_number(g[j].output_bytes) + "\n";
        }
    }
    return out;
}

inline std::string uploads_csv(const run_result& r, const environment& env) {
    std::string out = "task,planner,partition,node,layers,first_layer,last_layer,param_bytes,"
                      "upload_s,sent_s,acknowledged_s\n";
    for (std::size_t k = 0; k < r.tasks.size(); ++k) {
        const layer_graph& g = r.tasks[k].input->graph;
        for (const auto& u : r.tasks[k].uploads) {
            if (!u.available) continue;
            for (std::size_t i = 0; i < u.plan.partitions.size(); ++i) {
                const auto& p = u.plan.partitions[i];
                out += std::to_string(k) + "," + u.planner + "," + std::to_string(i) + "," +
                       csv_text(env[p.node].name) + "," + std::to_string(p.layers.size()) + "," +
                       csv_text(g[p.layers.front()].name) + "," + csv_text(g[p.layers.back()].name) +
                       "," + csv_number(p.param_bytes) + "," + csv_number(p.upload_s) + "," +
                       csv_number(u.sim.uploads[i].sent_s) + "," +
                       csv_number(u.sim.uploads[i].acknowledged_s) + "\n";
            }
        }
    }
    return out;
}

inline std::string timeline_csv(const run_result& r) {
    std::string out = "task,planner,query,start_s,end_s,latency_s,remote_layers,acknowledged,"
                      "upload_end_s\n";
    for (std::size_t k = 0; k < r.tasks.size(); ++k)
        for (const auto& u : r.tasks[k].uploads) {
            if (!u.available) continue;
            for (std::size_t i = 0; i < u.sim.queries.size(); ++i) {
                const auto& q = u.sim.queries[i];
                out += std::to_string(k) + "," + u.planner + "," + std::to_string(i) + "," +
                       csv_number(q.start_s) + "," + csv_number(q.end_s) + "," +
                       csv_number(q.latency_s) + "," + std::to_string(q.remote_layers) + "," +
                       std::to_string(q.acknowledged) + "," + csv_number(u.sim.metrics.upload_s) + "\n";
            }
        }
    return out;
}

/// Writes each file into a temporary next to it, then renames it into place; if any fails, the
/// files already renamed by this call are removed again, so a failed run leaves none behind.
inline void write_files(const std::filesystem::path& dir,
                        const std::vector<std::pair<std::string, std::string>>& files) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const bool created = fs::create_directories(dir, ec);
    if (ec) throw error(error_kind::io, "--out '" + dir.string() + "': cannot create the directory: " + ec.message());
    if (!fs::is_directory(dir, ec))
        throw error(error_kind::io, "--out '" + dir.string() + "' exists and is not a directory");
    std::vector<fs::path> written;
    auto undo = [&] {
        std::error_code ignored;
        for (const auto& f : written) fs::remove(f, ignored);
        if (created) fs::remove(dir, ignored);
    };
    std::random_device random;
    for (const auto& [name, text] : files) {
        const fs::path target = dir / name;
        fs::path temporary = target;
        temporary += ".tmp-" + std::to_string(random());
        {
            std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
            if (out) out.write(text.data(), static_cast<std::streamsize>(text.size()));
            if (out) out.close();
            if (!out) {
                std::error_code ignored;
                fs::remove(temporary, ignored);
                undo();
                throw error(error_kind::io, "cannot write '" + target.string() + "'");
            }
        }
        fs::rename(temporary, target, ec);
        if (ec) {
            std::error_code ignored;
            fs::remove(temporary, ignored);
            undo();
            throw error(error_kind::io, "cannot write '" + target.string() + "': " + ec.message());
        }
        written.push_back(target);
    }
}

// ---------------------------------------------------------------------------------------------
// The text report

inline void print_environment(const inputs& in) {
    const environment& env = in.env;
    const char* what = in.tasks.size() == 1 ? "the default: a phone, two edge servers, a cloud"
                                            : "the default: a phone per task, two edge servers, a cloud";
    std::printf("environment (%s):\n", in.env_source == "default" ? what : in.env_source.c_str());
    for (node_id s = 0; s < env.size(); ++s) {
        const node& n = env[s];
        std::printf("  %-8s %-5s %8.0f GFLOP/s", n.name.c_str(), std::string(to_string(n.tier)).c_str(),
                    n.flops_per_s / 1e9);
        if (n.speed_factor != 1) std::printf("  x%.3g measured times", n.speed_factor);
        // The uplinks of the tasks' devices to this server; devices with the same link share a line.
        std::vector<std::pair<std::string, std::string>> links;  // devices, figures
        for (const auto& t : in.tasks) {
            if (n.tier == tier::local) break;
            const auto& l = env.link_between(t.device, s);
            if (!l) continue;
            const std::string figures = fmt("%.4g Mbit/s", l->bandwidth_Bps * 8 / 1e6) + ", " +
                                        fmt("%.4g ms", l->latency_s * 1e3);
            auto same = std::find_if(links.begin(), links.end(),
                                     [&](const auto& e) { return e.second == figures; });
            if (same == links.end()) links.emplace_back(env[t.device].name, figures);
            else same->first += ", " + env[t.device].name;
        }
        for (std::size_t k = 0; k < links.size(); ++k)
            std::printf("%s%s -> %s: %s", k ? "; " : "   ", links[k].first.c_str(), n.name.c_str(),
                        links[k].second.c_str());
        std::printf("\n");
    }
}

inline void print_placement(const layer_graph& g, const environment& env, std::span<const node_id> x) {
    std::printf("  %-8s %6s %10s %12s   %s\n", "node", "layers", "GFLOP", "params (MB)",
                "runs of consecutive layers (topological order)");
    const auto order = g.topological_order();
    for (node_id s = 0; s < env.size(); ++s) {
        std::size_t layers = 0;
        double flops = 0, params = 0;
        for (layer_id j = 0; j < g.size(); ++j)
            if (x[j] == s) {
                ++layers;
                flops += g[j].flops;
                params += g[j].param_bytes;
            }
        if (layers == 0) continue;
        std::vector<std::pair<std::size_t, std::size_t>> runs;
        for (std::size_t p = 0; p < order.size(); ++p)
            if (x[order[p]] == s) {
                if (!runs.empty() && runs.back().second + 1 == p) runs.back().second = p;
                else runs.emplace_back(p, p);
            }
        std::string text;
        for (std::size_t r = 0; r < runs.size() && r < 3; ++r) {
            text += (r ? ", " : "") + g[order[runs[r].first]].name;
            if (runs[r].second != runs[r].first) text += " .. " + g[order[runs[r].second]].name;
        }
        if (runs.size() > 3) text += ", and " + std::to_string(runs.size() - 3) + " more runs";
        std::printf("  %-8s %6zu %10.3f %12.2f   %s\n", env[s].name.c_str(), layers, flops / 1e9,
                    params / 1e6, text.c_str());
    }
}

inline void print_upload(const layer_graph& g, const environment& env, const task_result& t) {
    const upload_result& chosen = t.uploads.front();
    const upload_plan& plan = chosen.plan;
    double bytes = 0;
    for (const auto& p : plan.partitions) bytes += p.param_bytes;
    std::printf("\nuploading plan (%s): %zu partition(s), %.2f MB, %.2f s over %s's uplink, in this order:\n",
                chosen.planner.c_str(), plan.partitions.size(), bytes / 1e6, plan.upload_s(),
                env[t.input->device].name.c_str());
    std::printf("  %4s %-8s %6s %9s %9s %9s   %s\n", "#", "to", "layers", "MB", "upload s", "acked s",
                "layers");
    for (std::size_t i = 0; i < plan.partitions.size(); ++i) {
        const auto& p = plan.partitions[i];
        std::string names = g[p.layers.front()].name;
        if (p.layers.size() > 1) names += " .. " + g[p.layers.back()].name;
        std::printf("  %4zu %-8s %6zu %9.3f %9.3f %9.3f   %s\n", i + 1, env[p.node].name.c_str(),
                    p.layers.size(), p.param_bytes / 1e6, p.upload_s,
                    chosen.sim.uploads[i].acknowledged_s, names.c_str());
    }
    std::printf("\nqueries while uploading (closed loop: the first runs on %s, the next starts when one "
                "ends; 5 after the upload):\n", env[t.input->device].name.c_str());
    std::printf("  %-10s %10s %9s %15s %18s %16s %12s\n", "planner", "partitions", "upload s",
                "queries during", "mean latency (ms)", "first offload s", "final (ms)");
    for (const auto& u : t.uploads) {
        if (!u.available) {
            std::printf("  %-10s n/a: %s\n", u.planner.c_str(), u.why_not.c_str());
            continue;
        }
        const upload_metrics& m = u.sim.metrics;
        std::printf("  %-10s %10zu %9.2f %15zu %18s %16s %12.2f\n", u.planner.c_str(), m.partitions,
                    m.upload_s, m.queries_during_upload,
                    std::isnan(m.mean_latency_during_upload_s)
                        ? "-" : fmt("%.2f", m.mean_latency_during_upload_s * 1e3).c_str(),
                    std::isnan(m.first_offloaded_s) ? "-" : fmt("%.3f", m.first_offloaded_s).c_str(),
                    m.final_latency_s * 1e3);
    }
}

/// "optimal (proven)", "at most 1.23 % above the optimum", or that no bound is known.
inline std::string gap_text(const optimisation_result& r) {
    if (r.proven_optimal) return "optimal (proven)";
    const double upper = r.value.objective;
    if (!(r.lower_bound > 0) || !std::isfinite(upper)) return "no lower bound known, gap unknown";
    return "at most " + fmt("%.3g", 100 * (upper - r.lower_bound) / r.lower_bound) +
           " % above the optimum (which is at least " + fmt("%.3f", r.lower_bound * 1e3) + " ms)";
}

inline void print_report(const run_result& r, const inputs& in, const options& opt) {
    const environment& env = in.env;
    const bool several = r.tasks.size() > 1;
    for (const auto& t : r.tasks) {
        const layer_graph& g = t.input->graph;
        std::printf("model %s (%s) on %s: %zu layers, %s, %.2f M parameters (%.1f MB), %.3f G MACs\n",
                    g.name().c_str(), t.input->source.c_str(), env[t.input->device].name.c_str(),
                    g.size(), g.is_chain() ? "a chain" : "a DAG", g.total_param_bytes() / 4e6,
                    g.total_param_bytes() / 1e6, g.total_macs() / 1e9);
    }
    print_environment(in);

    std::string how = r.algorithm;
    if (r.algorithm == "pso-ga") how = "pso-ga (hybrid preset)";
    if (r.algorithm == "pso-ga-paper") how = "pso-ga (paper preset)";
    const bool searched = r.algorithm == "pso-ga" || r.algorithm == "pso-ga-paper" ||
                          r.algorithm == "ga" || r.algorithm == "pso" || r.algorithm == "random";
    std::printf("\nmigration plan: %s", how.c_str());
    if (searched) {
        std::printf(", seed %llu, %zu particles, %zu of %zu iterations run", static_cast<unsigned long long>(opt.seed),
                    opt.particles, r.opt.iterations, opt.iterations);
        if (opt.stall) std::printf(" (stop after %zu without improvement)", opt.stall);
        if (r.algorithm == "pso-ga") std::printf(", %s start", opt.start.c_str());
    }
    std::printf(": %zu evaluations in %.3f s\n", r.opt.evaluations, r.plan_seconds);
    for (const auto& t : r.tasks) {
        if (several)
            std::printf(" task %s on %s (completion %.3f ms):\n", t.input->graph.name().c_str(),
                        env[t.input->device].name.c_str(), t.delay_s * 1e3);
        print_placement(t.input->graph, env, t.placement);
    }

    std::printf("\n%s:\n", several ? "mean completion time of the tasks (list-scheduled on shared nodes)"
                                   : "migration delay (sequential model: every compute and transfer time added up)");
    const double mine = r.opt.value.delay_s;
    // An infeasible plan never gets here: run() throws error_kind::infeasible first.
    std::printf("  %-14s %12.3f ms   <- this plan: %s\n", r.algorithm.c_str(), mine * 1e3,
                gap_text(r.opt).c_str());
    for (const auto& [name, v] : r.tiers) {
        if (std::isnan(v)) std::printf("  %-14s %15s   the environment has no such node\n", name.c_str(), "n/a");
        else std::printf("  %-14s %12.3f ms   %.2fx this plan\n", name.c_str(), v * 1e3, v / mine);
    }
    std::printf("  %-14s %12.3f ms   %s\n", r.exact.exact ? "exact" : "reference", r.exact.delay_s * 1e3,
                r.exact.note.c_str());

    if (several)
        std::printf("\n(query latencies below are those of each task alone, sequential model)\n");
    for (const auto& t : r.tasks) {
        if (several) std::printf("\ntask %s on %s:", t.input->graph.name().c_str(), env[t.input->device].name.c_str());
        bool remote = false;
        for (node_id s : t.placement) remote = remote || s != t.input->device;
        if (!remote) {
            std::printf("\nuploading plan: nothing to upload (every layer runs on %s)\n",
                        env[t.input->device].name.c_str());
            continue;
        }
        print_upload(t.input->graph, env, t);
    }
}

// ---------------------------------------------------------------------------------------------
// The run

/// Throws error_kind::infeasible, naming each node whose memory capacity the plan exceeds and by
/// how many bytes, when the best plan found still violates a constraint (the planner sets memory
/// capacities only: no pins, no deadline).
inline void require_feasible(const run_result& r, const environment& env) {
    if (r.opt.value.feasible()) return;
    std::vector<double> load(env.size(), 0.0);
    for (const auto& t : r.tasks)
        for (layer_id j = 0; j < t.placement.size(); ++j) load[t.placement[j]] += t.input->graph[j].param_bytes;
    std::string broken;
    for (node_id s = 0; s < env.size(); ++s)
        if (const auto& capacity = env[s].memory_bytes; capacity && load[s] > *capacity)
            broken += (broken.empty() ? "" : "; ") + std::string("node '") + env[s].name + "' holds " +
                      detail::format_bytes(load[s]) + " parameter bytes, " +
                      detail::format_bytes(load[s] - *capacity) + " over its memory_bytes " +
                      detail::format_bytes(*capacity);
    if (broken.empty()) broken = "violation " + fmt("%g", r.opt.value.violation);
    throw error(error_kind::infeasible, "--algo " + r.algorithm +
                                            ": the best plan found breaks the memory capacities: " + broken);
}

inline int run(const options& opt) {
    const inputs in = load_inputs(opt);
    const profiled_model model(in.env);
    const environment& env = model.env();
    progress_line progress;
    run_result r{.algorithm = opt.algo};
    auto seconds_since = [](auto t) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    };
    const std::size_t horizon = opt.algo.rfind("pso-ga", 0) == 0 || opt.algo == "ga" || opt.algo == "pso"
                                    ? opt.iterations : 0;

    // Capacities that no plan can meet fail here, before any optimising.
    for (const auto& t : in.tasks) check_memory_feasible(t.graph, env, t.device);

    if (in.tasks.size() == 1) {
        const task_input& t = in.tasks.front();
        delay_evaluator problem(t.graph, model, {}, {}, t.device);
        progress.begin("solving exactly (bound and reference)");
        r.exact = exact_reference(t.graph, problem, env, opt);
        progress.begin("planning the migration (" + opt.algo + ")", horizon);
        const auto started = std::chrono::steady_clock::now();
        // PSO-GA starts from what is known (--start seeded): the exact solver's plan and the
        // one-tier plans, so it never ends worse than any of them.
        std::vector<std::vector<node_id>> seeds = tier_plans(problem, env);
        seeds.insert(seeds.begin(), r.exact.placement);
        r.opt = optimise(problem, opt, env, [&] { return r.exact.placement; }, progress, seeds);
        r.plan_seconds = seconds_since(started);
        progress.end();
        // The exact solver's bound holds for every plan of this problem.
        detail::attach_bound(r.opt, r.exact.lower_bound_s);
        r.tiers = tier_references(problem, env);
        r.tasks.push_back({.input = &t, .placement = r.opt.placement, .delay_s = r.opt.value.delay_s});
    } else {
        std::vector<dnn_task> tasks;
        for (const auto& t : in.tasks) tasks.push_back({.graph = t.graph, .device = t.device});
        multi_task_evaluator problem(tasks, model);
        const auto exact = exact_tasks_plan(std::span<const dnn_task>(tasks), model,
                                            exact_options{.time_limit_s = opt.time_limit});
        progress.begin("planning the migration of " + std::to_string(tasks.size()) + " tasks (" +
                       opt.algo + ")", horizon);
        const auto started = std::chrono::steady_clock::now();
        // With several tasks the swarm starts from each task's own optimum and the one-tier
        // plans: contention makes the search space rugged, and these are good, cheap starts.
        std::vector<std::vector<node_id>> seeds = tier_plans(problem, env);
        seeds.insert(seeds.begin(), exact);
        r.opt = optimise(problem, opt, env, [&] { return exact; }, progress, seeds);
        r.plan_seconds = seconds_since(started);
        progress.end();
        r.tiers = tier_references(problem, env);
        r.exact = {.method = "per-task-exact",
                   .note = "each task's own optimum, ignoring the contention between tasks (no "
                           "exact reference exists for several tasks)",
                   .exact = false, .placement = exact,
                   .delay_s = problem.evaluate(std::span<const node_id>(exact)).delay_s,
                   .lower_bound_s = 0, .seconds = 0};
        problem.evaluate(std::span<const node_id>(r.opt.placement));
        const auto completion = problem.completion_times();
        for (std::size_t k = 0; k < in.tasks.size(); ++k) {
            const auto first = r.opt.placement.begin() + static_cast<std::ptrdiff_t>(problem.offset(k));
            r.tasks.push_back({.input = &in.tasks[k],
                               .placement = std::vector<node_id>(first, first + static_cast<std::ptrdiff_t>(in.tasks[k].graph.size())),
                               .delay_s = completion[k]});
        }
    }

    require_feasible(r, env);

    progress.begin("planning the upload (" + opt.upload + ", with ionn and whole for comparison)");
    for (auto& t : r.tasks) {
        std::vector<std::string> planners{opt.upload};
        for (std::string other : {"lmu", "ionn", "whole"})
            if (other != opt.upload) planners.push_back(other);
        for (const auto& p : planners)
            t.uploads.push_back(plan_upload(p, t.input->graph, model, t.placement, t.input->device));
        if (!t.uploads.front().available)
            fail("--upload " + opt.upload + ": " + t.uploads.front().why_not);
    }
    progress.end();

    // Everything is computed: only now write, so a failure above leaves no file behind.
    const std::string document = to_json(r, in, opt).dump(2) + "\n";
    if (!opt.out.empty()) {
        std::vector<std::pair<std::string, std::string>> files{
            {"plan.json", document},
            {"convergence.csv", convergence_csv(r)},
            {"placement.csv", placement_csv(r, env)},
            {"uploads.csv", uploads_csv(r, env)},
            {"timeline.csv", timeline_csv(r)}};
        // The models as planned (docs/formats.md), whatever they were read from.
        for (std::size_t k = 0; k < in.tasks.size(); ++k)
            files.emplace_back(in.tasks.size() == 1 ? "model.json" : "model-" + std::to_string(k + 1) + ".json",
                               eosdnn::to_json(in.tasks[k].graph).dump(2) + "\n");
        write_files(opt.out, files);
    }
    if (opt.json) {
        std::fputs(document.c_str(), stdout);
    } else {
        print_report(r, in, opt);
    }
    return 0;
}

}  // namespace eosdnn::cli
