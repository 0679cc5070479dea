#pragma once
/// \file messages.hpp
/// The pieces every error message of eosdnn is made of, written once so that all of them name
/// numbers, nodes and layers the same way: "node 2 ('edge1')", "layer 3 ('conv1')", "-1.5".

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/ids.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

namespace eosdnn::detail {

/// A number as messages print it: six significant digits, like an ostream with default flags.
inline std::string format_number(double value) {
    // "%g" of any double fits (at most 13 characters: "-1.79769e+308"); the length is clamped
    // anyway, so that the string never reads past the buffer.
    char text[32];
    const int length = std::snprintf(text, sizeof text, "%g", value);
    return std::string(
        text, length > 0 ? std::min(static_cast<std::size_t>(length), sizeof text - 1) : 0);
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

/// The code point of the well-formed UTF-8 sequence at the start of `text` and its length in
/// bytes; {byte, 1} for a byte that does not start one (invalid_utf8_at says which do).
inline std::pair<char32_t, std::size_t> utf8_code_point(std::string_view text) noexcept {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    if (text.empty()) return {0, 0};
    if (invalid_utf8_at(text.substr(0, std::min<std::size_t>(text.size(), 4))) == 0 ||
        byte(0) < 0x80)
        return {byte(0), 1};
    if (byte(0) < 0xE0) return {((byte(0) & 0x1Fu) << 6) | (byte(1) & 0x3Fu), 2};
    if (byte(0) < 0xF0)
        return {((byte(0) & 0x0Fu) << 12) | ((byte(1) & 0x3Fu) << 6) | (byte(2) & 0x3Fu), 3};
    return {((byte(0) & 0x07u) << 18) | ((byte(1) & 0x3Fu) << 12) | ((byte(2) & 0x3Fu) << 6) |
                (byte(3) & 0x3Fu),
            4};
}

/// Whether `c` prints as nothing or moves the cursor: a C0 or C1 control character (NUL,
/// newline, ESC, DEL, ...), or an invisible formatting character (zero-width spaces and joiners,
/// bidirectional overrides, line and paragraph separators, the byte-order mark).
inline bool invisible_code_point(char32_t c) noexcept {
    return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0xAD || (c >= 0x200B && c <= 0x200F) ||
           (c >= 0x2028 && c <= 0x202E) || (c >= 0x2060 && c <= 0x2064) || c == 0xFEFF;
}

/// Why `name` cannot name a layer, node or model that reports print ("" if it can): a control or
/// invisible character, which a terminal would act on (ESC) or hide, so that two different names
/// would print the same; or a leading or trailing space, equally invisible. Bytes that are not
/// UTF-8 are left to utf8_problem. With `identifier` false (a layer's kind, which nothing looks
/// up by name), spaces at either end are allowed.
inline std::string name_problem(std::string_view name, bool identifier = true) {
    if (identifier && !name.empty() && (name.front() == ' ' || name.back() == ' '))
        return "a leading or trailing space";
    for (std::size_t i = 0; i < name.size();) {
        const auto [c, length] = utf8_code_point(name.substr(i));
        if (length > 1 || static_cast<unsigned char>(name[i]) < 0x80)
            if (invisible_code_point(c)) {
                static constexpr char hex[] = "0123456789ABCDEF";
                std::string code = "U+";
                for (int shift = c > 0xFFFF ? 20 : 12; shift >= 0; shift -= 4)
                    code += hex[(c >> shift) & 15];
                return "the control or invisible character " + code + " at byte " +
                       std::to_string(i + 1);
            }
        i += length;
    }
    return {};
}

/// `text` as a message or a report may print it: bytes that are not UTF-8 and control or
/// invisible characters written as \xFF (each byte in upper-case hex), so that nothing reaches
/// a terminal that it would act on. Printable text is unchanged.
inline std::string printable(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto [c, length] = utf8_code_point(text.substr(i));
        const bool valid = length > 1 || static_cast<unsigned char>(text[i]) < 0x80;
        if (valid && !invisible_code_point(c)) {
            out.append(text.substr(i, length));
        } else {
            for (std::size_t k = 0; k < length; ++k) {
                const auto byte = static_cast<unsigned char>(text[i + k]);
                out.append("\\x");
                out += hex[byte >> 4];
                out += hex[byte & 15];
            }
        }
        i += length;
    }
    return out;
}

/// Throws the validation error "where: what".
[[noreturn]] inline void fail_validation(std::string_view where, const std::string& what) {
    throw error(error_kind::validation, std::string(where) + ": " + what);
}

/// Refuses a time limit that is not a number of seconds: NaN, infinite or negative (0 means no
/// limit). The one check behind every options struct's time_limit_s; `field` names it as the
/// message should ("pso_ga_options.time_limit_s").
inline void require_time_limit(std::string_view field, double seconds) {
    if (!std::isfinite(seconds) || seconds < 0)
        throw error(error_kind::validation, std::string(field) + " is " + std::to_string(seconds) +
                                                " (must be finite and >= 0)");
}

}  // namespace eosdnn::detail
