// Tests of the built-in model zoo and of network_builder, which computes the zoo's shapes and
// costs. The canonical totals are torchvision's for the image models and those of BERT-base's
// closed form for the encoder (see docs/zoo.md).

#include <eosdnn/zoo/zoo.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace {

using eosdnn::layer_graph;
using shape = std::vector<std::size_t>;

struct expected_model {
    std::string_view name;
    double params;
    double macs;
    std::size_t layers;
    bool chain;
    double flops;  // eosdnn's convention (network_builder.hpp), pinned so docs/zoo.md stays true
    shape input = {3, 224, 224};  // a 3x224x224 fp32 image, or BERT's token ids (int64)
    double input_bytes = 3 * 224 * 224 * 4;
    std::string_view output_kind = "fc";  // the 1000-class dense layer, or BERT's pooler
    shape output = {1000};
};

// BERT-base uncased (Devlin et al., 2019; Hugging Face's BertModel) at a sequence of L tokens:
// vocabulary 30522, 512 positions, 2 token types, 12 layers of d = 768, 12 heads, FFN 3072.
struct bert_base_counts {
    static constexpr double vocab = 30522, positions = 512, types = 2, d = 768, heads = 12,
                            layers = 12, ff = 3072;
    // Embedding tables and their LayerNorm; per layer Q, K, V and the attention output (d x d
    // + d each), two LayerNorms, the FFN (d x ff + ff, ff x d + d); the pooler (d x d + d).
    static constexpr double parameters() {
        const double layer = 4 * (d * d + d) + 2 * 2 * d + (d * ff + ff) + (ff * d + d);
        return (vocab + positions + types) * d + 2 * d + layers * layer + (d * d + d);
    }
    // Per layer the four projections (4 L d^2), Q K^T and A V (2 L^2 d over the heads) and the
    // FFN (2 L d ff); the pooler on the first token (d^2). Lookups multiply nothing.
    static constexpr double macs(double L) {
        return layers * (4 * L * d * d + 2 * L * L * d + 2 * L * d * ff) + d * d;
    }
    // eosdnn's element-wise conventions (docs/zoo.md): 2 per MAC; the two embedding additions
    // (E each, E = L d) and LayerNorm (5 E); per layer the softmax (3 h L^2), two residual
    // additions and two LayerNorms (12 E) and GELU (8 L ff); tanh on the pooled vector (4 d).
    static constexpr double flops(double L) {
        const double e = L * d;
        return 2 * macs(L) + 7 * e + layers * (3 * heads * L * L + 12 * e + 8 * L * ff) + 4 * d;
    }
};
static_assert(bert_base_counts::parameters() == 109'482'240);  // BERT-base uncased, with pooler
static_assert(bert_base_counts::parameters() - (768 * 768 + 768) == 108'891'648);  // without

