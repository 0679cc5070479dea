#pragma once
/// \file domain_problem.hpp
/// A placement problem restricted, gene by gene, to a subset of its choices: how the re-planner
/// keeps PSO-GA off the nodes that left a session (node ids stay stable), or on the nodes that
/// hold a layer's parameters; and every placement within such subsets, enumerated.

#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/ids.hpp>
#include <eosdnn/core/problem.hpp>

#include <cstddef>
#include <span>
#include <vector>

namespace eosdnn {

/// Gene j of `problem` may take only domains[j] (each a subset of problem.choices(j)); evaluate()
/// forwards. References both: they must outlive it.
template <placement_problem P>
class domain_problem {
public:
    /// Restricts `problem` to `domains` (one per gene).
    domain_problem(P& problem, std::span<const std::vector<node_id>> domains)
        : problem_(&problem), domains_(domains) {}
    /// The problem's dimension.
    std::size_t dimension() const { return problem_->dimension(); }
    /// domains[gene].
    std::span<const node_id> choices(std::size_t gene) const { return domains_[gene]; }
    /// The problem's evaluation of `x`.
    evaluation evaluate(std::span<const node_id> x) { return problem_->evaluate(x); }

private:
    P* problem_;
    std::span<const std::vector<node_id>> domains_;
};

/// Calls f(x) for every placement x with x[j] in domains[j] (the first gene varying fastest),
/// unless there are more than `limit` of them: then it calls nothing and returns false.
template <class F>
bool for_each_placement(const std::vector<std::vector<node_id>>& domains, std::size_t limit,
                        F&& f) {
    double count = 1;
    for (const auto& v : domains) count *= static_cast<double>(v.size());
    if (count > static_cast<double>(limit)) return false;
    std::vector<std::size_t> digit(domains.size(), 0);
    std::vector<node_id> x(domains.size());
    for (std::size_t k = 0; k < static_cast<std::size_t>(count); ++k) {
        for (std::size_t j = 0; j < x.size(); ++j) x[j] = domains[j][digit[j]];
        f(std::span<const node_id>(x));
        for (std::size_t j = 0; j < x.size() && ++digit[j] == domains[j].size(); ++j) digit[j] = 0;
    }
    return true;
}

}  // namespace eosdnn
