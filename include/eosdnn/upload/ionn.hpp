#pragma once
/// \file ionn.hpp
/// The IONN uploading plan (Jeong et al., "IONN: Incremental Offloading of Neural Network
/// Computations from Mobile Devices to Edge Servers", SoCC'18): shortest paths on an execution
/// graph whose server edges carry a shrinking share of the upload time.

#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/optim/exact.hpp>
#include <eosdnn/upload/effective_delay.hpp>
#include <eosdnn/upload/upload_plan.hpp>
#include <eosdnn/upload/upload_problem.hpp>
#include <eosdnn/upload/upload_units.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace eosdnn {

namespace detail::upload {

// A cost model whose remote compute times carry `factor` times the layer's upload time: the
// server edges of IONN's execution graph.
template <class Model>
class penalised_model {
public:
    penalised_model(const Model& base, node_id device, double factor)
        : base_(&base), device_(device), factor_(factor) {}
    const environment& env() const noexcept { return base_->env(); }
    double compute_time(const layer& l, node_id s) const noexcept {
        const double t = base_->compute_time(l, s);
        return s == device_ ? t : t + factor_ * base_->upload_time(l, device_, s);
    }
    double transfer_time(double bytes, node_id from, node_id to) const noexcept {
        return base_->transfer_time(bytes, from, to);
    }

private:
    const Model* base_;
    node_id device_;
    double factor_;
};

// Shortest path of a chain where layer j may run on the device or on x_j only (Viterbi with two
// states per layer); ties go to the device.
template <class Model>
std::vector<node_id> two_choice_chain(const layer_graph& g, const Model& m,
                                      std::span<const node_id> x, node_id d) {
    const auto order = g.topological_order();
    const std::size_t n = order.size();
    std::vector<double> cost(2 * n);
    std::vector<std::uint8_t> from(2 * n, 0);
    auto node = [&](std::size_t p, int c) { return c == 0 ? d : x[order[p]]; };
    for (std::size_t p = 0; p < n; ++p) {
        const layer& l = g[order[p]];
        for (int c = 0; c < 2; ++c) {
            const node_id s = node(p, c);
            double best;
            if (p == 0) {
                best = m.transfer_time(g.input_bytes(), d, s);
            } else {
                const double bytes = g[order[p - 1]].output_bytes;
                const double via0 = cost[2 * (p - 1)] + m.transfer_time(bytes, node(p - 1, 0), s);
                const double via1 =
                    cost[2 * (p - 1) + 1] + m.transfer_time(bytes, node(p - 1, 1), s);
                best = via0;
                if (via1 < via0) {
                    best = via1;
                    from[2 * p + c] = 1;
                }
            }
            cost[2 * p + c] = best + m.compute_time(l, s);
        }
    }
    const double bytes = g[order[n - 1]].output_bytes;
    const double end0 = cost[2 * (n - 1)] + m.transfer_time(bytes, node(n - 1, 0), d);
    const double end1 = cost[2 * (n - 1) + 1] + m.transfer_time(bytes, node(n - 1, 1), d);
    int c = end1 < end0 ? 1 : 0;
    std::vector<node_id> y(n);
    for (std::size_t p = n; p-- > 0;) {
        y[order[p]] = node(p, c);
        c = from[2 * p + c];
    }
    return y;
}

}  // namespace detail::upload

/// IONN's incremental plan. For k = 1 - K^level, level = 0, 1, 2, ..., it finds the fastest
/// placement in which each layer runs on the device or on its target node, when running a layer
/// remotely also costs (1 - k) times its upload time (transfer and load): with k = 0 only layers
/// worth their whole upload go remote, and as k grows towards 1 the plan approaches the target
/// placement. Each plan that adds layers is the next upload step: the added layers, one partition
/// per node. The levels stop after the first k > `stop_k`; the target's remote layers still
/// missing then form the last step.
///
/// Layers without parameters carry no penalty; a step made only of them joins the next step to
/// the same node (finish_plan()). The shortest path is Viterbi on a chain (any number of remote
/// nodes) and an s-t minimum cut on a DAG (min_cut_two_nodes), which needs the placement to use
/// at most one remote node; otherwise the planner throws eosdnn::error (validation).
struct ionn_planner {
    double penalty_decay = 0.8;  ///< IONN's K, in (0, 1)
    double stop_k = 0.999;       ///< last level: the first with k above this, in (0, 1)

    /// "ionn": the planner name recorded in upload_plan::planner.
    std::string_view name() const noexcept { return "ionn"; }

    /// The IONN plan for uploading `problem`'s placement. Throws eosdnn::error (validation) if
    /// penalty_decay or stop_k is outside (0, 1), or a DAG's placement uses more than one remote
    /// node.
    template <upload_cost_model Model>
    upload_plan plan(const upload_problem<Model>& problem) const {
        constexpr std::string_view where = "ionn_planner";
        if (!(penalty_decay > 0 && penalty_decay < 1))
            detail::upload::fail(where, "penalty_decay (K) is " + std::to_string(penalty_decay) +
                                            " (must be in (0, 1))");
        if (!(stop_k > 0 && stop_k < 1))
            detail::upload::fail(where,
                                 "stop_k is " + std::to_string(stop_k) + " (must be in (0, 1))");
        const effective_delay<Model>& q = problem.delay();
        const layer_graph& graph = problem.graph();
        const Model& model = problem.model();
        const auto x = problem.placement();
        const node_id device = problem.device();
        std::optional<node_id> remote;
        for (layer_id j = 0; j < x.size(); ++j) {
            if (x[j] == device) continue;
            if (!graph.is_chain() && remote && *remote != x[j])
                detail::upload::fail(where, "the placement of DAG model '" + graph.name() +
                                                "' uses two remote nodes; IONN's minimum cut "
                                                "plans for one server");
            remote = x[j];
        }
        std::vector<std::optional<node_id>> pins(graph.size());
        for (layer_id j = 0; j < x.size(); ++j)
            if (x[j] == device) pins[j] = device;

        std::vector<std::uint8_t> uploaded(graph.size(), 0);
        std::size_t missing = 0;  // remote layers of the target not yet in a step
        for (layer_id j = 0; j < x.size(); ++j) missing += x[j] != device;
        std::vector<upload_partition> steps;
        auto add_step = [&](auto&& is_new) {
            for (node_id s = 0; s < model.env().size(); ++s) {
                if (s == device) continue;
                upload_partition part{.node = s};
                for (std::size_t p = 0; p < q.size(); ++p) {
                    const layer_id j = q.layer_at(p);
                    if (!uploaded[j] && x[j] == s && is_new(j)) part.layers.push_back(j);
                }
                for (layer_id j : part.layers) uploaded[j] = 1;
                missing -= part.layers.size();
                if (!part.layers.empty()) steps.push_back(std::move(part));
            }
        };
        if (remote) {
            for (int level = 0;; ++level) {
                const double k = 1 - std::pow(penalty_decay, level);
                const detail::upload::penalised_model<Model> penalised(model, device, 1 - k);
                std::vector<node_id> y =
                    graph.is_chain()
                        ? detail::upload::two_choice_chain(graph, penalised, x, device)
                        : min_cut_two_nodes(graph, penalised, device, *remote, pins).placement;
                add_step([&](layer_id j) { return y[j] != device; });
                // Once every remote layer is in a step, later levels cannot add one: each
                // minimum cut is O(n) or more, so a wide model skips them.
                if (k > stop_k || missing == 0) break;
            }
            add_step([](layer_id) { return true; });
        }
        return finish_plan(std::string(name()), q, upload_units{}, std::move(steps));
    }
};

}  // namespace eosdnn
