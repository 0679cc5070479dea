// Plans a model of the built-in zoo in a device / edge / cloud environment and prints the plan.
//
//   plan_zoo_model [model]        model: a zoo name (default resnet50) or a profile CSV path
//
// For a chain the optimum over all four nodes is a shortest path (Viterbi). For a DAG the example
// prints the exact optimum with the device and each server alone (a minimum cut each) and the
// best of them; the PSO-GA optimiser searches all nodes at once.
#include <eosdnn/eosdnn.hpp>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

namespace {

// One phone, two edge servers and a cloud; rates and links of a 2020s phone on Wi-Fi/5G.
eosdnn::environment default_environment() {
    using namespace eosdnn;
    environment_builder env;
    auto phone = env.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 20e9});
    auto edge1 = env.add_node({.name = "edge1", .tier = tier::edge, .flops_per_s = 1e12});
    auto edge2 = env.add_node({.name = "edge2", .tier = tier::edge, .flops_per_s = 2e12});
    auto cloud = env.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 10e12});
    env.connect(phone, edge1, {.bandwidth_Bps = mbps(40), .latency_s = 0.005});
    env.connect(phone, edge2, {.bandwidth_Bps = mbps(20), .latency_s = 0.008});
    env.connect(phone, cloud, {.bandwidth_Bps = mbps(10), .latency_s = 0.040});
    env.connect(edge1, edge2, {.bandwidth_Bps = mbps(1000), .latency_s = 0.001});
    env.connect(edge1, cloud, {.bandwidth_Bps = mbps(200), .latency_s = 0.020});
    env.connect(edge2, cloud, {.bandwidth_Bps = mbps(200), .latency_s = 0.020});
    return env.build();
}

eosdnn::layer_graph load_model(const std::string& name) {
    if (std::filesystem::path(name).extension() == ".csv") return eosdnn::read_profile_csv(name);
    return eosdnn::zoo_model(name);
}

std::vector<eosdnn::node_id> everything_on(const eosdnn::layer_graph& graph, eosdnn::node_id node) {
    return std::vector<eosdnn::node_id>(graph.size(), node);
}

// Prints, per node, how many layers run there and their FLOPs and parameter bytes, then the
// placement as runs of consecutive layers (in topological order) on one node.
void print_plan(const eosdnn::layer_graph& graph, const eosdnn::environment& env,
                const std::vector<eosdnn::node_id>& placement) {
    for (eosdnn::node_id s = 0; s < env.size(); ++s) {
        std::size_t layers = 0;
        double flops = 0, params = 0;
        for (eosdnn::layer_id j = 0; j < graph.size(); ++j)
            if (placement[j] == s) {
                ++layers;
                flops += graph[j].flops;
                params += graph[j].param_bytes;
            }
        std::printf("  %-6s %4zu layers  %9.3f GFLOP  %8.2f MB of parameters\n",
                    env[s].name.c_str(), layers, flops / 1e9, params / 1e6);
    }
    std::printf("  runs in topological order:\n");
    const auto order = graph.topological_order();
    for (std::size_t begin = 0; begin < order.size();) {
        std::size_t end = begin + 1;
        while (end < order.size() && placement[order[end]] == placement[order[begin]]) ++end;
        std::printf("    %-28s .. %-28s (%3zu layers) -> %s\n", graph[order[begin]].name.c_str(),
                    graph[order[end - 1]].name.c_str(), end - begin,
                    env[placement[order[begin]]].name.c_str());
        begin = end;
    }
}

}  // namespace

int main(int argc, char** argv) try {
    const std::string name = argc > 1 ? argv[1] : "resnet50";
    const eosdnn::layer_graph graph = load_model(name);
    const eosdnn::profiled_model cost(default_environment());
    const eosdnn::environment& env = cost.env();
    eosdnn::delay_evaluator evaluator(graph, cost);

    std::printf("model %s: %zu layers, %.2f M parameters, %.3f G MACs, %s\n", graph.name().c_str(),
                graph.size(), graph.total_param_bytes() / 4e6, graph.total_macs() / 1e9,
                graph.is_chain() ? "a chain" : "a DAG");
    std::printf("environment:");
    for (const auto& n : env.nodes())
        std::printf(" %s (%s, %.0f GFLOP/s)", n.name.c_str(), std::string(to_string(n.tier)).c_str(),
                    n.flops_per_s / 1e9);
    std::printf("\n\nmigration delay (sequential model):\n");
    for (eosdnn::node_id s = 0; s < env.size(); ++s)
        std::printf("  all on %-6s %10.3f ms\n", env[s].name.c_str(),
                    evaluator.evaluate(everything_on(graph, s)).delay_s * 1e3);

    std::vector<eosdnn::node_id> best;
    std::string how;
    if (graph.is_chain()) {
        best = eosdnn::viterbi_chain(graph, cost).placement;
        how = "exact optimum over all nodes (Viterbi)";
    } else {
        double best_delay = 0;
        for (eosdnn::node_id s = 1; s < env.size(); ++s) {
            const auto cut = eosdnn::min_cut_two_nodes(graph, cost, 0, s);
            std::printf("  phone+%-6s %10.3f ms  (exact optimum of the two, min cut)\n",
                        env[s].name.c_str(), cut.delay_s * 1e3);
            if (best.empty() || cut.delay_s < best_delay) {
                best = cut.placement;
                best_delay = cut.delay_s;
                how = "best two-node optimum (min cut with " + env[s].name + ")";
            }
        }
    }
    const eosdnn::evaluation value = evaluator.evaluate(best);
    std::printf("\nplan: %s, %.3f ms\n", how.c_str(), value.delay_s * 1e3);
    print_plan(graph, env, best);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "plan_zoo_model: %s\n", e.what());
    return 1;
}
