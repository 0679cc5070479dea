#pragma once
/// \file incremental_chain.hpp
/// incremental_chain: the migration delay of a chain DNN, re-priced in O(k + log n) after a change
/// of k consecutive genes instead of O(n), for PSO-GA's mutations and segment crossovers.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/gene_range.hpp>
#include <eosdnn/core/incremental.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/detail/tables.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/detail/xtensor.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn {

/// A chain's objective is a sum of per-layer terms, and the term of the layer at chain position p
/// depends only on the genes of positions p - 1 and p:
///
///     term_p = t_p(x_p) + tr(o_{p-1}, x_{p-1}, x_p)   (tr(o_0, d, x_1) for the first layer)
///            + tr(o_n, x_n, d) for the last one,
///
/// and likewise the upload term, the pinned-layer count and the parameter bytes on each capped
/// node. The incremental state keeps these terms in the leaves of a segment tree (one row per
/// tree node, columns: delay, upload, misplaced pins, then the load of each node with a memory
/// capacity). A change of genes [first, last) rewrites the leaves of their positions and of the
/// next one, then the O(k + log n) ancestors. The root is a pairwise sum of the leaves in a fixed
/// shape, so the value is a function of the placement alone, never of the history of changes:
/// seeded runs stay reproducible and there is no drift. It equals delay_evaluator's left-to-right
/// sum to rounding (tests check 1e-12 relative).
///
/// evaluate(x) without a state is delay_evaluator's own evaluation. The energy term is not
/// supported (energy_weight must be 0; energy_j is reported as 0 by the incremental evaluations).
template <cost_model Model>
class incremental_chain {
public:
    /// The cached terms of one placement.
    struct incremental_state {
        detail::matrix<double> tree{};  ///< (2n) x (3 + capped nodes); row 1 is the root
    };

    /// Builds a delay_evaluator with the same arguments (and its validation) plus the tables of
    /// the terms. Throws eosdnn::error (validation) if the graph is not a chain or the energy
    /// weight is not 0, besides every error of delay_evaluator.
    incremental_chain(const layer_graph& graph, const Model& model, objective_options options = {},
                      constraints limits = {}, node_id device = 0)
        : full_(graph, model, options, limits, device) {
        if (!graph.is_chain())
            throw error(error_kind::validation,
                        "incremental_chain: model '" + graph.name() + "' is not a chain");
        if (options.energy_weight != 0)
            throw error(error_kind::validation,
                        "incremental_chain: objective_options.energy_weight is " +
                            std::to_string(options.energy_weight) + " (must be 0)");
        const std::size_t n = graph.size(), nodes = model.env().size();
        order_.assign(graph.topological_order().begin(), graph.topological_order().end());
        rank_.assign(graph.topological_rank().begin(), graph.topological_rank().end());
        for (std::size_t p = 0; p < n; ++p) in_order_ = in_order_ && order_[p] == p;
        input_bytes_ = graph.input_bytes();
        output_bytes_.resize(n);
        param_bytes_.resize(n);
        for (layer_id j = 0; j < n; ++j) {
            output_bytes_[j] = graph[j].output_bytes;
            param_bytes_[j] = graph[j].param_bytes;
        }
        // The compute times are delay_evaluator's table. The upload times, on only the nodes a
        // gene may take (the device and the servers): O(n x servers), not O(n x nodes), with
        // thousands of devices.
        const detail::node_names names(model.env());
        include_upload_ = options.include_upload;
        if (include_upload_) {
            if constexpr (upload_cost_model<Model>) {
                upload_ = detail::layer_node_table(n, names);
                for (layer_id j = 0; j < n; ++j)
                    for (const node_id s : names.servers)
                        upload_.at(j, s) = model.upload_time(graph[j], device, s);
            }
        }
        latency_weight_ = options.latency_weight;
        pinned_ = limits.pinned;
        deadline_ = limits.deadline_s;
        if (limits.memory)
            for (std::size_t s = 0; s < nodes; ++s)
                if (const auto& cap = model.env()[static_cast<node_id>(s)].memory_bytes) {
                    capped_.push_back(static_cast<node_id>(s));
                    capacity_.push_back(*cap);
                }
        columns_ = 3 + capped_.size();
    }

    /// One gene per layer (layer_id order).
    std::size_t dimension() const noexcept { return full_.dimension(); }
    /// The device and every edge and cloud node.
    std::span<const node_id> choices(std::size_t gene) const { return full_.choices(gene); }
    /// The constraints, so that optimisers can fix pinned genes.
    const constraints& limits() const noexcept { return full_.limits(); }
    /// The wrapped full evaluator.
    const delay_evaluator<Model>& full() const noexcept { return full_; }

    /// delay_evaluator's evaluation of `x`.
    evaluation evaluate(std::span<const node_id> x) { return full_.evaluate(x); }

    /// An empty state; the first evaluate(state, x) sizes it.
    incremental_state make_state() const { return {}; }

    /// The delay_evaluator this problem re-prices incrementally (same graph, model and options):
    /// for solvers that need the whole model, such as the exact large moves of PSO-GA's polish.
    delay_evaluator<Model>& full_evaluator() noexcept { return full_; }
    /// See full_evaluator().
    const delay_evaluator<Model>& full_evaluator() const noexcept { return full_; }

