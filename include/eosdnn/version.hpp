#pragma once
/// \file version.hpp
/// The library's version. CMake reads it from here (project() in the top-level CMakeLists.txt),
/// so the package version, `eosdnn-plan --version`, eosdnn.pc and this header cannot disagree;
/// CHANGELOG.md has an entry for it (checked by ctest `version.changelog`).

#include <compare>
#include <string_view>

#define EOSDNN_VERSION_MAJOR 0
#define EOSDNN_VERSION_MINOR 1
#define EOSDNN_VERSION_PATCH 0
/// The version as one number, major * 10000 + minor * 100 + patch, for `#if` comparisons.
#define EOSDNN_VERSION \
    (EOSDNN_VERSION_MAJOR * 10000 + EOSDNN_VERSION_MINOR * 100 + EOSDNN_VERSION_PATCH)

#define EOSDNN_DETAIL_STRINGIFY_(x) #x
#define EOSDNN_DETAIL_STRINGIFY(x) EOSDNN_DETAIL_STRINGIFY_(x)
/// "major.minor.patch"
#define EOSDNN_VERSION_STRING                                                      \
    EOSDNN_DETAIL_STRINGIFY(EOSDNN_VERSION_MAJOR)                                  \
    "." EOSDNN_DETAIL_STRINGIFY(EOSDNN_VERSION_MINOR) "." EOSDNN_DETAIL_STRINGIFY( \
        EOSDNN_VERSION_PATCH)

namespace eosdnn {

/// A semantic version: major.minor.patch.
struct version_number {
    int major = 0;
    int minor = 0;
    int patch = 0;
    friend constexpr auto operator<=>(const version_number&, const version_number&) = default;
};

/// The version of these headers.
inline constexpr version_number version{EOSDNN_VERSION_MAJOR, EOSDNN_VERSION_MINOR,
                                        EOSDNN_VERSION_PATCH};

/// The version of these headers as "major.minor.patch".
inline constexpr std::string_view version_string = EOSDNN_VERSION_STRING;

}  // namespace eosdnn
