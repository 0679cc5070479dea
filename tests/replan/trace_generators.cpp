#include <eosdnn/io/default_environment.hpp>
#include <eosdnn/replan/trace_generators.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>

using namespace eosdnn;

namespace {

bool same(const session_trace& a, const session_trace& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].time_s != b[i].time_s || a[i].kind != b[i].kind || a[i].from != b[i].from ||
            a[i].to != b[i].to || a[i].value != b[i].value)
            return false;
    return true;
}

// What every generated trace holds: times on the millisecond grid and not decreasing,
// bandwidths on the kbit/s grid, and check_trace's rules.
void check_invariants(const session_trace& t, const environment& env) {
    CHECK_NOTHROW(check_trace(t, env.size()));
    double previous = 0;
    for (const session_event& e : t) {
        CHECK(e.time_s >= previous);
        previous = e.time_s;
        CHECK(std::round(e.time_s * 1000) / 1000 == e.time_s);
        if (e.kind == event_kind::link_bandwidth) {
            const double kbps = e.value * 8 / 1e3;
            CHECK(std::abs(kbps - std::round(kbps)) < 1e-6);
            CHECK(env.link_between(e.from, e.to).has_value());
        }
    }
}

}  // namespace

TEST_CASE("step_trace: one change, and back when asked, on both directions") {
    const environment env = default_environment();
    const session_trace t =
        step_trace({.link = {.from = 0, .to = 1}, .at_s = 10, .bandwidth_Bps = mbps(5)});
    REQUIRE(t.size() == 2);
    CHECK(t[0].time_s == 10);
    CHECK(t[0].from == 0);
    CHECK(t[0].to == 1);
    CHECK(t[0].value == mbps(5));
    CHECK(t[1].from == 1);
    CHECK(t[1].to == 0);
    check_invariants(t, env);
    const session_trace back = step_trace({.link = {.from = 0, .to = 1, .both_directions = false},
                                           .at_s = 10,
                                           .bandwidth_Bps = mbps(5),
                                           .back_at_s = 30,
                                           .back_Bps = mbps(40)});
    REQUIRE(back.size() == 2);
    CHECK(back[1].time_s == 30);
    CHECK(back[1].value == mbps(40));
    check_invariants(back, env);
    test::check_validation_error([] { step_trace({.at_s = -1}); },
                                 {"step_trace_options.at_s", "-1"});
    test::check_validation_error([] { step_trace({.bandwidth_Bps = 0}); },
                                 {"step_trace_options.bandwidth_Bps"});
    test::check_validation_error([] { step_trace({.at_s = 10, .back_at_s = 5}); },
                                 {"step_trace_options.back_at_s", "> at_s"});
    test::check_validation_error([] { step_trace({.link = {.from = 2, .to = 2}}); },
                                 {"step_trace_options.link", "itself"});
}

TEST_CASE("random_walk_trace: bounded, one step every step_s, same seed same trace") {
    const environment env = default_environment();
    const random_walk_options o{.link = {.from = 0, .to = 1},
                                .start_Bps = mbps(40),
                                .min_Bps = mbps(5),
                                .max_Bps = mbps(60),
                                .max_step_Bps = mbps(30),
                                .step_s = 0.5,
                                .duration_s = 100};
    for (std::uint64_t seed : {1, 2, 99}) {
        const session_trace t = random_walk_trace(o, seed);
        REQUIRE(t.size() == 2 * 200);
        check_invariants(t, env);
        double lowest = o.max_Bps, highest = o.min_Bps;
        for (std::size_t i = 0; i < t.size(); i += 2) {
            CHECK(t[i].time_s == doctest::Approx(0.5 * static_cast<double>(i / 2 + 1)));
            CHECK(t[i].value >= o.min_Bps);
            CHECK(t[i].value <= o.max_Bps);
            CHECK(t[i + 1].value == t[i].value);  // the reverse direction, same time and value
            CHECK(t[i + 1].time_s == t[i].time_s);
            lowest = std::min(lowest, t[i].value);
            highest = std::max(highest, t[i].value);
        }
        CHECK(highest - lowest > mbps(20));  // it does walk
        CHECK(same(t, random_walk_trace(o, seed)));
        std::mt19937_64 rng(seed);
        CHECK(same(t, random_walk_trace(o, rng)));
    }
    CHECK(!same(random_walk_trace(o, 1), random_walk_trace(o, 2)));
    // No step at all: the bandwidth stays where it starts.
    for (const auto& e : random_walk_trace({.max_step_Bps = 0, .duration_s = 5}, 3))
        CHECK(e.value == mbps(40));
    test::check_validation_error([] { random_walk_trace({.start_Bps = mbps(100)}, 1); },
                                 {"random_walk_options.start_Bps"});
    test::check_validation_error(
        [] { random_walk_trace({.min_Bps = mbps(10), .max_Bps = mbps(9)}, 1); },
        {"random_walk_options.max_Bps"});
    test::check_validation_error([] { random_walk_trace({.step_s = 0}, 1); },
                                 {"random_walk_options.step_s"});
    test::check_validation_error([] { random_walk_trace({.step_s = 0.001, .duration_s = 1e9}, 1); },
                                 {"random_walk_options.duration_s"});
}

