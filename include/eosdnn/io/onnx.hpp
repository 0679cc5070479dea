#pragma once
/// \file onnx.hpp
/// Imports an ONNX model (a `.onnx` file, with or without external-data files) as a layer_graph:
/// one layer per compute node, output bytes from ONNX shape inference, parameter bytes from the
/// initializers (or from the weight inputs of a model exported without parameters), MACs and
/// FLOPs per operator. Part of the optional `eosdnn::onnx` component, which links the ONNX and
/// protobuf libraries; the rest of eosdnn does not need them. docs/onnx.md describes the rules.
///
///     eosdnn::onnx_import_result r = eosdnn::import_onnx("resnet50.onnx");
///     for (const std::string& w : r.warnings) std::cerr << w << '\n';
///     eosdnn::layer_graph g = std::move(r.graph);
///
/// The importer's parts: eosdnn/io/onnx_options.hpp (the options and the result, without ONNX),
/// detail/onnx_read.hpp (reading the file without its weights), detail/onnx_importer.hpp and the
/// headers of its steps, detail/onnx_costs.hpp (the work of each operator).

#include <eosdnn/core/error.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/io/detail/input_file.hpp>
#include <eosdnn/io/detail/onnx_build.hpp>
#include <eosdnn/io/detail/onnx_einsum.hpp>
#include <eosdnn/io/detail/onnx_importer.hpp>
#include <eosdnn/io/detail/onnx_inputs.hpp>
#include <eosdnn/io/detail/onnx_read.hpp>
#include <eosdnn/io/detail/onnx_shapes.hpp>
#include <eosdnn/io/detail/onnx_topology.hpp>
#include <eosdnn/io/limits.hpp>
#include <eosdnn/io/onnx_options.hpp>

#include <onnx/onnx_pb.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace eosdnn {

/// Imports a parsed ONNX model, which it does not change. `source_name` starts every message and,
/// through its stem, names the graph (unless options.model_name is set); external-data locations
/// are relative to `external_data_dir` (the current directory when empty). Throws eosdnn::error
/// (parse, validation or io) naming the node, tensor or option at fault.
inline onnx_import_result import_onnx(const onnx::ModelProto& model,
                                      const onnx_import_options& options, std::string source_name,
                                      std::filesystem::path external_data_dir = {}) {
    if (source_name.empty()) source_name = "<onnx model>";
    detail::onnx_import::importer importer(model, options, std::move(source_name),
                                           std::move(external_data_dir));
    return importer.run();
}

/// Reads and imports an `.onnx` file. Tensor values are skipped while reading, not loaded (only
/// shapes matter), so memory stays far below the file's size; external-data files are looked up
/// beside the model and checked, not read. The graph is named after the file's stem. Throws
/// eosdnn::error of kind io for a file that is not a regular file (a directory, a device, a
/// pipe) or has more than limits::max_onnx_file_bytes (io/limits.hpp), checked before reading.
inline onnx_import_result import_onnx(const std::filesystem::path& path,
                                      const onnx_import_options& options = {}) {
    const std::string source = path.string();
    // Checked before opening: opening a pipe waits for a writer, and a device (/dev/zero
    // through a symlink named *.onnx) reads forever.
    detail::check_input_file(path, "ONNX file", source, limits::max_onnx_file_bytes);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        throw error(error_kind::io,
                    source + ": cannot open the file (" + std::strerror(errno) + ")");
    struct stat status {};
    if (::fstat(fd, &status) != 0) {
        const int code = errno;
        ::close(fd);
        throw error(error_kind::io,
                    source + ": cannot read the file (" + std::strerror(code) + ")");
    }
    // A device (/dev/zero, /dev/urandom, through a symlink named *.onnx) has no size and
    // reads forever: only a regular file is read.
    if (!S_ISREG(status.st_mode)) {
        ::close(fd);
        throw error(error_kind::io, source +
                                        ": not a regular file (a device, a pipe?): only regular "
                                        "files are read (docs/limits.md)");
    }
    if (static_cast<std::uint64_t>(status.st_size) > limits::max_onnx_file_bytes) {
        ::close(fd);
        throw error(error_kind::parse, source + ": " + std::to_string(status.st_size) +
                                           " bytes, more than the limit of " +
                                           std::to_string(limits::max_onnx_file_bytes) +
                                           " bytes: a protobuf model is at most 2 GB (keep the "
                                           "weights in external data)");
    }
    onnx::ModelProto model;
    std::vector<std::int64_t> skipped_raw;
    using detail::onnx_import::read_status;
    const read_status read =
        detail::onnx_import::read_model_structure(fd, status.st_size, model, skipped_raw);
    ::close(fd);
    if (read == read_status::truncated)
        throw error(error_kind::parse,
                    source + ": the file is truncated: it ends inside a field of the model, " +
                        std::to_string(status.st_size) +
                        " bytes in (an interrupted download or copy?)");
    if (read != read_status::parsed)
        throw error(error_kind::parse,
                    source + ": not an ONNX model (the protobuf message cannot be parsed)");
    // The importer itself, not import_onnx(model, ...): the lengths of the values left out
    // are checked against the tensors' dims.
    detail::onnx_import::importer importer(model, options, source, path.parent_path(),
                                           std::move(skipped_raw));
    return importer.run();
}

}  // namespace eosdnn
