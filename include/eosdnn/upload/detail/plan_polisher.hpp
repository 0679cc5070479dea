#pragma once
/// \file plan_polisher.hpp
/// LMU's local search (upload/lmu.hpp): an uploading plan as ranges of blocks, improved by
/// moves that split, merge, shift and reorder partitions and move parameter-free blocks, each
/// priced by the query simulation's latency curve. Separate from lmu.hpp only for its size.

#include <eosdnn/upload/detail/plan_value.hpp>
#include <eosdnn/upload/effective_delay.hpp>
#include <eosdnn/upload/query_simulation.hpp>
#include <eosdnn/upload/upload_plan.hpp>
#include <eosdnn/upload/upload_units.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

namespace eosdnn {

namespace detail::upload {

// One partition as a range of positions of one block, with the parameter-free blocks that
// travel with it (indices into upload_units::free_blocks, same node). A parameter-free block on a
// node that receives no parameter layer is a part of its own: its range is the block.
struct range_part {
    node_id node = 0;
    std::size_t first = 0, last = 0;
    std::vector<std::size_t> extras{};
};

// Local search over a plan of ranges: split a partition in two (either half first), merge two
// consecutive partitions that are adjacent in one block, swap two consecutive partitions. Each
// move changes one prefix set, so it costs one delay evaluation. First improvement is taken;
// stops at a local optimum or after `budget` evaluations. The latencies of the prefix sets it
// prices are cached by set for the object's life, so one object serves every start of an LMU
// run (and prices its candidates, plan_latencies()); a cached value is the full evaluation's,
// bit for bit, so the cache changes no decision.
template <class Model>
class plan_polisher {
public:
    // `shared`: the cache to use instead of the object's own (same graph, model, placement and
    // device), or null.
    plan_polisher(const effective_delay<Model>& q, const upload_units& units,
                  const simulation_options& sim, delay_cache* shared = nullptr)
        : q_(q), units_(units), sim_(sim), acked_(q.size(), 0), key_prefix_(q.size() + 1),
          cache_(shared ? shared : &own_cache_), trackers_{
                                                     typename effective_delay<Model>::tracker(q),
                                                     typename effective_delay<Model>::tracker(q)} {
        // Under count_window::bytes_end with overheads, every plan's queries are counted until
        // its layers' upload time (the same for all) plus the acknowledgement latency.
        bool overhead = false;
        for (const auto& block : units.blocks) overhead |= q.partition_overhead(block.node) > 0;
        for (const auto& block : units.free_blocks)
            overhead |= q.partition_overhead(block.node) > 0;
        if (sim.window == count_window::bytes_end && overhead && q.size() > 0)
            window_ = q.upload_time(0, q.size() - 1) + sim.ack_latency_s;
        for (std::size_t b = 0; b < units.blocks.size(); ++b)
            for (std::size_t p = units.blocks[b].first; p <= units.blocks[b].last; ++p)
                if (q.graph()[q.layer_at(p)].has_parameters()) params_.push_back(p);
        // Two independent 64-bit keys per position (splitmix64 of the position); a set of
        // positions is known by the XOR of its keys, a range's in O(1) from prefix XORs.
        auto mix = [](std::uint64_t z) {
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            return z ^ (z >> 31);
        };
        for (std::size_t p = 0; p < q.size(); ++p) {
            const auto z = static_cast<std::uint64_t>(p + 1) * 0x9e3779b97f4a7c15ULL;
            key_prefix_[p + 1] =
                key_prefix_[p] ^ set_key { mix(z), mix(z ^ 0x5bd1e9955bd1e995ULL) };
        }
    }

