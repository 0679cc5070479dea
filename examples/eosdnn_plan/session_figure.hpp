#pragma once
// The figure of eosdnn-plan --trace --out: one SVG, three panels over the session's time:
// the bandwidth of the device's uplinks (a step line per link), the plan changes of each policy
// (a row of marks per policy), and the latency of every query (a step line per policy: each
// query drawn from its start to its end at the height of its latency). Plain SVG 1.1 written by
// hand, so that the planner needs no plotting library.
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/replan/session.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace eosdnn::cli {

namespace figure {

/// `text` with the five characters XML reserves escaped.
inline std::string xml(std::string_view text) {
    std::string out;
    for (char c : text) switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default: out += c;
        }
    return out;
}

/// A coordinate or value with a few decimals.
inline std::string num(double v, int decimals = 1) {
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, v);
    return buffer;
}

/// A tick step of 1, 2 or 5 times a power of ten giving about five ticks over [0, top].
inline double tick_step(double top) {
    if (!(top > 0) || !std::isfinite(top)) return 1;
    const double raw = top / 5;
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0})
        if (m * power >= raw) return m * power;
    return 10 * power;
}

inline std::string tick_label(double v, double step) {
    return num(v, step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step))));
}

/// One panel: its place on the page and the scales of its axes.
struct panel {
    double left, top, width, height;  // pixels
    double t_end;                     // seconds at the right edge
    double y_top;                     // value at the top edge
    double y_bottom = 0;              // value at the bottom edge (> 0 on a log scale)
    bool log = false;                 // a logarithmic y axis
    double x(double t) const { return left + width * std::clamp(t / t_end, 0.0, 1.0); }
    double y(double v) const {
        const double f = log ? (std::log10(std::max(v, y_bottom)) - std::log10(y_bottom)) /
                                   (std::log10(y_top) - std::log10(y_bottom))
                             : (v - y_bottom) / (y_top - y_bottom);
        return top + height * (1 - std::clamp(f, 0.0, 1.0));
    }
    // The values of the y ticks: 1, 2, 5 x 10^k on a log scale, else about five steps.
    std::vector<double> y_ticks() const {
        std::vector<double> ticks;
        if (log) {
            for (double power = std::pow(10.0, std::floor(std::log10(y_bottom))); power <= y_top;
                 power *= 10)
                for (double m : {1.0, 2.0, 5.0})
                    if (m * power >= y_bottom && m * power <= y_top) ticks.push_back(m * power);
            return ticks;
        }
        const double step = tick_step(y_top - y_bottom);
        for (double v = y_bottom; v <= y_top * (1 + 1e-9); v += step) ticks.push_back(v);
        return ticks;
    }
};

/// The frame, the y ticks and labels of a panel, and its title.
inline std::string axes(const panel& p, const std::string& title, const std::string& unit,
                        bool time_labels) {
    std::string s;
    s += "<rect x=\"" + num(p.left) + "\" y=\"" + num(p.top) + "\" width=\"" + num(p.width) +
         "\" height=\"" + num(p.height) + "\" fill=\"none\" stroke=\"#444\"/>\n";
    s += "<text x=\"" + num(p.left) + "\" y=\"" + num(p.top - 6) + "\" font-weight=\"bold\">" +
         xml(title) + "</text>\n";
    if (!unit.empty()) {
        const double step = p.log ? 1 : tick_step(p.y_top - p.y_bottom);
        for (double v : p.y_ticks()) {
            s += "<line x1=\"" + num(p.left - 4) + "\" x2=\"" + num(p.left + p.width) + "\" y1=\"" +
                 num(p.y(v)) + "\" y2=\"" + num(p.y(v)) + "\" stroke=\"#ddd\"/>\n";
            s += "<text x=\"" + num(p.left - 6) + "\" y=\"" + num(p.y(v) + 4) +
                 "\" text-anchor=\"end\">" + tick_label(v, step) + "</text>\n";
        }
        s += "<text transform=\"translate(" + num(p.left - 46) + "," + num(p.top + p.height / 2) +
             ") rotate(-90)\" text-anchor=\"middle\">" + xml(unit) + "</text>\n";
    }
    const double step = tick_step(p.t_end);
    for (double t = 0; t <= p.t_end * (1 + 1e-9); t += step) {
        s += "<line x1=\"" + num(p.x(t)) + "\" x2=\"" + num(p.x(t)) + "\" y1=\"" +
             num(p.top + p.height) + "\" y2=\"" + num(p.top + p.height + 4) +
             "\" stroke=\"#444\"/>\n";
        if (time_labels)
            s += "<text x=\"" + num(p.x(t)) + "\" y=\"" + num(p.top + p.height + 16) +
                 "\" text-anchor=\"middle\">" + tick_label(t, step) + "</text>\n";
    }
    return s;
}

inline const char* policy_colour(std::size_t k) {
    static constexpr const char* colours[] = {"#7f7f7f", "#d62728", "#1f77b4", "#2ca02c"};
    return colours[k % 4];
}

inline const char* link_colour(std::size_t k) {
    static constexpr const char* colours[] = {"#1b9e77", "#d95f02", "#7570b3",
                                              "#e7298a", "#66a61e", "#e6ab02"};
    return colours[k % 6];
}

}  // namespace figure

