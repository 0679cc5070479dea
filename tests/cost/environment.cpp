#include <eosdnn/cost/environment.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace eosdnn;

namespace {

node make_node(std::string name, eosdnn::tier t, double rate = 1e9) {
    return {.name = std::move(name),
            .tier = t,
            .flops_per_s = rate,
            .speed_factor = 1,
            .memory_bytes = {},
            .power = {}};
}

network_link make_link(double bandwidth, double latency = 0) {
    return {.bandwidth_Bps = bandwidth, .latency_s = latency};
}

using test::validation_message;

// phone (local), edge, cloud; phone <-> edge 10 MB/s + 5 ms, phone <-> cloud 1 MB/s + 50 ms,
// edge <-> cloud 100 MB/s + 20 ms.
environment_builder three_tiers() {
    environment_builder b;
    b.add_node(make_node("phone", tier::local, 1e9));
    b.add_node(make_node("edge", tier::edge, 1e11));
    b.add_node(make_node("cloud", tier::cloud, 1e12));
    b.connect(0, 1, make_link(1e7, 0.005));
    b.connect(0, 2, make_link(1e6, 0.05));
    b.connect("edge", "cloud", make_link(1e8, 0.02));
    return b;
}

constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();
constexpr double infinity = std::numeric_limits<double>::infinity();

}  // namespace

