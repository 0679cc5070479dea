#pragma once
/// \file incremental_dag.hpp
/// incremental_dag: the sequential migration delay of any DAG, re-priced after a change of k
/// genes in time proportional to the edges around them instead of O(n), and bit for bit equal
/// to delay_evaluator's full pass, for PSO-GA's mutations and crossovers.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/gene_range.hpp>
#include <eosdnn/core/incremental.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/detail/pairwise_sum.hpp>
#include <eosdnn/cost/detail/tables.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/cost/sequential_delay.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn {

/// The sequential delay is a sum of per-layer terms (detail::sequential_layer_parts()), and the
/// term of layer j reads only the genes of j and of its consumers. So a change of gene g changes
/// the terms of g and of its producers, nothing else. The incremental state keeps every term
/// and every partial sum of the pairwise order in which delay_evaluator adds them
/// (detail::pairwise_shape, columns: delay, then the upload time with include_upload, then the
/// device's compute and transfer times when the model knows the device's power), the parameter
/// bytes on each node with a memory capacity and the count of misplaced pinned layers, and a
/// copy of the placement.
///
/// A change of genes within `changed` costs: a comparison of those genes with the copy (genes a
/// crossover copied but that did not change cost nothing more); for each gene g that did change,
/// the terms of g and its producers (each term reads its layer's consumers) and their
/// O(log n) ancestors. With k changed genes of degree <= D that is O(k D (D + log n)); a
/// producer with a huge fan-out (thousands of consumers) costs its whole out-degree each time
/// one of its consumers moves. When the terms to re-price exceed a quarter of the layers (a
/// crossover with a distant pBest), the full pass prices the placement instead (the same double)
/// and the sums are rebuilt when a small change next needs them. They are kept, with the
/// placement they sum, until then: a change that takes the large one back (a block move the
/// local search refused) is priced from them, without a pass. The value is a function of the
/// placement alone, never of the history of changes, and equals delay_evaluator::evaluate() to
/// the last bit (the same terms, the same pairwise order, the same composition by
/// delay_evaluator::compose()).
///
/// The memory loads are sums of parameter bytes: when every layer's are whole numbers whose
/// total stays below 2^53 (every real model), every order of adding them gives the same double,
/// and the state adds and subtracts the moved layers' bytes; otherwise the loads are re-added in
/// full (O(n) additions) on each evaluation, to stay bit-identical.
///
/// Only the sequential schedule: under the list-scheduled and the unbounded schedules a layer's
/// start time depends on every layer before it in the schedule (its node's queue, the arrival of
/// every predecessor's output), so a change of one gene moves the finish time of all the layers
/// after it, and the completion time is a maximum over paths, not a sum of independent terms
/// (docs/cost-models.md).
template <cost_model Model>
class incremental_dag {
public:
    /// The cached terms and sums of one placement.
    struct incremental_state {
        std::vector<node_id> x{};       ///< the placement last priced
        std::vector<double> tree{};     ///< the pairwise sums (detail::pairwise_shape)
        std::vector<double> load{};     ///< parameter bytes per node (capped nodes only are read)
        std::size_t misplaced = 0;      ///< pinned layers off their node
        evaluation value{};             ///< the value of x
        bool sums_current = false;      ///< whether tree holds the sums of `summed`
        std::vector<node_id> summed{};  ///< the placement whose sums tree holds
        std::size_t behind = 0;         ///< genes where x differs from summed
    };

