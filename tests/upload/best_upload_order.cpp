// LMU against the exhaustive best uploading plan (branch and bound over every order and grouping
// of contiguous runs of parameter layers) on random models with at most 10 parameter layers.
#include <eosdnn/upload/baselines.hpp>
#include <eosdnn/upload/best_upload_order.hpp>
#include <eosdnn/upload/emdl.hpp>
#include <eosdnn/upload/ionn.hpp>
#include <eosdnn/upload/lmu.hpp>
#include <eosdnn/upload/query_simulation.hpp>
#include <eosdnn/upload/reference_placement.hpp>

#include "../test_scale.hpp"
#include "upload_test_models.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace eosdnn;

namespace {

// The brute force the search is checked against, written from the definition of its space and
// not from the search: every plan whose partitions are contiguous runs of units of one block with
// any parameter-free blocks of their node (or one parameter-free block of a node without units),
// each interior parameter-free run with the unit before or after it, in every order, each
// simulated with simulate_queries(). Returns the best count; `plans` counts the plans.
std::size_t every_order_best(const upload_problem<analytic_model>& problem,
                             const simulation_options& sim, std::size_t& plans) {
    const layer_graph& g = problem.graph();
    const effective_delay<analytic_model>& q = problem.delay();
    const upload_units& base = problem.units();
    const std::size_t n = base.units.size();
    std::vector<std::size_t> runs;  // unit u whose following parameter-free run may move
    std::vector<std::size_t> param(n);
    for (std::size_t u = 0; u < n; ++u) {
        param[u] = base.units[u].first;
        while (!g[q.layer_at(param[u])].has_parameters()) ++param[u];
        if (u + 1 < n && base.units[u].block == base.units[u + 1].block &&
            base.units[u].last > param[u])
            runs.push_back(u);
    }
    std::size_t best = 0;
    for (std::size_t config = 0; config < (std::size_t{1} << runs.size()); ++config) {
        upload_units units = base;
        for (std::size_t r = 0; r < runs.size(); ++r)
            if (config >> r & 1) {
                units.units[runs[r]].last = param[runs[r]];
                units.units[runs[r] + 1].first = param[runs[r]] + 1;
            }
        // Items: the units, then the parameter-free blocks.
        std::vector<std::pair<std::size_t, std::size_t>> range;
        std::vector<node_id> node;
        std::vector<std::size_t> block;  // the unit's block; n + f for free block f
        for (const upload_unit& u : units.units) {
            range.emplace_back(u.first, u.last);
            node.push_back(units.blocks[u.block].node);
            block.push_back(u.block);
        }
        for (const upload_block& f : units.free_blocks) {
            range.emplace_back(f.first, f.last);
            node.push_back(f.node);
            block.push_back(units.blocks.size() + block.size());
        }
        const std::size_t items = range.size();
        auto valid = [&](const std::vector<std::size_t>& members) {
            std::vector<std::size_t> in_units;
            for (std::size_t i : members)
                if (node[i] != node[members.front()]) return false;
            for (std::size_t i : members)
                if (i < n) in_units.push_back(i);
            if (in_units.empty())  // a free block alone, on a node without units
                return members.size() == 1 && std::none_of(units.blocks.begin(), units.blocks.end(),
                                                           [&](const upload_block& b) {
                                                               return b.node == node[members[0]];
                                                           });
            for (std::size_t k = 1; k < in_units.size(); ++k)
                if (in_units[k] != in_units[k - 1] + 1 || block[in_units[k]] != block[in_units[0]])
                    return false;
            return true;
        };
        std::vector<std::vector<std::size_t>> sequence;
        auto extend = [&](auto&& self, std::size_t used) -> void {
            if (used == (std::size_t{1} << items) - 1) {
                std::vector<upload_partition> steps;
                for (const auto& members : sequence) {
                    upload_partition part{.node = node[members.front()]};
                    for (std::size_t i : members)
                        for (std::size_t p = range[i].first; p <= range[i].second; ++p)
                            part.layers.push_back(q.layer_at(p));
                    steps.push_back(std::move(part));
                }
                const upload_plan plan = finish_plan("brute", q, units, std::move(steps));
                ++plans;
                best = std::max(best, upload_test::queries(g, problem.model(), plan, sim));
                return;
            }
            const std::size_t rest = ((std::size_t{1} << items) - 1) & ~used;
            for (std::size_t group = rest; group; group = (group - 1) & rest) {
                std::vector<std::size_t> members;
                for (std::size_t i = 0; i < items; ++i)
                    if (group >> i & 1) members.push_back(i);
                if (!valid(members)) continue;
                sequence.push_back(members);
                self(self, used | group);
                sequence.pop_back();
            }
        };
        extend(extend, 0);
    }
    return best;
}

}  // namespace

