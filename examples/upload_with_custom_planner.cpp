// An uploading plan from a custom planner, simulated next to LMU and whole-model upload.
//
// A planner is any type with name() and plan(upload_problem) -> upload_plan (the concept
// eosdnn::upload_planner); the upload_problem holds the model, the cost model, the target
// placement and its device, checked once. This one makes a partition of each layer with parameters
// (with the parameter-free layers next to it) and uploads the smallest first, a naive rule that
// ignores what each partition saves. simulate_queries() then replays the upload with closed-loop
// queries that use whatever has arrived.
#include <eosdnn/eosdnn.hpp>
#include <eosdnn/upload/baselines.hpp>
#include <eosdnn/upload/lmu.hpp>
#include <eosdnn/upload/query_simulation.hpp>
#include <eosdnn/upload/upload_problem.hpp>

#include <algorithm>
#include <cstdio>
#include <span>
#include <string_view>

namespace {

struct smallest_first {
    std::string_view name() const { return "smallest-first"; }

    template <eosdnn::upload_cost_model Model>
    eosdnn::upload_plan plan(const eosdnn::upload_problem<Model>& problem) const {
        const eosdnn::layer_graph& g = problem.graph();
        const auto x = problem.placement();
        const eosdnn::node_id device = problem.device();
        eosdnn::upload_plan result{
            .planner = std::string(name()), .device = device, .placement = {x.begin(), x.end()}};
        // In topological order: a new partition at each parameter layer and at each change of
        // node; a parameter-free layer joins the partition before it.
        for (eosdnn::layer_id j : g.topological_order()) {
            if (x[j] == device) continue;
            auto& parts = result.partitions;
            const bool extend = !parts.empty() && parts.back().node == x[j] &&
                                !(g[j].has_parameters() && parts.back().param_bytes > 0);
            if (!extend) parts.push_back({.node = x[j]});
            parts.back().layers.push_back(j);
            parts.back().param_bytes += g[j].param_bytes;
            parts.back().upload_s += problem.model().upload_time(g[j], device, x[j]);
        }
        std::stable_sort(
            result.partitions.begin(), result.partitions.end(),
            [](const auto& a, const auto& b) { return a.param_bytes < b.param_bytes; });
        return result;
    }
};
static_assert(eosdnn::upload_planner<smallest_first, eosdnn::analytic_model>);

}  // namespace

int main() {
    using namespace eosdnn;
    environment_builder b;
    auto phone = b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 20e9});
    b.connect(phone, b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1e12}),
              {.bandwidth_Bps = mbps(40), .latency_s = 0.005});
    const analytic_model model(b.build());
    const layer_graph net = zoo_model("alexnet");
    const auto placement = viterbi_chain(net, model).placement;  // what to upload: the optimum

    const simulation_options sim{.horizon_queries = 5, .ack_latency_s = 0.005};
    auto report = [&](const upload_plan& plan) {
        check_upload_plan(net, model.env(), plan);  // every remote layer exactly once
        const upload_metrics m = simulate_queries(net, model, plan, sim).metrics;
        std::printf(
            "%-20s %2zu partitions, %5.1f s upload, %4zu queries during it, first offloaded at "
            "%.2f s\n",
            plan.planner.c_str(), m.partitions, m.upload_s, m.queries_during_upload,
            m.first_offloaded_s);
    };
    const upload_problem problem(net, model, placement, phone);  // built once, shared
    report(smallest_first{}.plan(problem));
    report(lmu_planner{.simulation = sim}.plan(problem));
    report(whole_model_planner{}.plan(problem));
}
