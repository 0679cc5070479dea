// The ctest check of eosdnn-plan (planner.check): runs the built binary and verifies
//  - that --json prints one JSON document with the documented fields (lower_bound_s at most the
//    delay, equal to it when proven_optimal), and that its
//    migration_delay_s equals an independent evaluation of its placement: sequential_delay(), the
//    plain formula of optim/exact.hpp, on the model rebuilt from its name and the environment
//    read back from the document (the planner itself prices placements with delay_evaluator);
//  - that --out writes plan.json (the same document), model.json and the four CSV files, and no
//    temporary file;
//  - that VGG-16 with seed 4 ends at the proven optimum, seeded or from a random start, and that
//    --stall stops a run early;
//  - that bad arguments and bad files give exactly one line on stderr, nothing on stdout, a
//    non-zero exit and no output directory, and say what is wrong (issue 15: integers CLI11
//    clamped, empty items, a model without cost, devices, sums past the largest double);
//  - that a task without @DEVICE takes a local node no other task names;
//  - sessions (issue 16): --trace on a trace written here, upload-aware completing at least as
//    many queries as never re-planning and as re-planning from scratch, the --out files, a
//    generated trace the same for the same seed, bad trace rows refused naming file and line;
//  - that the exact reference gets at most half of --time-limit when an optimiser runs after it;
//    that a one-tier plan over a memory capacity is marked infeasible; that --out over an input
//    file is refused; that --evaluate's errors name the document, not options never given.
//
//   eosdnn_plan_check PATH/TO/eosdnn-plan WORK_DIR
#include "check_support.hpp"

#include <eosdnn/eosdnn.hpp>
#include <eosdnn/replan/trace_csv.hpp>

#include <sys/wait.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
namespace support = eosdnn::check;

namespace {

using support::expect;
using support::slurp;

using support::outcome;
constexpr auto run = support::run_planner;

std::size_t lines(const std::string& text) {
    std::size_t n = 0;
    for (char c : text) n += c == '\n';
    return n;
}

// The model a document names: a zoo model, or the profile CSV it was read from; otherwise (an
// ONNX file) the model.json that --out wrote next to it.
eosdnn::layer_graph model_of(const nlohmann::json& j, const fs::path& out_dir) {
    const std::string source = j.at("model_source");
    const std::string prefix = "profile CSV ";
    if (source.rfind(prefix, 0) == 0) return eosdnn::read_profile_csv(source.substr(prefix.size()));
    if (source == "zoo") return eosdnn::zoo_model(j.at("model").get<std::string>());
    return eosdnn::model_from_json(eosdnn::read_json_file(out_dir / "model.json"));
}

// Checks one --json run of a single task.
void check_single(const std::string& planner, const fs::path& work, const std::string& args,
                  const std::string& label) {
    const fs::path out_dir = work / ("out-" + label);
    fs::remove_all(out_dir);
    const outcome o = run(planner, work, args + " --json --out '" + out_dir.string() + "'");
    expect(o.status == 0,
           label + ": exit status " + std::to_string(o.status) + ", stderr: " + o.err);
    if (o.status != 0) return;
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(o.out);
    } catch (const std::exception& e) {
        expect(false, label + ": stdout is not one JSON document: " + e.what());
        return;
    }
    for (const char* key : {"model", "model_source", "model_summary", "placement", "evaluation",
                            "migration_delay_s", "lower_bound_s", "proven_optimal", "algorithm",
                            "evaluations", "iterations", "iterations_planned", "plan_seconds",
                            "convergence", "upload", "environment", "references"})
        expect(j.contains(key), label + ": no key '" + key + "'");
    if (!j.contains("lower_bound_s") || !j.contains("proven_optimal") || !j.contains("iterations"))
        return;
    // The bound never exceeds the plan; a proven plan meets it; iterations run <= planned.
    const double delay = j["migration_delay_s"].get<double>(),
                 bound = j["lower_bound_s"].get<double>();
    expect(bound <= delay * (1 + 1e-12), label + ": lower_bound_s above migration_delay_s");
    if (j["proven_optimal"].get<bool>())
        expect(delay - bound <= 1e-9 * delay,
               label + ": proven_optimal but the bound is below the plan");
    expect(j["iterations"].get<std::size_t>() <= j["iterations_planned"].get<std::size_t>(),
           label + ": more iterations run than planned");
    for (const char* key : {"name", "layers", "param_bytes", "macs"})
        expect(j["model_summary"].contains(key), label + ": no key model_summary." + key);
    expect(j["upload"].contains("partitions") && j["upload"].contains("metrics"),
           label + ": upload lacks partitions or metrics");

    const eosdnn::layer_graph g = model_of(j, out_dir);
    const eosdnn::environment env = eosdnn::environment_from_json(j["environment"]);
    expect(j["model_summary"]["layers"].get<std::size_t>() == g.size(),
           label + ": model_summary.layers");
    expect(std::abs(j["model_summary"]["param_bytes"].get<double>() - g.total_param_bytes()) <= 0.5,
           label + ": model_summary.param_bytes");
    std::vector<eosdnn::node_id> x(g.size(), 0);
    std::vector<int> seen(g.size(), 0);
    for (const auto& p : j["placement"]) {
        const auto layer = g.find(p.at("layer").get<std::string>());
        const auto node = env.find(p.at("node").get<std::string>());
        expect(layer && node, label + ": placement names an unknown layer or node");
        if (!layer || !node) return;
        x[*layer] = *node;
        ++seen[*layer];
    }
    for (int s : seen)
        expect(s == 1, label + ": a layer is placed " + std::to_string(s) + " times");
    const auto device = env.find(j.at("device").get<std::string>());
    expect(device.has_value(), label + ": unknown device");
    const eosdnn::profiled_model model(env);
    const double independent =
        eosdnn::sequential_delay(g, model, std::span<const eosdnn::node_id>(x), device.value_or(0));
    const double reported = j["migration_delay_s"].get<double>();
    expect(std::abs(reported - independent) <= 1e-9 * independent,
           label + ": migration_delay_s " + std::to_string(reported) +
               " but the placement evaluates to " + std::to_string(independent));

    // The uploading plan covers every remote layer exactly once, each on its placed node.
    std::vector<int> uploaded(g.size(), 0);
    for (const auto& part : j["upload"]["partitions"])
        for (const auto& name : part.at("layers")) {
            const auto layer = g.find(name.get<std::string>());
            expect(layer && env[x[*layer]].name == part.at("node").get<std::string>(),
                   label + ": partition layer on another node");
            if (layer) ++uploaded[*layer];
        }
    for (eosdnn::layer_id l = 0; l < g.size(); ++l)
        expect(uploaded[l] == (x[l] != device.value_or(0) ? 1 : 0),
               label + ": layer '" + g[l].name + "' uploaded " + std::to_string(uploaded[l]) +
                   " times");

    for (const char* file : {"plan.json", "model.json", "convergence.csv", "placement.csv",
                             "uploads.csv", "timeline.csv"}) {
        // uploads.csv has only its header when every layer stays on the device.
        const std::string text = slurp(out_dir / file);
        expect(lines(text) >= (std::string(file) == "uploads.csv" ? 1u : 2u),
               label + ": " + file + " missing or empty");
    }
    expect(slurp(out_dir / "plan.json") == o.out, label + ": plan.json differs from stdout");
    for (const auto& entry : fs::directory_iterator(out_dir))
        expect(entry.path().filename().string().find(".tmp") == std::string::npos,
               label + ": temporary file left behind: " + entry.path().string());
}

