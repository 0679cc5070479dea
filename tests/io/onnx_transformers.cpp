// The ONNX importer on transformers and recurrent networks (issue 14): torchvision's ViT-B/16 at
// opsets 11, 13 and 17, a BERT-style encoder with a named sequence dimension, LSTM, GRU and RNN
// exported by torch (tools/onnx/export.sh fixtures), and the folding of shape arithmetic on
// models built here. Every expected figure is counted from the architecture's formulas.
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/io/onnx.hpp>
#include <eosdnn/optim/exact.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include "../error_message.hpp"
#include "onnx_fixtures.hpp"
#include "onnx_model_maker.hpp"
#include "onnx_swin_counts.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using eosdnn::import_onnx;
using eosdnn::onnx_import_options;
using eosdnn::test::model_maker;
using eosdnn::test::onnx_fixtures;
using eosdnn::test::onnx_reference;
using eosdnn::test::phone_and_edge;
using eosdnn::test::validation_message;

// ViT-B/16 (Dosovitskiy et al., torchvision's vit_b_16): 16x16 patches of a 224x224 image, so
// 196 patches and a class token, L = 197 tokens of d = 768; 12 layers of 12 heads; MLP 3072;
// 1000 classes.
struct vit_b_16_counts {
    static constexpr double p = 16, image = 224, d = 768, layers = 12, mlp = 3072, classes = 1000;
    static constexpr double patches = (image / p) * (image / p);  // 196
    static constexpr double tokens = patches + 1;                 // 197

