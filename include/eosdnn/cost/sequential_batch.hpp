#pragma once
/// \file sequential_batch.hpp
/// sequential_batch_evaluator: the sequential migration delay of many placements of one task
/// (a swarm) priced as one batch, layer-major, from delay_evaluator's tables, bit for bit equal
/// to delay_evaluator::evaluate() for each placement.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/cost/cost_model.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/detail/pairwise_sum.hpp>
#include <eosdnn/cost/detail/tables.hpp>
#include <eosdnn/cost/incremental_dag.hpp>
#include <eosdnn/cost/sequential_delay.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn {

/// Prices a batch of placements of one task under the sequential schedule. The placements are
/// rows of a row-major genes matrix (rows x dimension(), as PSO-GA's population). They go in
/// chunks of `lanes` rows; a chunk's genes are transposed (layer-major: the genes of one layer
/// for every row of the chunk are contiguous), and each layer's term (detail::
/// sequential_layer_parts(): its compute time, the sends to its consumers' other nodes, the
/// model input and the result's return) is computed for every row in one loop over the rows,
/// from delay_evaluator's tables. The terms are added per row in delay_evaluator's order: the
/// same additions of a term's parts, the same pairwise order over the layers (blocks of
/// detail::pairwise_block, then detail::pairwise_cascade's shape, here one cascade of row
/// vectors). So every field of each evaluation is the double delay_evaluator::evaluate()
/// returns for that row, to the last bit; the objective, the energy and the deadline are
/// composed by delay_evaluator::compose(). The value of a row depends on its genes only, not on
/// the other rows of the batch or on the chunking.
///
/// The genes are kept as slots (the nodes a gene may take, numbered 0 .. S-1). Per layer and
/// slot the compute time (and the device's share, and the upload time) is copied from
/// delay_evaluator's tables; with at most 16 slots, so is the time of the layer's output sent
/// from every slot to every other (the same link-table view and arithmetic as
/// detail::send_time(), so the same double), and a send is one load. A send that send_time()
/// skips (to the layer's own node, or to a node an earlier consumer was already sent to) is read
/// as the +0.0 of a slot to itself: adding +0.0 to a sum that is +0.0 or positive changes no
/// bit. The loops over the rows that add the blocks and the cascade are vectorised; the table
/// reads are gathers, which GCC 12 leaves scalar (docs/benchmarks.md, `batched_kernel`).
///
/// Everything delay_evaluator handles under the sequential schedule is handled: the upload and
/// energy terms, memory capacities, pinned layers and the deadline. The list-scheduled and
/// unbounded schedules are refused (eosdnn::error, validation): they are not sums of layer
/// terms (docs/cost-models.md). It keeps scratch buffers, hence evaluate() is non-const: one
/// copy per thread.
template <cost_model Model>
class sequential_batch_evaluator {
public:
    /// Rows priced together: the scratch of a chunk (terms, partial sums) stays in L1.
    static constexpr std::size_t lanes = 64;

    /// Builds a delay_evaluator with these arguments (and its validation). Throws
    /// eosdnn::error (validation) if options.schedule is not sequential, besides every error of
    /// delay_evaluator.
    sequential_batch_evaluator(const layer_graph& graph, const Model& model,
                               objective_options options = {}, constraints limits = {},
                               node_id device = 0)
        : sequential_batch_evaluator(delay_evaluator<Model>(graph, model, std::move(options),
                                                            std::move(limits), device)) {}