/// The SVG figure of a session run under each policy of `results` (the same trace, environment
/// and device); `title` and `subtitle` head it.
inline std::string session_svg(const std::vector<session_result>& results, const environment& env,
                               node_id device, const std::string& title,
                               const std::string& subtitle) {
    namespace f = figure;
    const double duration = results.empty() ? 1 : std::max(results.front().duration_s, 1e-3);
    const double left = 100, width = 740, page_width = 980;

    // Bandwidth panel: the uplinks of the first result (every policy sees the same trace).
    std::vector<node_id> links;
    double top_bandwidth = 0;
    if (!results.empty())
        for (const link_sample& s : results.front().uplink) {
            if (std::find(links.begin(), links.end(), s.to) == links.end()) links.push_back(s.to);
            top_bandwidth = std::max(top_bandwidth, s.bandwidth_Bps * 8 / 1e6);
        }
    const f::panel bw{left, 80, width, 150, duration, top_bandwidth > 0 ? top_bandwidth * 1.1 : 1};
    const double rows = static_cast<double>(std::max<std::size_t>(results.size(), 1));
    const f::panel changes{left, bw.top + bw.height + 40, width, 22 * rows, duration, 1};
    // Latency on a log scale: a query over a link in a tunnel takes seconds, one on the edge
    // tens of milliseconds.
    double top_latency = 0, low_latency = 0;
    for (const auto& r : results)
        for (const auto& q : r.queries) {
            top_latency = std::max(top_latency, q.latency_s * 1e3);
            low_latency =
                low_latency > 0 ? std::min(low_latency, q.latency_s * 1e3) : q.latency_s * 1e3;
        }
    if (!(low_latency > 0)) low_latency = 1;
    const double decade_below = std::pow(10.0, std::floor(std::log10(low_latency)));
    f::panel lat{left,     changes.top + changes.height + 40,
                 width,    220,
                 duration, std::max(top_latency * 1.3, decade_below * 10)};
    lat.y_bottom = decade_below;
    lat.log = true;
    const double page_height = lat.top + lat.height + 50;

    std::string s =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
        f::num(page_width, 0) + "\" height=\"" + f::num(page_height, 0) + "\" viewBox=\"0 0 " +
        f::num(page_width, 0) + " " + f::num(page_height, 0) +
        "\" font-family=\"sans-serif\" font-size=\"12\">\n";
    s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    s += "<text x=\"" + f::num(left) + "\" y=\"24\" font-size=\"15\" font-weight=\"bold\">" +
         f::xml(title) + "</text>\n";
    s += "<text x=\"" + f::num(left) + "\" y=\"44\">" + f::xml(subtitle) + "</text>\n";

    s += f::axes(bw, "uplink bandwidth", "Mbit/s", false);
    for (std::size_t k = 0; k < links.size(); ++k) {
        std::string path;
        for (const link_sample& sample : results.front().uplink) {
            if (sample.to != links[k]) continue;
            const double y = bw.y(sample.bandwidth_Bps * 8 / 1e6);
            path += path.empty() ? "M" + f::num(bw.x(sample.time_s)) + " " + f::num(y)
                                 : " H" + f::num(bw.x(sample.time_s)) + " V" + f::num(y);
        }
        path += " H" + f::num(bw.x(duration));
        s += "<path d=\"" + path + "\" fill=\"none\" stroke=\"" + f::link_colour(k) +
             "\" stroke-width=\"2\"/>\n";
        s += "<text x=\"" + f::num(left + width + 10) + "\" y=\"" +
             f::num(bw.top + 14 + 16 * static_cast<double>(k)) + "\" fill=\"" + f::link_colour(k) +
             "\">" + f::xml(env[device].name) + " -&gt; " + f::xml(env[links[k]].name) +
             "</text>\n";
    }

    s += f::axes(changes, "plan changes (a mark per new plan; the first is the initial plan)", "",
                 false);
    for (std::size_t k = 0; k < results.size(); ++k) {
        const double y = changes.top + 11 + 22 * static_cast<double>(k);
        s += "<text x=\"" + f::num(left - 6) + "\" y=\"" + f::num(y + 4) +
             "\" text-anchor=\"end\" fill=\"" + f::policy_colour(k) + "\">" +
             f::xml(results[k].policy) + "</text>\n";
        for (const plan_change& c : results[k].plan_changes)
            s += "<path d=\"M" + f::num(changes.x(c.time_s)) + " " + f::num(y - 7) + " v14\" " +
                 "stroke=\"" + f::policy_colour(k) + "\" stroke-width=\"3\"><title>" +
                 f::xml(f::num(c.time_s, 3) + " s: version " + std::to_string(c.version) + ", " +
                        c.candidate + " (" + c.summary + ")") +
                 "</title></path>\n";
    }

    s +=
        f::axes(lat, "query latency (each query from its start to its end; log scale)", "ms", true);
    s += "<text x=\"" + f::num(left + width / 2) + "\" y=\"" + f::num(lat.top + lat.height + 36) +
         "\" text-anchor=\"middle\">time (s)</text>\n";
    for (std::size_t k = 0; k < results.size(); ++k) {
        std::string path;
        for (const session_query& q : results[k].queries) {
            const double y = lat.y(q.latency_s * 1e3);
            path += (path.empty() ? "M" + f::num(lat.x(q.start_s)) + " " + f::num(y)
                                  : " V" + f::num(y)) +
                    " H" + f::num(lat.x(q.end_s));
        }
        if (!path.empty())
            s += "<path d=\"" + path + "\" fill=\"none\" stroke=\"" + f::policy_colour(k) +
                 "\" stroke-width=\"1.5\" opacity=\"0.85\"/>\n";
        s += "<text x=\"" + f::num(left + width + 10) + "\" y=\"" +
             f::num(lat.top + 14 + 16 * static_cast<double>(k)) + "\" fill=\"" +
             f::policy_colour(k) + "\">" + f::xml(results[k].policy) + "</text>\n";
    }
    return s + "</svg>\n";
}

}  // namespace eosdnn::cli
