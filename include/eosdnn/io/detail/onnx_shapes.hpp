#pragma once
/// \file onnx_shapes.hpp
/// Shapes: the structure-only model ONNX shape inference runs on, the inference itself, and
/// the folding of integer shape arithmetic into constants so that inference can run again.

#include <eosdnn/io/detail/onnx_importer.hpp>

#include <onnx/defs/schema.h>
#include <onnx/defs/shape_inference.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
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
    *g.mutable_sparse_initializer() = graph_->sparse_initializer();
    // A graph output that is also a graph input or an initializer is left out: ONNX's inference
    // takes the type of an output over the input's of the same name, so the output's cleared
    // shape would hide the input's and every node after it would be uninferred (the declared
    // shapes of the outputs then won unchecked). Its shape is the input's or initializer's.
    std::unordered_set<std::string> defined;
    for (const auto& v : graph_->input()) defined.insert(v.name());
    for (const auto& t : graph_->initializer()) defined.insert(t.name());
    for (const auto& v : graph_->output()) {
        if (defined.count(v.name())) continue;
        onnx::ValueInfoProto& out = *g.add_output() = v;
        if (out.type().has_tensor_type()) out.mutable_type()->mutable_tensor_type()->clear_shape();
    }
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

inline const onnx::OpSchema* importer::schema_of(const onnx::NodeProto& node) const {
    const std::string domain = default_domain(node) ? std::string() : node.domain();
    int version = -1;
    for (const auto& o : model_.opset_import())
        if ((o.domain() == "ai.onnx" ? std::string() : o.domain()) == domain)
            version = static_cast<int>(o.version());
    if (version < 0) return nullptr;
    return onnx::OpSchemaRegistry::Schema(node.op_type(), version, domain);
}

inline bool importer::has_schema(const onnx::NodeProto& node) const {
    return schema_of(node) != nullptr;
}

inline void importer::check_element_types() const {
    for (int i : order_) {
        const onnx::NodeProto& node = graph_->node(i);
        const onnx::OpSchema* schema = schema_of(node);
        if (!schema || schema->inputs().empty()) continue;
        const auto& formal = schema->inputs();
        // The first tensor bound to each type parameter ("T"), with its element type.
        std::unordered_map<std::string, std::pair<std::string, std::int32_t>> bound;
        for (int k = 0; k < node.input_size(); ++k) {
            const std::string& name = node.input(k);
            const auto& f = formal[std::min(static_cast<std::size_t>(k), formal.size() - 1)];
            if (static_cast<std::size_t>(k) >= formal.size() &&
                (f.GetOption() != onnx::OpSchema::Variadic || !f.GetIsHomogeneous()))
                break;
            const auto& params = schema->typeConstraintParams();
            const bool parameter = std::any_of(params.begin(), params.end(), [&](const auto& p) {
                return p.type_param_str == f.GetTypeStr();
            });
            if (name.empty() || !parameter) continue;  // a fixed type: "tensor(int64)"
            auto type = types_.find(name);
            if (type == types_.end() || type->second.type == 0) continue;
            auto [first, fresh] = bound.try_emplace(f.GetTypeStr(), name, type->second.type);
            if (fresh || first->second.second == type->second.type) continue;
            // Only where a stored tensor is involved: an fp16 weight feeding an fp32 operator.
            if (!parameters_.count(name) && !parameters_.count(first->second.first)) continue;
            const auto describe = [&](const std::string& tensor, std::int32_t t) {
                return std::string(parameters_.count(tensor) ? "weight '" : "input '") + tensor +
                       "' is " + onnx::TensorProto_DataType_Name(t);
            };
            fail(error_kind::validation,
                 node_label(node, i) + ": " + describe(name, type->second.type) + " but " +
                     describe(first->second.first, first->second.second) +
                     ": the operator needs one element type for both (type " + f.GetTypeStr() +
                     ")");
        }
    }
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
    canonicalise_einsums();
    // Each round folds at least one node or ends. A stack of attention layers needs about one
    // round per layer (the shape each one computes depends on the output of the one before);
    // 1024 rounds bound the time a crafted file can take (each round infers the whole graph).
    for (int round = 0; round < std::min(graph_->node_size() + 1, 1024); ++round) {
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
        const bool folded = fold_shape_arithmetic();
        if (!size_einsum_outputs() && !folded) break;
    }
    for (auto& [name, info] : declared_) {
        auto it = types_.find(name);
        if (it == types_.end() || !it->second.dims) types_[name] = info;
    }
}

