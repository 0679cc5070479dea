#pragma once
/// \file network_builder.hpp
/// network_builder: writes a DNN as PyTorch-style calls (conv2d, batch_norm, relu, ...) and
/// computes every layer's shape, MACs, FLOPs, parameter bytes and output bytes from the
/// architecture, so the built-in models never carry typed-in totals.
///
/// What each layer costs (batch of one, `E` = elements of the layer's output, fp32 = 4 bytes):
///
/// | operator                 | kind      | macs                  | flops              | params       |
/// |--------------------------|-----------|-----------------------|--------------------|--------------|
/// | input                    | input     | 0                     | 0                  | 0            |
/// | conv2d                   | conv      | Cout·Ho·Wo·(Cin/g)·k² | 2·macs             | Cout·(Cin/g)·k² (+Cout bias) |
/// | linear                   | fc        | in·out                | 2·macs             | in·out (+out bias) |
/// | batch_norm               | bn        | 0                     | 2·E (scale, shift) | 2·C          |
/// | relu                     | relu      | 0                     | E (a max)          | 0            |
/// | relu6                    | relu6     | 0                     | 2·E (max and min)  | 0            |
/// | max_pool                 | maxpool   | 0                     | k²·E (comparisons) | 0            |
/// | avg_pool                 | avgpool   | 0                     | k²·E (additions)   | 0            |
/// | adaptive/global avg pool | avgpool   | 0                     | C·Σ window areas   | 0            |
/// | add of n tensors         | add       | 0                     | (n−1)·E            | 0            |
/// | lrn over n channels      | lrn       | 0                     | (2n+3)·E           | 0            |
/// | softmax                  | softmax   | 0                     | 3·E (exp, sum, div)| 0            |
/// | concat, flatten, dropout | same name | 0                     | 0 (copy, identity) | 0            |
///
/// FLOPs of convolutions and dense layers leave out the bias additions, so that they are exactly
/// the usual "2 x MACs". `param_bytes` = 4 x trainable parameters. BatchNorm's running mean and
/// variance are buffers, not parameters, and are left out of the upload size: at inference a
/// BatchNorm reduces to one scale and one shift per channel, which is exactly the 2·C counted.
/// This also makes the parameter totals the canonical torchvision figures.

#include <eosdnn/core/error.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/graph/layer.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/zoo/detail/counted_layer.hpp>

#include <cstddef>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn {

/// Options of network_builder::conv2d, named after torch.nn.Conv2d. Kernels are square.
struct conv2d_options {
    std::size_t out_channels = 0;  ///< Cout; must be > 0 and divisible by groups
    std::size_t kernel = 1;        ///< k: the kernel is k x k
    /// Step of the kernel in both directions; must be > 0.
    std::size_t stride = 1;
    std::size_t padding = 0;  ///< zero padding on each side
    /// Spacing between kernel taps (1: a dense kernel); must be > 0.
    std::size_t dilation = 1;
    std::size_t groups = 1;  ///< Cin for a depthwise convolution
    bool bias = true;        ///< false when a BatchNorm follows (ResNet, GoogLeNet, ...)
};

/// Options of network_builder::max_pool and avg_pool, named after torch.nn.MaxPool2d.
struct pool_options {
    std::size_t kernel = 1;  ///< the window is kernel x kernel
    std::size_t stride = 0;  ///< 0 means "equal to kernel", PyTorch's default
    /// Padding on each side; at most half the kernel, as PyTorch requires.
    std::size_t padding = 0;
    bool ceil_mode = false;  ///< round the output size up (GoogLeNet), with PyTorch's rule that
                             ///< the last window must start inside the input or left padding
};

