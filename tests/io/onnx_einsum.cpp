// The ONNX importer on Einsum (io/detail/onnx_einsum.hpp): the output shape it sizes where ONNX's
// inference gives only a rank, the MACs it counts, the equations it refuses, and torchvision's
// MaxViT, whose attention torch exports as Einsum. Every expected figure is counted here from the
// equation and the operands' shapes, or by torch (tests/data/onnx/reference.json).
#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/io/onnx.hpp>
#include <eosdnn/optim/exact.hpp>

#include "../error_message.hpp"
#include "onnx_fixtures.hpp"
#include "onnx_model_maker.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

namespace {

using eosdnn::import_onnx;
using eosdnn::test::layer_named;
using eosdnn::test::model_maker;
using eosdnn::test::onnx_fixtures;
using eosdnn::test::onnx_reference;
using eosdnn::test::phone_and_edge;
using eosdnn::test::validation_message;

// x -> Einsum(x, w) named "e" -> Relu named "relu": the Relu's FLOPs are the elements of the
// Einsum's output, so they show that its shape reached the next round of inference.
model_maker einsum_then_relu(const std::string& equation, std::initializer_list<std::int64_t> x,
                             std::initializer_list<std::int64_t> w) {
    model_maker m;
    m.input("x", x);
    m.initializer("w", w);
    model_maker::text(m.node("Einsum", {"x", "w"}, {"e"}, "e"), "equation", equation);
    m.node("Relu", {"e"}, {"y"}, "relu");
    m.output("y");
    return m;
}

}  // namespace

TEST_CASE("onnx: Einsum of two operands costs what the same MatMul costs") {
    // A batched matrix product written both ways in one graph: 4 x (3 x 5) . (5 x 6).
    model_maker m;
    m.input("x", {4, 3, 5});
    m.initializer("w", {4, 5, 6});
    model_maker::text(m.node("Einsum", {"x", "w"}, {"e"}, "einsum"), "equation", "bij,bjk->bik");
    m.node("MatMul", {"x", "w"}, {"p"}, "matmul");
    m.node("Add", {"e", "p"}, {"y"}, "add");
    m.output("y");
    const auto r = m.import();
    const auto& einsum = layer_named(r.graph, "einsum");
    const auto& matmul = layer_named(r.graph, "matmul");
    CHECK(r.unknown_ops.empty());
    CHECK(einsum.macs == 4 * 3 * 5 * 6);
    CHECK(einsum.macs == matmul.macs);
    CHECK(einsum.flops == 2 * einsum.macs);
    CHECK(einsum.output_shape == matmul.output_shape);
    CHECK(einsum.output_bytes == 4 * 3 * 6 * 4);
    CHECK(layer_named(r.graph, "add").flops == 4 * 3 * 6);
}

TEST_CASE("onnx: Einsum output shapes and MACs") {
    SUBCASE("capitals and spaces, as torch exports MaxViT's attention") {
        auto m =
            einsum_then_relu("B G H I D, B G H J D -> B G H I J", {2, 3, 4, 5, 8}, {2, 3, 4, 7, 8});
        const auto r = m.import();
        CHECK(layer_named(r.graph, "e").macs == 2 * 3 * 4 * 5 * 7 * 8);
        CHECK(layer_named(r.graph, "relu").flops == 2 * 3 * 4 * 5 * 7);
    }
    SUBCASE("implicit output: the letters that appear once, in increasing order") {
        // "kj,ji": j is summed, and the output is "ik" (i before k), not "ki".
        auto m = einsum_then_relu("kj,ji", {3, 4}, {4, 5});
        const auto r = m.import();
        CHECK(layer_named(r.graph, "e").macs == 3 * 4 * 5);
        CHECK(layer_named(r.graph, "e").output_shape == std::vector<std::size_t>{5, 3});
    }
    SUBCASE("implicit output with capitals: character order puts them first") {
        // n, X and b appear once: "Xbn" whichever operand holds them (n is the batch of 1).
        auto m = einsum_then_relu("nXj,jb", {1, 3, 4}, {4, 6});
        CHECK(layer_named(m.import().graph, "e").output_shape == std::vector<std::size_t>{3, 6, 1});
        auto n = einsum_then_relu("nbj,jX", {1, 3, 4}, {4, 6});
        CHECK(layer_named(n.import().graph, "e").output_shape == std::vector<std::size_t>{6, 3, 1});
    }
    SUBCASE("an ellipsis broadcasts like numpy, aligned on the right") {
        // [2, 1] against [1, 5]: broadcast axes [2, 5]; then i = 3, j = 4, k = 6. (ONNX's own
        // inference refuses ellipses of different ranks, which numpy would align on the right.)
        auto m = einsum_then_relu("...ij,...jk->...ik", {2, 1, 3, 4}, {1, 5, 4, 6});
        const auto r = m.import();
        CHECK(layer_named(r.graph, "e").macs == 2 * 5 * 3 * 4 * 6);
        CHECK(layer_named(r.graph, "relu").flops == 2 * 5 * 3 * 6);
    }
    SUBCASE("an index of size 1 broadcasts against another size") {
        auto m = einsum_then_relu("bij,bjk->bik", {1, 3, 4}, {7, 4, 2});
        CHECK(layer_named(m.import().graph, "relu").flops == 7 * 3 * 2);
    }
    SUBCASE("a weight operand is charged as a parameter") {
        auto m = einsum_then_relu("ni,oi->no", {2, 16}, {10, 16});
        const auto r = m.import();
        CHECK(layer_named(r.graph, "e").param_bytes == 10 * 16 * 4);
        CHECK(layer_named(r.graph, "e").macs == 2 * 10 * 16);
    }
}

