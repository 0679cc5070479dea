#pragma once
/// \file ids.hpp
/// The two indices every floor of eosdnn speaks in: which node, which layer.

#include <cstddef>
#include <cstdint>

namespace eosdnn {

/// Index of a node in its environment; also the value of one gene of a placement.
using node_id = std::uint16_t;

/// Index of a layer in its graph: the order in which the builder received it.
using layer_id = std::size_t;

}  // namespace eosdnn