    // conv_proj (d x 3 x 16 x 16 + d), class token, position embedding; per layer two
    // LayerNorms, in_proj (3d x d + 3d), out_proj (d x d + d), MLP (d x 3072 + 3072, 3072 x d
    // + d); the final LayerNorm and the head.
    static constexpr double parameters() {
        const double layer =
            2 * 2 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * mlp + mlp) + (mlp * d + d);
        return (d * 3 * p * p + d) + d + tokens * d + layers * layer + 2 * d +
               (d * classes + classes);
    }
    // The patch embedding (one dot product of 3 x 16 x 16 per patch and channel); per layer the
    // Q, K, V projections (L x d x 3d), Q K^T and A V (each L x L x d over the heads), the output
    // projection (L x d x d) and the MLP (2 x L x d x 3072); the head on the class token.
    static constexpr double macs() {
        const double layer =
            tokens * d * 3 * d + 2 * tokens * tokens * d + tokens * d * d + 2 * tokens * d * mlp;
        return patches * d * 3 * p * p + layers * layer + d * classes;
    }
};
static_assert(vit_b_16_counts::parameters() == 86'567'656);  // torchvision's count
static_assert(vit_b_16_counts::macs() == 17'563'828'224);    // issue 14

// The BERT-style encoder of tools/onnx/export_torchvision.py: BERT-base's embeddings (30522
// words, 512 positions, 2 token types, LayerNorm), `layers` post-LayerNorm encoder layers of
// d = 768, 12 heads, feed-forward 3072, and the pooler (d x d, tanh).
struct bert_counts {
    static constexpr double d = 768, ff = 3072, vocab = 30522, positions = 512, types = 2;
    static constexpr double layers = 2;

    static constexpr double parameters() {
        const double layer =
            (3 * d * d + 3 * d) + (d * d + d) + (d * ff + ff) + (ff * d + d) + 2 * 2 * d;
        return (vocab + positions + types) * d + 2 * d + layers * layer + (d * d + d);
    }
    // Embedding lookups multiply nothing; per layer 4 L d^2 (Q, K, V, output), 2 L^2 d
    // (Q K^T, A V) and 2 L d ff; the pooler d^2 on the first token.
    static constexpr double macs(double sequence) {
        const double L = sequence;
        return layers * (4 * L * d * d + 2 * L * L * d + 2 * L * d * ff) + d * d;
    }
};

// The reduced Swin of tools/onnx/export_torchvision.py: torchvision's SwinTransformer with
// swin_t's first two stages (depths [2, 2], heads [3, 6]) and its head on 192 features.
constexpr auto swin = eosdnn::test::swin_reduced;
static_assert(swin.parameters() == 1'389'226);

// A recurrent layer over `steps` time steps: every gate multiplies the input (I) and the
// previous hidden state (H) by its weights, per direction.
constexpr double recurrent_macs(double steps, double directions, double gates, double input,
                                double hidden) {
    return steps * directions * gates * hidden * (input + hidden);
}
constexpr double recurrent_parameters(double directions, double gates, double input,
                                      double hidden) {
    return directions * gates * hidden * (input + hidden + 2);  // W, R and two biases
}

void plans(const eosdnn::layer_graph& g) {
    const eosdnn::analytic_model cost(phone_and_edge());
    const auto cut = eosdnn::min_cut_two_nodes(g, cost, 0, 1);
    CHECK(cut.placement.size() == g.size());
    CHECK(std::isfinite(cut.delay_s));
}

// An image classifier's fixture imported without options: no warning, no unknown operator, a
// 3 x 224 x 224 fp32 input and 1000 classes out. Returns its graph.
eosdnn::layer_graph import_classifier(const std::string& name) {
    const auto r = import_onnx(onnx_fixtures / (name + ".onnx"));
    CHECK(r.warnings.empty());
    CHECK(r.unknown_ops.empty());
    CHECK(r.graph.input_bytes() == 3 * 224 * 224 * 4);
    CHECK(r.graph[r.graph.output()].output_shape == std::vector<std::size_t>{1000});
    return r.graph;
}

// Whether some Softmax layer outputs exactly `bytes` (an attention score tensor).
bool has_softmax_of(const eosdnn::layer_graph& g, double bytes) {
    for (eosdnn::layer_id id = 0; id < g.size(); ++id)
        if (g[id].kind == "Softmax" && g[id].output_bytes == bytes) return true;
    return false;
}

// Folding the parameter-free layers keeps every MAC and parameter of `g`, imported from `name`.
void check_folding(const std::string& name, const eosdnn::layer_graph& g) {
    const auto folded =
        import_onnx(onnx_fixtures / (name + ".onnx"), {.fold_parameter_free = true});
    CHECK(folded.graph.size() < g.size());
    CHECK(folded.graph.total_macs() == g.total_macs());
    CHECK(folded.graph.total_param_bytes() == g.total_param_bytes());
}

}  // namespace

TEST_CASE("onnx: torchvision's ViT-B/16 imports at opsets 11, 13 and 17 without options") {
    const auto ref = onnx_reference();
    for (const char* name : {"vit_b_16_opset11", "vit_b_16_opset13", "vit_b_16_opset17"}) {
        CAPTURE(name);
        const auto g = import_classifier(name);
        // Every parameter once, as fp32; the file's own count (the onnx package) agrees.
        CHECK(g.total_param_bytes() == 4 * vit_b_16_counts::parameters());
        CHECK(g.total_param_bytes() == ref.at(name).at("param_bytes").get<double>());
        CHECK(ref.at(name).at("parameters").get<double>() == vit_b_16_counts::parameters());
        CHECK(g.total_macs() == vit_b_16_counts::macs());
        CHECK(has_softmax_of(g, 12.0 * 197 * 197 * 4));  // one layer's scores: 12 heads of L x L
        plans(g);
        check_folding(name, g);
    }
}

TEST_CASE("onnx: the zoo's vit_b_16 has the parameter bytes and MACs of the ONNX export") {
    const auto zoo = eosdnn::zoo_model("vit_b_16");
    const auto onnx = import_onnx(onnx_fixtures / "vit_b_16_opset17.onnx").graph;
    CHECK(zoo.total_param_bytes() == onnx.total_param_bytes());
    CHECK(zoo.total_macs() == onnx.total_macs());
    CHECK(zoo.input_bytes() == onnx.input_bytes());
    CHECK(zoo[zoo.output()].output_bytes == onnx[onnx.output()].output_bytes);
}

