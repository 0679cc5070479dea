#pragma once
/// \file emdl.hpp
/// The EMDL'19 uploading plan (Shin, Jeong and Moon, "Enhanced partitioning of DNN layers for
/// uploading from mobile devices to edge servers"): efficiency-based partitions for one server.

#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/upload/efficiency_planner.hpp>
#include <eosdnn/upload/upload_plan.hpp>

#include <span>
#include <string_view>

namespace eosdnn {

/// EMDL'19 for one server: the ideal blocks are the remote runs of the placement (the shortest
/// path of the execution graph, or any plan given); candidates are contiguous sub-ranges of them;
/// the first partition maximises `gain - Tup`; then the most efficient not-yet-uploaded run is
/// refined to its most efficient strictly inner sub-range when that one is better, uploaded,
/// merged with the uploaded ranges next to it, and its neighbours are re-scored.
///
/// Throws eosdnn::error (validation) if the placement uses more than one remote node: EMDL
/// targets one server (lmu_planner is its extension to several).
struct emdl_planner {
    /// EMDL's first-partition rule: the first partition maximises `gain - Tup` rather than
    /// `gain / Tup` (see efficiency_options; the strategy is always top-down for EMDL).
    bool first_partition_rule = true;
    /// Refine the chosen run to its most efficient strictly inner sub-range (efficiency_options).
    bool refine = true;

    /// "emdl": the planner name recorded in upload_plan::planner.
    std::string_view name() const noexcept { return "emdl"; }

    /// The EMDL'19 plan for uploading placement `x` (one gene per layer) from `device`. Throws
    /// eosdnn::error (validation) if the inputs are invalid or `x` uses more than one remote node.
    template <upload_cost_model Model>
    upload_plan plan(const layer_graph& graph, const Model& model, std::span<const node_id> x,
                     node_id device = 0) const {
        detail::upload::check_inputs("emdl_planner", graph, model.env(), x, device);
        node_id server = device;
        for (layer_id j = 0; j < x.size(); ++j) {
            if (x[j] == device) continue;
            if (server != device && x[j] != server)
                detail::upload::fail("emdl_planner",
                                     "the placement uses two remote nodes (" +
                                         detail::upload::node_label(model.env(), server) + " and " +
                                         detail::upload::node_label(model.env(), x[j]) + " for " +
                                         detail::upload::layer_label(graph, j) +
                                         "); EMDL plans for one server, use lmu_planner");
            server = x[j];
        }
        return efficiency_plan(std::string(name()), graph, model, x, device,
                               {.strategy = merge_strategy::top_down,
                                .first_partition_rule = first_partition_rule,
                                .refine = refine});
    }
};

}  // namespace eosdnn
