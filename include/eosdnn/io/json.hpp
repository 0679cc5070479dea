#pragma once
/// \file json.hpp
/// JSON documents for the three inputs and outputs of planning: the environment (nodes and
/// links), the model (a layer_graph) and a migration_plan. Each to_json / *_from_json pair
/// round-trips exactly (nlohmann's serializer writes doubles that read back bit for bit). The
/// schemas are specified in docs/formats.md.
///
/// Reading is strict: unknown keys, wrong types and missing required fields throw eosdnn::error
/// of kind parse; values the environment_builder or layer_graph_builder rejects, unknown names
/// and duplicates throw kind validation. Every message names the JSON path of the offending
/// field (`environment JSON /nodes/2/flops_per_s = -1: ...`) and its value.

#include <eosdnn/cost/environment.hpp>
#include <eosdnn/error.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/graph/layer.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/optim/plan.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <ios>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
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

    [[noreturn]] void fail(error_kind kind, const std::string& path, const std::string& what) const {
        throw error(kind, document_ + " JSON " + (path.empty() ? std::string("(root)") : path) + ": " + what);
    }

    /// Inside a catch handler: rethrows the eosdnn::error being handled (a builder's) with the
    /// path, and the value found there, in front of its message.
    [[noreturn]] void rethrow(const std::string& path, const json* value) const {
        try {
            throw;
        } catch (const error& e) {
            throw error(e.kind(), document_ + " JSON " + (path.empty() ? std::string("(root)") : path) +
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
        if (!value.is_object()) fail(error_kind::parse, path, "expected an object, found " + type_of(value));
        for (const auto& [key, member] : value.items()) {
            bool known = false;
            for (std::string_view k : keys) known = known || k == key;
            if (!known) {
                std::string list;
                for (std::string_view k : keys) list += (list.empty() ? "" : ", ") + std::string(k);
                fail(error_kind::parse, child(path, key), "unknown key '" + key + "' (allowed: " + list + ")");
            }
        }
        return value;
    }

    const json& array(const json& value, const std::string& path) const {
        if (!value.is_array()) fail(error_kind::parse, path, "expected an array, found " + type_of(value));
        return value;
    }

    const json& required(const json& object, std::string_view key, const std::string& path) const {
        const auto it = object.find(key);
        if (it == object.end()) fail(error_kind::parse, path, "missing required key '" + std::string(key) + "'");
        return *it;
    }

    static const json* optional(const json& object, std::string_view key) {
        const auto it = object.find(key);
        return it == object.end() ? nullptr : &*it;
    }

    double number(const json& value, const std::string& path) const {
        if (!value.is_number()) fail(error_kind::parse, path, "expected a number, found " + type_of(value));
        return value.get<double>();
    }

    std::string string(const json& value, const std::string& path) const {
        if (!value.is_string()) fail(error_kind::parse, path, "expected a string, found " + type_of(value));
        return value.get<std::string>();
    }

    bool boolean(const json& value, const std::string& path) const {
        if (!value.is_boolean()) fail(error_kind::parse, path, "expected true or false, found " + type_of(value));
        return value.get<bool>();
    }

    std::size_t unsigned_integer(const json& value, const std::string& path) const {
        if (value.is_number_integer() && !value.is_number_unsigned())
            fail(error_kind::validation, path, show(value) + " is negative (must be >= 0)");
        if (!value.is_number_unsigned())
            fail(error_kind::parse, path, "expected a non-negative integer, found " + type_of(value));
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
            fail(error_kind::parse, path, "expected a number or \"inf\", \"-inf\", \"nan\", found " + type_of(value));
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
    r.fail(error_kind::validation, path, "unknown tier \"" + text + "\" (expected local, edge or cloud)");
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

// ---------------------------------------------------------------------------------------------
// environment

/// The environment as {"nodes": [...], "links": [...]} (docs/formats.md). A pair of nodes linked
/// the same way in both directions is written once with "symmetric": true; other links are
/// written one way each with "symmetric": false.
inline nlohmann::json to_json(const environment& env) {
    using nlohmann::json;
    json nodes = json::array();
    for (const node& n : env.nodes()) {
        json j{{"name", n.name},
               {"tier", std::string(to_string(n.tier))},
               {"flops_per_s", n.flops_per_s},
               {"speed_factor", n.speed_factor}};
        if (n.memory_bytes) j["memory_bytes"] = *n.memory_bytes;
        if (n.power)
            j["power"] = {{"compute_w", n.power->compute_w},
                          {"transmit_w", n.power->transmit_w},
                          {"idle_w", n.power->idle_w}};
        nodes.push_back(std::move(j));
    }
    json links = json::array();
    const auto entry = [&](node_id from, node_id to, const network_link& l, bool symmetric) {
        links.push_back({{"from", env[from].name},
                         {"to", env[to].name},
                         {"bandwidth_Bps", l.bandwidth_Bps},
                         {"latency_s", l.latency_s},
                         {"symmetric", symmetric}});
    };
    for (std::size_t a = 0; a < env.size(); ++a)
        for (std::size_t b = a + 1; b < env.size(); ++b) {
            const auto from = static_cast<node_id>(a), to = static_cast<node_id>(b);
            const auto& there = env.link_between(from, to);
            const auto& back = env.link_between(to, from);
            if (there && back && there->bandwidth_Bps == back->bandwidth_Bps &&
                there->latency_s == back->latency_s) {
                entry(from, to, *there, true);
                continue;
            }
            if (there) entry(from, to, *there, false);
            if (back) entry(to, from, *back, false);
        }
    return {{"nodes", std::move(nodes)}, {"links", std::move(links)}};
}

/// Reads an environment written by to_json(const environment&) or by hand (docs/formats.md).
/// Nodes get their indices in array order, so the first node must be the local device. A link
/// gives either "bandwidth_Bps" (bytes/s) or "bandwidth_mbps" (Mbit/s, 10^6 bits); a direction
/// may be given only once.
inline environment environment_from_json(const nlohmann::json& j) {
    using nlohmann::json;
    namespace d = detail::json_io;
    const d::reader r("environment");
    const json& root = r.object(j, "", {"nodes", "links"});
    const json& nodes = r.array(r.required(root, "nodes", ""), "/nodes");

    environment_builder b;
    std::map<std::string, node_id, std::less<>> ids;
    tier first_tier = tier::local;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const std::string path = d::child("/nodes", i);
        const json& o = r.object(nodes[i], path,
                                 {"name", "tier", "flops_per_s", "speed_factor", "memory_bytes", "power"});
        node n;
        n.name = r.string(r.required(o, "name", path), d::child(path, "name"));
        n.tier = d::tier_from(r, r.required(o, "tier", path), d::child(path, "tier"));
        n.flops_per_s = r.number(r.required(o, "flops_per_s", path), d::child(path, "flops_per_s"));
        if (const json* v = r.optional(o, "speed_factor")) n.speed_factor = r.number(*v, d::child(path, "speed_factor"));
        if (const json* v = r.optional(o, "memory_bytes")) n.memory_bytes = r.number(*v, d::child(path, "memory_bytes"));
        if (const json* v = r.optional(o, "power")) {
            const std::string power_path = d::child(path, "power");
            const json& p = r.object(*v, power_path, {"compute_w", "transmit_w", "idle_w"});
            power_profile power;
            power.compute_w = r.number(r.required(p, "compute_w", power_path), d::child(power_path, "compute_w"));
            power.transmit_w = r.number(r.required(p, "transmit_w", power_path), d::child(power_path, "transmit_w"));
            power.idle_w = r.number(r.required(p, "idle_w", power_path), d::child(power_path, "idle_w"));
            n.power = power;
        }

        if (i == 0) first_tier = n.tier;
        try {
            ids.emplace(n.name, b.add_node(n));
        } catch (const error&) {
            // Find the field the builder objects to by offering it each field on its own.
            const node valid{.name = "n", .tier = tier::local, .flops_per_s = 1, .speed_factor = 1};
            const auto alone = [&](auto&& set) {
                node probe = valid;
                set(probe);
                return d::rejects([&] { environment_builder().add_node(probe); });
            };
            std::string field;
            if (n.name.empty() || ids.contains(n.name)) field = "name";
            else if (alone([&](node& p) { p.flops_per_s = n.flops_per_s; })) field = "flops_per_s";
            else if (alone([&](node& p) { p.speed_factor = n.speed_factor; })) field = "speed_factor";
            else if (alone([&](node& p) { p.memory_bytes = n.memory_bytes; })) field = "memory_bytes";
            else if (n.power && alone([&](node& p) { p.power = power_profile{.compute_w = n.power->compute_w}; }))
                field = "power/compute_w";
            else if (n.power && alone([&](node& p) { p.power = power_profile{.transmit_w = n.power->transmit_w}; }))
                field = "power/transmit_w";
            else if (n.power && alone([&](node& p) { p.power = power_profile{.idle_w = n.power->idle_w}; }))
                field = "power/idle_w";
            if (field.empty()) r.rethrow(path, nullptr);
            r.rethrow(d::child(path, field), &o.at(json::json_pointer("/" + field)));
        }
    }

    std::map<std::pair<node_id, node_id>, std::string> given;  // direction -> path that set it
    const json empty = json::array();
    const json* links_value = r.optional(root, "links");
    const json& links = r.array(links_value ? *links_value : empty, "/links");
    for (std::size_t k = 0; k < links.size(); ++k) {
        const std::string path = d::child("/links", k);
        const json& o = r.object(links[k], path,
                                 {"from", "to", "bandwidth_Bps", "bandwidth_mbps", "latency_s", "symmetric"});
        const auto node_of = [&](std::string_view key) {
            const std::string key_path = d::child(path, key);
            const std::string name = r.string(r.required(o, key, path), key_path);
            const auto it = ids.find(name);
            if (it == ids.end()) r.fail(error_kind::validation, key_path, "unknown node '" + name + "'");
            return it->second;
        };
        const node_id from = node_of("from"), to = node_of("to");

        const json* bps = r.optional(o, "bandwidth_Bps");
        const json* megabits = r.optional(o, "bandwidth_mbps");
        if ((bps == nullptr) == (megabits == nullptr))
            r.fail(error_kind::parse, path, "give exactly one of 'bandwidth_Bps' and 'bandwidth_mbps'");
        const std::string bandwidth_path = d::child(path, bps ? "bandwidth_Bps" : "bandwidth_mbps");
        network_link l;
        l.bandwidth_Bps = bps ? r.number(*bps, bandwidth_path) : mbps(r.number(*megabits, bandwidth_path));
        if (const json* v = r.optional(o, "latency_s")) l.latency_s = r.number(*v, d::child(path, "latency_s"));
        bool symmetric = true;
        if (const json* v = r.optional(o, "symmetric")) symmetric = r.boolean(*v, d::child(path, "symmetric"));

        try {
            if (symmetric) b.connect(from, to, l);
            else b.connect_one_way(from, to, l);
        } catch (const error&) {
            // Which field the builder rejects: the same link alone between two fresh nodes.
            const auto alone = [&](network_link probe) {
                environment_builder t;
                t.add_node({.name = "a", .tier = tier::local, .flops_per_s = 1});
                t.add_node({.name = "b", .tier = tier::edge, .flops_per_s = 1});
                return d::rejects([&] { t.connect_one_way(0, 1, probe); });
            };
            if (from == to) r.rethrow(d::child(path, "to"), &o.at("to"));
            if (alone({.bandwidth_Bps = l.bandwidth_Bps})) r.rethrow(bandwidth_path, bps ? bps : megabits);
            if (alone({.bandwidth_Bps = 1, .latency_s = l.latency_s}))
                r.rethrow(d::child(path, "latency_s"), &o.at("latency_s"));
            r.rethrow(path, nullptr);
        }

        std::vector<std::pair<node_id, node_id>> directions{{from, to}};
        if (symmetric) directions.emplace_back(to, from);
        for (const auto& direction : directions) {
            const auto [it, inserted] = given.emplace(direction, path);
            if (!inserted)
                r.fail(error_kind::validation, path,
                       "the link '" + nodes[direction.first]["name"].get<std::string>() + "' -> '" +
                           nodes[direction.second]["name"].get<std::string>() + "' is already given by " +
                           it->second);
        }
    }

    // The builder's whole-environment rules: some node, a local node 0, every pair linked.
    const std::string path = nodes.empty()                ? "/nodes"
                             : first_tier != tier::local ? "/nodes/0/tier"
                                                         : "/links";
    return r.wrap(path, nullptr, [&] { return b.build(); });
}

// ---------------------------------------------------------------------------------------------
// model

/// The model as {"name", "input_bytes", "layers": [...]} (docs/formats.md). Layers are written
/// in index order, each with the names of its predecessors under "inputs"; the optional fields
/// (output_shape, device_time_s, server_time_s, load_time_s) are omitted when unset.
inline nlohmann::json to_json(const layer_graph& g) {
    using nlohmann::json;
    json layers = json::array();
    for (layer_id id = 0; id < g.size(); ++id) {
        const layer& l = g[id];
        json inputs = json::array();
        for (layer_id p : g.predecessors(id)) inputs.push_back(g[p].name);
        json j{{"name", l.name},
               {"kind", l.kind},
               {"macs", l.macs},
               {"flops", l.flops},
               {"param_bytes", l.param_bytes},
               {"output_bytes", l.output_bytes},
               {"inputs", std::move(inputs)}};
        if (!l.output_shape.empty()) j["output_shape"] = l.output_shape;
        if (l.device_time_s) j["device_time_s"] = *l.device_time_s;
        if (l.server_time_s) j["server_time_s"] = *l.server_time_s;
        if (l.load_time_s) j["load_time_s"] = *l.load_time_s;
        layers.push_back(std::move(j));
    }
    return {{"name", g.name()}, {"input_bytes", g.input_bytes()}, {"layers", std::move(layers)}};
}

/// Reads a model written by to_json(const layer_graph&) or by hand (docs/formats.md). Layers get
/// their indices in array order; "inputs" may name layers anywhere in the array. Only a layer's
/// "name" is required; numbers default to 0, "kind" to "", and "input_bytes" to the output bytes
/// of the input layer if that layer's kind is "input" (the layer_graph_builder rule).
inline layer_graph model_from_json(const nlohmann::json& j) {
    using nlohmann::json;
    namespace d = detail::json_io;
    const d::reader r("model");
    const json& root = r.object(j, "", {"name", "input_bytes", "layers"});
    std::string name;
    if (const json* v = r.optional(root, "name")) name = r.string(*v, "/name");
    layer_graph_builder b(name);
    if (const json* v = r.optional(root, "input_bytes")) {
        const double bytes = r.number(*v, "/input_bytes");
        r.wrap("/input_bytes", v, [&] { b.set_input_bytes(bytes); });
    }
    const json& layers = r.array(r.required(root, "layers", ""), "/layers");

    for (std::size_t i = 0; i < layers.size(); ++i) {
        const std::string path = d::child("/layers", i);
        const json& o = r.object(layers[i], path,
                                 {"name", "kind", "macs", "flops", "param_bytes", "output_bytes",
                                  "output_shape", "device_time_s", "server_time_s", "load_time_s", "inputs"});
        layer l;
        l.name = r.string(r.required(o, "name", path), d::child(path, "name"));
        if (const json* v = r.optional(o, "kind")) l.kind = r.string(*v, d::child(path, "kind"));
        using number_field = double layer::*;
        using time_field = std::optional<double> layer::*;
        static constexpr std::pair<const char*, number_field> numbers[] = {
            {"macs", &layer::macs}, {"flops", &layer::flops},
            {"param_bytes", &layer::param_bytes}, {"output_bytes", &layer::output_bytes}};
        static constexpr std::pair<const char*, time_field> times[] = {
            {"device_time_s", &layer::device_time_s}, {"server_time_s", &layer::server_time_s},
            {"load_time_s", &layer::load_time_s}};
        for (const auto& [key, field] : numbers)
            if (const json* v = r.optional(o, key)) l.*field = r.number(*v, d::child(path, key));
        for (const auto& [key, field] : times)
            if (const json* v = r.optional(o, key)) l.*field = r.number(*v, d::child(path, key));
        if (const json* v = r.optional(o, "output_shape")) {
            const std::string shape_path = d::child(path, "output_shape");
            for (std::size_t k = 0; const json& dim : r.array(*v, shape_path))
                l.output_shape.push_back(r.unsigned_integer(dim, d::child(shape_path, k++)));
        }

        try {
            b.add_layer(l);
        } catch (const error&) {
            // Which field the layer_graph_builder rejects: each field alone on a fresh builder.
            const auto alone = [&](auto&& set) {
                layer probe{.name = "probe"};
                set(probe);
                return d::rejects([&] { layer_graph_builder().add_layer(probe); });
            };
            if (l.name.empty() || b.find(l.name)) r.rethrow(d::child(path, "name"), &o.at("name"));
            for (const auto& [key, field] : numbers)
                if (alone([&, f = field](layer& p) { p.*f = l.*f; })) r.rethrow(d::child(path, key), &o.at(key));
            for (const auto& [key, field] : times)
                if (alone([&, f = field](layer& p) { p.*f = l.*f; })) r.rethrow(d::child(path, key), &o.at(key));
            r.rethrow(path, nullptr);
        }
    }

    for (std::size_t i = 0; i < layers.size(); ++i) {
        const std::string path = d::child(d::child("/layers", i), "inputs");
        const json* inputs = r.optional(layers[i], "inputs");
        if (!inputs) continue;
        for (std::size_t k = 0; const json& input : r.array(*inputs, path)) {
            const std::string input_path = d::child(path, k++);
            const std::string from = r.string(input, input_path);
            const auto id = b.find(from);
            if (!id) r.fail(error_kind::validation, input_path, "unknown layer '" + from + "'");
            r.wrap(input_path, &input, [&] { b.add_edge(*id, i); });
        }
    }
    return r.wrap("/layers", nullptr, [&] { return b.build(); });
}

// ---------------------------------------------------------------------------------------------
// plan

/// The plan as {"model", "algorithm", "placement": [{"layer", "node"}], "evaluation": {...}}
/// (docs/formats.md), by name: `g` and `env` are the model and environment it was planned for.
/// Non-finite evaluation values (an unreachable node gives an infinite delay) are written as
/// the strings "inf", "-inf", "nan". Throws eosdnn::error of kind validation if the placement
/// does not have one valid node per layer.
inline nlohmann::json to_json(const migration_plan& plan, const layer_graph& g, const environment& env) {
    using nlohmann::json;
    namespace d = detail::json_io;
    if (plan.placement.size() != g.size())
        throw error(error_kind::validation, "plan: the placement has " + std::to_string(plan.placement.size()) +
                                                " genes but model '" + g.name() + "' has " +
                                                std::to_string(g.size()) + " layers");
    json placement = json::array();
    for (layer_id id = 0; id < g.size(); ++id) {
        if (plan.placement[id] >= env.size())
            throw error(error_kind::validation, "plan: layer '" + g[id].name + "' is placed on node " +
                                                    std::to_string(plan.placement[id]) + " but the environment has " +
                                                    std::to_string(env.size()) + " nodes");
        placement.push_back({{"layer", g[id].name}, {"node", env[plan.placement[id]].name}});
    }
    const evaluation& v = plan.value;
    return {{"model", plan.model},
            {"algorithm", plan.algorithm},
            {"placement", std::move(placement)},
            {"evaluation",
             {{"delay_s", d::extended_number(v.delay_s)},
              {"upload_s", d::extended_number(v.upload_s)},
              {"energy_j", d::extended_number(v.energy_j)},
              {"objective", d::extended_number(v.objective)},
              {"violation", d::extended_number(v.violation)}}}};
}

/// Reads a plan for the model `g` on the environment `env`, resolving layer and node names.
/// "placement" must name every layer of `g` exactly once; "model" defaults to g.name() and, when
/// both are non-empty, must equal it (a plan for another model is a mistake, even if the layer
/// names happen to match); "algorithm" defaults to ""; each "evaluation" field defaults to 0.
inline migration_plan plan_from_json(const nlohmann::json& j, const layer_graph& g, const environment& env) {
    using nlohmann::json;
    namespace d = detail::json_io;
    const d::reader r("plan");
    const json& root = r.object(j, "", {"model", "algorithm", "placement", "evaluation"});
    migration_plan plan;
    plan.model = g.name();
    if (const json* v = r.optional(root, "model")) {
        plan.model = r.string(*v, "/model");
        if (!plan.model.empty() && !g.name().empty() && plan.model != g.name())
            r.fail(error_kind::validation, "/model",
                   "the plan is for model '" + plan.model + "', not for '" + g.name() + "'");
    }
    if (const json* v = r.optional(root, "algorithm")) plan.algorithm = r.string(*v, "/algorithm");

    const json& placement = r.array(r.required(root, "placement", ""), "/placement");
    std::vector<std::optional<node_id>> nodes(g.size());
    std::vector<std::string> placed_at(g.size());
    for (std::size_t k = 0; k < placement.size(); ++k) {
        const std::string path = d::child("/placement", k);
        const json& o = r.object(placement[k], path, {"layer", "node"});
        const std::string layer_path = d::child(path, "layer"), node_path = d::child(path, "node");
        const std::string layer_name = r.string(r.required(o, "layer", path), layer_path);
        const std::string node_name = r.string(r.required(o, "node", path), node_path);
        const auto id = g.find(layer_name);
        if (!id) r.fail(error_kind::validation, layer_path, "model '" + g.name() + "' has no layer '" + layer_name + "'");
        if (!placed_at[*id].empty())
            r.fail(error_kind::validation, layer_path,
                   "layer '" + layer_name + "' is placed twice (also at " + placed_at[*id] + ")");
        const auto where = env.find(node_name);
        if (!where) r.fail(error_kind::validation, node_path, "the environment has no node '" + node_name + "'");
        nodes[*id] = *where;
        placed_at[*id] = path;
    }
    std::string missing;
    std::size_t missing_count = 0;
    for (layer_id id = 0; id < g.size(); ++id)
        if (!nodes[id]) {
            if (missing_count++ < 5) missing += (missing.empty() ? "'" : ", '") + g[id].name + "'";
            else if (missing_count == 6) missing += ", ...";
        }
    if (missing_count)
        r.fail(error_kind::validation, "/placement",
               std::to_string(missing_count) + " of " + std::to_string(g.size()) +
                   " layers have no node: " + missing);
    plan.placement.reserve(g.size());
    for (const auto& n : nodes) plan.placement.push_back(*n);

    if (const json* v = r.optional(root, "evaluation")) {
        const json& o = r.object(*v, "/evaluation", {"delay_s", "upload_s", "energy_j", "objective", "violation"});
        static constexpr std::pair<const char*, double evaluation::*> fields[] = {
            {"delay_s", &evaluation::delay_s}, {"upload_s", &evaluation::upload_s},
            {"energy_j", &evaluation::energy_j}, {"objective", &evaluation::objective},
            {"violation", &evaluation::violation}};
        for (const auto& [key, field] : fields)
            if (const json* value = r.optional(o, key))
                plan.value.*field = r.extended_number(*value, d::child("/evaluation", key));
    }
    return plan;
}

// ---------------------------------------------------------------------------------------------
// files

namespace detail::json_io {

/// Parses the JSON `text` read from `source` (a file name, for messages). Throws eosdnn::error of
/// kind parse: with `source:line:column` if it is not valid JSON, with `source:` and the JSON path
/// if an object gives a key twice (nlohmann would keep the last silently, and a strict reader
/// should not drop what the user wrote any more than it ignores an unknown key), and with
/// `source:` only for a number too large for a double, whose position the parser does not report.
inline json parse_text(const std::string& text, const std::string& source) {
    // Where the parser is, to name the object that repeats a key: one frame per open object or
    // array, holding its keys so far, or the index of the element being read.
    struct frame {
        bool array = false;
        std::size_t index = 0;
        std::string key{};
        std::set<std::string, std::less<>> keys{};  // a set: an object may have 10^5 keys
    };
    std::vector<frame> open;
    const auto element_done = [&] {
        if (!open.empty() && open.back().array) ++open.back().index;
    };
    const json::parser_callback_t track = [&](int, json::parse_event_t event, json& parsed) {
        switch (event) {
        case json::parse_event_t::object_start: open.push_back({}); break;
        case json::parse_event_t::array_start: open.push_back({.array = true}); break;
        case json::parse_event_t::object_end:
        case json::parse_event_t::array_end:
            open.pop_back();
            element_done();
            break;
        case json::parse_event_t::value: element_done(); break;
        case json::parse_event_t::key: {
            frame& object = open.back();
            object.key = parsed.get<std::string>();
            if (!object.keys.insert(object.key).second) {
                std::string path;
                for (std::size_t i = 0; i + 1 < open.size(); ++i)
                    path = open[i].array ? child(path, open[i].index) : child(path, open[i].key);
                throw error(error_kind::parse, source + ": invalid JSON: " +
                                                   (path.empty() ? "(root)" : path) + ": the key '" +
                                                   object.key + "' appears twice");
            }
            break;
        }
        }
        return true;
    };
    try {
        return json::parse(text, track);
    } catch (const json::out_of_range& e) {
        // A number too large for a double ("1e400"): nlohmann gives no position, but names it.
        throw error(error_kind::parse, source + ": invalid JSON: " + e.what());
    } catch (const json::parse_error& e) {
        // e.byte counts from 1 and points at the character that failed (or one past the end).
        const std::size_t at = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
        std::size_t line = 1, column = 1;
        for (std::size_t i = 0; i < at; ++i) {
            if (text[i] == '\n') ++line, column = 1;
            else ++column;
        }
        throw error(error_kind::parse, source + ":" + std::to_string(line) + ":" +
                                           std::to_string(column) + ": invalid JSON: " + e.what());
    }
}

}  // namespace detail::json_io

/// Reads and parses a JSON file. Throws eosdnn::error of kind io if it cannot be opened or read
/// (a directory, say), of kind parse with `file:line:column` if it is not valid JSON, or with
/// `file:` and the path of the object if an object gives a key twice (`file:` only for a number
/// too large for a double, whose position the parser does not report).
inline nlohmann::json read_json_file(const std::filesystem::path& file) {
    // A directory opens as a stream on Linux and fails only when read, with a std::ios_base
    // failure rather than an eosdnn::error: say what it is instead.
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec))
        throw error(error_kind::io, "cannot read JSON file '" + file.string() + "': it is a directory");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw error(error_kind::io, "cannot open JSON file '" + file.string() + "'");
    // Read the whole text first: nlohmann reports a byte offset, which becomes line and column.
    std::string text;
    try {
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } catch (const std::ios_base::failure& e) {
        throw error(error_kind::io, "cannot read JSON file '" + file.string() + "': " + e.what());
    }
    if (in.bad()) throw error(error_kind::io, "cannot read JSON file '" + file.string() + "'");
    return detail::json_io::parse_text(text, file.string());
}

