// The native exact solver (bucket elimination and branch and bound) against the integer program
// solved by CBC, an independent method: on the zoo and the profiles in four hard environments of
// 3 to 6 nodes, and on random DAGs, series-parallel and not, of 20 to 300 layers over 3 to 6
// nodes. Both must prove their optimum, and the optima must agree.
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/milp/cbc.hpp>
#include <eosdnn/optim/exact_dag.hpp>
#include <eosdnn/zoo/random_dag.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include "../optim/hard_environments.hpp"
#include "../test_scale.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using namespace eosdnn;

// Both proven, and the same optimum to a relative 1e-9 (CBC proves to its own tolerance; its
// lower bound and the native one must each stay below the other's plan).
template <class Model>
void agree(const layer_graph& g, delay_evaluator<Model>& p) {
    const exact_result native = solve_exact(p);
    const exact_result cbc = solve_milp(g, p);
    REQUIRE(native.proven_optimal);
    REQUIRE(cbc.proven_optimal);
    const double a = native.value.objective, b = cbc.value.objective;
    CHECK(std::abs(a - b) <= 1e-9 * b);
    CHECK(native.lower_bound <= b * (1 + 1e-12));
    CHECK(cbc.lower_bound <= a * (1 + 1e-12));
}

}  // namespace

TEST_CASE(
    "cbc and the native exact solver agree on the zoo and the profiles in four hard "
    "environments of 3-6 nodes" *
    doctest::test_suite("slow")) {
    std::vector<std::pair<std::string, layer_graph>> models;
    for (std::string_view name : zoo_model_names())
        models.emplace_back(std::string(name), zoo_model(name));
    for (const char* csv : {"alexnet", "googlenet", "resnet50"})
        models.emplace_back(
            std::string(csv) + ".csv",
            read_profile_csv(std::string(EOSDNN_DATA_DIR) + "/ionn-profiles/" + csv + ".csv"));
    const auto envs = optim_test::hard_environments();
    for (std::size_t e = 0; e < envs.size(); ++e) {
        const auto& named_env = envs[e];
        const profiled_model model(named_env.env);
        for (std::size_t m = 0; m < models.size(); ++m) {
            // Under the sanitizers model m runs in environment m mod 4 only: every model and
            // every environment still runs (test_scale.hpp).
            if (eosdnn::test::reduced_tests && m % envs.size() != e) continue;
            const auto& named = models[m];
            const std::string& env_name = named_env.name;  // clang 14 cannot capture bindings
            const std::string& name = named.first;
            CAPTURE(env_name);
            CAPTURE(name);
            delay_evaluator<profiled_model> p(named.second, model);
            agree(named.second, p);
        }
    }
}

TEST_CASE(
    "cbc and the native exact solver agree on random DAGs of 20-300 layers - series-parallel "
    "and not - over 3-6 nodes" *
    doctest::test_suite("slow")) {
    const auto envs = optim_test::hard_environments();
    int instance = 0;
    // Under the sanitizers the largest DAGs have 150 layers (test_scale.hpp).
    for (dag_shape shape :
         {dag_shape::residual, dag_shape::inception, dag_shape::mixed, dag_shape::layered})
        for (std::size_t layers :
             {std::size_t{20}, std::size_t{80}, eosdnn::test::size_here(300, 150)}) {
            const auto& named_env = envs[static_cast<std::size_t>(instance) % envs.size()];
            const std::uint64_t seed = 100 + static_cast<std::uint64_t>(instance++);
            const layer_graph g = make_random_dag({.layers = layers, .shape = shape, .seed = seed});
            const std::string shape_name(to_string(shape));
            const std::string& env_name = named_env.name;
            CAPTURE(shape_name);
            CAPTURE(layers);
            CAPTURE(env_name);
            const analytic_model model(named_env.env);
            delay_evaluator<analytic_model> p(g, model);
            agree(g, p);
        }
}

TEST_CASE("cbc and the native exact solver agree when memory capacities bind" *
          doctest::test_suite("slow")) {
    // Every server holds less than ResNet-18's 46.8 MB of parameters, so its plans must spread
    // the model over the servers and the phone.
    environment_builder b;
    const auto phone = b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 2e10});
    const auto edge1 = b.add_node(
        {.name = "edge1", .tier = tier::edge, .flops_per_s = 1e12, .memory_bytes = 40e6});
    const auto edge2 = b.add_node(
        {.name = "edge2", .tier = tier::edge, .flops_per_s = 2e12, .memory_bytes = 30e6});
    const auto cloud = b.add_node(
        {.name = "cloud", .tier = tier::cloud, .flops_per_s = 1e13, .memory_bytes = 20e6});
    b.connect(phone, edge1, {.bandwidth_Bps = mbps(40), .latency_s = 0.005});
    b.connect(phone, edge2, {.bandwidth_Bps = mbps(20), .latency_s = 0.008});
    b.connect(phone, cloud, {.bandwidth_Bps = mbps(10), .latency_s = 0.04});
    b.connect(edge1, edge2, {.bandwidth_Bps = mbps(1000), .latency_s = 0.001});
    b.connect(edge1, cloud, {.bandwidth_Bps = mbps(200), .latency_s = 0.02});
    b.connect(edge2, cloud, {.bandwidth_Bps = mbps(200), .latency_s = 0.02});
    const analytic_model model(b.build());
    for (const char* name : {"alexnet", "vgg16", "resnet18", "googlenet"}) {
        CAPTURE(name);
        const layer_graph g = zoo_model(name);
        delay_evaluator<analytic_model> p(g, model);
        agree(g, p);
        CHECK(solve_exact(p).value.feasible());
    }
}
