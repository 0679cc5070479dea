#pragma once
/// \file baselines.hpp
/// The two simplest uploading plans: the whole model at once, and layer by layer in model order.

#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/upload/effective_delay.hpp>
#include <eosdnn/upload/upload_plan.hpp>
#include <eosdnn/upload/upload_problem.hpp>
#include <eosdnn/upload/upload_units.hpp>

#include <span>
#include <string_view>
#include <vector>

namespace eosdnn {

/// Uploads all remote layers of each node as one partition (nodes in index order), so queries
/// are offloaded only once a node's whole share has arrived: "upload the model, then query".
struct whole_model_planner {
    /// "whole": the planner name recorded in upload_plan::planner.
    std::string_view name() const noexcept { return "whole"; }

    /// The plan for uploading `problem`'s placement: one partition per node that hosts remote
    /// layers.
    template <upload_cost_model Model>
    upload_plan plan(const upload_problem<Model>& problem) const {
        const effective_delay<Model>& q = problem.delay();
        const upload_units& units = problem.units();
        std::vector<upload_partition> steps;
        for (node_id s = 0; s < problem.env().size(); ++s) {
            upload_partition part{.node = s};
            for (const auto& block : units.blocks)
                if (block.node == s)
                    for (std::size_t p = block.first; p <= block.last; ++p)
                        part.layers.push_back(q.layer_at(p));
            if (!part.layers.empty()) steps.push_back(std::move(part));
        }
        return finish_plan(std::string(name()), q, units, std::move(steps));
    }
};

/// Uploads one parameter layer at a time (with the parameter-free layers that follow it) in
/// the graph's topological order, whatever each one saves.
struct layer_by_layer_planner {
    /// "layer-by-layer": the planner name recorded in upload_plan::planner.
    std::string_view name() const noexcept { return "layer-by-layer"; }

    /// The plan for uploading `problem`'s placement: one partition per parameter layer, in
    /// topological order.
    template <upload_cost_model Model>
    upload_plan plan(const upload_problem<Model>& problem) const {
        const effective_delay<Model>& q = problem.delay();
        const upload_units& units = problem.units();
        std::vector<upload_partition> steps;
        for (const auto& unit : units.units)
            steps.push_back(range_step(q, units.blocks[unit.block].node, unit.first, unit.last));
        return finish_plan(std::string(name()), q, units, std::move(steps));
    }
};

}  // namespace eosdnn
