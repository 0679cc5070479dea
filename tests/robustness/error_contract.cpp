// The examples of docs/errors.md, produced here by the library itself: if a message changes, this
// test fails and the page must be updated with the new text. Each example is one eosdnn::error
// kind with a message that names the input and the place.

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/cost/feasibility.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/io/json.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/optim/exact.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

using namespace eosdnn;
using nlohmann::json;
using test::error_message;

namespace {

// Runs a test inside a fresh directory, so that file names in messages are the short relative
// ones the page shows; the working directory and the files are restored and removed after.
struct inside_scratch_directory {
    std::filesystem::path previous = std::filesystem::current_path();
    std::filesystem::path path;
    inside_scratch_directory() {
        std::random_device random;
        path = std::filesystem::temp_directory_path() /
               ("eosdnn-errors-doc-" + std::to_string(random()) + std::to_string(random()));
        std::filesystem::create_directories(path);
        std::filesystem::current_path(path);
    }
    ~inside_scratch_directory() {
        std::filesystem::current_path(previous);
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
};

json two_node_environment() {
    return json::parse(R"({
      "nodes": [{"name": "phone", "tier": "local", "flops_per_s": 1e10},
                {"name": "edge", "tier": "edge", "flops_per_s": 1e12}],
      "links": [{"from": "phone", "to": "edge", "bandwidth_mbps": 100}]})");
}

std::string csv_message(error_kind kind, const std::string& row) {
    return error_message(kind, [&] {
        std::istringstream in(
            "index,name,type,inputs,output_shape,output_bytes,param_bytes,macs\n"
            "0,data,Input,,3x224x224,602112,0,0\n" +
            row + "\n");
        read_profile_csv(in, "resnet50.csv");
    });
}

}  // namespace

TEST_CASE("error contract: one exception type, a std::runtime_error with a kind") {
    static_assert(std::is_base_of_v<std::runtime_error, error>);
    const error e(error_kind::infeasible, "no plan fits");
    CHECK(e.kind() == error_kind::infeasible);
    CHECK(std::string(e.what()) == "no plan fits");
    CHECK(to_string(error_kind::parse) == "parse");
    CHECK(to_string(error_kind::validation) == "validation");
    CHECK(to_string(error_kind::infeasible) == "infeasible");
    CHECK(to_string(error_kind::io) == "io");
}

TEST_CASE("error contract: the parse examples of docs/errors.md") {
    CHECK(csv_message(error_kind::parse, "1,conv1,Convolution,data,64x112x112,3211264,37632,six") ==
          "resnet50.csv:3: column 8 ('macs'): 'six' is not a number");
    CHECK(error_message(error_kind::parse, [] {
              environment_from_json(json::parse(
                  R"({"nodes": [{"name": "phone", "tier": "local", "flops_per_s": "fast"}]})"));
          }) == "environment JSON /nodes/0/flops_per_s: expected a number, found string \"fast\"");
    const inside_scratch_directory dir;
    std::ofstream("environment.json") << "{\n  \"nodes\": [],\n  links: []\n}\n";
    CHECK(error_message(error_kind::parse, [] { read_json_file("environment.json"); }) ==
          "environment.json:3:3: invalid JSON: [json.exception.parse_error.101] parse error at "
          "line 3, column 3: "
          "syntax error while parsing object key - invalid literal; last read: '\"nodes\": "
          "[],<U+000A>  l'; expected string literal");
    std::ofstream("twice.json")
        << R"({"nodes": [{"name": "phone", "tier": "local", "flops_per_s": 1, "tier": "edge"}]})";
    CHECK(error_message(error_kind::parse, [] { read_json_file("twice.json"); }) ==
          "twice.json: invalid JSON: /nodes/0: the key 'tier' appears twice");
}

