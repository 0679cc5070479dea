// eosdnn-plan: plans where each layer of a DNN runs (device, edge servers, cloud) and how the
// remote layers are uploaded, then prints the plan, or writes it as JSON and CSV.
//
//   eosdnn-plan                                 ResNet-50 in the default environment
//   eosdnn-plan --model vgg16 --algo exact      any zoo model, profile CSV or model JSON; the
//                                               exact solver proves the optimum on any DAG
//   eosdnn-plan --env env.json --json           an environment file; one JSON document on stdout
//   eosdnn-plan --tasks resnet18,alexnet        several devices, each running its own model
//   eosdnn-plan --uplink shared                 queries' transfers pause the upload
//   eosdnn-plan --out results/                  convergence, placement and query timeline as CSV
//   eosdnn-plan --evaluate results/plan.json    re-price a saved plan (same report or --json)
//   eosdnn-plan --trace trace.csv               a session through the events of a trace,
//   eosdnn-plan --trace-kind walk --seed 2      re-planned by three policies side by side
//
// docs/getting-started.md documents every option, the default environment and the outputs.
#include "planner.hpp"
#include "session_run.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace {

// A whole number from `low` to `high`, checked on the text before CLI11 converts it (it
// clamped "-1" and 2^64 to the largest value, and called 50.5 "not in range").
CLI::Validator integer_in(std::uint64_t low, std::uint64_t high) {
    return CLI::Validator(
        [=](std::string& text) { return eosdnn::cli::integer_problem(text, low, high); },
        "INT in [" + std::to_string(low) + " - " + std::to_string(high) + "]");
}

// A file or directory name: '' is a mistake, not "use the default".
const CLI::Validator non_empty(
    [](std::string& text) {
        return text.empty() ? std::string("an empty name ('') names no file") : "";
    },
    "");

}  // namespace

