// The ONNX importer: per-operator costs on models built here, bad files, options, and the
// committed torchvision fixtures (exported without weights) against the zoo's canonical totals.
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/io/onnx.hpp>
#include <eosdnn/optim/exact.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include "../error_message.hpp"
#include "onnx_fixtures.hpp"
#include "onnx_model_maker.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using eosdnn::error_kind;
using eosdnn::import_onnx;
using eosdnn::onnx_import_options;
using eosdnn::onnx_import_result;
using eosdnn::test::error_message;
using eosdnn::test::layer_named;
using eosdnn::test::model_maker;
using eosdnn::test::onnx_fixtures;
using eosdnn::test::onnx_reference;
using eosdnn::test::phone_and_edge;
using eosdnn::test::validation_message;

// conv (Conv + Relu) -> pool: a small chain most tests start from.
model_maker conv_net() {
    model_maker m;
    m.input("x", {1, 8, 16, 16});
    m.initializer("w", {16, 4, 3, 3});
    m.initializer("b", {16});
    auto& conv = m.node("Conv", {"x", "w", "b"}, {"c"}, "conv");
    model_maker::integer(conv, "group", 2);
    model_maker::ints(conv, "strides", {2, 2});
    model_maker::ints(conv, "pads", {2, 2, 2, 2});
    model_maker::ints(conv, "dilations", {2, 2});
    m.node("Relu", {"c"}, {"r"}, "relu");
    auto& pool = m.node("MaxPool", {"r"}, {"p"}, "pool");
    model_maker::ints(pool, "kernel_shape", {2, 2});
    model_maker::ints(pool, "strides", {2, 2});
    m.output("p");
    return m;
}

// Plans the graph on phone + edge exactly, and checks the evaluator agrees with the solver.
void plans_end_to_end(const eosdnn::layer_graph& g) {
    const eosdnn::analytic_model cost(phone_and_edge());
    const auto cut = eosdnn::min_cut_two_nodes(g, cost, 0, 1);
    REQUIRE(cut.placement.size() == g.size());
    eosdnn::delay_evaluator evaluator(g, cost);
    const double all_local = evaluator.evaluate(std::vector<eosdnn::node_id>(g.size(), 0)).delay_s;
    CHECK(std::isfinite(cut.delay_s));
    CHECK(cut.delay_s <= all_local * (1 + 1e-9));
    CHECK(evaluator.evaluate(cut.placement).delay_s == doctest::Approx(cut.delay_s).epsilon(1e-9));
}

}  // namespace

TEST_CASE("onnx: a convolution with groups, strides, padding and dilation") {
    auto m = conv_net();
    const onnx_import_result r = m.import();
    const auto& g = r.graph;
    CHECK(g.name() == "test");
    CHECK(r.warnings.empty());
    REQUIRE(g.size() == 4);  // x, conv, relu, pool
    CHECK(g.is_chain());
    CHECK(g[g.input()].name == "x");
    CHECK(g[g.input()].kind == "input");
    CHECK(g.input_bytes() == 8 * 16 * 16 * 4);
    CHECK(g[g.input()].output_shape == std::vector<std::size_t>{8, 16, 16});

    // Output 16 x 8 x 8: (16 + 4 - 2 * 2 - 1) / 2 + 1 = 8; each output reads 8/2 channels x 3 x 3.
    const auto& conv = layer_named(g, "conv");
    CHECK(conv.kind == "Conv");
    CHECK(conv.output_shape == std::vector<std::size_t>{16, 8, 8});
    CHECK(conv.output_bytes == 16 * 8 * 8 * 4);
    CHECK(conv.macs == 16 * 8 * 8 * 4 * 9);
    CHECK(conv.flops == 2 * conv.macs);
    CHECK(conv.param_bytes == (16 * 4 * 9 + 16) * 4);

    const auto& relu = layer_named(g, "relu");
    CHECK(relu.flops == 16 * 8 * 8);
    CHECK(relu.macs == 0);
    CHECK(relu.param_bytes == 0);
    const auto& pool = layer_named(g, "pool");
    CHECK(pool.output_shape == std::vector<std::size_t>{16, 4, 4});
    CHECK(pool.flops == 4 * 16 * 4 * 4);
    CHECK(g.output() == *g.find("pool"));
    CHECK(r.layer_nodes[*g.find("conv")] == std::vector<std::string>{"conv"});
    CHECK(r.layer_nodes[g.input()].empty());
    plans_end_to_end(g);
}