TEST_CASE("onnx: a BERT-style encoder with a named sequence dimension, at opsets 11, 13, 17") {
    const auto ref = onnx_reference();
    for (const char* name : {"bert_style_encoder_opset11", "bert_style_encoder_opset13",
                             "bert_style_encoder_opset17"}) {
        CAPTURE(name);
        const fs::path file = onnx_fixtures / (std::string(name) + ".onnx");
        CHECK(validation_message([&] { import_onnx(file); }) ==
              file.string() +
                  ": data input 'input_ids' dimension 1 ('sequence') is not fixed; give its size "
                  "in onnx_import_options::input_shapes or dim_values (eosdnn-plan: "
                  "--input-shape NAME=D1xD2x... or --dim NAME=VALUE)");
        for (std::int64_t sequence : {128, 16, 384}) {
            CAPTURE(sequence);
            onnx_import_options options;
            eosdnn::add_dim_value(options, "sequence=" + std::to_string(sequence));
            const auto r = import_onnx(file, options);
            CHECK(r.unknown_ops.empty());
            CHECK(r.graph.input_bytes() == 8.0 * static_cast<double>(sequence));  // int64 ids
            CHECK(r.graph.total_param_bytes() == 4 * bert_counts::parameters());
            CHECK(r.graph.total_param_bytes() == ref.at(name).at("param_bytes").get<double>());
            CHECK(r.graph.total_macs() == bert_counts::macs(static_cast<double>(sequence)));
            plans(r.graph);
        }
        // The same through the complete shape, and a batch of 4.
        onnx_import_options shaped;
        eosdnn::add_input_shape(shaped, "input_ids=4x128");
        const auto four = import_onnx(file, shaped);
        CHECK(four.batch_size == 4);
        CHECK(four.graph.total_macs() == 4 * bert_counts::macs(128));
    }
}

TEST_CASE("onnx: the zoo's BERT encoder with two layers equals the BERT-style fixture") {
    // The fixture is BERT-base with 2 encoder layers instead of 12 (post-LayerNorm, GELU, the
    // pooler); torch's attention has one 3d x d in_proj where BERT has query, key and value,
    // the same weights and MACs. bert_encoder() with layers = 2 is the same network.
    for (std::size_t sequence : {16, 128, 384}) {
        CAPTURE(sequence);
        const auto zoo = eosdnn::bert_encoder({.sequence = sequence, .layers = 2}, "bert_2");
        onnx_import_options options;
        options.dim_values["sequence"] = static_cast<std::int64_t>(sequence);
        const auto onnx =
            import_onnx(onnx_fixtures / "bert_style_encoder_opset17.onnx", options).graph;
        CHECK(zoo.total_param_bytes() == onnx.total_param_bytes());
        CHECK(zoo.total_param_bytes() == 4 * bert_counts::parameters());
        CHECK(zoo.total_macs() == onnx.total_macs());
        CHECK(zoo.total_macs() == bert_counts::macs(static_cast<double>(sequence)));
        CHECK(zoo.input_bytes() == onnx.input_bytes());
        CHECK(zoo[zoo.output()].output_bytes == onnx[onnx.output()].output_bytes);
    }
    // BERT-base is the same formulas with 12 layers: 10 more of the per-layer terms.
    const double layer_params =
        4 * (768.0 * 768 + 768) + 4 * 768 + (768.0 * 3072 + 3072) + (3072.0 * 768 + 768);
    const double layer_macs =
        4 * 128.0 * 768 * 768 + 2 * 128.0 * 128 * 768 + 2 * 128.0 * 768 * 3072;
    const auto base = eosdnn::zoo_model("bert_base");
    CHECK(base.total_param_bytes() == 4 * (bert_counts::parameters() + 10 * layer_params));
    CHECK(base.total_macs() == bert_counts::macs(128) + 10 * layer_macs);
}