    /// Builds a delay_evaluator with the same arguments (and its validation) and the layout of
    /// the sums. Throws eosdnn::error (validation) if options.schedule is not sequential, besides
    /// every error of delay_evaluator.
    incremental_dag(const layer_graph& graph, const Model& model, objective_options options = {},
                    constraints limits = {}, node_id device = 0)
        : full_(graph, model, options, limits, device), allowed_(model.env().size(), 0) {
        if (options.schedule != dag_schedule::sequential)
            throw error(error_kind::validation,
                        "incremental_dag: objective_options.schedule is not sequential (a list "
                        "schedule is not a sum of layer terms; use delay_evaluator)");
        const std::size_t n = graph.size();
        task_ = detail::task_span::of(graph, device);
        for (const node_id s : full_.choices(0)) allowed_[s] = 1;
        upload_ = full_.options().include_upload;
        energy_ = full_.device_power().has_value();
        shape_ = detail::pairwise_shape(n, 1 + (upload_ ? 1 : 0) + (energy_ ? 2 : 0));
        capped_ = !full_.memory_limits().capped_nodes().empty();
        if (capped_) {
            double total = 0;
            exact_loads_ = true;
            for (const double b : full_.layers().param_bytes) {
                exact_loads_ = exact_loads_ && b >= 0 && std::floor(b) == b;
                total += b;
            }
            exact_loads_ = exact_loads_ && total <= 0x1.0p53;
        }
        pinned_ = full_.limits().pinned;
    }

    /// One gene per layer (layer_id order).
    std::size_t dimension() const noexcept { return full_.dimension(); }
    /// The device and every edge and cloud node.
    std::span<const node_id> choices(std::size_t gene) const { return full_.choices(gene); }
    /// The constraints, so that optimisers can fix pinned genes.
    const constraints& limits() const noexcept { return full_.limits(); }
    /// The pinned node of every layer, or empty.
    std::span<const std::optional<node_id>> pinned() const noexcept { return full_.pinned(); }
    /// The wrapped full evaluator.
    const delay_evaluator<Model>& full() const noexcept { return full_; }
    /// The delay_evaluator this problem re-prices incrementally (same graph, model and options):
    /// for solvers that need the whole model, such as the exact large moves of PSO-GA's polish.
    delay_evaluator<Model>& full_evaluator() noexcept { return full_; }
    /// See full_evaluator().
    const delay_evaluator<Model>& full_evaluator() const noexcept { return full_; }

    /// delay_evaluator's evaluation of `x`.
    evaluation evaluate(std::span<const node_id> x) { return full_.evaluate(x); }

    /// An empty state; the first evaluate(state, x) sizes it.
    incremental_state make_state() const { return {}; }

    /// Doubles one state holds in its sums (about 2 n x columns), for the benchmarks.
    std::size_t state_doubles() const noexcept { return shape_.doubles(); }

    /// Prices `x` in full and caches its terms in `state`. Throws eosdnn::error (validation) as
    /// delay_evaluator::evaluate() does for a bad placement.
    evaluation evaluate(incremental_state& state, std::span<const node_id> x) {
        const std::size_t n = dimension();
        if (x.size() != n) full_.evaluate(x);  // throws, naming the sizes
        for (std::size_t g = 0; g < n; ++g)
            if (!allows(x[g])) full_.evaluate(x);  // throws, naming the gene
        state.x.assign(x.begin(), x.end());
        state.tree.assign(shape_.doubles(), 0.0);
        rebuild(state);
        state.load.assign(capped_ ? allowed_.size() : 0, 0.0);
        if (capped_)
            for (std::size_t g = 0; g < n; ++g) state.load[x[g]] += full_.layers().param_bytes[g];
        state.misplaced = full_.memory_limits().misplaced(x);
        state.value = value(state);
        return state.value;
    }

    /// Prices `x`, which differs from the placement last priced with `state` only in genes
    /// [changed.first, changed.last), and updates the state.
    evaluation evaluate(incremental_state& state, std::span<const node_id> x, gene_range changed) {
        if (!stage(state, x, changed)) state.value = full_.evaluate(x);
        return state.value;
    }

