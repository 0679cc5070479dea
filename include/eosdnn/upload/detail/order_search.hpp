#pragma once
/// \file order_search.hpp
/// The parts of best_upload_order() (upload/best_upload_order.hpp) that its two uplink models
/// share, the items' grouping rule and the step functions of its bounds, and its search under
/// uplink_sharing::queries_first, where a partition's acknowledgement depends on the queries
/// before it: each branch is simulated exactly, query by query, as simulate_steps() does.

#include <eosdnn/upload/effective_delay.hpp>
#include <eosdnn/upload/query_simulation.hpp>
#include <eosdnn/upload/upload_plan.hpp>
#include <eosdnn/upload/upload_units.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn::detail::upload {

// A non-increasing step function v(x) on x >= 0 (x a time, or an amount of upload), built from
// points (x, value): v(x) is the smallest value of a point at or before x. The bounds integrate
// 1 / v: a query that starts at x and lasts at least v(x) uses up at least 1 of that integral
// over its own run, since v does not rise.
class rate_steps {
public:
    // `points` must hold one at x = 0; they are sorted in place.
    void build(std::vector<std::pair<double, double>>& points) {
        std::sort(points.begin(), points.end());
        at_.clear();
        value_.clear();
        for (const auto& [x, v] : points)
            if (value_.empty() || v < value_.back()) {
                if (!at_.empty() && at_.back() == x) {
                    value_.back() = v;
                } else {
                    at_.push_back(x);
                    value_.push_back(v);
                }
            }
        integral_.assign(at_.size(), 0.0);
        for (std::size_t i = 1; i < at_.size(); ++i)
            integral_[i] = integral_[i - 1] + (at_[i] - at_[i - 1]) / value_[i - 1];
    }
    // The integral over [0, x] of 1 / max(v, floor).
    double integral(double x, double floor) const {
        // First step below the floor: from there on the floor binds.
        const auto cut =
            std::lower_bound(value_.begin(), value_.end(), floor, std::greater<double>());
        const auto c = static_cast<std::size_t>(cut - value_.begin());
        const double switch_at = c < at_.size() ? at_[c] : std::numeric_limits<double>::infinity();
        const double y = std::min(x, switch_at);
        const auto k =
            static_cast<std::size_t>(std::upper_bound(at_.begin(), at_.end(), y) - at_.begin() - 1);
        double out = integral_[k] + (y - at_[k]) / value_[k];
        if (x > switch_at) out += (x - switch_at) / floor;
        return out;
    }
    // The integral over [0, x] of 1 / min(cap, max(v, floor)), for floor <= cap.
    double integral(double x, double floor, double cap) const {
        // Until the first step below the cap the cap binds; after it, only the floor can.
        const auto c = static_cast<std::size_t>(
            std::lower_bound(value_.begin(), value_.end(), cap, std::greater<double>()) -
            value_.begin());
        const double capped_until =
            c < at_.size() ? at_[c] : std::numeric_limits<double>::infinity();
        if (x <= capped_until) return x / cap;
        return capped_until / cap + integral(x, floor) - integral(capped_until, floor);
    }
    // min(cap, max(v(x), floor)).
    double value(double x, double floor, double cap) const {
        const auto k =
            static_cast<std::size_t>(std::upper_bound(at_.begin(), at_.end(), x) - at_.begin() - 1);
        return std::min(cap, std::max(value_[k], floor));
    }

private:
    std::vector<double> at_, value_, integral_;
};

