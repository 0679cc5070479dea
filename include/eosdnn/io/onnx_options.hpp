#pragma once
/// \file onnx_options.hpp
/// What import_onnx() (eosdnn/io/onnx.hpp) takes and returns. This header needs neither ONNX nor
/// protobuf, so code that only passes options or results around does not include them.

#include <eosdnn/graph/layer_graph.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
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

}  // namespace eosdnn