// A bad invocation: one line on stderr, nothing on stdout, non-zero exit, no output directory.
void check_rejected(const std::string& planner, const fs::path& work, const std::string& args,
                    const std::string& label) {
    const fs::path out_dir = work / "out-rejected";
    fs::remove_all(out_dir);
    const outcome o = run(planner, work, args + " --out '" + out_dir.string() + "'");
    expect(o.status != 0, label + ": exit status 0");
    expect(lines(o.err) == 1 && o.err.rfind("eosdnn-plan: ", 0) == 0,
           label + ": stderr is not one 'eosdnn-plan: ...' line: " + o.err);
    expect(o.out.empty(), label + ": something on stdout");
    expect(!fs::exists(out_dir), label + ": the output directory was created");
}

// A bad invocation as check_rejected, whose one stderr line also contains `says`.
void check_rejected_saying(const std::string& planner, const fs::path& work,
                           const std::string& args, const std::string& label,
                           const std::string& says) {
    check_rejected(planner, work, args, label);
    const outcome o = run(planner, work, args);
    expect(o.err.find(says) != std::string::npos,
           label + ": stderr does not say \"" + says + "\": " + o.err);
}

// The queries' transfers as the upload sees them (--uplink, issue 11): the model used is in the
// report and the document and read back by --evaluate. On AlexNet a shared uplink lets LMU
// complete fewer queries during the upload (723 against 741 when this was written), not more: the
// upload only pauses for the queries and the counting window is the same. The whole model's upload
// sends no query traffic (every query is local until its one partition is acknowledged), so it is
// not changed at all.
void check_uplink(const std::string& planner, const fs::path& work) {
    std::map<std::string, nlohmann::json> doc;
    const fs::path saved = work / "out-uplink";
    fs::remove_all(saved);
    for (const std::string uplink : {"separate", "shared"}) {
        const std::string out = uplink == "shared" ? " --out '" + saved.string() + "'" : "";
        const outcome o =
            run(planner, work, "--model alexnet --algo exact --json --uplink " + uplink + out);
        expect(o.status == 0, "--uplink " + uplink + ": " + o.err);
        if (o.status != 0) return;
        doc[uplink] = nlohmann::json::parse(o.out);
        expect(doc[uplink]["upload"]["uplink"] == uplink,
               "--uplink " + uplink + ": upload.uplink is not '" + uplink + "'");
        const outcome text = run(planner, work, "--model alexnet --algo exact --uplink " + uplink);
        expect(text.out.find("; " + uplink + " uplink: ") != std::string::npos,
               "--uplink " + uplink + ": the report does not name the uplink model");
    }
    const auto metric = [&](const std::string& uplink, const char* planner_name, const char* key) {
        return doc[uplink]["upload"]["compared"][planner_name][key];
    };
    const std::size_t separate = metric("separate", "lmu", "queries_during_upload"),
                      shared = metric("shared", "lmu", "queries_during_upload");
    expect(shared <= separate, "--uplink shared: LMU completes more queries during the upload (" +
                                   std::to_string(shared) + ") than separate (" +
                                   std::to_string(separate) + ")");
    // IONN's plan does not depend on the simulation: the same partitions, only paused.
    expect(metric("shared", "ionn", "upload_s") >= metric("separate", "ionn", "upload_s"),
           "--uplink shared: IONN's upload ends earlier than with a separate uplink");
    for (const char* key : {"queries_during_upload", "upload_s", "mean_latency_during_upload_s"})
        expect(metric("shared", "whole", key) == metric("separate", "whole", key),
               std::string("--uplink shared changes the whole model's ") + key);
    // --evaluate re-prices under the document's uplink model unless --uplink says otherwise.
    const outcome again =
        run(planner, work, "--evaluate '" + (saved / "plan.json").string() + "' --json");
    expect(again.status == 0, "--evaluate of a shared-uplink plan: " + again.err);
    if (again.status == 0) {
        const auto j = nlohmann::json::parse(again.out);
        expect(j["upload"]["uplink"] == "shared" &&
                   j["upload"]["metrics"] == doc["shared"]["upload"]["metrics"],
               "--evaluate: the shared-uplink plan is not re-priced as it was planned");
    }
    check_rejected_saying(planner, work, "--uplink both", "an unknown uplink model",
                          "--uplink: both not in {separate,shared}");
    check_rejected(planner, work, "--trace-kind step --uplink shared", "--uplink in a session");
}

