#pragma once
// What every libFuzzer target of eosdnn shares: how a finding is reported, and parsing the input
// as read_json_file parses a file.

#include <eosdnn/core/error.hpp>
#include <eosdnn/io/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace eosdnn::fuzz {

/// A finding that is not a crash: print why and abort, so libFuzzer saves the input.
[[noreturn]] inline void finding(const char* what, const std::string& detail) {
    std::fprintf(stderr, "finding: %s: %s\n", what, detail.c_str());
    std::abort();
}

/// The input parsed as JSON text, or nothing when it is not JSON; then the error must be a parse
/// error naming the source ("fuzz.json"), else it is a finding.
inline std::optional<nlohmann::json> parse_json(const std::uint8_t* data, std::size_t size) {
    try {
        return detail::json_io::parse_text(std::string(reinterpret_cast<const char*>(data), size),
                                           "fuzz.json");
    } catch (const error& e) {
        if (e.kind() != error_kind::parse || !std::string_view(e.what()).starts_with("fuzz.json"))
            finding("bad JSON text gives an error of the wrong kind or without the source",
                    e.what());
        return std::nullopt;
    }
}

}  // namespace eosdnn::fuzz
