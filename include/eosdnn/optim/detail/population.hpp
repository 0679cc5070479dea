#pragma once
/// \file population.hpp
/// The population helpers shared by PSO-GA and the population baselines: random rows, the
/// initial population (seeded plans first), the best row, the mean objective.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/detail/xtensor.hpp>
#include <eosdnn/optim/detail/population_evaluator.hpp>
#include <eosdnn/optim/detail/random.hpp>
#include <eosdnn/optim/gene_space.hpp>

#include <algorithm>
#include <cstddef>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace eosdnn::detail {

/// Fraction of the free genes where `x` differs from `best` (0 when no gene is free).
inline double distance(std::span<const node_id> x, std::span<const node_id> best,
                       const gene_space& space) noexcept {
    const auto free = space.free_genes();
    if (free.empty()) return 0;
    std::size_t differ = 0;
    if (free.size() == x.size()) {
        // Every gene free (no pins, the usual case): one pass over contiguous genes, which the
        // compiler can vectorise, instead of an indexed load per gene. PSO-GA measures every
        // particle after every iteration, so this loop is a tenth of a run on small models.
        for (std::size_t g = 0; g < x.size(); ++g) differ += x[g] != best[g] ? 1 : 0;
    } else {
        for (std::size_t g : free) differ += x[g] != best[g] ? 1 : 0;
    }
    return static_cast<double>(differ) / static_cast<double>(free.size());
}

/// Mean distance of the rows of `x` to `best`: the log's diversity.
inline double diversity(const matrix<node_id>& x, std::span<const node_id> best,
                        const gene_space& space) noexcept {
    const std::size_t rows = x.shape(0);
    if (rows == 0) return 0;
    double sum = 0;
    for (std::size_t i = 0; i < rows; ++i) sum += distance(row(x, i), best, space);
    return sum / static_cast<double>(rows);
}

/// Fills `x` with genes drawn uniformly from their choices (fixed genes draw nothing).
template <std::uniform_random_bit_generator Rng>
void random_row(std::span<node_id> x, const gene_space& space, Rng& rng) {
    for (std::size_t g = 0; g < x.size(); ++g) {
        const auto c = space.choices(g);
        x[g] = c.size() == 1 ? c[0] : c[draw_index(c.size(), rng)];
    }
}

/// The initial population: the given plans first (checked against the space), then random rows.
template <std::uniform_random_bit_generator Rng>
void initial_population(matrix<node_id>& x, const gene_space& space,
                        std::span<const std::vector<node_id>> plans, Rng& rng) {
    if (plans.size() > x.shape(0))
        throw error(error_kind::validation, std::to_string(plans.size()) +
                                                " initial plans for a population of " +
                                                std::to_string(x.shape(0)));
    for (std::size_t i = 0; i < x.shape(0); ++i) {
        auto r = row(x, i);
        if (i < plans.size()) {
            space.check(plans[i], "initial plan " + std::to_string(i));
            std::copy(plans[i].begin(), plans[i].end(), r.begin());
        } else {
            random_row(r, space, rng);
        }
    }
}

/// Index of the best value (the first one among equals).
inline std::size_t best_index(std::span<const evaluation> values) noexcept {
    std::size_t b = 0;
    for (std::size_t i = 1; i < values.size(); ++i)
        if (better(values[i], values[b])) b = i;
    return b;
}

/// Mean objective of a population.
inline double mean_objective(std::span<const evaluation> values) noexcept {
    double sum = 0;
    for (const auto& v : values) sum += v.objective;
    return values.empty() ? 0 : sum / static_cast<double>(values.size());
}

}  // namespace eosdnn::detail
