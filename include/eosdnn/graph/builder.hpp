#pragma once
/// \file builder.hpp
/// layer_graph_builder: add layers and edges, then build() a validated, frozen layer_graph.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/graph/layer.hpp>
#include <eosdnn/graph/layer_graph.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <queue>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace eosdnn {

/// Collects layers and edges, checks each as it arrives, and checks the whole graph in build().
/// Every error is an eosdnn::error of kind validation whose message names the model and layer.
///
///     layer_graph_builder b("tiny");
///     auto in  = b.add_layer({.name = "input", .kind = "input", .output_bytes = 12});
///     auto fc  = b.add_layer({.name = "fc", .kind = "fc", .flops = 64, .param_bytes = 256});
///     b.add_edge(in, fc);
///     layer_graph g = b.build();
class layer_graph_builder {
public:
    /// An empty graph; `model_name` becomes the built graph's name() and prefixes error messages.
    explicit layer_graph_builder(std::string model_name = {}) : name_(std::move(model_name)) {}

    /// Adds a layer and returns its index. Throws if the name is empty or taken, or a number is
    /// negative or not finite.
    layer_id add_layer(layer l) {
        if (l.name.empty()) fail("layer #" + std::to_string(layers_.size()) + " has an empty name");
        // Names reach reports and terminals: nothing that prints as nothing, or acts (ESC).
        if (const std::string why = detail::name_problem(l.name); !why.empty())
            fail("layer #" + std::to_string(layers_.size()) + ": its name '" +
                 detail::printable(l.name) + "' has " + why);
        if (const std::string why = detail::name_problem(l.kind, false); !why.empty())
            fail("layer '" + detail::printable(l.name) + "': its kind '" +
                 detail::printable(l.kind) + "' has " + why);
        check_number(l, "macs", l.macs);
        check_number(l, "flops", l.flops);
        check_number(l, "param_bytes", l.param_bytes);
        check_number(l, "output_bytes", l.output_bytes);
        if (l.device_time_s) check_number(l, "device_time_s", *l.device_time_s);
        if (l.server_time_s) check_number(l, "server_time_s", *l.server_time_s);
        if (l.load_time_s) check_number(l, "load_time_s", *l.load_time_s);
        auto [it, inserted] = by_name_.emplace(l.name, layers_.size());
        if (!inserted) fail("duplicate layer name '" + l.name + "'");
        layers_.push_back(std::move(l));
        return layers_.size() - 1;
    }

    /// Adds a layer fed by `inputs` (indices returned earlier) and returns its index. The inputs
    /// are checked first, so a bad one leaves the builder as it was.
    layer_id add_layer(layer l, std::initializer_list<layer_id> inputs) {
        for (auto it = inputs.begin(); it != inputs.end(); ++it) {
            check_index(*it);
            if (std::find(inputs.begin(), it, *it) != it)
                fail("layer '" + l.name + "' lists input '" + layers_[*it].name + "' twice");
        }
        const layer_id id = add_layer(std::move(l));
        for (layer_id from : inputs) add_edge(from, id);
        return id;
    }

    /// Adds the edge from -> to: `to` consumes the output of `from`.
    void add_edge(layer_id from, layer_id to) {
        check_index(from);
        check_index(to);
        if (from == to) fail("layer '" + layers_[from].name + "' consumes its own output");
        if (!edges_.emplace(from, to).second)
            fail("duplicate edge '" + layers_[from].name + "' -> '" + layers_[to].name + "'");
        edge_list_.emplace_back(from, to);
    }

    /// Adds the edge between two layers given by name.
    void add_edge(std::string_view from, std::string_view to) {
        add_edge(id_of(from, to), id_of(to, from));
    }

    /// Bytes of the model input. When unset, build() takes the output bytes of the input layer if
    /// its kind is "input" (any case), and throws otherwise.
    void set_input_bytes(double bytes) {
        if (!std::isfinite(bytes) || bytes < 0)
            fail("input bytes " + format(bytes) + " must be finite and >= 0");
        input_bytes_ = bytes;
    }

    /// Number of layers added so far.
    std::size_t size() const noexcept { return layers_.size(); }

