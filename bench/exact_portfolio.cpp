// The exact solvers within one time limit, where memory capacities bind: the native solver
// (solve_exact), CBC (solve_milp) and the two in turn (solve_portfolio, what eosdnn-plan's
// default --exact-solver auto runs), each given the same limit, on random DAGs of 84 layers in
// the two capped six-node environments of tests/milp/capped_six.hpp. The optimum is CBC's with
// a long limit. Prints one Markdown table: each solver's plan (ms), proven or how far above the
// optimum, and its wall time; then the counts. A program, not a Google Benchmark: each solve
// runs once, for its outcome within the limit.
//
// Usage: exact_portfolio [limit_s = 5] [seeds = 10]   (5 s: the exact reference's share of
// eosdnn-plan's default 10 s budget)
#include "../tests/milp/capped_six.hpp"

#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/milp/cbc.hpp>
#include <eosdnn/milp/portfolio.hpp>
#include <eosdnn/optim/exact_dag.hpp>
#include <eosdnn/zoo/random_dag.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

using namespace eosdnn;

namespace {

constexpr double optimum_limit_s = 300;

struct tally {
    int proven = 0, optimal = 0;
};

// "94.36, proven, 4.55 s" or "89.82 (+1.7%), 5.10 s"; counts the proofs and the optima found.
std::string cell(const exact_result& r, double optimum, tally& t) {
    char text[96];
    const double excess = 100 * (r.value.objective / optimum - 1);
    t.proven += r.proven_optimal;
    t.optimal += excess <= 1e-7;
    if (r.proven_optimal)
        std::snprintf(text, sizeof text, "%.2f, proven, %.2f s", 1e3 * r.value.objective,
                      r.seconds);
    else
        std::snprintf(text, sizeof text, "%.2f (+%.1f%%), %.2f s", 1e3 * r.value.objective, excess,
                      r.seconds);
    return text;
}

}  // namespace

int main(int argc, char** argv) {
    const double limit = argc > 1 ? std::stod(argv[1]) : 5.0;
    const std::uint64_t seeds = argc > 2 ? std::stoull(argv[2]) : 10;
    std::printf("time limit %g s per solver; the optimum: cbc with %g s\n\n", limit,
                optimum_limit_s);
    std::printf("| DAG seed, capacities | optimum (ms) | native | cbc | native, then cbc |\n");
    std::printf("|---|---|---|---|---|\n");
    tally native_t, cbc_t, both_t;
    int instances = 0, unknown = 0;
    for (const auto& [caps, caps_name] :
         {std::pair{milp_test::caps_a, "a"}, std::pair{milp_test::caps_b, "b"}}) {
        const profiled_model model(milp_test::capped_six(caps));
        for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
            const layer_graph g =
                make_random_dag({.layers = 84, .shape = dag_shape::mixed, .seed = seed});
            delay_evaluator p(g, model);
            const exact_result best = solve_milp(g, p, {.time_limit_s = optimum_limit_s});
            if (!best.proven_optimal) {
                ++unknown;
                std::printf("| %llu, %s | not proven in %g s | | | |\n",
                            static_cast<unsigned long long>(seed), caps_name, optimum_limit_s);
                continue;
            }
            ++instances;
            const double optimum = best.value.objective;
            const exact_result native = solve_exact(p, {.time_limit_s = limit});
            const exact_result cbc = solve_milp(g, p, {.time_limit_s = limit});
            const exact_result both = solve_portfolio(g, p, {.time_limit_s = limit});
            std::printf("| %llu, %s | %.2f | %s | %s | %s |\n",
                        static_cast<unsigned long long>(seed), caps_name, 1e3 * optimum,
                        cell(native, optimum, native_t).c_str(), cell(cbc, optimum, cbc_t).c_str(),
                        cell(both, optimum, both_t).c_str());
            std::fflush(stdout);
        }
    }
    std::printf("\nproven within the limit: native %d, cbc %d, native then cbc %d of %d\n",
                native_t.proven, cbc_t.proven, both_t.proven, instances);
    std::printf("optimum found: native %d, cbc %d, native then cbc %d of %d\n", native_t.optimal,
                cbc_t.optimal, both_t.optimal, instances);
    if (unknown)
        std::printf("%d instance(s) left out: no proven optimum to compare with\n", unknown);
}