/// Writes `j` (indented by 2, with a final newline) to `file` atomically: into a temporary file
/// in the same directory, then renamed over `file`, so a crash or a full disk never leaves a
/// half-written document where a good one was. Throws eosdnn::error of kind io if the file
/// cannot be written, of kind validation if `j` cannot be serialised (a string that is not
/// UTF-8).
inline void write_json_file(const std::filesystem::path& file, const nlohmann::json& j) {
    std::string text;
    try {
        text = j.dump(2) + "\n";
    } catch (const nlohmann::json::exception& e) {
        throw error(error_kind::validation, "cannot write '" + file.string() + "' as JSON: " + e.what());
    }
    // Same directory, so the rename stays on one file system and is atomic; a random suffix, so
    // two writers of the same file do not share a temporary.
    std::random_device random;
    std::filesystem::path temporary = file;
    temporary += ".tmp-" + std::to_string(random()) + std::to_string(random());
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) throw error(error_kind::io, "cannot create '" + temporary.string() + "' to write '" + file.string() + "'");
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        out.close();
        if (!out) {
            std::error_code ignored;
            std::filesystem::remove(temporary, ignored);
            throw error(error_kind::io, "cannot write '" + temporary.string() + "'");
        }
    }
    std::error_code ec;
    std::filesystem::rename(temporary, file, ec);
    if (ec) {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        throw error(error_kind::io, "cannot replace '" + file.string() + "': " + ec.message());
    }
}

}  // namespace eosdnn
