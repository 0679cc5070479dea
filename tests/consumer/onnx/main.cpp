// Imports a committed fixture, as a user of eosdnn::onnx would.
#include <eosdnn/eosdnn.hpp>
#include <eosdnn/io/onnx.hpp>

#include <cstdio>

// Linking eosdnn::onnx tells the code it is there (a copy of eosdnn-plan relies on it).
#if !defined(EOSDNN_HAS_ONNX_IMPORTER)
#error "linking eosdnn::onnx should define EOSDNN_HAS_ONNX_IMPORTER"
#endif

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    const eosdnn::onnx_import_result r =
        eosdnn::import_onnx(argv[1], {.fold_parameter_free = true});
    std::printf("%s: %zu layers, %.0f MACs\n", r.graph.name().c_str(), r.graph.size(),
                r.graph.total_macs());
    return r.graph.total_macs() > 0 && r.warnings.empty() ? 0 : 1;
}
