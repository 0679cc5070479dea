#pragma once
/// \file onnx_einsum.hpp
/// ONNX's Einsum: its equation read, the output shape it gives for static input shapes, and its
/// work. ONNX's own shape inference infers only the output's rank, so the importer sizes the
/// output itself; torch exports an equation as the model's source writes it, capitals and spaces
/// included ("B G H I D, B G H J D -> B G H I J" in torchvision's MaxViT).

#include <eosdnn/io/detail/onnx_costs.hpp>
#include <eosdnn/io/detail/onnx_importer.hpp>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace eosdnn::detail::onnx_import {

/// An Einsum equation: per operand, and for the output, its subscripts in order, each a letter
/// or '.' for the ellipsis (which stands for any number of broadcast axes).
struct einsum_equation {
    std::vector<std::string> operands;
    std::string output;
};

/// Reads `text` for a node with `inputs` operands: letters of either case, at most one "..." per
/// term, whitespace ignored, "->" and the output optional. Without them the output is the
/// ellipsis (if any operand has one) and then every letter that appears once, in increasing
/// character order (ONNX's implicit mode). Returns the reason when the equation is malformed.
inline std::variant<einsum_equation, std::string> parse_einsum(std::string_view text,
                                                               std::size_t inputs) {
    std::string s;
    for (char c : text)
        if (!std::isspace(static_cast<unsigned char>(c))) s += c;
    const std::size_t arrow = s.find("->");
    const bool explicit_output = arrow != std::string::npos;
    const std::string left = s.substr(0, arrow), right = explicit_output ? s.substr(arrow + 2) : "";
    // One term: letters, and "..." once at most, kept as a single '.'.
    const auto term = [](std::string_view t, std::string& out) -> std::string {
        for (std::size_t i = 0; i < t.size(); ++i) {
            if (std::isalpha(static_cast<unsigned char>(t[i]))) {
                out += t[i];
            } else if (t.substr(i, 3) == "...") {
                if (out.find('.') != std::string::npos) return "has two ellipses";
                out += '.';
                i += 2;
            } else {
                return std::string("has '") + t[i] + "', which is not a letter or \"...\"";
            }
        }
        return "";
    };
    einsum_equation e;
    for (std::size_t start = 0;;) {
        const std::size_t comma = left.find(',', start);
        e.operands.emplace_back();
        if (auto why = term(std::string_view(left).substr(start, comma - start), e.operands.back());
            !why.empty())
            return "term " + std::to_string(e.operands.size()) + " " + why;
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (e.operands.size() != inputs)
        return std::to_string(e.operands.size()) + " terms for " + std::to_string(inputs) +
               " inputs";
    std::map<char, int> count;
    bool ellipsis = false;
    for (const auto& o : e.operands)
        for (char c : o) {
            if (c == '.')
                ellipsis = true;
            else
                ++count[c];
        }
    if (!explicit_output) {
        if (ellipsis) e.output += '.';
        for (auto [c, n] : count)  // std::map: increasing character order
            if (n == 1) e.output += c;
        return e;
    }
    if (auto why = term(right, e.output); !why.empty()) return "the output " + why;
    for (char c : e.output) {
        if (std::count(e.output.begin(), e.output.end(), c) > 1)
            return std::string("the output repeats '") + c + "'";
        if (c == '.' ? !ellipsis : !count.count(c))
            return std::string("the output's '") + (c == '.' ? "..." : std::string(1, c)) +
                   "' is in no input";
    }
    return e;
}

/// `e` written for ONNX's own inference: the output explicit and the letters renamed a, b, c...
/// in order of first appearance, "..." kept. ONNX infers the output's rank from the equation and
/// miscounts capitals in an implicit output ("Xj,jb" gave rank 1, not 2). Empty when there are
/// more than 26 letters.
inline std::string canonical_einsum(const einsum_equation& e) {
    std::map<char, char> rename;
    const auto write = [&](const std::string& term) {
        std::string out;
        for (char c : term) {
            if (c == '.') {
                out += "...";
                continue;
            }
            auto it = rename.emplace(c, static_cast<char>('a' + rename.size())).first;
            out += it->second;
        }
        return out;
    };
    std::string text;
    for (std::size_t i = 0; i < e.operands.size(); ++i)
        text += (i > 0 ? "," : "") + write(e.operands[i]);
    text += "->" + write(e.output);
    return rename.size() > 26 ? std::string() : text;
}

/// The sizes of an Einsum's indices for static input shapes: each letter's size, and the
/// ellipsis's broadcast axes (numpy's rules, aligned on the right).
struct einsum_sizes {
    std::map<char, std::int64_t> letter;
    shape ellipsis;
};

/// Sizes every index of `e` from the operands' shapes. An index of size 1 broadcasts against
/// another size, as in numpy; any other disagreement is an error, returned as its reason.
inline std::variant<einsum_sizes, std::string> size_einsum(const einsum_equation& e,
                                                           const std::vector<shape>& inputs) {
    einsum_sizes z;
    const auto merge = [](std::int64_t& into, std::int64_t d) {
        if (into == d || d == 1) return true;
        if (into != 1) return false;
        into = d;
        return true;
    };
    for (std::size_t i = 0; i < e.operands.size(); ++i) {
        const std::string& o = e.operands[i];
        const shape& s = inputs[i];
        const bool has_ellipsis = o.find('.') != std::string::npos;
        const std::size_t letters = o.size() - (has_ellipsis ? 1 : 0);
        if (has_ellipsis ? s.size() < letters : s.size() != letters)
            return "input " + std::to_string(i) + " has rank " + std::to_string(s.size()) +
                   " but its term has " + std::to_string(letters) + " letters" +
                   (has_ellipsis ? " and \"...\"" : "");
        const std::size_t broadcast = s.size() - letters;
        std::size_t axis = 0;
        for (char c : o) {
            if (c == '.') {
                // Right-aligned against the axes of the other operands' ellipses.
                if (z.ellipsis.size() < broadcast)
                    z.ellipsis.insert(z.ellipsis.begin(), broadcast - z.ellipsis.size(), 1);
                const std::size_t offset = z.ellipsis.size() - broadcast;
                for (std::size_t k = 0; k < broadcast; ++k)
                    if (!merge(z.ellipsis[offset + k], s[axis + k]))
                        return "the axes of \"...\" do not broadcast (input " + std::to_string(i) +
                               ")";
                axis += broadcast;
                continue;
            }
            auto [it, fresh] = z.letter.emplace(c, s[axis]);
            if (!fresh && !merge(it->second, s[axis]))
                return std::string("index '") + c + "' has sizes " + std::to_string(it->second) +
                       " and " + std::to_string(s[axis]);
            ++axis;
        }
    }
    return z;
}

/// The output shape of `e` for index sizes `z`.
inline shape einsum_output(const einsum_equation& e, const einsum_sizes& z) {
    shape out;
    for (char c : e.output) {
        if (c == '.')
            out.insert(out.end(), z.ellipsis.begin(), z.ellipsis.end());
        else
            out.push_back(z.letter.at(c));
    }
    return out;
}

/// The work of `e`, as a loop over its indices computes it. Operands are contracted left to
/// right: each step multiplies the running result by the next operand once per combination of
/// the indices either holds (one MAC each), then keeps the indices a later operand or the output
/// still needs. Two operands cost the product of every index's size, which is what a batched
/// matrix product (MatMul) costs for the same computation. One operand only sums (one FLOP per
/// input element) or, when no index is summed away, only moves data (a transpose, a diagonal).
inline node_cost einsum_cost(const einsum_equation& e, const einsum_sizes& z,
                             const std::vector<shape>& inputs) {
    const auto size_of = [&](const std::string& indices) {
        double n = 1;
        for (char c : indices)
            n *= c == '.' ? elements(z.ellipsis) : static_cast<double>(z.letter.at(c));
        return n;
    };
    const auto contains = [](const std::string& s, char c) {
        return s.find(c) != std::string::npos;
    };
    if (e.operands.size() == 1) {
        for (char c : e.operands[0])
            if (!contains(e.output, c)) return node_cost{.flops = elements(inputs[0])};
        return node_cost{};
    }
    double macs = 0;
    std::string running;  // the indices of the result so far, each once
    for (char c : e.operands[0])
        if (!contains(running, c)) running += c;
    for (std::size_t k = 1; k < e.operands.size(); ++k) {
        for (char c : e.operands[k])
            if (!contains(running, c)) running += c;
        macs += size_of(running);
        std::string kept;
        for (char c : running) {
            bool needed = contains(e.output, c);
            for (std::size_t later = k + 1; later < e.operands.size() && !needed; ++later)
                needed = contains(e.operands[later], c);
            if (needed) kept += c;
        }
        running = kept;
    }
    return node_cost{.macs = macs, .flops = 2 * macs};
}

/// The cost of an Einsum node: its equation sized by its operands' static shapes.
inline std::variant<node_cost, cost_error> price_einsum(const onnx::NodeProto& node,
                                                        const node_shapes& s) {
    const std::string text = string_attribute(node, "equation", "");
    const auto parsed = parse_einsum(text, static_cast<std::size_t>(node.input_size()));
    if (const auto* why = std::get_if<std::string>(&parsed))
        return cost_error{"equation '" + text + "': " + *why};
    std::vector<shape> in;
    for (std::size_t i = 0; i < s.inputs.size(); ++i) {
        if (!s.inputs[i])
            return cost_error{"its operand (input " + std::to_string(i) + ") has no static shape"};
        in.push_back(*s.inputs[i]);
    }
    const auto& e = std::get<einsum_equation>(parsed);
    const auto sized = size_einsum(e, in);
    if (const auto* why = std::get_if<std::string>(&sized))
        return cost_error{"equation '" + text + "': " + *why};
    return einsum_cost(e, std::get<einsum_sizes>(sized), in);
}

inline void importer::canonicalise_einsums() {
    onnx::GraphProto& g = *shapes_.mutable_graph();
    for (auto& node : *g.mutable_node()) {
        if (!default_domain(node) || node.op_type() != "Einsum") continue;
        const auto parsed = parse_einsum(string_attribute(node, "equation", ""),
                                         static_cast<std::size_t>(node.input_size()));
        if (!std::holds_alternative<einsum_equation>(parsed)) continue;  // left to inference
        const std::string text = canonical_einsum(std::get<einsum_equation>(parsed));
        for (auto& a : *node.mutable_attribute())
            if (a.name() == "equation" && !text.empty()) a.set_s(text);
    }
}

inline bool importer::size_einsum_outputs() {
    onnx::GraphProto& g = *shapes_.mutable_graph();
    bool sized_any = false;
    for (int i = 0; i < g.node_size(); ++i) {
        const onnx::NodeProto& node = g.node(i);
        if (!default_domain(node) || node.op_type() != "Einsum" || node.output_size() != 1)
            continue;
        if (auto it = types_.find(node.output(0)); it != types_.end() && it->second.dims) continue;
        std::vector<shape> in;
        std::int32_t type = 0;
        for (const auto& name : node.input()) {
            auto it = types_.find(name);
            if (it == types_.end() || !it->second.dims) break;
            in.push_back(*it->second.dims);
            type = it->second.type;
        }
        if (in.size() != static_cast<std::size_t>(node.input_size()) || in.empty()) continue;
        // The file's own equation (the shape model's is canonical_einsum()'s), as it wrote it.
        const std::string text = string_attribute(graph_->node(i), "equation", "");
        const auto parsed = parse_einsum(text, in.size());
        if (const auto* why = std::get_if<std::string>(&parsed))
            fail(error_kind::validation,
                 node_label(node, i) + ": equation '" + text + "': " + *why);
        const auto& e = std::get<einsum_equation>(parsed);
        const auto sized = size_einsum(e, in);
        if (const auto* why = std::get_if<std::string>(&sized))
            fail(error_kind::validation,
                 node_label(node, i) + ": equation '" + text + "': " + *why);
        const shape out = einsum_output(e, std::get<einsum_sizes>(sized));
        // In the shape model, so that the next round of inference propagates it.
        onnx::ValueInfoProto& v = *g.add_value_info();
        v.set_name(node.output(0));
        auto* t = v.mutable_type()->mutable_tensor_type();
        t->set_elem_type(type);
        auto* dims = t->mutable_shape();
        for (std::int64_t d : out) dims->add_dim()->set_dim_value(d);
        types_[node.output(0)] = tensor_info{type, out};
        sized_any = true;
    }
    return sized_any;
}

}  // namespace eosdnn::detail::onnx_import