// Whether the items of `group` (bit u: unit u of `base` for u < n, then its parameter-free
// blocks) form one partition of best_upload_order()'s space, and its node: a contiguous run of
// units of one block (a range, as planners make; with `runs_only` off, any units of one node)
// with any parameter-free blocks of its node, or one parameter-free block of a node that
// receives no parameter layer.
inline bool order_group_node(const upload_units& base, std::size_t group, node_id& node,
                             bool runs_only = true) noexcept {
    const std::size_t n = base.units.size();
    const std::size_t unit_group = group & ((std::size_t{1} << n) - 1);
    const std::size_t free_group = group >> n;
    if (unit_group) {
        std::size_t low = 0;
        while (!(unit_group >> low & 1)) ++low;
        node = base.blocks[base.units[low].block].node;
        if (runs_only) {
            const std::size_t run = unit_group >> low;
            if ((run & (run + 1)) != 0) return false;
            std::size_t high = low;
            while (unit_group >> (high + 1) & 1) ++high;
            if (base.units[low].block != base.units[high].block) return false;
        } else {
            for (std::size_t u = low + 1; u < n; ++u)
                if ((unit_group >> u & 1) && base.blocks[base.units[u].block].node != node)
                    return false;
        }
        for (std::size_t f = 0; f < base.free_blocks.size(); ++f)
            if ((free_group >> f & 1) && base.free_blocks[f].node != node) return false;
        return true;
    }
    if ((free_group & (free_group - 1)) != 0) return false;
    std::size_t f = 0;
    while (!(free_group >> f & 1)) ++f;
    node = base.free_blocks[f].node;
    return std::none_of(base.blocks.begin(), base.blocks.end(),
                        [&](const upload_block& b) { return b.node == node; });
}

// Over the upload so far x (the layers' upload time, overheads left out): the fastest latency
// and the largest free share (detail below) of the item sets whose layers fit in x, step
// functions of x (non-increasing and non-decreasing).
class progress_steps {
public:
    void build(std::span<const double> bytes, std::span<const double> latency,
               std::span<const double> share) {
        std::vector<std::size_t> order(bytes.size());
        for (std::size_t m = 0; m < order.size(); ++m) order[m] = m;
        std::sort(order.begin(), order.end(),
                  [&](std::size_t a, std::size_t b) { return bytes[a] < bytes[b]; });
        at_.clear();
        latency_.clear();
        share_.clear();
        double lat = std::numeric_limits<double>::infinity(), best_share = 0;
        for (const std::size_t m : order) {
            lat = std::min(lat, latency[m]);
            best_share = std::max(best_share, share[m]);
            if (!at_.empty() && at_.back() == bytes[m]) {
                latency_.back() = lat;
                share_.back() = best_share;
            } else if (at_.empty() || lat < latency_.back() || best_share > share_.back()) {
                at_.push_back(bytes[m]);
                latency_.push_back(lat);
                share_.push_back(best_share);
            }
        }
    }
    // An upper bound on the queries completed in `time` seconds from upload x, when a query at
    // upload y takes at least max(latency(y), floor) and the upload advances at most
    // max(chosen_share, min(share(y), share_cap)) per second of it.
    double queries(double x, double time, double floor, double share_cap,
                   double chosen_share) const {
        double out = 0;
        for (std::size_t k = step(x); time > 0; ++k) {
            const double lat = std::max(latency_[k], floor);
            const double rate = std::max(chosen_share, std::min(share_[k], share_cap));
            const double next =
                k + 1 < at_.size() ? at_[k + 1] : std::numeric_limits<double>::infinity();
            const double spent =
                rate > 0 ? (next - x) / rate : std::numeric_limits<double>::infinity();
            if (spent >= time) return out + time / lat;
            out += spent / lat;
            time -= spent;
            x = next;
        }
        return out;
    }

private:
    std::size_t step(double x) const {
        return static_cast<std::size_t>(std::upper_bound(at_.begin(), at_.end(), x) - at_.begin() -
                                        1);
    }
    std::vector<double> at_, latency_, share_;
};

// What the search over one configuration of the free runs reads, computed by best_upload_order()
// per item mask: the latency, the fastest latency of any superset, the layers' upload time
// (without overheads) and the sum of the items' overheads.
struct order_tables {
    std::span<const double> latency, fastest, group_upload, overhead_sum;
    bool runs_only = true;  // upload_search_options::runs_only
};

