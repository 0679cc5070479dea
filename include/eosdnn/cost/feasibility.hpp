#pragma once
/// \file feasibility.hpp
/// Cheap proofs that no placement can satisfy the memory capacities, run before optimising. The
/// evaluators treat capacities as soft (an excess is a violation, see evaluation.hpp); these
/// checks turn the cases that are certain into an error_kind::infeasible error up front.

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace eosdnn {
namespace detail {

/// A byte count as messages print it: a whole number in full ("138357544"), else "%g".
inline std::string format_bytes(double bytes) {
    char buffer[64];
    if (std::floor(bytes) == bytes && std::fabs(bytes) < 1e18)
        std::snprintf(buffer, sizeof buffer, "%.0f", bytes);
    else
        std::snprintf(buffer, sizeof buffer, "%g", bytes);
    return buffer;
}

}  // namespace detail

/// Throws error_kind::infeasible when the parameters of `g`, a task run by the local node
/// `device`, cannot fit the memory of the nodes its layers may use (the device and every edge
/// and cloud node; a node without memory_bytes is unlimited):
/// - a layer whose parameter bytes exceed the capacity of every one of those nodes, or
/// - parameter bytes in total above the sum of their capacities (when every one has a capacity).
/// Passing proves nothing: layers that fit one by one and in total may still not pack. Throws
/// error_kind::validation if `device` is not a local node of `env`.
inline void check_memory_feasible(const layer_graph& g, const environment& env, node_id device) {
    const std::string who = "model '" + g.name() + "'";
    if (device >= env.size() || env[device].tier != tier::local)
        throw error(error_kind::validation, who + ": check_memory_feasible: the device, node " +
                                                std::to_string(device) +
                                                ", is not a local node of the environment");
    std::vector<node_id> allowed;
    bool unlimited = false;
    double total_capacity = 0;
    std::optional<node_id> largest;  // the allowed node with the most memory
    for (std::size_t s = 0; s < env.size(); ++s) {
        const node& n = env[static_cast<node_id>(s)];
        if (n.tier == tier::local && s != device) continue;
        allowed.push_back(static_cast<node_id>(s));
        if (!n.memory_bytes) {
            unlimited = true;
            continue;
        }
        total_capacity += *n.memory_bytes;
        if (!largest || *n.memory_bytes > *env[*largest].memory_bytes)
            largest = static_cast<node_id>(s);
    }
    if (unlimited) return;
    const double most = *env[*largest].memory_bytes;
    for (layer_id id = 0; id < g.size(); ++id)
        if (g[id].param_bytes > most)
            throw error(error_kind::infeasible, who + ": layer '" + g[id].name + "' has " +
                                                    detail::format_bytes(g[id].param_bytes) +
                                                    " parameter bytes, more than the memory of any "
                                                    "node it may run on (the largest, '" +
                                                    env[*largest].name + "', holds " +
                                                    detail::format_bytes(most) + " bytes)");
    const double total = g.total_param_bytes();
    if (total > total_capacity) {
        std::string nodes;
        for (node_id s : allowed)
            nodes += (nodes.empty() ? "" : ", ") + env[s].name + " " +
                     detail::format_bytes(*env[s].memory_bytes);
        throw error(error_kind::infeasible,
                    who + ": its layers hold " + detail::format_bytes(total) +
                        " parameter bytes, " + detail::format_bytes(total - total_capacity) +
                        " more than the memory of every node it may run on together (" + nodes +
                        ")");
    }
}

}  // namespace eosdnn
