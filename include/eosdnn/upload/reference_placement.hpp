#pragma once
/// \file reference_placement.hpp
/// An exact target placement to plan uploads for, where a PSO-GA placement would otherwise be
/// used: Viterbi on a chain (any number of nodes), and on a DAG the best of the two-node minimum
/// cuts between the device and each edge or cloud node.

#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/optim/exact.hpp>

#include <vector>

namespace eosdnn {

/// The fastest placement of `graph` under the sequential model that the exact solvers reach:
/// optimal on a chain and for one server; on a DAG with several servers, optimal among the
/// placements that use a single server. Throws eosdnn::error (validation) as the solvers do.
template <cost_model Model>
exact_plan reference_placement(const layer_graph& graph, const Model& model, node_id device = 0) {
    if (graph.is_chain()) return viterbi_chain(graph, model, device);
    exact_plan best{.placement = std::vector<node_id>(graph.size(), device), .delay_s = 0};
    best.delay_s = sequential_delay(graph, model, best.placement, device);
    for (node_id s = 0; s < model.env().size(); ++s) {
        if (s == device || model.env()[s].tier == tier::local) continue;
        exact_plan cut = min_cut_two_nodes(graph, model, device, s);
        if (cut.delay_s < best.delay_s) best = std::move(cut);
    }
    return best;
}

}  // namespace eosdnn
