#pragma once
/// \file onnx_topology.hpp
/// The graph's topology: nodes checked and ordered topologically, tensors classified as data
/// or constant, per-tensor bytes and the names of generated layers.

#include <eosdnn/io/detail/onnx_importer.hpp>

#include <cstddef>
#include <functional>
#include <queue>
#include <set>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace eosdnn::detail::onnx_import {

inline void importer::outer_reads(const onnx::GraphProto& g, std::set<std::string>& reads) {
    std::set<std::string> local;
    for (const auto& i : g.input()) local.insert(i.name());
    for (const auto& i : g.initializer()) local.insert(i.name());
    for (const auto& n : g.node())
        for (const auto& o : n.output()) local.insert(o);
    for (const auto& n : g.node()) {
        for (const auto& i : n.input())
            if (!i.empty() && !local.count(i)) reads.insert(i);
        for (const auto& a : n.attribute()) {
            std::set<std::string> inner;
            if (a.has_g()) outer_reads(a.g(), inner);
            for (const auto& sg : a.graphs()) outer_reads(sg, inner);
            for (const auto& i : inner)
                if (!local.count(i)) reads.insert(i);
        }
    }
    for (const auto& o : g.output())
        if (!local.count(o.name())) reads.insert(o.name());
}

inline void importer::order_nodes() {
    const int n = graph_->node_size();
    nodes_.resize(static_cast<std::size_t>(n));
    std::unordered_set<std::string> defined;
    for (const auto& in : graph_->input()) defined.insert(in.name());
    for (const auto& [name, p] : parameters_) defined.insert(name);
    for (int i = 0; i < n; ++i) {
        const auto& node = graph_->node(i);
        for (const auto& out : node.output()) {
            if (out.empty()) continue;
            if (defined.count(out) && !producer_.count(out))
                fail(error_kind::validation, node_label(node, i) + ": output '" + out +
                                                 "' is also a graph input or initializer");
            if (auto it = producer_.find(out); it != producer_.end())
                fail(error_kind::validation, node_label(node, i) + ": output '" + out +
                                                 "' is also produced by " +
                                                 node_label(graph_->node(it->second), it->second));
            producer_[out] = i;
        }
    }
    for (const auto& [out, i] : producer_) defined.insert(out);
    std::vector<std::vector<int>> consumers(static_cast<std::size_t>(n));
    std::vector<int> waiting(static_cast<std::size_t>(n), 0);
    for (int i = 0; i < n; ++i) {
        const auto& node = graph_->node(i);
        node_info& info = nodes_[static_cast<std::size_t>(i)];
        info.index = i;
        info.inputs.assign(node.input().begin(), node.input().end());
        std::set<std::string> inner;
        for (const auto& a : node.attribute()) {
            if (a.has_g()) outer_reads(a.g(), inner);
            for (const auto& g : a.graphs()) outer_reads(g, inner);
        }
        info.implicit.assign(inner.begin(), inner.end());
        for (int k = 0; k < node.input_size(); ++k)
            if (!node.input(k).empty()) uses_[node.input(k)].emplace_back(i, k);
        for (const auto& in : info.implicit) uses_[in].emplace_back(i, -1);
        std::set<int> producers;
        for (const auto* list : {&info.inputs, &info.implicit})
            for (const auto& in : *list) {
                if (in.empty()) continue;
                if (!defined.count(in))
                    fail(error_kind::validation,
                         node_label(node, i) + ": input '" + in +
                             "' is not a graph input, an initializer or the output of any node");
                if (auto it = producer_.find(in); it != producer_.end())
                    producers.insert(it->second);
            }
        for (int p : producers) {
            if (p == i)
                fail(error_kind::validation, node_label(node, i) + " consumes its own output");
            consumers[static_cast<std::size_t>(p)].push_back(i);
        }
        waiting[static_cast<std::size_t>(i)] = static_cast<int>(producers.size());
    }
    std::priority_queue<int, std::vector<int>, std::greater<>> ready;
    for (int i = 0; i < n; ++i)
        if (waiting[static_cast<std::size_t>(i)] == 0) ready.push(i);
    while (!ready.empty()) {
        const int i = ready.top();
        ready.pop();
        order_.push_back(i);
        for (int c : consumers[static_cast<std::size_t>(i)])
            if (--waiting[static_cast<std::size_t>(c)] == 0) ready.push(c);
    }
    if (order_.size() != static_cast<std::size_t>(n)) {
        for (int i = 0; i < n; ++i)
            if (waiting[static_cast<std::size_t>(i)] > 0)
                fail(error_kind::validation,
                     node_label(graph_->node(i), i) + " is on a cycle: the graph is not acyclic");
    }
}

