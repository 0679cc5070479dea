#pragma once
// What the ctest checks of eosdnn-plan (check_plan.cpp, check_round_trip.cpp,
// check_signals.cpp) share: a failure count, expectations that print what failed, reading a
// file whole, and running the planner through the shell with its output captured.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace eosdnn::check {

/// Checks that failed so far; main returns non-zero when there are any.
inline int failures = 0;

/// Counts and prints a failed check.
inline void expect(bool ok, const std::string& what) {
    if (!ok) {
        ++failures;
        std::fprintf(stderr, "FAILED: %s\n", what.c_str());
    }
}

/// The whole content of `file` ("" if it cannot be read).
inline std::string slurp(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// How a run of the planner ended and what it printed.
struct outcome {
    int status = -1;  ///< exit status, -1 if a signal ended it
    std::string out, err;
};

/// Runs `planner` with `args` (already shell-quoted where needed) and stdin from /dev/null;
/// stdout and stderr go through files in `work`.
inline outcome run_planner(const std::string& planner, const std::filesystem::path& work,
                           const std::string& args) {
    const auto out = work / "stdout.txt", err = work / "stderr.txt";
    const std::string command = "'" + planner + "' " + args + " >'" + out.string() + "' 2>'" +
                                err.string() + "' </dev/null";
    const int raw = std::system(command.c_str());
    outcome o;
    o.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    o.out = slurp(out);
    o.err = slurp(err);
    return o;
}

/// main's exit status: 0 if every check passed, else 1 after saying how many failed.
inline int result(const char* name) {
    if (failures) {
        std::fprintf(stderr, "%s: %d check(s) failed\n", name, failures);
        return 1;
    }
    std::printf("%s: all checks passed\n", name);
    return 0;
}

}  // namespace eosdnn::check
