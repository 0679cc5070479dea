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

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/core/plan.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/graph/layer.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/io/atomic_file.hpp>
#include <eosdnn/io/detail/input_file.hpp>
#include <eosdnn/io/detail/json_reader.hpp>
#include <eosdnn/io/detail/json_text.hpp>
#include <eosdnn/io/limits.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <functional>
#include <ios>
#include <iterator>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace eosdnn {

// ---------------------------------------------------------------------------------------------
// environment

/// The environment as {"nodes": [...], "links": [...]}, with "request_overhead_s" when it is not 0
/// (docs/formats.md). A pair of nodes linked
/// the same way in both directions is written once with "symmetric": true; other links are
/// written one way each with "symmetric": false. Throws eosdnn::error (validation) naming the
/// node if a node name is not UTF-8 text.
inline nlohmann::json to_json(const environment& env) {
    using nlohmann::json;
    namespace d = detail::json_io;
    for (node_id id = 0; id < env.size(); ++id)
        d::require_utf8(
            env[id].name, "environment", [&] { return d::escaped_node_label(env, id); }, "name");
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
    // Only linked pairs, in the order of a scan of every pair a < b: O(links), not O(nodes^2).
    for (std::size_t a = 0; a < env.size(); ++a)
        for (const node_id to : env.neighbours(static_cast<node_id>(a))) {
            if (to <= a) continue;
            const auto from = static_cast<node_id>(a);
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
    json out{{"nodes", std::move(nodes)}, {"links", std::move(links)}};
    if (env.request_overhead_s() != 0) out["request_overhead_s"] = env.request_overhead_s();
    return out;
}

/// Reads an environment written by to_json(const environment&) or by hand (docs/formats.md).
/// Nodes get their indices in array order, so the first node must be the local device. A link
/// gives either "bandwidth_Bps" (bytes/s) or "bandwidth_mbps" (Mbit/s, 10^6 bits); a direction
/// may be given only once.
inline environment environment_from_json(const nlohmann::json& j) {
    using nlohmann::json;
    namespace d = detail::json_io;
    const d::reader r("environment");
    const json& root = r.object(j, "", {"nodes", "links", "request_overhead_s"});
    const json& nodes = r.array(r.required(root, "nodes", ""), "/nodes");
    r.at_most(nodes, limits::max_nodes, "/nodes", "nodes");

    environment_builder b;
    if (const json* v = r.optional(root, "request_overhead_s")) {
        const double seconds = r.number(*v, "/request_overhead_s");
        r.wrap("/request_overhead_s", v, [&] {
            b.set_request_overhead_s(seconds);
            return 0;
        });
    }
    std::map<std::string, node_id, std::less<>> ids;
    tier first_tier = tier::local;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const std::string path = d::child("/nodes", i);
        const json& o =
            r.object(nodes[i], path,
                     {"name", "tier", "flops_per_s", "speed_factor", "memory_bytes", "power"});
        node n;
        n.name = r.string(r.required(o, "name", path), d::child(path, "name"));
        if (const std::string why = detail::name_problem(n.name); !why.empty())
            r.fail(error_kind::validation, d::child(path, "name"),
                   "the node name '" + detail::printable(n.name) + "' has " + why);
        n.tier = d::tier_from(r, r.required(o, "tier", path), d::child(path, "tier"));
        n.flops_per_s = r.number(r.required(o, "flops_per_s", path), d::child(path, "flops_per_s"));
        if (const json* v = r.optional(o, "speed_factor"))
            n.speed_factor = r.number(*v, d::child(path, "speed_factor"));
        if (const json* v = r.optional(o, "memory_bytes"))
            n.memory_bytes = r.number(*v, d::child(path, "memory_bytes"));
        if (const json* v = r.optional(o, "power")) {
            const std::string power_path = d::child(path, "power");
            const json& p = r.object(*v, power_path, {"compute_w", "transmit_w", "idle_w"});
            power_profile power;
            power.compute_w =
                r.number(r.required(p, "compute_w", power_path), d::child(power_path, "compute_w"));
            power.transmit_w = r.number(r.required(p, "transmit_w", power_path),
                                        d::child(power_path, "transmit_w"));
            power.idle_w =
                r.number(r.required(p, "idle_w", power_path), d::child(power_path, "idle_w"));
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
            if (n.name.empty() || ids.contains(n.name))
                field = "name";
            else if (alone([&](node& p) { p.flops_per_s = n.flops_per_s; }))
                field = "flops_per_s";
            else if (alone([&](node& p) { p.speed_factor = n.speed_factor; }))
                field = "speed_factor";
            else if (alone([&](node& p) { p.memory_bytes = n.memory_bytes; }))
                field = "memory_bytes";
            else if (n.power && alone([&](node& p) {
                         p.power = power_profile{.compute_w = n.power->compute_w};
                     }))
                field = "power/compute_w";
            else if (n.power && alone([&](node& p) {
                         p.power = power_profile{.transmit_w = n.power->transmit_w};
                     }))
                field = "power/transmit_w";
            else if (n.power &&
                     alone([&](node& p) { p.power = power_profile{.idle_w = n.power->idle_w}; }))
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
        const json& o =
            r.object(links[k], path,
                     {"from", "to", "bandwidth_Bps", "bandwidth_mbps", "latency_s", "symmetric"});
        const auto node_of = [&](std::string_view key) {
            const std::string key_path = d::child(path, key);
            const std::string name = r.string(r.required(o, key, path), key_path);
            const auto it = ids.find(name);
            if (it == ids.end())
                r.fail(error_kind::validation, key_path, "unknown node '" + name + "'");
            return it->second;
        };
        const node_id from = node_of("from"), to = node_of("to");

        const json* bps = r.optional(o, "bandwidth_Bps");
        const json* megabits = r.optional(o, "bandwidth_mbps");
        if ((bps == nullptr) == (megabits == nullptr))
            r.fail(error_kind::parse, path,
                   "give exactly one of 'bandwidth_Bps' and 'bandwidth_mbps'");
        const std::string bandwidth_path = d::child(path, bps ? "bandwidth_Bps" : "bandwidth_mbps");
        network_link l;
        l.bandwidth_Bps =
            bps ? r.number(*bps, bandwidth_path) : mbps(r.number(*megabits, bandwidth_path));
        if (const json* v = r.optional(o, "latency_s"))
            l.latency_s = r.number(*v, d::child(path, "latency_s"));
        bool symmetric = true;
        if (const json* v = r.optional(o, "symmetric"))
            symmetric = r.boolean(*v, d::child(path, "symmetric"));

        try {
            if (symmetric)
                b.connect(from, to, l);
            else
                b.connect_one_way(from, to, l);
        } catch (const error&) {
            // Which field the builder rejects: the same link alone between two fresh nodes.
            const auto alone = [&](network_link probe) {
                environment_builder t;
                t.add_node({.name = "a", .tier = tier::local, .flops_per_s = 1});
                t.add_node({.name = "b", .tier = tier::edge, .flops_per_s = 1});
                return d::rejects([&] { t.connect_one_way(0, 1, probe); });
            };
            if (from == to) r.rethrow(d::child(path, "to"), &o.at("to"));
            if (alone({.bandwidth_Bps = l.bandwidth_Bps}))
                r.rethrow(bandwidth_path, bps ? bps : megabits);
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
                           nodes[direction.second]["name"].get<std::string>() +
                           "' is already given by " + it->second);
        }
    }

    // The builder's whole-environment rules: some node, a local node 0, every pair linked.
    const std::string path = nodes.empty()               ? "/nodes"
                             : first_tier != tier::local ? "/nodes/0/tier"
                                                         : "/links";
    return r.wrap(path, nullptr, [&] { return b.build(); });
}

