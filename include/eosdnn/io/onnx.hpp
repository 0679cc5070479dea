#pragma once
/// \file onnx.hpp
/// Imports an ONNX model (a `.onnx` file, with or without external-data files) as a layer_graph:
/// one layer per compute node, output bytes from ONNX shape inference, parameter bytes from the
/// initializers (or from the weight inputs of a model exported without parameters), MACs and
/// FLOPs per operator. Part of the optional `eosdnn::onnx` component, which links the ONNX and
/// protobuf libraries; the rest of eosdnn does not need them. docs/onnx.md describes the rules.
///
///     eosdnn::onnx_import_result r = eosdnn::import_onnx("resnet50.onnx");
///     for (const std::string& w : r.warnings) std::cerr << w << '\n';
///     eosdnn::layer_graph g = std::move(r.graph);

#include <eosdnn/error.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/graph/layer.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/graph/merge_parameter_free.hpp>
#include <eosdnn/io/detail/onnx_costs.hpp>
#include <eosdnn/io/detail/onnx_read.hpp>

#include <onnx/defs/schema.h>
#include <onnx/defs/shape_inference.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace eosdnn {

/// How import_onnx() reads a model. An aggregate: set fields with designated initializers.
struct onnx_import_options {
    /// Merge parameter-free layers (ReLU, pooling, element-wise operations, reshapes, ...) into
    /// the compute layer before them, with merge_parameter_free(): the planner's granularity.
    bool fold_parameter_free = false;
    /// The batch one query runs: replaces the first dimension of every data input, symbolic or
    /// fixed. Unset: a symbolic first dimension becomes 1 and a fixed one stays.
    std::optional<std::int64_t> batch_size{};
    /// Complete shapes of data inputs, by input name, replacing what the file declares (for
    /// dynamic dimensions other than the batch). Applied before batch_size.
    std::map<std::string, std::vector<std::int64_t>> input_shapes{};
    /// Values of symbolic dimensions by their name in the file (`"sequence": 128`).
    std::map<std::string, std::int64_t> dim_values{};
    /// Names of the graph inputs that carry data. Empty: every graph input that is not an
    /// initializer and that reaches some node as its first input (through Identity, Cast,
    /// Reshape, ...) is data, the others are weights (see docs/onnx.md).
    std::vector<std::string> data_inputs{};
    /// Name of the graph; empty: the file's stem (import_onnx(path)) or the source name's.
    std::string model_name{};
};

/// What import_onnx() returns: the graph and what the import had to leave out or guess.
struct onnx_import_result {
    /// The imported model: one layer per compute node (per group of nodes with
    /// fold_parameter_free), plus the input layer and, if needed, a synthetic output layer.
    layer_graph graph;
    /// Per layer of `graph`: the names of the ONNX nodes it runs, in topological order (empty
    /// for the input layer and for a synthetic output layer).
    std::vector<std::vector<std::string>> layer_nodes{};
    /// Operator types whose cost is unknown ("Einsum", "com.example.MyOp"), each once, in the
    /// order they first appear. Their nodes are layers with zero MACs and FLOPs.
    std::vector<std::string> unknown_ops{};
    /// Messages for the caller to show: one listing every unknown operator, one listing nodes
    /// that reach no graph output (dropped). Empty when nothing was left out.
    std::vector<std::string> warnings{};
    /// The batch the figures are for: every layer's MACs, FLOPs and output bytes cover one run
    /// of the graph at this batch size; parameter bytes do not depend on it.
    std::int64_t batch_size = 1;
};

namespace detail::onnx_import {

/// Bytes of one element of an ONNX tensor type; 0 for types without a fixed size (string) or
/// unknown ones.
inline std::size_t element_bytes(std::int32_t type) {
    using T = onnx::TensorProto;
    switch (type) {
    case T::FLOAT: case T::INT32: case T::UINT32: return 4;
    case T::UINT8: case T::INT8: case T::BOOL: return 1;
    case T::UINT16: case T::INT16: case T::FLOAT16: case T::BFLOAT16: return 2;
    case T::INT64: case T::UINT64: case T::DOUBLE: case T::COMPLEX64: return 8;
    case T::COMPLEX128: return 16;
    default: return 0;
    }
}

/// A tensor's static description: element type and shape, if every dimension is known.
struct tensor_info {
    std::int32_t type = 0;
    std::optional<shape> dims{};
};

inline tensor_info info_of(const onnx::TypeProto& type) {
    tensor_info info;
    if (!type.has_tensor_type()) return info;
    const auto& t = type.tensor_type();
    info.type = t.elem_type();
    if (!t.has_shape()) return info;
    shape dims;
    for (const auto& d : t.shape().dim()) {
        if (!d.has_dim_value() || d.dim_value() < 0) return info;
        dims.push_back(d.dim_value());
    }
    info.dims = std::move(dims);
    return info;
}

inline std::string show_shape(const shape& s) {
    std::string text = "[";
    for (std::size_t i = 0; i < s.size(); ++i) text += (i ? "," : "") + std::to_string(s[i]);
    return text + "]";
}

/// The importer of one model; `source_` is what messages start with (the file name).
class importer {
public:
    importer(const onnx::ModelProto& model, const onnx_import_options& options, std::string source,
             std::filesystem::path external_dir)
        : model_(model), options_(options), source_(std::move(source)),
          external_dir_(std::move(external_dir)) {}

