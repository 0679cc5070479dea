#pragma once
/// \file onnx_shapes.hpp
/// Shapes: the structure-only model ONNX shape inference runs on, the inference itself, and
/// the folding of integer shape arithmetic into constants so that inference can run again.

#include <eosdnn/io/detail/onnx_importer.hpp>

#include <onnx/defs/schema.h>
#include <onnx/defs/shape_inference.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace eosdnn::detail::onnx_import {

inline void importer::make_shape_model() {
    shapes_.set_ir_version(model_.ir_version());
    *shapes_.mutable_opset_import() = model_.opset_import();
    *shapes_.mutable_functions() = model_.functions();
    onnx::GraphProto& g = *shapes_.mutable_graph();
    g.set_name(graph_->name());
    *g.mutable_node() = graph_->node();
    *g.mutable_input() = graph_->input();
    *g.mutable_output() = graph_->output();
    *g.mutable_sparse_initializer() = graph_->sparse_initializer();
    for (auto& v : *g.mutable_output())
        if (v.type().has_tensor_type()) v.mutable_type()->mutable_tensor_type()->clear_shape();
    std::unordered_set<std::string> small;
    for (const auto& t : small_integers_) {
        *g.add_initializer() = t;
        small.insert(t.name());
    }
    // Other initializers become typed inputs: inference needs their shapes, never their
    // values (which a file read by import_onnx(path) does not even hold).
    std::unordered_set<std::string> listed;
    for (const auto& v : graph_->input()) listed.insert(v.name());
    for (const auto& t : graph_->initializer()) {
        if (small.count(t.name()) || listed.count(t.name())) continue;
        onnx::ValueInfoProto& v = *g.add_input();
        v.set_name(t.name());
        auto* type = v.mutable_type()->mutable_tensor_type();
        type->set_elem_type(t.data_type());
        auto* dims = type->mutable_shape();
        for (std::int64_t d : t.dims()) dims->add_dim()->set_dim_value(d);
    }
    for (const auto& v : graph_->value_info()) declared_[v.name()] = info_of(v.type());
    for (const auto& v : graph_->output()) declared_[v.name()] = info_of(v.type());
    // Inference cannot type the outputs of operators without a schema (custom domains): keep
    // what the file declares for them, so that the nodes after them are inferred.
    std::unordered_set<std::string> unschematized;
    for (const auto& node : graph_->node())
        if (!has_schema(node)) unschematized.insert(node.output().begin(), node.output().end());
    for (const auto& v : graph_->value_info())
        if (unschematized.count(v.name())) *g.add_value_info() = v;
}

inline bool importer::has_schema(const onnx::NodeProto& node) const {
    const std::string domain = default_domain(node) ? std::string() : node.domain();
    int version = -1;
    for (const auto& o : model_.opset_import())
        if ((o.domain() == "ai.onnx" ? std::string() : o.domain()) == domain)
            version = static_cast<int>(o.version());
    if (version < 0) return false;
    return onnx::OpSchemaRegistry::Schema(node.op_type(), version, domain) != nullptr;
}

inline void importer::infer_shapes() {
    // ONNX's own inference divides by strides without checking them (a zero stride in a Conv or
    // a pooling node ends the process with SIGFPE inside libonnx, found by the fuzzer): refuse
    // them here, naming the node.
    for (int i = 0; i < graph_->node_size(); ++i) {
        const onnx::NodeProto& node = graph_->node(i);
        for (const auto& a : node.attribute()) {
            if (a.name() != "strides" && a.name() != "dilations") continue;
            for (std::int64_t v : a.ints())
                if (v <= 0)
                    fail(error_kind::validation,
                         "node '" + (node.name().empty() ? "#" + std::to_string(i) : node.name()) +
                             "' (" + node.op_type() + "): attribute " + a.name() + " has " +
                             std::to_string(v) + " (must be > 0)");
        }
    }
    for (int round = 0; round < 16; ++round) {
        try {
            onnx::shape_inference::InferShapes(shapes_, onnx::OpSchemaRegistry::Instance(),
                                               onnx::ShapeInferenceOptions(false, 1, true));
        } catch (const std::exception& e) {
            fail(error_kind::validation, std::string("ONNX shape inference failed: ") + e.what());
        }
        for (const auto& v : shapes_.graph().value_info()) types_[v.name()] = info_of(v.type());
        for (const auto& v : shapes_.graph().output())
            if (auto info = info_of(v.type()); info.dims || !types_.count(v.name()))
                types_[v.name()] = info;
        if (!fold_shape_arithmetic()) break;
    }
    for (auto& [name, info] : declared_) {
        auto it = types_.find(name);
        if (it == types_.end() || !it->second.dims) types_[name] = info;
    }
}

