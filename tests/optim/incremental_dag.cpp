// PSO-GA on an incremental_dag follows, iteration for iteration, the run it makes on the
// delay_evaluator it wraps: the values are the same doubles, so every comparison and every random
// draw is the same. Also the same for any number of threads. Instances: make_random_dag seeds
// 5-8 in the four hard environments, ResNet-50 and GoogLeNet in the three-tier environment;
// PSO-GA seeds 3, 9 and 11.
#include <eosdnn/cost/incremental_dag.hpp>

#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/optim/pso_ga.hpp>
#include <eosdnn/zoo/random_dag.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include "fixtures.hpp"
#include "hard_environments.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace eosdnn;

namespace {

struct instance {
    std::string name;
    layer_graph graph;
    environment env;
};

std::vector<instance> instances() {
    std::vector<instance> all;
    const auto envs = optim_test::hard_environments();
    const dag_shape shapes[] = {dag_shape::mixed, dag_shape::layered, dag_shape::inception,
                                dag_shape::residual};
    for (std::uint64_t seed = 5; seed <= 8; ++seed)
        all.push_back({envs[seed % 4].name + "/" + std::string(to_string(shapes[seed % 4])),
                       make_random_dag({.layers = 160, .shape = shapes[seed % 4], .seed = seed}),
                       envs[seed % 4].env});
    for (const char* name : {"resnet50", "googlenet"})
        all.push_back(
            {name, zoo_model(name), optim_test::three_tier(optim_test::link_speed::medium)});
    return all;
}

// The hybrid without its exact large moves: they run under time limits, and a limit reached on
// a slow or loaded machine (a sanitizer build) would change the run whatever the evaluator or the
// threads. The local search of its polish stays: it evaluates through the incremental state.
pso_ga_options untimed_hybrid() {
    pso_ga_options o = hybrid_options();
    o.polish_large_moves = false;
    return o;
}

// The log without the evaluation counts (the hybrid's polish counts the incremental state's
// first full pass as one more evaluation).
std::vector<iteration_record> without_counts(std::vector<iteration_record> log) {
    for (auto& r : log) r.evaluations = 0;
    return log;
}

}  // namespace

TEST_CASE("PSO-GA on incremental dag makes the run it makes on delay evaluator") {
    for (const auto& in : instances()) {
        CAPTURE(in.name);
        const analytic_model model(in.env);
        delay_evaluator<analytic_model> full(in.graph, model);
        incremental_dag<analytic_model> inc(in.graph, model);
        const pso_ga_options options{.population = 30, .iterations = 60};
        const auto a = paper_pso_ga(options).solve(full, 3);
        const auto b = paper_pso_ga(options).solve(inc, 3);
        CHECK(a.log == b.log);
        CHECK(a.placement == b.placement);
        CHECK(a.value.objective == b.value.objective);
        CHECK(a.evaluations == b.evaluations);
        // The hybrid: the same plan and the same curve.
        const auto h = hybrid_pso_ga(untimed_hybrid()).solve(full, 9);
        const auto i = hybrid_pso_ga(untimed_hybrid()).solve(inc, 9);
        CHECK(without_counts(h.log) == without_counts(i.log));
        CHECK(h.placement == i.placement);
        CHECK(h.value.objective == i.value.objective);
        CHECK(h.iterations == i.iterations);
    }
}

TEST_CASE("PSO-GA on incremental dag is identical for any number of threads") {
    for (const auto& in : instances()) {
        CAPTURE(in.name);
        const analytic_model model(in.env);
        incremental_dag<analytic_model> inc(in.graph, model);
        auto options = untimed_hybrid();
        const auto one = hybrid_pso_ga(options).solve(inc, 11);
        for (std::size_t threads : {2u, 3u}) {
            options.threads = threads;
            const auto many = hybrid_pso_ga(options).solve(inc, 11);
            CHECK(one.log == many.log);
            CHECK(one.placement == many.placement);
            CHECK(one.value.objective == many.value.objective);
        }
        // Incremental off: every changed particle priced in full, the same run.
        options.threads = 1;
        options.incremental = false;
        const auto off = hybrid_pso_ga(options).solve(inc, 11);
        CHECK(without_counts(one.log) == without_counts(off.log));
        CHECK(one.placement == off.placement);
    }
}
