#pragma once
/// \file query_simulation.hpp
/// A discrete-event simulation of one device that uploads the partitions of an upload_plan one
/// after another over its uplink while it issues closed-loop queries, each query running with the
/// effective placement at its start. Returns the whole timeline and the metrics that compare
/// uploading plans.

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/upload/effective_delay.hpp>
#include <eosdnn/upload/upload_plan.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace eosdnn {

/// What the device does with its first query, before any partition has been acknowledged.
enum class first_query_policy {
    run_locally,  ///< issue it at time 0 and run it on the device (IONN's behaviour)
    wait,         ///< hold it until the first partition is acknowledged
};

/// Which acknowledged layers a query runs remotely.
enum class remote_choice {
    /// Every acknowledged layer runs on its target node, even when that is slower than the
    /// placement of an earlier step (the rule before issue 11).
    forced,
    /// A query runs with the fastest of the placements of the plan's prefixes acknowledged so
    /// far (nothing, the first partition, the first two, ...): each of them is available, so
    /// the latency after k acknowledgements is min(Q(U_0), ..., Q(U_k)) and never rises.
    fastest_prefix,
};

/// Until when queries_during_upload counts completed queries.
enum class count_window {
    /// Until the upload would end without the partitions' overheads: the sum of the bytes'
    /// (and loads') times plus the acknowledgement latency, the same for every plan of one
    /// placement. So a plan cannot complete more queries, nor lower its mean latency, by
    /// lengthening its own upload with more partitions; with no overhead this is the upload's
    /// end. The mean latency and the latency area are taken over the same window.
    bytes_end,
    /// Until the plan's own last acknowledgement (the definition before per-partition
    /// overheads; it rewards splitting a plan when queries then gain the time an overhead adds).
    upload_end,
};

/// Whether the upload and the queries' own transfers share the device's uplink (docs/uploading.md,
/// "Shared uplink").
enum class uplink_sharing {
    /// Independent: the partitions go out back to back whatever the queries send (the model
    /// before issue 11, the default).
    separate,
    /// One uplink: every transfer of a query that leaves the device (to any node: the input sent
    /// to a remote layer, a device layer's output sent to a remote consumer) takes the uplink
    /// for its whole transfer time, the upload pauses meanwhile, and the partition in progress
    /// advances only while no query transfer is on the uplink. Queries are never delayed by the
    /// upload.
    queries_first,
};

/// One transfer of a query on the device's uplink: it occupies [start + offset_s, start +
/// offset_s + duration_s) for a query issued at `start`.
struct uplink_interval {
    double offset_s = 0;    ///< from the query's start to the transfer's start
    double duration_s = 0;  ///< the transfer's time, tr(bytes, device, node)
};

/// Options of simulate_queries().
struct simulation_options {
    /// Whether the first query runs locally at time 0 (the default) or waits for the first
    /// acknowledgement.
    first_query_policy first_query = first_query_policy::run_locally;
    /// How many queries to simulate once the upload has ended (those issued at or after its end).
    std::size_t horizon_queries = 0;
    /// Time from the end of a partition's load on the server until the device holds its
    /// acknowledgement (the "CR" message). The next partition's transmission does not wait for it.
    double ack_latency_s = 0;
    /// Which acknowledged layers a query runs remotely (the default: the fastest prefix).
    remote_choice choice = remote_choice::fastest_prefix;
    /// Until when queries_during_upload counts (the default: the bytes' end).
    count_window window = count_window::bytes_end;
    /// Whether the queries' transfers out of the device pause the upload (the default: no).
    uplink_sharing uplink = uplink_sharing::separate;
    /// Safety limit on the length of the timeline; exceeding it throws.
    std::size_t max_queries = 1'000'000;
};

namespace detail::upload {
/// The latency a query has after each prefix under `choice` (in place), and the prefix whose
/// placement it runs with: under fastest_prefix the running minimum (on a tie, the later
/// prefix), else each prefix itself.
inline void apply_remote_choice(remote_choice choice, std::span<double> latency,
                                std::span<std::size_t> chosen) noexcept {
    for (std::size_t k = 0; k < latency.size(); ++k) {
        chosen[k] = k;
        if (choice == remote_choice::fastest_prefix && k > 0 && latency[k - 1] < latency[k]) {
            latency[k] = latency[k - 1];
            chosen[k] = chosen[k - 1];
        }
    }
}
}  // namespace detail::upload