inline std::optional<importer::known_value> importer::value_of(const onnx::TensorProto& t) {
    known_value v{shape(t.dims().begin(), t.dims().end()), {}};
    for (std::int64_t d : v.dims)
        if (d < 0 || d > 64) return std::nullopt;  // shape arithmetic is small
    if (elements(v.dims) > 64) return std::nullopt;
    const std::size_t n = static_cast<std::size_t>(elements(v.dims));
    if (t.data_type() == onnx::TensorProto::INT64) {
        if (t.has_raw_data()) {
            if (t.raw_data().size() != n * 8) return std::nullopt;
            v.values.resize(n);
            std::memcpy(v.values.data(), t.raw_data().data(), n * 8);
        } else {
            v.values.assign(t.int64_data().begin(), t.int64_data().end());
        }
    } else if (t.data_type() == onnx::TensorProto::INT32) {
        if (t.has_raw_data()) {
            if (t.raw_data().size() != n * 4) return std::nullopt;
            std::vector<std::int32_t> raw(n);
            std::memcpy(raw.data(), t.raw_data().data(), n * 4);
            v.values.assign(raw.begin(), raw.end());
        } else {
            v.values.assign(t.int32_data().begin(), t.int32_data().end());
        }
    } else {
        return std::nullopt;
    }
    if (v.values.size() != n) return std::nullopt;
    return v;
}

inline std::optional<std::vector<std::int64_t>> importer::evaluate(
    const onnx::NodeProto& node, const std::vector<const known_value*>& in) const {
    const std::string& op = node.op_type();
    const auto all_known = [&](std::size_t count) {
        if (in.size() < count) return false;
        for (std::size_t i = 0; i < count; ++i)
            if (!in[i]) return false;
        return true;
    };
    if (op == "Shape") {
        auto it = types_.find(node.input(0));
        if (it == types_.end() || !it->second.dims) return std::nullopt;
        const auto& d = *it->second.dims;
        const auto rank = static_cast<std::int64_t>(d.size());
        const auto clamp = [&](std::int64_t v) {
            return std::clamp(v < 0 ? v + rank : v, std::int64_t{0}, rank);
        };
        const std::int64_t start = clamp(int_attribute(node, "start", 0));
        const std::int64_t end = clamp(int_attribute(node, "end", rank));
        if (start >= end) return std::vector<std::int64_t>{};
        return std::vector<std::int64_t>(d.begin() + start, d.begin() + end);
    }
    if (op == "Size") {
        auto it = types_.find(node.input(0));
        if (it == types_.end() || !it->second.dims) return std::nullopt;
        return std::vector<std::int64_t>{static_cast<std::int64_t>(elements(*it->second.dims))};
    }
    if (op == "Identity" || op == "Cast" || op == "Squeeze" || op == "Unsqueeze" ||
        op == "Reshape") {
        if (!all_known(1)) return std::nullopt;
        return in[0]->values;
    }
    if (op == "Concat") {
        if (!all_known(in.size())) return std::nullopt;
        std::vector<std::int64_t> out;
        for (const auto* v : in) out.insert(out.end(), v->values.begin(), v->values.end());
        return out;
    }
    if (op == "Gather") {
        if (!all_known(2) || in[0]->dims.size() > 1 || int_attribute(node, "axis", 0) != 0)
            return std::nullopt;
        const auto n = static_cast<std::int64_t>(in[0]->values.size());
        std::vector<std::int64_t> out;
        for (std::int64_t i : in[1]->values) {
            if (i < 0) i += n;
            if (i < 0 || i >= n) return std::nullopt;
            out.push_back(in[0]->values[static_cast<std::size_t>(i)]);
        }
        return out;
    }
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Max" || op == "Min") {
        if (!all_known(2) || in.size() != 2) return std::nullopt;
        const auto& a = in[0]->values;
        const auto& b = in[1]->values;
        if (a.size() != b.size() && a.size() != 1 && b.size() != 1) return std::nullopt;
        std::vector<std::int64_t> out(std::max(a.size(), b.size()));
        for (std::size_t i = 0; i < out.size(); ++i) {
            const std::int64_t x = a[a.size() == 1 ? 0 : i], y = b[b.size() == 1 ? 0 : i];
            std::int64_t& r = out[i];
            // A file may hold any values: an overflow leaves the node unfolded.
            if (op == "Add"   ? __builtin_add_overflow(x, y, &r)
                : op == "Sub" ? __builtin_sub_overflow(x, y, &r)
                : op == "Mul" ? __builtin_mul_overflow(x, y, &r)
                              : false)
                return std::nullopt;
            if (op == "Div") {
                if (y == 0 || (y == -1 && x == INT64_MIN)) return std::nullopt;
                r = x / y;
            } else if (op == "Max" || op == "Min") {
                r = op == "Max" ? std::max(x, y) : std::min(x, y);
            }
        }
        return out;
    }
    if (op == "Slice") {
        if (!all_known(3) || in[0]->dims.size() != 1) return std::nullopt;
        for (std::size_t i = 3; i < in.size(); ++i)
            if (!in[i]) return std::nullopt;
        if (in.size() > 4 && (in[4]->values.size() != 1 || in[4]->values[0] != 1))
            return std::nullopt;
        const auto n = static_cast<std::int64_t>(in[0]->values.size());
        if (in[1]->values.size() != 1 || in[2]->values.size() != 1) return std::nullopt;
        const auto clamp = [&](std::int64_t v) {
            return std::clamp(v < 0 ? v + n : v, std::int64_t{0}, n);
        };
        const std::int64_t start = clamp(in[1]->values[0]), end = clamp(in[2]->values[0]);
        if (start >= end) return std::vector<std::int64_t>{};
        return std::vector<std::int64_t>(in[0]->values.begin() + start,
                                         in[0]->values.begin() + end);
    }
    return std::nullopt;
}