// Parameters and MACs are torchvision's canonical figures; layer counts follow from the
// definitions (e.g. ResNet-50: 5 stem layers + 16 blocks x 10 + 4 x 2 downsample + 3 head layers).
const expected_model expected[] = {
    {"alexnet", 61'100'840, 714'188'480, 23, true, 1'429'674'240},
    {"vgg16", 138'357'544, 15'470'264'320, 41, true, 30'960'230'912},
    {"vgg19", 143'667'240, 19'632'062'464, 47, true, 39'285'131'776},
    {"resnet18", 11'689'512, 1'814'073'344, 70, false, 3'638'006'272},
    {"resnet50", 25'557'032, 4'089'184'256, 176, false, 8'217'631'232},
    {"googlenet", 6'624'904, 1'498'376'192, 198, false, 3'019'034'448},
    {"mobilenet_v2", 3'504'872, 300'774'272, 154, false, 627'395'456},
    // 1 input + conv_proj + class token + position embedding + 12 x 12 encoder layers + final
    // LayerNorm + class token output + head. MACs: 196 patches x 768 x 3·16·16 and per layer
    // 197·768·(3·768 + 768 + 2·3072) + 2·197²·768, plus the head's 768,000 (issue 14).
    {"vit_b_16", 86'567'656, 17'563'828'224, 151, false, 35'225'214'000},
    // 1 input + 3 embedding layers and their LayerNorm + 12 x 14 encoder layers + the pooler's
    // first-token selection, dense layer and tanh; 128 int64 token ids in, 768 features out.
    // The parameters include the pooler's 590,592.
    {"bert_base", bert_base_counts::parameters(), bert_base_counts::macs(128), 176, false,
     bert_base_counts::flops(128), shape{128}, 128 * 8, "tanh", shape{768}},
};

const eosdnn::layer& layer_named(const layer_graph& g, std::string_view name) {
    const auto id = g.find(name);
    REQUIRE_MESSAGE(id.has_value(), "no layer '" << name << "' in " << g.name());
    return g[*id];
}

shape shape_of(const layer_graph& g, std::string_view name) {
    return layer_named(g, name).output_shape;
}

std::size_t elements(const shape& s) {
    std::size_t n = 1;
    for (std::size_t d : s) n *= d;
    return n;
}

}  // namespace

TEST_CASE("zoo: every model hits the canonical parameter and MAC totals exactly") {
    for (const auto& e : expected) {
        CAPTURE(e.name);
        const layer_graph g = eosdnn::zoo_model(e.name);
        CHECK(g.name() == e.name);
        CHECK(g.total_param_bytes() / 4 == e.params);
        CHECK(g.total_macs() == e.macs);
        // FLOPs are 2 per MAC plus the element-wise work of BatchNorm, ReLU, pooling, ...
        CHECK(g.total_flops() > 2 * e.macs);
        CHECK(g.total_flops() == e.flops);
    }
}

TEST_CASE("zoo: layer counts - chains and the output layer") {
    for (const auto& e : expected) {
        CAPTURE(e.name);
        const layer_graph g = eosdnn::zoo_model(e.name);
        CHECK(g.size() == e.layers);
        CHECK(g.is_chain() == e.chain);
        const auto& last = g[g.output()];
        CHECK(last.kind == e.output_kind);
        CHECK(last.output_shape == e.output);
        CHECK(last.output_bytes == 4.0 * static_cast<double>(elements(e.output)));
        CHECK(g.topological_order().back() == g.output());
    }
}

TEST_CASE("zoo: the input layer is a 3x224x224 fp32 image or BERT's token ids") {
    for (const auto& e : expected) {
        CAPTURE(e.name);
        const layer_graph g = eosdnn::zoo_model(e.name);
        const auto& in = g[g.input()];
        CHECK(g.input() == 0);
        CHECK(in.kind == "input");
        CHECK(in.name == "input");
        CHECK(in.output_shape == e.input);
        CHECK(in.output_bytes == e.input_bytes);
        CHECK(g.input_bytes() == in.output_bytes);
        CHECK(in.flops == 0);
        CHECK(!in.has_parameters());
    }
}

TEST_CASE("zoo: per-layer numbers are consistent with the shapes") {
    for (const auto& e : expected) {
        CAPTURE(e.name);
        const layer_graph g = eosdnn::zoo_model(e.name);
        for (eosdnn::layer_id id = 0; id < g.size(); ++id) {
            const auto& l = g[id];
            CAPTURE(l.name);
            if (id != g.input())  // the input is checked above: BERT's ids are int64
                CHECK(l.output_bytes == 4.0 * static_cast<double>(elements(l.output_shape)));
            if (l.kind == "conv" || l.kind == "fc" || l.kind == "matmul") {
                CHECK(l.macs > 0);
                CHECK(l.flops == 2 * l.macs);
                CHECK(l.has_parameters() == (l.kind != "matmul"));  // attention's Q K^T, A V
            } else {
                CHECK(l.macs == 0);
            }
            if (l.kind == "bn")
                CHECK(l.param_bytes == 4.0 * 2 * static_cast<double>(l.output_shape[0]));
            if (l.kind == "layernorm")
                CHECK(l.param_bytes == 4.0 * 2 * static_cast<double>(l.output_shape.back()));
            if (l.kind == "relu") CHECK(l.flops == static_cast<double>(elements(l.output_shape)));
            // ViT's learned class token and position embedding are its other parameters, and
            // BERT's three embedding tables (the word table's lookup, two additions).
            const bool embedding = l.name == "class_token" || l.name == "encoder.pos_embedding" ||
                                   (l.name.starts_with("embeddings.") && l.kind != "layernorm");
            if (l.kind != "conv" && l.kind != "fc" && l.kind != "bn" && l.kind != "layernorm" &&
                !embedding)
                CHECK(!l.has_parameters());
        }
    }
}