    onnx_import_result run() {
        check_options();
        if (!model_.has_graph() || model_.graph().node_size() == 0)
            fail(error_kind::parse, "the model has no graph or its graph has no node");
        graph_ = &model_.graph();
        read_initializers();
        order_nodes();
        classify_inputs();
        make_shape_model();
        resolve_input_shapes();
        infer_shapes();
        classify_tensors();
        return build();
    }

private:
    struct node_info {
        int index = 0;                      // position in the file's node list
        std::vector<std::string> inputs;    // explicit inputs ("" for an absent optional one)
        std::vector<std::string> implicit;  // outer-scope tensors read by a subgraph
        bool data = false;                  // depends on a data input: a layer
        bool live = false;                  // reaches a graph output
    };
    // A tensor that holds parameters: an initializer, a weight input, a Constant's value.
    struct parameter {
        double bytes = 0;
        bool charged = false;
    };

    [[noreturn]] void fail(error_kind kind, const std::string& what) const {
        throw error(kind, source_ + ": " + what);
    }

    std::string node_label(const onnx::NodeProto& node, int index) const {
        return "node '" + (node.name().empty() ? "#" + std::to_string(index) : node.name()) +
               "' (" + op_name(node) + ")";
    }

    static std::string op_name(const onnx::NodeProto& node) {
        const std::string& d = node.domain();
        return d.empty() || d == "ai.onnx" ? node.op_type() : d + "." + node.op_type();
    }

    static bool default_domain(const onnx::NodeProto& node) {
        return node.domain().empty() || node.domain() == "ai.onnx";
    }

