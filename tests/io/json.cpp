#include <eosdnn/core/plan.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/io/json.hpp>
#include <eosdnn/io/profile_csv.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace eosdnn;
using nlohmann::json;

namespace {

using test::error_message;

bool contains(const std::string& text, const std::string& part) {
    INFO("message: " << text);
    INFO("expected: " << part);
    const bool found = text.find(part) != std::string::npos;
    CHECK(found);
    return found;
}

// Through text, as a file would take it.
json reparsed(const json& j) { return json::parse(j.dump(2)); }

// ----- environment

environment sample_environment() {
    environment_builder b;
    const auto phone =
        b.add_node({.name = "phone",
                    .tier = tier::local,
                    .flops_per_s = 1.7e10 / 3,
                    .power = power_profile{.compute_w = 2.5, .transmit_w = 1.25, .idle_w = 0.1}});
    const auto watch =
        b.add_node({.name = "watch", .tier = tier::local, .flops_per_s = 1e9, .speed_factor = 0.1});
    const auto edge = b.add_node({.name = "edge-1",
                                  .tier = tier::edge,
                                  .flops_per_s = 1e12,
                                  .speed_factor = 1.0 / 3,
                                  .memory_bytes = 4.0e9});
    const auto cloud = b.add_node(
        {.name = "cloud", .tier = tier::cloud, .flops_per_s = 1e13, .speed_factor = 7.5});
    b.connect(phone, edge, {.bandwidth_Bps = mbps(100.0 / 3), .latency_s = 0.001});
    b.connect(phone, cloud, {.bandwidth_Bps = mbps(20), .latency_s = 0.04},
              {.bandwidth_Bps = mbps(80), .latency_s = 0.03});
    b.connect(watch, edge, {.bandwidth_Bps = 1e6, .latency_s = 0.002});
    b.connect(watch, cloud, {.bandwidth_Bps = 5e5, .latency_s = 0.1});
    b.connect(edge, cloud, {.bandwidth_Bps = mbps(1000)});
    b.connect_one_way(phone, watch,
                      {.bandwidth_Bps = 3e5});  // locals need no link, but may have one
    return b.build();
}

void check_same_environment(const environment& a, const environment& b) {
    REQUIRE(a.size() == b.size());
    CHECK(a.request_overhead_s() == b.request_overhead_s());
    for (node_id i = 0; i < a.size(); ++i) {
        INFO("node " << a[i].name);
        CHECK(a[i].name == b[i].name);
        CHECK(a[i].tier == b[i].tier);
        CHECK(a[i].flops_per_s == b[i].flops_per_s);
        CHECK(a[i].speed_factor == b[i].speed_factor);
        CHECK(a[i].memory_bytes == b[i].memory_bytes);
        REQUIRE(a[i].power.has_value() == b[i].power.has_value());
        if (a[i].power) {
            CHECK(a[i].power->compute_w == b[i].power->compute_w);
            CHECK(a[i].power->transmit_w == b[i].power->transmit_w);
            CHECK(a[i].power->idle_w == b[i].power->idle_w);
        }
        for (node_id k = 0; k < a.size(); ++k) {
            const auto& la = a.link_between(i, k);
            const auto& lb = b.link_between(i, k);
            REQUIRE(la.has_value() == lb.has_value());
            if (la) {
                CHECK(la->bandwidth_Bps == lb->bandwidth_Bps);
                CHECK(la->latency_s == lb->latency_s);
            }
        }
    }
}

json sample_environment_json() {
    return json::parse(R"({
      "nodes": [
        {"name": "phone", "tier": "local", "flops_per_s": 1e10,
         "power": {"compute_w": 2, "transmit_w": 1, "idle_w": 0.1}},
        {"name": "edge", "tier": "edge", "flops_per_s": 1e12, "memory_bytes": 8e9},
        {"name": "cloud", "tier": "cloud", "flops_per_s": 1e13, "speed_factor": 4}
      ],
      "links": [
        {"from": "phone", "to": "edge", "bandwidth_mbps": 100, "latency_s": 0.002},
        {"from": "phone", "to": "cloud", "bandwidth_Bps": 1e6, "latency_s": 0.05, "symmetric": false},
        {"from": "cloud", "to": "phone", "bandwidth_Bps": 4e6, "latency_s": 0.05, "symmetric": false},
        {"from": "edge", "to": "cloud", "bandwidth_mbps": 1000}
      ]
    })");
}