/// One partition's upload in the timeline.
struct upload_event {
    double sent_s = 0;          ///< its transmission starts
    double loaded_s = 0;        ///< received and loaded: sent_s + its upload time
    double acknowledged_s = 0;  ///< the device holds the acknowledgement: loaded_s + ack latency
};

/// One query in the timeline.
struct query_record {
    /// When it was issued, in seconds from the start of the upload.
    double start_s = 0;
    /// When it completed, in seconds from the start of the upload.
    double end_s = 0;
    double latency_s = 0;           ///< end_s - start_s
    std::size_t remote_layers = 0;  ///< layers that ran away from the device
    std::size_t acknowledged = 0;   ///< partitions acknowledged when it started
};

/// The numbers that compare uploading plans.
struct upload_metrics {
    std::size_t partitions = 0;  ///< number of partitions
    double upload_s = 0;         ///< total upload time: the last acknowledgement
    /// Queries completed by the end of the counting window (simulation_options::window): the
    /// end of the upload when partitions have no overhead.
    std::size_t queries_during_upload = 0;
    /// Mean latency of the queries issued before the end of the counting window (the upload's
    /// end without overheads; NaN if there are none).
    double mean_latency_during_upload_s = std::numeric_limits<double>::quiet_NaN();
    /// Start of the first query that runs at least one layer remotely (NaN if none in the
    /// timeline).
    double first_offloaded_s = std::numeric_limits<double>::quiet_NaN();
    /// Area under the latency curve during the upload: the integral over [0, upload_s] (over
    /// the counting window if it ends earlier) of the latency a query issued at t would have,
    /// i.e. sum_k Q(U_k) * (time U_k is in force). Independent of the closed-loop
    /// discretisation; smaller is better.
    double latency_area_s2 = 0;
    double initial_latency_s = 0;  ///< Q with nothing uploaded (all on the device)
    double final_latency_s = 0;    ///< Q with every partition acknowledged (under the choice)
};

/// The simulation's output.
struct simulation_result {
    std::vector<upload_event> uploads{};  ///< one per partition, in plan order
    std::vector<query_record> queries{};  ///< in issue order
    /// step_latency_s[k]: latency of a query issued with the first k partitions acknowledged,
    /// under the options' remote_choice (non-increasing in k under fastest_prefix).
    std::vector<double> step_latency_s{};
    /// The numbers computed from this timeline.
    upload_metrics metrics{};
};

namespace detail::upload {
// The metrics of a timeline whose uploads and queries are filled in (the counting window from
// the last acknowledgement and the overheads).
inline void fill_metrics(simulation_result& r, const simulation_options& options,
                         std::span<const double> upload_s, std::span<const double> overhead_s) {
    const std::size_t parts = upload_s.size();
    const double end = parts ? r.uploads.back().acknowledged_s : 0.0;
    // Queries completed by `window` count: the upload's end, or, under bytes_end with some
    // overhead, when the upload would end without the overheads (summed as the clock is, so
    // that without overheads it is the end to the last bit).
    double window = end;
    if (options.window == count_window::bytes_end &&
        std::any_of(overhead_s.begin(), overhead_s.end(), [](double o) { return o > 0; })) {
        double bytes = 0;
        for (std::size_t k = 0; k < parts; ++k) bytes += upload_s[k] - overhead_s[k];
        window = std::min(bytes + options.ack_latency_s, end);
    }

    upload_metrics& m = r.metrics;
    m.partitions = parts;
    m.upload_s = end;
    m.initial_latency_s = r.step_latency_s.front();
    m.final_latency_s = r.step_latency_s.back();
    double sum = 0;
    std::size_t issued = 0;
    for (const auto& query : r.queries) {
        if (query.end_s <= window && query.start_s < window) ++m.queries_during_upload;
        if (query.start_s < window) {
            sum += query.latency_s;
            ++issued;
        }
        if (query.remote_layers > 0 && std::isnan(m.first_offloaded_s))
            m.first_offloaded_s = query.start_s;
    }
    if (issued) m.mean_latency_during_upload_s = sum / static_cast<double>(issued);
    double previous = 0;
    for (std::size_t k = 0; k < parts; ++k) {
        const double until = std::min(r.uploads[k].acknowledged_s, window);
        m.latency_area_s2 += r.step_latency_s[k] * (until - previous);
        previous = until;
    }
}
}  // namespace detail::upload

