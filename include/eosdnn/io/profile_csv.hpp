#pragma once
/// \file profile_csv.hpp
/// Per-layer profile CSV files (the format of data/ionn-profiles/): one row per layer with its
/// predecessors, sizes, MACs and measured times. read_profile_csv() turns one into a
/// layer_graph, write_profile_csv() writes a layer_graph back. The format is specified in
/// docs/formats.md.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/graph/layer.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/io/detail/input_file.hpp>
#include <eosdnn/io/limits.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <ios>
#include <istream>
#include <iterator>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

namespace eosdnn {

namespace detail::profile_csv {

/// The columns the reader knows, in the order the writer emits them.
enum column : std::size_t {
    col_index,
    col_name,
    col_type,
    col_inputs,
    col_output_shape,
    col_output_bytes,
    col_param_bytes,
    col_macs,
    col_flops,
    col_client_ms,
    col_server_ms,
    col_load_ms,
    col_count
};

inline constexpr std::array<std::string_view, col_count> column_names{
    "index",       "name", "type",  "inputs",    "output_shape", "output_bytes",
    "param_bytes", "macs", "flops", "client_ms", "server_ms",    "load_ms"};

inline constexpr std::array<bool, col_count> column_required{
    false, true, false, true, false, true, true, false, false, false, false, false};

inline std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

inline std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    for (;;) {
        const std::size_t at = text.find(separator);
        parts.push_back(text.substr(0, at));
        if (at == std::string_view::npos) return parts;
        text.remove_prefix(at + 1);
    }
}

/// The lines of a CSV text: split at LF, a CR before each LF dropped (CR LF endings), and a
/// UTF-8 byte-order mark removed from the first line (spreadsheets often start a CSV with one).
inline std::vector<std::string_view> text_lines(std::string_view text) {
    std::vector<std::string_view> lines = split(text, '\n');
    for (auto& line : lines)
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (lines.front().starts_with("\xEF\xBB\xBF")) lines.front().remove_prefix(3);
    return lines;
}

/// Outcome of reading a whole field as a number.
enum class number_status { ok, not_a_number, out_of_range };

inline number_status parse_double(std::string_view text, double& value) noexcept {
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec == std::errc::result_out_of_range) return number_status::out_of_range;
    if (ec != std::errc{} || ptr != end) return number_status::not_a_number;
    return number_status::ok;
}

template <class Integer>
bool parse_integer(std::string_view text, Integer& value) noexcept {
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    return ec == std::errc{} && ptr == end && !text.empty();
}

/// The decimal `text` (already known to be a finite number) times 10^shift, rounded once.
/// Milliseconds become seconds by moving the decimal exponent rather than by dividing the parsed
/// value by 1000: the division would round a second time, and then a written time would not
/// always read back as the same double. Returns nullopt if the result under- or overflows.
inline std::optional<double> scale_decimal(std::string_view text, int shift) {
    std::string_view mantissa = text;
    long long exponent = 0;
    if (const std::size_t e = text.find_first_of("eE"); e != std::string_view::npos) {
        mantissa = text.substr(0, e);
        std::string_view digits = text.substr(e + 1);
        if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
        if (!parse_integer(digits, exponent)) return std::nullopt;
    }
    // An exponent this close to the limits of long long is far out of range for any mantissa a
    // line can hold; shifting it would overflow (found by fuzz/profile_csv.cpp).
    if ((shift < 0 && exponent < std::numeric_limits<long long>::min() - shift) ||
        (shift > 0 && exponent > std::numeric_limits<long long>::max() - shift))
        return std::nullopt;
    const std::string scaled = std::string(mantissa) + "e" + std::to_string(exponent + shift);
    double value = 0;
    if (parse_double(scaled, value) != number_status::ok) return std::nullopt;
    return value;
}

/// The shortest decimal that reads back as `value` * 10^shift: with shift 0 it reads back as
/// `value` itself, and scale_decimal(result, -shift) gives `value` again exactly. Plain
/// notation unless the number is very large or very small.
inline std::string format_decimal(double value, int shift = 0) {
    if (value == 0) return std::signbit(value) ? "-0" : "0";
    std::array<char, 64> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                      std::chars_format::scientific);
    std::string_view text(buffer.data(), static_cast<std::size_t>(result.ptr - buffer.data()));
    std::string sign;
    if (text.front() == '-') {
        sign = "-";
        text.remove_prefix(1);
    }
    const std::size_t e = text.find('e');
    std::string digits;
    for (char c : text.substr(0, e))
        if (c != '.') digits += c;
    std::string_view exponent_text = text.substr(e + 1);
    if (exponent_text.front() == '+') exponent_text.remove_prefix(1);
    int exponent = 0;
    parse_integer(exponent_text, exponent);
    exponent += shift;

    // value * 10^shift = 0.<digits> * 10^point
    const long point = exponent + 1;
    const long count = static_cast<long>(digits.size());
    if (point > 21 || point < -5) {
        std::string out = sign + digits.substr(0, 1);
        if (count > 1) out += "." + digits.substr(1);
        return out + "e" + std::to_string(exponent);
    }
    if (point <= 0)
        return sign + "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
    if (point >= count)
        return sign + digits + std::string(static_cast<std::size_t>(point - count), '0');
    return sign + digits.substr(0, static_cast<std::size_t>(point)) + "." +
           digits.substr(static_cast<std::size_t>(point));
}