// Several tasks simulated together (simulate_tasks): every task's upload section has "together"
// with the contended and the alone metrics of each compared planner, under either uplink model.
// Two phones that share no server do not meet, so together equals alone to the last bit; on a
// chain (AlexNet) both also equal the task's own simulation ("metrics": the sequential model),
// the queries exactly and the mean latency up to rounding (with the shared uplink the walk adds
// a transfer's offset to its query's start, the list schedule keeps absolute times).
void check_together(const std::string& planner, const fs::path& work) {
    // Each phone reaches the other's server only over a link no plan uses (1 kbit/s, 10 s).
    const fs::path apart = work / "two-phones-apart.json";
    std::ofstream(apart) << R"({"nodes": [
        {"name": "p1", "tier": "local", "flops_per_s": 2e10},
        {"name": "p2", "tier": "local", "flops_per_s": 2e10},
        {"name": "e1", "tier": "edge", "flops_per_s": 1e12},
        {"name": "e2", "tier": "edge", "flops_per_s": 1e12}],
      "links": [{"from": "p1", "to": "e1", "bandwidth_mbps": 40, "latency_s": 0.004},
                {"from": "p2", "to": "e2", "bandwidth_mbps": 80, "latency_s": 0.004},
                {"from": "p1", "to": "e2", "bandwidth_mbps": 0.001, "latency_s": 10},
                {"from": "p2", "to": "e1", "bandwidth_mbps": 0.001, "latency_s": 10},
                {"from": "e1", "to": "e2", "bandwidth_mbps": 0.001, "latency_s": 10}]})";
    for (const std::string uplink : {"separate", "shared"}) {
        const std::string args = "--env '" + apart.string() +
                                 "' --tasks alexnet@p1,alexnet@p2 --algo exact --json --uplink " +
                                 uplink;
        const std::string label = "--tasks apart --uplink " + uplink;
        const outcome o = run(planner, work, args);
        expect(o.status == 0, label + ": " + o.err);
        if (o.status != 0) continue;
        const auto j = nlohmann::json::parse(o.out);
        expect(j["upload"]["uplink"] == uplink, label + ": upload.uplink is not '" + uplink + "'");
        std::size_t checked = 0;
        for (const auto& task : j["tasks"]) {
            const auto& u = task["upload"];
            expect(u.contains("together") && u.contains("compared_together"),
                   label + ": an upload section without together / compared_together");
            if (!u.contains("compared_together")) continue;
            for (const auto& [name, t] : u["compared_together"].items()) {
                expect(
                    t.value("tasks", 0) == 2 && t.contains("metrics") && t.contains("alone"),
                    label + ": together." + name + " lacks tasks, metrics or alone: " + t.dump());
                if (!t.contains("metrics") || !t.contains("alone")) continue;
                ++checked;
                expect(t["metrics"] == t["alone"],
                       label + ": " + name + " together differs from alone: " + t.dump());
                const auto& own = u["compared"][name];
                expect(own["queries_during_upload"] == t["alone"]["queries_during_upload"],
                       label + ": " + name +
                           ": alone completes another number of queries "
                           "than the task's own simulation");
                for (const char* key : {"mean_latency_during_upload_s", "upload_s"}) {
                    const double a = own[key].get<double>(), b = t["alone"][key].get<double>();
                    expect(std::abs(a - b) <= 1e-9 * a,
                           label + ": " + name + ": " + key + " alone " + std::to_string(b) +
                               " but " + std::to_string(a) + " in the task's own simulation");
                }
            }
            expect(u["together"] == u["compared_together"][u["planner"].get<std::string>()],
                   label + ": together is not the chosen planner's");
        }
        expect(checked == 6, label + ": " + std::to_string(checked) +
                                 " planners simulated together, expected 3 per task");
    }
    // CBC is refused with several tasks, whose reference the native solver finds; it was
    // ignored without a word.
    check_rejected_saying(planner, work, "--tasks alexnet,resnet18 --exact-solver cbc",
                          "--tasks with --exact-solver cbc", "with several tasks");
    const outcome text = run(planner, work, "--tasks alexnet,resnet18 --algo exact");
    expect(text.out.find("all tasks together") != std::string::npos &&
               text.out.find("queries alone -> together") != std::string::npos,
           "--tasks: the report has no table of the tasks together");
    // Two phones on the default environment's servers with the shared uplink: simulated
    // together; the queries' transfers only pause each task's upload, so no upload ends earlier
    // than the same plans' with the separate uplink.
    std::map<std::string, nlohmann::json> docs;
    for (const std::string uplink : {"separate", "shared"}) {
        const outcome o =
            run(planner, work, "--tasks alexnet,resnet18 --algo exact --json --uplink " + uplink);
        expect(o.status == 0, "--tasks --uplink " + uplink + ": " + o.err);
        if (o.status == 0) docs[uplink] = nlohmann::json::parse(o.out);
    }
    if (docs.size() == 2) {
        const auto& shared = docs["shared"];
        expect(shared["upload"]["uplink"] == "shared",
               "--tasks --uplink shared: upload.uplink is not 'shared'");
        for (std::size_t k = 0; k < shared["tasks"].size(); ++k) {
            const auto& together = shared["tasks"][k]["upload"]["together"];
            const std::string label = "--tasks --uplink shared: task " + std::to_string(k + 1);
            expect(together.value("tasks", 0) == 2 && together.contains("metrics"),
                   label + ": not simulated together: " + together.dump());
            if (!together.contains("metrics")) continue;
            // The same plans under both (LMU plans for the uplink it is judged by; IONN does not
            // look at it, and offloads early, so its queries do pause its upload).
            const auto& a = docs["separate"]["tasks"][k]["upload"]["compared_together"]["ionn"];
            const auto& b = shared["tasks"][k]["upload"]["compared_together"]["ionn"];
            expect(a.contains("metrics") && b.contains("metrics") &&
                       b["metrics"]["upload_s"].get<double>() >=
                           a["metrics"]["upload_s"].get<double>(),
                   label + ": IONN's upload ends earlier with the shared uplink");
        }
    }
}

// Issue 15: options CLI11 clamped or dropped, inputs past a limit, a model without cost, named
// devices taken first.
void check_inputs_and_limits(const std::string& planner, const fs::path& work,
                             const fs::path& two_phones) {
    check_rejected_saying(planner, work, "--particles 50.5", "fractional particles",
                          "--particles: '50.5' is not an integer: expected a whole number from "
                          "1 to 100000");
    check_rejected_saying(planner, work, "--seed -1", "negative seed",
                          "--seed: '-1' is not an integer");
    check_rejected_saying(planner, work, "--seed 18446744073709551616", "seed past 2^64-1",
                          "'18446744073709551616' is out of range: expected a whole number "
                          "from 0 to 18446744073709551615");
    check_rejected_saying(planner, work, "--seed " + std::string(100000, '7'), "huge seed",
                          "(100000 characters) is out of range");
    check_rejected_saying(planner, work, "--time-limit abc", "time limit not a number",
                          "--time-limit: 'abc' is not a number");
    check_rejected_saying(planner, work, "--tasks alexnet,,vgg16", "an empty task",
                          "--tasks: task 2 is empty");
    check_rejected_saying(planner, work, "--tasks alexnet,", "a trailing comma",
                          "--tasks: task 2 is empty");
    const outcome no_out = run(planner, work, "--model alexnet --algo exact --out ''");
    expect(no_out.status == 2 && lines(no_out.err) == 1 &&
               no_out.err.find("--out: an empty name ('')") != std::string::npos,
           "--out '': not refused in one line: " + no_out.err);

    // The documented 4-column CSV: it costs nothing on the device, said so in one line.
    const fs::path free_model = work / "free.csv";
    std::ofstream(free_model) << "name,inputs,output_bytes,param_bytes\nin,,100,0\nfc,in,10,4000\n";
    check_rejected_saying(planner, work, "--model '" + free_model.string() + "'",
                          "a model without cost",
                          "model 'free' costs nothing on its device 'phone': no layer has macs, "
                          "flops or a measured client time");
    // /dev/zero behind a CSV name is refused, not read until memory runs out.
    const fs::path zero = work / "z.csv";
    fs::remove(zero);
    fs::create_symlink("/dev/zero", zero);
    check_rejected_saying(planner, work, "--model '" + zero.string() + "'", "/dev/zero as CSV",
                          "it is a character device, not a regular file");
    // Sums past the largest double: refused naming the model.
    const fs::path huge = work / "huge.json";
    std::ofstream(huge) << R"({"name": "huge", "input_bytes": 1, "layers": [
        {"name": "a", "flops": 1, "device_time_s": 1e308},
        {"name": "b", "flops": 1, "device_time_s": 1e308, "inputs": ["a"]}]})";
    check_rejected_saying(planner, work, "--model '" + huge.string() + "'", "overflowing sums",
                          "model 'huge': the device_time_s of its layers add up past the largest "
                          "double");
    // A model JSON without input bytes: told what to write.
    const fs::path no_input = work / "no-input.json";
    std::ofstream(no_input) << R"({"name": "m", "layers": [{"name": "a", "flops": 5},
        {"name": "b", "flops": 5, "inputs": ["a"]}]})";
    check_rejected_saying(planner, work, "--model '" + no_input.string() + "'",
                          "missing input bytes",
                          "give the bytes of the model input as "
                          "\"input_bytes\" at the root");
    // A node name with ESC: refused, and nothing raw reaches the terminal.
    const fs::path escape = work / "escape.json";
    std::ofstream(escape) << R"({"nodes": [{"name": "phone", "tier": "local", "flops_per_s": 2e10},
        {"name": "ed\u001b[2Jge", "tier": "edge", "flops_per_s": 1e12}],
      "links": [{"from": "phone", "to": "ed\u001b[2Jge", "bandwidth_mbps": 50}]})";
    check_rejected_saying(planner, work, "--env '" + escape.string() + "'", "ESC in a node name",
                          "the node name 'ed\\x1B[2Jge' has the control or invisible character");
    // 1e-400 would read as 0 (the CSV reader refused it already).
    const fs::path tiny = work / "tiny-latency.json";
    std::ofstream(tiny) << R"({"nodes": [{"name": "phone", "tier": "local", "flops_per_s": 2e10},
        {"name": "edge", "tier": "edge", "flops_per_s": 1e12}],
      "links": [{"from": "phone", "to": "edge", "bandwidth_mbps": 50, "latency_s": 1e-400}]})";
    check_rejected_saying(planner, work, "--env '" + tiny.string() + "'", "an underflowing number",
                          "/links/0/latency_s: the number 1e-400 is too small for a double");

    // Named devices are taken first: alexnet (no @) goes to p2, as the docs say.
    const outcome named = run(
        planner, work,
        "--env '" + two_phones.string() + "' --tasks alexnet,resnet18@p1 --json --iterations 5");
    expect(named.status == 0, "--tasks alexnet,resnet18@p1: " + named.err);
    if (named.status == 0) {
        const auto j = nlohmann::json::parse(named.out);
        expect(j["tasks"][0]["device"] == "p2" && j["tasks"][1]["device"] == "p1",
               "--tasks alexnet,resnet18@p1: alexnet is not on p2");
    }
}

