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
    explicit analytic_model(environment env) : env_(std::move(env)) {}

    const environment& env() const noexcept { return env_; }

    double compute_time(const layer& l, node_id s) const noexcept {
        return l.flops / env_[s].flops_per_s;
    }

    double transfer_time(double bytes, node_id from, node_id to) const noexcept {
        return env_.transfer_time(bytes, from, to);
    }

    double upload_time(const layer& l, node_id device, node_id to) const noexcept {
        if (device == to) return 0;
        const auto& link = env_.link_between(device, to);
        const double load = l.load_time_s.value_or(0);
        if (!link) return std::numeric_limits<double>::infinity();
        return l.param_bytes / link->bandwidth_Bps + load;
    }

    std::optional<power_profile> device_power(node_id device) const noexcept {
        return env_[device].power;
    }

private:
    environment env_;
};

static_assert(upload_cost_model<analytic_model>);
static_assert(energy_cost_model<analytic_model>);

}  // namespace eosdnn
