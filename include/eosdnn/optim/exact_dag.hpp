#pragma once
/// \file exact_dag.hpp
/// solve_exact(): the proven optimum of the sequential migration delay of any DAG on any number
/// of nodes, with a lower bound and a time limit. The placement problem is written as a
/// min_sum_model (one variable per layer; one "receiver set" variable per layer whose output
/// goes to several consumers, so that an output is paid once per receiving node) and solved by
/// bucket elimination with branch and bound (optim/bucket_search.hpp). docs/exact.md describes
/// the method, its complexity and what is proven.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/exact_result.hpp>
#include <eosdnn/core/problem.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/optim/bucket_search.hpp>
#include <eosdnn/optim/detail/sequential_model.hpp>
#include <eosdnn/optim/min_sum_model.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn {

/// Solves `problem` restricted to `domains` (per layer, the nodes it may take, each one of
/// choices(j)): the engine of solve_exact() and of the hybrid's large moves. The lower bound is
/// valid for placements within the domains and the memory capacities.
template <sequential_structured_problem P>
exact_result solve_exact_within(P& problem, std::span<const std::vector<node_id>> domains,
                                const exact_options& options = {}) {
    constexpr std::string_view where = "solve_exact";
    const auto start = std::chrono::steady_clock::now();
    options.validate();
    detail::exact_dag::check_problem(problem, where);
    if (domains.size() != problem.dimension())
        throw error(error_kind::validation, std::string(where) + ": " +
                                                std::to_string(domains.size()) + " domains for " +
                                                std::to_string(problem.dimension()) + " layers");
    for (std::size_t j = 0; j < domains.size(); ++j) {
        if (domains[j].empty())
            throw error(error_kind::validation,
                        std::string(where) + ": layer " + std::to_string(j) + " may take no node");
        for (node_id s : domains[j]) {
            const auto c = problem.choices(j);
            if (std::find(c.begin(), c.end(), s) == c.end())
                throw error(error_kind::validation, std::string(where) + ": layer " +
                                                        std::to_string(j) + " may not take node " +
                                                        std::to_string(s));
        }
    }
    // Tables beyond the budget (2^25 entries, 256 MiB, or 8 x table_entries; environments of
    // hundreds of nodes): no search, the best one-node plan or incumbent improved by large
    // moves, and the cheapest-compute bound.
    double entries = 0;
    for (std::size_t j = 0; j < domains.size(); ++j) {
        entries += static_cast<double>(domains[j].size());
        for (layer_id c : problem.layers().successors(j))
            entries += static_cast<double>(domains[j].size() * domains[c].size());
    }
    if (entries > std::max(8.0 * static_cast<double>(options.table_entries), 0x1p25))
        return detail::exact_dag::without_search(problem, domains, options, start);

    // First without the memory capacities: where they do not bind (the usual case), that
    // optimum respects them and is the answer. Otherwise its bound still holds, and a second
    // search with the capacities as constraints starts from the best plan known.
    const bool capped = options.memory && !problem.memory_limits().capped_nodes().empty();
    const auto relaxed = detail::exact_dag::build(problem, domains, false);
    min_sum_options mo{.time_limit_s = options.time_limit_s,
                       .stop = options.stop,
                       .on_progress = options.on_progress,
                       .relative_gap = options.relative_gap,
                       .table_entries = options.table_entries,
                       .total_entries = std::max(options.table_entries, std::size_t{1} << 25)};
    // An earlier solve's order, where it fits this model (exact_options::elimination_order).
    if (detail::bucket::is_order_of(options.elimination_order, relaxed.model.variables()))
        mo.order = options.elimination_order;
    if (!options.incumbent.empty()) {
        if (options.incumbent.size() != problem.dimension())
            throw error(error_kind::validation,
                        std::string(where) + ": exact_options.incumbent has " +
                            std::to_string(options.incumbent.size()) + " genes for " +
                            std::to_string(problem.dimension()) + " layers");
        mo.incumbent = detail::exact_dag::encode(relaxed, options.incumbent);
    }
    const auto decode = [&](const detail::exact_dag::sequential_model& m,
                            std::span<const min_sum_model::value_type> a) {
        std::vector<node_id> x(problem.dimension());
        for (std::size_t j = 0; j < x.size(); ++j) x[j] = m.nodes[j][a[j]];
        return x;
    };
    const auto memory_fits = [&](std::span<const node_id> x) {
        const auto& limits = problem.memory_limits();
        const auto& param = problem.layers().param_bytes;
        for (std::size_t i = 0; i < limits.capped_nodes().size(); ++i) {
            double load = 0;
            for (std::size_t j = 0; j < x.size(); ++j)
                if (x[j] == limits.capped_nodes()[i]) load += param[j];
            if (load > limits.capacities()[i]) return false;
        }
        return true;
    };

    if (options.improve_incumbent) {
        // Only called when the tables are bounds: start the search from the best one-node plan
        // (or the incumbent) improved by exact large moves. This search leaves the capacities
        // out, so its moves do too (the capacities' own search below improves with them).
        mo.improve_incumbent = [&]() -> std::vector<min_sum_model::value_type> {
            evaluation value{};
            std::vector<node_id> x =
                detail::exact_dag::best_one_node_plan(problem, domains, options.incumbent, value);
            detail::improve_by_large_moves(
                problem, x, value, options.time_limit_s > 0 ? options.time_limit_s / 4 : 2.0,
                false);
            return detail::exact_dag::encode(relaxed, x);
        };
    }
    min_sum_result r = solve_min_sum(relaxed.model, mo);
    std::vector<node_id> found;
    if (!r.assignment.empty()) found = decode(relaxed, r.assignment);
    exact_result out;
    out.method = "bucket-elimination";
    out.constraints_honoured = !capped;
    if (capped && !found.empty() && memory_fits(found)) {
        out.constraints_honoured = true;
    } else if (capped) {
        // The capacities bind. Lagrangian relaxation first (each capacity priced per byte,
        // subgradient steps on the prices, one unconstrained exact solve per step): every step
        // gives a valid lower bound, and its plans, when they fit, good plans. Branch and bound
        // with the capacities as constraints then starts from the best of those, if needed.
        const auto elapsed = [&] {
            return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        };
        double floor = r.lower_bound;
        bool timed_out = r.timed_out;
        std::size_t nodes = r.search_nodes;
        const auto& limits = problem.memory_limits();
        const auto& param = problem.layers().param_bytes;
        const std::size_t caps = limits.capped_nodes().size();
        std::vector<node_id> best_fit;
        double best_value = std::numeric_limits<double>::infinity();
        const auto consider = [&](const std::vector<node_id>& x) {
            if (x.empty() || !memory_fits(x)) return;
            const evaluation e = problem.evaluate(std::span<const node_id>(x));
            if (e.objective < best_value) {
                best_value = e.objective;
                best_fit = x;
            }
        };
        // A plan over some capacity, made to fit: while a node is over, the layer on it whose
        // move to another node with room for it (or without a capacity) costs least per byte
        // freed moves there.
        const auto room = [&](const std::vector<node_id>& x, node_id s) {
            double load = 0;
            for (std::size_t j = 0; j < x.size(); ++j)
                if (x[j] == s) load += param[j];
            for (std::size_t i = 0; i < caps; ++i)
                if (limits.capped_nodes()[i] == s) return limits.capacities()[i] - load;
            return std::numeric_limits<double>::infinity();
        };
        // The bounds below, and the repairs, get a quarter of the limit (2 s without one).
        const double budget = options.time_limit_s > 0 ? options.time_limit_s / 4 : 2.0;
        // Each round prices every move off an over-full node in full, O(n^2) a round: on large
        // models it gives up (an empty plan, which consider() skips) when the budget of the
        // bounds below is spent, which it checks every 64 moves (a 3000-layer DAG over six
        // capped nodes took 50 s here for a 0.5 s limit before it did).
        const auto repaired = [&](std::vector<node_id> x) {
            std::size_t priced = 0;
            for (std::size_t round = 0; round < x.size() && !memory_fits(x); ++round) {
                const double current = problem.evaluate(std::span<const node_id>(x)).objective;
                std::size_t pick = x.size();
                node_id target = 0;
                double best_rate = std::numeric_limits<double>::infinity();
                for (std::size_t i = 0; i < caps; ++i) {
                    const node_id s = limits.capped_nodes()[i];
                    if (room(x, s) >= 0) continue;
                    for (std::size_t j = 0; j < x.size(); ++j) {
                        if (x[j] != s || param[j] <= 0) continue;
                        for (node_id t : domains[j]) {
                            if (t == s || room(x, t) < param[j]) continue;
                            if (++priced % 64 == 0 && elapsed() >= budget)
                                return std::vector<node_id>{};
                            x[j] = t;
                            const double rate =
                                (problem.evaluate(std::span<const node_id>(x)).objective -
                                 current) /
                                param[j];
                            x[j] = s;
                            if (rate < best_rate) {
                                best_rate = rate;
                                pick = j;
                                target = t;
                            }
                        }
                    }
                }
                if (pick == x.size()) break;
                x[pick] = target;
            }
            return x;
        };
        consider(options.incumbent);
        for (node_id a : problem.choices(0)) {
            std::vector<node_id> y(domains.size());
            for (std::size_t j = 0; j < y.size(); ++j)
                y[j] = std::find(domains[j].begin(), domains[j].end(), a) != domains[j].end()
                           ? a
                           : domains[j][0];
            consider(y);
        }
        std::vector<double> price(caps, 0.0), excess(caps);
        double theta = 1;
        std::size_t since_better = 0;
        for (int step = 0; step < 200 && !timed_out && elapsed() < budget; ++step) {
            if (stop_requested(options.stop)) {
                timed_out = true;
                break;
            }
            min_sum_model priced = relaxed.model;
            for (std::size_t j = 0; j < domains.size(); ++j) {
                if (param[j] <= 0) continue;
                std::vector<double> table(domains[j].size(), 0.0);
                bool any = false;
                for (std::size_t a = 0; a < table.size(); ++a)
                    for (std::size_t i = 0; i < caps; ++i)
                        if (limits.capped_nodes()[i] == domains[j][a] && price[i] > 0) {
                            table[a] = price[i] * param[j];
                            any = true;
                        }
                if (any)
                    priced.add_factor({static_cast<min_sum_model::variable>(j)}, std::move(table));
            }
            min_sum_options po{.time_limit_s = std::max(1e-9, budget - elapsed()),
                               .stop = options.stop,
                               .relative_gap = options.relative_gap,
                               .table_entries = options.table_entries,
                               .total_entries = mo.total_entries,
                               .order = mo.order.empty() ? r.order : mo.order};
            const min_sum_result pr = solve_min_sum(priced, po);
            nodes += pr.search_nodes;
            if (pr.assignment.empty()) break;
            double priced_capacity = 0;
            for (std::size_t i = 0; i < caps; ++i)
                priced_capacity += price[i] * limits.capacities()[i];
            const double bound = pr.lower_bound - priced_capacity;  // valid for every price >= 0
            if (bound > floor * (1 + 1e-12)) {
                floor = bound;
                since_better = 0;
            } else if (++since_better >= 3) {
                theta /= 2;
                since_better = 0;
            }
            const std::vector<node_id> x = decode(relaxed, pr.assignment);
            consider(repaired(x));
            if (std::isfinite(best_value) &&
                best_value - floor <= options.relative_gap * best_value)
                break;
            double norm = 0;
            for (std::size_t i = 0; i < caps; ++i) {
                double load = 0;
                for (std::size_t j = 0; j < x.size(); ++j)
                    if (x[j] == limits.capped_nodes()[i]) load += param[j];
                excess[i] = load - limits.capacities()[i];
                if (price[i] > 0 || excess[i] > 0) norm += excess[i] * excess[i];
            }
            if (norm == 0 || theta < 1e-6) break;
            // Polyak's step towards the best plan known (or 10 % above the bound without one).
            const double target =
                std::isfinite(best_value) ? best_value : floor + 0.1 * std::abs(floor) + 1e-12;
            const double length = theta * std::max(target - bound, 1e-12 * std::abs(target)) / norm;
            for (std::size_t i = 0; i < caps; ++i)
                price[i] = std::max(0.0, price[i] + length * excess[i]);
        }
        // The best plan that fits, improved by large moves that honour the capacities (a move
        // that broke one would not be better, so the plan keeps fitting).
        if (!best_fit.empty() && options.improve_incumbent &&
            best_value - floor > options.relative_gap * best_value) {
            evaluation value = problem.evaluate(std::span<const node_id>(best_fit));
            detail::improve_by_large_moves(problem, best_fit, value, budget / 2, true);
            best_value = value.objective;
        }
        if (std::isfinite(best_value) && best_value - floor <= options.relative_gap * best_value) {
            r.assignment.clear();
            found = best_fit;
            r.lower_bound = floor;
            r.proven_optimal = !timed_out;
        } else {
            const auto m = detail::exact_dag::build(problem, domains, true);
            if (options.time_limit_s > 0)
                mo.time_limit_s = std::max(1e-9, options.time_limit_s - elapsed());
            mo.incumbent = best_fit.empty() ? std::vector<min_sum_model::value_type>{}
                                            : detail::exact_dag::encode(m, best_fit);
            r = solve_min_sum(m.model, mo);
            r.lower_bound = std::max(r.lower_bound, floor);
            r.timed_out = r.timed_out || timed_out;
            r.proven_optimal = r.proven_optimal && !timed_out;
            found.clear();
            if (!r.assignment.empty())
                found = decode(m, r.assignment);
            else
                found = best_fit;
        }
        r.search_nodes += nodes;
        out.constraints_honoured = true;
    }
    out.search_nodes = r.search_nodes;
    out.elimination_order.assign(r.order.begin(), r.order.end());
    out.timed_out = r.timed_out;
    out.stopped_by_request = r.timed_out && stop_requested(options.stop);
    if (!found.empty()) {
        out.placement = std::move(found);
    } else if (!options.incumbent.empty()) {
        out.placement = options.incumbent;
    } else {
        out.placement.resize(problem.dimension());  // no plan within the capacities was found
        for (std::size_t j = 0; j < out.placement.size(); ++j) out.placement[j] = domains[j][0];
    }
    out.value = problem.evaluate(std::span<const node_id>(out.placement));
    // An incumbent outside the domains was not seen by the search: keep it if it is better.
    if (!options.incumbent.empty() && out.placement != options.incumbent) {
        const evaluation e = problem.evaluate(std::span<const node_id>(options.incumbent));
        if (better(e, out.value)) {
            out.placement = options.incumbent;
            out.value = e;
        }
    }
    out.lower_bound = std::min(r.lower_bound, out.value.objective);
    if (!out.constraints_honoured && memory_fits(out.placement)) out.constraints_honoured = true;
    // Where a receiver set was replaced by a bound (sequential_model::relaxed) the search's
    // optimum is only a bound too: the plan is proven exactly when its real value meets it,
    // which is this same test.
    out.proven_optimal = r.proven_optimal && out.value.feasible() &&
                         out.value.objective - out.lower_bound <=
                             options.relative_gap * std::abs(out.value.objective);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
}

/// The optimum of `problem` (a delay_evaluator with the sequential schedule) over every node
/// its layers may take, honouring pins and memory capacities, with a proven lower bound. Under
/// `options.time_limit_s` it returns the best plan and bound found in that time. Deadlines are
/// not part of the search: the returned evaluation reports their violation.
///
/// Throws eosdnn::error (validation) for a schedule other than sequential or bad options. With
/// more than 64 nodes per layer, or more than 4,096 possible receiving sets for a layer with
/// several consumers, that layer's sends are bounded rather than priced exactly in the search:
/// the plan is then proven only if its real value meets the bound.
template <sequential_structured_problem P>
exact_result solve_exact(P& problem, const exact_options& options = {}) {
    detail::exact_dag::check_problem(problem, "solve_exact");
    const auto domains = detail::exact_dag::full_domains(problem);
    return solve_exact_within(problem, std::span<const std::vector<node_id>>(domains), options);
}

static_assert(sequential_structured_problem<delay_evaluator<analytic_model>>);

}  // namespace eosdnn

// large_moves() is used above; its header needs the definitions of this one.
#include <eosdnn/optim/large_moves.hpp>
