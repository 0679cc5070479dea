#pragma once
/// \file temporary_files.hpp
/// The temporaries of the atomic writers (io/atomic_file.hpp), known to the process so that a
/// signal handler can remove them: a program killed by SIGINT or SIGTERM while it writes its
/// output would otherwise leave `file.tmp-NNN` behind, tens of megabytes for a long convergence
/// log. The library installs no handler of its own (signals belong to the application);
/// `remove_temporaries_on_signals()` installs one for programs that want it, as eosdnn-plan does,
/// and `remove_pending_temporaries()` can be called from a handler of the application's own.

#include <array>
#include <atomic>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>

#if defined(__unix__) || defined(__APPLE__)
#include <signal.h>
#include <unistd.h>
#define EOSDNN_HAS_POSIX_SIGNALS 1
#endif

namespace eosdnn {

namespace detail {

/// The slots a signal handler reads: each a path published atomically, so that the handler
/// sees only complete paths and never allocates. A namespace-scope constant-initialised table of
/// lock-free atomics with trivial destructors: the handler never runs a function-local static's
/// guarded initialisation (not async-signal-safe) and can never find the table destroyed.
/// 256 slots: one per file of a run being written at once; a path that finds no free slot is
/// simply not cleaned up by a signal.
struct pending_slots {
    static constexpr std::size_t capacity = 256;
    std::array<std::atomic<const char*>, capacity> path{};
    std::array<std::atomic<bool>, capacity> directory{};
};
static_assert(std::atomic<const char*>::is_always_lock_free &&
              std::atomic<bool>::is_always_lock_free);
inline constinit pending_slots pending_slot_table{};

/// The paths registered for removal by a signal: the slots above, and the strings they point to,
/// owned here (by the threads that add and forget them, never by the handler).
class pending_temporaries {
public:
    static constexpr std::size_t capacity = pending_slots::capacity;

    static pending_temporaries& instance() noexcept {
        static pending_temporaries table;
        return table;
    }

    /// Registers `path`; returns its slot, or `capacity` if every slot is taken.
    std::size_t add(const std::string& path, bool directory) {
        auto copy = std::make_unique<char[]>(path.size() + 1);
        std::memcpy(copy.get(), path.c_str(), path.size() + 1);
        auto& slots = pending_slot_table;
        for (std::size_t k = 0; k < capacity; ++k) {
            const char* expected = nullptr;
            // Claimed slot by slot: a free slot's owner is empty (forget() empties it first).
            if (slots.path[k].compare_exchange_strong(expected, copy.get())) {
                slots.directory[k].store(directory);
                owned_[k] = std::move(copy);
                return k;
            }
        }
        return capacity;
    }

    /// Forgets a slot (the file was renamed into place or removed). The string is taken from
    /// its owner before the slot is freed, so that another thread's add() may claim the slot at
    /// once, and freed after, so that a handler reading the slot meanwhile reads a live string.
    void forget(std::size_t slot) noexcept {
        if (slot >= capacity) return;
        const std::unique_ptr<char[]> old = std::move(owned_[slot]);
        pending_slot_table.path[slot].store(nullptr);
    }

    /// Removes every registered path; async-signal-safe (unlink, rmdir and atomic loads only).
    static void remove_all() noexcept {
#ifdef EOSDNN_HAS_POSIX_SIGNALS
        auto& slots = pending_slot_table;
        // Files first, so that a directory registered as created is empty by the time it goes.
        for (std::size_t k = 0; k < capacity; ++k) {
            const char* p = slots.path[k].load();
            if (p != nullptr && !slots.directory[k].load()) ::unlink(p);
        }
        // Then the directories, in passes until one removes nothing: a parent is tried while
        // its child is still there (rmdir of a non-empty directory fails harmlessly) and goes in
        // the next pass.
        for (bool removed = true; removed;) {
            removed = false;
            for (std::size_t k = 0; k < capacity; ++k) {
                const char* p = slots.path[k].load();
                if (p != nullptr && slots.directory[k].load() && ::rmdir(p) == 0) removed = true;
            }
        }
#endif
    }

private:
    pending_temporaries() = default;
    std::array<std::unique_ptr<char[]>, capacity> owned_{};
};

/// Registers a path for the lifetime of the guard; release() forgets it early.
class pending_path_guard {
public:
    pending_path_guard(const std::string& path, bool directory)
        : slot_(pending_temporaries::instance().add(path, directory)) {}
    pending_path_guard(const pending_path_guard&) = delete;
    pending_path_guard& operator=(const pending_path_guard&) = delete;
    pending_path_guard(pending_path_guard&& other) noexcept
        : slot_(std::exchange(other.slot_, pending_temporaries::capacity)) {}
    pending_path_guard& operator=(pending_path_guard&&) = delete;
    ~pending_path_guard() { release(); }
    void release() noexcept {
        pending_temporaries::instance().forget(slot_);
        slot_ = pending_temporaries::capacity;
    }

private:
    std::size_t slot_;
};

#ifdef EOSDNN_HAS_POSIX_SIGNALS
extern "C" inline void remove_temporaries_and_reraise(int signal_number) {
    pending_temporaries::remove_all();
    // Installed with SA_RESETHAND | SA_NODEFER: the default action is back and the signal is not
    // blocked, so re-raising ends the process as the signal would have (128 + signal in a shell).
    std::raise(signal_number);
}
#endif

}  // namespace detail

/// Removes the temporaries of atomic writes in progress (and output directories they created
/// that are still empty). Async-signal-safe: call it from a signal handler of your own.
inline void remove_pending_temporaries() noexcept { detail::pending_temporaries::remove_all(); }

/// Installs, for each of `signals`, a handler that removes the pending temporaries and then
/// lets the signal end the process as it would have. A signal whose handler the program has
/// already set (not SIG_DFL) is left alone. POSIX only; a no-op elsewhere.
inline void remove_temporaries_on_signals(std::initializer_list<int> signals) {
#ifdef EOSDNN_HAS_POSIX_SIGNALS
    for (int s : signals) {
        struct sigaction current {};
        if (::sigaction(s, nullptr, &current) != 0 || current.sa_handler != SIG_DFL) continue;
        struct sigaction action {};
        action.sa_handler = detail::remove_temporaries_and_reraise;
        ::sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESETHAND | SA_NODEFER;
        ::sigaction(s, &action, nullptr);
    }
#else
    (void)signals;
#endif
}

/// The same for the signals that end a program by default while it may be writing: an
/// interrupt, a termination request, a hang-up, and a write past the file size limit.
inline void remove_temporaries_on_signals() {
#ifdef EOSDNN_HAS_POSIX_SIGNALS
    remove_temporaries_on_signals({SIGINT, SIGTERM, SIGHUP, SIGXFSZ});
#else
    remove_temporaries_on_signals({SIGINT, SIGTERM});
#endif
}

}  // namespace eosdnn
