// Re-planning after a bandwidth event on the ResNet-50 profile with four nodes (a phone, two
// edge servers and a cloud: bench/three_tier_environment.hpp), against planning from scratch,
// in one run.
//
// - replan/<policy>/<values>: replanner::apply() of a bandwidth event on the phone -> edge1
//   uplink, alternately a drop to about 3 Mbit/s and a rise to about 30, at one point of the
//   session (a quarter of the way through the initial upload). Includes building the changed
//   environment and the cost tables, the exact solves, LMU and scoring the candidates.
//   `fresh`: every value is new (scaled by 1 + 1e-6 i at iteration i), so the re-planner's memo
//   of optima never answers; a drop on a link its optimum does not use is still answered
//   without a solve (the optimum provably stays). `repeated`: exactly 3 and 30 Mbit/s, as an
//   on/off link: after the first two events the memo answers.
// - plan_from_scratch: what a planner without a session does for the same event: a fresh
//   replanner for the changed environment and its plan_initial() (tables, exact optimum, LMU).
//
// Counters: layers; candidates (scored per decision); window_s; replan_wall_ms (the decision's
// own measured time, the mean over iterations).
#include "three_tier_environment.hpp"

#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/replan.hpp>

#include <benchmark/benchmark.h>

#include <string>

namespace {

using namespace eosdnn;

const layer_graph& resnet50() {
    static const layer_graph g =
        read_profile_csv(std::string(EOSDNN_DATA_DIR) + "/ionn-profiles/resnet50.csv");
    return g;
}

void replan(benchmark::State& state, replan_policy policy, bool fresh) {
    const layer_graph& g = resnet50();
    const environment env = bench::three_tier();
    replanner<profiled_model> rp(g, env, 0, {.policy = policy});
    const auto first = rp.plan_initial();
    const double t = first.chosen.remaining_upload_s / 4;
    rp.advance_to(t);
    const double low = mbps(3), high = env.link_between(0, 1)->bandwidth_Bps;
    bool drop = true;
    double candidates = 0, window = 0, wall = 0, runs = 0;
    for (auto _ : state) {
        const double scale = fresh ? 1 + 1e-6 * runs : 1;
        const auto d = rp.apply({.time_s = t,
                                 .kind = event_kind::link_bandwidth,
                                 .from = 0,
                                 .to = 1,
                                 .value = (drop ? low : high) * scale});
        drop = !drop;
        candidates += static_cast<double>(d.candidates.size());
        window += d.window_s;
        wall += d.replan_wall_s;
        runs += 1;
        benchmark::DoNotOptimize(d.chosen.placement.data());
    }
    state.counters["layers"] = static_cast<double>(g.size());
    state.counters["candidates"] = candidates / runs;
    state.counters["window_s"] = window / runs;
    state.counters["replan_wall_ms"] = 1e3 * wall / runs;
}

void plan_from_scratch(benchmark::State& state) {
    const layer_graph& g = resnet50();
    const environment env = bench::three_tier();
    bool drop = true;
    double runs = 0;
    for (auto _ : state) {
        const double scale = 1 + 1e-6 * runs++;
        const environment changed =
            with_event(env, env, 0,
                       {.time_s = 1,
                        .kind = event_kind::link_bandwidth,
                        .from = 0,
                        .to = 1,
                        .value = (drop ? mbps(3) : env.link_between(0, 1)->bandwidth_Bps) * scale});
        drop = !drop;
        replanner<profiled_model> fresh(g, changed);
        auto d = fresh.plan_initial();
        benchmark::DoNotOptimize(d.chosen.placement.data());
    }
    state.counters["layers"] = static_cast<double>(g.size());
}

BENCHMARK_CAPTURE(replan, upload_aware / fresh, replan_policy::upload_aware, true)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(replan, from_scratch / fresh, replan_policy::from_scratch, true)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(replan, never / fresh, replan_policy::never, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(replan, upload_aware / repeated, replan_policy::upload_aware, false)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(plan_from_scratch)->Unit(benchmark::kMicrosecond);

}  // namespace
