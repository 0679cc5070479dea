// The PSO-GA engine: options and policies validated once, reproducible runs, parallel evaluation
// identical to serial, observers, pins, constraints, and optimality against the exact solvers.
#include <eosdnn/optim/pso_ga.hpp>

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/incremental_chain.hpp>
#include <eosdnn/cost/multi_task_evaluator.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/optim/exact.hpp>
#include <eosdnn/optim/pinned_problem.hpp>
#include <eosdnn/optim/seeding.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include "../test_scale.hpp"
#include "fixtures.hpp"
#include "hard_environments.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

using namespace eosdnn;
using optim_test::link_speed;

namespace {

constexpr link_speed speeds[] = {link_speed::slow, link_speed::medium, link_speed::fast};

bool within(double value, double optimum, double relative = 1e-9) {
    return value <= optimum + relative * std::abs(optimum);
}

std::string message_of(auto&& f) {
    try {
        f();
    } catch (const error& e) {
        return e.what();
    }
    return "";
}

// Wraps a problem and remembers whether any evaluated placement moved gene `watched`.
template <class P>
struct pin_spy {
    P inner;
    std::size_t watched;
    node_id pinned_to;
    std::size_t* moved;
    std::size_t dimension() const { return inner.dimension(); }
    std::span<const node_id> choices(std::size_t g) const { return inner.choices(g); }
    evaluation evaluate(std::span<const node_id> x) {
        if (x[watched] != pinned_to) ++*moved;
        return inner.evaluate(x);
    }
};

}  // namespace

TEST_CASE("options and policies are validated once, naming the field and the value") {
    CHECK(message_of([] { pso_ga<>({.population = 0}); }).find("pso_ga_options.population is 0") !=
          std::string::npos);
    CHECK(message_of([] { pso_ga<>({.iterations = 0}); }).find("iterations is 0") !=
          std::string::npos);
    CHECK(message_of([] { pso_ga<>({.threads = 0}); }).find("threads is 0") != std::string::npos);
    CHECK_THROWS_AS(with_mutation(paper_pso_ga(), k_gene_reset_mutation{.k = 0}), error);
    CHECK_THROWS_AS(with_crossover(paper_pso_ga(), uniform_crossover{.rate = 2}), error);
    CHECK_THROWS_AS(with_inertia(paper_pso_ga(), constant_inertia{.w = -1}), error);
    CHECK_THROWS_AS(pso_ga({}, pso_ga_policies{.coefficients = linear_coefficients{.c1_start = 3}}),
                    error);
    CHECK_THROWS_AS(with_stop(paper_pso_ga(), max_iterations{} || stall_iterations{.count = 0}),
                    error);
    CHECK(message_of([] {
              with_stop(paper_pso_ga(), max_evaluations{.count = 0});
          }).find("max_evaluations.count is 0") != std::string::npos);
    CHECK_NOTHROW(pso_ga<>{});
}

TEST_CASE("initial plans must be valid placements and fit the population") {
    optim_test::target_problem p({0, 1, 2, 3}, 4);
    const pso_ga<> opt({.population = 2, .iterations = 5});
    const std::vector<std::vector<node_id>> bad_size{{0, 1}};
    CHECK_THROWS_AS(opt.solve(p, 1, bad_size), error);
    const std::vector<std::vector<node_id>> bad_node{{0, 1, 2, 9}};
    CHECK_THROWS_AS(opt.solve(p, 1, bad_node), error);
    const std::vector<std::vector<node_id>> too_many(3, std::vector<node_id>{0, 0, 0, 0});
    CHECK_THROWS_AS(opt.solve(p, 1, too_many), error);
    // A seeded optimum is kept.
    const std::vector<std::vector<node_id>> optimum{{0, 1, 2, 3}};
    const auto r = opt.solve(p, 1, optimum);
    CHECK(r.placement == optimum[0]);
    CHECK(r.value.objective == 0);
}

