#pragma once
/// \file task_simulation.hpp
/// Several devices upload their models to shared edge and cloud nodes at the same time, each
/// running its own closed loop of queries: a discrete-event simulation in which the queries of
/// all tasks are list-scheduled together on the nodes they share (docs/uploading.md, "Several
/// tasks"). With one task, or tasks that share no node, each task's timeline is that of
/// simulate_queries() on a chain (on a DAG the two differ by their query model: see
/// simulate_tasks()). With the shared uplink (uplink_sharing::queries_first) each task's queries
/// pause its own upload, at the times the joint schedule gives their transfers.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/upload/query_simulation.hpp>
#include <eosdnn/upload/upload_plan.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eosdnn {

/// One task of simulate_tasks(): a device's model and the plan it uploads it by.
struct upload_task {
    layer_graph graph;  ///< the task's model
    /// Its uploading plan, made by any planner for this task alone; plan.device is the task's
    /// device and plan.placement its target placement.
    upload_plan plan;
};

/// The numbers of simulate_tasks() over all tasks.
struct task_set_metrics {
    /// Sum over the tasks of their queries completed during their own upload.
    std::size_t queries_during_upload = 0;
    /// The same divided by the number of tasks.
    double mean_queries_during_upload = 0;
    /// Mean over the tasks of their mean latency during the upload (the tasks that issued a
    /// query in their counting window; NaN if none did).
    double mean_latency_during_upload_s = std::numeric_limits<double>::quiet_NaN();
    /// When the last task's upload ends (its last acknowledgement).
    double upload_s = 0;
};

/// The output of simulate_tasks().
struct task_simulation_result {
    /// Per task, in input order, its timeline together with the others: its uploads (as alone
    /// with the separate uplink; paused by its own queries' transfers, as scheduled together,
    /// with the shared one), its queries (contended), its step latencies alone (what the
    /// remote choice is made by) and its metrics (see simulate_tasks() for which of them the
    /// contention changes).
    std::vector<simulation_result> tasks{};
    /// Per task, its metrics in this simulation with no other task: the baseline the
    /// contention is measured against (simulate_queries()'s metrics on a chain; on a DAG the
    /// list schedule's, see simulate_tasks()).
    std::vector<upload_metrics> alone{};
    /// Sums and means over the tasks of `tasks`' metrics.
    task_set_metrics aggregate{};
};

