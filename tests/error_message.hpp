#pragma once
// The message of the eosdnn::error a callable throws, for tests of error reporting.

#include <eosdnn/core/error.hpp>

#include <doctest/doctest.h>

#include <initializer_list>
#include <string>

namespace eosdnn::test {

/// Runs `f`, expects an eosdnn::error of `kind` and returns its message; fails the test (and
/// returns "") if nothing or something else is thrown.
template <class F>
std::string error_message(error_kind kind, F&& f) {
    try {
        f();
    } catch (const error& e) {
        CHECK_MESSAGE(e.kind() == kind, "kind " << to_string(e.kind()) << ": " << e.what());
        return e.what();
    }
    FAIL("no eosdnn::error was thrown");
    return {};
}

/// error_message for the commonest kind.
template <class F>
std::string validation_message(F&& f) {
    return error_message(error_kind::validation, f);
}

/// Runs `f`, expects an eosdnn::error of kind validation whose message contains every part.
template <class F>
void check_validation_error(F&& f, std::initializer_list<std::string> parts) {
    const std::string message = validation_message(f);
    INFO("message: " << message);
    for (const auto& part : parts) CHECK(message.find(part) != std::string::npos);
}

}  // namespace eosdnn::test
