#pragma once
/// \file best_upload_order.hpp
/// Exhaustive reference for small models: the uploading plan that completes the most queries
/// during the upload, by branch and bound over every order and grouping of contiguous runs of
/// parameter layers.

#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/upload/detail/order_search.hpp>
#include <eosdnn/upload/effective_delay.hpp>
#include <eosdnn/upload/query_simulation.hpp>
#include <eosdnn/upload/upload_plan.hpp>
#include <eosdnn/upload/upload_problem.hpp>
#include <eosdnn/upload/upload_units.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn {

/// Options of best_upload_order().
struct upload_search_options {
    std::size_t max_parameter_layers = 10;  ///< refuse larger models (at most 20)
    /// A number of queries some plan of the search space is known to reach (LMU's, say): only
    /// strictly better plans are explored, which prunes far more. 0 for none.
    std::size_t incumbent = 0;
    std::size_t max_nodes = 2'000'000'000;  ///< search-tree nodes before giving up
    /// True: a partition is a contiguous run of units of one block (the space of LMU's local
    /// search). False: any set of units of one node, so every ordered set partition of each
    /// node's units (IONN's steps and LMU's last pass make partitions of several runs).
    bool runs_only = true;
};

/// What best_upload_order() found.
struct upload_order_search {
    /// The best plan found; empty (no partitions) if none beat options.incumbent.
    upload_plan plan{};
    std::size_t queries_during_upload = 0;  ///< its count, or the incumbent if none beat it
    bool improved = false;                  ///< a plan beat the incumbent
    bool complete = true;                   ///< false if max_nodes stopped the search
    std::size_t nodes_visited = 0;          ///< search-tree nodes expanded (after pruning)
};