// Issue 16: sessions. --trace replays a trace CSV written here (a bandwidth drop, a latency, a
// node leaving and coming back, a speed factor) with the three policies side by side; upload-aware re-planning completes at least as many queries as the other two; --out
// writes the session files, its trace.csv reading back as the same events; a generated trace
// is the same for the same seed; a bad row is refused naming the file and the line.
void check_sessions(const std::string& planner, const fs::path& work) {
    const fs::path trace = work / "trace-step.csv";
    std::ofstream(trace) << "time_s,kind,target,value\n"
                            "4,bandwidth,phone->edge1,2\n"
                            "4,bandwidth,edge1->phone,2\n"
                            "12.5,latency,phone->edge1,30\n"
                            "15,down,edge1,\n"
                            "18,up,edge1,\n"
                            "20,bandwidth,phone->edge1,40\n"
                            "25,speed,edge2,0.5\n";
    const fs::path out_dir = work / "out-session";
    fs::remove_all(out_dir);
    const outcome o = run(planner, work,
                          "--model alexnet --trace '" + trace.string() +
                              "' --duration 30 --json --out '" + out_dir.string() + "'");
    expect(o.status == 0, "--trace: exit status " + std::to_string(o.status) + ": " + o.err);
    if (o.status == 0) {
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(o.out);
        } catch (const std::exception& e) {
            expect(false, std::string("--trace: stdout is not one JSON document: ") + e.what());
            return;
        }
        expect(j.value("duration_s", 0.0) == 30, "--trace: duration_s is not 30");
        expect(j["trace"].value("events", 0) == 7, "--trace: the trace does not have 7 events");
        std::map<std::string, nlohmann::json> by_policy;
        for (const auto& p : j["policies"]) by_policy[p.at("policy").get<std::string>()] = p;
        for (const char* name : {"never", "from-scratch", "upload-aware"}) {
            expect(by_policy.count(name) == 1, std::string("--trace: no policy ") + name);
            if (!by_policy.count(name)) return;
            const auto& p = by_policy[name];
            expect(p["queries_completed"].get<std::size_t>() > 0 &&
                       p["mean_latency_s"].is_number() && p["p95_latency_s"].get<double>() > 0 &&
                       p["bytes_uploaded"].get<double>() > 0,
                   std::string("--trace: ") + name + ": no queries, latencies or uploads");
            // The two events at 4 s change the environment once: one decision.
            expect(p["replans"].get<std::size_t>() == 6,
                   std::string("--trace: ") + name + ": not 6 re-planning decisions");
            // edge1 holds AlexNet's first layers when it leaves at 15 s.
            expect(p["bytes_lost"].get<double>() > 0,
                   std::string("--trace: ") + name + ": no bytes lost when edge1 leaves");
        }
        const auto done = [&](const char* name) {
            return by_policy[name]["queries_completed"].get<std::size_t>();
        };
        expect(
            done("upload-aware") >= done("never") && done("upload-aware") >= done("from-scratch"),
            "--trace: upload-aware completes fewer queries (" +
                std::to_string(done("upload-aware")) + ") than never (" +
                std::to_string(done("never")) + ") or from-scratch (" +
                std::to_string(done("from-scratch")) + ")");
        for (const char* file : {"session.json", "trace.csv", "session_queries.csv",
                                 "session_plans.csv", "session_uplink.csv", "session.svg"})
            expect(fs::exists(out_dir / file), std::string("--trace --out: no ") + file);
        expect(slurp(out_dir / "session.svg").find("</svg>") != std::string::npos,
               "--trace --out: session.svg is not a whole SVG document");
        const eosdnn::environment env = eosdnn::default_environment();
        const auto given = eosdnn::read_trace_csv(trace, env);
        const auto written = eosdnn::read_trace_csv(out_dir / "trace.csv", env);
        bool same = given.size() == written.size();
        for (std::size_t i = 0; same && i < given.size(); ++i)
            same = given[i].time_s == written[i].time_s && given[i].kind == written[i].kind &&
                   given[i].from == written[i].from && given[i].to == written[i].to &&
                   given[i].value == written[i].value;
        expect(same, "--trace --out: trace.csv does not read back as the trace replayed");
    }
    // The text report: one line per policy.
    const outcome text = run(planner, work, "--model alexnet --trace-kind step --quiet");
    expect(text.status == 0 && text.out.find("upload-aware") != std::string::npos &&
               text.out.find("from-scratch") != std::string::npos,
           "--trace-kind step: no table of the three policies: " + text.out + text.err);
    // The same seed, the same session (wall times aside).
    const auto counts = [&](const std::string& args) {
        const outcome r = run(planner, work, "--model alexnet --json " + args);
        std::string summary;
        if (r.status != 0) return "failed: " + r.err;
        const nlohmann::json j = nlohmann::json::parse(r.out);
        for (const auto& p : j.at("policies"))
            summary += p["policy"].get<std::string>() + " " +
                       std::to_string(p["queries_completed"].get<std::size_t>()) + " " +
                       p["mean_latency_s"].dump() + "; ";
        return summary;
    };
    const std::string walk = counts("--trace-kind walk --seed 5");
    expect(walk.find("failed") == std::string::npos, "--trace-kind walk: " + walk);
    expect(walk == counts("--trace-kind walk --seed 5"), "--trace-kind walk: seed 5 twice differs");
    const std::string tunnel = counts("--trace-kind tunnel --seed 5");
    expect(tunnel.find("upload-aware") != std::string::npos,
           "--trace-kind tunnel: no upload-aware result: " + tunnel);

    const fs::path bad = work / "trace-bad.csv";
    std::ofstream(bad) << "time_s,kind,target,value\n1,bandwidth,phone->edge1,5\n"
                          "2,bandwith,phone->edge1,5\n";
    check_rejected_saying(planner, work, "--model alexnet --trace '" + bad.string() + "'",
                          "a trace with an unknown kind",
                          "trace-bad.csv:3: column 2 ('kind'): 'bandwith' is not an event kind");
    const fs::path later = work / "trace-backwards.csv";
    std::ofstream(later) << "time_s,kind,target,value\n5,down,edge2,\n3,up,edge2,\n";
    check_rejected_saying(planner, work, "--model alexnet --trace '" + later.string() + "'",
                          "a trace going back in time", "trace-backwards.csv:3:");
    check_rejected_saying(planner, work, "--trace-kind walk --trace-link 'phone->nowhere'",
                          "an unknown node in --trace-link", "unknown node 'nowhere'");
    check_rejected_saying(planner, work, "--duration 5", "--duration without a trace",
                          "needs --trace or --trace-kind");
    check_rejected(planner, work, "--trace-kind step --algo exact", "--algo in a session");
    check_rejected(planner, work, "--trace-kind drop", "unknown trace kind");
    check_rejected(planner, work, "--trace '" + trace.string() + "' --trace-kind step",
                   "--trace and --trace-kind");
    check_rejected(planner, work, "--trace-kind step --duration 0", "a zero duration");
}

