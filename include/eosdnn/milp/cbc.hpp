#pragma once
/// \file cbc.hpp
/// solve_milp(): the sequential migration-delay problem of one task written as a mixed-integer
/// linear program and solved by COIN-OR CBC, an independent exact reference for the native
/// solver (optim/exact_dag.hpp). Needs the optional target eosdnn::milp, which links CBC
/// (Debian: coinor-libcbc-dev); docs/exact.md describes the formulation.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/exact_result.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/layer_graph.hpp>

// The C interface, not CbcModel: it is the part of CBC whose ABI is stable across releases, and
// it keeps CBC's many C++ headers out of every translation unit that includes this one.
#include <Cbc_C_Interface.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eosdnn {
namespace detail::milp {

/// Throws the validation error of solve_milp.
[[noreturn]] inline void fail(const std::string& what) {
    throw error(error_kind::validation, "solve_milp: " + what);
}

/// Deletes a CBC model; the deleter of model_ptr.
struct model_deleter {
    /// Frees everything CBC allocated for `model`.
    void operator()(Cbc_Model* model) const noexcept { Cbc_deleteModel(model); }
};

/// Owns a CBC model, so that it is freed on every path, exceptions included.
using model_ptr = std::unique_ptr<Cbc_Model, model_deleter>;

/// A linear program with integer columns, collected row by row and handed to CBC in the
/// column-major form Cbc_loadProblem() takes. Collecting first avoids Cbc_addRow(), which
/// re-flushes CBC's column buffer on every call.
class program {
public:
    /// One nonzero of a row: column index and coefficient.
    struct term {
        int column;
        double value;
    };

    /// Adds a column with bounds, objective coefficient and integrality; returns its index.
    int add_column(double lower, double upper, double cost, bool integer, std::string name) {
        if (lower_.size() >= static_cast<std::size_t>(std::numeric_limits<int>::max()))
            fail("the integer program has more columns than CBC can index");
        lower_.push_back(lower);
        upper_.push_back(upper);
        cost_.push_back(cost);
        integer_.push_back(integer ? 1 : 0);
        names_.push_back(std::move(name));
        return static_cast<int>(lower_.size() - 1);
    }

    /// Adds the row lower <= sum(terms) <= upper (infinity() for a free side).
    void add_row(double lower, double upper, std::span<const term> terms) {
        if (row_lower_.size() >= static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
            entries_.size() + terms.size() >=
                static_cast<std::size_t>(std::numeric_limits<CoinBigIndex>::max()))
            fail("the integer program has more rows or nonzeros than CBC can index");
        const int row = static_cast<int>(row_lower_.size());
        for (const term& t : terms) entries_.push_back({row, t});
        row_lower_.push_back(lower);
        row_upper_.push_back(upper);
    }

    /// CBC's infinity: a bound at or beyond it is no bound.
    static constexpr double infinity() noexcept { return std::numeric_limits<double>::max(); }

    /// Narrows the bounds of column `column`.
    void set_bounds(int column, double lower, double upper) {
        lower_[static_cast<std::size_t>(column)] = lower;
        upper_[static_cast<std::size_t>(column)] = upper;
    }

    /// Number of columns so far.
    std::size_t columns() const noexcept { return lower_.size(); }

