// libFuzzer target: plan_from_json on arbitrary bytes parsed as JSON, for a fixed model and
// environment, and the delay_evaluator on the placement it gives.
//
// Text that is not JSON must be a parse error naming the source. A document must give a plan or
// throw an eosdnn::error naming "plan JSON" and a path; a plan that was read must survive to_json
// and back, and pricing it may only throw eosdnn::error (its placement may use another device's
// node, which is refused).

#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include "fuzz_common.hpp"

#include <eosdnn/core/error.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/io/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

using eosdnn::fuzz::finding;

namespace {

// A fork-join of five layers, the names the seed corpus uses.
eosdnn::layer_graph fuzz_model() {
    eosdnn::layer_graph_builder b("net");
    const auto in = b.add_layer({.name = "input", .kind = "input", .output_bytes = 600});
    const auto a =
        b.add_layer({.name = "a", .flops = 4e6, .param_bytes = 4e4, .output_bytes = 800}, {in});
    const auto c =
        b.add_layer({.name = "c", .flops = 2e6, .param_bytes = 2e4, .output_bytes = 800}, {in});
    const auto add = b.add_layer({.name = "add", .flops = 800, .output_bytes = 800}, {a, c});
    b.add_layer({.name = "fc", .flops = 2e5, .param_bytes = 4e5, .output_bytes = 40}, {add});
    return b.build();
}

// Two phones, an edge server and the cloud: a plan may name the other phone, which is invalid.
eosdnn::environment fuzz_environment() {
    using namespace eosdnn;
    environment_builder b;
    const auto phone =
        b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 1e9, .memory_bytes = 1e5});
    const auto watch = b.add_node({.name = "watch", .tier = tier::local, .flops_per_s = 1e8});
    const auto edge =
        b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1e11, .memory_bytes = 3e5});
    const auto cloud = b.add_node({.name = "cloud", .tier = tier::cloud, .flops_per_s = 1e12});
    b.connect(phone, edge, {.bandwidth_Bps = mbps(50), .latency_s = 0.002});
    b.connect(phone, cloud, {.bandwidth_Bps = mbps(10), .latency_s = 0.04});
    b.connect(watch, edge, {.bandwidth_Bps = mbps(5), .latency_s = 0.004});
    b.connect(watch, cloud, {.bandwidth_Bps = mbps(2), .latency_s = 0.05});
    b.connect(edge, cloud, {.bandwidth_Bps = mbps(1000), .latency_s = 0.01});
    return b.build();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const eosdnn::layer_graph g = fuzz_model();
    static const eosdnn::environment env = fuzz_environment();
    static const eosdnn::analytic_model model(env);

    // Parsed as read_json_file parses a file: an error must name the source and be a parse error.
    const std::optional<nlohmann::json> parsed = eosdnn::fuzz::parse_json(data, size);
    if (!parsed) return 0;
    const nlohmann::json& j = *parsed;
    eosdnn::migration_plan plan;
    try {
        plan = eosdnn::plan_from_json(j, g, env);
    } catch (const eosdnn::error& e) {
        if (!std::string_view(e.what()).starts_with("plan JSON "))
            finding("an error message does not name the document", e.what());
        return 0;
    }
    try {
        const eosdnn::migration_plan back =
            eosdnn::plan_from_json(eosdnn::to_json(plan, g, env), g, env);
        if (back.placement != plan.placement || back.model != plan.model ||
            back.algorithm != plan.algorithm)
            finding("a plan changes in the round trip", j.dump());
    } catch (const eosdnn::error& e) {
        finding("a plan read from JSON does not survive to_json and back", e.what());
    }
    static eosdnn::delay_evaluator<eosdnn::analytic_model> evaluator(g, model);
    try {
        const eosdnn::evaluation v =
            evaluator.evaluate(std::span<const eosdnn::node_id>(plan.placement));
        if (!(v.violation >= 0)) finding("a negative or NaN violation", j.dump());
    } catch (const eosdnn::error&) {
        // A node that is another task's device: refused with a message, as documented.
    }
    return 0;
}