    /// Prices with (a copy of) `full`'s tables. Throws eosdnn::error (validation) if its
    /// schedule is not sequential.
    explicit sequential_batch_evaluator(delay_evaluator<Model> full) : full_(std::move(full)) {
        if (full_.options().schedule != dag_schedule::sequential)
            throw error(error_kind::validation,
                        "sequential_batch_evaluator: objective_options.schedule is not "
                        "sequential (a list schedule is not a sum of layer terms; use "
                        "delay_evaluator)");
        const auto& layers = full_.layers();
        const std::size_t n = layers.size();
        const node_id device = full_.device();
        // Slots: the nodes a gene may take, numbered 0 .. S-1 (the genes of a chunk are kept as
        // slots, and the tables below are indexed by them).
        const auto choices = full_.choices(0);
        node_of_slot_.assign(choices.begin(), choices.end());
        const std::size_t slots = node_of_slot_.size();
        slot_of_.assign(static_cast<std::size_t>(node_of_slot_.back()) + 1, no_slot);
        for (std::size_t i = 0; i < slots; ++i) {
            slot_of_[node_of_slot_[i]] = static_cast<slot>(i);
            if (node_of_slot_[i] == device) device_slot_ = static_cast<slot>(i);
        }
        upload_ = full_.options().include_upload;
        energy_ = full_.device_power().has_value();
        columns_ = 1 + (upload_ ? 1 : 0) + (energy_ ? 2 : 0);
        capped_ = !full_.memory_limits().capped_nodes().empty();
        const auto pins = full_.limits().pinned;
        for (layer_id j = 0; j < pins.size(); ++j)
            if (pins[j]) pins_.emplace_back(j, slot_of_[*pins[j]]);
        for (const node_id s : full_.memory_limits().capped_nodes())
            load_nodes_ = std::max<std::size_t>(load_nodes_, s + 1u);
        // Per layer and slot: the compute time (and its device share, and the upload time), read
        // from delay_evaluator's tables, so the same doubles.
        compute_.resize(n * slots);
        if (energy_) device_compute_.resize(n * slots);
        if (upload_) upload_time_.resize(n * slots);
        for (layer_id g = 0; g < n; ++g)
            for (std::size_t i = 0; i < slots; ++i) {
                const node_id s = node_of_slot_[i];
                const double t = full_.compute_time(g, s);
                compute_[g * slots + i] = t;
                if (energy_) device_compute_[g * slots + i] = s == device ? t : 0.0;
                if (upload_) upload_time_[g * slots + i] = full_.upload_time(g, s);
            }
        // Per layer and pair of slots, when they fit: the time of its output's send from one to
        // the other (+0.0 on one node), as detail::send_time() reads it from the link table (the
        // same view, the same arithmetic, so the same double), and its device share.
        pairs_ =
            slots <= max_pair_slots && n * slots * slots * (energy_ ? 2 : 1) <= max_pair_doubles;
        full_.visit_tables([&](const auto& links, const auto&) {
            in_.resize(slots);
            back_.resize(slots);
            for (std::size_t i = 0; i < slots; ++i) {
                in_[i] = links.time(full_.input_bytes(), device, node_of_slot_[i]);
                back_[i] =
                    links.time(layers.output_bytes[full_.output_layer()], node_of_slot_[i], device);
            }
            if (!pairs_) return;
            send_.assign(n * slots * slots, 0.0);
            if (energy_) device_send_.assign(n * slots * slots, 0.0);
            for (layer_id g = 0; g < n; ++g)
                for (std::size_t a = 0; a < slots; ++a)
                    for (std::size_t b = 0; b < slots; ++b) {
                        if (a == b) continue;
                        const node_id from = node_of_slot_[a], to = node_of_slot_[b];
                        const double t = links.time(layers.output_bytes[g], from, to);
                        const std::size_t i = (g * slots + a) * slots + b;
                        send_[i] = t;
                        if (energy_ && (from == device || to == device)) device_send_[i] = t;
                    }
        });
    }

    /// One gene per layer.
    std::size_t dimension() const noexcept { return full_.dimension(); }
    /// The delay_evaluator whose values this one reproduces.
    const delay_evaluator<Model>& full() const noexcept { return full_; }

    /// Prices every row of `genes` (row-major, out.size() rows of dimension() genes):
    /// out[i] = delay_evaluator::evaluate(row i). Throws eosdnn::error (validation) if the sizes
    /// disagree or a gene is not one of choices() (delay_evaluator's message, naming the gene).
    void evaluate(std::span<const node_id> genes, std::span<evaluation> out) {
        check_size(genes, out.size());
        for (std::size_t start = 0; start < out.size(); start += lanes) {
            const std::size_t m = std::min(lanes, out.size() - start);
            for (std::size_t k = 0; k < m; ++k) rows_[k] = start + k;
            chunk(genes, std::span<const std::size_t>(rows_.data(), m), out);
        }
    }

    /// Prices the rows listed in `rows` only (each < out.size()): out[r] for each r in rows;
    /// the other entries of `out` are left alone.
    void evaluate(std::span<const node_id> genes, std::span<const std::size_t> rows,
                  std::span<evaluation> out) {
        check_size(genes, out.size());
        for (const std::size_t r : rows)
            if (r >= out.size())
                throw error(error_kind::validation, "sequential_batch_evaluator: row " +
                                                        std::to_string(r) +
                                                        " is out of range: the batch has " +
                                                        std::to_string(out.size()) + " rows");
        for (std::size_t start = 0; start < rows.size(); start += lanes)
            chunk(genes, rows.subspan(start, std::min(lanes, rows.size() - start)), out);
    }

private:
    using slot = std::uint16_t;
    static constexpr slot no_slot = 0xFFFF;
    // The per-pair send tables are kept up to 16 slots and 2^20 doubles (8 MB, per copy: one per
    // thread); beyond, the sends are priced from the link table in the loop.
    static constexpr std::size_t max_pair_slots = 16, max_pair_doubles = std::size_t{1} << 20;

