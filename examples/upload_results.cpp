// The uploading-plan results of docs/uploading.md: LMU, EMDL, IONN, layer by layer and whole
// model for the measured IONN profiles and the built-in zoo, at 10, 40 and 80 Mbps.
//
//   upload_results                       prints the markdown tables (what docs/uploading.md holds)
//   upload_results --timeline FILE       also writes the query timelines of LMU, IONN and the
//                                        whole model for ResNet-50 (profile) at 40 Mbps as CSV,
//                                        the input of scripts/plot_upload_timeline.py
//
// Set-up: the device and one edge server, linked at B Mbps with 2 ms latency each way; each
// partition's acknowledgement takes those 2 ms, and each partition pays them once more on the
// uplink (the per-partition overhead, on by default; the environment's request cost is 0).
// Queries run the fastest prefix acknowledged (the simulation's default choice) and are counted
// until the upload's end without overheads. Profiles use their measured times (client
// ODROID-XU4, server GPU); zoo models the analytic rates 2 GFLOP/s (device) and 1 TFLOP/s
// (server), about what the profiles measure. The target placement is the exact optimum of the
// sequential model (Viterbi on chains, a minimum cut on DAGs). Queries are closed-loop; the first
// runs on the device.
//
// A second table shows several destinations: a weak edge server (20x slower than the profiled
// GPU, 50 GFLOP/s) at B Mbps and 2 ms, a cloud (the GPU, 1 TFLOP/s) at B/2 Mbps and 30 ms, and
// 1 Gbit/s with 20 ms between them; chain models, whose exact (Viterbi) placement then uses both.
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/upload/baselines.hpp>
#include <eosdnn/upload/emdl.hpp>
#include <eosdnn/upload/ionn.hpp>
#include <eosdnn/upload/lmu.hpp>
#include <eosdnn/upload/query_simulation.hpp>
#include <eosdnn/upload/reference_placement.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace eosdnn;

constexpr double link_latency_s = 0.002;
const simulation_options simulation{.horizon_queries = 5, .ack_latency_s = link_latency_s};

environment two_nodes(double megabits) {
    environment_builder env;
    auto device = env.add_node({.name = "device", .tier = tier::local, .flops_per_s = 2e9});
    auto server = env.add_node({.name = "server", .tier = tier::edge, .flops_per_s = 1e12});
    env.connect(device, server, {.bandwidth_Bps = mbps(megabits), .latency_s = link_latency_s});
    return env.build();
}

environment three_nodes(double megabits) {
    environment_builder env;
    auto device = env.add_node({.name = "device", .tier = tier::local, .flops_per_s = 2e9});
    auto edge = env.add_node(
        {.name = "edge", .tier = tier::edge, .flops_per_s = 5e10, .speed_factor = 0.05});
    auto cloud = env.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 1e12});
    env.connect(device, edge, {.bandwidth_Bps = mbps(megabits), .latency_s = link_latency_s});
    env.connect(device, cloud, {.bandwidth_Bps = mbps(megabits / 2), .latency_s = 0.03});
    env.connect(edge, cloud, {.bandwidth_Bps = mbps(1000), .latency_s = 0.02});
    return env.build();
}

struct planner_result {
    std::string name;
    upload_plan plan;
    simulation_result sim;
};

struct row {
    std::string model{}, source{};
    double megabits = 0;
    std::size_t remote_layers = 0;
    std::array<std::size_t, 3> layers_on{};  // per node
    std::vector<planner_result> planners{};  // lmu, emdl (one server only), ionn, layer, whole
};

