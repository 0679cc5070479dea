#pragma once
/// \file plan_value.hpp
/// What LMU's local search (detail/plan_polisher.hpp) scores a plan by: the queries completed
/// during its upload and the area under its latency curve, in closed form per partition, from
/// the latency after each prefix and the partitions' upload times; and the same from any
/// partition on, so that a move re-prices only what it changes.

#include <eosdnn/upload/query_simulation.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

namespace eosdnn::detail::upload {

// Whether latency area `a` is smaller than `b` by more than rounding: plans whose latency
// curves are the same (no query can run remotely before the upload ends, say) differ in their
// areas only by the rounding of different sums, within a relative 1e-12. LMU's orders of plans
// (plan_value::better_than(), better_metrics()) compare areas only through it.
inline bool smaller_area(double a, double b) noexcept { return a < b * (1 - 1e-12); }

// Queries completed during the upload and area under the latency curve, in closed form per
// partition, from the latency after each prefix and the upload times.
struct plan_value {
    std::size_t queries = 0;
    double area = 0;
    bool better_than(const plan_value& o) const noexcept {
        if (queries != o.queries) return queries > o.queries;
        return smaller_area(area, o.area);
    }
};

// value_of()'s running state before a partition: what the partitions before it left.
struct value_state {
    double clock = 0, previous = 0, a = 0, area = 0;
    double fastest = 0;  // the query's choice of prefix so far
    std::size_t started = 0;
};

// value_of() from partition `from` on, given `state`, the state before it (what the partitions
// before it left: value_of() stores it in `states`, one per partition, if not null). The same
// operations in the same order as value_of() from the start, so the same value to the last bit.
inline plan_value value_from(value_state state, std::size_t from, std::span<const double> latency,
                             std::span<const double> upload, const simulation_options& sim,
                             double window, std::vector<value_state>* states = nullptr) {
    const std::size_t parts = upload.size();
    if (states) states->resize(parts);
    double clock = state.clock, previous = state.previous, a = state.a, area = state.area;
    double fastest = state.fastest;
    std::size_t started = state.started;
    const bool open = std::isnan(window);
    for (std::size_t k = from; k < parts; ++k) {
        if (states)
            (*states)[k] = {.clock = clock,
                            .previous = previous,
                            .a = a,
                            .area = area,
                            .fastest = fastest,
                            .started = started};
        fastest = sim.choice == remote_choice::fastest_prefix ? std::min(fastest, latency[k])
                                                              : latency[k];
        clock += upload[k];
        const double acked_at = clock + sim.ack_latency_s;
        const double counted = open ? acked_at : std::min(acked_at, window);
        area += fastest * (counted - previous);
        previous = counted;
        if (k == 0 && sim.first_query == first_query_policy::wait) {
            a = acked_at;
            continue;
        }
        const double stop = open ? acked_at : std::min(acked_at, window);
        if (a < stop) {
            // m: the fewest queries (at least one) that reach `stop`, i.e. the least m >= 1 with
            // a + m * q >= stop, which is monotone in m: counted up while few, else from the
            // quotient.
            // (A latency that is not a positive finite number takes the quotient's path.)
            const double q = fastest;
            std::size_t m = 1;
            const bool finite = q > 0 && q <= std::numeric_limits<double>::max();
            while (finite && m < 4 && a + static_cast<double>(m) * q < stop) ++m;
            if (!finite || a + static_cast<double>(m) * q < stop) {
                m = static_cast<std::size_t>(std::ceil((stop - a) / q));
                while (m > 1 && a + static_cast<double>(m - 1) * q >= stop) --m;
                while (a + static_cast<double>(m) * q < stop) ++m;
            }
            started += m;
            a += static_cast<double>(m) * q;
        }
    }
    plan_value v;
    v.area = area;
    v.queries = started - (started > 0 && a > previous ? 1 : 0);
    return v;
}

// Queries completed during the upload and area under the latency curve of a plan, from the
// latency after each of its prefixes and its partitions' upload times. `window`: queries
// completed by then count (count_window::bytes_end with overheads); NaN for the plan's own end,
// its last acknowledgement.
inline plan_value value_of(std::span<const double> latency, std::span<const double> upload,
                           const simulation_options& sim,
                           double window = std::numeric_limits<double>::quiet_NaN(),
                           std::vector<value_state>* states = nullptr) {
    value_state start;
    start.fastest = latency.empty() ? 0.0 : latency[0];
    return value_from(start, 0, latency, upload, sim, window, states);
}

// The value under uplink_sharing::queries_first, where value_of()'s closed form does not hold:
// the upload pauses while a query sends from the device, so when each partition is acknowledged
// depends on which prefix each query runs. So it is the simulation's count and area themselves
// (simulate_steps() with each prefix's uplink transfers `sends` and the overheads).
inline plan_value shared_value(std::span<const double> latency, std::span<const double> upload,
                               std::span<const double> overhead,
                               std::span<const std::vector<uplink_interval>> sends,
                               const simulation_options& sim) {
    const std::vector<std::size_t> remote(latency.size(), 0);  // neither value reads them
    const upload_metrics m = simulate_steps(upload, latency, remote, sim, overhead, sends).metrics;
    return {.queries = m.queries_during_upload, .area = m.latency_area_s2};
}

// Latencies by set of positions, known by two 64-bit keys (plan_polisher's): one per placement,
// which the polishers of several problems with the same graph, model, placement and device may
// share (LMU's run with and without per-partition overheads: Q does not depend on them). An
// open-addressing table (linear probing) on the first key, which is already uniformly mixed.
class delay_cache {
public:
    struct entry {
        std::uint64_t a = 0, b = 0;  // the keys
        double d = 0;                // the latency
        bool used = false;
    };
    // The entry of first key `a`, or null.
    const entry* find(std::uint64_t a) const noexcept {
        if (slots_.empty()) return nullptr;
        for (std::size_t i = a & mask_;; i = (i + 1) & mask_) {
            const entry& e = slots_[i];
            if (!e.used) return nullptr;
            if (e.a == a) return &e;
        }
    }
    std::size_t size() const noexcept { return size_; }
    // Adds an entry whose first key is not in the table.
    void insert(std::uint64_t a, std::uint64_t b, double d) {
        if (2 * (size_ + 1) > slots_.size()) grow();
        place({.a = a, .b = b, .d = d, .used = true});
        ++size_;
    }

private:
    void place(const entry& e) noexcept {
        std::size_t i = e.a & mask_;
        while (slots_[i].used) i = (i + 1) & mask_;
        slots_[i] = e;
    }
    void grow() {
        std::vector<entry> old(std::max<std::size_t>(1024, 2 * slots_.size()));
        old.swap(slots_);
        mask_ = slots_.size() - 1;
        for (const entry& e : old)
            if (e.used) place(e);
    }
    std::vector<entry> slots_;
    std::size_t mask_ = 0, size_ = 0;
};

// The uplink transfers of a query (effective_delay::uplink_sends()) by acknowledged set, known
// by two 64-bit keys (plan_polisher's): a local search prices the same sets again and again.
class sends_cache {
public:
    // The transfers of the set keyed (a, b): the cached copy, or `find(out)` fills `out`.
    template <class Find>
    const std::vector<uplink_interval>& get(std::uint64_t a, std::uint64_t b, const Find& find) {
        auto it = map_.find(a);
        if (it != map_.end() && it->second.first == b) return it->second.second;
        if (it == map_.end() && map_.size() < max_cached) {
            it = map_.emplace(a, std::pair{b, std::vector<uplink_interval>{}}).first;
            find(it->second.second);
            return it->second.second;
        }
        scratch_.clear();  // a collision of the first key, or full: priced, not kept
        find(scratch_);
        return scratch_;
    }

private:
    static constexpr std::size_t max_cached = std::size_t{1} << 16;
    std::unordered_map<std::uint64_t, std::pair<std::uint64_t, std::vector<uplink_interval>>> map_;
    std::vector<uplink_interval> scratch_;
};

}  // namespace eosdnn::detail::upload
