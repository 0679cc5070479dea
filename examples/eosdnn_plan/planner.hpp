#pragma once
// The work of eosdnn-plan behind its command line, on the library's report and io headers:
// load the inputs (io/load_model.hpp, io/default_environment.hpp) or a saved plan document
// (io/plan_document.hpp, --evaluate), plan the migration with the chosen optimiser, compare it
// (report/comparison.hpp), plan and simulate the uploads (upload_outcomes, the one place that
// calls the uploading planners; with several tasks also together, simulate_together), then print
// (report/report_text.hpp) or write the document and the tables (report/plan_report.hpp,
// io/atomic_file.hpp). eosdnn_plan.cpp parses the arguments.
#include "progress_line.hpp"
#include "run_budget.hpp"

#include <eosdnn/eosdnn.hpp>
#include <eosdnn/io/limits.hpp>

#if defined(EOSDNN_HAS_MILP_BACKEND)
#include <eosdnn/milp/cbc.hpp>
#include <eosdnn/milp/portfolio.hpp>
#endif
#if defined(EOSDNN_HAS_ONNX_IMPORTER)
#include <eosdnn/io/onnx.hpp>
#define EOSDNN_PLAN_ONNX_HELP " or ONNX file"
#else
#define EOSDNN_PLAN_ONNX_HELP ""
#endif

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace eosdnn::cli {

/// What the command line says.
struct options {
    std::string model = "resnet50";
    std::string env = "default";
    std::string algo = "pso-ga";
    std::string upload = "lmu";
    /// Whether the queries' transfers share the device's uplink with the upload and pause it
    /// ("shared": simulation_options::uplink = queries_first) or not ("separate").
    std::string uplink = "separate";
    std::vector<std::string> tasks{};
    std::uint64_t seed = 1;
    std::size_t particles = 50;
    std::size_t iterations = 300;
    std::size_t stall = 100;       ///< iterations without improvement before stopping; 0: never
    std::string start = "seeded";  ///< pso-ga's initial swarm: "seeded" or "random"
    /// Seconds for the whole run (run_budget): the exact reference, the optimiser and the
    /// uploading plans share them; 0: none.
    double time_limit = 10;
    /// "auto" (solve_portfolio when built with eosdnn::milp, else solve_exact), "native"
    /// (solve_exact) or "cbc" (solve_milp)
    std::string exact_solver = "auto";
    std::size_t threads = 1;
    bool json = false;
    bool quiet = false;  ///< no progress line
    std::string out{};
    std::string evaluate{};  ///< a plan document to re-price instead of planning
    /// A session instead of a plan (session_run.hpp): a trace CSV to replay, or a trace to
    /// generate ("step", "walk", "tunnel"; with `seed`), the link a generated trace changes
    /// ("FROM->TO", "": the device's fastest uplink) and the session's length (0: the trace's
    /// last event plus session_tail_s).
    std::string trace{};
    std::string trace_kind{};
    std::string trace_link{};
    double duration = 0;
    bool model_given = false, env_given = false, upload_given = false, uplink_given = false;
    /// Set by SIGINT or SIGTERM (main installs io/stop_on_signals.hpp): the searches end with
    /// their best plan, which is then reported and written marked as interrupted.
    const stop_request* stop = nullptr;
};

inline std::vector<std::string> algorithm_names() {
    return {"pso-ga", "pso-ga-paper", "ga",        "pso",      "exact",
            "greedy", "random",       "all-local", "all-edge", "all-cloud"};
}
inline std::vector<std::string> start_names() { return {"seeded", "random"}; }
inline std::vector<std::string> exact_solver_names() { return {"auto", "native", "cbc"}; }
/// The uploading planners, by the names their name() records (upload/*.hpp).
inline std::vector<std::string> upload_names() {
    return {"lmu", "emdl", "ionn", "layer-by-layer", "whole"};
}
/// The uplink models of --uplink, by the names report/upload_comparison.hpp's uplink_name() gives.
inline std::vector<std::string> uplink_names() { return {"separate", "shared"}; }

/// A message on one line: every line break becomes "; ".
inline std::string one_line(std::string text) {
    std::string out;
    for (char c : text) {
        if (c != '\n' && c != '\r')
            out += c;
        else if (!out.empty() && out.back() != ' ')
            out += "; ";
    }
    while (!out.empty() && (out.back() == ' ' || out.back() == ';')) out.pop_back();
    return out;
}

/// `text` as a message quotes it: control characters escaped, and cut after 40 bytes (a seed
/// of 100,000 digits must not make a message of 100 kB).
inline std::string quoted(const std::string& text) {
    if (text.size() <= 40) return "'" + detail::printable(text) + "'";
    return "'" + detail::printable(text.substr(0, 40)) + "...' (" + std::to_string(text.size()) +
           " characters)";
}

/// A file name as a message quotes it: control characters escaped, never cut (quoted() cuts
/// after 40 bytes, and a path cut short names no file).
inline std::string file_quoted(const std::string& path) {
    return "'" + detail::printable(path) + "'";
}

/// Why `text`, the value of an integer option, is not a decimal integer from `low` to `high`
/// ("" if it is). CLI11 read "-1", "18446744073709551616" and a 100,000-digit number as the
/// largest unsigned value, and called 50.5 "not in range" instead of not an integer.
inline std::string integer_problem(const std::string& text, std::uint64_t low, std::uint64_t high) {
    const std::string range =
        "a whole number from " + std::to_string(low) + " to " + std::to_string(high);
    if (text.empty() ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return quoted(text) + " is not an integer: expected " + range;
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < low || value > high)
        return quoted(text) + " is out of range: expected " + range;
    return {};
}

// Writes the report: a full disk, /dev/full or a closed pipe must not pass for success, so the
// write and the flush are checked, and the message says why they failed.
inline void write_stdout(const std::string& text) {
    errno = 0;
    if (std::fputs(text.c_str(), stdout) == EOF || std::fflush(stdout) != 0 || std::ferror(stdout))
        throw error(error_kind::io, std::string("standard output: ") +
                                        (errno ? std::strerror(errno) : "write failed"));
}

/// Why `text` is not a decimal number from `low` to `high` ("" if it is); CLI11 said "Value abc
/// not in range 0.000000 to 1000000000.000000".
inline std::string number_problem(const std::string& text, double low, double high) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    const std::string range =
        "a number from " + detail::format_number(low) + " to " + detail::format_number(high);
    if (text.empty() || ec == std::errc::invalid_argument || end != text.data() + text.size())
        return quoted(text) + " is not a number: expected " + range;
    if (ec != std::errc{} || !(value >= low && value <= high))
        return quoted(text) + " is out of range: expected " + range;
    return {};
}