    void check_size(std::span<const node_id> genes, std::size_t rows) const {
        if (genes.size() != rows * dimension())
            throw error(error_kind::validation,
                        "sequential_batch_evaluator: " + std::to_string(genes.size()) +
                            " genes for " + std::to_string(rows) + " rows of " +
                            std::to_string(dimension()) + " genes");
    }

    // Prices rows `rows` (at most `lanes`) of `genes` into out[row].
    void chunk(std::span<const node_id> genes, std::span<const std::size_t> rows,
               std::span<evaluation> out) {
        const std::size_t n = dimension(), m = rows.size(), slots = node_of_slot_.size();
        if (m == 0) return;
        // The genes, checked and transposed: x_[g * lanes + k] is the slot of gene g of row
        // rows[k] (the lanes past m are not read).
        // In tiles of layers whose lanes stay in L1 while every row writes its genes.
        x_.resize(n * lanes);
        constexpr std::size_t tile = 256;
        const slot* slot_of = slot_of_.data();
        const std::size_t nodes = slot_of_.size();
        slot* x = x_.data();
        for (std::size_t first = 0; first < n; first += tile) {
            const std::size_t last = std::min(n, first + tile);
            for (std::size_t k = 0; k < m; ++k) {
                const node_id* row = genes.data() + rows[k] * n;
                bool bad = false;
                for (std::size_t g = first; g < last; ++g) {
                    const slot i = row[g] < nodes ? slot_of[row[g]] : no_slot;
                    bad = bad || i == no_slot;
                    x[g * lanes + k] = i;
                }
                if (bad) full_.evaluate(genes.subspan(rows[k] * n, n));  // throws, naming the gene
            }
        }
        terms_.assign(detail::pairwise_block * columns_ * lanes, 0.0);
        carry_.assign(columns_ * lanes, 0.0);
        partial_.resize(64 * columns_ * lanes);
        blocks_ = 0;
        full_.visit_tables([&](const auto& links, const auto&) {
            if (energy_) {
                if (pairs_)
                    sums<true, true, true>(m, links);
                else if (slots <= 64)
                    sums<true, false, true>(m, links);
                else
                    sums<true, false, false>(m, links);
            } else {
                if (pairs_)
                    sums<false, true, true>(m, links);
                else if (slots <= 64)
                    sums<false, false, true>(m, links);
                else
                    sums<false, false, false>(m, links);
            }
        });
        // The total of every column, as pairwise_cascade::total() adds the runs.
        std::fill(carry_.begin(), carry_.end(), 0.0);
        bool any = false;
        for (std::size_t level = 0, c = blocks_; c != 0; c >>= 1, ++level)
            if (c & 1) {
                for (std::size_t col = 0; col < columns_; ++col) {
                    const double* p = partial_.data() + (level * columns_ + col) * lanes;
                    double* sum = carry_.data() + col * lanes;
                    for (std::size_t k = 0; k < m; ++k) sum[k] = any ? p[k] + sum[k] : p[k];
                }
                any = true;
            }
        // Memory loads per row in layer order, as limit_table::violation() adds them (per slot,
        // which is per node), then indexed by node for limit_table::violation_of().
        if (capped_) {
            loads_.assign(lanes * slots, 0.0);
            const auto& bytes = full_.layers().param_bytes;
            for (std::size_t g = 0; g < n; ++g) {
                const slot* x = x_.data() + g * lanes;
                for (std::size_t k = 0; k < m; ++k) loads_[k * slots + x[k]] += bytes[g];
            }
            node_load_.assign(load_nodes_, 0.0);
        }
        for (std::size_t k = 0; k < m; ++k) {
            std::size_t misplaced = 0;
            for (const auto& [g, s] : pins_) misplaced += x_[g * lanes + k] != s ? 1 : 0;
            if (capped_)
                for (std::size_t i = 0; i < slots; ++i)
                    if (node_of_slot_[i] < load_nodes_)
                        node_load_[node_of_slot_[i]] = loads_[k * slots + i];
            const double violation = full_.memory_limits().violation_of(node_load_, misplaced);
            std::size_t c = 0;
            detail::sequential_parts parts;
            parts.delay_s = carry_[c++ * lanes + k];
            const double upload = upload_ ? carry_[c++ * lanes + k] : 0.0;
            if (energy_) {
                parts.device_compute_s = carry_[c++ * lanes + k];
                parts.device_transfer_s = carry_[c++ * lanes + k];
            }
            out[rows[k]] = full_.compose(parts, upload, violation);
        }
    }