TEST_CASE("onnx: a reduced Swin imports at opsets 11 13 and 17 without options") {
    const auto ref = onnx_reference();
    for (const char* name :
         {"swin_reduced_opset11", "swin_reduced_opset13", "swin_reduced_opset17"}) {
        CAPTURE(name);
        const auto g = import_classifier(name);
        CHECK(ref.at(name).at("parameters").get<double>() == swin.parameters());
        CHECK(g.total_param_bytes() == 4 * swin.file_parameters());
        CHECK(g.total_param_bytes() == ref.at(name).at("param_bytes").get<double>());
        CHECK(g.total_macs() == swin.macs());
        // Window attention: 64 windows x 3 heads of 49 x 49 scores in the first stage.
        CHECK(has_softmax_of(g, 64.0 * 3 * 49 * 49 * 4));
        plans(g);
        check_folding(name, g);
    }
}

TEST_CASE("onnx: LSTM, GRU and RNN cost their closed form") {
    const auto ref = onnx_reference();
    // torch's exports: batch 1, sequence 20, input 32, and a dense layer to 10 on the last step.
    struct recurrent {
        const char* name;
        double gates, hidden, layers, directions;
    };
    for (const recurrent& n :
         {recurrent{"lstm_2layer", 4, 64, 2, 1}, recurrent{"gru_1layer_bidirectional", 3, 48, 1, 2},
          recurrent{"rnn_2layer", 1, 40, 2, 1}}) {
        CAPTURE(n.name);
        double macs = 0, parameters = 0, input = 32;
        for (int layer = 0; layer < n.layers; ++layer) {
            macs += recurrent_macs(20, n.directions, n.gates, input, n.hidden);
            parameters += recurrent_parameters(n.directions, n.gates, input, n.hidden);
            input = n.directions * n.hidden;
        }
        macs += input * 10;
        parameters += input * 10 + 10;
        // torch exports the zero initial state of each layer (directions x batch x H, and the
        // cell state of an LSTM) as a Constant: a tensor of the file, not a literal when it has
        // more than 64 elements.
        if (n.directions * n.hidden > 64)
            parameters += n.layers * n.directions * n.hidden * (n.gates == 4 ? 2 : 1);
        const auto r = import_onnx(onnx_fixtures / (std::string(n.name) + ".onnx"));
        CHECK(r.unknown_ops.empty());
        CHECK(r.graph.total_macs() == macs);
        CHECK(r.graph.total_param_bytes() == 4 * parameters);
        CHECK(r.graph.total_param_bytes() == ref.at(n.name).at("param_bytes").get<double>());
        plans(r.graph);
    }
}

TEST_CASE("onnx: a recurrent node built here: layouts, directions and FLOPs") {
    // LSTM over 7 steps, batch 3, input 5, hidden 4, both directions.
    model_maker m(14);
    m.input("x", {7, 3, 5});
    m.initializer("W", {2, 16, 5});
    m.initializer("R", {2, 16, 4});
    auto& lstm = m.node("LSTM", {"x", "W", "R"}, {"y"}, "lstm");
    model_maker::integer(lstm, "hidden_size", 4);
    auto* a = lstm.add_attribute();
    a->set_name("direction");
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s("bidirectional");
    m.output("y");
    const auto r = m.import();
    const double macs = recurrent_macs(7 * 3, 2, 4, 5, 4);
    CHECK(r.graph[1].macs == macs);
    // Three sigmoids and two tanh (4 FLOPs each) and 4 for the cell, per unit and step.
    CHECK(r.graph[1].flops == 2 * macs + 7 * 3 * 2 * 4 * 24.0);
    CHECK(r.graph[1].output_bytes == 7 * 2 * 3 * 4 * 4);  // Y: [sequence, directions, batch, H]

    // layout 1: X is [batch, sequence, input]; the same work.
    model_maker b(14);
    b.input("x", {3, 7, 5});
    b.initializer("W", {1, 3 * 4, 5});
    b.initializer("R", {1, 3 * 4, 4});
    auto& gru = b.node("GRU", {"x", "W", "R"}, {"y"}, "gru");
    model_maker::integer(gru, "hidden_size", 4);
    model_maker::integer(gru, "layout", 1);
    b.output("y");
    CHECK(b.import().graph[1].macs == recurrent_macs(7 * 3, 1, 3, 5, 4));
}

