#pragma once
// eosdnn-plan's progress line on stderr (docs/getting-started.md, "Progress and errors").
#include <unistd.h>

#include <algorithm>
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

/// A progress line on stderr, shown only when stderr is a terminal (and not turned off: --quiet)
/// and a phase lasts more than a second; erased when the phase ends. It shows the iteration, the
/// best objective, the elapsed time and an estimate of the time left: the smaller of the time
/// limit's remainder and the planned iterations left at the pace so far (a stall stop may end
/// the phase sooner, hence "at most").
class progress_line {
public:
    explicit progress_line(bool enabled = true) : enabled_(enabled && ::isatty(2) == 1) {}
    progress_line(const progress_line&) = delete;
    progress_line& operator=(const progress_line&) = delete;
    ~progress_line() { end(); }

    /// Starts a phase ("planning the migration (pso-ga)") of `horizon` iterations (0: not
    /// counted) and at most `time_limit_s` seconds (0: no limit).
    void begin(std::string what, std::size_t horizon = 0, double time_limit_s = 0) {
        end();
        if (!enabled_) return;
        what_ = std::move(what);
        horizon_ = horizon;
        time_limit_s_ = time_limit_s;
        iteration_ = 0;
        best_ = std::numeric_limits<double>::quiet_NaN();
        lower_ = std::numeric_limits<double>::quiet_NaN();
        done_ = false;
        thread_ = std::thread([this] { loop(); });
    }

    /// What an optimiser's observer reports.
    void update(std::size_t iteration, double best) {
        iteration_.store(iteration, std::memory_order_relaxed);
        best_.store(best, std::memory_order_relaxed);
    }

    /// What an exact search reports: its best objective (+inf before the first) and the lower
    /// bound proven so far.
    void update_bound(double best, double lower) {
        best_.store(std::isfinite(best) ? best : std::numeric_limits<double>::quiet_NaN(),
                    std::memory_order_relaxed);
        lower_.store(lower, std::memory_order_relaxed);
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
            const double lower = lower_.load(std::memory_order_relaxed);
            if (!std::isnan(lower) && std::isfinite(lower)) {
                if (lower < 1e12)
                    std::snprintf(buffer, sizeof buffer, ", bound %.3f ms", lower * 1e3);
                else
                    std::snprintf(buffer, sizeof buffer, ", bound %.4g s", lower);
                line += buffer;
                if (!std::isnan(best) && best > 0) {
                    std::snprintf(buffer, sizeof buffer, ", gap %.2f %%",
                                  100 * std::max(0.0, (best - lower) / best));
                    line += buffer;
                }
            }
            std::snprintf(buffer, sizeof buffer, " (%.1f s", elapsed);
            line += buffer;
            const double left = seconds_left(elapsed, it);
            if (std::isfinite(left)) {
                std::snprintf(buffer, sizeof buffer, ", at most %.1f s left", left);
                line += buffer;
            }
            line += ")";
            std::fprintf(stderr, "\r\033[K%s", line.c_str());
            std::fflush(stderr);
        }
        if (shown) {
            std::fputs("\r\033[K", stderr);
            std::fflush(stderr);
        }
    }

    // The smaller of the time limit's remainder and the pace so far times the iterations left;
    // infinity when neither is known.
    double seconds_left(double elapsed, std::size_t iteration) const {
        double left = std::numeric_limits<double>::infinity();
        if (time_limit_s_ > 0) left = std::max(0.0, time_limit_s_ - elapsed);
        if (horizon_ > 0 && iteration > 0 && iteration <= horizon_)
            left = std::min(left, elapsed / static_cast<double>(iteration) *
                                      static_cast<double>(horizon_ - iteration));
        return left;
    }

    bool enabled_;
    std::string what_{};
    std::size_t horizon_ = 0;
    double time_limit_s_ = 0;
    std::atomic<std::size_t> iteration_{0};
    std::atomic<double> best_{0};
    std::atomic<double> lower_{0};
    std::mutex mutex_{};
    std::condition_variable wake_{};
    bool done_ = false;
    std::thread thread_{};
};

}  // namespace eosdnn::cli
