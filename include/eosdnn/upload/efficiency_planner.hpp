#pragma once
/// \file efficiency_planner.hpp
/// The efficiency rule shared by EMDL'19 and LMU: upload first what saves the most query time per
/// second of upload, `(Q(U) - Q(U + c)) / Tup(c)`, re-scoring after each step only the candidates
/// whose score the step can change.

#include <eosdnn/upload/effective_delay.hpp>
#include <eosdnn/upload/upload_plan.hpp>
#include <eosdnn/upload/upload_problem.hpp>
#include <eosdnn/upload/upload_units.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace eosdnn {

/// How the efficiency rule forms partitions.
enum class merge_strategy {
    /// EMDL's top-down rule (the default): candidates are the not-yet-uploaded runs of each block
    /// ("gaps"); the most efficient gap is refined to its most efficient sub-range, which is
    /// uploaded and merged with its uploaded neighbours, splitting the gap in two. A sub-range
    /// runs from one parameter layer to another; the parameter-free layers just outside it join
    /// it or not, whichever scores better (they cost nothing but move transfers), except those
    /// that would otherwise be left alone at the end of a gap, which always join.
    top_down,
    /// Bottom-up merging of single layers: every unit starts as its own partition; the adjacent
    /// pair whose union is more efficient than either part is merged, best pair first, until no
    /// pair gains; the partitions are then uploaded most efficient first.
    bottom_up,
};

/// What "efficiency" divides by the upload time of a candidate c, given the uploaded set U.
enum class efficiency_measure {
    /// EMDL's query time saved: Q(U) - Q(U + c). Greedy on it minimises the area under the
    /// latency curve when the savings of different candidates add up.
    time_saved,
    /// Query rate gained: 1 / Q(U + c) - 1 / Q(U). Greedy on it maximises the number of queries
    /// completed during the upload under the same condition (an exchange argument: uploading a
    /// before b wins iff a's rate gain per upload second is larger).
    rate_gained,
};

/// How the refinement compares a strictly inner sub-range c of the chosen range G with G itself.
enum class refinement_rule {
    /// c is better if it is more efficient than G (by the efficiency measure).
    efficiency,
    /// The IONN authors' implementation of EMDL's rule: while some strictly inner sub-range of
    /// the choice with fewer parameter layers has a positive efficiency, the choice becomes the
    /// most efficient such sub-range, whether or not it is more efficient than the choice.
    loop,
    /// c is better if uploading c first and the rest of G right after it beats uploading G at
    /// once: by the area under the latency curve, gain(c) * Tup(G \ c) > 0 (time_saved), or by
    /// queries completed, (1 / Q(U + c) - 1 / Q(U)) * Tup(G \ c) > 0 (rate_gained); the largest
    /// improvement wins.
    lookahead,
};

/// Which range a top-down step considers before refining it.
enum class candidate_rule {
    /// The most efficient not-yet-uploaded run of a block (a whole "gap"): our first reading of
    /// EMDL'19's text.
    whole_gap,
    /// The most efficient sub-range of any gap: the IONN authors' implementation of EMDL.
    any_sub_range,
};