TEST_CASE("the exhaustive search agrees with the simulation of the order it returns") {
    const layer_graph g = upload_test::three_layers();
    const analytic_model model = upload_test::phone_and_server();
    const std::vector<node_id> x = {1, 1, 1};
    const upload_order_search best = best_upload_order(upload_problem(g, model, x));
    const simulation_result r = simulate_queries(g, model, best.plan);
    CHECK(r.metrics.queries_during_upload == best.queries_during_upload);
    // Layer by layer (A, B, C) completes 18 queries (see query_simulation.cpp); it is one of the
    // plans searched.
    CHECK(best.queries_during_upload >= 18);
    CHECK_THROWS_WITH_AS(
        best_upload_order(upload_problem(g, model, x, 0), {}, {.max_parameter_layers = 2}),
        doctest::Contains("max_parameter_layers"), eosdnn::error);
    // An incumbent nobody beats: nothing found, the incumbent is reported.
    const upload_order_search none =
        best_upload_order(upload_problem(g, model, x, 0), {}, {.incumbent = 1000});
    CHECK(!none.improved);
    CHECK(none.queries_during_upload == 1000);
}

TEST_CASE("LMU reaches at least 90% of the best queries during upload on small models" *
          doctest::test_suite("slow")) {
    std::mt19937 rng(2024);
    const analytic_model one = upload_test::phone_and_server();
    const analytic_model three = upload_test::phone_edge_cloud();
    std::vector<double> ratios, ionn_ratios, lbl_ratios;
    double worst = 1;
    // Under the sanitizers the first 8 trials (test_scale.hpp): each size of model once.
    const int trials = static_cast<int>(eosdnn::test::seeds_here(30, 8));
    for (int trial = 0; trial < trials; ++trial) {
        const bool dag = trial % 3 == 1;
        const bool multi = trial % 3 == 2;  // chains placed on the edge and the cloud
        const int params = 3 + trial % 8;   // 3..10 parameter layers
        const layer_graph g = upload_test::random_model(rng, params, dag);
        const analytic_model& model = multi ? three : one;
        std::vector<node_id> x = reference_placement(g, model).placement;
        if (std::count(x.begin(), x.end(), node_id{0}) == static_cast<long>(x.size()))
            std::fill(x.begin() + 1, x.end(), node_id{1});  // plan for an all-remote target then
        const auto lmu =
            simulate_queries(g, model, lmu_planner{}.plan(upload_problem(g, model, x)));
        // LMU's plan lies in the search space, so its count prunes without losing the optimum.
        const upload_order_search best = best_upload_order(
            upload_problem(g, model, x, 0), {}, {.incumbent = lmu.metrics.queries_during_upload});
        REQUIRE(best.complete);
        if (best.queries_during_upload < 5) continue;  // too short an upload to compare ratios
        const auto lbl =
            simulate_queries(g, model, layer_by_layer_planner{}.plan(upload_problem(g, model, x)));
        const double ratio = static_cast<double>(lmu.metrics.queries_during_upload) /
                             static_cast<double>(best.queries_during_upload);
        CAPTURE(trial);
        CAPTURE(best.queries_during_upload);
        CAPTURE(lmu.metrics.queries_during_upload);
        CHECK(ratio >= 0.9);
        // Layer by layer and EMDL are plans of the search space (up to rounding of the closed
        // form).
        CHECK(lbl.metrics.queries_during_upload <= best.queries_during_upload + 1);
        if (!multi) {
            const auto emdl =
                simulate_queries(g, model, emdl_planner{}.plan(upload_problem(g, model, x)));
            CHECK(emdl.metrics.queries_during_upload <= best.queries_during_upload + 1);
        }
        ratios.push_back(ratio);
        worst = std::min(worst, ratio);
        lbl_ratios.push_back(static_cast<double>(lbl.metrics.queries_during_upload) /
                             static_cast<double>(best.queries_during_upload));
        if (!multi || g.is_chain()) {
            const auto ionn =
                simulate_queries(g, model, ionn_planner{}.plan(upload_problem(g, model, x)));
            ionn_ratios.push_back(static_cast<double>(ionn.metrics.queries_during_upload) /
                                  static_cast<double>(best.queries_during_upload));
        }
    }
    auto mean = [](const std::vector<double>& v) {
        double s = 0;
        for (double r : v) s += r;
        return v.empty() ? 0.0 : s / static_cast<double>(v.size());
    };
    REQUIRE(ratios.size() >= static_cast<std::size_t>(trials) * 2 / 3);  // 20 of 30
    MESSAGE("LMU / best queries during upload over "
            << ratios.size() << " models: mean " << mean(ratios) << ", worst " << worst
            << "; IONN mean " << mean(ionn_ratios) << "; layer-by-layer mean " << mean(lbl_ratios));
    CHECK(mean(ratios) >= 0.95);
    CHECK(mean(ratios) <= 1.0);
}

