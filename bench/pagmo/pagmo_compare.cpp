// Side by side with pagmo2: the same placement problem solved by eosdnn's hybrid PSO-GA and by
// pagmo's sga (integer genes) and pso (real genes rounded down to a choice), with the same
// evaluation budget. Prints, per model, the time per evaluation of each and the final migration
// delay (mean over seeds), as a Markdown table. Optional: built only when pagmo is found.
#include "../three_tier_environment.hpp"

#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/incremental_chain.hpp>
#include <eosdnn/cost/incremental_dag.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/optim/pso_ga.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include <pagmo/algorithm.hpp>
#include <pagmo/algorithms/pso.hpp>
#include <pagmo/algorithms/sga.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>
#include <pagmo/types.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace eosdnn;
using model_type = profiled_model;
using evaluator = delay_evaluator<model_type>;

constexpr std::size_t population = 50;
constexpr std::size_t budget = 20000;  // evaluations per run, for every optimiser
constexpr unsigned seeds = 5;

using bench::three_tier;  // the same instance in every optimiser benchmark

// The placement problem as a pagmo user-defined problem: gene g is an index into choices(g),
// integer (sga) or real and rounded down (pso). pagmo calls fitness() const, and the evaluator
// keeps scratch space, hence mutable; each pagmo::problem holds its own copy. pagmo wants a
// default-constructible problem, hence the optional.
struct pagmo_placement {
    mutable std::optional<evaluator> held{};
    bool integer = true;
    mutable std::vector<node_id> x{};

    pagmo::vector_double fitness(const pagmo::vector_double& genes) const {
        evaluator& problem = *held;
        x.resize(genes.size());
        for (std::size_t g = 0; g < genes.size(); ++g) {
            const auto c = problem.choices(g);
            const auto i = std::min(static_cast<std::size_t>(std::max(0.0, std::floor(genes[g]))),
                                    c.size() - 1);
            x[g] = c[i];
        }
        const evaluation e = problem.evaluate(x);
        return {e.objective + 1e6 * e.violation};
    }
    std::pair<pagmo::vector_double, pagmo::vector_double> get_bounds() const {
        const evaluator& problem = *held;
        pagmo::vector_double lo(problem.dimension(), 0.0), hi(problem.dimension());
        for (std::size_t g = 0; g < hi.size(); ++g)
            hi[g] = static_cast<double>(problem.choices(g).size()) - (integer ? 1.0 : 1e-9);
        return {lo, hi};
    }
    pagmo::vector_double::size_type get_nix() const { return integer ? held->dimension() : 0; }
    std::string get_name() const { return "eosdnn placement"; }
};

struct outcome {
    double seconds = 0, evaluations = 0, delay = 0;
    void add(double s, double e, double d) { seconds += s, evaluations += e, delay += d / seeds; }
    double ns_per_eval() const { return 1e9 * seconds / evaluations; }
};

template <class F>
double timed(F&& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

template <class Problem>
outcome run_eosdnn(Problem& p) {
    const auto opt = with_stop(hybrid_pso_ga({.population = population,
                                              .iterations = budget / population,
                                              .polish_after_stall = 20}),
                               max_evaluations{.count = budget} || max_iterations{});
    outcome o;
    for (unsigned seed = 0; seed < seeds; ++seed) {
        optimisation_result r;
        const double s = timed([&] { r = opt.solve(p, seed); });
        o.add(s, static_cast<double>(r.evaluations), r.value.objective);
    }
    return o;
}

outcome run_pagmo(const evaluator& p, bool sga) {
    outcome o;
    const auto generations = static_cast<unsigned>(budget / population - 1);
    for (unsigned seed = 0; seed < seeds; ++seed) {
        pagmo::problem prob{pagmo_placement{p, sga}};
        double best = 0;
        const double s = timed([&] {
            pagmo::population pop{prob, population, seed};
            pagmo::algorithm algo =
                sga ? pagmo::algorithm{pagmo::sga(generations, .9, 1., .02, 1., 2u, "exponential",
                                                  "uniform", "tournament", seed)}
                    : pagmo::algorithm{pagmo::pso(generations, 0.7298, 2.05, 2.05, 0.5, 5u, 2u, 4u,
                                                  false, seed)};
            pop = algo.evolve(pop);
            best = pop.champion_f()[0];
            prob = pop.get_problem();
        });
        o.add(s, static_cast<double>(prob.get_fevals()), best);
    }
    return o;
}

}  // namespace

int main() {
    const model_type model(three_tier());
    std::vector<std::pair<std::string, layer_graph>> models;
    for (std::string_view name : zoo_model_names())
        models.emplace_back(std::string(name), zoo_model(name));
    for (const char* csv : {"alexnet", "googlenet", "resnet50"})
        models.emplace_back(
            std::string(csv) + ".csv",
            read_profile_csv(std::string(EOSDNN_DATA_DIR) + "/ionn-profiles/" + csv + ".csv"));
    std::printf(
        "budget %zu evaluations, population %zu, mean over %u seeds; times in ns per "
        "evaluation\n\n",
        budget, population, seeds);
    std::printf(
        "| model | layers | eosdnn ns/eval | sga ns/eval | pso ns/eval | sga/eosdnn | pso/eosdnn "
        "| eosdnn delay (s) | sga delay (s) | pso delay (s) |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
    for (const auto& [name, g] : models) {
        evaluator full(g, model);
        outcome mine;
        if (g.is_chain()) {
            incremental_chain<model_type> inc(g, model);
            mine = run_eosdnn(inc);
        } else {
            incremental_dag<model_type> inc(g, model);
            mine = run_eosdnn(inc);
        }
        const outcome sga = run_pagmo(full, true), pso = run_pagmo(full, false);
        std::printf("| %s | %zu | %.0f | %.0f | %.0f | %.1f | %.1f | %.6f | %.6f | %.6f |\n",
                    name.c_str(), g.size(), mine.ns_per_eval(), sga.ns_per_eval(),
                    pso.ns_per_eval(), sga.ns_per_eval() / mine.ns_per_eval(),
                    pso.ns_per_eval() / mine.ns_per_eval(), mine.delay, sga.delay, pso.delay);
        std::fflush(stdout);
    }
}
