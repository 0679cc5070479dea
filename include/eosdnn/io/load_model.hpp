#pragma once
/// \file load_model.hpp
/// A model from what a user types: a zoo name (zoo/zoo.hpp), a profile CSV (io/profile_csv.hpp),
/// a model JSON (io/json.hpp), or a file of another kind for which the caller passes a reader
/// (the ONNX importer, io/onnx.hpp, is optional: eosdnn::onnx). Files are told apart by their
/// extension, case-insensitively.

#include <eosdnn/core/error.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/io/json.hpp>
#include <eosdnn/io/measured_profiles.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include <cctype>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace eosdnn {

/// A reader for one more kind of model file.
struct model_reader {
    std::string extension{};  ///< lower case, with the dot: ".onnx"
    std::string kind{};       ///< what the source is called: "ONNX"
    std::function<layer_graph(const std::filesystem::path&)> read{};  ///< reads one file
};

/// A model and where it came from.
struct loaded_model {
    layer_graph graph;   ///< the model
    std::string source;  ///< "zoo", "profile CSV a.csv", "model JSON m.json", "<kind> file"
};

namespace detail::load {

inline std::string lowercase(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// Runs `f`; an eosdnn::error whose message does not name `file` gets it in front.
template <class F>
layer_graph naming(const std::string& file, F&& f) {
    try {
        return f();
    } catch (const error& e) {
        const std::string what = e.what();
        if (what.find(file) != std::string::npos) throw;
        throw error(e.kind(), file + ": " + what);
    }
}

}  // namespace detail::load

/// The model `spec` names: a file by its extension (.csv: read_profile_csv; .json:
/// model_from_json; one of `more`'s extensions: its reader), else a zoo model of that name;
/// `ionn:NAME` is a measured profile (measured_profile(), io/measured_profiles.hpp).
/// Throws eosdnn::error: what the reader throws, with the file name in front (parse, io,
/// validation); of kind validation for an existing file of another extension, an ONNX file
/// without a reader, or a name that is neither a file nor a zoo model (the message lists the
/// zoo).
inline loaded_model load_model(const std::string& spec, std::span<const model_reader> more = {}) {
    namespace fs = std::filesystem;
    namespace d = detail::load;
    // A measured profile by name (io/measured_profiles.hpp), before any file: "ionn:resnet50".
    if (std::string_view(spec).starts_with(measured_profile_prefix))
        return {measured_profile(spec), "measured profile " + spec};
    const fs::path path(spec);
    const std::string ext = d::lowercase(path.extension().string());
    if (ext == ".csv")
        return {d::naming(spec, [&] { return read_profile_csv(path); }), "profile CSV " + spec};
    if (ext == ".json")
        return {d::naming(spec, [&] { return model_from_json(read_json_file(path)); }),
                "model JSON " + spec};
    std::string known = ".csv, .json";
    for (const model_reader& r : more) {
        if (ext == r.extension)
            return {d::naming(spec, [&] { return r.read(path); }), r.kind + " " + spec};
        known += ", " + r.extension;
    }
    if (ext == ".onnx")
        throw error(error_kind::validation,
                    "'" + spec +
                        "': ONNX files need the optional ONNX importer (eosdnn::onnx, "
                        "eosdnn/io/onnx.hpp), which this program was built without; use a profile "
                        "CSV or model JSON");
    if (is_zoo_model(spec)) return {zoo_model(spec), "zoo"};  // bert_base:384 too
    std::error_code ec;
    if (fs::exists(path, ec))
        throw error(error_kind::validation,
                    "'" + spec + "': unknown file type '" + ext + "' (expected " + known + ")");
    std::string zoo;
    for (std::string_view n : zoo_model_names()) zoo += (zoo.empty() ? "" : ", ") + std::string(n);
    throw error(error_kind::validation, "'" + spec +
                                            "' is neither a file nor a zoo model (known: " + zoo +
                                            "; measured profiles: ionn:NAME)");
}

}  // namespace eosdnn