TEST_CASE("environment: mbps") {
    static_assert(mbps(8) == 1e6);
    CHECK(mbps(1) == 125'000);
    CHECK(mbps(0) == 0);
    CHECK(mbps(100) == doctest::Approx(12.5e6));
}

TEST_CASE("environment: a valid environment and its accessors") {
    environment_builder b = three_tiers();
    CHECK(b.size() == 3);
    const environment env = b.build();
    CHECK(env.size() == 3);
    CHECK(env[0].name == "phone");
    CHECK(env.at(2).tier == tier::cloud);
    CHECK(env.nodes().size() == 3);
    CHECK(env.find("edge") == node_id{1});
    CHECK_FALSE(env.find("nowhere"));
    CHECK(env.nodes_of(tier::local) == std::vector<node_id>{0});
    CHECK(env.nodes_of(tier::edge) == std::vector<node_id>{1});
    CHECK(env.nodes_of(tier::cloud) == std::vector<node_id>{2});
    CHECK(to_string(tier::local) == "local");
    CHECK(to_string(tier::edge) == "edge");
    CHECK(to_string(tier::cloud) == "cloud");

    CHECK_FALSE(env.link_between(0, 0));
    REQUIRE(env.link_between(1, 2));
    CHECK(env.link_between(1, 2)->bandwidth_Bps == 1e8);
    CHECK(env.link_between(2, 1)->latency_s == 0.02);

    try {
        (void)env.at(3);
        FAIL("no throw");
    } catch (const error& e) {
        CHECK(std::string(e.what()) == "node index 3 is out of range: the environment has 3 nodes");
    }
}

TEST_CASE("environment: transfer_time") {
    const environment env = three_tiers().build();
    // Nothing is charged on the same node, whatever the size.
    CHECK(env.transfer_time(1e9, 1, 1) == 0);
    CHECK(env.transfer_time(0, 0, 0) == 0);
    // latency + bytes / bandwidth, both ways.
    CHECK(env.transfer_time(1e6, 0, 1) == doctest::Approx(0.005 + 0.1));
    CHECK(env.transfer_time(1e6, 1, 0) == doctest::Approx(0.005 + 0.1));
    CHECK(env.transfer_time(2e6, 0, 2) == doctest::Approx(0.05 + 2));
    // Zero bytes still pay the latency.
    CHECK(env.transfer_time(0, 1, 2) == doctest::Approx(0.02));

    SUBCASE("asymmetric uplink and downlink") {
        environment_builder b;
        b.add_node(make_node("phone", tier::local));
        b.add_node(make_node("edge", tier::edge));
        b.connect(0, 1, make_link(mbps(8), 0.01), make_link(mbps(80), 0.002));
        const environment e = b.build();
        CHECK(e.transfer_time(1e6, 0, 1) == doctest::Approx(0.01 + 1));
        CHECK(e.transfer_time(1e6, 1, 0) == doctest::Approx(0.002 + 0.1));
    }
    SUBCASE("a later one-way link replaces an earlier one") {
        environment_builder b;
        b.add_node(make_node("phone", tier::local));
        b.add_node(make_node("edge", tier::edge));
        b.connect(0, 1, make_link(1));
        b.connect_one_way(0, 1, make_link(1000, 1));
        const environment e = b.build();
        CHECK(e.transfer_time(1000, 0, 1) == doctest::Approx(2));
        CHECK(e.transfer_time(1000, 1, 0) == doctest::Approx(1000));
    }
    SUBCASE("two local devices need no link and cannot exchange data") {
        environment_builder b;
        b.add_node(make_node("phone", tier::local));
        b.add_node(make_node("watch", tier::local));
        b.add_node(make_node("edge", tier::edge));
        b.connect(0, 2, make_link(1));
        b.connect(1, 2, make_link(1));
        const environment e = b.build();
        CHECK_FALSE(e.link_between(0, 1));
        CHECK(e.transfer_time(1, 0, 1) == infinity);
        CHECK(e.nodes_of(tier::local) == std::vector<node_id>{0, 1});
    }
}

TEST_CASE("environment: node validation errors") {
    environment_builder b;
    b.add_node(make_node("phone", tier::local));
    SUBCASE("empty name") {
        CHECK(validation_message([&] { b.add_node(make_node("", tier::edge)); }) ==
              "environment: node #1 has an empty name");
    }
    SUBCASE("duplicate name") {
        CHECK(validation_message([&] { b.add_node(make_node("phone", tier::edge)); }) ==
              "environment: duplicate node name 'phone'");
        CHECK(b.size() == 1);
    }
    SUBCASE("rate: zero, negative, NaN, infinite") {
        CHECK(validation_message([&] { b.add_node(make_node("e", tier::edge, 0)); }) ==
              "environment: node 'e': flops_per_s is 0 (must be finite and > 0)");
        CHECK(validation_message([&] { b.add_node(make_node("e", tier::edge, -5)); }) ==
              "environment: node 'e': flops_per_s is -5 (must be finite and > 0)");
        CHECK(validation_message([&] { b.add_node(make_node("e", tier::edge, not_a_number)); }) ==
              "environment: node 'e': flops_per_s is nan (must be finite and > 0)");
        CHECK(validation_message([&] { b.add_node(make_node("e", tier::edge, infinity)); }) ==
              "environment: node 'e': flops_per_s is inf (must be finite and > 0)");
    }
    SUBCASE("speed factor") {
        node n = make_node("e", tier::edge);
        n.speed_factor = 0;
        CHECK(validation_message([&] { b.add_node(n); }) ==
              "environment: node 'e': speed_factor is 0 (must be finite and > 0)");
        n.speed_factor = not_a_number;
        CHECK(validation_message([&] { b.add_node(n); }) ==
              "environment: node 'e': speed_factor is nan (must be finite and > 0)");
    }
    SUBCASE("memory capacity") {
        node n = make_node("e", tier::edge);
        n.memory_bytes = -1;
        CHECK(validation_message([&] { b.add_node(n); }) ==
              "environment: node 'e': memory_bytes is -1 (must be finite and > 0)");
        n.memory_bytes = 0;
        CHECK_THROWS_AS(b.add_node(n), error);
        n.memory_bytes = 1e9;
        CHECK_NOTHROW(b.add_node(n));
    }
    SUBCASE("power figures") {
        node n = make_node("e", tier::local);
        n.power = power_profile{.compute_w = 2, .transmit_w = -1, .idle_w = 0};
        CHECK(validation_message([&] { b.add_node(n); }) ==
              "environment: node 'e': power.transmit_w is -1 (must be finite and >= 0)");
        n.power = power_profile{.compute_w = not_a_number, .transmit_w = 1, .idle_w = 0};
        CHECK(validation_message([&] { b.add_node(n); }) ==
              "environment: node 'e': power.compute_w is nan (must be finite and >= 0)");
        n.power = power_profile{.compute_w = 1, .transmit_w = 1, .idle_w = infinity};
        CHECK(validation_message([&] { b.add_node(n); }) ==
              "environment: node 'e': power.idle_w is inf (must be finite and >= 0)");
        n.power = power_profile{.compute_w = 0, .transmit_w = 0, .idle_w = 0};
        CHECK_NOTHROW(b.add_node(n));
    }
}

TEST_CASE("environment: link validation errors") {
    environment_builder b;
    b.add_node(make_node("phone", tier::local));
    b.add_node(make_node("edge", tier::edge));
    SUBCASE("link to itself") {
        CHECK(validation_message([&] { b.connect(1, 1, make_link(1)); }) ==
              "environment: link 'edge' -> 'edge': a node needs no link to itself");
    }
    SUBCASE("bandwidth: zero, negative, NaN, infinite") {
        CHECK(validation_message([&] { b.connect(0, 1, make_link(0)); }) ==
              "environment: link 'phone' -> 'edge': bandwidth_Bps is 0 (must be finite and > 0)");
        CHECK(validation_message([&] { b.connect(0, 1, make_link(-1)); }) ==
              "environment: link 'phone' -> 'edge': bandwidth_Bps is -1 (must be finite and > 0)");
        CHECK(validation_message([&] { b.connect(0, 1, make_link(not_a_number)); }) ==
              "environment: link 'phone' -> 'edge': bandwidth_Bps is nan (must be finite and > 0)");
        CHECK(validation_message([&] { b.connect(0, 1, make_link(infinity)); }) ==
              "environment: link 'phone' -> 'edge': bandwidth_Bps is inf (must be finite and > 0)");
    }
    SUBCASE("latency: negative, NaN, infinite; zero is fine") {
        CHECK(validation_message([&] { b.connect(0, 1, make_link(1, -0.5)); }) ==
              "environment: link 'phone' -> 'edge': latency_s is -0.5 (must be finite and >= 0)");
        CHECK(validation_message([&] { b.connect(0, 1, make_link(1, not_a_number)); }) ==
              "environment: link 'phone' -> 'edge': latency_s is nan (must be finite and >= 0)");
        CHECK(validation_message([&] { b.connect(0, 1, make_link(1, infinity)); }) ==
              "environment: link 'phone' -> 'edge': latency_s is inf (must be finite and >= 0)");
        CHECK_NOTHROW(b.connect(0, 1, make_link(1, 0)));
    }
    SUBCASE("the downlink of a two-way connect is checked with its own direction") {
        CHECK(validation_message([&] { b.connect(0, 1, make_link(1), make_link(0)); }) ==
              "environment: link 'edge' -> 'phone': bandwidth_Bps is 0 (must be finite and > 0)");
    }
    SUBCASE("unknown name") {
        CHECK(validation_message([&] { b.connect("phone", "cloud", make_link(1)); }) ==
              "environment: link names unknown node 'cloud'");
        CHECK(validation_message([&] { b.connect("fog", "edge", make_link(1)); }) ==
              "environment: link names unknown node 'fog'");
    }
    SUBCASE("index out of range") {
        CHECK(validation_message([&] { b.connect(0, 5, make_link(1)); }) ==
              "environment: link names node index 5 but only 2 nodes were added");
        CHECK(validation_message([&] { b.connect_one_way(9, 0, make_link(1)); }) ==
              "environment: link names node index 9 but only 2 nodes were added");
    }
}

TEST_CASE("environment: the request overhead is finite and >= 0, 0 unless set") {
    environment_builder b;
    b.add_node(make_node("phone", tier::local));
    b.add_node(make_node("edge", tier::edge));
    b.connect(0, 1, make_link(1));
    CHECK(b.build().request_overhead_s() == 0);
    for (const double bad :
         {-1.0, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()})
        CHECK(validation_message([&] {
                  b.set_request_overhead_s(bad);
              }).starts_with("environment: the environment: request_overhead_s is "));
    CHECK(validation_message([&] { b.set_request_overhead_s(-1); }) ==
          "environment: the environment: request_overhead_s is -1 (must be finite and >= 0)");
    CHECK(b.build().request_overhead_s() == 0);  // a refused value changes nothing
    b.set_request_overhead_s(0.02);
    CHECK(b.build().request_overhead_s() == 0.02);
}

TEST_CASE("environment: whole-environment validation errors") {
    SUBCASE("no nodes") {
        CHECK(validation_message([] { (void)environment_builder().build(); }) ==
              "environment: the environment has no nodes");
    }
    SUBCASE("node 0 not local") {
        environment_builder b;
        b.add_node(make_node("edge", tier::edge));
        b.add_node(make_node("phone", tier::local));
        b.connect(0, 1, make_link(1));
        CHECK(validation_message([&] { (void)b.build(); }) ==
              "environment: node 0 ('edge') must be a local device, it is edge");
        environment_builder c;
        c.add_node(make_node("cloud", tier::cloud));
        CHECK(validation_message([&] { (void)c.build(); }) ==
              "environment: node 0 ('cloud') must be a local device, it is cloud");
    }
    SUBCASE("missing link between a device and a server") {
        environment_builder b;
        b.add_node(make_node("phone", tier::local));
        b.add_node(make_node("edge", tier::edge));
        CHECK(validation_message([&] { (void)b.build(); }) ==
              "environment: no link from 'phone' to 'edge'");
        b.connect_one_way(0, 1, make_link(1));
        CHECK(validation_message([&] { (void)b.build(); }) ==
              "environment: no link from 'edge' to 'phone'");
        b.connect_one_way(1, 0, make_link(1));
        CHECK_NOTHROW((void)b.build());
    }
    SUBCASE("missing link between two servers") {
        environment_builder b = three_tiers();
        b.add_node(make_node("edge2", tier::edge));
        b.connect(0, 3, make_link(1));
        b.connect(1, 3, make_link(1));
        CHECK(validation_message([&] { (void)b.build(); }) ==
              "environment: no link from 'cloud' to 'edge2'");
    }
    SUBCASE("a lone local device is a valid environment") {
        environment_builder b;
        b.add_node(make_node("phone", tier::local));
        const environment e = b.build();
        CHECK(e.size() == 1);
        CHECK(e.transfer_time(100, 0, 0) == 0);
    }
}
