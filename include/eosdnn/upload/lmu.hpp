#pragma once
/// \file lmu.hpp
/// LMU (Layer Merge Uploading, EosDNN): the uploading plan of a placement that may use several
/// edge and cloud nodes.

#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/upload/baselines.hpp>
#include <eosdnn/upload/effective_delay.hpp>
#include <eosdnn/upload/efficiency_planner.hpp>
#include <eosdnn/upload/ionn.hpp>
#include <eosdnn/upload/query_simulation.hpp>
#include <eosdnn/upload/upload_plan.hpp>
#include <eosdnn/upload/upload_problem.hpp>
#include <eosdnn/upload/upload_units.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
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

// Queries completed during the upload and area under the latency curve, in closed form per
// partition, from the latency after each prefix and the upload times.
struct plan_value {
    std::size_t queries = 0;
    double area = 0;
    bool better_than(const plan_value& o) const noexcept {
        if (queries != o.queries) return queries > o.queries;
        return area < o.area * (1 - 1e-12);
    }
};

inline plan_value value_of(std::span<const double> latency, std::span<const double> upload,
                           const simulation_options& sim) {
    plan_value v;
    const std::size_t parts = upload.size();
    double clock = 0, previous = 0, a = 0;
    std::size_t started = 0;
    for (std::size_t k = 0; k < parts; ++k) {
        clock += upload[k];
        const double acked_at = clock + sim.ack_latency_s;
        v.area += latency[k] * (acked_at - previous);
        previous = acked_at;
        if (k == 0 && sim.first_query == first_query_policy::wait) {
            a = acked_at;
            continue;
        }
        if (a < acked_at) {
            const double q = latency[k];
            auto m = static_cast<std::size_t>(std::ceil((acked_at - a) / q));
            while (m > 1 && a + static_cast<double>(m - 1) * q >= acked_at) --m;
            while (a + static_cast<double>(m) * q < acked_at) ++m;
            started += m;
            a += static_cast<double>(m) * q;
        }
    }
    v.queries = started - (started > 0 && a > previous ? 1 : 0);
    return v;
}

// Local search over a plan of ranges: split a partition in two (either half first), merge two
// consecutive partitions that are adjacent in one block, swap two consecutive partitions. Each
// move changes one prefix set, so it costs one delay evaluation. First improvement is taken;
// stops at a local optimum or after `budget` evaluations.
template <class Model>
class plan_polisher {
public:
    plan_polisher(const effective_delay<Model>& q, const upload_units& units,
                  const simulation_options& sim)
        : q_(q), units_(units), sim_(sim), acked_(q.size(), 0) {
        for (std::size_t b = 0; b < units.blocks.size(); ++b)
            for (std::size_t p = units.blocks[b].first; p <= units.blocks[b].last; ++p)
                if (q.graph()[q.layer_at(p)].has_parameters()) params_.push_back(p);
    }