TEST_CASE("the paper preset solves a toy problem and never moves a fixed gene") {
    std::mt19937_64 rng(31);
    std::vector<node_id> target(40);
    for (auto& v : target) v = static_cast<node_id>(rng() % 4);
    std::size_t moved = 0;
    pin_spy<optim_test::target_problem> spy{optim_test::target_problem(target, 4, true), 0,
                                            target[0], &moved};
    // Gene 0 is fixed; the initial random particles draw it from its single choice.
    const auto r = paper_pso_ga({.population = 40, .iterations = 400}).solve(spy, 5);
    CHECK(r.value.objective == 0);
    CHECK(r.placement == target);
    CHECK(moved == 0);
}

TEST_CASE("pins reported by delay_evaluator are never moved, and the plan honours them") {
    std::mt19937_64 rng(32);
    for (link_speed speed : speeds) {
        const layer_graph g = optim_test::random_dag(12, rng);
        analytic_model model(optim_test::three_tier(speed));
        constraints limits;
        limits.pinned.assign(g.size(), std::nullopt);
        limits.pinned[3] = node_id{3};
        limits.pinned[7] = node_id{0};
        std::size_t moved = 0;
        pin_spy<delay_evaluator<analytic_model>> spy{
            delay_evaluator<analytic_model>(g, model, {}, limits), 3, node_id{3}, &moved};
        // The spy hides limits(), so pass the pins explicitly through pinned_problem.
        pinned_problem<decltype(spy)> problem(spy, limits.pinned);
        const auto r = hybrid_pso_ga(hybrid_options()).solve(problem, 7);
        CHECK(moved == 0);
        CHECK(r.value.feasible());
        CHECK(r.placement[3] == 3);
        CHECK(r.placement[7] == 0);
        // And directly: gene_space reads delay_evaluator's limits().pinned.
        delay_evaluator<analytic_model> direct(g, model, {}, limits);
        const auto d = paper_pso_ga({.population = 20, .iterations = 50}).solve(direct, 8);
        CHECK(d.placement[3] == 3);
        CHECK(d.placement[7] == 0);
        CHECK(d.value.feasible());
    }
}

TEST_CASE("the same seed gives the identical log and plan and another seed another log") {
    std::mt19937_64 rng(33);
    const layer_graph g = optim_test::random_dag(30, rng);
    analytic_model model(optim_test::three_tier(link_speed::medium));
    delay_evaluator<analytic_model> p(g, model);
    const paper_pso_ga paper({.population = 30, .iterations = 60});
    const auto a = paper.solve(p, 42), b = paper.solve(p, 42), c = paper.solve(p, 43);
    CHECK(a.log == b.log);
    CHECK(a.placement == b.placement);
    CHECK(a.value.objective == b.value.objective);
    CHECK(a.evaluations == b.evaluations);
    CHECK(a.log != c.log);
    CHECK(a.log.size() == a.iterations + 1);
    const hybrid_pso_ga hybrid(hybrid_options());
    const auto h1 = hybrid.solve(p, 42), h2 = hybrid.solve(p, 42);
    CHECK(h1.log == h2.log);
    CHECK(h1.placement == h2.placement);
}

TEST_CASE("keep_swarm returns one valid plan per particle, gBest included, for a warm start") {
    // Random DAGs in the hard environments (3 to 6 nodes), the paper and the hybrid presets: the
    // swarm has a plan per particle, each valid and no better than gBest, gBest first; a
    // run started from it (another seed, as after an event) is never worse than gBest.
    for (const auto& [name, env] : optim_test::hard_environments()) {
        CAPTURE(name);
        std::mt19937_64 rng(5);
        const layer_graph g = optim_test::random_dag(40, rng);
        const analytic_model model(env);
        delay_evaluator<analytic_model> p(g, model);
        pso_ga_options paper_options{.population = 20, .iterations = 40, .keep_swarm = true};
        pso_ga_options hybrid = hybrid_options();
        hybrid.population = 20;
        hybrid.iterations = 40;
        hybrid.keep_swarm = true;
        for (const auto& options : {paper_options, hybrid}) {
            const pso_ga<> engine(options);
            const auto first = engine.solve(p, 7);
            REQUIRE(first.swarm.size() == options.population);
            for (const auto& x : first.swarm) {
                REQUIRE(x.size() == g.size());
                for (std::size_t j = 0; j < x.size(); ++j) {
                    const auto c = p.choices(j);
                    CHECK(std::find(c.begin(), c.end(), x[j]) != c.end());
                }
                CHECK_FALSE(better(p.evaluate(x), first.value));
            }
            CHECK(first.swarm.front() == first.placement);
            const auto warm =
                engine.solve(p, 8, std::span<const std::vector<node_id>>(first.swarm));
            CHECK_FALSE(better(first.value, warm.value));
            CHECK(pso_ga<>({.population = 20, .iterations = 5}).solve(p, 7).swarm.empty());
        }
    }
}