template <class Model>
row evaluate(const layer_graph& g, const Model& model, std::string source, double megabits) {
    row r{.model = g.name(), .source = std::move(source), .megabits = megabits};
    const std::vector<node_id> x = reference_placement(g, model).placement;
    for (node_id s : x) {
        r.remote_layers += s != 0;
        ++r.layers_on[s];
    }
    std::size_t servers = 0;
    for (std::size_t s = 1; s < r.layers_on.size(); ++s) servers += r.layers_on[s] > 0;
    auto add = [&](std::string name, upload_plan plan) {
        simulation_result sim = simulate_queries(g, model, plan, simulation);
        r.planners.push_back({std::move(name), std::move(plan), std::move(sim)});
    };
    add("LMU", lmu_planner{.simulation = simulation}.plan(upload_problem(g, model, x)));
    if (servers <= 1) add("EMDL", emdl_planner{}.plan(upload_problem(g, model, x)));
    add("IONN", ionn_planner{}.plan(upload_problem(g, model, x)));
    add("layer", layer_by_layer_planner{}.plan(upload_problem(g, model, x)));
    add("whole", whole_model_planner{}.plan(upload_problem(g, model, x)));
    return r;
}

std::string fixed(double v, int digits) {
    if (std::isnan(v)) return "-";
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
    return buffer;
}

void write_timeline(const row& r, const std::string& file) {
    std::ofstream out(file);
    if (!out) throw error(error_kind::io, "cannot write timeline file '" + file + "'");
    out << "planner,query,start_s,end_s,latency_s,remote_layers,upload_end_s\n";
    for (const auto& p : r.planners) {
        if (p.name != "LMU" && p.name != "IONN" && p.name != "whole") continue;
        for (std::size_t i = 0; i < p.sim.queries.size(); ++i) {
            const auto& q = p.sim.queries[i];
            out << p.name << ',' << i << ',' << q.start_s << ',' << q.end_s << ',' << q.latency_s
                << ',' << q.remote_layers << ',' << p.sim.metrics.upload_s << '\n';
        }
    }
}

}  // namespace