inline bool importer::fold_shape_arithmetic() {
    onnx::GraphProto& g = *shapes_.mutable_graph();
    std::unordered_map<std::string, known_value> known;
    for (const auto& t : g.initializer())
        if (auto v = value_of(t)) known.emplace(t.name(), std::move(*v));
    bool changed = false;
    for (auto& node : *g.mutable_node()) {
        if (!default_domain(node) || node.output_size() != 1) continue;
        const std::string& out = node.output(0);
        if (node.op_type() == "Constant") {
            if (const auto* a = find_attribute(node, "value"); a && a->has_t())
                if (auto v = value_of(a->t())) known.emplace(out, std::move(*v));
            continue;
        }
        auto type = types_.find(out);
        if (type == types_.end() || !type->second.dims || elements(*type->second.dims) > 64)
            continue;
        if (type->second.type != onnx::TensorProto::INT64 &&
            type->second.type != onnx::TensorProto::INT32)
            continue;
        std::vector<const known_value*> inputs;
        for (const auto& i : node.input()) {
            auto it = known.find(i);
            inputs.push_back(it == known.end() ? nullptr : &it->second);
        }
        auto values = evaluate(node, inputs);
        if (!values || values->size() != static_cast<std::size_t>(elements(*type->second.dims)))
            continue;
        onnx::TensorProto t;
        t.set_data_type(onnx::TensorProto::INT64);
        for (std::int64_t d : *type->second.dims) t.add_dims(d);
        for (std::int64_t v : *values) t.add_int64_data(v);
        if (type->second.type == onnx::TensorProto::INT32) {
            t.set_data_type(onnx::TensorProto::INT32);
            t.clear_int64_data();
            for (std::int64_t v : *values) t.add_int32_data(static_cast<std::int32_t>(v));
        }
        known[out] = known_value{*type->second.dims, *values};
        node.clear_input();
        node.clear_attribute();
        node.set_op_type("Constant");
        auto* a = node.add_attribute();
        a->set_name("value");
        a->set_type(onnx::AttributeProto::TENSOR);
        *a->mutable_t() = std::move(t);
        changed = true;
    }
    return changed;
}

}  // namespace eosdnn::detail::onnx_import