// ---------------------------------------------------------------------------------------------
// model

/// The model as {"name", "input_bytes", "layers": [...]} (docs/formats.md). Layers are written
/// in index order, each with the names of its predecessors under "inputs"; the optional fields
/// (output_shape, device_time_s, server_time_s, load_time_s) are omitted when unset.
///
/// Throws eosdnn::error (validation) if `g` has no layers (a moved-from graph, which would make
/// a document model_from_json refuses) or if the model name or a layer's name or kind is not
/// UTF-8 text, naming the layer by index and the field.
inline nlohmann::json to_json(const layer_graph& g) {
    using nlohmann::json;
    namespace d = detail::json_io;
    if (g.size() == 0)
        throw error(error_kind::validation,
                    d::model_label(g) +
                        ": cannot write it as JSON: it has no layers (a moved-from layer_graph?)");
    d::require_utf8(
        g.name(), d::model_label(g), [] { return std::string(); }, "name");
    for (layer_id id = 0; id < g.size(); ++id) {
        const auto where = [&] { return d::escaped_layer_label(g, id); };
        d::require_utf8(g[id].name, d::model_label(g), where, "name");
        d::require_utf8(g[id].kind, d::model_label(g), where, "kind");
    }
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
    r.at_most(layers, limits::max_layers, "/layers", "layers");

    for (std::size_t i = 0; i < layers.size(); ++i) {
        const std::string path = d::child("/layers", i);
        const json& o =
            r.object(layers[i], path,
                     {"name", "kind", "macs", "flops", "param_bytes", "output_bytes",
                      "output_shape", "device_time_s", "server_time_s", "load_time_s", "inputs"});
        layer l;
        l.name = r.string(r.required(o, "name", path), d::child(path, "name"));
        if (const json* v = r.optional(o, "kind")) l.kind = r.string(*v, d::child(path, "kind"));
        const auto& numbers = detail::layer_number_fields;
        const auto& times = detail::layer_time_fields;
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
            if (l.name.empty() || b.find(l.name) || !detail::name_problem(l.name).empty())
                r.rethrow(d::child(path, "name"), &o.at("name"));
            if (!detail::name_problem(l.kind, false).empty())
                r.rethrow(d::child(path, "kind"), &o.at("kind"));
            for (const auto& [key, field] : numbers)
                if (alone([&, f = field](layer& p) { p.*f = l.*f; }))
                    r.rethrow(d::child(path, key), &o.at(key));
            for (const auto& [key, field] : times)
                if (alone([&, f = field](layer& p) { p.*f = l.*f; }))
                    r.rethrow(d::child(path, key), &o.at(key));
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
    // Without "input_bytes" the builder takes the output bytes of an input layer of kind
    // "input"; when that is what fails, say what to write in the file, not which C++ call.
    try {
        return b.build();
    } catch (const error&) {
        if (!r.optional(root, "input_bytes") && !d::rejects([&] {
                layer_graph_builder probe = b;
                probe.set_input_bytes(0);
                (void)probe.build();
            }))
            r.fail(error_kind::validation, "/input_bytes",
                   "missing: the model's input layer is not of kind \"input\", so give the "
                   "bytes of the model input as \"input_bytes\" at the root, or give that layer "
                   "\"kind\": \"input\" and its \"output_bytes\"");
        r.rethrow("/layers", nullptr);
    }
}

// ---------------------------------------------------------------------------------------------
// plan

/// The keys that a plan object of a plan document (io/plan_document.hpp, docs/formats.md) has
/// besides the four of a plan; plan_from_json accepts and ignores them.
inline constexpr std::string_view plan_document_keys[] = {
    "format",        "version",        "model_spec",         "model_source", "model_summary",
    "device",        "environment",    "environment_source", "objective",    "migration_delay_s",
    "lower_bound_s", "proven_optimal", "violation",          "seed",         "particles",
    "evaluations",   "iterations",     "iterations_planned", "stall",        "start",
    "plan_seconds",  "time_limit_s",   "exact_solver",       "convergence",  "references",
    "upload",        "completion_s",   "stopped_by",         "interrupted"};

/// The plan as {"model", "algorithm", "placement": [{"layer", "node"}], "evaluation": {...}}
/// (docs/formats.md), by name: `g` and `env` are the model and environment it was planned for.
/// Throws eosdnn::error of kind validation if an evaluation value is negative or not finite
/// (plan_from_json would refuse it), if the placement does not have one valid node per layer,
/// or if the plan's model or algorithm, or the name of a layer or of a node it is placed on, is
/// not UTF-8 text.
inline nlohmann::json to_json(const migration_plan& plan, const layer_graph& g,
                              const environment& env) {
    using nlohmann::json;
    namespace d = detail::json_io;
    const auto none = [] { return std::string(); };
    d::require_utf8(plan.model, "plan", none, "model");
    d::require_utf8(plan.algorithm, "plan", none, "algorithm");
    if (plan.placement.size() != g.size())
        throw error(error_kind::validation, "plan: the placement has " +
                                                std::to_string(plan.placement.size()) +
                                                " genes but model '" + g.name() + "' has " +
                                                std::to_string(g.size()) + " layers");
    json placement = json::array();
    for (layer_id id = 0; id < g.size(); ++id) {
        if (plan.placement[id] >= env.size())
            throw error(error_kind::validation,
                        "plan: layer '" + g[id].name + "' is placed on node " +
                            std::to_string(plan.placement[id]) + " but the environment has " +
                            std::to_string(env.size()) + " nodes");
        d::require_utf8(
            g[id].name, "plan", [&] { return d::escaped_layer_label(g, id); }, "name");
        d::require_utf8(
            env[plan.placement[id]].name, "plan",
            [&] { return d::escaped_node_label(env, plan.placement[id]); }, "name");
        placement.push_back({{"layer", g[id].name}, {"node", env[plan.placement[id]].name}});
    }
    const evaluation& v = plan.value;
    d::require_measures(v);
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
/// names happen to match); "algorithm" defaults to ""; each "evaluation" field defaults to 0 and
/// must be finite and >= 0 (kind validation otherwise, "inf" and -1 included).
///
/// A plan object of a plan document (io/plan_document.hpp; eosdnn-plan's plan.json) is a plan
/// with more keys, plan_document_keys: they are accepted here and not read, so such a document
/// (or one of its /tasks/k) reads as a plan. A document of several tasks is refused with a
/// message that says where its plans are.
inline migration_plan plan_from_json(const nlohmann::json& j, const layer_graph& g,
                                     const environment& env) {
    using nlohmann::json;
    namespace d = detail::json_io;
    const d::reader r("plan");
    if (j.is_object() && j.contains("tasks") && !j.contains("placement"))
        r.fail(
            error_kind::validation, "/tasks",
            "this plan document holds one plan per task, under /tasks/0, /tasks/1, ...: read one "
            "of them, or the whole document with plan_document_from_json (io/plan_document.hpp)");
    std::vector<std::string_view> keys{"model", "algorithm", "placement", "evaluation"};
    keys.insert(keys.end(), std::begin(plan_document_keys), std::end(plan_document_keys));
    const json& root = r.object(j, "", std::span<const std::string_view>(keys));
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
        if (!id)
            r.fail(error_kind::validation, layer_path,
                   "model '" + g.name() + "' has no layer '" + layer_name + "'");
        if (!placed_at[*id].empty())
            r.fail(error_kind::validation, layer_path,
                   "layer '" + layer_name + "' is placed twice (also at " + placed_at[*id] + ")");
        const auto where = env.find(node_name);
        if (!where)
            r.fail(error_kind::validation, node_path,
                   "the environment has no node '" + node_name + "'");
        nodes[*id] = *where;
        placed_at[*id] = path;
    }
    std::string missing;
    std::size_t missing_count = 0;
    for (layer_id id = 0; id < g.size(); ++id)
        if (!nodes[id]) {
            if (missing_count++ < 5)
                missing += (missing.empty() ? "'" : ", '") + g[id].name + "'";
            else if (missing_count == 6)
                missing += ", ...";
        }
    if (missing_count)
        r.fail(error_kind::validation, "/placement",
               std::to_string(missing_count) + " of " + std::to_string(g.size()) +
                   " layers have no node: " + missing);
    plan.placement.reserve(g.size());
    for (const auto& n : nodes) plan.placement.push_back(*n);

    if (const json* v = r.optional(root, "evaluation")) {
        const json& o = r.object(*v, "/evaluation",
                                 {"delay_s", "upload_s", "energy_j", "objective", "violation"});
        static constexpr std::pair<const char*, double evaluation::*> fields[] = {
            {"delay_s", &evaluation::delay_s},
            {"upload_s", &evaluation::upload_s},
            {"energy_j", &evaluation::energy_j},
            {"objective", &evaluation::objective},
            {"violation", &evaluation::violation}};
        for (const auto& [key, field] : fields)
            if (const json* value = r.optional(o, key))
                plan.value.*field = r.measure(*value, d::child("/evaluation", key));
    }
    return plan;
}

// ---------------------------------------------------------------------------------------------
// files

/// Reads and parses a JSON file. Throws eosdnn::error of kind io if it cannot be opened or read,
/// is not a regular file (a directory, a device such as /dev/zero, a pipe) or has more than
/// limits::max_text_file_bytes (io/limits.hpp, checked before reading), of kind parse with `file:line:column` if it is not valid JSON, or with
/// `file:` and the path of the object if an object gives a key twice (`file:` only for a number
/// too large for a double, whose position the parser does not report). A string that is not
/// UTF-8 is invalid JSON (`file:line:column`); bytes of the file name, or of the text quoted in
/// a message, that are not UTF-8 are escaped as `\xFF`, so that every message is UTF-8 text.
inline nlohmann::json read_json_file(const std::filesystem::path& file) {
    // A directory opens as a stream on Linux and fails only when read, and a device (/dev/zero)
    // reads forever: refuse both, and a file over the limit, before reading.
    const std::string shown = detail::escape_invalid_utf8(file.string());  // messages are UTF-8
    detail::check_input_file(file, "JSON file", shown, limits::max_text_file_bytes);
    std::ifstream in = detail::open_input(file, "JSON file", shown);
    // Read the whole text first: nlohmann reports a byte offset, which becomes line and column.
    // The limit holds while reading too, for a file that grows after the check.
    const std::string text = detail::read_capped(in, "cannot read JSON file '" + shown + "'",
                                                 limits::max_text_file_bytes);
    try {
        return detail::json_io::parse_text(text, shown);
    } catch (const error& e) {
        // nlohmann's message for a string that is not UTF-8 quotes the bad bytes ("last read:
        // '"x\xFF'"): escape them, so that the message is UTF-8 text.
        throw error(e.kind(), detail::escape_invalid_utf8(e.what()));
    }
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
        throw error(error_kind::validation, "cannot write '" +
                                                detail::escape_invalid_utf8(file.string()) +
                                                "' as JSON: " + e.what());
    }
    write_file_atomically(file, text);
}

}  // namespace eosdnn