    /// The latency after each prefix of `plan` and the layers it runs remotely, as
    /// step_latencies() computes them for a plan that it evaluates in full (a check_upload_plan()
    /// valid plan of this placement), with the prefix sets this object has priced before taken
    /// from its cache.
    void plan_latencies(const upload_plan& plan, std::vector<double>& latency,
                        std::vector<std::size_t>& remote) {
        std::fill(acked_.begin(), acked_.end(), std::uint8_t{0});
        latency.assign(1, delay_of_set(set_key{}, [] {}));
        remote.assign(1, 0);
        set_key key{};
        std::size_t marked = 0, count = 0;
        for (std::size_t k = 0; k < plan.partitions.size(); ++k) {
            for (layer_id j : plan.partitions[k].layers) {
                const std::size_t p = q_.position(j);
                key = key ^ key_of(p, p);
                count += plan.placement[j] != plan.device;
            }
            latency.push_back(delay_of_set(key, [&] {
                for (; marked <= k; ++marked)
                    for (layer_id j : plan.partitions[marked].layers) acked_[j] = 1;
            }));
            remote.push_back(count);
        }
    }

    // Can be called several times (LMU polishes several seeds): the latencies of the prefix
    // sets already priced are kept.
    std::vector<range_part> run(std::vector<range_part> plan, std::size_t budget) {
        plan_ = std::move(plan);
        ++version_;
        refresh();
        rehash();
        std::size_t evaluations = 0;
        bool improved = true;
        while (improved && evaluations < budget) {
            improved = false;
            // One pass over the plan; after a successful move at k the pass goes on from k.
            for (std::size_t k = 0; k < plan_.size() && evaluations < budget;) {
                bool moved = false;
                // Swap k and k + 1.
                if (k + 1 < plan_.size()) {
                    ++evaluations;
                    moves_.resize(2);
                    moves_[0] = plan_[k + 1];
                    moves_[1] = plan_[k];
                    moved = try_move(k, moves_, 2);
                }
                // Merge k and k + 1 when they touch in one block.
                if (!moved && k + 1 < plan_.size() && plan_[k].node == plan_[k + 1].node) {
                    const range_part& a = plan_[k];
                    const range_part& b = plan_[k + 1];
                    if (same_block(a.first, b.first) &&
                        (a.last + 1 == b.first || b.last + 1 == a.first)) {
                        ++evaluations;
                        moves_.resize(1);
                        range_part& merged = moves_[0];
                        merged.node = a.node;
                        merged.first = std::min(a.first, b.first);
                        merged.last = std::max(a.last, b.last);
                        merged.extras.assign(a.extras.begin(), a.extras.end());
                        merged.extras.insert(merged.extras.end(), b.extras.begin(), b.extras.end());
                        moved = try_move(k, moves_, 2);
                    }
                }
                // Split k at a parameter layer (the free run before it going either way).
                // (Its extras are read from plan_, which no rejected move changes.)
                const std::size_t at = std::min(k, plan_.size() - 1);
                const node_id part_node = plan_[at].node;
                const std::size_t part_first = plan_[at].first, part_last = plan_[at].last;
                const auto lo = std::upper_bound(params_.begin(), params_.end(), part_first);
                const auto hi = std::upper_bound(params_.begin(), params_.end(), part_last);
                for (auto it = lo; it != hi && !moved && evaluations < budget; ++it) {
                    if (it == params_.begin()) continue;
                    const std::size_t prev = *(it - 1);
                    if (prev < part_first) continue;
                    const std::size_t cuts[2] = {*it, prev + 1};
                    for (std::size_t c = 0; c < (*it == prev + 1 ? 1u : 2u) && !moved; ++c) {
                        // The parameter-free blocks travel with the half uploaded first.
                        const std::size_t left_last = cuts[c] - 1, right_first = cuts[c];
                        evaluations += 2;
                        moves_.resize(2);
                        for (int side = 0; side < 2 && !moved; ++side) {
                            range_part& first_half = moves_[0];
                            range_part& second_half = moves_[1];
                            first_half.node = second_half.node = part_node;
                            first_half.first = side == 0 ? part_first : right_first;
                            first_half.last = side == 0 ? left_last : part_last;
                            second_half.first = side == 0 ? right_first : part_first;
                            second_half.last = side == 0 ? part_last : left_last;
                            first_half.extras.assign(plan_[at].extras.begin(),
                                                     plan_[at].extras.end());
                            second_half.extras.clear();
                            moved = try_move(k, moves_, 1);
                        }
                    }
                }
                // Hand the parameter-free run at an end of k to the partition next to it in
                // the block (it costs nothing, but changes when its transfers move).
                // Ranges are disjoint, so only the partition starting right after k qualifies.
                const std::size_t partner =
                    k < plan_.size() ? starting_at(plan_[k].last + 1) : plan_.size();
                for (std::size_t other = partner;
                     other < plan_.size() && !moved && evaluations < budget; other = plan_.size()) {
                    if (k >= plan_.size() || other == k || plan_[other].node != plan_[k].node)
                        continue;
                    const range_part& a = plan_[k];
                    const range_part& b = plan_[other];
                    if (a.last + 1 != b.first || !same_block(a.first, b.first)) continue;
                    // a's trailing run to b, or b's leading run to a.
                    const std::size_t a_param = last_param(a), b_param = first_param(b);
                    const std::size_t a_last = a.last, b_first = b.first;
                    const std::size_t lo = std::min(k, other), hi = std::max(k, other);
                    if (a_param < a_last) {
                        next_ = plan_;
                        next_[k].last = a_param;
                        next_[other].first = a_param + 1;
                        evaluations += plan_.size();
                        if ((moved = try_plan_range(next_, lo, hi))) break;
                    }
                    if (b_param > b_first) {
                        next_ = plan_;
                        next_[k].last = b_param - 1;
                        next_[other].first = b_param;
                        evaluations += plan_.size();
                        if ((moved = try_plan_range(next_, lo, hi))) break;
                    }
                }
                // Move a parameter-free block elsewhere: a part of its own to any other place in
                // the order, one that travels with k to another partition to its node.
                if (!moved && k < plan_.size()) moved = relocate_free(k, evaluations, budget);
                if (moved)
                    improved = true;
                else
                    ++k;
            }
            // At a local optimum of the moves above: move one partition further than the next
            // place (swaps cover that), e.g. a large partition that only pays once the layers
            // of another node have arrived, to the end. First improvement, then the cheap
            // moves again.
            if (!improved && plan_.size() <= max_relocated_plan)
                improved = relocate_any(evaluations, budget);
        }
        return std::move(plan_);
    }

private:
    // Relocations try O(partitions^2) places: only on plans up to this size.
    static constexpr std::size_t max_relocated_plan = 64;