std::string environment_error(error_kind kind, const json& j) {
    return error_message(kind, [&] { environment_from_json(j); });
}

json with(json j, const std::string& pointer, json value) {
    j[json::json_pointer(pointer)] = std::move(value);
    return j;
}

json without(json j, const std::string& pointer) {
    const json::json_pointer p(pointer);
    json& parent = j[p.parent_pointer()];
    if (parent.is_array())
        parent.erase(std::stoul(p.back()));
    else
        parent.erase(p.back());
    return j;
}

// ----- model

layer_graph sample_model() {
    layer_graph_builder b("zoo-like net");
    const auto in = b.add_layer({.name = "input",
                                 .kind = "input",
                                 .output_bytes = 3 * 224 * 224 * 4,
                                 .output_shape = {3, 224, 224}});
    const auto conv = b.add_layer({.name = "conv1",
                                   .kind = "conv",
                                   .macs = 118013952,
                                   .flops = 2 * 118013952.0 + 802816,
                                   .param_bytes = 37632,
                                   .output_bytes = 3211264,
                                   .output_shape = {64, 112, 112},
                                   .device_time_s = 0.0911636,
                                   .server_time_s = 0.1 + 0.2,
                                   .load_time_s = 1.0 / 3},
                                  {in});
    const auto a = b.add_layer({.name = "branch a",
                                .kind = "relu",
                                .flops = 802816,
                                .output_bytes = 3211264,
                                .output_shape = {64, 112, 112},
                                .server_time_s = 0},
                               {conv});
    const auto c = b.add_layer({.name = "branch/c",
                                .kind = "bn",
                                .flops = 4 * 802816.0,
                                .param_bytes = 512,
                                .output_bytes = 3211264,
                                .device_time_s = 5e-324},
                               {conv});
    const auto add = b.add_layer({.name = "add",
                                  .kind = "add",
                                  .flops = 802816,
                                  .output_bytes = 3211264,
                                  .output_shape = {64, 112, 112},
                                  .load_time_s = 0},
                                 {c, a});
    b.add_layer({.name = "fc",
                 .kind = "linear",
                 .macs = 1000,
                 .flops = 2000,
                 .param_bytes = 4004,
                 .output_bytes = 4000,
                 .output_shape = {1000},
                 .device_time_s = 1e-3},
                {add});
    b.set_input_bytes(150528);  // uint8 camera frames, not the fp32 tensor
    return b.build();
}

void check_same_model(const layer_graph& a, const layer_graph& b) {
    REQUIRE(a.size() == b.size());
    CHECK(a.name() == b.name());
    CHECK(a.input_bytes() == b.input_bytes());
    CHECK(a.input() == b.input());
    CHECK(a.output() == b.output());
    CHECK(a.is_chain() == b.is_chain());
    CHECK(a.edge_count() == b.edge_count());
    for (layer_id id = 0; id < a.size(); ++id) {
        const layer &x = a[id], &y = b[id];
        INFO("layer " << x.name);
        CHECK(x.name == y.name);
        CHECK(x.kind == y.kind);
        CHECK(x.macs == y.macs);
        CHECK(x.flops == y.flops);
        CHECK(x.param_bytes == y.param_bytes);
        CHECK(x.output_bytes == y.output_bytes);
        CHECK(x.output_shape == y.output_shape);
        CHECK(x.device_time_s == y.device_time_s);
        CHECK(x.server_time_s == y.server_time_s);
        CHECK(x.load_time_s == y.load_time_s);
        const auto pa = a.predecessors(id), pb = b.predecessors(id);
        CHECK(std::vector<layer_id>(pa.begin(), pa.end()) ==
              std::vector<layer_id>(pb.begin(), pb.end()));
        CHECK(a.topological_rank()[id] == b.topological_rank()[id]);
    }
}

std::string model_error(error_kind kind, const json& j) {
    return error_message(kind, [&] { model_from_json(j); });
}