/// The model-free core of the simulation: partition k takes upload_s[k] seconds on the uplink
/// (transmissions back to back); a query issued with k partitions acknowledged takes
/// latency_after[k] seconds (latency_after has one entry more than upload_s) and runs
/// remote_after[k] layers remotely; under remote_choice::fastest_prefix (the default) it takes the
/// fastest of latency_after[0..k] instead, with that prefix's remote count. A query issued exactly
/// when an acknowledgement arrives already uses it. Throws eosdnn::error (validation) for a
/// negative time or a non-positive latency.
inline simulation_result simulate_steps(std::span<const double> upload_s,
                                        std::span<const double> latency_after,
                                        std::span<const std::size_t> remote_after,
                                        const simulation_options& options,
                                        std::span<const double> overhead_s);

/// The same with no per-partition overhead in upload_s.
inline simulation_result simulate_steps(std::span<const double> upload_s,
                                        std::span<const double> latency_after,
                                        std::span<const std::size_t> remote_after,
                                        const simulation_options& options = {}) {
    return simulate_steps(upload_s, latency_after, remote_after, options, {});
}

/// The core with the uplink transfers of the queries: `uplink_after[k]` lists, in time order,
/// the transfers out of the device of a query that runs with the placement of the first k
/// partitions (one list per prefix, like latency_after; empty: no query ever uses the uplink).
/// Read only under uplink_sharing::queries_first, where each of them pauses the upload.
inline simulation_result simulate_steps(std::span<const double> upload_s,
                                        std::span<const double> latency_after,
                                        std::span<const std::size_t> remote_after,
                                        const simulation_options& options,
                                        std::span<const double> overhead_s,
                                        std::span<const std::vector<uplink_interval>> uplink_after);

/// The core with `overhead_s[k]`, the part of upload_s[k] that is partition k's overhead
/// (empty: none), which count_window::bytes_end leaves out of the counting window.
inline simulation_result simulate_steps(std::span<const double> upload_s,
                                        std::span<const double> latency_after,
                                        std::span<const std::size_t> remote_after,
                                        const simulation_options& options,
                                        std::span<const double> overhead_s) {
    return simulate_steps(upload_s, latency_after, remote_after, options, overhead_s, {});
}

namespace detail::upload {
// The upload, advanced as the query transfers arrive under uplink_sharing::queries_first (in
// time order): partition k is sent from `sent` and would be loaded at `finish` if no further
// query transfer came; a transfer that overlaps it pushes `finish` back by its length. With no
// transfer at all (the separate uplink) the times are a plain running sum: sent = the previous
// end, finish = sent + upload_s.
class shared_upload {
public:
    shared_upload(std::span<const double> upload_s, double ack_latency_s,
                  std::vector<upload_event>& events)
        : upload_(upload_s), ack_(ack_latency_s), events_(events) {
        if (!upload_.empty()) finish_ = upload_[0];
    }
    bool done() const noexcept { return next_ == upload_.size(); }
    // Loads every partition whose transmission ends by `t`: no query transfer starts before t
    // that has not been applied.
    void complete_until(double t) {
        while (next_ < upload_.size() && finish_ <= t) {
            events_.push_back(
                {.sent_s = sent_, .loaded_s = finish_, .acknowledged_s = finish_ + ack_});
            if (++next_ < upload_.size()) {
                sent_ = finish_;
                finish_ = sent_ + upload_[next_];
            }
        }
    }
    // A query transfer holds the uplink during [from, to).
    void busy(double from, double to) {
        from = std::max(from, last_busy_);  // in time order, never counted twice
        if (!(to > from)) return;
        last_busy_ = to;
        complete_until(from);
        if (done()) return;
        if (sent_ >= from) {
            // Its transmission has not begun: it begins when the uplink is free again.
            sent_ = to;
            finish_ = to + upload_[next_];
        } else {
            finish_ += to - from;
        }
    }

private:
    std::span<const double> upload_;
    double ack_;
    std::vector<upload_event>& events_;
    std::size_t next_ = 0;  // the partition on the uplink
    double sent_ = 0, finish_ = 0, last_busy_ = 0;
};
}  // namespace detail::upload