    bool relocate_any(std::size_t& evaluations, std::size_t budget) {
        const std::size_t parts = plan_.size();
        for (std::size_t k = 0; k < parts; ++k)
            for (std::size_t to = 0; to < parts && evaluations < budget; ++to) {
                if (to + 1 >= k && to <= k + 1) continue;  // itself, or a swap
                evaluations += (to > k ? to - k : k - to) + 1;
                if (try_relocate(k, to)) return true;
            }
        return false;
    }

    // Moves partition k to index `to`; keeps it if the value improves. Only the prefixes
    // between the two places change.
    bool try_relocate(std::size_t k, std::size_t to) {
        relocated(k, to);
        return try_range(next_, std::min(k, to), std::max(k, to));
    }

    // next_ = plan_ with partition k moved to index `to`.
    void relocated(std::size_t k, std::size_t to) {
        next_ = plan_;
        const auto at = next_.begin();
        if (to < k)
            std::rotate(at + static_cast<std::ptrdiff_t>(to), at + static_cast<std::ptrdiff_t>(k),
                        at + static_cast<std::ptrdiff_t>(k) + 1);
        else
            std::rotate(at + static_cast<std::ptrdiff_t>(k),
                        at + static_cast<std::ptrdiff_t>(k) + 1,
                        at + static_cast<std::ptrdiff_t>(to) + 1);
    }

