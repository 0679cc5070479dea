#pragma once
/// \file exact_dag.hpp
/// solve_exact(): the proven optimum of the sequential migration delay of any DAG on any number
/// of nodes, with a lower bound and a time limit. The placement problem is written as a
/// min_sum_model (one variable per layer; one "receiver set" variable per layer whose output
/// goes to several consumers, so that an output is paid once per receiving node) and solved by
/// bucket elimination with branch and bound (optim/bucket_search.hpp). docs/exact.md describes
/// the method, its complexity and what is proven.

#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/cost/evaluation.hpp>
#include <eosdnn/error.hpp>
#include <eosdnn/optim/bucket_search.hpp>
#include <eosdnn/optim/exact_result.hpp>
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

/// A placement problem whose objective the exact solver can write down: one task's sequential
/// delay with its optional upload and energy terms, as delay_evaluator computes it.
template <class P>
concept sequential_structured_problem = requires(const P& p, layer_id j, node_id s, double b) {
    { p.layers() } -> std::convertible_to<const detail::layer_table&>;
    { p.input_layer() } -> std::convertible_to<layer_id>;
    { p.output_layer() } -> std::convertible_to<layer_id>;
    { p.input_bytes() } -> std::convertible_to<double>;
    { p.device() } -> std::convertible_to<node_id>;
    { p.compute_time(j, s) } -> std::convertible_to<double>;
    { p.transfer_time(b, s, s) } -> std::convertible_to<double>;
    { p.upload_time(j, s) } -> std::convertible_to<double>;
    { p.device_power() } -> std::convertible_to<const std::optional<power_profile>&>;
    { p.options() } -> std::convertible_to<const objective_options&>;
    { p.limits() } -> std::convertible_to<const constraints&>;
    { p.memory_limits() } -> std::convertible_to<const detail::limit_table&>;
    { p.dimension() } -> std::convertible_to<std::size_t>;
    { p.choices(std::size_t{}) } -> std::convertible_to<std::span<const node_id>>;
};

namespace detail {
/// Improves `x` by large_moves() for at most `seconds`. Defined in optim/large_moves.hpp
/// (included at the end of this header): solve_exact improves its starting plan with it when
/// the model is too wide for exact tables.
template <sequential_structured_problem P>
void improve_by_large_moves(P& problem, std::vector<node_id>& x, evaluation& value, double seconds);
}  // namespace detail

namespace detail::exact_dag {

/// The min-sum form of a problem restricted to given nodes per layer, and the way back.
struct sequential_model {
    min_sum_model model{};
    std::vector<std::vector<node_id>> nodes{};  ///< per layer: value -> node
    /// Per receiver-set variable: the producer layer, its consumers and value -> set of nodes
    /// (bit i = nodes[producer-independent] index into `node_list`).
    struct receivers {
        min_sum_model::variable var = 0;
        layer_id producer = 0;
        std::vector<layer_id> consumers{};
        std::vector<std::uint64_t> sets{};
    };
    std::vector<receivers> receiver_vars{};
    std::vector<node_id> node_list{};  ///< the nodes any layer may take, ascending
    bool relaxed = false;  ///< a receiver set was too large and was replaced by a lower bound
};

/// The largest receiver-set domain before the exact set cost is replaced by a bound.
inline constexpr std::size_t max_receiver_sets = 4096;

/// Every subset of `pool` that contains `forced`, has at most `most` elements and is non-empty,
/// ascending; more than max_receiver_sets of them means "too many" (the list is then cut).
inline std::vector<std::uint64_t> receiver_sets(std::uint64_t pool, std::uint64_t forced,
                                                std::size_t most) {
    std::vector<std::uint64_t> free_bits;
    for (std::uint64_t rest = pool & ~forced; rest != 0; rest &= rest - 1)
        free_bits.push_back(rest & (~rest + 1));
    const auto taken = static_cast<std::size_t>(std::popcount(forced));
    std::vector<std::uint64_t> sets;
    if (taken > most) return sets;
    const std::size_t room = most - taken;
    // Depth-first over the free nodes: take or skip each, never more than `room`.
    const auto walk = [&](auto&& self, std::size_t next, std::uint64_t set, std::size_t size) -> void {
        if (sets.size() > max_receiver_sets) return;
        if (next == free_bits.size()) {
            if (set != 0) sets.push_back(set);
            return;
        }
        self(self, next + 1, set, size);
        if (size < room) self(self, next + 1, set | free_bits[next], size + 1);
    };
    walk(walk, 0, forced, 0);
    std::sort(sets.begin(), sets.end());
    return sets;
}

/// The objective's terms with their weights: latency_weight on every time, and with the energy
/// term each second the device computes, transmits or idles at its power (docs/model.md: under
/// the sequential delay the idle time is exactly the compute and transfers that do not involve
/// the device, so the energy is linear in the placement too).
template <sequential_structured_problem P>
class weighted_costs {
public:
    explicit weighted_costs(const P& p)
        : p_(p), d_(p.device()), lw_(p.options().latency_weight), ew_(p.options().energy_weight),
          energy_(ew_ > 0 && p.device_power().has_value()),
          power_(energy_ ? *p.device_power() : power_profile{}) {}

