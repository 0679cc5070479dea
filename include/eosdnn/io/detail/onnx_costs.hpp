#pragma once
/// \file onnx_costs.hpp
/// The work of one ONNX node from its operator type, attributes and static shapes: MACs of the
/// multiply-accumulate operators and FLOPs of everything, with the conventions of the zoo
/// (docs/zoo.md) so imported and built-in models compare. The table is docs/onnx.md's.

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace eosdnn::detail::onnx_import {

/// A static tensor shape; empty for a scalar.
using shape = std::vector<std::int64_t>;

/// Number of elements of a static shape (1 for a scalar).
inline double elements(const shape& s) {
    double n = 1;
    for (std::int64_t d : s) n *= static_cast<double>(d);
    return n;
}

/// What a node costs. `known` is false for an operator the table does not price: the import
/// fails, or with onnx_import_options::zero_cost_unknown_ops the node costs nothing and is
/// reported.
struct node_cost {
    double macs = 0;
    double flops = 0;
    bool known = true;
};

/// Why a node cannot be priced although its operator is known (a weight of the wrong rank, a
/// missing shape): the importer turns it into an eosdnn::error naming the node.
struct cost_error {
    std::string reason;
};

/// The shapes a node's pricing reads: its inputs (nullptr where absent or not static) and its
/// first output.
struct node_shapes {
    std::vector<const shape*> inputs;
    const shape* output = nullptr;
};

inline const onnx::AttributeProto* find_attribute(const onnx::NodeProto& node,
                                                  std::string_view name) {
    for (const auto& a : node.attribute())
        if (a.name() == name) return &a;
    return nullptr;
}

inline std::int64_t int_attribute(const onnx::NodeProto& node, std::string_view name,
                                  std::int64_t fallback) {
    const auto* a = find_attribute(node, name);
    return a ? a->i() : fallback;
}

inline std::string string_attribute(const onnx::NodeProto& node, std::string_view name,
                                    std::string fallback) {
    const auto* a = find_attribute(node, name);
    return a ? a->s() : fallback;
}

template <std::size_t N>
bool is_one_of(std::string_view op, const std::array<std::string_view, N>& names) {
    return std::find(names.begin(), names.end(), op) != names.end();
}

// Per-element FLOPs of unary operators: 1 for a comparison, a rounding or one arithmetic
// operation; 2 for a clamp or a select-and-scale; 4 for an exponential-based activation (the
// usual count for exp plus the arithmetic around it); GELU is a tanh or erf and four more.
inline constexpr std::array<std::string_view, 17> unary_1{
    "Relu", "Abs", "Neg", "Sign", "Floor", "Ceil",  "Round", "Not",   "Reciprocal",
    "Sqrt", "Exp", "Log", "Sin",  "Cos",   "IsNaN", "IsInf", "Shrink"};
inline constexpr std::array<std::string_view, 5> unary_2{"Clip", "LeakyRelu", "PRelu",
                                                         "ThresholdedRelu", "HardSigmoid"};
inline constexpr std::array<std::string_view, 13> unary_4{
    "Sigmoid", "Tanh",      "Elu",  "Selu", "Celu", "Softplus", "Softsign",
    "Erf",     "HardSwish", "Mish", "Tan",  "Asin", "Acos"};
// One FLOP per output element (broadcasting included).
inline constexpr std::array<std::string_view, 17> binary{"Add",
                                                         "Sub",
                                                         "Mul",
                                                         "Div",
                                                         "Pow",
                                                         "Mod",
                                                         "And",
                                                         "Or",
                                                         "Xor",
                                                         "Equal",
                                                         "Greater",
                                                         "Less",
                                                         "GreaterOrEqual",
                                                         "LessOrEqual",
                                                         "BitShift",
                                                         "Where",
                                                         "Atan"};
// n inputs: n - 1 FLOPs per output element (Mean adds one division).
inline constexpr std::array<std::string_view, 4> variadic{"Sum", "Max", "Min", "Mean"};
// One FLOP per input element.
inline constexpr std::array<std::string_view, 14> reductions{
    "ReduceMean", "ReduceSum", "ReduceMax",         "ReduceMin",       "ReduceProd",
    "ReduceL1",   "ReduceL2",  "ReduceLogSum",      "ReduceLogSumExp", "ReduceSumSquare",
    "ArgMax",     "ArgMin",    "GlobalAveragePool", "GlobalMaxPool"};
// Moving, selecting or reinterpreting data: no arithmetic.
inline constexpr std::array<std::string_view, 33> data_movement{"Identity",
                                                                "Dropout",
                                                                "Flatten",
                                                                "Reshape",
                                                                "Squeeze",
                                                                "Unsqueeze",
                                                                "Transpose",
                                                                "Concat",
                                                                "Split",
                                                                "Slice",
                                                                "Gather",
                                                                "GatherElements",
                                                                "GatherND",
                                                                "ScatterElements",
                                                                "ScatterND",
                                                                "Expand",
                                                                "Tile",
                                                                "Pad",
                                                                "Shape",
                                                                "Size",
                                                                "Constant",
                                                                "ConstantOfShape",
                                                                "Cast",
                                                                "CastLike",
                                                                "DepthToSpace",
                                                                "SpaceToDepth",
                                                                "ReverseSequence",
                                                                "Range",
                                                                "OneHot",
                                                                "NonZero",
                                                                "Compress",
                                                                "Trilu",
                                                                "EyeLike"};

/// The cost of `node` (an operator of the default ONNX domain). Returns `known = false` for an
/// operator not in the table; returns a cost_error when the operator is known but its shapes do
/// not allow pricing it.
inline std::variant<node_cost, cost_error> price_node(const onnx::NodeProto& node,
                                                      const node_shapes& s) {
    const std::string& op = node.op_type();
    const auto input = [&](std::size_t i) -> const shape* {
        return i < s.inputs.size() ? s.inputs[i] : nullptr;
    };
    const auto need = [&](std::size_t i,
                          const char* role) -> std::variant<const shape*, cost_error> {
        if (const shape* sh = input(i)) return sh;
        return cost_error{std::string("its ") + role + " (input " + std::to_string(i) +
                          ") has no static shape"};
    };
    if (!s.output) return cost_error{"its output has no static shape"};
    const double out = elements(*s.output);

    // Convolutions: every output element is a dot product over (C_in / group) x kernel weights,
    // whatever the strides, dilations and padding (they shape the output, which is inferred).
    if (op == "Conv" || op == "ConvInteger" || op == "QLinearConv") {
        const std::size_t w_index = op == "QLinearConv" ? 3 : 1;
        auto w = need(w_index, "weight");
        if (auto* e = std::get_if<cost_error>(&w)) return *e;
        const shape& weight = *std::get<const shape*>(w);
        if (weight.size() < 3)
            return cost_error{"its weight has rank " + std::to_string(weight.size()) +
                              ", a convolution needs M x C/group x kernel (rank >= 3)"};
        const std::int64_t group = int_attribute(node, "group", 1);
        if (group < 1) return cost_error{"group is " + std::to_string(group) + " (must be >= 1)"};
        if (const shape* x = input(0); x && x->size() >= 2 && (*x)[1] != weight[1] * group)
            return cost_error{"its input has " + std::to_string((*x)[1]) +
                              " channels but the weight expects " + std::to_string(weight[1]) +
                              " x group " + std::to_string(group)};
        double per_output = 1;
        for (std::size_t i = 1; i < weight.size(); ++i)
            per_output *= static_cast<double>(weight[i]);
        return node_cost{.macs = out * per_output, .flops = 2 * out * per_output};
    }
    // A transposed convolution scatters every input element over (C_out / group) x kernel
    // outputs: the weight is C_in x C_out/group x kernel.
    if (op == "ConvTranspose") {
        auto x = need(0, "data input");
        if (auto* e = std::get_if<cost_error>(&x)) return *e;
        auto w = need(1, "weight");
        if (auto* e = std::get_if<cost_error>(&w)) return *e;
        const shape& weight = *std::get<const shape*>(w);
        if (weight.size() < 3)
            return cost_error{"its weight has rank " + std::to_string(weight.size()) +
                              ", a transposed convolution needs C x M/group x kernel (rank >= 3)"};
        double per_input = 1;
        for (std::size_t i = 1; i < weight.size(); ++i) per_input *= static_cast<double>(weight[i]);
        const double in = elements(*std::get<const shape*>(x));
        return node_cost{.macs = in * per_input, .flops = 2 * in * per_input};
    }
    // Y = A' B' (+ C): M x N outputs, each a dot product of length K.
    if (op == "Gemm") {
        auto a = need(0, "input A");
        if (auto* e = std::get_if<cost_error>(&a)) return *e;
        const shape& sa = *std::get<const shape*>(a);
        if (sa.size() != 2)
            return cost_error{"input A has rank " + std::to_string(sa.size()) + ", Gemm needs 2"};
        const double k = static_cast<double>(int_attribute(node, "transA", 0) ? sa[0] : sa[1]);
        return node_cost{.macs = out * k, .flops = 2 * out * k};
    }
    // Batched matrix products with numpy broadcasting: each output element is a dot product
    // over A's last dimension.
    if (op == "MatMul" || op == "MatMulInteger" || op == "QLinearMatMul") {
        auto a = need(0, "input A");
        if (auto* e = std::get_if<cost_error>(&a)) return *e;
        const shape& sa = *std::get<const shape*>(a);
        if (sa.empty()) return cost_error{"input A is a scalar"};
        const double k = static_cast<double>(sa.back());
        return node_cost{.macs = out * k, .flops = 2 * out * k};
    }
    // Recurrent layers: at each time step, for each sample and direction, every gate multiplies
    // the input by W (gates·H x I) and the previous hidden state by R (gates·H x H), so
    // MACs = sequence · batch · (|W| + |R|) = sequence · batch · directions · gates · H · (I + H),
    // gates 4 (LSTM), 3 (GRU), 1 (RNN). FLOPs add the per-unit work of the gates: LSTM three
    // sigmoids and two tanh (4 each) and 4 multiply-adds of the cell, 24 per unit and step;
    // GRU two sigmoids and a tanh and 4 more, 16; RNN one activation, 4.
    if (op == "LSTM" || op == "GRU" || op == "RNN") {
        auto x = need(0, "input X");
        if (auto* e = std::get_if<cost_error>(&x)) return *e;
        auto w = need(1, "weight W");
        if (auto* e = std::get_if<cost_error>(&w)) return *e;
        auto r = need(2, "recurrence weight R");
        if (auto* e = std::get_if<cost_error>(&r)) return *e;
        const shape& sx = *std::get<const shape*>(x);
        const shape& sw = *std::get<const shape*>(w);
        const shape& sr = *std::get<const shape*>(r);
        const std::int64_t gates = op == "LSTM" ? 4 : op == "GRU" ? 3 : 1;
        if (sx.size() != 3 || sw.size() != 3 || sr.size() != 3 || sr[0] != sw[0] ||
            sr[1] != sw[1] || sw[1] != gates * sr[2] || (sx[2] != sw[2]))
            return cost_error{
                "its input X, weight W and recurrence R have shapes that do not "
                "fit [sequence, batch, I], [directions, " +
                std::to_string(gates) + "·H, I] and [directions, " + std::to_string(gates) +
                "·H, H]"};
        // layout 0: X is [sequence, batch, I]; layout 1 (opset 14): [batch, sequence, I].
        const double steps = elements({sx[0], sx[1]});
        const double macs = steps * (elements(sw) + elements(sr));
        const double per_unit = op == "LSTM" ? 24 : op == "GRU" ? 16 : 4;
        const double units = static_cast<double>(sw[0]) * static_cast<double>(sr[2]);
        return node_cost{.macs = macs, .flops = 2 * macs + steps * units * per_unit};
    }
    // At inference a BatchNorm is one scale and one shift per element (as in the zoo);
    // instance and layer normalisation also compute a mean and a variance.
    if (op == "BatchNormalization") return node_cost{.flops = 2 * out};
    if (op == "InstanceNormalization" || op == "LayerNormalization" ||
        op == "MeanVarianceNormalization")
        return node_cost{.flops = 5 * out};
    if (op == "LpNormalization") return node_cost{.flops = 3 * out};
    if (op == "LRN")
        return node_cost{.flops =
                             static_cast<double>(2 * int_attribute(node, "size", 1) + 3) * out};
    if (op == "MaxPool" || op == "AveragePool" || op == "LpPool") {
        const auto* k = find_attribute(node, "kernel_shape");
        if (!k || k->ints_size() == 0) return cost_error{"it has no kernel_shape attribute"};
        double window = 1;
        for (std::int64_t d : k->ints()) window *= static_cast<double>(d);
        return node_cost{.flops = window * out};
    }
    if (op == "Softmax" || op == "LogSoftmax" || op == "Hardmax")
        return node_cost{.flops = 3 * out};
    if (op == "Gelu") return node_cost{.flops = 8 * out};
    if (op == "QuantizeLinear" || op == "DequantizeLinear") return node_cost{.flops = 2 * out};
    if (op == "Resize" || op == "Upsample") {
        const std::string mode = string_attribute(node, "mode", "nearest");
        return node_cost{.flops = (mode == "nearest" ? 1.0 : 4.0) * out};
    }
    if (op == "CumSum") return node_cost{.flops = out};
    if (is_one_of(op, unary_1)) return node_cost{.flops = out};
    if (is_one_of(op, unary_2)) return node_cost{.flops = 2 * out};
    if (is_one_of(op, unary_4)) return node_cost{.flops = 4 * out};
    if (is_one_of(op, binary)) return node_cost{.flops = out};
    if (is_one_of(op, variadic)) {
        const double n = static_cast<double>(node.input_size());
        return node_cost{.flops = (op == "Mean" ? n : n - 1) * out};
    }
    if (is_one_of(op, reductions)) {
        auto x = need(0, "data input");
        if (auto* e = std::get_if<cost_error>(&x)) return *e;
        return node_cost{.flops = elements(*std::get<const shape*>(x))};
    }
    if (is_one_of(op, data_movement)) return node_cost{};
    return node_cost{.known = false};
}

}  // namespace eosdnn::detail::onnx_import