    /// evaluate(state, x, changed) without its full pass: records the change in `state` and
    /// prices `x` into state.value, returning true, unless the change is large enough for
    /// evaluate() to price `x` by delay_evaluator's full pass; then it returns false and the
    /// caller must store that value (delay_evaluator::evaluate(x), or the same double from
    /// sequential_batch_evaluator) in state.value before the state is used again. PSO-GA's
    /// population evaluator gathers those placements and prices them as one batch.
    bool stage(incremental_state& state, std::span<const node_id> x, gene_range changed) {
        if (state.x.size() != dimension() || x.size() != dimension()) {
            evaluate(state, x);  // an empty state (or a bad size, which throws)
            return true;
        }
        const auto& layers = full_.layers();
        // The sums follow x unless a large change left them behind (below).
        const bool follows = state.sums_current && state.behind == 0;
        const std::size_t last = std::min(changed.last, x.size());
        if (moved_.size() != x.size()) moved_.resize(x.size());
        std::size_t moved_count = 0;
        for (std::size_t g = changed.first; g < last; ++g) {
            const node_id to = x[g], from = state.x[g];
            if (to == from) continue;
            if (!allows(to)) {
                state.x.clear();    // the next evaluation starts afresh
                full_.evaluate(x);  // throws, naming the gene
            }
            state.x[g] = to;
            moved_[moved_count++] = g;
            if (state.sums_current) {
                state.behind -= from != state.summed[g] ? 1 : 0;
                state.behind += to != state.summed[g] ? 1 : 0;
            }
            if (capped_ && exact_loads_) {
                state.load[from] -= layers.param_bytes[g];
                state.load[to] += layers.param_bytes[g];
            }
            if (g < pinned_.size() && pinned_[g]) {
                state.misplaced -= from != *pinned_[g] ? 1 : 0;
                state.misplaced += to != *pinned_[g] ? 1 : 0;
            }
        }
        if (moved_count == 0) return true;
        if (capped_ && !exact_loads_) {
            std::fill(state.load.begin(), state.load.end(), 0.0);
            for (std::size_t g = 0; g < x.size(); ++g)
                state.load[state.x[g]] += layers.param_bytes[g];
        }
        if (state.sums_current && state.behind == 0) {
            // The change took back the genes that a large change moved (a block move the
            // local search refused): the sums, kept, are those of x again.
            state.value = value(state);
            return true;
        }
        // The terms to re-price: the moved genes' and their producers'. Counting stops once
        // they pass a quarter of the layers, where the full pass is cheaper than the update.
        next_epoch();
        const std::size_t large = x.size() / 4;
        for (std::size_t k = 0; k < moved_count && dirty_count_ <= large; ++k) {
            const std::size_t g = moved_[k];
            touch(g);
            for (const layer_id p : layers.predecessors(static_cast<layer_id>(g))) touch(p);
        }
        if (dirty_count_ > large) {
            // A large change (early in a run, a crossover with a distant pBest): the full pass
            // gives the same double for less, and the sums wait until a small change needs them.
            return false;
        }
        if (!follows) {
            rebuild(state);
        } else {
            full_.visit_tables([&](const auto& links, const auto& compute) {
                for (std::size_t k = 0; k < dirty_count_; ++k)
                    term(state, static_cast<layer_id>(dirty_[k]), links, compute);
            });
            update(state.tree);
            std::copy(state.x.begin() + static_cast<std::ptrdiff_t>(changed.first),
                      state.x.begin() + static_cast<std::ptrdiff_t>(last),
                      state.summed.begin() + static_cast<std::ptrdiff_t>(changed.first));
            state.behind = 0;
        }
        state.value = value(state);
        return true;
    }

private:
    bool allows(node_id s) const noexcept { return s < allowed_.size() && allowed_[s]; }

    // Every term of state.x and every sum above them.
    void rebuild(incremental_state& state) const {
        full_.visit_tables([&](const auto& links, const auto& compute) {
            for (layer_id j = 0; j < state.x.size(); ++j) term(state, j, links, compute);
        });
        shape_.build(state.tree);
        state.summed.assign(state.x.begin(), state.x.end());
        state.behind = 0;
        state.sums_current = true;
    }

