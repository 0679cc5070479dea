#pragma once
/// \file messages.hpp
/// The pieces every error message of eosdnn is made of, written once so that all of them name
/// numbers, nodes and layers the same way: "node 2 ('edge1')", "layer 3 ('conv1')", "-1.5".

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/ids.hpp>

#include <cstdio>
#include <string>
#include <string_view>

namespace eosdnn::detail {

/// A number as messages print it: six significant digits, like an ostream with default flags.
inline std::string format_number(double value) {
    char text[32];
    const int length = std::snprintf(text, sizeof text, "%g", value);
    return std::string(text, length > 0 ? static_cast<std::size_t>(length) : 0);
}

/// "node 2 ('edge1')"; "node 7" when the name is unknown (an index out of range, say).
inline std::string node_label(node_id index, std::string_view name = {}) {
    std::string label = "node " + std::to_string(index);
    if (!name.empty()) label.append(" ('").append(name).append("')");
    return label;
}

/// "layer 3 ('conv1')".
inline std::string layer_label(layer_id index, std::string_view name) {
    std::string label = "layer " + std::to_string(index);
    if (!name.empty()) label.append(" ('").append(name).append("')");
    return label;
}

/// Throws the validation error "where: what".
[[noreturn]] inline void fail_validation(std::string_view where, const std::string& what) {
    throw error(error_kind::validation, std::string(where) + ": " + what);
}

}  // namespace eosdnn::detail
