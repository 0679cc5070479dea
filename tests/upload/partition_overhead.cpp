// Issue 11, realistic uploads: every partition pays a per-request overhead (the device's link
// latency to its node plus the environment's request cost), and a query runs the fastest of the
// placements of the plan's prefixes acknowledged so far instead of being forced to run every
// acknowledged layer remotely.
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/cost/sequential_delay.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/upload/baselines.hpp>
#include <eosdnn/upload/best_upload_order.hpp>
#include <eosdnn/upload/emdl.hpp>
#include <eosdnn/upload/ionn.hpp>
#include <eosdnn/upload/lmu.hpp>
#include <eosdnn/upload/query_simulation.hpp>
#include <eosdnn/upload/reference_placement.hpp>

#include "upload_test_models.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace eosdnn;

namespace {

constexpr simulation_options forced{.choice = remote_choice::forced};

// The ODROID-and-GPU environment of the profile tests with a longer link.
profiled_model profile_env(double megabits, double latency_s, double request_s = 0) {
    environment_builder env;
    auto phone = env.add_node({.name = "odroid", .tier = tier::local, .flops_per_s = 2e9});
    auto server = env.add_node({.name = "gpu", .tier = tier::edge, .flops_per_s = 1e12});
    env.connect(phone, server, {.bandwidth_Bps = mbps(megabits), .latency_s = latency_s});
    env.set_request_overhead_s(request_s);
    return profiled_model(env.build());
}

layer_graph resnet50() {
    return read_profile_csv(std::string(EOSDNN_DATA_DIR) + "/ionn-profiles/resnet50.csv");
}

using upload_test::queries;

}  // namespace

TEST_CASE("each partition costs its bytes, its link's latency and the request cost") {
    environment_builder env;
    env.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 1e9});
    env.add_node({.name = "server", .tier = tier::edge, .flops_per_s = 1e11});
    env.connect(0, 1, {.bandwidth_Bps = 1e6, .latency_s = 0.01});
    env.set_request_overhead_s(0.005);
    const analytic_model model(env.build());
    const layer_graph g = upload_test::three_layers();  // 1, 2 and 1 MB of parameters
    const std::vector<node_id> x = {1, 1, 1};
    CHECK(partition_overhead_s(model.env(), 0, 1) == doctest::Approx(0.015));
    CHECK(partition_overhead_s(model.env(), 0, 0) == 0);
    CHECK(partition_overhead_s(model.env(), 0, 1, {.partition_overhead = false}) == 0);

    const upload_problem charged(g, model, x);
    CHECK(charged.costs().partition_overhead);
    CHECK(charged.delay().partition_overhead(1) == doctest::Approx(0.015));
    CHECK(charged.delay().partition_upload_time(0, 2) == doctest::Approx(4.015));
    const upload_plan layers = layer_by_layer_planner{}.plan(charged);
    REQUIRE(layers.partitions.size() == 3);
    CHECK(layers.partitions[1].upload_s == doctest::Approx(2.015));
    CHECK(layers.partitions[1].overhead_s == doctest::Approx(0.015));
    CHECK(layers.upload_s() == doctest::Approx(4.045));
    const upload_plan whole = whole_model_planner{}.plan(charged);
    CHECK(whole.upload_s() == doctest::Approx(4.015));

    // The simulation charges what the partitions hold: acknowledgements come later, and the
    // queries are counted until the bytes' end (4 s), the same for both plans.
    const simulation_result r = simulate_queries(g, model, layers);
    CHECK(r.uploads[0].acknowledged_s == doctest::Approx(1.015));
    CHECK(r.uploads[2].acknowledged_s == doctest::Approx(4.045));
    CHECK(r.metrics.upload_s == doctest::Approx(4.045));
    std::size_t by_bytes_end = 0, by_own_end = 0;
    for (const auto& q : r.queries) {
        by_bytes_end += q.end_s <= 4.0 && q.start_s < 4.0;
        by_own_end += q.end_s <= 4.045 && q.start_s < 4.045;
    }
    CHECK(r.metrics.queries_during_upload == by_bytes_end);
    CHECK(simulate_queries(g, model, layers, {.window = count_window::upload_end})
              .metrics.queries_during_upload == by_own_end);

    // The model-free core: the overheads are left out of the window; one per partition, each
    // within its upload time.
    const std::vector<double> upload = {1.5, 1.5}, latency = {1.0, 0.25, 0.25};
    const std::vector<std::size_t> remote = {0, 1, 2};
    const std::vector<double> overhead = {0.5, 0.5};
    const auto steps = simulate_steps(upload, latency, remote, {}, overhead);
    CHECK(steps.metrics.upload_s == 3.0);
    // Acknowledgements at 1.5 and 3 s; the window ends at 2 s: queries 0-1 and 1-2 s count, not
    // the four of 0.25 s from 2 to 3 s, which count with the plan's own end.
    CHECK(steps.metrics.queries_during_upload == 2);
    CHECK(simulate_steps(upload, latency, remote, {.window = count_window::upload_end}, overhead)
              .metrics.queries_during_upload == 6);
    CHECK_THROWS_AS(simulate_steps(upload, latency, remote, {}, std::vector<double>{0.5}), error);
    CHECK_THROWS_AS(simulate_steps(upload, latency, remote, {}, std::vector<double>{2.0, 0.5}),
                    error);

    // Off: the bytes alone, as before issue 11's overheads.
    const upload_problem bare(g, model, x, 0, {.partition_overhead = false});
    const upload_plan free_layers = layer_by_layer_planner{}.plan(bare);
    CHECK(free_layers.partitions[1].upload_s == doctest::Approx(2.0));
    CHECK(free_layers.partitions[1].overhead_s == 0);
    CHECK(free_layers.upload_s() == doctest::Approx(4.0));
}