    // Replaces plan_ by `next`, which has as many partitions and differs only in partitions
    // lo..hi, which together hold the same layers: only the prefixes ending in lo..hi - 1
    // change. Keeps it if the value improves.
    bool try_range(std::vector<range_part>& next, std::size_t lo, std::size_t hi) {
        std::vector<double>& latency = try_latency_;
        std::vector<double>& upload = try_upload_;
        latency = latency_;
        upload = upload_;
        price_prefixes([&](std::size_t i) -> const range_part& { return next[i]; }, lo, hi,
                       latency);
        for (std::size_t i = lo; i <= hi; ++i) upload[i] = upload_of(next[i]);
        // The partitions before lo, their latencies and upload times are plan_'s.
        const plan_value v =
            shared_ ? simulated_value([&](std::size_t i) -> const range_part& { return next[i]; },
                                      latency, upload)
                    : value_from(states_[lo], lo, latency, upload, sim_, window_);
        if (!v.better_than(value_)) return false;
        plan_.swap(next);
        latency_.swap(latency);
        upload_.swap(upload);
        accepted(v, lo);
        return true;
    }

    // plan_, latency_ and upload_ are a new plan that differs from the last from partition
    // `from` on, and `v` its value: value_ and the states before each partition follow.
    void accepted(const plan_value& v, std::size_t from) {
        value_ = v;
        if (!shared_) value_from(states_[from], from, latency_, upload_, sim_, window_, &states_);
        changed(from);
    }

    // try_plan() for a `next` as try_range() takes it: the same answer (refresh() prices every
    // prefix afresh, and the unchanged ones are the same sets), in time for the changed ones
    // only, while every latency of plan_ is a full evaluation of its prefix set.
    bool try_plan_range(std::vector<range_part>& next, std::size_t lo, std::size_t hi) {
        if (exact_ && full_evaluation(next.size())) return try_range(next, lo, hi);
        return try_plan(std::move(next));
    }

    bool in_block(std::size_t p) const {
        return std::any_of(units_.blocks.begin(), units_.blocks.end(),
                           [&](const upload_block& b) { return p >= b.first && p <= b.last; });
    }

    bool relocate_free(std::size_t k, std::size_t& evaluations, std::size_t budget) {
        if (!in_block(plan_[k].first)) {
            for (std::size_t to = 0; to < plan_.size() && evaluations < budget; ++to) {
                if (to == k) continue;
                relocated(k, to);
                evaluations += plan_.size();
                if (try_plan_range(next_, std::min(k, to), std::max(k, to))) return true;
            }
            return false;
        }
        for (std::size_t e = 0; e < plan_[k].extras.size(); ++e)
            for (std::size_t to = 0; to < plan_.size() && evaluations < budget; ++to) {
                if (to == k || plan_[to].node != plan_[k].node || !in_block(plan_[to].first))
                    continue;
                next_ = plan_;
                next_[to].extras.push_back(next_[k].extras[e]);
                next_[k].extras.erase(next_[k].extras.begin() + static_cast<std::ptrdiff_t>(e));
                evaluations += plan_.size();
                if (try_plan_range(next_, std::min(k, to), std::max(k, to))) return true;
            }
        return false;
    }

    // Upload time of a part: its range and the parameter-free blocks with it (load times), and
    // the partition's overhead.
    double upload_of(const range_part& part) const {
        double t = q_.partition_upload_time(part.first, part.last);
        for (std::size_t b : part.extras)
            t += q_.upload_time(units_.free_blocks[b].first, units_.free_blocks[b].last);
        return t;
    }

    // Index of the partition whose range starts at position p, or plan_.size().
    std::size_t starting_at(std::size_t p) {
        if (start_version_ != version_) {
            start_.assign(q_.size() + 1, std::size_t(-1));
            for (std::size_t i = 0; i < plan_.size(); ++i) start_[plan_[i].first] = i;
            start_version_ = version_;
        }
        return p < start_.size() && start_[p] < plan_.size() ? start_[p] : plan_.size();
    }

