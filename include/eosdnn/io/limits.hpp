#pragma once
/// \file limits.hpp
/// The input limits of eosdnn's readers, in one place (docs/limits.md, "Input limits"). Each is
/// checked before the memory it bounds is taken: a file's size before it is read, the number of
/// layers, nodes or tasks before a graph, an environment or a task list is built. An input past a
/// limit is refused with an eosdnn::error that names the file (or option) and the limit, instead
/// of reading until std::bad_alloc (`--model /dev/zero` did).

#include <cstddef>
#include <cstdint>
#include <limits>

namespace eosdnn::limits {

/// Bytes of a profile CSV or JSON file (model, environment, plan document), and of a CSV stream.
/// The readers hold the whole text and then a document about ten times its size, so this bounds
/// their memory near 5 GB; the JSON of a model at max_layers is about 300 MB, well inside it.
inline constexpr std::uint64_t max_text_file_bytes = std::uint64_t{512} << 20;  // 512 MiB

/// Bytes of an .onnx file: a protobuf message is at most 2 GB; larger models keep their weights
/// in external-data files, which are checked against their tensors' shapes but never read whole.
inline constexpr std::uint64_t max_onnx_file_bytes = std::numeric_limits<std::int32_t>::max();

/// Layers of one model read from a file. Ten times the largest model measured (10^5 layers read,
/// evaluate and solve in seconds); an evaluator keeps a few doubles per layer and node, so a
/// million layers on a few nodes stay within hundreds of megabytes.
inline constexpr std::size_t max_layers = 1'000'000;

/// Nodes of an environment: node_id is 16 bits (environment_builder refuses the 65536th node);
/// an environment file is refused before any node is built.
inline constexpr std::size_t max_nodes = std::numeric_limits<std::uint16_t>::max();

/// Tasks of one run (eosdnn-plan --tasks, the tasks of a plan document). Each task holds its own
/// model and needs a local device of its own; 15,000 tasks ran out of memory (5.5 GB), so the
/// limit stays below that with room for large models.
inline constexpr std::size_t max_tasks = 10'000;

/// Bytes of a parameter tensor stored inside an .onnx file (not in external data): it cannot be
/// larger than the file, which is at most max_onnx_file_bytes. Dimensions whose product says
/// more describe data the file does not have (dims 2^40 x 3 x 3 x 3 made a 10^8 MB model).
inline constexpr double max_onnx_inline_tensor_bytes = static_cast<double>(max_onnx_file_bytes);

}  // namespace eosdnn::limits