[[noreturn]] inline void fail(const std::string& what) {
    throw error(error_kind::validation, what);
}

/// The warnings of this run (the ONNX importer's): printed when it succeeds, or folded into the
/// one stderr line of its failure (eosdnn_plan.cpp), so that a failing run prints one line.
inline std::vector<std::string>& warnings() {
    static std::vector<std::string> pending;
    return pending;
}

#if defined(EOSDNN_HAS_ONNX_IMPORTER)
/// How ONNX files are imported: --input-shape and --dim (eosdnn_plan.cpp) fill it.
inline onnx_import_options& onnx_options() {
    static onnx_import_options options;
    return options;
}
#endif

/// The readers of optional file types this build has (ONNX with eosdnn::onnx).
inline std::vector<model_reader> model_readers() {
#if defined(EOSDNN_HAS_ONNX_IMPORTER)
    return {{".onnx", "ONNX", [](const std::filesystem::path& path) {
                 onnx_import_result r = import_onnx(path, onnx_options());
                 // The importer's warnings start with the file name already.
                 for (const std::string& w : r.warnings) warnings().push_back(one_line(w));
                 return std::move(r.graph);
             }}};
#else
    return {};
#endif
}

/// One model to plan and the device that owns it.
struct task_input {
    std::string spec;
    loaded_model model;
    node_id device = 0;
};

struct inputs {
    environment env;
    std::string env_source;
    std::vector<task_input> tasks;
};

/// `spec` as --model / --tasks means it; `option` names the option in messages.
inline loaded_model load(const std::string& spec, const std::string& option) {
    try {
        return load_model(spec, model_readers());
    } catch (const error&
                 e) {  // "--model 'x' is neither a file nor a zoo model", file errors as they are
        if (e.what()[0] != '\'') throw;
        throw error(e.kind(), option + " " + e.what());
    }
}

/// The environment and the tasks: MODEL[@DEVICE] specs, devices named or the next free local
/// node; the default environment gets one phone per task.
inline inputs load_inputs(const options& opt,
                          std::vector<std::pair<std::string, std::string>> specs) {
    const std::string option = opt.tasks.empty() ? "--model" : "--tasks";
    inputs in{.env = environment{}, .env_source = opt.env, .tasks = {}};
    if (opt.env == "default") {
        for (const auto& s : specs)
            if (!s.second.empty())
                fail("--tasks '" + s.first + "@" + s.second +
                     "': devices can be named only with --env; the "
                     "default environment has one phone per task (phone1, phone2, ...)");
        in.env = default_environment(specs.size());
    } else {
        try {
            in.env = environment_from_json(read_json_file(opt.env));
        } catch (const error& e) {
            const std::string what = e.what();
            throw error(e.kind(),
                        what.find(opt.env) == std::string::npos ? opt.env + ": " + what : what);
        }
    }
    const std::vector<node_id> locals = in.env.nodes_of(tier::local);
    std::vector<bool> taken(in.env.size(), false);
    std::vector<node_id> devices(specs.size(), 0);
    // Named devices first, then each task without @DEVICE takes the next local node that no
    // task names: "alexnet,vgg16@p1" puts alexnet on p2, not on p1 and then fails.
    for (int named = 1; named >= 0; --named)
        for (std::size_t k = 0, next = 0; k < specs.size(); ++k) {
            const auto& [model, device_name] = specs[k];
            if (device_name.empty() == (named == 1)) continue;
            node_id device = 0;
            if (device_name.empty()) {
                while (next < locals.size() && taken[locals[next]]) ++next;
                if (next == locals.size())
                    fail("--tasks: " + std::to_string(specs.size()) +
                         " tasks but the environment has " + std::to_string(locals.size()) +
                         " local device(s) (one task per device)");
                device = locals[next];
            } else {
                // --evaluate --env names the document's devices, not a --tasks the user gave.
                const std::string task = opt.evaluate.empty()
                                             ? "--tasks '" + model + "@" + device_name + "'"
                                             : "--evaluate: the document's device '" + device_name +
                                                   "' (model '" + model + "') in --env " +
                                                   file_quoted(opt.env);
                const auto found = in.env.find(device_name);
                if (!found) fail(task + ": the environment has no node '" + device_name + "'");
                if (in.env[*found].tier != tier::local)
                    fail(task + ": '" + device_name + "' is not a local device");
                device = *found;
            }
            if (taken[device])
                fail("--tasks: two tasks on device '" + in.env[device].name +
                     "' (one task per device)");
            taken[device] = true;
            devices[k] = device;
        }
    for (std::size_t k = 0; k < specs.size(); ++k)
        in.tasks.push_back({specs[k].first, load(specs[k].first, option), devices[k]});
    if (in.env.nodes_of(tier::edge).empty() && in.env.nodes_of(tier::cloud).empty())
        fail("environment " + in.env_source + " has no edge or cloud node: nothing to offload to");
    return in;
}