/// Options of the efficiency rule.
struct efficiency_options {
    /// How partitions are formed: EMDL's top-down refinement or bottom-up merging.
    merge_strategy strategy = merge_strategy::top_down;
    /// The gain divided by a candidate's upload time: query time saved or query rate gained.
    efficiency_measure measure = efficiency_measure::time_saved;
    /// EMDL's first-partition rule (top-down only): the first partition maximises
    /// `gain - Tup` rather than `gain / Tup`: a query that waited for it would end sooner than one
    /// run locally. Applied only when that maximum is positive; otherwise no partition helps the
    /// first query and the efficiency rule starts at once.
    bool first_partition_rule = true;
    /// EMDL's refinement (top-down only): replace the chosen gap by its most efficient strictly
    /// inner sub-range when that one is more efficient. Off, a whole gap is uploaded at once.
    bool refine = true;
    /// What "better" means for the refinement (see refinement_rule).
    refinement_rule refinement = refinement_rule::efficiency;
    /// The range a step starts from (top-down only; see candidate_rule).
    candidate_rule candidate = candidate_rule::whole_gap;
    /// Gaps of at most this many parameter layers are searched exhaustively (all O(r^2)
    /// sub-ranges, EMDL's rule). Wider gaps get the bounded search: the whole gap and every
    /// sub-range of at most `window` parameter layers around one of the 4 most efficient single
    /// parameter layers of the gap, so that a step costs O(r) comparisons and O(window^2) gains
    /// and a wide model near-linear time (docs/uploading.md).
    std::size_t exhaustive_limit = 64;
    /// Longest sub-range, in parameter layers, of the bounded search (>= 1).
    std::size_t window = 8;
    /// Where parameter-free blocks (upload_units::free_blocks: a relay of the input through an
    /// edge, a remote ReLU between local layers) go. On (LMU's default): each goes at the first
    /// step after which running it remotely makes queries faster, since it costs nothing to
    /// upload: a block on a node that receives parameter layers joins the partition just uploaded
    /// to that node, a block on a node that receives none is a partition of its own at that point;
    /// a block that never helps goes last (joining the last partition to its node). Off (EMDL's
    /// plans as published, which have no such blocks): finish_plan()'s fixed rule, the first
    /// partition to its node, or a partition of its own at the front.
    bool place_free_blocks = true;
};

namespace detail::upload {

/// The state of one run of the efficiency rule over the blocks of a placement. Candidates are
/// ranges of topological positions inside one block.
template <class Model>
class efficiency_engine {
public:
    // `memo`: gains to share with other engines on the same graph, model, placement and device.
    efficiency_engine(effective_delay<Model>& q, const upload_units& units,
                      gain_memo* memo = nullptr)
        : q_(q), units_(units), block_of_position_(q.size(), none), singles_(q.size()), memo_(memo),
          acked_key_(memo ? memo->acked_key(q) : gain_memo::set_key{}) {
        for (std::size_t b = 0; b < units.blocks.size(); ++b) {
            for (std::size_t p = units.blocks[b].first; p <= units.blocks[b].last; ++p)
                block_of_position_[p] = b;
            params_.emplace_back();
            for (std::size_t p = units.blocks[b].first; p <= units.blocks[b].last; ++p)
                if (q.graph()[q.layer_at(p)].has_parameters()) params_.back().push_back(p);
        }
    }

    std::vector<upload_partition> run(const efficiency_options& options) {
        measure_ = options.measure;
        exhaustive_limit_ = options.exhaustive_limit;
        window_ = options.window;
        pending_free_.clear();
        if (options.place_free_blocks)
            for (std::size_t b = 0; b < units_.free_blocks.size(); ++b) pending_free_.push_back(b);
        std::vector<candidate> none_yet;
        place_free(none_yet);
        if (options.strategy == merge_strategy::top_down)
            top_down(options);
        else
            bottom_up();
        // Blocks that never helped: last, with the last partition to their node or alone.
        for (std::size_t b : pending_free_) {
            const upload_block& block = units_.free_blocks[b];
            upload_range(block.first, block.last);
            auto it = std::find_if(steps_.rbegin(), steps_.rend(),
                                   [&](const upload_partition& p) { return p.node == block.node; });
            if (it == steps_.rend()) {
                steps_.push_back(range_step(q_, block.node, block.first, block.last));
            } else {
                for (std::size_t p = block.first; p <= block.last; ++p)
                    it->layers.push_back(q_.layer_at(p));
            }
        }
        pending_free_.clear();
        return std::move(steps_);
    }

private:
    static constexpr std::size_t none = std::numeric_limits<std::size_t>::max();

    // A sub-range of a gap and its value under the rule being applied.
    struct choice {
        std::size_t first = 0, last = 0;
        double value = -std::numeric_limits<double>::infinity();
    };