TEST_CASE("any uniform random bit generator drives the engine") {
    std::mt19937_64 rng(44);
    const layer_graph g = optim_test::random_chain(20, rng);
    analytic_model model(optim_test::three_tier(link_speed::fast));
    incremental_chain<analytic_model> p(g, model);
    using minstd = hybrid_pso_ga::with_engine<std::minstd_rand>;
    const minstd opt(hybrid_options());
    const auto a = opt.solve(p, 5), b = opt.solve(p, 5);
    CHECK(a.log == b.log);
    CHECK(within(a.value.objective, viterbi_chain(g, model).delay_s));
    std::ranlux48 engine(3);  // an engine passed by reference keeps its state across runs
    const auto ranlux =
        with_engine<std::ranlux48>(paper_pso_ga({.population = 10, .iterations = 20}));
    const auto c = ranlux.solve(p, engine);
    const auto d = ranlux.solve(p, engine);
    CHECK(c.log != d.log);
}

TEST_CASE("the log is a convergence curve: best never worsens, evaluations grow") {
    std::mt19937_64 rng(34);
    const layer_graph g = optim_test::random_chain(40, rng);
    analytic_model model(optim_test::three_tier(link_speed::slow));
    incremental_chain<analytic_model> p(g, model);
    const auto r = paper_pso_ga({.population = 20, .iterations = 100}).solve(p, 3);
    REQUIRE(r.log.size() >= 2);
    CHECK(r.log.front().iteration == 0);
    CHECK(r.log.front().evaluations == 20);
    for (std::size_t i = 1; i < r.log.size(); ++i) {
        CHECK(r.log[i].iteration == i);
        CHECK(r.log[i].best_objective <= r.log[i - 1].best_objective);
        CHECK(r.log[i].evaluations >= r.log[i - 1].evaluations);
        CHECK(r.log[i].diversity >= 0);
        CHECK(r.log[i].diversity <= 1);
        CHECK(r.log[i].mean_objective >= r.log[i].best_objective);
    }
    CHECK(r.log.back().best_objective == r.value.objective);
    const auto quiet =
        paper_pso_ga({.population = 20, .iterations = 100, .keep_log = false}).solve(p, 3);
    CHECK(quiet.log.empty());
    CHECK(quiet.placement == r.placement);
}

TEST_CASE("an observer sees every record and can stop the run") {
    std::mt19937_64 rng(35);
    const layer_graph g = optim_test::random_chain(20, rng);
    analytic_model model(optim_test::three_tier(link_speed::fast));
    delay_evaluator<analytic_model> p(g, model);
    std::vector<iteration_record> seen;
    auto stop_at_5 = [&](const iteration_record& r, std::span<const node_id> best) {
        seen.push_back(r);
        CHECK(best.size() == g.size());
        return r.iteration < 5;
    };
    const auto r = paper_pso_ga({.population = 10, .iterations = 100}).solve(p, 1, {}, stop_at_5);
    CHECK(r.stopped_by_observer);
    CHECK(r.iterations == 5);
    CHECK(seen == r.log);
    std::size_t calls = 0;
    auto counting = [&](const iteration_record&, std::span<const node_id>) { ++calls; };
    const auto full = paper_pso_ga({.population = 10, .iterations = 30}).solve(p, 1, {}, counting);
    CHECK(!full.stopped_by_observer);
    CHECK(calls == full.log.size());
}