// A model the exact solver cannot prove in seconds: 40 parallel branches of two layers between a
// stem and a join, over six nodes with memory limits (a model like it ran 20 s unproven).
// Deterministic: the sizes come from a fixed linear congruential sequence.
void write_wide_problem(const fs::path& model_file, const fs::path& env_file) {
    std::uint64_t state = 12345;
    const auto uniform = [&](double low, double high) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return low + (high - low) * static_cast<double>(state >> 11) * 0x1.0p-53;
    };
    nlohmann::json layers = nlohmann::json::array();
    layers.push_back({{"name", "in"}, {"kind", "input"}, {"output_bytes", 6e5}});
    layers.push_back({{"name", "stem"},
                      {"flops", 2e9},
                      {"param_bytes", 1e5},
                      {"output_bytes", 8e5},
                      {"inputs", {"in"}}});
    constexpr int branches = 40;
    const auto layer = [&](const std::string& name, nlohmann::json inputs) {
        return nlohmann::json{{"name", name},
                              {"flops", std::pow(10.0, uniform(8, 9.5))},
                              {"param_bytes", uniform(1e6, 4e6)},
                              {"output_bytes", std::pow(10.0, uniform(4, 6))},
                              {"inputs", std::move(inputs)}};
    };
    for (int k = 0; k < branches; ++k) layers.push_back(layer("a" + std::to_string(k), {"stem"}));
    nlohmann::json joined = nlohmann::json::array();
    for (int k = 0; k < branches; ++k) {
        nlohmann::json inputs = {"a" + std::to_string(k)};
        if (k % 3 == 0) inputs.push_back("a" + std::to_string((k + 7) % branches));
        layers.push_back(layer("b" + std::to_string(k), inputs));
        joined.push_back("b" + std::to_string(k));
    }
    layers.push_back(layer("out", joined));
    std::ofstream(model_file) << nlohmann::json{{"name", "wide"}, {"layers", layers}}.dump();
    nlohmann::json nodes = {{{"name", "phone"}, {"tier", "local"}, {"flops_per_s", 1e10}}};
    const std::vector<std::string> names = {"phone", "e0", "e1", "e2", "e3", "cloud"};
    for (std::size_t s = 1; s < names.size(); ++s)
        nodes.push_back({{"name", names[s]},
                         {"tier", s + 1 == names.size() ? "cloud" : "edge"},
                         {"flops_per_s", std::pow(10.0, uniform(11.5, 13))},
                         {"memory_bytes", uniform(2.5e7, 5.5e7)}});
    nlohmann::json links = nlohmann::json::array();
    for (std::size_t a = 0; a < names.size(); ++a)
        for (std::size_t b = a + 1; b < names.size(); ++b)
            links.push_back({{"from", names[a]},
                             {"to", names[b]},
                             {"bandwidth_Bps", std::pow(10.0, uniform(5.5, 8))},
                             {"latency_s", uniform(0, 0.01)}});
    std::ofstream(env_file) << nlohmann::json{{"nodes", nodes}, {"links", links}}.dump();
}

// --time-limit split: when an optimiser runs after it, the exact reference gets at most half of
// the budget, what the document reports as references.exact.time_limit_s; --algo exact gets it
// all. Before, the exact solver took what was left and PSO-GA got 10 ms of 20 s on a wide model.
void check_budget_split(const std::string& planner, const fs::path& work) {
    const fs::path model = work / "wide.json", env = work / "wide-env.json";
    write_wide_problem(model, env);
    // The native solver, which ends at its limit: CBC (--exact-solver cbc, and auto's second
    // stage) checks its clock between steps, and from a starting plan its first steps on this
    // model take about 2.4 s whatever its limit (docs/exact.md), which would leave the optimiser
    // less than this check asks for.
    const std::string problem =
        "--model '" + model.string() + "' --env '" + env.string() + "' --exact-solver native";
    const outcome o =
        run(planner, work,
            problem + " --json --time-limit 4 --stall 0 --iterations 10000000 --particles 20");
    expect(o.status == 0, "wide --time-limit 4: " + o.err);
    if (o.status == 0) {
        const auto j = nlohmann::json::parse(o.out);
        const auto& exact = j["references"]["exact"];
        const double limit = exact["time_limit_s"].get<double>();
        expect(limit > 0 && limit <= 2.0, "wide --time-limit 4: the exact reference's limit " +
                                              std::to_string(limit) +
                                              " s is not at most half of the budget");
        // Unproven (as when this was written), it used its share; the optimiser, run with no
        // stall stop, then ran until its own limit: what the others left, about 1.7 s. A
        // quarter of the budget leaves room for a loaded machine; before, it got 0.2 %.
        if (exact["exact"] == false) {
            expect(j["stopped_by"] == "time-limit", "wide --time-limit 4: not stopped by it");
            expect(j["plan_seconds"].get<double>() >= 1.0,
                   "wide --time-limit 4: the optimiser got " + j["plan_seconds"].dump() +
                       " s of 4 s after the exact reference's " + exact["seconds"].dump() + " s");
        }
    }
    // The exact solver alone may use the whole budget (what is left after loading).
    const outcome alone = run(planner, work, problem + " --json --algo exact --time-limit 4");
    expect(alone.status == 0, "wide --algo exact --time-limit 4: " + alone.err);
    if (alone.status == 0) {
        const double limit =
            nlohmann::json::parse(alone.out)["references"]["exact"]["time_limit_s"].get<double>();
        expect(limit > 2.0, "wide --algo exact --time-limit 4: the exact solver's limit " +
                                std::to_string(limit) + " s is not the whole budget");
    }
}

