#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/graph/layer.hpp>

#include <doctest/doctest.h>

#include <limits>
#include <optional>
#include <string>
#include <utility>

using namespace eosdnn;

namespace {

// phone (local, 1 GFLOP/s, speed 1), watch (local, 0.5 GFLOP/s, speed 0.5, no link to phone),
// edge (100 GFLOP/s, speed 4), cloud (1 TFLOP/s, speed 10).
// phone <-> edge: up 1 MB/s + 10 ms, down 4 MB/s + 10 ms; phone <-> cloud 0.5 MB/s + 50 ms;
// edge <-> cloud 100 MB/s + 20 ms; watch linked to both servers at 0.25 MB/s.
environment make_environment() {
    environment_builder b;
    b.add_node({.name = "phone",
                .tier = tier::local,
                .flops_per_s = 1e9,
                .speed_factor = 1,
                .memory_bytes = {},
                .power = power_profile{.compute_w = 2, .transmit_w = 1.5, .idle_w = 0.3}});
    b.add_node({.name = "watch",
                .tier = tier::local,
                .flops_per_s = 5e8,
                .speed_factor = 0.5,
                .memory_bytes = {},
                .power = {}});
    b.add_node({.name = "edge",
                .tier = tier::edge,
                .flops_per_s = 1e11,
                .speed_factor = 4,
                .memory_bytes = 1e9,
                .power = {}});
    b.add_node({.name = "cloud",
                .tier = tier::cloud,
                .flops_per_s = 1e12,
                .speed_factor = 10,
                .memory_bytes = {},
                .power = {}});
    b.connect(0, 2, {.bandwidth_Bps = 1e6, .latency_s = 0.01},
              {.bandwidth_Bps = 4e6, .latency_s = 0.01});
    b.connect(0, 3, {.bandwidth_Bps = 5e5, .latency_s = 0.05});
    b.connect(2, 3, {.bandwidth_Bps = 1e8, .latency_s = 0.02});
    b.connect(1, 2, {.bandwidth_Bps = 2.5e5, .latency_s = 0});
    b.connect(1, 3, {.bandwidth_Bps = 2.5e5, .latency_s = 0});
    return b.build();
}

layer profiled_layer() {
    return {.name = "conv",
            .kind = "conv",
            .macs = 1e9,
            .flops = 2e9,
            .param_bytes = 2e6,
            .output_bytes = 1e5,
            .output_shape = {},
            .device_time_s = 0.8,
            .server_time_s = 0.04,
            .load_time_s = 0.3};
}

layer unprofiled_layer() {
    return {.name = "fc",
            .kind = "fc",
            .macs = 0,
            .flops = 4e9,
            .param_bytes = 1e6,
            .output_bytes = 40,
            .output_shape = {},
            .device_time_s = {},
            .server_time_s = {},
            .load_time_s = {}};
}

// The smallest cost model: time only. It knows nothing of uploads or power.
class constant_model {
public:
    explicit constant_model(environment env) : env_(std::move(env)) {}
    const environment& env() const noexcept { return env_; }
    double compute_time(const layer&, node_id s) const noexcept { return s == 0 ? 2.0 : 1.0; }
    double transfer_time(double bytes, node_id from, node_id to) const noexcept {
        return from == to ? 0.0 : bytes;
    }

private:
    environment env_;
};

// Not a cost model: no transfer_time.
struct compute_only {
    const environment& env() const;
    double compute_time(const layer&, node_id) const;
};

// Not a cost model: compute_time returns something that is not a number.
struct wrong_return {
    const environment& env() const;
    std::string compute_time(const layer&, node_id) const;
    double transfer_time(double, node_id, node_id) const;
};

// A cost model with an upload time but no power.
struct upload_only : constant_model {
    using constant_model::constant_model;
    double upload_time(const layer& l, node_id, node_id) const { return l.param_bytes; }
};

}  // namespace

static_assert(cost_model<analytic_model>);
static_assert(upload_cost_model<analytic_model>);
static_assert(energy_cost_model<analytic_model>);
static_assert(cost_model<profiled_model>);
static_assert(upload_cost_model<profiled_model>);
static_assert(energy_cost_model<profiled_model>);
static_assert(cost_model<constant_model>);
static_assert(!upload_cost_model<constant_model>);
static_assert(!energy_cost_model<constant_model>);
static_assert(cost_model<upload_only>);
static_assert(upload_cost_model<upload_only>);
static_assert(!energy_cost_model<upload_only>);
static_assert(!cost_model<compute_only>);
static_assert(!cost_model<wrong_return>);
static_assert(!cost_model<environment>);

TEST_CASE("analytic_model: compute time is FLOPs over the node's rate") {
    const analytic_model m(make_environment());
    const layer l = profiled_layer();
    CHECK(m.env().size() == 4);
    // Measured times and speed factors are ignored: the rate is the node's own.
    CHECK(m.compute_time(l, 0) == doctest::Approx(2.0));
    CHECK(m.compute_time(l, 1) == doctest::Approx(4.0));
    CHECK(m.compute_time(l, 2) == doctest::Approx(0.02));
    CHECK(m.compute_time(l, 3) == doctest::Approx(0.002));
    layer empty = unprofiled_layer();
    empty.flops = 0;
    CHECK(m.compute_time(empty, 0) == 0);
}