inline std::vector<std::pair<std::string, std::string>> task_specs(const options& opt) {
    std::vector<std::pair<std::string, std::string>> specs;  // model, device ("" = next local)
    if (opt.tasks.empty()) specs.emplace_back(opt.model, "");
    // Split here, not by CLI11, which dropped the empty item of "alexnet,,vgg16".
    std::vector<std::string> items;
    for (const std::string& given : opt.tasks)
        for (std::size_t begin = 0;;) {
            const std::size_t comma = given.find(',', begin);
            items.push_back(given.substr(begin, comma - begin));
            if (comma == std::string::npos) break;
            begin = comma + 1;
            if (items.size() > limits::max_tasks) break;
        }
    if (items.size() > limits::max_tasks)
        fail("--tasks: more than " + std::to_string(limits::max_tasks) +
             " tasks, the limit (docs/limits.md)");
    for (std::size_t k = 0; k < items.size(); ++k) {
        const std::string& item = items[k];
        const auto at = item.rfind('@');
        if (item.empty())
            fail("--tasks: task " + std::to_string(k + 1) +
                 " is empty (expected MODEL[@DEVICE],MODEL[@DEVICE],...)");
        if (at == std::string::npos)
            specs.emplace_back(item, "");
        else if (at == 0 || at + 1 == item.size())
            fail("--tasks '" + item + "': expected MODEL@DEVICE with both parts non-empty");
        else
            specs.emplace_back(item.substr(0, at), item.substr(at + 1));
    }
    return specs;
}

/// --evaluate: the document's tasks on its environment (or --model / --env), and the options it
/// was planned with. A model file that is gone is read from the model JSON --out wrote beside it.
inline inputs load_document(options& opt, const plan_document& doc) {
    opt.algo = doc.search.algorithm;
    opt.seed = doc.search.seed;
    opt.particles = doc.search.particles;
    opt.iterations = doc.search.iterations_planned;
    opt.stall = doc.search.stall;
    opt.start = doc.search.start;
    opt.time_limit = doc.search.time_limit_s;
    opt.exact_solver = doc.search.exact_solver;
    if (!opt.upload_given) opt.upload = doc.upload_planner;
    // A document from before --uplink says nothing: it was simulated with a separate uplink.
    if (!opt.uplink_given && !doc.uplink.empty()) {
        uplink_from_name(doc.uplink, "--evaluate: the document's upload uplink");
        opt.uplink = doc.uplink;
    }
    if (opt.model_given && doc.tasks.size() > 1)
        fail("--model: the document has " + std::to_string(doc.tasks.size()) +
             " tasks; --evaluate reads their models from it");
    std::vector<std::pair<std::string, std::string>> specs;
    const auto dir = std::filesystem::path(opt.evaluate).parent_path();
    for (std::size_t k = 0; k < doc.tasks.size(); ++k) {
        std::string spec = opt.model_given ? opt.model : doc.tasks[k].model_spec;
        const auto beside =
            dir /
            (doc.tasks.size() == 1 ? "model.json" : "model-" + std::to_string(k + 1) + ".json");
        const bool zoo = std::ranges::find(zoo_model_names(), spec) != zoo_model_names().end();
        std::error_code ec;
        if (!opt.model_given && !zoo && !std::filesystem::exists(spec, ec) &&
            std::filesystem::exists(beside, ec))
            spec = beside.string();
        specs.emplace_back(spec, opt.env_given && opt.env != "default" ? doc.tasks[k].device : "");
    }
    if (opt.env_given) return load_inputs(opt, specs);
    inputs in{.env = doc.env, .env_source = doc.environment_source, .tasks = {}};
    for (std::size_t k = 0; k < doc.tasks.size(); ++k)
        in.tasks.push_back(
            {specs[k].first, load(specs[k].first, "--evaluate: model"), device_of(doc, k)});
    return in;
}

/// The files --out writes for `tasks` tasks, a plan's (run()) or a session's (run_session()).
/// The writers name them too (plan_tables(), session_files()); run() checks what it writes again.
inline std::vector<std::string> out_file_names(const options& opt, std::size_t tasks) {
    if (!opt.trace.empty() || !opt.trace_kind.empty())
        return {"session.json",      "trace.csv",          "session_queries.csv",
                "session_plans.csv", "session_uplink.csv", "session.svg"};
    std::vector<std::string> names{"plan.json", "convergence.csv", "placement.csv", "uploads.csv",
                                   "timeline.csv"};
    for (std::size_t k = 0; k < tasks; ++k)
        names.push_back(tasks == 1 ? "model.json" : "model-" + std::to_string(k + 1) + ".json");
    return names;
}

/// An input file of the run: the option that named it and its path (a zoo name or "default" is
/// no file and never matches one).
struct input_file {
    std::string option, path;
};

