// The smallest useful plan: which layers of ResNet-50 a phone should offload to an edge server.
// Only the headers it uses, not eosdnn/eosdnn.hpp: an app compiles what it includes
// (scripts/compile_cost.sh measures this file).
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/optim/pso_ga.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include <cstdio>

int main() {
    eosdnn::environment_builder nodes;  // node 0 is the device that owns the model
    auto phone =
        nodes.add_node({.name = "phone", .tier = eosdnn::tier::local, .flops_per_s = 20e9});
    auto edge = nodes.add_node({.name = "edge", .tier = eosdnn::tier::edge, .flops_per_s = 1e12});
    nodes.connect(phone, edge, {.bandwidth_Bps = eosdnn::mbps(40), .latency_s = 0.005});
    const eosdnn::analytic_model model(nodes.build());  // FLOPs / rate, latency + bytes / bandwidth
    const eosdnn::layer_graph net = eosdnn::zoo_model("resnet50");
    eosdnn::delay_evaluator problem(net, model);  // the migration delay of a placement
    auto plan = eosdnn::hybrid_pso_ga(eosdnn::hybrid_options()).solve(problem, /*seed=*/1);
    std::size_t remote = 0;
    for (eosdnn::node_id s : plan.placement) remote += s == edge;
    std::printf("%zu of %zu layers on the edge server: %.1f ms per query\n", remote, net.size(),
                plan.value.delay_s * 1e3);
}
