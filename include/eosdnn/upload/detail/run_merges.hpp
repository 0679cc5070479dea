#pragma once
/// \file run_merges.hpp
/// LMU's last pass (upload/lmu.hpp): partitions made of several runs of the topological order.
/// The local search of plan_polisher.hpp moves ranges, so the partitions it makes are single
/// runs of one block; IONN's steps can hold several (the first convolution of each branch of an
/// inception module, uploaded at once). This pass merges partitions of one node that are not
/// adjacent, and moves runs between partitions, taking a plan only if LMU's own order of plans
/// (the simulation's metrics) prefers it.

#include <eosdnn/upload/detail/plan_value.hpp>
#include <eosdnn/upload/effective_delay.hpp>
#include <eosdnn/upload/query_simulation.hpp>
#include <eosdnn/upload/upload_plan.hpp>
#include <eosdnn/upload/upload_units.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn::detail::upload {

// LMU's order of plans: more queries completed during the upload, then the smaller latency area,
// then fewer partitions. Areas within rounding of each other are equal (smaller_area()), so that
// fewer partitions decide between plans with the same latency curve, not the rounding (a
// 69-partition plan was chosen over the whole model by 2e-13 s^2 of area).
inline bool better_metrics(const upload_metrics& m, const upload_metrics& o) noexcept {
    if (m.queries_during_upload != o.queries_during_upload)
        return m.queries_during_upload > o.queries_during_upload;
    if (smaller_area(m.latency_area_s2, o.latency_area_s2)) return true;
    if (smaller_area(o.latency_area_s2, m.latency_area_s2)) return false;
    return m.partitions < o.partitions;
}

// A plan and its metrics, as the pass returns it.
struct scored_plan {
    upload_plan plan;
    upload_metrics metrics;
};

// First-improvement search over moves that make or reshape partitions of several runs:
// - merge two partitions of one node, at the place of the earlier (a later one pulled forward)
//   or of the later one, nearest pairs first (consecutive ones included: in LMU's plans those
//   that touch in one block were already tried by the local search, but not the others);
// - move one run (a maximal set of consecutive topological positions) of a partition of several
//   runs, or the parameter-free layers at an end of a run, to another partition of its node, or
//   (if it holds parameters) to a partition of its own just before or after.
// `score(plan)` gives a plan's metrics (LMU's: simulate_queries()'s, to the last bit). A move
// costs as many evaluations as prefix sets it changes; the search stops at a local optimum or
// after `budget` evaluations. Plans of more than `max_partitions` partitions are left alone (the
// merges alone are quadratic in the partitions).
template <class Model, class Score>
class run_merger {
public:
    run_merger(const effective_delay<Model>& q, const upload_units& units, const Score& score)
        : q_(q), units_(units), score_(score) {}

    scored_plan run(scored_plan start, std::size_t budget, std::size_t max_partitions) {
        best_ = std::move(start);
        evaluations_ = 0;
        budget_ = budget;
        if (best_.plan.partitions.size() < 2 || best_.plan.partitions.size() > max_partitions)
            return std::move(best_);
        while (evaluations_ < budget_ && (merge_pairs() || move_runs())) {
        }
        return std::move(best_);
    }

    // Evaluations spent by the last run().
    std::size_t evaluations() const noexcept { return evaluations_; }

private:
    using parts = std::vector<upload_partition>;

    // Prices `steps` (each a node and its layers); keeps them if LMU prefers them.
    bool try_steps(parts steps, std::size_t cost) {
        evaluations_ += std::max<std::size_t>(cost, 1);
        upload_plan candidate = finish_plan(best_.plan.planner, q_, units_, std::move(steps));
        const upload_metrics m = score_(candidate);
        if (!better_metrics(m, best_.metrics)) return false;
        best_ = {std::move(candidate), m};
        return true;
    }

    parts steps() const {
        parts out;
        for (const auto& part : best_.plan.partitions)
            out.push_back({.node = part.node, .layers = part.layers});
        return out;
    }

    // Partition j merged into partition i, the union at `at` (i or j), i < j.
    bool merge_pairs() {
        const std::size_t n = best_.plan.partitions.size();
        for (std::size_t d = 1; d < n; ++d)
            for (std::size_t i = 0; i + d < n && evaluations_ < budget_; ++i) {
                const std::size_t j = i + d;
                const auto& plan = best_.plan.partitions;
                if (plan[i].node != plan[j].node) continue;
                for (const std::size_t at : {i, j}) {
                    if (d == 1 && at == j) continue;  // the same plan as at == i
                    parts s = steps();
                    s[at].layers.insert(s[at].layers.end(), s[at == i ? j : i].layers.begin(),
                                        s[at == i ? j : i].layers.end());
                    s.erase(s.begin() + static_cast<std::ptrdiff_t>(at == i ? j : i));
                    if (try_steps(std::move(s), d)) return true;
                }
            }
        return false;
    }