TEST_CASE("ResNet-50 at 40 Mbps, 10 ms: LMU makes far fewer partitions when each costs a trip") {
    const layer_graph g = resnet50();
    const profiled_model model = profile_env(40, 0.010);
    const std::vector<node_id> x = reference_placement(g, model).placement;
    const upload_problem bare(g, model, x, 0, {.partition_overhead = false});
    const upload_problem charged(g, model, x);
    const upload_plan before = lmu_planner{.simulation = forced}.plan(bare);
    const upload_plan after = lmu_planner{}.plan(charged);
    const std::size_t q_before = queries(g, model, before, forced);
    const std::size_t q_after = queries(g, model, after);
    MESSAGE("LMU on ResNet-50 (profile), 40 Mbps, 10 ms: "
            << before.partitions.size() << " partitions, " << q_before
            << " queries without the overhead "
               "(forced rule); "
            << after.partitions.size() << " partitions, " << q_after << " queries with both");
    CHECK(after.partitions.size() * 2 <= before.partitions.size());
    // Still at least as many queries as every baseline under the same costs and simulation.
    CHECK(q_after >= queries(g, model, emdl_planner{}.plan(charged)));
    CHECK(q_after >= queries(g, model, ionn_planner{}.plan(charged)));
    CHECK(q_after >= queries(g, model, whole_model_planner{}.plan(charged)));
    CHECK(q_after >= queries(g, model, layer_by_layer_planner{}.plan(charged)));
}

TEST_CASE("with a very large request cost LMU uploads one partition per node") {
    SUBCASE("ResNet-50 on one server") {
        const layer_graph g = resnet50();
        const profiled_model model = profile_env(40, 0.002, 1000);
        const upload_problem problem(g, model, reference_placement(g, model).placement);
        const upload_plan plan = lmu_planner{}.plan(problem);
        CHECK(plan.partitions.size() == 1);
        CHECK(lmu_planner{.portfolio = false}.plan(problem).partitions.size() == 1);
    }
    SUBCASE("a chain split over an edge and a cloud") {
        std::mt19937 rng(11);
        const layer_graph g = upload_test::random_model(rng, 8, false);
        const analytic_model model = upload_test::phone_and_servers(2, 1000);
        std::vector<node_id> x(g.size(), 1);
        x[0] = 0;
        for (std::size_t j = g.size() / 2; j < g.size(); ++j) x[j] = 2;
        const upload_plan plan = lmu_planner{}.plan(upload_problem(g, model, x));
        REQUIRE(plan.partitions.size() == 2);
        CHECK(plan.partitions[0].node != plan.partitions[1].node);
    }
}

