#pragma once
/// \file exact.hpp
/// Exact solvers of the sequential migration-delay problem, used as references in tests and
/// quality figures: Viterbi on chains, an s-t min cut for two nodes on a DAG, and exhaustive
/// enumeration of any placement_problem. The formula they minimise is cost/sequential_delay.hpp.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/problem.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/cost/sequential_delay.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/boykov_kolmogorov_max_flow.hpp>
#include <boost/property_map/property_map.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace eosdnn {

/// A placement found by an exact solver and its sequential migration delay.
struct exact_plan {
    std::vector<node_id> placement{};  ///< node of each layer, indexed by layer_id
    double delay_s = 0;                ///< sequential_delay() of `placement`
};

/// The best placement found by enumerate_placements().
struct enumerated_plan {
    std::vector<node_id> placement{};  ///< one gene per dimension of the problem
    evaluation value{};                ///< the problem's evaluation of `placement`
    std::size_t candidates = 0;        ///< how many placements were evaluated
};

namespace detail::exact {

using detail::fail_validation;
using detail::layer_label;
using detail::node_label;

[[noreturn]] inline void fail(std::string_view where, const std::string& what) {
    fail_validation(where, what);
}

inline void check_node_index(const environment& env, node_id s, std::string_view where,
                             std::string_view role) {
    if (s >= env.size())
        fail(where, std::string(role) + " " + node_label(env, s) +
                        " is out of range: the environment has " + std::to_string(env.size()) +
                        " nodes");
}

/// The device must exist and be local: the input starts and the result ends on it.
inline void check_device(const environment& env, node_id device, std::string_view where) {
    check_node_index(env, device, where, "device");
    if (env[device].tier != tier::local)
        fail(where, "device " + node_label(env, device) + " is not a local device (its tier is " +
                        std::string(to_string(env[device].tier)) + ")");
}

/// Pins must be empty or one per layer, and each pin must name a node the solver may use.
template <class Allowed>
void check_pins(const layer_graph& graph, const environment& env,
                const std::vector<std::optional<node_id>>& pinned, std::string_view where,
                Allowed allowed, std::string_view allowed_text) {
    if (pinned.empty()) return;
    if (pinned.size() != graph.size())
        fail(where, "pinned has " + std::to_string(pinned.size()) + " entries but the model has " +
                        std::to_string(graph.size()) + " layers (give one per layer, or none)");
    for (layer_id id = 0; id < pinned.size(); ++id) {
        if (!pinned[id]) continue;
        const node_id s = *pinned[id];
        if (s >= env.size() || !allowed(s))
            fail(where, layer_label(graph, id) + " is pinned to " + node_label(env, s) +
                            ", which is not allowed: pins must name " + std::string(allowed_text));
    }
}

inline std::string format(double value) { return detail::format_number(value); }

}  // namespace detail::exact

