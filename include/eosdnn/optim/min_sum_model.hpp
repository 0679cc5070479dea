#pragma once
/// \file min_sum_model.hpp
/// min_sum_model: a minimisation problem over discrete variables whose objective is a sum of
/// small cost tables, with optional capacity (knapsack) constraints. The exact solver of the
/// migration plan writes the sequential delay in this form (optim/exact_dag.hpp) and solves it
/// with bucket elimination and branch and bound (optim/bucket_search.hpp).

#include <eosdnn/core/error.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace eosdnn {

/// Variables `0..variables()-1`; variable `v` takes a value in `0..domain(v)-1`. The objective of
/// an assignment is the sum of every factor's table entry at that assignment. A table entry may
/// be +infinity (a forbidden combination), never NaN or -infinity. Capacities add constraints
/// `sum over v of usage(v, value of v) <= capacity` per resource.
class min_sum_model {
public:
    /// Index of a variable.
    using variable = std::uint32_t;
    /// A value of a variable (an index into its domain).
    using value_type = std::uint32_t;

    /// One term of the objective: a table over the variables of `scope`, row-major (the last
    /// variable of the scope varies fastest).
    struct factor {
        std::vector<variable> scope{};  ///< distinct variables
        std::vector<double> table{};    ///< one entry per joint value of the scope
    };

    /// Adds a variable with `domain` values (at least 1); returns its index.
    variable add_variable(std::size_t domain) {
        if (domain == 0 || domain > std::numeric_limits<value_type>::max())
            fail("a variable's domain has " + std::to_string(domain) + " values (must be >= 1)");
        domains_.push_back(static_cast<value_type>(domain));
        usage_.emplace_back();
        return static_cast<variable>(domains_.size() - 1);
    }

    /// Adds a cost table over `scope`; throws eosdnn::error (validation) if a variable is unknown
    /// or repeated, the table's size is not the product of the domains, or an entry is NaN or
    /// -infinity.
    void add_factor(std::vector<variable> scope, std::vector<double> table) {
        std::size_t size = 1;
        for (std::size_t i = 0; i < scope.size(); ++i) {
            if (scope[i] >= domains_.size())
                fail("a factor names variable " + std::to_string(scope[i]) + " of " +
                     std::to_string(domains_.size()));
            for (std::size_t k = 0; k < i; ++k)
                if (scope[k] == scope[i])
                    fail("a factor names variable " + std::to_string(scope[i]) + " twice");
            size *= domains_[scope[i]];
        }
        if (table.size() != size)
            fail("a factor's table has " + std::to_string(table.size()) + " entries, expected " +
                 std::to_string(size));
        for (double t : table)
            if (std::isnan(t) || t == -std::numeric_limits<double>::infinity())
                fail("a factor's table holds " + std::to_string(t) +
                     " (entries must be numbers or +infinity)");
        factors_.push_back({std::move(scope), std::move(table)});
    }

    /// Adds a resource of the given capacity (finite, >= 0); returns its index.
    std::uint32_t add_capacity(double capacity) {
        if (!std::isfinite(capacity) || capacity < 0)
            fail("a capacity is " + std::to_string(capacity) + " (must be finite and >= 0)");
        capacities_.push_back(capacity);
        return static_cast<std::uint32_t>(capacities_.size() - 1);
    }

    /// Says that value `a` of variable `v` uses `amount` (finite, >= 0) of resource `r`.
    void set_usage(variable v, value_type a, std::uint32_t r, double amount) {
        if (v >= domains_.size() || a >= domains_[v] || r >= capacities_.size())
            fail("set_usage names variable " + std::to_string(v) + ", value " + std::to_string(a) +
                 " or resource " + std::to_string(r) + " out of range");
        if (!std::isfinite(amount) || amount < 0)
            fail("a usage is " + std::to_string(amount) + " (must be finite and >= 0)");
        if (amount == 0) return;
        auto& u = usage_[v];
        if (u.empty()) u.assign(domains_[v], {no_resource, 0.0});
        u[a] = {r, amount};
    }

    /// Number of variables.
    std::size_t variables() const noexcept { return domains_.size(); }
    /// Number of values of variable `v`.
    std::size_t domain(variable v) const noexcept { return domains_[v]; }
    /// The factors, in the order they were added.
    std::span<const factor> factors() const noexcept { return factors_; }
    /// The capacities, by resource.
    std::span<const double> capacities() const noexcept { return capacities_; }
    /// Whether any capacity constraint exists.
    bool has_capacities() const noexcept { return !capacities_.empty(); }

    /// (resource, amount) used by value `a` of `v`; resource is `no_resource` when it uses none.
    std::pair<std::uint32_t, double> usage(variable v, value_type a) const noexcept {
        const auto& u = usage_[v];
        return u.empty() ? std::pair<std::uint32_t, double>{no_resource, 0.0} : u[a];
    }

    /// The resource index meaning "none".
    static constexpr std::uint32_t no_resource = std::numeric_limits<std::uint32_t>::max();

    /// The objective of a complete assignment (one value per variable), summed in factor order.
    double evaluate(std::span<const value_type> x) const {
        if (x.size() != domains_.size())
            fail("an assignment has " + std::to_string(x.size()) + " values for " +
                 std::to_string(domains_.size()) + " variables");
        double total = 0;
        for (const factor& f : factors_) {
            std::size_t index = 0;
            for (variable v : f.scope) index = index * domains_[v] + x[v];
            total += f.table[index];
        }
        return total;
    }

    /// Whether a complete assignment respects every capacity.
    bool within_capacities(std::span<const value_type> x) const {
        if (capacities_.empty()) return true;
        std::vector<double> load(capacities_.size(), 0.0);
        for (std::size_t v = 0; v < x.size(); ++v) {
            const auto [r, amount] = usage(static_cast<variable>(v), x[v]);
            if (r != no_resource) load[r] += amount;
        }
        for (std::size_t r = 0; r < load.size(); ++r)
            if (load[r] > capacities_[r]) return false;
        return true;
    }

private:
    [[noreturn]] static void fail(const std::string& what) {
        throw error(error_kind::validation, "min_sum_model: " + what);
    }

    std::vector<value_type> domains_{};
    std::vector<factor> factors_{};
    std::vector<double> capacities_{};
    // Per variable: empty when it uses no resource, else (resource, amount) per value.
    std::vector<std::vector<std::pair<std::uint32_t, double>>> usage_{};
};

}  // namespace eosdnn
