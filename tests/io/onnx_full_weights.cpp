// Full-weight torchvision exports, made at test time by tools/onnx/export.sh (ctest fixture
// onnx_full): parameter bytes equal what the file holds, MACs within 1% of the canonical totals,
// and the imported graph plans end to end; torchvision's swin_t (without weights, too big to
// commit) at opsets 11, 13 and 17 against the counts of its architecture, and its maxvit_t
// (without weights) against torch's count. Usage: eosdnn_onnx_full_weights DIR [doctest options].
// Exits 77 (a skip for ctest) when DIR has no reference.json, i.e. the export was skipped.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/io/onnx.hpp>
#include <eosdnn/optim/exact.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include "onnx_swin_counts.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

std::filesystem::path export_dir;

eosdnn::environment phone_and_edge() {
    eosdnn::environment_builder env;
    auto phone = env.add_node({.name = "phone", .tier = eosdnn::tier::local, .flops_per_s = 20e9});
    auto edge = env.add_node({.name = "edge", .tier = eosdnn::tier::edge, .flops_per_s = 1e12});
    env.connect(phone, edge, {.bandwidth_Bps = eosdnn::mbps(40), .latency_s = 0.005});
    return env.build();
}

}  // namespace

TEST_CASE("onnx: full-weight torchvision exports") {
    std::ifstream in(export_dir / "reference.json");
    const auto reference = nlohmann::json::parse(in);
    const char* names[] = {"resnet50", "vgg16", "mobilenet_v2", "googlenet", "densenet121"};
    std::printf("%-13s %12s %12s %16s %16s %7s %8s\n", "model", "file MB", "param bytes", "MACs",
                "canonical MACs", "diff %", "import s");
    for (const char* name : names) {
        CAPTURE(name);
        const auto& ref = reference.at(name);
        const auto path = export_dir / ref.at("file").get<std::string>();
        const double canonical = std::string(name) == "densenet121"
                                     ? ref.at("macs_torch").get<double>()
                                     : eosdnn::zoo_model(name).total_macs();
        const auto start = std::chrono::steady_clock::now();
        const auto r = eosdnn::import_onnx(path);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const auto& g = r.graph;
        std::printf("%-13s %12.1f %12.0f %16.0f %16.0f %7.3f %8.3f\n", name,
                    static_cast<double>(std::filesystem::file_size(path)) / 1e6,
                    g.total_param_bytes(), g.total_macs(), canonical,
                    100 * (g.total_macs() / canonical - 1), seconds);
        CHECK(r.warnings.empty());
        CHECK(g.total_param_bytes() == ref.at("param_bytes").get<double>());
        CHECK(g.total_macs() == doctest::Approx(canonical).epsilon(0.01));

        const eosdnn::analytic_model cost(phone_and_edge());
        const auto cut = eosdnn::min_cut_two_nodes(g, cost, 0, 1);
        eosdnn::delay_evaluator evaluator(g, cost);
        CHECK(std::isfinite(cut.delay_s));
        CHECK(evaluator.evaluate(cut.placement).delay_s ==
              doctest::Approx(cut.delay_s).epsilon(1e-9));
    }
}

TEST_CASE("onnx: torchvision's swin_t at opsets 11 13 and 17") {
    std::ifstream in(export_dir / "reference.json");
    const auto reference = nlohmann::json::parse(in);
    constexpr auto swin = eosdnn::test::swin_t;
    for (const char* name : {"swin_t_opset11", "swin_t_opset13", "swin_t_opset17"}) {
        CAPTURE(name);
        const auto& ref = reference.at(name);
        const auto start = std::chrono::steady_clock::now();
        const auto r = eosdnn::import_onnx(export_dir / ref.at("file").get<std::string>());
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const auto& g = r.graph;
        std::printf("%-15s %5zu layers %12.0f param bytes %14.0f MACs %7.3f s\n", name, g.size(),
                    g.total_param_bytes(), g.total_macs(), seconds);
        CHECK(r.warnings.empty());
        CHECK(ref.at("parameters").get<double>() == swin.parameters());
        CHECK(g.total_param_bytes() == 4 * swin.file_parameters());
        CHECK(g.total_param_bytes() == ref.at("param_bytes").get<double>());
        CHECK(g.total_macs() == swin.macs());
        const eosdnn::analytic_model cost(phone_and_edge());
        CHECK(std::isfinite(eosdnn::min_cut_two_nodes(g, cost, 0, 1).delay_s));
    }
}

// MaxViT-T's attention is ONNX Einsum (io/detail/onnx_einsum.hpp): the import's MACs are torch's
// own count with every torch.einsum call counted (tools/onnx/export_torchvision.py).
TEST_CASE("onnx: torchvision's maxvit_t, whose attention is Einsum") {
    std::ifstream in(export_dir / "reference.json");
    const auto reference = nlohmann::json::parse(in);
    const auto& ref = reference.at("maxvit_t");
    const auto start = std::chrono::steady_clock::now();
    const auto r = eosdnn::import_onnx(export_dir / ref.at("file").get<std::string>());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto& g = r.graph;
    std::size_t einsums = 0;
    for (std::size_t v = 0; v < g.size(); ++v) einsums += g[v].kind == "Einsum" ? 1 : 0;
    std::printf("%-15s %5zu layers (%zu Einsum) %12.0f param bytes %14.0f MACs %7.3f s\n",
                "maxvit_t", g.size(), einsums, g.total_param_bytes(), g.total_macs(), seconds);
    CHECK(r.warnings.empty());
    CHECK(einsums == 44);  // Q.K^T and A.V in the block and grid attention of 11 layers
    CHECK(ref.at("parameters").get<double>() == 30'919'624);  // torchvision's count
    CHECK(g.total_param_bytes() == ref.at("param_bytes").get<double>());
    CHECK(g.total_macs() == ref.at("macs_torch").get<double>());
    const eosdnn::analytic_model cost(phone_and_edge());
    CHECK(std::isfinite(eosdnn::min_cut_two_nodes(g, cost, 0, 1).delay_s));
}

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s DIR [doctest options]\n", argv[0]);
        return 2;
    }
    export_dir = argv[1];
    if (!std::filesystem::exists(export_dir / "reference.json")) {
        std::printf(
            "skipped: %s holds no exports (tools/onnx/export.sh needs python3-torch, "
            "python3-torchvision and python3-onnx)\n",
            export_dir.string().c_str());
        return 77;
    }
    doctest::Context context(argc - 1, argv + 1);
    return context.run();
}
