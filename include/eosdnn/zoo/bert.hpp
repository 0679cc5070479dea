#pragma once
/// \file bert.hpp
/// BERT-base, the text encoder of Devlin et al. (2019), for a sequence of token ids of a chosen
/// length, and bert_encoder() for other sizes of the same architecture.

#include <eosdnn/config.hpp>
#include <eosdnn/core/error.hpp>
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

/// The dimensions of a BERT encoder (bert_encoder()); the defaults are BERT-base uncased.
struct bert_options {
    std::size_t sequence = 128;  ///< tokens per query, L: 1 to `positions`
    std::size_t layers = 12;     ///< encoder layers: 1 to 10000
    std::size_t hidden = 768;    ///< features per token, d; a multiple of `heads`
    std::size_t heads = 12;      ///< attention heads
    /// Features of the feed-forward network inside each layer.
    std::size_t intermediate = 3072;
    std::size_t vocabulary = 30522;  ///< rows of the word embedding table
    std::size_t positions = 512;     ///< rows of the position embedding table: the longest L
    std::size_t token_types = 2;     ///< rows of the token type (segment) table

    /// Throws eosdnn::error (validation) naming the first field out of range and its value:
    /// every size is 1 to 2^20 (layers 1 to 10000, sequence 1 to positions).
    void validate() const {
        const auto check = [](bool ok, const char* field, std::size_t value,
                              const std::string& rule) {
            if (!ok)
                throw error(error_kind::validation, std::string("bert_options.") + field + " is " +
                                                        std::to_string(value) + " (must be " +
                                                        rule + ")");
        };
        // Bounds that keep every per-layer count within 64-bit arithmetic.
        constexpr std::size_t most = std::size_t{1} << 20;
        const std::string range = ">= 1 and <= " + std::to_string(most);
        check(layers >= 1 && layers <= 10000, "layers", layers, ">= 1 and <= 10000");
        check(heads >= 1 && heads <= most, "heads", heads, range);
        check(hidden >= 1 && hidden <= most && hidden % heads == 0, "hidden", hidden,
              range + " and a multiple of heads");
        check(intermediate >= 1 && intermediate <= most, "intermediate", intermediate, range);
        check(vocabulary >= 1 && vocabulary <= most, "vocabulary", vocabulary, range);
        check(token_types >= 1 && token_types <= most, "token_types", token_types, range);
        check(positions >= 1 && positions <= most, "positions", positions, range);
        check(sequence >= 1 && sequence <= positions, "sequence", sequence,
              ">= 1 and <= positions (" + std::to_string(positions) + ")");
    }
};

#if EOSDNN_DECLARE_ONLY
// Defined once, in the unit that includes eosdnn/separate_compilation.hpp (config.hpp).
layer_graph bert_encoder(const bert_options& o, std::string name);
layer_graph bert_base(std::size_t sequence = 128);
#else

