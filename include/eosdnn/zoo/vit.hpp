#pragma once
/// \file vit.hpp
/// ViT-B/16, the Vision Transformer as defined by torchvision (vit_b_16, 3x224x224).

#include <eosdnn/config.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/graph/layer.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/zoo/detail/token_layers.hpp>

#include <cstddef>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn {

#if EOSDNN_DECLARE_ONLY
// Defined once, in the unit that includes eosdnn/separate_compilation.hpp (config.hpp).
layer_graph vit_b_16();
#else

/// torchvision's ViT-B/16 (Dosovitskiy et al., 2021): a 16x16/16 convolution cuts the image
/// into 196 patches of 768 features; a class token is prepended and a learned position
/// embedding added (197 tokens); 12 pre-LayerNorm encoder layers, each multi-head self-attention
/// (12 heads of 64) and an MLP 768 -> 3072 -> 768 with GELU, with residual additions; a final
/// LayerNorm; the head reads the class token (768 -> 1000). 151 layers, not a chain;
/// 86,567,656 parameters and 17,563,828,224 MACs, the figures of an ONNX export of
/// torchvision's model (tests/io/onnx_transformers.cpp). Each layer's figures, as docs/zoo.md
/// tabulates them, are derived from these dimensions; dropout (0 in ViT-B/16) is left out.
EOSDNN_DECL layer_graph vit_b_16() {
    constexpr std::size_t image = 224, patch = 16, d = 768, heads = 12, layers = 12, mlp = 3072,
                          classes = 1000;
    constexpr std::size_t side = image / patch;      // 14
    constexpr std::size_t tokens = side * side + 1;  // 196 patches and the class token
    constexpr std::size_t e = tokens * d;            // elements of the token sequence

    layer_graph_builder g("vit_b_16");
    // The layers every transformer block repeats (zoo/detail/token_layers.hpp).
    detail::token_layers t(g, tokens, d);

    layer_id x = t.add("input", "input", {}, {3, image, image}, 0, 0, 0);
    constexpr std::size_t conv_macs = d * side * side * 3 * patch * patch;
    x = t.add("conv_proj", "conv", {x}, {d, side, side}, conv_macs, 2 * conv_macs,
              d * 3 * patch * patch + d);
    // Flattened to 196 x 768 and joined to the class token (768 parameters).
    x = t.add("class_token", "concat", {x}, {tokens, d}, 0, 0, d);
    x = t.add("encoder.pos_embedding", "add", {x}, {tokens, d}, 0, e, tokens * d);
    for (std::size_t i = 0; i < layers; ++i) {
        const std::string p = "encoder.layers.encoder_layer_" + std::to_string(i) + ".";
        const layer_id in = x;
        const layer_id ln1 = t.layer_norm(p + "ln_1", in);
        const layer_id qkv = t.linear(p + "self_attention.in_proj", ln1, d, 3 * d);
        // Q K^T: per head L x L dot products of d/heads, so L·L·d MACs over the heads.
        const layer_id scores =
            t.add(p + "self_attention.scores", "matmul", {qkv}, {heads, tokens, tokens},
                  tokens * tokens * d, 2 * tokens * tokens * d, 0);
        const layer_id soft = t.add(p + "self_attention.softmax", "softmax", {scores},
                                    {heads, tokens, tokens}, 0, 3 * heads * tokens * tokens, 0);
        // A V: per head L x d/heads outputs, each a dot product over L.
        const layer_id context =
            t.add(p + "self_attention.context", "matmul", {soft, qkv}, {tokens, d},
                  tokens * tokens * d, 2 * tokens * tokens * d, 0);
        const layer_id out = t.linear(p + "self_attention.out_proj", context, d, d);
        const layer_id add1 = t.add(p + "add_1", "add", {out, in}, {tokens, d}, 0, e, 0);
        const layer_id ln2 = t.layer_norm(p + "ln_2", add1);
        const layer_id fc1 = t.linear(p + "mlp.0", ln2, d, mlp);
        const layer_id gelu =
            t.add(p + "mlp.1", "gelu", {fc1}, {tokens, mlp}, 0, 8 * tokens * mlp, 0);
        const layer_id fc2 = t.linear(p + "mlp.3", gelu, mlp, d);
        x = t.add(p + "add_2", "add", {fc2, add1}, {tokens, d}, 0, e, 0);
    }
    x = t.layer_norm("encoder.ln", x);
    x = t.add("class_token_output", "select", {x}, {d}, 0, 0, 0);
    t.add("heads.head", "fc", {x}, {classes}, d * classes, 2 * d * classes, d * classes + classes);
    return g.build();
}

#endif  // EOSDNN_DECLARE_ONLY

}  // namespace eosdnn
