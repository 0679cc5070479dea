// The shortcuts that make LMU fast give the values of the full computations they replace, bit
// for bit, so that they change no plan: the tracker's re-priced delays (effective_delay::tracker)
// against full evaluations, IONN's reused flow network against min_cut_two_nodes, and the
// value of a plan resumed from a partition (value_from) against value_of from the start.
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/optim/exact.hpp>
#include <eosdnn/upload/detail/plan_polisher.hpp>
#include <eosdnn/upload/effective_delay.hpp>
#include <eosdnn/upload/ionn.hpp>
#include <eosdnn/upload/reference_placement.hpp>

#include "upload_test_models.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace eosdnn;

namespace {

profiled_model device_and_server() {
    environment_builder env;
    auto device = env.add_node({.name = "device", .tier = tier::local, .flops_per_s = 2e9});
    auto server = env.add_node({.name = "server", .tier = tier::edge, .flops_per_s = 1e12});
    env.connect(device, server, {.bandwidth_Bps = mbps(40), .latency_s = 0.002});
    return profiled_model(env.build());
}

// Random acknowledged sets, each near the one before (a few runs flipped) or anywhere, priced by
// one tracker and by full evaluations.
template <class Model>
void check_tracker(const effective_delay<Model>& q, std::mt19937& rng, int sets) {
    typename effective_delay<Model>::tracker tracker(q);
    std::vector<std::uint8_t> acked(q.size(), 0);
    std::uniform_int_distribution<std::size_t> at(0, q.size() - 1);
    std::uniform_int_distribution<int> kind(0, 3);
    for (int i = 0; i < sets; ++i) {
        if (kind(rng) == 0) {
            for (auto& a : acked) a = static_cast<std::uint8_t>(rng() & 1);
        } else {
            std::size_t first = at(rng), last = at(rng);
            if (first > last) std::swap(first, last);
            for (std::size_t p = first; p <= last; ++p)
                acked[q.layer_at(p)] = static_cast<std::uint8_t>(!acked[q.layer_at(p)]);
        }
        const double full = q.delay(acked);
        CHECK(tracker.delay(acked) == full);  // exactly, not approximately
    }
}

}  // namespace

TEST_CASE("effective_delay::tracker gives delay()'s value to the last bit") {
    const analytic_model model = upload_test::phone_and_servers(3);
    for (int seed = 1; seed <= 6; ++seed) {
        std::mt19937 rng(static_cast<unsigned>(seed));
        const layer_graph g = upload_test::random_model(rng, 8 + seed, seed % 2 == 0);
        std::vector<node_id> x(g.size(), 0);
        for (layer_id j = 1; j < g.size(); ++j) x[j] = static_cast<node_id>(rng() % 4);
        const effective_delay q(g, model, x);
        CAPTURE(seed);
        check_tracker(q, rng, 200);
    }
    const layer_graph g =
        read_profile_csv(std::string(EOSDNN_DATA_DIR) + "/ionn-profiles/" + "resnet50.csv");
    const profiled_model profiled = device_and_server();
    const effective_delay q(g, profiled, reference_placement(g, profiled).placement);
    std::mt19937 rng(11);
    check_tracker(q, rng, 300);
}

TEST_CASE("IONN's reused flow network cuts as min_cut_two_nodes does") {
    const profiled_model model = device_and_server();
    for (const char* file : {"googlenet.csv", "resnet50.csv"}) {
        const layer_graph g =
            read_profile_csv(std::string(EOSDNN_DATA_DIR) + "/ionn-profiles/" + file);
        const auto x = reference_placement(g, model).placement;
        std::vector<std::optional<node_id>> pins(g.size());
        for (layer_id j = 0; j < g.size(); ++j)
            if (x[j] == 0) pins[j] = node_id{0};
        detail::upload::ionn_min_cut<profiled_model> cut(g, model, 0, 1, pins);
        for (const double factor : {1.0, 0.8, 0.3, 0.05, 1e-3, 0.0}) {
            const detail::upload::penalised_model<profiled_model> penalised(model, 0, factor);
            CAPTURE(file);
            CAPTURE(factor);
            CHECK(cut.solve(factor) == min_cut_two_nodes(g, penalised, 0, 1, pins).placement);
        }
    }
}

TEST_CASE("value_from() resumed at any partition gives value_of()'s value") {
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> u(0, 1);
    for (int trial = 0; trial < 200; ++trial) {
        const std::size_t parts = 1 + rng() % 40;
        std::vector<double> latency(parts + 1), upload(parts);
        latency[0] = 0.05 + u(rng);
        for (std::size_t k = 0; k < parts; ++k) {
            latency[k + 1] = latency[k] * (0.7 + 0.5 * u(rng));
            upload[k] = u(rng) < 0.2 ? 5 * u(rng) : 0.2 * u(rng);
        }
        simulation_options sim{.ack_latency_s = 0.002};
        if (trial % 3 == 1) sim.choice = remote_choice::forced;
        if (trial % 4 == 2) sim.first_query = first_query_policy::wait;
        const double window =
            trial % 5 == 0 ? 0.5 * parts : std::numeric_limits<double>::quiet_NaN();
        std::vector<detail::upload::value_state> states;
        const auto whole = detail::upload::value_of(latency, upload, sim, window, &states);
        REQUIRE(states.size() == parts);
        for (std::size_t k = 0; k < parts; ++k) {
            const auto resumed =
                detail::upload::value_from(states[k], k, latency, upload, sim, window);
            CHECK(resumed.queries == whole.queries);
            CHECK(resumed.area == whole.area);
        }
    }
}
