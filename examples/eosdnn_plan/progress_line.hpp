#pragma once
// eosdnn-plan's progress line on stderr (docs/getting-started.md, "Progress and errors").
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace eosdnn::cli {

/// A progress line on stderr, shown only when stderr is a terminal and a phase lasts more than a
/// second; erased when the phase ends.
class progress_line {
public:
    progress_line() : enabled_(::isatty(2) == 1) {}
    progress_line(const progress_line&) = delete;
    progress_line& operator=(const progress_line&) = delete;
    ~progress_line() { end(); }

    /// Starts a phase ("planning the migration (pso-ga)").
    void begin(std::string what, std::size_t horizon = 0) {
        end();
        if (!enabled_) return;
        what_ = std::move(what);
        horizon_ = horizon;
        iteration_ = 0;
        best_ = std::numeric_limits<double>::quiet_NaN();
        done_ = false;
        thread_ = std::thread([this] { loop(); });
    }

    /// What an optimiser's observer reports.
    void update(std::size_t iteration, double best) {
        iteration_.store(iteration, std::memory_order_relaxed);
        best_.store(best, std::memory_order_relaxed);
    }

    void end() {
        if (!thread_.joinable()) return;
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }

private:
    void loop() {
        using namespace std::chrono;
        const auto start = steady_clock::now();
        bool shown = false;
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, milliseconds(200), [this] { return done_; })) {
            const double elapsed = duration<double>(steady_clock::now() - start).count();
            if (elapsed < 1.0) continue;
            shown = true;
            std::string line = "eosdnn-plan: " + what_;
            const std::size_t it = iteration_.load(std::memory_order_relaxed);
            if (horizon_ > 0 && it > 0)
                line += ", iteration " + std::to_string(it) + "/" + std::to_string(horizon_);
            const double best = best_.load(std::memory_order_relaxed);
            char buffer[96];
            if (!std::isnan(best)) {
                // "%.3f ms" of 5.1e306 s does not fit the buffer: large values in seconds.
                if (best < 1e12)
                    std::snprintf(buffer, sizeof buffer, ", best %.3f ms", best * 1e3);
                else
                    std::snprintf(buffer, sizeof buffer, ", best %.4g s", best);
                line += buffer;
            }
            std::snprintf(buffer, sizeof buffer, " (%.1f s)", elapsed);
            line += buffer;
            std::fprintf(stderr, "\r\033[K%s", line.c_str());
            std::fflush(stderr);
        }
        if (shown) {
            std::fputs("\r\033[K", stderr);
            std::fflush(stderr);
        }
    }

    bool enabled_;
    std::string what_{};
    std::size_t horizon_ = 0;
    std::atomic<std::size_t> iteration_{0};
    std::atomic<double> best_{0};
    std::mutex mutex_{};
    std::condition_variable wake_{};
    bool done_ = false;
    std::thread thread_{};
};

}  // namespace eosdnn::cli