/// A BERT encoder (Devlin et al., 2019, as Hugging Face's BertModel defines it) for one query of
/// `o.sequence` token ids, one segment and no padding, named `name`. The embeddings look the
/// tokens up in the word table, add the position and token type rows and normalise; each
/// encoder layer is self-attention (query, key and value projections, Q·K^T over the heads, a
/// softmax, A·V, an output projection), a residual addition and a LayerNorm, then the
/// feed-forward network (d -> intermediate, GELU, -> d), a residual addition and a LayerNorm
/// (post-LayerNorm); the pooler is a dense layer with tanh on the first token, and its output
/// is the graph's output. Layer names follow BertModel's modules (docs/zoo.md). The input is
/// the token ids as int64, 8 bytes each, what a torch export reads; every other tensor is fp32.
/// Throws eosdnn::error (validation) when `o` is out of range (bert_options::validate).
EOSDNN_DECL layer_graph bert_encoder(const bert_options& o, std::string name) {
    o.validate();
    constexpr std::size_t id_bytes = 8;  // int64 token ids; the rest is fp32 (token_layers)
    const std::size_t L = o.sequence, d = o.hidden, ff = o.intermediate;
    const std::size_t e = L * d;  // elements of the token sequence

    layer_graph_builder g(std::move(name));
    // The layers every transformer block repeats (zoo/detail/token_layers.hpp).
    detail::token_layers t(g, L, d);

    // The token ids, int64 as torch feeds them.
    layer_id x = g.add_layer({.name = "input",
                              .kind = "input",
                              .output_bytes = static_cast<double>(L * id_bytes),
                              .output_shape = {L}});
    // A lookup copies rows: no arithmetic. The whole table must be where the lookup runs.
    x = t.add("embeddings.word_embeddings", "embedding", {x}, {L, d}, 0, 0, o.vocabulary * d);
    // The position rows 0 .. L-1 and the token type row of segment 0, added to every token.
    x = t.add("embeddings.position_embeddings", "add", {x}, {L, d}, 0, e, o.positions * d);
    x = t.add("embeddings.token_type_embeddings", "add", {x}, {L, d}, 0, e, o.token_types * d);
    x = t.layer_norm("embeddings.LayerNorm", x);
    for (std::size_t i = 0; i < o.layers; ++i) {
        const std::string p = "encoder.layer." + std::to_string(i) + ".";
        const layer_id in = x;
        const layer_id q = t.linear(p + "attention.self.query", in, d, d);
        const layer_id k = t.linear(p + "attention.self.key", in, d, d);
        const layer_id v = t.linear(p + "attention.self.value", in, d, d);
        // Q K^T: per head L x L dot products of d/heads, so L·L·d MACs over the heads.
        const layer_id scores = t.add(p + "attention.self.scores", "matmul", {q, k},
                                      {o.heads, L, L}, L * L * d, 2 * L * L * d, 0);
        const layer_id soft = t.add(p + "attention.self.softmax", "softmax", {scores},
                                    {o.heads, L, L}, 0, 3 * o.heads * L * L, 0);
        // A V: per head L x d/heads outputs, each a dot product over L.
        const layer_id context = t.add(p + "attention.self.context", "matmul", {soft, v}, {L, d},
                                       L * L * d, 2 * L * L * d, 0);
        const layer_id dense = t.linear(p + "attention.output.dense", context, d, d);
        const layer_id sum1 =
            t.add(p + "attention.output.add", "add", {dense, in}, {L, d}, 0, e, 0);
        const layer_id ln1 = t.layer_norm(p + "attention.output.LayerNorm", sum1);
        const layer_id up = t.linear(p + "intermediate.dense", ln1, d, ff);
        const layer_id gelu =
            t.add(p + "intermediate.gelu", "gelu", {up}, {L, ff}, 0, 8 * L * ff, 0);
        const layer_id down = t.linear(p + "output.dense", gelu, ff, d);
        const layer_id sum2 = t.add(p + "output.add", "add", {down, ln1}, {L, d}, 0, e, 0);
        x = t.layer_norm(p + "output.LayerNorm", sum2);
    }
    x = t.add("pooler.first_token", "select", {x}, {d}, 0, 0, 0);
    x = t.add("pooler.dense", "fc", {x}, {d}, d * d, 2 * d * d, d * d + d);
    t.add("pooler.activation", "tanh", {x}, {d}, 0, 4 * d, 0);  // 4 FLOPs, as the importer's Tanh
    return g.build();
}

/// BERT-base uncased (Devlin et al., 2019) for a sequence of `sequence` tokens (1 to 512):
/// bert_encoder() with the defaults of bert_options (30522 words, 512 positions, 2 token types,
/// 12 layers of 768 features, 12 heads, feed-forward 3072). 176 layers, not a chain;
/// 109,482,240 parameters with the pooler (589,824 + 768 of them); MACs
/// 12·(4·L·768² + 2·L²·768 + 2·L·768·3072) + 768², 11,174,215,680 at L = 128. Named
/// `bert_base` at the default length and `bert_base:L` otherwise, the names zoo_model() reads.
EOSDNN_DECL layer_graph bert_base(std::size_t sequence = 128) {
    return bert_encoder({.sequence = sequence},
                        sequence == 128 ? "bert_base" : "bert_base:" + std::to_string(sequence));
}

#endif  // EOSDNN_DECLARE_ONLY

}  // namespace eosdnn
