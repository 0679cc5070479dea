#pragma once
/// \file onnx_build.hpp
/// The importer's last step: the layer_graph, one layer per data node, with its costs, its
/// parameters and its output bytes.

#include <eosdnn/graph/builder.hpp>
#include <eosdnn/graph/layer.hpp>
#include <eosdnn/graph/merge_parameter_free.hpp>
#include <eosdnn/io/detail/onnx_einsum.hpp>
#include <eosdnn/io/detail/onnx_importer.hpp>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace eosdnn::detail::onnx_import {

inline onnx_import_result importer::build() {
    for (int i : order_)
        if (nodes_[static_cast<std::size_t>(i)].live) file_names_.insert(graph_->node(i).name());
    std::unordered_set<std::string> data_outputs;
    for (const auto& out : graph_->output())
        if (data_.count(out.name())) data_outputs.insert(out.name());
    // Tensors some live layer reads.
    std::unordered_set<std::string> read;
    for (int i : order_) {
        const node_info& info = nodes_[static_cast<std::size_t>(i)];
        if (!info.live) continue;
        for (const auto* list : {&info.inputs, &info.implicit})
            for (const auto& in : *list) read.insert(in);
    }

    const std::string model_name = options_.model_name.empty()
                                       ? std::filesystem::path(source_).stem().string()
                                       : options_.model_name;
    layer_graph_builder builder(model_name);
    // The builder's refusals (a node name with a control character, say) name the file first,
    // as every error of the importer does.
    const auto add_layer = [&](layer l) {
        try {
            return builder.add_layer(std::move(l));
        } catch (const error& e) {
            throw error(e.kind(), source_ + ": " + e.what());
        }
    };
    std::vector<std::vector<std::string>> layer_nodes;
    std::unordered_map<std::string, layer_id> layer_of;  // data tensor -> producing layer

    // The input layer: the data input, or one layer for all of them.
    layer input;
    input.kind = "input";
    for (int k : data_inputs_) {
        const auto& in = graph_->input(k);
        input.output_bytes += tensor_bytes(in.name(), "data input '" + in.name() + "'");
    }
    if (data_inputs_.size() == 1) {
        const std::string& name = graph_->input(data_inputs_.front()).name();
        input.output_shape = per_sample(*types_[name].dims);
        input.name = unique_name(name.empty() ? "input" : name, !name.empty());
    } else {
        input.name = unique_name("input");
    }
    builder.set_input_bytes(input.output_bytes);
    const layer_id input_id = add_layer(std::move(input));
    layer_nodes.emplace_back();
    for (int k : data_inputs_) layer_of[graph_->input(k).name()] = input_id;

    std::vector<std::string> unknown, dropped;
    std::set<std::string> unknown_seen;
    std::set<std::pair<layer_id, layer_id>> edges;
    const auto connect = [&](layer_id from, layer_id to) {
        if (edges.emplace(from, to).second) builder.add_edge(from, to);
    };
    std::set<layer_id> consumed;
    for (int i : order_) {
        const node_info& info = nodes_[static_cast<std::size_t>(i)];
        const auto& node = graph_->node(i);
        if (!info.data) continue;
        if (!info.live) {
            dropped.push_back(node.name().empty() ? "#" + std::to_string(i) : node.name());
            continue;
        }
        const std::string label = node_label(node, i);
        layer l;
        l.kind = op_name(node);
        l.name = node.name().empty() ? unique_name(node.op_type() + "_" + std::to_string(i))
                                     : unique_name(node.name(), true);

        // Outputs that leave the node: read by a live layer or a graph output.
        bool first = true;
        for (const auto& out : node.output()) {
            if (out.empty() || (!read.count(out) && !data_outputs.count(out))) continue;
            l.output_bytes += tensor_bytes(out, label);
            if (first) l.output_shape = per_sample(*types_[out].dims);
            first = false;
        }
        // Parameters: each parameter tensor is charged once, to its first reader.
        for (const auto* list : {&info.inputs, &info.implicit})
            for (const auto& in : *list) {
                auto it = sources_.find(in);
                if (in.empty() || it == sources_.end()) continue;
                for (const auto& source : it->second) {
                    parameter& p = parameters_[source];
                    if (!p.charged) l.param_bytes += p.bytes;
                    p.charged = true;
                }
            }
        price(node, info, label, l, unknown, unknown_seen);

        const layer_id id = add_layer(std::move(l));
        layer_nodes.push_back({node.name().empty() ? "#" + std::to_string(i) : node.name()});
        for (const auto* list : {&info.inputs, &info.implicit})
            for (const auto& in : *list)
                if (auto it = layer_of.find(in); it != layer_of.end()) {
                    connect(it->second, id);
                    consumed.insert(it->second);
                }
        for (const auto& out : node.output())
            if (!out.empty()) layer_of[out] = id;
    }

    // The output layer: the producer of the only graph output when nothing else reads it,
    // else a synthetic layer that gathers every graph output.
    std::vector<layer_id> producers;
    double output_bytes = 0;
    for (const auto& out : graph_->output()) {
        if (!data_outputs.count(out.name())) continue;
        output_bytes += tensor_bytes(out.name(), "graph output '" + out.name() + "'");
        const layer_id from = layer_of.at(out.name());
        if (std::find(producers.begin(), producers.end(), from) == producers.end())
            producers.push_back(from);
    }
    if (producers.size() != 1 || consumed.count(producers.front())) {
        layer sink;
        sink.name = unique_name("output");
        sink.kind = "output";
        sink.output_bytes = output_bytes;
        const layer_id id = add_layer(std::move(sink));
        layer_nodes.emplace_back();
        for (layer_id from : producers) connect(from, id);
    }

    std::vector<std::string> warnings;
    if (!unknown.empty()) {
        std::string list;
        for (const auto& op : unknown) list += (list.empty() ? "" : ", ") + op;
        warnings.push_back(
            source_ + ": " + std::to_string(unknown.size()) +
            " operator type(s) of unknown cost imported with zero MACs and FLOPs: " + list);
    }
    if (!dropped.empty()) {
        std::string list;
        for (std::size_t k = 0; k < dropped.size() && k < 10; ++k)
            list += (k ? ", '" : "'") + dropped[k] + "'";
        if (dropped.size() > 10) list += ", ...";
        warnings.push_back(source_ + ": " + std::to_string(dropped.size()) +
                           " node(s) reach no graph output and were left out: " + list);
    }

    layer_graph g = [&] {
        try {
            return builder.build();
        } catch (const error& e) {
            throw error(e.kind(), source_ + ": " + e.what());
        }
    }();
    if (options_.fold_parameter_free) {
        merged_graph merged = merge_parameter_free(g);
        std::vector<std::vector<std::string>> folded(merged.members.size());
        for (std::size_t m = 0; m < merged.members.size(); ++m)
            for (layer_id member : merged.members[m])
                folded[m].insert(folded[m].end(), layer_nodes[member].begin(),
                                 layer_nodes[member].end());
        g = std::move(merged.graph);
        layer_nodes = std::move(folded);
    }
    return onnx_import_result{.graph = std::move(g),
                              .layer_nodes = std::move(layer_nodes),
                              .unknown_ops = std::move(unknown),
                              .warnings = std::move(warnings),
                              .batch_size = batch_};
}

