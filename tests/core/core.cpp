// The bottom floor: evaluation order, gene ranges, the pins concept and message pieces.
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/core/gene_range.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/core/problem.hpp>

#include <doctest/doctest.h>

#include <limits>
#include <optional>
#include <sstream>
#include <vector>

using namespace eosdnn;

namespace {

// The smallest placement problem, without pins and with them.
struct plain_problem {
    std::vector<node_id> nodes{0, 1};
    std::size_t dimension() const { return 3; }
    std::span<const node_id> choices(std::size_t) const { return nodes; }
    evaluation evaluate(std::span<const node_id>) { return {}; }
};
struct pinned_problem_of_three : plain_problem {
    std::vector<std::optional<node_id>> pins{std::nullopt, node_id{1}, std::nullopt};
    std::span<const std::optional<node_id>> pinned() const { return pins; }
};
static_assert(placement_problem<plain_problem> && !pinned_placement_problem<plain_problem>);
static_assert(pinned_placement_problem<pinned_problem_of_three>);

}  // namespace

TEST_CASE("core: better() puts feasibility first, then the violation, then the objective") {
    const evaluation fast_broken{.objective = 1, .violation = 0.5};
    const evaluation slow_ok{.objective = 9};
    const evaluation slower_ok{.objective = 10};
    const evaluation less_broken{.objective = 5, .violation = 0.1};
    CHECK(better(slow_ok, fast_broken));
    CHECK_FALSE(better(fast_broken, slow_ok));
    CHECK(better(slow_ok, slower_ok));
    CHECK(better(less_broken, fast_broken));
    CHECK_FALSE(better(slow_ok, slow_ok));  // strict: equal values are not better
}

TEST_CASE("core: gene_range merges into the smallest hull and treats empty ranges as neutral") {
    constexpr gene_range a{2, 5}, b{7, 9}, none{4, 4};
    CHECK(a.merged(b) == gene_range{2, 9});
    CHECK(b.merged(a) == gene_range{2, 9});
    CHECK(a.merged(none) == a);
    CHECK(none.merged(b) == b);
    CHECK(none.empty());
    CHECK(none.size() == 0);
    CHECK(a.size() == 3);
    gene_range grown = none;
    grown |= a;
    grown |= b;
    CHECK(grown == gene_range{2, 9});
}

TEST_CASE("core: pins_of() reads pinned() when a problem names its pins, and nothing otherwise") {
    const plain_problem plain;
    const pinned_problem_of_three pinned;
    CHECK(pins_of(plain).empty());
    REQUIRE(pins_of(pinned).size() == 3);
    CHECK_FALSE(pins_of(pinned)[0].has_value());
    CHECK(*pins_of(pinned)[1] == 1);
}

TEST_CASE("core: messages print numbers as an ostream does and name nodes and layers alike") {
    for (double v :
         {0.0, -1.5, 1e-9, 123456789.0, 0.1 + 0.2, 3.0, std::numeric_limits<double>::infinity(),
          -std::numeric_limits<double>::infinity()}) {
        std::ostringstream out;
        out << v;
        CHECK(detail::format_number(v) == out.str());
    }
    CHECK(detail::node_label(2, "edge1") == "node 2 ('edge1')");
    CHECK(detail::node_label(7) == "node 7");
    CHECK(detail::layer_label(3, "conv1") == "layer 3 ('conv1')");
    CHECK_THROWS_WITH_AS(detail::fail_validation("where", "what"), "where: what", error);
    try {
        detail::fail_validation("a", "b");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::validation);
    }
}
