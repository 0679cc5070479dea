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

    /// The EMDL'19 plan for uploading `problem`'s placement. Throws eosdnn::error (validation) if
    /// the placement uses more than one remote node.
    template <upload_cost_model Model>
    upload_plan plan(const upload_problem<Model>& problem) const {
        const auto x = problem.placement();
        const node_id device = problem.device();
        node_id server = device;
        for (layer_id j = 0; j < x.size(); ++j) {
            if (x[j] == device) continue;
            if (server != device && x[j] != server)
                detail::upload::fail("emdl_planner",
                                     "the placement uses two remote nodes (" +
                                         detail::upload::node_label(problem.env(), server) +
                                         " and " + detail::upload::node_label(problem.env(), x[j]) +
                                         " for " + detail::upload::layer_label(problem.graph(), j) +
                                         "); EMDL plans for one server, use lmu_planner");
            server = x[j];
        }
        return efficiency_plan(std::string(name()), problem,
                               {.strategy = merge_strategy::top_down,
                                .first_partition_rule = first_partition_rule,
                                .refine = refine});
    }
};

}  // namespace eosdnn