TEST_CASE("zoo: spot-checked shapes") {
    SUBCASE("alexnet") {
        const auto g = eosdnn::alexnet();
        CHECK(shape_of(g, "conv1") == shape{64, 55, 55});
        CHECK(shape_of(g, "pool1") == shape{64, 27, 27});
        CHECK(shape_of(g, "pool5") == shape{256, 6, 6});
        CHECK(shape_of(g, "flatten") == shape{9216});
        CHECK(layer_named(g, "fc6").param_bytes == 4.0 * (9216 * 4096 + 4096));
    }
    SUBCASE("vgg16 and vgg19") {
        const auto g16 = eosdnn::vgg16();
        CHECK(shape_of(g16, "conv5_3") == shape{512, 14, 14});
        CHECK(shape_of(g16, "pool5") == shape{512, 7, 7});
        CHECK(shape_of(g16, "flatten") == shape{25088});
        CHECK(!g16.find("conv5_4"));
        CHECK(shape_of(eosdnn::vgg19(), "conv5_4") == shape{512, 14, 14});
    }
    SUBCASE("resnet18") {
        const auto g = eosdnn::resnet18();
        CHECK(shape_of(g, "maxpool") == shape{64, 56, 56});
        CHECK(!g.find("layer1.0.downsample.conv"));
        CHECK(shape_of(g, "layer2.0.downsample.bn") == shape{128, 28, 28});
        CHECK(shape_of(g, "layer4.1.relu") == shape{512, 7, 7});
        CHECK(g.predecessors(*g.find("layer1.0.add")).size() == 2);
    }
    SUBCASE("resnet50 is v1.5: the stride sits in the 3x3 convolution") {
        const auto g = eosdnn::resnet50();
        CHECK(shape_of(g, "layer1.0.downsample.conv") == shape{256, 56, 56});
        CHECK(shape_of(g, "layer2.0.conv1") == shape{128, 56, 56});
        CHECK(shape_of(g, "layer2.0.conv2") == shape{128, 28, 28});
        CHECK(shape_of(g, "layer3.5.add") == shape{1024, 14, 14});
        CHECK(shape_of(g, "layer4.2.relu") == shape{2048, 7, 7});
        CHECK(shape_of(g, "avgpool") == shape{2048, 1, 1});
        CHECK(!g.find("layer3.6.conv1"));
    }
    SUBCASE("googlenet") {
        const auto g = eosdnn::googlenet();
        // Ceil-mode pooling: 112 -> 56 (floor mode would give 55).
        CHECK(shape_of(g, "maxpool1") == shape{64, 56, 56});
        CHECK(shape_of(g, "inception3a.concat") == shape{256, 28, 28});
        CHECK(shape_of(g, "inception4e.concat") == shape{832, 14, 14});
        CHECK(shape_of(g, "maxpool4") == shape{832, 7, 7});
        CHECK(shape_of(g, "inception5b.concat") == shape{1024, 7, 7});
        // The "5x5" branch of torchvision's GoogLeNet uses a 3x3 kernel: 16 x 32 x 3 x 3 weights.
        CHECK(layer_named(g, "inception3a.branch3.1.conv").param_bytes == 4.0 * 16 * 32 * 3 * 3);
        CHECK(g.predecessors(*g.find("inception3a.concat")).size() == 4);
        CHECK(g.successors(*g.find("maxpool3")).size() == 4);
    }
    SUBCASE("vit_b_16") {
        const auto g = eosdnn::vit_b_16();
        CHECK(shape_of(g, "conv_proj") == shape{768, 14, 14});
        CHECK(shape_of(g, "class_token") == shape{197, 768});
        CHECK(layer_named(g, "encoder.pos_embedding").param_bytes == 4.0 * 197 * 768);
        const std::string p = "encoder.layers.encoder_layer_11.";
        CHECK(shape_of(g, p + "self_attention.in_proj") == shape{197, 2304});
        CHECK(shape_of(g, p + "self_attention.softmax") == shape{12, 197, 197});
        CHECK(layer_named(g, p + "self_attention.scores").macs == 12.0 * 197 * 197 * 64);
        CHECK(layer_named(g, p + "mlp.0").param_bytes == 4.0 * (768 * 3072 + 3072));
        CHECK(g.predecessors(*g.find(p + "add_2")).size() == 2);                   // the residual
        CHECK(g.predecessors(*g.find(p + "self_attention.context")).size() == 2);  // A and V
        CHECK(shape_of(g, "class_token_output") == shape{768});
    }
    SUBCASE("bert_base") {
        const auto g = eosdnn::bert_base();
        CHECK(layer_named(g, "embeddings.word_embeddings").param_bytes == 4.0 * 30522 * 768);
        CHECK(layer_named(g, "embeddings.position_embeddings").param_bytes == 4.0 * 512 * 768);
        CHECK(layer_named(g, "embeddings.token_type_embeddings").param_bytes == 4.0 * 2 * 768);
        CHECK(shape_of(g, "embeddings.LayerNorm") == shape{128, 768});
        const std::string p = "encoder.layer.11.";
        CHECK(shape_of(g, p + "attention.self.softmax") == shape{12, 128, 128});
        CHECK(layer_named(g, p + "attention.self.scores").macs == 12.0 * 128 * 128 * 64);
        CHECK(layer_named(g, p + "attention.self.query").param_bytes == 4.0 * (768 * 768 + 768));
        CHECK(shape_of(g, p + "intermediate.gelu") == shape{128, 3072});
        CHECK(layer_named(g, p + "output.dense").macs == 128.0 * 3072 * 768);
        CHECK(g.predecessors(*g.find(p + "attention.self.scores")).size() == 2);   // Q and K
        CHECK(g.predecessors(*g.find(p + "attention.self.context")).size() == 2);  // A and V
        CHECK(g.predecessors(*g.find(p + "output.add")).size() == 2);              // the residual
        CHECK(g.successors(*g.find("encoder.layer.10.output.LayerNorm")).size() == 4);
        CHECK(!g.find("encoder.layer.12.output.dense"));
        CHECK(layer_named(g, "pooler.dense").param_bytes == 4.0 * (768 * 768 + 768));
    }
    SUBCASE("mobilenet_v2") {
        const auto g = eosdnn::mobilenet_v2();
        CHECK(shape_of(g, "features.0.relu6") == shape{32, 112, 112});
        CHECK(!g.find("features.1.expand.conv"));  // expansion 1: no 1x1 expansion
        CHECK(shape_of(g, "features.2.expand.relu6") == shape{96, 112, 112});
        CHECK(shape_of(g, "features.2.depthwise.conv") == shape{96, 56, 56});
        CHECK(layer_named(g, "features.2.depthwise.conv").macs == 96.0 * 56 * 56 * 9);
        CHECK(!g.find("features.2.add"));
        CHECK(shape_of(g, "features.3.add") == shape{24, 56, 56});
        CHECK(shape_of(g, "features.17.project.bn") == shape{320, 7, 7});
        CHECK(shape_of(g, "features.18.relu6") == shape{1280, 7, 7});
    }
}