/// Reads one CSV text; every failure names the source and the line. A source name that is not
/// UTF-8 is used with its invalid bytes escaped (\xFF), in messages and in the model name.
class reader {
public:
    reader(std::istream& in, const std::string& source)
        : in_(in), source_(source.empty() ? std::string("<stream>") : escape_invalid_utf8(source)),
          builder_(std::filesystem::path(source_).stem().string()) {}

    layer_graph read() {
        // The whole text first: profiles are small, and binary data anywhere in it is then
        // reported as such rather than as whatever CSV rule its first bytes happen to break.
        // Stopped at the limit, so that a stream that never ends (/dev/zero) is not read until
        // memory runs out.
        const std::string text = read_capped(in_, source_, limits::max_text_file_bytes);
        const std::vector<std::string_view> lines = text_lines(text);
        for (std::size_t i = 0; i < lines.size(); ++i) {
            line_no_ = i + 1;
            check_text(lines[i]);
        }
        // A carriage return left inside a line, in a file that is otherwise text, is a file with
        // CR-only line endings: calling it binary data would mislead.
        for (std::size_t i = 0; i < lines.size(); ++i) {
            line_no_ = i + 1;
            if (const std::size_t at = lines[i].find('\r'); at != std::string_view::npos)
                fail(error_kind::parse, "character " + std::to_string(at + 1) +
                                            ": a carriage return inside a line (lines must end "
                                            "with LF or CR LF, not CR alone)");
        }
        // The rows counted before any layer is built: one past the header per layer.
        const auto rows = std::count_if(lines.begin(), lines.end(),
                                        [](std::string_view l) { return !trim(l).empty(); });
        if (rows > 0 && static_cast<std::size_t>(rows - 1) > limits::max_layers)
            throw error(error_kind::validation, source_ + ": " + std::to_string(rows - 1) +
                                                    " layer rows, more than the limit of " +
                                                    std::to_string(limits::max_layers) +
                                                    " layers (docs/limits.md)");
        for (std::size_t i = 0; i < lines.size(); ++i) {
            line_no_ = i + 1;
            if (trim(lines[i]).empty())
                continue;  // blank lines (a final newline, above all) carry nothing
            if (!header_read_) {
                read_header(lines[i]);
                header_read_ = true;
            } else {
                read_row(lines[i]);
            }
        }
        if (!header_read_)
            throw error(error_kind::parse, source_ + ": empty file: expected a header line");
        if (rows_ == 0)
            throw error(error_kind::parse, source_ + ":" + std::to_string(header_line_) +
                                               ": the header is not followed by any layer row");
        if (input_bytes_) builder_.set_input_bytes(*input_bytes_);
        try {
            return builder_.build();
        } catch (const error& e) {
            throw error(e.kind(), source_ + ": " + e.what());
        }
    }

private:
    [[noreturn]] void fail(error_kind kind, const std::string& what) const {
        throw error(kind, source_ + ":" + std::to_string(line_no_) + ": " + what);
    }

    [[noreturn]] void fail_at(error_kind kind, column c, const std::string& what) const {
        fail(kind, "column " + std::to_string(position_[c] + 1) + " ('" +
                       std::string(column_names[c]) + "'): " + what);
    }

    // Every field is UTF-8 text (names and kinds end up in JSON documents, which must be UTF-8);
    // the message quotes the field with the bad bytes escaped, so that it is UTF-8 itself.
    void check_utf8(const std::vector<std::string_view>& fields) const {
        for (std::size_t i = 0; i < fields.size(); ++i) {
            const std::string why = utf8_problem(fields[i]);
            if (why.empty()) continue;
            std::string column = "column " + std::to_string(i + 1);
            if (header_read_)
                for (std::size_t c = 0; c < col_count; ++c)
                    if (position_[c] == i) column += " ('" + std::string(column_names[c]) + "')";
            fail(error_kind::parse, column + ": '" + escape_invalid_utf8(fields[i]) +
                                        "' is not UTF-8 text: " + why + " of the field");
        }
    }

