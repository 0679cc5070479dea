#pragma once
/// \file trace_csv.hpp
/// Session traces as CSV files, so that a measured trace can be replayed: one event per row,
/// `time_s,kind,target,value`, nodes named as in the environment, values in the units links
/// are quoted in (Mbit/s, ms). read_trace_csv() turns a file into a session_trace checked
/// against an environment, write_trace_csv() writes one back. The format is specified in
/// docs/replanning.md.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/io/detail/input_file.hpp>
#include <eosdnn/io/limits.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/replan/trace.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace eosdnn {

/// The event kind whose to_string() is `name` ("bandwidth", "latency", "speed", "down", "up",
/// "rate"), or nullopt.
inline std::optional<event_kind> event_kind_from_string(std::string_view name) noexcept {
    for (event_kind k :
         {event_kind::link_bandwidth, event_kind::link_latency, event_kind::node_speed,
          event_kind::node_down, event_kind::node_up, event_kind::query_rate})
        if (to_string(k) == name) return k;
    return std::nullopt;
}

namespace detail::trace_csv {

enum column : std::size_t { col_time, col_kind, col_target, col_value, col_count };

inline constexpr std::array<std::string_view, col_count> column_names{"time_s", "kind", "target",
                                                                      "value"};

/// Separates the two node names of a link target: `phone->edge1`.
inline constexpr std::string_view arrow = "->";

/// The shortest decimal x for which mbps(x) is `bytes_per_s` exactly, so that a bandwidth
/// written in Mbit/s reads back as the same double; the nearest decimal if no double maps there
/// (mbps() skips some doubles: a bandwidth that no Mbit/s value gives).
inline std::string megabits_text(double bytes_per_s) {
    const double guess = bytes_per_s * 8 / 1e6;
    std::string best;
    double below = guess, above = guess;
    for (int step = 0; step < 4; ++step) {
        for (double x : {below, above})
            if (mbps(x) == bytes_per_s) {
                std::string text = profile_csv::format_decimal(x);
                if (best.empty() || text.size() < best.size()) best = std::move(text);
            }
        below = std::nextafter(below, 0.0);
        above = std::nextafter(above, std::numeric_limits<double>::infinity());
    }
    return best.empty() ? profile_csv::format_decimal(guess) : best;
}

/// Reads one trace CSV text against an environment; every failure names the source and line.
class reader {
public:
    reader(std::istream& in, const std::string& source, const environment& env)
        : in_(in), source_(source.empty() ? std::string("<stream>") : escape_invalid_utf8(source)),
          env_(env) {}

    session_trace read() {
        namespace p = profile_csv;
        const std::string text = read_capped(in_, source_, limits::max_text_file_bytes);
        const std::vector<std::string_view> lines = p::text_lines(text);
        for (std::size_t i = 0; i < lines.size(); ++i) {
            line_no_ = i + 1;
            check_text(lines[i]);
        }
        for (std::size_t i = 0; i < lines.size(); ++i) {
            line_no_ = i + 1;
            if (p::trim(lines[i]).empty()) continue;
            if (!header_read_)
                read_header(lines[i]);
            else
                read_row(lines[i]);
        }
        if (!header_read_)
            throw error(
                error_kind::parse,
                source_ + ": empty file: expected the header line time_s,kind,target,value");
        // Every row was checked above with its line; this is the library's own rule, once more.
        check_trace(trace_, env_.size());
        return std::move(trace_);
    }

private:
    [[noreturn]] void fail(error_kind kind, const std::string& what) const {
        throw error(kind, source_ + ":" + std::to_string(line_no_) + ": " + what);
    }

    [[noreturn]] void fail_at(error_kind kind, column c, const std::string& what) const {
        fail(kind, "column " + std::to_string(position_[c] + 1) + " ('" +
                       std::string(column_names[c]) + "'): " + what);
    }

    // Text only: a control character other than tab (or a CR left inside a line) means binary
    // data or CR-only line endings, and either would make every later message misleading.
    void check_text(std::string_view text) const {
        for (std::size_t i = 0; i < text.size(); ++i) {
            const auto byte = static_cast<unsigned char>(text[i]);
            if (byte == '\r')
                fail(error_kind::parse, "character " + std::to_string(i + 1) +
                                            ": a carriage return inside a line (lines must end "
                                            "with LF or CR LF)");
            if ((byte < 0x20 && byte != '\t') || byte == 0x7F)
                fail(error_kind::parse, "character " + std::to_string(i + 1) +
                                            ": a control character, not CSV text (binary data?)");
        }
        if (const std::string why = utf8_problem(text); !why.empty())
            fail(error_kind::parse, "the line is not UTF-8 text: " + why);
    }

