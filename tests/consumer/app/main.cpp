// Plans a three-layer model with the umbrella header: proves the package compiles and links,
// that the version it was found with is the one its headers carry, and that a measured profile
// is found by name and planned.
#include <eosdnn/eosdnn.hpp>

#include <iostream>

int main() {
    eosdnn::layer_graph_builder model("tiny");
    auto input = model.add_layer({.name = "input", .kind = "input", .output_bytes = 4e5});
    auto conv = model.add_layer(
        {.name = "conv", .kind = "conv", .flops = 2e9, .param_bytes = 1e6, .output_bytes = 1e5},
        {input});
    model.add_layer(
        {.name = "fc", .kind = "fc", .flops = 1e8, .param_bytes = 4e6, .output_bytes = 4e3},
        {conv});
    const eosdnn::layer_graph graph = model.build();

    eosdnn::environment_builder env;
    auto phone = env.add_node({.name = "phone", .tier = eosdnn::tier::local, .flops_per_s = 1e10});
    auto edge = env.add_node({.name = "edge", .tier = eosdnn::tier::edge, .flops_per_s = 1e12});
    env.connect(phone, edge, {.bandwidth_Bps = eosdnn::mbps(40), .latency_s = 0.005});
    const eosdnn::analytic_model cost(env.build());

    const eosdnn::exact_plan plan = eosdnn::viterbi_chain(graph, cost);
    for (eosdnn::layer_id j = 0; j < graph.size(); ++j)
        std::cout << graph[j].name << " -> " << cost.env()[plan.placement[j]].name << '\n';
    std::cout << "migration delay " << plan.delay_s << " s\n";
#ifdef EOSDNN_EXPECTED_VERSION
    // The installed header and the package (or eosdnn.pc) that found it carry one version.
    if (eosdnn::version_string != EOSDNN_EXPECTED_VERSION) {
        std::cerr << "version.hpp says " << eosdnn::version_string << ", the package "
                  << EOSDNN_EXPECTED_VERSION << '\n';
        return 1;
    }
#endif
    // A measured profile by name, from the package alone: an installed package reads its own copy.
    const eosdnn::layer_graph measured = eosdnn::measured_profile("ionn:resnet50");
    const eosdnn::profiled_model profiled(cost.env());
    eosdnn::delay_evaluator<eosdnn::profiled_model> evaluator(measured, profiled);
    const eosdnn::exact_result best = eosdnn::solve_exact(evaluator, {.time_limit_s = 10});
    std::cout << "ionn:resnet50 (" << measured.size() << " layers, from "
              << eosdnn::measured_profile_directory().string() << "): " << best.value.objective
              << " s" << (best.proven_optimal ? ", optimal" : "") << '\n';
#ifdef EOSDNN_EXPECTED_PREFIX
    const std::string dir = eosdnn::measured_profile_directory().string();
    if (dir.rfind(EOSDNN_EXPECTED_PREFIX, 0) != 0) {
        std::cerr << "the profiles come from " << dir << ", not from the installed prefix\n";
        return 1;
    }
#endif
    if (measured.size() != 245 || !best.proven_optimal) return 1;
    return plan.placement.size() == graph.size() ? 0 : 1;
}
