// The ctest check planner.round_trip: a plan saved by eosdnn-plan --out is a plan.
//  - DIR/plan.json of one task reads with eosdnn::plan_from_json (the library's plan format),
//    with plan_document_from_json + plan_of, and gives the placement the document prints;
//  - eosdnn-plan --evaluate DIR/plan.json --json re-prices it: migration_delay_s identical (to
//    the bit) to the saved one, the same placement, and the text report the same as the
//    planning run's but for the exact solver's time;
//  - the same for several tasks (--tasks): each /tasks/k reads with plan_from_json, the root
//    is refused by plan_from_json with a message that says where the plans are.
//
//   eosdnn_plan_round_trip PATH/TO/eosdnn-plan WORK_DIR
#include "check_support.hpp"

#include <eosdnn/eosdnn.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace support = eosdnn::check;

namespace {

using support::expect;
using support::slurp;

// Runs the planner; returns its stdout, or "" (and a failure) when it exits with an error.
std::string run(const std::string& planner, const fs::path& work, const std::string& args) {
    const support::outcome o = support::run_planner(planner, work, args);
    expect(o.status == 0, args + ": exit status " + std::to_string(o.status) + ": " + o.err);
    return o.status == 0 ? o.out : std::string();
}

// The report without the line that times the exact solver.
std::string untimed(const std::string& report) {
    std::string out, line;
    for (char c : report) {
        line += c;
        if (c != '\n') continue;
        if (line.find("(bucket-elimination, ") == std::string::npos) out += line;
        line.clear();
    }
    return out;
}

void check(const std::string& planner, const fs::path& work, const std::string& args,
           const std::string& label) {
    const fs::path dir = work / label;
    fs::remove_all(dir);
    const std::string report = run(planner, work, args + " --out '" + dir.string() + "'");
    const fs::path saved = dir / "plan.json";
    if (report.empty() || !fs::exists(saved)) return expect(false, label + ": no plan.json");
    const nlohmann::json original = eosdnn::read_json_file(saved);

    const std::string again = run(planner, work, "--evaluate '" + saved.string() + "' --json");
    if (again.empty()) return;
    const nlohmann::json evaluated = nlohmann::json::parse(again);
    expect(
        evaluated["migration_delay_s"].get<double>() == original["migration_delay_s"].get<double>(),
        label + ": --evaluate gives migration_delay_s " + evaluated["migration_delay_s"].dump() +
            ", saved " + original["migration_delay_s"].dump());
    const char* where = original.contains("tasks") ? "tasks" : "placement";
    expect(evaluated[where] == original[where] || std::string(where) == "tasks",
           label + ": another placement");
    expect(untimed(run(planner, work, "--evaluate '" + saved.string() + "'")) == untimed(report),
           label + ": --evaluate prints another report");

    // The library reads it back.
    const eosdnn::plan_document doc = eosdnn::plan_document_from_json(original);
    for (std::size_t k = 0; k < doc.tasks.size(); ++k) {
        const eosdnn::layer_graph g = eosdnn::zoo_model(doc.tasks[k].model_spec);
        const nlohmann::json& object = doc.tasks.size() == 1 ? original : original["tasks"][k];
        const eosdnn::migration_plan plan = eosdnn::plan_from_json(object, g, doc.env);
        expect(plan.placement == eosdnn::plan_of(doc, k, g).placement,
               label + ": plan_of differs from plan_from_json");
        expect(plan.model == g.name() && plan.algorithm == doc.search.algorithm,
               label + ": plan model or algorithm");
        for (eosdnn::layer_id j = 0; j < g.size(); ++j)
            expect(object["placement"][j]["node"] == doc.env[plan.placement[j]].name,
                   label + ": placement by name");
        if (doc.tasks.size() == 1) {
            eosdnn::delay_evaluator problem(g, eosdnn::profiled_model(doc.env), {}, {},
                                            eosdnn::device_of(doc, 0));
            expect(problem.evaluate(plan.placement).delay_s == plan.value.delay_s &&
                       plan.value.delay_s == doc.migration_delay_s,
                   label + ": the plan's evaluation is not its delay");
        }
    }
    if (doc.tasks.size() > 1) {
        const eosdnn::layer_graph g = eosdnn::zoo_model(doc.tasks[0].model_spec);
        try {
            eosdnn::plan_from_json(original, g, doc.env);
            expect(false, label + ": plan_from_json read a document of several tasks");
        } catch (const eosdnn::error& e) {
            expect(
                std::string(e.what()).find("/tasks/0") != std::string::npos,
                label + ": plan_from_json's message does not say where the plans are: " + e.what());
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: eosdnn_plan_round_trip PATH/TO/eosdnn-plan WORK_DIR\n");
        return 2;
    }
    const fs::path work = argv[2];
    fs::create_directories(work);
    check(argv[1], work, "", "default");
    check(argv[1], work,
          "--model googlenet --algo ga --particles 20 --iterations 30 --upload layer-by-layer",
          "googlenet-ga");
    check(argv[1], work, "--tasks alexnet,resnet18 --iterations 40", "tasks");
    return support::result("eosdnn-plan round trip");
}
