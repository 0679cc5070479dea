#pragma once
/// \file sequential_delay.hpp
/// The sequential migration delay of docs/model.md, written once. Every part of eosdnn that
/// prices a placement this way calls sequential_delay_parts(): the evaluators, the exact solvers
/// (through the evaluators) and the uploading planners (for the effective placement during an
/// upload); incremental_dag re-prices its per-layer terms, sequential_layer_parts(), and keeps
/// their sums in the same order; sequential_delay() is the same formula for a graph and a cost
/// model directly.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/detail/pairwise_sum.hpp>
#include <eosdnn/cost/detail/tables.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#if defined(__GNUC__)
/// Inlined into the loop of the full pass even where the compiler would not (a call per layer
/// costs the full pass half its speed).
#define EOSDNN_ALWAYS_INLINE [[gnu::always_inline]] inline
#else
/// Without GCC's attribute (other compilers): a plain inline function.
#define EOSDNN_ALWAYS_INLINE inline
#endif

namespace eosdnn {
namespace detail {

/// Seconds to send `bytes` from node `from` to the nodes that run `consumers`: once to each
/// distinct other node, however many consumers sit there (they share the copy sent there).
/// Sends that start or end at `device` are also added to `device_part`. Nodes below 64 are
/// remembered in a bit mask, so the common case is one pass without scratch memory.
template <class NodeOf, class Transfer>
double send_time(std::span<const layer_id> consumers, node_id from, double bytes, node_id device,
                 const NodeOf& node_of, const Transfer& transfer, double& device_part) noexcept {
    std::uint64_t served = 0;
    double total = 0;
    for (std::size_t a = 0; a < consumers.size(); ++a) {
        const node_id to = node_of(consumers[a]);
        if (to == from) continue;
        if (to < 64) {
            const std::uint64_t bit = std::uint64_t{1} << to;
            if (served & bit) continue;
            served |= bit;
        } else {
            bool sent = false;
            for (std::size_t b = 0; b < a && !sent; ++b) sent = node_of(consumers[b]) == to;
            if (sent) continue;
        }
        const double t = transfer(bytes, from, to);
        total += t;
        if (from == device || to == device) device_part += t;
    }
    return total;
}

/// The sequential delay of one task and the device's share of it, which the energy term needs.
struct sequential_parts {
    double delay_s = 0;            ///< every compute and transfer time of the task, added up
    double device_compute_s = 0;   ///< compute time on the task's device
    double device_transfer_s = 0;  ///< transfers that start or end at the device
};

/// The term of layer `g` in the formula below: its compute time, the sends of its output to the
/// other nodes of its consumers, the model input if `g` is the task's input layer and the
/// return of the result if it is the output layer, added in that order; and the device's share
/// of them. It reads the genes of `g` and of its consumers only, so a change of gene g changes
/// the terms of `g` and of its producers, nothing else (incremental_dag relies on it).
template <class NodeOf, class Compute, class Transfer>
EOSDNN_ALWAYS_INLINE sequential_parts sequential_layer_parts(const layer_table& layers,
                                                             const task_span& task, layer_id g,
                                                             const NodeOf& node_of,
                                                             const Compute& compute,
                                                             const Transfer& transfer) noexcept {
    const node_id device = task.device;
    const node_id here = node_of(g);
    sequential_parts p;
    const double c = compute(g, here);
    p.delay_s += c;  // from +0.0, so a compute time of -0.0 gives +0.0
    if (here == device) p.device_compute_s = c;
    p.delay_s += send_time(layers.successors(g), here, layers.output_bytes[g], device, node_of,
                           transfer, p.device_transfer_s);
    if (g == task.input) {
        const double in = transfer(task.input_bytes, device, here);
        p.delay_s += in;
        p.device_transfer_s += in;
    }
    if (g == task.output) {
        const double back = transfer(layers.output_bytes[g], here, device);
        p.delay_s += back;
        p.device_transfer_s += back;
    }
    return p;
}

/// The formula (docs/model.md, "Migration delay"): for the task's layers placed by `node_of`,
///
///     T = tr(input_bytes, d, x_in) + tr(o_out, x_out, d)
///       + sum_j [ t_j(x_j) + sum_{s in consumer nodes of j, s != x_j} tr(o_j, x_j, s) ]
///
/// `compute(j, s)` is t_j(s) and `transfer(bytes, from, to)` is tr (0 on one node). T is the sum
/// of the per-layer terms of sequential_layer_parts() (the input and return transfers belong to
/// the input and output layers' terms), in layer_id order, added pairwise (pairwise_sum.hpp):
/// every caller gets the same value to the last bit, and incremental_dag, which keeps the same
/// pairwise sums, gets it too after re-pricing only the terms a change touches.
///
/// With `Device` false the device's shares are left at 0 (they cost the pass a third of its time
/// and only the energy term reads them).
template <bool Device = true, class NodeOf, class Compute, class Transfer>
sequential_parts sequential_delay_parts(const layer_table& layers, const task_span& task,
                                        const NodeOf& node_of, const Compute& compute,
                                        const Transfer& transfer) noexcept {
    pairwise_cascade<3> sums;
    for (layer_id start = task.first; start < task.last; start += pairwise_block) {
        // One block of terms; the zeros pad the last one (pairwise_sum.hpp).
        std::array<double, pairwise_block> delay{}, device_compute{}, device_transfer{};
        const layer_id end = std::min<layer_id>(start + pairwise_block, task.last);
        for (layer_id g = start; g < end; ++g) {
            const sequential_parts p =
                sequential_layer_parts(layers, task, g, node_of, compute, transfer);
            delay[g - start] = p.delay_s;
            if constexpr (Device) {
                device_compute[g - start] = p.device_compute_s;
                device_transfer[g - start] = p.device_transfer_s;
            }
        }
        if constexpr (Device)
            sums.add({block_sum(delay.data()), block_sum(device_compute.data()),
                      block_sum(device_transfer.data())});
        else
            sums.add({block_sum(delay.data()), 0.0, 0.0});
    }
    const auto total = sums.total();
    return {.delay_s = total[0], .device_compute_s = total[1], .device_transfer_s = total[2]};
}

/// sequential_delay_parts() of placement `x` with the times read from an evaluator's tables
/// (a layer_node_table and a link_table, or their views).
template <bool Device = true, class Compute, class Links>
sequential_parts sequential_delay_parts(std::span<const node_id> x, const task_span& task,
                                        const layer_table& layers, const Compute& compute,
                                        const Links& links) noexcept {
    return sequential_delay_parts<Device>(
        layers, task, [x](layer_id g) { return x[g]; },
        [&compute](layer_id g, node_id s) { return compute.unchecked(g, s); },
        [&links](double bytes, node_id from, node_id to) { return links.time(bytes, from, to); });
}

/// sequential_layer_parts() of layer `g` of placement `x` with the times read from an
/// evaluator's tables, as the overload above reads them.
template <class Compute, class Links>
sequential_parts sequential_layer_parts(std::span<const node_id> x, const task_span& task,
                                        const layer_table& layers, layer_id g,
                                        const Compute& compute, const Links& links) noexcept {
    return sequential_layer_parts(
        layers, task, g, [x](layer_id j) { return x[j]; },
        [&compute](layer_id j, node_id s) { return compute.unchecked(j, s); },
        [&links](double bytes, node_id from, node_id to) { return links.time(bytes, from, to); });
}

/// Device energy of one query: compute power while the device computes, transmit power while
/// data leaves or reaches it, idle power for the rest of the delay.
inline double device_energy(const power_profile& p, double delay, double compute,
                            double transmit) noexcept {
    return p.compute_w * compute + p.transmit_w * transmit +
           p.idle_w * std::max(0.0, delay - compute - transmit);
}

}  // namespace detail

/// The sequential migration delay of placement `x` (indexed by layer_id) of `graph` owned by
/// `device`, priced by `model` directly: detail::sequential_delay_parts() with the model's
/// compute_time and transfer_time. For one placement; to price many, use delay_evaluator, which
/// reads the same times from tables. Throws eosdnn::error (validation) if `device` or a gene is
/// outside the environment or `x` has the wrong size.
template <cost_model Model>
double sequential_delay(const layer_graph& graph, const Model& model, std::span<const node_id> x,
                        node_id device = 0) {
    constexpr std::string_view where = "sequential_delay";
    const environment& env = model.env();
    if (device >= env.size())
        detail::fail_validation(where, "device " + detail::node_label(device) +
                                           " is out of range: the environment has " +
                                           std::to_string(env.size()) + " nodes");
    if (x.size() != graph.size())
        detail::fail_validation(where, "the placement has " + std::to_string(x.size()) +
                                           " genes but the model has " +
                                           std::to_string(graph.size()) + " layers");
    for (layer_id j = 0; j < x.size(); ++j)
        if (x[j] >= env.size())
            detail::fail_validation(where, detail::layer_label(j, graph[j].name) +
                                               " is placed on " + detail::node_label(x[j]) +
                                               ", outside the environment of " +
                                               std::to_string(env.size()) + " nodes");
    detail::layer_table layers;
    layers.append(graph);
    const detail::task_span task{.device = device,
                                 .first = 0,
                                 .last = graph.size(),
                                 .input = graph.input(),
                                 .output = graph.output(),
                                 .input_bytes = graph.input_bytes()};
    return detail::sequential_delay_parts(
               layers, task, [&](layer_id j) { return x[j]; },
               [&](layer_id j, node_id s) { return model.compute_time(graph[j], s); },
               [&](double bytes, node_id from, node_id to) {
                   return from == to ? 0.0 : model.transfer_time(bytes, from, to);
               })
        .delay_s;
}

}  // namespace eosdnn
