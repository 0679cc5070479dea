// Events applied to an environment and the bad inputs the re-planner refuses: an event on a link
// that does not exist, the device going down, a trace whose times decrease.
#include "../error_message.hpp"
#include "../upload/upload_test_models.hpp"

#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/replan.hpp>

#include <doctest/doctest.h>

#include <random>

using namespace eosdnn;

namespace {

// Two phones (not linked to each other), an edge server and a cloud.
environment two_phones() {
    environment_builder b;
    auto p0 = b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 1e9});
    auto p1 = b.add_node({.name = "tablet", .tier = tier::local, .flops_per_s = 1e9});
    auto e = b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 2e10});
    auto c =
        b.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 1e12, .speed_factor = 2});
    b.connect(p0, e, {.bandwidth_Bps = 2e6, .latency_s = 0.002});
    b.connect(p1, e, {.bandwidth_Bps = 2e6, .latency_s = 0.002});
    b.connect(p0, c, {.bandwidth_Bps = 1e6, .latency_s = 0.02});
    b.connect(p1, c, {.bandwidth_Bps = 1e6, .latency_s = 0.02});
    b.connect(e, c, {.bandwidth_Bps = 5e6, .latency_s = 0.01});
    return b.build();
}

}  // namespace

TEST_CASE("with_event changes one link or one node and keeps every other figure") {
    const environment env = two_phones();
    const environment bw = with_event(
        env, env, 0,
        {.time_s = 1, .kind = event_kind::link_bandwidth, .from = 0, .to = 2, .value = 5e5});
    CHECK(bw.link_between(0, 2)->bandwidth_Bps == 5e5);
    CHECK(bw.link_between(2, 0)->bandwidth_Bps == 2e6);  // the other direction is untouched
    CHECK(bw.link_between(0, 2)->latency_s == 0.002);
    CHECK(!bw.link_between(0, 1));
    CHECK(bw.link_between(2, 3)->bandwidth_Bps == 5e6);
    const environment lat = with_event(
        env, env, 0,
        {.time_s = 1, .kind = event_kind::link_latency, .from = 3, .to = 0, .value = 0.5});
    CHECK(lat.link_between(3, 0)->latency_s == 0.5);
    CHECK(lat.link_between(3, 0)->bandwidth_Bps == 1e6);
    // Speed: factor set, rate scaled by value / initial factor (cloud starts at factor 2).
    const environment sp = with_event(
        env, env, 0, {.time_s = 1, .kind = event_kind::node_speed, .from = 3, .value = 1});
    CHECK(sp[3].speed_factor == 1);
    CHECK(sp[3].flops_per_s == doctest::Approx(5e11));
    const environment sp2 = with_event(
        sp, env, 0, {.time_s = 2, .kind = event_kind::node_speed, .from = 3, .value = 4});
    CHECK(sp2[3].flops_per_s == doctest::Approx(2e12));
    CHECK(sp2[2].flops_per_s == 2e10);
    CHECK(sp2.size() == env.size());
    CHECK(*sp2.find("cloud") == 3);
}

TEST_CASE("bad events and traces throw eosdnn::error naming the problem") {
    const environment env = two_phones();
    std::mt19937 rng(3);
    const layer_graph g = upload_test::random_model(rng, 4, false);
    SUBCASE("an event on a link that does not exist") {
        const session_event e{
            .time_s = 1, .kind = event_kind::link_bandwidth, .from = 0, .to = 1, .value = 1e6};
        CHECK_THROWS_WITH_AS(check_event(env, 0, e), doctest::Contains("no link"), error);
        replanner<analytic_model> rp(g, env);
        rp.plan_initial();
        CHECK_THROWS_WITH_AS(rp.apply(e), doctest::Contains("('phone') -> node 1 ('tablet')"),
                             error);
        CHECK_THROWS_AS(simulate_session<analytic_model>(g, env, {e}), error);
    }
    SUBCASE("the device, or another local device, going down") {
        replanner<profiled_model> rp(g, env);
        rp.plan_initial();
        CHECK_THROWS_WITH_AS(rp.apply({.time_s = 1, .kind = event_kind::node_down, .from = 0}),
                             doctest::Contains("the session's device, which cannot go down"),
                             error);
        CHECK_THROWS_WITH_AS(rp.apply({.time_s = 1, .kind = event_kind::node_down, .from = 1}),
                             doctest::Contains("a local device, which cannot go down"), error);
        CHECK_THROWS_AS(simulate_session<analytic_model>(
                            g, env, {{.time_s = 2, .kind = event_kind::node_down, .from = 0}}),
                        error);
    }
    SUBCASE("a trace whose times decrease") {
        const session_trace t{
            {.time_s = 2, .kind = event_kind::link_bandwidth, .from = 0, .to = 2, .value = 1e6},
            {.time_s = 1, .kind = event_kind::link_bandwidth, .from = 0, .to = 2, .value = 2e6}};
        CHECK_THROWS_WITH_AS(simulate_session<analytic_model>(g, env, t),
                             doctest::Contains("times must not decrease"), error);
        replanner<analytic_model> rp(g, env);
        rp.plan_initial();
        rp.apply(t[0]);
        CHECK_THROWS_WITH_AS(rp.apply(t[1]), doctest::Contains("time goes back"), error);
        // One call takes the events of one time, and at least one.
        const auto version = rp.version();
        const session_trace mixed{
            t[0],
            {.time_s = 3, .kind = event_kind::link_bandwidth, .from = 0, .to = 2, .value = 3e6}};
        CHECK_THROWS_WITH_AS(rp.apply(mixed), doctest::Contains("are applied by separate calls"),
                             error);
        CHECK_THROWS_WITH_AS(rp.apply(session_trace{}), doctest::Contains("no event"), error);
        CHECK(rp.version() == version);
        CHECK(rp.env().link_between(0, 2)->bandwidth_Bps == 1e6);  // nothing applied
    }
    SUBCASE("a node outside the environment, a bad value, bad options") {
        CHECK_THROWS_AS(
            check_event(env, 0, {.time_s = 1, .kind = event_kind::node_down, .from = 9}), error);
        CHECK_THROWS_AS(
            check_event(
                env, 0,
                {.time_s = 1, .kind = event_kind::link_bandwidth, .from = 0, .to = 2, .value = 0}),
            error);
        CHECK_THROWS_WITH_AS(replanner<analytic_model>(g, env, 0, {.window_factor = 0.5}),
                             doctest::Contains("window_factor"), error);
        CHECK_THROWS_AS(replanner<analytic_model>(g, env, 2), error);
        CHECK(parse_replan_policy("upload_aware") == replan_policy::upload_aware);
        CHECK(parse_replan_policy("from-scratch") == replan_policy::from_scratch);
        CHECK(!parse_replan_policy("sometimes"));
    }
}