// The second exact round: on the wide model the native solver does not prove its plan in its
// half of --time-limit 4 and PSO-GA, limited to 25 iterations (one polish after 20, whose large
// moves search with the capacities for at most a second of wall time), stops in about a second
// even on a loaded machine, so the solver runs again from PSO-GA's plan with what is left. Its
// record must say what it started from and found, the plan must be the better of the two, the
// reference's bound must hold for it, and the report must say where the plan came from.
// --start random and the baselines get no second round.
void check_second_round(const std::string& planner, const fs::path& work) {
    const fs::path model = work / "wide.json", env = work / "wide-env.json", dir = work / "second";
    write_wide_problem(model, env);
    const std::string problem = "--model '" + model.string() + "' --env '" + env.string() +
                                "' --exact-solver native --time-limit 4 --iterations 25";
    fs::remove_all(dir);
    const outcome o = run(planner, work, problem + " --out '" + dir.string() + "'");
    expect(o.status == 0, "wide, second round: " + o.err);
    if (o.status != 0) return;
    const auto j = nlohmann::json::parse(std::ifstream(dir / "plan.json"));
    const auto& exact = j["references"]["exact"];
    const double delay = j["migration_delay_s"].get<double>();
    if (j["proven_optimal"] == true && !exact.contains("second_round")) return;  // proven at once
    expect(exact.contains("second_round"),
           "wide, second round: unproven and none ran: " + exact.dump());
    if (!exact.contains("second_round")) return;
    const auto& k = exact["second_round"];
    const double from = k["from_delay_s"].get<double>(), found = k["delay_s"].get<double>();
    expect(k["time_limit_s"].get<double>() > 0 && k["time_limit_s"].get<double>() < 4 &&
               exact["time_limit_s"].get<double>() <= 2,
           "wide, second round: the limits: " + exact.dump());
    expect(found <= from && delay == std::min(from, found) && exact["delay_s"] == delay,
           "wide, second round: the plan is not the better of the two: " + exact.dump() +
               ", plan " + std::to_string(delay));
    expect(
        j["lower_bound_s"].get<double>() <= delay && exact["lower_bound_s"].get<double>() <= delay,
        "wide, second round: a bound above the plan: " + exact.dump());
    expect(j["stopped_by"] != "time-limit" && j["iterations"] == 25,
           "wide, second round: the optimiser stopped by " + j["stopped_by"].dump() +
               ", not its 25 iterations");
    expect(o.out.find("from the optimiser's plan") != std::string::npos &&
               (o.out.find("pso-ga+exact ") != std::string::npos) == (found < from),
           "wide, second round: the report does not say so: " + o.out);
    for (const std::string other : {" --start random", " --algo ga"}) {
        const outcome none = run(planner, work, problem + other + " --json");
        expect(none.status == 0 &&
                   !nlohmann::json::parse(none.out)["references"]["exact"].contains("second_round"),
               "wide," + other + ": a second round ran: " + none.err);
    }
}

// A one-tier plan that breaks a memory capacity is marked, in the report and the document: with
// 60 MB per edge server, all-edge (139.4 ms) is faster than the optimum (145.3 ms) and must not
// read as a better plan.
void check_infeasible_references(const std::string& planner, const fs::path& work,
                                 const fs::path& edge_memory) {
    const std::string args = "--env '" + edge_memory.string() + "' --algo exact";
    const outcome text = run(planner, work, args);
    expect(text.status == 0, "edge_memory_60mb: " + text.err);
    const auto line_of = [&](const std::string& name) {
        const auto at = text.out.find("\n  " + name + " ");
        return at == std::string::npos ? std::string()
                                       : text.out.substr(at + 1, text.out.find('\n', at + 1) - at);
    };
    expect(line_of("all-edge").find("INFEASIBLE") != std::string::npos,
           "edge_memory_60mb: the all-edge line is not marked infeasible: " + line_of("all-edge"));
    expect(line_of("all-local").find("INFEASIBLE") == std::string::npos,
           "edge_memory_60mb: the feasible all-local line is marked: " + line_of("all-local"));
    const outcome o = run(planner, work, args + " --json");
    if (o.status != 0) return;
    const auto refs = nlohmann::json::parse(o.out)["references"];
    expect(refs["violations"]["all-edge"].get<double>() > 0 &&
               refs["violations"]["all-local"] == 0.0 && refs["all-edge"].is_number(),
           "edge_memory_60mb: references.violations: " + refs.dump());
}

// --out over an input file (the model.json of a previous --out) is refused before any work,
// whatever the spelling of the path, and the file is left as it was.
void check_out_over_inputs(const std::string& planner, const fs::path& work) {
    const fs::path dir = work / "out-same";
    fs::remove_all(dir);
    const outcome first =
        run(planner, work, "--model alexnet --algo exact --out '" + dir.string() + "' --json");
    expect(first.status == 0, "--out for the model: " + first.err);
    const std::string before = slurp(dir / "model.json");
    const std::string spellings[] = {(dir / "model.json").string(),
                                     (dir / ".." / dir.filename() / "model.json").string()};
    for (const std::string& model : spellings) {
        const outcome o =
            run(planner, work, "--model '" + model + "' --algo exact --out '" + dir.string() + "'");
        expect(o.status == 1 && lines(o.err) == 1 && o.out.empty() &&
                   o.err.find("would overwrite model.json, which is the file") != std::string::npos,
               "--model " + model + " --out its directory: not refused: " + o.err);
    }
    const fs::path plan = dir / "plan.json";
    const outcome again =
        run(planner, work, "--evaluate '" + plan.string() + "' --out '" + dir.string() + "'");
    expect(again.status == 1 && again.err.find("of --evaluate") != std::string::npos,
           "--evaluate DIR/plan.json --out DIR: not refused: " + again.err);
    expect(slurp(dir / "model.json") == before && slurp(plan) == first.out,
           "--out over an input: the files changed");
}

// --evaluate's messages name the document, not an option the user did not give.
void check_evaluate_messages(const std::string& planner, const fs::path& work,
                             const fs::path& two_phones) {
    const fs::path dir = work / "out-evaluated";
    fs::remove_all(dir);
    const outcome saved =
        run(planner, work, "--model alexnet --algo exact --json --out '" + dir.string() + "'");
    expect(saved.status == 0, "--evaluate messages: " + saved.err);
    if (saved.status != 0) return;
    const std::string plan = "'" + (dir / "plan.json").string() + "'";
    check_rejected_saying(planner, work, "--evaluate " + plan + " --algo exact",
                          "--evaluate with a search option", "--algo excludes --evaluate");
    check_rejected_saying(planner, work,
                          "--evaluate " + plan + " --env '" + two_phones.string() + "'",
                          "--evaluate in an environment without its device",
                          "--evaluate: the document's device 'phone'");
    const nlohmann::json doc = nlohmann::json::parse(saved.out);
    nlohmann::json on_edge = doc;
    on_edge["device"] = "edge1";
    const fs::path edge_file = work / "plan-on-edge.json";
    std::ofstream(edge_file) << on_edge.dump();
    check_rejected_saying(planner, work, "--evaluate '" + edge_file.string() + "'",
                          "--evaluate of a plan owned by a server",
                          "/device: 'edge1' is not a local node (its tier is edge)");
    nlohmann::json small = doc;
    for (auto& node : small["environment"]["nodes"])
        if (node["name"] != "phone") node["memory_bytes"] = 1000;
    const fs::path small_file = work / "plan-small-servers.json";
    std::ofstream(small_file) << small.dump();
    check_rejected_saying(planner, work, "--evaluate '" + small_file.string() + "'",
                          "--evaluate of a plan over its servers' memory",
                          "the saved plan, in the document's environment, breaks the memory");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: eosdnn_plan_check PATH/TO/eosdnn-plan WORK_DIR\n");
        return 2;
    }
    const std::string planner = argv[1];
    const fs::path work = argv[2];
    fs::create_directories(work);
    const std::string data = EOSDNN_DATA_DIR;

    // The default run (ResNet-50, a DAG, PSO-GA), a chain solved exactly, a profile CSV with
    // measured times, and the baselines.
    check_single(planner, work, "", "default");
    check_single(planner, work, "--model alexnet --algo exact --upload emdl", "alexnet-exact");
    check_single(planner, work,
                 "--model '" + data + "/ionn-profiles/alexnet.csv' --algo pso-ga --seed 3",
                 "alexnet-csv");
    check_single(planner, work,
                 "--model googlenet --algo ga --particles 20 --iterations 30 --upload whole",
                 "googlenet-ga");
    check_single(planner, work, "--model mobilenet_v2 --algo all-edge --upload layer-by-layer",
                 "mobilenet-edge");
    // The zoo's BERT-base with its sequence length in the name, planned end to end (its MACs at
    // 16 tokens are the closed form checked in tests/zoo/zoo.cpp); a length past the 512
    // positions is refused quoting the name.
    const outcome bert_zoo = run(planner, work, "--model bert_base:16 --json");
    expect(bert_zoo.status == 0, "--model bert_base:16: " + bert_zoo.err);
    if (bert_zoo.status == 0)
        expect(nlohmann::json::parse(bert_zoo.out)["model_summary"]["macs"] == 1364262912.0,
               "--model bert_base:16: MACs are not BERT-base's at 16 tokens");
    const outcome bert_too_long = run(planner, work, "--model bert_base:600");
    expect(
        bert_too_long.status == 1 && bert_too_long.err.find("'bert_base:600'") != std::string::npos,
        "--model bert_base:600: not refused quoting the name: " + bert_too_long.err);