    // A text file has no control characters but tabs (and carriage returns, checked apart);
    // anything else means binary data.
    void check_text(std::string_view text) const {
        for (std::size_t i = 0; i < text.size(); ++i) {
            const auto byte = static_cast<unsigned char>(text[i]);
            if ((byte < 0x20 && byte != '\t' && byte != '\r') || byte == 0x7F) {
                static constexpr char hex[] = "0123456789abcdef";
                fail(error_kind::parse, "character " + std::to_string(i + 1) + ": byte 0x" +
                                            hex[byte >> 4] + hex[byte & 15] +
                                            " is not CSV text (binary data?)");
            }
        }
    }

    void read_header(std::string_view text) {
        header_line_ = line_no_;
        position_.fill(npos);
        const auto fields = split(text, ',');
        check_utf8(fields);
        field_count_ = fields.size();
        for (std::size_t i = 0; i < fields.size(); ++i) {
            const std::string_view field = trim(fields[i]);
            std::size_t c = 0;
            while (c < col_count && column_names[c] != field) ++c;
            if (c == col_count) {
                std::string known;
                for (auto n : column_names) known += (known.empty() ? "" : ", ") + std::string(n);
                fail(error_kind::parse, "column " + std::to_string(i + 1) + ": unknown column '" +
                                            std::string(field) + "' (known: " + known + ")");
            }
            if (position_[c] != npos)
                fail(error_kind::parse, "column " + std::to_string(i + 1) + ": column '" +
                                            std::string(field) + "' appears twice");
            position_[c] = i;
        }
        for (std::size_t c = 0; c < col_count; ++c)
            if (column_required[c] && position_[c] == npos)
                fail(error_kind::parse,
                     "missing required column '" + std::string(column_names[c]) + "'");
    }

    bool has(column c) const noexcept { return position_[c] != npos; }

    // A finite number >= 0; empty only if `may_be_empty`.
    std::optional<double> number(const std::vector<std::string_view>& fields, column c,
                                 bool may_be_empty, int shift = 0) const {
        const std::string_view text = trim(fields[position_[c]]);
        if (text.empty()) {
            if (may_be_empty) return std::nullopt;
            fail_at(error_kind::parse, c, "empty, a number is required");
        }
        double value = 0;
        const number_status status = parse_double(text, value);
        const auto refuse = [&] {
            fail_at(error_kind::validation, c,
                    "'" + std::string(text) + "' is not allowed (must be finite and >= 0)");
        };
        if (status == number_status::not_a_number)
            fail_at(error_kind::parse, c, "'" + std::string(text) + "' is not a number");
        if (status == number_status::ok && (!std::isfinite(value) || value < 0)) refuse();
        if (shift != 0) {
            // Scaled from the text, so that only the result has to be in range.
            const auto scaled = scale_decimal(text, shift);
            if (!scaled)
                fail_at(error_kind::validation, c, "'" + std::string(text) + "' is out of range");
            value = *scaled;
        } else if (status == number_status::out_of_range) {
            fail_at(error_kind::validation, c, "'" + std::string(text) + "' is out of range");
        }
        if (!std::isfinite(value) || value < 0) refuse();
        return value;
    }

    std::vector<std::size_t> shape(std::string_view text) const {
        std::vector<std::size_t> dims;
        if (text.empty()) return dims;
        for (std::string_view part : split(text, 'x')) {
            std::size_t dim = 0;
            if (!parse_integer(part, dim))
                fail_at(error_kind::parse, col_output_shape,
                        "'" + std::string(text) + "' is not a shape like 64x56x56 or 1000");
            dims.push_back(dim);
        }
        return dims;
    }

    template <class F>
    decltype(auto) wrapped(F&& f) const {
        try {
            return f();
        } catch (const error& e) {
            fail(e.kind(), e.what());
        }
    }

