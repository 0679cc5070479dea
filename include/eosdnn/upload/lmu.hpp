#pragma once
/// \file lmu.hpp
/// LMU (Layer Merge Uploading, EosDNN): the uploading plan of a placement that may use several
/// edge and cloud nodes.

#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/upload/effective_delay.hpp>
#include <eosdnn/upload/efficiency_planner.hpp>
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

// One partition as a range of positions of one block.
struct range_part {
    node_id node = 0;
    std::size_t first = 0, last = 0;
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
                        const range_part merged{a.node, std::min(a.first, b.first),
                                                std::max(a.last, b.last)};
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
                        const range_part left{part.node, part.first, cuts[c] - 1};
                        const range_part right{part.node, cuts[c], part.last};
                        evaluations += 2;
                        moved = try_move(k, {left, right}, 1) || try_move(k, {right, left}, 1);
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
                if (moved)
                    improved = true;
                else
                    ++k;
            }
        }
        return std::move(plan_);
    }

private:
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
        for (const auto& block : units_.free_blocks)
            if (block.node == part.node)
                for (std::size_t p = block.first; p <= block.last; ++p) acked_[q_.layer_at(p)] = 1;
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
            std::vector<std::uint8_t> free_done(units_.free_blocks.size(), 0);
            for (const auto& part : plan_) {
                q.upload(part.first, part.last);
                for (std::size_t b = 0; b < units_.free_blocks.size(); ++b) {
                    const upload_block& block = units_.free_blocks[b];
                    if (free_done[b] || block.node != part.node) continue;
                    free_done[b] = 1;
                    q.upload(block.first, block.last);
                }
                latency_.push_back(q.current());
                upload_.push_back(q_.upload_time(part.first, part.last));
            }
            value_ = value_of(latency_, upload_, sim_);
            return;
        }
        for (const auto& part : plan_) {
            mark(part);
            latency_.push_back(q_.delay(acked_));
            upload_.push_back(q_.upload_time(part.first, part.last));
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
            upload.push_back(q_.upload_time(inserted[i].first, inserted[i].last));
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
/// `rule` is the efficiency rule; its defaults are EMDL's, so with `portfolio = false` and a
/// single remote node the plan is exactly emdl_planner's. With `portfolio = true` (the default)
/// LMU also runs the rule's other readings (efficiency by query rate; look-ahead refinement by
/// time saved and by query rate; bottom-up merging of single layers) and takes the finest plan in
/// model order (one parameter layer per partition) as a further seed, improves the best of them
/// by local search (split, merge or swap partitions while the count of queries completed during
/// the upload, then the area under the latency curve, improves; at most `polish_evaluations`
/// evaluations), and returns the plan that the query simulation with `simulation` rates best.
/// The plain rule's plan is one of the candidates, so LMU never completes fewer queries during
/// the upload than EMDL's rule does for the same placement and simulation options.
///
/// DAGs are handled natively: blocks and ranges are runs of the graph's topological order, and
/// every score is the exact sequential delay of the effective placement (see effective_delay).
struct lmu_planner {
    efficiency_options rule{};              ///< the rule, alone when portfolio is off
    bool portfolio = true;                  ///< also try the other readings and polish the best
    simulation_options simulation{};        ///< how candidate plans are compared
    std::size_t polish_evaluations = 4000;  ///< local-search budget (delay evaluations); 0: off

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
        upload_plan best = finish_plan(std::string(name()), q, units, steps_of(rule));
        if (!portfolio) return best;
        upload_metrics best_metrics = simulate_queries(graph, model, best, simulation).metrics;
        auto consider = [&](upload_plan candidate) {
            const upload_metrics m = simulate_queries(graph, model, candidate, simulation).metrics;
            const bool better = m.queries_during_upload != best_metrics.queries_during_upload
                                    ? m.queries_during_upload > best_metrics.queries_during_upload
                                : m.latency_area_s2 != best_metrics.latency_area_s2
                                    ? m.latency_area_s2 < best_metrics.latency_area_s2
                                    : m.partitions < best_metrics.partitions;
            if (better) {
                best = std::move(candidate);
                best_metrics = m;
            }
        };
        const std::array<efficiency_options, 4> readings{{
            {.measure = efficiency_measure::rate_gained},
            {.refinement = refinement_rule::lookahead},
            {.measure = efficiency_measure::rate_gained, .refinement = refinement_rule::lookahead},
            {.strategy = merge_strategy::bottom_up},
        }};
        for (const efficiency_options& reading : readings)
            consider(finish_plan(std::string(name()), q, units, steps_of(reading)));
        {
            // The finest plan in model order: a seed for the local search that grows the
            // uploaded front smoothly, which suits DAGs whose inner layers only pay off together.
            std::vector<upload_partition> steps;
            for (const auto& unit : units.units)
                steps.push_back(
                    range_step(q, units.blocks[unit.block].node, unit.first, unit.last));
            consider(finish_plan(std::string(name()), q, units, std::move(steps)));
        }
        if (polish_evaluations > 0 && !best.partitions.empty()) {
            // Back to ranges: finish_plan may have added parameter-free blocks, which the
            // polisher re-attaches itself.
            std::vector<detail::upload::range_part> ranges;
            for (const auto& part : best.partitions) {
                std::size_t first = q.size(), last = 0;
                for (layer_id j : part.layers) {
                    const std::size_t p = q.position(j);
                    const bool in_block = std::any_of(
                        units.blocks.begin(), units.blocks.end(),
                        [&](const upload_block& b) { return p >= b.first && p <= b.last; });
                    if (!in_block) continue;
                    first = std::min(first, p);
                    last = std::max(last, p);
                }
                if (first <= last) ranges.push_back({part.node, first, last});
            }
            detail::upload::plan_polisher<Model> polisher(q, units, simulation);
            ranges = polisher.run(std::move(ranges), polish_evaluations);
            std::vector<upload_partition> steps;
            for (const auto& r : ranges) steps.push_back(range_step(q, r.node, r.first, r.last));
            consider(finish_plan(std::string(name()), q, units, std::move(steps)));
        }
        return best;
    }
};

}  // namespace eosdnn
