#pragma once
/// \file stop_request.hpp
/// A request to end a search early and keep what it found. Every optimiser (through its
/// options' `stop`) and the exact solvers (exact_options::stop) read it between steps: the run
/// ends at its next iteration, or the next check of its deadline, with the best plan so far and
/// says so (optimisation_result::stopped_by_request, exact_result::stopped_by_request).
///
/// It may be set from another thread or from a signal handler: both members are lock-free
/// atomics, whose loads and stores are async-signal-safe. io/stop_on_signals.hpp installs such a
/// handler for SIGINT and SIGTERM, as eosdnn-plan does.

#include <atomic>

namespace eosdnn {

/// Set once by whoever wants the search to end; read by the search. Not copyable: searches hold
/// a pointer to it.
class stop_request {
public:
    stop_request() = default;
    stop_request(const stop_request&) = delete;
    stop_request& operator=(const stop_request&) = delete;

    /// Asks the searches that read this request to stop; `signal_number` records why (0: not a
    /// signal). Async-signal-safe.
    void request(int signal_number = 0) noexcept {
        signal_.store(signal_number, std::memory_order_relaxed);
        requested_.store(true, std::memory_order_release);
    }

    /// True once request() was called (and reset() was not called since).
    bool requested() const noexcept { return requested_.load(std::memory_order_acquire); }

    /// The signal that made the request, 0 if none (or if it came from a call).
    int signal_number() const noexcept { return signal_.load(std::memory_order_relaxed); }

    /// Withdraws the request, for the next search.
    void reset() noexcept {
        requested_.store(false, std::memory_order_relaxed);
        signal_.store(0, std::memory_order_relaxed);
    }

private:
    // A signal handler may only touch lock-free atomics (C++20 [support.signal]).
    static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free);
    std::atomic<bool> requested_{false};
    std::atomic<int> signal_{0};
};

/// True if `stop` is set and its request was made; the searches' one way of asking.
inline bool stop_requested(const stop_request* stop) noexcept {
    return stop != nullptr && stop->requested();
}

}  // namespace eosdnn