    struct candidate {
        std::size_t first = 0, last = 0;  // positions, inclusive, inside one block
        double gain = 0, upload = 0;      // cached while no upload touches the candidate
        bool dirty = true;
        // Its most efficient sub-range (candidate_rule::any_sub_range), kept under the same
        // condition: no layer of the candidate touched by an upload, so no gain inside it
        // changed (and, by time saved, no score).
        choice best_sub{};
        bool best_sub_valid = false;
    };

    // The measure from a candidate's gain and upload time; the rate measure also reads Q(U),
    // which is why candidates cache their gain, not their score.
    double score(double g, double t) const {
        if (measure_ == efficiency_measure::rate_gained) {
            const double now = q_.current();
            g = 1 / (now - g) - 1 / now;
        }
        if (t > 0) return g / t;
        return g >= 0 ? std::numeric_limits<double>::infinity()
                      : -std::numeric_limits<double>::infinity();
    }
    // What a saving of g per query is worth per second while it is in force.
    double head_start(double g) const {
        if (measure_ == efficiency_measure::rate_gained) {
            const double now = q_.current();
            return 1 / (now - g) - 1 / now;
        }
        return g;
    }
    // q_.gain(first, last), remembered by memo_ if there is one.
    double gain_of(std::size_t first, std::size_t last) const {
        if (!memo_) return q_.gain(first, last);
        return memo_->get(acked_key_, first, last, [&] { return q_.gain(first, last); });
    }
    void upload_range(std::size_t first, std::size_t last) {  // q_.upload(), acked_key_ kept
        q_.upload(first, last);
        if (memo_) acked_key_ = acked_key_ ^ memo_->key_of(first, last);
    }
    double efficiency(std::size_t first, std::size_t last) const {
        return score(gain_of(first, last), q_.partition_upload_time(first, last));
    }
    double rescore(candidate& c) {
        if (c.dirty) {
            c.gain = gain_of(c.first, c.last);
            c.upload = q_.partition_upload_time(c.first, c.last);
            c.dirty = false;
        }
        return score(c.gain, c.upload);
    }