    /// Loads the program into `model` (which must be empty), with names and integrality.
    void load(Cbc_Model* model) const {
        const std::size_t n = columns();
        // Counting sort of the row-major entries by column gives the compressed columns.
        std::vector<CoinBigIndex> start(n + 1, 0);
        for (const entry& e : entries_) ++start[static_cast<std::size_t>(e.t.column) + 1];
        for (std::size_t c = 0; c < n; ++c) start[c + 1] += start[c];
        std::vector<CoinBigIndex> next(start.begin(), start.end() - 1);
        std::vector<int> index(entries_.size());
        std::vector<double> value(entries_.size());
        for (const entry& e : entries_) {
            const auto k = static_cast<std::size_t>(next[static_cast<std::size_t>(e.t.column)]++);
            index[k] = e.row;
            value[k] = e.t.value;
        }
        Cbc_loadProblem(model, static_cast<int>(n), static_cast<int>(row_lower_.size()),
                        start.data(), index.data(), value.data(), lower_.data(), upper_.data(),
                        cost_.data(), row_lower_.data(), row_upper_.data());
        for (std::size_t c = 0; c < n; ++c) {
            const int column = static_cast<int>(c);
            // Names let CBC match a MIP start to its columns; they cost nothing in the solve.
            Cbc_setColName(model, column, names_[c].c_str());
            if (integer_[c]) Cbc_setInteger(model, column);
        }
        // Rows are named too: Clp's presolve (inside Idiot's crossover, which Clp picks for
        // larger LPs) reads the row names whenever the column names are set, and crashes on a
        // model with named columns and unnamed rows (coin-or/Cbc#515; CBC 2.10.8 included).
        for (std::size_t r = 0; r < row_lower_.size(); ++r)
            Cbc_setRowName(model, static_cast<int>(r), ("r" + std::to_string(r)).c_str());
    }

private:
    struct entry {
        int row;
        term t;
    };
    std::vector<double> lower_{}, upper_{}, cost_{};
    std::vector<char> integer_{};
    std::vector<std::string> names_{};
    std::vector<double> row_lower_{}, row_upper_{};
    std::vector<entry> entries_{};
};

/// Whether placement `x` keeps every capped node within its capacity.
inline bool memory_fits(std::span<const node_id> x, std::span<const double> param_bytes,
                        const limit_table& limits) {
    const auto capped = limits.capped_nodes();
    const auto capacity = limits.capacities();
    for (std::size_t i = 0; i < capped.size(); ++i) {
        double load = 0;
        for (std::size_t j = 0; j < x.size(); ++j)
            if (x[j] == capped[i]) load += param_bytes[j];
        if (load > capacity[i]) return false;
    }
    return true;
}

}  // namespace detail::milp

/// The number of columns of solve_milp()'s program for `graph` over `nodes` nodes a layer may
/// use: x per layer and node, w per edge and pair of nodes, and z per pair of distinct nodes for
/// each layer with several consumers.
inline std::size_t milp_columns(const layer_graph& graph, std::size_t nodes) {
    std::size_t columns = graph.size() * nodes;
    for (layer_id j = 0; j < graph.size(); ++j) {
        const std::size_t consumers = graph.successors(j).size();
        columns += consumers * nodes * nodes + (consumers > 1 ? nodes * (nodes - 1) : 0);
    }
    return columns;
}

/// An estimate of the seconds CBC spends on a program of `columns` columns before it first
/// checks its clock (its root LP, from a starting plan), which no time limit shortens:
/// 0.3 + 0.9 (columns / 10^4)^2. Measured from a starting plan on random DAGs over six capped
/// nodes (docs/exact.md, "Large programs"): 4,722 columns (84 layers) 0.48 s, 11,814 (200 layers)
/// 1.21 s, 23,394 (400 layers) 4.65 s, 1000 layers 18.3 s; the estimate is above each but the
/// smallest. A machine slower than that one takes longer.
inline double milp_setup_estimate_s(std::size_t columns) {
    const double tens_of_thousands = static_cast<double>(columns) / 1e4;
    return 0.3 + 0.9 * tens_of_thousands * tens_of_thousands;
}

/// Whether CBC can be expected to keep to `time_limit_s` on `graph` over `nodes` nodes: its
/// estimated set-up (milp_setup_estimate_s()) is at most half of the limit, leaving it the other
/// half to search. The callers that choose a solver (solve_portfolio(), eosdnn-plan's second
/// round) use the native solver, which keeps to its limit, otherwise.
inline bool milp_fits(const layer_graph& graph, std::size_t nodes, double time_limit_s) {
    return time_limit_s == 0 ||
           milp_setup_estimate_s(milp_columns(graph, nodes)) <= time_limit_s / 2;
}

