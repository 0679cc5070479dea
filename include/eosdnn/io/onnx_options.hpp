#pragma once
/// \file onnx_options.hpp
/// What import_onnx() (eosdnn/io/onnx.hpp) takes and returns. This header needs neither ONNX nor
/// protobuf, so code that only passes options or results around does not include them.

#include <eosdnn/core/error.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
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
    /// Import operators whose cost the importer does not know (a custom domain's, If/Loop/Scan,
    /// a default-domain operator missing from docs/onnx.md's table) as layers with zero MACs
    /// and FLOPs, listed in onnx_import_result::unknown_ops and one warning. False: such a model
    /// is refused, naming the first such node, since a plan that prices it at nothing is wrong.
    bool zero_cost_unknown_ops = false;
};

/// Adds `text`, `NAME=D1xD2x...` (`input=1x3x224x224`), to options.input_shapes: what the
/// command line's `--input-shape` means. Throws eosdnn::error of kind validation quoting the
/// text when it is not a name, '=' and dimensions >= 1 separated by 'x', or names an input
/// already given.
inline void add_input_shape(onnx_import_options& options, std::string_view text);

/// Adds `text`, `NAME=VALUE` (`sequence=128`), to options.dim_values: what the command line's
/// `--dim` means. Throws eosdnn::error of kind validation quoting the text when it is not a
/// name, '=' and a whole number >= 1, or names a dimension already given.
inline void add_dim_value(onnx_import_options& options, std::string_view text);

/// What import_onnx() returns: the graph and what the import had to leave out or guess.
struct onnx_import_result {
    /// The imported model: one layer per compute node (per group of nodes with
    /// fold_parameter_free), plus the input layer and, if needed, a synthetic output layer.
    layer_graph graph;
    /// Per layer of `graph`: the names of the ONNX nodes it runs, in topological order (empty
    /// for the input layer and for a synthetic output layer).
    std::vector<std::vector<std::string>> layer_nodes{};
    /// Operator types whose cost is unknown ("NonMaxSuppression", "com.example.MyOp"), each
    /// once, in the order they first appear. Their nodes are layers with zero MACs and FLOPs.
    std::vector<std::string> unknown_ops{};
    /// Messages for the caller to show: one listing every unknown operator, one listing nodes
    /// that reach no graph output (dropped). Empty when nothing was left out.
    std::vector<std::string> warnings{};
    /// The batch the figures are for: every layer's MACs, FLOPs and output bytes cover one run
    /// of the graph at this batch size; parameter bytes do not depend on it.
    std::int64_t batch_size = 1;
};

namespace detail::onnx_text {

// A whole number from 1 to 2^62 spelled with digits only, or nothing.
inline std::optional<std::int64_t> positive(std::string_view text) {
    std::int64_t value = 0;
    if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != text.npos)
        return std::nullopt;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < 1 ||
        value > (std::int64_t{1} << 62))
        return std::nullopt;
    return value;
}

// NAME=VALUE split at the last '=' (a tensor name may hold one); nothing without a name.
inline std::optional<std::pair<std::string, std::string_view>> assignment(std::string_view text) {
    const auto eq = text.rfind('=');
    if (eq == text.npos || eq == 0) return std::nullopt;
    return std::pair{std::string(text.substr(0, eq)), text.substr(eq + 1)};
}

[[noreturn]] inline void refuse(std::string_view option, std::string_view text,
                                std::string_view expected) {
    throw error(error_kind::validation, std::string(option) + " '" + std::string(text) +
                                            "': expected " + std::string(expected));
}

}  // namespace detail::onnx_text

inline void add_input_shape(onnx_import_options& options, std::string_view text) {
    namespace t = detail::onnx_text;
    constexpr std::string_view expected =
        "NAME=D1xD2x..., dimensions whole numbers >= 1 (input=1x3x224x224)";
    const auto parts = t::assignment(text);
    if (!parts) t::refuse("input shape", text, expected);
    std::vector<std::int64_t> dims;
    std::string_view rest = parts->second;
    for (;;) {
        const auto x = rest.find('x');
        const auto d = t::positive(rest.substr(0, x));
        if (!d) t::refuse("input shape", text, expected);
        dims.push_back(*d);
        if (x == rest.npos) break;
        rest.remove_prefix(x + 1);
    }
    if (!options.input_shapes.emplace(parts->first, std::move(dims)).second)
        t::refuse("input shape", text, "each input once ('" + parts->first + "' is given twice)");
}

inline void add_dim_value(onnx_import_options& options, std::string_view text) {
    namespace t = detail::onnx_text;
    const auto parts = t::assignment(text);
    const auto value = parts ? t::positive(parts->second) : std::nullopt;
    if (!value) t::refuse("dimension", text, "NAME=VALUE, a whole number >= 1 (sequence=128)");
    if (!options.dim_values.emplace(parts->first, *value).second)
        t::refuse("dimension", text, "each dimension once ('" + parts->first + "' is given twice)");
}

}  // namespace eosdnn