TEST_CASE("under the shared uplink the exhaustive search is the brute force's best") {
    // Random chains and DAGs with parameter-free layers, 2 to 4 parameter layers, 1 to 3 servers,
    // under a random placement per layer, everything on one server, or the second half on
    // another; the rules of the simulation vary with the trial (choice, window, first query,
    // overheads), all under uplink_sharing::queries_first.
    std::mt19937 rng(1111);
    std::size_t compared = 0, plans = 0, nodes = 0, uplink_paused = 0;
    for (int trial = 0; trial < 48; ++trial) {
        CAPTURE(trial);
        const int servers = 1 + trial % 3;
        const analytic_model model = upload_test::phone_and_servers(servers);
        const layer_graph g = upload_test::random_model(rng, 3 + trial % 3, trial % 2 == 1);
        std::vector<node_id> x(g.size(), 1);
        std::uniform_int_distribution<int> pick(0, servers);
        for (layer_id j = 0; j < g.size(); ++j)
            if (j == g.input())
                x[j] = 0;
            else if (trial % 4 == 0)
                x[j] = static_cast<node_id>(pick(rng));
            else if (trial % 4 == 2 && j >= g.size() / 2)
                x[j] = static_cast<node_id>(servers);
        if (std::all_of(x.begin(), x.end(), [](node_id s) { return s == 0; })) continue;
        const upload_problem problem(g, model, x, 0,
                                     upload_cost_options{.partition_overhead = trial % 5 != 3});
        if (problem.units().units.size() + problem.units().free_blocks.size() > 7) continue;
        simulation_options sim{.ack_latency_s = trial % 3 == 0 ? 0.0 : 0.002,
                               .uplink = uplink_sharing::queries_first};
        if (trial % 6 == 5) sim.first_query = first_query_policy::wait;
        if (trial % 7 == 4) sim.choice = remote_choice::forced;
        if (trial % 4 == 1) sim.window = count_window::upload_end;
        std::size_t count = 0;
        const std::size_t brute = every_order_best(problem, sim, count);
        plans += count;
        const upload_order_search best = best_upload_order(problem, sim);
        REQUIRE(best.complete);
        CHECK(best.improved);
        CHECK(best.queries_during_upload == brute);
        // The plan it returns simulates to the count it reports.
        const simulation_result r = simulate_queries(g, model, best.plan, sim);
        CHECK(r.metrics.queries_during_upload == best.queries_during_upload);
        simulation_options apart = sim;
        apart.uplink = uplink_sharing::separate;
        uplink_paused +=
            r.metrics.upload_s > simulate_queries(g, model, best.plan, apart).metrics.upload_s;
        // With the best count as the incumbent nothing beats it; with one less, the search
        // finds a plan that reaches it.
        if (brute > 0) {
            const upload_order_search beaten =
                best_upload_order(problem, sim, {.incumbent = brute});
            CHECK(!beaten.improved);
            CHECK(beaten.queries_during_upload == brute);
            const upload_order_search found =
                best_upload_order(problem, sim, {.incumbent = brute - 1});
            CHECK(found.improved);
            CHECK(found.queries_during_upload == brute);
            CHECK(upload_test::queries(g, model, found.plan, sim) == brute);
            nodes += found.nodes_visited;
        }
        ++compared;
    }
    MESSAGE("shared uplink: " << compared << " models, " << plans << " plans simulated by the "
                              << "brute force; " << uplink_paused << " best plans paused by "
                              << "queries; " << nodes << " search nodes with the incumbent");
    CHECK(compared >= 30);
    CHECK(uplink_paused >= compared / 2);
}
