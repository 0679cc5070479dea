#pragma once
/// \file onnx_read.hpp
/// Reads an .onnx file into an onnx::ModelProto without the values of its large tensors. The
/// importer needs only their types and dimensions, so the weights are skipped in the protobuf
/// stream (a seek on the file) instead of being parsed: importing VGG-16 (a 550 MB file) then
/// takes megabytes of memory rather than the size of the file and more.

#include <onnx/onnx_pb.h>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <climits>
#include <cstdint>
#include <string>
#include <vector>

namespace eosdnn::detail::onnx_import {

/// Tensors whose value fields are at most this long keep them: shapes, axes and indices, which
/// shape inference reads.
inline constexpr std::uint32_t kept_value_bytes = 4096;

/// What the filter does with a length-delimited field.
enum class field_action { copy, skip, model_graph, graph_initializer };

inline void put_varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7F) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

inline void put_little_endian(std::string& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// Field numbers from onnx.proto: ModelProto.graph, GraphProto.initializer, and the value fields
// of TensorProto (float_data, int32_data, int64_data, raw_data, double_data, uint64_data).
inline field_action action_in_model(int field, std::uint32_t) {
    return field == 7 ? field_action::model_graph : field_action::copy;
}
inline field_action action_in_graph(int field, std::uint32_t) {
    return field == 5 ? field_action::graph_initializer : field_action::copy;
}
inline field_action action_in_tensor(int field, std::uint32_t length) {
    const bool values =
        field == 4 || field == 5 || field == 7 || field == 9 || field == 10 || field == 11;
    return values && length > kept_value_bytes ? field_action::skip : field_action::copy;
}

/// Copies the fields of one message from `in` to `out` in wire format, dropping or descending
/// into fields as `level` (0 model, 1 graph, 2 tensor) says. False if the stream is malformed or
/// a field runs past `file_size` (a skip is a seek, which would not notice a truncated file);
/// `truncated` then tells whether the file ended inside a field. `skipped_raw` gets, per
/// initializer of the graph, the length of the raw_data left out (-1: none left out), so that
/// the importer can still check it against the tensor's dims.
inline bool filter_message(google::protobuf::io::CodedInputStream& in, std::string& out, int level,
                           std::int64_t file_size, bool& truncated,
                           std::vector<std::int64_t>& skipped_raw) {
    // A read that fails within a varint's length of the end ran out of file.
    const auto ran_out = [&] {
        truncated = truncated || in.CurrentPosition() + 10 >= file_size;
        return false;
    };
    for (;;) {
        const std::uint32_t tag = in.ReadTag();
        if (tag == 0) return in.ConsumedEntireMessage();
        const int field = static_cast<int>(tag >> 3);
        switch (tag & 7) {
        case 0: {
            std::uint64_t v = 0;
            if (!in.ReadVarint64(&v)) return ran_out();
            put_varint(out, tag);
            put_varint(out, v);
            break;
        }
        case 1: {
            std::uint64_t v = 0;
            if (!in.ReadLittleEndian64(&v)) return ran_out();
            put_varint(out, tag);
            put_little_endian(out, v, 8);
            break;
        }
        case 5: {
            std::uint32_t v = 0;
            if (!in.ReadLittleEndian32(&v)) return ran_out();
            put_varint(out, tag);
            put_little_endian(out, v, 4);
            break;
        }
        case 2: {
            std::uint32_t length = 0;
            if (!in.ReadVarint32(&length)) return ran_out();
            if (length > static_cast<std::uint32_t>(INT_MAX)) return false;
            if (in.CurrentPosition() + static_cast<std::int64_t>(length) > file_size) {
                truncated = true;  // the field's length runs past the end of the file
                return false;
            }
            const field_action action = level == 0   ? action_in_model(field, length)
                                        : level == 1 ? action_in_graph(field, length)
                                                     : action_in_tensor(field, length);
            if (action == field_action::skip) {
                if (!in.Skip(static_cast<int>(length))) return false;
                if (field == 9 && !skipped_raw.empty()) skipped_raw.back() = length;  // raw_data
            } else if (action == field_action::copy) {
                std::string bytes;
                if (!in.ReadString(&bytes, static_cast<int>(length))) return false;
                put_varint(out, tag);
                put_varint(out, length);
                out += bytes;
            } else {
                if (action == field_action::graph_initializer) skipped_raw.push_back(-1);
                const auto limit = in.PushLimit(static_cast<int>(length));
                std::string inner;
                const bool ok =
                    filter_message(in, inner, level + 1, file_size, truncated, skipped_raw);
                in.PopLimit(limit);
                if (!ok) return false;
                put_varint(out, tag);
                put_varint(out, inner.size());
                out += inner;
            }
            break;
        }
        default: return false;  // groups (3, 4) are not used by ONNX; 6 and 7 do not exist
        }
    }
}

/// What reading a model's structure gave.
enum class read_status { parsed, malformed, truncated };

/// Parses the model read from `file_descriptor` (a file of `file_size` bytes) into `model`,
/// leaving out tensor values longer than kept_value_bytes. `malformed` if the bytes are not a
/// protobuf ModelProto, `truncated` if the file ends inside a field (an interrupted download).
/// `skipped_raw` gets, per initializer, the length of the raw_data left out (-1: none).
/// Protobuf limits a message to 2 GB; larger models keep their weights in external-data files,
/// as ONNX requires.
inline read_status read_model_structure(int file_descriptor, std::int64_t file_size,
                                        onnx::ModelProto& model,
                                        std::vector<std::int64_t>& skipped_raw) {
    if (file_size > INT_MAX) return read_status::malformed;
    google::protobuf::io::FileInputStream file(file_descriptor);
    std::string structure;
    bool truncated = false;
    {
        google::protobuf::io::CodedInputStream in(&file);
        in.SetTotalBytesLimit(INT_MAX);
        if (!filter_message(in, structure, 0, file_size, truncated, skipped_raw))
            return truncated ? read_status::truncated : read_status::malformed;
    }
    if (file.GetErrno() != 0) return read_status::malformed;
    return model.ParseFromString(structure) ? read_status::parsed : read_status::malformed;
}

}  // namespace eosdnn::detail::onnx_import