TEST_CASE("onnx: transposed convolution, Gemm, MatMul and the per-element operators") {
    model_maker m;
    m.input("x", {1, 4, 5, 5});
    m.initializer("wt", {4, 3, 2, 2});
    auto& up = m.node("ConvTranspose", {"x", "wt"}, {"u"}, "up");
    model_maker::ints(up, "strides", {2, 2});
    m.node("BatchNormalization", {"u", "s", "bb", "mean", "var"}, {"bn"}, "bn");
    for (const char* name : {"s", "bb", "mean", "var"}) m.initializer(name, {3});
    m.node("Sigmoid", {"bn"}, {"sg"}, "sigmoid");
    m.node("GlobalAveragePool", {"sg"}, {"gap"}, "gap");
    auto& flat = m.node("Flatten", {"gap"}, {"f"}, "flatten");
    model_maker::integer(flat, "axis", 1);
    m.initializer("wg", {10, 3});
    auto& gemm = m.node("Gemm", {"f", "wg"}, {"g"}, "gemm");
    model_maker::integer(gemm, "transB", 1);
    m.int64_initializer("shape", {1, 2, 5, 1});
    m.node("Reshape", {"g", "shape"}, {"rs"}, "reshape");
    m.initializer("wm", {1, 6});
    m.node("MatMul", {"rs", "wm"}, {"mm"}, "matmul");
    m.node("Softmax", {"mm"}, {"sm"}, "softmax");
    m.node("Add", {"sm", "sm"}, {"sum"}, "add");
    m.output("sum");
    const auto r = m.import();
    const auto& g = r.graph;
    CHECK(r.unknown_ops.empty());

    // Every input element meets 3 output channels x 2 x 2 weights.
    CHECK(layer_named(g, "up").macs == 4 * 25 * 3 * 4);
    CHECK(layer_named(g, "up").output_shape == std::vector<std::size_t>{3, 10, 10});
    CHECK(layer_named(g, "bn").flops == 2 * 300);
    CHECK(layer_named(g, "bn").param_bytes == 4 * 3 * 4);  // the file holds all four vectors
    CHECK(layer_named(g, "sigmoid").flops == 4 * 300);
    CHECK(layer_named(g, "gap").flops == 300);
    CHECK(layer_named(g, "flatten").flops == 0);
    CHECK(layer_named(g, "gemm").macs == 10 * 3);
    CHECK(layer_named(g, "gemm").output_shape == std::vector<std::size_t>{10});
    // The shape tensor is a literal (int64, at most 64 elements): part of the graph, no parameter.
    CHECK(layer_named(g, "reshape").param_bytes == 0);
    CHECK(layer_named(g, "matmul").macs == 2 * 5 * 6 * 1);
    CHECK(layer_named(g, "softmax").flops == 3 * 60);
    CHECK(layer_named(g, "add").flops == 60);
    CHECK(g.predecessors(*g.find("add")).size() == 1);  // Add(sm, sm) is one edge
    CHECK(g.total_param_bytes() == (4 * 3 * 4 + 4 * 3 + 10 * 3 + 6) * 4);
}

TEST_CASE("onnx: Gemm with transA and MatMul with broadcasting") {
    model_maker m;
    m.input("x", {64, 1});
    m.initializer("w", {64, 10});
    auto& gemm = m.node("Gemm", {"x", "w"}, {"y"}, "gemm");
    model_maker::integer(gemm, "transA", 1);
    m.output("y");
    CHECK(m.import().graph[1].macs == 64 * 10);

    model_maker b;
    b.input("x", {2, 3, 4, 5});
    b.initializer("w", {5, 6});
    b.node("MatMul", {"x", "w"}, {"y"}, "mm");
    b.output("y");
    CHECK(b.import().graph[1].macs == 2 * 3 * 4 * 6 * 5);
}

