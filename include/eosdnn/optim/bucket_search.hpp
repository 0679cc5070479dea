#pragma once
/// \file bucket_search.hpp
/// solve_min_sum(): the exact solver of a min_sum_model. Bucket elimination along a greedy
/// elimination order computes, for every variable, the best cost of everything eliminated before
/// it; where a table would exceed the memory budget the bucket is split into mini-buckets
/// (Dechter and Rish, JACM 2003), which turns the tables into lower bounds. A depth-first branch
/// and bound then assigns the variables in reverse elimination order, guided and pruned by those
/// tables (Kask and Dechter, AIJ 2001). When no bucket was split the tables are exact and the
/// search walks straight to an optimum; otherwise it proves one, or returns the best plan and
/// the best lower bound found when the time limit ends it.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/stop_request.hpp>
#include <eosdnn/optim/min_sum_model.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <queue>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn {

/// Limits of solve_min_sum().
struct min_sum_options {
    double time_limit_s = 0;  ///< wall-clock limit of the whole solve; 0: none
    /// A request that ends the solve as its time limit would (null: none).
    const stop_request* stop = nullptr;
    /// Called about every 1 s of branch and bound with the best value found so far (+inf
    /// before the first) and the lower bound proven so far: a long search shows its gap
    /// closing. Empty for none.
    std::function<void(double best, double lower)> on_progress{};
    double relative_gap = 1e-9;  ///< stop when (upper - lower) <= relative_gap * upper
    /// Largest table one elimination step may build before its bucket is split.
    std::size_t table_entries = std::size_t{1} << 22;
    /// Largest number of table entries all steps together may hold; the per-step limit is
    /// lowered until the tables fit.
    std::size_t total_entries = std::size_t{1} << 25;
    /// A complete assignment to start from (the result is never worse); empty for none.
    std::vector<min_sum_model::value_type> incumbent{};
    /// Called once when a bucket had to be split (the tables are bounds, and the search may be
    /// long): it may return a better assignment to start from, or an empty one. Branch and bound
    /// prunes by its best assignment, so a good one early saves most of the search.
    std::function<std::vector<min_sum_model::value_type>()> improve_incumbent{};
    /// The elimination order (a permutation of the variables; empty: the greedy one), e.g. an
    /// earlier solve's min_sum_result::order: it changes the time of a solve, not its value.
    std::vector<min_sum_model::variable> order{};
};

/// What solve_min_sum() found.
struct min_sum_result {
    std::vector<min_sum_model::value_type> assignment{};     ///< best assignment; empty if none
    double value = std::numeric_limits<double>::infinity();  ///< its objective
    double lower_bound = 0;        ///< proven lower bound on every feasible assignment
    bool proven_optimal = false;   ///< the search finished: value is optimal to the gap asked
    bool timed_out = false;        ///< the time limit ended the search
    bool exact_tables = false;     ///< no bucket was split: the elimination alone is exact
    std::size_t search_nodes = 0;  ///< search nodes expanded
    std::size_t width = 0;         ///< largest scope of a table built (the induced width + 1)
    std::size_t entries = 0;       ///< table entries built in all
    /// The elimination order used (empty if the solve ended before eliminating).
    std::vector<min_sum_model::variable> order{};
};