    // The tree nodes marked in this evaluation carry the current epoch: each term and each
    // ancestor is re-priced once, without sorting the list of those touched.
    void next_epoch() {
        dirty_count_ = 0;
        if (mark_.size() != shape_.doubles() / shape_.columns()) {
            mark_.assign(shape_.doubles() / shape_.columns(), 0);
            // A term or an ancestor enters a level's list once: a level holds at most its width,
            // the terms' the most. Written by index, not push_back, which GCC leaves as a call.
            dirty_.assign(dimension() + 1, 0);
            parents_.assign(dimension() + 1, 0);
        }
        if (++epoch_ == 0) {
            std::fill(mark_.begin(), mark_.end(), 0);
            epoch_ = 1;
        }
    }
    bool mark(std::size_t node) noexcept {
        if (mark_[node] == epoch_) return false;
        mark_[node] = epoch_;
        return true;
    }
    void touch(std::size_t j) {
        if (mark(j)) dirty_[dirty_count_++] = j;  // the terms are the first nodes
    }

    // Re-adds the ancestors of the terms in dirty_, level by level (a level is complete before
    // the next one reads it); dirty_ is overwritten.
    void update(std::vector<double>& tree) {
        for (std::size_t k = 1; k < shape_.levels() && dirty_count_ > 0; ++k) {
            const auto first = static_cast<std::size_t>(shape_.row(tree, k, 0) - tree.data()) /
                               shape_.columns();  // the level's first node
            std::size_t count = 0;
            for (std::size_t d = 0; d < dirty_count_; ++d) {
                const std::size_t i = dirty_[d];
                if (mark(first + (i >> 1))) {
                    shape_.combine(tree, k, i >> 1);
                    parents_[count++] = i >> 1;
                }
            }
            dirty_.swap(parents_);
            dirty_count_ = count;
        }
    }

    // Writes the term of layer j (its row on level 0) from state.x.
    template <class Links, class Compute>
    void term(incremental_state& state, layer_id j, const Links& links,
              const Compute& compute) const noexcept {
        const detail::sequential_parts p = detail::sequential_layer_parts(
            std::span<const node_id>(state.x), task_, full_.layers(), j, compute, links);
        double* row = shape_.row(state.tree, 0, j);
        std::size_t c = 0;
        row[c++] = p.delay_s;
        if (upload_) row[c++] = full_.upload_time(j, state.x[j]);
        if (energy_) {
            row[c++] = p.device_compute_s;
            row[c++] = p.device_transfer_s;
        }
    }

    evaluation value(const incremental_state& state) const noexcept {
        const double* root = shape_.root(state.tree);
        std::size_t c = 0;
        detail::sequential_parts parts;
        parts.delay_s = root[c++];
        const double upload = upload_ ? root[c++] : 0.0;
        if (energy_) {
            parts.device_compute_s = root[c++];
            parts.device_transfer_s = root[c++];
        }
        return full_.compose(parts, upload,
                             full_.memory_limits().violation_of(state.load, state.misplaced));
    }

    delay_evaluator<Model> full_;
    detail::task_span task_{};
    std::vector<std::uint8_t> allowed_{};  // per node: may a gene take it?
    detail::pairwise_shape shape_{};
    bool upload_ = false, energy_ = false, capped_ = false, exact_loads_ = false;
    std::vector<std::optional<node_id>> pinned_{};
    std::vector<std::size_t> dirty_{}, parents_{};  // scratch: terms to re-price, ancestors
    std::size_t dirty_count_ = 0;                   // entries of dirty_ in use
    std::vector<std::size_t> moved_{};              // scratch: the genes a change moved
    std::vector<std::uint32_t> mark_{};  // scratch: per tree node, the epoch it was last touched
    std::uint32_t epoch_ = 0;
};

static_assert(incremental_placement_problem<incremental_dag<analytic_model>>);

}  // namespace eosdnn