    void read_header(std::string_view text) {
        namespace p = profile_csv;
        header_read_ = true;
        position_.fill(npos);
        const auto fields = p::split(text, ',');
        field_count_ = fields.size();
        for (std::size_t i = 0; i < fields.size(); ++i) {
            const std::string_view field = p::trim(fields[i]);
            std::size_t c = 0;
            while (c < col_count && column_names[c] != field) ++c;
            if (c == col_count)
                fail(error_kind::parse, "column " + std::to_string(i + 1) + ": unknown column '" +
                                            printable(field) +
                                            "' (expected the header time_s,kind,target,value)");
            if (position_[c] != npos)
                fail(error_kind::parse, "column " + std::to_string(i + 1) + ": column '" +
                                            std::string(field) + "' appears twice");
            position_[c] = i;
        }
        for (std::size_t c = 0; c < col_count; ++c)
            if (position_[c] == npos)
                fail(error_kind::parse, "missing column '" + std::string(column_names[c]) +
                                            "' (expected the header time_s,kind,target,value)");
    }

    // A finite number; `scale` moves the decimal point (ms to s) with one rounding.
    double number(std::string_view text, column c, int shift = 0) const {
        namespace p = profile_csv;
        if (text.empty()) fail_at(error_kind::parse, c, "empty, a number is required");
        double value = 0;
        const p::number_status status = p::parse_double(text, value);
        if (status == p::number_status::not_a_number)
            fail_at(error_kind::parse, c, "'" + printable(text) + "' is not a number");
        if (status == p::number_status::ok && shift != 0 && std::isfinite(value)) {
            const auto scaled = p::scale_decimal(text, shift);
            if (!scaled)
                fail_at(error_kind::validation, c, "'" + printable(text) + "' is out of range");
            value = *scaled;
        }
        if (status == p::number_status::out_of_range || !std::isfinite(value))
            fail_at(error_kind::validation, c, "'" + printable(text) + "' is out of range");
        return value;
    }

    std::string known_nodes() const {
        std::string names;
        const std::size_t shown = std::min<std::size_t>(env_.size(), 12);
        for (std::size_t s = 0; s < shown; ++s)
            names += (s ? ", " : "") + printable(env_[static_cast<node_id>(s)].name);
        if (shown < env_.size()) names += ", ... (" + std::to_string(env_.size()) + " nodes)";
        return names;
    }

    node_id node_named(std::string_view name) const {
        if (const auto id = env_.find(name)) return *id;
        fail_at(
            error_kind::validation, col_target,
            "unknown node '" + printable(name) + "' (the environment has: " + known_nodes() + ")");
    }

    // FROM->TO; a name may itself hold "->", so every split is tried and exactly one must name
    // two nodes of the environment.
    std::pair<node_id, node_id> link_named(std::string_view target) const {
        std::optional<std::pair<node_id, node_id>> found;
        std::size_t splits = 0;
        for (std::size_t at = target.find(arrow); at != std::string_view::npos;
             at = target.find(arrow, at + 1)) {
            ++splits;
            const auto from = env_.find(profile_csv::trim(target.substr(0, at)));
            const auto to = env_.find(profile_csv::trim(target.substr(at + arrow.size())));
            if (!from || !to) continue;
            if (found)
                fail_at(error_kind::validation, col_target,
                        "'" + printable(target) + "' names two different links");
            found.emplace(*from, *to);
        }
        if (splits == 0)
            fail_at(error_kind::parse, col_target,
                    "'" + printable(target) + "' is not a link: expected FROM->TO, e.g. " +
                        printable(env_[0].name) + "->" +
                        printable(env_[static_cast<node_id>(env_.size() > 1)].name));
        if (!found) {
            // Name the side that is wrong, on the first split.
            const std::size_t at = target.find(arrow);
            node_named(profile_csv::trim(target.substr(0, at)));
            node_named(profile_csv::trim(target.substr(at + arrow.size())));
        }
        const auto [from, to] = *found;
        if (from == to)
            fail_at(error_kind::validation, col_target,
                    "'" + printable(target) + "' joins a node to itself");
        if (!env_.link_between(from, to))
            fail_at(error_kind::validation, col_target,
                    "the environment has no link " + printable(env_[from].name) + "->" +
                        printable(env_[to].name));
        return *found;
    }