// Whether values of this element type take part in shape arithmetic: integers (shapes, axes,
// indices) and booleans (the masks of Equal and Where that torch computes shapes with).
inline bool folded_type(std::int32_t type) {
    return type == onnx::TensorProto::INT64 || type == onnx::TensorProto::INT32 ||
           type == onnx::TensorProto::BOOL;
}

inline std::optional<importer::known_value> importer::value_of(const onnx::TensorProto& t) {
    known_value v{shape(t.dims().begin(), t.dims().end()), {}};
    for (std::int64_t d : v.dims)
        if (d < 0 || d > max_folded) return std::nullopt;  // shape arithmetic is small
    if (elements(v.dims) > max_folded) return std::nullopt;
    const std::size_t n = static_cast<std::size_t>(elements(v.dims));
    // Values in raw_data (little-endian, as ONNX stores them) or in the typed field.
    const auto raw = [&]<class T>(T) {
        if (t.raw_data().size() != n * sizeof(T)) return false;
        std::vector<T> values(n);
        if (n) std::memcpy(values.data(), t.raw_data().data(), n * sizeof(T));
        v.values.assign(values.begin(), values.end());
        return true;
    };
    bool read = true;
    switch (t.data_type()) {
    case onnx::TensorProto::INT64:
        if (t.has_raw_data())
            read = raw(std::int64_t{});
        else
            v.values.assign(t.int64_data().begin(), t.int64_data().end());
        break;
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::BOOL:
        if (t.has_raw_data())
            read = t.data_type() == onnx::TensorProto::BOOL ? raw(std::uint8_t{})
                                                            : raw(std::int32_t{});
        else
            v.values.assign(t.int32_data().begin(), t.int32_data().end());
        if (t.data_type() == onnx::TensorProto::BOOL)
            for (auto& b : v.values) b = b != 0;
        break;
    default: return std::nullopt;
    }
    if (!read) return std::nullopt;
    if (v.values.size() != n) return std::nullopt;
    return v;
}

namespace fold {

using values = std::vector<std::int64_t>;

// The broadcast of 1-D (or scalar) operands: every operand has n elements or one.
inline std::optional<std::size_t> broadcast_size(std::initializer_list<const values*> in) {
    std::size_t n = 1;
    for (const values* v : in) {
        if (v->size() == 1) continue;
        if (n != 1 && v->size() != n) return std::nullopt;
        n = v->size();
    }
    for (const values* v : in)
        if (v->empty()) return std::size_t{0};
    return n;
}

inline std::int64_t at(const values& v, std::size_t i) { return v[v.size() == 1 ? 0 : i]; }

// One element-wise operation; nothing when it overflows or divides by zero (a file may hold any
// values: the node then stays unfolded).
inline std::optional<std::int64_t> binary(const std::string& op, std::int64_t x, std::int64_t y) {
    std::int64_t r = 0;
    if (op == "Add") return __builtin_add_overflow(x, y, &r) ? std::nullopt : std::optional(r);
    if (op == "Sub") return __builtin_sub_overflow(x, y, &r) ? std::nullopt : std::optional(r);
    if (op == "Mul") return __builtin_mul_overflow(x, y, &r) ? std::nullopt : std::optional(r);
    if (op == "Div" || op == "Mod") {
        if (y == 0 || (y == -1 && x == INT64_MIN)) return std::nullopt;
        if (op == "Div") return x / y;  // integer Div truncates, as C does
        r = x % y;                      // Mod (fmod = 0): the sign of the divisor, as numpy
        return r != 0 && ((r < 0) != (y < 0)) ? r + y : r;
    }
    if (op == "Max") return std::max(x, y);
    if (op == "Min") return std::min(x, y);
    if (op == "Equal") return std::int64_t{x == y};
    if (op == "Less") return std::int64_t{x < y};
    if (op == "LessOrEqual") return std::int64_t{x <= y};
    if (op == "Greater") return std::int64_t{x > y};
    if (op == "GreaterOrEqual") return std::int64_t{x >= y};
    if (op == "And") return std::int64_t{x != 0 && y != 0};
    if (op == "Or") return std::int64_t{x != 0 || y != 0};
    if (op == "Xor") return std::int64_t{(x != 0) != (y != 0)};
    return std::nullopt;
}

inline constexpr std::array<std::string_view, 15> binary_ops{
    "Add", "Sub",   "Mul",  "Div",         "Mod",     "Max",
    "Min", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual",
    "And", "Or",    "Xor"};

}  // namespace fold

