// The thread team of the population evaluator: a refused thread is a clear error, never a hang
// (issue 15: the constructor used to leave started workers waiting on a destroyed condition
// variable when std::thread threw).
#include <eosdnn/core/error.hpp>
#include <eosdnn/optim/detail/thread_team.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

using namespace eosdnn;

TEST_CASE("thread_team: a thread the system refuses is an error naming it, and no thread hangs") {
    for (std::size_t refused_after : {0u, 1u, 5u}) {
        CAPTURE(refused_after);
        std::size_t started = 0;
        auto start = [&](auto&& body) {
            if (started == refused_after)
                throw std::system_error(
                    std::make_error_code(std::errc::resource_unavailable_try_again));
            ++started;
            return std::thread(std::move(body));
        };
        const std::string message = test::error_message(
            error_kind::validation, [&] { detail::thread_team team(8, start); });
        // The caller is thread 1, so the refused worker is thread refused_after + 2 of 8.
        CHECK(message.find("could not start thread " + std::to_string(refused_after + 2) +
                           " of 8") != std::string::npos);
        CHECK(message.find("fewer threads") != std::string::npos);
        CHECK(started == refused_after);  // those were joined before the error left the constructor
    }
}

TEST_CASE("thread_team: every item runs once and the lowest item's exception is rethrown") {
    detail::thread_team team(3, [](auto&& body) { return std::thread(std::move(body)); });
    for (int round = 0; round < 50; ++round) {
        std::vector<std::size_t> thread_of(100, 99);
        std::vector<std::atomic<int>> calls(100);
        auto job = [&](std::size_t t, std::size_t i) {
            thread_of[i] = t;
            ++calls[i];
        };
        team.for_each(thread_of.size(), job);
        for (std::size_t i = 0; i < thread_of.size(); ++i) {
            CHECK(calls[i] == 1);
            CHECK(thread_of[i] < 3);
        }
        // Items 37 and 80 throw: every other item still runs, and 37's error comes out.
        std::atomic<int> ran{0};
        auto failing = [&](std::size_t, std::size_t i) {
            ++ran;
            if (i == 37 || i == 80) throw std::runtime_error("item " + std::to_string(i));
        };
        try {
            team.for_each(100, failing);
            FAIL("no exception");
        } catch (const std::runtime_error& e) {
            CHECK(std::string(e.what()) == "item 37");
        }
        CHECK(ran == 100);
    }
}
