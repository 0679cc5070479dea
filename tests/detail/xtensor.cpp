// Exactly the xtensor features eosdnn uses, through eosdnn/detail/xtensor.hpp, so that an
// xtensor upgrade (or the C++20 issues of the packaged 0.24) shows up here first:
// fixed-rank matrices built from a shape (std::array or a braced list) with or without a fill
// value, default (empty) construction, shape(k), size(), operator()(i, j) and unchecked(i, j),
// fill(), data() in row-major order, deep copies, moves and assignment that resizes.

#include <eosdnn/detail/xtensor.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

using eosdnn::detail::matrix;
using eosdnn::detail::vector;

static_assert(std::is_same_v<matrix<double>, xt::xtensor<double, 2>>);
static_assert(std::is_same_v<vector<double>, xt::xtensor<double, 1>>);

TEST_CASE_TEMPLATE("xtensor: a matrix built from a shape and a value", T, double, std::uint16_t) {
    const std::array<std::size_t, 2> shape{3, 4};
    matrix<T> m(shape, T(7));
    CHECK(m.dimension() == 2);
    CHECK(m.shape(0) == 3);
    CHECK(m.shape(1) == 4);
    CHECK(m.size() == 12);
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 4; ++j) CHECK(m(i, j) == T(7));

    // Element access writes where (i, j) says, and data() is row-major: (i, j) at i * cols + j.
    m(1, 2) = T(5);
    m.unchecked(2, 3) = T(9);
    CHECK(m(1, 2) == T(5));
    CHECK(m.unchecked(1, 2) == T(5));
    CHECK(m(2, 3) == T(9));
    CHECK(m.data()[1 * 4 + 2] == T(5));
    CHECK(m.data()[2 * 4 + 3] == T(9));
    CHECK(std::count(m.begin(), m.end(), T(7)) == 10);

    // Read through a const reference.
    const matrix<T>& c = std::as_const(m);
    CHECK(c(1, 2) == T(5));
    CHECK(c.unchecked(2, 3) == T(9));
    CHECK(c.data()[0] == T(7));

    m.fill(T(1));
    CHECK(std::all_of(m.begin(), m.end(), [](T v) { return v == T(1); }));
    CHECK(m.shape(0) == 3);
}

TEST_CASE_TEMPLATE("xtensor: a matrix built from a braced shape", T, double, std::uint16_t) {
    // The braced list is a shape, not values: for rank 2, values would need nested braces.
    // Without a value the elements are uninitialised, so the user fills them.
    const std::size_t rows = 5, cols = 2;
    matrix<T> m({rows, cols});
    CHECK(m.shape(0) == 5);
    CHECK(m.shape(1) == 2);
    m.fill(T(3));
    CHECK(m(4, 1) == T(3));

    // Nested braces are values.
    const matrix<T> values{{T(1), T(2), T(3)}, {T(4), T(5), T(6)}};
    CHECK(values.shape(0) == 2);
    CHECK(values.shape(1) == 3);
    CHECK(values(1, 0) == T(4));
}

TEST_CASE("xtensor: default construction, assignment that resizes, copies and moves") {
    matrix<double> m{};
    CHECK(m.size() == 0);

    m = matrix<double>(std::array<std::size_t, 2>{2, 3}, 0.5);
    CHECK(m.shape(0) == 2);
    CHECK(m.shape(1) == 3);
    CHECK(m(1, 2) == 0.5);

    // A copy is deep.
    matrix<double> copy = m;
    copy(0, 0) = 8;
    CHECK(m(0, 0) == 0.5);
    CHECK(copy(0, 0) == 8);
    CHECK(copy.shape(1) == 3);
    m = copy;
    CHECK(m(0, 0) == 8);

    // Copying rows element by element through data(), as row views over a population do.
    matrix<double> other(std::array<std::size_t, 2>{2, 3}, 0.0);
    std::copy(m.data() + 3, m.data() + 6, other.data());
    CHECK(other(0, 2) == m(1, 2));

    // A move keeps the contents.
    matrix<double> moved = std::move(copy);
    CHECK(moved(0, 0) == 8);
    CHECK(moved.shape(0) == 2);

    // Assigning a smaller matrix shrinks.
    m = matrix<double>(std::array<std::size_t, 2>{1, 1}, 2.0);
    CHECK(m.size() == 1);
    CHECK(m(0, 0) == 2.0);
}

TEST_CASE("xtensor: a vector built from a shape") {
    // For rank 1 a braced {n} would be the values, so the shape goes in a std::array.
    vector<double> v(std::array<std::size_t, 1>{4}, 1.5);
    CHECK(v.shape(0) == 4);
    CHECK(v(3) == 1.5);
    v.fill(0);
    v(2) = 6;
    CHECK(v.data()[2] == 6);
    const vector<double> one({4.0});
    CHECK(one.size() == 1);
    CHECK(one(0) == 4.0);
}