int main(int argc, char** argv) {
    eosdnn::cli::options opt;
    CLI::App app{
        "eosdnn-plan: plans the layers of a DNN across a device, edge servers and the "
        "cloud (migration plan, PSO-GA) and their upload (uploading plan, LMU)."};
    app.name("eosdnn-plan");
    app.set_version_flag("--version", "eosdnn-plan " + std::string(eosdnn::version_string),
                         "print the version of eosdnn-plan and the library, and exit");
    // The names come from the library, so the help lists what this build knows.
    std::string model_help = "zoo name (";
    for (std::string_view name : eosdnn::zoo_model_names())
        model_help += (model_help.back() == '(' ? "" : ", ") + std::string(name);
    model_help += "), measured profile (";
    for (const std::string& name : eosdnn::measured_profile_names())
        model_help += (model_help.back() == '(' ? "ionn:" : ", ionn:") + name;
    model_help += "), profile CSV, model JSON" EOSDNN_PLAN_ONNX_HELP;
    app.add_option("--model", opt.model, model_help)->check(non_empty)->capture_default_str();
    app.add_option("--env", opt.env,
                   "environment JSON file (docs/formats.md), or 'default': one phone, two edge "
                   "servers, one cloud")
        ->check(non_empty)
        ->capture_default_str();
    app.add_option("--algo", opt.algo, "migration planner")
        ->check(CLI::IsMember(eosdnn::cli::algorithm_names()))
        ->capture_default_str();
    app.add_option("--upload", opt.upload, "uploading planner")
        ->check(CLI::IsMember(eosdnn::cli::upload_names()))
        ->capture_default_str();
    app.add_option("--uplink", opt.uplink,
                   "the device's uplink in the upload's simulation: 'separate' (the queries' "
                   "transfers do not slow the upload) or 'shared' (they pause it; LMU plans for "
                   "it and every compared planner is simulated under it)")
        ->check(CLI::IsMember(eosdnn::cli::uplink_names()))
        ->capture_default_str();
    auto* tasks = app.add_option("--tasks", opt.tasks,
                                 "several tasks: MODEL[@DEVICE],MODEL[@DEVICE],... one per local "
                                 "device (the default environment gets one phone per task)");
    app.add_option("--seed", opt.seed, "random seed")
        ->check(integer_in(0, std::numeric_limits<std::uint64_t>::max()))
        ->capture_default_str();
    app.add_option("--particles", opt.particles,
                   "swarm or population size (>= 1; ga, which crosses two parents, >= 2)")
        ->check(integer_in(1, 100000))
        ->capture_default_str();
    app.add_option("--iterations", opt.iterations, "iterations or generations (>= 1)")
        ->check(integer_in(1, 10000000))
        ->capture_default_str();
    app.add_option("--stall", opt.stall,
                   "stop after this many iterations without improvement (0: never; pso-ga, "
                   "pso-ga-paper, ga, pso, random)")
        ->check(integer_in(0, 10000000))
        ->capture_default_str();
    app.add_option("--start", opt.start,
                   "pso-ga's initial swarm: 'seeded' (the exact solver's plan and the one-tier "
                   "plans, then random particles) or 'random' (all random, as in the paper)")
        ->check(CLI::IsMember(eosdnn::cli::start_names()))
        ->capture_default_str();
    app.add_option("--time-limit", opt.time_limit,
                   "seconds for the whole run: the exact reference (the lower bound, --algo "
                   "exact), the optimiser and the uploading plans share them; a solver stopped "
                   "by it keeps the best plan and bound found; 0: no limit")
        ->check(CLI::Validator(
            [](std::string& text) { return eosdnn::cli::number_problem(text, 0, 1e9); },
            "NUMBER in [0 - 1e9]"))
        ->capture_default_str();
    app.add_option("--exact-solver", opt.exact_solver,
                   "the exact solver: 'native' (bucket elimination and branch and bound), 'cbc' "
                   "(the integer program, when built with eosdnn::milp) or 'auto' (native for a "
                   "quarter of its time, then cbc from its plan unless it proved it; native "
                   "alone when built without eosdnn::milp)")
        ->check(CLI::IsMember(eosdnn::cli::exact_solver_names()))
        ->capture_default_str();
    app.add_option("--threads", opt.threads, "threads evaluating a swarm (same result for any)")
        ->check(integer_in(1, 1024))
        ->capture_default_str();
    app.add_flag("--json", opt.json, "print one JSON document on stdout instead of the report");
    app.add_flag("--quiet", opt.quiet,
                 "no progress line on stderr (it is shown only when stderr is a terminal)");
    app.add_option("--out", opt.out,
                   "directory for plan.json (the --json document), model.json, convergence.csv, "
                   "placement.csv, uploads.csv and timeline.csv (created if missing; each file "
                   "written atomically); with --trace or --trace-kind: session.json, trace.csv, "
                   "session_queries.csv, session_plans.csv, session_uplink.csv and session.svg")
        ->check(non_empty);
    auto* evaluate =
        app.add_option("--evaluate", opt.evaluate,
                       "re-price a saved plan.json (a --json document) instead of planning: "
                       "its models and environment unless --model / --env are given")
            ->check(non_empty);
    auto* trace = app.add_option("--trace", opt.trace,
                                 "simulate a session instead of planning once: replay this trace "
                                 "CSV (time_s,kind,target,value; docs/replanning.md) with "
                                 "closed-loop queries, re-planning at each event by three "
                                 "policies side by side (never, from-scratch, upload-aware)")
                      ->check(non_empty);
    auto* trace_kind =
        app.add_option("--trace-kind", opt.trace_kind,
                       "a session on a generated trace instead of a file: 'step' (the link's "
                       "bandwidth drops to 1/8 at 10 s), 'walk' (a random walk every 2 s until "
                       "60 s) or 'tunnel' (drops to 1/80 for 2.5-7.5 s every 10-30 s until 60 s); "
                       "random ones drawn with --seed")
            ->check(CLI::IsMember(eosdnn::cli::trace_kind_names()));
    auto* trace_link = app.add_option("--trace-link", opt.trace_link,
                                      "the link a generated trace changes, FROM->TO by node "
                                      "names (default: the device's fastest uplink; both "
                                      "directions when the reverse link exists)")
                           ->check(non_empty);
    auto* duration =
        app.add_option("--duration", opt.duration,
                       "seconds of session (--trace, --trace-kind); default: the trace's last "
                       "event + 30")
            ->check(CLI::Validator(
                [](std::string& text) { return eosdnn::cli::number_problem(text, 0.001, 1e7); },
                "NUMBER in [0.001 - 1e7]"));
    trace->excludes(trace_kind);
    trace_link->needs(trace_kind);
#if defined(EOSDNN_HAS_ONNX_IMPORTER)
    // ONNX files: fixed input shapes and named dimensions (onnx_import_options, docs/onnx.md).
    std::vector<std::string> input_shapes, dims;
    app.add_option("--input-shape", input_shapes,
                   "ONNX: the complete shape of a data input, NAME=D1xD2x... (input=1x3x224x224); "
                   "repeatable");
    app.add_option("--dim", dims,
                   "ONNX: the size of a named dimension, NAME=VALUE (sequence=128); repeatable");
    app.add_flag("--zero-cost-unknown-ops", eosdnn::cli::onnx_options().zero_cost_unknown_ops,
                 "ONNX: import operators of unknown cost (custom domains, If/Loop/Scan) as layers "
                 "that cost nothing, with a warning, instead of refusing the model");
#endif
    app.get_option("--model")->excludes(tasks);
    evaluate->excludes(tasks);
    // --evaluate re-prices the saved plan as it was found: the search settings are the
    // document's, so these options would be ignored; refused instead of ignored in silence.
    for (const char* search : {"--algo", "--seed", "--particles", "--iterations", "--stall",
                               "--start", "--exact-solver", "--time-limit", "--threads"})
        evaluate->excludes(app.get_option(search));
    // A session plans with the re-planner (the exact solver, PSO-GA when it runs out of time,
    // LMU's rule): the options of the one-off planner do not apply to it.
    for (auto* session : {trace, trace_kind})
        for (const char* other :
             {"--tasks", "--evaluate", "--algo", "--upload", "--uplink", "--particles",
              "--iterations", "--stall", "--start", "--exact-solver", "--time-limit", "--threads"})
            session->excludes(app.get_option(other));
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "eosdnn-plan: %s (see eosdnn-plan --help)\n", e.what());
        return 2;
    }
    const bool session = !opt.trace.empty() || !opt.trace_kind.empty();
    if (!session && duration->count() > 0) {
        std::fprintf(stderr,
                     "eosdnn-plan: --duration is for sessions: it needs --trace or --trace-kind "
                     "(see eosdnn-plan --help)\n");
        return 2;
    }
    // A signal while --out is being written removes the run's temporaries before it ends us.
    eosdnn::remove_temporaries_on_signals();
    // But the first SIGINT or SIGTERM only stops the search: the best plan so far is reported
    // and written, marked as interrupted, and the exit status is then 128 + the signal's number
    // (130 for Ctrl-C), as if the signal had ended us. A second one ends us at once.
    static eosdnn::stop_request interrupt;
    eosdnn::stop_on_signals(interrupt);
    opt.stop = &interrupt;
    opt.model_given = app.count("--model") > 0;
    opt.env_given = app.count("--env") > 0;
    opt.upload_given = app.count("--upload") > 0;
    opt.uplink_given = app.count("--uplink") > 0;
    try {
#if defined(EOSDNN_HAS_ONNX_IMPORTER)
        for (const std::string& text : input_shapes)
            eosdnn::add_input_shape(eosdnn::cli::onnx_options(), text);
        for (const std::string& text : dims)
            eosdnn::add_dim_value(eosdnn::cli::onnx_options(), text);
#endif
        const int status = session ? eosdnn::cli::run_session(opt) : eosdnn::cli::run(opt);
        return interrupt.requested() ? 128 + interrupt.signal_number() : status;
    } catch (const std::exception& e) {
        // One line: the warnings that may explain the failure go on it, not on lines of their own.
        std::string line = eosdnn::cli::one_line(e.what());
        for (const std::string& w : eosdnn::cli::warnings()) line += "; warning: " + w;
        std::fprintf(stderr, "eosdnn-plan: %s\n", eosdnn::detail::printable(line).c_str());
        return 1;
    }
}