inline simulation_result simulate_steps(
    std::span<const double> upload_s, std::span<const double> latency_after,
    std::span<const std::size_t> remote_after, const simulation_options& options,
    std::span<const double> overhead_s,
    std::span<const std::vector<uplink_interval>> uplink_after) {
    constexpr std::string_view where = "simulate_queries";
    const std::size_t parts = upload_s.size();
    if (latency_after.size() != parts + 1 || remote_after.size() != parts + 1)
        detail::upload::fail(where, "expected " + std::to_string(parts + 1) +
                                        " step latencies and remote counts for " +
                                        std::to_string(parts) + " partitions");
    if (!(options.ack_latency_s >= 0) || !std::isfinite(options.ack_latency_s))
        detail::upload::fail(where, "ack_latency_s is " + std::to_string(options.ack_latency_s) +
                                        " (must be finite and >= 0)");
    for (std::size_t k = 0; k < parts; ++k)
        if (!(upload_s[k] >= 0) || !std::isfinite(upload_s[k]))
            detail::upload::fail(where, "partition #" + std::to_string(k) + " has upload time " +
                                            std::to_string(upload_s[k]) +
                                            " (must be finite and >= 0)");
    if (!overhead_s.empty() && overhead_s.size() != parts)
        detail::upload::fail(where, "expected " + std::to_string(parts) +
                                        " partition overheads, got " +
                                        std::to_string(overhead_s.size()));
    for (std::size_t k = 0; k < overhead_s.size(); ++k)
        if (!(overhead_s[k] >= 0) || !(overhead_s[k] <= upload_s[k]))
            detail::upload::fail(where, "partition #" + std::to_string(k) + " has overhead " +
                                            std::to_string(overhead_s[k]) +
                                            " (must be >= 0 and at most its upload time)");
    for (std::size_t k = 0; k <= parts; ++k)
        if (!(latency_after[k] > 0) || !std::isfinite(latency_after[k]))
            detail::upload::fail(where, "the query latency with " + std::to_string(k) +
                                            " partitions acknowledged is " +
                                            std::to_string(latency_after[k]) +
                                            " (must be finite and > 0)");

    const bool shared = options.uplink == uplink_sharing::queries_first;
    if (shared && !uplink_after.empty() && uplink_after.size() != parts + 1)
        detail::upload::fail(where, "expected " + std::to_string(parts + 1) +
                                        " lists of uplink transfers, got " +
                                        std::to_string(uplink_after.size()));
    if (shared)
        for (const auto& list : uplink_after)
            for (const uplink_interval& t : list)
                if (!(t.offset_s >= 0) || !(t.duration_s >= 0) || !std::isfinite(t.offset_s) ||
                    !std::isfinite(t.duration_s))
                    detail::upload::fail(where, "an uplink transfer at " +
                                                    std::to_string(t.offset_s) + " s lasts " +
                                                    std::to_string(t.duration_s) +
                                                    " s (both must be finite and >= 0)");

    simulation_result r;
    r.step_latency_s.assign(latency_after.begin(), latency_after.end());
    std::vector<std::size_t> chosen(parts + 1);
    detail::upload::apply_remote_choice(options.choice, r.step_latency_s, chosen);
    // The walk over queries: before a query starts, every transfer of the queries before it
    // has been applied to the upload, so the acknowledgements it can use are known. With a
    // separate uplink no transfer is applied, and shared_upload computes the times with the
    // same operations as a plain running sum (tested: the same bits).
    const std::span<const std::vector<uplink_interval>> sends =
        shared ? uplink_after : std::span<const std::vector<uplink_interval>>{};
    detail::upload::shared_upload uplink(upload_s, options.ack_latency_s, r.uploads);
    const auto end = [&] {
        if (!uplink.done()) return std::numeric_limits<double>::infinity();
        return parts ? r.uploads.back().acknowledged_s : 0.0;
    };
    double a = 0;
    if (options.first_query == first_query_policy::wait && parts) {
        uplink.complete_until(upload_s[0]);
        a = r.uploads.front().acknowledged_s;
    }
    std::size_t acked = 0, after_end = 0;
    for (;;) {
        uplink.complete_until(a);
        if (!(a < end() || after_end < options.horizon_queries)) break;
        if (r.queries.size() == options.max_queries)
            detail::upload::fail(where,
                                 "more than max_queries = " + std::to_string(options.max_queries) +
                                     " queries; raise the limit or shorten the horizon" +
                                     (shared ? " (or the queries' uplink transfers leave the "
                                               "upload no time)"
                                             : ""));
        while (acked < r.uploads.size() && r.uploads[acked].acknowledged_s <= a) ++acked;
        const double q = r.step_latency_s[acked];
        r.queries.push_back({.start_s = a,
                             .end_s = a + q,
                             .latency_s = q,
                             .remote_layers = remote_after[chosen[acked]],
                             .acknowledged = acked});
        if (a >= end()) ++after_end;
        if (!sends.empty())
            for (const uplink_interval& t : sends[chosen[acked]])
                uplink.busy(a + std::min(t.offset_s, q),
                            a + std::min(t.offset_s + t.duration_s, q));
        a += q;
    }
    detail::upload::fill_metrics(r, options, upload_s, overhead_s);
    return r;
}

