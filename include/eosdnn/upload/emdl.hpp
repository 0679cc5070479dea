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

/// Which reading of EMDL'19's rule emdl_planner applies.
enum class emdl_reading {
    /// As the IONN authors implemented it (the default): each step starts from the most
    /// efficient sub-range of all not-yet-uploaded layers, then, while a strictly inner
    /// sub-range with fewer parameter layers has a positive efficiency, the choice becomes the
    /// most efficient such sub-range (candidate_rule::any_sub_range, refinement_rule::loop).
    authors_code,
    /// Our first reading of the paper's text: each step starts from the most efficient whole
    /// not-yet-uploaded run, refined once to its most efficient strictly inner sub-range if
    /// that one is more efficient (candidate_rule::whole_gap, refinement_rule::efficiency).
    /// LMU's rule uses this reading.
    paper_text,
};

/// EMDL'19 for one server: the ideal blocks are the remote runs of the placement (the shortest
/// path of the execution graph, or any plan given); candidates are contiguous sub-ranges of them;
/// the first partition maximises `gain - Tup`; then each step picks and refines a range as
/// `reading` says, uploads it, merges it with the uploaded ranges next to it, and re-scores its
/// neighbours.
///
/// Throws eosdnn::error (validation) if the placement uses more than one remote node: EMDL
/// targets one server (lmu_planner is its extension to several).
struct emdl_planner {
    /// EMDL's first-partition rule: the first partition maximises `gain - Tup` rather than
    /// `gain / Tup` (see efficiency_options; the strategy is always top-down for EMDL).
    bool first_partition_rule = true;
    /// Refine the chosen range (efficiency_options::refine).
    bool refine = true;
    /// The authors' implementation (the default) or our reading of the paper's text.
    emdl_reading reading = emdl_reading::authors_code;

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
        const bool authors = reading == emdl_reading::authors_code;
        return efficiency_plan(
            std::string(name()), problem,
            {.strategy = merge_strategy::top_down,
             .first_partition_rule = first_partition_rule,
             .refine = refine,
             .refinement = authors ? refinement_rule::loop : refinement_rule::efficiency,
             .candidate = authors ? candidate_rule::any_sub_range : candidate_rule::whole_gap,
             .place_free_blocks = false});
    }
};

}  // namespace eosdnn
