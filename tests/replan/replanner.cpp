// The re-planner's choices: after a bandwidth step with every layer resident everywhere, its
// migration plan is the exact optimum of the new environment; when the new optimum needs layers
// that are not resident, the upload-aware choice completes at least as many queries over the
// window as the stale plan, the from-scratch plan and every placement (each with LMU's upload of
// what is missing), all simulated by an independent reference below.
#include "../optim/hard_environments.hpp"
#include "../test_scale.hpp"
#include "../upload/upload_test_models.hpp"

#include <eosdnn/cost/analytic_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/cost/sequential_delay.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/optim/exact_dag.hpp>
#include <eosdnn/replan.hpp>
#include <eosdnn/upload/lmu.hpp>
#include <eosdnn/zoo/random_dag.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace eosdnn;

namespace {

// The exact optimum of `graph` in `env`, computed on its own.
template <class Model>
std::vector<node_id> exact_optimum(const layer_graph& graph, const environment& env) {
    const Model model(env);
    delay_evaluator<Model> p(graph, model);
    const exact_result r = solve_exact(p);
    REQUIRE(r.proven_optimal);
    return r.placement;
}

// Every layer resident on every node, a bandwidth step on `link`: the chosen plan is the exact
// optimum of the new environment.
template <class Model>
int check_step(const layer_graph& graph, const environment& env, node_id from, node_id to,
               double factor) {
    replanner<Model> rp(graph, env);
    for (layer_id j = 0; j < graph.size(); ++j)
        for (node_id s = 0; s < env.size(); ++s) rp.set_resident(j, s);
    const auto first = rp.plan_initial();
    CHECK(first.chosen.placement == exact_optimum<Model>(graph, env));
    CHECK(first.chosen.upload.partitions.empty());
    const session_event e{.time_s = 1.5,
                          .kind = event_kind::link_bandwidth,
                          .from = from,
                          .to = to,
                          .value = env.link_between(from, to)->bandwidth_Bps * factor};
    const auto d = rp.apply(e);
    const environment changed = with_event(env, env, 0, e);
    const auto expected = exact_optimum<Model>(graph, changed);
    CHECK_MESSAGE(d.chosen.placement == expected,
                  graph.name() << " " << from << "->" << to << " x" << factor << ": " << d.reason);
    CHECK(d.optimum_proven);
    CHECK(std::equal(rp.placement().begin(), rp.placement().end(), expected.begin()));
    CHECK(rp.query_latency() == doctest::Approx(sequential_delay(graph, Model(changed), expected)));
    return expected != first.chosen.placement;  // the step moved the optimum
}

}  // namespace

TEST_CASE("after a bandwidth step with everything resident, the plan is the new exact optimum") {
    // Hard environments (3 to 6 nodes, asymmetric links, a relay, optima that split the
    // model) x random DAGs (seeds 1..4, 40 layers) and the measured AlexNet and ResNet-50
    // profiles; steps of x0.1 and x10 on the device's first uplink and on a server-server link.
    const std::string data = EOSDNN_DATA_DIR;
    std::vector<layer_graph> profiles{read_profile_csv(data + "/ionn-profiles/alexnet.csv"),
                                      read_profile_csv(data + "/ionn-profiles/resnet50.csv")};
    int cases = 0, moved = 0;
    for (const auto& [name, env] : optim_test::hard_environments()) {
        CAPTURE(name);
        const std::vector<std::pair<node_id, node_id>> links{{0, 1}, {1, 0}, {1, 2}};
        for (std::uint64_t seed = 1; seed <= 4; ++seed) {
            const layer_graph g = make_random_dag({.layers = 40, .seed = seed});
            for (auto [a, b] : links)
                for (double f : {0.1, 10.0}) {
                    moved += check_step<analytic_model>(g, env, a, b, f);
                    ++cases;
                }
        }
        for (const auto& g : profiles)
            for (auto [a, b] : links)
                for (double f : {0.1, 10.0}) {
                    moved += check_step<profiled_model>(g, env, a, b, f);
                    ++cases;
                }
    }
    MESSAGE(cases << " steps, " << moved << " of which moved the optimum");
    CHECK(moved > 0);
}

