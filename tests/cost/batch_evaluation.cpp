// sequential_batch_evaluator equals delay_evaluator bit for bit: every field of the evaluation of
// every row of a random population is the double a per-row delay_evaluator::evaluate() gives.
// Instances: random DAGs of every shape (make_random_dag, seeds 1-3) in the four hard
// environments (3-6 nodes, asymmetric links), with and without every optional term (upload,
// energy, memory capacities, pins, deadline); every zoo model; the IONN profiles; an
// environment with three devices (the compact tables) and of 20 and 70 nodes (no send tables; no node bit mask);
// batches of 0, 1, odd and several chunks of rows, and subsets of rows. Then PSO-GA's population
// evaluator with the batches on against it without (1 and 2 threads, full and incremental).
#include <eosdnn/cost/sequential_batch.hpp>

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/incremental_dag.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/optim/detail/population_evaluator.hpp>
#include <eosdnn/optim/gene_space.hpp>
#include <eosdnn/optim/operators/crossover.hpp>
#include <eosdnn/optim/operators/mutation.hpp>
#include <eosdnn/zoo/random_dag.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include "../optim/fixtures.hpp"
#include "../optim/hard_environments.hpp"
#include "same_bits.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

using namespace eosdnn;

namespace {

using cost_test::require_same;
using cost_test::same_bits;
using cost_test::with_extras;

// A population of `rows` random placements (some rows mostly on one node, so that consumers
// share nodes and the sends are deduplicated), priced both ways.
template <class Model>
void check_batch(const layer_graph& g, const Model& model, objective_options options,
                 constraints limits, std::size_t rows, std::mt19937_64& rng, node_id device = 0) {
    delay_evaluator<Model> full(g, model, options, limits, device);
    sequential_batch_evaluator<Model> batch(g, model, options, limits, device);
    const std::size_t n = g.size();
    const auto c = full.choices(0);
    std::vector<node_id> genes(rows * n);
    for (std::size_t i = 0; i < rows; ++i) {
        const bool lumpy = i % 3 == 0;
        const node_id common = c[rng() % c.size()];
        for (std::size_t j = 0; j < n; ++j)
            genes[i * n + j] = lumpy && rng() % 4 != 0 ? common : c[rng() % c.size()];
    }
    std::vector<evaluation> out(rows);
    batch.evaluate(genes, out);
    for (std::size_t i = 0; i < rows; ++i) {
        CAPTURE(i);
        require_same(out[i], full.evaluate(std::span<const node_id>(genes).subspan(i * n, n)));
    }
    // A subset of the rows, in any order: the others are left alone.
    if (rows > 2) {
        std::vector<std::size_t> some;
        for (std::size_t i = rows; i-- > 0;)
            if (rng() % 2) some.push_back(i);
        std::vector<evaluation> part(rows, evaluation{.delay_s = -1});
        batch.evaluate(genes, some, part);
        for (std::size_t i = 0; i < rows; ++i) {
            CAPTURE(i);
            if (std::find(some.begin(), some.end(), i) != some.end())
                require_same(part[i], out[i]);
            else
                REQUIRE(part[i].delay_s == -1);
        }
    }
}

// Every optional term on: upload, energy (weighted), memory capacities, a pinned layer, a
// deadline between all-local and all-offloaded.
void check_with_extras(const layer_graph& g, const environment& env, std::size_t rows,
                       std::mt19937_64& rng) {
    const analytic_model model(with_extras(env, g.total_param_bytes()));
    constraints limits{.memory = true};
    limits.pinned.assign(g.size(), std::nullopt);
    limits.pinned[rng() % g.size()] = node_id{0};
    const std::vector<node_id> local(g.size(), 0);
    limits.deadline_s = 0.5 * delay_evaluator<analytic_model>(g, model).evaluate(local).delay_s;
    check_batch(g, model, {.include_upload = true, .energy_weight = 0.25}, limits, rows, rng);
    // The energy is computed but not weighted; the upload alone.
    check_batch(g, model, {}, {}, rows, rng);
    check_batch(g, analytic_model(env), {.include_upload = true}, {}, rows, rng);
}

// Three phones and one server: the compact tables (detail::dense_layout() is false).
environment three_phones() {
    environment_builder b;
    std::vector<node_id> phones;
    for (int p = 0; p < 3; ++p)
        phones.push_back(b.add_node({.name = "phone" + std::to_string(p),
                                     .tier = tier::local,
                                     .flops_per_s = 1e10 * (p + 1)}));
    const node_id edge = b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1e11});
    for (const node_id p : phones)
        b.connect(p, edge, {.bandwidth_Bps = mbps(20.0 * (p + 1)), .latency_s = 0.003},
                  {.bandwidth_Bps = mbps(200), .latency_s = 0.002});
    return b.build();
}