    std::size_t first_param(const range_part& r) const {
        return *std::lower_bound(params_.begin(), params_.end(), r.first);
    }
    std::size_t last_param(const range_part& r) const {
        return *(std::upper_bound(params_.begin(), params_.end(), r.last) - 1);
    }

    // Replaces the whole plan if its value is better.
    bool try_plan(std::vector<range_part> next) {
        std::vector<range_part> saved = std::move(plan_);
        std::vector<double> latency = std::move(latency_), upload = std::move(upload_);
        std::vector<value_state> states = std::move(states_);
        const plan_value before = value_;
        const bool exact = exact_;
        plan_ = std::move(next);
        refresh();
        if (value_.better_than(before)) {
            changed();
            return true;
        }
        // Rejected: plan_ is back as it was, so the caches keyed on its version stay valid.
        plan_ = std::move(saved);
        latency_ = std::move(latency);
        upload_ = std::move(upload);
        states_ = std::move(states);
        value_ = before;
        exact_ = exact;
        return false;
    }

    bool same_block(std::size_t p1, std::size_t p2) const {
        for (const auto& b : units_.blocks)
            if (p1 >= b.first && p1 <= b.last) return p2 >= b.first && p2 <= b.last;
        return false;
    }

    void mark(const range_part& part) {
        for (std::size_t p = part.first; p <= part.last; ++p) acked_[q_.layer_at(p)] = 1;
        for (std::size_t b : part.extras)
            for (std::size_t p = units_.free_blocks[b].first; p <= units_.free_blocks[b].last; ++p)
                acked_[q_.layer_at(p)] = 1;
    }

    static constexpr std::size_t full_evaluation_budget = std::size_t{1} << 22;
    bool full_evaluation(std::size_t parts) const noexcept {
        return parts * q_.size() <= full_evaluation_budget;
    }

    // Latencies after each prefix and upload times of plan_, from scratch: one full evaluation
    // per partition while that stays small (exact to the last bit), else incrementally, each
    // partition and each parameter-free block priced as a range (linear in the model).
    void refresh() {
        std::fill(acked_.begin(), acked_.end(), std::uint8_t{0});
        latency_.assign(1, delay_of_set(set_key{}, [] {}));
        upload_.clear();
        exact_ = full_evaluation(plan_.size());
        if (!exact_) {
            effective_delay<Model> q = q_;
            q.reset();
            for (const auto& part : plan_) {
                q.upload(part.first, part.last);
                for (std::size_t b : part.extras)
                    q.upload(units_.free_blocks[b].first, units_.free_blocks[b].last);
                latency_.push_back(q.current());
                upload_.push_back(upload_of(part));
            }
            value_ = value_of_plan();
            return;
        }
        set_key key{};
        for (const auto& part : plan_) {
            mark(part);
            key = key ^ key_of(part);
            latency_.push_back(delay_of_set(key, [] {}));
            upload_.push_back(upload_of(part));
        }
        value_ = value_of_plan();
    }

    // value_ of plan_, whose latency_ and upload_ are filled in.
    plan_value value_of_plan() {
        if (shared_)
            return simulated_value([&](std::size_t i) -> const range_part& { return plan_[i]; },
                                   latency_, upload_);
        return value_of(latency_, upload_, sim_, window_, &states_);
    }

    // Under uplink_sharing::queries_first: the plan part(0), part(1), ... valued by the simulation
    // (shared_value()), each prefix's uplink transfers cached by set, else found in O(n + E).
    template <class PartAt>
    plan_value simulated_value(const PartAt& part, std::span<const double> latency,
                               std::span<const double> upload) {
        sends_.resize(upload.size() + 1);
        overhead_.resize(upload.size());
        std::fill(acked_.begin(), acked_.end(), std::uint8_t{0});
        set_key key{};
        for (std::size_t i = 0; i < sends_.size(); ++i) {
            if (i > 0) {
                mark(part(i - 1));
                key = key ^ key_of(part(i - 1));
                overhead_[i - 1] = q_.partition_overhead(part(i - 1).node);
            }
            sends_[i] = sends_cache_.get(key.a, key.b, [&](std::vector<uplink_interval>& out) {
                q_.uplink_sends(acked_, [&](double o, double d) { out.push_back({o, d}); });
            });
        }
        return shared_value(latency, upload, overhead_, sends_, sim_);
    }