    // Every block of terms of the chunk's m rows, added into the cascade.
    template <bool Device, bool Pairs, bool Small, class Links>
    void sums(std::size_t m, const Links& links) {
        const std::size_t n = dimension();
        const std::size_t width = std::min(lanes, (m + 3) & ~std::size_t{3});  // whole vectors
        for (layer_id start = 0; start < n; start += detail::pairwise_block) {
            const layer_id end = std::min<layer_id>(start + detail::pairwise_block, n);
            for (layer_id g = start; g < end; ++g)
                layer_terms<Device, Pairs, Small>(g, g - start, m, links);
            for (layer_id g = end; g < start + detail::pairwise_block; ++g)  // the padding
                for (std::size_t c = 0; c < columns_; ++c) std::fill_n(term(c, g - start), m, 0.0);
            // The block sums (block_sum()'s order), then the cascade (pairwise_cascade::add()).
            for (std::size_t c = 0; c < columns_; ++c) {
                const double* t = terms_.data() + c * detail::pairwise_block * lanes;
                double* sum = carry_.data() + c * lanes;
                for (std::size_t k = 0; k < width; ++k)
                    sum[k] = ((t[0 * lanes + k] + t[1 * lanes + k]) +
                              (t[2 * lanes + k] + t[3 * lanes + k])) +
                             ((t[4 * lanes + k] + t[5 * lanes + k]) +
                              (t[6 * lanes + k] + t[7 * lanes + k]));
            }
            std::size_t level = 0;
            for (std::size_t c = blocks_; c & 1; c >>= 1, ++level)
                for (std::size_t col = 0; col < columns_; ++col) {
                    const double* p = partial_.data() + (level * columns_ + col) * lanes;
                    double* sum = carry_.data() + col * lanes;
                    for (std::size_t k = 0; k < width; ++k) sum[k] = p[k] + sum[k];
                }
            for (std::size_t col = 0; col < columns_; ++col)
                std::copy_n(carry_.data() + col * lanes, width,
                            partial_.data() + (level * columns_ + col) * lanes);
            ++blocks_;
        }
    }

    double* term(std::size_t column, std::size_t b) noexcept {
        return terms_.data() + (column * detail::pairwise_block + b) * lanes;
    }

    // The term of layer g for the chunk's m rows, into slot b of the block: the additions of
    // detail::sequential_layer_parts() and detail::send_time(), in their order. A send that
    // send_time() skips (to the layer's own node, or to a node already served) adds +0.0 here,
    // to a sum that is +0.0 or positive, which changes no bit.
    template <bool Device, bool Pairs, bool Small, class Links>
    void layer_terms(layer_id g, std::size_t b, std::size_t m, const Links& links) {
        const std::size_t slots = node_of_slot_.size();
        const slot dev = device_slot_;
        const slot* here = x_.data() + g * lanes;
        std::size_t c = 0;
        double* delay = term(c++, b);
        double* upload = upload_ ? term(c++, b) : nullptr;
        double* dev_compute = Device ? term(c++, b) : nullptr;
        double* dev_transfer = Device ? term(c++, b) : nullptr;
        double* send = lane_send_.data();
        for (std::size_t k = 0; k < m; ++k) {
            send[k] = 0.0;
            if constexpr (Device) dev_transfer[k] = 0.0;
        }
        const auto consumers = full_.layers().successors(g);
        const double bytes = full_.layers().output_bytes[g];
        // The send from slot `from` to slot `to`, and its device share.
        const double* pair = Pairs ? send_.data() + g * slots * slots : nullptr;
        const double* device_pair =
            Pairs && Device ? device_send_.data() + g * slots * slots : nullptr;
        const auto time = [&](std::size_t from, std::size_t to) {
            if constexpr (Pairs) {
                return pair[from * slots + to];
            } else {
                return from == to ? 0.0 : links.time(bytes, node_of_slot_[from], node_of_slot_[to]);
            }
        };
        const auto device_time = [&](std::size_t from, std::size_t to, double t) {
            if constexpr (Pairs) {
                (void)t;
                return device_pair[from * slots + to];
            } else {
                return from != to && (from == dev || to == dev) ? t : 0.0;
            }
        };
        if constexpr (Small) std::fill_n(served_.data(), m, std::uint64_t{0});
        for (std::size_t a = 0; a < consumers.size(); ++a) {
            const slot* to = x_.data() + consumers[a] * lanes;
            if (consumers.size() == 1) {  // the common case: no earlier consumer to share with
                for (std::size_t k = 0; k < m; ++k) {
                    const double t = time(here[k], to[k]);
                    send[k] += t;
                    if constexpr (Device) dev_transfer[k] += device_time(here[k], to[k], t);
                }
                continue;
            }
            for (std::size_t k = 0; k < m; ++k) {
                bool fresh = true;
                if constexpr (Small) {
                    const std::uint64_t bit = std::uint64_t{1} << to[k];
                    fresh = !(served_[k] & bit);
                    served_[k] |= bit;
                } else {
                    for (std::size_t e = 0; e < a; ++e)
                        fresh = fresh && x_[consumers[e] * lanes + k] != to[k];
                }
                // A send already made is priced as one from the node to itself (+0.0).
                const std::size_t from = here[k], dest = fresh ? to[k] : here[k];
                const double t = time(from, dest);
                send[k] += t;
                if constexpr (Device) dev_transfer[k] += device_time(from, dest, t);
            }
        }
        const double* compute = compute_.data() + g * slots;
        for (std::size_t k = 0; k < m; ++k) delay[k] = (0.0 + compute[here[k]]) + send[k];
        if constexpr (Device) {
            const double* share = device_compute_.data() + g * slots;
            for (std::size_t k = 0; k < m; ++k) dev_compute[k] = share[here[k]];
        }
        if (g == full_.input_layer())
            for (std::size_t k = 0; k < m; ++k) {
                delay[k] += in_[here[k]];
                if constexpr (Device) dev_transfer[k] += in_[here[k]];
            }
        if (g == full_.output_layer())
            for (std::size_t k = 0; k < m; ++k) {
                delay[k] += back_[here[k]];
                if constexpr (Device) dev_transfer[k] += back_[here[k]];
            }
        if (upload_) {
            const double* up = upload_time_.data() + g * slots;
            for (std::size_t k = 0; k < m; ++k) upload[k] = up[here[k]];
        }
    }

