#pragma once
/// \file measured_profiles.hpp
/// The measured per-layer profiles that come with eosdnn (IONN's AlexNet, GoogLeNet and
/// ResNet-50: ODROID-XU4 client and GPU server times; provenance in their README.md), found by
/// name, from a source tree or from an installed package alike.
///
/// Where they are: the environment variable `EOSDNN_PROFILE_DIR` if it is set, else the
/// directory the build gave as the macro `EOSDNN_PROFILE_DIR` (the CMake target eosdnn::eosdnn
/// defines it: the source tree's `data/ionn-profiles` in a build tree or through add_subdirectory,
/// `<prefix>/share/eosdnn/ionn-profiles` in an installed package). Without either, none are
/// known and asking for one says so.

#include <eosdnn/core/error.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/io/profile_csv.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace eosdnn {

/// The prefix that names a measured profile where a model is expected: `ionn:resnet50`.
inline constexpr std::string_view measured_profile_prefix = "ionn:";

/// The directory of the measured profiles (see the file comment), or an empty path if neither
/// the environment nor the build names one.
inline std::filesystem::path measured_profile_directory() {
    if (const char* dir = std::getenv("EOSDNN_PROFILE_DIR"); dir != nullptr && *dir != '\0')
        return dir;
#ifdef EOSDNN_PROFILE_DIR
    return EOSDNN_PROFILE_DIR;
#else
    return {};
#endif
}

/// The names of the measured profiles (the CSV files of the directory, without `.csv`), sorted;
/// empty if the directory is unknown or missing.
inline std::vector<std::string> measured_profile_names() {
    namespace fs = std::filesystem;
    std::vector<std::string> names;
    const fs::path dir = measured_profile_directory();
    std::error_code ec;
    if (dir.empty() || !fs::is_directory(dir, ec)) return names;
    for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.path().extension() == ".csv" && entry.is_regular_file(ec))
            names.push_back(entry.path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

/// The measured profile `name` (`resnet50`, or `ionn:resnet50`), read with read_profile_csv.
/// Throws eosdnn::error of kind validation for an unknown name (listing the known ones, or
/// saying where they were looked for) and the reader's errors for a bad file.
inline layer_graph measured_profile(std::string_view name) {
    if (name.starts_with(measured_profile_prefix))
        name.remove_prefix(measured_profile_prefix.size());
    const std::vector<std::string> known = measured_profile_names();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
        const std::filesystem::path dir = measured_profile_directory();
        std::string message = "no measured profile '" + std::string(name) + "'";
        if (known.empty()) {
            message += dir.empty()
                           ? ": this build knows no profile directory (set EOSDNN_PROFILE_DIR)"
                           : ": none in '" + dir.string() +
                                 "' (set EOSDNN_PROFILE_DIR to their directory)";
        } else {
            message += " (known:";
            for (const std::string& k : known)
                message += " " + std::string(measured_profile_prefix) + k;
            message += ")";
        }
        throw error(error_kind::validation, message);
    }
    return read_profile_csv(measured_profile_directory() / (std::string(name) + ".csv"));
}

}  // namespace eosdnn
