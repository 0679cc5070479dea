#pragma once
// What the bit-for-bit tests of the evaluators share (tests/cost/incremental_dag.cpp,
// tests/cost/batch_evaluation.cpp): the same double compared as bytes, every field of an
// evaluation, and an environment with every optional term switched on.
#include <eosdnn/core/evaluation.hpp>
#include <eosdnn/cost/environment.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <cstring>

namespace cost_test {

// Bit for bit: the same double, compared as bytes (so +0.0 and -0.0 differ).
inline bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

inline void require_same(const eosdnn::evaluation& a, const eosdnn::evaluation& b) {
    REQUIRE(same_bits(a.delay_s, b.delay_s));
    REQUIRE(same_bits(a.upload_s, b.upload_s));
    REQUIRE(same_bits(a.energy_j, b.energy_j));
    REQUIRE(same_bits(a.objective, b.objective));
    REQUIRE(same_bits(a.violation, b.violation));
}

// `env` with memory capacities on the servers (a third of the model each) and a power profile
// on node 0.
inline eosdnn::environment with_extras(const eosdnn::environment& env, double param_bytes) {
    using namespace eosdnn;
    environment_builder b;
    for (std::size_t s = 0; s < env.size(); ++s) {
        node nd = env[static_cast<node_id>(s)];
        if (nd.tier != tier::local) nd.memory_bytes = param_bytes / 3;
        if (s == 0) nd.power = power_profile{.compute_w = 3, .transmit_w = 1.5, .idle_w = 0.4};
        b.add_node(nd);
    }
    for (std::size_t a = 0; a < env.size(); ++a)
        for (std::size_t c = 0; c < env.size(); ++c)
            if (a != c)
                if (const auto& l =
                        env.link_between(static_cast<node_id>(a), static_cast<node_id>(c)))
                    b.connect_one_way(static_cast<node_id>(a), static_cast<node_id>(c), *l);
    return b.build();
}

}  // namespace cost_test