    void read_row(std::string_view text) {
        namespace p = profile_csv;
        const auto fields = p::split(text, ',');
        if (fields.size() != field_count_)
            fail(error_kind::parse, "expected " + std::to_string(field_count_) +
                                        " fields as in the header, found " +
                                        std::to_string(fields.size()));
        for (std::size_t i = 0; i < fields.size(); ++i)
            if (p::trim(fields[i]).starts_with('"'))
                fail(error_kind::parse,
                     "column " + std::to_string(i + 1) + ": quoted fields are not supported");
        const auto field = [&](column c) { return p::trim(fields[position_[c]]); };

        session_event e;
        e.time_s = number(field(col_time), col_time);
        if (e.time_s < 0)
            fail_at(error_kind::validation, col_time,
                    "'" + printable(field(col_time)) + "' is negative: times count from 0");
        if (previous_line_ && e.time_s < previous_time_)
            fail_at(error_kind::validation, col_time,
                    format_number(e.time_s) + " s is before the previous event (" +
                        format_number(previous_time_) + " s on line " +
                        std::to_string(previous_line_) + "): times must not decrease");

        const std::string_view kind_text = field(col_kind);
        const auto kind = event_kind_from_string(kind_text);
        if (!kind)
            fail_at(error_kind::parse, col_kind,
                    (kind_text.empty() ? std::string("empty") : "'" + printable(kind_text) + "'") +
                        " is not an event kind (known: bandwidth, latency, speed, down, up, "
                        "rate)");
        e.kind = *kind;

        const std::string_view target = field(col_target);
        if (target.empty())
            fail_at(error_kind::parse, col_target,
                    "empty: expected " +
                        std::string(is_link_event(e.kind) ? "a link FROM->TO" : "a node name"));
        if (is_link_event(e.kind)) {
            std::tie(e.from, e.to) = link_named(target);
        } else {
            e.from = node_named(target);
            const tier t = env_[e.from].tier;
            if (e.kind == event_kind::query_rate && t != tier::local)
                fail_at(error_kind::validation, col_target,
                        "'" + printable(target) +
                            "' is not a local device: the query rate is a "
                            "device's");
            if ((e.kind == event_kind::node_down || e.kind == event_kind::node_up) &&
                t == tier::local)
                fail_at(error_kind::validation, col_target,
                        "'" + printable(target) +
                            "' is a local device: only edge and cloud nodes leave and come back");
        }

        const std::string_view value = field(col_value);
        const auto at_least = [&](double v, bool zero_allowed, const char* unit) {
            if (v > 0 || (zero_allowed && v == 0)) return;
            fail_at(error_kind::validation, col_value,
                    "'" + printable(value) + "' " + unit + " is not allowed: a " +
                        std::string(to_string(e.kind)) + " must be " +
                        (zero_allowed ? ">= 0" : "> 0"));
        };
        switch (e.kind) {
        case event_kind::link_bandwidth: {
            const double megabits = number(value, col_value);
            at_least(megabits, false, "Mbit/s");
            e.value = mbps(megabits);
            if (!(e.value > 0) || !std::isfinite(e.value))
                fail_at(error_kind::validation, col_value,
                        "'" + printable(value) + "' Mbit/s is out of range in bytes per second");
            break;
        }
        case event_kind::link_latency:
            e.value = number(value, col_value, -3);
            at_least(e.value, true, "ms");
            break;
        case event_kind::node_speed:
            e.value = number(value, col_value);
            at_least(e.value, false, "(speed factor)");
            break;
        case event_kind::query_rate:
            e.value = number(value, col_value);
            at_least(e.value, true, "queries/s");
            break;
        case event_kind::node_down:
        case event_kind::node_up:
            if (!value.empty())
                fail_at(error_kind::parse, col_value,
                        "'" + printable(value) + "': a '" + std::string(to_string(e.kind)) +
                            "' event has no value (leave the field empty)");
            break;
        }
        trace_.push_back(e);
        previous_time_ = e.time_s;
        previous_line_ = line_no_;
    }

    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    std::istream& in_;
    std::string source_;
    const environment& env_;
    session_trace trace_{};
    std::size_t line_no_ = 0;
    bool header_read_ = false;
    std::size_t field_count_ = 0;
    std::array<std::size_t, col_count> position_{};
    double previous_time_ = 0;
    std::size_t previous_line_ = 0;
};

/// The target field of `e` as the CSV writes it: a node name, or FROM->TO.
inline std::string target_text(const session_event& e, const environment& env) {
    if (!is_link_event(e.kind)) return env[e.from].name;
    return env[e.from].name + std::string(arrow) + env[e.to].name;
}

/// How many ways of splitting `target` at one of its `->` name two nodes of `env`.
inline std::size_t link_splits(std::string_view target, const environment& env) {
    std::size_t found = 0;
    for (std::size_t at = target.find(arrow); at != std::string_view::npos;
         at = target.find(arrow, at + 1))
        found += env.find(target.substr(0, at)) && env.find(target.substr(at + arrow.size()));
    return found;
}

/// The value field of `e` in the CSV's units: Mbit/s, ms, a factor, queries/s, or empty.
inline std::string value_text(const session_event& e) {
    switch (e.kind) {
    case event_kind::link_bandwidth: return megabits_text(e.value);
    case event_kind::link_latency: return profile_csv::format_decimal(e.value, 3);
    case event_kind::node_speed:
    case event_kind::query_rate: return profile_csv::format_decimal(e.value);
    case event_kind::node_down:
    case event_kind::node_up: return {};
    }
    return {};
}

}  // namespace detail::trace_csv

