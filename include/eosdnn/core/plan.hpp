#pragma once
/// \file plan.hpp
/// migration_plan: which node runs each layer of one model, and what that placement costs.

#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/ids.hpp>

#include <string>
#include <vector>

namespace eosdnn {

/// The result of planning one model: a placement and its value.
///
/// Layers and nodes are referred to by index (layer_id, node_id), which is what evaluators and
/// optimisers work with, so a plan is meaningful only together with the layer_graph and the
/// environment it was planned for. Stored on disk (io/json.hpp) it refers to them by name
/// instead, so that a saved plan survives a re-ordering of the environment's nodes and is
/// checked against the model when loaded.
struct migration_plan {
    std::string model{};               ///< name of the layer_graph the plan places
    std::string algorithm{};           ///< what produced it ("pso-ga", "viterbi", "all-local", ...)
    std::vector<node_id> placement{};  ///< x_j: the node that runs layer j, indexed by layer_id
    evaluation value{};  ///< the placement's value under the options it was planned with
};

}  // namespace eosdnn