/// Finds the uploading plan of placement `x` that completes the most queries by the end of the
/// upload, under the closed-loop rules of simulate_queries(). The search space holds every plan
/// whose partitions are contiguous runs of parameter layers of one block (see upload_units.hpp),
/// in any order and any grouping, with each run of parameter-free layers between two parameter
/// layers travelling with the layer before or the one after it (both tried; runs at a block's
/// ends go with their only neighbour). The plans of emdl_planner and layer_by_layer_planner lie
/// in this space, lmu_planner's when its last pass makes no partition of several runs, and
/// whole_model_planner's when each node has a single block; IONN's steps may hold several runs
/// and need not. With options.runs_only off, a partition is any set of units of one node: every
/// ordered set partition of each node's units (a Fubini number of plans: 4,683 for six units of
/// one node). Each partition costs its
/// bytes plus its node's overhead (the problem's upload_cost_options), and queries follow the
/// simulation's remote_choice, as in simulate_queries().
///
/// Branch and bound: a branch is cut when even running every remaining query at the fastest
/// latency any superset of the uploaded layers allows could not beat the best plan so far.
/// Queries are counted in closed form per partition (how many fit before the next
/// acknowledgement), which can differ from the step-by-step simulation by floating-point
/// rounding only. Under simulation.uplink = uplink_sharing::queries_first a partition's
/// acknowledgement depends on the queries before it, so each branch is simulated query by query
/// with simulate_steps()'s operations instead (the count is the simulation's, to the bit), and
/// the bound is one that the pauses cannot break (detail/order_search.hpp). Throws
/// eosdnn::error (validation) for a model with more parameter layers than
/// options.max_parameter_layers, and, under the shared uplink, for a plan whose queries exceed
/// simulation.max_queries during its upload.
template <upload_cost_model Model>
upload_order_search best_upload_order(const upload_problem<Model>& problem,
                                      const simulation_options& simulation = {},
                                      const upload_search_options& options = {}) {
    effective_delay<Model> q = problem.delay();
    const upload_units& base = problem.units();
    const layer_graph& graph = problem.graph();
    const std::size_t n = base.units.size();
    const std::size_t limit = std::min<std::size_t>(options.max_parameter_layers, 20);
    if (n > limit)
        detail::upload::fail("best_upload_order",
                             "model '" + graph.name() + "' has " + std::to_string(n) +
                                 " remote parameter layers, more than max_parameter_layers = " +
                                 std::to_string(limit));
    // Items of the search: the n units, then one per parameter-free block, which may travel
    // with any partition to its node, or, on a node that receives no parameter layer, be a
    // partition of its own anywhere in the order.
    const std::size_t free_count = base.free_blocks.size();
    const std::size_t items = n + free_count;
    if (items > 22)
        detail::upload::fail("best_upload_order",
                             "model '" + graph.name() + "' has " + std::to_string(n) +
                                 " remote parameter layers and " + std::to_string(free_count) +
                                 " parameter-free blocks, more than 22");
    upload_order_search out;
    out.queries_during_upload = options.incumbent;
    if (items == 0) {
        out.plan = finish_plan("best-order", q, base, {});
        return out;
    }
    const std::size_t full = (std::size_t{1} << items) - 1;

    // Parameter positions, and the interior free runs whose side is a choice.
    std::vector<std::size_t> param_position(n);
    for (std::size_t u = 0; u < n; ++u) {
        std::size_t p = base.units[u].first;  // a block's leading free layers come first
        while (!graph[q.layer_at(p)].has_parameters()) ++p;
        param_position[u] = p;
    }
    std::vector<std::size_t> free_runs;  // unit u whose following run is a choice
    for (std::size_t u = 0; u + 1 < n; ++u)
        if (base.units[u].block == base.units[u + 1].block &&
            param_position[u + 1] > param_position[u] + 1)
            free_runs.push_back(u);

    const double ack = simulation.ack_latency_s;
    const bool wait = simulation.first_query == first_query_policy::wait;
    const bool fastest_prefix = simulation.choice == remote_choice::fastest_prefix;
    bool any_overhead = false;
    // Each partition pays its node's overhead once (effective_delay::partition_overhead()).
    std::vector<double> item_overhead(items);
    for (std::size_t u = 0; u < items; ++u)
        item_overhead[u] = q.partition_overhead(u < n ? base.blocks[base.units[u].block].node
                                                      : base.free_blocks[u - n].node);
    for (double o : item_overhead) any_overhead |= o > 0;
    const bool fixed_window = simulation.window == count_window::bytes_end || !any_overhead;
    std::size_t best = options.incumbent;
    upload_units best_units;
    std::vector<std::size_t> best_groups;

    // Queries issued from `a` while the latency is `lat`, up to (not including) `until`.
    auto advance = [](double a, double lat, double until, std::size_t& started) {
        if (a >= until) return a;
        auto m = static_cast<std::size_t>(std::ceil((until - a) / lat));
        while (m > 1 && a + static_cast<double>(m - 1) * lat >= until) --m;
        while (a + static_cast<double>(m) * lat < until) ++m;
        started += m;
        return a + static_cast<double>(m) * lat;
    };

    std::vector<double> latency(full + 1), fastest(full + 1), group_upload(full + 1),
        overhead_sum(full + 1);
    std::vector<std::uint8_t> acked(graph.size());
    std::vector<std::size_t> groups;
    detail::upload::rate_steps latency_by_time;
    for (std::size_t config = 0; config < (std::size_t{1} << free_runs.size()); ++config) {
        // Units of this configuration: a chosen run joins the unit after it.
        upload_units units = base;
        for (std::size_t r = 0; r < free_runs.size(); ++r)
            if (config >> r & 1) {
                const std::size_t u = free_runs[r];
                units.units[u].last = param_position[u];
                units.units[u + 1].first = param_position[u] + 1;
            }
        auto item_range = [&](std::size_t u) {
            return u < n ? std::pair{units.units[u].first, units.units[u].last}
                         : std::pair{units.free_blocks[u - n].first, units.free_blocks[u - n].last};
        };
        for (std::size_t mask = 0; mask <= full; ++mask) {
            std::fill(acked.begin(), acked.end(), std::uint8_t{0});
            for (std::size_t u = 0; u < items; ++u) {
                if (!(mask >> u & 1)) continue;
                const auto [first, last] = item_range(u);
                for (std::size_t p = first; p <= last; ++p) acked[q.layer_at(p)] = 1;
            }
            latency[mask] = q.delay(acked);
            fastest[mask] = latency[mask];
            if (mask) {
                std::size_t low = 0;
                while (!(mask >> low & 1)) ++low;
                const auto [first, last] = item_range(low);
                group_upload[mask] = group_upload[mask & (mask - 1)] + q.upload_time(first, last);
                overhead_sum[mask] = overhead_sum[mask & (mask - 1)] + item_overhead[low];
            } else {
                group_upload[0] = overhead_sum[0] = 0;
            }
        }
        // Queries completed by `window` count (simulate_queries()): under bytes_end, or with
        // no overhead, the layers' upload time plus the acknowledgement, the same for every
        // plan; under upload_end with overheads, each plan's own end (NaN here).
        const double window =
            fixed_window ? group_upload[full] + ack : std::numeric_limits<double>::quiet_NaN();
        for (std::size_t b = 0; b < items; ++b)  // fastest[mask]: min latency over supersets
            for (std::size_t mask = full + 1; mask-- > 0;)
                if (!(mask >> b & 1))
                    fastest[mask] = std::min(fastest[mask], fastest[mask | std::size_t{1} << b]);
        if (simulation.uplink == uplink_sharing::queries_first) {
            // The shared uplink: each branch simulated exactly (detail/order_search.hpp).
            const detail::upload::order_tables tables{.latency = latency,
                                                      .fastest = fastest,
                                                      .group_upload = group_upload,
                                                      .overhead_sum = overhead_sum,
                                                      .runs_only = options.runs_only};
            detail::upload::shared_order_search<Model> search(q, units, item_overhead, tables,
                                                              simulation, options.max_nodes);
            search.run(best, out.improved, options.incumbent > 0, out.nodes_visited, out.complete,
                       [&](const std::vector<std::size_t>& found) {
                           best_units = units;
                           best_groups = found;
                       });
            continue;
        }
        // The fastest latency any plan can have at time t: the layers acknowledged by then
        // cost at most t - ack to upload (their bytes; the overheads only add to it). A step
        // function, non-increasing in t, with its running integral of 1 / latency for the
        // bound below.
        std::vector<std::pair<double, double>> by_size;
        for (std::size_t mask = 0; mask <= full; ++mask)
            by_size.emplace_back(mask ? group_upload[mask] + ack : 0.0, latency[mask]);
        latency_by_time.build(by_size);
        // `current`: the latency a query has now, under the simulation's remote_choice (the
        // fastest prefix so far, or the last one).
        auto dfs = [&](auto&& self, std::size_t mask, double clock, double a, std::size_t started,
                       double current) -> void {
            if (out.nodes_visited >= options.max_nodes) {
                out.complete = false;
                return;
            }
            ++out.nodes_visited;
            if (mask == full) {
                const double end = fixed_window ? window : clock + ack;
                const std::size_t done = started - (started > 0 && a > end ? 1 : 0);
                if (done > best || (!out.improved && options.incumbent == 0 && done >= best)) {
                    best = done;
                    out.improved = true;
                    best_units = units;
                    best_groups = groups;
                }
                return;
            }
            // Every query issued from a on is at least as slow as the fastest latency reachable at
            // its start (and as any superset of `mask`, or the prefix it already runs), so at
            // most that rate's integral can complete before the end (the fixed window, or, at
            // the latest, when every remaining item is a partition of its own).
            const std::size_t rest = full & ~mask;
            const double end =
                fixed_window ? window : clock + group_upload[rest] + overhead_sum[rest] + ack;
            const double floor = fastest_prefix ? std::min(current, fastest[mask]) : fastest[mask];
            // (Each query issued at t takes at least the bound L(t), non-increasing, so it uses
            // up at least 1 of the integral of 1 / L over its own run.)
            const bool has_best = out.improved || options.incumbent > 0;
            if (has_best && a < end &&
                static_cast<double>(started) + latency_by_time.integral(end, floor) -
                        latency_by_time.integral(a, floor) <
                    static_cast<double>(best) + 1 - 1e-7)
                return;
            // When no superset is faster than the prefix the queries already run, every
            // remaining query runs at `current`: the count is exact (at most, without a
            // fixed window).
            if (has_best && fastest_prefix && current <= fastest[mask] && !(mask == 0 && wait)) {
                std::size_t s = started;
                const double last = advance(a, current, end, s);
                if (s - (s > 0 && last > end ? 1 : 0) <= best) return;
            }
            // Single layers first, so that a good incumbent prunes the groups early.
            for (int pass = 0; pass < 2; ++pass)
                for (std::size_t group = rest; group; group = (group - 1) & rest) {
                    const bool single = (group & (group - 1)) == 0;
                    if (single != (pass == 0)) continue;
                    node_id node = 0;
                    if (!detail::upload::order_group_node(base, group, node, options.runs_only))
                        continue;
                    const double cost = group_upload[group] + q.partition_overhead(node);
                    const double acked_at = clock + cost + ack;
                    std::size_t s = started;
                    const double stop = fixed_window ? std::min(acked_at, window) : acked_at;
                    const double next = mask == 0 && wait ? acked_at : advance(a, current, stop, s);
                    const double after = fastest_prefix ? std::min(current, latency[mask | group])
                                                        : latency[mask | group];
                    groups.push_back(group);
                    self(self, mask | group, clock + cost, next, s, after);
                    groups.pop_back();
                }
        };
        dfs(dfs, 0, 0.0, 0.0, 0, latency[0]);
    }
    out.queries_during_upload = best;
    if (!out.improved) return out;
    std::vector<upload_partition> steps;
    for (std::size_t group : best_groups) {
        upload_partition part;
        for (std::size_t u = 0; u < items; ++u) {
            if (!(group >> u & 1)) continue;
            const bool unit = u < n;
            part.node = unit ? best_units.blocks[best_units.units[u].block].node
                             : best_units.free_blocks[u - n].node;
            const std::size_t first =
                unit ? best_units.units[u].first : best_units.free_blocks[u - n].first;
            const std::size_t last =
                unit ? best_units.units[u].last : best_units.free_blocks[u - n].last;
            for (std::size_t p = first; p <= last; ++p) part.layers.push_back(q.layer_at(p));
        }
        steps.push_back(std::move(part));
    }
    out.plan = finish_plan("best-order", q, best_units, std::move(steps));
    return out;
}

}  // namespace eosdnn