TEST_CASE("zoo: names and lookup") {
    const auto names = eosdnn::zoo_model_names();
    REQUIRE(names.size() == std::size(expected));
    for (std::size_t i = 0; i < names.size(); ++i) CHECK(names[i] == expected[i].name);

    try {
        (void)eosdnn::zoo_model("resnet-50");
        FAIL("an unknown name must throw");
    } catch (const eosdnn::error& err) {
        CHECK(err.kind() == eosdnn::error_kind::validation);
        const std::string message = err.what();
        CHECK(message.find("'resnet-50'") != std::string::npos);
        for (std::string_view n : names) CHECK(message.find(std::string(n)) != std::string::npos);
    }
}

TEST_CASE("zoo: bert_base at sequence lengths 1 to 512 follows the closed form") {
    for (std::size_t L : {1, 16, 128, 384, 512}) {
        CAPTURE(L);
        const std::string name = "bert_base:" + std::to_string(L);
        const layer_graph g = eosdnn::zoo_model(name);
        CHECK(g.name() == (L == 128 ? "bert_base" : name));
        CHECK(g.size() == 176);
        CHECK(g.total_param_bytes() == 4 * bert_base_counts::parameters());
        CHECK(g.total_macs() == bert_base_counts::macs(static_cast<double>(L)));
        CHECK(g.total_flops() == bert_base_counts::flops(static_cast<double>(L)));
        CHECK(g.input_bytes() == 8.0 * static_cast<double>(L));
        const layer_graph direct = eosdnn::bert_base(L);
        CHECK(direct.name() == g.name());
        CHECK(direct.total_macs() == g.total_macs());
    }
    // Quadratic in L through attention only: 384 tokens cost more than 3 x 128.
    CHECK(bert_base_counts::macs(384) > 3 * bert_base_counts::macs(128));
    CHECK(eosdnn::is_zoo_model("bert_base:384"));
    CHECK(eosdnn::is_zoo_model("bert_base:x"));  // a zoo name; zoo_model() says what is wrong
    CHECK(!eosdnn::is_zoo_model("vit_b_16:3"));
    CHECK(!eosdnn::is_zoo_model("bert_base_384"));
}