/// Builds a layer_graph from operator calls, tracking each tensor's shape. Every call adds one
/// layer fed by the given tensors and returns the tensor it produces:
///
///     network_builder nb("tiny");
///     auto x = nb.input("input", 3, 32, 32);
///     x = nb.conv2d("conv1", x, {.out_channels = 16, .kernel = 3, .padding = 1, .bias = false});
///     x = nb.batch_norm("bn1", x);
///     x = nb.relu("relu1", x);
///     x = nb.linear("fc", nb.flatten("flatten", nb.global_avg_pool("avgpool", x)), 10);
///     layer_graph g = nb.build();
///
/// Shapes are per sample: {C, H, W} for feature maps, {K} after flatten. A shape mismatch (a
/// concat of different spatial sizes, a linear layer on a feature map, a window larger than its
/// padded input, ...) throws eosdnn::error of kind validation naming the model and the layer.
class network_builder {
public:
    /// Bytes per tensor element and per parameter: the models are fp32.
    static constexpr std::size_t element_bytes = detail::fp32_bytes;

    /// A tensor flowing between layers: the layer that produced it and its per-sample shape.
    struct tensor {
        /// The layer that produced it (its output is this tensor).
        layer_id producer = 0;
        std::vector<std::size_t> shape{};  ///< {C, H, W} or {K}

        /// Number of elements per sample.
        std::size_t elements() const noexcept {
            std::size_t n = 1;
            for (std::size_t d : shape) n *= d;
            return n;
        }
    };

    /// An empty network; `model_name` becomes the built graph's name().
    explicit network_builder(std::string model_name)
        : name_(model_name), graph_(std::move(model_name)) {}

    /// The model input, a C x H x W image; kind "input", so its output bytes become the
    /// graph's input_bytes().
    tensor input(std::string name, std::size_t channels, std::size_t height, std::size_t width) {
        if (channels == 0 || height == 0 || width == 0)
            fail(name,
                 "input shape " + shape_text({channels, height, width}) + " has a zero extent");
        return emit(std::move(name), "input", {}, {channels, height, width}, 0, 0, 0);
    }

    /// A 2-D convolution (torch.nn.Conv2d with a square kernel).
    tensor conv2d(std::string name, const tensor& x, const conv2d_options& o) {
        require_map(name, x);
        const std::size_t c_in = x.shape[0];
        if (o.out_channels == 0 || o.kernel == 0 || o.stride == 0 || o.dilation == 0 ||
            o.groups == 0)
            fail(name, "out_channels, kernel, stride, dilation and groups must all be > 0");
        if (c_in % o.groups != 0 || o.out_channels % o.groups != 0)
            fail(name, "groups " + std::to_string(o.groups) +
                           " must divide both the input channels " + std::to_string(c_in) +
                           " and the output channels " + std::to_string(o.out_channels));
        const std::size_t h =
            window_output(name, x.shape[1], o.kernel, o.stride, o.padding, o.dilation, false);
        const std::size_t w =
            window_output(name, x.shape[2], o.kernel, o.stride, o.padding, o.dilation, false);
        const std::size_t weights_per_output = (c_in / o.groups) * o.kernel * o.kernel;
        const std::size_t macs = o.out_channels * h * w * weights_per_output;
        const std::size_t params =
            o.out_channels * weights_per_output + (o.bias ? o.out_channels : 0);
        return emit(std::move(name), "conv", {x}, {o.out_channels, h, w}, macs, 2 * macs, params);
    }

    /// Batch normalisation over the channels of a feature map (or the features of a vector).
    /// Parameters: weight and bias per channel; the running statistics are not counted.
    tensor batch_norm(std::string name, const tensor& x) {
        const std::size_t e = x.elements();
        return emit(std::move(name), "bn", {x}, x.shape, 0, 2 * e, 2 * x.shape[0]);
    }

    /// max(x, 0), element-wise.
    tensor relu(std::string name, const tensor& x) {
        return emit(std::move(name), "relu", {x}, x.shape, 0, x.elements(), 0);
    }

    /// min(max(x, 0), 6), element-wise (MobileNetV2).
    tensor relu6(std::string name, const tensor& x) {
        return emit(std::move(name), "relu6", {x}, x.shape, 0, 2 * x.elements(), 0);
    }

    /// Max pooling over k x k windows (torch.nn.MaxPool2d).
    tensor max_pool(std::string name, const tensor& x, const pool_options& o) {
        return pool(std::move(name), "maxpool", x, o);
    }

