#pragma once
/// \file plan_summary.hpp
/// What a placement puts on each node: how many layers, their FLOPs, compute seconds and
/// parameter bytes, the bytes the node receives and sends, and the runs of consecutive layers
/// (in topological order) it hosts. Transfers are counted as the sequential migration delay
/// counts them (cost/sequential_delay.hpp): a layer's output goes once to each other node that
/// runs one of its consumers; the model input goes from the device to the node of the input
/// layer, the result from the node of the output layer back to the device.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn {

/// One node's share of a placement.
struct node_load {
    node_id node = 0;        ///< the node
    std::size_t layers = 0;  ///< layers placed there
    double flops = 0;        ///< their FLOPs
    double compute_s = 0;    ///< their compute time on this node (the cost model's compute_time)
    double param_bytes = 0;  ///< their parameter bytes (what an upload to this node sends)
    double bytes_in = 0;     ///< bytes it receives: outputs of layers elsewhere, the model input
    double bytes_out = 0;    ///< bytes it sends: outputs to other nodes, the result to the device
    double transfer_out_s = 0;  ///< seconds of the transfers it sends
    /// Runs of consecutive layers in topological order: positions in g.topological_order(),
    /// first and last, inclusive.
    std::vector<std::pair<std::size_t, std::size_t>> runs{};
};

/// A placement, node by node.
struct plan_summary {
    std::vector<node_load> nodes{};  ///< one per node of the environment, in node order
    double compute_s = 0;            ///< sum of the nodes' compute_s
    double transfer_s = 0;           ///< sum of every transfer's time (as the delay counts them)

    /// The nodes that run at least one layer.
    std::vector<node_load> used() const {
        std::vector<node_load> out;
        for (const auto& n : nodes)
            if (n.layers) out.push_back(n);
        return out;
    }
};

/// Summarises placement `x` (x[j] = node of layer j) of `g` owned by `device`, priced by
/// `model`. For the sequential delay, compute_s + transfer_s is the migration delay
/// (delay_evaluator's delay_s, up to rounding). Throws eosdnn::error (validation) if `x` does
/// not have one gene per layer, a gene or `device` is outside the environment.
template <cost_model Model>
plan_summary summarise_plan(const layer_graph& g, const Model& model, std::span<const node_id> x,
                            node_id device = 0) {
    const environment& env = model.env();
    const auto fail = [](const std::string& what) {
        throw error(error_kind::validation, "summarise_plan: " + what);
    };
    if (x.size() != g.size())
        fail("the placement has " + std::to_string(x.size()) + " genes but model '" + g.name() +
             "' has " + std::to_string(g.size()) + " layers");
    if (device >= env.size())
        fail("device " + std::to_string(device) + " is outside the environment");
    for (layer_id j = 0; j < g.size(); ++j)
        if (x[j] >= env.size())
            fail("layer '" + g[j].name + "' is on node " + std::to_string(x[j]) +
                 ", outside the environment of " + std::to_string(env.size()) + " nodes");

    plan_summary s;
    s.nodes.resize(env.size());
    for (node_id n = 0; n < env.size(); ++n) s.nodes[n].node = n;
    const auto send = [&](double bytes, node_id from, node_id to) {
        if (from == to) return;
        const double t = model.transfer_time(bytes, from, to);
        s.nodes[from].bytes_out += bytes;
        s.nodes[from].transfer_out_s += t;
        s.nodes[to].bytes_in += bytes;
        s.transfer_s += t;
    };
    send(g.input_bytes(), device, x[g.input()]);
    for (layer_id j = 0; j < g.size(); ++j) {
        node_load& n = s.nodes[x[j]];
        ++n.layers;
        n.flops += g[j].flops;
        n.param_bytes += g[j].param_bytes;
        const double c = model.compute_time(g[j], x[j]);
        n.compute_s += c;
        s.compute_s += c;
        std::vector<node_id> sent;
        for (layer_id k : g.successors(j))
            if (x[k] != x[j] && std::find(sent.begin(), sent.end(), x[k]) == sent.end()) {
                sent.push_back(x[k]);
                send(g[j].output_bytes, x[j], x[k]);
            }
    }
    send(g[g.output()].output_bytes, x[g.output()], device);

    const auto order = g.topological_order();
    for (std::size_t p = 0; p < order.size(); ++p) {
        auto& runs = s.nodes[x[order[p]]].runs;
        if (!runs.empty() && runs.back().second + 1 == p)
            runs.back().second = p;
        else
            runs.emplace_back(p, p);
    }
    return s;
}

}  // namespace eosdnn