TEST_CASE("onnx: shape arithmetic torch exports is folded: Expand of a class token") {
    // ViT's class token: Expand(token, Where(Equal(shape, -1 x ones), ones, shape)) with shape
    // [1, -1, -1], then concatenated to the patches; nothing of it is known to ONNX's inference.
    model_maker m;
    m.input("x", {1, 4, 8});
    m.input("token", {1, 1, 8});  // weight inputs: the export has no parameters
    m.input("w", {8, 8});
    m.node("MatMul", {"x", "w"}, {"patches"}, "embed");
    m.constant("shape", {1, -1, -1});
    m.constant("three", {3});
    auto& ones = m.node("ConstantOfShape", {"three"}, {"ones"}, "ones");
    auto* value = ones.add_attribute();
    value->set_name("value");
    value->set_type(onnx::AttributeProto::TENSOR);
    value->mutable_t()->set_data_type(onnx::TensorProto::INT64);
    value->mutable_t()->add_dims(1);
    value->mutable_t()->add_int64_data(1);
    m.constant("minus_one", {-1}, true);
    m.node("Mul", {"ones", "minus_one"}, {"minus_ones"}, "mul");
    m.node("Equal", {"shape", "minus_ones"}, {"is_free"}, "equal");
    m.node("Where", {"is_free", "ones", "shape"}, {"target"}, "where");
    m.node("Expand", {"token", "target"}, {"tokens"}, "expand");
    auto& cat = m.node("Concat", {"tokens", "patches"}, {"joined"}, "concat");
    model_maker::integer(cat, "axis", 1);
    m.node("Relu", {"joined"}, {"y"}, "relu");
    m.output("y");
    const auto r = m.import();
    const auto& g = r.graph;
    // x, embed, concat, relu: the shape arithmetic and the Expand are constant, no layers.
    REQUIRE(g.size() == 4);
    CHECK(g[g.input()].name == "x");
    CHECK(g[2].name == "concat");
    CHECK(g[2].output_shape == std::vector<std::size_t>{5, 8});
    CHECK(g[2].param_bytes == 8 * 4);  // the token, charged to its reader
    CHECK(g.total_param_bytes() == (8 + 64) * 4);
    CHECK(g[3].flops == 40);
}