    // The set of positions of a part, by its key (see the constructor).
    struct set_key {
        std::uint64_t a = 0, b = 0;
        friend set_key operator^(set_key x, set_key y) noexcept { return {x.a ^ y.a, x.b ^ y.b}; }
    };
    set_key key_of(std::size_t first, std::size_t last) const noexcept {
        return key_prefix_[last + 1] ^ key_prefix_[first];
    }
    set_key key_of(const range_part& part) const noexcept {
        set_key k = key_of(part.first, part.last);
        for (std::size_t b : part.extras)
            k = k ^ key_of(units_.free_blocks[b].first, units_.free_blocks[b].last);
        return k;
    }
    // prefix_key_[i]: the key of the first i partitions of plan_ (those up to `from` kept).
    void rehash(std::size_t from = 0) {
        prefix_key_.resize(plan_.size() + 1);
        prefix_key_[0] = set_key{};
        for (std::size_t i = from; i < plan_.size(); ++i)
            prefix_key_[i + 1] = prefix_key_[i] ^ key_of(plan_[i]);
    }
    // plan_ was replaced (from partition `from` on): the caches that depend on it are stale.
    void changed(std::size_t from = 0) {
        ++version_;
        rehash(from);
    }

    // Q of the set known by `key`: from the cache, or `mark_set()` fills acked_ with it and it
    // is priced by tracker_. The value is that of q_.delay() on the set, to the last bit, so
    // neither the cache nor the tracker changes a decision; a second 64-bit key guards against a collision of the first.
    template <class MarkSet>
    double delay_of_set(set_key key, const MarkSet& mark_set) {
        const auto* hit = cache_->find(key.a);
        if (hit && hit->b == key.b) return hit->d;
        mark_set();
        // The tracker whose last set is nearer re-prices fewer layers; the other keeps its set
        // (the searches alternate between a few neighbourhoods).
        auto& tracker = trackers_[1].distance(acked_) < trackers_[0].distance(acked_)
                            ? trackers_[1]
                            : trackers_[0];
        const double d = tracker.delay(acked_);
        if (!hit && cache_->size() < max_cached) cache_->insert(key.a, key.b, d);
        return d;
    }

    // latency[i + 1] for i in from..to - 1: Q after the first i + 1 partitions of a plan whose
    // partitions are part(0), part(1), ..., and whose first `from` are plan_'s. acked_ is
    // filled only if a set is not in the cache, and then from the partitions still missing.
    template <class PartAt>
    void price_prefixes(const PartAt& part, std::size_t from, std::size_t to,
                        std::vector<double>& latency) {
        constexpr std::size_t unmarked = static_cast<std::size_t>(-1);
        std::size_t marked = unmarked;  // partitions of the plan marked in acked_
        set_key key = prefix_key_[from];
        for (std::size_t i = from; i < to; ++i) {
            key = key ^ key_of(part(i));
            latency[i + 1] = delay_of_set(key, [&] {
                if (marked == unmarked) {
                    std::fill(acked_.begin(), acked_.end(), std::uint8_t{0});
                    marked = 0;
                }
                for (; marked <= i; ++marked) mark(part(marked));
            });
        }
    }