/// Exact optimum of the migration delay of a chain DNN, by dynamic programming over
/// (layer, node): the best cost of running layers 1..i with layer i on node s is
///
///     C_1(s) = tr(input_bytes, d, s) + t_1(s)
///     C_i(s) = t_i(s) + min_p [ C_{i-1}(p) + tr(o_{i-1}, p, s) ]
///     T*     = min_s [ C_n(s) + tr(o_n, s, d) ]
///
/// which is exact because on a chain each transfer depends only on two consecutive layers.
/// O(n * S^2) time for S allowed nodes: `device` and every edge and cloud node (never another
/// local device). Links may be asymmetric and carry latency. A layer with a pin may only take its
/// pinned node. Ties go to the lowest node index.
///
/// Throws eosdnn::error (validation) if the graph is not a chain, `device` is not a local node of
/// model.env(), or a pin is malformed or names a node that is not allowed.
template <cost_model Model>
exact_plan viterbi_chain(const layer_graph& graph, const Model& model, node_id device = 0,
                         const std::vector<std::optional<node_id>>& pinned = {}) {
    constexpr std::string_view where = "viterbi_chain";
    const environment& env = model.env();
    if (!graph.is_chain())
        detail::exact::fail(where, "model '" + graph.name() +
                                       "' is not a chain (a layer has several inputs or "
                                       "consumers); use min_cut_two_nodes or enumerate_placements");
    detail::exact::check_device(env, device, where);
    const auto is_allowed = [&](node_id s) { return s == device || env[s].tier != tier::local; };
    detail::exact::check_pins(graph, env, pinned, where, is_allowed,
                              "the device or an edge or cloud node");

    std::vector<node_id> allowed;  // ascending, so strict '<' below keeps the lowest index on ties
    for (std::size_t s = 0; s < env.size(); ++s)
        if (is_allowed(static_cast<node_id>(s))) allowed.push_back(static_cast<node_id>(s));
    const std::size_t nodes = allowed.size();
    const auto order = graph.topological_order();  // the chain from input to output
    const std::size_t n = order.size();
    const auto admissible = [&](layer_id id, std::size_t k) {
        return pinned.empty() || !pinned[id] || *pinned[id] == allowed[k];
    };
    constexpr double inf = std::numeric_limits<double>::infinity();
    constexpr std::size_t none = std::numeric_limits<std::size_t>::max();

    std::vector<double> cost(nodes), next(nodes);
    std::vector<std::size_t> back(n * nodes, none);  // back[i * nodes + k]: best k at step i - 1
    for (std::size_t k = 0; k < nodes; ++k)
        cost[k] = admissible(order[0], k)
                      ? model.transfer_time(graph.input_bytes(), device, allowed[k]) +
                            model.compute_time(graph[order[0]], allowed[k])
                      : inf;
    for (std::size_t i = 1; i < n; ++i) {
        const layer_id prev = order[i - 1], cur = order[i];
        const double bytes = graph[prev].output_bytes;
        for (std::size_t k = 0; k < nodes; ++k) {
            next[k] = inf;
            if (!admissible(cur, k)) continue;
            double best = inf;
            std::size_t arg = none;
            for (std::size_t q = 0; q < nodes; ++q) {
                if (!admissible(prev, q)) continue;
                const double c = cost[q] + model.transfer_time(bytes, allowed[q], allowed[k]);
                // The first admissible predecessor is taken even at infinite cost, so the
                // backtrack never leaves the pins.
                if (arg == none || c < best) {
                    best = c;
                    arg = q;
                }
            }
            back[i * nodes + k] = arg;
            next[k] = best + model.compute_time(graph[cur], allowed[k]);
        }
        cost.swap(next);
    }

    const double out_bytes = graph[order[n - 1]].output_bytes;
    double best = inf;
    std::size_t arg = none;
    for (std::size_t k = 0; k < nodes; ++k) {
        if (!admissible(order[n - 1], k)) continue;
        const double c = cost[k] + model.transfer_time(out_bytes, allowed[k], device);
        if (arg == none || c < best) {
            best = c;
            arg = k;
        }
    }

    exact_plan plan;
    plan.placement.assign(graph.size(), device);
    for (std::size_t i = n; i-- > 0;) {
        plan.placement[order[i]] = allowed[arg];
        if (i > 0) arg = back[i * nodes + arg];
    }
    // Recomputed rather than taken from the recursion so that every solver reports the same
    // number, to the last bit, for the same placement.
    plan.delay_s = sequential_delay(graph, model, std::span<const node_id>(plan.placement), device);
    return plan;
}

namespace detail::exact {

// What min_cut_two_nodes() (and IONN's reused cut, upload/ionn.hpp) check of their inputs: a
// local device, a remote that is an edge or cloud node other than it, and pins on those two.
inline void check_two_nodes(const layer_graph& graph, const environment& env, node_id device,
                            node_id remote, const std::vector<std::optional<node_id>>& pinned,
                            std::string_view where) {
    check_device(env, device, where);
    check_node_index(env, remote, where, "remote");
    if (remote == device)
        fail(where, "remote " + node_label(env, remote) +
                        " is the device itself; choose an edge or cloud node");
    if (env[remote].tier == tier::local)
        fail(where, "remote " + node_label(env, remote) +
                        " is a local device; choose an edge or cloud node");
    check_pins(
        graph, env, pinned, where, [&](node_id s) { return s == device || s == remote; },
        "the device " + node_label(env, device) + " or the remote " + node_label(env, remote));
}

}  // namespace detail::exact