    /// The index of the layer called `name`, if added.
    std::optional<layer_id> find(std::string_view name) const {
        auto it = by_name_.find(std::string(name));
        if (it == by_name_.end()) return std::nullopt;
        return it->second;
    }

    /// Validates the whole graph and freezes it: at least one layer, acyclic, exactly one input
    /// layer and one output layer (so every layer lies on a path from input to output).
    layer_graph build() const {
        const std::size_t n = layers_.size();
        if (n == 0) fail("the model has no layers");
        if (const std::string why = detail::name_problem(name_); !why.empty())
            fail("its name has " + why);
        check_sums();

        layer_graph g;
        g.name_ = name_;
        g.layers_count_ = n;
        g.graph_ = layer_graph::graph_type(n);
        for (layer_id id = 0; id < n; ++id) g.graph_[id] = layers_[id];
        for (auto [from, to] : edge_list_) boost::add_edge(from, to, g.graph_);
        g.by_name_ = by_name_;

        // Flat adjacency, in edge insertion order.
        std::vector<std::size_t> in_degree(n, 0), out_degree(n, 0);
        for (auto [from, to] : edge_list_) {
            ++out_degree[from];
            ++in_degree[to];
        }
        g.pred_begin_.assign(n + 1, 0);
        g.succ_begin_.assign(n + 1, 0);
        for (std::size_t i = 0; i < n; ++i) {
            g.pred_begin_[i + 1] = g.pred_begin_[i] + in_degree[i];
            g.succ_begin_[i + 1] = g.succ_begin_[i] + out_degree[i];
        }
        g.pred_.resize(edge_list_.size());
        g.succ_.resize(edge_list_.size());
        {
            std::vector<std::size_t> pred_fill(g.pred_begin_.begin(), g.pred_begin_.end() - 1);
            std::vector<std::size_t> succ_fill(g.succ_begin_.begin(), g.succ_begin_.end() - 1);
            for (auto [from, to] : edge_list_) {
                g.succ_[succ_fill[from]++] = to;
                g.pred_[pred_fill[to]++] = from;
            }
        }

        // Kahn's algorithm; the smallest ready index first makes the order deterministic.
        std::priority_queue<layer_id, std::vector<layer_id>, std::greater<>> ready;
        std::vector<std::size_t> remaining = in_degree;
        for (layer_id id = 0; id < n; ++id)
            if (remaining[id] == 0) ready.push(id);
        g.topo_.reserve(n);
        while (!ready.empty()) {
            const layer_id id = ready.top();
            ready.pop();
            g.topo_.push_back(id);
            for (layer_id next : g.successors(id))
                if (--remaining[next] == 0) ready.push(next);
        }
        if (g.topo_.size() != n)
            fail("the layers contain a cycle: " + describe_cycle(g, remaining));
        g.rank_.assign(n, 0);
        for (std::size_t r = 0; r < n; ++r) g.rank_[g.topo_[r]] = r;

        g.input_ = single_end(in_degree, "input layer (no predecessors)");
        g.output_ = single_end(out_degree, "output layer (no successors)");

        g.is_chain_ =
            std::all_of(in_degree.begin(), in_degree.end(), [](auto d) { return d <= 1; }) &&
            std::all_of(out_degree.begin(), out_degree.end(), [](auto d) { return d <= 1; });

        if (input_bytes_) {
            g.input_bytes_ = *input_bytes_;
        } else if (is_input_kind(layers_[g.input_].kind)) {
            g.input_bytes_ = layers_[g.input_].output_bytes;
        } else {
            fail("input bytes are not set and the input layer '" + layers_[g.input_].name +
                 "' is not of kind 'input'; call set_input_bytes()");
        }
        return g;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw error(
            error_kind::validation,
            (name_.empty() ? std::string("model") : "model '" + detail::printable(name_) + "'") +
                ": " + what);
    }