namespace detail::bucket {

using variable = min_sum_model::variable;
using value_type = min_sum_model::value_type;
constexpr double inf = std::numeric_limits<double>::infinity();

/// Whether `order` is a permutation of the variables 0..n-1.
inline bool is_order_of(std::span<const variable> order, std::size_t n) {
    std::vector<char> seen(n, 0);
    return order.size() == n && std::none_of(order.begin(), order.end(), [&](variable v) {
               return v >= n || std::exchange(seen[v], 1);
           });
}

/// A greedy elimination order: repeatedly the variable whose elimination builds the smallest
/// table (the product of its and its neighbours' domains), ties to the lower index; eliminating
/// it connects its neighbours. On series-parallel graphs this finds the width-2 orders.
inline std::vector<variable> elimination_order(const min_sum_model& m) {
    const std::size_t n = m.variables();
    std::vector<std::vector<variable>> adj(n);
    for (const auto& f : m.factors())
        for (variable a : f.scope)
            for (variable b : f.scope)
                if (a != b) adj[a].push_back(b);
    std::vector<double> logd(n), score(n);
    for (std::size_t v = 0; v < n; ++v) {
        auto& a = adj[v];
        std::sort(a.begin(), a.end());
        a.erase(std::unique(a.begin(), a.end()), a.end());
        logd[v] = std::log(static_cast<double>(m.domain(static_cast<variable>(v))));
    }
    for (std::size_t v = 0; v < n; ++v) {
        score[v] = logd[v];
        for (variable u : adj[v]) score[v] += logd[u];
    }
    using entry = std::pair<double, variable>;
    std::priority_queue<entry, std::vector<entry>, std::greater<entry>> queue;
    for (std::size_t v = 0; v < n; ++v) queue.emplace(score[v], static_cast<variable>(v));
    std::vector<char> gone(n, 0);
    std::vector<variable> order;
    order.reserve(n);
    const auto connected = [&](variable a, variable b) {
        return std::binary_search(adj[a].begin(), adj[a].end(), b);
    };
    const auto connect = [&](variable a, variable b) {
        adj[a].insert(std::lower_bound(adj[a].begin(), adj[a].end(), b), b);
        score[a] += logd[b];
    };
    while (!queue.empty()) {
        const auto [s, v] = queue.top();
        queue.pop();
        if (gone[v] || s != score[v]) continue;  // a stale entry
        gone[v] = 1;
        order.push_back(v);
        const std::vector<variable> near = std::move(adj[v]);
        adj[v].clear();
        for (variable u : near) {
            auto& a = adj[u];
            a.erase(std::lower_bound(a.begin(), a.end(), v));
            score[u] -= logd[v];
        }
        for (std::size_t i = 0; i < near.size(); ++i)
            for (std::size_t k = i + 1; k < near.size(); ++k)
                if (!connected(near[i], near[k])) {
                    connect(near[i], near[k]);
                    connect(near[k], near[i]);
                }
        for (variable u : near) queue.emplace(score[u], u);
    }
    return order;
}

/// A cost table in the elimination: an original factor or a message.
struct table_function {
    std::vector<variable> scope{};
    std::vector<std::size_t> stride{};  // aligned with scope, row-major
    std::vector<double> table{};
};

inline void set_strides(table_function& f, const min_sum_model& m) {
    f.stride.assign(f.scope.size(), 1);
    std::size_t s = 1;
    for (std::size_t i = f.scope.size(); i-- > 0;) {
        f.stride[i] = s;
        s *= m.domain(f.scope[i]);
    }
}

/// Mini-bucket elimination along `order`. With `build` false only the scopes are planned (to
/// choose the per-table limit); with `build` true the tables are computed too.
class eliminator {
public:
    eliminator(const min_sum_model& m, std::span<const variable> order) : m_(m) {
        const std::size_t n = m.variables();
        position_.assign(n, 0);
        for (std::size_t k = 0; k < order.size(); ++k) position_[order[k]] = k;
        order_.assign(order.begin(), order.end());
        mark_.assign(n, 0);
    }

