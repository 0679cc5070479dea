#pragma once
/// \file json_text.hpp
/// What the JSON writers check of every string before writing it: nlohmann::json cannot write
/// text that is not UTF-8, and its own exception would name neither the layer nor the field.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <cmath>
#include <string>
#include <string_view>
#include <utility>

namespace eosdnn {

namespace detail::json_io {

/// Throws eosdnn::error (validation) unless `text`, the `field` of `where` ("layer 3 ('conv1')",
/// or "" for the document itself) in the `document` being written, is UTF-8: nlohmann::json
/// cannot write other strings, and its own exception would name neither the layer nor the field.
/// `where` is a callable, so that the label is made only for the message.
template <class Where>
void require_utf8(std::string_view text, std::string_view document, Where&& where,
                  std::string_view field) {
    const std::string why = utf8_problem(text);
    if (why.empty()) return;
    const std::string place = where();
    throw error(error_kind::validation,
                std::string(document) + ": cannot write it as JSON: " +
                    (place.empty() ? std::string() : place + ": ") + "its " + std::string(field) +
                    " '" + escape_invalid_utf8(text) + "' is not UTF-8 text: " + why);
}

/// Throws eosdnn::error (validation) unless every value of `v` is finite and >= 0, as
/// plan_from_json requires: a plan is not written that cannot be read back.
inline void require_measures(const evaluation& v) {
    for (const auto& [key, value] :
         {std::pair{"delay_s", v.delay_s}, std::pair{"upload_s", v.upload_s},
          std::pair{"energy_j", v.energy_j}, std::pair{"objective", v.objective},
          std::pair{"violation", v.violation}})
        if (!std::isfinite(value) || value < 0)
            throw error(error_kind::validation, "plan: evaluation." + std::string(key) + " is " +
                                                    format_number(value) +
                                                    " (must be finite and >= 0)");
}

/// "model 'resnet50'", "model" when unnamed; invalid UTF-8 escaped.
inline std::string model_label(const layer_graph& g) {
    return g.name().empty() ? std::string("model")
                            : "model '" + escape_invalid_utf8(g.name()) + "'";
}

/// "layer 3 ('conv1')", invalid UTF-8 escaped.
inline std::string escaped_layer_label(const layer_graph& g, layer_id id) {
    return layer_label(id, escape_invalid_utf8(g[id].name));
}

/// "node 2 ('edge1')", invalid UTF-8 escaped.
inline std::string escaped_node_label(const environment& env, node_id id) {
    return node_label(id, escape_invalid_utf8(env[id].name));
}

}  // namespace detail::json_io

}  // namespace eosdnn
