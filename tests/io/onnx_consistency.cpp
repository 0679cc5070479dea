// The ONNX importer against files that contradict themselves: a graph output that is also a graph
// input, a named dimension the model does not have, tensors whose stored values do not match
// their dims, and a model that only passes its input on.
#include <eosdnn/io/onnx.hpp>

#include "../error_message.hpp"
#include "onnx_model_maker.hpp"

#include <doctest/doctest.h>

#include <unistd.h>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>

namespace {

using eosdnn::test::model_maker;
using eosdnn::test::validation_message;

// A graph output with a declared shape (model_maker::output declares none).
void consistency_shaped_output(model_maker& m, const std::string& name,
                               std::initializer_list<std::int64_t> dims) {
    auto* v = m.graph().add_output();
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    auto* s = t->mutable_shape();
    for (std::int64_t d : dims) s->add_dim()->set_dim_value(d);
}

// Conv(x [1,3,32,32], w [8,3,3,3]) -> y [1,8,30,30], whose outputs are y (declared `y_dims`, or
// without a shape when empty) and x itself, before or after y.
model_maker consistency_conv_giving_its_input(std::initializer_list<std::int64_t> y_dims,
                                              bool input_first) {
    model_maker m;
    m.input("x", {1, 3, 32, 32});
    m.initializer("w", {8, 3, 3, 3});
    model_maker::ints(m.node("Conv", {"x", "w"}, {"y"}, "conv"), "kernel_shape", {3, 3});
    if (input_first) consistency_shaped_output(m, "x", {1, 3, 32, 32});
    if (y_dims.size() == 0)
        m.output("y");
    else
        consistency_shaped_output(m, "y", y_dims);
    if (!input_first) consistency_shaped_output(m, "x", {1, 3, 32, 32});
    return m;
}

}  // namespace

TEST_CASE("onnx_consistency: a graph input that is also a graph output keeps shape inference") {
    // 8 x 30 x 30 outputs, each of 3 x 3 x 3 products; 4 bytes each.
    constexpr double macs = 8.0 * 30 * 30 * 27;
    constexpr double bytes = 8.0 * 30 * 30 * 4;
    CHECK(macs == 194400);
    CHECK(bytes == 28800);
    // The declared shape of y, right, too small, too large or absent, changes nothing: the
    // inferred one is used, as for any output (declared shapes may predate a new batch).
    for (bool input_first : {false, true})
        for (auto y : {std::initializer_list<std::int64_t>{1, 8, 30, 30},
                       {1, 8, 1, 1},
                       {1, 8, 300, 300},
                       {}}) {
            CAPTURE(input_first);
            CAPTURE(y.size());
            const auto r = consistency_conv_giving_its_input(y, input_first).import();
            const auto& g = r.graph;
            const auto conv = g.find("conv");
            REQUIRE(conv.has_value());
            CHECK(g[*conv].macs == macs);
            CHECK(g[*conv].output_bytes == bytes);
            CHECK(g[*conv].output_shape == std::vector<std::size_t>{8, 30, 30});
            CHECK(g.input_bytes() == 3 * 32 * 32 * 4);
        }
    // With a batch of 4, x as an output has the batch too, and y four times the figures.
    const auto four =
        consistency_conv_giving_its_input({1, 8, 1, 1}, false).import({.batch_size = 4});
    CHECK(four.graph[*four.graph.find("conv")].macs == 4 * macs);
    CHECK(four.graph.input_bytes() == 4 * 3 * 32 * 32 * 4);
}

TEST_CASE("onnx_consistency: a named dimension the model does not have is refused") {
    model_maker m;
    m.input("x", {-1, 3, -2, -2});
    m.initializer("w", {4, 3, 3, 3});
    m.node("Conv", {"x", "w"}, {"y"}, "conv");
    m.output("y");
    CHECK(m.import({.dim_values = {{"H", 8}, {"N", 2}}}).batch_size == 2);
    CHECK(validation_message([&] {
              m.import({.dim_values = {{"H", 8}, {"btach", 8}}});
          }) ==
          "test.onnx: onnx_import_options::dim_values names 'btach', which is not a symbolic "
          "dimension of the model's data inputs (they have 'H', 'N')");
    // A name is the model's even where a batch size or an input shape replaces its dimension.
    CHECK(m.import({.input_shapes = {{"x", {1, 3, 8, 8}}}, .dim_values = {{"H", 8}}})
              .graph.input_bytes() == 3 * 8 * 8 * 4);

    model_maker fixed;
    fixed.input("x", {1, 3, 8, 8});
    fixed.node("Relu", {"x"}, {"y"}, "relu");
    fixed.output("y");
    CHECK(validation_message([&] {
              fixed.import({.dim_values = {{"sequence", 128}}});
          }) ==
          "test.onnx: onnx_import_options::dim_values names 'sequence', which is not a symbolic "
          "dimension of the model's data inputs (they have none)");
}

