#pragma once
/// \file xtensor.hpp
/// The one place eosdnn includes xtensor. Only fixed-rank xt::xtensor is used: with the packaged
/// xtensor 0.24 under C++20, xt::xarray reductions with immediate evaluation, tile and pad break
/// (xtensor issues 1970, 2470, 2701). tests/detail/xtensor.cpp covers the features used here.

#include <xtensor/xtensor.hpp>

#include <cstddef>

namespace eosdnn::detail {

/// A dense row-major matrix.
template <class T>
using matrix = xt::xtensor<T, 2>;

/// A dense vector.
template <class T>
using vector = xt::xtensor<T, 1>;

}  // namespace eosdnn::detail