/// The input files the command line names: the models of --model / --tasks, --env, --evaluate
/// and --trace.
inline std::vector<input_file> named_inputs(const options& opt) {
    std::vector<input_file> files;
    const std::string model_option = opt.tasks.empty() ? "--model" : "--tasks";
    if (opt.evaluate.empty() || opt.model_given)
        for (const auto& [model, device] : task_specs(opt)) files.push_back({model_option, model});
    if (opt.env != "default") files.push_back({"--env", opt.env});
    if (!opt.evaluate.empty()) files.push_back({"--evaluate", opt.evaluate});
    if (!opt.trace.empty()) files.push_back({"--trace", opt.trace});
    return files;
}

/// Refuses an --out that would replace one of `inputs` with one of the files `names`:
/// `--model DIR/model.json --out DIR` replaced the user's model with the model as planned.
/// Compared as files (std::filesystem::equivalent: the same file under another name, through
/// "..", a symbolic link or a hard link), not as strings. A file --out has not written yet
/// cannot be an input, which exists.
inline void refuse_out_over_inputs(const options& opt, std::span<const std::string> names,
                                   std::span<const input_file> inputs) {
    if (opt.out.empty()) return;
    for (const std::string& name : names) {
        const std::filesystem::path target = std::filesystem::path(opt.out) / name;
        for (const input_file& in : inputs) {
            std::error_code ec;
            if (in.path.empty() || !std::filesystem::exists(target, ec) ||
                !std::filesystem::exists(in.path, ec) ||
                !std::filesystem::equivalent(target, in.path, ec) || ec)
                continue;
            fail("--out " + file_quoted(opt.out) + " would overwrite " + name +
                 ", which is the file " + file_quoted(in.path) + " of " + in.option +
                 "; nothing was written: give --out another directory");
        }
    }
}

/// Why the search of `r` ended before its planned iterations, for the search record
/// ("interrupted", "time-limit", "stall"), or "" if it ran them all or does not iterate.
inline std::string stop_reason(const optimisation_result& r, const options& opt) {
    if (r.stopped_by_request || stop_requested(opt.stop)) return "interrupted";
    if (r.stopped_by_time_limit) return "time-limit";
    const bool iterative = opt.algo.starts_with("pso") || opt.algo == "ga";
    if (iterative && opt.stall && r.iterations < opt.iterations) return "stall";
    return "";
}

/// Runs the chosen optimiser on `problem`. `seeds` start the hybrid PSO-GA's swarm.
template <placement_problem Problem>
optimisation_result optimise(Problem& problem, const options& opt, const environment& env,
                             const std::vector<node_id>& exact_plan, progress_line& progress,
                             std::span<const std::vector<node_id>> seeds) {
    auto observe = [&](const iteration_record& r, std::span<const node_id>) {
        progress.update(r.iteration, r.best_objective);
    };
    const stop_request* halt = opt.stop;
    const std::string& a = opt.algo;
    // --stall 0 means never: a stall count no run reaches.
    const default_stop stop{max_iterations{},
                            stall_iterations{opt.stall ? opt.stall : ~std::size_t{0}}};
    if (a == "pso-ga") {
        pso_ga_options o = hybrid_options();
        o.population = opt.particles;
        o.iterations = opt.iterations;
        o.threads = opt.threads;
        o.time_limit_s = opt.time_limit;
        o.stop = halt;
        if (opt.stall) o.polish_after_stall = std::min(o.polish_after_stall, opt.stall);
        const auto start = opt.start == "seeded" ? seeds.first(std::min(seeds.size(), o.population))
                                                 : std::span<const std::vector<node_id>>{};
        return pso_ga<segment_reset_mutation>(o, {}, {}, {}, {}, stop)
            .solve(problem, opt.seed, start, observe);
    }
    if (a == "pso-ga-paper")
        return pso_ga<>({.population = opt.particles,
                         .iterations = opt.iterations,
                         .threads = opt.threads,
                         .time_limit_s = opt.time_limit,
                         .stop = halt},
                        {}, {}, {}, {}, stop)
            .solve(problem, opt.seed, {}, observe);
    if (a == "ga")
        return genetic_algorithm<>({.population = opt.particles,
                                    .generations = opt.iterations,
                                    .threads = opt.threads,
                                    .stall = opt.stall,
                                    .time_limit_s = opt.time_limit,
                                    .stop = halt})
            .solve(problem, opt.seed, observe);
    if (a == "pso")
        return discrete_pso<>({.population = opt.particles,
                               .iterations = opt.iterations,
                               .threads = opt.threads,
                               .stall = opt.stall,
                               .time_limit_s = opt.time_limit,
                               .stop = halt})
            .solve(problem, opt.seed, observe);
    if (a == "random")
        return random_search<>({.evaluations = opt.particles * opt.iterations,
                                .threads = opt.threads,
                                .stall = opt.stall,
                                .time_limit_s = opt.time_limit,
                                .stop = halt})
            .solve(problem, opt.seed, observe);
    if (a == "greedy")
        return greedy_per_layer(false, opt.time_limit, halt).solve(problem, opt.seed, observe);
    for (auto [name, t] : {std::pair{"all-local", tier::local}, std::pair{"all-edge", tier::edge},
                           std::pair{"all-cloud", tier::cloud}})
        if (a == name) {
            if (env.nodes_of(t).empty())
                fail("--algo " + a + ": the environment has no " + std::string(to_string(t)) +
                     " node");
            return tier_baseline(env, t).solve(problem);
        }
    if (a != "exact") fail("--algo '" + a + "' is unknown");
    const evaluation v = problem.evaluate(std::span<const node_id>(exact_plan));
    return {.placement = exact_plan,
            .value = v,
            .iterations = 1,
            .evaluations = 1,
            .log = {{.iteration = 0,
                     .evaluations = 1,
                     .best_objective = v.objective,
                     .best_violation = v.violation,
                     .mean_objective = v.objective,
                     .diversity = 0}}};
}