    /// Average pooling over k x k windows (torch.nn.AvgPool2d).
    tensor avg_pool(std::string name, const tensor& x, const pool_options& o) {
        return pool(std::move(name), "avgpool", x, o);
    }

    /// Adaptive average pooling to out_h x out_w (torch.nn.AdaptiveAvgPool2d): output cell i of
    /// n along an axis of size s averages input cells floor(i·s/n) .. ceil((i+1)·s/n) - 1.
    tensor adaptive_avg_pool(std::string name, const tensor& x, std::size_t out_h,
                             std::size_t out_w) {
        require_map(name, x);
        if (out_h == 0 || out_w == 0) fail(name, "the output size must be > 0");
        const std::size_t area = window_sum(x.shape[1], out_h) * window_sum(x.shape[2], out_w);
        return emit(std::move(name), "avgpool", {x}, {x.shape[0], out_h, out_w}, 0,
                    area * x.shape[0], 0);
    }

    /// Average of each channel: adaptive average pooling to 1 x 1.
    tensor global_avg_pool(std::string name, const tensor& x) {
        return adaptive_avg_pool(std::move(name), x, 1, 1);
    }

    /// C x H x W -> {C·H·W}; no arithmetic.
    tensor flatten(std::string name, const tensor& x) {
        return emit(std::move(name), "flatten", {x}, {x.elements()}, 0, 0, 0);
    }

    /// A dense layer (torch.nn.Linear) on a flattened tensor.
    tensor linear(std::string name, const tensor& x, std::size_t out_features, bool bias = true) {
        if (x.shape.size() != 1)
            fail(name, "a linear layer needs a flat input, got " + shape_text(x.shape) +
                           "; flatten it first");
        if (out_features == 0) fail(name, "out_features must be > 0");
        const std::size_t macs = x.shape[0] * out_features;
        return emit(std::move(name), "fc", {x}, {out_features}, macs, 2 * macs,
                    macs + (bias ? out_features : 0));
    }

    /// Dropout: the identity at inference, kept as a layer so the graph mirrors the definition.
    tensor dropout(std::string name, const tensor& x) {
        return emit(std::move(name), "dropout", {x}, x.shape, 0, 0, 0);
    }

    /// Element-wise sum of tensors of one shape (a residual connection).
    tensor add(std::string name, std::initializer_list<tensor> xs) {
        if (xs.size() < 2) fail(name, "an add needs at least two inputs");
        for (const tensor& x : xs)
            if (x.shape != xs.begin()->shape)
                fail(name, "cannot add tensors of shapes " + shape_text(xs.begin()->shape) +
                               " and " + shape_text(x.shape));
        const std::size_t e = xs.begin()->elements();
        return emit(std::move(name), "add", xs, xs.begin()->shape, 0, (xs.size() - 1) * e, 0);
    }

    /// Concatenation of feature maps of one spatial size along the channels (Inception).
    tensor concat(std::string name, std::initializer_list<tensor> xs) {
        if (xs.size() < 2) fail(name, "a concat needs at least two inputs");
        std::size_t channels = 0;
        for (const tensor& x : xs) {
            require_map(name, x);
            if (x.shape[1] != xs.begin()->shape[1] || x.shape[2] != xs.begin()->shape[2])
                fail(name, "cannot concatenate feature maps of shapes " +
                               shape_text(xs.begin()->shape) + " and " + shape_text(x.shape));
            channels += x.shape[0];
        }
        const auto& first = xs.begin()->shape;
        return emit(std::move(name), "concat", xs, {channels, first[1], first[2]}, 0, 0, 0);
    }

    /// Local response normalisation across `size` neighbouring channels (original AlexNet and
    /// GoogLeNet): a sum of `size` squares, then a scale, a power and a division per element.
    tensor lrn(std::string name, const tensor& x, std::size_t size) {
        require_map(name, x);
        if (size == 0) fail(name, "the LRN size must be > 0");
        return emit(std::move(name), "lrn", {x}, x.shape, 0, (2 * size + 3) * x.elements(), 0);
    }

