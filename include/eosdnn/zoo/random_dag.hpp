#pragma once
/// \file random_dag.hpp
/// make_random_dag(): random DNN-like layer graphs of an exact size and a chosen shape (chain,
/// residual, inception, mixed, layered), reproducible from a seed on every platform, for tests,
/// benchmarks and experiments. docs/zoo.md describes the shapes and the attribute draws.

#include <eosdnn/core/error.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/graph/layer.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eosdnn {

/// The structure of a random layer graph (make_random_dag()).
enum class dag_shape : std::uint8_t {
    chain,      ///< a chain of layers
    residual,   ///< a chain of residual blocks: a branch of 1-3 layers plus a skip edge into an add
    inception,  ///< a chain of blocks fanning out into 2-6 branches of 1-3 layers joined by a concat
    mixed,      ///< residual and inception blocks (nested one level) with plain layers between them
    layered,    ///< layers in levels with inputs from the 1-3 previous levels: not series-parallel
};

/// Name of a shape: "chain", "residual", "inception", "mixed", "layered".
constexpr std::string_view to_string(dag_shape s) noexcept {
    switch (s) {
    case dag_shape::chain: return "chain";
    case dag_shape::residual: return "residual";
    case dag_shape::inception: return "inception";
    case dag_shape::mixed: return "mixed";
    case dag_shape::layered: return "layered";
    }
    return "unknown";
}

/// What make_random_dag() builds. The attribute ranges default to figures of ImageNet CNNs
/// (fp32, batch 1), so that on a phone with edge and cloud servers the best plan usually splits
/// the model: early layers have big outputs and few FLOPs, later ones many FLOPs, small outputs
/// and more parameters.
///
/// Each attribute is drawn log-uniformly in a window of its range that slides along the network:
/// with `t = trend` and `p` the layer's position (its index over layers - 1), the fraction of the
/// log range is `t * p + (1 - t) * u` (FLOPs, parameters: they grow) or `t * (1 - p) + (1 - t) * u`
/// (outputs: they shrink), `u` uniform in [0, 1). `trend = 0` draws over the whole range.
struct random_dag_options {
    std::size_t layers = 200;            ///< exact number of layers of the result, in 2 .. 10^7
    dag_shape shape = dag_shape::mixed;  ///< structure of the graph
    std::uint64_t seed = 1;              ///< same seed and options, same graph on every platform

    double input_bytes = 602112;      ///< model input (3x224x224 fp32), the input layer's output
    double min_flops = 1e5;           ///< smallest FLOPs of a weighted layer, >= 1
    double max_flops = 1e9;           ///< largest FLOPs of a weighted layer, >= min_flops
    double min_output_bytes = 4e3;    ///< smallest drawn output tensor, >= 4
    double max_output_bytes = 3.2e6;  ///< largest drawn output tensor, >= min_output_bytes
    double min_param_bytes = 1e3;     ///< smallest parameters of a weighted layer, >= 4
    double max_param_bytes = 2e7;  ///< largest parameters of a weighted layer (the last fc's scale)
    /// Probability that a plain layer is weighted (kind "conv": drawn FLOPs, parameters and
    /// output) rather than element-wise (kind "relu": the output size of its first input, one
    /// FLOP per element, no parameters).
    double parameter_share = 0.6;
    /// How strongly the attribute windows slide along the network, in [0, 1] (see above).
    double trend = 0.5;

    /// Throws eosdnn::error (validation) naming the field and its value if a field is out of
    /// range: layers outside 2 .. 10^7, an unknown shape, a figure not finite or above 10^15, a
    /// minimum below its floor (1 FLOP, 4 bytes) or above its maximum, input_bytes <= 0, or a
    /// share or trend outside [0, 1].
    void validate() const {
        if (layers < 2 || layers > max_layers)
            fail("layers", std::to_string(layers), "in 2 .. 10000000");
        if (to_string(shape) == "unknown")
            fail("shape", std::to_string(static_cast<int>(shape)),
                 "chain, residual, inception, mixed or layered");
        if (!(std::isfinite(input_bytes) && input_bytes > 0 && input_bytes <= max_figure))
            fail("input_bytes", format(input_bytes), "finite, > 0 and <= 1e15");
        range("min_flops", min_flops, "max_flops", max_flops, 1);
        range("min_output_bytes", min_output_bytes, "max_output_bytes", max_output_bytes, 4);
        range("min_param_bytes", min_param_bytes, "max_param_bytes", max_param_bytes, 4);
        if (!(parameter_share >= 0 && parameter_share <= 1))
            fail("parameter_share", format(parameter_share), "in [0, 1]");
        if (!(trend >= 0 && trend <= 1)) fail("trend", format(trend), "in [0, 1]");
    }

