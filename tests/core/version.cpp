#include <eosdnn/version.hpp>

#include <doctest/doctest.h>

#include <string>

TEST_CASE("version.hpp carries the version CMake's project() read from it") {
    CHECK(eosdnn::version_string == EOSDNN_PROJECT_VERSION);
    const std::string parts = std::to_string(eosdnn::version.major) + "." +
                              std::to_string(eosdnn::version.minor) + "." +
                              std::to_string(eosdnn::version.patch);
    CHECK(parts == eosdnn::version_string);
    CHECK(EOSDNN_VERSION ==
          eosdnn::version.major * 10000 + eosdnn::version.minor * 100 + eosdnn::version.patch);
    static_assert(eosdnn::version_number{0, 9, 9} < eosdnn::version_number{1, 0, 0});
    static_assert(eosdnn::version_number{1, 2, 3} == eosdnn::version_number{1, 2, 3});
}