int main(int argc, char** argv) try {
    std::string timeline;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--timeline" && i + 1 < argc) {
            timeline = argv[++i];
        } else {
            std::fprintf(stderr, "usage: upload_results [--timeline FILE]\n");
            return 2;
        }
    }
    const std::array<double, 3> bandwidths{10, 40, 80};
    std::vector<row> rows;
    for (const char* name : {"alexnet", "googlenet", "resnet50"}) {
        const layer_graph g =
            read_profile_csv(std::string(EOSDNN_DATA_DIR) + "/ionn-profiles/" + name + ".csv");
        for (double b : bandwidths) {
            rows.push_back(evaluate(g, profiled_model(two_nodes(b)), "profile", b));
            if (!timeline.empty() && std::string_view(name) == "resnet50" && b == 40)
                write_timeline(rows.back(), timeline);
        }
    }
    for (std::string_view name : zoo_model_names()) {
        const layer_graph g = zoo_model(name);
        for (double b : bandwidths)
            rows.push_back(evaluate(g, analytic_model(two_nodes(b)), "zoo", b));
    }

    std::printf("### Queries completed during the upload\n\n");
    std::printf(
        "| model | source | Mbps | remote layers | upload s | local ms | final ms |"
        " LMU | EMDL | IONN | layer | whole | partitions LMU/EMDL/IONN/layer/whole |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    std::vector<std::string> notes;
    for (const row& r : rows) {
        const upload_metrics& m = r.planners[0].sim.metrics;
        std::printf("| %s | %s | %g | %zu | %s | %s | %s |", r.model.c_str(), r.source.c_str(),
                    r.megabits, r.remote_layers, fixed(m.upload_s, 2).c_str(),
                    fixed(1e3 * m.initial_latency_s, 1).c_str(),
                    fixed(1e3 * m.final_latency_s, 1).c_str());
        for (const auto& p : r.planners) std::printf(" %zu |", p.sim.metrics.queries_during_upload);
        std::string parts;
        for (const auto& p : r.planners)
            parts += (parts.empty() ? "" : "/") + std::to_string(p.plan.partitions.size());
        std::printf(" %s |\n", parts.c_str());
        for (std::size_t k = 1; k < r.planners.size(); ++k)
            if (r.planners[k].sim.metrics.queries_during_upload > m.queries_during_upload)
                notes.push_back(r.model + " (" + r.source + ") at " + fixed(r.megabits, 0) +
                                " Mbps: " + r.planners[k].name + " completes " +
                                std::to_string(r.planners[k].sim.metrics.queries_during_upload) +
                                ", LMU " + std::to_string(m.queries_during_upload));
    }
    std::printf("\nRows where a baseline completes more queries during the upload than LMU: %s\n",
                notes.empty() ? "none." : "");
    for (const auto& n : notes) std::printf("- %s\n", n.c_str());

    std::vector<row> multi;
    for (const char* name : {"alexnet"}) {
        const layer_graph g =
            read_profile_csv(std::string(EOSDNN_DATA_DIR) + "/ionn-profiles/" + name + ".csv");
        for (double b : bandwidths)
            multi.push_back(evaluate(g, profiled_model(three_nodes(b)), "profile", b));
    }
    for (const char* name : {"alexnet", "vgg16", "vgg19"}) {
        const layer_graph g = zoo_model(name);
        for (double b : bandwidths)
            multi.push_back(evaluate(g, analytic_model(three_nodes(b)), "zoo", b));
    }
    std::printf("\n### Several destinations: device, edge and cloud (chain models)\n\n");
    std::printf(
        "| model | source | Mbps (edge) | layers on edge / cloud | upload s | local ms | final ms |"
        " LMU | IONN | layer | whole | partitions LMU/IONN/layer/whole |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    std::vector<std::string> multi_notes;
    for (const row& r : multi) {
        const upload_metrics& m = r.planners[0].sim.metrics;
        std::printf("| %s | %s | %g | %zu / %zu | %s | %s | %s |", r.model.c_str(),
                    r.source.c_str(), r.megabits, r.layers_on[1], r.layers_on[2],
                    fixed(m.upload_s, 1).c_str(), fixed(1e3 * m.initial_latency_s, 1).c_str(),
                    fixed(1e3 * m.final_latency_s, 1).c_str());
        std::string parts;
        for (const auto& p : r.planners) {
            if (p.name == "EMDL") continue;
            std::printf(" %zu |", p.sim.metrics.queries_during_upload);
            parts += (parts.empty() ? "" : "/") + std::to_string(p.plan.partitions.size());
        }
        std::printf(" %s |\n", parts.c_str());
        for (std::size_t k = 1; k < r.planners.size(); ++k)
            if (r.planners[k].sim.metrics.queries_during_upload > m.queries_during_upload)
                multi_notes.push_back(r.model + " (" + r.source + ") at " + fixed(r.megabits, 0) +
                                      " Mbps: " + r.planners[k].name);
    }
    std::printf("\nRows where a baseline completes more queries during the upload than LMU: %s\n",
                multi_notes.empty() ? "none." : "");
    for (const auto& n : multi_notes) std::printf("- %s\n", n.c_str());

    std::printf("\n### Every metric (device and one server)\n\n");
    std::printf(
        "| model | source | Mbps | planner | partitions | queries during upload |"
        " mean latency during upload ms | first offloaded query s | area s^2 |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|\n");
    for (const row& r : rows)
        for (const auto& p : r.planners) {
            const upload_metrics& m = p.sim.metrics;
            std::printf("| %s | %s | %g | %s | %zu | %zu | %s | %s | %s |\n", r.model.c_str(),
                        r.source.c_str(), r.megabits, p.name.c_str(), m.partitions,
                        m.queries_during_upload,
                        fixed(1e3 * m.mean_latency_during_upload_s, 1).c_str(),
                        fixed(m.first_offloaded_s, 3).c_str(), fixed(m.latency_area_s2, 2).c_str());
        }
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "upload_results: %s\n", e.what());
    return 1;
}
