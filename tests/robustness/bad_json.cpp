// Robustness: environment, model and plan documents that are valid JSON but wrong (issue 7),
// beyond the cases of tests/io/json.cpp: null and other wrong types, missing keys, unknown
// nodes, zero and negative rates and bandwidths (also ones that overflow only once converted),
// nodes given by index, and a bandwidth that the environment accepts but no evaluator can use.
// Each asserts the kind and the whole message.

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/io/json.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace eosdnn;
using nlohmann::json;
using test::error_message;

namespace {

json environment_document() {
    return json::parse(R"({
      "nodes": [
        {"name": "phone", "tier": "local", "flops_per_s": 1e10,
         "power": {"compute_w": 2, "transmit_w": 1, "idle_w": 0.1}},
        {"name": "edge", "tier": "edge", "flops_per_s": 1e12, "memory_bytes": 8e9},
        {"name": "cloud", "tier": "cloud", "flops_per_s": 1e13}
      ],
      "links": [
        {"from": "phone", "to": "edge", "bandwidth_mbps": 100, "latency_s": 0.002},
        {"from": "phone", "to": "cloud", "bandwidth_Bps": 1e6, "latency_s": 0.05},
        {"from": "edge", "to": "cloud", "bandwidth_mbps": 1000}
      ]
    })");
}

json model_document() {
    return json::parse(R"({"name": "m", "layers": [
      {"name": "input", "kind": "input", "output_bytes": 12},
      {"name": "fc", "flops": 64, "param_bytes": 256, "output_bytes": 16, "inputs": ["input"]}]})");
}

json plan_document() {
    return json::parse(R"({"model": "m", "placement": [
      {"layer": "input", "node": "phone"}, {"layer": "fc", "node": "edge"}]})");
}

json with(json j, const std::string& pointer, json value) {
    j[json::json_pointer(pointer)] = std::move(value);
    return j;
}

json without(json j, const std::string& pointer) {
    const json::json_pointer p(pointer);
    j[p.parent_pointer()].erase(p.back());
    return j;
}

std::string environment_error(error_kind kind, const json& j) {
    return error_message(kind, [&] { environment_from_json(j); });
}

std::string model_error(error_kind kind, const json& j) {
    return error_message(kind, [&] { model_from_json(j); });
}

std::string plan_error(error_kind kind, const json& j) {
    const layer_graph g = model_from_json(model_document());
    const environment env = environment_from_json(environment_document());
    return error_message(kind, [&] { plan_from_json(j, g, env); });
}

}  // namespace

TEST_CASE("robustness json: the sample documents are valid") {
    CHECK(environment_from_json(environment_document()).size() == 3);
    CHECK(model_from_json(model_document()).size() == 2);
    CHECK(plan_error(error_kind::validation, with(plan_document(), "/placement/1/node", "fog")) ==
          "plan JSON /placement/1/node: the environment has no node 'fog'");
}