/// The nodes a layer of one task may use, for the exact reference's note: the servers and the
/// task's own device.
inline std::size_t reference_nodes(const environment& env) {
    return env.nodes_of(tier::edge).size() + env.nodes_of(tier::cloud).size() + 1;
}

/// The exact reference of one task (auto, native or cbc): proven optimal unless the time limit
/// stopped it.
template <class Problem>
exact_reference exact_reference_for(const layer_graph& graph, Problem& problem,
                                    const environment& env, const options& opt, double time_limit_s,
                                    progress_line& progress) {
    const exact_options limits{
        .time_limit_s = time_limit_s,
        .stop = opt.stop,
        .on_progress = [&](double best, double lower) { progress.update_bound(best, lower); }};
    exact_result e;
    if (opt.exact_solver == "cbc") {
#if defined(EOSDNN_HAS_MILP_BACKEND)
        e = solve_milp(graph, problem, limits);
#else
        (void)graph;
        fail(
            "--exact-solver cbc: this eosdnn-plan was built without the integer-program backend "
            "(eosdnn::milp, found when Debian's coinor-libcbc-dev is installed)");
#endif
    } else if (opt.exact_solver == "auto") {
        // The native solver first, then CBC from its plan if it has not proven it (milp/
        // portfolio.hpp); without the backend, the native solver alone.
#if defined(EOSDNN_HAS_MILP_BACKEND)
        e = solve_portfolio(graph, problem, limits);
#else
        (void)graph;
        e = solve_exact(problem, limits);
#endif
    } else {
        e = solve_exact(problem, limits);
    }
    return exact_reference_of(e, reference_nodes(env), time_limit_s);
}

/// Whether the plan gets a second exact round (second_exact_round()): the hybrid PSO-GA started
/// from the exact reference's plan (--algo pso-ga, --start seeded), under a time limit. The
/// baselines and --start random keep the optimiser's own plan, so that they can be compared.
inline bool second_round_applies(const options& opt) {
    return opt.algo == "pso-ga" && opt.start == "seeded" && opt.time_limit > 0;
}

/// The second round of the exact reference of one task: when the first round did not prove its
/// plan, the exact solver runs again from the optimiser's plan `x` with what is left of `budget`
/// after `reserve_s` (the optimiser stops after its stall, in milliseconds on memory-bound DAGs
/// where the exact solver used all of its half), and `x` becomes its plan when that is better.
/// `c`, the comparison of `x`, is made again with both rounds in its reference
/// (exact_reference_after()).
///
/// The solver is CBC (solve_milp) unless --exact-solver native or the planner is built without
/// eosdnn::milp: from the optimiser's plan it improved or proved every plan the native solver or
/// both in turn left unproven on memory-bound DAGs (docs/exact.md, "A second round"). CBC checks
/// its clock between steps and from a starting plan can run past its limit, so it is given the
/// time left less what it ran past its limit in the first round (auto, cbc); when that leaves
/// too little, or too little for its set-up on this model (milp_fits()), the native solver,
/// which keeps to its limit, gets the whole of it.
template <class Problem>
void second_exact_round(const layer_graph& graph, Problem& problem, const environment& env,
                        const options& opt, const run_budget& budget, double reserve_s,
                        std::vector<node_id>& x, plan_comparison& c, progress_line& progress) {
    double limit = budget.second_round_s(reserve_s);
    if (limit <= 0) return;
    bool cbc = false;
#if defined(EOSDNN_HAS_MILP_BACKEND)
    if (opt.exact_solver != "native") {
        const double overrun = std::max(0.0, c.exact.seconds - c.exact.time_limit_s);
        const double cbc_limit = budget.second_round_s(reserve_s + overrun);
        cbc = cbc_limit > 0 && milp_fits(graph, problem.choices(0).size(), cbc_limit);
        if (cbc) limit = cbc_limit;
    }
#endif
    progress.begin("solving exactly again, from the optimiser's plan", 0, limit);
    const exact_options limits{
        .time_limit_s = limit,
        .stop = opt.stop,
        .on_progress = [&](double best, double lower) { progress.update_bound(best, lower); },
        .incumbent = x};
    exact_result e;
#if defined(EOSDNN_HAS_MILP_BACKEND)
    if (cbc) e = solve_milp(graph, problem, limits);
#endif
    if (!cbc) e = solve_exact(problem, limits);
    progress.end();
    (void)graph;
    const double from = c.value.delay_s;
    if (e.value.feasible() && e.constraints_honoured && better(e.value, c.value)) x = e.placement;
    exact_reference reference =
        exact_reference_after(std::move(c.exact), e, from, limit, reference_nodes(env));
    c = compare_plan(problem, env, std::span<const node_id>(x), std::move(reference),
                     c.lower_bound_s);
}