TEST_CASE("onnx: shape arithmetic: Range, Slice with steps, Gather, Cast, Not, ReduceProd") {
    // positions = Range(0, sequence, 1) looked up in a table; the sequence is a named dimension.
    model_maker m;
    m.input("ids", {1, -3}, onnx::TensorProto::INT64);
    m.input("words", {100, 6});  // tables given as inputs (export_params=False)
    m.input("positions", {64, 6});
    m.node("Gather", {"words", "ids"}, {"w"}, "word_lookup");
    m.node("Shape", {"ids"}, {"s"}, "shape");
    m.constant("one", {1}, true);
    m.constant("zero", {0}, true);
    m.node("Gather", {"s", "one"}, {"length"}, "length");
    m.node("Range", {"zero", "length", "one"}, {"steps"}, "range");
    m.node("Gather", {"positions", "steps"}, {"p"}, "position_lookup");
    m.node("Add", {"w", "p"}, {"e"}, "embed");
    // A reshape target computed as [-1] + reversed(shape)[:1] ... with Slice step -1, a Cast
    // round trip through bool and back, and ReduceProd: [L * 6] flattens to one vector.
    m.node("Shape", {"e"}, {"es"}, "shape_e");
    m.constant("start", {-1});
    m.constant("end", {-100});
    m.constant("axes", {0});
    m.constant("step", {-1});
    m.node("Slice", {"es", "start", "end", "axes", "step"}, {"reversed"}, "reverse");
    auto& to_bool = m.node("Cast", {"reversed"}, {"nonzero"}, "to_bool");
    model_maker::integer(to_bool, "to", onnx::TensorProto::BOOL);
    m.node("Not", {"nonzero"}, {"zeroes"}, "not");
    auto& back = m.node("Cast", {"zeroes"}, {"zero_ints"}, "to_int");
    model_maker::integer(back, "to", onnx::TensorProto::INT64);
    m.node("Add", {"reversed", "zero_ints"}, {"same"}, "add_zero");
    auto& prod = m.node("ReduceProd", {"same"}, {"size"}, "size");
    model_maker::integer(prod, "keepdims", 1);
    m.node("Reshape", {"e", "size"}, {"flat"}, "flatten");
    m.node("Relu", {"flat"}, {"y"}, "relu");
    m.output("y");

    const auto r = m.import({.dim_values = {{"sequence", 10}}});
    const auto& g = r.graph;
    CHECK(g.input_bytes() == 10 * 8);
    const auto flat = g.find("flatten");
    REQUIRE(flat.has_value());
    CHECK(g[*flat].output_shape == std::vector<std::size_t>{60});
    CHECK(g[*g.find("relu")].flops == 60);
    // The word table is a weight (looked up by the ids), and so is the position table.
    CHECK(g.total_param_bytes() == (100 + 64) * 6 * 4);
    CHECK(!g.find("position_lookup"));  // positions do not depend on the ids' values: constant
}

TEST_CASE("onnx: shape arithmetic: torch's Pad reorders its pads with Slice and Transpose") {
    // torch's F.pad exports its pads (last dimension first, a (before, after) pair each) as
    // Reshape to [-1, 2], Slice along axis 0 with step -1, Transpose and Reshape to [-1]: ONNX's
    // order, every begin then every end (Swin pads its feature map to whole windows this way).
    model_maker m(11);
    m.input("x", {1, 4, 6, 8});
    m.constant("torch_pads", {0, 0, 1, 2, 0, 1, 0, 0});
    m.constant("pairs", {-1, 2});
    m.node("Reshape", {"torch_pads", "pairs"}, {"table"}, "to_pairs");
    m.constant("start", {-1});
    m.constant("end", {-100});
    m.constant("axis", {0});
    m.constant("step", {-1});
    m.node("Slice", {"table", "start", "end", "axis", "step"}, {"reversed"}, "reverse");
    model_maker::ints(m.node("Transpose", {"reversed"}, {"by_side"}, "transpose"), "perm", {1, 0});
    m.constant("flat", {-1});
    m.node("Reshape", {"by_side", "flat"}, {"pads"}, "to_onnx");
    m.node("Pad", {"x", "pads"}, {"padded"}, "pad");
    m.node("Relu", {"padded"}, {"y"}, "relu");
    m.output("y");
    const auto r = m.import();
    const auto& g = r.graph;
    REQUIRE(g.size() == 3);  // x, pad, relu: the pads are a constant
    // ONNX pads [0, 0, 1, 0, 0, 1, 2, 0]: dimension 1 gets 0 + 1, dimension 2 gets 1 + 2.
    CHECK(g[*g.find("pad")].output_shape == std::vector<std::size_t>{5, 9, 8});
    CHECK(g[*g.find("relu")].flops == 5 * 9 * 8);

    // A Transpose of rank 3 and a Slice over two axes with positive steps.
    model_maker t(13);
    t.input("x", {1, 18});
    t.constant("dims", {2, 3, 4, 5, 6, 7});
    t.constant("cube", {2, 3, 1});
    t.node("Reshape", {"dims", "cube"}, {"c"}, "cube");  // [[[2], [3], [4]], [[5], [6], [7]]]
    model_maker::ints(t.node("Transpose", {"c"}, {"ct"}, "swap"), "perm", {2, 0, 1});
    t.constant("s0", {0, 1});
    t.constant("e0", {1, 100});
    t.constant("a0", {0, 2});
    t.constant("st", {1, 2});
    // ct is 1 x 2 x 3: [[[2, 3, 4], [5, 6, 7]]]; row 0 of axis 0 and every second element of
    // axis 2 from 1: [[[3], [6]]], flattened to [3, 6] after a batch of 1.
    t.node("Slice", {"ct", "s0", "e0", "a0", "st"}, {"picked"}, "pick");
    t.constant("two", {2});
    t.node("Reshape", {"picked", "two"}, {"target_tail"}, "tail");
    t.constant("lead", {1});
    auto& cat = t.node("Concat", {"lead", "target_tail"}, {"target"}, "target");
    model_maker::integer(cat, "axis", 0);
    t.node("Reshape", {"x", "target"}, {"y0"}, "reshape");
    t.node("Relu", {"y0"}, {"y"}, "relu");
    t.output("y");
    const auto rt = t.import();
    CHECK(rt.graph[*rt.graph.find("reshape")].output_shape == std::vector<std::size_t>{3, 6});
}