TEST_CASE("events at one time change the environment once: one decision, the exact optimum") {
    // Both directions of the device's first uplink and a server-server link change at 2 s, on
    // the hard environments x random DAGs (seeds 1..3, 30 layers), everything resident: the one
    // decision is the exact optimum of the environment with all three changes, with at most
    // one new plan version; and the same events one by one end in the same plan.
    int cases = 0;
    for (const auto& [name, env] : optim_test::hard_environments()) {
        CAPTURE(name);
        for (std::uint64_t seed = 1; seed <= 3; ++seed)
            for (double f : {0.05, 20.0}) {
                CAPTURE(seed);
                CAPTURE(f);
                const layer_graph g = make_random_dag({.layers = 30, .seed = seed});
                const auto step = [&](node_id a, node_id b, double factor) {
                    return session_event{.time_s = 2,
                                         .kind = event_kind::link_bandwidth,
                                         .from = a,
                                         .to = b,
                                         .value = env.link_between(a, b)->bandwidth_Bps * factor};
                };
                const session_trace at_two{step(0, 1, f), step(1, 0, f), step(1, 2, 1 / f)};
                replanner<analytic_model> together(g, env), apart(g, env);
                for (auto* rp : {&together, &apart}) {
                    for (layer_id j = 0; j < g.size(); ++j)
                        for (node_id s = 0; s < env.size(); ++s) rp->set_resident(j, s);
                    rp->plan_initial();
                }
                const auto d = together.apply(at_two);
                environment changed = env;
                for (const auto& e : at_two) changed = with_event(changed, env, 0, e);
                const auto expected = exact_optimum<analytic_model>(g, changed);
                CHECK(d.chosen.placement == expected);
                CHECK(d.version <= 1);
                CHECK(d.reason.find("; ") != std::string::npos);  // every event is named
                for (const auto& e : at_two) apart.apply(e);
                CHECK(std::equal(apart.placement().begin(), apart.placement().end(),
                                 expected.begin()));
                ++cases;
            }
    }
    MESSAGE(cases << " simultaneous changes");
}

TEST_CASE("the PSO-GA fallback starts from its last swarm and keeps to the allowed nodes") {
    // An exact budget too short to prove anything (1 ns) on random DAGs in the hard
    // environments: the fallback leaves a swarm of one plan per particle, its best first; the
    // next fallback, started from it, is never worse than the first; with a node no longer
    // allowed, every plan it returns keeps off it.
    const replan_options o{.exact_time_limit_s = 1e-9, .pso_population = 12, .pso_iterations = 30};
    int fallbacks = 0;
    for (const auto& [name, env] : optim_test::hard_environments()) {
        CAPTURE(name);
        const layer_graph g = make_random_dag({.layers = 60, .seed = 11});
        const analytic_model model(env);
        delay_evaluator<analytic_model> p(g, model);
        std::vector<std::vector<node_id>> all(g.size()), without_1(g.size());
        for (layer_id j = 0; j < g.size(); ++j)
            for (node_id s : p.choices(j)) {
                all[j].push_back(s);
                if (s != 1 || p.choices(j).size() == 1) without_1[j].push_back(s);
            }
        std::vector<std::uint32_t> order;
        std::vector<std::vector<node_id>> swarm;
        bool proven = true;
        const auto first = best_placement_within(p, all, o, {}, 1, proven, order, swarm);
        if (proven) continue;  // the solve finished inside 1 ns: no fallback to check
        ++fallbacks;
        REQUIRE(swarm.size() == o.pso_population);
        CHECK_FALSE(better(p.evaluate(first), p.evaluate(swarm.front())));
        const auto second = best_placement_within(p, all, o, {}, 2, proven, order, swarm);
        CHECK_FALSE(better(p.evaluate(first), p.evaluate(second)));
        const auto off = best_placement_within(p, without_1, o, {}, 3, proven, order, swarm);
        for (layer_id j = 0; j < g.size(); ++j)
            CHECK(std::find(without_1[j].begin(), without_1[j].end(), off[j]) !=
                  without_1[j].end());
        for (const auto& x : swarm)
            for (layer_id j = 0; j < g.size(); ++j)
                CHECK(std::find(without_1[j].begin(), without_1[j].end(), x[j]) !=
                      without_1[j].end());
    }
    MESSAGE(fallbacks << " environments ran the fallback");
    CHECK(fallbacks > 0);
}