    // Replaces `removed` partitions from k on by `inserted`; keeps it if the value improves.
    bool try_move(std::size_t k, std::span<const range_part> inserted, std::size_t removed) {
        const std::size_t count = inserted.size();
        std::vector<double>& latency = try_latency_;
        std::vector<double>& upload = try_upload_;
        latency.resize(k + count + 1 + (latency_.size() - (k + removed + 1)));
        std::copy(latency_.begin(), latency_.begin() + static_cast<std::ptrdiff_t>(k) + 1,
                  latency.begin());
        // The last inserted prefix equals the old prefix after the removed ones.
        price_prefixes(
            [&](std::size_t i) -> const range_part& { return i < k ? plan_[i] : inserted[i - k]; },
            k, k + count - 1, latency);
        latency[k + count] = latency_[k + removed];
        std::copy(latency_.begin() + static_cast<std::ptrdiff_t>(k + removed) + 1, latency_.end(),
                  latency.begin() + static_cast<std::ptrdiff_t>(k + count) + 1);
        upload.assign(upload_.begin(), upload_.begin() + static_cast<std::ptrdiff_t>(k));
        for (const range_part& part : inserted) upload.push_back(upload_of(part));
        upload.insert(upload.end(), upload_.begin() + static_cast<std::ptrdiff_t>(k + removed),
                      upload_.end());
        // The partitions before k, their latencies and upload times are plan_'s.
        const auto part = [&](std::size_t i) -> const range_part& {
            return i < k ? plan_[i] : i < k + count ? inserted[i - k] : plan_[i - count + removed];
        };
        const plan_value v = shared_ ? simulated_value(part, latency, upload)
                                     : value_from(states_[k], k, latency, upload, sim_, window_);
        if (!v.better_than(value_)) return false;
        plan_.erase(plan_.begin() + static_cast<std::ptrdiff_t>(k),
                    plan_.begin() + static_cast<std::ptrdiff_t>(k + removed));
        plan_.insert(plan_.begin() + static_cast<std::ptrdiff_t>(k), inserted.begin(),
                     inserted.end());
        latency_.swap(latency);
        upload_.swap(upload);
        accepted(v, k);
        return true;
    }

    const effective_delay<Model>& q_;
    const upload_units& units_;
    simulation_options sim_;
    bool shared_ = sim_.uplink == uplink_sharing::queries_first;  // valued by simulated_value()
    std::vector<std::vector<uplink_interval>> sends_;             // simulated_value()'s scratch
    std::vector<double> overhead_;
    sends_cache sends_cache_;
    double window_ = std::numeric_limits<double>::quiet_NaN();  // value_of()'s window
    std::vector<std::size_t> params_;  // parameter positions of all blocks, ascending
    std::vector<range_part> plan_;
    std::vector<double> latency_, upload_;
    std::vector<value_state> states_;               // value_from()'s state before each part
    std::vector<double> try_latency_, try_upload_;  // a move's, before it is kept
    std::vector<range_part> moves_, next_;          // a move's parts, a move's whole plan
    std::vector<std::uint8_t> acked_;
    plan_value value_;
    std::vector<std::size_t> start_;  // partition index by first position (starting_at())
    std::size_t version_ = 0, start_version_ = std::size_t(-1);  // of plan_ and of start_
    // True while every latency_[i] is q_.delay() of the first i partitions' set (refresh() in
    // full evaluations; the moves keep it so).
    bool exact_ = true;
    std::vector<set_key> key_prefix_;  // XOR of the keys of positions 0..p - 1
    std::vector<set_key> prefix_key_;  // of plan_'s prefixes (rehash())
    // Q by set key (first word), with the second word to check: the local searches of one LMU
    // run price the same sets again and again (a move tried, refused, tried again after a
    // move elsewhere; several starts that converge).
    static constexpr std::size_t max_cached = std::size_t{1} << 18;
    delay_cache own_cache_;
    delay_cache* cache_;  // own_cache_ or a shared one
    // q_.delay() of the sets missing from the cache, each re-priced from the nearer of the
    // trackers' last sets.
    std::array<typename effective_delay<Model>::tracker, 2> trackers_;
};

}  // namespace detail::upload

}  // namespace eosdnn
