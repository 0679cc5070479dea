// Import time and peak memory of import_onnx() on torchvision exports. The full-weight files
// are too large to commit: make them with
//     tools/onnx/export.sh full DIR
// and run with EOSDNN_ONNX_DIR=DIR. Without it the committed weightless fixtures are used (the
// same graphs, weights as graph inputs), which measures everything but reading the weights.
#include <eosdnn/io/onnx.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

std::filesystem::path model_dir() {
    const char* dir = std::getenv("EOSDNN_ONNX_DIR");
    return dir && *dir ? std::filesystem::path(dir) : std::filesystem::path(EOSDNN_ONNX_FIXTURES);
}

// A /proc/self/status field in kB (VmHWM: peak resident memory), as bytes.
double status_bytes(const std::string& field) {
    std::ifstream in("/proc/self/status");
    std::string key;
    double kb = 0;
    while (in >> key) {
        if (key == field + ":") {
            in >> kb;
            return kb * 1024;
        }
        std::getline(in, key);
    }
    return 0;
}

// Resets VmHWM to the current resident size (Linux >= 4.0), so that each benchmark reports the
// peak of its own imports.
void reset_peak() { std::ofstream("/proc/self/clear_refs") << "5"; }

void import_model(benchmark::State& state, const std::string& name) {
    const auto path = model_dir() / (name + ".onnx");
    if (!std::filesystem::exists(path)) {
        state.SkipWithError(("no " + path.string() + "; set EOSDNN_ONNX_DIR").c_str());
        return;
    }
    reset_peak();
    const double before = status_bytes("VmRSS");
    double layers = 0;
    for (auto _ : state) {
        auto result = eosdnn::import_onnx(path);
        layers = static_cast<double>(result.graph.size());
        benchmark::DoNotOptimize(result);
    }
    // Sizes in bytes (printed with k, M, G prefixes of 1000), so no counter reads "8.2m MB".
    state.counters["file_bytes"] = static_cast<double>(std::filesystem::file_size(path));
    state.counters["layers"] = layers;
    state.counters["peak_rss_bytes"] = status_bytes("VmHWM");
    state.counters["peak_over_start_bytes"] = status_bytes("VmHWM") - before;
    state.counters["imports_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK_CAPTURE(import_model, resnet50, std::string("resnet50"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(import_model, vgg16, std::string("vgg16"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(import_model, densenet121, std::string("densenet121"))
    ->Unit(benchmark::kMillisecond);