TEST_CASE("onnx: literals are no parameters, tables and biases given as inputs are") {
    model_maker m;
    m.input("x", {1, 4});
    m.input("w", {4, 80});  // weights as inputs (export_params=False)
    m.input("b", {80});
    m.node("MatMul", {"x", "w"}, {"h"}, "mm");
    m.node("Add", {"b", "h"}, {"hb"}, "bias");  // torch puts the bias first
    m.float_constant("scale", 80);              // 80 floats: more than a literal
    m.node("Mul", {"hb", "scale"}, {"s"}, "scale_mul");
    m.float_constant("half", 1);  // a literal
    m.node("Mul", {"s", "half"}, {"y"}, "half_mul");
    m.output("y");
    const auto r = m.import();
    const auto& g = r.graph;
    CHECK(g[g.input()].name == "x");
    CHECK(g.input_bytes() == 16);
    CHECK(g[*g.find("mm")].param_bytes == 4 * 80 * 4);
    CHECK(g[*g.find("bias")].param_bytes == 80 * 4);
    CHECK(g[*g.find("scale_mul")].param_bytes == 80 * 4);
    CHECK(g[*g.find("half_mul")].param_bytes == 0);
}

TEST_CASE("onnx: unknown operators name the node, unless zero cost is asked for") {
    model_maker m;
    m.input("x", {1, 4});
    m.node("Relu", {"x"}, {"r"}, "relu");
    m.node("Mystery", {"r"}, {"y"}, "mystery").set_domain("com.example");
    auto* opset = m.model().add_opset_import();
    opset->set_domain("com.example");
    opset->set_version(1);
    auto* declared = m.graph().add_value_info();  // the file's shape for the custom operator
    declared->set_name("y");
    declared->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    for (std::int64_t d : {1, 4})
        declared->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(
            d);
    m.output("y");
    const auto message = validation_message([&] { m.import(); });
    CHECK(message ==
          "test.onnx: node 'mystery' (com.example.Mystery): the cost of operator "
          "com.example.Mystery is unknown (docs/onnx.md lists the priced operators); "
          "set onnx_import_options::zero_cost_unknown_ops to import it with zero MACs "
          "and FLOPs");
    const auto zero = m.import({.zero_cost_unknown_ops = true});
    CHECK(zero.unknown_ops == std::vector<std::string>{"com.example.Mystery"});
    CHECK(zero.graph.total_flops() == 4);  // the ReLU
}

