#pragma once
/// \file lmu.hpp
/// LMU (Layer Merge Uploading, EosDNN): the uploading plan of a placement that may use several
/// edge and cloud nodes.

#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/upload/baselines.hpp>
#include <eosdnn/upload/detail/plan_polisher.hpp>
#include <eosdnn/upload/detail/run_merges.hpp>
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
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace eosdnn {

/// LMU: EMDL's efficiency rule extended to several destination nodes. The remote layers of the
/// placement (the edge and cloud blocks of a PSO-GA or exact plan) form blocks per node; each
/// step uploads one partition to one node, chosen among the candidates of every node, and the
/// uploaded partition merges with its uploaded neighbours on that node (the rest of its block
/// splits into new candidates, re-scored with the neighbours it touches).
///
/// `rule` is the efficiency rule; its defaults are EMDL's paper-text reading, with parameter-free
/// blocks placed where they help (efficiency_options::place_free_blocks), so with `portfolio =
/// false`, `rule.place_free_blocks = false` and a single remote node the plan is exactly
/// `emdl_planner{.reading = emdl_reading::paper_text}`'s. With `portfolio = true` (the default) LMU
/// builds candidates: the rule's readings (efficiency by query rate; look-ahead refinement by time
/// saved and by query rate; bottom-up merging; the IONN authors' EMDL), the finest plan in model
/// order, the baselines' plans (EMDL's readings, IONN's where it applies and the model has at most
/// `ionn_seed_limit` layers or is a chain, the whole model) and, with several destinations, LMU per
/// destination concatenated in every order of the destinations; when the problem charges
/// per-partition overheads (upload_cost_options), also LMU's plan for the same problem without
/// them, re-priced with them. Every candidate is priced with the problem's overheads and judged by
/// the simulation with `simulation` (its remote_choice and counting window included). It runs a
/// local search (split, merge, swap or relocate partitions, move parameter-free blocks, while the
/// count of queries completed during the upload, then the area under the latency curve, improves;
/// at most `polish_evaluations` evaluations each) from the `polish_seeds` best distinct candidates,
/// from the finest plan and from the overhead-free plan; then, on plans of at most
/// `kick_partitions` partitions, kicks: each partition of the best plan moved to each other place,
/// whether or not that helps, followed by a short local search (`kick_evaluations`). Last, on
/// plans of at most `merge_partitions` partitions, a pass makes partitions of several runs where
/// they pay (detail/run_merges.hpp: partitions of one node merged though not adjacent, runs and
/// the parameter-free ends of runs moved between partitions; at most `merge_evaluations`
/// evaluations), from the best plan and from IONN's when that completes as many queries. It
/// returns the plan that the query simulation with `simulation` rates best. So LMU never
/// completes fewer queries during the upload than any of those candidates for the same placement
/// and simulation options.
///
/// DAGs are handled natively: blocks and ranges are runs of the graph's topological order, and
/// every score is the exact sequential delay of the effective placement (see effective_delay).
struct lmu_planner {
    efficiency_options rule{};              ///< the rule, alone when portfolio is off
    bool portfolio = true;                  ///< candidates, local searches (above)
    simulation_options simulation{};        ///< how candidate plans are compared
    std::size_t polish_evaluations = 4000;  ///< local-search budget (delay evaluations); 0: off
    /// Local searches: from this many best distinct candidates, and from the finest plan. One
    /// since issue 11's 5 ms target (four local searches instead of six on the ResNet-50
    /// profile, each of which runs to its budget): 2 changes 4 of the 259 rows and models of
    /// docs/uploading.md's comparison by 1 to 3 queries, in both directions.
    std::size_t polish_seeds = 1;
    /// IONN's plan is a candidate on chains and on DAGs of at most this many layers (its
    /// minimum cuts grow faster than linearly on very wide DAGs).
    std::size_t ionn_seed_limit = 500;
    /// Beyond this many upload units (runs of parameter layers), EMDL's reading as its authors
    /// implemented it (every sub-range a candidate: 57 s alone on a fan of 10^4 branches) and
    /// the finest plan are not candidates, and only the best candidate is polished, so that LMU
    /// stays near-linear in the width (issue 15); LMU may then complete fewer queries than
    /// emdl_planner's default reading, which a user can run on its own.
    std::size_t wide_units = 2000;
    /// Kicks (see plan()) are tried on plans of at most this many partitions.
    std::size_t kick_partitions = 16;
    /// Evaluations of the local search after each kick; 0 turns the kicks off.
    std::size_t kick_evaluations = 400;
    /// Evaluations of the last pass (detail/run_merges.hpp: partitions of several runs, from
    /// the best plan and from IONN's), each start; 0 turns it off. On the random models of
    /// tests/upload/non_contiguous.cpp (and with 7 parameter layers), 200 reach every gain of
    /// 1000 but one query.
    std::size_t merge_evaluations = 200;
    /// The last pass runs on plans of at most this many partitions: its merges are quadratic
    /// in them, and on the profiles' larger plans (ResNet-50's 29 at 40 Mbit/s) it took half of
    /// LMU's time with 1000 evaluations and changed no count.
    std::size_t merge_partitions = 16;

    /// The planner name recorded in upload_plan::planner: "lmu" with the portfolio, else
    /// "lmu-rule" (top-down rule alone) or "lmu-bottom-up".
    std::string_view name() const noexcept {
        if (portfolio) return "lmu";
        return rule.strategy == merge_strategy::top_down ? "lmu-rule" : "lmu-bottom-up";
    }

    /// What plan() compares its candidates by (and picks the plan it returns by): the metrics
    /// of simulate_queries(graph, model, p, simulation), to the last bit, under every option,
    /// uplink_sharing::queries_first included.
    template <upload_cost_model Model>
    upload_metrics score(const upload_problem<Model>& problem, const upload_plan& p) const {
        detail::upload::plan_polisher<Model> polisher(problem.delay(), problem.units(), simulation);
        return metrics_of(problem, polisher, p);
    }

    /// Plans the upload of `problem`'s placement.
    template <upload_cost_model Model>
    upload_plan plan(const upload_problem<Model>& problem) const {
        shared_work work;
        upload_plan best = plan(problem, work);
        if (!portfolio || merge_evaluations == 0) return best;
        return merged_runs(problem, work, std::move(best));
    }

private:
    // What LMU's run without per-partition overheads (plan()) takes from the run that starts
    // it, for the same graph, model, placement and device: IONN's steps, which do not depend on
    // the overheads, and the latencies and the rule's gains priced so far, which do not either.
    struct shared_work {
        bool ionn_known = false;
        std::optional<std::vector<upload_partition>> ionn_steps{};  // none: IONN has no plan
        detail::upload::delay_cache delays{};
        detail::upload::gain_memo gains{};
    };

    template <upload_cost_model Model>
    upload_plan plan(const upload_problem<Model>& problem, shared_work& work) const {
        effective_delay<Model> q = problem.delay();
        const upload_units& units = problem.units();
        const layer_graph& graph = problem.graph();
        const Model& model = problem.model();
        // The rule's gains are remembered across readings and runs where they cost more than a
        // lookup: on a chain a gain is O(1).
        detail::upload::gain_memo* const gains = graph.is_chain() ? nullptr : &work.gains;
        auto steps_of = [&](const efficiency_options& options) {
            q.reset();
            return detail::upload::efficiency_engine<Model>(q, units, gains).run(options);
        };
        upload_plan first = finish_plan(std::string(name()), q, units, steps_of(rule));
        if (!portfolio) return first;
        // Candidates with their simulated metrics, ordered by LMU's order of plans (more queries
        // completed during the upload, then the smaller latency area, then fewer partitions;
        // areas within rounding of each other are equal: detail::upload::better_metrics).
        using scored = detail::upload::scored_plan;
        const auto better = detail::upload::better_metrics;
        // One local search object for every start and every kick: it keeps the latencies it
        // has priced, by prefix set, and also prices the candidates.
        detail::upload::plan_polisher<Model> polisher(problem.delay(), units, simulation,
                                                      &work.delays);
        auto simulate = [&](const upload_plan& p) { return metrics_of(problem, polisher, p); };
        std::vector<scored> seeds;
        auto add = [&](upload_plan candidate) {
            const upload_metrics m = simulate(candidate);
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
            if (!work.ionn_known) {
                try {
                    work.ionn_steps = ionn_planner{}.steps(problem);
                } catch (const error&) {
                    // A DAG placed on several servers: IONN has no plan.
                }
                work.ionn_known = true;
            }
            if (work.ionn_steps)
                add(finish_plan(std::string(name()), q, upload_units{}, *work.ionn_steps));
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
        // With per-partition overheads: LMU's plan for partitions that cost only their bytes,
        // priced with the overheads, as a candidate and a start of the local search. Its finer
        // partitions can be the better start where the overheads make the local search stop
        // early on a coarse plan.
        std::size_t bare = seeds.size();  // none
        const auto charged = [&](const upload_block& b) {
            return q.partition_overhead(b.node) > 0;
        };
        if (!wide && (std::any_of(units.blocks.begin(), units.blocks.end(), charged) ||
                      std::any_of(units.free_blocks.begin(), units.free_blocks.end(), charged))) {
            const upload_problem<Model> without(graph, model, problem.placement(), problem.device(),
                                                upload_cost_options{.partition_overhead = false});
            upload_plan p = plan(without, work);  // no overhead there: no further recursion
            add(finish_plan(std::string(name()), q, units, std::move(p.partitions)));
            bare = seeds.size() - 1;
        }

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
        std::vector<std::size_t> polished_seeds;  // indices into seeds
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
            polished_seeds.push_back(order[i]);
            upload_plan result = polish(problem, seed.plan, polisher, polish_evaluations);
            const upload_metrics m = simulate(result);
            polished.push_back({std::move(result), m});
        }
        // The overhead-free plan, unless it is a start polished above (often the finest plan):
        // the local search is deterministic, so it would find the same plan again.
        const auto polished_already = [&](std::size_t s) {
            return std::any_of(polished_seeds.begin(), polished_seeds.end(), [&](std::size_t k) {
                return same_partitions(seeds[k].plan, seeds[s].plan);
            });
        };
        if (bare < seeds.size() && !seeds[bare].plan.partitions.empty() &&
            ranges_only(problem, seeds[bare].plan) && !polished_already(bare)) {
            upload_plan result = polish(problem, seeds[bare].plan, polisher, polish_evaluations);
            const upload_metrics m = simulate(result);
            polished.push_back({std::move(result), m});
        }
        scored* winner = &seeds[best];
        for (scored& c : polished)
            if (better(c.metrics, winner->metrics)) winner = &c;
        // Kicks: from the best plan, each partition moved to each other place, then a short
        // local search; the best result is kept if it beats the winner.
        const std::size_t parts = winner->plan.partitions.size();
        if (kick_evaluations > 0 && parts > 1 && parts <= kick_partitions &&
            ranges_only(problem, winner->plan)) {
            const upload_plan base = winner->plan;
            scored best_kick{base, winner->metrics};
            bool found = false;
            for (std::size_t k = 0; k < parts; ++k)
                for (std::size_t to = 0; to < parts; ++to) {
                    if (to == k) continue;
                    upload_plan kicked = base;
                    upload_partition moved = kicked.partitions[k];
                    kicked.partitions.erase(kicked.partitions.begin() +
                                            static_cast<std::ptrdiff_t>(k));
                    kicked.partitions.insert(
                        kicked.partitions.begin() + static_cast<std::ptrdiff_t>(to), moved);
                    upload_plan result = polish(problem, kicked, polisher, kick_evaluations);
                    const upload_metrics m = simulate(result);
                    if (better(m, best_kick.metrics)) {
                        best_kick = {std::move(result), m};
                        found = true;
                    }
                }
            if (found) return std::move(best_kick.plan);
        }
        return std::move(winner->plan);
    }

    // simulate_queries(graph, model, p, simulation).metrics, to the last bit: the same
    // latencies (full evaluations, or the polisher's cached copies of them), the same uplink
    // transfers when queries share the uplink, and the same simulation.
    template <upload_cost_model Model>
    upload_metrics metrics_of(const upload_problem<Model>& problem,
                              detail::upload::plan_polisher<Model>& polisher,
                              const upload_plan& p) const {
        const layer_graph& graph = problem.graph();
        const Model& model = problem.model();
        if (p.partitions.size() * graph.size() > std::size_t{1} << 22)
            return simulate_queries(graph, model, p, simulation).metrics;
        check_upload_plan(graph, model.env(), p);
        std::vector<double> latency, upload, overhead;
        std::vector<std::size_t> remote;
        polisher.plan_latencies(p, latency, remote);
        for (const auto& part : p.partitions) {
            upload.push_back(part.upload_s);
            overhead.push_back(part.overhead_s);
        }
        std::vector<std::vector<uplink_interval>> sends;
        if (simulation.uplink == uplink_sharing::queries_first)
            step_uplink_sends(graph, model, p, sends);
        return simulate_steps(upload, latency, remote, simulation, overhead, sends).metrics;
    }

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

    // The last pass (detail/run_merges.hpp) from `best`, LMU's plan, and from IONN's plan where
    // IONN applies: partitions of several runs, kept only if LMU's order of plans prefers them.
    template <upload_cost_model Model>
    upload_plan merged_runs(const upload_problem<Model>& problem, shared_work& work,
                            upload_plan best) const {
        detail::upload::plan_polisher<Model> polisher(problem.delay(), problem.units(), simulation,
                                                      &work.delays);
        const auto score = [&](const upload_plan& p) { return metrics_of(problem, polisher, p); };
        detail::upload::run_merger merger(problem.delay(), problem.units(), score);
        const upload_metrics m = score(best);
        // IONN's plan is a second start only if it completes as many queries as LMU's: the pass
        // makes small changes, and it is cheap only when it starts once.
        std::optional<detail::upload::scored_plan> from_ionn;
        if (work.ionn_steps) {
            upload_plan ionn =
                finish_plan(std::string(name()), problem.delay(), upload_units{}, *work.ionn_steps);
            const upload_metrics i = score(ionn);
            if (i.queries_during_upload >= m.queries_during_upload && !same_partitions(ionn, best))
                from_ionn = detail::upload::scored_plan{std::move(ionn), i};
        }
        detail::upload::scored_plan out =
            merger.run({std::move(best), m}, merge_evaluations, merge_partitions);
        if (from_ionn) {
            detail::upload::scored_plan other =
                merger.run(std::move(*from_ionn), merge_evaluations, merge_partitions);
            if (detail::upload::better_metrics(other.metrics, out.metrics)) out = std::move(other);
        }
        return std::move(out.plan);
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
            shared_work fresh;  // without the last pass, which runs once, on LMU's final plan
            alone.push_back(plan(sub, fresh).partitions);
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
    upload_plan polish(const upload_problem<Model>& problem, const upload_plan& seed,
                       detail::upload::plan_polisher<Model>& polisher, std::size_t budget) const {
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
            ranges = polisher.run(std::move(ranges), budget);
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