inline void importer::price(const onnx::NodeProto& node, const node_info& info,
                            const std::string& label, layer& l, std::vector<std::string>& unknown,
                            std::set<std::string>& unknown_seen) const {
    node_shapes s;
    for (const auto& in : info.inputs) {
        auto it = types_.find(in);
        s.inputs.push_back(
            in.empty() || it == types_.end() || !it->second.dims ? nullptr : &*it->second.dims);
    }
    if (node.output_size() > 0)
        if (auto it = types_.find(node.output(0)); it != types_.end() && it->second.dims)
            s.output = &*it->second.dims;
    node_cost cost{.known = false};
    if (default_domain(node)) {
        auto priced = node.op_type() == "Einsum" ? price_einsum(node, s) : price_node(node, s);
        if (auto* e = std::get_if<cost_error>(&priced))
            fail(error_kind::validation, label + ": " + e->reason);
        cost = std::get<node_cost>(priced);
    }
    if (!cost.known) {
        if (!options_.zero_cost_unknown_ops)
            fail(error_kind::validation,
                 label + ": the cost of operator " + l.kind +
                     " is unknown (docs/onnx.md lists the priced operators); set "
                     "onnx_import_options::zero_cost_unknown_ops to import it with zero MACs and "
                     "FLOPs");
        if (unknown_seen.insert(l.kind).second) unknown.push_back(l.kind);
        return;
    }
    l.macs = cost.macs;
    l.flops = cost.flops;
}

}  // namespace eosdnn::detail::onnx_import