TEST_CASE("stop conditions end the run where they say") {
    std::mt19937_64 rng(36);
    const layer_graph g = optim_test::random_chain(25, rng);
    analytic_model model(optim_test::three_tier(link_speed::medium));
    incremental_chain<analytic_model> p(g, model);
    const auto r = with_stop(paper_pso_ga({.population = 10, .iterations = 1000}),
                             max_evaluations{.count = 300})
                       .solve(p, 2);
    CHECK(r.evaluations >= 300);
    CHECK(r.evaluations < 300 + 10);
    const auto s =
        with_stop(paper_pso_ga({.population = 10, .iterations = 10}), stall_iterations{.count = 15})
            .solve(p, 2);
    // Past the horizon the schedules hold their last value, and the run goes on until the stall.
    CHECK(s.log.size() >= 16);
    std::size_t stall = 0;
    for (std::size_t i = 1; i < s.log.size(); ++i)
        stall = s.log[i].best_objective < s.log[i - 1].best_objective ? 0 : stall + 1;
    CHECK(stall == 15);
    const double optimum = viterbi_chain(g, model).delay_s;
    const auto t =
        with_stop(hybrid_pso_ga({.population = 30, .iterations = 400, .polish_after_stall = 10}),
                  target_objective{.objective = optimum} || max_iterations{})
            .solve(p, 2);
    CHECK(within(t.value.objective, optimum));
    CHECK(t.iterations < 400);
}

TEST_CASE("parallel evaluation is bit-identical to a single thread") {
    std::mt19937_64 rng(37);
    const layer_graph dag = optim_test::random_dag(40, rng),
                      chain = optim_test::random_chain(50, rng);
    analytic_model model(optim_test::three_tier(link_speed::medium));
    for (std::size_t threads : {2u, 3u}) {
        delay_evaluator<analytic_model> p(dag, model);
        const auto one = paper_pso_ga({.population = 25, .iterations = 40}).solve(p, 9);
        const auto many =
            paper_pso_ga({.population = 25, .iterations = 40, .threads = threads}).solve(p, 9);
        CHECK(one.log == many.log);
        CHECK(one.placement == many.placement);
        CHECK(one.value.objective == many.value.objective);
        incremental_chain<analytic_model> q(chain, model);
        const auto h1 = hybrid_pso_ga(hybrid_options()).solve(q, 9);
        auto options = hybrid_options();
        options.threads = threads;
        const auto hn = hybrid_pso_ga(options).solve(q, 9);
        CHECK(h1.log == hn.log);
        CHECK(h1.placement == hn.placement);
    }
}

TEST_CASE("incremental and full evaluation lead to the same plan value") {
    std::mt19937_64 rng(38);
    const layer_graph g = optim_test::random_chain(35, rng);
    analytic_model model(optim_test::three_tier(link_speed::slow));
    incremental_chain<analytic_model> p(g, model);
    auto on = hybrid_options(), off = hybrid_options();
    off.incremental = false;
    const auto a = hybrid_pso_ga(on).solve(p, 4), b = hybrid_pso_ga(off).solve(p, 4);
    const double optimum = viterbi_chain(g, model).delay_s;
    CHECK(within(a.value.objective, optimum));
    CHECK(within(b.value.objective, optimum));
}

// The hybrid must hit the optimum on every instance and seed. The paper's plain preset is only
// counted: without block moves it stalls in local optima on a fair share of runs (reported, and
// kept above a floor so a regression shows).
TEST_CASE("on small chains and DAGs PSO-GA equals exhaustive enumeration") {
    std::mt19937_64 rng(39);
    int paper_hits = 0, runs = 0;
    for (int instance = 0; instance < 12; ++instance) {
        const bool chain = instance % 2 == 0;
        const std::size_t n = 5 + rng() % 4;  // at most 4^8 = 65536 placements
        const layer_graph g =
            chain ? optim_test::random_chain(n, rng) : optim_test::random_dag(n, rng);
        analytic_model model(optim_test::three_tier(speeds[instance % 3]));
        delay_evaluator<analytic_model> p(g, model);
        const enumerated_plan best = enumerate_placements(p);
        for (unsigned seed = 0; seed < 3; ++seed) {
            const auto h = hybrid_pso_ga(hybrid_options()).solve(p, seed);
            CHECK(within(h.value.objective, best.value.objective));
            const auto plain = paper_pso_ga({.population = 50, .iterations = 300}).solve(p, seed);
            paper_hits += within(plain.value.objective, best.value.objective) ? 1 : 0;
            ++runs;
        }
    }
    MESSAGE("paper preset: optimum in " << paper_hits << " of " << runs << " runs");
    CHECK(paper_hits * 3 >= runs * 2);
}

