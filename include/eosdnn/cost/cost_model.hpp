#pragma once
/// \file cost_model.hpp
/// The cost_model concept: what the evaluators need to know about time (and optionally upload
/// and energy) to price a placement.

#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer.hpp>

#include <concepts>
#include <optional>

namespace eosdnn {

/// A cost model prices layers and transfers on the nodes of an environment.
/// - `env()`: the environment (nodes, tiers, capacities, links);
/// - `compute_time(l, s)`: seconds to run layer `l` on node `s`;
/// - `transfer_time(bytes, s, t)`: seconds to move `bytes` from node `s` to node `t` (0 if s == t).
///
/// One requirement the compiler cannot check: **transfer_time must be affine in the bytes**,
/// latency(s, t) + bytes * seconds_per_byte(s, t), both finite and >= 0 (or +infinity at every
/// size for a missing link). The evaluators read the two terms off the model once, at 0 bytes
/// and 1 MB, into the tables of their inner loop (cost/detail/tables.hpp, link_table), and check
/// a third size: a model that is not affine is rejected with an eosdnn::error naming the link,
/// never priced wrongly. A congestion-dependent or stepwise transfer time needs its own
/// evaluator (docs/cost-models.md).
template <class M>
concept cost_model = requires(const M& m, const layer& l, node_id s, node_id t, double bytes) {
    { m.env() } -> std::convertible_to<const environment&>;
    { m.compute_time(l, s) } -> std::convertible_to<double>;
    { m.transfer_time(bytes, s, t) } -> std::convertible_to<double>;
};

/// A cost model that also knows the one-off time to upload layer `l`'s parameters from a device
/// to node `to` (and load them there), used by the upload term and the uploading plans.
template <class M>
concept upload_cost_model = cost_model<M> &&
    requires(const M& m, const layer& l, node_id device, node_id to) {
    { m.upload_time(l, device, to) } -> std::convertible_to<double>;
};

/// A cost model that knows the power draw of a device, used by the energy term.
template <class M>
concept energy_cost_model = cost_model<M> && requires(const M& m, node_id device) {
    { m.device_power(device) } -> std::convertible_to<std::optional<power_profile>>;
};

}  // namespace eosdnn