namespace {

// The reference simulation of one plan from a snapshot of the session, written apart from the
// re-planner: residency as a set, every query priced by sequential_delay() of its effective
// placement, partitions timed with model.upload_time() plus the latency of one request.
struct snapshot {
    std::set<std::pair<layer_id, node_id>> resident{};  // (layer, node), the device implied
    std::vector<upload_partition> queue{};              // the first in flight if progress > 0
    double progress = 0;
};

template <class Model>
std::size_t reference_queries(const layer_graph& g, const Model& model, const snapshot& s,
                              const std::vector<node_id>& x, const std::vector<node_id>& f,
                              const std::vector<upload_partition>& parts, double window,
                              bool whole = false) {
    auto resident = s.resident;
    const auto has = [&](layer_id j, node_id n) { return n == 0 || resident.count({j, n}) > 0; };
    std::vector<double> done;
    double t = 0;
    for (std::size_t k = 0; k < parts.size(); ++k) {
        double up = 0;
        for (layer_id j : parts[k].layers) up += model.upload_time(g[j], 0, parts[k].node);
        up += model.env().link_between(0, parts[k].node)->latency_s;  // one request's overhead
        // What was sent of the partition in flight stays on its node, layer by layer: a
        // partition to that node starts with those bytes (the same partition resumes exactly).
        double sent = 0;
        if (!s.queue.empty() && s.progress > 0 && parts[k].node == s.queue.front().node) {
            const auto& flying = s.queue.front().layers;
            if (parts[k].layers == flying) {
                sent = s.progress;
            } else {
                double part = 0, bytes = 0;
                for (layer_id j : parts[k].layers) {
                    bytes += g[j].param_bytes;
                    if (std::find(flying.begin(), flying.end(), j) != flying.end())
                        part += s.progress * g[j].param_bytes;
                }
                sent = bytes > 0 ? part / bytes : 0;
            }
        }
        t += (1 - sent) * up;
        done.push_back(t);
    }
    std::size_t arrived = 0, count = 0;
    double a = 0;
    std::vector<node_id> e(g.size());
    while (a < window) {
        while (arrived < parts.size() && done[arrived] <= a) {
            for (layer_id j : parts[arrived].layers) resident.insert({j, parts[arrived].node});
            ++arrived;
        }
        for (layer_id j = 0; j < g.size(); ++j)
            e[j] = has(j, x[j]) ? x[j] : has(j, f[j]) ? f[j] : 0;
        double l = sequential_delay(g, model, std::span<const node_id>(e));
        if (whole) {  // or the fallback placement alone, when faster
            std::vector<node_id> alone(g.size());
            for (layer_id j = 0; j < g.size(); ++j) alone[j] = has(j, f[j]) ? f[j] : 0;
            l = std::min(l, sequential_delay(g, model, std::span<const node_id>(alone)));
        }
        if (a + l <= window) ++count;
        a += l;
    }
    return count;
}

// Whether a plan of target x keeps the partition in flight: when it is x's own (each of its
// layers goes to its node), as the re-planner's "optimum" and exhaustive candidates do.
bool keeps(const snapshot& s, const std::vector<node_id>& x) {
    if (s.queue.empty() || s.progress == 0) return false;
    for (layer_id j : s.queue.front().layers)
        if (x[j] != s.queue.front().node) return false;
    return true;
}

// LMU's plan of x (the rule alone, as the re-planner's default) without what is resident or, when
// the partition in flight is kept (first), in flight to the same node.
template <class Model>
std::vector<upload_partition> lmu_missing(const layer_graph& g, const Model& model,
                                          const snapshot& s, const std::vector<node_id>& x) {
    std::vector<upload_partition> out;
    const bool flying = keeps(s, x);
    if (flying) out.push_back(s.queue.front());
    const auto skip = [&](layer_id j, node_id n) {
        if (s.resident.count({j, n})) return true;
        if (!flying || s.queue.front().node != n) return false;
        for (layer_id k : s.queue.front().layers)
            if (k == j) return true;
        return false;
    };
    bool any = false;
    for (layer_id j = 0; j < g.size(); ++j) any = any || (x[j] != 0 && !skip(j, x[j]));
    if (!any) return out;
    const upload_problem<Model> problem(g, model, x);
    for (const auto& p : lmu_planner{.portfolio = false}.plan(problem).partitions) {
        upload_partition kept{.node = p.node};
        for (layer_id j : p.layers)
            if (!skip(j, p.node)) kept.layers.push_back(j);
        if (!kept.layers.empty()) out.push_back(kept);
    }
    return out;
}

}  // namespace