TEST_CASE("zoo: bad sequence lengths and BERT sizes are refused naming the value") {
    const auto message = [](auto&& call) {
        try {
            call();
        } catch (const eosdnn::error& err) {
            CHECK(err.kind() == eosdnn::error_kind::validation);
            return std::string(err.what());
        }
        FAIL("expected an eosdnn::error");
        return std::string();
    };
    CHECK(message([] { eosdnn::zoo_model("bert_base:513"); }) ==
          "zoo model 'bert_base:513': bert_options.sequence is 513 (must be >= 1 and <= "
          "positions (512))");
    CHECK(message([] { eosdnn::zoo_model("bert_base:0"); }) ==
          "zoo model 'bert_base:0': bert_options.sequence is 0 (must be >= 1 and <= positions "
          "(512))");
    for (const char* bad : {"bert_base:", "bert_base:x", "bert_base:12x", "bert_base:-3",
                            "bert_base: 12", "bert_base:99999999999999999999999"}) {
        CAPTURE(bad);
        CHECK(message([&] { eosdnn::zoo_model(bad); }) ==
              "zoo model '" + std::string(bad) +
                  "': expected bert_base:N, N the sequence length, a whole number "
                  "(bert_base:384)");
    }
    CHECK(message([] {
              eosdnn::zoo_model("vit_b_16:3");
          }).starts_with("unknown zoo model 'vit_b_16:3'; known models: alexnet"));
    CHECK(message([] { eosdnn::bert_encoder({.hidden = 100}, "b"); }) ==
          "bert_options.hidden is 100 (must be >= 1 and <= 1048576 and a multiple of heads)");
    CHECK(message([] { eosdnn::bert_encoder({.layers = 0}, "b"); }) ==
          "bert_options.layers is 0 (must be >= 1 and <= 10000)");
    CHECK(message([] { eosdnn::bert_encoder({.vocabulary = std::size_t{1} << 21}, "b"); }) ==
          "bert_options.vocabulary is 2097152 (must be >= 1 and <= 1048576)");
    // A small encoder: the same formulas with other dimensions.
    const layer_graph tiny = eosdnn::bert_encoder({.sequence = 10,
                                                   .layers = 2,
                                                   .hidden = 8,
                                                   .heads = 2,
                                                   .intermediate = 16,
                                                   .vocabulary = 50,
                                                   .positions = 20,
                                                   .token_types = 1},
                                                  "tiny");
    CHECK(tiny.name() == "tiny");
    CHECK(tiny.size() == 1 + 4 + 2 * 14 + 3);
    CHECK(tiny.total_macs() == 2 * (4 * 10 * 64 + 2 * 100 * 8 + 2 * 10 * 8 * 16) + 64);
    CHECK(tiny.total_param_bytes() ==
          4 * ((50 + 20 + 1) * 8 + 16 + 2 * (4 * 72 + 32 + 8 * 16 + 16 + 16 * 8 + 8) + 72));
}