// The search under uplink_sharing::queries_first. A node of the search is a sequence of
// partitions whose last one has just been loaded; its state is the simulation's at that instant
// (the next query's start, the transfers of the query in flight that the next partition will
// meet), so that every plan is scored by the same operations as simulate_steps(), to the bit.
//
// Why the bound is valid (and why the separate uplink's is not enough). The shared uplink only
// delays acknowledgements, so a query issued at t still runs with a set of layers whose bytes
// fit in t - ack, and the separate uplink's bound on the latency at time t holds. But the end
// of the counting window moves: under count_window::upload_end, or bytes_end without any
// overhead (simulate_steps() then counts until the plan's own last acknowledgement), the upload
// ends later the more its queries send, so a bound over time up to the longest upload without
// pauses would be wrong. The bound here counts instead in upload progress: the upload advances
// exactly while no query transfer holds the uplink, and a query that runs with prefix m holds
// it at most send(m), the sum of its transfers, so each query issued during the upload advances
// it by at least free(m) = latency(m) - send(m) (its part of the progress if the upload ends
// during it). The prefix it runs with is loaded, so its bytes are at most the progress x at its
// start (counted here without the overheads already paid): free >= F(x), the smallest free() of
// such a set (and of the prefixes the choice still allows), non-increasing in x. So a query
// started at progress x uses up at least 1 of the
// integral of 1 / F over its progress, and the queries started from now that complete during
// the upload are at most the integral of 1 / F from the progress so far to the largest total
// (every remaining item a partition of its own: the most overhead). The one the upload ends
// during and those after it, until the last acknowledgement (ack later), run at least F of the
// end each: the first adds its progress part over F and its time after the end over F (its
// free time left, at least F minus that progress, is part of it), the others their time over
// F, so ack / F bounds them together. With a fixed window (bytes_end with overheads, the same
// for every plan of one placement up to rounding) a second bound couples time and progress. A
// query that runs with set m advances the upload by at most share(m) = free(m) / latency(m) of
// its run; with R(x) the largest share of the sets that can run once the upload is at x
// (non-decreasing in x), the upload is never ahead of the path X' = R(X) from where it is now
// (by induction over the queries' starts, as x + R(x) t grows with x). A query started at t
// runs with a set uploaded by then, so it takes at least the fastest latency of the sets within
// X(t) (and the floor of the choice), non-increasing in t, and uses up at least 1 of the
// integral of 1 / that over its run, up to the window. (Not within X(t - ack): the upload may
// run ahead of X inside a query, only not at a query's start.) The smaller of the two bounds cuts. They carry
// relative margins for rounding (the simulation accumulates the pauses in floating point); a
// free() of 0 (a query that only sends) disables the progress bound.
template <class Model>
class shared_order_search {
public:
    using record_fn = std::function<void(const std::vector<std::size_t>&)>;
    shared_order_search(const effective_delay<Model>& q, const upload_units& units,
                        std::span<const double> item_overhead, const order_tables& tables,
                        const simulation_options& simulation, std::size_t max_nodes)
        : q_(q), units_(units), t_(tables), sim_(simulation), max_nodes_(max_nodes) {
        items_ = item_overhead.size();
        full_ = (std::size_t{1} << items_) - 1;
        const bool any_overhead =
            std::any_of(item_overhead.begin(), item_overhead.end(), [](double o) { return o > 0; });
        fixed_window_ = sim_.window == count_window::bytes_end && any_overhead;
        window_bound_ = (t_.group_upload[full_] + sim_.ack_latency_s) * (1 + 1e-9);
        // free() per item set, its minimum over supersets, and its step function over the
        // layers' upload time.
        free_.assign(full_ + 1, 0.0);
        std::vector<std::uint8_t> acked;
        std::vector<std::pair<double, double>> points;
        for (std::size_t mask = 0; mask <= full_; ++mask) {
            mark(mask, acked);
            const double lat = t_.latency[mask];
            double send = 0;
            q_.uplink_sends(acked, [&](double offset, double duration) {
                send += std::min(offset + duration, lat) - std::min(offset, lat);
            });
            free_[mask] = lat - send;
            free_bound_ &= free_[mask] > 0;
            points.emplace_back(t_.group_upload[mask], free_[mask]);
        }
        free_by_upload_.build(points);
        // The largest share of a query's run that leaves the uplink free, per set and over
        // supersets.
        share_.resize(full_ + 1);
        for (std::size_t mask = 0; mask <= full_; ++mask)
            share_[mask] = std::max(0.0, free_[mask] / t_.latency[mask]);
        by_upload_.build(t_.group_upload, t_.latency, share_);
        share_superset_ = share_;
        for (std::size_t b = 0; b < items_; ++b)
            for (std::size_t mask = full_ + 1; mask-- > 0;)
                if (!(mask >> b & 1))
                    share_superset_[mask] = std::max(share_superset_[mask],
                                                     share_superset_[mask | std::size_t{1} << b]);
        free_superset_ = free_;
        for (std::size_t b = 0; b < items_; ++b)
            for (std::size_t mask = full_ + 1; mask-- > 0;)
                if (!(mask >> b & 1))
                    free_superset_[mask] =
                        std::min(free_superset_[mask], free_superset_[mask | std::size_t{1} << b]);
        send_begin_.assign(full_ + 1, unset);
        send_count_.assign(full_ + 1, 0);
        const std::size_t depth = items_ + 1;
        ack_at_.assign(depth, 0.0);
        step_latency_.assign(depth, 0.0);
        step_chosen_.assign(depth, 0);
        prefix_.assign(depth, 0);
    }

