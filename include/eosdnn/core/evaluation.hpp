#pragma once
/// \file evaluation.hpp
/// What an evaluator returns for a placement, the switches of the objective and the constraints.

#include <eosdnn/core/ids.hpp>

#include <optional>
#include <vector>

namespace eosdnn {

/// How a DAG's migration delay is computed (see docs/model.md). On a chain all three agree.
enum class dag_schedule {
    sequential,      ///< every compute and transfer time added up (IONN, DADS); the default
    list_scheduled,  ///< layers dispatched in topological order; one layer at a time per node
    unbounded,       ///< as list_scheduled without the one-layer-per-node limit: critical path
};

/// How the completion times of several tasks become one number: `mean` (the average, the
/// default), `makespan` (the largest) or `sum` (the total).
enum class task_aggregate { mean, makespan, sum };

/// The value of one placement.
struct evaluation {
    double delay_s = 0;    ///< migration delay; for several tasks their aggregated completion time
    double upload_s = 0;   ///< one-off model upload time, when the upload term is on
    double energy_j = 0;   ///< device energy per query, when the energy term is on
    double objective = 0;  ///< what optimisers minimise (see objective_options)
    double violation = 0;  ///< 0 when every constraint holds, else how far they are broken

    /// Whether every constraint holds (violation == 0).
    bool feasible() const noexcept { return violation == 0; }
};

/// Feasible beats infeasible; between two infeasible the smaller violation wins; otherwise the
/// smaller objective.
inline bool better(const evaluation& a, const evaluation& b) noexcept {
    if (a.feasible() != b.feasible()) return a.feasible();
    if (!a.feasible() && a.violation != b.violation) return a.violation < b.violation;
    return a.objective < b.objective;
}

/// Switches of the objective.
/// objective = latency_weight * (delay_s + upload_s) + energy_weight * energy_j.
struct objective_options {
    /// How the migration delay of a DAG is computed; the default adds every time up.
    dag_schedule schedule = dag_schedule::sequential;
    bool include_upload = false;  ///< add the one-off upload sum_{j: x_j != device} m_j / B
    /// Weight of the time terms (delay_s + upload_s) in the objective, per second.
    double latency_weight = 1;
    double energy_weight = 0;  ///< > 0 needs an energy_cost_model and the device's power
};

/// Constraints of one task. The violation is the sum of
/// - for each node with a memory capacity: max(0, parameter bytes placed there - M_s) / M_s;
/// - for each pinned layer not on its node: 1;
/// - for a deadline: max(0, delay_s - deadline_s) / deadline_s.
struct constraints {
    bool memory = true;                            ///< enforce the nodes' memory_bytes
    std::vector<std::optional<node_id>> pinned{};  ///< per layer, empty for none
    /// Upper bound on delay_s in seconds, none if unset; finite and > 0 when set.
    std::optional<double> deadline_s{};
};

}  // namespace eosdnn