TEST_CASE("LMU against the exhaustive best plan with a request cost of 0.2 s") {
    // The groups of multi_server.cpp (random models of 5 to 9 parameter layers, exact and
    // all-remote placements, one and two servers), 10 seeds each, with every partition paying
    // its link's latency and 0.2 s more (uploads take tens of seconds: a plan of 9 partitions
    // pays about 10 % more than one of a partition per node).
    constexpr simulation_options sim{.ack_latency_s = 0.002};
    for (const bool dag : {false, true})
        for (const int servers : {1, 2})
            for (const bool remote : {false, true}) {
                const analytic_model model = upload_test::phone_and_servers(servers, 0.2);
                std::vector<double> ratios;
                std::ostringstream seeds;
                for (int seed = 1; seed <= 10; ++seed) {
                    std::mt19937 rng(
                        static_cast<unsigned>(5000 + 100 * seed + 10 * servers + 2 * dag + remote));
                    const layer_graph g = upload_test::random_model(rng, 5 + (seed - 1) % 5, dag);
                    std::vector<node_id> x = reference_placement(g, model).placement;
                    if (remote || std::all_of(x.begin(), x.end(), [](node_id s) { return !s; })) {
                        // Every layer but the input remote, the first half on node 1.
                        const auto order = g.topological_order();
                        for (std::size_t p = 1; p < order.size(); ++p)
                            x[order[p]] = servers == 2 && p * 2 >= order.size() ? 2 : 1;
                    }
                    const upload_problem problem(g, model, x);
                    const upload_plan plan = lmu_planner{.simulation = sim}.plan(problem);
                    const std::size_t lmu = queries(g, model, plan, sim);
                    const upload_order_search best =
                        best_upload_order(problem, sim, {.incumbent = lmu});
                    CAPTURE(seed);
                    REQUIRE(best.complete);
                    CHECK(lmu <= best.queries_during_upload + 1);
                    if (best.improved) {
                        const std::size_t check = queries(g, model, best.plan, sim);
                        CHECK(check + 1 >= best.queries_during_upload);
                        CHECK(check <= best.queries_during_upload + 1);
                    }
                    seeds << " " << seed << ":" << lmu << "/" << best.queries_during_upload << "("
                          << plan.partitions.size() << ")";
                    if (best.queries_during_upload >= 10)
                        ratios.push_back(static_cast<double>(lmu) /
                                         static_cast<double>(best.queries_during_upload));
                }
                double sum = 0, worst = 1;
                for (double r : ratios) {
                    sum += r;
                    worst = std::min(worst, r);
                }
                const double mean = ratios.empty() ? 1.0 : sum / static_cast<double>(ratios.size());
                const std::string name = std::string(dag ? "DAGs" : "chains") + ", " +
                                         std::to_string(servers) + " server(s), " +
                                         (remote ? "all remote" : "exact placement");
                MESSAGE(name << ": mean " << mean << ", worst " << worst << " over "
                             << ratios.size() << " models; seed:lmu/best(LMU partitions)"
                             << seeds.str());
                CAPTURE(name);
                CHECK(mean >= 0.98);
                CHECK(worst >= 0.9);
            }
}

TEST_CASE("choosing the fastest prefix: step latencies never rise, and equal the running minimum") {
    std::mt19937 rng(31);
    const analytic_model model = upload_test::phone_edge_cloud();
    for (int trial = 0; trial < 40; ++trial) {
        const layer_graph g = upload_test::random_model(rng, 3 + trial % 6, trial % 2 == 1);
        // Random placements: many of their prefixes are slower than the ones before.
        std::uniform_int_distribution<int> node(0, 2);
        std::vector<node_id> x(g.size());
        for (auto& s : x) s = static_cast<node_id>(node(rng));
        const upload_problem problem(g, model, x);
        for (const upload_plan& plan :
             {layer_by_layer_planner{}.plan(problem), lmu_planner{}.plan(problem)}) {
            const auto chosen = simulate_queries(g, model, plan, {.horizon_queries = 2});
            const auto each =
                simulate_queries(g, model, plan, {.horizon_queries = 2, .choice = forced.choice});
            double running = each.step_latency_s[0];
            for (std::size_t k = 0; k < chosen.step_latency_s.size(); ++k) {
                running = std::min(running, each.step_latency_s[k]);
                CHECK(chosen.step_latency_s[k] == running);
                if (k > 0) CHECK(chosen.step_latency_s[k] <= chosen.step_latency_s[k - 1]);
            }
            // No query is slower than running locally, and none slower than the one before.
            for (std::size_t i = 0; i < chosen.queries.size(); ++i) {
                CHECK(chosen.queries[i].latency_s <= chosen.metrics.initial_latency_s);
                if (i > 0) CHECK(chosen.queries[i].latency_s <= chosen.queries[i - 1].latency_s);
            }
            CHECK(chosen.metrics.latency_area_s2 <= each.metrics.latency_area_s2 * (1 + 1e-12));
        }
    }
}