    // Every plan of the space, best first found kept; `best` as best_upload_order() keeps it.
    void run(std::size_t& best, bool& improved, bool has_incumbent, std::size_t& nodes,
             bool& complete, const record_fn& record) {
        best_ = &best;
        improved_ = &improved;
        has_incumbent_ = has_incumbent;
        nodes_ = &nodes;
        complete_ = &complete;
        record_ = &record;
        step_latency_[0] = t_.latency[0];
        step_chosen_[0] = prefix_[0] = 0;
        ends_.clear();
        groups_.clear();
        search(0, 0, walk{});
    }

private:
    static constexpr std::uint32_t unset = std::numeric_limits<std::uint32_t>::max();
    static constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
    static constexpr double inf = std::numeric_limits<double>::infinity();

    // The simulation after the last partition of a branch was loaded.
    struct walk {
        double loaded = 0;      // when it was loaded: the next partition is due
        double a = 0;           // the next query's start
        double last_busy = 0;   // shared_upload's: the end of the last transfer applied
        double progress = 0;    // upload time of the partitions so far, overheads included
        double bytes = 0;       // the same without overheads, summed as fill_metrics() does
        std::size_t acked = 0;  // acknowledgements the last query saw
        std::size_t issued = 0;
        // Transfers of the last query not yet applied (from `pending` on; none: all applied).
        std::size_t pending = none, pending_mask = 0;
        double pending_start = 0, pending_latency = 0;
    };

    void mark(std::size_t mask, std::vector<std::uint8_t>& acked) const {
        acked.assign(q_.size(), 0);
        for (std::size_t u = 0; u < items_; ++u)
            if (mask >> u & 1) {
                const auto [first, last] = range(u);
                for (std::size_t p = first; p <= last; ++p) acked[q_.layer_at(p)] = 1;
            }
    }
    std::pair<std::size_t, std::size_t> range(std::size_t u) const {
        const std::size_t n = units_.units.size();
        return u < n ? std::pair{units_.units[u].first, units_.units[u].last}
                     : std::pair{units_.free_blocks[u - n].first, units_.free_blocks[u - n].last};
    }

    // The transfers of a query that runs with item set `mask` (effective_delay::uplink_sends()),
    // computed once per set. Not to be held across another call.
    std::span<const uplink_interval> sends(std::size_t mask) {
        if (send_begin_[mask] == unset) {
            mark(mask, scratch_);
            send_begin_[mask] = static_cast<std::uint32_t>(flat_sends_.size());
            q_.uplink_sends(scratch_, [&](double offset, double duration) {
                flat_sends_.push_back({.offset_s = offset, .duration_s = duration});
            });
            send_count_[mask] = static_cast<std::uint32_t>(flat_sends_.size() - send_begin_[mask]);
        }
        return {flat_sends_.data() + send_begin_[mask], send_count_[mask]};
    }

    // upload_s of the partition of `group`, as finish_plan() sums it: the overhead, then the
    // layers in topological order.
    double partition_upload(std::size_t group, double overhead) {
        order_.clear();
        for (std::size_t u = 0; u < items_; ++u)
            if (group >> u & 1) order_.push_back(range(u));
        std::sort(order_.begin(), order_.end());
        double total = overhead;
        for (const auto& [first, last] : order_)
            for (std::size_t p = first; p <= last; ++p) total += q_.upload_time(q_.layer_at(p));
        return total;
    }

    void check_queries() const {
        if (ends_.size() >= sim_.max_queries)
            fail("best_upload_order",
                 "more than max_queries = " + std::to_string(sim_.max_queries) +
                     " queries in one plan; raise the limit (or the queries' uplink transfers "
                     "leave the upload no time)");
    }

