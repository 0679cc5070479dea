#pragma once
/// \file onnx_importer.hpp
/// The importer behind import_onnx(): its state and the steps run() takes. The steps are
/// defined, one group per header, in onnx_inputs.hpp (options, initializers, data inputs),
/// onnx_shapes.hpp (shape inference and folding of shape arithmetic), onnx_topology.hpp (node
/// order, data and constant tensors) and onnx_build.hpp (the layer graph); eosdnn/io/onnx.hpp
/// includes them all.

#include <eosdnn/core/error.hpp>
#include <eosdnn/io/detail/onnx_costs.hpp>
#include <eosdnn/io/limits.hpp>
#include <eosdnn/io/onnx_options.hpp>

#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace eosdnn::detail::onnx_import {

/// Bytes of one element of an ONNX tensor type; 0 for types without a fixed size (string) or
/// unknown ones.
inline std::size_t element_bytes(std::int32_t type) {
    using T = onnx::TensorProto;
    switch (type) {
    case T::FLOAT:
    case T::INT32:
    case T::UINT32: return 4;
    case T::UINT8:
    case T::INT8:
    case T::BOOL: return 1;
    case T::UINT16:
    case T::INT16:
    case T::FLOAT16:
    case T::BFLOAT16: return 2;
    case T::INT64:
    case T::UINT64:
    case T::DOUBLE:
    case T::COMPLEX64: return 8;
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
    /// `external_dir`: where external-data locations are relative to (empty: the current
    /// directory). `skipped_raw`: per initializer, the length of the raw_data the file reader
    /// left out (-1: none; empty for a model parsed whole), checked against the tensor's dims.
    importer(const onnx::ModelProto& model, const onnx_import_options& options, std::string source,
             std::filesystem::path external_dir, std::vector<std::int64_t> skipped_raw = {})
        : model_(model), skipped_raw_(std::move(skipped_raw)), options_(options),
          source_(std::move(source)),
          external_dir_(external_dir.empty() ? std::filesystem::path(".")
                                             : std::move(external_dir)) {}

    onnx_import_result run() {
        check_options();
        if (!model_.has_graph() || model_.graph().node_size() == 0)
            fail(error_kind::parse, "the model has no graph or its graph has no node");
        graph_ = &model_.graph();
        // Each node may become a layer: refused before any is built (io/limits.hpp).
        if (static_cast<std::size_t>(graph_->node_size()) > limits::max_layers)
            fail(error_kind::validation,
                 std::to_string(graph_->node_size()) + " nodes, more than the limit of " +
                     std::to_string(limits::max_layers) + " layers (docs/limits.md)");
        read_initializers();
        order_nodes();
        classify_inputs();
        make_shape_model();
        resolve_input_shapes();
        infer_shapes();
        check_element_types();
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

    void check_options() const;

    // Bytes of every initializer, checked against its external-data file when it has one.
    void read_initializers();

    // Values stored in the file (raw_data or a typed field) must be as many as the tensor's
    // dims and type say: shape inference and folding read them, and a tensor that holds fewer
    // bytes than its dims is a malformed file whatever it is used for. `count` is its elements;
    // `skipped_raw` the length of raw_data the reader left out (-1: none).
    void check_values(const onnx::TensorProto& t, const std::string& what, double count,
                      std::int64_t skipped_raw = -1) const;

    // The external file must exist and hold the tensor. Returns its bytes when `read` (small
    // integer tensors, whose values shape inference needs); weights are never read.
    std::string check_external(const onnx::TensorProto& t, const std::string& what, double bytes,
                               bool read);

    // What tells data inputs from weights: the tensors computed from integer inputs (indices),
    // and for every tensor, up to two graph inputs it is computed from.
    struct input_evidence {
        struct origin {
            std::vector<std::string> inputs;
            bool computed = false;  // some operator on the way is not a pass-through
        };
        std::unordered_set<std::string> indices;
        std::unordered_map<std::string, origin> computed_from;
        std::unordered_set<std::string> outputs;  // the graph's outputs
    };

    // Each use of a tensor, following operators that pass a tensor through unchanged in
    // meaning, reaches a node at its first input or a graph output (data) or only elsewhere (a
    // weight). The table of a Gather whose indices are computed from integer inputs is a weight;
    // so is an operand of an element-wise operation or a Concat whose other operands are
    // computed from other inputs.
    bool reaches_first_input(const std::string& name, const input_evidence& evidence) const;

    void classify_inputs();

    // Replaces symbolic or overridden dimensions of the data inputs in the model itself, so that
    // shape inference propagates them.
    void resolve_input_shapes();

    // The model shape inference runs on: the file's structure with the weights' values left out
    // (only their types and dimensions), so that a 550 MB model is not copied, and so that
    // inference can be rerun after folding shape arithmetic. The file's value_info and output
    // shapes are set aside: they may hold dimensions the options change; they serve only where
    // inference finds nothing (operators without a schema).
    void make_shape_model();

    // The node's operator schema at the model's opset; nullptr without one.
    const onnx::OpSchema* schema_of(const onnx::NodeProto& node) const;

    bool has_schema(const onnx::NodeProto& node) const;

    // Inputs that an operator's schema binds to one type parameter ("T": a Conv's X and W) must
    // have one element type; a weight of another (fp16 feeding fp32) is refused, naming both.
    void check_element_types() const;

    // ONNX shape inference, strict (a node whose inputs contradict its operator is an error),
    // with ONNX's data propagation. Exporters also compute shapes with arithmetic that ONNX does
    // not propagate (Shape -> Gather -> Div -> Slice in torch's attention): such integer
    // subgraphs are folded into constants and inference runs again, until nothing folds.
    void infer_shapes();

    // Shape arithmetic is evaluated on tensors of at most this many elements.
    static constexpr double max_folded = 64;

    // A small integer or boolean tensor whose values are known.
    struct known_value {
        shape dims;
        std::vector<std::int64_t> values;
    };

    static std::optional<known_value> value_of(const onnx::TensorProto& t);

    // Evaluates one integer operator of shape arithmetic, if its inputs are known.
    std::optional<std::vector<std::int64_t>> evaluate(
        const onnx::NodeProto& node, const std::vector<const known_value*>& in) const;

    // Replaces each node of integer shape arithmetic whose value is now computable by a Constant
    // in the shape model. Returns whether anything changed.
    bool fold_shape_arithmetic();

    // Writes each Einsum's equation of the shape model in the form ONNX's inference reads
    // right (onnx_einsum.hpp, canonical_einsum).
    void canonicalise_einsums();

    // Sizes the output of each Einsum whose operands' shapes are static, in the shape model
    // (ONNX's inference gives only its rank; onnx_einsum.hpp). Returns whether any was sized.
    bool size_einsum_outputs();

    // Collects the tensors a subgraph reads from the enclosing scopes.
    static void outer_reads(const onnx::GraphProto& g, std::set<std::string>& reads);

    // Checks that every input is defined and orders the nodes topologically (the file's order
    // when it already is one, as ONNX requires).
    void order_nodes();

    // Data tensors depend on a data input; constant ones (initializers, weights, Constant
    // values, what is computed from them alone, the shape of a static tensor) do not, and their
    // nodes are no layers: their parameters are charged to the layers that read them.
    void classify_tensors();

    double tensor_bytes(const std::string& name, const std::string& owner) const;

    std::vector<std::size_t> per_sample(const shape& s) const;

    // A name no layer has and no node of the file uses, so a generated name never takes the
    // name of a node that comes later.
    std::string unique_name(const std::string& wanted, bool own_name = false);

    onnx_import_result build();

    void price(const onnx::NodeProto& node, const node_info& info, const std::string& label,
               layer& l, std::vector<std::string>& unknown,
               std::set<std::string>& unknown_seen) const;

    const onnx::ModelProto& model_;
    std::vector<std::int64_t> skipped_raw_;  // per initializer: raw_data left out by the reader
    onnx::ModelProto shapes_;                // what shape inference runs on (make_shape_model)
    std::vector<onnx::TensorProto> small_integers_;          // initializers shape inference needs
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

}  // namespace eosdnn::detail::onnx_import