TEST_CASE("onnx: unknown operators are refused, or cost nothing and are listed in one warning") {
    model_maker m;
    m.input("x", {1, 4});
    m.node("Foo", {"x"}, {"a"}, "foo1").set_domain("com.example");
    m.node("Bar", {"a"}, {"b"}, "bar").set_domain("com.example");
    m.node("Foo", {"b"}, {"c"}, "foo2").set_domain("com.example");
    m.node("Relu", {"c"}, {"y"}, "relu");
    auto* o = m.model().add_opset_import();
    o->set_domain("com.example");
    o->set_version(1);
    m.value_info("a", {1, 4});
    m.value_info("b", {1, 8});
    m.value_info("c", {1, 8});
    m.output("y");
    // A plan that prices a layer at nothing is wrong: refused unless asked for.
    CHECK(validation_message([&] { m.import(); }) ==
          "test.onnx: node 'foo1' (com.example.Foo): the cost of operator com.example.Foo is "
          "unknown (docs/onnx.md lists the priced operators); set "
          "onnx_import_options::zero_cost_unknown_ops to import it with zero MACs and FLOPs");
    const onnx_import_options zero{.zero_cost_unknown_ops = true};
    const auto r = m.import(zero);
    CHECK(r.unknown_ops == std::vector<std::string>{"com.example.Foo", "com.example.Bar"});
    REQUIRE(r.warnings.size() == 1);
    CHECK(r.warnings[0].find("com.example.Foo, com.example.Bar") != std::string::npos);
    CHECK(r.warnings[0].find("test.onnx") == 0);
    CHECK(layer_named(r.graph, "foo1").flops == 0);
    CHECK(layer_named(r.graph, "foo1").kind == "com.example.Foo");
    CHECK(layer_named(r.graph, "bar").output_bytes == 32);
    CHECK(layer_named(r.graph, "relu").flops == 8);

    SUBCASE("an unknown operator of the default domain") {
        m.graph().mutable_node(1)->set_domain("");
        m.graph().mutable_node(1)->set_op_type("NoSuchOp");
        const auto r2 = m.import(zero);
        CHECK(r2.unknown_ops == std::vector<std::string>{"com.example.Foo", "NoSuchOp"});
        CHECK(r2.warnings.size() == 1);
    }
    SUBCASE("without a declared shape the node's output cannot be sized") {
        m.graph().clear_value_info();
        const auto message = validation_message([&] { m.import(zero); });
        CHECK(message.find("node 'foo1' (com.example.Foo): output 'a' has no static shape") !=
              std::string::npos);
        // The input shapes are fixed: the message points at the graph, not at them.
        CHECK(message.find("though every data input's shape is fixed") != std::string::npos);
        CHECK(message.find("value_info") != std::string::npos);
    }
}

TEST_CASE("onnx: malformed models name the node and the reason") {
    SUBCASE("an input nobody produces") {
        auto m = conv_net();
        m.graph().mutable_node(1)->set_input(0, "nope");
        CHECK(validation_message([&] { m.import(); }) ==
              "test.onnx: node 'relu' (Relu): input 'nope' is not a graph input, an initializer or "
              "the "
              "output of any node");
    }
    SUBCASE("an output produced twice") {
        auto m = conv_net();
        m.graph().mutable_node(1)->set_output(0, "c");
        CHECK(validation_message([&] { m.import(); }) ==
              "test.onnx: node 'relu' (Relu): output 'c' is also produced by node 'conv' (Conv)");
    }
    SUBCASE("a cycle") {
        auto m = conv_net();
        m.graph().mutable_node(1)->set_input(0, "p");
        CHECK(validation_message([&] { m.import(); }).find("is on a cycle") != std::string::npos);
    }
    SUBCASE("weights that do not fit the input") {
        auto m = conv_net();
        m.graph().mutable_initializer(0)->set_dims(1, 3);
        // Without values: with the old ones it would be refused for holding too many bytes.
        m.graph().mutable_initializer(0)->clear_raw_data();
        const auto message = validation_message([&] { m.import(); });
        CHECK(message.find("test.onnx: ") == 0);
        CHECK(message.find("conv") != std::string::npos);
    }
    SUBCASE("a pooling node without a kernel") {
        auto m = conv_net();
        m.graph().mutable_node(2)->clear_attribute();
        CHECK(validation_message([&] { m.import(); }).find("pool") != std::string::npos);
    }
    SUBCASE("no graph") {
        onnx::ModelProto empty;
        CHECK(error_message(error_kind::parse, [&] { import_onnx(empty, {}, "e.onnx"); }) ==
              "e.onnx: the model has no graph or its graph has no node");
    }
    SUBCASE("no output depends on the data") {
        auto m = conv_net();
        m.graph().clear_output();
        m.output("w");
        CHECK(validation_message([&] { m.import(); }) ==
              "test.onnx: no graph output depends on the data inputs");
    }
}

