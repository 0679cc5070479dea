#pragma once
/// \file upload_problem.hpp
/// upload_problem: what every uploading planner is handed, built and checked once: the model, the
/// cost model, the target placement and its device, with the effective-delay tables and the
/// upload units derived from them. It is to the uploading planners what a placement_problem is
/// to the optimisers.

#include <eosdnn/core/ids.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/upload/effective_delay.hpp>
#include <eosdnn/upload/upload_plan.hpp>
#include <eosdnn/upload/upload_units.hpp>

#include <concepts>
#include <span>
#include <string_view>

namespace eosdnn {

/// The upload of target placement `x` of `graph`, owned by `device`, priced by `model`.
///
/// Construction validates the inputs (a local device, one gene per layer, no layer on another
/// device; see effective_delay) and builds the tables once, so that several planners, or one
/// planner run many times, share them. The graph and the model are referenced, not copied:
/// they must outlive the problem. Copyable.
template <upload_cost_model Model>
class upload_problem {
public:
    /// Throws eosdnn::error (validation) for an invalid placement or device.
    upload_problem(const layer_graph& graph, const Model& model, std::span<const node_id> x,
                   node_id device = 0)
        : upload_problem(graph, model, x, device, upload_cost_options{}) {}

    /// The same with the per-partition costs `costs` (upload_cost_options: by default each
    /// partition pays the device's link latency to its node plus the environment's request
    /// overhead). Every planner run on the problem plans with them, and finish_plan() writes
    /// them into upload_partition::upload_s, which the simulation charges.
    upload_problem(const layer_graph& graph, const Model& model, std::span<const node_id> x,
                   node_id device, const upload_cost_options& costs)
        : delay_(graph, model, x, device, costs, "upload_problem"),
          units_(make_upload_units(delay_)) {}

    /// The model being uploaded.
    const layer_graph& graph() const noexcept { return delay_.graph(); }
    /// The cost model every time comes from.
    const Model& model() const noexcept { return delay_.model(); }
    /// The environment of the cost model.
    const environment& env() const noexcept { return delay_.model().env(); }
    /// The target placement, one node per layer_id.
    std::span<const node_id> placement() const noexcept { return delay_.placement(); }
    /// The local device that owns the model and uploads it.
    node_id device() const noexcept { return delay_.device(); }
    /// Query latency under partial uploads, with nothing acknowledged yet. Planners that
    /// acknowledge partitions as they go work on a copy.
    const effective_delay<Model>& delay() const noexcept { return delay_; }
    /// What a partition costs beyond its layers (upload_cost_options).
    const upload_cost_options& costs() const noexcept { return delay_.cost_options(); }
    /// The blocks and units of the target placement (upload_units.hpp).
    const upload_units& units() const noexcept { return units_; }

private:
    effective_delay<Model> delay_;
    upload_units units_;
};

/// Deduces the cost model: `upload_problem(graph, model, x)`.
template <class Model>
upload_problem(const layer_graph&, const Model&, std::span<const node_id>, node_id = 0)
    -> upload_problem<Model>;
/// The same with per-partition costs: `upload_problem(graph, model, x, device, costs)`.
template <class Model>
upload_problem(const layer_graph&, const Model&, std::span<const node_id>, node_id,
               const upload_cost_options&) -> upload_problem<Model>;

/// An uploading planner turns an upload_problem into an upload_plan and has a name.
template <class Planner, class Model>
concept upload_planner = upload_cost_model<Model> &&
    requires(const Planner& p, const upload_problem<Model>& problem) {
    { p.plan(problem) } -> std::same_as<upload_plan>;
    { p.name() } -> std::convertible_to<std::string_view>;
};

}  // namespace eosdnn
