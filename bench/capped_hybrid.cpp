// The hybrid PSO-GA from a random start where memory capacities bind, with its large moves
// honouring the capacities (large_move_options::memory, the default) and leaving them out (as
// before), side by side in one run: random DAGs of 84 layers in the two capped six-node
// environments of tests/milp/capped_six.hpp, three seeds each. The reference is solve_exact with
// 30 s: proven, or its best plan and bound. Prints one Markdown table (mean plan in ms over the
// seeds, how many seeds reached the reference, mean wall time per run) and the totals. A program,
// not a Google Benchmark: each run is made once, for its outcome.
//
// Usage: capped_hybrid [DAG seeds = 8]
#include "../tests/milp/capped_six.hpp"

#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/optim/exact_dag.hpp>
#include <eosdnn/optim/pso_ga.hpp>
#include <eosdnn/zoo/random_dag.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

using namespace eosdnn;

namespace {

constexpr unsigned runs = 3;  // hybrid seeds per instance and variant

struct tally {
    int reached = 0;
    double seconds = 0;
};

// "72.45 (1/3), 0.52 s": the mean plan over the seeds, how many reached the reference, the mean
// time per run; adds to the totals.
std::string cell(delay_evaluator<profiled_model>& p, bool memory, double reference, tally& t) {
    auto options = hybrid_options();
    options.large_moves.memory = memory;
    double sum = 0, seconds = 0;
    int reached = 0;
    for (unsigned seed = 0; seed < runs; ++seed) {
        const auto start = std::chrono::steady_clock::now();
        const auto r = hybrid_pso_ga(options).solve(p, seed);
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        sum += r.value.feasible() ? r.value.objective : 1e300;
        reached += r.value.feasible() && r.value.objective <= reference * (1 + 1e-9);
    }
    t.reached += reached;
    t.seconds += seconds;
    char text[96];
    std::snprintf(text, sizeof text, "%.2f (%d/%u), %.2f s", 1e3 * sum / runs, reached, runs,
                  seconds / runs);
    return text;
}

}  // namespace

int main(int argc, char** argv) {
    const std::uint64_t seeds = argc > 1 ? std::stoull(argv[1]) : 8;
    std::printf(
        "hybrid_options(), no initial plans, seeds 0-%u; the reference: solve_exact, 30 s\n\n",
        runs - 1);
    std::printf(
        "| DAG seed, capacities | reference (ms) | moves honour the capacities | moves "
        "leave them out |\n|---|---|---|---|\n");
    tally with, without;
    int instances = 0;
    for (std::uint64_t seed = 1; seed <= seeds; ++seed)
        for (const bool tight : {false, true}) {
            const layer_graph g =
                make_random_dag({.layers = 84, .shape = dag_shape::mixed, .seed = seed});
            const profiled_model model(
                milp_test::capped_six(tight ? milp_test::caps_b : milp_test::caps_a));
            delay_evaluator<profiled_model> p(g, model);
            const exact_result exact = solve_exact(p, {.time_limit_s = 30});
            const double reference = exact.value.objective;
            char ref[64];
            std::snprintf(ref, sizeof ref, "%.2f%s", 1e3 * reference,
                          exact.proven_optimal ? ", proven" : ", unproven");
            const std::string a = cell(p, true, reference, with);
            const std::string b = cell(p, false, reference, without);
            std::printf("| %llu, %s | %s | %s | %s |\n", static_cast<unsigned long long>(seed),
                        tight ? "B" : "A", ref, a.c_str(), b.c_str());
            std::fflush(stdout);
            ++instances;
        }
    const int total = instances * static_cast<int>(runs);
    std::printf(
        "\nruns at the reference: %d of %d honouring the capacities, %d of %d leaving them "
        "out; mean time per run %.2f s and %.2f s\n",
        with.reached, total, without.reached, total, with.seconds / total, without.seconds / total);
}