    // The best sub-range of gap [g1, g2] by `value(first, last)`, excluding the whole gap if
    // `inner_only`. A sub-range spans parameter layers i..k of the gap; the parameter-free run in
    // front of layer i and the one after layer k may join it or stay (they cost nothing to
    // upload but move transfers), except that a run reaching the gap's end must join, so that no
    // gap is ever left without parameters.
    template <class Value>
    choice best_sub_range(std::size_t g1, std::size_t g2, bool inner_only, const Value& value) {
        const auto& params = params_[block_of_position_[g1]];
        const auto lo = std::lower_bound(params.begin(), params.end(), g1);
        const auto hi = std::upper_bound(params.begin(), params.end(), g2);
        const std::size_t r = static_cast<std::size_t>(hi - lo);
        auto at = [&](std::size_t i) { return lo[static_cast<std::ptrdiff_t>(i)]; };
        choice best;
        // The sub-range over parameter layers i..k, with or without the free runs next to it.
        auto consider = [&](std::size_t i, std::size_t k) {
            const std::size_t left_end = i == 0 ? g1 : at(i - 1) + 1;
            const std::size_t right_end = k + 1 == r ? g2 : at(k + 1) - 1;
            const std::size_t firsts[2] = {left_end, at(i)};
            const std::size_t lasts[2] = {right_end, at(k)};
            // Joining is tried first, so on a tie the free layers come along.
            for (int a = 0; a < (i == 0 ? 1 : 2); ++a)
                for (int b = 0; b < (k + 1 == r ? 1 : 2); ++b) {
                    if (a == 1 && firsts[0] == firsts[1]) continue;  // no run to leave out
                    if (b == 1 && lasts[0] == lasts[1]) continue;
                    if (inner_only && firsts[a] == g1 && lasts[b] == g2) continue;
                    const double v = value(firsts[a], lasts[b]);
                    if (v > best.value) best = {firsts[a], lasts[b], v};
                }
        };
        if (r <= exhaustive_limit_) {
            for (std::size_t i = 0; i < r; ++i)
                for (std::size_t k = i; k < r; ++k) consider(i, k);
            return best;
        }
        // Bounded search on a wide gap: the whole gap, and every sub-range of at most `window`
        // parameter layers that holds one of the `seeds` most efficient single parameter
        // layers of the gap. Single layers' gains are cached between steps (only those an
        // upload touches are re-priced), so a step costs O(r) comparisons and O(window^2) gains.
        const std::size_t w = std::max<std::size_t>(window_, 1);
        constexpr std::size_t seeds = 4;
        std::vector<std::pair<double, std::size_t>> top;  // efficiency, parameter index
        for (std::size_t i = 0; i < r; ++i) {
            const std::size_t first = i == 0 ? g1 : at(i);
            const std::size_t last = i + 1 == r ? g2 : at(i + 1) - 1;
            single& c = singles_[at(i)];
            if (!c.valid || c.first != first || c.last != last)
                c = {first, last, gain_of(first, last), true};
            const double e = score(c.gain, q_.partition_upload_time(first, last));
            if (top.size() < seeds || e > top.back().first) {
                if (top.size() == seeds) top.pop_back();
                auto it = std::find_if(top.begin(), top.end(),
                                       [&](const auto& t) { return e > t.first; });
                top.insert(it, {e, i});
            }
        }
        for (const auto& [e, i] : top)
            for (std::size_t a = i >= w - 1 ? i - (w - 1) : 0; a <= i; ++a)
                for (std::size_t k = i; k < r && k - a < w; ++k) consider(a, k);
        consider(0, r - 1);
        return best;
    }

    // Uploads positions first..last and marks dirty every candidate whose score may have
    // changed: those holding a layer adjacent to the range, or sharing a producer with it.
    void upload(std::size_t first, std::size_t last, std::vector<candidate>& candidates,
                bool attach = false) {
        producers_.clear();
        for (std::size_t p = first; p <= last; ++p)
            for (layer_id pr : q_.graph().predecessors(q_.layer_at(p)))
                producers_.push_back({pr, q_.consumer_nodes_version(pr)});
        std::sort(producers_.begin(), producers_.end());
        upload_range(first, last);
        if (attach) {
            for (std::size_t p = first; p <= last; ++p)
                steps_.back().layers.push_back(q_.layer_at(p));
        } else {
            steps_.push_back(range_step(q_, q_.placement()[q_.layer_at(first)], first, last));
        }
        touched_.clear();
        const layer_graph& g = q_.graph();
        auto touch = [&](layer_id v) {
            const std::size_t p = q_.position(v);
            if ((p < first || p > last) && !q_.acknowledged(v)) touched_.push_back(p);
        };
        for (std::size_t p = first; p <= last; ++p) {
            const layer_id j = q_.layer_at(p);
            for (layer_id s : g.successors(j)) touch(s);
        }
        // Each producer once: a fan's input would otherwise list its consumers once per branch.
        // A producer with many consumers that stays on the device changes its siblings' gains
        // only if the set of nodes its consumers run on changes (effective_delay's version).
        std::size_t k = 0;
        for (auto& [pr, version] : producers_) {
            if (k > 0 && producers_[k - 1].first == pr) continue;
            producers_[k++] = {pr, version};
            touch(pr);
            if (version != 0 && !q_.acknowledged(pr) && q_.consumer_nodes_version(pr) == version)
                continue;
            for (layer_id sibling : g.successors(pr)) touch(sibling);
        }
        std::sort(touched_.begin(), touched_.end());
        for (auto& c : candidates) {
            const auto it = std::lower_bound(touched_.begin(), touched_.end(), c.first);
            if (it != touched_.end() && *it <= c.last) {
                c.dirty = true;
                c.best_sub_valid = false;
            }
        }
        for (std::size_t p : touched_) {
            // The cached single layers around p (see best_sub_range()).
            const std::size_t b = block_of_position_[p];
            if (b == none) continue;
            const auto& params = params_[b];
            const auto it = std::upper_bound(params.begin(), params.end(), p);
            if (it != params.end()) singles_[*it].valid = false;
            if (it != params.begin()) singles_[*(it - 1)].valid = false;
        }
    }

