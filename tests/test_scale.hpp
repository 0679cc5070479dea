#pragma once
// How many seeds, repetitions and layers the heavy tests use in this build.
//
// The sanitizer build (AddressSanitizer and UndefinedBehaviorSanitizer, the CMake preset
// `sanitize` that scripts/test.sh runs) looks for memory errors and undefined behaviour, and
// finds them in the same code paths with one seed of each group, shape and environment as with
// twenty, at a fraction of the time (its ctest took 24 minutes on two cores with the full
// counts). The statistical claims over many seeds (means, worst cases, "for 10 of 10 seeds")
// are asserted by the Release run, which keeps the full counts. Every test case still runs in
// both. -DEOSDNN_TESTS_REDUCED=1 asks for the reduced counts in any build, =0 for the full ones.

#include <cstddef>

namespace eosdnn::test {

#if defined(EOSDNN_TESTS_REDUCED)
inline constexpr bool reduced_tests = EOSDNN_TESTS_REDUCED != 0;
#elif defined(__SANITIZE_ADDRESS__)  // GCC's -fsanitize=address
inline constexpr bool reduced_tests = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)  // clang's
inline constexpr bool reduced_tests = true;
#else
inline constexpr bool reduced_tests = false;
#endif
#else
inline constexpr bool reduced_tests = false;
#endif

/// The number of seeds (or trials, repetitions) of a heavy test: `reduced` under the sanitizers,
/// `full` otherwise.
constexpr unsigned seeds_here(unsigned full, unsigned reduced) {
    return reduced_tests ? reduced : full;
}

/// The size of a heavy test's instance (layers, branches): `reduced` under the sanitizers,
/// `full` otherwise.
constexpr std::size_t size_here(std::size_t full, std::size_t reduced) {
    return reduced_tests ? reduced : full;
}

}  // namespace eosdnn::test