TEST_CASE("onnx: --input-shape and --dim texts") {
    onnx_import_options o;
    eosdnn::add_input_shape(o, "input=1x3x224x224");
    eosdnn::add_input_shape(o, "a=b=7");  // the name ends at the last '='
    eosdnn::add_dim_value(o, "sequence=128");
    CHECK(o.input_shapes.at("input") == std::vector<std::int64_t>{1, 3, 224, 224});
    CHECK(o.input_shapes.at("a=b") == std::vector<std::int64_t>{7});
    CHECK(o.dim_values.at("sequence") == 128);
    for (const char* bad : {"input", "=1x3", "input=", "input=1x", "input=1xx3", "input=0x3",
                            "input=-1", "input=1x3.5", "input=99999999999999999999"}) {
        CAPTURE(bad);
        CHECK(validation_message([&] {
                  eosdnn::add_input_shape(o, bad);
              }).starts_with("input shape '" + std::string(bad) + "': expected NAME="));
    }
    CHECK(validation_message([&] { eosdnn::add_input_shape(o, "input=1x3"); }) ==
          "input shape 'input=1x3': expected each input once ('input' is given twice)");
    for (const char* bad : {"sequence", "=4", "n=", "n=0", "n=-3", "n=1e3", "n=x"}) {
        CAPTURE(bad);
        CHECK(validation_message([&] {
                  eosdnn::add_dim_value(o, bad);
              }).starts_with("dimension '" + std::string(bad) + "': expected NAME=VALUE"));
    }
    CHECK(validation_message([&] { eosdnn::add_dim_value(o, "sequence=64"); }) ==
          "dimension 'sequence=64': expected each dimension once ('sequence' is given twice)");
}

TEST_CASE("onnx: a weight of another element type than its operator's input is refused") {
    model_maker m;
    m.input("x", {1, 3, 8, 8});
    auto* w = m.graph().add_initializer();  // fp16 weights feeding an fp32 convolution
    w->set_name("w");
    w->set_data_type(onnx::TensorProto::FLOAT16);
    for (std::int64_t d : {4, 3, 3, 3}) w->add_dims(d);
    w->set_raw_data(std::string(4 * 3 * 3 * 3 * 2, '\0'));
    m.node("Conv", {"x", "w"}, {"y"}, "conv");
    m.output("y");
    CHECK(validation_message([&] { m.import(); }) ==
          "test.onnx: node 'conv' (Conv): weight 'w' is FLOAT16 but input 'x' is FLOAT: the "
          "operator needs one element type for both (type T)");
    w->set_data_type(onnx::TensorProto::FLOAT);
    w->set_raw_data(std::string(4 * 3 * 3 * 3 * 4, '\0'));
    CHECK(m.import().graph.total_param_bytes() == 4 * 3 * 3 * 3 * 4);
}

TEST_CASE("onnx: shape arithmetic that takes one round of inference per layer, for 40 layers") {
    // Each layer reshapes its input to Shape(input) / 1: ONNX does not propagate Div, so the
    // shape of layer k is known only once layer k - 1's has been folded and inferred (a stack
    // of attention layers with a dynamic batch, exported by torch, is like this).
    model_maker m;
    m.input("x", {-3, 4, 6});
    m.constant("one", {1});
    std::string y = "x";
    for (int k = 0; k < 40; ++k) {
        const std::string n = std::to_string(k);
        m.node("Shape", {y}, {"s" + n}, "shape" + n);
        m.node("Div", {"s" + n, "one"}, {"t" + n}, "div" + n);
        m.node("Relu", {y}, {"r" + n}, "relu" + n);
        m.node("Reshape", {"r" + n, "t" + n}, {"y" + n}, "reshape" + n);
        y = "y" + n;
    }
    m.output(y);
    const auto r = m.import({.dim_values = {{"sequence", 5}}});
    CHECK(r.graph.size() == 1 + 2 * 40);
    CHECK(r.graph[r.graph.output()].output_bytes == 5 * 4 * 6 * 4);
    CHECK(r.graph.total_flops() == 40 * 5 * 4 * 6);
}