    std::vector<range_part> run(std::vector<range_part> plan, std::size_t budget) {
        plan_ = std::move(plan);
        ++version_;
        refresh();
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
                    moved = try_move(k, {plan_[k + 1], plan_[k]}, 2);
                }
                // Merge k and k + 1 when they touch in one block.
                if (!moved && k + 1 < plan_.size() && plan_[k].node == plan_[k + 1].node) {
                    const range_part& a = plan_[k];
                    const range_part& b = plan_[k + 1];
                    if (same_block(a.first, b.first) &&
                        (a.last + 1 == b.first || b.last + 1 == a.first)) {
                        ++evaluations;
                        range_part merged{.node = a.node,
                                          .first = std::min(a.first, b.first),
                                          .last = std::max(a.last, b.last),
                                          .extras = a.extras};
                        merged.extras.insert(merged.extras.end(), b.extras.begin(), b.extras.end());
                        moved = try_move(k, {merged}, 2);
                    }
                }
                // Split k at a parameter layer (the free run before it going either way).
                const range_part part = plan_[std::min(k, plan_.size() - 1)];
                const auto lo = std::upper_bound(params_.begin(), params_.end(), part.first);
                const auto hi = std::upper_bound(params_.begin(), params_.end(), part.last);
                for (auto it = lo; it != hi && !moved && evaluations < budget; ++it) {
                    if (it == params_.begin()) continue;
                    const std::size_t prev = *(it - 1);
                    if (prev < part.first) continue;
                    const std::size_t cuts[2] = {*it, prev + 1};
                    for (std::size_t c = 0; c < (*it == prev + 1 ? 1u : 2u) && !moved; ++c) {
                        // The parameter-free blocks travel with the half uploaded first.
                        const range_part left{.node = part.node,
                                              .first = part.first,
                                              .last = cuts[c] - 1,
                                              .extras = {}};
                        const range_part right{
                            .node = part.node, .first = cuts[c], .last = part.last, .extras = {}};
                        range_part left_first = left, right_first = right;
                        left_first.extras = right_first.extras = part.extras;
                        evaluations += 2;
                        moved = try_move(k, {left_first, right}, 1) ||
                                try_move(k, {right_first, left}, 1);
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
                    const range_part a = plan_[k], b = plan_[other];
                    if (a.last + 1 != b.first || !same_block(a.first, b.first)) continue;
                    // a's trailing run to b, or b's leading run to a.
                    const std::size_t a_param = last_param(a), b_param = first_param(b);
                    std::vector<range_part> next = plan_;
                    if (a_param < a.last) {
                        next[k].last = a_param;
                        next[other].first = a_param + 1;
                        evaluations += plan_.size();
                        if ((moved = try_plan(std::move(next)))) break;
                        next = plan_;
                    }
                    if (b_param > b.first) {
                        next[k].last = b_param - 1;
                        next[other].first = b_param;
                        evaluations += plan_.size();
                        if ((moved = try_plan(std::move(next)))) break;
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
        std::vector<range_part> next = plan_;
        const range_part part = next[k];
        next.erase(next.begin() + static_cast<std::ptrdiff_t>(k));
        next.insert(next.begin() + static_cast<std::ptrdiff_t>(to), part);
        const std::size_t lo = std::min(k, to), hi = std::max(k, to);
        std::vector<double> latency = latency_, upload = upload_;
        std::fill(acked_.begin(), acked_.end(), std::uint8_t{0});
        for (std::size_t i = 0; i < lo; ++i) mark(next[i]);
        for (std::size_t i = lo; i < hi; ++i) {
            mark(next[i]);
            latency[i + 1] = q_.delay(acked_);
        }
        for (std::size_t i = lo; i <= hi; ++i) upload[i] = upload_of(next[i]);
        const plan_value v = value_of(latency, upload, sim_);
        if (!v.better_than(value_)) return false;
        plan_ = std::move(next);
        latency_ = std::move(latency);
        upload_ = std::move(upload);
        value_ = v;
        ++version_;
        return true;
    }

    bool in_block(std::size_t p) const {
        return std::any_of(units_.blocks.begin(), units_.blocks.end(),
                           [&](const upload_block& b) { return p >= b.first && p <= b.last; });
    }

    bool relocate_free(std::size_t k, std::size_t& evaluations, std::size_t budget) {
        if (!in_block(plan_[k].first)) {
            for (std::size_t to = 0; to < plan_.size() && evaluations < budget; ++to) {
                if (to == k) continue;
                std::vector<range_part> next = plan_;
                const range_part part = next[k];
                next.erase(next.begin() + static_cast<std::ptrdiff_t>(k));
                next.insert(next.begin() + static_cast<std::ptrdiff_t>(to), part);
                evaluations += plan_.size();
                if (try_plan(std::move(next))) return true;
            }
            return false;
        }
        for (std::size_t e = 0; e < plan_[k].extras.size(); ++e)
            for (std::size_t to = 0; to < plan_.size() && evaluations < budget; ++to) {
                if (to == k || plan_[to].node != plan_[k].node || !in_block(plan_[to].first))
                    continue;
                std::vector<range_part> next = plan_;
                next[to].extras.push_back(next[k].extras[e]);
                next[k].extras.erase(next[k].extras.begin() + static_cast<std::ptrdiff_t>(e));
                evaluations += plan_.size();
                if (try_plan(std::move(next))) return true;
            }
        return false;
    }

    // Upload time of a part: its range and the parameter-free blocks with it (load times).
    double upload_of(const range_part& part) const {
        double t = q_.upload_time(part.first, part.last);
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
        const plan_value before = value_;
        plan_ = std::move(next);
        refresh();
        ++version_;
        if (value_.better_than(before)) return true;
        plan_ = std::move(saved);
        latency_ = std::move(latency);
        upload_ = std::move(upload);
        value_ = before;
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

    // Latencies after each prefix and upload times of plan_, from scratch: one full evaluation
    // per partition while that stays small (exact to the last bit), else incrementally, each
    // partition and each parameter-free block priced as a range (linear in the model).
    void refresh() {
        std::fill(acked_.begin(), acked_.end(), std::uint8_t{0});
        latency_.assign(1, q_.delay(acked_));
        upload_.clear();
        constexpr std::size_t full_evaluation_budget = std::size_t{1} << 22;
        if (plan_.size() * q_.size() > full_evaluation_budget) {
            effective_delay<Model> q = q_;
            q.reset();
            for (const auto& part : plan_) {
                q.upload(part.first, part.last);
                for (std::size_t b : part.extras)
                    q.upload(units_.free_blocks[b].first, units_.free_blocks[b].last);
                latency_.push_back(q.current());
                upload_.push_back(upload_of(part));
            }
            value_ = value_of(latency_, upload_, sim_);
            return;
        }
        for (const auto& part : plan_) {
            mark(part);
            latency_.push_back(q_.delay(acked_));
            upload_.push_back(upload_of(part));
        }
        value_ = value_of(latency_, upload_, sim_);
    }

    // Replaces `removed` partitions from k on by `inserted`; keeps it if the value improves.
    bool try_move(std::size_t k, std::vector<range_part> inserted, std::size_t removed) {
        std::vector<double> latency(latency_.begin(),
                                    latency_.begin() + static_cast<std::ptrdiff_t>(k) + 1);
        std::vector<double> upload(upload_.begin(),
                                   upload_.begin() + static_cast<std::ptrdiff_t>(k));
        std::fill(acked_.begin(), acked_.end(), std::uint8_t{0});
        for (std::size_t i = 0; i < k; ++i) mark(plan_[i]);
        for (std::size_t i = 0; i < inserted.size(); ++i) {
            mark(inserted[i]);
            // The last inserted prefix equals the old prefix after the removed ones.
            latency.push_back(i + 1 == inserted.size() ? latency_[k + removed] : q_.delay(acked_));
            upload.push_back(upload_of(inserted[i]));
        }
        latency.insert(latency.end(),
                       latency_.begin() + static_cast<std::ptrdiff_t>(k + removed) + 1,
                       latency_.end());
        upload.insert(upload.end(), upload_.begin() + static_cast<std::ptrdiff_t>(k + removed),
                      upload_.end());
        const plan_value v = value_of(latency, upload, sim_);
        if (!v.better_than(value_)) return false;
        plan_.erase(plan_.begin() + static_cast<std::ptrdiff_t>(k),
                    plan_.begin() + static_cast<std::ptrdiff_t>(k + removed));
        plan_.insert(plan_.begin() + static_cast<std::ptrdiff_t>(k), inserted.begin(),
                     inserted.end());
        latency_ = std::move(latency);
        upload_ = std::move(upload);
        value_ = v;
        ++version_;
        return true;
    }

    const effective_delay<Model>& q_;
    const upload_units& units_;
    simulation_options sim_;
    std::vector<std::size_t> params_;  // parameter positions of all blocks, ascending
    std::vector<range_part> plan_;
    std::vector<double> latency_, upload_;
    std::vector<std::uint8_t> acked_;
    plan_value value_;
    std::vector<std::size_t> start_;  // partition index by first position (starting_at())
    std::size_t version_ = 0, start_version_ = std::size_t(-1);  // of plan_ and of start_
};

}  // namespace detail::upload

/// LMU: EMDL's efficiency rule extended to several destination nodes. The remote layers of the
/// placement (the edge and cloud blocks of a PSO-GA or exact plan) form blocks per node; each
/// step uploads one partition to one node, chosen among the candidates of every node, and the
/// uploaded partition merges with its uploaded neighbours on that node (the rest of its block
/// splits into new candidates, re-scored with the neighbours it touches).
///
/// `rule` is the efficiency rule; its defaults are EMDL's paper-text reading, with parameter-free
/// blocks placed where they help (efficiency_options::place_free_blocks), so with
/// `portfolio = false`, `rule.place_free_blocks = false` and a single remote node the plan is
/// exactly `emdl_planner{.reading = emdl_reading::paper_text}`'s. With `portfolio = true` (the
/// default) LMU builds candidates: the rule's readings (efficiency by query rate; look-ahead
/// refinement by time saved and by query rate; bottom-up merging; the IONN authors' EMDL), the
/// finest plan in model order, the baselines' plans (EMDL's readings, IONN's where it applies and
/// the model has at most `ionn_seed_limit` layers or is a chain, the whole model) and, with
/// several destinations, LMU per destination concatenated in every order of the destinations.
/// It runs a local search (split, merge, swap or relocate partitions, move parameter-free blocks,
/// while the count of queries completed during the upload, then the area under the latency
/// curve, improves; at most `polish_evaluations` evaluations each) from the `polish_seeds` best
/// distinct candidates and from the finest plan, and returns the plan that the query simulation
/// with `simulation` rates best. So LMU never completes fewer queries during the upload than any
/// of those candidates for the same placement and simulation options.
///
/// DAGs are handled natively: blocks and ranges are runs of the graph's topological order, and
/// every score is the exact sequential delay of the effective placement (see effective_delay).
struct lmu_planner {
    efficiency_options rule{};              ///< the rule, alone when portfolio is off
    bool portfolio = true;                  ///< candidates, local searches (above)
    simulation_options simulation{};        ///< how candidate plans are compared
    std::size_t polish_evaluations = 4000;  ///< local-search budget (delay evaluations); 0: off
    /// Local searches: from this many best distinct candidates, and from the finest plan.
    std::size_t polish_seeds = 2;
    /// IONN's plan is a candidate on chains and on DAGs of at most this many layers (its
    /// minimum cuts grow faster than linearly on very wide DAGs).
    std::size_t ionn_seed_limit = 500;
    /// Beyond this many upload units (runs of parameter layers), EMDL's reading as its authors
    /// implemented it (every sub-range a candidate: 57 s alone on a fan of 10^4 branches) and
    /// the finest plan are not candidates, and only the best candidate is polished, so that LMU
    /// stays near-linear in the width (issue 15); LMU may then complete fewer queries than
    /// emdl_planner's default reading, which a user can run on its own.
    std::size_t wide_units = 2000;

    /// The planner name recorded in upload_plan::planner: "lmu" with the portfolio, else
    /// "lmu-rule" (top-down rule alone) or "lmu-bottom-up".
    std::string_view name() const noexcept {
        if (portfolio) return "lmu";
        return rule.strategy == merge_strategy::top_down ? "lmu-rule" : "lmu-bottom-up";
    }

    /// Plans the upload of `problem`'s placement.
    template <upload_cost_model Model>
    upload_plan plan(const upload_problem<Model>& problem) const {
        effective_delay<Model> q = problem.delay();
        const upload_units& units = problem.units();
        const layer_graph& graph = problem.graph();
        const Model& model = problem.model();
        auto steps_of = [&](const efficiency_options& options) {
            q.reset();
            return detail::upload::efficiency_engine<Model>(q, units).run(options);
        };
        upload_plan first = finish_plan(std::string(name()), q, units, steps_of(rule));
        if (!portfolio) return first;
        // Candidates with their simulated metrics; better(): more queries completed during the
        // upload, then the smaller latency area, then fewer partitions.
        struct scored {
            upload_plan plan;
            upload_metrics metrics;
        };
        auto better = [](const upload_metrics& m, const upload_metrics& o) {
            if (m.queries_during_upload != o.queries_during_upload)
                return m.queries_during_upload > o.queries_during_upload;
            if (m.latency_area_s2 != o.latency_area_s2)
                return m.latency_area_s2 < o.latency_area_s2;
            return m.partitions < o.partitions;
        };
        std::vector<scored> seeds;
        auto add = [&](upload_plan candidate) {
            const upload_metrics m = simulate_queries(graph, model, candidate, simulation).metrics;
            seeds.push_back({std::move(candidate), m});
        };
        add(std::move(first));
        const std::array<efficiency_options, 5> readings{{
            {.measure = efficiency_measure::rate_gained},
            {.refinement = refinement_rule::lookahead},
            {.measure = efficiency_measure::rate_gained, .refinement = refinement_rule::lookahead},
            {.strategy = merge_strategy::bottom_up},
            {.refinement = refinement_rule::loop, .candidate = candidate_rule::any_sub_range},
        }};
        const bool wide = units.units.size() > wide_units;
        const auto affordable = [&](const efficiency_options& reading) {
            return !wide || reading.candidate != candidate_rule::any_sub_range;
        };
        for (const efficiency_options& reading : readings)
            if (affordable(reading))
                add(finish_plan(std::string(name()), q, units, steps_of(reading)));
        // The baselines themselves, so that LMU never completes fewer queries than any of
        // them: EMDL's two readings with their own handling of parameter-free blocks (the
        // same plans as above when there are none), IONN's plan where it applies (its steps
        // need not be ranges, so it is not polished), the whole model.
        if (!units.free_blocks.empty())
            for (efficiency_options reading : {readings[4], efficiency_options{}}) {
                if (!affordable(reading)) continue;
                reading.place_free_blocks = false;
                add(finish_plan(std::string(name()), q, units, steps_of(reading)));
            }
        if (graph.is_chain() || graph.size() <= ionn_seed_limit) {
            try {
                upload_plan ionn = ionn_planner{}.plan(problem);
                ionn.planner = std::string(name());
                add(std::move(ionn));
            } catch (const error&) {
                // A DAG placed on several servers: IONN has no plan.
            }
        }
        add(whole_model_planner{}.plan(problem));
        seeds.back().plan.planner = std::string(name());
        if (!wide) {
            // The finest plan in model order: a seed for the local search that grows the
            // uploaded front smoothly, which suits DAGs whose inner layers only pay off together.
            std::vector<upload_partition> steps;
            for (const auto& unit : units.units)
                steps.push_back(
                    range_step(q, units.blocks[unit.block].node, unit.first, unit.last));
            add(finish_plan(std::string(name()), q, units, std::move(steps)));
        }
        const std::size_t finest = wide ? seeds.size() : seeds.size() - 1;  // none when wide
        // One server after another: LMU's plan for each destination alone (the other nodes'
        // layers on the device), concatenated in every order of the destinations (the first
        // 24 orders beyond four). LMU keeps the best candidate, so it never does worse than
        // uploading per server in sequence.
        for (const upload_plan& sequence : per_server_sequences(problem)) add(sequence);

        std::size_t best = 0;
        for (std::size_t i = 1; i < seeds.size(); ++i)
            if (better(seeds[i].metrics, seeds[best].metrics)) best = i;
        if (polish_evaluations == 0) return std::move(seeds[best].plan);
        // Local search from the best few distinct candidates (polish_seeds) and from the finest
        // plan: different starts reach different local optima, and with several destinations
        // the best start is often not the best finish; the finest plan can still be split and
        // interleaved across destinations in any way.
        std::vector<std::size_t> order(seeds.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return better(seeds[a].metrics, seeds[b].metrics);
        });
        const auto at = std::find(order.begin(), order.end(), finest);
        if (at != order.end() && at - order.begin() >= static_cast<std::ptrdiff_t>(polish_seeds)) {
            order.erase(at);
            order.insert(
                order.begin() + static_cast<std::ptrdiff_t>(std::min(polish_seeds, order.size())),
                finest);
        }
        std::vector<scored> polished;
        std::size_t started = 0;
        const std::size_t starts = wide ? 1 : polish_seeds + 1;
        for (std::size_t i = 0; i < order.size() && started < starts; ++i) {
            const scored& seed = seeds[order[i]];
            if (seed.plan.partitions.empty() || !ranges_only(problem, seed.plan)) continue;
            bool duplicate = false;
            for (std::size_t k = 0; k < i && !duplicate; ++k)
                duplicate = same_partitions(seeds[order[k]].plan, seed.plan);
            if (duplicate) continue;
            ++started;
            upload_plan result = polish(problem, seed.plan);
            const upload_metrics m = simulate_queries(graph, model, result, simulation).metrics;
            polished.push_back({std::move(result), m});
        }
        scored* winner = &seeds[best];
        for (scored& c : polished)
            if (better(c.metrics, winner->metrics)) winner = &c;
        return std::move(winner->plan);
    }

private:
    // True if each partition's layers, parameter-free blocks aside, are one run of one block.
    template <upload_cost_model Model>
    static bool ranges_only(const upload_problem<Model>& problem, const upload_plan& plan) {
        const effective_delay<Model>& q = problem.delay();
        const upload_units& units = problem.units();
        constexpr std::size_t none = static_cast<std::size_t>(-1);
        std::vector<std::size_t> block_at(q.size(), none);  // block index, or none (free/local)
        for (std::size_t b = 0; b < units.blocks.size(); ++b)
            for (std::size_t p = units.blocks[b].first; p <= units.blocks[b].last; ++p)
                block_at[p] = b;
        for (const auto& part : plan.partitions) {
            std::size_t first = q.size(), last = 0, count = 0;
            for (layer_id j : part.layers) {
                const std::size_t p = q.position(j);
                if (block_at[p] == none) continue;
                first = std::min(first, p);
                last = std::max(last, p);
                ++count;
            }
            if (count > 0 && (last - first + 1 != count || block_at[first] != block_at[last]))
                return false;
        }
        return true;
    }

    static bool same_partitions(const upload_plan& a, const upload_plan& b) {
        if (a.partitions.size() != b.partitions.size()) return false;
        for (std::size_t k = 0; k < a.partitions.size(); ++k)
            if (a.partitions[k].node != b.partitions[k].node ||
                a.partitions[k].layers != b.partitions[k].layers)
                return false;
        return true;
    }

    // LMU alone on each destination, concatenated in every order of the destinations.
    template <upload_cost_model Model>
    std::vector<upload_plan> per_server_sequences(const upload_problem<Model>& problem) const {
        const auto x = problem.placement();
        const node_id device = problem.device();
        std::vector<node_id> nodes;
        for (node_id s : x)
            if (s != device && std::find(nodes.begin(), nodes.end(), s) == nodes.end())
                nodes.push_back(s);
        std::vector<upload_plan> out;
        if (nodes.size() < 2) return out;
        std::sort(nodes.begin(), nodes.end());
        std::vector<std::vector<upload_partition>> alone;
        for (node_id s : nodes) {
            std::vector<node_id> only(x.begin(), x.end());
            for (node_id& t : only)
                if (t != s) t = device;
            const upload_problem<Model> sub(problem.graph(), problem.model(), only, device);
            alone.push_back(plan(sub).partitions);
        }
        std::vector<std::size_t> order(nodes.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        constexpr std::size_t max_orders = 24;
        do {
            std::vector<upload_partition> steps;
            for (std::size_t i : order) steps.insert(steps.end(), alone[i].begin(), alone[i].end());
            out.push_back(finish_plan(std::string(name()), problem.delay(), problem.units(),
                                      std::move(steps)));
        } while (out.size() < max_orders && std::next_permutation(order.begin(), order.end()));
        return out;
    }

    // The local search from `seed`, whose partitions are ranges of blocks with parameter-free
    // blocks attached (every plan of this planner is).
    template <upload_cost_model Model>
    upload_plan polish(const upload_problem<Model>& problem, const upload_plan& seed) const {
        const effective_delay<Model>& q = problem.delay();
        const upload_units& units = problem.units();
        {
            // Back to ranges, each parameter-free block where the plan put it: with the
            // partition that holds it, or a part of its own (a node without parameter layers).
            std::vector<std::size_t> free_block_at(q.size(), units.free_blocks.size());
            for (std::size_t b = 0; b < units.free_blocks.size(); ++b)
                for (std::size_t p = units.free_blocks[b].first; p <= units.free_blocks[b].last;
                     ++p)
                    free_block_at[p] = b;
            std::vector<detail::upload::range_part> ranges;
            for (const auto& part : seed.partitions) {
                std::size_t first = q.size(), last = 0;
                std::vector<std::size_t> extras;
                for (layer_id j : part.layers) {
                    const std::size_t p = q.position(j);
                    const std::size_t b = free_block_at[p];
                    if (b < units.free_blocks.size()) {
                        if (units.free_blocks[b].first == p) extras.push_back(b);
                        continue;
                    }
                    first = std::min(first, p);
                    last = std::max(last, p);
                }
                if (first <= last) {
                    ranges.push_back(
                        {.node = part.node, .first = first, .last = last, .extras = extras});
                } else {
                    for (std::size_t b : extras)
                        ranges.push_back({.node = part.node,
                                          .first = units.free_blocks[b].first,
                                          .last = units.free_blocks[b].last,
                                          .extras = {}});
                }
            }
            detail::upload::plan_polisher<Model> polisher(q, units, simulation);
            ranges = polisher.run(std::move(ranges), polish_evaluations);
            std::vector<upload_partition> steps;
            for (const auto& r : ranges) {
                steps.push_back(range_step(q, r.node, r.first, r.last));
                for (std::size_t b : r.extras)
                    for (std::size_t p = units.free_blocks[b].first; p <= units.free_blocks[b].last;
                         ++p)
                        steps.back().layers.push_back(q.layer_at(p));
            }
            return finish_plan(std::string(name()), q, units, std::move(steps));
        }
    }
};

}  // namespace eosdnn