namespace detail::upload {

/// The state of one task in simulate_tasks(): its tables, its upload timeline alone and its
/// query in flight.
struct task_state {
    const layer_graph* graph = nullptr;
    node_id device = 0;
    std::vector<node_id> target{};         // plan.placement
    std::vector<std::size_t> partition{};  // of each layer: its index in the plan, or parts
    std::vector<double> t_device{}, t_target{};
    std::vector<std::size_t> remote{}, chosen{};  // per prefix: remote layers, prefix run
    simulation_result timeline{};  // simulate_queries() alone, then its queries together
    std::vector<double> upload{}, overhead{};  // per partition, for the counting window
    // The query in flight.
    std::vector<node_id> at{};     // its effective placement
    std::vector<double> finish{};  // per layer
    std::size_t next = 0;          // position of its next layer in the topological order
    double issued = 0, ready = 0;  // its issue time; when the next layer's inputs are there
    std::size_t acked = 0, after_end = 0;
    bool active = false;
    // Under uplink_sharing::queries_first: the task's upload as its queries' transfers pause it
    // (filling timeline.uploads as partitions load), and the transfers out of the device of its
    // query in flight, [from, to), applied when it completes: its next query is issued only
    // then, so every transfer that starts before that issue has been applied.
    std::optional<shared_upload> uplink{};
    std::vector<std::pair<double, double>> sends{};
    std::vector<node_id> served{};  // scratch of record_sends()
};

/// When task `t`'s upload ends: its last acknowledgement (0 without partitions); with a shared
/// uplink, infinity while a partition is still on its way.
inline double upload_end(const task_state& t) noexcept {
    if (t.uplink && !t.uplink->done()) return std::numeric_limits<double>::infinity();
    return t.timeline.uploads.empty() ? 0.0 : t.timeline.uploads.back().acknowledged_s;
}

/// Seconds to move `bytes` between two nodes: 0 on one node, else the model's transfer time
/// (effective_delay's rule, so that one task prices exactly as simulate_queries() does).
template <cost_model Model>
double task_transfer(const Model& model, double bytes, node_id from, node_id to) {
    return from == to ? 0.0 : model.transfer_time(bytes, from, to);
}

/// When layer `j` of task `t`'s query in flight has all its inputs on its node: the model input
/// from the device for the input layer, each predecessor's output over its link (links are not
/// contended, as in list_schedule).
template <cost_model Model>
double layer_ready(const task_state& t, const Model& model, layer_id j) {
    const layer_graph& g = *t.graph;
    double at = t.issued;
    if (j == g.input()) at += task_transfer(model, g.input_bytes(), t.device, t.at[j]);
    for (layer_id p : g.predecessors(j))
        at = std::max(at, t.finish[p] + task_transfer(model, g[p].output_bytes, t.at[p], t.at[j]));
    return at;
}

/// Issues task `t`'s next query at time `a` if its closed loop goes on (simulate_steps()'s
/// rule: before its upload's end, then horizon_queries more), with the placement of the prefix
/// the remote choice picks among the acknowledged ones.
template <cost_model Model>
void issue_query(task_state& t, const Model& model, const simulation_options& options, double a,
                 std::size_t index) {
    // The acknowledgements by `a`: every transfer of the task's earlier queries (all of those
    // that start before `a`) has been applied to its upload.
    if (t.uplink) t.uplink->complete_until(a);
    const std::vector<upload_event>& uploads = t.timeline.uploads;
    const double end = upload_end(t);
    t.active = a < end || t.after_end < options.horizon_queries;
    if (!t.active) return;
    if (t.timeline.queries.size() == options.max_queries)
        detail::fail_validation(
            "simulate_tasks", "task " + std::to_string(index) + " issues more than max_queries = " +
                                  std::to_string(options.max_queries) +
                                  " queries; raise the limit or shorten the horizon" +
                                  (t.uplink ? " (or the queries' uplink transfers leave the "
                                              "upload no time)"
                                            : ""));
    while (t.acked < uploads.size() && uploads[t.acked].acknowledged_s <= a) ++t.acked;
    const std::size_t prefix = t.chosen[t.acked];
    for (layer_id j = 0; j < t.at.size(); ++j)
        t.at[j] = t.partition[j] < prefix ? t.target[j] : t.device;
    t.timeline.queries.push_back(
        {.start_s = a, .remote_layers = t.remote[prefix], .acknowledged = t.acked});
    if (a >= end) ++t.after_end;
    t.issued = a;
    t.next = 0;
    t.ready = layer_ready(t, model, t.graph->topological_order()[0]);
    const layer_id in = t.graph->input();
    if (t.uplink && t.at[in] != t.device)  // the model input leaves the device at the issue
        t.sends.emplace_back(a,
                             a + task_transfer(model, t.graph->input_bytes(), t.device, t.at[in]));
}

/// Under a shared uplink: layer `j` of task `t`'s query has just been dispatched; if it ran on
/// the device, its output leaves over the uplink at its finish, once to each other node hosting
/// a consumer (effective_delay::uplink_sends()' transfers; all at once, as links are not
/// contended in the list schedule, so they pause the upload for the longest of them).
template <cost_model Model>
void record_sends(task_state& t, const Model& model, layer_id j) {
    if (!t.uplink || t.at[j] != t.device) return;
    const layer_graph& g = *t.graph;
    t.served.clear();
    for (layer_id c : g.successors(j)) {
        const node_id to = t.at[c];
        if (to == t.device || std::find(t.served.begin(), t.served.end(), to) != t.served.end())
            continue;
        t.served.push_back(to);
        t.sends.emplace_back(t.finish[j],
                             t.finish[j] + task_transfer(model, g[j].output_bytes, t.device, to));
    }
}

/// Under a shared uplink: task `t`'s query ended at `end`; its transfers pause its upload, in
/// the order they start (each clipped to the query, as simulate_steps() clips them).
inline void apply_sends(task_state& t, double end) {
    if (!t.uplink) return;
    std::stable_sort(t.sends.begin(), t.sends.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [from, to] : t.sends) t.uplink->busy(std::min(from, end), std::min(to, end));
    t.sends.clear();
}

}  // namespace detail::upload

