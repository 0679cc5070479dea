// A stop request (core/stop_request.hpp) ends every optimiser at its next record with the best
// plan so far, and the exact solver as its time limit would: the plan is the one a run of that
// many iterations finds, and the result says why it ended.
#include <eosdnn/optim/baselines/discrete_pso.hpp>
#include <eosdnn/optim/baselines/genetic_algorithm.hpp>
#include <eosdnn/optim/baselines/greedy.hpp>
#include <eosdnn/optim/baselines/random_search.hpp>

#include <eosdnn/core/result.hpp>
#include <eosdnn/core/stop_request.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/optim/exact_dag.hpp>
#include <eosdnn/optim/gene_space.hpp>
#include <eosdnn/optim/pso_ga.hpp>
#include <eosdnn/zoo/random_dag.hpp>

#include "hard_environments.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

using namespace eosdnn;
using problem_type = delay_evaluator<analytic_model>;

namespace {

constexpr std::size_t endless_run = 10'000'000;
constexpr std::size_t stop_at = 5;  // the iteration whose record makes the request

// Requests a stop when it sees the record of iteration `at`.
struct request_at {
    stop_request* request;
    std::size_t at;
    void operator()(const iteration_record& r, std::span<const node_id>) const {
        if (r.iteration == at) request->request();
    }
};

// The same optimiser configured for a long run, with `stop` as its request.
template <class Make>
void check_stops_like_a_short_run(problem_type& problem, Make make, std::uint64_t seed) {
    stop_request request;
    const optimisation_result stopped =
        make(endless_run, &request).solve(problem, seed, request_at{&request, stop_at});
    CHECK(stopped.stopped_by_request);
    CHECK(!stopped.stopped_by_time_limit);
    CHECK(!stopped.stopped_by_observer);
    CHECK(stopped.iterations == stop_at);
    CHECK(gene_space(problem).contains(stopped.placement));
    CHECK(problem.evaluate(std::span<const node_id>(stopped.placement)).objective ==
          stopped.value.objective);
    // The same run ended by a stop condition at that iteration ends in the same plan: the
    // request cut the run, it did not change it.
    const optimisation_result short_run =
        make(endless_run, nullptr).solve(problem, seed, no_observer{}, max_iterations{stop_at});
    CHECK(!short_run.stopped_by_request);
    CHECK(short_run.placement == stopped.placement);
    CHECK(short_run.value.objective == stopped.value.objective);

    // A request made before the run: it ends after its initialisation.
    stop_request early;
    early.request();
    const optimisation_result at_once = make(endless_run, &early).solve(problem, seed);
    CHECK(at_once.stopped_by_request);
    CHECK(at_once.iterations == 0);
    CHECK(gene_space(problem).contains(at_once.placement));
}

}  // namespace

TEST_CASE("every optimiser stops at the record after a stop request, with that run's plan") {
    for (std::uint64_t seed : {1, 2, 3}) {
        CAPTURE(seed);
        const layer_graph g = make_random_dag({.layers = 40, .seed = seed});
        const analytic_model model(optim_test::relay_four());
        problem_type problem(g, model);
        // The stall and the polish never start in 5 iterations: only the request ends the run.
        check_stops_like_a_short_run(
            problem,
            [](std::size_t n, const stop_request* s) {
                pso_ga_options o = hybrid_options();
                o.population = 8;
                o.iterations = n;
                o.stop = s;
                return hybrid_pso_ga(o);
            },
            seed);
        check_stops_like_a_short_run(
            problem,
            [](std::size_t n, const stop_request* s) {
                return paper_pso_ga({.population = 8, .iterations = n, .stop = s});
            },
            seed);
        check_stops_like_a_short_run(
            problem,
            [](std::size_t n, const stop_request* s) {
                return genetic_algorithm<>({.population = 8, .generations = n, .stop = s});
            },
            seed);
        check_stops_like_a_short_run(
            problem,
            [](std::size_t n, const stop_request* s) {
                return discrete_pso<>({.population = 8, .iterations = n, .stop = s});
            },
            seed);
        check_stops_like_a_short_run(
            problem,
            [](std::size_t n, const stop_request* s) {
                return random_search<>({.evaluations = 8 * (n + 1), .batch = 8, .stop = s});
            },
            seed);
    }
}

TEST_CASE("greedy stops after the pass in progress when a stop is requested") {
    const layer_graph g = make_random_dag({.layers = 40, .seed = 4});
    std::size_t cut_runs = 0;
    for (const environment& env : {optim_test::asymmetric_three(), optim_test::relay_four(),
                                   optim_test::split_five(), optim_test::mesh_six()}) {
        const analytic_model model(env);
        problem_type problem(g, model);
        const optimisation_result full = greedy_per_layer(true).solve(problem);
        if (full.iterations < 2) continue;  // one pass and done: nothing to cut
        ++cut_runs;
        stop_request request;
        const optimisation_result cut =
            greedy_per_layer(true, 0, &request).solve(problem, 0, request_at{&request, 1});
        CHECK(cut.stopped_by_request);
        CHECK(cut.iterations == 1);
        REQUIRE(cut.log.size() == 2);
        CHECK(cut.log[1] == full.log[1]);  // the same first pass
    }
    CHECK(cut_runs >= 1);
}

TEST_CASE("the exact solver stops at a request with a valid plan and bound") {
    for (std::uint64_t seed : {1, 2, 3}) {
        CAPTURE(seed);
        const layer_graph g = make_random_dag({.layers = 60, .seed = seed});
        const analytic_model model(optim_test::mesh_six());
        problem_type problem(g, model);
        const exact_result full = solve_exact(problem);
        REQUIRE(full.proven_optimal);
        CHECK(!full.stopped_by_request);

        stop_request request;
        request.request();
        const exact_result stopped = solve_exact(problem, {.stop = &request});
        CHECK(stopped.stopped_by_request);
        CHECK(stopped.timed_out);
        CHECK(!stopped.proven_optimal);
        CHECK(gene_space(problem).contains(stopped.placement));
        CHECK(problem.evaluate(std::span<const node_id>(stopped.placement)).objective ==
              stopped.value.objective);
        // What it proves still holds: its bound is at most the true optimum.
        CHECK(stopped.lower_bound <= full.value.objective * (1 + 1e-9));
        CHECK(stopped.value.objective >= full.value.objective * (1 - 1e-9));
    }
}

TEST_CASE("a stop request records the signal that made it and can be withdrawn") {
    stop_request r;
    CHECK(!r.requested());
    CHECK(!stop_requested(&r));
    CHECK(!stop_requested(nullptr));
    r.request(2);
    CHECK(r.requested());
    CHECK(stop_requested(&r));
    CHECK(r.signal_number() == 2);
    r.reset();
    CHECK(!r.requested());
    CHECK(r.signal_number() == 0);
}