    /// Prices `x` in full and caches its terms in `state`.
    evaluation evaluate(incremental_state& state, std::span<const node_id> x) const {
        const std::size_t n = order_.size();
        if (state.tree.shape(0) != 2 * n || state.tree.shape(1) != columns_)
            state.tree = detail::matrix<double>(std::array<std::size_t, 2>{2 * n, columns_}, 0.0);
        leaves(state, x, 0, n - 1);
        double* tree = state.tree.data();
        for (std::size_t i = n; i-- > 1;) combine(tree, i);
        return value(state);
    }

    /// Prices `x`, which differs from the placement last priced with `state` only in genes
    /// [changed.first, changed.last), and updates the state.
    evaluation evaluate(incremental_state& state, std::span<const node_id> x,
                        gene_range changed) const {
        const std::size_t n = order_.size();
        if (changed.empty()) return value(state);
        std::size_t lo = n, hi = 0;
        if (in_order_) {
            lo = changed.first;
            hi = std::min(changed.last, n - 1);  // the next term reads gene last - 1 too
        } else {
            for (std::size_t g = changed.first; g < changed.last; ++g) {
                lo = std::min(lo, rank_[g]);
                hi = std::max(hi, std::min(rank_[g] + 1, n - 1));
            }
        }
        leaves(state, x, lo, hi);
        double* tree = state.tree.data();
        // Ancestors of leaves n+lo .. n+hi lie in [(n+lo) >> k, (n+hi) >> k] for k = 1, 2, ...
        // When n is not a power of two the leaves sit at two depths, so one range may hold both
        // a node and its parent: going down from h computes the child first.
        for (std::size_t l = (n + lo) >> 1, h = (n + hi) >> 1; l >= 1; l >>= 1, h >>= 1) {
            for (std::size_t i = h + 1; i-- > l;) combine(tree, i);
            if (l == 1) break;
        }
        return value(state);
    }

private:
    // Writes the leaves of positions first..last from x. The tables' views are taken once for
    // the range (delay_evaluator::visit_tables), not once per transfer; the terms are the same
    // doubles as delay_evaluator's compute_time() and transfer_time() give (no two distinct
    // local devices are ever among a chain's genes, which is where transfer_time() differs).
    void leaves(incremental_state& state, std::span<const node_id> x, std::size_t first,
                std::size_t last) const noexcept {
        full_.visit_tables([&](const auto& links, const auto& compute) {
            for (std::size_t p = first; p <= last; ++p) leaf(state, x, p, links, compute);
        });
    }

    template <class Links, class Compute>
    void leaf(incremental_state& state, std::span<const node_id> x, std::size_t p,
              const Links& links, const Compute& compute) const noexcept {
        const std::size_t n = order_.size();
        const layer_id j = order_[p];
        const node_id s = x[j];
        const node_id d = full_.device();
        double delay = compute.unchecked(j, s);
        delay += p == 0 ? links.time(input_bytes_, d, s)
                        : links.time(output_bytes_[order_[p - 1]], x[order_[p - 1]], s);
        if (p + 1 == n) delay += links.time(output_bytes_[j], s, d);
        double* row = state.tree.data() + (n + p) * columns_;
        row[0] = delay;
        row[1] = include_upload_ ? upload_.unchecked(j, s) : 0.0;
        row[2] = (j < pinned_.size() && pinned_[j] && *pinned_[j] != s) ? 1.0 : 0.0;
        for (std::size_t k = 0; k < capped_.size(); ++k)
            row[3 + k] = capped_[k] == s ? param_bytes_[j] : 0.0;
    }

    // Node i of the tree is the sum of nodes 2i and 2i + 1, column by column. Without memory
    // capacities there are three columns, written out: the loop over a count known only at run
    // time was a quarter of an evaluation (callgrind, AlexNet).
    void combine(double* tree, std::size_t i) const noexcept {
        const std::size_t c = columns_;
        double* parent = tree + i * c;
        const double* left = tree + 2 * i * c;
        const double* right = left + c;
        if (c == 3) {
            parent[0] = left[0] + right[0];
            parent[1] = left[1] + right[1];
            parent[2] = left[2] + right[2];
            return;
        }
        for (std::size_t k = 0; k < c; ++k) parent[k] = left[k] + right[k];
    }

    evaluation value(const incremental_state& state) const noexcept {
        evaluation e;
        const double* root = &state.tree.unchecked(1, 0);
        e.delay_s = root[0];
        e.upload_s = root[1];
        e.objective = latency_weight_ * (e.delay_s + e.upload_s);
        double violation = 0;
        for (std::size_t k = 0; k < capped_.size(); ++k) {
            const double excess = root[3 + k] - capacity_[k];
            if (excess > 0) violation += excess / capacity_[k];
        }
        violation += root[2];
        if (deadline_) violation += std::max(0.0, e.delay_s - *deadline_) / *deadline_;
        e.violation = violation;
        return e;
    }

    delay_evaluator<Model> full_;
    std::vector<layer_id> order_{};
    std::vector<std::size_t> rank_{};
    bool in_order_ = true;  // layer j is at chain position j (the zoo's chains): rank_ is j
    double input_bytes_ = 0;
    std::vector<double> output_bytes_{}, param_bytes_{};
    detail::layer_node_table upload_{};  // n x (servers + 1)
    bool include_upload_ = false;
    double latency_weight_ = 1;
    std::vector<std::optional<node_id>> pinned_{};
    std::optional<double> deadline_{};
    std::vector<node_id> capped_{};
    std::vector<double> capacity_{};
    std::size_t columns_ = 3;  // of the tree: delay, upload, pins, then each capped node
};

}  // namespace eosdnn