/// The optimum of one task's sequential migration-delay objective as an integer program solved
/// by COIN-OR CBC: the placement minimising exactly what `problem.evaluate()` computes under
/// dag_schedule::sequential,
///
///     latency_weight * (delay_s + upload_s) + energy_weight * energy_j,
///
/// subject to the pins and, when `problem.limits().memory` is on, to every node's memory
/// capacity (so `constraints_honoured` is true). The deadline is not a constraint of the
/// program: `value` (problem.evaluate() of the plan) reports any violation.
///
/// Every term of the objective is linear in assignment indicators (docs/model.md): with
/// x[j][s] = 1 iff layer j runs on node s (one per layer; a pin fixes it),
/// - computing, uploading, the model input (into x_in) and the result (out of x_out) are costs
///   on x; the energy's idle part is P_i times the delay, so the energy adds P_i (P_c on the
///   device) to each compute time and P_i (P_t when the device sends or receives) to each
///   transfer: every coefficient is >= 0 because times and powers are;
/// - for every edge j -> c, continuous w[j,c][s][t] = x[j][s] * x[c][t], written with the
///   marginal equalities sum_t w[s][t] = x[j][s] and sum_s w[s][t] = x[c][t] (tighter than
///   w >= x + x - 1: without capacities the LP relaxation of a chain is integral, and on the
///   random DAGs of the tests CBC needs no branching). A layer with one
///   consumer pays tr(o_j, s, t) on w directly; a layer with several pays it on z[j][s][t] >=
///   w[j,c][s][t] for each consumer c, so that its output is paid once per receiving node;
/// - memory: sum_j (m_j / M_s) x[j][s] <= 1 for each capped node s (CBC checks rows to its
///   primal tolerance, 1e-7, so a plan may exceed a capacity by that fraction of it).
///
/// Costs are scaled so that a lower bound on the optimum (each layer's cheapest node, ignoring
/// transfers) becomes 1, because CBC's tolerances are absolute and the objective in seconds can
/// be 1e-6 or 1e2. `lower_bound` is CBC's best bound (Cbc_getBestPossibleObjValue), capped at
/// CBC's own plan value, back in original units and lowered by a safety margin of 1e-10 of its
/// value (plus 1e-12 of a scaled unit) for the rounding of the scaled sums; it is never below 0
/// (every cost is >= 0). With the margin, `gap()` of a proven optimum is about 1e-10.
///
/// `options.relative_gap` is CBC's allowable fraction gap (ratioGap) and `options.time_limit_s`
/// its time limit in wall-clock seconds (CBC's timeMode elapsed; 0: none; CBC checks its clock
/// between steps, so it may overrun a tiny limit by the time of one LP solve, about 0.4 s for
/// 120 layers on 6 nodes); `table_entries` does not apply. `options.incumbent`, when given, is
/// passed to CBC as a MIP start (Cbc_setMIPStartI) and is returned instead of CBC's plan if
/// eosdnn::better() prefers it, so the result is never worse. If the time limit stops CBC before
/// it finds any plan, the incumbent (or, without one, every layer on its pin or the device) is
/// returned with `timed_out`; `constraints_honoured` then says whether it keeps the pins and
/// fits the memory.
///
/// `proven_optimal` is CBC's proof (search completed, or stopped on the gap) for the plan it
/// returns; `method` is "cbc", `search_nodes` CBC's branch-and-bound node count, `seconds` the
/// wall time of the whole call. CBC's log is silenced.
///
/// Throws eosdnn::error (validation) if `problem.dimension()` is not `graph.size()` (the problem
/// must have been built from `graph`), the schedule is not sequential, `options` is invalid, or
/// the incumbent is not a placement of `problem`; and (infeasible) if no placement honours the
/// memory capacities and the pins.
template <cost_model Model>
exact_result solve_milp(const layer_graph& graph, delay_evaluator<Model>& problem,
                        const exact_options& options = {}) {
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    options.validate();
    const std::size_t n = graph.size();
    if (problem.dimension() != n)
        detail::milp::fail("the problem has " + std::to_string(problem.dimension()) +
                           " genes but model '" + graph.name() + "' has " + std::to_string(n) +
                           " layers: build the delay_evaluator from this graph");
    const objective_options& objective = problem.options();
    if (objective.schedule != dag_schedule::sequential)
        detail::milp::fail(
            "only objective_options.schedule = dag_schedule::sequential is "
            "supported: the list-scheduled and unbounded delays are not linear "
            "in the placement");
    if (!options.incumbent.empty()) {
        try {
            (void)problem.evaluate(options.incumbent);  // checks its size and genes
        } catch (const error& e) {
            detail::milp::fail(std::string("exact_options.incumbent is not a placement of the "
                                           "problem: ") +
                               e.what());
        }
    }

    const std::span<const node_id> choice_span = problem.choices(0);
    const std::vector<node_id> nodes(choice_span.begin(), choice_span.end());
    const std::size_t k_count = nodes.size();
    const node_id device = problem.device();
    const auto pinned = problem.pinned();
    const auto pin_of = [&](layer_id j) -> std::optional<node_id> {
        return pinned.empty() ? std::nullopt : pinned[j];
    };

    // Weights per second of each kind of time: the latency weight, plus the energy weight times
    // the device's power during it (idle power when the device neither computes nor transmits).
    const double lw = objective.latency_weight;
    const bool energy = objective.energy_weight > 0 && problem.device_power().has_value();
    const double ew = energy ? objective.energy_weight : 0.0;
    const power_profile power = energy ? *problem.device_power() : power_profile{};
    const auto compute_cost = [&](layer_id j, node_id s) {
        return problem.compute_time(j, s) *
               (lw + ew * (s == device ? power.compute_w : power.idle_w));
    };
    const auto transfer_cost = [&](double bytes, node_id from, node_id to) {
        if (from == to) return 0.0;
        const bool at_device = from == device || to == device;
        return problem.transfer_time(bytes, from, to) *
               (lw + ew * (at_device ? power.transmit_w : power.idle_w));
    };
    const layer_id in = graph.input(), out = graph.output();
    const double out_bytes = graph[out].output_bytes;
    const auto unary_cost = [&](layer_id j, node_id s) {
        double c = compute_cost(j, s) + lw * problem.upload_time(j, s);
        if (j == in) c += transfer_cost(graph.input_bytes(), device, s);
        if (j == out) c += transfer_cost(out_bytes, s, device);
        return c;
    };

    // A lower bound on the optimum (each layer on its cheapest node, transfers free) sets the
    // scale, so that the optimum is >= 1 in CBC's units; every finite cost is >= 0.
    double floor_estimate = 0;
    for (layer_id j = 0; j < n; ++j) {
        double best = std::numeric_limits<double>::infinity();
        for (node_id s : nodes)
            if (!pin_of(j) || *pin_of(j) == s) best = std::min(best, unary_cost(j, s));
        if (std::isfinite(best)) floor_estimate += best;
    }
    std::vector<node_id> fallback(n, device);  // every layer on its pin or on the device
    for (layer_id j = 0; j < n; ++j)
        if (pin_of(j)) fallback[j] = *pin_of(j);
    double scale = 1;
    if (floor_estimate > 0 && std::isfinite(floor_estimate)) {
        scale = 1 / floor_estimate;
    } else {
        const double reference = problem.evaluate(fallback).objective;
        if (reference > 0 && std::isfinite(reference)) scale = 1 / reference;
    }

    detail::milp::program lp;
    const auto cost_or_forbid = [&](double cost, int column) {
        // A transfer with no link (infinite time) is forbidden rather than priced.
        if (!std::isfinite(cost)) lp.set_bounds(column, 0, 0);
    };
    const auto priced = [&](double cost) { return std::isfinite(cost) ? cost * scale : 0.0; };
    const std::string js = "_";

    // x[j][k]: layer j on node nodes[k].
    std::vector<int> x(n * k_count);
    std::vector<detail::milp::program::term> row;
    for (layer_id j = 0; j < n; ++j) {
        row.clear();
        for (std::size_t k = 0; k < k_count; ++k) {
            const node_id s = nodes[k];
            const double c = unary_cost(j, s);
            const bool fixed_on = pin_of(j) && *pin_of(j) == s;
            const bool fixed_off = pin_of(j) && *pin_of(j) != s;
            const int col = lp.add_column(fixed_on ? 1 : 0, fixed_off ? 0 : 1, priced(c), true,
                                          "x" + std::to_string(j) + js + std::to_string(s));
            if (!fixed_on) cost_or_forbid(c, col);
            x[j * k_count + k] = col;
            row.push_back({col, 1.0});
        }
        lp.add_row(1, 1, row);  // exactly one node per layer
    }

    // w[j,c][k][l] = x[j][k] * x[c][l] through its marginals; returns the k_count^2 columns.
    const auto add_edge_product = [&](layer_id j, layer_id c, bool priced_here) {
        std::vector<int> w(k_count * k_count);
        const std::string prefix = "w" + std::to_string(j) + js + std::to_string(c) + js;
        for (std::size_t k = 0; k < k_count; ++k)
            for (std::size_t l = 0; l < k_count; ++l) {
                const double t = transfer_cost(graph[j].output_bytes, nodes[k], nodes[l]);
                const int col = lp.add_column(
                    0, 1, priced_here ? priced(t) : 0.0, false,
                    prefix + std::to_string(nodes[k]) + js + std::to_string(nodes[l]));
                cost_or_forbid(t, col);
                w[k * k_count + l] = col;
            }
        for (std::size_t k = 0; k < k_count; ++k) {  // sum_l w[k][l] = x[j][k]
            row.clear();
            for (std::size_t l = 0; l < k_count; ++l) row.push_back({w[k * k_count + l], 1.0});
            row.push_back({x[j * k_count + k], -1.0});
            lp.add_row(0, 0, row);
        }
        for (std::size_t l = 0; l < k_count; ++l) {  // sum_k w[k][l] = x[c][l]
            row.clear();
            for (std::size_t k = 0; k < k_count; ++k) row.push_back({w[k * k_count + l], 1.0});
            row.push_back({x[c * k_count + l], -1.0});
            lp.add_row(0, 0, row);
        }
        return w;
    };
    for (layer_id j = 0; j < n; ++j) {
        const auto consumers = graph.successors(j);
        if (consumers.size() == 1) {
            add_edge_product(j, consumers[0], true);
            continue;
        }
        if (consumers.empty()) continue;
        // Several consumers: z[k][l] >= w[j,c][k][l] for every c is 1 iff j is on nodes[k] and
        // some consumer on nodes[l], so the output is paid once per receiving node.
        std::vector<int> z(k_count * k_count, -1);
        for (std::size_t k = 0; k < k_count; ++k)
            for (std::size_t l = 0; l < k_count; ++l) {
                if (k == l) continue;
                const double t = transfer_cost(graph[j].output_bytes, nodes[k], nodes[l]);
                const int col =
                    lp.add_column(0, 1, priced(t), false,
                                  "z" + std::to_string(j) + js + std::to_string(nodes[k]) + js +
                                      std::to_string(nodes[l]));
                cost_or_forbid(t, col);
                z[k * k_count + l] = col;
            }
        for (layer_id c : consumers) {
            const std::vector<int> w = add_edge_product(j, c, false);
            for (std::size_t kl = 0; kl < z.size(); ++kl) {
                if (z[kl] < 0) continue;
                const detail::milp::program::term pair[] = {{z[kl], 1.0}, {w[kl], -1.0}};
                lp.add_row(0, detail::milp::program::infinity(), pair);
            }
        }
    }

    // Memory: the parameters on a capped node, as a fraction of its capacity, are at most 1.
    const auto& memory = problem.memory_limits();
    for (std::size_t i = 0; i < memory.capped_nodes().size(); ++i) {
        const auto it = std::find(nodes.begin(), nodes.end(), memory.capped_nodes()[i]);
        if (it == nodes.end()) continue;  // another task's device: no layer of ours goes there
        const auto k = static_cast<std::size_t>(it - nodes.begin());
        row.clear();
        for (layer_id j = 0; j < n; ++j)
            if (graph[j].param_bytes > 0)
                row.push_back({x[j * k_count + k], graph[j].param_bytes / memory.capacities()[i]});
        if (!row.empty()) lp.add_row(-detail::milp::program::infinity(), 1, row);
    }

    const detail::milp::model_ptr model(Cbc_newModel());
    if (!model) throw error(error_kind::io, "solve_milp: CBC could not allocate a model");
    lp.load(model.get());
    Cbc_setLogLevel(model.get(), 0);
    Cbc_setAllowableFractionGap(model.get(), options.relative_gap);
    if (options.time_limit_s > 0) {
        Cbc_setMaximumSeconds(model.get(), options.time_limit_s);
        // CBC counts CPU seconds unless told otherwise; a limit is a promise in wall time (on a
        // loaded machine a 3 s limit took 6.4 s).
        Cbc_setParameter(model.get(), "timeMode", "elapsed");
    }
    if (!options.incumbent.empty()) {
        std::vector<int> start_columns(n);
        const std::vector<double> ones(n, 1.0);
        for (layer_id j = 0; j < n; ++j) {
            const auto k = static_cast<std::size_t>(
                std::find(nodes.begin(), nodes.end(), options.incumbent[j]) - nodes.begin());
            start_columns[j] = x[j * k_count + k];
        }
        // Only the x columns: CBC completes the continuous ones by solving the LP with x fixed.
        Cbc_setMIPStartI(model.get(), static_cast<int>(n), start_columns.data(), ones.data());
    }
    Cbc_solve(model.get());

    exact_result result;
    result.method = "cbc";
    result.search_nodes = static_cast<std::size_t>(std::max(0, Cbc_getNodeCount(model.get())));
    const double* solution = Cbc_bestSolution(model.get());
    const bool infeasible = Cbc_isProvenInfeasible(model.get()) != 0;
    if (!solution && infeasible)
        throw error(error_kind::infeasible,
                    "solve_milp: no placement of model '" + graph.name() +
                        "' honours the memory capacities of the nodes" +
                        (pinned.empty() ? std::string() : std::string(" and its pins")));
    const bool stopped_on_time =
        options.time_limit_s > 0 &&
        (Cbc_isSecondsLimitReached(model.get()) != 0 || Cbc_secondaryStatus(model.get()) == 4);

    double bound = Cbc_getBestPossibleObjValue(model.get());
    bool from_cbc = false;
    if (solution) {
        result.placement.resize(n);
        for (layer_id j = 0; j < n; ++j) {
            // The largest indicator, not a test against 1: CBC's integers are integral only to
            // its tolerance.
            std::size_t best = 0;
            for (std::size_t k = 1; k < k_count; ++k)
                if (solution[x[j * k_count + k]] > solution[x[j * k_count + best]]) best = k;
            result.placement[j] = nodes[best];
        }
        result.value = problem.evaluate(result.placement);
        bound = std::min(bound, Cbc_getObjValue(model.get()));
        from_cbc = true;
    }
    if (!options.incumbent.empty()) {
        const evaluation incumbent = problem.evaluate(options.incumbent);
        if (!solution || better(incumbent, result.value)) {
            result.placement = options.incumbent;
            result.value = incumbent;
            from_cbc = false;
        }
    }
    if (result.placement.empty()) {
        result.placement = fallback;
        result.value = problem.evaluate(fallback);
    }
    if (!from_cbc) {
        std::vector<double> param_bytes(n);
        for (layer_id j = 0; j < n; ++j) param_bytes[j] = graph[j].param_bytes;
        bool pins_kept = true;
        for (layer_id j = 0; j < n; ++j)
            if (pin_of(j) && result.placement[j] != *pin_of(j)) pins_kept = false;
        result.constraints_honoured =
            pins_kept && detail::milp::memory_fits(result.placement, param_bytes, memory);
    }

    // Back to original units, lowered by the documented margin; a bound of an unfinished root
    // (or none at all) is replaced by 0, which every placement's cost is at least.
    if (std::isfinite(bound) && bound > -1e300) {
        const double margin = 1e-10 * std::abs(bound) + 1e-12;
        result.lower_bound = std::max(0.0, (bound - margin) / scale);
    } else {
        result.lower_bound = 0;
    }
    // A plan that honours the pins and the memory costs at least the optimum, hence at least
    // any valid bound: capping there only guards against a bound CBC reports without a solve.
    if (result.constraints_honoured)
        result.lower_bound = std::min(result.lower_bound, result.value.objective);
    result.proven_optimal =
        from_cbc && Cbc_status(model.get()) == 0 && Cbc_isProvenOptimal(model.get()) != 0;
    result.timed_out = stopped_on_time && !result.proven_optimal;
    result.seconds = std::chrono::duration<double>(clock::now() - start).count();
    return result;
}

}  // namespace eosdnn