    /// Runs the elimination with tables of at most `limit` entries (a lone function may exceed
    /// it). Returns false if `deadline` passed (only checked when building).
    template <class Deadline>
    bool run(std::size_t limit, bool build, Deadline&& past_deadline) {
        const std::size_t n = m_.variables();
        functions_.clear();
        bucket_.assign(n, {});
        generated_.assign(n, {});
        constant_ = 0;
        split_ = false;
        entries_ = 0;
        width_ = 0;
        for (const auto& f : m_.factors()) {
            table_function t;
            t.scope = f.scope;
            if (build) {
                t.table = f.table;
                set_strides(t, m_);
            }
            place(std::move(t), build);
        }
        std::vector<std::size_t> items;
        std::vector<std::vector<std::size_t>> groups;
        std::vector<std::vector<variable>> group_scope;
        for (std::size_t k = 0; k < n; ++k) {
            const variable v = order_[k];
            if (build && (k & 63) == 0 && past_deadline()) return false;
            items = bucket_[v];
            // Larger tables first, so first-fit packs them well.
            std::stable_sort(items.begin(), items.end(), [&](std::size_t a, std::size_t b) {
                return functions_[a].scope.size() > functions_[b].scope.size();
            });
            groups.clear();
            group_scope.clear();
            for (std::size_t id : items) {
                bool placed = false;
                for (std::size_t g = 0; g < groups.size() && !placed; ++g) {
                    std::vector<variable> u = merged(group_scope[g], functions_[id].scope, v);
                    if (size_of(u) * static_cast<double>(m_.domain(v)) <=
                        static_cast<double>(limit)) {
                        groups[g].push_back(id);
                        group_scope[g] = std::move(u);
                        placed = true;
                    }
                }
                if (!placed) {
                    groups.push_back({id});
                    group_scope.push_back(merged({}, functions_[id].scope, v));
                }
            }
            if (groups.size() > 1) split_ = true;
            for (std::size_t g = 0; g < groups.size(); ++g) {
                table_function msg;
                msg.scope = group_scope[g];
                // Scopes are kept in elimination order: the variable eliminated first leads.
                std::sort(msg.scope.begin(), msg.scope.end(),
                          [&](variable a, variable b) { return position_[a] < position_[b]; });
                width_ = std::max(width_, msg.scope.size() + 1);
                const double size = size_of(msg.scope);
                entries_ += static_cast<std::size_t>(size);
                if (build) {
                    set_strides(msg, m_);
                    compute(msg, groups[g], v);
                }
                const std::size_t id = place(std::move(msg), build);
                generated_[v].push_back(id);
            }
        }
        return true;
    }

    /// Table entries the last run built.
    std::size_t entries() const noexcept { return entries_; }
    /// Whether the last run split a bucket.
    bool split() const noexcept { return split_; }
    /// Largest scope of the last run, the eliminated variable included.
    std::size_t width() const noexcept { return width_; }
    /// Sum of the messages with an empty scope: the lower bound before any assignment.
    double constant() const noexcept { return constant_; }
    /// Every table.
    const std::vector<table_function>& functions() const noexcept { return functions_; }
    /// The tables in the bucket of `v` (each contains `v`).
    const std::vector<std::size_t>& bucket(variable v) const noexcept { return bucket_[v]; }
    /// The messages the bucket of `v` sent (none contains `v`).
    const std::vector<std::size_t>& generated(variable v) const noexcept { return generated_[v]; }

private:
    // Puts a table into the bucket of its first-eliminated variable; an empty scope is a
    // constant. Returns its index.
    std::size_t place(table_function t, bool build) {
        const std::size_t id = functions_.size();
        if (t.scope.empty()) {
            if (build) constant_ += t.table[0];
        } else {
            variable first = t.scope[0];
            for (variable u : t.scope)
                if (position_[u] < position_[first]) first = u;
            bucket_[first].push_back(id);
        }
        functions_.push_back(std::move(t));
        return id;
    }

    // a u b without v, each variable once.
    std::vector<variable> merged(const std::vector<variable>& a, const std::vector<variable>& b,
                                 variable v) {
        ++stamp_;
        std::vector<variable> out;
        for (const auto* s : {&a, &b})
            for (variable u : *s)
                if (u != v && mark_[u] != stamp_) {
                    mark_[u] = stamp_;
                    out.push_back(u);
                }
        return out;
    }

    double size_of(const std::vector<variable>& scope) const {
        double s = 1;
        for (variable u : scope) s *= static_cast<double>(m_.domain(u));
        return s;
    }