    // Advances `s` until partition `depth` (1-based), of upload time `upload`, is loaded:
    // simulate_steps()'s walk and shared_upload's rules, stopped where the next partition
    // would be needed (a transfer or a query start at or after the load).
    void load(walk& s, double upload, std::size_t depth) {
        double sent = s.loaded, finish = sent + upload;
        // shared_upload::busy(); true if the partition is loaded before the transfer starts
        // (the transfer is then left to the next partition, last_busy untouched).
        auto busy = [&](double from, double to) {
            from = std::max(from, s.last_busy);
            if (!(to > from)) return false;
            if (finish <= from) return true;
            s.last_busy = to;
            if (sent >= from) {
                sent = to;
                finish = to + upload;
            } else {
                finish += to - from;
            }
            return false;
        };
        auto apply = [&](std::size_t mask, std::size_t from, double start, double latency) {
            const std::span<const uplink_interval> list = sends(mask);
            for (std::size_t i = from; i < list.size(); ++i)
                if (busy(start + std::min(list[i].offset_s, latency),
                         start + std::min(list[i].offset_s + list[i].duration_s, latency))) {
                    s.pending = i;
                    s.pending_mask = mask;
                    s.pending_start = start;
                    s.pending_latency = latency;
                    return true;
                }
            s.pending = none;
            return false;
        };
        bool done = s.pending != none &&
                    apply(s.pending_mask, s.pending, s.pending_start, s.pending_latency);
        while (!done && !(finish <= s.a)) {
            check_queries();
            while (s.acked + 1 < depth && ack_at_[s.acked] <= s.a) ++s.acked;
            const double latency = step_latency_[s.acked];
            ends_.push_back(s.a + latency);
            ++s.issued;
            const double start = s.a;
            s.a += latency;
            done = apply(step_chosen_[s.acked], 0, start, latency);
        }
        s.loaded = finish;
        ack_at_[depth - 1] = finish + sim_.ack_latency_s;
    }

    // False if the queries of any completion of the branch cannot beat the best so far.
    bool promising(const walk& s, std::size_t depth, std::size_t rest) const {
        std::size_t j = s.acked;  // acknowledgements by the next query's start
        while (j < depth && ack_at_[j] <= s.a) ++j;
        const double current = step_latency_[j];
        const std::size_t prefix = prefix_[j];
        const bool fastest_prefix = sim_.choice == remote_choice::fastest_prefix;
        const double floor =
            fastest_prefix ? std::min(current, t_.fastest[prefix]) : t_.fastest[prefix];
        double bound = std::numeric_limits<double>::infinity();
        if (free_bound_) {
            // Later queries run with a superset of the prefix acknowledged now, or, under the
            // fastest prefix, with the one they already run.
            const double cap =
                fastest_prefix ? free_[step_chosen_[j]] : std::numeric_limits<double>::infinity();
            const double low = std::min(free_superset_[prefix], cap);
            const double to =
                (s.bytes + t_.group_upload[rest] + t_.overhead_sum[rest]) * (1 + 1e-12);
            bound = static_cast<double>(s.issued) +
                    (free_by_upload_.integral(to, low, cap) -
                     free_by_upload_.integral(s.bytes, low, cap) +
                     sim_.ack_latency_s / free_by_upload_.value(to, low, cap)) *
                        (1 + 1e-6);
        }
        if (fixed_window_) {
            const double w = window_bound_;
            const auto done = static_cast<double>(std::upper_bound(ends_.begin(), ends_.end(), w) -
                                                  ends_.begin());
            // The upload advances at most `share` of a query's run (its free part over its
            // latency), of the sets that can run then, and a query runs with a set uploaded by
            // its start.
            const double chosen_share = fastest_prefix ? share_[step_chosen_[j]] : 0.0;
            double by_time = done;
            if (s.a < w)
                by_time += by_upload_.queries((s.bytes + (s.a - s.loaded)) * (1 + 1e-9), w - s.a,
                                              floor, share_superset_[prefix], chosen_share);
            bound = std::min(bound, by_time * (1 + 1e-6));
            // No superset faster than the prefix the queries run: they all take `current`.
            if (fastest_prefix && current <= t_.fastest[prefix])
                bound = std::min(bound, done + (s.a < w ? std::floor((w - s.a) / current) : 0));
        }
        return !(bound < static_cast<double>(*best_) + 1 - 1e-7);
    }