// A phone and count - 1 edge servers, all linked: 20 nodes are too many for the kernel's send
// tables, 70 also for send_time's bit mask (nodes past 63).
environment many_nodes(node_id count) {
    environment_builder b;
    b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 2e10});
    for (int s = 1; s < count; ++s)
        b.add_node({.name = "edge" + std::to_string(s),
                    .tier = tier::edge,
                    .flops_per_s = 1e10 * (1 + s % 7)});
    for (node_id a = 0; a < count; ++a)
        for (node_id c = a + 1; c < count; ++c)
            b.connect(a, c, {.bandwidth_Bps = mbps(10.0 + (a * 7 + c) % 90), .latency_s = 1e-3},
                      {.bandwidth_Bps = mbps(5.0 + (a + c * 3) % 50), .latency_s = 2e-3});
    return b.build();
}

}  // namespace

TEST_CASE(
    "batch evaluation equals delay_evaluator bit for bit on random DAGs in hard "
    "environments") {
    std::mt19937_64 rng(41);
    const auto envs = optim_test::hard_environments();
    for (const dag_shape shape : {dag_shape::chain, dag_shape::residual, dag_shape::inception,
                                  dag_shape::mixed, dag_shape::layered})
        for (std::uint64_t seed : {1, 2, 3})
            for (std::size_t layers : {2, 9, 37, 300}) {
                const layer_graph g =
                    make_random_dag({.layers = layers, .shape = shape, .seed = seed});
                for (const auto& e : envs) {
                    CAPTURE(std::string(to_string(shape)));
                    CAPTURE(seed);
                    CAPTURE(layers);
                    CAPTURE(e.name);
                    const std::size_t rows = std::vector<std::size_t>{1, 7, 64, 65, 129}[rng() % 5];
                    check_batch(g, analytic_model(e.env), {}, {}, rows, rng);
                }
                check_with_extras(g, envs[seed % envs.size()].env, 67, rng);
            }
}

TEST_CASE("batch evaluation equals delay_evaluator bit for bit on the zoo and the IONN profiles") {
    std::mt19937_64 rng(42);
    const auto envs = optim_test::hard_environments();
    for (const std::string_view name : zoo_model_names()) {
        const layer_graph g = zoo_model(name);
        CAPTURE(std::string(name));
        check_batch(g, analytic_model(optim_test::three_tier(optim_test::link_speed::medium)), {},
                    {}, 131, rng);
        check_with_extras(g, envs[g.size() % envs.size()].env, 33, rng);
    }
    for (const char* csv : {"alexnet", "googlenet", "resnet50"}) {
        const layer_graph g =
            read_profile_csv(std::string(EOSDNN_DATA_DIR) + "/ionn-profiles/" + csv + ".csv");
        CAPTURE(std::string(csv));
        for (const auto& e : envs) check_batch(g, profiled_model(e.env), {}, {}, 77, rng);
    }
}

TEST_CASE(
    "batch evaluation equals delay_evaluator with fractional parameter bytes, several "
    "devices and more than 64 nodes") {
    std::mt19937_64 rng(43);
    for (int instance = 0; instance < 8; ++instance) {
        const layer_graph g = optim_test::random_dag(3 + rng() % 80, rng);
        const auto speed = static_cast<optim_test::link_speed>(instance % 3);
        CAPTURE(instance);
        check_batch(g, analytic_model(optim_test::three_tier(speed)), {}, {}, 65, rng);
        check_with_extras(g, optim_test::three_tier(speed), 65, rng);
    }
    const analytic_model phones(three_phones());
    for (const dag_shape shape : {dag_shape::inception, dag_shape::mixed, dag_shape::layered}) {
        const layer_graph g = make_random_dag({.layers = 120, .shape = shape, .seed = 5});
        CAPTURE(std::string(to_string(shape)));
        for (node_id device : {0, 1, 2}) check_batch(g, phones, {}, {}, 70, rng, device);
        for (node_id count : {20, 70}) {
            CAPTURE(count);
            const environment env = many_nodes(count);
            check_batch(g, analytic_model(env), {}, {}, 70, rng);
            check_with_extras(g, env, 5, rng);
        }
    }
}

