#pragma once
/// \file random.hpp
/// Draws through Boost.Random distributions: unlike the standard library's, their algorithms are
/// fixed by the Boost version, so a seed reproduces the same run with libstdc++, libc++ or MSVC.

#include <boost/random/bernoulli_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>

#include <cstddef>
#include <random>

namespace eosdnn::detail {

/// A uniform index in [0, n); n must be > 0.
template <std::uniform_random_bit_generator Rng>
std::size_t draw_index(std::size_t n, Rng& rng) {
    return boost::random::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
}

/// True with probability p (p in [0, 1]); p == 0 and p == 1 consume no draw.
template <std::uniform_random_bit_generator Rng>
bool draw_bernoulli(double p, Rng& rng) {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return boost::random::bernoulli_distribution<double>(p)(rng);
}

/// A uniform real in [lo, hi).
template <std::uniform_random_bit_generator Rng>
double draw_real(double lo, double hi, Rng& rng) {
    return boost::random::uniform_real_distribution<double>(lo, hi)(rng);
}

}  // namespace eosdnn::detail