    // Uploads every pending parameter-free block that now makes queries faster (it costs
    // nothing, so its efficiency is unbounded): a block on a node without parameter layers as a
    // step of its own, any other with the step just uploaded to its node. Repeats while one
    // helps, since uploading one can make another pay.
    void place_free(std::vector<candidate>& candidates) {
        for (bool again = true; again;) {
            again = false;
            for (std::size_t i = 0; i < pending_free_.size() && !again; ++i) {
                const upload_block& block = units_.free_blocks[pending_free_[i]];
                const bool alone = !has_parameters(block.node);
                if (!alone && (steps_.empty() || steps_.back().node != block.node)) continue;
                if (!(gain_of(block.first, block.last) > 0)) continue;
                pending_free_.erase(pending_free_.begin() + static_cast<std::ptrdiff_t>(i));
                upload(block.first, block.last, candidates, !alone);
                again = true;
            }
        }
    }

    bool has_parameters(node_id s) const {
        return std::any_of(units_.blocks.begin(), units_.blocks.end(),
                           [&](const upload_block& b) { return b.node == s; });
    }

    // Number of parameter layers at positions first..last (one block).
    std::size_t parameter_layers(std::size_t first, std::size_t last) const {
        const auto& params = params_[block_of_position_[first]];
        return static_cast<std::size_t>(std::upper_bound(params.begin(), params.end(), last) -
                                        std::lower_bound(params.begin(), params.end(), first));
    }

    // The refinement of the chosen range `pick` (see refinement_rule).
    choice refine(choice pick, refinement_rule rule) {
        if (rule == refinement_rule::efficiency) {
            // The most efficient strictly inner sub-range, if it beats the choice.
            const choice inner =
                best_sub_range(pick.first, pick.last, true,
                               [&](std::size_t a, std::size_t b) { return efficiency(a, b); });
            if (inner.value > pick.value) pick = inner;
        } else if (rule == refinement_rule::lookahead) {
            // The inner sub-range whose head start over the rest of the choice helps most.
            // The rest of the choice, sent after c, is a partition of its own: its bytes and
            // one more overhead.
            const double whole = q_.partition_upload_time(pick.first, pick.last);
            const choice inner =
                best_sub_range(pick.first, pick.last, true, [&](std::size_t a, std::size_t b) {
                    return head_start(gain_of(a, b)) * (whole - q_.upload_time(a, b));
                });
            if (inner.value > 0) pick = inner;
        } else {
            // While a smaller inner sub-range pays at all, take the most efficient one. Nothing
            // is uploaded meanwhile, and each choice lies inside the previous one, so the
            // efficiencies of its sub-ranges are remembered, not priced again.
            efficiency_memo_.clear();
            for (;;) {
                const std::size_t size = parameter_layers(pick.first, pick.last);
                const choice inner =
                    best_sub_range(pick.first, pick.last, true, [&](std::size_t a, std::size_t b) {
                        if (parameter_layers(a, b) >= size)
                            return -std::numeric_limits<double>::infinity();
                        const auto [it, fresh] =
                            efficiency_memo_.try_emplace(a * q_.size() + b, 0.0);
                        if (fresh) it->second = efficiency(a, b);
                        return it->second;
                    });
                if (!(inner.value > 0)) break;
                pick = inner;
            }
        }
        return pick;
    }

