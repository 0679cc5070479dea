#pragma once
/// \file thread_team.hpp
/// A small persistent team of threads for evaluating a swarm. Items are dealt to threads by a
/// fixed rule (item i to thread i % size), never by work stealing, so which problem copy prices
/// which particle does not depend on timing.

#include <eosdnn/core/error.hpp>

#include <condition_variable>
#include <cstddef>
#include <exception>
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

    /// Calls f(thread, item) for item in [0, count), item i on thread i % size(); returns when
    /// all are done and rethrows the first exception a thread raised.
    template <class F>
    void for_each(std::size_t count, F& f) {
        if (size_ == 1) {
            for (std::size_t i = 0; i < count; ++i) f(std::size_t{0}, i);
            return;
        }
        {
            std::lock_guard lock(mutex_);
            job_ = &f;
            call_ = [](void* job, std::size_t t, std::size_t n, std::size_t stride) {
                for (std::size_t i = t; i < n; i += stride) (*static_cast<F*>(job))(t, i);
            };
            count_ = count;
            pending_ = size_ - 1;
            error_ = nullptr;
            ++generation_;
        }
        start_.notify_all();
        std::exception_ptr mine;
        try {
            call_(job_, 0, count, size_);
        } catch (...) {
            mine = std::current_exception();
        }
        std::unique_lock lock(mutex_);
        done_.wait(lock, [this] { return pending_ == 0; });
        if (mine) std::rethrow_exception(mine);
        if (error_) std::rethrow_exception(error_);
    }

private:
    void stop() noexcept {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        start_.notify_all();
        for (auto& w : workers_)
            if (w.joinable()) w.join();
        workers_.clear();
    }

    void work(std::size_t t) {
        std::size_t seen = 0;
        for (;;) {
            std::unique_lock lock(mutex_);
            start_.wait(lock, [&] { return stopping_ || generation_ != seen; });
            if (stopping_) return;
            seen = generation_;
            auto* call = call_;
            void* job = job_;
            const std::size_t count = count_;
            lock.unlock();
            std::exception_ptr caught;
            try {
                call(job, t, count, size_);
            } catch (...) {
                caught = std::current_exception();
            }
            lock.lock();
            if (caught && !error_) error_ = caught;
            if (--pending_ == 0) done_.notify_one();
        }
    }

    std::size_t size_;
    std::vector<std::thread> workers_{};
    std::mutex mutex_{};
    std::condition_variable start_{}, done_{};
    std::size_t generation_ = 0, pending_ = 0, count_ = 0;
    bool stopping_ = false;
    void* job_ = nullptr;
    void (*call_)(void*, std::size_t, std::size_t, std::size_t) = nullptr;
    std::exception_ptr error_{};
};

}  // namespace eosdnn::detail
