// One evaluator per thread: in a debug build (NDEBUG undefined) a call that enters an evaluator
// another call is inside throws, from the same or another thread; copies are independent; with
// NDEBUG the check is an empty member. Deterministic: the first call is simulated by holding
// debug_hold(), never by racing two threads.

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/detail/single_user.hpp>
#include <eosdnn/cost/multi_task_evaluator.hpp>
#include <eosdnn/graph/builder.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <exception>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

using namespace eosdnn;

namespace {

// A phone (100 FLOP/s) and an edge server (1000 FLOP/s), linked at 100 B/s.
analytic_model phone_and_edge() {
    environment_builder b;
    b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 100});
    b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1000});
    b.connect(0, 1, {.bandwidth_Bps = 100});
    return analytic_model(b.build());
}

// Two layers of 100 FLOP, 10 B out each; input 100 B.
layer_graph two_layers() {
    layer_graph_builder b("pair");
    auto a = b.add_layer({.name = "a", .flops = 100, .output_bytes = 10});
    b.add_layer({.name = "b", .flops = 100, .output_bytes = 10}, {a});
    b.set_input_bytes(100);
    return b.build();
}

// The message `f` throws when run on a thread of its own, or "" if it throws nothing.
template <class F>
std::string message_on_other_thread(F f) {
    std::string message;
    std::thread other([&] {
        try {
            f();
        } catch (const error& e) {
            message = e.what();
        }
    });
    other.join();
    return message;
}

}  // namespace

#ifndef NDEBUG

TEST_CASE("evaluator threads: delay_evaluator refuses a call while another is inside") {
    const analytic_model model = phone_and_edge();
    delay_evaluator ev(two_layers(), model);
    const std::vector<node_id> x{0, 1};
    // Phone computes a (1 s), sends 10 B (0.1 s), edge computes b (0.1 s), 10 B back (0.1 s),
    // after the 100 B input stayed on the phone.
    const double expected = 1.0 + 0.1 + 0.1 + 0.1;
    {
        const auto held = ev.debug_hold();
        const std::string same = test::validation_message([&] { (void)ev.evaluate(x); });
        CHECK(same.find("delay_evaluator::evaluate: called while another call is inside the same "
                        "evaluator") == 0);
        CHECK(same.find("give each thread its own copy") != std::string::npos);
        const std::string other = message_on_other_thread([&] { (void)ev.evaluate(x); });
        CHECK(other == same);

        // A copy is another evaluator: it is not busy, and works while the original is held.
        delay_evaluator copy = ev;
        CHECK(copy.evaluate(x).delay_s == doctest::Approx(expected));
    }
    // Released: usable again, from this thread or another, and a failed call left it idle.
    CHECK(ev.evaluate(x).delay_s == doctest::Approx(expected));
    CHECK(message_on_other_thread([&] { (void)ev.evaluate(x); }).empty());
    const std::vector<node_id> too_short{0};
    CHECK_THROWS_AS(ev.evaluate(too_short), error);
    CHECK(ev.evaluate(x).delay_s == doctest::Approx(expected));
}

TEST_CASE("evaluator threads: multi_task_evaluator guards evaluate and completion_times") {
    const analytic_model model = phone_and_edge();
    std::vector<dnn_task> tasks{{.graph = two_layers()}, {.graph = two_layers()}};
    multi_task_evaluator ev(tasks, model);
    const std::vector<node_id> x{0, 1, 0, 1};
    {
        const auto held = ev.debug_hold();
        CHECK(test::validation_message([&] {
                  (void)ev.evaluate(x);
              }).find("multi_task_evaluator::evaluate: called while another call is inside") == 0);
        CHECK(message_on_other_thread([&] {
                  (void)ev.completion_times(x);
              }).find("multi_task_evaluator::completion_times: called while another call") == 0);
    }
    CHECK(ev.completion_times(x).size() == 2);
    CHECK(message_on_other_thread([&] { (void)ev.evaluate(x); }).empty());
}

TEST_CASE("evaluator threads: a second hold throws and leaves the first in place") {
    const analytic_model model = phone_and_edge();
    delay_evaluator ev(two_layers(), model);
    const auto held = ev.debug_hold();
    CHECK_THROWS_AS((void)ev.debug_hold(), error);
    // The refused hold did not clear the flag the first one set.
    CHECK_THROWS_AS((void)ev.evaluate(std::vector<node_id>{0, 1}), error);
}

#else

TEST_CASE("evaluator threads: the check is an empty member with NDEBUG") {
    CHECK(std::is_empty_v<detail::single_user>);
    const analytic_model model = phone_and_edge();
    delay_evaluator ev(two_layers(), model);
    [[maybe_unused]] const auto held = ev.debug_hold();  // holds nothing: evaluate still runs
    CHECK(ev.evaluate(std::vector<node_id>{0, 1}).delay_s == doctest::Approx(1.3));
}

#endif
