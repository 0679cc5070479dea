#pragma once
/// \file partition_time.hpp
/// How long one partition takes on the device's uplink in a session (its layers' upload times,
/// transfer and load, plus the cost of one upload request), and a plan's partitions without the
/// layers already in place.

#include <eosdnn/core/ids.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/upload/upload_plan.hpp>

#include <span>
#include <utility>
#include <vector>

namespace eosdnn {

/// Seconds to upload `layers` of `graph` from `device` to node `to` as one partition: the sum of
/// model.upload_time() of the layers, plus one request's overhead (partition_overhead_s(): the
/// one-way latency of the link device -> to and the environment's request overhead), as the
/// upload planners charge each partition by default.
template <upload_cost_model Model>
double partition_upload_time(const layer_graph& graph, const Model& model, node_id device,
                             std::span<const layer_id> layers, node_id to) {
    double t = 0;
    for (layer_id j : layers) t += model.upload_time(graph[j], device, to);
    return t + partition_overhead_s(model.env(), device, to);
}

/// Appends to `out` the partitions of `plan` without the layers `skip(layer, node)` names
/// (resident there, say), each with its bytes and partition_upload_time(); partitions left empty
/// are dropped. The order is kept.
template <upload_cost_model Model, class Skip>
void append_missing(const layer_graph& graph, const Model& model, node_id device,
                    std::span<const upload_partition> plan, std::vector<upload_partition>& out,
                    Skip skip) {
    for (const auto& p : plan) {
        upload_partition kept{.node = p.node};
        for (layer_id j : p.layers)
            if (!skip(j, p.node)) {
                kept.layers.push_back(j);
                kept.param_bytes += graph[j].param_bytes;
            }
        if (kept.layers.empty()) continue;
        kept.upload_s = partition_upload_time(graph, model, device, kept.layers, kept.node);
        kept.overhead_s = partition_overhead_s(model.env(), device, kept.node);
        out.push_back(std::move(kept));
    }
}

}  // namespace eosdnn
