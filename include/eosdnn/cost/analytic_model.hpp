#pragma once
/// \file analytic_model.hpp
/// The analytic cost model: compute time = FLOPs / rate, transfer = latency + bytes / bandwidth.

#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer.hpp>

#include <limits>
#include <optional>
#include <utility>

namespace eosdnn {

/// Prices everything from the environment's rates and links:
/// - compute_time(l, s) = l.flops / f_s;
/// - transfer_time(b, s, t) = 0 if s == t, else D[s][t] + b / B[s][t];
/// - upload_time(l, d, t) = m_l / B[d][t] + ld_l (load time, 0 if unknown);
/// - device_power(d) = the node's power profile.
class analytic_model {
public:
    /// Prices with `env`'s rates, links and power profiles (copied; the model owns it).
    explicit analytic_model(environment env) : env_(std::move(env)) {}

    /// The environment the model prices with.
    const environment& env() const noexcept { return env_; }

    /// Seconds to run `l` on node `s`: l.flops / f_s.
    double compute_time(const layer& l, node_id s) const noexcept {
        return l.flops / env_[s].flops_per_s;
    }

    /// Seconds to move `bytes` from `from` to `to`: 0 on the same node, latency + bytes /
    /// bandwidth otherwise, infinity without a link (environment::transfer_time).
    double transfer_time(double bytes, node_id from, node_id to) const noexcept {
        return env_.transfer_time(bytes, from, to);
    }

    /// Seconds to upload `l`'s parameters from `device` to node `to` and load them there:
    /// param_bytes / bandwidth + load_time_s (0 if unknown); 0 when `to` is the device itself,
    /// infinity without a link.
    double upload_time(const layer& l, node_id device, node_id to) const noexcept {
        if (device == to) return 0;
        const auto& link = env_.link_between(device, to);
        const double load = l.load_time_s.value_or(0);
        if (!link) return std::numeric_limits<double>::infinity();
        return l.param_bytes / link->bandwidth_Bps + load;
    }

    /// The power profile of node `device`, or nothing if the environment gives none (then the
    /// energy objective cannot be evaluated for it).
    std::optional<power_profile> device_power(node_id device) const noexcept {
        return env_[device].power;
    }

private:
    environment env_;
};

static_assert(upload_cost_model<analytic_model>);
static_assert(energy_cost_model<analytic_model>);

}  // namespace eosdnn