#if defined(EOSDNN_PLAN_CHECK_ONNX)
    // Built with the ONNX importer: an ONNX file (weightless export, the graph of torchvision's).
    check_single(planner, work, "--model '" + std::string(EOSDNN_PLAN_CHECK_ONNX) + "'", "onnx");
    // A BERT-style encoder whose sequence length is a named dimension: refused without --dim,
    // saying how to give it; planned with it, the MACs growing with the sequence (the exact
    // counts are tests/io/onnx_transformers.cpp's).
    const std::string bert =
        "'" +
        (fs::path(EOSDNN_PLAN_CHECK_ONNX).parent_path() / "bert_style_encoder_opset17.onnx")
            .string() +
        "'";
    const outcome unsized = run(planner, work, "--model " + bert + " --algo greedy");
    expect(unsized.status == 1 && unsized.err.find("--dim NAME=VALUE") != std::string::npos,
           "bert without --dim: refused naming --dim: " + unsized.err);
    double previous_macs = 0;
    for (const char* sequence : {"16", "128"}) {
        const outcome sized =
            run(planner, work,
                "--model " + bert + " --dim sequence=" + sequence + " --algo greedy --json");
        expect(sized.status == 0,
               std::string("bert --dim sequence=") + sequence + ": " + sized.err);
        if (sized.status != 0) continue;
        const double macs = nlohmann::json::parse(sized.out)["model_summary"]["macs"].get<double>();
        expect(macs > previous_macs, std::string("bert: MACs grow with the sequence: ") + sequence);
        previous_macs = macs;
    }
    const outcome bad_dim = run(planner, work, "--model " + bert + " --dim sequence");
    expect(bad_dim.status == 1 && bad_dim.err.find("'sequence'") != std::string::npos,
           "--dim without a value is refused quoting it: " + bad_dim.err);
#endif

    // VGG-16 with seed 4 ended 5.55 % above the optimum before the exact solver seeded and
    // polished the swarm: now it ends at the proven optimum, seeded or from a random start.
    for (const char* start : {"seeded", "random"}) {
        const outcome v =
            run(planner, work,
                std::string("--model vgg16 --algo pso-ga --seed 4 --json --start ") + start);
        expect(v.status == 0, std::string("vgg16 --start ") + start + ": " + v.err);
        if (v.status != 0) continue;
        const auto j = nlohmann::json::parse(v.out);
        const double delay = j["migration_delay_s"].get<double>();
        expect(j["proven_optimal"] == true,
               std::string("vgg16 --start ") + start + ": not proven optimal");
        expect(j["references"]["exact"]["exact"] == true,
               "vgg16: the exact reference is not proven");
        expect(std::abs(delay - j["references"]["exact"]["delay_s"].get<double>()) <= 1e-9 * delay,
               std::string("vgg16 --start ") + start + ": not the exact optimum");
        expect(j["start"] == start, "vgg16: start not reported");
    }
    // The report says so too.
    const outcome report =
        run(planner, work, "--model vgg16 --algo pso-ga --seed 4 --start random");
    expect(report.out.find("<- this plan: optimal (proven)") != std::string::npos,
           "vgg16 report does not say the plan is proven optimal");
    // --stall stops a run early and the iterations actually run are reported.
    const outcome stalled =
        run(planner, work, "--model resnet18 --json --stall 5 --iterations 100000");
    expect(stalled.status == 0, "--stall 5: " + stalled.err);
    if (stalled.status == 0) {
        const auto j = nlohmann::json::parse(stalled.out);
        expect(j["iterations"].get<std::size_t>() < 1000, "--stall 5: the run did not stop early");
        expect(j["iterations_planned"] == 100000, "--stall 5: iterations_planned");
    }
    // The exact solver on a DAG of four nodes proves its optimum.
    const outcome exact = run(planner, work, "--model resnet50 --algo exact --json");
    expect(exact.status == 0 && nlohmann::json::parse(exact.out)["proven_optimal"] == true,
           "resnet50 --algo exact: not proven optimal");

#if defined(EOSDNN_PLAN_CHECK_MILP)
    // The integer-program backend proves the same optimum.
    const outcome milp =
        run(planner, work, "--model googlenet --algo exact --exact-solver cbc --json");
    const outcome native =
        run(planner, work, "--model googlenet --algo exact --exact-solver native --json");
    expect(milp.status == 0 && native.status == 0, "--exact-solver cbc: " + milp.err + native.err);
    if (milp.status == 0 && native.status == 0) {
        const auto a = nlohmann::json::parse(milp.out), b = nlohmann::json::parse(native.out);
        expect(a["proven_optimal"] == true && a["references"]["exact"]["method"] == "cbc",
               "--exact-solver cbc: not proven by cbc");
        const double x = a["migration_delay_s"].get<double>(),
                     y = b["migration_delay_s"].get<double>();
        expect(std::abs(x - y) <= 1e-9 * y, "--exact-solver cbc: another optimum than native");
    }
