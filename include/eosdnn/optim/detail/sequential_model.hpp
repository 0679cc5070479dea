#pragma once
/// \file sequential_model.hpp
/// The sequential migration delay of one task written as a min_sum_model, for the exact solver
/// (optim/exact_dag.hpp): the concept of a problem it can write down, the model with its
/// receiver-set variables, the encoding of a placement, and the bounds and plans the solver
/// starts from.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/exact_result.hpp>
#include <eosdnn/core/problem.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/optim/bucket_search.hpp>
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
concept sequential_structured_problem = pinned_placement_problem<P> &&
    requires(const P& p, layer_id j, node_id s, double b) {
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
/// Improves `x` by large_moves() for at most `seconds`, honouring the memory capacities in the
/// moves when `memory` (large_move_options::memory). Defined in optim/large_moves.hpp (included
/// at the end of this header): solve_exact improves its starting plan with it when the model is
/// too wide for exact tables.
template <sequential_structured_problem P>
void improve_by_large_moves(P& problem, std::vector<node_id>& x, evaluation& value, double seconds,
                            bool memory);
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
    const auto walk = [&](auto&& self, std::size_t next, std::uint64_t set,
                          std::size_t size) -> void {
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
        if (energy_)
            c += weigh(ew_ * (from == d_ || to == d_ ? power_.transmit_w : power_.idle_w), t);
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
    const auto transfer = [&](double bytes, node_id from, node_id to) {
        return costs.transfer(bytes, from, to);
    };

    sequential_model out;
    out.node_list.assign(p.choices(0).begin(), p.choices(0).end());
    // Receiver sets are bit masks over the allowed nodes: with more than 64 of them every set
    // cost is replaced by its bound below.
    const bool masks_fit = out.node_list.size() <= 64;
    std::vector<std::size_t> index_of_node(
        *std::max_element(out.node_list.begin(), out.node_list.end()) + 1, out.node_list.size());
    for (std::size_t i = 0; i < out.node_list.size(); ++i) index_of_node[out.node_list[i]] = i;
    const auto bit = [&](node_id s) {
        return masks_fit ? std::uint64_t{1} << index_of_node[s] : 0;
    };

    const auto var = [](std::size_t j) { return static_cast<min_sum_model::variable>(j); };
    out.nodes.assign(domains.begin(), domains.end());
    for (layer_id j = 0; j < n; ++j) out.model.add_variable(out.nodes[j].size());

    // Memory capacities as knapsack constraints of the search.
    const auto& limits = p.memory_limits();
    std::vector<std::uint32_t> resource_of_node(index_of_node.size(), min_sum_model::no_resource);
    for (std::size_t i = 0; capacities && i < limits.capped_nodes().size(); ++i) {
        const node_id s = limits.capped_nodes()[i];
        if (s < resource_of_node.size())
            resource_of_node[s] = out.model.add_capacity(limits.capacities()[i]);
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
                for (std::size_t b = 0; b < dc.size(); ++b)
                    table[a * dc.size() + b] = transfer(bytes, dom[a], dc[b]);
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
                    std::string(where) +
                        ": the exact solver prices the sequential schedule only "
                        "(objective_options.schedule is list_scheduled or unbounded)");
}

/// The allowed nodes of each layer: every choice, or the pinned node.
template <sequential_structured_problem P>
std::vector<std::vector<node_id>> full_domains(const P& p) {
    std::vector<std::vector<node_id>> domains(p.dimension());
    const auto pinned = p.pinned();
    for (std::size_t j = 0; j < domains.size(); ++j) {
        if (!pinned.empty() && pinned[j])
            domains[j] = {*pinned[j]};
        else
            domains[j].assign(p.choices(j).begin(), p.choices(j).end());
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
            y[j] = std::find(domains[j].begin(), domains[j].end(), a) != domains[j].end()
                       ? a
                       : domains[j][0];
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
                            const exact_options& options,
                            std::chrono::steady_clock::time_point start) {
    exact_result out;
    out.method = "large-moves";
    out.placement = best_one_node_plan(problem, domains, options.incumbent, out.value);
    if (options.improve_incumbent)
        detail::improve_by_large_moves(problem, out.placement, out.value,
                                       options.time_limit_s > 0 ? options.time_limit_s : 2.0,
                                       options.memory);
    out.lower_bound = std::min(cheapest_compute_bound(problem, domains), out.value.objective);
    out.constraints_honoured = out.value.feasible();
    out.proven_optimal =
        out.value.feasible() && out.value.objective - out.lower_bound <=
                                    options.relative_gap * std::abs(out.value.objective);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
}

}  // namespace detail::exact_dag

}  // namespace eosdnn