    void top_down(const efficiency_options& options) {
        std::vector<candidate> gaps;
        for (const auto& block : units_.blocks)
            gaps.push_back({.first = block.first, .last = block.last});
        bool first_step = options.first_partition_rule;
        while (!gaps.empty()) {
            std::size_t chosen = 0;
            choice pick;
            bool first_step_taken = false;  // EMDL's first partition is not refined
            if (first_step) {
                // EMDL's first partition: the largest gain - Tup over all sub-ranges.
                for (std::size_t k = 0; k < gaps.size(); ++k) {
                    const choice c = best_sub_range(
                        gaps[k].first, gaps[k].last, false, [&](std::size_t a, std::size_t b) {
                            return gain_of(a, b) - q_.partition_upload_time(a, b);
                        });
                    if (c.value > pick.value) {
                        pick = c;
                        chosen = k;
                    }
                }
                first_step = false;
                // Only worth it if waiting for the partition would finish the first query
                // earlier than running it locally; otherwise the efficiency rule starts.
                if (!(pick.value > 0)) continue;
                first_step_taken = true;
            } else if (options.candidate == candidate_rule::any_sub_range) {
                // The most efficient sub-range of any gap.
                // By time saved, a gap no upload touched keeps its best sub-range.
                const bool keep = measure_ == efficiency_measure::time_saved;
                for (std::size_t k = 0; k < gaps.size(); ++k) {
                    candidate& gap = gaps[k];
                    if (!keep || !gap.best_sub_valid) {
                        gap.best_sub = best_sub_range(
                            gap.first, gap.last, false,
                            [&](std::size_t a, std::size_t b) { return efficiency(a, b); });
                        gap.best_sub_valid = keep;
                    }
                    const choice c = gap.best_sub;
                    if (k == 0 || c.value > pick.value) {
                        pick = c;
                        chosen = k;
                    }
                }
            } else {
                double best = 0;
                for (std::size_t k = 0; k < gaps.size(); ++k) {
                    const double v = rescore(gaps[k]);
                    if (k == 0 || v > best) {
                        best = v;
                        chosen = k;
                    }
                }
                pick = {gaps[chosen].first, gaps[chosen].last, best};
            }
            if (!first_step_taken && options.refine) pick = refine(pick, options.refinement);
            first_step_taken = false;
            const candidate gap = gaps[chosen];
            // The gap splits around the uploaded range; the halves are scored afresh and take
            // its place, which keeps the gaps in position order.
            std::array<candidate, 2> halves;
            std::size_t count = 0;
            if (pick.first > gap.first)
                halves[count++] = {.first = gap.first, .last = pick.first - 1};
            if (pick.last < gap.last) halves[count++] = {.first = pick.last + 1, .last = gap.last};
            const auto at = gaps.erase(gaps.begin() + static_cast<std::ptrdiff_t>(chosen));
            gaps.insert(at, halves.begin(), halves.begin() + static_cast<std::ptrdiff_t>(count));
            upload(pick.first, pick.last, gaps);
            place_free(gaps);
        }
    }