    // Each field's total over the layers must be a double too: finite values whose sum
    // overflows (1e308 bytes on two layers) would make every delay and report infinite.
    void check_sums() const {
        const auto& numbers = detail::layer_number_fields;
        const auto& times = detail::layer_time_fields;
        const auto check = [&](const char* field, auto&& value) {
            double sum = 0, largest = 0;
            std::size_t at = 0;
            for (std::size_t j = 0; j < layers_.size(); ++j) {
                const double v = value(layers_[j]);
                sum += v;
                if (v > largest) largest = v, at = j;
            }
            if (!std::isfinite(sum))
                fail(std::string("the ") + field +
                     " of its layers add up past the largest double (" +
                     format(std::numeric_limits<double>::max()) + "), the largest being layer '" +
                     detail::printable(layers_[at].name) + "' with " + format(largest));
        };
        for (const auto& [key, field] : numbers)
            check(key, [f = field](const layer& l) { return l.*f; });
        for (const auto& [key, field] : times)
            check(key, [f = field](const layer& l) { return (l.*f).value_or(0.0); });
    }

    static std::string format(double value) {
        std::ostringstream out;
        out << value;
        return out.str();
    }

    void check_number(const layer& l, const char* field, double value) const {
        if (!std::isfinite(value) || value < 0)
            fail("layer '" + l.name + "': " + field + " is " + format(value) +
                 " (must be finite and >= 0)");
    }

    void check_index(layer_id id) const {
        if (id >= layers_.size())
            fail("edge names layer index " + std::to_string(id) + " but only " +
                 std::to_string(layers_.size()) + " layers were added");
    }

    layer_id id_of(std::string_view name, std::string_view other_end) const {
        if (auto id = find(name)) return *id;
        fail("edge between '" + std::string(name) + "' and '" + std::string(other_end) +
             "' names unknown layer '" + std::string(name) + "'");
    }

    static bool is_input_kind(const std::string& kind) {
        std::string lower(kind);
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return lower == "input";
    }

    layer_id single_end(const std::vector<std::size_t>& degree, const char* what) const {
        std::vector<layer_id> ends;
        for (layer_id id = 0; id < degree.size(); ++id)
            if (degree[id] == 0) ends.push_back(id);
        if (ends.size() == 1) return ends.front();
        std::string names;
        for (std::size_t i = 0; i < ends.size() && i < 5; ++i)
            names += (i ? ", '" : "'") + layers_[ends[i]].name + "'";
        if (ends.size() > 5) names += ", ...";
        fail("the model must have exactly one " + std::string(what) + ", found " +
             std::to_string(ends.size()) + (ends.empty() ? "" : ": " + names));
    }

    // Walks predecessors among the layers Kahn could not order until one repeats.
    std::string describe_cycle(const layer_graph& g,
                               const std::vector<std::size_t>& remaining) const {
        layer_id start = 0;
        while (remaining[start] == 0) ++start;
        std::vector<std::size_t> seen_at(layers_.size(), layers_.size());
        std::vector<layer_id> path;
        layer_id current = start;
        while (seen_at[current] == layers_.size()) {
            seen_at[current] = path.size();
            path.push_back(current);
            for (layer_id p : g.predecessors(current))
                if (remaining[p] != 0) {
                    current = p;
                    break;
                }
        }
        // path walks edges backwards from `current`; print them forwards. A long cycle shows its
        // first and last layers only: a cycle through 10^5 layers made a message of a megabyte.
        std::vector<layer_id> cycle{current};
        for (std::size_t i = path.size(); i-- > seen_at[current] + 1;) cycle.push_back(path[i]);
        constexpr std::size_t shown_at_each_end = 4;
        std::string text;
        for (std::size_t k = 0; k < cycle.size(); ++k) {
            if (cycle.size() > 2 * shown_at_each_end + 1 && k == shown_at_each_end) {
                const std::size_t hidden = cycle.size() - 2 * shown_at_each_end;
                text += " -> ... (" + std::to_string(hidden) + " more layers)";
                k += hidden - 1;
                continue;
            }
            text += (k ? " -> '" : "'") + layers_[cycle[k]].name + "'";
        }
        return text + " -> '" + layers_[current].name + "'";
    }

    std::string name_;
    std::vector<layer> layers_;
    std::vector<std::pair<layer_id, layer_id>> edge_list_;
    std::set<std::pair<layer_id, layer_id>> edges_;
    std::unordered_map<std::string, layer_id> by_name_;
    std::optional<double> input_bytes_;
};

}  // namespace eosdnn