TEST_CASE("on small multi-task instances PSO-GA equals exhaustive enumeration") {
    std::mt19937_64 rng(40);
    int paper_hits = 0, runs = 0;
    for (int instance = 0; instance < 6; ++instance) {
        analytic_model model(optim_test::two_devices(speeds[instance % 3]));
        std::vector<dnn_task> tasks;
        tasks.push_back({.graph = optim_test::random_chain(4 + rng() % 2, rng), .device = 0});
        tasks.push_back({.graph = optim_test::random_dag(4 + rng() % 2, rng), .device = 1});
        const std::size_t n0 = tasks[0].graph.size(), n1 = tasks[1].graph.size();
        const std::vector<dnn_task> copy = tasks;
        multi_task_evaluator<analytic_model> p(tasks, model);
        const enumerated_plan best = enumerate_placements(p);
        std::vector<std::vector<node_id>> seeds = tier_plans(p, model.env());
        seeds.push_back(exact_tasks_plan(std::span<const dnn_task>(copy), model));
        CHECK(seeds.back().size() == n0 + n1);
        for (unsigned seed = 0; seed < 3; ++seed) {
            const auto h = hybrid_pso_ga(hybrid_options()).solve(p, seed, seeds);
            CHECK(within(h.value.objective, best.value.objective));
            const auto plain = paper_pso_ga({.population = 50, .iterations = 300}).solve(p, seed);
            paper_hits += within(plain.value.objective, best.value.objective) ? 1 : 0;
            ++runs;
        }
    }
    MESSAGE("paper preset: optimum in " << paper_hits << " of " << runs << " runs");
    CHECK(paper_hits * 2 >= runs);
}

TEST_CASE("constraints are never violated when a feasible plan exists" *
          doctest::test_suite("slow")) {
    std::mt19937_64 rng(41);
    for (int instance = 0; instance < 9; ++instance) {
        const layer_graph g =
            instance % 2 ? optim_test::random_dag(30, rng) : optim_test::random_chain(30, rng);
        // Remote nodes hold at most a quarter of the parameters each; the deadline is twice the
        // unconstrained optimum's delay, so the all-local plan or a spread one is feasible.
        analytic_model model(optim_test::with_server_memory(
            optim_test::three_tier(speeds[instance % 3]), g.total_param_bytes() / 4));
        const double local = sequential_delay(g, model, std::vector<node_id>(g.size(), 0), 0);
        constraints limits{.memory = true, .pinned = {}, .deadline_s = local};
        delay_evaluator<analytic_model> p(g, model, {}, limits);
        // The paper preset needs the all-local plan among its particles: unseeded, it ends
        // infeasible on 2 of these 27 runs. The hybrid needs no seed.
        const auto seeds = tier_plans(p, model.env());
        for (unsigned seed = 0; seed < 3; ++seed) {
            const auto r =
                paper_pso_ga({.population = 30, .iterations = 150}).solve(p, seed, seeds);
            CHECK(r.value.feasible());
            const auto h = hybrid_pso_ga(hybrid_options()).solve(p, seed);
            CHECK(h.value.feasible());
            CHECK(p.evaluate(h.placement).violation == 0);
        }
    }
}