TEST_CASE("error contract: the validation examples of docs/errors.md") {
    CHECK(csv_message(error_kind::validation,
                      "1,conv1,Convolution,conv0,64x112x112,3211264,37632,118013952") ==
          "resnet50.csv:3: column 4 ('inputs'): unknown predecessor 'conv0': no layer of that name "
          "on an earlier row");
    json env = two_node_environment();
    env["links"][0]["bandwidth_mbps"] = 0;
    CHECK(error_message(error_kind::validation, [&] { environment_from_json(env); }) ==
          "environment JSON /links/0/bandwidth_mbps = 0: environment: link 'phone' -> 'edge': "
          "bandwidth_Bps is 0 "
          "(must be finite and > 0)");

    layer_graph_builder b("m");
    const auto in = b.add_layer({.name = "in", .kind = "input", .output_bytes = 4});
    const auto x = b.add_layer({.name = "x", .output_bytes = 4}, {in});
    const auto y = b.add_layer({.name = "y", .output_bytes = 4}, {x});
    b.add_edge(y, x);
    CHECK(error_message(error_kind::validation, [&] { (void)b.build(); }) ==
          "model 'm': the layers contain a cycle: 'x' -> 'y' -> 'x'");

    layer_graph_builder chain("m");
    const auto c0 = chain.add_layer({.name = "in", .kind = "input", .output_bytes = 4});
    chain.add_layer({.name = "conv1", .flops = 100, .output_bytes = 4}, {c0});
    const layer_graph g = chain.build();
    const analytic_model model(environment_from_json(two_node_environment()));
    delay_evaluator ev(g, model);
    CHECK(error_message(error_kind::validation,
                        [&] {
                            ev.evaluate(std::vector<node_id>{0, 7});
                        }) ==
          "delay_evaluator: gene 1 (layer 'conv1') is node 7, out of range: the environment has 2 "
          "nodes");
    CHECK(error_message(error_kind::validation, [&] { viterbi_chain(g, model, 1); }) ==
          "viterbi_chain: device node 1 ('edge') is not a local device (its tier is edge)");
    CHECK(error_message(error_kind::validation, [] { zoo_model("resnet"); }) ==
          "unknown zoo model 'resnet'; known models: alexnet, vgg16, vgg19, resnet18, resnet50, "
          "googlenet, mobilenet_v2, vit_b_16, bert_base (bert_base:N for a sequence of N tokens)");
}

TEST_CASE("error contract: the io examples of docs/errors.md") {
    const inside_scratch_directory dir;
    CHECK(error_message(error_kind::io, [] {
              read_profile_csv(std::filesystem::path("vgg16.csv"));
          }) == "cannot open profile CSV 'vgg16.csv' (No such file or directory)");
    std::filesystem::create_directory("plans");
    CHECK(error_message(error_kind::io, [] { read_json_file("plans"); }) ==
          "cannot read JSON file 'plans': it is a directory");
    CHECK(error_message(error_kind::io, [] { write_json_file("plans", json::object()); }) ==
          "cannot replace 'plans': Is a directory");
}

TEST_CASE("error contract: what docs/errors.md says about infeasible constraints") {
    // An evaluator prices a placement that breaks a capacity and reports the excess as its
    // violation; check_memory_feasible() proves up front that no placement can be feasible.
    environment_builder e;
    e.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 1e9, .memory_bytes = 1e6});
    e.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1e11, .memory_bytes = 1e6});
    e.connect(0, 1, {.bandwidth_Bps = 1e7});
    const analytic_model model(e.build());
    layer_graph_builder b("big");
    const auto in = b.add_layer({.name = "in", .kind = "input", .output_bytes = 4});
    b.add_layer({.name = "fc", .flops = 1e6, .param_bytes = 5e6, .output_bytes = 4}, {in});
    const layer_graph g = b.build();
    delay_evaluator ev(g, model);
    const enumerated_plan best = enumerate_placements(ev);
    CHECK(best.value.violation == doctest::Approx(4));
    CHECK_FALSE(best.value.feasible());
    CHECK(
        error_message(error_kind::infeasible, [&] { check_memory_feasible(g, model.env(), 0); }) ==
        "model 'big': layer 'fc' has 5000000 parameter bytes, more than the memory of any node it "
        "may "
        "run on (the largest, 'phone', holds 1000000 bytes)");
    layer_graph_builder two("pair");
    const auto first = two.add_layer({.name = "in", .kind = "input", .output_bytes = 4});
    const auto a =
        two.add_layer({.name = "a", .flops = 1e6, .param_bytes = 8e5, .output_bytes = 4}, {first});
    const auto c =
        two.add_layer({.name = "b", .flops = 1e6, .param_bytes = 8e5, .output_bytes = 4}, {a});
    two.add_layer({.name = "c", .flops = 1e6, .param_bytes = 8e5, .output_bytes = 4}, {c});
    CHECK(error_message(error_kind::infeasible,
                        [&] { check_memory_feasible(two.build(), model.env(), 0); }) ==
          "model 'pair': its layers hold 2400000 parameter bytes, 400000 more than the memory of "
          "every "
          "node it may run on together (phone 1000000, edge 1000000)");
}