    /// Largest accepted `layers`.
    static constexpr std::size_t max_layers = 10'000'000;
    /// Largest accepted byte or FLOP figure.
    static constexpr double max_figure = 1e15;

private:
    [[noreturn]] static void fail(const char* field, const std::string& value,
                                  const std::string& rule) {
        throw error(error_kind::validation, std::string("random_dag_options.") + field + " is " +
                                                value + " (must be " + rule + ")");
    }
    static std::string format(double v) {
        std::ostringstream out;
        out << v;
        return out.str();
    }
    static void range(const char* min_name, double lo, const char* max_name, double hi,
                      double floor) {
        if (!(std::isfinite(lo) && lo >= floor && lo <= max_figure))
            fail(min_name, format(lo), "finite, >= " + format(floor) + " and <= 1e15");
        if (!(std::isfinite(hi) && hi >= lo && hi <= max_figure))
            fail(max_name, format(hi),
                 std::string(">= ") + min_name + " (" + format(lo) + ") and <= 1e15");
    }
};

namespace detail::random_dag {

/// A draw in [0, k) from the raw output (k >= 1); the same on every standard library.
inline std::uint64_t below(std::mt19937_64& rng, std::uint64_t k) { return rng() % k; }

/// True with probability `p` in [0, 1]: compares 53 raw bits with p * 2^53, both exact.
inline bool chance(std::mt19937_64& rng, double p) {
    return static_cast<double>(rng() >> 11) < p * 0x1.0p53;
}

/// `ratio`^(f / 2^32) for f < 2^32, from square roots and products only. IEEE 754 rounds both
/// correctly, and without additions no compiler can fuse them, so the result is bit-identical
/// on every conforming platform (std::pow and std::exp may differ in the last bit).
inline double power_fraction(double ratio, std::uint64_t f) {
    double result = 1, root = ratio;
    for (int bit = 31; bit >= 0; --bit) {
        root = std::sqrt(root);
        if ((f >> bit) & 1) result *= root;
    }
    return result;
}

/// Builds one graph; the layer ids are created in topological order.
class generator {
public:
    explicit generator(const random_dag_options& o) : o_(o), rng_(o.seed) {
        trend_ = static_cast<std::uint64_t>(std::llround(o.trend * 0x1.0p32));
        layers_.reserve(o.layers);
    }

    layer_graph run() {
        const layer_id in = add({.name = {}, .kind = "input", .output_bytes = o_.input_bytes}, {});
        layer_id last = in;
        std::size_t budget = o_.layers - 2;  // layers between the input and the output layer
        if (o_.shape == dag_shape::layered) {
            last = layered(budget);
        } else {
            while (budget > 0) {
                const std::size_t before = layers_.size();
                last = top_level_unit(last, budget);
                budget -= layers_.size() - before;
            }
        }
        output_layer(last);
        layer_graph_builder b("random_" + std::string(to_string(o_.shape)) + "_" +
                              std::to_string(o_.layers) + "_seed" + std::to_string(o_.seed));
        for (auto& l : layers_) b.add_layer(std::move(l));
        for (auto [from, to] : edges_) b.add_edge(from, to);
        return b.build();
    }

private:
    static constexpr std::uint64_t one = std::uint64_t{1} << 32;  // 1.0 in fractions of 2^32

    // --- attribute draws ---------------------------------------------------------------------

    // Position of the next layer along the network, in fractions of 2^32 (integer arithmetic).
    std::uint64_t position() const {
        const std::uint64_t p = layers_.size() * one / (o_.layers - 1);
        return std::min(p, one - 1);
    }

    // lo * (hi / lo)^f with f = trend * slide + (1 - trend) * u, all in fractions of 2^32.
    double draw(double lo, double hi, std::uint64_t slide) {
        const std::uint64_t u = rng_() >> 32;
        const std::uint64_t f = (trend_ * slide + (one - trend_) * u) >> 32;
        return lo * power_fraction(hi / lo, std::min(f, one - 1));
    }
    static double whole_elements(double bytes) { return std::max(4.0, 4 * std::round(bytes / 4)); }
    double output_bytes() {
        return whole_elements(draw(o_.min_output_bytes, o_.max_output_bytes, one - 1 - position()));
    }
    double flops() {
        return std::max(1.0, std::round(draw(o_.min_flops, o_.max_flops, position())));
    }
    double param_bytes() {
        return whole_elements(draw(o_.min_param_bytes, o_.max_param_bytes, position()));
    }

    // --- layers ------------------------------------------------------------------------------

