// Proven optima on real models in hard environments of 3 to 6 nodes: solve_exact proves them,
// they split the model (three or more nodes, or a relay), and the hybrid PSO-GA started at
// random (not seeded with the exact plan) reaches each of them for every one of 10 seeds; the
// same on random DAGs whose memory capacities bind.
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/optim/exact.hpp>
#include <eosdnn/optim/exact_dag.hpp>
#include <eosdnn/optim/pso_ga.hpp>
#include <eosdnn/zoo/random_dag.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include "../milp/capped_six.hpp"
#include "../test_scale.hpp"
#include "hard_environments.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace eosdnn;

struct named_model {
    std::string name;
    layer_graph graph;
};

// The seven zoo models and the three measured profiles.
std::vector<named_model> real_models() {
    std::vector<named_model> models;
    for (std::string_view name : zoo_model_names())
        models.push_back({std::string(name), zoo_model(name)});
    for (const char* csv : {"alexnet", "googlenet", "resnet50"})
        models.push_back(
            {std::string(csv) + ".csv",
             read_profile_csv(std::string(EOSDNN_DATA_DIR) + "/ionn-profiles/" + csv + ".csv")});
    return models;
}

// Whether a plan splits the model the hard way: three or more nodes, or two servers (one of
// them relays the input or the result), or the input or output layer away from the node that
// runs most of the work.
bool split(const layer_graph& g, std::span<const node_id> x, node_id device) {
    const std::set<node_id> used(x.begin(), x.end());
    std::set<node_id> servers = used;
    servers.erase(device);
    return used.size() >= 3 || servers.size() >= 2 || x[g.input()] != x[g.output()];
}

}  // namespace

TEST_CASE(
    "on the zoo and the profiles in four hard environments of 3-6 nodes - solve_exact proves "
    "optima that split the model and the hybrid PSO-GA from a random start reaches each "
    "for 10 of 10 seeds" *
    doctest::test_suite("slow")) {
    const auto models = real_models();
    int split_optima = 0, cells = 0;
    for (const auto& named_env : optim_test::hard_environments()) {
        const std::string& env_name = named_env.name;  // clang 14 cannot capture bindings
        const profiled_model model(named_env.env);
        int split_here = 0;
        for (const named_model& m : models) {
            const std::string& name = m.name;  // clang 14 cannot capture structured bindings
            const layer_graph& g = m.graph;
            CAPTURE(env_name);
            CAPTURE(name);
            delay_evaluator<profiled_model> p(g, model);
            const exact_result best = solve_exact(p);
            REQUIRE(best.proven_optimal);
            // The optimum is priced as the plain formula prices it.
            CHECK(std::abs(sequential_delay(g, model, best.placement, 0) - best.value.delay_s) <=
                  1e-12 * best.value.delay_s);
            split_here += split(g, best.placement, 0) ? 1 : 0;
            ++cells;
            // One seed under the sanitizers (test_scale.hpp).
            for (unsigned seed = 0; seed < eosdnn::test::seeds_here(10, 1); ++seed) {
                CAPTURE(seed);
                const auto r = hybrid_pso_ga(hybrid_options()).solve(p, seed);  // no initial plans
                CHECK(r.value.objective <= best.value.objective * (1 + 1e-9));
                CHECK(r.lower_bound <= best.value.objective);
            }
        }
        MESSAGE(env_name << ": " << split_here << " of " << models.size()
                         << " optima use three or more nodes or a relay");
        CHECK(split_here >= 4);
        split_optima += split_here;
    }
    MESSAGE(split_optima << " of " << cells << " optima use three or more nodes or a relay");
    CHECK(split_optima >= cells / 2);
}

TEST_CASE(
    "under binding memory capacities the hybrid PSO-GA from a random start reaches the proven "
    "optimum, where large moves that leave the capacities out stall") {
    // 30-layer random DAGs over the six capped nodes of milp/capped_six.hpp (both sets of
    // capacities): the plans must be spread over the servers and the phone. The large moves run
    // without time limits here, so that the runs are the same on any machine and under the
    // sanitizers (the defaults stop a move's capacity search after 10 ms).
    int blind_misses = 0;
    for (std::uint64_t instance = 1; instance <= 8; ++instance) {
        CAPTURE(instance);
        const layer_graph g =
            make_random_dag({.layers = 30, .shape = dag_shape::mixed, .seed = instance});
        const profiled_model model(
            milp_test::capped_six(instance % 2 ? milp_test::caps_a : milp_test::caps_b));
        delay_evaluator<profiled_model> p(g, model);
        const exact_result best = solve_exact(p);
        REQUIRE(best.proven_optimal);
        auto options = hybrid_options();
        options.large_moves.capped_move_time_limit_s = 0;
        options.large_moves.time_limit_s = 0;
        for (unsigned seed = 0; seed < 3; ++seed) {
            CAPTURE(seed);
            const auto r = hybrid_pso_ga(options).solve(p, seed);
            CHECK(r.value.feasible());
            CHECK(r.value.objective <= best.value.objective * (1 + 1e-9));
        }
        auto blind = options;
        blind.large_moves.memory = false;
        const auto b = hybrid_pso_ga(blind).solve(p, 0);
        CHECK(b.value.feasible());
        if (b.value.objective > best.value.objective * (1 + 1e-9)) ++blind_misses;
    }
    CHECK(blind_misses >= 1);  // the instances need the capacities in the moves
}