TEST_CASE("network_builder: convolution arithmetic") {
    eosdnn::network_builder nb("probe");
    auto x = nb.input("input", 8, 10, 10);
    auto y = nb.conv2d(
        "conv", x,
        {.out_channels = 4, .kernel = 3, .stride = 2, .padding = 2, .dilation = 2, .groups = 2});
    CHECK(y.shape == shape{4, 5, 5});  // (10 + 2·2 - 5) / 2 + 1 with a dilated span of 5
    const auto g = nb.build();
    const auto& conv = g[y.producer];
    CHECK(conv.kind == "conv");
    CHECK(conv.macs == 4.0 * 5 * 5 * 4 * 9);  // Cout·H·W·(Cin/groups)·k²
    CHECK(conv.flops == 2 * conv.macs);
    CHECK(conv.param_bytes == 4.0 * (4 * 4 * 9 + 4));
    CHECK(conv.output_bytes == 4.0 * 100);
    CHECK(g.input_bytes() == 4.0 * 800);
}

TEST_CASE("network_builder: pooling output sizes follow PyTorch") {
    eosdnn::network_builder nb("probe");
    auto x = nb.input("input", 8, 10, 10);
    CHECK(nb.max_pool("p1", x, {.kernel = 3, .stride = 2}).shape == shape{8, 4, 4});
    // Ceil mode keeps the partial last window.
    CHECK(nb.max_pool("p2", x, {.kernel = 3, .stride = 2, .ceil_mode = true}).shape ==
          shape{8, 5, 5});
    // The stride defaults to the kernel.
    auto five = nb.avg_pool("p3", x, {.kernel = 2});
    CHECK(five.shape == shape{8, 5, 5});
    // 5 wide, kernel 3, stride 2, padding 1: rounding up gives 4 windows, but the 4th would start
    // at padded index 6 >= 5 + 1, inside the right padding, so PyTorch keeps 3.
    CHECK(nb.max_pool("p4", five, {.kernel = 3, .stride = 2, .padding = 1, .ceil_mode = true})
              .shape == shape{8, 3, 3});
    CHECK(nb.max_pool("p5", five, {.kernel = 3, .stride = 2, .padding = 1}).shape ==
          shape{8, 3, 3});
}