    void read_row(std::string_view text) {
        const auto fields = split(text, ',');
        if (fields.size() != field_count_)
            fail(error_kind::parse, "expected " + std::to_string(field_count_) +
                                        " fields as in the header, found " +
                                        std::to_string(fields.size()));
        check_utf8(fields);
        for (std::size_t i = 0; i < fields.size(); ++i)
            if (trim(fields[i]).starts_with('"'))
                fail(error_kind::parse,
                     "column " + std::to_string(i + 1) + ": quoted fields are not supported");
        const std::size_t row = rows_++;

        if (has(col_index)) {
            const std::string_view text_index = trim(fields[position_[col_index]]);
            std::size_t index = 0;
            if (!parse_integer(text_index, index))
                fail_at(error_kind::parse, col_index,
                        "'" + std::string(text_index) + "' is not a non-negative integer");
            if (index != row)
                fail_at(error_kind::validation, col_index,
                        "index " + std::to_string(index) +
                            " does not match the row order: this is row " + std::to_string(row) +
                            " (rows count from 0)");
        }

        layer l;
        l.name = std::string(trim(fields[position_[col_name]]));
        if (has(col_type)) l.kind = std::string(trim(fields[position_[col_type]]));
        if (has(col_output_shape))
            l.output_shape = shape(trim(fields[position_[col_output_shape]]));
        l.output_bytes = *number(fields, col_output_bytes, false);
        l.param_bytes = *number(fields, col_param_bytes, false);
        if (has(col_macs)) l.macs = *number(fields, col_macs, false);
        l.flops = has(col_flops) ? *number(fields, col_flops, false) : 2 * l.macs;
        if (has(col_client_ms)) l.device_time_s = number(fields, col_client_ms, true, -3);
        if (has(col_server_ms)) l.server_time_s = number(fields, col_server_ms, true, -3);
        if (has(col_load_ms)) l.load_time_s = number(fields, col_load_ms, true, -3);

        if (auto it = line_of_.find(l.name); it != line_of_.end())
            fail_at(error_kind::validation, col_name,
                    "duplicate layer name '" + l.name + "' (first on line " +
                        std::to_string(it->second) + ")");
        const std::string_view inputs = trim(fields[position_[col_inputs]]);
        if (inputs.empty() && !input_bytes_) input_bytes_ = l.output_bytes;

        const layer_id id = wrapped([&] { return builder_.add_layer(l); });
        line_of_.emplace(l.name, line_no_);
        if (inputs.empty()) return;
        for (std::string_view part : split(inputs, ';')) {
            const std::string_view name = trim(part);
            if (name.empty())
                fail_at(error_kind::parse, col_inputs,
                        "empty name in '" + std::string(inputs) + "'");
            const auto from = builder_.find(name);
            if (!from || *from == id)
                fail_at(error_kind::validation, col_inputs,
                        "unknown predecessor '" + std::string(name) +
                            "': no layer of that name on an earlier row");
            wrapped([&] { builder_.add_edge(*from, id); });
        }
    }

    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    std::istream& in_;
    std::string source_;
    layer_graph_builder builder_;
    std::size_t line_no_ = 0;
    std::size_t header_line_ = 0;
    bool header_read_ = false;
    std::size_t field_count_ = 0;
    std::size_t rows_ = 0;
    std::array<std::size_t, col_count> position_{};
    std::unordered_map<std::string, std::size_t> line_of_{};
    std::optional<double> input_bytes_{};
};

/// Why `text` cannot be one field of a CSV row read back unchanged, or empty if it can.
inline std::string unwritable(std::string_view text, bool is_name) {
    if (trim(text) != text) return "leading or trailing blanks";
    if (text.starts_with('"')) return "a leading double quote";
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == ',') return "a comma";
        if (is_name && c == ';') return "a semicolon";
        if (byte < 0x20 || byte == 0x7F) return "a control character";
    }
    if (invalid_utf8_at(text) != std::string_view::npos) return "a byte that is not UTF-8";
    return {};
}

}  // namespace detail::profile_csv

/// Reads a per-layer profile CSV (docs/formats.md) from `in` into a validated layer_graph.
///
/// `source_name` names the input in error messages (a file name, "<stdin>", ...); the model is
/// named after its stem, so reading "alexnet.csv" from a stream or from the file gives the same
/// graph. flops = 2 x macs unless a `flops` column is present; times are read in milliseconds and
/// stored in seconds; the input bytes are the output bytes of the layer without predecessors.
///
/// Throws eosdnn::error: kind parse for a malformed file (missing required column, wrong field
/// count, a cell that is not a number, binary data, an empty file or a header without rows),
/// kind validation for well-formed values that break a rule (a negative or infinite number, a
/// duplicate layer name, an unknown predecessor, an index out of row order, or a graph the
/// builder rejects, more rows than limits::max_layers), kind io if the stream fails or has more
/// than limits::max_text_file_bytes (reading stops there). Each message starts with
/// `source_name:line:` and names the column. A field that is not UTF-8 text is a parse error;
/// a `source_name` that is not UTF-8 appears in messages and in the model name with its invalid
/// bytes escaped as `\xFF`.
inline layer_graph read_profile_csv(std::istream& in, std::string source_name) {
    return detail::profile_csv::reader(in, source_name).read();
}