    // The runs of a partition's layers (sorted by position): [begin, end) index pairs.
    std::vector<std::pair<std::size_t, std::size_t>> runs_of(const upload_partition& part) const {
        std::vector<std::pair<std::size_t, std::size_t>> out;
        for (std::size_t k = 0; k < part.layers.size(); ++k)
            if (k == 0 || q_.position(part.layers[k]) != q_.position(part.layers[k - 1]) + 1)
                out.push_back({k, k + 1});
            else
                out.back().second = k + 1;
        return out;
    }

    bool has_parameters(const std::vector<layer_id>& layers) const {
        return std::any_of(layers.begin(), layers.end(),
                           [&](layer_id j) { return q_.graph()[j].has_parameters(); });
    }

    // The pieces of a partition that a move may take elsewhere ([begin, end) into its layers,
    // sorted by position): each run when it has several, and the parameter-free layers at either
    // end of a run. The latter generalise the local search's hand-over of a parameter-free run to
    // the partition next to it in the block: a block's trailing ReLU, say, may be best uploaded
    // last, when the layers before it are remote (IONN's plans do that; units cannot).
    std::vector<std::pair<std::size_t, std::size_t>> pieces_of(const upload_partition& part) const {
        const auto runs = runs_of(part);
        std::vector<std::pair<std::size_t, std::size_t>> out;
        const auto free = [&](std::size_t k) {
            return !q_.graph()[part.layers[k]].has_parameters();
        };
        for (const auto& [begin, end] : runs) {
            if (runs.size() > 1) out.push_back({begin, end});
            std::size_t lead = begin, trail = end;
            while (lead < end && free(lead)) ++lead;
            if (lead == end) continue;  // no parameters: the whole run, above
            while (trail > lead && free(trail - 1)) --trail;
            if (lead > begin) out.push_back({begin, lead});
            if (trail < end) out.push_back({trail, end});
        }
        return out;
    }

    // One piece of a partition (pieces_of()) to another partition of its node, or, if it holds
    // parameters, to a partition of its own right before or after. A partition keeps parameters,
    // so none is made that costs nothing (see upload_units.hpp).
    bool move_runs() {
        const std::size_t n = best_.plan.partitions.size();
        for (std::size_t i = 0; i < n && evaluations_ < budget_; ++i) {
            for (const auto& [begin, end] : pieces_of(best_.plan.partitions[i])) {
                const auto& layers = best_.plan.partitions[i].layers;
                const std::vector<layer_id> run(layers.begin() + static_cast<std::ptrdiff_t>(begin),
                                                layers.begin() + static_cast<std::ptrdiff_t>(end));
                std::vector<layer_id> rest(layers.begin(),
                                           layers.begin() + static_cast<std::ptrdiff_t>(begin));
                rest.insert(rest.end(), layers.begin() + static_cast<std::ptrdiff_t>(end),
                            layers.end());
                if (!has_parameters(rest)) continue;
                const node_id node = best_.plan.partitions[i].node;
                for (std::size_t j = 0; j < n && evaluations_ < budget_; ++j) {
                    if (j == i || best_.plan.partitions[j].node != node) continue;
                    parts s = steps();
                    s[i].layers = rest;
                    s[j].layers.insert(s[j].layers.end(), run.begin(), run.end());
                    if (try_steps(std::move(s), i < j ? j - i : i - j)) return true;
                }
                if (!has_parameters(run)) continue;
                for (const std::size_t at : {i, i + 1}) {
                    if (evaluations_ >= budget_) break;
                    parts s = steps();
                    s[i].layers = rest;
                    s.insert(s.begin() + static_cast<std::ptrdiff_t>(at),
                             upload_partition{.node = node, .layers = run});
                    if (try_steps(std::move(s), 1)) return true;
                }
            }
        }
        return false;
    }

    const effective_delay<Model>& q_;
    const upload_units& units_;
    const Score& score_;
    scored_plan best_{};
    std::size_t evaluations_ = 0, budget_ = 0;
};

}  // namespace eosdnn::detail::upload
