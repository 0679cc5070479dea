// The thread team of the population evaluator: a refused thread is a clear error, never a hang
// (issue 15: the constructor used to leave started workers waiting on a destroyed condition
// variable when std::thread threw).
#include <eosdnn/core/error.hpp>
#include <eosdnn/optim/detail/thread_team.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstddef>
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

TEST_CASE("thread_team: every item runs once, on thread item % size") {
    detail::thread_team team(3, [](auto&& body) { return std::thread(std::move(body)); });
    std::vector<std::size_t> thread_of(100, 99);
    std::atomic<int> calls{0};
    auto job = [&](std::size_t t, std::size_t i) {
        thread_of[i] = t;
        ++calls;
    };
    team.for_each(thread_of.size(), job);
    CHECK(calls == 100);
    for (std::size_t i = 0; i < thread_of.size(); ++i) CHECK(thread_of[i] == i % 3);
}
