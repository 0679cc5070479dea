#pragma once
/// \file thread_team.hpp
/// A small persistent team of threads for evaluating a swarm. The items of a job are split into
/// one contiguous slice per thread, and each slice into chunks. A thread claims the chunks of its
/// own slice first, then those left in the other slices: a thread the system schedules late (a
/// shared machine) finds the work done instead of holding the others back, contiguous chunks keep
/// two threads off one cache line of the results, and a row's state (an incremental evaluation
/// keeps several kB per particle) stays in the cache of the core that priced it last time, when
/// the team is balanced, instead of moving between cores on every batch. Which thread runs
/// an item depends on timing; what it computes must not (the population evaluator gives each
/// thread its own problem copy and each item its own state), and the exception a job rethrows
/// is the one of its lowest item, so a job's outcome does not depend on timing either.

#include <eosdnn/core/error.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace eosdnn::detail {

/// `size()` threads, the caller being thread 0; the others sleep between jobs.
class thread_team {
public:
    /// Starts `threads - 1` workers (none for 0 or 1). Throws eosdnn::error (validation) when
    /// the system refuses a thread, after stopping the ones already started.
    explicit thread_team(std::size_t threads)
        : thread_team(threads, [](auto&& body) { return std::thread(std::move(body)); }) {}

    /// The same, starting each worker with `start(body)`, which returns a std::thread running
    /// `body` or throws (tests use it to refuse a thread).
    template <class Start>
    thread_team(std::size_t threads, Start start) : size_(threads ? threads : 1) {
        workers_.reserve(size_ - 1);
        try {
            for (std::size_t t = 1; t < size_; ++t)
                workers_.push_back(start([this, t] { work(t); }));
        } catch (const std::exception& e) {
            // The destructor does not run for a half-built object: the workers already started
            // would wait forever on a condition variable being destroyed. Stop them here.
            const std::size_t started = workers_.size();
            stop();
            throw error(error_kind::validation,
                        "threads: could not start thread " + std::to_string(started + 2) + " of " +
                            std::to_string(size_) + " (" + e.what() + "); ask for fewer threads");
        }
    }
    thread_team(const thread_team&) = delete;
    thread_team& operator=(const thread_team&) = delete;
    /// Stops and joins the workers.
    ~thread_team() { stop(); }

    /// Number of threads, the caller included.
    std::size_t size() const noexcept { return size_; }

    /// Calls f(thread, item) once for each item in [0, count), `thread` in [0, size()) naming the
    /// thread (each thread calls f with its own number only); returns when all are done. If
    /// calls throw, every other item still runs and the exception of the lowest item is
    /// rethrown.
    template <class F>
    void for_each(std::size_t count, F& f) {
        if (size_ == 1 || count <= 1 || count > 0xffffffffu) {
            run_serial(count, f);
            return;
        }
        // About four chunks per thread: few claims, and a late thread still finds work.
        const std::size_t chunk = std::max<std::size_t>(1, count / (4 * size_));
        {
            std::lock_guard lock(mutex_);
            job_ = &f;
            call_ = [](void* job, std::size_t t, std::size_t first, std::size_t last) {
                for (std::size_t i = first; i < last; ++i) (*static_cast<F*>(job))(t, i);
            };
            count_ = count;
            chunk_ = chunk;
            error_ = nullptr;
            error_item_ = std::numeric_limits<std::size_t>::max();
            remaining_.store(count, std::memory_order_relaxed);
            ++generation_;
            for (std::size_t s = 0; s < size_; ++s)
                slices_[s].next.store(ticket(generation_, slice_begin(s, count)),
                                      std::memory_order_release);
            posted_.store(generation_, std::memory_order_release);
        }
        start_.notify_all();
        work_on(0, generation_, &f, call_, count, chunk);
        spin_until([this] { return remaining_.load(std::memory_order_acquire) == 0; });
        std::unique_lock lock(mutex_);
        done_.wait(lock, [this] { return remaining_.load(std::memory_order_acquire) == 0; });
        job_ = nullptr;
        if (error_) std::rethrow_exception(error_);
    }

private:
    // A claim counter holds the job's generation (high 32 bits) and the next item (low 32), so
    // a thread that wakes after its job ended can never claim items of the next one.
    static std::uint64_t ticket(std::size_t generation, std::size_t item) noexcept {
        return (static_cast<std::uint64_t>(generation & 0xffffffffu) << 32) | item;
    }

    template <class F>
    void run_serial(std::size_t count, F& f) {
        std::exception_ptr first;
        for (std::size_t i = 0; i < count; ++i) try {
                f(std::size_t{0}, i);
            } catch (...) {
                if (!first) first = std::current_exception();
            }
        if (first) std::rethrow_exception(first);
    }