    layer_id add(layer l, const std::vector<layer_id>& inputs) {
        const layer_id id = layers_.size();
        l.name = l.kind == "input" ? "input" : l.kind + std::to_string(id);
        layers_.push_back(std::move(l));
        for (layer_id from : inputs) edges_.emplace_back(from, id);
        return id;
    }

    // A weighted "conv" (with probability parameter_share; its output is drawn) or an
    // element-wise "relu" (the size of its first input), unless the output size is given (a
    // residual branch without projection ends at its block input's size).
    layer_id plain(const std::vector<layer_id>& inputs, std::optional<double> out = {}) {
        if (chance(rng_, o_.parameter_share)) {
            const double w = flops();
            const double m = param_bytes();
            const double o = out ? *out : output_bytes();
            return add({.name = {},
                        .kind = "conv",
                        .macs = w / 2,
                        .flops = w,
                        .param_bytes = m,
                        .output_bytes = o},
                       inputs);
        }
        const double o = out ? *out : layers_[inputs.front()].output_bytes;
        return add({.name = {}, .kind = "relu", .flops = o / 4, .output_bytes = o}, inputs);
    }

    // The classifier: a dense layer whose FLOPs are 2 x its parameters.
    void output_layer(layer_id from) {
        const double m = param_bytes();
        const double o = output_bytes();
        add({.name = {},
             .kind = "fc",
             .macs = m / 4,
             .flops = m / 2,
             .param_bytes = m,
             .output_bytes = o},
            {from});
    }

    // --- series-parallel blocks --------------------------------------------------------------

    layer_id top_level_unit(layer_id from, std::size_t budget) {
        switch (o_.shape) {
        case dag_shape::residual:
            if (budget >= 2) return residual(from, budget, false);
            break;
        case dag_shape::inception:
            if (budget >= 3) return inception(from, budget, false);
            break;
        case dag_shape::mixed: {
            const std::uint64_t pick = below(rng_, 20);
            if (pick < 6) {  // a run of 1-3 plain layers
                const std::size_t run = std::min<std::size_t>(1 + below(rng_, 3), budget);
                for (std::size_t k = 0; k < run; ++k) from = plain({from});
                return from;
            }
            if (pick < 13 && budget >= 2) return residual(from, budget, true);
            if (budget >= 3) return inception(from, budget, true);
            if (budget >= 2) return residual(from, budget, true);
            break;
        }
        case dag_shape::chain:
        case dag_shape::layered: break;
        }
        return plain({from});
    }

    // 1-3 items from `from`, using between 1 and `cap` layers; an item is a plain layer or, when
    // `nested` and not the first item, sometimes a residual or inception block (whose branches
    // are plain). Never first, so that a block's input fans out to at most 6 layers.
    layer_id branch(layer_id from, std::size_t cap, bool nested, std::optional<double> last_out) {
        const std::size_t items = std::min<std::size_t>(1 + below(rng_, 3), cap);
        std::size_t used = 0;
        for (std::size_t k = 0; k < items; ++k) {
            const std::size_t room = cap - used - (items - k - 1);  // leaves 1 per later item
            const bool last = k + 1 == items;
            const std::size_t before = layers_.size();
            if (nested && k > 0 && !(last && last_out) && room >= 2 && chance(rng_, 0.4)) {
                from = room >= 3 && chance(rng_, 0.5) ? inception(from, room, false)
                                                      : residual(from, room, false);
            } else {
                from = plain({from}, last ? last_out : std::nullopt);
            }
            used += layers_.size() - before;
        }
        return from;
    }

    // A branch plus a skip edge (or, one time in four, a projection "conv") into an "add";
    // uses 2 .. cap layers (cap >= 2).
    layer_id residual(layer_id from, std::size_t cap, bool nested) {
        const bool projection = chance(rng_, 0.25) && cap >= 3;
        const double block_in = layers_[from].output_bytes;
        const layer_id end = branch(from, cap - 1 - (projection ? 1 : 0), nested,
                                    projection ? std::nullopt : std::optional<double>(block_in));
        const double out = layers_[end].output_bytes;
        layer_id skip = from;
        if (projection) {
            const double w = flops();
            const double m = param_bytes();
            skip = add({.name = {},
                        .kind = "conv",
                        .macs = w / 2,
                        .flops = w,
                        .param_bytes = m,
                        .output_bytes = out},
                       {from});
        }
        return add({.name = {}, .kind = "add", .flops = out / 4, .output_bytes = out}, {end, skip});
    }