inline std::optional<std::vector<std::int64_t>> importer::evaluate(
    const onnx::NodeProto& node, const std::vector<const known_value*>& in) const {
    const std::string& op = node.op_type();
    const auto all_known = [&](std::size_t count) {
        if (in.size() < count) return false;
        for (std::size_t i = 0; i < count; ++i)
            if (!in[i]) return false;
        return true;
    };
    // Operands are scalars or vectors: shape arithmetic never needs more.
    const auto flat = [&](std::size_t count) {
        if (!all_known(count)) return false;
        for (std::size_t i = 0; i < count; ++i)
            if (in[i]->dims.size() > 1) return false;
        return true;
    };
    const auto output_type = [&] {
        auto it = types_.find(node.output(0));
        return it == types_.end() ? 0 : it->second.type;
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
    if (op == "Cast") {
        if (!all_known(1)) return std::nullopt;
        auto out = in[0]->values;
        if (output_type() == onnx::TensorProto::BOOL)
            for (auto& v : out) v = v != 0;
        else if (output_type() == onnx::TensorProto::INT32)
            for (auto v : out)
                if (v < INT32_MIN || v > INT32_MAX) return std::nullopt;
        return out;
    }
    if (op == "Identity" || op == "Squeeze" || op == "Unsqueeze" || op == "Reshape" ||
        op == "Flatten") {
        if (!all_known(1)) return std::nullopt;
        return in[0]->values;
    }
    if (op == "Concat") {
        if (!all_known(in.size())) return std::nullopt;
        std::vector<std::int64_t> out;
        for (const auto* v : in) {
            if (v->dims.size() > 1) return std::nullopt;
            out.insert(out.end(), v->values.begin(), v->values.end());
        }
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
    if (is_one_of(op, fold::binary_ops)) {
        if (!flat(2) || in.size() != 2) return std::nullopt;
        if (op == "Mod" && int_attribute(node, "fmod", 0) != 0) return std::nullopt;
        const auto n = fold::broadcast_size({&in[0]->values, &in[1]->values});
        if (!n) return std::nullopt;
        std::vector<std::int64_t> out(*n);
        for (std::size_t i = 0; i < out.size(); ++i) {
            const auto r = fold::binary(op, fold::at(in[0]->values, i), fold::at(in[1]->values, i));
            if (!r) return std::nullopt;
            out[i] = *r;
        }
        return out;
    }
    if (op == "Neg" || op == "Abs" || op == "Not" || op == "Sign") {
        if (!flat(1)) return std::nullopt;
        std::vector<std::int64_t> out;
        for (std::int64_t v : in[0]->values) {
            if (v == INT64_MIN && op != "Not" && op != "Sign") return std::nullopt;
            out.push_back(op == "Neg"   ? -v
                          : op == "Abs" ? (v < 0 ? -v : v)
                          : op == "Not" ? std::int64_t{v == 0}
                                        : (v > 0) - (v < 0));
        }
        return out;
    }
    if (op == "Where") {
        if (!flat(3) || in.size() != 3) return std::nullopt;
        const auto n = fold::broadcast_size({&in[0]->values, &in[1]->values, &in[2]->values});
        if (!n) return std::nullopt;
        std::vector<std::int64_t> out(*n);
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = fold::at(in[0]->values, i) ? fold::at(in[1]->values, i)
                                                : fold::at(in[2]->values, i);
        return out;
    }
    if (op == "ConstantOfShape") {
        // A tensor of one value; the output's size (its shape is the input's value) is checked
        // by the caller against inference.
        std::int64_t value = 0;
        if (const auto* a = find_attribute(node, "value"); a && a->has_t()) {
            const auto v = value_of(a->t());
            if (!v || v->values.size() != 1) return std::nullopt;
            value = v->values[0];
        }
        if (!flat(1)) return std::nullopt;
        double n = 1;
        for (std::int64_t d : in[0]->values) n *= static_cast<double>(std::max<std::int64_t>(d, 0));
        if (n > max_folded) return std::nullopt;
        return std::vector<std::int64_t>(static_cast<std::size_t>(n), value);
    }
    if (op == "Expand") {
        // A vector broadcast to the size its (1-D) target shape gives.
        if (!flat(2) || in[1]->values.size() > 1) return std::nullopt;
        const std::int64_t target = in[1]->values.empty() ? 1 : in[1]->values[0];
        const std::int64_t n = static_cast<std::int64_t>(in[0]->values.size());
        if (in[0]->dims.empty() && in[1]->values.empty()) return in[0]->values;
        if (n != 1 && target != 1 && target != n) return std::nullopt;
        const std::int64_t size = std::max(n, target);
        if (size > max_folded) return std::nullopt;
        std::vector<std::int64_t> out(static_cast<std::size_t>(size));
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = fold::at(in[0]->values, i);
        return out;
    }
    if (op == "Range") {
        if (!flat(3) || in[0]->values.size() != 1 || in[1]->values.size() != 1 ||
            in[2]->values.size() != 1)
            return std::nullopt;
        const std::int64_t start = in[0]->values[0], limit = in[1]->values[0],
                           delta = in[2]->values[0];
        if (delta == 0) return std::nullopt;
        std::vector<std::int64_t> out;
        for (std::int64_t v = start; delta > 0 ? v < limit : v > limit;) {
            if (out.size() >= static_cast<std::size_t>(max_folded)) return std::nullopt;
            out.push_back(v);
            if (__builtin_add_overflow(v, delta, &v)) break;
        }
        return out;
    }
    if (op == "ReduceProd" || op == "ReduceSum" || op == "ReduceMin" || op == "ReduceMax") {
        // Over the one axis of a vector (torch's flatten computes a size with ReduceProd).
        if (!flat(1) || in[0]->dims.size() != 1 || in.size() > 1) return std::nullopt;
        if (const auto* axes = find_attribute(node, "axes");
            axes && !(axes->ints_size() == 1 && (axes->ints(0) == 0 || axes->ints(0) == -1)))
            return std::nullopt;
        if (in[0]->values.empty()) return std::nullopt;
        std::int64_t r = in[0]->values[0];
        for (std::size_t i = 1; i < in[0]->values.size(); ++i) {
            const std::int64_t v = in[0]->values[i];
            if (op == "ReduceProd"  ? __builtin_mul_overflow(r, v, &r)
                : op == "ReduceSum" ? __builtin_add_overflow(r, v, &r)
                                    : false)
                return std::nullopt;
            if (op == "ReduceMin") r = std::min(r, v);
            if (op == "ReduceMax") r = std::max(r, v);
        }
        return std::vector<std::int64_t>{r};
    }
    if (op == "Slice") {
        // starts, ends, axes and steps as inputs (opset 10 on), over any rank: torch's Pad
        // reverses its [-1, 2] table of pads with a step of -1.
        if (!all_known(3) || in[0]->dims.empty()) return std::nullopt;
        for (std::size_t i = 3; i < in.size(); ++i)
            if (!in[i]) return std::nullopt;
        const shape& dims = in[0]->dims;
        const auto rank = static_cast<std::int64_t>(dims.size());
        const std::size_t count = in[1]->values.size();
        if (in[2]->values.size() != count || (in.size() > 3 && in[3]->values.size() != count) ||
            (in.size() > 4 && in[4]->values.size() != count))
            return std::nullopt;
        // The indices kept along each axis; all of them where no axis is sliced.
        std::vector<std::vector<std::int64_t>> kept(dims.size());
        for (std::size_t a = 0; a < dims.size(); ++a)
            for (std::int64_t i = 0; i < dims[a]; ++i) kept[a].push_back(i);
        std::vector<bool> sliced(dims.size(), false);
        for (std::size_t k = 0; k < count; ++k) {
            std::int64_t axis = in.size() > 3 ? in[3]->values[k] : static_cast<std::int64_t>(k);
            if (axis < 0) axis += rank;
            if (axis < 0 || axis >= rank || sliced[static_cast<std::size_t>(axis)])
                return std::nullopt;
            sliced[static_cast<std::size_t>(axis)] = true;
            const std::int64_t step = in.size() > 4 ? in[4]->values[k] : 1;
            if (step == 0) return std::nullopt;
            const std::int64_t n = dims[static_cast<std::size_t>(axis)];
            // ONNX's clamping: to [0, n] for a positive step, to [-1, n-1] for a negative one.
            const auto clamp = [&](std::int64_t v) {
                if (v < 0) v = v < -n ? (step > 0 ? 0 : -1) : v + n;
                return step > 0 ? std::min(v, n) : std::min(v, n - 1);
            };
            auto& along = kept[static_cast<std::size_t>(axis)];
            along.clear();
            for (std::int64_t i = clamp(in[1]->values[k]), end = clamp(in[2]->values[k]);
                 step > 0 ? i < end : i > end;) {
                along.push_back(i);
                if (__builtin_add_overflow(i, step, &i)) break;
            }
        }
        // Row-major walk over the kept indices.
        std::vector<std::int64_t> out;
        std::vector<std::size_t> at(dims.size(), 0);
        for (const auto& along : kept)
            if (along.empty()) return out;
        while (true) {
            std::size_t flat_index = 0;
            for (std::size_t a = 0; a < dims.size(); ++a)
                flat_index = flat_index * static_cast<std::size_t>(dims[a]) +
                             static_cast<std::size_t>(kept[a][at[a]]);
            out.push_back(in[0]->values[flat_index]);
            std::size_t a = dims.size();
            while (a > 0 && ++at[a - 1] == kept[a - 1].size()) at[--a] = 0;
            if (a == 0) return out;
        }
    }
    if (op == "Transpose") {
        // Any rank; the permutation defaults to reversing the axes.
        if (!all_known(1)) return std::nullopt;
        const shape& dims = in[0]->dims;
        std::vector<std::size_t> perm(dims.size());
        for (std::size_t a = 0; a < perm.size(); ++a) perm[a] = perm.size() - 1 - a;
        if (const auto* p = find_attribute(node, "perm"); p && p->ints_size() > 0) {
            if (static_cast<std::size_t>(p->ints_size()) != dims.size()) return std::nullopt;
            std::vector<bool> used(dims.size(), false);
            for (std::size_t a = 0; a < perm.size(); ++a) {
                const std::int64_t v = p->ints(static_cast<int>(a));
                if (v < 0 || v >= static_cast<std::int64_t>(dims.size()) ||
                    used[static_cast<std::size_t>(v)])
                    return std::nullopt;
                used[static_cast<std::size_t>(v)] = true;
                perm[a] = static_cast<std::size_t>(v);
            }
        }
        // Strides of the input, then a row-major walk over the output's axes.
        std::vector<std::size_t> stride(dims.size(), 1);
        for (std::size_t a = dims.size(); a-- > 1;)
            stride[a - 1] = stride[a] * static_cast<std::size_t>(dims[a]);
        std::vector<std::int64_t> out;
        out.reserve(in[0]->values.size());
        std::vector<std::size_t> at(dims.size(), 0);
        for (std::size_t e = 0; e < in[0]->values.size(); ++e) {
            std::size_t source = 0;
            for (std::size_t a = 0; a < dims.size(); ++a) source += at[a] * stride[perm[a]];
            out.push_back(in[0]->values[source]);
            for (std::size_t a = dims.size(); a-- > 0;) {
                if (++at[a] < static_cast<std::size_t>(dims[perm[a]])) break;
                at[a] = 0;
            }
        }
        return out;
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
        if (type == types_.end() || !type->second.dims ||
            elements(*type->second.dims) > max_folded || !folded_type(type->second.type))
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
        t.set_data_type(type->second.type);
        for (std::int64_t d : *type->second.dims) t.add_dims(d);
        for (std::int64_t v : *values) {
            if (type->second.type == onnx::TensorProto::INT64)
                t.add_int64_data(v);
            else if (v < INT32_MIN || v > INT32_MAX)
                break;
            else
                t.add_int32_data(static_cast<std::int32_t>(v));  // int32 and bool
        }
        if (t.int64_data_size() + t.int32_data_size() != static_cast<int>(values->size())) continue;
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