TEST_CASE(
    "on every zoo model and profile - in three environments - for 10 seeds - PSO-GA reaches the "
    "exact optimum: Viterbi on chains - the min cut on DAGs with two nodes" *
    doctest::test_suite("slow")) {
    struct named {
        std::string name;
        layer_graph graph;
    };
    std::vector<named> models;
    for (std::string_view name : zoo_model_names())
        models.push_back({std::string(name), zoo_model(name)});
    for (const char* csv : {"alexnet", "googlenet", "resnet50"})
        models.push_back(
            {std::string(csv) + ".csv",
             read_profile_csv(std::string(EOSDNN_DATA_DIR) + "/ionn-profiles/" + csv + ".csv")});
    const unsigned seeds = eosdnn::test::seeds_here(10, 2);  // 2 under the sanitizers
    for (const named& m : models)
        for (link_speed speed : speeds) {
            // Plain references, not structured bindings: clang 14 cannot capture those.
            const std::string& name = m.name;
            const layer_graph& g = m.graph;
            CAPTURE(name);
            CAPTURE(optim_test::to_string(speed));
            if (g.is_chain()) {
                profiled_model model(optim_test::three_tier(speed));
                const double optimum = viterbi_chain(g, model).delay_s;
                incremental_chain<profiled_model> p(g, model);
                for (unsigned seed = 0; seed < seeds; ++seed) {
                    CAPTURE(seed);
                    const auto r = hybrid_pso_ga(hybrid_options()).solve(p, seed);
                    CHECK(within(r.value.objective, optimum));
                    CHECK(std::abs(sequential_delay(g, model, r.placement, 0) - optimum) <=
                          1e-9 * optimum);
                }
            } else {
                profiled_model model(optim_test::two_node(speed));
                const double optimum = min_cut_two_nodes(g, model, 0, 1).delay_s;
                delay_evaluator<profiled_model> p(g, model);
                for (unsigned seed = 0; seed < seeds; ++seed) {
                    CAPTURE(seed);
                    const auto r = hybrid_pso_ga(hybrid_options()).solve(p, seed);
                    CHECK(within(r.value.objective, optimum));
                }
            }
        }
}

// The zoo's optima are often a whole-model plan (all local, or all but the input remote), which
// a tier plan already is; random instances have mixed optima, so they test the search itself.
// Random DAGs with random costs have fragmented optima (islands of layers that only pay off
// when moved together): block moves alone reached 51 of 60 runs (one DAG defeated every seed
// at a 9% gap); with the exact large moves of the polish every run reaches the optimum.
TEST_CASE("on random chains and DAGs of 40 to 120 layers PSO-GA mostly reaches the exact optimum" *
          doctest::test_suite("slow")) {
    std::mt19937_64 rng(45);
    int mixed = 0, hits = 0, runs = 0;
    for (int instance = 0; instance < 12; ++instance) {
        const link_speed speed = speeds[instance % 3];
        CAPTURE(instance);
        if (instance % 2 == 0) {
            const layer_graph g = optim_test::random_chain(40 + rng() % 81, rng);
            profiled_model model(optim_test::three_tier(speed));
            const exact_plan best = viterbi_chain(g, model);
            incremental_chain<profiled_model> p(g, model);
            double tier_best = std::numeric_limits<double>::infinity();
            for (const auto& x : tier_plans(p, model.env()))
                tier_best = std::min(tier_best, p.evaluate(x).objective);
            mixed += tier_best > best.delay_s * (1 + 1e-9) ? 1 : 0;
            for (unsigned seed = 0; seed < 5; ++seed) {
                CAPTURE(seed);
                hits += within(hybrid_pso_ga(hybrid_options()).solve(p, seed).value.objective,
                               best.delay_s);
                ++runs;
            }
        } else {
            const layer_graph g = optim_test::random_dag(40 + rng() % 81, rng);
            profiled_model model(optim_test::two_node(speed));
            const exact_plan best = min_cut_two_nodes(g, model, 0, 1);
            delay_evaluator<profiled_model> p(g, model);
            double tier_best = std::numeric_limits<double>::infinity();
            for (const auto& x : tier_plans(p, model.env()))
                tier_best = std::min(tier_best, p.evaluate(x).objective);
            mixed += tier_best > best.delay_s * (1 + 1e-9) ? 1 : 0;
            for (unsigned seed = 0; seed < 5; ++seed) {
                CAPTURE(seed);
                hits += within(hybrid_pso_ga(hybrid_options()).solve(p, seed).value.objective,
                               best.delay_s);
                ++runs;
            }
        }
    }
    MESSAGE(mixed << " of 12 random instances have an optimum that no whole-tier plan reaches");
    MESSAGE("hybrid PSO-GA: exact optimum in " << hits << " of " << runs << " runs");
    CHECK(mixed >= 8);
    CHECK(hits == runs);
}

