#pragma once
/// \file onnx_inputs.hpp
/// The importer's first steps: the options checked, the initializers' bytes (checked against
/// their external-data files), which graph inputs carry data, and their shapes resolved.

#include <eosdnn/core/messages.hpp>
#include <eosdnn/io/detail/onnx_importer.hpp>
#include <eosdnn/io/limits.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <ios>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

namespace eosdnn::detail::onnx_import {

// Operators that pass a tensor on unchanged in meaning: reshaped, cast, broadcast.
inline constexpr std::array<std::string_view, 7> pass_through{
    "Identity", "Cast", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Expand"};

inline void importer::check_options() const {
    if (options_.batch_size && *options_.batch_size < 1)
        fail(error_kind::validation, "onnx_import_options::batch_size is " +
                                         std::to_string(*options_.batch_size) + " (must be >= 1)");
    for (const auto& [name, dims] : options_.input_shapes)
        for (std::int64_t d : dims)
            if (d < 1)
                fail(error_kind::validation, "onnx_import_options::input_shapes['" + name +
                                                 "'] = " + show_shape(dims) +
                                                 ": dimensions must be >= 1");
    for (const auto& [name, value] : options_.dim_values)
        if (value < 1)
            fail(error_kind::validation, "onnx_import_options::dim_values['" + name + "'] is " +
                                             std::to_string(value) + " (must be >= 1)");
}

inline void importer::read_initializers() {
    for (int index = 0; index < graph_->initializer_size(); ++index) {
        const onnx::TensorProto& t = graph_->initializer(index);
        const std::string what = "initializer '" + t.name() + "'";
        if (t.name().empty()) fail(error_kind::validation, "an initializer has no name");
        if (parameters_.count(t.name())) fail(error_kind::validation, what + " is defined twice");
        double count = 1;
        for (std::int64_t d : t.dims()) {
            if (d < 0)
                fail(error_kind::validation,
                     what + " has a negative dimension " + std::to_string(d));
            count *= static_cast<double>(d);
        }
        double bytes = count * static_cast<double>(element_bytes(t.data_type()));
        if (t.data_type() == onnx::TensorProto::STRING) {
            bytes = 0;
            for (const auto& s : t.string_data()) bytes += static_cast<double>(s.size());
        } else if (element_bytes(t.data_type()) == 0) {
            fail(error_kind::validation,
                 what + " has unknown element type " + std::to_string(t.data_type()));
        }
        const bool integer =
            t.data_type() == onnx::TensorProto::INT64 || t.data_type() == onnx::TensorProto::INT32;
        // Data inside the file cannot outgrow the file: dims whose product says more describe
        // values the model does not have (external data is checked against its file below).
        if (t.data_location() != onnx::TensorProto::EXTERNAL &&
            bytes > limits::max_onnx_inline_tensor_bytes)
            fail(error_kind::validation,
                 what + " has dims " + show_shape(shape(t.dims().begin(), t.dims().end())) + ", " +
                     format_number(bytes) + " bytes, more than an .onnx file can hold (" +
                     std::to_string(limits::max_onnx_file_bytes) +
                     " bytes; larger weights are external data)");
        std::string raw;
        if (t.data_location() == onnx::TensorProto::EXTERNAL)
            raw = check_external(t, what, bytes, integer && bytes <= 4096);
        else
            check_values(t, what, count,
                         static_cast<std::size_t>(index) < skipped_raw_.size()
                             ? skipped_raw_[static_cast<std::size_t>(index)]
                             : -1);
        if (integer && bytes <= 4096) {
            // Shapes, axes and indices: shape inference needs their values.
            onnx::TensorProto& copy = small_integers_.emplace_back(t);
            if (t.data_location() == onnx::TensorProto::EXTERNAL) {
                copy.clear_external_data();
                copy.set_data_location(onnx::TensorProto::DEFAULT);
                copy.set_raw_data(std::move(raw));
            }
        }
        // A literal (a shape, axes, an index: int64, at most max_folded elements) is part of the
        // graph's definition, as an attribute is, not a parameter (docs/onnx.md).
        const bool literal = t.data_type() == onnx::TensorProto::INT64 && count <= max_folded;
        parameters_[t.name()] = {literal ? 0.0 : bytes, false};
        types_[t.name()] = {t.data_type(), shape(t.dims().begin(), t.dims().end())};
        sources_[t.name()] = {t.name()};
    }
    // Shape inference and the folding of shape arithmetic read Constant values as they read
    // initializers: they are checked the same way.
    for (int i = 0; i < graph_->node_size(); ++i) {
        const onnx::NodeProto& node = graph_->node(i);
        if (!default_domain(node) || node.op_type() != "Constant") continue;
        const auto* a = find_attribute(node, "value");
        if (!a || !a->has_t()) continue;
        double count = 1;
        for (std::int64_t d : a->t().dims()) count *= static_cast<double>(d);
        if (count >= 0) check_values(a->t(), node_label(node, i) + ": its value", count);
    }
    // A sparse initializer holds its values and their indices.
    for (const auto& t : graph_->sparse_initializer()) {
        const auto& values = t.values();
        if (values.name().empty() || parameters_.count(values.name()))
            fail(error_kind::validation,
                 "sparse initializer '" + values.name() + "' has no name or is defined twice");
        double bytes = 0;
        for (const auto* part : {&values, &t.indices()}) {
            double count = 1;
            for (std::int64_t d : part->dims())
                count *= static_cast<double>(std::max<std::int64_t>(d, 0));
            bytes += count * static_cast<double>(element_bytes(part->data_type()));
        }
        shape dims;
        for (std::int64_t d : t.dims()) dims.push_back(std::max<std::int64_t>(d, 0));
        parameters_[values.name()] = {bytes, false};
        types_[values.name()] = {values.data_type(), dims};
        sources_[values.name()] = {values.name()};
    }
}

inline void importer::check_values(const onnx::TensorProto& t, const std::string& what,
                                   double count, std::int64_t skipped_raw) const {
    using T = onnx::TensorProto;
    const auto element_type = [&] {
        return T::DataType_IsValid(t.data_type())
                   ? T::DataType_Name(static_cast<T::DataType>(t.data_type()))
                   : "type " + std::to_string(t.data_type());
    };
    const auto whole = [](double v) {
        return v < 1e18 ? std::to_string(static_cast<long long>(v)) : format_number(v);
    };
    const std::string dims = show_shape(shape(t.dims().begin(), t.dims().end()));
    if (t.has_raw_data() || skipped_raw >= 0) {
        const double needed = count * static_cast<double>(element_bytes(t.data_type()));
        const std::int64_t held =
            t.has_raw_data() ? static_cast<std::int64_t>(t.raw_data().size()) : skipped_raw;
        if (t.data_type() != T::STRING && static_cast<double>(held) != needed)
            fail(error_kind::validation, what + ": raw_data holds " + std::to_string(held) +
                                             " bytes, but its dims " + dims + " of " +
                                             element_type() + " need " + whole(needed));
        return;
    }
    // The typed field of each element type (onnx.proto); complex numbers take two values each.
    double values = 0, per_element = 1;
    switch (t.data_type()) {
    case T::FLOAT: values = t.float_data_size(); break;
    case T::COMPLEX64:
        values = t.float_data_size();
        per_element = 2;
        break;
    case T::DOUBLE: values = t.double_data_size(); break;
    case T::COMPLEX128:
        values = t.double_data_size();
        per_element = 2;
        break;
    case T::INT64: values = t.int64_data_size(); break;
    case T::UINT32:
    case T::UINT64: values = t.uint64_data_size(); break;
    case T::STRING: values = t.string_data_size(); break;
    default: values = t.int32_data_size(); break;  // the smaller integers, bool, float16
    }
    // No values at all is a tensor described without them (the weights import_onnx(path) skips).
    if (values != 0 && values != count * per_element)
        fail(error_kind::validation, what + ": holds " + whole(values) + " values, but its dims " +
                                         dims + " of " + element_type() + " need " +
                                         whole(count * per_element));
}

inline std::string importer::check_external(const onnx::TensorProto& t, const std::string& what,
                                            double bytes, bool read) {
    std::string location;
    std::int64_t offset = 0;
    std::optional<std::int64_t> length;
    for (const auto& e : t.external_data()) {
        try {
            if (e.key() == "location")
                location = e.value();
            else if (e.key() == "offset")
                offset = std::stoll(e.value());
            else if (e.key() == "length")
                length = std::stoll(e.value());
        } catch (const std::exception&) {
            fail(error_kind::parse,
                 what + ": external data '" + e.key() + "' is '" + e.value() + "', not a number");
        }
    }
    if (location.empty()) fail(error_kind::parse, what + ": external data without a location");
    const std::filesystem::path relative(location);
    if (relative.is_absolute())
        fail(error_kind::validation, what + ": external data location '" + location +
                                         "' must be relative to the model file");
    if (length && static_cast<double>(*length) != bytes)
        fail(error_kind::validation, what + ": external data length " + std::to_string(*length) +
                                         " does not match its shape and type (" +
                                         std::to_string(static_cast<long long>(bytes)) + " bytes)");
    const std::filesystem::path file = external_dir_ / relative;
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (ec)
        fail(error_kind::io, what + ": cannot open its external data file '" + location + "' (" +
                                 ec.message() + ")");
    if (offset < 0 || static_cast<double>(offset) + bytes > static_cast<double>(size))
        fail(error_kind::validation, what + ": external data file '" + location + "' has " +
                                         std::to_string(size) + " bytes, too few for offset " +
                                         std::to_string(offset) + " + " +
                                         std::to_string(static_cast<long long>(bytes)) + " bytes");
    std::string raw;
    if (read) {
        std::ifstream in(file, std::ios::binary);
        raw.assign(static_cast<std::size_t>(bytes), '\0');
        in.seekg(offset);
        if (!in.read(raw.data(), static_cast<std::streamsize>(raw.size())))
            fail(error_kind::io, what + ": cannot read its external data file '" + location + "'");
    }
    return raw;
}

inline bool importer::reaches_first_input(const std::string& name,
                                          const input_evidence& evidence) const {
    static constexpr std::array<std::string_view, 3> lookups{"Gather", "GatherElements",
                                                             "GatherND"};
    // Operators whose operands play one role: position says nothing, the other operands do.
    static constexpr std::array<std::string_view, 11> symmetric{
        "Add", "Mul", "Sum", "Max", "Min", "Mean", "Equal", "And", "Or", "Xor", "Concat"};
    std::unordered_set<std::string> seen{name};
    std::vector<std::string> stack{name};  // not recursive: a chain may be very long
    while (!stack.empty()) {
        const std::string tensor = std::move(stack.back());
        stack.pop_back();
        // What the model gives back, unchanged or reshaped, is data (a model of one Identity).
        if (evidence.outputs.count(tensor)) return true;
        auto it = uses_.find(tensor);
        if (it == uses_.end()) continue;
        for (const auto& [index, position] : it->second) {
            const auto& node = graph_->node(index);
            const bool standard = default_domain(node);
            if (standard && is_one_of(node.op_type(), symmetric) && position >= 0) {
                // Added to, multiplied with or joined to a tensor computed from another input
                // (torch's Add(bias, MatMul(x, W)), a class token concatenated to the
                // patches): a weight. Combined with constants or with inputs themselves: data.
                bool weight = false;
                for (int k = 0; k < node.input_size(); ++k) {
                    if (k == position) continue;
                    auto from = evidence.computed_from.find(node.input(k));
                    if (from == evidence.computed_from.end() || !from->second.computed) continue;
                    for (const auto& source : from->second.inputs)
                        weight = weight || source != name;
                }
                if (!weight) return true;
                continue;
            }
            if (position != 0) continue;
            // A table looked up with indices computed from data (an embedding) is a weight.
            if (standard && is_one_of(node.op_type(), lookups) && node.input_size() > 1 &&
                evidence.indices.count(node.input(1)))
                continue;
            if (!standard || !is_one_of(node.op_type(), pass_through)) return true;
            for (const auto& out : node.output())
                if (!out.empty() && seen.insert(out).second) stack.push_back(out);
        }
    }
    return false;
}

inline void importer::classify_inputs() {
    std::set<std::string> listed(options_.data_inputs.begin(), options_.data_inputs.end());
    std::set<std::string> graph_inputs;
    for (const auto& in : graph_->input()) graph_inputs.insert(in.name());
    for (const std::string& name : listed)
        if (!graph_inputs.count(name) || parameters_.count(name))
            fail(error_kind::validation,
                 "onnx_import_options::data_inputs names '" + name +
                     "', which is not a graph input without an initializer");
    // Integer and boolean inputs carry data (token ids, masks): no weight has these types but
    // quantized ones, which are int8. What is computed from them indexes tables.
    const auto index_type = [](const onnx::ValueInfoProto& v) {
        const std::int32_t t = v.type().has_tensor_type() ? v.type().tensor_type().elem_type() : 0;
        return t == onnx::TensorProto::INT64 || t == onnx::TensorProto::INT32 ||
               t == onnx::TensorProto::BOOL;
    };
    input_evidence evidence;
    for (const auto& out : graph_->output()) evidence.outputs.insert(out.name());
    std::vector<std::string> stack;
    for (const auto& in : graph_->input())
        if (!parameters_.count(in.name()) && index_type(in) &&
            evidence.indices.insert(in.name()).second)
            stack.push_back(in.name());
    while (!stack.empty()) {
        const std::string tensor = std::move(stack.back());
        stack.pop_back();
        if (auto it = uses_.find(tensor); it != uses_.end())
            for (const auto& use : it->second)
                for (const auto& out : graph_->node(use.first).output())
                    if (!out.empty() && evidence.indices.insert(out).second) stack.push_back(out);
    }
    // Which graph inputs (without initializer) each node output is computed from (two at
    // most: enough to tell whether it depends on an input other than a given one), and whether
    // some operator on the way computes (not only reshapes, casts or expands).
    for (const auto& in : graph_->input())
        if (!parameters_.count(in.name())) evidence.computed_from[in.name()] = {{in.name()}, false};
    for (int i : order_) {
        const auto& node = graph_->node(i);
        input_evidence::origin origin{
            {}, !default_domain(node) || !is_one_of(node.op_type(), pass_through)};
        for (const auto* list : {&nodes_[static_cast<std::size_t>(i)].inputs,
                                 &nodes_[static_cast<std::size_t>(i)].implicit})
            for (const auto& in : *list) {
                auto it = evidence.computed_from.find(in);
                if (it == evidence.computed_from.end()) continue;
                origin.computed = origin.computed || it->second.computed;
                for (const auto& source : it->second.inputs)
                    if (origin.inputs.size() < 2 &&
                        std::find(origin.inputs.begin(), origin.inputs.end(), source) ==
                            origin.inputs.end())
                        origin.inputs.push_back(source);
            }
        if (origin.inputs.empty()) continue;
        for (const auto& out : node.output())
            if (!out.empty()) evidence.computed_from[out] = origin;
    }
    for (int i = 0; i < graph_->input_size(); ++i) {
        const auto& in = graph_->input(i);
        if (parameters_.count(in.name())) continue;  // a default value: an initializer
        const bool data = listed.empty()
                              ? index_type(in) || reaches_first_input(in.name(), evidence)
                              : listed.count(in.name()) > 0;
        if (data) {
            data_inputs_.push_back(i);
            continue;
        }
        if (!uses_.count(in.name())) continue;  // read by nothing: neither data nor weight
        const tensor_info info = info_of(in.type());
        if (!info.dims)
            fail(error_kind::validation,
                 "weight input '" + in.name() +
                     "' has no static shape, so its bytes are unknown "
                     "(list it in onnx_import_options::data_inputs if it is data)");
        parameters_[in.name()] = {
            elements(*info.dims) * static_cast<double>(element_bytes(info.type)), false};
        types_[in.name()] = info;
        sources_[in.name()] = {in.name()};
    }
    if (data_inputs_.empty()) {
        std::unordered_set<std::string> initializers;
        for (const auto& t : graph_->initializer()) initializers.insert(t.name());
        std::string weights;
        int count = 0;
        for (const auto& in : graph_->input()) {
            if (initializers.count(in.name())) continue;
            ++count;
            weights += (weights.empty() ? "'" : ", '") + in.name() + "'";
        }
        fail(error_kind::validation,
             "no graph input carries data: " +
                 (count == 0 ? std::string("the graph has no input besides its initializers")
                             : (count == 1 ? "input " + weights + " reaches"
                                           : "inputs " + weights + " reach") +
                                   " nodes only in other positions than the first, as weights "
                                   "do, and no graph output") +
                 " (name the data inputs in onnx_import_options::data_inputs)");
    }
    for (const auto& entry : options_.input_shapes) {
        // Not a structured binding: clang before 16 cannot capture one in a lambda.
        const std::string& name = entry.first;
        const bool found = std::any_of(data_inputs_.begin(), data_inputs_.end(),
                                       [&](int i) { return graph_->input(i).name() == name; });
        if (!found)
            fail(error_kind::validation, "onnx_import_options::input_shapes names '" + name +
                                             "', which is not a data input of the model");
    }
    // A size for a dimension the model does not name (a typo: "btach") would otherwise be
    // ignored without a word, as an unknown input name is not.
    std::set<std::string> named;
    for (int i : data_inputs_) {
        const auto& type = graph_->input(i).type();
        if (!type.has_tensor_type() || !type.tensor_type().has_shape()) continue;
        for (const auto& d : type.tensor_type().shape().dim())
            if (d.has_dim_param() && !d.dim_param().empty()) named.insert(d.dim_param());
    }
    for (const auto& entry : options_.dim_values) {
        if (named.count(entry.first)) continue;
        std::string list;
        for (const auto& n : named) list += (list.empty() ? "'" : ", '") + n + "'";
        fail(error_kind::validation,
             "onnx_import_options::dim_values names '" + entry.first +
                 "', which is not a symbolic dimension of the model's data inputs (" +
                 (named.empty() ? std::string("they have none") : "they have " + list) + ")");
    }
}

inline void importer::resolve_input_shapes() {
    for (std::size_t k = 0; k < data_inputs_.size(); ++k) {
        auto* in = shapes_.mutable_graph()->mutable_input(data_inputs_[k]);
        if (!in->type().has_tensor_type())
            fail(error_kind::validation, "data input '" + in->name() + "' is not a tensor");
        auto* t = in->mutable_type()->mutable_tensor_type();
        if (auto it = options_.input_shapes.find(in->name()); it != options_.input_shapes.end()) {
            t->clear_shape();
            auto* s = t->mutable_shape();
            for (std::int64_t d : it->second) s->add_dim()->set_dim_value(d);
        }
        if (!t->has_shape())
            fail(error_kind::validation,
                 "data input '" + in->name() +
                     "' has no shape; give it in onnx_import_options::input_shapes");
        auto* dims = t->mutable_shape()->mutable_dim();
        for (int d = 0; d < dims->size(); ++d) {
            auto* dim = dims->Mutable(d);
            if (d == 0 && options_.batch_size) {
                dim->set_dim_value(*options_.batch_size);
                continue;
            }
            if (dim->has_dim_value() && dim->dim_value() >= 1) continue;
            if (dim->has_dim_param())
                if (auto v = options_.dim_values.find(dim->dim_param());
                    v != options_.dim_values.end()) {
                    dim->set_dim_value(v->second);
                    continue;
                }
            if (d == 0 && !dim->has_dim_value()) {
                dim->set_dim_value(1);  // an unnamed or symbolic batch: one sample
                continue;
            }
            fail(error_kind::validation,
                 "data input '" + in->name() + "' dimension " + std::to_string(d) +
                     (dim->has_dim_param() ? " ('" + dim->dim_param() + "')" : std::string()) +
                     " is " +
                     (dim->has_dim_value() ? std::to_string(dim->dim_value()) : "not fixed") +
                     "; give its size in onnx_import_options::input_shapes or dim_values "
                     "(eosdnn-plan: --input-shape NAME=D1xD2x... or --dim NAME=VALUE)");
        }
        const tensor_info info = info_of(in->type());
        types_[in->name()] = info;
        if (k == 0) batch_ = info.dims->empty() ? 1 : info.dims->front();
    }
}

}  // namespace eosdnn::detail::onnx_import