    /// Softmax over a flat tensor: an exponential, a running sum and a division per element.
    tensor softmax(std::string name, const tensor& x) {
        return emit(std::move(name), "softmax", {x}, x.shape, 0, 3 * x.elements(), 0);
    }

    /// Number of layers added so far.
    std::size_t size() const noexcept { return graph_.size(); }

    /// Validates and freezes the graph (see layer_graph_builder::build).
    layer_graph build() const { return graph_.build(); }

private:
    [[noreturn]] void fail(const std::string& layer_name, const std::string& what) const {
        throw error(error_kind::validation,
                    "model '" + name_ + "': layer '" + layer_name + "': " + what);
    }

    static std::string shape_text(const std::vector<std::size_t>& shape) {
        std::string text;
        for (std::size_t i = 0; i < shape.size(); ++i) {
            if (i) text += 'x';
            text += std::to_string(shape[i]);
        }
        return text.empty() ? "(scalar)" : text;
    }

    void require_map(const std::string& name, const tensor& x) const {
        if (x.shape.size() != 3)
            fail(name, "needs a C x H x W feature map, got " + shape_text(x.shape));
    }

    // Output extent of a sliding window, with PyTorch's formula for convolution and pooling.
    std::size_t window_output(const std::string& name, std::size_t in, std::size_t kernel,
                              std::size_t stride, std::size_t padding, std::size_t dilation,
                              bool ceil_mode) const {
        const std::size_t span = dilation * (kernel - 1) + 1;
        if (in + 2 * padding < span)
            fail(name, "window of " + std::to_string(span) + " does not fit input " +
                           std::to_string(in) + " with padding " + std::to_string(padding));
        const std::size_t room = in + 2 * padding - span;
        std::size_t out = (ceil_mode ? (room + stride - 1) / stride : room / stride) + 1;
        // A last window starting in the right padding would see no input: PyTorch drops it.
        if (ceil_mode && (out - 1) * stride >= in + padding) --out;
        return out;
    }

    // Sum of the adaptive pooling window lengths along one axis.
    static std::size_t window_sum(std::size_t in, std::size_t out) {
        std::size_t total = 0;
        for (std::size_t i = 0; i < out; ++i) {
            const std::size_t start = i * in / out;
            const std::size_t end = ((i + 1) * in + out - 1) / out;
            total += end - start;
        }
        return total;
    }

    tensor pool(std::string name, const char* kind, const tensor& x, const pool_options& o) {
        require_map(name, x);
        if (o.kernel == 0) fail(name, "the pooling kernel must be > 0");
        // PyTorch refuses padding beyond half the window: such a window could be all padding.
        if (2 * o.padding > o.kernel)
            fail(name, "padding " + std::to_string(o.padding) + " exceeds half the kernel " +
                           std::to_string(o.kernel));
        const std::size_t stride = o.stride == 0 ? o.kernel : o.stride;
        const std::size_t h =
            window_output(name, x.shape[1], o.kernel, stride, o.padding, 1, o.ceil_mode);
        const std::size_t w =
            window_output(name, x.shape[2], o.kernel, stride, o.padding, 1, o.ceil_mode);
        const std::size_t elements = x.shape[0] * h * w;
        return emit(std::move(name), kind, {x}, {x.shape[0], h, w}, 0,
                    o.kernel * o.kernel * elements, 0);
    }

    // Adds the layer, its edges from `inputs`, and returns its output tensor.
    tensor emit(std::string name, const char* kind, std::initializer_list<tensor> inputs,
                std::vector<std::size_t> shape, std::size_t macs, std::size_t flops,
                std::size_t params) {
        tensor out;
        out.producer = graph_.add_layer(
            detail::counted_layer(std::move(name), kind, shape, macs, flops, params));
        out.shape = std::move(shape);
        for (const tensor& x : inputs) graph_.add_edge(x.producer, out.producer);
        return out;
    }

    std::string name_;
    layer_graph_builder graph_;
};

}  // namespace eosdnn