    delay_evaluator<Model> full_;
    std::vector<node_id> node_of_slot_{};  // the choices, ascending
    std::vector<slot> slot_of_{};          // per node: its slot, or no_slot
    slot device_slot_ = 0;
    bool upload_ = false, energy_ = false, capped_ = false, pairs_ = false;
    std::size_t columns_ = 1;     // the sums: delay, upload?, device compute and transfer?
    std::size_t load_nodes_ = 0;  // loads kept per row: the nodes up to the last capped one
    std::vector<std::pair<layer_id, slot>> pins_{};
    // Tables by slot (layer x slots, layer x slots x slots for the sends).
    std::vector<double> compute_{}, device_compute_{}, upload_time_{};
    std::vector<double> send_{}, device_send_{};
    std::vector<double> in_{}, back_{};  // the model input's arrival, the result's return
    // Scratch of a chunk.
    std::vector<slot> x_{};            // the genes' slots, layer-major (dimension() x lanes)
    std::vector<double> terms_{};      // per column, per slot of the block: lanes terms
    std::vector<double> carry_{};      // per column: lanes block sums (then the totals)
    std::vector<double> partial_{};    // per level of the cascade: columns x lanes
    std::vector<double> loads_{};      // per row and slot: parameter bytes
    std::vector<double> node_load_{};  // one row's loads by node
    std::size_t blocks_ = 0;           // blocks added to the cascade
    std::vector<double> lane_send_ = std::vector<double>(lanes);
    std::vector<std::uint64_t> served_ = std::vector<std::uint64_t>(lanes);
    std::vector<std::size_t> rows_ = std::vector<std::size_t>(lanes);
};

namespace detail {

/// Whether problems of type P can be priced in batches by sequential_batch_evaluator (through
/// the delay_evaluator they price with, full()), for PSO-GA's population evaluator: a
/// delay_evaluator, and an incremental_dag (whose large changes, stage() returning false, are
/// full passes).
template <class P>
struct batch_kernel {
    static constexpr bool available = false;
    static constexpr bool stages = false;
    using type = char;  // unused
};
template <cost_model M>
struct batch_kernel<delay_evaluator<M>> {
    static constexpr bool available = true;
    static constexpr bool stages = false;
    using type = sequential_batch_evaluator<M>;
    static const delay_evaluator<M>& full(const delay_evaluator<M>& p) noexcept { return p; }
};
template <cost_model M>
struct batch_kernel<incremental_dag<M>> {
    static constexpr bool available = true;
    static constexpr bool stages = true;
    using type = sequential_batch_evaluator<M>;
    static const delay_evaluator<M>& full(const incremental_dag<M>& p) noexcept { return p.full(); }
};

}  // namespace detail

}  // namespace eosdnn