    // Slice s of a job of `count` items: [slice_begin(s), slice_begin(s + 1)).
    std::size_t slice_begin(std::size_t s, std::size_t count) const noexcept {
        return count / size_ * s + std::min(s, count % size_);
    }

    // Claims and runs chunks of job `generation`, from slice t first, then from the slices after
    // it in turn, until none is left.
    void work_on(std::size_t t, std::size_t generation, void* job,
                 void (*call)(void*, std::size_t, std::size_t, std::size_t), std::size_t count,
                 std::size_t chunk) {
        for (std::size_t k = 0; k < size_; ++k) {
            const std::size_t s = (t + k) % size_;
            const std::size_t end = slice_begin(s + 1, count);
            std::atomic<std::uint64_t>& next = slices_[s].next;
            for (;;) {
                std::uint64_t seen = next.load(std::memory_order_acquire);
                std::size_t first = 0;
                for (;;) {
                    if ((seen >> 32) != (generation & 0xffffffffu)) return;  // a later job
                    first = static_cast<std::size_t>(seen & 0xffffffffu);
                    if (first >= end) break;
                    if (next.compare_exchange_weak(seen,
                                                   ticket(generation, std::min(end, first + chunk)),
                                                   std::memory_order_acq_rel))
                        break;
                }
                if (first >= end) break;  // this slice is done: on to the next one
                run_chunk(t, job, call, first, std::min(end, first + chunk));
            }
        }
    }

    void run_chunk(std::size_t t, void* job,
                   void (*call)(void*, std::size_t, std::size_t, std::size_t), std::size_t first,
                   std::size_t last) {
        for (std::size_t i = first; i < last; ++i) {
            try {
                call(job, t, i, i + 1);
            } catch (...) {
                std::lock_guard lock(mutex_);
                if (i < error_item_) {
                    error_item_ = i;
                    error_ = std::current_exception();
                }
            }
        }
        if (remaining_.fetch_sub(last - first, std::memory_order_acq_rel) == last - first) {
            std::lock_guard lock(mutex_);
            done_.notify_all();
        }
    }

    void stop() noexcept {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
            stopping_flag_.store(true, std::memory_order_release);
        }
        start_.notify_all();
        for (auto& w : workers_)
            if (w.joinable()) w.join();
        workers_.clear();
    }

    // Busy-waits up to spin_time for `ready`, then gives up (the caller then sleeps on its
    // condition variable). A batch of incremental evaluations lasts tens of microseconds, about
    // what a wake-up through a condition variable costs: without the spin two threads were no
    // faster than one on such batches (docs/benchmarks.md). Bounded, so that an idle team does
    // not hold a core.
    template <class Ready>
    static void spin_until(Ready ready) noexcept {
        const auto until = std::chrono::steady_clock::now() + spin_time;
        for (unsigned i = 1; !ready(); ++i) {
            relax();
            if (i % 64 == 0 && std::chrono::steady_clock::now() >= until) return;
        }
    }

    static void relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        asm volatile("yield");
#endif
    }

    void work(std::size_t t) {
        std::size_t seen = 0;
        for (;;) {
            spin_until([&] {
                return posted_.load(std::memory_order_acquire) != seen ||
                       stopping_flag_.load(std::memory_order_acquire);
            });
            std::unique_lock lock(mutex_);
            start_.wait(lock, [&] { return stopping_ || (generation_ != seen && job_); });
            if (stopping_) return;
            seen = generation_;
            auto* call = call_;
            void* job = job_;
            const std::size_t count = count_, chunk = chunk_;
            lock.unlock();
            work_on(t, seen, job, call, count, chunk);
        }
    }

    std::size_t size_;
    std::vector<std::thread> workers_{};
    std::mutex mutex_{};
    std::condition_variable start_{}, done_{};
    std::size_t generation_ = 0, count_ = 0, chunk_ = 1;
    // One claim counter per slice, each on its own cache line: the threads claim mostly from
    // their own slice, and a shared line would bounce between the cores on every claim.
    struct alignas(64) slice_counter {
        std::atomic<std::uint64_t> next{0};
    };
    std::vector<slice_counter> slices_ = std::vector<slice_counter>(size_);
    std::atomic<std::size_t> remaining_{0};
    std::atomic<std::size_t> posted_{0};  // generation_, readable without the mutex (spin_until)
    std::atomic<bool> stopping_flag_{false};  // stopping_, likewise
    static constexpr std::chrono::microseconds spin_time{200};
    bool stopping_ = false;
    void* job_ = nullptr;
    void (*call_)(void*, std::size_t, std::size_t, std::size_t) = nullptr;
    std::exception_ptr error_{};
    std::size_t error_item_ = 0;
};

}  // namespace eosdnn::detail
