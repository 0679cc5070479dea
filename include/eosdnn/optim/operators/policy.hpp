#pragma once
/// \file policy.hpp
/// What every policy of the optimisers shares: an optional `validate()`, called once when the
/// optimiser is built. A policy with nothing to check simply has none.

#include <utility>

namespace eosdnn {

/// A policy that checks its parameters: `p.validate()` throws eosdnn::error if one is invalid.
template <class T>
concept validating_policy = requires(const T& p) {
    p.validate();
};

/// Calls `policy.validate()` when the policy has one; a policy without it is always valid.
template <class T>
void validate_policy(const T& policy) {
    if constexpr (validating_policy<T>) policy.validate();
}

}  // namespace eosdnn