/// Exact optimum of the sequential migration delay of a DAG DNN when every layer runs either on
/// `device` or on `remote`, as an s-t minimum cut (the construction of DADS, Hu et al.,
/// INFOCOM'19, extended with auxiliary vertices so that an output is paid once per receiving
/// node and with asymmetric links).
///
/// The flow network has a source S (the device side), a sink T (the remote side), one vertex v_j
/// per layer, and a layer is placed on the device iff v_j ends on the source side of the cut. An
/// edge a -> b of capacity c is cut, and c paid, iff a is on the source side and b on the sink
/// side. Each term of sequential_delay() then maps to edges:
/// - compute: S -> v_j of t_j(remote) (cut iff j is remote), v_j -> T of t_j(device) (cut iff j
///   is on the device);
/// - the input transfer: S -> v_in gets tr(input_bytes, device, remote) more (cut iff the input
///   layer is remote); the return transfer: S -> v_out gets tr(o_out, remote, device) more;
/// - the output of a layer j with one consumer k: v_j -> v_k of tr(o_j, device, remote) (cut iff
///   j on the device, k remote) and v_k -> v_j of tr(o_j, remote, device) (the other way);
/// - the output of a layer j with several consumers K, paid once per direction: an "up" vertex
///   u_j with v_j -> u_j of tr(o_j, device, remote) and u_j -> v_k of capacity INF for k in K; if
///   j is on the device and some k is remote, u_j cannot stay on the source side (an INF edge
///   would be cut), so v_j -> u_j is cut exactly once; otherwise u_j may sit with v_j at no cost.
///   Symmetrically a "down" vertex w_j with v_k -> w_j of INF and w_j -> v_j of
///   tr(o_j, remote, device) charges the transfer back once iff j is remote and some k is on the
///   device. Two vertices are needed because the link may be asymmetric;
/// - pins: S -> v_j of INF keeps j on the device, v_j -> T of INF keeps it remote.
/// A minimum cut picks the best free sides of u_j and w_j, so its value is min_x T(x). INF is a
/// finite capacity larger than the sum of all finite ones: every placement that respects the pins
/// has a cut of at most that sum, so no minimum cut crosses an INF edge.
///
/// Max flow is Boykov-Kolmogorov; the device side is every vertex that cannot reach T in the
/// residual network (the largest source side, so ties favour the device). The returned delay_s
/// is sequential_delay() of the cut placement, not the flow value (they agree up to rounding).
///
/// Throws eosdnn::error (validation) if `device` is not a local node, `remote` is out of range,
/// local or equal to `device`, a pin is malformed or names another node, or the cost model
/// returns a negative or non-finite time.
template <cost_model Model>
exact_plan min_cut_two_nodes(const layer_graph& graph, const Model& model, node_id device,
                             node_id remote,
                             const std::vector<std::optional<node_id>>& pinned = {}) {
    constexpr std::string_view where = "min_cut_two_nodes";
    const environment& env = model.env();
    detail::exact::check_two_nodes(graph, env, device, remote, pinned, where);

    const std::size_t n = graph.size();
    const std::size_t source = n, sink = n + 1;
    std::size_t vertex_count = n + 2;

    // Arcs are collected first because INF depends on the sum of all finite capacities.
    struct arc {
        std::size_t from, to;
        double capacity;
        bool infinite;
    };
    std::vector<arc> arcs;
    double finite_sum = 0;
    // `what` and `j` only build the message of a bad time, so nothing is formatted otherwise.
    constexpr layer_id no_layer = std::numeric_limits<layer_id>::max();
    const auto cost = [&](double value, std::string_view what, layer_id j) {
        if (!std::isfinite(value) || value < 0) {
            std::string subject(what);
            if (j != no_layer) subject += " " + detail::exact::layer_label(graph, j);
            detail::exact::fail(where, "the cost model returned " + detail::exact::format(value) +
                                           " s for " + subject + " (must be finite and >= 0)");
        }
        finite_sum += value;
        return value;
    };
    const auto add_finite = [&](std::size_t from, std::size_t to, double capacity) {
        if (capacity > 0) arcs.push_back({from, to, capacity, false});
    };
    const auto add_infinite = [&](std::size_t from, std::size_t to) {
        arcs.push_back({from, to, 0, true});
    };

    std::vector<double> to_source_side(n, 0), to_sink_side(n, 0);  // S -> v_j, v_j -> T
    for (layer_id j = 0; j < n; ++j) {
        to_source_side[j] += cost(model.compute_time(graph[j], remote), "computing", j);
        to_sink_side[j] += cost(model.compute_time(graph[j], device), "computing", j);
        const auto succ = graph.successors(j);
        if (succ.empty()) continue;
        const double up = cost(model.transfer_time(graph[j].output_bytes, device, remote),
                               "sending to the remote the output of", j);
        const double down = cost(model.transfer_time(graph[j].output_bytes, remote, device),
                                 "sending to the device the output of", j);
        if (succ.size() == 1) {
            add_finite(j, succ[0], up);
            add_finite(succ[0], j, down);
            continue;
        }
        const std::size_t up_vertex = vertex_count++, down_vertex = vertex_count++;
        add_finite(j, up_vertex, up);
        add_finite(down_vertex, j, down);
        for (layer_id k : succ) {
            add_infinite(up_vertex, k);
            add_infinite(k, down_vertex);
        }
    }
    to_source_side[graph.input()] += cost(model.transfer_time(graph.input_bytes(), device, remote),
                                          "sending the model input", no_layer);
    to_source_side[graph.output()] +=
        cost(model.transfer_time(graph[graph.output()].output_bytes, remote, device),
             "returning the result", no_layer);
    for (layer_id j = 0; j < n; ++j) {
        const bool on_device = !pinned.empty() && pinned[j] && *pinned[j] == device;
        const bool on_remote = !pinned.empty() && pinned[j] && *pinned[j] == remote;
        if (on_device)
            add_infinite(source, j);
        else
            add_finite(source, j, to_source_side[j]);
        if (on_remote)
            add_infinite(j, sink);
        else
            add_finite(j, sink, to_sink_side[j]);
    }
    // A pinned layer's finite arc from the same terminal is dropped: the INF arc keeps the layer
    // on that terminal's side, so the finite arc could never be cut anyway. Doubling plus one keeps
    // INF strictly above any finite cut even when all costs are zero, without making it so large
    // that adding it to small residuals loses their precision.
    const double infinite_capacity = 2 * finite_sum + 1;

    // bidirectionalS, although only out-edges are walked: its edges() iterates the graph's edge
    // list, whereas directedS's edge iterator trips a GCC 12 -Wmaybe-uninitialized false positive
    // inside Boost <= 1.81 (boostorg/graph#312) that would break users building with -Werror.
    using flow_graph =
        boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, boost::no_property,
                              boost::property<boost::edge_index_t, std::size_t>>;
    using edge_descriptor = boost::graph_traits<flow_graph>::edge_descriptor;
    flow_graph network(vertex_count);
    std::vector<double> capacity, residual;
    std::vector<edge_descriptor> reverse;
    capacity.reserve(2 * arcs.size());
    reverse.reserve(2 * arcs.size());
    for (const arc& a : arcs) {
        // Every arc gets its own zero-capacity reverse, as the max-flow algorithms require.
        const std::size_t index = capacity.size();
        const edge_descriptor forward = boost::add_edge(a.from, a.to, index, network).first;
        const edge_descriptor backward = boost::add_edge(a.to, a.from, index + 1, network).first;
        capacity.push_back(a.infinite ? infinite_capacity : a.capacity);
        capacity.push_back(0);
        reverse.push_back(backward);
        reverse.push_back(forward);
    }
    residual.assign(capacity.size(), 0);
    const auto edge_index = boost::get(boost::edge_index, network);
    const auto vertex_index = boost::get(boost::vertex_index, network);
    boost::boykov_kolmogorov_max_flow(
        network, boost::make_iterator_property_map(capacity.begin(), edge_index),
        boost::make_iterator_property_map(residual.begin(), edge_index),
        boost::make_iterator_property_map(reverse.begin(), edge_index), vertex_index, source, sink);

    // The sink side: vertices that still reach T through arcs with residual capacity. Walking
    // backwards from T uses the reverse arcs: for an arc v -> u, the arc u -> v is reverse[v -> u].
    std::vector<char> reaches_sink(vertex_count, 0);
    std::vector<std::size_t> stack{sink};
    reaches_sink[sink] = 1;
    while (!stack.empty()) {
        const std::size_t v = stack.back();
        stack.pop_back();
        for (auto [it, end] = boost::out_edges(v, network); it != end; ++it) {
            const std::size_t u = boost::target(*it, network);
            if (reaches_sink[u]) continue;
            if (residual[edge_index[reverse[edge_index[*it]]]] > 0) {
                reaches_sink[u] = 1;
                stack.push_back(u);
            }
        }
    }

    exact_plan plan;
    plan.placement.resize(n);
    for (layer_id j = 0; j < n; ++j) plan.placement[j] = reaches_sink[j] ? remote : device;
    plan.delay_s = sequential_delay(graph, model, std::span<const node_id>(plan.placement), device);
    return plan;
}