TEST_CASE("batch evaluation of no rows, and its refusals") {
    const layer_graph g = make_random_dag({.layers = 30, .shape = dag_shape::mixed, .seed = 6});
    const analytic_model model(optim_test::three_tier(optim_test::link_speed::fast));
    sequential_batch_evaluator<analytic_model> batch(g, model);
    std::vector<node_id> genes;
    std::vector<evaluation> out;
    batch.evaluate(genes, out);  // nothing to price
    batch.evaluate(genes, std::span<const std::size_t>(), out);
    // Sizes that disagree, a row out of range, a gene outside the choices.
    genes.assign(2 * g.size() + 1, 1);
    out.resize(2);
    CHECK_THROWS_AS(batch.evaluate(genes, out), error);
    genes.resize(2 * g.size());
    const std::size_t far = 2;
    CHECK_THROWS_AS(batch.evaluate(genes, std::span<const std::size_t>(&far, 1), out), error);
    genes[g.size() + 5] = 42;
    CHECK_THROWS_AS(batch.evaluate(genes, out), error);
    genes[g.size() + 5] = 2;
    batch.evaluate(genes, out);
    delay_evaluator<analytic_model> full(g, model);
    require_same(out[1], full.evaluate(std::span<const node_id>(genes).subspan(g.size())));
    // Only the sequential schedule.
    CHECK_THROWS_AS(sequential_batch_evaluator<analytic_model>(
                        g, model, {.schedule = dag_schedule::list_scheduled}),
                    error);
    CHECK_THROWS_AS(
        sequential_batch_evaluator<analytic_model>(g, model, {.schedule = dag_schedule::unbounded}),
        error);
}

namespace {

delay_evaluator<analytic_model> batch_full(const delay_evaluator<analytic_model>& p) { return p; }
delay_evaluator<analytic_model> batch_full(const incremental_dag<analytic_model>& p) {
    return p.full();
}

// PSO-GA's population evaluator with the batches on prices every row as without them, bit for
// bit, on 1 and 2 threads, in full and incrementally (incremental_dag's large changes go to the
// batch), after moves of every size.
template <class P>
void check_population(P& problem, std::size_t rows, std::mt19937_64& rng) {
    const std::size_t n = problem.dimension();
    const auto c = problem.choices(0);
    const gene_space space(
        std::vector<std::vector<node_id>>(n, std::vector<node_id>(c.begin(), c.end())));
    detail::matrix<node_id> x({rows, n});
    for (std::size_t i = 0; i < rows; ++i)
        for (auto& v : detail::row(x, i)) v = c[rng() % c.size()];
    std::vector<evaluation> reference(rows);
    detail::population_evaluator<P> plain(problem, rows, 1, false);
    plain.evaluate_all(x, reference);
    for (const std::size_t threads : {1, 2})
        for (const bool incremental : {false, true}) {
            CAPTURE(threads);
            CAPTURE(incremental);
            P copy = problem;
            detail::population_evaluator<P> eval(copy, rows, threads, incremental, true);
            REQUIRE(eval.batched());
            detail::matrix<node_id> y = x;
            std::vector<evaluation> values(rows), expected(rows);
            eval.evaluate_all(y, values);
            for (std::size_t i = 0; i < rows; ++i) require_same(values[i], reference[i]);
            std::vector<gene_range> changed(rows);
            for (int round = 0; round < 12; ++round) {
                std::vector<node_id> guide(n);
                for (std::size_t i = 0; i < rows; ++i) {
                    auto r = detail::row(y, i);
                    switch (rng() % 4) {
                    case 0: changed[i] = {}; break;
                    case 1: changed[i] = uniform_reset_mutation{}(r, space, rng); break;
                    case 2: changed[i] = segment_reset_mutation{}(r, space, rng); break;
                    default:
                        for (auto& v : guide) v = c[rng() % c.size()];
                        changed[i] =
                            two_point_crossover{}(r, std::span<const node_id>(guide), space, rng);
                    }
                }
                eval.evaluate_changed(y, changed, values);
                delay_evaluator<analytic_model> full = batch_full(problem);
                for (std::size_t i = 0; i < rows; ++i) {
                    CAPTURE(i);
                    require_same(values[i], full.evaluate(detail::row(std::as_const(y), i)));
                }
            }
        }
}

}  // namespace

TEST_CASE("population evaluator with batches equals it without, on any thread count") {
    std::mt19937_64 rng(44);
    const auto envs = optim_test::hard_environments();
    for (const std::size_t layers : {12, 150}) {
        const layer_graph g =
            make_random_dag({.layers = layers, .shape = dag_shape::mixed, .seed = 7});
        for (const std::size_t rows : {1, 50, 131}) {
            CAPTURE(layers);
            CAPTURE(rows);
            const analytic_model model(envs[rows % envs.size()].env);
            incremental_dag<analytic_model> inc(g, model);
            check_population(inc, rows, rng);
            delay_evaluator<analytic_model> full(g, model);
            check_population(full, rows, rng);
        }
    }
    // Not batched: another schedule.
    const layer_graph g = make_random_dag({.layers = 20, .shape = dag_shape::mixed, .seed = 8});
    delay_evaluator<analytic_model> listed(g, analytic_model(envs[0].env),
                                           {.schedule = dag_schedule::list_scheduled});
    CHECK_FALSE(
        detail::population_evaluator<delay_evaluator<analytic_model>>(listed, 4, 1, false, true)
            .batched());
}
