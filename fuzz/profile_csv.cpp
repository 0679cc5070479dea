// libFuzzer target: read_profile_csv on arbitrary bytes.
//
// Every input must either give a valid layer_graph or throw an eosdnn::error whose message names
// the source; anything else (another exception, a crash, a sanitizer report) is a finding. A graph
// that was read and can be written must read back with the same layers, so the writer and the
// reader are checked against each other too.

#include "fuzz_common.hpp"

#include <eosdnn/core/error.hpp>
#include <eosdnn/io/profile_csv.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

using eosdnn::fuzz::finding;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    std::optional<eosdnn::layer_graph> read;  // a layer_graph exists only once built
    try {
        std::istringstream in(text);
        read = eosdnn::read_profile_csv(in, "fuzz.csv");
    } catch (const eosdnn::error& e) {
        if (!std::string_view(e.what()).starts_with("fuzz.csv:"))
            finding("an error message does not start with the source name", e.what());
        return 0;
    }

    const eosdnn::layer_graph& g = *read;
    std::ostringstream out;
    try {
        eosdnn::write_profile_csv(out, g);
    } catch (const eosdnn::error& e) {
        // Names with a semicolon, say, are read but cannot be written: that is documented.
        if (e.kind() != eosdnn::error_kind::validation)
            finding("writing failed with a kind other than validation", e.what());
        return 0;
    }
    std::optional<eosdnn::layer_graph> reread;
    try {
        std::istringstream in(out.str());
        reread = eosdnn::read_profile_csv(in, "fuzz.csv");
    } catch (const eosdnn::error& e) {
        finding("a written profile does not read back", std::string(e.what()) + "\n" + out.str());
    }
    const eosdnn::layer_graph& again = *reread;
    if (again.size() != g.size() || again.edge_count() != g.edge_count() ||
        again.input_bytes() != g.input_bytes())
        finding("a written profile reads back different", out.str());
    for (eosdnn::layer_id id = 0; id < g.size(); ++id) {
        const auto other = again.find(g[id].name);
        if (!other) finding("a layer is lost in the round trip", g[id].name);
        const eosdnn::layer &a = g[id], &b = again[*other];
        if (a.kind != b.kind || a.macs != b.macs || a.flops != b.flops ||
            a.param_bytes != b.param_bytes || a.output_bytes != b.output_bytes ||
            a.output_shape != b.output_shape || a.device_time_s != b.device_time_s ||
            a.server_time_s != b.server_time_s || a.load_time_s != b.load_time_s)
            finding("a layer changes in the round trip", a.name);
    }
    return 0;
}