    void check_options() const {
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

    // Bytes of every initializer, checked against its external-data file when it has one.
    void read_initializers() {
        for (const auto& t : graph_->initializer()) {
            const std::string what = "initializer '" + t.name() + "'";
            if (t.name().empty()) fail(error_kind::validation, "an initializer has no name");
            if (parameters_.count(t.name()))
                fail(error_kind::validation, what + " is defined twice");
            double count = 1;
            for (std::int64_t d : t.dims()) {
                if (d < 0) fail(error_kind::validation, what + " has a negative dimension " + std::to_string(d));
                count *= static_cast<double>(d);
            }
            double bytes = count * static_cast<double>(element_bytes(t.data_type()));
            if (t.data_type() == onnx::TensorProto::STRING) {
                bytes = 0;
                for (const auto& s : t.string_data()) bytes += static_cast<double>(s.size());
            } else if (element_bytes(t.data_type()) == 0) {
                fail(error_kind::validation, what + " has unknown element type " + std::to_string(t.data_type()));
            }
            const bool integer = t.data_type() == onnx::TensorProto::INT64 ||
                                 t.data_type() == onnx::TensorProto::INT32;
            std::string raw;
            if (t.data_location() == onnx::TensorProto::EXTERNAL) raw = check_external(t, what, bytes, integer && bytes <= 4096);
            if (integer && bytes <= 4096) {
                // Shapes, axes and indices: shape inference needs their values.
                onnx::TensorProto& copy = small_integers_.emplace_back(t);
                if (t.data_location() == onnx::TensorProto::EXTERNAL) {
                    copy.clear_external_data();
                    copy.set_data_location(onnx::TensorProto::DEFAULT);
                    copy.set_raw_data(std::move(raw));
                }
            }
            parameters_[t.name()] = {bytes, false};
            types_[t.name()] = {t.data_type(), shape(t.dims().begin(), t.dims().end())};
            sources_[t.name()] = {t.name()};
        }
        // A sparse initializer holds its values and their indices.
        for (const auto& t : graph_->sparse_initializer()) {
            const auto& values = t.values();
            if (values.name().empty() || parameters_.count(values.name()))
                fail(error_kind::validation, "sparse initializer '" + values.name() + "' has no name or is defined twice");
            double bytes = 0;
            for (const auto* part : {&values, &t.indices()}) {
                double count = 1;
                for (std::int64_t d : part->dims()) count *= static_cast<double>(std::max<std::int64_t>(d, 0));
                bytes += count * static_cast<double>(element_bytes(part->data_type()));
            }
            shape dims;
            for (std::int64_t d : t.dims()) dims.push_back(std::max<std::int64_t>(d, 0));
            parameters_[values.name()] = {bytes, false};
            types_[values.name()] = {values.data_type(), dims};
            sources_[values.name()] = {values.name()};
        }
    }

    // The external file must exist and hold the tensor. Returns its bytes when `read` (small
    // integer tensors, whose values shape inference needs); weights are never read.
    std::string check_external(const onnx::TensorProto& t, const std::string& what, double bytes, bool read) {
        std::string location;
        std::int64_t offset = 0;
        std::optional<std::int64_t> length;
        for (const auto& e : t.external_data()) {
            try {
                if (e.key() == "location") location = e.value();
                else if (e.key() == "offset") offset = std::stoll(e.value());
                else if (e.key() == "length") length = std::stoll(e.value());
            } catch (const std::exception&) {
                fail(error_kind::parse, what + ": external data '" + e.key() + "' is '" + e.value() +
                                            "', not a number");
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
            fail(error_kind::io, what + ": cannot open its external data file '" + location +
                                     "' (" + ec.message() + ")");
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

    // Each use of a tensor, following operators that pass a tensor through unchanged in
    // meaning, reaches a node at its first input (data) or only elsewhere (a weight).
    bool reaches_first_input(const std::string& name) const {
        static constexpr std::array<std::string_view, 6> pass{"Identity", "Cast", "Reshape",
                                                              "Transpose", "Squeeze", "Unsqueeze"};
        std::unordered_set<std::string> seen{name};
        std::vector<std::string> stack{name};  // not recursive: a chain may be very long
        while (!stack.empty()) {
            const std::string tensor = std::move(stack.back());
            stack.pop_back();
            auto it = uses_.find(tensor);
            if (it == uses_.end()) continue;
            for (const auto& [index, position] : it->second) {
                if (position != 0) continue;
                const auto& node = graph_->node(index);
                if (!default_domain(node) || !is_one_of(node.op_type(), pass)) return true;
                for (const auto& out : node.output())
                    if (!out.empty() && seen.insert(out).second) stack.push_back(out);
            }
        }
        return false;
    }

    void classify_inputs() {
        std::set<std::string> listed(options_.data_inputs.begin(), options_.data_inputs.end());
        std::set<std::string> graph_inputs;
        for (const auto& in : graph_->input()) graph_inputs.insert(in.name());
        for (const std::string& name : listed)
            if (!graph_inputs.count(name) || parameters_.count(name))
                fail(error_kind::validation, "onnx_import_options::data_inputs names '" + name +
                                                 "', which is not a graph input without an initializer");
        for (int i = 0; i < graph_->input_size(); ++i) {
            const auto& in = graph_->input(i);
            if (parameters_.count(in.name())) continue;  // a default value: an initializer
            const bool data = listed.empty() ? reaches_first_input(in.name()) : listed.count(in.name()) > 0;
            if (data) {
                data_inputs_.push_back(i);
                continue;
            }
            if (!uses_.count(in.name())) continue;  // read by nothing: neither data nor weight
            const tensor_info info = info_of(in.type());
            if (!info.dims)
                fail(error_kind::validation, "weight input '" + in.name() +
                                                 "' has no static shape, so its bytes are unknown "
                                                 "(list it in onnx_import_options::data_inputs if it is data)");
            parameters_[in.name()] = {elements(*info.dims) * static_cast<double>(element_bytes(info.type)), false};
            types_[in.name()] = info;
            sources_[in.name()] = {in.name()};
        }
        if (data_inputs_.empty())
            fail(error_kind::validation, "no graph input carries data: every input is an initializer or "
                                         "a weight (name the data inputs in onnx_import_options::data_inputs)");
        for (const auto& entry : options_.input_shapes) {
            // Not a structured binding: clang before 16 cannot capture one in a lambda.
            const std::string& name = entry.first;
            const bool found = std::any_of(data_inputs_.begin(), data_inputs_.end(),
                                           [&](int i) { return graph_->input(i).name() == name; });
            if (!found)
                fail(error_kind::validation, "onnx_import_options::input_shapes names '" + name +
                                                 "', which is not a data input of the model");
        }
    }

    // Replaces symbolic or overridden dimensions of the data inputs in the model itself, so that
    // shape inference propagates them.
    void resolve_input_shapes() {
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
                fail(error_kind::validation, "data input '" + in->name() +
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
                    if (auto v = options_.dim_values.find(dim->dim_param()); v != options_.dim_values.end()) {
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
                         " is " + (dim->has_dim_value() ? std::to_string(dim->dim_value()) : "not fixed") +
                         "; give its size in onnx_import_options::input_shapes or dim_values");
            }
            const tensor_info info = info_of(in->type());
            types_[in->name()] = info;
            if (k == 0) batch_ = info.dims->empty() ? 1 : info.dims->front();
        }
    }

    // The model shape inference runs on: the file's structure with the weights' values left out
    // (only their types and dimensions), so that a 550 MB model is not copied, and so that
    // inference can be rerun after folding shape arithmetic. The file's value_info and output
    // shapes are set aside: they may hold dimensions the options change; they serve only where
    // inference finds nothing (operators without a schema).
    void make_shape_model() {
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

    bool has_schema(const onnx::NodeProto& node) const {
        const std::string domain = default_domain(node) ? std::string() : node.domain();
        int version = -1;
        for (const auto& o : model_.opset_import())
            if ((o.domain() == "ai.onnx" ? std::string() : o.domain()) == domain) version = static_cast<int>(o.version());
        if (version < 0) return false;
        return onnx::OpSchemaRegistry::Schema(node.op_type(), version, domain) != nullptr;
    }

    // ONNX shape inference, strict (a node whose inputs contradict its operator is an error),
    // with ONNX's data propagation. Exporters also compute shapes with arithmetic that ONNX does
    // not propagate (Shape -> Gather -> Div -> Slice in torch's attention): such integer
    // subgraphs are folded into constants and inference runs again, until nothing folds.
    void infer_shapes() {
        for (int round = 0; round < 16; ++round) {
            try {
                onnx::shape_inference::InferShapes(shapes_, onnx::OpSchemaRegistry::Instance(),
                                                   onnx::ShapeInferenceOptions(false, 1, true));
            } catch (const std::exception& e) {
                fail(error_kind::validation, std::string("ONNX shape inference failed: ") + e.what());
            }
            for (const auto& v : shapes_.graph().value_info()) types_[v.name()] = info_of(v.type());
            for (const auto& v : shapes_.graph().output())
                if (auto info = info_of(v.type()); info.dims || !types_.count(v.name())) types_[v.name()] = info;
            if (!fold_shape_arithmetic()) break;
        }
        for (auto& [name, info] : declared_) {
            auto it = types_.find(name);
            if (it == types_.end() || !it->second.dims) types_[name] = info;
        }
    }

    // A small integer tensor whose values are known.
    struct known_value {
        shape dims;
        std::vector<std::int64_t> values;
    };

    static std::optional<known_value> value_of(const onnx::TensorProto& t) {
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

    // Evaluates one integer operator of shape arithmetic, if its inputs are known.
    std::optional<std::vector<std::int64_t>> evaluate(const onnx::NodeProto& node,
                                                      const std::vector<const known_value*>& in) const {
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
            const auto clamp = [&](std::int64_t v) { return std::clamp(v < 0 ? v + rank : v, std::int64_t{0}, rank); };
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
        if (op == "Identity" || op == "Cast" || op == "Squeeze" || op == "Unsqueeze" || op == "Reshape") {
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
            if (!all_known(2) || in[0]->dims.size() > 1 || int_attribute(node, "axis", 0) != 0) return std::nullopt;
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
                if (op == "Add" ? __builtin_add_overflow(x, y, &r)
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
            if (in.size() > 4 && (in[4]->values.size() != 1 || in[4]->values[0] != 1)) return std::nullopt;
            const auto n = static_cast<std::int64_t>(in[0]->values.size());
            if (in[1]->values.size() != 1 || in[2]->values.size() != 1) return std::nullopt;
            const auto clamp = [&](std::int64_t v) { return std::clamp(v < 0 ? v + n : v, std::int64_t{0}, n); };
            const std::int64_t start = clamp(in[1]->values[0]), end = clamp(in[2]->values[0]);
            if (start >= end) return std::vector<std::int64_t>{};
            return std::vector<std::int64_t>(in[0]->values.begin() + start, in[0]->values.begin() + end);
        }
        return std::nullopt;
    }

    // Replaces each node of integer shape arithmetic whose value is now computable by a Constant
    // in the shape model. Returns whether anything changed.
    bool fold_shape_arithmetic() {
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
            if (type == types_.end() || !type->second.dims || elements(*type->second.dims) > 64) continue;
            if (type->second.type != onnx::TensorProto::INT64 && type->second.type != onnx::TensorProto::INT32) continue;
            std::vector<const known_value*> inputs;
            for (const auto& i : node.input()) {
                auto it = known.find(i);
                inputs.push_back(it == known.end() ? nullptr : &it->second);
            }
            auto values = evaluate(node, inputs);
            if (!values || values->size() != static_cast<std::size_t>(elements(*type->second.dims))) continue;
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

    // Collects the tensors a subgraph reads from the enclosing scopes.
    static void outer_reads(const onnx::GraphProto& g, std::set<std::string>& reads) {
        std::set<std::string> local;
        for (const auto& i : g.input()) local.insert(i.name());
        for (const auto& i : g.initializer()) local.insert(i.name());
        for (const auto& n : g.node())
            for (const auto& o : n.output()) local.insert(o);
        for (const auto& n : g.node()) {
            for (const auto& i : n.input())
                if (!i.empty() && !local.count(i)) reads.insert(i);
            for (const auto& a : n.attribute()) {
                std::set<std::string> inner;
                if (a.has_g()) outer_reads(a.g(), inner);
                for (const auto& sg : a.graphs()) outer_reads(sg, inner);
                for (const auto& i : inner)
                    if (!local.count(i)) reads.insert(i);
            }
        }
        for (const auto& o : g.output())
            if (!local.count(o.name())) reads.insert(o.name());
    }

    // Checks that every input is defined and orders the nodes topologically (the file's order
    // when it already is one, as ONNX requires).
    void order_nodes() {
        const int n = graph_->node_size();
        nodes_.resize(static_cast<std::size_t>(n));
        std::unordered_set<std::string> defined;
        for (const auto& in : graph_->input()) defined.insert(in.name());
        for (const auto& [name, p] : parameters_) defined.insert(name);
        for (int i = 0; i < n; ++i) {
            const auto& node = graph_->node(i);
            for (const auto& out : node.output()) {
                if (out.empty()) continue;
                if (defined.count(out) && !producer_.count(out))
                    fail(error_kind::validation, node_label(node, i) + ": output '" + out +
                                                     "' is also a graph input or initializer");
                if (auto it = producer_.find(out); it != producer_.end())
                    fail(error_kind::validation, node_label(node, i) + ": output '" + out +
                                                     "' is also produced by " +
                                                     node_label(graph_->node(it->second), it->second));
                producer_[out] = i;
            }
        }
        for (const auto& [out, i] : producer_) defined.insert(out);
        std::vector<std::vector<int>> consumers(static_cast<std::size_t>(n));
        std::vector<int> waiting(static_cast<std::size_t>(n), 0);
        for (int i = 0; i < n; ++i) {
            const auto& node = graph_->node(i);
            node_info& info = nodes_[static_cast<std::size_t>(i)];
            info.index = i;
            info.inputs.assign(node.input().begin(), node.input().end());
            std::set<std::string> inner;
            for (const auto& a : node.attribute()) {
                if (a.has_g()) outer_reads(a.g(), inner);
                for (const auto& g : a.graphs()) outer_reads(g, inner);
            }
            info.implicit.assign(inner.begin(), inner.end());
            for (int k = 0; k < node.input_size(); ++k)
                if (!node.input(k).empty()) uses_[node.input(k)].emplace_back(i, k);
            for (const auto& in : info.implicit) uses_[in].emplace_back(i, -1);
            std::set<int> producers;
            for (const auto* list : {&info.inputs, &info.implicit})
                for (const auto& in : *list) {
                    if (in.empty()) continue;
                    if (!defined.count(in))
                        fail(error_kind::validation,
                             node_label(node, i) + ": input '" + in +
                                 "' is not a graph input, an initializer or the output of any node");
                    if (auto it = producer_.find(in); it != producer_.end()) producers.insert(it->second);
                }
            for (int p : producers) {
                if (p == i) fail(error_kind::validation, node_label(node, i) + " consumes its own output");
                consumers[static_cast<std::size_t>(p)].push_back(i);
            }
            waiting[static_cast<std::size_t>(i)] = static_cast<int>(producers.size());
        }
        std::priority_queue<int, std::vector<int>, std::greater<>> ready;
        for (int i = 0; i < n; ++i)
            if (waiting[static_cast<std::size_t>(i)] == 0) ready.push(i);
        while (!ready.empty()) {
            const int i = ready.top();
            ready.pop();
            order_.push_back(i);
            for (int c : consumers[static_cast<std::size_t>(i)])
                if (--waiting[static_cast<std::size_t>(c)] == 0) ready.push(c);
        }
        if (order_.size() != static_cast<std::size_t>(n)) {
            for (int i = 0; i < n; ++i)
                if (waiting[static_cast<std::size_t>(i)] > 0)
                    fail(error_kind::validation, node_label(graph_->node(i), i) +
                                                     " is on a cycle: the graph is not acyclic");
        }
    }

    // Data tensors depend on a data input; constant ones (initializers, weights, Constant
    // values, what is computed from them alone, the shape of a static tensor) do not, and their
    // nodes are no layers: their parameters are charged to the layers that read them.
    void classify_tensors() {
        for (int k : data_inputs_) data_.insert(graph_->input(k).name());
        for (int i : order_) {
            const auto& node = graph_->node(i);
            node_info& info = nodes_[static_cast<std::size_t>(i)];
            bool data = false;
            std::set<std::string> sources;
            for (const auto* list : {&info.inputs, &info.implicit})
                for (const auto& in : *list) {
                    if (in.empty()) continue;
                    if (data_.count(in)) data = true;
                    if (auto it = sources_.find(in); it != sources_.end())
                        sources.insert(it->second.begin(), it->second.end());
                }
            const bool static_shape_query =
                default_domain(node) && (node.op_type() == "Shape" || node.op_type() == "Size") &&
                node.input_size() > 0 && types_.count(node.input(0)) && types_[node.input(0)].dims;
            if (static_shape_query) {
                data = false;
                sources.clear();
            }
            if (default_domain(node) && node.op_type() == "Constant") {
                const std::string value_name = node.output_size() ? node.output(0) : std::string();
                double bytes = 0;
                if (const auto* a = find_attribute(node, "value"); a && a->has_t()) {
                    double count = 1;
                    for (std::int64_t d : a->t().dims()) {
                        if (d < 0)
                            fail(error_kind::validation, node_label(node, i) + ": its value has a negative dimension " +
                                                             std::to_string(d));
                        count *= static_cast<double>(d);
                    }
                    bytes = count * static_cast<double>(element_bytes(a->t().data_type()));
                }
                if (!value_name.empty()) {
                    parameters_[value_name] = {bytes, false};
                    sources.insert(value_name);
                }
            }
            info.data = data;
            for (const auto& out : node.output()) {
                if (out.empty()) continue;
                if (data) {
                    data_.insert(out);
                } else {
                    sources_[out] = sources;
                }
            }
        }
        // Live: reaches a data graph output, walking producers backwards.
        std::vector<std::string> stack;
        for (const auto& out : graph_->output())
            if (data_.count(out.name())) stack.push_back(out.name());
        if (stack.empty())
            fail(error_kind::validation, "no graph output depends on the data inputs");
        std::unordered_set<std::string> seen;
        while (!stack.empty()) {
            const std::string name = std::move(stack.back());
            stack.pop_back();
            if (!seen.insert(name).second) continue;
            auto it = producer_.find(name);
            if (it == producer_.end()) continue;
            node_info& info = nodes_[static_cast<std::size_t>(it->second)];
            if (!info.data || info.live) continue;
            info.live = true;
            for (const auto* list : {&info.inputs, &info.implicit})
                for (const auto& in : *list)
                    if (!in.empty() && data_.count(in)) stack.push_back(in);
        }
    }

    double tensor_bytes(const std::string& name, const std::string& owner) const {
        auto it = types_.find(name);
        if (it == types_.end() || !it->second.dims)
            fail(error_kind::validation, owner + ": output '" + name +
                                             "' has no static shape after shape inference (give the "
                                             "input shapes in onnx_import_options)");
        const std::size_t size = element_bytes(it->second.type);
        if (size == 0)
            fail(error_kind::validation, owner + ": output '" + name + "' has element type " +
                                             std::to_string(it->second.type) + ", which has no fixed size");
        return elements(*it->second.dims) * static_cast<double>(size);
    }

    std::vector<std::size_t> per_sample(const shape& s) const {
        std::vector<std::size_t> dims;
        const std::size_t skip = s.size() >= 2 && s.front() == batch_ ? 1 : 0;
        for (std::size_t i = skip; i < s.size(); ++i) dims.push_back(static_cast<std::size_t>(s[i]));
        return dims;
    }

    // A name no layer has and no node of the file uses, so a generated name never takes the
    // name of a node that comes later.
    std::string unique_name(const std::string& wanted, bool own_name = false) {
        std::string name = wanted;
        const auto free = [&] { return !taken_.count(name) && ((own_name && name == wanted) || !file_names_.count(name)); };
        for (int k = 2; !free(); ++k) name = wanted + "_" + std::to_string(k);
        taken_.insert(name);
        return name;
    }

    onnx_import_result build() {
        for (int i : order_)
            if (nodes_[static_cast<std::size_t>(i)].live) file_names_.insert(graph_->node(i).name());
        std::unordered_set<std::string> data_outputs;
        for (const auto& out : graph_->output())
            if (data_.count(out.name())) data_outputs.insert(out.name());
        // Tensors some live layer reads.
        std::unordered_set<std::string> read;
        for (int i : order_) {
            const node_info& info = nodes_[static_cast<std::size_t>(i)];
            if (!info.live) continue;
            for (const auto* list : {&info.inputs, &info.implicit})
                for (const auto& in : *list) read.insert(in);
        }

        const std::string model_name = options_.model_name.empty()
                                           ? std::filesystem::path(source_).stem().string()
                                           : options_.model_name;
        layer_graph_builder builder(model_name);
        std::vector<std::vector<std::string>> layer_nodes;
        std::unordered_map<std::string, layer_id> layer_of;  // data tensor -> producing layer

        // The input layer: the data input, or one layer for all of them.
        layer input;
        input.kind = "input";
        for (int k : data_inputs_) {
            const auto& in = graph_->input(k);
            input.output_bytes += tensor_bytes(in.name(), "data input '" + in.name() + "'");
        }
        if (data_inputs_.size() == 1) {
            const std::string& name = graph_->input(data_inputs_.front()).name();
            input.output_shape = per_sample(*types_[name].dims);
            input.name = unique_name(name.empty() ? "input" : name, !name.empty());
        } else {
            input.name = unique_name("input");
        }
        builder.set_input_bytes(input.output_bytes);
        const layer_id input_id = builder.add_layer(std::move(input));
        layer_nodes.emplace_back();
        for (int k : data_inputs_) layer_of[graph_->input(k).name()] = input_id;

        std::vector<std::string> unknown, dropped;
        std::set<std::string> unknown_seen;
        std::set<std::pair<layer_id, layer_id>> edges;
        const auto connect = [&](layer_id from, layer_id to) {
            if (edges.emplace(from, to).second) builder.add_edge(from, to);
        };
        std::set<layer_id> consumed;
        for (int i : order_) {
            const node_info& info = nodes_[static_cast<std::size_t>(i)];
            const auto& node = graph_->node(i);
            if (!info.data) continue;
            if (!info.live) {
                dropped.push_back(node.name().empty() ? "#" + std::to_string(i) : node.name());
                continue;
            }
            const std::string label = node_label(node, i);
            layer l;
            l.kind = op_name(node);
            l.name = node.name().empty() ? unique_name(node.op_type() + "_" + std::to_string(i))
                                         : unique_name(node.name(), true);

            // Outputs that leave the node: read by a live layer or a graph output.
            bool first = true;
            for (const auto& out : node.output()) {
                if (out.empty() || (!read.count(out) && !data_outputs.count(out))) continue;
                l.output_bytes += tensor_bytes(out, label);
                if (first) l.output_shape = per_sample(*types_[out].dims);
                first = false;
            }
            // Parameters: each parameter tensor is charged once, to its first reader.
            for (const auto* list : {&info.inputs, &info.implicit})
                for (const auto& in : *list) {
                    auto it = sources_.find(in);
                    if (in.empty() || it == sources_.end()) continue;
                    for (const auto& source : it->second) {
                        parameter& p = parameters_[source];
                        if (!p.charged) l.param_bytes += p.bytes;
                        p.charged = true;
                    }
                }
            price(node, info, label, l, unknown, unknown_seen);

            const layer_id id = builder.add_layer(std::move(l));
            layer_nodes.push_back({node.name().empty() ? "#" + std::to_string(i) : node.name()});
            for (const auto* list : {&info.inputs, &info.implicit})
                for (const auto& in : *list)
                    if (auto it = layer_of.find(in); it != layer_of.end()) {
                        connect(it->second, id);
                        consumed.insert(it->second);
                    }
            for (const auto& out : node.output())
                if (!out.empty()) layer_of[out] = id;
        }

        // The output layer: the producer of the only graph output when nothing else reads it,
        // else a synthetic layer that gathers every graph output.
        std::vector<layer_id> producers;
        double output_bytes = 0;
        for (const auto& out : graph_->output()) {
            if (!data_outputs.count(out.name())) continue;
            output_bytes += tensor_bytes(out.name(), "graph output '" + out.name() + "'");
            const layer_id from = layer_of.at(out.name());
            if (std::find(producers.begin(), producers.end(), from) == producers.end())
                producers.push_back(from);
        }
        if (producers.size() != 1 || consumed.count(producers.front())) {
            layer sink;
            sink.name = unique_name("output");
            sink.kind = "output";
            sink.output_bytes = output_bytes;
            const layer_id id = builder.add_layer(std::move(sink));
            layer_nodes.emplace_back();
            for (layer_id from : producers) connect(from, id);
        }

        std::vector<std::string> warnings;
        if (!unknown.empty()) {
            std::string list;
            for (const auto& op : unknown) list += (list.empty() ? "" : ", ") + op;
            warnings.push_back(source_ + ": " + std::to_string(unknown.size()) +
                               " operator type(s) of unknown cost imported with zero MACs and FLOPs: " + list);
        }
        if (!dropped.empty()) {
            std::string list;
            for (std::size_t k = 0; k < dropped.size() && k < 10; ++k) list += (k ? ", '" : "'") + dropped[k] + "'";
            if (dropped.size() > 10) list += ", ...";
            warnings.push_back(source_ + ": " + std::to_string(dropped.size()) +
                               " node(s) reach no graph output and were left out: " + list);
        }

        layer_graph g = [&] {
            try {
                return builder.build();
            } catch (const error& e) {
                throw error(e.kind(), source_ + ": " + e.what());
            }
        }();
        if (options_.fold_parameter_free) {
            merged_graph merged = merge_parameter_free(g);
            std::vector<std::vector<std::string>> folded(merged.members.size());
            for (std::size_t m = 0; m < merged.members.size(); ++m)
                for (layer_id member : merged.members[m])
                    folded[m].insert(folded[m].end(), layer_nodes[member].begin(), layer_nodes[member].end());
            g = std::move(merged.graph);
            layer_nodes = std::move(folded);
        }
        return onnx_import_result{.graph = std::move(g),
                                  .layer_nodes = std::move(layer_nodes),
                                  .unknown_ops = std::move(unknown),
                                  .warnings = std::move(warnings),
                                  .batch_size = batch_};
    }

    void price(const onnx::NodeProto& node, const node_info& info, const std::string& label, layer& l,
               std::vector<std::string>& unknown, std::set<std::string>& unknown_seen) const {
        node_shapes s;
        for (const auto& in : info.inputs) {
            auto it = types_.find(in);
            s.inputs.push_back(in.empty() || it == types_.end() || !it->second.dims ? nullptr
                                                                                     : &*it->second.dims);
        }
        if (node.output_size() > 0)
            if (auto it = types_.find(node.output(0)); it != types_.end() && it->second.dims)
                s.output = &*it->second.dims;
        node_cost cost{.known = false};
        if (default_domain(node)) {
            auto priced = price_node(node, s);
            if (auto* e = std::get_if<cost_error>(&priced)) fail(error_kind::validation, label + ": " + e->reason);
            cost = std::get<node_cost>(priced);
        }
        if (!cost.known) {
            if (unknown_seen.insert(l.kind).second) unknown.push_back(l.kind);
            return;
        }
        l.macs = cost.macs;
        l.flops = cost.flops;
    }

    const onnx::ModelProto& model_;
    onnx::ModelProto shapes_;  // what shape inference runs on (make_shape_model)
    std::vector<onnx::TensorProto> small_integers_;  // initializers shape inference needs
    std::unordered_map<std::string, tensor_info> declared_;  // the file's own value_info
    const onnx_import_options& options_;
    std::string source_;
    std::filesystem::path external_dir_;
    const onnx::GraphProto* graph_ = nullptr;
    std::int64_t batch_ = 1;
    std::vector<int> data_inputs_;  // indices into graph.input
    std::unordered_map<std::string, parameter> parameters_;
    std::unordered_map<std::string, tensor_info> types_;
    std::unordered_set<std::string> data_;
    std::unordered_map<std::string, std::set<std::string>> sources_;  // constant -> parameters
    std::unordered_map<std::string, int> producer_;
    // tensor -> (node, input position) reading it; position -1 for a subgraph's outer read
    std::unordered_map<std::string, std::vector<std::pair<int, int>>> uses_;
    std::vector<node_info> nodes_;
    std::vector<int> order_;
    std::set<std::string> taken_, file_names_;
};

}  // namespace detail::onnx_import

/// Imports a parsed ONNX model, which it does not change. `source_name` starts every message and,
/// through its stem, names the graph (unless options.model_name is set); external-data locations
/// are relative to `external_data_dir` (the current directory when empty). Throws eosdnn::error
/// (parse, validation or io) naming the node, tensor or option at fault.
inline onnx_import_result import_onnx(const onnx::ModelProto& model, const onnx_import_options& options,
                                      std::string source_name,
                                      std::filesystem::path external_data_dir = {}) {
    if (source_name.empty()) source_name = "<onnx model>";
    if (external_data_dir.empty()) external_data_dir = ".";
    detail::onnx_import::importer importer(model, options, std::move(source_name),
                                           std::move(external_data_dir));
    return importer.run();
}

/// Reads and imports an `.onnx` file. Tensor values are skipped while reading, not loaded (only
/// shapes matter), so memory stays far below the file's size; external-data files are looked up
/// beside the model and checked, not read. The graph is named after the file's stem.
inline onnx_import_result import_onnx(const std::filesystem::path& path,
                                      const onnx_import_options& options = {}) {
    const std::string source = path.string();
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw error(error_kind::io, source + ": is a directory, not a file");
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw error(error_kind::io, source + ": cannot open the file (" + std::strerror(errno) + ")");
    struct stat status {};
    if (::fstat(fd, &status) != 0) {
        const int code = errno;
        ::close(fd);
        throw error(error_kind::io, source + ": cannot read the file (" + std::strerror(code) + ")");
    }
    if (status.st_size > INT_MAX) {
        ::close(fd);
        throw error(error_kind::parse, source + ": " + std::to_string(status.st_size) +
                                           " bytes: a protobuf model is at most 2 GB (keep the weights in external data)");
    }
    onnx::ModelProto model;
    const bool parsed = detail::onnx_import::read_model_structure(fd, status.st_size, model);
    ::close(fd);
    if (!parsed) throw error(error_kind::parse, source + ": not an ONNX model (the protobuf message cannot be parsed)");
    return import_onnx(model, options, source, path.parent_path());
}

}  // namespace eosdnn
