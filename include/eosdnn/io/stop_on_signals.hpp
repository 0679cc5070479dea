#pragma once
/// \file stop_on_signals.hpp
/// Ctrl-C that keeps the work done: `stop_on_signals(request)` makes SIGINT and SIGTERM request
/// a stop (core/stop_request.hpp) instead of ending the program, so that the search in progress
/// ends at its next step with its best plan and the program can still write it. The first
/// signal only requests; the handler then puts back the one of temporary_files.hpp for that
/// signal, so a second one ends the program at once as the signal would (after removing the
/// temporaries of any atomic write in progress). POSIX only; a no-op elsewhere.

#include <eosdnn/core/stop_request.hpp>
#include <eosdnn/io/temporary_files.hpp>

#include <atomic>
#include <csignal>
#include <initializer_list>

namespace eosdnn {

namespace detail {

/// The request the signal handler sets; one per process, as signal dispositions are.
inline std::atomic<stop_request*> signalled_stop_request{nullptr};

#ifdef EOSDNN_HAS_POSIX_SIGNALS
extern "C" inline void request_stop_on_signal(int signal_number) {
    if (stop_request* request = signalled_stop_request.load()) request->request(signal_number);
    // The next one ends the program (sigaction is async-signal-safe).
    struct sigaction action {};
    action.sa_handler = remove_temporaries_and_reraise;
    ::sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND | SA_NODEFER;
    ::sigaction(signal_number, &action, nullptr);
}
#endif

}  // namespace detail

/// Installs, for each of `signals`, the handler above, setting `request` (which must outlive the
/// handlers: a static or one in main). A signal the program ignores (SIG_IGN, as under nohup) or
/// handles itself is left alone; the handler of temporary_files.hpp is replaced.
inline void stop_on_signals(stop_request& request, std::initializer_list<int> signals) {
#ifdef EOSDNN_HAS_POSIX_SIGNALS
    detail::signalled_stop_request.store(&request);
    for (int s : signals) {
        struct sigaction current {};
        if (::sigaction(s, nullptr, &current) != 0) continue;
        if (current.sa_handler != SIG_DFL &&
            current.sa_handler != detail::remove_temporaries_and_reraise &&
            current.sa_handler != detail::request_stop_on_signal)
            continue;
        struct sigaction action {};
        action.sa_handler = detail::request_stop_on_signal;
        ::sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        ::sigaction(s, &action, nullptr);
    }
#else
    (void)request;
    (void)signals;
#endif
}

/// The same for an interrupt (Ctrl-C) and a termination request.
inline void stop_on_signals(stop_request& request) { stop_on_signals(request, {SIGINT, SIGTERM}); }

}  // namespace eosdnn