/// Reads the profile CSV `file`; the model is named after the file's stem ("alexnet" for
/// "data/ionn-profiles/alexnet.csv"). Throws eosdnn::error of kind io if it cannot be opened or
/// read, is not a regular file (a directory, a device such as /dev/zero, a pipe) or has more
/// than limits::max_text_file_bytes, checked before reading.
inline layer_graph read_profile_csv(const std::filesystem::path& file) {
    // A directory opens as a stream on Linux and fails only when read, and a device (a symlink
    // to /dev/zero) reads forever: refuse both, and a file over the limit, before reading.
    const std::string shown = detail::escape_invalid_utf8(file.string());
    detail::check_input_file(file, "profile CSV", shown, limits::max_text_file_bytes);
    std::ifstream in = detail::open_input(file, "profile CSV", shown);
    return read_profile_csv(in, file.string());
}

/// Writes `g` as a profile CSV that read_profile_csv() reads back equal field by field (with
/// the layers renumbered in topological order if they were not already in one). The columns are
/// those of data/ionn-profiles/, plus `flops` when some layer's FLOPs are not 2 x MACs and
/// `load_ms` when some layer has a load time. Numbers are written as the shortest decimal that
/// reads back exactly.
///
/// Throws eosdnn::error of kind validation, before writing anything, if `g` cannot be
/// represented: a name or kind with a comma, a name with a semicolon, control characters,
/// bytes that are not UTF-8, leading or trailing blanks or a leading double quote; input bytes
/// that differ from the output bytes of the input layer (the format stores only the latter); or
/// no layers (a moved-from graph). Kind io if the stream fails.
inline void write_profile_csv(std::ostream& out, const layer_graph& g) {
    namespace d = detail::profile_csv;
    const auto model = g.name().empty() ? std::string("model")
                                        : "model '" + detail::escape_invalid_utf8(g.name()) + "'";
    if (g.size() == 0)
        throw error(error_kind::validation, model +
                                                " cannot be written to CSV: it has no layers "
                                                "(a moved-from layer_graph?)");
    bool write_flops = false, write_load = false;
    for (layer_id id = 0; id < g.size(); ++id) {
        const layer& l = g[id];
        if (auto why = d::unwritable(l.name, true); !why.empty() || l.name.empty())
            throw error(error_kind::validation,
                        model + ": layer '" + detail::escape_invalid_utf8(l.name) +
                            "' cannot be written to CSV: its name has " +
                            (l.name.empty() ? std::string("no characters") : why));
        if (auto why = d::unwritable(l.kind, false); !why.empty())
            throw error(error_kind::validation,
                        model + ": layer '" + detail::escape_invalid_utf8(l.name) +
                            "' cannot be written to CSV: its kind has " + why);
        write_flops = write_flops || l.flops != 2 * l.macs;
        write_load = write_load || l.load_time_s.has_value();
    }
    if (g.input_bytes() != g[g.input()].output_bytes)
        throw error(error_kind::validation,
                    model + " cannot be written to CSV: its input bytes (" +
                        d::format_decimal(g.input_bytes()) +
                        ") differ from the output bytes of its input layer '" + g[g.input()].name +
                        "' (" + d::format_decimal(g[g.input()].output_bytes) + ")");

    out << "index,name,type,inputs,output_shape,output_bytes,param_bytes,macs";
    if (write_flops) out << ",flops";
    out << ",client_ms,server_ms";
    if (write_load) out << ",load_ms";
    out << '\n';
    const auto ms = [](const std::optional<double>& seconds) {
        return seconds ? d::format_decimal(*seconds, 3) : std::string();
    };
    std::size_t row = 0;
    for (layer_id id : g.topological_order()) {
        const layer& l = g[id];
        std::string inputs, shape;
        for (layer_id p : g.predecessors(id)) inputs += (inputs.empty() ? "" : ";") + g[p].name;
        for (std::size_t dim : l.output_shape)
            shape += (shape.empty() ? "" : "x") + std::to_string(dim);
        out << row++ << ',' << l.name << ',' << l.kind << ',' << inputs << ',' << shape << ','
            << d::format_decimal(l.output_bytes) << ',' << d::format_decimal(l.param_bytes) << ','
            << d::format_decimal(l.macs);
        if (write_flops) out << ',' << d::format_decimal(l.flops);
        out << ',' << ms(l.device_time_s) << ',' << ms(l.server_time_s);
        if (write_load) out << ',' << ms(l.load_time_s);
        out << '\n';
    }
    if (!out) throw error(error_kind::io, model + ": writing the profile CSV failed");
}

}  // namespace eosdnn
