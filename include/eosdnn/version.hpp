#pragma once
/// \file version.hpp
/// The library's version. CMake reads it from here (project() in the top-level CMakeLists.txt),
/// so the package version, `eosdnn-plan --version`, eosdnn.pc and this header cannot disagree;
/// CHANGELOG.md has an entry for it (checked by ctest `version.changelog`).

#include <compare>
#include <string_view>

/// The major version: changes that break the API (before 1.0, minor versions may too).
#define EOSDNN_VERSION_MAJOR 0
/// The minor version: features.
#define EOSDNN_VERSION_MINOR 1
/// The patch version: fixes.
#define EOSDNN_VERSION_PATCH 0
/// The version as one number, major * 10000 + minor * 100 + patch, for `#if` comparisons.
#define EOSDNN_VERSION \
    (EOSDNN_VERSION_MAJOR * 10000 + EOSDNN_VERSION_MINOR * 100 + EOSDNN_VERSION_PATCH)

/// \cond DETAIL
#define EOSDNN_DETAIL_STRINGIFY_(x) #x
#define EOSDNN_DETAIL_STRINGIFY(x) EOSDNN_DETAIL_STRINGIFY_(x)
/// \endcond
/// "major.minor.patch"
#define EOSDNN_VERSION_STRING                                                      \
    EOSDNN_DETAIL_STRINGIFY(EOSDNN_VERSION_MAJOR)                                  \
    "." EOSDNN_DETAIL_STRINGIFY(EOSDNN_VERSION_MINOR) "." EOSDNN_DETAIL_STRINGIFY( \
        EOSDNN_VERSION_PATCH)

namespace eosdnn {

/// A semantic version: major.minor.patch.
struct version_number {
    int major = 0;  ///< breaking changes
    int minor = 0;  ///< features
    int patch = 0;  ///< fixes
    /// Versions compare part by part, major first.
    friend constexpr auto operator<=>(const version_number&, const version_number&) = default;
};

/// The version of these headers.
inline constexpr version_number version{EOSDNN_VERSION_MAJOR, EOSDNN_VERSION_MINOR,
                                        EOSDNN_VERSION_PATCH};

/// The version of these headers as "major.minor.patch".
inline constexpr std::string_view version_string = EOSDNN_VERSION_STRING;

}  // namespace eosdnn