/// Simulates several tasks that upload at the same time and share the edge and cloud nodes.
///
/// Each task uploads its plan's partitions one after another over its own device's links,
/// timed exactly as simulate_queries() times them (per-partition overhead, acknowledgement
/// latency). With uplink_sharing::separate uploads do not contend with each other nor with
/// queries, even when two tasks name the same device. With uplink_sharing::queries_first each
/// task's uplink carries its upload and its own queries' transfers out of its device, queries
/// first, as in simulate_queries() (docs/uploading.md, "Shared uplink across tasks"): the model
/// input when a query is issued, if its input layer is remote, and the output of each layer run
/// on the device when it finishes in the joint schedule, once to each other node hosting a
/// consumer (at once: they pause the upload for the longest). A query's transfers are applied to
/// its task's upload when it completes, before the next query is issued, so the
/// acknowledgements a query may use are exact. Two tasks on one device have one uplink each (as
/// with the separate uplink, and as links are never contended here). Each task runs its own
/// closed loop of queries from time 0 (or from its first acknowledgement under
/// first_query_policy::wait), the next issued when the previous one's
/// result is back on its device, until its own upload ends and then horizon_queries more. A query
/// runs with the placement of the prefix of its plan that simulation_options::choice picks among
/// those acknowledged when it is issued, judged by the task's latencies alone (step_latencies(),
/// the sequential model), as simulate_queries() does.
///
/// The layers of all queries in flight are list-scheduled on the nodes (cost/list_schedule.hpp's
/// semantics): each query dispatches its layers in its model's topological order; a layer starts
/// when every input has reached its node (a predecessor's output over the link, the model input
/// from the device) and its node is free, one layer at a time per node; the result returns to the
/// device over the link. Transfers take the cost model's time and links are not contended, as in
/// list_schedule. Devices are nodes like the others: two tasks on one device contend for it.
/// Order: at each step the layer that can start earliest goes; at equal start (layers waiting
/// for one node) the one whose inputs arrived first (first come, first served), then the lower
/// task index. list_schedule breaks ties by task index alone; here that would let task 0 jump
/// every queue of a busy server for the whole upload.
///
/// Query model: a query's latency is its completion minus its issue. On a chain this equals
/// the sequential delay simulate_queries() uses (up to the order of the additions), so one task
/// alone, or tasks that share no node, have simulate_queries()'s timeline. On a DAG the list
/// schedule runs parallel branches on different nodes at once, so a task alone is never slower
/// than simulate_queries() says, and usually faster; the remote choice still uses the
/// sequential latencies.
///
/// Metrics per task: queries_during_upload, mean_latency_during_upload_s and first_offloaded_s
/// come from its contended queries, over simulate_queries()' counting window; partitions,
/// initial_latency_s and final_latency_s are its own alone (the step curve does not depend on
/// the other tasks), and so are upload_s and latency_area_s2 with the separate uplink (with the
/// shared one they follow the upload as its queries, scheduled together, paused it). Cost:
/// O(tasks) per layer dispatched (plus the transfers with the shared uplink), and once more each
/// task alone for task_simulation_result::alone.
///
/// Throws eosdnn::error (validation), naming the task, when there are no tasks, a task's model
/// has no layers, a plan does not fit its task (check_upload_plan(): a device out of range or
/// not local, a placement of the wrong size, ...), a compute time is not finite and >= 0, an
/// option is out of range, or a task issues more than max_queries queries.
template <upload_cost_model Model>
task_simulation_result simulate_tasks(std::span<const upload_task> tasks, const Model& model,
                                      const simulation_options& options = {}) {
    constexpr std::string_view where = "simulate_tasks";
    if (tasks.empty()) detail::fail_validation(where, "there are no tasks");
    const bool shared = options.uplink == uplink_sharing::queries_first;
    // What each task is checked and its step latencies computed with: its own simulation with
    // the separate uplink, whose uploads are the task's under that uplink (under the shared one
    // they are simulated below, as the queries' transfers happen).
    simulation_options own = options;
    own.uplink = uplink_sharing::separate;
    std::vector<detail::upload::task_state> state(tasks.size());
    task_simulation_result result;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        const std::string task = "task " + std::to_string(i);
        const layer_graph& g = tasks[i].graph;
        const upload_plan& plan = tasks[i].plan;
        if (g.size() == 0) detail::fail_validation(where, task + ": its model has no layers");
        detail::upload::task_state& t = state[i];
        try {
            // The single-task simulation's own steps: the same upload timeline and the same
            // step latencies (it checks the plan against the task's model).
            t.timeline = simulate_queries(g, model, plan, own);
        } catch (const error& e) {  // the same error, told which task it is about
            throw error(e.kind(), std::string(where) + ": " + task + ": " + e.what());
        }
        t.graph = &g;
        t.device = plan.device;
        t.target = plan.placement;
        const std::size_t parts = plan.partitions.size();
        t.partition.assign(g.size(), parts);
        for (std::size_t k = 0; k < parts; ++k) {
            for (layer_id j : plan.partitions[k].layers) t.partition[j] = k;
            t.upload.push_back(plan.partitions[k].upload_s);
            t.overhead.push_back(plan.partitions[k].overhead_s);
        }
        std::vector<double> latency;
        step_latencies(g, model, plan, latency, t.remote);
        t.chosen.resize(parts + 1);
        detail::upload::apply_remote_choice(options.choice, latency, t.chosen);
        t.t_device.resize(g.size());
        t.t_target.resize(g.size());
        for (layer_id j = 0; j < g.size(); ++j) {
            t.t_device[j] = model.compute_time(g[j], t.device);
            t.t_target[j] =
                t.target[j] == t.device ? t.t_device[j] : model.compute_time(g[j], t.target[j]);
            if (!std::isfinite(t.t_device[j]) || t.t_device[j] < 0 ||
                !std::isfinite(t.t_target[j]) || t.t_target[j] < 0)
                detail::fail_validation(where, task + ": the compute time of " +
                                                   detail::layer_label(g, j) +
                                                   " is not finite and >= 0");
        }
        t.at.assign(g.size(), t.device);
        t.finish.assign(g.size(), 0.0);
        t.timeline.queries.clear();  // from here on: the queries together
        if (shared) {
            t.timeline.uploads.clear();
            t.uplink.emplace(t.upload, options.ack_latency_s, t.timeline.uploads);
        }
    }

    for (std::size_t i = 0; i < state.size(); ++i) {
        detail::upload::task_state& t = state[i];
        const bool wait = options.first_query == first_query_policy::wait && !t.upload.empty();
        // No query before the first acknowledgement: nothing pauses the first partition.
        if (wait && t.uplink) t.uplink->complete_until(t.upload.front());
        detail::upload::issue_query(t, model, options,
                                    wait ? t.timeline.uploads.front().acknowledged_s : 0.0, i);
    }
    std::vector<double> free_at(model.env().size(), 0.0);  // when each node is next free
    for (;;) {
        std::size_t best = state.size();
        double best_start = 0;
        for (std::size_t i = 0; i < state.size(); ++i) {
            const detail::upload::task_state& t = state[i];
            if (!t.active) continue;
            const node_id s = t.at[t.graph->topological_order()[t.next]];
            const double start = std::max(t.ready, free_at[s]);
            if (best == state.size() || start < best_start ||
                (start == best_start && t.ready < state[best].ready)) {
                best = i;
                best_start = start;
            }
        }
        if (best == state.size()) break;
        detail::upload::task_state& t = state[best];
        const layer_graph& g = *t.graph;
        const layer_id j = g.topological_order()[t.next];
        const node_id s = t.at[j];
        t.finish[j] = best_start + (s == t.device ? t.t_device[j] : t.t_target[j]);
        free_at[s] = t.finish[j];
        detail::upload::record_sends(t, model, j);
        if (++t.next < g.size()) {
            t.ready = detail::upload::layer_ready(t, model, g.topological_order()[t.next]);
            continue;
        }
        const layer_id out = g.output();
        query_record& q = t.timeline.queries.back();
        q.end_s = t.finish[out] +
                  detail::upload::task_transfer(model, g[out].output_bytes, t.at[out], t.device);
        q.latency_s = q.end_s - q.start_s;
        detail::upload::apply_sends(t, q.end_s);
        detail::upload::issue_query(t, model, options, q.end_s, best);
    }

    task_set_metrics& all = result.aggregate;
    double latency_sum = 0;
    std::size_t with_latency = 0;
    for (detail::upload::task_state& t : state) {
        // query_simulation.hpp's own metrics of the timeline: the same counting window and
        // sums. The latency area and the initial and final latencies come from the step curve
        // alone: contention does not change which prefix is acknowledged when.
        t.timeline.metrics = upload_metrics{};
        detail::upload::fill_metrics(t.timeline, options, t.upload, t.overhead);
        const upload_metrics& m = t.timeline.metrics;
        all.queries_during_upload += m.queries_during_upload;
        all.upload_s = std::max(all.upload_s, m.upload_s);
        if (!std::isnan(m.mean_latency_during_upload_s)) {
            latency_sum += m.mean_latency_during_upload_s;
            ++with_latency;
        }
        result.tasks.push_back(std::move(t.timeline));
    }
    all.mean_queries_during_upload =
        static_cast<double>(all.queries_during_upload) / static_cast<double>(state.size());
    // Each task alone, the baseline: the same simulation on that task only.
    for (std::size_t i = 0; i < tasks.size(); ++i)
        result.alone.push_back(tasks.size() == 1
                                   ? result.tasks[0].metrics
                                   : simulate_tasks(tasks.subspan(i, 1), model, options).alone[0]);
    if (with_latency)
        all.mean_latency_during_upload_s = latency_sum / static_cast<double>(with_latency);
    return result;
}

/// The same for a vector of tasks.
template <upload_cost_model Model>
task_simulation_result simulate_tasks(const std::vector<upload_task>& tasks, const Model& model,
                                      const simulation_options& options = {}) {
    return simulate_tasks(std::span<const upload_task>(tasks), model, options);
}

}  // namespace eosdnn