    // msg(y) = min over v of the sum of the group's tables at (y, v).
    void compute(table_function& msg, const std::vector<std::size_t>& group, variable v) {
        const std::size_t r = msg.scope.size(), parts = group.size();
        const std::size_t dv = m_.domain(v);
        std::size_t size = 1;
        for (variable u : msg.scope) size *= m_.domain(u);
        msg.table.assign(size, inf);
        // stride[p * r + i]: stride of msg.scope[i] in table p (0 if absent); vstride[p]: of v.
        std::vector<std::size_t> stride(parts * r, 0), vstride(parts, 0), offset(parts, 0);
        std::vector<const double*> data(parts);
        for (std::size_t p = 0; p < parts; ++p) {
            const table_function& f = functions_[group[p]];
            data[p] = f.table.data();
            for (std::size_t s = 0; s < f.scope.size(); ++s) {
                if (f.scope[s] == v) {
                    vstride[p] = f.stride[s];
                    continue;
                }
                for (std::size_t i = 0; i < r; ++i)
                    if (msg.scope[i] == f.scope[s]) stride[p * r + i] = f.stride[s];
            }
        }
        std::vector<std::size_t> digit(r, 0);
        std::vector<double> sum(dv);
        for (std::size_t index = 0; index < size; ++index) {
            std::fill(sum.begin(), sum.end(), 0.0);
            for (std::size_t p = 0; p < parts; ++p) {
                const double* t = data[p] + offset[p];
                for (std::size_t a = 0; a < dv; ++a) sum[a] += t[a * vstride[p]];
            }
            msg.table[index] = *std::min_element(sum.begin(), sum.end());
            for (std::size_t i = r; i-- > 0;) {  // odometer, the last variable fastest
                for (std::size_t p = 0; p < parts; ++p) offset[p] += stride[p * r + i];
                if (++digit[i] < m_.domain(msg.scope[i])) break;
                for (std::size_t p = 0; p < parts; ++p) offset[p] -= digit[i] * stride[p * r + i];
                digit[i] = 0;
            }
        }
    }

    const min_sum_model& m_;
    std::vector<std::size_t> position_{};
    std::vector<variable> order_{};
    std::vector<table_function> functions_{};
    std::vector<std::vector<std::size_t>> bucket_{}, generated_{};
    std::vector<std::uint64_t> mark_{};
    std::uint64_t stamp_ = 0;
    double constant_ = 0;
    bool split_ = false;
    std::size_t entries_ = 0, width_ = 0;
};

// The value of table f at the current assignment, with f's entry for `v` read at value 0.
inline std::size_t base_index(const table_function& f, std::span<const value_type> x, variable v) {
    std::size_t index = 0;
    for (std::size_t i = 0; i < f.scope.size(); ++i)
        if (f.scope[i] != v) index += f.stride[i] * x[f.scope[i]];
    return index;
}

inline std::size_t stride_of(const table_function& f, variable v) {
    for (std::size_t i = 0; i < f.scope.size(); ++i)
        if (f.scope[i] == v) return f.stride[i];
    return 0;
}

}  // namespace detail::bucket