TEST_CASE(
    "robustness json: null and other wrong types are parse errors naming the path and what was "
    "found") {
    const json env = environment_document();
    CHECK(environment_error(error_kind::parse, json(nullptr)) ==
          "environment JSON (root): expected an object, found null");
    CHECK(environment_error(error_kind::parse, with(env, "/nodes", "phone")) ==
          "environment JSON /nodes: expected an array, found string \"phone\"");
    CHECK(environment_error(error_kind::parse, with(env, "/nodes/1", 3)) ==
          "environment JSON /nodes/1: expected an object, found number 3");
    CHECK(environment_error(error_kind::parse, with(env, "/nodes/1/name", nullptr)) ==
          "environment JSON /nodes/1/name: expected a string, found null");
    CHECK(environment_error(error_kind::parse, with(env, "/nodes/1/tier", 1)) ==
          "environment JSON /nodes/1/tier: expected a string, found number 1");
    CHECK(environment_error(error_kind::parse, with(env, "/nodes/1/memory_bytes", "8GB")) ==
          "environment JSON /nodes/1/memory_bytes: expected a number, found string \"8GB\"");
    CHECK(environment_error(error_kind::parse,
                            with(env, "/nodes/0/flops_per_s", json::array({1e10}))) ==
          "environment JSON /nodes/0/flops_per_s: expected a number, found array [10000000000.0]");
    // "nan" and "inf" are spelled out only in a plan's evaluation, never for a rate.
    CHECK(environment_error(error_kind::parse, with(env, "/nodes/0/flops_per_s", "nan")) ==
          "environment JSON /nodes/0/flops_per_s: expected a number, found string \"nan\"");
    CHECK(environment_error(error_kind::parse, with(env, "/nodes/0/power", 5)) ==
          "environment JSON /nodes/0/power: expected an object, found number 5");
    CHECK(environment_error(error_kind::parse, with(env, "/links/0/latency_s", "2ms")) ==
          "environment JSON /links/0/latency_s: expected a number, found string \"2ms\"");
    CHECK(environment_error(error_kind::parse, with(env, "/links/0/symmetric", 1)) ==
          "environment JSON /links/0/symmetric: expected true or false, found number 1");
    CHECK(environment_error(error_kind::parse, with(env, "/links", nullptr)) ==
          "environment JSON /links: expected an array, found null");

    const json model = model_document();
    CHECK(model_error(error_kind::parse, with(model, "/layers", json::object())) ==
          "model JSON /layers: expected an array, found object {}");
    CHECK(model_error(error_kind::parse, with(model, "/layers/1", "fc")) ==
          "model JSON /layers/1: expected an object, found string \"fc\"");
    CHECK(model_error(error_kind::parse, with(model, "/layers/0/output_shape", "3x224")) ==
          "model JSON /layers/0/output_shape: expected an array, found string \"3x224\"");
    CHECK(
        model_error(error_kind::parse, with(model, "/layers/0/output_shape", json::array({3.0}))) ==
        "model JSON /layers/0/output_shape/0: expected a non-negative integer, found number 3.0");
    CHECK(model_error(error_kind::parse, with(model, "/layers/1/kind", 3)) ==
          "model JSON /layers/1/kind: expected a string, found number 3");
    CHECK(model_error(error_kind::parse, with(model, "/layers/1/flops", nullptr)) ==
          "model JSON /layers/1/flops: expected a number, found null");
    CHECK(model_error(error_kind::parse, with(model, "/layers/1/flops", "inf")) ==
          "model JSON /layers/1/flops: expected a number, found string \"inf\"");
    CHECK(model_error(error_kind::parse, with(model, "/layers/1/inputs", "input")) ==
          "model JSON /layers/1/inputs: expected an array, found string \"input\"");
    CHECK(model_error(error_kind::parse,
                      with(model, "/layers/1/inputs", json::array({json::array({"input"})}))) ==
          "model JSON /layers/1/inputs/0: expected a string, found array [\"input\"]");
    CHECK(model_error(error_kind::parse, with(model, "/input_bytes", "12")) ==
          "model JSON /input_bytes: expected a number, found string \"12\"");

    const json plan = plan_document();
    CHECK(plan_error(error_kind::parse, json::array()) ==
          "plan JSON (root): expected an object, found array []");
    CHECK(plan_error(error_kind::parse, with(plan, "/placement", json::object())) ==
          "plan JSON /placement: expected an array, found object {}");
    CHECK(plan_error(error_kind::parse, with(plan, "/placement/1/layer", 1)) ==
          "plan JSON /placement/1/layer: expected a string, found number 1");
    CHECK(plan_error(error_kind::parse, with(plan, "/evaluation", json::array())) ==
          "plan JSON /evaluation: expected an object, found array []");
    CHECK(plan_error(error_kind::parse, with(plan, "/model", nullptr)) ==
          "plan JSON /model: expected a string, found null");
    CHECK(plan_error(error_kind::parse, with(plan, "/algorithm", 5)) ==
          "plan JSON /algorithm: expected a string, found number 5");
}

TEST_CASE("robustness json: a placement names nodes, never indices, so none is out of range") {
    // A node index in the document, whether in range or not, is a type error; an index only ever
    // exists in memory, where to_json and the evaluators check it (tests/io/json.cpp and
    // tests/cost/delay_evaluator.cpp).
    CHECK(plan_error(error_kind::parse, with(plan_document(), "/placement/1/node", 1)) ==
          "plan JSON /placement/1/node: expected a string, found number 1");
    CHECK(plan_error(error_kind::parse, with(plan_document(), "/placement/1/node", 65535)) ==
          "plan JSON /placement/1/node: expected a string, found number 65535");
    CHECK(plan_error(error_kind::parse, with(plan_document(), "/placement/1/node", nullptr)) ==
          "plan JSON /placement/1/node: expected a string, found null");
}

