#pragma once
/// \file single_user.hpp
/// The debug-build check that one evaluator is not used by two threads at once. evaluate()
/// writes the evaluator's scratch buffers, so two threads inside one evaluator corrupt each
/// other's results silently; the rule is one copy per thread (docs/cost-models.md). Without
/// NDEBUG every mutating call marks the evaluator busy for its duration and throws if it
/// already is; with NDEBUG the check is an empty member (no size, no work).

#include <eosdnn/core/error.hpp>

#include <string>
#include <string_view>

#ifndef NDEBUG
#include <atomic>
#endif

namespace eosdnn::detail {

#ifndef NDEBUG

/// A busy flag set and cleared by scope objects. Copying an evaluator gives a new, idle flag:
/// the copy is a different evaluator.
class single_user {
public:
    single_user() = default;
    single_user(const single_user&) noexcept {}
    single_user& operator=(const single_user&) noexcept { return *this; }

    /// Holds the flag from construction to destruction.
    class [[nodiscard]] scope {
    public:
        scope(single_user& owner, std::string_view who) : owner_(owner) {
            if (owner_.busy_.exchange(true, std::memory_order_acquire))
                throw error(error_kind::validation,
                            std::string(who) +
                                ": called while another call is inside the same evaluator (two "
                                "threads sharing it?); an evaluator keeps scratch buffers and is "
                                "not thread-safe: give each thread its own copy");
        }
        ~scope() { owner_.busy_.store(false, std::memory_order_release); }
        scope(const scope&) = delete;
        scope& operator=(const scope&) = delete;

    private:
        single_user& owner_;
    };

    /// Marks the evaluator busy until the returned scope ends; throws eosdnn::error
    /// (validation), naming `who`, if it already is.
    scope enter(std::string_view who) { return scope(*this, who); }

private:
    std::atomic<bool> busy_{false};
};

#else

/// NDEBUG: no flag and no check.
class single_user {
public:
    /// Nothing to hold.
    class [[nodiscard]] scope {};

    scope enter(std::string_view) noexcept { return {}; }
};

#endif

}  // namespace eosdnn::detail