#endif
    // The default exact solver is auto: the native solver, which proves GoogLeNet at once, so
    // CBC is not called (milp/portfolio.hpp; tests/milp/portfolio.cpp has the hand-off to CBC).
    const outcome automatic = run(planner, work, "--model googlenet --algo exact --json");
    expect(automatic.status == 0, "--exact-solver auto: " + automatic.err);
    if (automatic.status == 0) {
        const auto j = nlohmann::json::parse(automatic.out);
        expect(j["exact_solver"] == "auto", "the default --exact-solver is not recorded as auto");
        expect(j["proven_optimal"] == true &&
                   j["references"]["exact"]["method"] == "bucket-elimination",
               "--exact-solver auto: GoogLeNet not proven by the native solver alone");
    }

    // The same seed gives the same plan.
    const outcome a = run(planner, work, "--model resnet18 --json --seed 7 --iterations 40");
    const outcome b =
        run(planner, work, "--model resnet18 --json --seed 7 --iterations 40 --threads 2");
    expect(a.status == 0 && b.status == 0, "resnet18 runs failed");
    if (a.status == 0 && b.status == 0)
        expect(
            nlohmann::json::parse(a.out)["placement"] == nlohmann::json::parse(b.out)["placement"],
            "same seed, different placement");

    // Several tasks: the reported delay is the mean of the tasks' completion times.
    const outcome t = run(planner, work, "--tasks alexnet,resnet18 --json --iterations 60");
    expect(t.status == 0, "--tasks: exit status " + std::to_string(t.status) + ": " + t.err);
    if (t.status == 0) {
        const auto j = nlohmann::json::parse(t.out);
        double sum = 0;
        for (const auto& task : j["tasks"]) sum += task["completion_s"].get<double>();
        expect(j["tasks"].size() == 2, "--tasks: two tasks expected");
        expect(std::abs(sum / 2 - j["migration_delay_s"].get<double>()) <= 1e-12 * sum,
               "--tasks: migration_delay_s is not the mean completion time");
    }

    // --time-limit is the budget of the whole run: the optimiser gets what the exact references
    // and the uploading plans leave of it, so it is stopped before the limit itself.
    const outcome budgeted =
        run(planner, work,
            "--tasks resnet50,resnet50,resnet50 --json --time-limit 1 --stall 0 --iterations "
            "10000000");
    expect(budgeted.status == 0, "--time-limit 1: " + budgeted.err);
    if (budgeted.status == 0) {
        const auto j = nlohmann::json::parse(budgeted.out);
        expect(j["stopped_by"] == "time-limit", "--time-limit 1: not stopped by the time limit");
        expect(j["time_limit_s"] == 1.0, "--time-limit 1: time_limit_s is not the run's limit");
        expect(j["plan_seconds"].get<double>() < 1.0,
               "--time-limit 1: the optimiser took the whole run's budget");
    }

    // Several tasks on named devices of an environment file: a task without @DEVICE takes the
    // first local node not yet taken.
    const fs::path two_phones = work / "two-phones.json";
    std::ofstream(two_phones) << R"({"nodes": [
        {"name": "p1", "tier": "local", "flops_per_s": 2e10},
        {"name": "p2", "tier": "local", "flops_per_s": 4e10},
        {"name": "edge", "tier": "edge", "flops_per_s": 1e12}],
      "links": [{"from": "p1", "to": "edge", "bandwidth_mbps": 50, "latency_s": 0.004},
                {"from": "p2", "to": "edge", "bandwidth_mbps": 80, "latency_s": 0.004}]})";
    const outcome named = run(
        planner, work,
        "--env '" + two_phones.string() + "' --tasks alexnet@p2,resnet18 --json --iterations 40");
    expect(named.status == 0,
           "--tasks with --env: exit status " + std::to_string(named.status) + ": " + named.err);
    if (named.status == 0) {
        const auto j = nlohmann::json::parse(named.out);
        expect(j["tasks"][0]["device"] == "p2" && j["tasks"][1]["device"] == "p1",
               "--tasks with --env: devices not assigned as documented");
    }

    check_inputs_and_limits(planner, work, two_phones);

    // Bad arguments and files.
    const fs::path bad_json = work / "bad-env.json";
    std::ofstream(bad_json) << "{\"nodes\": [\n";
    const fs::path bad_csv = work / "bad-model.csv";
    std::ofstream(bad_csv) << "name,inputs,output_bytes,param_bytes\nconv,,12,x\n";
    check_rejected(planner, work, "--algo simulated-annealing", "unknown algorithm");
    check_rejected(planner, work, "--upload layerwise", "the uploader's old name");
    check_rejected(planner, work, "--particles 0", "zero particles");
    check_rejected(planner, work, "--no-such-option", "unknown option");
    check_rejected(planner, work, "--start warm", "unknown start");
    check_rejected(planner, work, "--stall -1", "negative stall");
    check_rejected(planner, work, "--time-limit -2", "negative time limit");
    check_rejected(planner, work, "--model resnet51", "unknown model");
    check_rejected(planner, work, "--model '" + (work / "missing.csv").string() + "'",
                   "missing file");
    check_rejected(planner, work, "--model '" + bad_csv.string() + "'", "bad CSV");
    check_rejected(planner, work, "--env '" + bad_json.string() + "'", "bad environment JSON");
    check_rejected(planner, work, "--tasks resnet50@phone", "device named with the default env");
    check_rejected(planner, work,
                   "--env '" + two_phones.string() + "' --tasks alexnet,vgg16,resnet18",
                   "more tasks than devices");
    check_rejected(planner, work, "--env '" + two_phones.string() + "' --tasks alexnet@edge",
                   "a task on a server");
    check_rejected(planner, work, "--env '" + two_phones.string() + "' --algo all-cloud",
                   "no cloud node");
    check_rejected(planner, work, "--model '" + (work / "model.onnx").string() + "'",
                   "missing ONNX");
    // Output that cannot be written is a failure that says why, never a silent success.
    if (fs::exists("/dev/full")) {
        const fs::path err = work / "stderr-full.txt";
        const std::string command = "'" + planner + "' --model alexnet --json >/dev/full 2>'" +
                                    err.string() + "' </dev/null";
        const int raw = std::system(command.c_str());
        expect(WIFEXITED(raw) && WEXITSTATUS(raw) == 1,
               "stdout on /dev/full: exit status is not 1");
        const std::string why = slurp(err);
        expect(why.find("standard output: No space left on device") != std::string::npos &&
                   lines(why) == 1,
               "stdout on /dev/full: stderr is not one line saying why: " + why);
    }
    // Memory no plan can meet: caught before optimising (every node holds 1 kB; ResNet-50's
    // layers hold megabytes); and a plan that breaks a capacity (all-local on a small phone).
    const fs::path tiny = work / "tiny-memory.json";
    std::ofstream(tiny) << R"({"nodes": [
        {"name": "phone", "tier": "local", "flops_per_s": 2e10, "memory_bytes": 1000},
        {"name": "edge", "tier": "edge", "flops_per_s": 1e12, "memory_bytes": 1000},
        {"name": "cloud", "tier": "cloud", "flops_per_s": 1e13, "memory_bytes": 1000}],
      "links": [{"from": "phone", "to": "edge", "bandwidth_mbps": 50, "latency_s": 0.004},
                {"from": "phone", "to": "cloud", "bandwidth_mbps": 20, "latency_s": 0.03},
                {"from": "edge", "to": "cloud", "bandwidth_mbps": 1000, "latency_s": 0.01}]})";
    check_rejected(planner, work, "--env '" + tiny.string() + "'", "memory no node can hold");
    const fs::path small_phone = work / "small-phone.json";
    std::ofstream(small_phone) << R"({"nodes": [
        {"name": "phone", "tier": "local", "flops_per_s": 2e10, "memory_bytes": 1000},
        {"name": "edge", "tier": "edge", "flops_per_s": 1e12}],
      "links": [{"from": "phone", "to": "edge", "bandwidth_mbps": 50, "latency_s": 0.004}]})";
    check_rejected(planner, work,
                   "--env '" + small_phone.string() + "' --model alexnet --algo all-local",
                   "a plan over the phone's memory");

    check_uplink(planner, work);
    check_together(planner, work);
    check_sessions(planner, work);
    check_budget_split(planner, work);
    check_second_round(planner, work);
    check_infeasible_references(
        planner, work,
        fs::path(data).parent_path() / "examples" / "environments" / "edge_memory_60mb.json");
    check_out_over_inputs(planner, work);
    check_evaluate_messages(planner, work, two_phones);

    return support::result("eosdnn-plan");
}
