// The one sequential-delay kernel (cost/sequential_delay.hpp) against a reference written here
// independently, straight from docs/model.md, and every caller of the kernel against it:
// sequential_delay(), delay_evaluator, multi_task_evaluator's energy parts and effective_delay.
#include "../optim/hard_environments.hpp"

#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/sequential_delay.hpp>
#include <eosdnn/upload/effective_delay.hpp>
#include <eosdnn/zoo/random_dag.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

using namespace eosdnn;

namespace {

// The formula as docs/model.md writes it: the input goes from the device to the input layer's
// node, every layer computes, each output goes once to each distinct other node that runs one
// of its consumers (a std::set, nothing clever), and the result returns to the device.
double reference_delay(const layer_graph& g, const analytic_model& model,
                       const std::vector<node_id>& x, node_id device) {
    auto tr = [&](double bytes, node_id from, node_id to) {
        return from == to ? 0.0 : model.env().transfer_time(bytes, from, to);
    };
    double total = tr(g.input_bytes(), device, x[g.input()]);
    for (layer_id j = 0; j < g.size(); ++j) {
        total += model.compute_time(g[j], x[j]);
        std::set<node_id> receivers;
        for (layer_id k : g.successors(j))
            if (x[k] != x[j]) receivers.insert(x[k]);
        for (node_id s : receivers) total += tr(g[j].output_bytes, x[j], s);
    }
    return total + tr(g[g.output()].output_bytes, x[g.output()], device);
}

// A phone and `servers` edge servers, each with its own asymmetric link: more than 64 nodes
// takes the kernel's path for nodes the bit mask cannot hold.
environment many_servers(std::size_t servers, std::mt19937_64& rng) {
    environment_builder env;
    const node_id phone = env.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 2e10});
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<node_id> ids;
    for (std::size_t s = 0; s < servers; ++s)
        ids.push_back(env.add_node({.name = "edge" + std::to_string(s),
                                    .tier = tier::edge,
                                    .flops_per_s = 1e10 * std::pow(100, u(rng))}));
    for (std::size_t a = 0; a < ids.size(); ++a) {
        env.connect(phone, ids[a],
                    {.bandwidth_Bps = mbps(10 + 500 * u(rng)), .latency_s = 0.01 * u(rng)},
                    {.bandwidth_Bps = mbps(10 + 500 * u(rng)), .latency_s = 0.01 * u(rng)});
        for (std::size_t b = a + 1; b < ids.size(); ++b)
            env.connect(ids[a], ids[b],
                        {.bandwidth_Bps = mbps(100 + 900 * u(rng)), .latency_s = 0.001});
    }
    return env.build();
}

void check_every_caller(const layer_graph& g, const analytic_model& model, std::mt19937_64& rng) {
    delay_evaluator<analytic_model> evaluator(g, model);
    const auto choices = evaluator.choices(0);
    std::uniform_int_distribution<std::size_t> pick(0, choices.size() - 1);
    for (int trial = 0; trial < 10; ++trial) {
        std::vector<node_id> x(g.size());
        for (auto& s : x) s = choices[pick(rng)];
        const double expected = reference_delay(g, model, x, 0);
        CAPTURE(trial);
        CHECK(evaluator.evaluate(x).delay_s == doctest::Approx(expected).epsilon(1e-12));
        CHECK(sequential_delay(g, model, x) == doctest::Approx(expected).epsilon(1e-12));
        // effective_delay prices the effective placement: everything acknowledged is x.
        effective_delay<analytic_model> q(g, model, x);
        std::vector<std::uint8_t> all(g.size(), 1), none(g.size(), 0);
        CHECK(q.delay(all) == doctest::Approx(expected).epsilon(1e-12));
        CHECK(q.delay(none) ==
              doctest::Approx(reference_delay(g, model, std::vector<node_id>(g.size(), 0), 0))
                  .epsilon(1e-12));
    }
}

}  // namespace

TEST_CASE("sequential delay: every caller of the kernel equals an independent reference") {
    for (const auto& [name, env] : optim_test::hard_environments()) {
        const analytic_model model(env);
        for (dag_shape shape : {dag_shape::chain, dag_shape::residual, dag_shape::inception,
                                dag_shape::mixed, dag_shape::layered})
            for (std::uint64_t seed = 1; seed <= 3; ++seed) {
                CAPTURE(name);
                CAPTURE(to_string(shape));
                CAPTURE(seed);
                std::mt19937_64 rng(seed);
                check_every_caller(make_random_dag({.layers = 60, .shape = shape, .seed = seed}),
                                   model, rng);
            }
    }
}

TEST_CASE("sequential delay: a wide fan-out over more than 64 nodes pays each receiver once") {
    std::mt19937_64 rng(7);
    const analytic_model model(many_servers(70, rng));
    // One producer feeding 200 consumers that all join into the output.
    layer_graph_builder b("fan");
    b.set_input_bytes(6e5);
    const layer_id in = b.add_layer({.name = "in", .flops = 1e8, .output_bytes = 4e5});
    std::vector<layer_id> branches;
    for (int k = 0; k < 200; ++k) {
        const layer_id c =
            b.add_layer({.name = "c" + std::to_string(k), .flops = 1e7, .output_bytes = 1e3});
        b.add_edge(in, c);
        branches.push_back(c);
    }
    const layer_id out = b.add_layer({.name = "out", .flops = 1e6, .output_bytes = 4e3});
    for (layer_id c : branches) b.add_edge(c, out);
    const layer_graph g = b.build();
    check_every_caller(g, model, rng);
}