TEST_CASE(
    "upload-aware completes at least as many queries as stale, from-scratch and every "
    "placement") {
    // Small models (4 to 6 layers: input, 2 or 3 weighted layers, parameter-free ones), a
    // phone, an edge and a cloud behind slow uplinks; the upload stops halfway and an uplink
    // steps (edge x0.1, cloud x10, edge x10). Seeds 1..12, chains and DAGs; under the
    // sanitizers seeds 1..3: chains of both sizes and a DAG (test_scale.hpp).
    int cases = 0, differs = 0, beats_stale = 0, beats_scratch = 0, default_best = 0;
    for (std::uint32_t seed = 1; seed <= eosdnn::test::seeds_here(12, 3); ++seed)
        for (auto [to, factor] : {std::pair<node_id, double>{1, 0.1}, {2, 10.0}, {1, 10.0}}) {
            std::mt19937 rng(seed);
            const layer_graph g = upload_test::random_model(rng, 2 + seed % 2, seed % 3 == 0);
            REQUIRE(g.size() >= 3);
            REQUIRE(g.size() <= 7);
            const environment env = upload_test::phone_and_servers(2).env();
            replanner<analytic_model> rp(g, env, 0, {.exhaustive_limit = 5000});
            const auto first = rp.plan_initial();
            const double half = first.chosen.remaining_upload_s / 2;
            rp.advance_to(half);
            snapshot s{.queue = rp.upload_queue(), .progress = rp.front_progress()};
            for (layer_id j = 0; j < g.size(); ++j)
                for (node_id n = 1; n < env.size(); ++n)
                    if (rp.resident(j, n)) s.resident.insert({j, n});
            const session_event e{.time_s = half,
                                  .kind = event_kind::link_bandwidth,
                                  .from = 0,
                                  .to = to,
                                  .value = env.link_between(0, to)->bandwidth_Bps * factor};
            const std::vector<node_id> stale_x(rp.placement().begin(), rp.placement().end());
            const auto d = rp.apply(e);
            const analytic_model changed(with_event(env, env, 0, e));
            const double w = d.window_s;
            const std::vector<node_id> device(g.size(), 0);
            CAPTURE(seed);
            CAPTURE(to);
            CAPTURE(factor);

            const auto chosen =
                reference_queries(g, changed, s, d.chosen.placement, d.chosen.fallback,
                                  d.chosen.upload.partitions, w, d.chosen.whole_fallback);
            CHECK(chosen == d.chosen.window_queries);  // the two simulations agree
            const auto stale = reference_queries(g, changed, s, stale_x, device, s.queue, w);
            const auto optimum = exact_optimum<analytic_model>(g, changed.env());
            const auto scratch = reference_queries(g, changed, s, optimum, device,
                                                   lmu_missing(g, changed, s, optimum), w);
            CHECK(chosen >= stale);
            CHECK(chosen >= scratch);
            // Every placement, with LMU's upload of what is missing and the device as fallback.
            std::size_t best = 0;
            std::vector<node_id> x(g.size(), 0);
            while (true) {
                best = std::max(best, reference_queries(g, changed, s, x, device,
                                                        lmu_missing(g, changed, s, x), w));
                layer_id j = 0;
                while (j < g.size() && ++x[j] == env.size()) x[j++] = 0;
                if (j == g.size()) break;
            }
            CHECK(chosen >= best);
            // The default candidates (no exhaustive list), over the same window and over their
            // own automatic one: never below stale or from-scratch.
            replanner<analytic_model> same(g, env, 0, {.window_s = w});
            same.plan_initial();
            const auto ds = same.apply(e);
            const auto by_default =
                reference_queries(g, changed, s, ds.chosen.placement, ds.chosen.fallback,
                                  ds.chosen.upload.partitions, w, ds.chosen.whole_fallback);
            CHECK(by_default == ds.chosen.window_queries);
            CHECK(by_default >= stale);
            CHECK(by_default >= scratch);
            default_best += by_default >= best;
            replanner<analytic_model> plain(g, env);
            plain.plan_initial();
            const auto dp = plain.apply(e);
            const auto w2 = dp.window_s;
            const auto own =
                reference_queries(g, changed, s, dp.chosen.placement, dp.chosen.fallback,
                                  dp.chosen.upload.partitions, w2, dp.chosen.whole_fallback);
            CHECK(own == dp.chosen.window_queries);
            CHECK(own >= reference_queries(g, changed, s, stale_x, device, s.queue, w2));
            CHECK(own >= reference_queries(g, changed, s, optimum, device,
                                           lmu_missing(g, changed, s, optimum), w2));
            MESSAGE("seed " << seed << " uplink " << to << " x" << factor << ": window " << w
                            << " s, upload-aware " << chosen << " ('" << d.chosen.name
                            << "'), stale " << stale << ", from-scratch " << scratch
                            << ", best placement " << best << ", default candidates " << by_default
                            << " ('" << ds.chosen.name << "')");
            ++cases;
            differs += optimum != stale_x;
            beats_stale += chosen > stale;
            beats_scratch += chosen > scratch;
        }
    MESSAGE(cases << " cases; the new optimum differs from the stale plan in " << differs
                  << "; upload-aware completes more than stale in " << beats_stale
                  << " and more than from-scratch in " << beats_scratch
                  << "; the default candidates reach (or pass) the best placement in "
                  << default_best);
    CHECK(differs > 0);
}
