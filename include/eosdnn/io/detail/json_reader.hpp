#pragma once
/// \file json_reader.hpp
/// What the JSON readers of eosdnn share (io/json.hpp, io/plan_document.hpp): a strict reader
/// that names the JSON path and the value of every offending field, the "inf"/"nan" encoding of
/// non-finite numbers, and the text parser that reports line and column and refuses a key given
/// twice in one object.

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/environment.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eosdnn {
namespace detail::json_io {

using nlohmann::json;

inline std::string child(const std::string& path, std::string_view key) {
    return path + "/" + std::string(key);
}
inline std::string child(const std::string& path, std::size_t index) {
    return path + "/" + std::to_string(index);
}

/// Appends `value` as compact JSON (as dump() writes it) to `out`, stopping soon after `out`
/// grows past `limit`. Not dump() itself: that renders the whole value, recursing once per
/// nesting level, so a document nested a million deep overflowed the stack just to say what it
/// found. Here each level adds a character before recursing, so the depth stays below `limit`.
inline void show_into(std::string& out, const json& value, std::size_t limit) {
    if (value.is_array() || value.is_object()) {
        out += value.is_array() ? '[' : '{';
        bool first = true;
        for (auto it = value.begin(); it != value.end(); ++it) {
            if (out.size() > limit) return;
            if (!first) out += ',';
            first = false;
            if (value.is_object())
                out += json(it.key()).dump(-1, ' ', false, json::error_handler_t::replace) + ":";
            show_into(out, it.value(), limit);
        }
        out += value.is_array() ? ']' : '}';
        return;
    }
    out += value.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// A value as it appears in the document, shortened so a message stays one line.
inline std::string show(const json& value) {
    std::string text;
    show_into(text, value, 80);
    if (text.size() > 80) text = text.substr(0, 77) + "...";
    return text;
}

/// Reads one document; knows its name ("environment", "model", "plan") for messages.
class reader {
public:
    explicit reader(std::string document) : document_(std::move(document)) {}

    [[noreturn]] void fail(error_kind kind, const std::string& path,
                           const std::string& what) const {
        throw error(kind, document_ + " JSON " + (path.empty() ? std::string("(root)") : path) +
                              ": " + what);
    }

    /// Inside a catch handler: rethrows the eosdnn::error being handled (a builder's) with the
    /// path, and the value found there, in front of its message.
    [[noreturn]] void rethrow(const std::string& path, const json* value) const {
        try {
            throw;
        } catch (const error& e) {
            throw error(e.kind(),
                        document_ + " JSON " + (path.empty() ? std::string("(root)") : path) +
                            (value ? " = " + show(*value) : std::string()) + ": " + e.what());
        }
    }

    /// Calls `f`, rethrowing its eosdnn::error with the path and value in front.
    template <class F>
    decltype(auto) wrap(const std::string& path, const json* value, F&& f) const {
        try {
            return f();
        } catch (const error&) {
            rethrow(path, value);
        }
    }

    /// `value` as an object whose keys are all among `keys`: an unknown key is most likely a
    /// typo, and ignoring it would silently drop what the user meant to say.
    const json& object(const json& value, const std::string& path,
                       std::initializer_list<std::string_view> keys) const {
        return object(value, path, std::span<const std::string_view>(keys.begin(), keys.size()));
    }

    /// The same, with the allowed keys in a span.
    const json& object(const json& value, const std::string& path,
                       std::span<const std::string_view> keys) const {
        if (!value.is_object())
            fail(error_kind::parse, path, "expected an object, found " + type_of(value));
        for (const auto& [key, member] : value.items()) {
            bool known = false;
            for (std::string_view k : keys) known = known || k == key;
            if (!known) {
                std::string list;
                for (std::string_view k : keys) list += (list.empty() ? "" : ", ") + std::string(k);
                fail(error_kind::parse, child(path, key),
                     "unknown key '" + key + "' (allowed: " + list + ")");
            }
        }
        return value;
    }

    const json& array(const json& value, const std::string& path) const {
        if (!value.is_array())
            fail(error_kind::parse, path, "expected an array, found " + type_of(value));
        return value;
    }

    const json& required(const json& object, std::string_view key, const std::string& path) const {
        const auto it = object.find(key);
        if (it == object.end())
            fail(error_kind::parse, path, "missing required key '" + std::string(key) + "'");
        return *it;
    }

    static const json* optional(const json& object, std::string_view key) {
        const auto it = object.find(key);
        return it == object.end() ? nullptr : &*it;
    }

    double number(const json& value, const std::string& path) const {
        if (!value.is_number())
            fail(error_kind::parse, path, "expected a number, found " + type_of(value));
        return value.get<double>();
    }

    std::string string(const json& value, const std::string& path) const {
        if (!value.is_string())
            fail(error_kind::parse, path, "expected a string, found " + type_of(value));
        return value.get<std::string>();
    }

    bool boolean(const json& value, const std::string& path) const {
        if (!value.is_boolean())
            fail(error_kind::parse, path, "expected true or false, found " + type_of(value));
        return value.get<bool>();
    }

    std::size_t unsigned_integer(const json& value, const std::string& path) const {
        // A document built in C++ holds 2 as a signed integer; parsed text, as an unsigned one.
        if (value.is_number_integer() && !value.is_number_unsigned() &&
            value.get<std::int64_t>() < 0)
            fail(error_kind::validation, path, show(value) + " is negative (must be >= 0)");
        if (!value.is_number_integer())
            fail(error_kind::parse, path,
                 "expected a non-negative integer, found " + type_of(value));
        const auto n = value.get<std::uint64_t>();
        if (n > std::numeric_limits<std::size_t>::max())
            fail(error_kind::validation, path, show(value) + " is too large");
        return static_cast<std::size_t>(n);
    }

    /// A number, or "inf", "-inf", "nan" for the non-finite values JSON has no literal for.
    double extended_number(const json& value, const std::string& path) const {
        if (value.is_string()) {
            const auto& text = value.get_ref<const std::string&>();
            if (text == "inf") return std::numeric_limits<double>::infinity();
            if (text == "-inf") return -std::numeric_limits<double>::infinity();
            if (text == "nan") return std::numeric_limits<double>::quiet_NaN();
        }
        if (!value.is_number())
            fail(error_kind::parse, path,
                 "expected a number or \"inf\", \"-inf\", \"nan\", found " + type_of(value));
        return value.get<double>();
    }

    /// A plan's evaluation value: a number (or "inf", "nan" as extended_number reads them) that
    /// must be finite and >= 0, as delays, times, energy and violations are.
    double measure(const json& value, const std::string& path) const {
        const double v = extended_number(value, path);
        if (!std::isfinite(v) || v < 0)
            fail(error_kind::validation, path,
                 show(value) + " is not allowed (must be finite and >= 0)");
        return v;
    }

    /// Refuses an array of more than `limit` elements (`what`: "layers") before anything is
    /// built from it.
    void at_most(const json& array, std::size_t limit, const std::string& path,
                 const std::string& what) const {
        if (array.size() > limit)
            fail(error_kind::validation, path,
                 std::to_string(array.size()) + " " + what + ", more than the limit of " +
                     std::to_string(limit) + " (docs/limits.md)");
    }

    /// A number, or null for a value that is not a number (read as NaN): how the plan document
    /// writes non-finite numbers outside a plan's evaluation.
    double number_or_null(const json& value, const std::string& path) const {
        if (value.is_null()) return std::numeric_limits<double>::quiet_NaN();
        if (!value.is_number())
            fail(error_kind::parse, path, "expected a number or null, found " + type_of(value));
        return value.get<double>();
    }

    static std::string type_of(const json& value) {
        if (value.is_null()) return "null";  // not "null null"
        return std::string(value.type_name()) + " " + show(value);
    }

private:
    std::string document_;
};

/// The inverse of reader::extended_number.
inline json extended_number(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    return value;
}

inline tier tier_from(const reader& r, const json& value, const std::string& path) {
    const std::string text = r.string(value, path);
    for (tier t : {tier::local, tier::edge, tier::cloud})
        if (text == to_string(t)) return t;
    r.fail(error_kind::validation, path,
           "unknown tier \"" + text + "\" (expected local, edge or cloud)");
}

/// True if `f` throws an eosdnn::error: used to ask a builder which single field it rejects, so
/// that the rules stay in the builders and only the JSON path is worked out here.
template <class F>
bool rejects(F&& f) {
    try {
        f();
        return false;
    } catch (const error&) {
        return true;
    }
}

}  // namespace detail::json_io

namespace detail::json_io {

/// Builds the document from nlohmann's SAX events, as json::parse does, refusing a key that the
/// object being read already has. Linear in the size of the text: the callback parser that did
/// this before (json::parse with a parser_callback_t) rescans the parent of every object it
/// closes, which took 49 s for a 22 MB environment. Keeps its own stack of open containers, so a
/// document nested a million deep needs no deep recursion.
class strict_dom_builder {
public:
    explicit strict_dom_builder(json& root, const std::string& source)
        : root_(root), source_(source) {}

    bool null() { return put(nullptr); }
    bool boolean(bool value) { return put(value); }
    bool number_integer(json::number_integer_t value) { return put(value); }
    bool number_unsigned(json::number_unsigned_t value) { return put(value); }
    bool number_float(json::number_float_t value, const json::string_t& text) {
        // nlohmann reads a number too small for a double ("1e-400") as 0 without a word; the
        // CSV reader refuses it, and so does this one rather than silently change a value.
        if (value == 0 && text.find_first_of("123456789") < text.find_first_of("eE"))
            underflow(text);
        return put(value);
    }
    bool string(json::string_t& value) { return put(std::move(value)); }
    bool binary(json::binary_t& value) { return put(std::move(value)); }

    bool start_object(std::size_t) {
        open_.push_back({put(json::value_t::object), nullptr});
        return true;
    }
    bool key(json::string_t& name) {
        // The element is made here, null until its value arrives: std::map keeps its address and
        // its key's while other members are added.
        auto& members = open_.back().value->get_ref<json::object_t&>();
        const auto [it, added] = members.try_emplace(std::move(name));
        if (!added) duplicate(it->first);
        open_.back().key = &it->first;
        next_ = &it->second;
        return true;
    }
    bool end_object() {
        open_.pop_back();
        return true;
    }
    bool start_array(std::size_t) {
        open_.push_back({put(json::value_t::array), nullptr});
        return true;
    }
    bool end_array() {
        open_.pop_back();
        return true;
    }

    /// Throws `e` as it is: json::parse_error with the byte offset, or json::out_of_range
    /// for a number too large for a double.
    template <class Exception>
    bool parse_error(std::size_t, const std::string&, const Exception& e) {
        throw e;
    }

private:
    struct container {
        json* value;             ///< the open object or array
        const std::string* key;  ///< in an object, the key of the member being read
    };

    /// Stores `value` where the parser is: the root, the next element of the open array, or
    /// the member whose key came last. Returns where it is stored.
    template <class Value>
    json* put(Value&& value) {
        if (open_.empty()) {
            root_ = json(std::forward<Value>(value));
            return &root_;
        }
        json& parent = *open_.back().value;
        if (parent.is_array()) {
            auto& elements = parent.get_ref<json::array_t&>();
            elements.emplace_back(std::forward<Value>(value));
            return &elements.back();
        }
        *next_ = json(std::forward<Value>(value));
        return next_;
    }

    /// The path of the value inside the first `depth` open containers, from their keys and
    /// indices: with depth open_.size() - 1, the path of the innermost open container.
    std::string path_within(std::size_t depth) const {
        std::string path;
        for (std::size_t i = 0; i < depth; ++i) {
            const json& outer = *open_[i].value;
            path = outer.is_array() ? child(path, outer.size() - 1) : child(path, *open_[i].key);
        }
        return path;
    }

    /// The path of the open object.
    [[noreturn]] void duplicate(const std::string& name) const {
        const std::string path = open_.empty() ? std::string() : path_within(open_.size() - 1);
        throw eosdnn::error(error_kind::parse,
                            source_ + ": invalid JSON: " + (path.empty() ? "(root)" : path) +
                                ": the key '" + name + "' appears twice");
    }

    /// The number `text` about to be stored, which a double cannot hold but as 0. Its path is
    /// the open containers' and its own key or index (the next element of an open array).
    [[noreturn]] void underflow(const std::string& text) const {
        std::string path = path_within(open_.size());
        if (!open_.empty() && open_.back().value->is_array())
            path = child(path_within(open_.size() - 1), open_.back().value->size());
        throw eosdnn::error(error_kind::parse,
                            source_ + ": invalid JSON: " + (path.empty() ? "(root)" : path) +
                                ": the number " + text +
                                " is too small for a double (it would read as 0)");
    }

    json& root_;
    const std::string& source_;
    std::vector<container> open_;
    json* next_ = nullptr;
};

/// Parses the JSON `text` read from `source` (a file name, for messages). Throws eosdnn::error of
/// kind parse: with `source:line:column` if it is not valid JSON, with `source:` and the JSON path
/// if an object gives a key twice (nlohmann would keep the last silently, and a strict reader
/// should not drop what the user wrote any more than it ignores an unknown key), and with
/// `source:` only for a number too large for a double, whose position the parser does not report.
/// Takes time linear in the size of `text`.
inline json parse_text(const std::string& text, const std::string& source) {
    json document;
    strict_dom_builder builder(document, source);
    try {
        json::sax_parse(text, &builder);
        return document;
    } catch (const json::out_of_range& e) {
        // A number too large for a double ("1e400"): nlohmann gives no position, but names it.
        throw error(error_kind::parse, source + ": invalid JSON: " + e.what());
    } catch (const json::parse_error& e) {
        // e.byte counts from 1 and points at the character that failed (or one past the end).
        const std::size_t at = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
        std::size_t line = 1, column = 1;
        for (std::size_t i = 0; i < at; ++i) {
            if (text[i] == '\n')
                ++line, column = 1;
            else
                ++column;
        }
        throw error(error_kind::parse, source + ":" + std::to_string(line) + ":" +
                                           std::to_string(column) + ": invalid JSON: " + e.what());
    }
}

}  // namespace detail::json_io

}  // namespace eosdnn