    /// Running layer j on s, with its upload and, for the input and output layers, the input
    /// and return transfers.
    double compute(layer_id j, node_id s) const {
        const double t = p_.compute_time(j, s);
        double c = weigh(lw_, t + p_.upload_time(j, s));
        if (energy_) c += weigh(ew_ * (s == d_ ? power_.compute_w : power_.idle_w), t);
        if (j == p_.input_layer()) c += transfer(p_.input_bytes(), d_, s);
        if (j == p_.output_layer()) c += transfer(p_.layers().output_bytes[j], s, d_);
        return c;
    }

    /// Sending `bytes` from `from` to `to` (0 on the same node).
    double transfer(double bytes, node_id from, node_id to) const {
        if (from == to) return 0.0;
        const double t = p_.transfer_time(bytes, from, to);
        if (std::isinf(t)) return t;
        double c = weigh(lw_, t);
        if (energy_) c += weigh(ew_ * (from == d_ || to == d_ ? power_.transmit_w : power_.idle_w), t);
        return c;
    }

private:
    // A zero time costs nothing whatever the weight (and 0 * inf must not become NaN).
    static double weigh(double w, double t) { return t == 0 ? 0.0 : w * t; }

    const P& p_;
    node_id d_;
    double lw_, ew_;
    bool energy_;
    power_profile power_;  // a plain copy: GCC 12 warns (falsely) on reads through the optional
};

template <sequential_structured_problem P>
sequential_model build(const P& p, std::span<const std::vector<node_id>> domains, bool capacities) {
    const auto& L = p.layers();
    const std::size_t n = p.dimension();
    const weighted_costs<P> costs(p);
    const auto transfer = [&](double bytes, node_id from, node_id to) { return costs.transfer(bytes, from, to); };

    sequential_model out;
    out.node_list.assign(p.choices(0).begin(), p.choices(0).end());
    // Receiver sets are bit masks over the allowed nodes: with more than 64 of them every set
    // cost is replaced by its bound below.
    const bool masks_fit = out.node_list.size() <= 64;
    std::vector<std::size_t> index_of_node(*std::max_element(out.node_list.begin(), out.node_list.end()) + 1,
                                           out.node_list.size());
    for (std::size_t i = 0; i < out.node_list.size(); ++i) index_of_node[out.node_list[i]] = i;
    const auto bit = [&](node_id s) { return masks_fit ? std::uint64_t{1} << index_of_node[s] : 0; };

    const auto var = [](std::size_t j) { return static_cast<min_sum_model::variable>(j); };
    out.nodes.assign(domains.begin(), domains.end());
    for (layer_id j = 0; j < n; ++j) out.model.add_variable(out.nodes[j].size());

    // Memory capacities as knapsack constraints of the search.
    const auto& limits = p.memory_limits();
    std::vector<std::uint32_t> resource_of_node(index_of_node.size(), min_sum_model::no_resource);
    for (std::size_t i = 0; capacities && i < limits.capped_nodes().size(); ++i) {
        const node_id s = limits.capped_nodes()[i];
        if (s < resource_of_node.size()) resource_of_node[s] = out.model.add_capacity(limits.capacities()[i]);
    }

    for (layer_id j = 0; j < n; ++j) {
        const auto& dom = out.nodes[j];
        std::vector<double> unary(dom.size());
        for (std::size_t a = 0; a < dom.size(); ++a) {
            unary[a] = costs.compute(j, dom[a]);
            const std::uint32_t r = resource_of_node[dom[a]];
            if (r != min_sum_model::no_resource && L.param_bytes[j] > 0)
                out.model.set_usage(var(j), static_cast<std::uint32_t>(a), r, L.param_bytes[j]);
        }
        out.model.add_factor({var(j)}, std::move(unary));

        std::vector<layer_id> consumers(L.successors(j).begin(), L.successors(j).end());
        std::sort(consumers.begin(), consumers.end());
        consumers.erase(std::unique(consumers.begin(), consumers.end()), consumers.end());
        const double bytes = L.output_bytes[j];
        if (consumers.size() == 1) {
            const layer_id c = consumers[0];
            const auto& dc = out.nodes[c];
            std::vector<double> table(dom.size() * dc.size());
            for (std::size_t a = 0; a < dom.size(); ++a)
                for (std::size_t b = 0; b < dc.size(); ++b) table[a * dc.size() + b] = transfer(bytes, dom[a], dc[b]);
            out.model.add_factor({var(j), var(c)}, std::move(table));
            continue;
        }
        if (consumers.size() < 2) continue;
        // Several consumers: the set R of nodes that receive j's output is a variable of its own.
        // It costs the sends from x_j to R, and each consumer must sit in R; the minimum picks R
        // as exactly the consumers' nodes, so each receiving node is paid once.
        std::uint64_t pool = 0, forced = 0;
        for (layer_id c : consumers) {
            for (node_id s : out.nodes[c]) pool |= bit(s);
            if (out.nodes[c].size() == 1) forced |= bit(out.nodes[c][0]);
        }
        auto sets = masks_fit ? receiver_sets(pool, forced, consumers.size())
                              : std::vector<std::uint64_t>(max_receiver_sets + 1);
        if (sets.size() > max_receiver_sets) {
            // Too many sets to enumerate: every consumer pays 1/k of its send instead, a lower
            // bound of the set cost (the largest send is at least the mean). The search then
            // optimises a relaxation; solve_exact re-prices its plan and does not claim a proof.
            out.relaxed = true;
            const double k = static_cast<double>(consumers.size());
            for (layer_id c : consumers) {
                const auto& dc = out.nodes[c];
                std::vector<double> table(dom.size() * dc.size());
                for (std::size_t a = 0; a < dom.size(); ++a)
                    for (std::size_t b = 0; b < dc.size(); ++b)
                        table[a * dc.size() + b] = transfer(bytes, dom[a], dc[b]) / k;
                out.model.add_factor({var(j), var(c)}, std::move(table));
            }
            continue;
        }
        const auto r = out.model.add_variable(sets.size());
        std::vector<double> send(dom.size() * sets.size(), 0.0);
        for (std::size_t a = 0; a < dom.size(); ++a)
            for (std::size_t k = 0; k < sets.size(); ++k) {
                double total = 0;
                for (std::size_t i = 0; i < out.node_list.size(); ++i)
                    if ((sets[k] >> i) & 1) total += transfer(bytes, dom[a], out.node_list[i]);
                send[a * sets.size() + k] = total;
            }
        out.model.add_factor({var(j), r}, std::move(send));
        for (layer_id c : consumers) {
            const auto& dc = out.nodes[c];
            std::vector<double> member(sets.size() * dc.size());
            for (std::size_t k = 0; k < sets.size(); ++k)
                for (std::size_t b = 0; b < dc.size(); ++b)
                    member[k * dc.size() + b] = (sets[k] & bit(dc[b])) ? 0.0 : detail::bucket::inf;
            out.model.add_factor({r, var(c)}, std::move(member));
        }
        out.receiver_vars.push_back({r, j, std::move(consumers), std::move(sets)});
    }
    return out;
}

/// The assignment of `m` that encodes `placement`, or empty if a layer's node is not in its
/// domain.
inline std::vector<min_sum_model::value_type> encode(const sequential_model& m,
                                                     std::span<const node_id> placement) {
    std::vector<min_sum_model::value_type> x(m.model.variables(), 0);
    for (std::size_t j = 0; j < m.nodes.size(); ++j) {
        const auto& dom = m.nodes[j];
        const auto it = std::find(dom.begin(), dom.end(), placement[j]);
        if (it == dom.end()) return {};
        x[j] = static_cast<min_sum_model::value_type>(it - dom.begin());
    }
    for (const auto& r : m.receiver_vars) {
        std::uint64_t set = 0;
        for (layer_id c : r.consumers)
            for (std::size_t i = 0; i < m.node_list.size(); ++i)
                if (m.node_list[i] == placement[c]) set |= std::uint64_t{1} << i;
        const auto it = std::lower_bound(r.sets.begin(), r.sets.end(), set);
        if (it == r.sets.end() || *it != set) return {};
        x[r.var] = static_cast<min_sum_model::value_type>(it - r.sets.begin());
    }
    return x;
}

template <sequential_structured_problem P>
void check_problem(const P& p, std::string_view where) {
    if (p.options().schedule != dag_schedule::sequential)
        throw error(error_kind::validation,
                    std::string(where) + ": the exact solver prices the sequential schedule only "
                                         "(objective_options.schedule is list_scheduled or unbounded)");
}

/// The allowed nodes of each layer: every choice, or the pinned node.
template <sequential_structured_problem P>
std::vector<std::vector<node_id>> full_domains(const P& p) {
    std::vector<std::vector<node_id>> domains(p.dimension());
    const auto& pinned = p.limits().pinned;
    for (std::size_t j = 0; j < domains.size(); ++j) {
        if (!pinned.empty() && pinned[j]) domains[j] = {*pinned[j]};
        else domains[j].assign(p.choices(j).begin(), p.choices(j).end());
    }
    return domains;
}

/// The best one-node plan within the domains (or the incumbent, if better).
template <sequential_structured_problem P>
std::vector<node_id> best_one_node_plan(P& problem, std::span<const std::vector<node_id>> domains,
                                        const std::vector<node_id>& incumbent, evaluation& value) {
    std::vector<node_id> x;
    const auto consider = [&](std::vector<node_id> y) {
        const evaluation e = problem.evaluate(std::span<const node_id>(y));
        if (x.empty() || better(e, value)) {
            x = std::move(y);
            value = e;
        }
    };
    if (!incumbent.empty()) consider(incumbent);
    for (node_id a : problem.choices(0)) {
        std::vector<node_id> y(domains.size());
        for (std::size_t j = 0; j < y.size(); ++j)
            y[j] = std::find(domains[j].begin(), domains[j].end(), a) != domains[j].end() ? a : domains[j][0];
        consider(std::move(y));
    }
    return x;
}

/// A lower bound of the sequential objective within `domains`: each layer's cheapest weighted
/// compute (with its upload, energy, input and return terms); transfers between layers are
/// >= 0 and left out. 0 when no finite bound exists.
template <sequential_structured_problem P>
double cheapest_compute_bound(const P& problem, std::span<const std::vector<node_id>> domains) {
    const weighted_costs<P> costs(problem);
    double bound = 0;
    for (std::size_t j = 0; j < domains.size(); ++j) {
        double cheapest = std::numeric_limits<double>::infinity();
        for (node_id s : domains[j]) cheapest = std::min(cheapest, costs.compute(j, s));
        bound += cheapest;
    }
    return std::isfinite(bound) ? bound : 0.0;
}

/// solve_exact_within() when the tables would not fit the budget: a plan improved by large
/// moves (their restricted tables are small) and the bound of each layer's cheapest compute.
template <sequential_structured_problem P>
exact_result without_search(P& problem, std::span<const std::vector<node_id>> domains,
                            const exact_options& options, std::chrono::steady_clock::time_point start) {
    exact_result out;
    out.method = "large-moves";
    out.placement = best_one_node_plan(problem, domains, options.incumbent, out.value);
    if (options.improve_incumbent)
        detail::improve_by_large_moves(problem, out.placement, out.value,
                                       options.time_limit_s > 0 ? options.time_limit_s : 2.0);
    out.lower_bound = std::min(cheapest_compute_bound(problem, domains), out.value.objective);
    out.constraints_honoured = out.value.feasible();
    out.proven_optimal = out.value.feasible() && out.value.objective - out.lower_bound <=
                                                    options.relative_gap * std::abs(out.value.objective);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
}

}  // namespace detail::exact_dag

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
        throw error(error_kind::validation, std::string(where) + ": " + std::to_string(domains.size()) +
                                                " domains for " + std::to_string(problem.dimension()) +
                                                " layers");
    for (std::size_t j = 0; j < domains.size(); ++j) {
        if (domains[j].empty())
            throw error(error_kind::validation, std::string(where) + ": layer " + std::to_string(j) +
                                                    " may take no node");
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
    min_sum_options mo{.time_limit_s = options.time_limit_s, .relative_gap = options.relative_gap,
                       .table_entries = options.table_entries,
                       .total_entries = std::max(options.table_entries, std::size_t{1} << 25)};
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
        // (or the incumbent) improved by exact large moves.
        mo.improve_incumbent = [&]() -> std::vector<min_sum_model::value_type> {
            evaluation value{};
            std::vector<node_id> x = detail::exact_dag::best_one_node_plan(problem, domains, options.incumbent, value);
            detail::improve_by_large_moves(problem, x, value,
                                           options.time_limit_s > 0 ? options.time_limit_s / 4 : 2.0);
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
        const auto repaired = [&](std::vector<node_id> x) {
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
                            x[j] = t;
                            const double rate =
                                (problem.evaluate(std::span<const node_id>(x)).objective - current) / param[j];
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
                y[j] = std::find(domains[j].begin(), domains[j].end(), a) != domains[j].end() ? a : domains[j][0];
            consider(y);
        }
        const double budget = options.time_limit_s > 0 ? options.time_limit_s / 4 : 2.0;
        std::vector<double> price(caps, 0.0), excess(caps);
        double theta = 1;
        std::size_t since_better = 0;
        for (int step = 0; step < 200 && !timed_out && elapsed() < budget; ++step) {
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
                if (any) priced.add_factor({static_cast<min_sum_model::variable>(j)}, std::move(table));
            }
            min_sum_options po{.time_limit_s = std::max(1e-9, budget - elapsed()),
                               .relative_gap = options.relative_gap,
                               .table_entries = options.table_entries,
                               .total_entries = mo.total_entries};
            const min_sum_result pr = solve_min_sum(priced, po);
            nodes += pr.search_nodes;
            if (pr.assignment.empty()) break;
            double priced_capacity = 0;
            for (std::size_t i = 0; i < caps; ++i) priced_capacity += price[i] * limits.capacities()[i];
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
            if (std::isfinite(best_value) && best_value - floor <= options.relative_gap * best_value) break;
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
            const double target = std::isfinite(best_value) ? best_value : floor + 0.1 * std::abs(floor) + 1e-12;
            const double length = theta * std::max(target - bound, 1e-12 * std::abs(target)) / norm;
            for (std::size_t i = 0; i < caps; ++i) price[i] = std::max(0.0, price[i] + length * excess[i]);
        }
        // The best plan that fits, improved by large moves (a move that breaks a capacity is
        // not better, so the plan keeps fitting).
        if (!best_fit.empty() && options.improve_incumbent &&
            best_value - floor > options.relative_gap * best_value) {
            evaluation value = problem.evaluate(std::span<const node_id>(best_fit));
            detail::improve_by_large_moves(problem, best_fit, value, budget / 2);
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
            if (!r.assignment.empty()) found = decode(m, r.assignment);
            else found = best_fit;
        }
        r.search_nodes += nodes;
        out.constraints_honoured = true;
    }
    out.search_nodes = r.search_nodes;
    out.timed_out = r.timed_out;
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