/// Plans the migration on `problem` (unless `x` already holds a placement: --evaluate) and
/// compares it with the references; fills the search record.
template <placement_problem Problem>
plan_comparison plan_and_compare(Problem& problem, const environment& env, const options& opt,
                                 exact_reference exact, std::vector<node_id>& x,
                                 search_record& search, progress_line& progress,
                                 const std::string& what) {
    double bound = 0;
    if (x.empty()) {
        // PSO-GA starts from what is known (--start seeded): the exact reference's plan and the
        // one-tier plans, so it never ends worse than any of them.
        std::vector<std::vector<node_id>> seeds = tier_plans(problem, env);
        seeds.insert(seeds.begin(), exact.placement);
        // The iterations the progress line counts: random search draws batches of 100.
        std::size_t horizon = 0;
        if (opt.algo.starts_with("pso") || opt.algo == "ga") horizon = opt.iterations;
        if (opt.algo == "random") horizon = (opt.particles * opt.iterations + 99) / 100 - 1;
        progress.begin("planning the migration" + what + " (" + opt.algo + ")", horizon,
                       opt.time_limit);
        const auto started = std::chrono::steady_clock::now();
        const optimisation_result r = optimise(problem, opt, env, exact.placement, progress, seeds);
        search.plan_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        progress.end();
        search.evaluations = r.evaluations;
        search.iterations = r.iterations;
        search.convergence = r.log;
        search.stopped_by = stop_reason(r, opt);
        x = r.placement;
        bound = r.lower_bound;
    }
    return compare_plan(problem, env, std::span<const node_id>(x), std::move(exact), bound);
}

/// Every uploading planner's plan for one task: the chosen one first, then lmu, ionn and whole
/// for comparison. The only place that calls the uploading planners. Every planner is simulated
/// under `uplink`, and LMU, which plans for the simulation it is judged by, is given it too.
template <class Model>
std::vector<upload_outcome> upload_outcomes(const std::string& chosen, const layer_graph& g,
                                            const Model& model, std::span<const node_id> x,
                                            node_id device, uplink_sharing uplink) {
    const simulation_options sim = upload_simulation_options(model.env(), x, device, uplink);
    std::vector<upload_outcome> out;
    std::vector<std::string> planners{chosen};
    for (std::string other : {"lmu", "ionn", "whole"})
        if (other != chosen) planners.push_back(other);
    for (const std::string& p : planners)
        out.push_back(plan_and_simulate(p, g, model, sim, [&]() -> upload_plan {
            const upload_problem<Model> problem(g, model, x, device);
            if (p == "lmu") return lmu_planner{.simulation = sim}.plan(problem);
            if (p == "emdl") return emdl_planner{}.plan(problem);
            if (p == "ionn") return ionn_planner{}.plan(problem);
            if (p == "layer-by-layer") return layer_by_layer_planner{}.plan(problem);
            if (p == "whole") return whole_model_planner{}.plan(problem);
            fail("--upload '" + p + "' is unknown (known: lmu, emdl, ionn, layer-by-layer, whole)");
        }));
    return out;
}

/// Several tasks: each planner's plans of every task simulated together (simulate_tasks(): the
/// tasks' queries list-scheduled on the nodes they share), into each outcome's `together`. One
/// simulation_options serves every task there, so the acknowledgement latency is the largest of
/// the tasks' own (upload_simulation_options()); the rest is what each task alone was simulated
/// with, the uplink model included (--uplink shared: each task's queries pause its own upload,
/// timed by the joint schedule). A planner that could not plan some task leaves `together`
/// unsimulated with the reason.
template <class Model>
void simulate_together(plan_report& r, const Model& model) {
    const std::size_t planners = r.tasks.front().uploads.size();
    simulation_options sim{};
    for (const task_report& t : r.tasks) {
        const simulation_options own =
            upload_simulation_options(model.env(), t.placement, t.device, r.uplink);
        sim.horizon_queries = own.horizon_queries;
        sim.uplink = own.uplink;
        sim.ack_latency_s = std::max(sim.ack_latency_s, own.ack_latency_s);
    }
    const auto set_all = [&](std::size_t p, const contention_outcome& c) {
        for (task_report& t : r.tasks) t.uploads[p].together = c;
    };
    for (std::size_t p = 0; p < planners; ++p) {
        std::vector<upload_task> tasks;
        std::string refused;
        for (std::size_t k = 0; k < r.tasks.size(); ++k) {
            const upload_outcome& u = r.tasks[k].uploads[p];
            if (!u.available && refused.empty())
                refused = u.planner + " could not plan task " + std::to_string(k + 1);
            if (u.available) tasks.push_back({.graph = *r.tasks[k].graph, .plan = u.plan});
        }
        if (!refused.empty()) {
            set_all(p, {.why_not = refused});
            continue;
        }
        try {
            const task_simulation_result together =
                simulate_tasks(std::span<const upload_task>(tasks), model, sim);
            for (std::size_t k = 0; k < r.tasks.size(); ++k)
                r.tasks[k].uploads[p].together = {.simulated = true,
                                                  .tasks = tasks.size(),
                                                  .alone = together.alone[k],
                                                  .shared = together.tasks[k].metrics};
        } catch (const error& e) {  // reported as not simulated, as a planner's refusal is
            set_all(p, {.why_not = one_line(e.what())});
        }
    }
}

/// Refuses a model that costs nothing on its device (the documented 4-column CSV, an ONNX file
/// of uncosted operators): all of it runs there in 0 s, no plan can do better, and the query
/// simulation of the uploading planners has no latency to work with. Saying what is missing
/// helps more than a zero-delay plan and an error about --upload.
inline void require_cost(const task_input& t, const profiled_model& priced, const options& opt) {
    const environment& env = priced.env();
    const layer_graph& g = t.model.graph;
    for (layer_id j = 0; j < g.size(); ++j)
        if (priced.compute_time(g[j], t.device) > 0) return;
    const std::string option = !opt.evaluate.empty() ? "--evaluate: model"
                               : opt.tasks.empty()   ? "--model"
                                                     : "--tasks";
    fail(option + " " + quoted(t.spec) + ": model '" + detail::printable(g.name()) +
         "' costs nothing on its device '" + detail::printable(env[t.device].name) +
         "': no layer has macs, flops or a measured client time, so all of it runs there in 0 s "
         "and there is nothing to plan; give its layers macs or flops (or client_ms and "
         "server_ms; docs/formats.md)");
}