    // 2-6 branches from `from` joined by a "concat" (output: the sum of the branch outputs);
    // uses 3 .. cap layers (cap >= 3).
    layer_id inception(layer_id from, std::size_t cap, bool nested) {
        const std::size_t ways = std::min<std::size_t>(2 + below(rng_, 5), cap - 1);
        std::vector<layer_id> ends;
        std::size_t used = 0;
        double out = 0;
        for (std::size_t k = 0; k < ways; ++k) {
            const std::size_t room = cap - 1 - used - (ways - k - 1);
            const std::size_t before = layers_.size();
            ends.push_back(branch(from, room, nested, std::nullopt));
            out += layers_[ends.back()].output_bytes;
            used += layers_.size() - before;
        }
        return add({.name = {}, .kind = "concat", .output_bytes = out}, ends);
    }

    // --- layered (not series-parallel) -------------------------------------------------------

    // Levels of 1-3 layers; each takes 1-3 inputs among the layers of the previous 1-3 levels.
    // A layer about to leave every later layer's reach without a consumer is taken as an input
    // by the next level, and a final collector takes whatever is still unconsumed, so every
    // layer lies on a path to the output. Uses exactly `budget` layers; returns the collector.
    layer_id layered(std::size_t budget) {
        if (budget == 0) return 0;
        std::vector<std::vector<layer_id>> levels{{0}};
        std::vector<bool> consumed(o_.layers, false);
        std::size_t left = budget - 1;  // the collector comes last
        std::vector<layer_id> inputs, candidates;
        while (left > 0) {
            const std::size_t k = levels.size();
            std::vector<layer_id> expiring;  // level k - 3 leaves the reach after this level
            if (k >= 3)
                for (layer_id id : levels[k - 3])
                    if (!consumed[id]) expiring.push_back(id);
            std::size_t width =
                std::max<std::size_t>(1 + below(rng_, 3), (expiring.size() + 2) / 3);
            width = std::min(width, left);
            std::vector<layer_id> level;
            std::size_t next_expiring = 0;
            for (std::size_t j = 0; j < width; ++j) {
                const std::size_t still = expiring.size() - next_expiring;
                const std::size_t must =
                    std::min<std::size_t>((still + (width - j) - 1) / (width - j), 3);
                const std::size_t reach = std::min<std::size_t>(1 + below(rng_, 3), k);
                const std::size_t want = std::max<std::size_t>(1 + below(rng_, 3), must);
                inputs.assign(expiring.begin() + static_cast<std::ptrdiff_t>(next_expiring),
                              expiring.begin() + static_cast<std::ptrdiff_t>(next_expiring + must));
                next_expiring += must;
                candidates.clear();
                for (std::size_t v = k - reach; v < k; ++v)
                    for (layer_id id : levels[v])
                        if (std::find(inputs.begin(), inputs.end(), id) == inputs.end())
                            candidates.push_back(id);
                // A partial Fisher-Yates shuffle picks the rest without repeats.
                for (std::size_t c = 0; inputs.size() < want && c < candidates.size(); ++c) {
                    const std::size_t r = c + below(rng_, candidates.size() - c);
                    std::swap(candidates[c], candidates[r]);
                    inputs.push_back(candidates[c]);
                }
                std::sort(inputs.begin(), inputs.end());
                for (layer_id id : inputs) consumed[id] = true;
                level.push_back(plain(inputs));
            }
            levels.push_back(std::move(level));
            left -= width;
        }
        std::vector<layer_id> open;
        for (layer_id id = 0; id < layers_.size(); ++id)
            if (!consumed[id]) open.push_back(id);
        if (open.size() == 1) return plain(open);
        double out = 0;
        for (layer_id id : open) out += layers_[id].output_bytes;
        return add({.name = {}, .kind = "concat", .output_bytes = out}, open);
    }

    const random_dag_options& o_;
    std::mt19937_64 rng_;
    std::uint64_t trend_ = 0;
    std::vector<layer> layers_;
    std::vector<std::pair<layer_id, layer_id>> edges_;
};

}  // namespace detail::random_dag

/// A random DNN-like layer graph with exactly `options.layers` layers: one input layer named
/// "input" of kind "input" (output and input_bytes() = options.input_bytes), one output layer of
/// kind "fc", and between them the structure of `options.shape`. Layers are named by kind and
/// index ("conv17", "add23", "concat40", "relu5", "fc199"); ids are in topological order. Shapes
/// other than `layered` are two-terminal series-parallel. Draws use only the raw output of
/// std::mt19937_64 seeded with `options.seed` and correctly rounded arithmetic, so the same
/// options give the same graph, to the bit, with every compiler and standard library. Throws
/// eosdnn::error (validation) for invalid options (random_dag_options::validate()).
inline layer_graph make_random_dag(const random_dag_options& options) {
    options.validate();
    return detail::random_dag::generator(options).run();
}

}  // namespace eosdnn