    void bottom_up() {
        // Merge phase, priced with nothing uploaded.
        std::vector<candidate> parts;
        std::vector<double> value;  // efficiency of each part with nothing uploaded
        for (const auto& unit : units_.units) {
            parts.push_back({.first = unit.first, .last = unit.last});
            value.push_back(efficiency(unit.first, unit.last));
        }
        // Parts form a list (next/prev by their first unit's index, which they keep); the
        // mergeable pairs wait in a set ordered by merged efficiency, then position, so the
        // best pair, leftmost on a tie, is found in O(log n). Nothing is uploaded during this
        // phase, so only the pairs next to a merge change. In a block of more than
        // exhaustive_limit parameter layers a part stops growing at that many, which bounds
        // the cost of pricing a pair.
        const std::size_t count = parts.size();
        std::vector<std::size_t> next(count), prev(count), units(count, 1);
        for (std::size_t k = 0; k < count; ++k) {
            next[k] = k + 1 < count ? k + 1 : none;
            prev[k] = k > 0 ? k - 1 : none;
        }
        std::vector<double> merged(count, 0);
        std::set<std::pair<double, std::size_t>> ready;  // (-merged, left part)
        auto capped = [&](std::size_t k) {
            const std::size_t b = block_of_position_[parts[k].first];
            return params_[b].size() > exhaustive_limit_ &&
                   units[k] + units[next[k]] > exhaustive_limit_;
        };
        auto enter = [&](std::size_t k) {  // prices pair (k, next[k]) and files it if it gains
            if (k == none || next[k] == none) return;
            const std::size_t n = next[k];
            if (block_of_position_[parts[k].first] != block_of_position_[parts[n].first] ||
                capped(k))
                return;
            merged[k] = efficiency(parts[k].first, parts[n].last);
            if (merged[k] > value[k] && merged[k] > value[n] &&
                merged[k] > -std::numeric_limits<double>::infinity())
                ready.insert({-merged[k], k});
        };
        auto leave = [&](std::size_t k) {
            if (k != none && next[k] != none) ready.erase({-merged[k], k});
        };
        for (std::size_t k = 0; k < count; ++k) enter(k);
        while (!ready.empty()) {
            const std::size_t k = ready.begin()->second;
            const std::size_t n = next[k];
            leave(prev[k]);
            leave(k);
            leave(n);
            parts[k].last = parts[n].last;
            value[k] = merged[k];
            units[k] += units[n];
            next[k] = next[n];
            if (next[n] != none) prev[next[n]] = k;
            enter(prev[k]);
            enter(k);
        }
        std::vector<candidate> merged_parts;
        for (std::size_t k = count ? 0 : none; k != none; k = next[k])
            merged_parts.push_back(parts[k]);
        parts = std::move(merged_parts);
        // Order phase: most efficient first, given what is already uploaded.
        while (!parts.empty()) {
            std::size_t chosen = 0;
            double best = 0;
            for (std::size_t k = 0; k < parts.size(); ++k) {
                const double v = rescore(parts[k]);
                if (k == 0 || v > best) {
                    best = v;
                    chosen = k;
                }
            }
            const candidate c = parts[chosen];
            parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(chosen));
            upload(c.first, c.last, parts);
            place_free(parts);
        }
    }

    effective_delay<Model>& q_;
    const upload_units& units_;
    std::vector<std::size_t> block_of_position_;
    std::vector<std::vector<std::size_t>> params_;  // parameter positions of each block
    std::vector<std::size_t> touched_;
    std::vector<std::pair<layer_id, std::uint64_t>> producers_;  // and their versions
    // The gain of each parameter layer alone (with its free neighbours), by its position.
    struct single {
        std::size_t first = 0, last = 0;
        double gain = 0;
        bool valid = false;
    };
    std::vector<single> singles_;
    std::vector<upload_partition> steps_;
    std::vector<std::size_t> pending_free_;  // free blocks (indices) not placed yet
    std::unordered_map<std::size_t, double> efficiency_memo_;  // refine()'s loop, by range
    efficiency_measure measure_ = efficiency_measure::time_saved;
    std::size_t exhaustive_limit_ = 64, window_ = 8;
    gain_memo* memo_ = nullptr;
    gain_memo::set_key acked_key_{};  // of q_'s acknowledged set, while memo_ is set
};

}  // namespace detail::upload

/// Runs the efficiency rule on `problem`'s target placement and returns the plan, named
/// `planner`. Every remote node of the placement is a destination: candidates of all nodes
/// compete, one partition per step.
template <upload_cost_model Model>
upload_plan efficiency_plan(std::string planner, const upload_problem<Model>& problem,
                            const efficiency_options& options) {
    effective_delay<Model> q = problem.delay();
    const upload_units& units = problem.units();
    detail::upload::efficiency_engine<Model> engine(q, units);
    return finish_plan(std::move(planner), q, units, engine.run(options));
}

}  // namespace eosdnn