/// True for the optimisers that search until a stall or the time limit (the others compute one
/// plan: exact, the one-tier plans).
inline bool searches(const std::string& algo) {
    return algo != "exact" && !algo.starts_with("all-");
}

/// Throws error_kind::infeasible naming each node whose memory the plan exceeds.
inline void require_feasible(const plan_report& r, const options& opt) {
    if (r.comparison.value.feasible()) return;
    const environment& env = *r.env;
    std::vector<double> load(env.size(), 0.0);
    for (const auto& t : r.tasks)
        for (layer_id j = 0; j < t.placement.size(); ++j)
            load[t.placement[j]] += (*t.graph)[j].param_bytes;
    std::string broken;
    for (node_id s = 0; s < env.size(); ++s)
        if (const auto& capacity = env[s].memory_bytes; capacity && load[s] > *capacity)
            broken += (broken.empty() ? "" : "; ") + std::string("node '") + env[s].name +
                      "' holds " + detail::format_bytes(load[s]) + " parameter bytes, " +
                      detail::format_bytes(load[s] - *capacity) + " over its memory_bytes " +
                      detail::format_bytes(*capacity);
    if (broken.empty()) broken = "violation " + std::to_string(r.comparison.value.violation);
    // --evaluate searched nothing: the saved plan breaks the capacities of its environment.
    const std::string what =
        opt.evaluate.empty()
            ? "--algo " + r.search.algorithm + ": the best plan found"
            : "--evaluate " + file_quoted(opt.evaluate) + ": the saved plan, in " +
                  (opt.env_given ? "--env " + file_quoted(opt.env) : "the document's environment") +
                  ",";
    throw error(error_kind::infeasible, what + " breaks the memory capacities: " + broken);
}

