#pragma once
/// \file profiled_model.hpp
/// The profiled cost model: measured per-layer times where the layer has them, the analytic
/// model where it does not.

#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/cost_model.hpp>

#include <optional>
#include <utility>

namespace eosdnn {

/// Uses the layer's measured times: on a local node `device_time_s / speed_factor`, on an edge
/// or cloud node `server_time_s / speed_factor` (the profile's server is the reference machine,
/// and each node says how many times faster it is). A layer without the measurement for that
/// tier falls back to FLOPs / rate. Transfers, uploads and power are the analytic model's.
class profiled_model {
public:
    /// Prices with `env` (copied; the model owns it).
    explicit profiled_model(environment env) : analytic_(std::move(env)) {}

    /// The environment the model prices with.
    const environment& env() const noexcept { return analytic_.env(); }

    /// Seconds to run `l` on node `s`: the layer's measured time for the node's tier divided by
    /// the node's speed_factor, or analytic_model::compute_time if that measurement is missing.
    double compute_time(const layer& l, node_id s) const noexcept {
        const node& n = env()[s];
        const std::optional<double>& measured =
            n.tier == tier::local ? l.device_time_s : l.server_time_s;
        if (measured) return *measured / n.speed_factor;
        return analytic_.compute_time(l, s);
    }

    /// Seconds to move `bytes` between two nodes, as analytic_model::transfer_time.
    double transfer_time(double bytes, node_id from, node_id to) const noexcept {
        return analytic_.transfer_time(bytes, from, to);
    }

    /// Seconds to upload and load `l`'s parameters, as analytic_model::upload_time.
    double upload_time(const layer& l, node_id device, node_id to) const noexcept {
        return analytic_.upload_time(l, device, to);
    }

    /// The power profile of node `device`, as analytic_model::device_power.
    std::optional<power_profile> device_power(node_id device) const noexcept {
        return analytic_.device_power(device);
    }

private:
    analytic_model analytic_;
};

static_assert(upload_cost_model<profiled_model>);
static_assert(energy_cost_model<profiled_model>);

}  // namespace eosdnn
