// libFuzzer target: import_onnx on arbitrary bytes, through the file API that the planner uses.
//
// The importer reads files (it seeks past large tensor values instead of parsing them), so each
// input is written to one file in a directory made once per process (removed at exit) and
// imported from there. Every input must import or throw an eosdnn::error whose message starts
// with the file's name; anything else (another exception, a crash, a sanitizer report) is a
// finding. An imported model must give a non-empty graph whose every layer has a name and is in
// the topological order; inputs of odd size are imported with fold_parameter_free, so merging is
// fuzzed too.
//
// Needs the ONNX flags and libraries: -DONNX_ML=1 -DONNX_NAMESPACE=onnx, -lonnx -lonnx_proto
// -lprotobuf (scripts/fuzz.sh adds them when the ONNX headers and libraries are installed).

#include "fuzz_common.hpp"

#include <eosdnn/core/error.hpp>
#include <eosdnn/io/onnx.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include <stdlib.h>  // mkdtemp

using eosdnn::fuzz::finding;

namespace {

/// A directory of its own, made on the first run and removed when the process exits normally.
struct scratch_directory {
    std::filesystem::path path;
    scratch_directory() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "eosdnn-fuzz-onnx-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            finding("cannot make a temporary directory", pattern);
        path = pattern;
    }
    ~scratch_directory() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
};

/// The file every input is written to.
const std::filesystem::path& input_file() {
    static const scratch_directory directory;
    static const std::filesystem::path file = directory.path / "fuzz.onnx";
    return file;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::filesystem::path& file = input_file();
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
        if (!out.flush()) finding("cannot write the input file", file.string());
    }
    const std::string source = file.string();
    try {
        const eosdnn::onnx_import_result r = eosdnn::import_onnx(
            file, eosdnn::onnx_import_options{.fold_parameter_free = size % 2 == 1,
                                              // Past an unknown operator, as far as the
                                              // importer goes, on half of the inputs.
                                              .zero_cost_unknown_ops = size % 4 < 2});
        const eosdnn::layer_graph& g = r.graph;
        if (g.size() == 0) finding("an import gives an empty graph", source);
        if (r.layer_nodes.size() != g.size())
            finding("layer_nodes does not have one entry per layer", source);
        if (g.topological_order().size() != g.size())
            finding("the topological order misses layers", source);
        for (eosdnn::layer_id id = 0; id < g.size(); ++id)
            if (g[id].name.empty()) finding("an imported layer has no name", std::to_string(id));
    } catch (const eosdnn::error& e) {
        if (!std::string_view(e.what()).starts_with(source + ":"))
            finding("an error message does not start with the file's name", e.what());
    } catch (const std::exception& e) {
        finding("an exception that is not an eosdnn::error", e.what());
    }
    return 0;
}
