#pragma once
// Small ONNX models built in memory for the importer's tests (tests/io/onnx*.cpp).
#include <eosdnn/io/onnx.hpp>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace eosdnn::test {

/// Builds small ONNX models in memory; -1 in a shape is a symbolic dimension named "N", -2 "H",
/// -3 "sequence".
class model_maker {
public:
    explicit model_maker(int opset = 13) {
        model_.set_ir_version(8);
        auto* o = model_.add_opset_import();
        o->set_domain("");
        o->set_version(opset);
    }

    onnx::ModelProto& model() { return model_; }
    onnx::GraphProto& graph() { return *model_.mutable_graph(); }

    void input(const std::string& name, std::initializer_list<std::int64_t> dims,
               int type = onnx::TensorProto::FLOAT) {
        set_type(*graph().add_input(), name, dims, type);
    }
    void output(const std::string& name) {
        auto* v = graph().add_output();
        v->set_name(name);
        v->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    }
    void value_info(const std::string& name, std::initializer_list<std::int64_t> dims) {
        set_type(*graph().add_value_info(), name, dims, onnx::TensorProto::FLOAT);
    }
    void initializer(const std::string& name, std::initializer_list<std::int64_t> dims,
                     int type = onnx::TensorProto::FLOAT) {
        auto* t = graph().add_initializer();
        t->set_name(name);
        t->set_data_type(type);
        std::size_t n = 1;
        for (auto d : dims) {
            t->add_dims(d);
            n *= static_cast<std::size_t>(d);
        }
        t->set_raw_data(std::string(n * eosdnn::detail::onnx_import::element_bytes(type), '\0'));
    }
    void int64_initializer(const std::string& name, std::initializer_list<std::int64_t> values) {
        auto* t = graph().add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::INT64);
        t->add_dims(static_cast<std::int64_t>(values.size()));
        for (auto v : values) t->add_int64_data(v);
    }
    // A Constant node with int64 values (a vector, or a scalar when `scalar`).
    void constant(const std::string& name, std::initializer_list<std::int64_t> values,
                  bool scalar = false) {
        auto& n = node("Constant", {}, {name}, name);
        auto* a = n.add_attribute();
        a->set_name("value");
        a->set_type(onnx::AttributeProto::TENSOR);
        auto* t = a->mutable_t();
        t->set_data_type(onnx::TensorProto::INT64);
        if (!scalar) t->add_dims(static_cast<std::int64_t>(values.size()));
        for (auto v : values) t->add_int64_data(v);
    }
    // A Constant node holding `count` floats.
    void float_constant(const std::string& name, std::int64_t count) {
        auto& n = node("Constant", {}, {name}, name);
        auto* a = n.add_attribute();
        a->set_name("value");
        a->set_type(onnx::AttributeProto::TENSOR);
        auto* t = a->mutable_t();
        t->set_data_type(onnx::TensorProto::FLOAT);
        t->add_dims(count);
        t->set_raw_data(std::string(static_cast<std::size_t>(count) * 4, '\0'));
    }
    onnx::NodeProto& node(const std::string& op, std::initializer_list<std::string> inputs,
                          std::initializer_list<std::string> outputs,
                          const std::string& name = "") {
        auto* n = graph().add_node();
        n->set_op_type(op);
        n->set_name(name);
        for (const auto& i : inputs) n->add_input(i);
        for (const auto& o : outputs) n->add_output(o);
        return *n;
    }

    static void ints(onnx::NodeProto& n, const std::string& name,
                     std::initializer_list<std::int64_t> v) {
        auto* a = n.add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INTS);
        for (auto x : v) a->add_ints(x);
    }
    static void text(onnx::NodeProto& n, const std::string& name, const std::string& v) {
        auto* a = n.add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::STRING);
        a->set_s(v);
    }
    static void integer(onnx::NodeProto& n, const std::string& name, std::int64_t v) {
        auto* a = n.add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(v);
    }

    eosdnn::onnx_import_result import(const eosdnn::onnx_import_options& options = {}) {
        return eosdnn::import_onnx(model_, options, "test.onnx");
    }

private:
    static void set_type(onnx::ValueInfoProto& v, const std::string& name,
                         std::initializer_list<std::int64_t> dims, int type) {
        v.set_name(name);
        auto* t = v.mutable_type()->mutable_tensor_type();
        t->set_elem_type(type);
        auto* s = t->mutable_shape();
        for (auto d : dims) {
            auto* dim = s->add_dim();
            if (d == -1)
                dim->set_dim_param("N");
            else if (d == -2)
                dim->set_dim_param("H");
            else if (d == -3)
                dim->set_dim_param("sequence");
            else
                dim->set_dim_value(d);
        }
    }

    onnx::ModelProto model_;
};

}  // namespace eosdnn::test