/// Reads a session trace CSV (docs/replanning.md) from `in`, naming nodes of `env`.
///
/// The first non-blank line is the header `time_s,kind,target,value` (the columns in any
/// order); then one event per row: `time_s` in seconds from the start of the session (not
/// decreasing from row to row), `kind` one of bandwidth, latency, speed, down, up, rate,
/// `target` a link `FROM->TO` (bandwidth, latency) or a node name (speed, down, up: an edge or
/// cloud node; rate: a local device), `value` in Mbit/s (bandwidth, converted with mbps()), ms
/// (latency), a speed factor, queries per second (rate), or empty (down, up). Blank lines are
/// skipped; a UTF-8 byte-order mark, CR LF line endings and blanks around fields are accepted.
///
/// Throws eosdnn::error, the message starting with `source_name:line:` and naming the column:
/// kind parse for a malformed file (a missing or unknown column, a wrong field count, an unknown
/// kind, a cell that is not a number, an empty required cell, a value given to down or up,
/// binary data, an empty file), kind validation for well-formed values that break a rule (an
/// unknown node, a link the environment does not have, a time before the previous row's, a
/// negative time, a bandwidth or speed factor <= 0, a negative latency or rate, a number out of
/// range), kind io if the stream fails or holds more than limits::max_text_file_bytes.
inline session_trace read_trace_csv(std::istream& in, const environment& env,
                                    const std::string& source_name) {
    return detail::trace_csv::reader(in, source_name, env).read();
}

/// Reads the trace CSV `file` against `env`. Throws eosdnn::error of kind io if it cannot be
/// opened or read, or is not a regular file of at most limits::max_text_file_bytes; otherwise as
/// the stream overload, with the file name in every message.
inline session_trace read_trace_csv(const std::filesystem::path& file, const environment& env) {
    const std::string shown = detail::escape_invalid_utf8(file.string());
    detail::check_input_file(file, "trace CSV", shown, limits::max_text_file_bytes);
    std::ifstream in = detail::open_input(file, "trace CSV", shown);
    return read_trace_csv(in, env, file.string());
}

/// Writes `trace` as a trace CSV that read_trace_csv() reads back, against the same
/// environment, as the same events: times and latencies exactly, bandwidths exactly whenever
/// they are mbps() of some double (every bandwidth read from a trace, an environment JSON in
/// Mbit/s or made by the generators of trace_generators.hpp).
///
/// Throws eosdnn::error of kind validation, before writing anything, if check_trace() refuses
/// the trace, a link event names a link `env` does not have, or a node name cannot be written
/// as a field (a comma, control characters, blanks at either end, a leading double quote, or a
/// `->` that makes a link target ambiguous: two ways to split it name two nodes). Kind io if
/// the stream fails.
inline void write_trace_csv(std::ostream& out, const session_trace& trace, const environment& env) {
    namespace d = detail::trace_csv;
    check_trace(trace, env.size());
    for (std::size_t i = 0; i < trace.size(); ++i) {
        const session_event& e = trace[i];
        const std::string at = "session trace: event #" + std::to_string(i) + " (" +
                               std::string(to_string(e.kind)) + ")";
        for (node_id s : {e.from, e.to}) {
            if (s != e.from && !is_link_event(e.kind)) continue;
            const std::string& name = env[s].name;
            std::string why = detail::profile_csv::unwritable(name, false);
            if (why.empty() && is_link_event(e.kind) && name.find(d::arrow) != std::string::npos &&
                d::link_splits(d::target_text(e, env), env) != 1)
                why = "'->', which makes the link " + detail::printable(d::target_text(e, env)) +
                      " ambiguous";
            if (!why.empty())
                throw error(error_kind::validation,
                            at + ": node '" + detail::printable(name) +
                                "' cannot be written to a trace CSV: its name has " + why);
        }
        if (is_link_event(e.kind) && !env.link_between(e.from, e.to))
            throw error(error_kind::validation, at + ": the environment has no link " +
                                                    detail::printable(env[e.from].name) + "->" +
                                                    detail::printable(env[e.to].name));
    }
    out << "time_s,kind,target,value\n";
    for (const session_event& e : trace)
        out << detail::profile_csv::format_decimal(e.time_s) << ',' << to_string(e.kind) << ','
            << d::target_text(e, env) << ',' << d::value_text(e) << '\n';
    if (!out) throw error(error_kind::io, "writing the trace CSV failed");
}

}  // namespace eosdnn