TEST_CASE("a remote layer slower than the device: the forced rule loses to the choice") {
    // A server ten times slower than the phone, and a placement that sends B there anyway (a
    // placement made for another objective, say the device's energy). Forced, every query after
    // B's acknowledgement runs it remotely and takes longer than running locally; choosing, the
    // queries keep running locally.
    environment_builder env;
    env.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 1e9});
    env.add_node({.name = "slow", .tier = tier::edge, .flops_per_s = 1e8});
    env.connect(0, 1, {.bandwidth_Bps = 1e6, .latency_s = 0.001});
    const analytic_model model(env.build());
    const layer_graph g = upload_test::three_layers();
    const std::vector<node_id> x = {0, 1, 0};
    const upload_problem problem(g, model, x);
    const upload_plan plan = whole_model_planner{}.plan(problem);  // B: 2 MB, 2.001 s
    const simulation_options sim{.horizon_queries = 10};
    const auto f =
        simulate_queries(g, model, plan, {.horizon_queries = 10, .choice = forced.choice});
    const auto c = simulate_queries(g, model, plan, sim);
    const double local = sequential_delay(g, model, std::vector<node_id>{0, 0, 0});
    const double remote = sequential_delay(g, model, x);
    REQUIRE(remote > local);  // B remote: 2 s of compute instead of 0.2 s, and two transfers
    CHECK(f.step_latency_s.back() == doctest::Approx(remote));
    CHECK(c.step_latency_s.back() == doctest::Approx(local));
    // After the upload: ten queries each, remote ones slower.
    double forced_after = 0, chosen_after = 0;
    for (const auto& q : f.queries)
        if (q.start_s >= f.metrics.upload_s) forced_after += q.latency_s;
    for (const auto& q : c.queries)
        if (q.start_s >= c.metrics.upload_s) chosen_after += q.latency_s;
    CHECK(chosen_after < forced_after);
    CHECK(c.queries.back().remote_layers == 0);
    CHECK(f.queries.back().remote_layers == 1);

    // During an upload: A's output is large (1 s on the link), B's tiny. Layer by layer, A
    // arrives first and, forced, every query then ships A's output back to the device (1.1 s
    // instead of 0.2 s) until B arrives; choosing, they stay local until both are there.
    layer_graph_builder b("pair");
    auto a = b.add_layer(
        {.name = "A", .kind = "conv", .flops = 1e8, .param_bytes = 2e6, .output_bytes = 1e6});
    b.add_layer({.name = "B", .kind = "fc", .flops = 1e8, .param_bytes = 2e6, .output_bytes = 100},
                {a});
    b.set_input_bytes(1000);
    const layer_graph pair = b.build();
    const analytic_model fast = upload_test::phone_and_server(1e6, 0.001);
    const upload_plan layers =
        layer_by_layer_planner{}.plan(upload_problem(pair, fast, std::vector<node_id>{1, 1}));
    const auto lf = simulate_queries(pair, fast, layers, forced);
    const auto lc = simulate_queries(pair, fast, layers);
    CHECK(lf.step_latency_s[1] > 5 * lf.step_latency_s[0]);  // the forced first step is slower
    CHECK(lc.step_latency_s[1] == lc.step_latency_s[0]);
    CHECK(lc.metrics.queries_during_upload > lf.metrics.queries_during_upload);
    CHECK(lc.metrics.latency_area_s2 < lf.metrics.latency_area_s2);
    MESSAGE("layer by layer, A then B, 4 s upload: forced " << lf.metrics.queries_during_upload
                                                            << " queries, choice "
                                                            << lc.metrics.queries_during_upload);
}
