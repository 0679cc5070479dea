#pragma once
/// \file exact_result.hpp
/// What the exact solvers of the sequential migration-delay problem take and return: the native
/// solver (eosdnn/optim/exact_dag.hpp) and the integer-program backend (eosdnn/milp/cbc.hpp)
/// share these types, so a user can switch between them and tests can compare them.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/core/stop_request.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace eosdnn {

/// Limits of an exact solve. The defaults prove optimality with no time limit.
struct exact_options {
    /// Wall-clock seconds the search may take; 0 means no limit. When the limit is reached the
    /// solver returns the best plan found so far and the best lower bound proven so far.
    double time_limit_s = 0;
    /// A request to end the search early (core/stop_request.hpp; null: none): it then ends as
    /// at its time limit, with the best plan and bound so far (timed_out and
    /// stopped_by_request set). The request outlives the search.
    const stop_request* stop = nullptr;
    /// Called about every second of a long branch and bound with the best objective found so
    /// far (+inf before the first plan) and the lower bound proven so far, for a progress
    /// display; empty for none. (The native solver's main search only.)
    std::function<void(double best, double lower)> on_progress{};
    /// The search stops as soon as (upper - lower) <= relative_gap * upper: optimality is proven
    /// to this relative tolerance (the default only absorbs floating-point rounding).
    double relative_gap = 1e-9;
    /// Largest table, in entries, that one elimination step of the native solver may build;
    /// beyond it the step is split (a mini-bucket) and the result is a bound searched by branch
    /// and bound rather than an exact table. 2^22 doubles is 32 MiB.
    std::size_t table_entries = std::size_t{1} << 22;
    /// A known placement (one gene per layer) to start from, for example the best PSO-GA plan:
    /// the search never returns anything worse. Empty for none.
    std::vector<node_id> incumbent{};
    /// Enforce the memory capacities in the search (the problem's constraints). With false the
    /// capacities are left out: faster where they bind, but the plan may break them, and the
    /// result says so (constraints_honoured false unless the plan happens to respect them).
    bool memory = true;
    /// When the model is too wide for exact tables (the search then needs a good plan early),
    /// first improve the best known plan (the incumbent, or the best one-node plan) by exact
    /// large moves (optim/large_moves.hpp) for up to a quarter of the time limit (2 s without
    /// one).
    bool improve_incumbent = true;
    /// The native solver's elimination order from exact_result::elimination_order of an earlier
    /// solve of the same graph (costs and allowed nodes may differ): the solve skips computing
    /// one. A hint: it changes the time of the solve, not the optimum's value (a tie between
    /// plans may resolve to another), and one that does not fit the solver's model (its
    /// variables are the layers, then one per layer with several consumers, and their number
    /// can change with the allowed nodes) is computed anew.
    std::vector<std::uint32_t> elimination_order{};

    /// Throws eosdnn::error (validation) naming the field and value if one is out of range.
    void validate() const {
        detail::require_time_limit("exact_options.time_limit_s", time_limit_s);
        if (!std::isfinite(relative_gap) || relative_gap < 0 || relative_gap >= 1)
            fail("relative_gap", std::to_string(relative_gap), "in [0, 1)");
        if (table_entries < 64) fail("table_entries", std::to_string(table_entries), ">= 64");
    }

private:
    [[noreturn]] static void fail(const char* field, const std::string& value, const char* rule) {
        throw error(error_kind::validation, std::string("exact_options.") + field + " is " + value +
                                                " (must be " + rule + ")");
    }
};

/// The answer of an exact solver.
///
/// `lower_bound` is a proven lower bound on the objective of every placement that honours the
/// pins (and, when `constraints_honoured`, the memory capacities), so the plan is at most
/// `gap()` above the optimum. `proven_optimal` means gap() <= the relative_gap asked for.
struct exact_result {
    std::vector<node_id> placement{};  ///< node of each layer, indexed by layer_id
    evaluation value{};                ///< the problem's own evaluation of `placement`
    double lower_bound = 0;            ///< proven lower bound on the optimal objective
    bool proven_optimal = false;       ///< value.objective is the optimum (to the tolerance)
    /// True when the search enforced every constraint of the problem (pins always; memory
    /// capacities when the solver supports them). False means the plan may violate one, and
    /// `lower_bound` is then a bound of the problem without that constraint, which is still a
    /// valid lower bound of the constrained one.
    bool constraints_honoured = true;
    bool timed_out = false;           ///< the time limit stopped the search before the proof
    bool stopped_by_request = false;  ///< exact_options::stop ended it (timed_out is set too)
    std::string method{};             ///< "viterbi", "min-cut", "bucket-elimination", "cbc", ...
    std::size_t search_nodes = 0;     ///< branch-and-bound nodes expanded (0 for a pure DP)
    double seconds = 0;               ///< wall-clock time of the solve
    /// The native solver's elimination order (bucket elimination; empty otherwise), for
    /// exact_options::elimination_order of a later solve of the same model.
    std::vector<std::uint32_t> elimination_order{};

    /// (objective - lower_bound) / objective, or 0 when both are 0; +inf with no finite plan.
    double gap() const noexcept {
        const double upper = value.objective;
        if (!std::isfinite(upper)) return std::numeric_limits<double>::infinity();
        if (upper <= 0) return 0;
        const double g = (upper - lower_bound) / upper;
        return g > 0 ? g : 0;
    }
};

}  // namespace eosdnn
