#pragma once
/// \file combine_layers.hpp
/// The cost figures of several layers run as one (dominator blocks, parameter-free merging).

#include <eosdnn/graph/layer.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <optional>
#include <span>

namespace eosdnn::detail {

/// Sets `into`'s work and sizes to those of `members` run one after another on one node, `last`
/// being the one whose output leaves the group: MACs, FLOPs and parameter bytes add up; output
/// bytes and shape are the last member's; a measured time is the sum when every member has one
/// (a partial sum would understate it) and unset otherwise; load times add up over the members
/// that have one, since the cost models read a missing load time as 0.
inline void combine_layers(const layer_graph& g, std::span<const layer_id> members, layer_id last,
                           layer& into) {
    into.macs = into.flops = into.param_bytes = 0;
    into.output_bytes = g[last].output_bytes;
    into.output_shape = g[last].output_shape;
    into.device_time_s = into.server_time_s = into.load_time_s = std::nullopt;
    bool device_known = true, server_known = true;
    double device = 0, server = 0;
    for (layer_id id : members) {
        const layer& l = g[id];
        into.macs += l.macs;
        into.flops += l.flops;
        into.param_bytes += l.param_bytes;
        device_known = device_known && l.device_time_s.has_value();
        server_known = server_known && l.server_time_s.has_value();
        device += l.device_time_s.value_or(0);
        server += l.server_time_s.value_or(0);
        if (l.load_time_s) into.load_time_s = into.load_time_s.value_or(0) + *l.load_time_s;
    }
    if (device_known) into.device_time_s = device;
    if (server_known) into.server_time_s = server;
}

}  // namespace eosdnn::detail