TEST_CASE("several tasks: pins through pinned_problem, deadlines and shared capacities hold") {
    std::mt19937_64 rng(46);
    for (int instance = 0; instance < 3; ++instance) {
        const environment base = optim_test::two_devices(speeds[instance]);
        std::vector<dnn_task> tasks;
        tasks.push_back({.graph = optim_test::random_chain(12, rng), .device = 0});
        tasks.push_back({.graph = optim_test::random_dag(14, rng), .device = 1});
        // The shared edge holds at most a third of the parameters of both models.
        environment_builder eb;
        for (const node& nd : base.nodes()) {
            node copy = nd;
            if (copy.tier == tier::edge)
                copy.memory_bytes =
                    (tasks[0].graph.total_param_bytes() + tasks[1].graph.total_param_bytes()) / 3;
            eb.add_node(copy);
        }
        for (std::size_t a = 0; a < base.size(); ++a)
            for (std::size_t b = 0; b < base.size(); ++b)
                if (a != b)
                    if (const auto& l =
                            base.link_between(static_cast<node_id>(a), static_cast<node_id>(b)))
                        eb.connect_one_way(static_cast<node_id>(a), static_cast<node_id>(b), *l);
        analytic_model model(eb.build());
        // Deadlines: each task's all-local delay, which the all-local plan meets.
        for (auto& t : tasks) {
            std::vector<node_id> local(t.graph.size(), t.device);
            t.deadline_s = sequential_delay(t.graph, model, local, t.device) * 1.0001;
        }
        tasks[0].pinned.assign(tasks[0].graph.size(), std::nullopt);
        tasks[0].pinned[0] = node_id{0};  // the input layer stays on its device (privacy)
        tasks[1].pinned.assign(tasks[1].graph.size(), std::nullopt);
        tasks[1].pinned.back() = node_id{3};  // the last layer runs in the cloud
        const std::size_t counts[] = {tasks[0].graph.size(), tasks[1].graph.size()};
        const std::vector<std::vector<std::optional<node_id>>> pins{tasks[0].pinned,
                                                                    tasks[1].pinned};
        pinned_problem problem(multi_task_evaluator<analytic_model>(tasks, model),
                               concatenate_pins(counts, pins));
        std::vector<std::vector<node_id>> seeds = tier_plans(problem, model.env());
        seeds.push_back(exact_tasks_plan(std::span<const dnn_task>(tasks), model));
        for (unsigned seed = 0; seed < 3; ++seed) {
            auto options = hybrid_options();
            options.threads = 2;
            const auto r = hybrid_pso_ga(options).solve(problem, seed, seeds);
            CHECK(r.value.feasible());
            CHECK(r.placement[0] == 0);
            CHECK(r.placement.back() == 3);
            CHECK(problem.problem().evaluate(r.placement).violation == 0);
        }
    }
}

TEST_CASE("degenerate sizes: one particle, one gene, no free gene") {
    optim_test::target_problem one({2}, 4);
    const auto a = paper_pso_ga({.population = 1, .iterations = 50}).solve(one, 1);
    CHECK(a.placement.size() == 1);
    const auto b =
        hybrid_pso_ga({.population = 3, .iterations = 50, .polish_after_stall = 5}).solve(one, 1);
    CHECK(b.placement == std::vector<node_id>{2});
    optim_test::target_problem fixed({1, 1, 1}, 1);  // every gene has the single choice 0
    const auto c = paper_pso_ga({.population = 4, .iterations = 10, .threads = 2}).solve(fixed, 1);
    CHECK(c.placement == std::vector<node_id>{0, 0, 0});
    CHECK(c.log.back().diversity == 0);
}