TEST_CASE("onnx: files that cannot be read") {
    const fs::path dir = fs::temp_directory_path() / "eosdnn_onnx_test_files";
    fs::remove_all(dir);
    fs::create_directories(dir);

    CHECK(error_message(error_kind::io, [&] {
              import_onnx(dir / "missing.onnx");
          }).find("cannot open") != std::string::npos);
    {
        std::ofstream(dir / "garbage.onnx", std::ios::binary)
            << std::string("\xff\xff\xff\xff\x0f garbage", 10);
        const auto message =
            error_message(error_kind::parse, [&] { import_onnx(dir / "garbage.onnx"); });
        CHECK(message.find("garbage.onnx: ") != std::string::npos);
    }
    {
        std::ofstream(dir / "empty.onnx", std::ios::binary);
        CHECK(error_message(error_kind::parse, [&] {
                  import_onnx(dir / "empty.onnx");
              }).find("no graph") != std::string::npos);
    }
    {
        // A model whose external-data file is missing.
        fs::copy_file(onnx_fixtures / "tiny_cnn_external.onnx", dir / "tiny.onnx");
        const auto message = error_message(error_kind::io, [&] { import_onnx(dir / "tiny.onnx"); });
        CHECK(message.find("tiny.onnx: initializer '") != std::string::npos);
        CHECK(message.find("cannot open its external data file 'tiny_cnn_external.onnx.data'") !=
              std::string::npos);
        // ... or too short.
        std::ofstream(dir / "tiny_cnn_external.onnx.data", std::ios::binary) << "short";
        CHECK(validation_message([&] { import_onnx(dir / "tiny.onnx"); }).find("too few") !=
              std::string::npos);
    }
    {
        // A file cut short in the middle of a weight.
        std::ifstream in(onnx_fixtures / "attention_block.onnx", std::ios::binary);
        const std::string bytes{std::istreambuf_iterator<char>(in),
                                std::istreambuf_iterator<char>()};
        std::ofstream(dir / "cut.onnx", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
        CHECK(error_message(error_kind::parse, [&] { import_onnx(dir / "cut.onnx"); }) ==
              (dir / "cut.onnx").string() +
                  ": the file is truncated: it ends inside a field of "
                  "the model, " +
                  std::to_string(bytes.size() / 2) +
                  " bytes in (an interrupted download or copy?)");
        // Cut a few bytes short of the end, too (inside the last field).
        std::ofstream(dir / "cut.onnx", std::ios::binary | std::ios::trunc)
            << bytes.substr(0, bytes.size() - 3);
        CHECK(error_message(error_kind::parse, [&] {
                  import_onnx(dir / "cut.onnx");
              }).find(": the file is truncated") != std::string::npos);
    }
    CHECK(error_message(error_kind::io, [&] { import_onnx(dir); }).find("is a directory") !=
          std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("onnx: reading a file skips the weights and gives the graph of the parsed model") {
    // attention_block.onnx holds weights larger than the 4 KB the reader keeps.
    std::ifstream in(onnx_fixtures / "attention_block.onnx", std::ios::binary);
    onnx::ModelProto parsed;
    REQUIRE(parsed.ParseFromIstream(&in));
    const auto from_memory = import_onnx(parsed, {}, "attention_block.onnx");
    const auto from_file = import_onnx(onnx_fixtures / "attention_block.onnx");
    const auto& a = from_memory.graph;
    const auto& b = from_file.graph;
    REQUIRE(a.size() == b.size());
    for (eosdnn::layer_id id = 0; id < a.size(); ++id) {
        CAPTURE(a[id].name);
        CHECK(a[id].name == b[id].name);
        CHECK(a[id].macs == b[id].macs);
        CHECK(a[id].flops == b[id].flops);
        CHECK(a[id].param_bytes == b[id].param_bytes);
        CHECK(a[id].output_bytes == b[id].output_bytes);
        CHECK(a[id].output_shape == b[id].output_shape);
    }
    CHECK(a.edge_count() == b.edge_count());
    CHECK(a.name() == b.name());
}

TEST_CASE("onnx: batch size, dynamic dimensions and input shapes") {
    model_maker m;
    m.input("x", {-1, 3, -2, -2});
    m.initializer("w", {4, 3, 3, 3});
    auto& conv = m.node("Conv", {"x", "w"}, {"y"}, "conv");
    model_maker::ints(conv, "pads", {1, 1, 1, 1});
    m.output("y");

    const auto message = validation_message([&] { m.import(); });
    CHECK(message ==
          "test.onnx: data input 'x' dimension 2 ('H') is not fixed; give its size in "
          "onnx_import_options::input_shapes or dim_values (eosdnn-plan: --input-shape "
          "NAME=D1xD2x... or --dim NAME=VALUE)");

    const auto one = m.import({.dim_values = {{"H", 8}}});
    CHECK(one.batch_size == 1);
    CHECK(one.graph.input_bytes() == 3 * 8 * 8 * 4);
    CHECK(one.graph[1].macs == 4 * 8 * 8 * 27);
    CHECK(one.graph[1].output_shape == std::vector<std::size_t>{4, 8, 8});

    const auto four = m.import({.batch_size = 4, .dim_values = {{"H", 8}}});
    CHECK(four.batch_size == 4);
    CHECK(four.graph.input_bytes() == 4 * one.graph.input_bytes());
    CHECK(four.graph[1].macs == 4 * one.graph[1].macs);
    CHECK(four.graph[1].output_bytes == 4 * one.graph[1].output_bytes);
    CHECK(four.graph[1].param_bytes == one.graph[1].param_bytes);
    CHECK(four.graph[1].output_shape == std::vector<std::size_t>{4, 8, 8});

    const auto shaped = m.import({.input_shapes = {{"x", {2, 3, 10, 12}}}});
    CHECK(shaped.batch_size == 2);
    CHECK(shaped.graph[1].output_shape == std::vector<std::size_t>{4, 10, 12});

    CHECK(validation_message([&] { m.import({.batch_size = 0}); }) ==
          "test.onnx: onnx_import_options::batch_size is 0 (must be >= 1)");
    CHECK(validation_message([&] {
              m.import({.input_shapes = {{"y", {1}}}});
          }).find("input_shapes names 'y', which is not a data input") != std::string::npos);
    CHECK(validation_message([&] {
              m.import({.input_shapes = {{"x", {1, 3, 0, 4}}}});
          }).find("dimensions must be >= 1") != std::string::npos);
    CHECK(m.import({.dim_values = {{"H", 8}}, .model_name = "net"}).graph.name() == "net");
}

TEST_CASE("onnx: weights given as graph inputs, shared initializers, dead nodes, several outputs") {
    model_maker m;
    m.input("x", {1, 4});
    m.input("w", {4, 4});     // a weight input: an export without parameters
    m.initializer("b", {4});  // read by two layers, stored once
    m.node("Identity", {"w"}, {"w2"}, "w_alias");
    m.node("MatMul", {"x", "w2"}, {"h"}, "mm1");
    m.node("Add", {"h", "b"}, {"h2"}, "bias1");
    m.node("MatMul", {"h2", "w"}, {"y1"}, "mm2");
    m.node("Add", {"y1", "b"}, {"y2"}, "bias2");
    m.node("Relu", {"h2"}, {"dead"}, "unused");
    m.output("y2");
    m.output("h2");
    const auto r = m.import();
    const auto& g = r.graph;
    CHECK(g.input_bytes() == 16);
    CHECK(layer_named(g, "mm1").param_bytes == 64);
    CHECK(layer_named(g, "mm2").param_bytes == 0);
    CHECK(layer_named(g, "bias1").param_bytes == 16);
    CHECK(layer_named(g, "bias2").param_bytes == 0);
    CHECK(g.total_param_bytes() == 80);
    CHECK(!g.find("w_alias"));  // constant: no layer
    CHECK(!g.find("unused"));
    REQUIRE(r.warnings.size() == 1);
    CHECK(r.warnings[0] ==
          "test.onnx: 1 node(s) reach no graph output and were left out: 'unused'");
    // Two graph outputs, one of them also read by mm2: a synthetic output layer gathers them.
    const auto& out = g[g.output()];
    CHECK(out.kind == "output");
    CHECK(out.output_bytes == 32);
    CHECK(g.predecessors(g.output()).size() == 2);

    // Naming the data inputs turns the rule off: here w becomes data, with two input tensors.
    const auto both = m.import({.data_inputs = {"x", "w"}});
    CHECK(both.graph[both.graph.input()].name == "input");
    CHECK(both.graph.input_bytes() == 16 + 64);
    CHECK(both.graph.total_param_bytes() == 16);
    CHECK(validation_message([&] {
              m.import({.data_inputs = {"b"}});
          }).find("data_inputs names 'b', which is not a graph input without an initializer") !=
          std::string::npos);
}

TEST_CASE("onnx: folding parameter-free nodes into the compute layer before them") {
    auto m = conv_net();
    const auto r = m.import({.fold_parameter_free = true});
    REQUIRE(r.graph.size() == 2);
    CHECK(r.graph[1].name == "conv");
    CHECK(r.graph[1].output_shape == std::vector<std::size_t>{16, 4, 4});
    CHECK(r.layer_nodes[1] == std::vector<std::string>{"conv", "relu", "pool"});
    const auto plain = m.import();
    CHECK(r.graph.total_flops() == plain.graph.total_flops());
    CHECK(r.graph.total_param_bytes() == plain.graph.total_param_bytes());
}

TEST_CASE("onnx: layer names are unique even when nodes have none or share one") {
    model_maker m;
    m.input("x", {1, 4});
    m.node("Relu", {"x"}, {"a"});
    m.node("Relu", {"a"}, {"b"}, "x");       // the input's name
    m.node("Relu", {"b"}, {"c"}, "Relu_0");  // the name generated for the first node
    m.node("Relu", {"c"}, {"d"}, "Relu_0");  // a duplicate
    m.output("d");
    const auto& g = m.import().graph;
    REQUIRE(g.size() == 5);
    CHECK(g[0].name == "x");
    CHECK(g[1].name == "Relu_0_2");
    CHECK(g[2].name == "x_2");
    CHECK(g[3].name == "Relu_0");
    CHECK(g[4].name == "Relu_0_3");
}

TEST_CASE("onnx: torchvision models exported without weights match the canonical totals") {
    const auto ref = onnx_reference();
    struct expected {
        const char* name;
        double canonical_macs;  // the zoo's (docs/zoo.md), or torch's own count for DenseNet-121
    };
    const expected models[] = {
        {"resnet50", eosdnn::zoo_model("resnet50").total_macs()},
        {"vgg16", eosdnn::zoo_model("vgg16").total_macs()},
        {"mobilenet_v2", eosdnn::zoo_model("mobilenet_v2").total_macs()},
        {"googlenet", eosdnn::zoo_model("googlenet").total_macs()},
        {"densenet121", ref.at("densenet121").at("macs_torch").get<double>()},
    };
    for (const auto& m : models) {
        CAPTURE(m.name);
        const auto r = import_onnx(onnx_fixtures / (std::string(m.name) + ".onnx"));
        const auto& g = r.graph;
        CHECK(r.warnings.empty());
        CHECK(g.name() == m.name);
        // The weights are graph inputs: their bytes, counted by the onnx Python package.
        CHECK(g.total_param_bytes() == ref.at(m.name).at("param_bytes").get<double>());
        CHECK(g.total_macs() == doctest::Approx(m.canonical_macs).epsilon(0.01));
        CHECK(g.total_macs() == ref.at(m.name).at("macs_torch").get<double>());
        CHECK(g.input_bytes() == 3 * 224 * 224 * 4);
        CHECK(g[g.output()].output_shape == std::vector<std::size_t>{1000});
        plans_end_to_end(g);

        const auto folded = import_onnx(onnx_fixtures / (std::string(m.name) + ".onnx"),
                                        {.fold_parameter_free = true});
        CHECK(folded.graph.size() < g.size());
        CHECK(folded.graph.total_macs() == g.total_macs());
        CHECK(folded.graph.total_param_bytes() == g.total_param_bytes());
        plans_end_to_end(folded.graph);
    }
}

TEST_CASE("onnx: external data, a dynamic batch and an attention block") {
    const auto ref = onnx_reference();
    {
        const auto& tiny = ref.at("tiny_cnn_external");
        const auto one = import_onnx(onnx_fixtures / "tiny_cnn_external.onnx");
        CHECK(one.graph.total_param_bytes() == tiny.at("param_bytes").get<double>());
        CHECK(one.graph.total_macs() == tiny.at("macs_batch1").get<double>());
        CHECK(one.graph.input_bytes() == 3 * 16 * 16 * 4);
        const auto four = import_onnx(onnx_fixtures / "tiny_cnn_external.onnx", {.batch_size = 4});
        CHECK(four.graph.total_macs() == tiny.at("macs_batch4").get<double>());
        CHECK(four.graph.total_param_bytes() == one.graph.total_param_bytes());
        CHECK(four.graph[four.graph.output()].output_shape == std::vector<std::size_t>{10});
        plans_end_to_end(four.graph);
    }
    {
        // torch computes the head size with Shape -> Gather -> Div -> Slice, which ONNX's own
        // data propagation does not follow: the importer folds that arithmetic.
        const auto& attention = ref.at("attention_block");
        const auto r = import_onnx(onnx_fixtures / "attention_block.onnx");
        CHECK(r.unknown_ops.empty());
        CHECK(r.graph.total_param_bytes() == attention.at("param_bytes").get<double>());
        CHECK(r.graph.total_macs() == attention.at("macs").get<double>());
        plans_end_to_end(r.graph);
    }
}

TEST_CASE("onnx: corrupted files throw eosdnn::error, never crash") {
    // Random byte changes and truncations of a real export: each import either succeeds (a
    // change in a name or a value that keeps the model consistent) or throws eosdnn::error.
    std::ifstream in(onnx_fixtures / "attention_block.onnx", std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const fs::path file = fs::temp_directory_path() / "eosdnn_onnx_corrupted.onnx";
    std::mt19937 rng(7);  // mt19937's sequence is fixed by the standard
    int imported = 0, rejected = 0;
    for (int k = 0; k < 150; ++k) {
        std::string corrupted = bytes;
        for (unsigned flips = 1 + rng() % 4; flips > 0; --flips)
            corrupted[rng() % corrupted.size()] = static_cast<char>(rng());
        if (rng() % 4 == 0) corrupted.resize(rng() % corrupted.size());
        std::ofstream(file, std::ios::binary | std::ios::trunc) << corrupted;
        try {
            import_onnx(file);
            ++imported;
        } catch (const eosdnn::error& e) {
            CHECK(std::string(e.what()).find(file.string() + ": ") == 0);
            ++rejected;
        }
    }
    fs::remove(file);
    CHECK(imported + rejected == 150);
    CHECK(rejected > 0);
}