TEST_CASE("onnx_consistency: stored values must be as many as the tensor's dims say") {
    const auto conv = [] {
        model_maker m;
        m.input("x", {1, 3, 32, 32});
        m.initializer("w", {8, 3, 3, 3});
        m.node("Conv", {"x", "w"}, {"y"}, "conv");
        m.output("y");
        return m;
    };
    // 10 bytes for 8 x 3 x 3 x 3 floats (864 bytes): a malformed file, refused even though the
    // importer reads only the weight's dims.
    auto short_weight = conv();
    short_weight.graph().mutable_initializer(0)->set_raw_data(std::string(10, '\0'));
    const std::string weight_message =
        "test.onnx: initializer 'w': raw_data holds 10 bytes, but its dims [8,3,3,3] of FLOAT "
        "need 864";
    CHECK(validation_message([&] { short_weight.import(); }) == weight_message);
    // The same from a file, which import_onnx(path) reads without its large values.
    const auto path = std::filesystem::temp_directory_path() /
                      ("eosdnn_onnx_consistency_" + std::to_string(::getpid()) + ".onnx");
    {
        std::ofstream out(path, std::ios::binary);
        REQUIRE(short_weight.model().SerializeToOstream(&out));
    }
    const std::string from_file = validation_message([&] { eosdnn::import_onnx(path); });
    CHECK(from_file == path.string() + weight_message.substr(std::string("test.onnx").size()));
    // Values longer than 4 KB are skipped, not read, and their length still checked: 64 x 3 x 3
    // x 3 floats take 6912 bytes.
    model_maker large;
    large.input("x", {1, 3, 32, 32});
    large.initializer("w", {64, 3, 3, 3});
    large.node("Conv", {"x", "w"}, {"y"}, "conv");
    large.output("y");
    const auto write_large = [&] {
        std::ofstream out(path, std::ios::binary);
        REQUIRE(large.model().SerializeToOstream(&out));
    };
    write_large();
    CHECK(eosdnn::import_onnx(path).graph.total_param_bytes() == 6912);
    large.graph().mutable_initializer(0)->set_raw_data(std::string(5000, '\0'));
    write_large();
    CHECK(validation_message([&] { eosdnn::import_onnx(path); }) ==
          path.string() +
              ": initializer 'w': raw_data holds 5000 bytes, but its dims [64,3,3,3] of FLOAT "
              "need 6912");
    std::filesystem::remove(path);

    auto float_values = conv();
    auto* w = float_values.graph().mutable_initializer(0);
    w->clear_raw_data();
    for (int i = 0; i < 5; ++i) w->add_float_data(0.5F);
    CHECK(validation_message([&] { float_values.import(); }) ==
          "test.onnx: initializer 'w': holds 5 values, but its dims [8,3,3,3] of FLOAT need 216");
    // No values at all: a weight described without them, as a file read without its weights.
    auto no_values = conv();
    no_values.graph().mutable_initializer(0)->clear_raw_data();
    CHECK(no_values.import().graph[*no_values.import().graph.find("conv")].macs ==
          8 * 30 * 30 * 27);

    // A Reshape's target whose values shape inference reads: as an initializer and as a
    // Constant, each with 12 bytes of raw data for two int64 values.
    for (bool constant : {false, true}) {
        model_maker m;
        m.input("x", {1, 3, 4, 4});
        if (constant) {
            m.constant("target", {1, 48});
            auto* t = m.graph().mutable_node(0)->mutable_attribute(0)->mutable_t();
            t->clear_int64_data();
            t->set_raw_data(std::string(12, '\0'));
        } else {
            m.int64_initializer("target", {1, 48});
            auto* t = m.graph().mutable_initializer(0);
            t->clear_int64_data();
            t->set_raw_data(std::string(12, '\0'));
        }
        m.node("Reshape", {"x", "target"}, {"y"}, "reshape");
        m.output("y");
        CHECK(validation_message([&] { m.import(); }) ==
              std::string("test.onnx: ") +
                  (constant ? "node 'target' (Constant): its value" : "initializer 'target'") +
                  ": raw_data holds 12 bytes, but its dims [2] of INT64 need 16");
    }
    model_maker three;
    three.input("x", {1, 3, 4, 4});
    three.int64_initializer("target", {1, 48});
    three.graph().mutable_initializer(0)->add_int64_data(1);
    three.node("Reshape", {"x", "target"}, {"y"}, "reshape");
    three.output("y");
    CHECK(validation_message([&] { three.import(); }) ==
          "test.onnx: initializer 'target': holds 3 values, but its dims [2] of INT64 need 2");
}

TEST_CASE("onnx_consistency: a model that gives its input back unchanged imports") {
    model_maker m;
    m.input("x", {1, 3, 32, 32});
    m.node("Identity", {"x"}, {"y"}, "identity");
    m.output("y");
    const auto r = m.import();
    CHECK(r.graph.input_bytes() == 3 * 32 * 32 * 4);
    const auto id = r.graph.find("identity");
    REQUIRE(id.has_value());
    CHECK(r.graph[*id].macs == 0);
    CHECK(r.graph[*id].output_bytes == 3 * 32 * 32 * 4);

    // An input that only ever is a second operand is a weight; with no other, the message says
    // why nothing is data.
    model_maker weights_only;
    weights_only.input("w", {4, 4});
    weights_only.float_constant("c", 16);
    weights_only.node("Reshape", {"c", "four_by_four"}, {"c2"}, "reshape");
    weights_only.int64_initializer("four_by_four", {4, 4});
    weights_only.node("MatMul", {"c2", "w"}, {"y"}, "matmul");
    weights_only.output("y");
    CHECK(validation_message([&] { weights_only.import(); }) ==
          "test.onnx: no graph input carries data: input 'w' reaches nodes only in other "
          "positions than the first, as weights do, and no graph output (name the data inputs "
          "in onnx_import_options::data_inputs)");
}