/// Latency of a query after each prefix of `plan` is acknowledged (plan.partitions.size() + 1
/// values), and how many layers it runs remotely.
template <upload_cost_model Model>
void step_latencies(const layer_graph& graph, const Model& model, const upload_plan& plan,
                    std::vector<double>& latency, std::vector<std::size_t>& remote) {
    check_upload_plan(graph, model.env(), plan);
    effective_delay<Model> q(graph, model, plan.placement, plan.device);
    std::vector<std::uint8_t> acked(graph.size(), 0);
    latency.assign(1, q.delay(acked));
    remote.assign(1, 0);
    // A full evaluation per partition is O(n) each: kept where that stays small (the value is
    // then exact to the last bit); a plan of thousands of partitions of a wide model is priced
    // incrementally instead, each partition as runs of consecutive positions (effective_delay::
    // upload), in time linear in the model.
    constexpr std::size_t full_evaluation_budget = std::size_t{1} << 22;
    if (plan.partitions.size() * graph.size() <= full_evaluation_budget) {
        for (const auto& part : plan.partitions) {
            for (layer_id j : part.layers) acked[j] = 1;
            latency.push_back(q.delay(acked));
            remote.push_back(q.remote_layers(acked));
        }
        return;
    }
    std::size_t remote_count = 0;
    std::vector<std::size_t> positions;
    for (const auto& part : plan.partitions) {
        positions.clear();
        for (layer_id j : part.layers) positions.push_back(q.position(j));
        std::sort(positions.begin(), positions.end());
        for (std::size_t a = 0; a < positions.size();) {
            std::size_t b = a;
            while (b + 1 < positions.size() && positions[b + 1] == positions[b] + 1) ++b;
            q.upload(positions[a], positions[b]);
            a = b + 1;
        }
        for (layer_id j : part.layers) remote_count += plan.placement[j] != plan.device;
        latency.push_back(q.current());
        remote.push_back(remote_count);
    }
}

/// The transfers out of the device of a query after each prefix of `plan` is acknowledged
/// (plan.partitions.size() + 1 lists; effective_delay::uplink_sends()): what
/// uplink_sharing::queries_first pauses the upload for. One O(n + E) pass per prefix.
template <upload_cost_model Model>
void step_uplink_sends(const layer_graph& graph, const Model& model, const upload_plan& plan,
                       std::vector<std::vector<uplink_interval>>& sends) {
    check_upload_plan(graph, model.env(), plan);
    const effective_delay<Model> q(graph, model, plan.placement, plan.device);
    std::vector<std::uint8_t> acked(graph.size(), 0);
    sends.assign(plan.partitions.size() + 1, {});
    for (std::size_t k = 0; k <= plan.partitions.size(); ++k) {
        if (k > 0)
            for (layer_id j : plan.partitions[k - 1].layers) acked[j] = 1;
        q.uplink_sends(acked, [&](double offset, double duration) {
            sends[k].push_back({.offset_s = offset, .duration_s = duration});
        });
    }
}

/// Simulates `plan` for `graph` priced by `model`. Throws eosdnn::error (validation) if the plan
/// is not valid for the graph (check_upload_plan()) or an option is out of range.
template <upload_cost_model Model>
simulation_result simulate_queries(const layer_graph& graph, const Model& model,
                                   const upload_plan& plan,
                                   const simulation_options& options = {}) {
    std::vector<double> latency;
    std::vector<std::size_t> remote;
    step_latencies(graph, model, plan, latency, remote);
    std::vector<double> upload, overhead;
    for (const auto& part : plan.partitions) {
        upload.push_back(part.upload_s);
        overhead.push_back(part.overhead_s);
    }
    std::vector<std::vector<uplink_interval>> sends;
    if (options.uplink == uplink_sharing::queries_first)
        step_uplink_sends(graph, model, plan, sends);
    return simulate_steps(upload, latency, remote, options, overhead, sends);
}

}  // namespace eosdnn