std::filesystem::path scratch_directory(const std::string& name) {
    std::random_device random;
    auto dir = std::filesystem::temp_directory_path() /
               ("eosdnn-json-test-" + name + "-" + std::to_string(random()));
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace

TEST_CASE("json: an environment round-trips exactly") {
    const environment env = sample_environment();
    const json j = to_json(env);
    check_same_environment(env, environment_from_json(j));
    check_same_environment(env, environment_from_json(reparsed(j)));
    CHECK(to_json(environment_from_json(reparsed(j))) == j);

    // One entry per symmetric pair, two one-way entries for an asymmetric one.
    CHECK(j["links"].size() == 7);
    CHECK(j["nodes"][0]["power"]["idle_w"] == 0.1);
    CHECK_FALSE(j["nodes"][1].contains("power"));
    CHECK(j["nodes"][2]["memory_bytes"] == 4.0e9);
}

TEST_CASE("json: the request overhead round-trips, is written only when set and is validated") {
    const environment plain = sample_environment();
    CHECK(plain.request_overhead_s() == 0);
    CHECK_FALSE(to_json(plain).contains("request_overhead_s"));
    json j = sample_environment_json();
    j["request_overhead_s"] = 0.0125;
    const environment env = environment_from_json(j);
    CHECK(env.request_overhead_s() == 0.0125);
    const json written = to_json(env);
    CHECK(written["request_overhead_s"] == 0.0125);
    check_same_environment(env, environment_from_json(written));
    check_same_environment(env, environment_from_json(reparsed(written)));
    CHECK(to_json(environment_from_json(reparsed(written))) == written);
    contains(environment_error(error_kind::validation, with(j, "/request_overhead_s", -0.5)),
             "environment JSON /request_overhead_s = -0.5: environment: the environment: "
             "request_overhead_s is -0.5 (must be finite and >= 0)");
    CHECK_THROWS_AS(environment_from_json(with(j, "/request_overhead_s", "fast")), error);
}

TEST_CASE("json: a hand-written environment: mbps, defaults, one-way links") {
    const environment env = environment_from_json(sample_environment_json());
    REQUIRE(env.size() == 3);
    CHECK(env[0].tier == tier::local);
    CHECK(env[0].speed_factor == 1);
    CHECK_FALSE(env[0].memory_bytes);
    CHECK(env[0].power->compute_w == 2);
    CHECK(env[1].memory_bytes == 8e9);
    CHECK(env[2].speed_factor == 4);
    CHECK(env.link_between(0, 1)->bandwidth_Bps == mbps(100));
    CHECK(env.link_between(1, 0)->bandwidth_Bps == mbps(100));
    CHECK(env.link_between(1, 0)->latency_s == 0.002);
    CHECK(env.link_between(0, 2)->bandwidth_Bps == 1e6);
    CHECK(env.link_between(2, 0)->bandwidth_Bps == 4e6);
    CHECK(env.link_between(1, 2)->latency_s == 0);

    // A single local node needs no links at all.
    const environment alone = environment_from_json(
        json::parse(R"({"nodes": [{"name": "d", "tier": "local", "flops_per_s": 1}]})"));
    CHECK(alone.size() == 1);
}

TEST_CASE("json: environment documents of the wrong shape are parse errors naming the path") {
    const json good = sample_environment_json();
    contains(environment_error(error_kind::parse, json::array()),
             "environment JSON (root): expected an object");
    contains(environment_error(error_kind::parse, without(good, "/nodes")),
             "(root): missing required key 'nodes'");
    contains(environment_error(error_kind::parse, with(good, "/nodes", json::object())),
             "/nodes: expected an array");
    contains(environment_error(error_kind::parse, with(good, "/nodes/1/flops_per_s", "fast")),
             "/nodes/1/flops_per_s: expected a number, found string \"fast\"");
    contains(environment_error(error_kind::parse, with(good, "/nodes/1/flops_per_s", true)),
             "/nodes/1/flops_per_s: expected a number, found boolean true");
    contains(environment_error(error_kind::parse, without(good, "/nodes/2/flops_per_s")),
             "/nodes/2: missing required key 'flops_per_s'");
    contains(environment_error(error_kind::parse, with(good, "/nodes/0/name", 7)),
             "/nodes/0/name: expected a string");
    contains(environment_error(error_kind::parse, with(good, "/nodes/0/flops", 1)),
             "/nodes/0/flops: unknown key 'flops'");
    contains(environment_error(error_kind::parse, without(good, "/nodes/0/power/idle_w")),
             "/nodes/0/power: missing required key 'idle_w'");
    contains(environment_error(error_kind::parse, with(good, "/links/0/bandwidth_Bps", 1e6)),
             "/links/0: give exactly one of 'bandwidth_Bps' and 'bandwidth_mbps'");
    contains(environment_error(error_kind::parse, without(good, "/links/3/bandwidth_mbps")),
             "/links/3: give exactly one of");
    contains(environment_error(error_kind::parse, with(good, "/links/1/symmetric", "no")),
             "/links/1/symmetric: expected true or false");
    contains(environment_error(error_kind::parse, without(good, "/links/1/from")),
             "/links/1: missing required key 'from'");
    contains(environment_error(error_kind::parse, with(good, "/links", json::object())),
             "/links: expected an array");
}

TEST_CASE("json: bad environment values are validation errors naming the path and the value") {
    const json good = sample_environment_json();
    contains(environment_error(error_kind::validation, with(good, "/nodes/2/flops_per_s", -1e9)),
             "environment JSON /nodes/2/flops_per_s = -1000000000.0: environment: node 'cloud': "
             "flops_per_s is -1e+09");
    contains(environment_error(error_kind::validation, with(good, "/nodes/2/speed_factor", 0)),
             "/nodes/2/speed_factor = 0: ");
    contains(environment_error(error_kind::validation, with(good, "/nodes/1/memory_bytes", -5)),
             "/nodes/1/memory_bytes = -5: ");
    contains(environment_error(error_kind::validation, with(good, "/nodes/0/power/transmit_w", -1)),
             "/nodes/0/power/transmit_w = -1: ");
    contains(environment_error(error_kind::validation, with(good, "/nodes/1/tier", "fog")),
             "/nodes/1/tier: unknown tier \"fog\"");
    contains(environment_error(error_kind::validation, with(good, "/nodes/2/name", "edge")),
             "/nodes/2/name = \"edge\": environment: duplicate node name 'edge'");
    contains(environment_error(error_kind::validation, with(good, "/nodes/1/name", "")),
             "/nodes/1/name = \"\": ");
    contains(environment_error(error_kind::validation, with(good, "/nodes/0/tier", "edge")),
             "/nodes/0/tier: environment: node 0 ('phone') must be a local device");
    contains(environment_error(error_kind::validation, json{{"nodes", json::array()}}),
             "/nodes: environment: the environment has no nodes");

    contains(
        environment_error(error_kind::validation, with(good, "/links/0/bandwidth_mbps", 0)),
        "/links/0/bandwidth_mbps = 0: environment: link 'phone' -> 'edge': bandwidth_Bps is 0");
    contains(environment_error(error_kind::validation, with(good, "/links/1/bandwidth_Bps", -2)),
             "/links/1/bandwidth_Bps = -2: ");
    contains(environment_error(error_kind::validation, with(good, "/links/0/latency_s", -0.5)),
             "/links/0/latency_s = -0.5: ");
    contains(environment_error(error_kind::validation, with(good, "/links/0/to", "nowhere")),
             "/links/0/to: unknown node 'nowhere'");
    contains(environment_error(error_kind::validation, with(good, "/links/0/to", "phone")),
             "/links/0/to = \"phone\": environment: link 'phone' -> 'phone': a node needs no link "
             "to itself");
    contains(environment_error(error_kind::validation, with(good, "/links/2/symmetric", true)),
             "/links/2: the link 'phone' -> 'cloud' is already given by /links/1");
    contains(environment_error(error_kind::validation, without(good, "/links/3")),
             "/links: environment: no link from 'edge' to 'cloud'");
}

TEST_CASE("json: a model round-trips exactly, every field included") {
    const layer_graph g = sample_model();
    const json j = to_json(g);
    check_same_model(g, model_from_json(j));
    check_same_model(g, model_from_json(reparsed(j)));
    CHECK(to_json(model_from_json(reparsed(j))) == j);

    // Optional fields are omitted when unset.
    const json& input = j["layers"][0];
    CHECK_FALSE(input.contains("device_time_s"));
    CHECK_FALSE(input.contains("load_time_s"));
    CHECK(input["inputs"] == json::array());
    CHECK_FALSE(j["layers"][3].contains("output_shape"));
    CHECK(j["layers"][4]["inputs"] == json({"branch/c", "branch a"}));
    CHECK(j["input_bytes"] == 150528.0);
}

TEST_CASE("json: the IONN profiles and random numbers round-trip exactly") {
    for (const char* model : {"alexnet", "googlenet", "resnet50"}) {
        INFO(model);
        const layer_graph g = read_profile_csv(std::filesystem::path(EOSDNN_DATA_DIR) /
                                               "ionn-profiles" / (std::string(model) + ".csv"));
        check_same_model(g, model_from_json(reparsed(to_json(g))));
    }

    std::mt19937_64 rng(7);
    const auto random_value = [&] {
        for (;;) {
            const double v = std::abs(std::bit_cast<double>(rng()));
            if (std::isfinite(v)) return v;
        }
    };
    layer_graph_builder b("random");
    for (layer_id i = 0; i < 200; ++i) {
        const layer_id id = b.add_layer({.name = "l" + std::to_string(i),
                                         .kind = i ? "k" : "input",
                                         .macs = random_value(),
                                         .flops = random_value(),
                                         .param_bytes = random_value(),
                                         .output_bytes = random_value(),
                                         .output_shape = {static_cast<std::size_t>(rng() >> 1)},
                                         .device_time_s = random_value(),
                                         .server_time_s = random_value(),
                                         .load_time_s = random_value()});
        if (i) b.add_edge(id - 1, id);
    }
    const layer_graph g = b.build();
    check_same_model(g, model_from_json(reparsed(to_json(g))));
}

TEST_CASE("json: a hand-written model: defaults and forward references") {
    const layer_graph g = model_from_json(json::parse(R"({
      "layers": [
        {"name": "fc", "flops": 64, "param_bytes": 256, "output_bytes": 16, "inputs": ["input"]},
        {"name": "input", "kind": "Input", "output_bytes": 12, "output_shape": [3]}
      ]
    })"));
    CHECK(g.name().empty());
    CHECK(g.input_bytes() == 12);  // the builder's rule: the output bytes of a layer of kind input
    CHECK(g.input() == 1);
    CHECK(g[0].kind.empty());
    CHECK(g[0].macs == 0);
    CHECK_FALSE(g[0].device_time_s);
}

TEST_CASE("json: bad models throw errors naming the path, the value and the layer") {
    const json good = to_json(sample_model());
    contains(model_error(error_kind::parse, json(3)),
             "model JSON (root): expected an object, found number 3");
    contains(model_error(error_kind::parse, without(good, "/layers")),
             "(root): missing required key 'layers'");
    contains(model_error(error_kind::parse, without(good, "/layers/2/name")),
             "/layers/2: missing required key 'name'");
    contains(model_error(error_kind::parse, with(good, "/layers/2/macs", "many")),
             "/layers/2/macs: expected a number");
    contains(model_error(error_kind::parse, with(good, "/layers/2/inputs", "conv1")),
             "/layers/2/inputs: expected an array");
    contains(model_error(error_kind::parse, with(good, "/layers/2/inputs/0", 1)),
             "/layers/2/inputs/0: expected a string");
    contains(model_error(error_kind::parse, with(good, "/layers/1/output_shape/1", 1.5)),
             "/layers/1/output_shape/1: expected a non-negative integer");
    contains(model_error(error_kind::parse, with(good, "/layers/1/outputs", json::array())),
             "/layers/1/outputs: unknown key 'outputs'");
    contains(model_error(error_kind::parse, with(good, "/name", json::array())),
             "/name: expected a string");

    contains(model_error(error_kind::validation, with(good, "/layers/1/output_shape/1", -3)),
             "/layers/1/output_shape/1: -3 is negative");
    contains(model_error(error_kind::validation, with(good, "/layers/1/param_bytes", -4)),
             "model JSON /layers/1/param_bytes = -4: model 'zoo-like net': layer 'conv1': "
             "param_bytes is -4");
    contains(model_error(error_kind::validation, with(good, "/layers/2/server_time_s", -1e-3)),
             "/layers/2/server_time_s = -0.001: ");
    contains(model_error(error_kind::validation, with(good, "/layers/2/load_time_s", -1)),
             "/layers/2/load_time_s = -1: ");
    contains(model_error(error_kind::validation, with(good, "/layers/3/name", "conv1")),
             "/layers/3/name = \"conv1\": model 'zoo-like net': duplicate layer name 'conv1'");
    contains(model_error(error_kind::validation, with(good, "/layers/3/name", "")),
             "/layers/3/name = \"\": ");
    contains(model_error(error_kind::validation, with(good, "/layers/4/inputs/1", "branch b")),
             "/layers/4/inputs/1: unknown layer 'branch b'");
    contains(model_error(error_kind::validation, with(good, "/layers/4/inputs/1", "branch/c")),
             "/layers/4/inputs/1 = \"branch/c\": model 'zoo-like net': duplicate edge 'branch/c' "
             "-> 'add'");
    contains(
        model_error(error_kind::validation, with(good, "/layers/4/inputs/1", "add")),
        "/layers/4/inputs/1 = \"add\": model 'zoo-like net': layer 'add' consumes its own output");
    contains(model_error(error_kind::validation, with(good, "/input_bytes", -1)),
             "/input_bytes = -1: model 'zoo-like net': input bytes -1");
    contains(
        model_error(error_kind::validation, with(good, "/layers/1/inputs", json({"input", "fc"}))),
        "model JSON /layers: model 'zoo-like net': the layers contain a cycle");
    contains(model_error(error_kind::validation, with(good, "/layers/2/inputs", json::array())),
             "/layers: model 'zoo-like net': the model must have exactly one input layer");
    contains(model_error(error_kind::validation, with(good, "/layers", json::array())),
             "/layers: model 'zoo-like net': the model has no layers");
}

TEST_CASE("json: a plan round-trips by name and non-finite or negative values are refused") {
    const layer_graph g = sample_model();
    const environment env = sample_environment();
    migration_plan plan{.model = g.name(),
                        .algorithm = "pso-ga",
                        .placement = {0, 2, 2, 3, 2, 0},
                        .value = {.delay_s = 0.1 + 0.2,
                                  .upload_s = 1.0 / 3,
                                  .energy_j = 5e-324,
                                  .objective = 1e300,
                                  .violation = 0.25}};
    const json j = to_json(plan, g, env);
    CHECK(j["placement"][1] == json({{"layer", "conv1"}, {"node", "edge-1"}}));
    CHECK(j["placement"][3]["node"] == "cloud");
    CHECK(j["evaluation"]["objective"] == 1e300);

    for (const json& document : {j, reparsed(j)}) {
        const migration_plan back = plan_from_json(document, g, env);
        CHECK(back.model == plan.model);
        CHECK(back.algorithm == plan.algorithm);
        CHECK(back.placement == plan.placement);
        CHECK(back.value.delay_s == plan.value.delay_s);
        CHECK(back.value.upload_s == plan.value.upload_s);
        CHECK(back.value.energy_j == plan.value.energy_j);
        CHECK(back.value.objective == plan.value.objective);
        CHECK(back.value.violation == plan.value.violation);
    }

    // Delays, times, energy and violations are finite and >= 0: neither written nor read
    // otherwise (plan_from_json took a negative delay_s).
    migration_plan odd = plan;
    odd.value.objective = std::numeric_limits<double>::infinity();
    CHECK(error_message(error_kind::validation, [&] { (void)to_json(odd, g, env); }) ==
          "plan: evaluation.objective is inf (must be finite and >= 0)");
    CHECK(error_message(error_kind::validation, [&] {
              plan_from_json(with(j, "/evaluation/delay_s", -1), g, env);
          }) == "plan JSON /evaluation/delay_s: -1 is not allowed (must be finite and >= 0)");
    CHECK(error_message(error_kind::validation, [&] {
              plan_from_json(with(j, "/evaluation/upload_s", "inf"), g, env);
          }) == "plan JSON /evaluation/upload_s: \"inf\" is not allowed (must be finite and >= 0)");

    // Placement entries in any order; model, algorithm and evaluation may be left out.
    json shuffled = json::object();
    shuffled["placement"] = json::array();
    for (std::size_t k = j["placement"].size(); k-- > 0;)
        shuffled["placement"].push_back(j["placement"][k]);
    const migration_plan minimal = plan_from_json(shuffled, g, env);
    CHECK(minimal.placement == plan.placement);
    CHECK(minimal.model == g.name());
    CHECK(minimal.algorithm.empty());
    CHECK(minimal.value.objective == 0);
}

TEST_CASE("json: bad plans throw errors naming the path and the layer or node") {
    const layer_graph g = sample_model();
    const environment env = sample_environment();
    const json good = to_json(
        migration_plan{.model = g.name(), .algorithm = "viterbi", .placement = {0, 0, 2, 2, 2, 0}},
        g, env);
    const auto plan_error = [&](error_kind kind, const json& j) {
        return error_message(kind, [&] { plan_from_json(j, g, env); });
    };
    contains(plan_error(error_kind::validation, with(good, "/placement/2/layer", "branch b")),
             "plan JSON /placement/2/layer: model 'zoo-like net' has no layer 'branch b'");
    contains(plan_error(error_kind::validation, with(good, "/placement/2/node", "fog")),
             "plan JSON /placement/2/node: the environment has no node 'fog'");
    contains(plan_error(error_kind::validation, with(good, "/placement/2/layer", "conv1")),
             "/placement/2/layer: layer 'conv1' is placed twice (also at /placement/1)");
    contains(plan_error(error_kind::validation, without(good, "/placement/4")),
             "/placement: 1 of 6 layers have no node: 'add'");
    contains(plan_error(error_kind::validation, with(good, "/placement", json::array())),
             "/placement: 6 of 6 layers have no node: 'input', 'conv1', 'branch a', 'branch/c', "
             "'add', ...");
    contains(plan_error(error_kind::validation, with(good, "/model", "resnet50")),
             "/model: the plan is for model 'resnet50', not for 'zoo-like net'");
    contains(plan_error(error_kind::parse, without(good, "/placement")),
             "plan JSON (root): missing required key 'placement'");
    contains(plan_error(error_kind::parse, with(good, "/placement/0", json::array())),
             "/placement/0: expected an object");
    contains(plan_error(error_kind::parse, without(good, "/placement/0/node")),
             "/placement/0: missing required key 'node'");
    contains(plan_error(error_kind::parse, with(good, "/evaluation/delay_s", "slow")),
             "/evaluation/delay_s: expected a number or \"inf\"");
    contains(plan_error(error_kind::parse, with(good, "/evaluation/feasible", true)),
             "/evaluation/feasible: unknown key 'feasible'");

    contains(error_message(error_kind::validation,
                           [&] {
                               to_json(migration_plan{.placement = {0, 1}}, g, env);
                           }),
             "the placement has 2 genes but model 'zoo-like net' has 6 layers");
    contains(error_message(error_kind::validation,
                           [&] {
                               to_json(migration_plan{.placement = {0, 0, 9, 0, 0, 0}}, g, env);
                           }),
             "layer 'branch a' is placed on node 9 but the environment has 4 nodes");
}

TEST_CASE("json: files are written atomically and read back, and errors name the file and place") {
    const auto dir = scratch_directory("files");
    const auto file = dir / "environment.json";
    const json j = to_json(sample_environment());

    write_json_file(file, j);
    CHECK(read_json_file(file) == j);
    write_json_file(file, to_json(sample_model()));  // replaces the old document
    check_same_model(sample_model(), model_from_json(read_json_file(file)));
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++entries;
    CHECK(entries == 1);  // no temporary file left behind

    contains(error_message(error_kind::io, [&] { read_json_file(dir / "missing.json"); }),
             "missing.json");
    contains(
        error_message(error_kind::io, [&] { write_json_file(dir / "no-such-dir" / "x.json", j); }),
        "x.json");

    const auto broken = dir / "broken.json";
    std::ofstream(broken) << "{\n  \"nodes\": [],\n  oops\n}\n";
    const auto m = error_message(error_kind::parse, [&] { read_json_file(broken); });
    contains(m, "broken.json:3:3: invalid JSON");
    contains(m, "parse error");

    std::ofstream(broken, std::ios::trunc) << "";
    contains(error_message(error_kind::parse, [&] { read_json_file(broken); }),
             "broken.json:1:1: invalid JSON");

    CHECK(error_message(error_kind::validation, [&] {
              write_json_file(dir / "bad.json", json("\xff\xfe"));
          }).find("bad.json") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("plan_from_json accepts the keys of a plan document, and only those") {
    const environment env = sample_environment();
    const layer_graph g = sample_model();
    json j = to_json(
        migration_plan{.model = g.name(), .placement = std::vector<node_id>(g.size(), 0)}, g, env);
    j["migration_delay_s"] = 1.5;
    j["upload"] = {{"planner", "lmu"}};
    CHECK(plan_from_json(j, g, env).placement == std::vector<node_id>(g.size(), 0));
    j["migration_delay"] = 1.5;
    contains(error_message(error_kind::parse, [&] { plan_from_json(j, g, env); }),
             "unknown key 'migration_delay'");
}
