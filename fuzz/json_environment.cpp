// libFuzzer target: environment_from_json on arbitrary bytes parsed as JSON.
//
// Text that is not JSON must be a parse error naming the source (line and column, or the object
// that repeats a key). A document must give a valid environment or throw an eosdnn::error naming
// "environment JSON" and a path; an environment that was read must survive to_json and back
// unchanged.

#include "fuzz_common.hpp"

#include <eosdnn/core/error.hpp>
#include <eosdnn/io/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using eosdnn::fuzz::finding;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Parsed as read_json_file parses a file: an error must name the source and be a parse error.
    const std::optional<nlohmann::json> parsed = eosdnn::fuzz::parse_json(data, size);
    if (!parsed) return 0;
    const nlohmann::json& j = *parsed;
    nlohmann::json written;
    try {
        written = eosdnn::to_json(eosdnn::environment_from_json(j));
    } catch (const eosdnn::error& e) {
        if (!std::string_view(e.what()).starts_with("environment JSON "))
            finding("an error message does not name the document", e.what());
        return 0;
    }
    try {
        if (eosdnn::to_json(eosdnn::environment_from_json(nlohmann::json::parse(written.dump()))) !=
            written)
            finding("an environment changes in the round trip", written.dump());
    } catch (const eosdnn::error& e) {
        finding("a written environment does not read back",
                std::string(e.what()) + "\n" + written.dump());
    }
    return 0;
}