TEST_CASE("onnx: Einsum of one operand and of three") {
    const auto one = [](const std::string& equation, std::initializer_list<std::int64_t> x) {
        model_maker m;
        m.input("x", x);
        model_maker::text(m.node("Einsum", {"x"}, {"e"}, "e"), "equation", equation);
        m.node("Relu", {"e"}, {"y"}, "relu");
        m.output("y");
        return m.import();
    };
    // A sum adds every input element once; a transpose or a diagonal moves data only.
    const auto sum = one("bij->bi", {2, 3, 4});
    CHECK(layer_named(sum.graph, "e").macs == 0);
    CHECK(layer_named(sum.graph, "e").flops == 2 * 3 * 4);
    CHECK(layer_named(sum.graph, "relu").flops == 2 * 3);
    const auto transpose = one("bij->bji", {2, 3, 4});
    CHECK(layer_named(transpose.graph, "e").flops == 0);
    CHECK(layer_named(transpose.graph, "e").output_shape == std::vector<std::size_t>{4, 3});
    const auto diagonal = one("bii->bi", {2, 5, 5});
    CHECK(layer_named(diagonal.graph, "e").flops == 0);
    CHECK(layer_named(diagonal.graph, "relu").flops == 2 * 5);

    // Left to right: (ij, jk) over i, j, k keeps i and k (l's operand still needs k), then
    // (ik, kl) over i, k, l.
    model_maker m;
    m.input("x", {2, 3});
    m.initializer("w1", {3, 4});
    m.initializer("w2", {4, 5});
    model_maker::text(m.node("Einsum", {"x", "w1", "w2"}, {"e"}, "e"), "equation", "ij,jk,kl->il");
    m.output("e");
    const auto r = m.import();
    CHECK(layer_named(r.graph, "e").macs == 2 * 3 * 4 + 2 * 4 * 5);
    CHECK(layer_named(r.graph, "e").output_bytes == 2 * 5 * 4);
}

TEST_CASE("onnx: malformed Einsum equations name the node and the reason") {
    const auto message = [](const std::string& equation, std::initializer_list<std::int64_t> x,
                            std::initializer_list<std::int64_t> w) {
        auto m = einsum_then_relu(equation, x, w);
        return validation_message([&] { m.import(); });
    };
    const std::string node = "test.onnx: node 'e' (Einsum): equation '";
    // What ONNX's inference already checks it refuses first, naming the operator and the node.
    for (const char* equation : {"ij->ij", "ij,j$k->ik", "ijk,kl->il", "i...j...,jk"}) {
        CAPTURE(equation);
        const std::string m = message(equation, {2, 3}, {3, 4});
        CHECK(m.find("test.onnx: ONNX shape inference failed") == 0);
        CHECK(m.find("op_type:Einsum, node name: e") != std::string::npos);
    }
    // The rest the importer finds.
    CHECK(message("ij,jk->iq", {2, 3}, {3, 4}) ==
          node + "ij,jk->iq': the output's 'q' is in no input");
    CHECK(message("ij,jk->ii", {2, 3}, {3, 4}) == node + "ij,jk->ii': the output repeats 'i'");
    CHECK(message("ij,jk->...ik", {2, 3}, {3, 4}) ==
          node + "ij,jk->...ik': the output's '...' is in no input");
    CHECK(message("ij,jk->ik", {2, 3}, {4, 5}) == node + "ij,jk->ik': index 'j' has sizes 3 and 4");
    CHECK(message("...ij,...jk->...ik", {2, 3, 4}, {3, 4, 5}) ==
          node + "...ij,...jk->...ik': the axes of \"...\" do not broadcast (input 1)");
}

TEST_CASE("onnx: torchvision's MaxViT, reduced, matches torch's count with its Einsums") {
    const auto reference = onnx_reference().at("maxvit_reduced");
    const auto r = import_onnx(onnx_fixtures / reference.at("file").get<std::string>());
    const auto& g = r.graph;
    CHECK(r.warnings.empty());
    CHECK(r.unknown_ops.empty());
    // Block and grid attention: Q.K^T and A.V in each, 4 Einsum layers.
    std::size_t einsums = 0;
    double einsum_macs = 0;
    for (std::size_t v = 0; v < g.size(); ++v)
        if (g[v].kind == "Einsum") {
            ++einsums;
            einsum_macs += g[v].macs;
        }
    CHECK(einsums == 4);
    // 112 / 2 (stem) / 2 (the block's stride) = 28: 16 partitions of 7 x 7 = 49 tokens, 64
    // channels in 4 heads of 16; each Einsum multiplies 49 x 49 x 16 per head and partition.
    CHECK(einsum_macs == 4 * (16 * 4 * 49 * 49 * 16));
    CHECK(g.total_macs() == reference.at("macs_torch").get<double>());
    CHECK(g.total_param_bytes() == reference.at("param_bytes").get<double>());
    const eosdnn::analytic_model cost(phone_and_edge());
    const auto cut = eosdnn::min_cut_two_nodes(g, cost, 0, 1);
    eosdnn::delay_evaluator evaluator(g, cost);
    CHECK(std::isfinite(cut.delay_s));
    CHECK(evaluator.evaluate(cut.placement).delay_s == doctest::Approx(cut.delay_s).epsilon(1e-9));
}
