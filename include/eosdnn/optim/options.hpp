#pragma once
/// \file options.hpp
/// The options of the PSO-GA engine: an aggregate for designated initializers, validated once
/// when the engine is built.

#include <eosdnn/error.hpp>
#include <eosdnn/optim/large_moves.hpp>
#include <eosdnn/optim/local_search.hpp>

#include <cstddef>
#include <string>

namespace eosdnn {

/// Size and execution of a PSO-GA run. The operators' own parameters live in the policies.
struct pso_ga_options {
    std::size_t population = 50;   ///< particles, >= 1
    std::size_t iterations = 300;  ///< planned iterations: the horizon of the schedules and the
                                   ///< default iteration limit, >= 1
    std::size_t threads = 1;       ///< threads evaluating the swarm (1: the caller only), >= 1;
                                   ///< the result is bit-identical for any value
    bool incremental = true;       ///< re-price only changed genes when the problem allows it
    bool keep_log = true;          ///< keep one iteration_record per iteration in the result
    /// The hybrid: after this many iterations without a gBest improvement, polish gBest once
    /// with local_search() (prefix, suffix and single-gene moves); 0 (the paper) never does.
    std::size_t polish_after_stall = 0;
    local_search_options polish{};  ///< the moves of the polish
    /// With a polish: also try the exact large moves (optim/large_moves.hpp: expansions and
    /// windows) when the problem is one task under the sequential schedule; ignored otherwise.
    bool polish_large_moves = false;
    large_move_options large_moves{};  ///< the large moves of the polish

    /// Throws eosdnn::error naming the field and its value if one is out of range.
    void validate() const {
        check(population >= 1, "population", population, ">= 1");
        check(iterations >= 1, "iterations", iterations, ">= 1");
        check(threads >= 1 && threads <= 1024, "threads", threads, "in 1..1024");
        if (polish_after_stall) polish.validate();
        if (polish_after_stall && polish_large_moves) large_moves.validate();
    }

private:
    static void check(bool ok, const char* field, std::size_t value, const char* rule) {
        if (!ok)
            throw error(error_kind::validation, std::string("pso_ga_options.") + field + " is " +
                                                    std::to_string(value) + " (must be " + rule + ")");
    }
};

}  // namespace eosdnn