    void finish_leaf(const walk& s, std::size_t depth) {
        const double end = ack_at_[depth - 1];
        const double window = fixed_window_ ? std::min(s.bytes + sim_.ack_latency_s, end) : end;
        double a = s.a;
        std::size_t acked = s.acked;
        while (a < window) {
            check_queries();
            while (acked < depth && ack_at_[acked] <= a) ++acked;
            ends_.push_back(a + step_latency_[acked]);
            a += step_latency_[acked];
        }
        const auto done = static_cast<std::size_t>(
            std::upper_bound(ends_.begin(), ends_.end(), window) - ends_.begin());
        if (done > *best_ || (!*improved_ && !has_incumbent_ && done >= *best_)) {
            *best_ = done;
            *improved_ = true;
            (*record_)(groups_);
        }
    }

    void search(std::size_t mask, std::size_t depth, const walk& s) {
        if (*nodes_ >= max_nodes_) {
            *complete_ = false;
            return;
        }
        ++*nodes_;
        if (mask == full_) {
            finish_leaf(s, depth);
            ends_.resize(s.issued);
            return;
        }
        const std::size_t rest = full_ & ~mask;
        if ((*improved_ || has_incumbent_) && !promising(s, depth, rest)) return;
        const bool wait = sim_.first_query == first_query_policy::wait;
        // Single items first, so that a good incumbent prunes the groups early.
        for (int pass = 0; pass < 2; ++pass)
            for (std::size_t group = rest; group; group = (group - 1) & rest) {
                const bool single = (group & (group - 1)) == 0;
                node_id node = 0;
                if (single != (pass == 0) || !order_group_node(units_, group, node, t_.runs_only))
                    continue;
                const double overhead = q_.partition_overhead(node);
                const double upload = partition_upload(group, overhead);
                const std::size_t next = mask | group;
                // The prefix a query runs with after this one (apply_remote_choice()).
                prefix_[depth + 1] = next;
                const double lat = t_.latency[next];
                const bool keep =
                    sim_.choice == remote_choice::fastest_prefix && step_latency_[depth] < lat;
                step_latency_[depth + 1] = keep ? step_latency_[depth] : lat;
                step_chosen_[depth + 1] = keep ? step_chosen_[depth] : next;
                walk child = s;
                child.progress += upload;
                child.bytes += upload - overhead;
                if (depth == 0 && wait) {  // the first query waits for this acknowledgement
                    child.loaded = upload;
                    ack_at_[0] = upload + sim_.ack_latency_s;
                    child.a = ack_at_[0];
                } else {
                    load(child, upload, depth + 1);
                }
                groups_.push_back(group);
                search(next, depth + 1, child);
                groups_.pop_back();
                ends_.resize(s.issued);
            }
    }

    const effective_delay<Model>& q_;
    const upload_units& units_;
    order_tables t_;
    simulation_options sim_;
    std::size_t max_nodes_;
    std::size_t items_ = 0, full_ = 0;
    bool fixed_window_ = false, free_bound_ = true, has_incumbent_ = false;
    double window_bound_ = 0;
    std::vector<double> free_, free_superset_, share_, share_superset_;
    rate_steps free_by_upload_;
    progress_steps by_upload_;
    std::vector<std::uint32_t> send_begin_, send_count_;
    std::vector<uplink_interval> flat_sends_;
    std::vector<std::uint8_t> scratch_;
    std::vector<std::pair<std::size_t, std::size_t>> order_;
    // Per depth k (partitions so far): the k-th partition's acknowledgement (index k - 1), and
    // the latency, chosen prefix and item set of a query with k acknowledged.
    std::vector<double> ack_at_, step_latency_;
    std::vector<std::size_t> step_chosen_, prefix_;
    std::vector<double> ends_;  // the branch's queries' ends, in order
    std::vector<std::size_t> groups_;
    std::size_t* best_ = nullptr;
    bool* improved_ = nullptr;
    std::size_t* nodes_ = nullptr;
    bool* complete_ = nullptr;
    const record_fn* record_ = nullptr;
};

}  // namespace eosdnn::detail::upload