TEST_CASE("robustness json: missing keys and unknown names") {
    const json env = environment_document();
    CHECK(environment_error(error_kind::parse, without(env, "/nodes/1/tier")) ==
          "environment JSON /nodes/1: missing required key 'tier'");
    CHECK(environment_error(error_kind::parse, without(env, "/nodes/2/name")) ==
          "environment JSON /nodes/2: missing required key 'name'");
    CHECK(environment_error(error_kind::parse, without(env, "/links/2/to")) ==
          "environment JSON /links/2: missing required key 'to'");
    CHECK(environment_error(error_kind::validation, with(env, "/links/2/from", "fog")) ==
          "environment JSON /links/2/from: unknown node 'fog'");
    // Tiers are lowercase, as written.
    CHECK(environment_error(error_kind::validation, with(env, "/nodes/0/tier", "Local")) ==
          "environment JSON /nodes/0/tier: unknown tier \"Local\" (expected local, edge or cloud)");
    json reversed = env;
    reversed["links"].push_back({{"from", "cloud"}, {"to", "phone"}, {"bandwidth_Bps", 1}});
    CHECK(environment_error(error_kind::validation, reversed) ==
          "environment JSON /links/3: the link 'cloud' -> 'phone' is already given by /links/1");

    CHECK(
        model_error(error_kind::validation, with(model_document(), "/layers/1/inputs/0", "data")) ==
        "model JSON /layers/1/inputs/0: unknown layer 'data'");
    CHECK(plan_error(error_kind::parse, without(plan_document(), "/placement/1/layer")) ==
          "plan JSON /placement/1: missing required key 'layer'");
}

TEST_CASE(
    "robustness json: zero and negative compute rates and bandwidths name the field and value") {
    const json env = environment_document();
    CHECK(environment_error(error_kind::validation, with(env, "/nodes/1/flops_per_s", 0)) ==
          "environment JSON /nodes/1/flops_per_s = 0: environment: node 'edge': flops_per_s is 0 "
          "(must be finite and > 0)");
    CHECK(environment_error(error_kind::validation, with(env, "/nodes/1/flops_per_s", -0.0)) ==
          "environment JSON /nodes/1/flops_per_s = -0.0: environment: node 'edge': flops_per_s is "
          "-0 (must be finite and > 0)");
    CHECK(environment_error(error_kind::validation, with(env, "/nodes/1/memory_bytes", 0)) ==
          "environment JSON /nodes/1/memory_bytes = 0: environment: node 'edge': memory_bytes is 0 "
          "(must be finite and > 0)");
    CHECK(environment_error(error_kind::validation, with(env, "/nodes/2/speed_factor", -2)) ==
          "environment JSON /nodes/2/speed_factor = -2: environment: node 'cloud': speed_factor is "
          "-2 (must be finite and > 0)");
    CHECK(environment_error(error_kind::validation, with(env, "/links/1/bandwidth_Bps", 0)) ==
          "environment JSON /links/1/bandwidth_Bps = 0: environment: link 'phone' -> 'cloud': "
          "bandwidth_Bps is 0 "
          "(must be finite and > 0)");
    CHECK(environment_error(error_kind::validation, with(env, "/links/0/bandwidth_mbps", -100)) ==
          "environment JSON /links/0/bandwidth_mbps = -100: environment: link 'phone' -> 'edge': "
          "bandwidth_Bps is "
          "-1.25e+07 (must be finite and > 0)");
    // Finite in the document, infinite once converted from Mbit/s to bytes/s.
    CHECK(environment_error(error_kind::validation, with(env, "/links/0/bandwidth_mbps", 1e308)) ==
          "environment JSON /links/0/bandwidth_mbps = 1e+308: environment: link 'phone' -> 'edge': "
          "bandwidth_Bps is "
          "inf (must be finite and > 0)");

    // A positive bandwidth so small that every transfer takes forever: the environment takes it,
    // the evaluator refuses the link it cannot price.
    const environment slow = environment_from_json(with(env, "/links/1/bandwidth_Bps", 1e-310));
    layer_graph_builder b("m");
    b.add_layer({.name = "in", .kind = "input", .output_bytes = 4});
    const layer_graph g = b.build();
    const analytic_model model(slow);
    CHECK(error_message(error_kind::validation, [&] { delay_evaluator ev(g, model); }) ==
          "delay_evaluator: the cost model's transfer_time from node 0 to node 2 is not latency + "
          "bytes / bandwidth "
          "with finite, non-negative figures (0.05 s at 0 bytes, inf s at 12345 bytes, inf s "
          "expected)");
}
