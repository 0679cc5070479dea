// The ONNX importer's input limits (issue 15, items 11 and 12): a device or pipe given as an
// .onnx file, and an initializer whose dimensions describe more data than a file can hold.
#include <eosdnn/io/limits.hpp>
#include <eosdnn/io/onnx.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>

namespace {

namespace fs = std::filesystem;
using eosdnn::error_kind;
using eosdnn::import_onnx;
using eosdnn::test::error_message;

// x -> Conv(w) -> y, with the initializer w of `dims` and no values at all.
onnx::ModelProto conv_with_weight(std::initializer_list<std::int64_t> dims) {
    onnx::ModelProto model;
    model.set_ir_version(8);
    auto* opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(13);
    auto& g = *model.mutable_graph();
    auto* x = g.add_input();
    x->set_name("x");
    auto* type = x->mutable_type()->mutable_tensor_type();
    type->set_elem_type(onnx::TensorProto::FLOAT);
    for (std::int64_t d : {1, 3, 8, 8}) type->mutable_shape()->add_dim()->set_dim_value(d);
    auto* w = g.add_initializer();
    w->set_name("w");
    w->set_data_type(onnx::TensorProto::FLOAT);
    for (std::int64_t d : dims) w->add_dims(d);
    auto* conv = g.add_node();
    conv->set_op_type("Conv");
    conv->set_name("conv");
    conv->add_input("x");
    conv->add_input("w");
    conv->add_output("y");
    auto* y = g.add_output();
    y->set_name("y");
    y->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    return model;
}

}  // namespace

TEST_CASE("onnx_limits: an initializer larger than a file can hold is refused by name") {
    // 2^40 x 3 x 3 x 3 floats and no data: imported before as a model of 118,747,255 MB.
    const auto model = conv_with_weight({std::int64_t{1} << 40, 3, 3, 3});
    CHECK(error_message(error_kind::validation, [&] { import_onnx(model, {}, "big.onnx"); }) ==
          "big.onnx: initializer 'w' has dims [1099511627776,3,3,3], 1.18747e+14 bytes, more "
          "than an .onnx file can hold (2147483647 bytes; larger weights are external data)");
    // A weight of a realistic size still imports (its values are not needed, only its shape).
    const auto small = conv_with_weight({4, 3, 3, 3});
    CHECK(import_onnx(small, {}, "small.onnx").graph.total_param_bytes() == 4 * 27 * 4);
}

TEST_CASE("onnx_limits: a device or a pipe named .onnx is refused before it is read") {
    std::random_device random;
    const fs::path dir =
        fs::temp_directory_path() / ("eosdnn-onnx-limits-" + std::to_string(random()));
    fs::create_directories(dir);
    fs::create_symlink("/dev/zero", dir / "z.onnx");
    CHECK(error_message(error_kind::io, [&] { import_onnx(dir / "z.onnx"); }) ==
          "cannot read ONNX file '" + (dir / "z.onnx").string() +
              "': it is a character device, not a regular file (only regular files are read: "
              "docs/limits.md)");
    REQUIRE(::mkfifo((dir / "p.onnx").c_str(), 0600) == 0);
    // Opening a pipe for reading would wait for a writer: it is refused by its type first.
    CHECK(error_message(error_kind::io, [&] {
              import_onnx(dir / "p.onnx");
          }).find("it is a pipe, not a regular file") != std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("onnx_limits: a node name with a control character is refused naming the file") {
    // Found by the fuzzer: the builder's refusal came without the file's name in front.
    auto model = conv_with_weight({4, 3, 3, 3});
    model.mutable_graph()->mutable_node(0)->set_name(std::string("co\0nv", 5));
    for (int k = 0; k < 4 * 27; ++k)
        model.mutable_graph()->mutable_initializer(0)->add_float_data(0);
    const std::string message =
        error_message(error_kind::validation, [&] { import_onnx(model, {}, "nul.onnx"); });
    CHECK(message.rfind("nul.onnx: ", 0) == 0);
    CHECK(message.find("U+0000") != std::string::npos);
}

TEST_CASE("onnx_limits: a zero stride is refused before ONNX's shape inference divides by it") {
    // Found by the fuzzer: libonnx's convPoolShapeInference ended the process with SIGFPE.
    auto model = conv_with_weight({4, 3, 3, 3});
    for (int k = 0; k < 4 * 27; ++k)
        model.mutable_graph()->mutable_initializer(0)->add_float_data(0);
    auto* strides = model.mutable_graph()->mutable_node(0)->add_attribute();
    strides->set_name("strides");
    strides->set_type(onnx::AttributeProto::INTS);
    strides->add_ints(1);
    strides->add_ints(0);
    CHECK(error_message(error_kind::validation, [&] { import_onnx(model, {}, "s.onnx"); }) ==
          "s.onnx: node 'conv' (Conv): attribute strides has 0 (must be > 0)");
}
