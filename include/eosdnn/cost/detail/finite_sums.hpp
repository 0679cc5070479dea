#pragma once
/// \file finite_sums.hpp
/// The check an evaluator runs when it is built: that no placement of a task can have a delay
/// (or upload time) past the largest double. Each layer's figures are finite (the builders check
/// them), but their sums may not be: 1e300 bytes over a 5 MB/s link, or 1e305 s per layer, add
/// up to infinity, and a plan priced "inf ms" is then compared and reported as if it meant
/// something. The bound is the sequential model's worst case, every layer on its slowest node
/// and every output over the slowest link, which bounds the other schedules too.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace eosdnn::detail {

/// The slowest figures of the links a task may use: the largest latency and the largest seconds
/// per byte, with the link that has the latter (for messages).
struct slowest_links {
    double latency_s = 0;
    double seconds_per_byte = 0;
    node_id from = 0, to = 0;

    /// Takes in the link `from` -> `to` as `model` prices it (latency + bytes x seconds per
    /// byte, which the evaluators check), unless the two nodes have no link.
    template <cost_model Model>
    void add(const Model& model, node_id a, node_id b) {
        constexpr double probe = 1e6;
        const double fixed = model.transfer_time(0.0, a, b);
        if (!std::isfinite(fixed)) return;  // no link: no transfer ever uses it
        const double per_byte = (model.transfer_time(probe, a, b) - fixed) / probe;
        latency_s = std::max(latency_s, fixed);
        if (per_byte > seconds_per_byte) seconds_per_byte = per_byte, from = a, to = b;
    }
};

/// The edge and cloud nodes of `env`, which every task may use.
inline std::vector<node_id> server_nodes(const environment& env) {
    std::vector<node_id> out;
    for (node_id s = 0; s < env.size(); ++s)
        if (env[s].tier != tier::local) out.push_back(s);
    return out;
}

/// The links among `servers`: the same for every task.
template <cost_model Model>
slowest_links links_among(const Model& model, const std::vector<node_id>& servers) {
    slowest_links worst;
    for (node_id a : servers)
        for (node_id b : servers)
            if (a != b) worst.add(model, a, b);
    return worst;
}

/// The worst-case delay (plus upload time, for an upload_cost_model) of task `g` on `device`:
/// the sum of each layer's largest compute time over the nodes it may use, of every transfer at
/// the slowest link's figures and of each layer's largest upload time. Throws eosdnn::error
/// (validation), starting with `who` and naming the model (`task`: "task 1: " or "") and, when
/// the overflow comes from bytes over links, the link, if a part or the whole is not finite.
template <cost_model Model>
double worst_case_seconds(std::string_view who, const std::string& task, const layer_graph& g,
                          const Model& model, node_id device, const std::vector<node_id>& servers,
                          slowest_links links) {
    const environment& env = model.env();
    const std::string head =
        std::string(who) + ": " + task + "model '" + printable(g.name()) + "': ";
    const std::string largest = format_number(std::numeric_limits<double>::max());
    const auto fail = [&](const std::string& what) {
        throw error(error_kind::validation, head + what);
    };
    for (node_id s : servers) links.add(model, device, s), links.add(model, s, device);

    double compute = 0, bytes = g.input_bytes() + g[g.output()].output_bytes, upload = 0;
    double slowest_layer = 0;
    layer_id slow_layer = 0;
    node_id slow_node = device;
    std::size_t transfers = 2;
    for (layer_id j = 0; j < g.size(); ++j) {
        double worst = model.compute_time(g[j], device);
        node_id where = device;
        for (node_id s : servers)
            if (const double t = model.compute_time(g[j], s); !(t <= worst)) worst = t, where = s;
        compute += worst;
        if (!(worst <= slowest_layer)) slowest_layer = worst, slow_layer = j, slow_node = where;
        const std::size_t consumers = g.successors(j).size();
        bytes += static_cast<double>(consumers) * g[j].output_bytes;
        transfers += consumers;
        if constexpr (upload_cost_model<Model>) {
            double worst_upload = 0;
            for (node_id s : servers)
                worst_upload = std::max(worst_upload, model.upload_time(g[j], device, s));
            upload += worst_upload;
        }
    }
    if (!std::isfinite(compute))
        fail("the compute times of its layers add up past the largest double (" + largest +
             " s): layer '" + printable(g[slow_layer].name) + "' alone takes " +
             format_number(slowest_layer) + " s on node '" + printable(env[slow_node].name) + "'");
    // Without a link (one node alone) nothing is transferred, whatever the bytes.
    const double latencies =
        links.latency_s > 0 ? static_cast<double>(transfers) * links.latency_s : 0.0;
    const double per_byte = links.seconds_per_byte > 0 ? bytes * links.seconds_per_byte : 0.0;
    const double transfer = latencies + per_byte;
    // Name the term that overflows: the latencies alone (any finite latency is allowed), or
    // the bytes over the slowest link.
    if (!std::isfinite(latencies))
        fail("on this environment, the latencies of its layers' " + std::to_string(transfers) +
             " transfers may add up past the largest double (" + largest +
             " s): a link has a latency of " + format_number(links.latency_s) + " s");
    if (!std::isfinite(transfer))
        fail(
            "on this environment, the transfers of its layers' outputs may add up past the "
            "largest double (" +
            largest + " s): " + format_number(bytes) + " bytes over the slowest link, '" +
            printable(env[links.from].name) + "' -> '" + printable(env[links.to].name) + "' (" +
            format_number(1 / links.seconds_per_byte) + " bytes/s, latency up to " +
            format_number(links.latency_s) + " s)");
    if (!std::isfinite(upload))
        fail("on this environment, the upload times of its parameters (" +
             format_number(g.total_param_bytes()) + " bytes) add up past the largest double (" +
             largest + " s)");
    const double total = compute + transfer + upload;
    if (!std::isfinite(total))
        fail("its compute (" + format_number(compute) + " s), transfer (" +
             format_number(transfer) + " s) and upload (" + format_number(upload) +
             " s) times may add up past the largest double (" + largest + " s)");
    return total;
}

/// Throws eosdnn::error (validation) if a placement of `g` on `device`, priced by `model`, may
/// have a delay or upload time past the largest double (worst_case_seconds says which).
template <cost_model Model>
void check_finite_sums(std::string_view who, const layer_graph& g, const Model& model,
                       node_id device) {
    const std::vector<node_id> servers = server_nodes(model.env());
    (void)worst_case_seconds(who, "", g, model, device, servers, links_among(model, servers));
}

/// The same for several tasks (anything with `.graph` and `.device`, as dnn_task), and for their
/// sum, which the aggregates (mean, makespan, sum) never exceed.
template <cost_model Model, class Tasks>
void check_finite_task_sums(std::string_view who, const Tasks& tasks, const Model& model) {
    const std::vector<node_id> servers = server_nodes(model.env());
    const slowest_links among = links_among(model, servers);
    double sum = 0;
    std::size_t k = 0;
    for (const auto& t : tasks)
        sum += worst_case_seconds(who, "task " + std::to_string(k++) + ": ", t.graph, model,
                                  t.device, servers, among);
    if (!std::isfinite(sum))
        throw error(error_kind::validation,
                    std::string(who) + ": the worst-case delays of its " + std::to_string(k) +
                        " tasks add up past the largest double (" +
                        format_number(std::numeric_limits<double>::max()) + " s)");
}

}  // namespace eosdnn::detail
