// Several devices sharing edge servers and a cloud: each phone runs its own model, their layers
// compete for the same servers, and one PSO-GA particle places the layers of all of them.
//
// multi_task_evaluator list-schedules every task on the shared nodes (one layer at a time per
// node) and minimises the mean completion time (docs/model.md, "Several tasks"). Planning each
// task alone ignores that contention; the joint plan moves some layers elsewhere.
#include <eosdnn/eosdnn.hpp>

#include <cstdio>
#include <span>
#include <vector>

int main() {
    using namespace eosdnn;
    const char* models[] = {"resnet18", "googlenet", "mobilenet_v2"};

    environment_builder b;
    std::vector<node_id> phones;
    for (int k = 1; k <= 3; ++k)
        phones.push_back(b.add_node(
            {.name = "phone" + std::to_string(k), .tier = tier::local, .flops_per_s = 20e9}));
    auto edge = b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 0.1e12});
    auto cloud = b.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 5e12});
    for (node_id p : phones) {
        b.connect(p, edge, {.bandwidth_Bps = mbps(300), .latency_s = 0.003});
        b.connect(p, cloud, {.bandwidth_Bps = mbps(100), .latency_s = 0.02});
    }
    b.connect(edge, cloud, {.bandwidth_Bps = mbps(1000), .latency_s = 0.02});
    const analytic_model model(b.build());

    std::vector<dnn_task> tasks;  // task k runs models[k] on phones[k]
    for (std::size_t k = 0; k < phones.size(); ++k)
        tasks.push_back({.graph = zoo_model(models[k]), .device = phones[k]});
    multi_task_evaluator problem(tasks, model);  // genes: task 0's layers, then task 1's, ...

    // Each task's own optimum, concatenated: what planning them one by one would give. It also
    // seeds the swarm, so the joint plan can only be better.
    const std::vector<node_id> alone = exact_tasks_plan(std::span<const dnn_task>(tasks), model);
    const double alone_mean = problem.evaluate(alone).delay_s;
    const std::vector<std::vector<node_id>> seeds{alone};
    const auto joint = hybrid_pso_ga(hybrid_options()).solve(problem, 1, seeds);

    const std::vector<double> done = problem.completion_times(joint.placement);
    for (std::size_t k = 0; k < tasks.size(); ++k) {
        std::size_t on_edge = 0, on_cloud = 0;
        for (std::size_t j = 0; j < tasks[k].graph.size(); ++j) {
            on_edge += joint.placement[problem.offset(k) + j] == edge;
            on_cloud += joint.placement[problem.offset(k) + j] == cloud;
        }
        std::printf(
            "%-13s on phone%zu: %3zu layers on the edge, %3zu in the cloud, done after %.1f ms\n",
            models[k], k + 1, on_edge, on_cloud, done[k] * 1e3);
    }
    std::printf("mean completion: %.1f ms planned jointly, %.1f ms planned one task at a time\n",
                joint.value.delay_s * 1e3, alone_mean * 1e3);
}