TEST_CASE("analytic_model: transfers follow the environment") {
    const analytic_model m(make_environment());
    CHECK(m.transfer_time(1e6, 0, 0) == 0);
    CHECK(m.transfer_time(1e6, 0, 2) == doctest::Approx(0.01 + 1));
    CHECK(m.transfer_time(1e6, 2, 0) == doctest::Approx(0.01 + 0.25));
    CHECK(m.transfer_time(1e6, 2, 3) == doctest::Approx(0.02 + 0.01));
    CHECK(m.transfer_time(1e6, 0, 2) == m.env().transfer_time(1e6, 0, 2));
    // Two local devices are not linked.
    CHECK(m.transfer_time(1, 0, 1) == std::numeric_limits<double>::infinity());
}

TEST_CASE("analytic_model: upload time is parameters over the uplink plus the load time") {
    const analytic_model m(make_environment());
    const layer l = profiled_layer();  // 2 MB, loads in 0.3 s
    // Over the device's uplink (1 MB/s to the edge, 0.5 MB/s to the cloud); latency is not
    // charged, the load time is.
    CHECK(m.upload_time(l, 0, 2) == doctest::Approx(2 + 0.3));
    CHECK(m.upload_time(l, 0, 3) == doctest::Approx(4 + 0.3));
    CHECK(m.upload_time(l, 1, 2) == doctest::Approx(8 + 0.3));
    // A missing load time counts as 0.
    CHECK(m.upload_time(unprofiled_layer(), 0, 2) == doctest::Approx(1));
    // Nothing to upload to the device itself; no link, no upload.
    CHECK(m.upload_time(l, 0, 0) == 0);
    CHECK(m.upload_time(l, 0, 1) == std::numeric_limits<double>::infinity());
    layer no_params = unprofiled_layer();
    no_params.param_bytes = 0;
    CHECK(m.upload_time(no_params, 0, 2) == 0);
}

TEST_CASE("analytic_model: device power") {
    const analytic_model m(make_environment());
    REQUIRE(m.device_power(0));
    CHECK(m.device_power(0)->compute_w == 2);
    CHECK(m.device_power(0)->transmit_w == 1.5);
    CHECK(m.device_power(0)->idle_w == 0.3);
    CHECK_FALSE(m.device_power(1));
}

TEST_CASE("profiled_model: measured times scaled by the node's speed factor") {
    const profiled_model m(make_environment());
    const layer l = profiled_layer();  // 0.8 s on the device, 0.04 s on the reference server
    // Local nodes scale the device time, servers the server time.
    CHECK(m.compute_time(l, 0) == doctest::Approx(0.8));
    CHECK(m.compute_time(l, 1) == doctest::Approx(1.6));    // speed 0.5: twice as slow
    CHECK(m.compute_time(l, 2) == doctest::Approx(0.01));   // speed 4
    CHECK(m.compute_time(l, 3) == doctest::Approx(0.004));  // speed 10
}

TEST_CASE("profiled_model: falls back to FLOPs over rate when a measurement is missing") {
    const profiled_model m(make_environment());
    const layer none = unprofiled_layer();  // 4 GFLOP, nothing measured
    CHECK(m.compute_time(none, 0) == doctest::Approx(4));
    CHECK(m.compute_time(none, 1) == doctest::Approx(8));  // the rate, not the speed factor
    CHECK(m.compute_time(none, 2) == doctest::Approx(0.04));
    CHECK(m.compute_time(none, 3) == doctest::Approx(0.004));

    // Only the device measured: servers fall back, local nodes do not.
    layer device_only = unprofiled_layer();
    device_only.device_time_s = 3;
    CHECK(m.compute_time(device_only, 0) == doctest::Approx(3));
    CHECK(m.compute_time(device_only, 2) == doctest::Approx(0.04));

    // Only the server measured: local nodes fall back.
    layer server_only = unprofiled_layer();
    server_only.server_time_s = 0.2;
    CHECK(m.compute_time(server_only, 0) == doctest::Approx(4));
    CHECK(m.compute_time(server_only, 3) == doctest::Approx(0.02));

    // A measured zero is a measurement, not a missing value.
    layer zero = unprofiled_layer();
    zero.device_time_s = 0;
    CHECK(m.compute_time(zero, 0) == 0);
}

TEST_CASE("profiled_model: transfers, uploads and power are the analytic model's") {
    const environment env = make_environment();
    const profiled_model p(env);
    const analytic_model a(env);
    const layer l = profiled_layer();
    for (node_id s = 0; s < env.size(); ++s)
        for (node_id t = 0; t < env.size(); ++t) {
            CHECK(p.transfer_time(12345, s, t) == a.transfer_time(12345, s, t));
            CHECK(p.upload_time(l, s, t) == a.upload_time(l, s, t));
        }
    CHECK(p.upload_time(l, 0, 2) == doctest::Approx(2.3));
    CHECK(p.device_power(0)->compute_w == 2);
    CHECK_FALSE(p.device_power(1));
    CHECK(p.env().size() == 4);
}

TEST_CASE("a custom minimal cost model is used through the concept") {
    const constant_model m(make_environment());
    // What a generic evaluator would do with any cost_model.
    const auto chain_delay = []<cost_model M>(const M& model, node_id first, node_id second) {
        const layer l = profiled_layer();
        return model.transfer_time(10, 0, first) + model.compute_time(l, first) +
               model.transfer_time(l.output_bytes, first, second) + model.compute_time(l, second) +
               model.transfer_time(3, second, 0);
    };
    CHECK(chain_delay(m, 0, 0) == 4);
    CHECK(chain_delay(m, 2, 2) == 10 + 1 + 1 + 3);
    CHECK(chain_delay(analytic_model(make_environment()), 0, 0) == doctest::Approx(4));
}