/// Minimises `model` exactly (see the file comment for the method). The result's lower bound is
/// valid for every assignment within the capacities; `proven_optimal` says the search finished.
/// Throws eosdnn::error (validation) for bad options or an incumbent of the wrong size or with
/// a value out of a domain.
inline min_sum_result solve_min_sum(const min_sum_model& model,
                                    const min_sum_options& options = {}) {
    using namespace detail::bucket;
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    const auto past_deadline = [&] {
        if (stop_requested(options.stop)) return true;
        return options.time_limit_s > 0 &&
               std::chrono::duration<double>(clock::now() - start).count() > options.time_limit_s;
    };
    if (!(options.relative_gap >= 0 && options.relative_gap < 1))
        throw error(error_kind::validation, "min_sum_options.relative_gap is " +
                                                std::to_string(options.relative_gap) +
                                                " (must be in [0, 1))");
    const std::size_t n = model.variables();
    min_sum_result result;

    // The incumbent, and a bound that needs no elimination: each table at its minimum.
    if (!options.incumbent.empty()) {
        if (options.incumbent.size() != n)
            throw error(error_kind::validation, "min_sum_options.incumbent has " +
                                                    std::to_string(options.incumbent.size()) +
                                                    " values for " + std::to_string(n) +
                                                    " variables");
        for (std::size_t v = 0; v < n; ++v)
            if (options.incumbent[v] >= model.domain(static_cast<variable>(v)))
                throw error(error_kind::validation,
                            "min_sum_options.incumbent gives variable " + std::to_string(v) +
                                " the value " + std::to_string(options.incumbent[v]) + " of " +
                                std::to_string(model.domain(static_cast<variable>(v))));
        if (model.within_capacities(options.incumbent)) {
            result.assignment = options.incumbent;
            result.value = model.evaluate(options.incumbent);
        }
    }
    double trivial_bound = 0;
    for (const auto& f : model.factors())
        trivial_bound += *std::min_element(f.table.begin(), f.table.end());
    result.lower_bound = std::min(trivial_bound, result.value);
    if (n == 0) {
        result.assignment.clear();
        result.value = result.lower_bound = trivial_bound;
        result.proven_optimal = result.exact_tables = true;
        return result;
    }

    // The per-table limit: the budget asked for, lowered until all tables fit the total.
    if (!options.order.empty() && !is_order_of(options.order, n))
        throw error(error_kind::validation, "min_sum_options.order is not a permutation of the " +
                                                std::to_string(n) + " variables");
    const std::vector<variable> order =
        options.order.empty() ? elimination_order(model) : options.order;
    result.order = order;
    eliminator elim(model, order);
    std::size_t limit = std::max<std::size_t>(options.table_entries, 64);
    for (;;) {
        elim.run(limit, false, [] { return false; });
        if (elim.entries() <= options.total_entries || limit <= 64) break;
        limit /= 4;
    }
    if (!elim.run(limit, true, past_deadline)) {
        result.timed_out = true;
        return result;
    }
    result.exact_tables = !elim.split();
    result.width = elim.width();
    result.entries = elim.entries();
    const auto& fn = elim.functions();

    // Depth-first branch and bound, variables in reverse elimination order. The value of a
    // partial assignment is the tables of the assigned buckets plus the messages that unassigned
    // buckets sent into them: a lower bound of every completion, exact without splits.
    std::vector<value_type> x(n, 0);
    std::vector<double> load(model.capacities().size(), 0.0);
    const auto capacity = model.capacities();
    std::vector<std::size_t> offset(n + 1, 0);  // candidates of level k at offset[k]
    for (std::size_t k = 0; k < n; ++k) offset[k + 1] = offset[k] + model.domain(order[k]);
    std::vector<std::pair<double, value_type>> candidates(offset[n]);
    struct frame {
        std::size_t level, count, next;
        bool assigned;
    };
    std::vector<frame> stack;
    stack.reserve(n);
    std::vector<std::size_t> base, vstride;
    std::size_t steps = 0;

    double upper = result.value;
    double pruned = inf;  // the smallest bound of a pruned subtree
    const auto tolerance = [&] {
        return std::isfinite(upper) ? options.relative_gap * std::abs(upper) : 0.0;
    };

    // Scores every value of the variable of `level` below a node valued `parent`.
    const auto expand = [&](std::size_t level, double parent) {
        const variable v = order[level];
        double sent = 0;
        for (std::size_t id : elim.generated(v)) {
            const table_function& f = fn[id];
            sent += f.table[base_index(f, x, v)];
        }
        const auto& in = elim.bucket(v);
        base.resize(in.size());
        vstride.resize(in.size());
        for (std::size_t i = 0; i < in.size(); ++i) {
            base[i] = base_index(fn[in[i]], x, v);
            vstride[i] = stride_of(fn[in[i]], v);
        }
        std::size_t count = 0;
        auto* out = candidates.data() + offset[level];
        for (value_type a = 0; a < model.domain(v); ++a) {
            const auto [r, amount] = model.usage(v, a);
            if (r != min_sum_model::no_resource && load[r] + amount > capacity[r]) continue;
            double c = 0;
            for (std::size_t i = 0; i < in.size(); ++i)
                c += fn[in[i]].table[base[i] + a * vstride[i]];
            const double score = parent - sent + c;
            if (!(score < inf)) continue;
            out[count++] = {score, a};
        }
        std::sort(out, out + count);
        stack.push_back({level, count, 0, false});
        ++result.search_nodes;
    };
    const auto release = [&](const frame& fr) {
        if (!fr.assigned) return;
        const variable v = order[fr.level];
        const auto [r, amount] = model.usage(v, x[v]);
        if (r != min_sum_model::no_resource) load[r] -= amount;
    };

    // The bound proven so far: the best of what was pruned and what is still open (the final
    // bound below is the same, at the end).
    const auto open_bound = [&] {
        double lower = std::min(upper, pruned);
        for (const frame& fr : stack)
            if (fr.next < fr.count)
                lower = std::min(lower, candidates[offset[fr.level] + fr.next].first);
        return lower;
    };
    auto last_report = clock::now();
    const auto report_progress = [&] {
        if (!options.on_progress) return;
        const auto now = clock::now();
        if (now - last_report < std::chrono::seconds(1)) return;
        last_report = now;
        options.on_progress(upper, std::max(result.lower_bound, open_bound()));
    };

    // One search from the root; false if it stopped after `budget` nodes (not by the clock).
    const double root = elim.constant();
    const auto search = [&](std::size_t budget) {
        stack.clear();
        std::fill(load.begin(), load.end(), 0.0);
        pruned = inf;
        const std::size_t first_node = result.search_nodes;
        if (root < upper - tolerance())
            expand(n - 1, root);
        else
            pruned = std::min(pruned, root);
        while (!stack.empty()) {
            if ((++steps & 1023) == 0) {
                if (past_deadline()) {
                    result.timed_out = true;
                    break;
                }
                report_progress();
            }
            if (result.search_nodes - first_node > budget) return false;
            frame& top = stack.back();
            release(top);
            top.assigned = false;
            if (top.next == top.count) {
                stack.pop_back();
                continue;
            }
            const auto [score, a] = candidates[offset[top.level] + top.next++];
            if (!(score < upper - tolerance())) {
                pruned = std::min(pruned, score);  // the rest of this frame scores at least as much
                top.next = top.count;
                continue;
            }
            const variable v = order[top.level];
            x[v] = a;
            top.assigned = true;
            const auto [r, amount] = model.usage(v, a);
            if (r != min_sum_model::no_resource) load[r] += amount;
            if (top.level == 0) {
                const double value = model.evaluate(x);  // exact, not the accumulated score
                if (value < upper) {
                    upper = value;
                    result.assignment = x;
                    result.value = value;
                }
                continue;
            }
            const std::size_t level = top.level - 1;  // `top` may move when the stack grows
            expand(level, score);
        }
        return true;
    };

    // With split tables a search can be long, and it prunes only as well as its best plan: a
    // first dive often settles it (the bound is tight more often than not); if not, the caller
    // may improve the best plan before the full search.
    constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();
    if (elim.split() && options.improve_incumbent && !search(4 * n + 64) && !result.timed_out) {
        const auto better_start = options.improve_incumbent();
        if (better_start.size() == n && model.within_capacities(better_start)) {
            const double value = model.evaluate(better_start);
            if (value < upper) {
                upper = value;
                result.assignment = better_start;
                result.value = value;
            }
        }
        search(unlimited);
    } else if (!elim.split() || !options.improve_incumbent) {
        search(unlimited);
    }

    // Lower bound: the best of what was pruned and, when stopped early, what is still open.
    double lower = result.timed_out ? open_bound() : std::min(upper, pruned);
    // The bound comes from sums taken in another order than evaluate()'s: allow for rounding.
    if (std::isfinite(lower)) lower -= 1e-12 * std::abs(lower);
    // (Stopped with nothing open and no plan, `lower` says nothing: keep the trivial bound.)
    if (!result.timed_out || std::isfinite(lower))
        result.lower_bound = std::max(result.lower_bound, lower);
    if (!result.timed_out) result.proven_optimal = true;
    if (result.lower_bound > result.value) result.lower_bound = result.value;
    return result;
}

}  // namespace eosdnn