/// Evaluates every placement of `problem` (every combination of choices(g), the first gene
/// varying slowest) and returns the best by eosdnn::better(); on ties the first one in that
/// lexicographic order wins. Only for tiny instances: throws eosdnn::error (validation) if the
/// number of candidates exceeds `max_candidates` or a gene has no choice, before evaluating any.
template <placement_problem Problem>
enumerated_plan enumerate_placements(Problem& problem,
                                     std::size_t max_candidates = std::size_t{1} << 22) {
    constexpr std::string_view where = "enumerate_placements";
    const std::size_t dim = problem.dimension();
    // Copied so evaluate(), which may touch the problem's state, cannot invalidate them.
    std::vector<std::vector<node_id>> choices(dim);
    std::size_t count = 1;
    bool too_many = count > max_candidates;
    double approximate = 1;
    for (std::size_t g = 0; g < dim; ++g) {
        const std::span<const node_id> c = problem.choices(g);
        if (c.empty()) detail::exact::fail(where, "gene " + std::to_string(g) + " has no choice");
        choices[g].assign(c.begin(), c.end());
        approximate *= static_cast<double>(c.size());
        // count * size > max  <=>  size > max / count, without overflowing.
        if (!too_many && c.size() > max_candidates / count) too_many = true;
        if (!too_many) count *= c.size();
    }
    if (too_many)
        detail::exact::fail(where, "the problem has about " + detail::exact::format(approximate) +
                                       " candidate placements, more than max_candidates = " +
                                       std::to_string(max_candidates));

    enumerated_plan best;
    best.candidates = count;
    std::vector<std::size_t> digit(dim, 0);
    std::vector<node_id> x(dim);
    for (std::size_t g = 0; g < dim; ++g) x[g] = choices[g][0];
    bool first = true;
    for (;;) {
        const evaluation value = problem.evaluate(std::span<const node_id>(x));
        if (first || better(value, best.value)) {
            best.value = value;
            best.placement = x;
            first = false;
        }
        // Odometer step: the last gene turns fastest.
        std::size_t g = dim;
        for (; g > 0; --g) {
            const std::size_t i = g - 1;
            if (++digit[i] < choices[i].size()) {
                x[i] = choices[i][digit[i]];
                break;
            }
            digit[i] = 0;
            x[i] = choices[i][0];
        }
        if (g == 0) break;
    }
    return best;
}

}  // namespace eosdnn