inline void importer::classify_tensors() {
    for (int k : data_inputs_) data_.insert(graph_->input(k).name());
    for (int i : order_) {
        const auto& node = graph_->node(i);
        node_info& info = nodes_[static_cast<std::size_t>(i)];
        bool data = false;
        std::set<std::string> sources;
        for (const auto* list : {&info.inputs, &info.implicit})
            for (const auto& in : *list) {
                if (in.empty()) continue;
                if (data_.count(in)) data = true;
                if (auto it = sources_.find(in); it != sources_.end())
                    sources.insert(it->second.begin(), it->second.end());
            }
        const bool static_shape_query =
            default_domain(node) && (node.op_type() == "Shape" || node.op_type() == "Size") &&
            node.input_size() > 0 && types_.count(node.input(0)) && types_[node.input(0)].dims;
        if (static_shape_query) {
            data = false;
            sources.clear();
        }
        if (default_domain(node) && node.op_type() == "Constant") {
            const std::string value_name = node.output_size() ? node.output(0) : std::string();
            double bytes = 0;
            if (const auto* a = find_attribute(node, "value"); a && a->has_t()) {
                double count = 1;
                for (std::int64_t d : a->t().dims()) {
                    if (d < 0)
                        fail(error_kind::validation, node_label(node, i) +
                                                         ": its value has a negative dimension " +
                                                         std::to_string(d));
                    count *= static_cast<double>(d);
                }
                // A literal of at most max_folded elements (a shape, an axis, the 0.5 of a GELU)
                // is part of the graph's definition, not a parameter (docs/onnx.md).
                if (count > max_folded)
                    bytes = count * static_cast<double>(element_bytes(a->t().data_type()));
            }
            if (!value_name.empty()) {
                parameters_[value_name] = {bytes, false};
                sources.insert(value_name);
            }
        }
        info.data = data;
        for (const auto& out : node.output()) {
            if (out.empty()) continue;
            if (data) {
                data_.insert(out);
            } else {
                sources_[out] = sources;
            }
        }
    }
    // Live: reaches a data graph output, walking producers backwards.
    std::vector<std::string> stack;
    for (const auto& out : graph_->output())
        if (data_.count(out.name())) stack.push_back(out.name());
    if (stack.empty()) fail(error_kind::validation, "no graph output depends on the data inputs");
    std::unordered_set<std::string> seen;
    while (!stack.empty()) {
        const std::string name = std::move(stack.back());
        stack.pop_back();
        if (!seen.insert(name).second) continue;
        auto it = producer_.find(name);
        if (it == producer_.end()) continue;
        node_info& info = nodes_[static_cast<std::size_t>(it->second)];
        if (!info.data || info.live) continue;
        info.live = true;
        for (const auto* list : {&info.inputs, &info.implicit})
            for (const auto& in : *list)
                if (!in.empty() && data_.count(in)) stack.push_back(in);
    }
}

inline double importer::tensor_bytes(const std::string& name, const std::string& owner) const {
    auto it = types_.find(name);
    if (it == types_.end() || !it->second.dims)
        // Every data input's shape is fixed by now (resolve_input_shapes refuses the others), so
        // asking for input shapes would mislead: the shape is lost inside the graph.
        fail(error_kind::validation,
             owner + ": output '" + name +
                 "' has no static shape after shape inference, though every data input's shape "
                 "is fixed: ONNX's shape inference does not know the operator, or the shape is "
                 "computed by operators the importer does not fold (docs/onnx.md lists those it "
                 "does); give the output a shape in the model's value_info");
    const std::size_t size = element_bytes(it->second.type);
    if (size == 0)
        fail(error_kind::validation, owner + ": output '" + name + "' has element type " +
                                         std::to_string(it->second.type) +
                                         ", which has no fixed size");
    return elements(*it->second.dims) * static_cast<double>(size);
}

inline std::vector<std::size_t> importer::per_sample(const shape& s) const {
    std::vector<std::size_t> dims;
    const std::size_t skip = s.size() >= 2 && s.front() == batch_ ? 1 : 0;
    for (std::size_t i = skip; i < s.size(); ++i) dims.push_back(static_cast<std::size_t>(s[i]));
    return dims;
}

inline std::string importer::unique_name(const std::string& wanted, bool own_name) {
    std::string name = wanted;
    const auto free = [&] {
        return !taken_.count(name) && ((own_name && name == wanted) || !file_names_.count(name));
    };
    for (int k = 2; !free(); ++k) name = wanted + "_" + std::to_string(k);
    taken_.insert(name);
    return name;
}

}  // namespace eosdnn::detail::onnx_import