inline int run(options opt) {
    const run_budget budget(opt.time_limit);
    // Before any work: an --out over an input file is refused, not found out after the plan.
    std::vector<input_file> input_files = named_inputs(opt);
    refuse_out_over_inputs(opt, out_file_names(opt, opt.tasks.empty() ? 1 : task_specs(opt).size()),
                           input_files);
    std::optional<plan_document> doc;  // --evaluate: the saved plans
    // The reader's messages say which key ("plan document JSON /device: ..."), not which file.
    if (!opt.evaluate.empty()) {
        try {
            doc = plan_document_from_json(read_json_file(opt.evaluate));
        } catch (const error& e) {
            const std::string what = e.what();
            if (what.find(opt.evaluate) != std::string::npos) throw;
            throw error(e.kind(), "--evaluate " + file_quoted(opt.evaluate) + ": " + what);
        }
    }
    const inputs in = doc ? load_document(opt, *doc) : load_inputs(opt, task_specs(opt));
    // --evaluate's models: the document names them (or a model.json beside it).
    for (const task_input& t : in.tasks) input_files.push_back({"--evaluate: model", t.spec});
    refuse_out_over_inputs(opt, out_file_names(opt, in.tasks.size()), input_files);
    std::vector<node_id> x;  // --evaluate: the saved placements, one task after the other
    for (std::size_t k = 0; doc && k < in.tasks.size(); ++k) {
        const auto placement = plan_of(*doc, k, in.tasks[k].model.graph, in.env).placement;
        x.insert(x.end(), placement.begin(), placement.end());
    }
    // Several tasks: the reference is each task's own optimum with the capacities left out
    // (per_task_reference), which the native solver proves; CBC would have been ignored. A
    // document saved before this was refused may say cbc: --evaluate takes it as it was run.
    if (!doc && in.tasks.size() > 1 && opt.exact_solver == "cbc")
        fail(
            "--exact-solver cbc: with several tasks the reference is each task's own optimum "
            "without the memory capacities, which the native solver finds; use --exact-solver "
            "native or auto");
    if (opt.algo == "ga" && opt.particles < 2)
        fail("--particles " + std::to_string(opt.particles) +
             ": --algo ga needs a population of at least 2 (it crosses two parents)");
    const uplink_sharing uplink = uplink_from_name(opt.uplink, "--uplink");
    // One model for every task: it holds a copy of the environment.
    const profiled_model model(in.env);
    for (const auto& t : in.tasks) require_cost(t, model, opt);
    // Capacities that no plan can meet fail here, before any optimising.
    for (const auto& t : in.tasks) check_memory_feasible(t.model.graph, in.env, t.device);
    const environment& env = model.env();
    progress_line progress(!opt.quiet);
    plan_report r{.env = &env,
                  .environment_source = in.env_source,
                  .search = {.algorithm = opt.algo,
                             .seed = opt.seed,
                             .particles = opt.particles,
                             .iterations_planned = opt.iterations,
                             .stall = opt.stall,
                             .start = opt.start,
                             .time_limit_s = opt.time_limit,
                             .exact_solver = opt.exact_solver},
                  .upload_planner = opt.upload,
                  .comparison = {},
                  .tasks = {},
                  .uplink = uplink};
    if (doc) r.search = doc->search;  // how the saved plan was found
    for (const auto& t : in.tasks)
        r.tasks.push_back({.graph = &t.model.graph,
                           .model_spec = t.spec,
                           .model_source = t.model.source,
                           .device = t.device});

    // The uploading plans come after the optimiser, inside the same budget: plan the first
    // task's uploads on its reference placement now, and leave the optimiser the budget minus
    // that time for every task. The outcome is reused when the final plan is that placement.
    std::vector<node_id> estimated_placement;
    std::vector<upload_outcome> estimated_uploads;
    const auto upload_reserve_s = [&](std::span<const node_id> reference) {
        if (!budget.limited() || !x.empty() || !searches(opt.algo)) return 0.0;
        const task_input& first = in.tasks.front();
        if (reference.size() < first.model.graph.size()) return 0.0;
        const auto started = std::chrono::steady_clock::now();
        estimated_placement.assign(
            reference.begin(),
            reference.begin() + static_cast<std::ptrdiff_t>(first.model.graph.size()));
        estimated_uploads = upload_outcomes(opt.upload, first.model.graph, model,
                                            estimated_placement, first.device, uplink);
        return budget.upload_reserve_s(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
            in.tasks.size());
    };
    // The optimiser sees the options with its share of the budget as its time limit; the exact
    // reference gets at most half of the budget when an optimiser runs after it
    // (run_budget::exact_limit_s).
    options search_opt = opt;
    const bool optimiser_follows = x.empty() && searches(opt.algo);
    if (in.tasks.size() == 1) {
        const task_input& t = in.tasks.front();
        delay_evaluator problem(t.model.graph, model, {}, {}, t.device);
        const double exact_limit = budget.exact_limit_s(optimiser_follows, 1);
        progress.begin("solving exactly (bound and reference)", 0, exact_limit);
        exact_reference exact =
            exact_reference_for(t.model.graph, problem, env, opt, exact_limit, progress);
        const double reserve_s = upload_reserve_s(exact.placement);
        search_opt.time_limit = budget.left_s(reserve_s);
        r.comparison =
            plan_and_compare(problem, env, search_opt, std::move(exact), x, r.search, progress, "");
        if (optimiser_follows && second_round_applies(opt) && !r.comparison.proven_optimal &&
            !stop_requested(opt.stop))
            second_exact_round(t.model.graph, problem, env, opt, budget, reserve_s, x, r.comparison,
                               progress);
        r.tasks.front().placement = x;
        r.tasks.front().delay_s = r.comparison.value.delay_s;
    } else {
        std::vector<dnn_task> tasks;
        for (const auto& t : in.tasks)
            tasks.push_back({.graph = t.model.graph, .device = t.device});
        multi_task_evaluator problem(tasks, model);
        // Each task's exact solve gets an equal share of the exact reference's.
        const double exact_limit = budget.exact_limit_s(optimiser_follows, tasks.size());
        progress.begin("solving each task exactly (reference)", 0,
                       exact_limit * static_cast<double>(tasks.size()));
        exact_reference exact =
            per_task_reference(problem, std::span<const dnn_task>(tasks), model,
                               exact_options{.time_limit_s = exact_limit, .stop = opt.stop});
        search_opt.time_limit = budget.left_s(upload_reserve_s(exact.placement));
        r.comparison = plan_and_compare(problem, env, search_opt, std::move(exact), x, r.search,
                                        progress, " of " + std::to_string(tasks.size()) + " tasks");
        const std::vector<double> completion =
            problem.completion_times(std::span<const node_id>(x));
        for (std::size_t k = 0; k < tasks.size(); ++k) {
            const auto first = x.begin() + static_cast<std::ptrdiff_t>(problem.offset(k));
            r.tasks[k].placement.assign(first,
                                        first + static_cast<std::ptrdiff_t>(tasks[k].graph.size()));
            r.tasks[k].delay_s = completion[k];
        }
    }
    require_feasible(r, opt);

    progress.begin("planning the upload (" + opt.upload + ", with ionn and whole for comparison)");
    for (std::size_t k = 0; k < r.tasks.size(); ++k) {
        auto& t = r.tasks[k];
        if (k == 0 && !estimated_uploads.empty() && t.placement == estimated_placement)
            t.uploads = std::move(estimated_uploads);
        else
            t.uploads = upload_outcomes(opt.upload, *t.graph, model, t.placement, t.device, uplink);
        if (!t.uploads.front().available)
            fail("--upload " + opt.upload + ": " + t.uploads.front().why_not);
    }
    if (r.several()) simulate_together(r, model);
    progress.end();

    // Everything is computed: only now write, so a failure above leaves no file behind.
    const std::string document = to_json(to_document(r)).dump(2) + "\n";
    if (!opt.out.empty()) {
        std::vector<file_text> files = plan_tables(r);
        files.insert(files.begin(), {"plan.json", document});
        for (std::size_t k = 0; k < r.tasks.size();
             ++k)  // the models as planned, whatever they were read from
            files.push_back(
                {r.tasks.size() == 1 ? "model.json" : "model-" + std::to_string(k + 1) + ".json",
                 to_json(*r.tasks[k].graph).dump(2) + "\n"});
        // The names written, whatever out_file_names() says (checked before the work).
        std::vector<std::string> names;
        for (const file_text& f : files) names.push_back(f.name);
        refuse_out_over_inputs(opt, names, input_files);
        try {
            write_files_atomically(opt.out, files);
        } catch (const error& e) {
            throw error(e.kind(), "--out: " + std::string(e.what()));
        }
    }
    const std::string text = opt.json ? document : report_text(r);
    for (const std::string& w : warnings())
        std::fprintf(stderr, "eosdnn-plan: warning: %s\n", detail::printable(w).c_str());
    write_stdout(text);
    return 0;
}

}  // namespace eosdnn::cli
