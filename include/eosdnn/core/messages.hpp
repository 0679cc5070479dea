#pragma once
/// \file messages.hpp
/// The pieces every error message of eosdnn is made of, written once so that all of them name
/// numbers, nodes and layers the same way: "node 2 ('edge1')", "layer 3 ('conv1')", "-1.5".

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/ids.hpp>

#include <cstddef>
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

/// Index of the first byte of `text` that does not start a well-formed UTF-8 sequence (RFC 3629:
/// no overlong forms, no surrogates, nothing above U+10FFFF, no truncated sequence), or npos if
/// `text` is all valid UTF-8. nlohmann::json refuses to write exactly these strings.
inline std::size_t invalid_utf8_at(std::string_view text) noexcept {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        if (lead < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = 0;
        unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
        if (lead >= 0xC2 && lead <= 0xDF)
            length = 2;
        else if (lead == 0xE0)
            length = 3, low = 0xA0;
        else if (lead == 0xED)
            length = 3, high = 0x9F;
        else if (lead >= 0xE1 && lead <= 0xEF)
            length = 3;
        else if (lead == 0xF0)
            length = 4, low = 0x90;
        else if (lead == 0xF4)
            length = 4, high = 0x8F;
        else if (lead >= 0xF1 && lead <= 0xF3)
            length = 4;
        else
            return i;
        if (text.size() - i < length) return i;
        for (std::size_t k = 1; k < length; ++k) {
            const auto byte = static_cast<unsigned char>(text[i + k]);
            if (byte < (k == 1 ? low : 0x80) || byte > (k == 1 ? high : 0xBF)) return i;
        }
        i += length;
    }
    return std::string_view::npos;
}

/// Why `text` is not UTF-8 ("invalid byte 0xff at byte 2", counting from 1), or "" if it is.
inline std::string utf8_problem(std::string_view text) {
    const std::size_t at = invalid_utf8_at(text);
    if (at == std::string_view::npos) return {};
    static constexpr char hex[] = "0123456789abcdef";
    const auto byte = static_cast<unsigned char>(text[at]);
    return std::string("invalid byte 0x") + hex[byte >> 4] + hex[byte & 15] + " at byte " +
           std::to_string(at + 1);
}

/// `text` with every byte that is not part of valid UTF-8 written as \xFF (upper-case hex), so
/// that a message quoting a file name or a field is itself valid UTF-8. Valid text is unchanged.
inline std::string escape_invalid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    while (!text.empty()) {
        const std::size_t at = invalid_utf8_at(text);
        if (at == std::string_view::npos) {
            out.append(text);
            break;
        }
        static constexpr char hex[] = "0123456789ABCDEF";
        const auto byte = static_cast<unsigned char>(text[at]);
        out.append(text.substr(0, at)).append("\\x");
        out += hex[byte >> 4];
        out += hex[byte & 15];
        text.remove_prefix(at + 1);
    }
    return out;
}

/// Throws the validation error "where: what".
[[noreturn]] inline void fail_validation(std::string_view where, const std::string& what) {
    throw error(error_kind::validation, std::string(where) + ": " + what);
}

}  // namespace eosdnn::detail
