// A custom cost model for the "green" objective: the phone can run in an energy-saving mode, at
// a lower clock that draws much less power, and the planner weighs its battery against latency.
//
// Any type with env(), compute_time() and transfer_time() is an eosdnn::cost_model; adding
// device_power() makes it an energy_cost_model, and delay_evaluator then reports the device's
// energy per query and can minimise latency_weight * delay + energy_weight * energy
// (docs/model.md, "Device energy"). Copy the struct and change the physics to your device's.
#include <eosdnn/eosdnn.hpp>

#include <cstdio>
#include <optional>

namespace {

// The phone at a fraction `clock` of its full clock: compute takes 1 / clock times as long and,
// with voltage scaled along with frequency, compute power falls with clock^3. Everything else
// (servers, links, uploads) is the analytic model's.
struct eco_mode_model {
    eosdnn::analytic_model base;
    double clock = 0.6;

    const eosdnn::environment& env() const { return base.env(); }
    double compute_time(const eosdnn::layer& l, eosdnn::node_id s) const {
        const double t = base.compute_time(l, s);
        return env()[s].tier == eosdnn::tier::local ? t / clock : t;
    }
    double transfer_time(double bytes, eosdnn::node_id from, eosdnn::node_id to) const {
        return base.transfer_time(bytes, from, to);
    }
    std::optional<eosdnn::power_profile> device_power(eosdnn::node_id device) const {
        auto p = base.device_power(device);
        if (p) p->compute_w *= clock * clock * clock;
        return p;
    }
};
static_assert(eosdnn::energy_cost_model<eco_mode_model>);

eosdnn::environment phone_and_edge() {
    eosdnn::environment_builder b;
    auto phone = b.add_node(
        {.name = "phone",
         .tier = eosdnn::tier::local,
         .flops_per_s = 20e9,
         .power = eosdnn::power_profile{.compute_w = 4.0, .transmit_w = 3.0, .idle_w = 0.3}});
    auto edge = b.add_node({.name = "edge", .tier = eosdnn::tier::edge, .flops_per_s = 1e12});
    b.connect(phone, edge, {.bandwidth_Bps = eosdnn::mbps(20), .latency_s = 0.005});
    return b.build();
}

}  // namespace

// At full clock running AlexNet on the phone is both fastest and greenest. In eco mode the
// fastest plan offloads after the first pooling layer, but the phone now computes so cheaply that
// the greenest plan runs everything locally, 20 ms slower for 60 % less energy.
int main() {
    const eosdnn::layer_graph net = eosdnn::zoo_model("alexnet");
    for (double clock : {1.0, 0.6}) {
        const eco_mode_model model{eosdnn::analytic_model(phone_and_edge()), clock};
        // Pure latency first, then one joule weighed as much as one second of waiting.
        for (double energy_weight : {0.0, 1.0}) {
            eosdnn::delay_evaluator problem(net, model, {.energy_weight = energy_weight});
            const auto plan = eosdnn::hybrid_pso_ga(eosdnn::hybrid_options()).solve(problem, 1);
            std::size_t local = 0;
            for (eosdnn::node_id s : plan.placement) local += s == 0;
            std::printf(
                "clock %.1f, energy weight %.1f s/J: %2zu of %zu layers on the phone, "
                "%6.1f ms, %.3f J per query\n",
                clock, energy_weight, local, net.size(), plan.value.delay_s * 1e3,
                plan.value.energy_j);
        }
    }
}
