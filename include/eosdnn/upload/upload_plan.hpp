#pragma once
/// \file upload_plan.hpp
/// The uploading plan: the ordered partitions (layers, destination node) a device uploads so that
/// its queries can be offloaded while the model is still on its way. Also the checks every
/// planner's output must pass, and the upload_planner concept they all model.

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace eosdnn {

/// One upload step: layers that travel together to one node and are acknowledged together.
struct upload_partition {
    node_id node = 0;                ///< destination (an edge or cloud node)
    std::vector<layer_id> layers{};  ///< members, in the graph's topological order
    double param_bytes = 0;          ///< sum of the members' parameter bytes
    /// Seconds on the uplink: the members' upload times (transfer and load) plus the
    /// partition's overhead (partition_overhead_s(): link latency and request cost) when the
    /// problem it was planned for charges one (upload_cost_options).
    double upload_s = 0;
    /// The part of upload_s that is the partition's overhead (0 without one).
    double overhead_s = 0;
};

/// What one partition costs beyond its layers' upload times (transfer and load).
struct upload_cost_options {
    /// Charge every partition a per-request overhead: the one-way latency of the device's link
    /// to the partition's node plus environment::request_overhead_s() (0 unless set). On by
    /// default: without it a plan of 100 one-kilobyte partitions costs what one of 100 kB
    /// costs, and planners cut models into tiny partitions that a real uplink pays a round
    /// trip for each.
    bool partition_overhead = true;
};

/// The per-partition overhead of uploading to `node` from `device` under `options`: the link's
/// one-way latency plus the environment's request overhead, or 0 when the overhead is off.
inline double partition_overhead_s(const environment& env, node_id device, node_id node,
                                   const upload_cost_options& options = {}) noexcept {
    if (!options.partition_overhead || node == device) return 0;
    const auto& l = env.link_between(device, node);
    return (l ? l->latency_s : 0.0) + env.request_overhead_s();
}

/// An uploading plan for a target placement: partitions in upload order. Every layer placed away
/// from the device belongs to exactly one partition; layers on the device belong to none.
struct upload_plan {
    std::string planner{};             ///< who made it ("lmu", "emdl", "ionn", ...)
    node_id device = 0;                ///< the local device that owns the model and uploads it
    std::vector<node_id> placement{};  ///< target node of each layer, indexed by layer_id
    std::vector<upload_partition> partitions{};  ///< in upload order

    /// Sum of the partitions' upload times: when the last one has been received and loaded.
    double upload_s() const noexcept {
        double total = 0;
        for (const auto& p : partitions) total += p.upload_s;
        return total;
    }
};

namespace detail::upload {

using detail::layer_label;
using detail::node_label;

[[noreturn]] inline void fail(std::string_view where, const std::string& what) {
    fail_validation(where, what);
}

/// Checks the inputs every planner shares: a local device inside the environment, one gene per
/// layer, every gene a node of the environment, and no layer on another local device.
inline void check_inputs(std::string_view where, const layer_graph& g, const environment& env,
                         std::span<const node_id> x, node_id device) {
    if (device >= env.size())
        fail(where, "device index " + std::to_string(device) + " is outside the environment of " +
                        std::to_string(env.size()) + " nodes");
    if (env[device].tier != tier::local)
        fail(where, "device " + node_label(env, device) + " is not a local node");
    if (x.size() != g.size())
        fail(where, "the placement has " + std::to_string(x.size()) + " genes but model '" +
                        g.name() + "' has " + std::to_string(g.size()) + " layers");
    for (layer_id j = 0; j < x.size(); ++j) {
        if (x[j] >= env.size())
            fail(where, layer_label(g, j) + " is placed on node index " + std::to_string(x[j]) +
                            ", outside the environment of " + std::to_string(env.size()) +
                            " nodes");
        if (x[j] != device && env[x[j]].tier == tier::local)
            fail(where, layer_label(g, j) + " is placed on " + node_label(env, x[j]) +
                            ", another local device");
    }
}

}  // namespace detail::upload

/// Checks that `plan` is a valid plan for `g`: its placement has one valid node per layer, every
/// layer placed away from the device is in exactly one partition whose node is the layer's target,
/// no layer on the device is in any, and no partition is empty. Throws eosdnn::error
/// (validation) naming the partition and the layer otherwise.
inline void check_upload_plan(const layer_graph& g, const environment& env,
                              const upload_plan& plan) {
    constexpr std::string_view where = "upload plan";
    detail::upload::check_inputs(where, g, env, plan.placement, plan.device);
    std::vector<int> seen(g.size(), -1);
    for (std::size_t k = 0; k < plan.partitions.size(); ++k) {
        const auto& part = plan.partitions[k];
        const std::string name = "partition #" + std::to_string(k);
        if (part.layers.empty()) detail::upload::fail(where, name + " has no layers");
        for (layer_id j : part.layers) {
            if (j >= g.size())
                detail::upload::fail(
                    where, name + " names layer index " + std::to_string(j) + " outside the model");
            if (plan.placement[j] != part.node)
                detail::upload::fail(where, name + " sends " + detail::upload::layer_label(g, j) +
                                                " to node #" + std::to_string(part.node) +
                                                " but the placement puts it on node #" +
                                                std::to_string(plan.placement[j]));
            if (seen[j] >= 0)
                detail::upload::fail(where, detail::upload::layer_label(g, j) +
                                                " is in partitions #" + std::to_string(seen[j]) +
                                                " and #" + std::to_string(k));
            seen[j] = static_cast<int>(k);
        }
    }
    for (layer_id j = 0; j < g.size(); ++j)
        if (plan.placement[j] != plan.device && seen[j] < 0)
            detail::upload::fail(where, detail::upload::layer_label(g, j) +
                                            " is placed remotely but in no partition");
}

}  // namespace eosdnn
