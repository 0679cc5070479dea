// The ctest check planner.signals (issues 13 and 15).
// A signal that ends eosdnn-plan while it writes --out leaves the previous run's files and no
// temporary. The signal comes from the kernel at a chosen point: the run's file size limit
// (RLIMIT_FSIZE) is below the size of its largest file, so SIGXFSZ arrives in the middle of that
// write, with the smaller files already staged.
//  - into a directory of an earlier run: that run's files, unchanged, and nothing else;
//  - into a directory the run creates: no directory afterwards.
// SIGINT (Ctrl-C) or SIGTERM during a search that would run for hours stops the search: exit
// status 130 (143), and every --out file written, plan.json marked interrupted and valid (it is
// re-priced with --evaluate), no temporary left.
//
//   eosdnn_plan_signals PATH/TO/eosdnn-plan WORK_DIR
#include "check_support.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace support = eosdnn::check;

namespace {

using support::expect;
using support::slurp;

// Every file of `dir` and its content.
std::map<std::string, std::string> contents(const fs::path& dir) {
    std::map<std::string, std::string> files;
    for (const auto& e : fs::directory_iterator(dir))
        files[e.path().filename().string()] = slurp(e.path());
    return files;
}

// Starts the planner with `args`, stdout to /dev/null, under a file size limit of `limit_bytes`
// (0: none); returns its process id (-1 if fork failed).
pid_t start(const std::string& planner, std::vector<std::string> args, rlim_t limit_bytes) {
    const pid_t child = ::fork();
    if (child < 0) return -1;
    if (child == 0) {
        if (limit_bytes > 0) {
            const rlimit limit{limit_bytes, limit_bytes};
            ::setrlimit(RLIMIT_FSIZE, &limit);
        }
        if (std::freopen("/dev/null", "w", stdout) == nullptr) ::_exit(126);
        std::vector<char*> argv{const_cast<char*>(planner.c_str())};
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(planner.c_str(), argv.data());
        ::_exit(127);
    }
    return child;
}

// Runs the planner to its end; returns its wait status.
int run(const std::string& planner, std::vector<std::string> args, rlim_t limit_bytes) {
    const pid_t child = start(planner, std::move(args), limit_bytes);
    if (child < 0) return -1;
    int status = 0;
    ::waitpid(child, &status, 0);
    return status;
}

// Waits up to `seconds` for `child`; returns its wait status, or kills it and returns -1.
int wait_for(pid_t child, double seconds) {
    for (double waited = 0; waited < seconds; waited += 0.05) {
        int status = 0;
        if (::waitpid(child, &status, WNOHANG) == child) return status;
        ::usleep(50000);
    }
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    return -1;
}

bool exited_with(int status, int code) { return WIFEXITED(status) && WEXITSTATUS(status) == code; }

// True if a file of `dir` is a temporary of an atomic write (io/atomic_file.hpp: NAME.tmp-N).
bool has_temporaries(const fs::path& dir) {
    if (!fs::is_directory(dir)) return false;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().find(".tmp") != std::string::npos) return true;
    return false;
}

// A search that would run for hours, interrupted by `signal_number` after `delay_s` seconds.
void check_interrupt(const std::string& planner, const fs::path& dir, int signal_number,
                     double delay_s) {
    const std::string name = signal_number == SIGINT ? "SIGINT" : "SIGTERM";
    const pid_t child = start(planner,
                              {"--model", "resnet50", "--iterations", "10000000", "--stall", "0",
                               "--time-limit", "0", "--quiet", "--out", dir.string()},
                              0);
    expect(child > 0, "fork");
    if (child <= 0) return;
    ::usleep(static_cast<useconds_t>(delay_s * 1e6));
    ::kill(child, signal_number);
    const int status = wait_for(child, 120);
    expect(exited_with(status, 128 + signal_number),
           name + ": exit status " + std::to_string(128 + signal_number) + " (wait status " +
               std::to_string(status) + ")");
    const std::string plan = slurp(dir / "plan.json");
    expect(plan.find("\"interrupted\": true") != std::string::npos &&
               plan.find("\"stopped_by\": \"interrupted\"") != std::string::npos,
           name + ": plan.json is marked interrupted");
    for (const char* file : {"plan.json", "model.json", "convergence.csv", "placement.csv",
                             "uploads.csv", "timeline.csv"})
        expect(fs::exists(dir / file), name + ": " + file + " is written");
    expect(!has_temporaries(dir), name + ": no temporary is left");
    // The document is complete and valid: the planner re-prices it.
    expect(exited_with(run(planner, {"--evaluate", (dir / "plan.json").string()}, 0), 0),
           name + ": eosdnn-plan --evaluate reads the interrupted plan.json");
}

bool ended_by(int status, int signal_number) {
    return WIFSIGNALED(status) && WTERMSIG(status) == signal_number;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s PATH/TO/eosdnn-plan WORK_DIR\n", argv[0]);
        return 2;
    }
    const std::string planner = argv[1];
    const fs::path work = argv[2];
    fs::remove_all(work);
    fs::create_directories(work);

    // An earlier run, then a rerun of a larger model whose timeline.csv (over 100 KB) crosses
    // the 64 KiB limit while plan.json, model.json and the smaller CSV files are staged.
    const fs::path dir = work / "out";
    const int first = run(planner, {"--model", "alexnet", "--out", dir.string()}, 0);
    expect(WIFEXITED(first) && WEXITSTATUS(first) == 0, "the first run succeeds");
    const auto before = contents(dir);
    expect(before.count("plan.json") == 1 && before.size() >= 6, "the first run wrote its files");

    const rlim_t limit = 64 * 1024;
    const int rerun = run(planner, {"--model", "vgg16", "--out", dir.string()}, limit);
    expect(ended_by(rerun, SIGXFSZ),
           "the rerun is ended by SIGXFSZ (status " + std::to_string(rerun) + ")");
    const auto after = contents(dir);
    expect(after == before, "the earlier run's files are all there, unchanged, and nothing else (" +
                                std::to_string(after.size()) + " files, " +
                                std::to_string(before.size()) + " before)");

    // Into a directory the run creates: it is removed with the temporaries.
    const fs::path fresh = work / "fresh" / "out";
    const int created = run(planner, {"--model", "vgg16", "--out", fresh.string()}, limit);
    expect(ended_by(created, SIGXFSZ), "the run into a new directory is ended by SIGXFSZ");
    expect(!fs::exists(fresh), "the directory the interrupted run created is gone");

    // The same run without the limit succeeds: the limit, not the model, ended the others.
    const int unlimited = run(planner, {"--model", "vgg16", "--out", fresh.string()}, 0);
    expect(WIFEXITED(unlimited) && WEXITSTATUS(unlimited) == 0, "the run without a limit succeeds");
    expect(fs::exists(fresh / "timeline.csv") && fs::file_size(fresh / "timeline.csv") > limit,
           "its timeline.csv is larger than the limit used above");

    // Ctrl-C during the search (after the exact reference, which takes well under a second for
    // ResNet-50) and during it (half a second in).
    check_interrupt(planner, work / "interrupted", SIGINT, 2.0);
    check_interrupt(planner, work / "terminated", SIGTERM, 0.5);

    return support::result("planner.signals");
}