TEST_CASE("network_builder: costs of the element-wise and structural layers") {
    eosdnn::network_builder nb("probe");
    auto x = nb.input("input", 4, 7, 7);  // 196 elements
    auto a = nb.relu6("a", x);
    auto b = nb.batch_norm("b", x);
    auto sum = nb.add("sum", {a, b});
    auto norm = nb.lrn("norm", sum, 5);
    auto cat = nb.concat("cat", {sum, norm});
    auto pooled = nb.max_pool("pool", cat, {.kernel = 2, .stride = 2});  // 8 x 3 x 3
    auto adaptive = nb.adaptive_avg_pool("adaptive", cat, 3, 3);
    auto both = nb.concat("both", {pooled, adaptive});  // 16 x 3 x 3
    auto flat = nb.flatten("flat", nb.global_avg_pool("gap", both));
    auto fc = nb.linear("fc", nb.dropout("drop", flat), 10, false);
    auto prob = nb.softmax("prob", fc);
    CHECK(nb.size() == 14);
    const auto g = nb.build();
    CHECK(!g.is_chain());
    CHECK(g.output() == prob.producer);

    auto at = [&](const char* name) -> const eosdnn::layer& { return layer_named(g, name); };
    CHECK(at("a").flops == 2 * 196);
    CHECK(at("b").flops == 2 * 196);
    CHECK(at("b").param_bytes == 4 * 8);  // weight and bias of 4 channels, no running stats
    CHECK(at("sum").flops == 196);
    CHECK(at("norm").flops == (2 * 5 + 3) * 196);
    CHECK(at("cat").output_shape == shape{8, 7, 7});
    CHECK(at("cat").flops == 0);
    CHECK(at("pool").flops == 4 * 8 * 3 * 3);
    // Adaptive windows over 7 -> 3 are [0,3), [2,5), [4,7): 3 + 3 + 3 = 9 cells per axis.
    CHECK(at("adaptive").flops == 9 * 9 * 8);
    CHECK(at("gap").flops == 16 * 9);
    CHECK(at("gap").output_shape == shape{16, 1, 1});
    CHECK(at("flat").output_shape == shape{16});
    CHECK(at("drop").flops == 0);
    CHECK(at("fc").macs == 160);
    CHECK(at("fc").param_bytes == 4 * 160);  // no bias
    CHECK(at("prob").flops == 30);
    CHECK(at("prob").kind == "softmax");
    CHECK(g.total_macs() == 160);
}

TEST_CASE("network_builder: shape errors name the model and the layer") {
    eosdnn::network_builder nb("probe");
    auto x = nb.input("input", 6, 8, 8);
    auto small = nb.max_pool("small", x, {.kernel = 2});

    auto throws_with = [](auto&& call, std::string_view fragment) {
        try {
            call();
            FAIL("expected an eosdnn::error containing: " << fragment);
        } catch (const eosdnn::error& err) {
            CHECK(err.kind() == eosdnn::error_kind::validation);
            const std::string message = err.what();
            CHECK_MESSAGE(message.find("model 'probe'") != std::string::npos, message);
            CHECK_MESSAGE(message.find(fragment) != std::string::npos, message);
        }
    };
    throws_with([&] { nb.concat("cat", {x, small}); }, "layer 'cat'");
    throws_with([&] { nb.add("sum", {x, small}); }, "cannot add");
    throws_with([&] { nb.linear("fc", x, 10); }, "flatten it first");
    throws_with([&] { nb.conv2d("conv", x, {.out_channels = 4, .kernel = 3, .groups = 4}); },
                "groups 4");
    throws_with([&] { nb.conv2d("big", small, {.out_channels = 4, .kernel = 7}); }, "does not fit");
    throws_with([&] { nb.conv2d("zero", x, {.kernel = 3}); }, "must all be > 0");
    throws_with([&] { nb.max_pool("pad", x, {.kernel = 2, .padding = 2}); }, "exceeds half");
    throws_with([&] { nb.conv2d("flat", nb.flatten("flatten", x), {.out_channels = 1}); },
                "C x H x W");
    throws_with([&] { nb.relu("small", x); }, "duplicate layer name 'small'");
}
