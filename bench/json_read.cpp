// Reading JSON documents: the time of read_json_file() (the strict parser that refuses a key given
// twice) on a model of 10^3 to 10^5 layers (a make_random_dag chain, as to_json writes it) and on
// a fully connected environment of growing size, next to a plain nlohmann::json::parse of the
// same text, and the whole read of a model (parse and model_from_json).
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/io/json.hpp>
#include <eosdnn/zoo/random_dag.hpp>

#include <benchmark/benchmark.h>

#include <unistd.h>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

// A private directory for the documents, removed at exit.
struct scratch {
    fs::path dir = fs::temp_directory_path() / ("eosdnn_json_read_" + std::to_string(::getpid()));
    scratch() { fs::create_directories(dir); }
    ~scratch() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

const fs::path& scratch_dir() {
    static const scratch s;
    return s.dir;
}

std::string text_of(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// A chain of `layers` layers as to_json writes it, in a file (written once per size).
const fs::path& model_file(std::size_t layers) {
    static std::map<std::size_t, fs::path> files;
    auto& file = files[layers];
    if (file.empty()) {
        file = scratch_dir() / ("model_" + std::to_string(layers) + ".json");
        eosdnn::write_json_file(
            file, eosdnn::to_json(eosdnn::make_random_dag(
                      {.layers = layers, .shape = eosdnn::dag_shape::chain, .seed = 3})));
    }
    return file;
}

// A phone and nodes - 1 edge servers, every pair linked with different bandwidths each way, so
// each pair is written as two links: about nodes^2 link objects.
const fs::path& environment_file(std::size_t nodes) {
    static std::map<std::size_t, fs::path> files;
    auto& file = files[nodes];
    if (file.empty()) {
        using namespace eosdnn;
        environment_builder b;
        for (std::size_t i = 0; i < nodes; ++i)
            b.add_node({.name = "n" + std::to_string(i),
                        .tier = i == 0 ? tier::local : tier::edge,
                        .flops_per_s = 1e10 + 1e9 * static_cast<double>(i)});
        for (std::size_t a = 0; a < nodes; ++a)
            for (std::size_t c = a + 1; c < nodes; ++c)
                b.connect(static_cast<node_id>(a), static_cast<node_id>(c),
                          {.bandwidth_Bps = 1e6 * static_cast<double>(a + 1), .latency_s = 0.01},
                          {.bandwidth_Bps = 2e6 * static_cast<double>(c + 1), .latency_s = 0.02});
        file = scratch_dir() / ("environment_" + std::to_string(nodes) + ".json");
        write_json_file(file, to_json(b.build()));
    }
    return file;
}

void report_size(benchmark::State& state, const fs::path& file) {
    state.counters["file_bytes"] = static_cast<double>(fs::file_size(file));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(fs::file_size(file)));
}

void model_read_json_file(benchmark::State& state) {
    const auto& file = model_file(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(eosdnn::read_json_file(file));
    report_size(state, file);
}

void model_plain_parse(benchmark::State& state) {
    const std::string text = text_of(model_file(static_cast<std::size_t>(state.range(0))));
    for (auto _ : state) benchmark::DoNotOptimize(nlohmann::json::parse(text));
    report_size(state, model_file(static_cast<std::size_t>(state.range(0))));
}

void model_read_and_build(benchmark::State& state) {
    const auto& file = model_file(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state)
        benchmark::DoNotOptimize(eosdnn::model_from_json(eosdnn::read_json_file(file)));
    report_size(state, file);
}

void environment_read_json_file(benchmark::State& state) {
    const auto& file = environment_file(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(eosdnn::read_json_file(file));
    report_size(state, file);
}

void environment_plain_parse(benchmark::State& state) {
    const auto& file = environment_file(static_cast<std::size_t>(state.range(0)));
    const std::string text = text_of(file);
    for (auto _ : state) benchmark::DoNotOptimize(nlohmann::json::parse(text));
    report_size(state, file);
}

}  // namespace

BENCHMARK(model_read_json_file)
    ->ArgName("layers")
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(model_plain_parse)
    ->ArgName("layers")
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(model_read_and_build)
    ->ArgName("layers")
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(environment_read_json_file)
    ->ArgName("nodes")
    ->Arg(25)
    ->Arg(50)
    ->Arg(100)
    ->Arg(200)
    ->Arg(400)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(environment_plain_parse)
    ->ArgName("nodes")
    ->Arg(25)
    ->Arg(50)
    ->Arg(100)
    ->Arg(200)
    ->Arg(400)
    ->Unit(benchmark::kMillisecond);