TEST_CASE("tunnel_trace: periodic without jitter, alternating, ends open") {
    const environment env = default_environment();
    const session_trace t = tunnel_trace({.link = {.from = 0, .to = 1, .both_directions = false},
                                          .open_Bps = mbps(40),
                                          .floor_Bps = mbps(0.5),
                                          .first_s = 10,
                                          .inside_s = 5,
                                          .outside_s = 20,
                                          .duration_s = 100},
                                         1);
    // Tunnels start at 10, 35, 60, 85 and last 5 s each.
    REQUIRE(t.size() == 8);
    for (std::size_t k = 0; k < 4; ++k) {
        CHECK(t[2 * k].time_s == 10 + 25.0 * static_cast<double>(k));
        CHECK(t[2 * k].value == mbps(0.5));
        CHECK(t[2 * k + 1].time_s == 15 + 25.0 * static_cast<double>(k));
        CHECK(t[2 * k + 1].value == mbps(40));
    }
    check_invariants(t, env);
}

TEST_CASE("tunnel_trace: random durations inside their bounds, node down and up") {
    const environment env = default_environment();
    const tunnel_trace_options o{.link = {.from = 0, .to = 2},
                                 .node_down = true,
                                 .first_s = 3,
                                 .inside_s = 4,
                                 .outside_s = 10,
                                 .jitter = 0.5,
                                 .duration_s = 500};
    for (std::uint64_t seed : {1, 5}) {
        const session_trace t = tunnel_trace(o, seed);
        REQUIRE(t.size() % 2 == 0);
        REQUIRE(t.size() >= 2 * 25);
        check_invariants(t, env);
        for (std::size_t i = 0; i < t.size(); i += 2) {
            CHECK(t[i].kind == event_kind::node_down);
            CHECK(t[i + 1].kind == event_kind::node_up);
            CHECK(t[i].from == 2);
            CHECK(t[i].time_s < o.duration_s);
            const double inside = t[i + 1].time_s - t[i].time_s;
            CHECK(inside >= 2 - 0.002);
            CHECK(inside <= 6 + 0.002);
            if (i + 2 < t.size()) {
                const double outside = t[i + 2].time_s - t[i + 1].time_s;
                CHECK(outside >= 5 - 0.002);
                CHECK(outside <= 15 + 0.002);
            }
        }
        CHECK(same(t, tunnel_trace(o, seed)));
    }
    CHECK(!same(tunnel_trace(o, 1), tunnel_trace(o, 5)));
    test::check_validation_error([] { tunnel_trace({.jitter = 1}, 1); },
                                 {"tunnel_trace_options.jitter"});
    test::check_validation_error([] { tunnel_trace({.floor_Bps = mbps(50)}, 1); },
                                 {"tunnel_trace_options.floor_Bps"});
    test::check_validation_error([] { tunnel_trace({.inside_s = 0}, 1); },
                                 {"tunnel_trace_options.inside_s"});
}
