// Scale: eosdnn-plan with its defaults on inputs far larger than the zoo, each run in a child
// process so that its wall time and peak memory (the child's maximum resident set) are its own.
//
//   fan/N       one input, N parallel layers, one concat: the width of a block (the upload
//               planners' sub-ranges)
//   chain/N     a chain of N layers (local search, the exact solver's decomposition)
//   tasks/N     N ResNet-50 tasks, one phone each in the default environment (--tasks)
//   nodes/N     an environment of N nodes: N - 2 phones, one edge server and the cloud, every
//               phone linked to both servers only (links sparse: 4 (N - 2) + 2 directions)
//
// Counters: `peak_MiB` the child's peak resident memory; `exit` its exit status (0 = planned;
// 124 = stopped at the 300 s cap, so the time is a lower bound). The time is the child's wall
// time (manual time). Inputs are generated into a temporary directory. Run:
//
//   build/release/bench/scale --benchmark_filter='fan|chain'
//
// docs/limits.md has the table of one run.
#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#ifndef EOSDNN_PLAN_PATH
#error "EOSDNN_PLAN_PATH (the eosdnn-plan executable) must be defined by the build"
#endif

namespace fs = std::filesystem;

namespace {

constexpr int cap_seconds = 300;

// The generated inputs live in one temporary directory, removed when the program ends.
struct scratch_dir {
    fs::path path = fs::temp_directory_path() / ("eosdnn-scale-" + std::to_string(::getpid()));
    scratch_dir() { fs::create_directories(path); }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;
    ~scratch_dir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
};

const fs::path& work_dir() {
    static const scratch_dir dir;
    return dir.path;
}

const char* header = "index,name,type,inputs,output_bytes,param_bytes,macs,client_ms,server_ms\n";

// A profile of N parallel convolutions between an input and a concat.
fs::path fan_csv(std::size_t n) {
    const fs::path file = work_dir() / ("fan" + std::to_string(n) + ".csv");
    std::ofstream out(file);
    out << header << "0,data,Input,,150528,0,0,0.01,0.001\n";
    std::string inputs;
    for (std::size_t i = 0; i < n; ++i) {
        out << i + 1 << ",b" << i << ",Convolution,data," << 4096 + i % 13 << ','
            << 20000 + 97 * (i % 31) << ',' << 1000000 + 7919 * (i % 17) << ','
            << 1.0 + 0.01 * static_cast<double>(i % 23) << ",0.05\n";
        inputs += (i ? ";b" : "b") + std::to_string(i);
    }
    out << n + 1 << ",cat,Concat," << inputs << ',' << 4096 * n << ",0,0,0.01,0.001\n";
    return file;
}

// A profile of a chain of N layers with varied sizes and times, so that splits can pay.
fs::path chain_csv(std::size_t n) {
    const fs::path file = work_dir() / ("chain" + std::to_string(n) + ".csv");
    std::ofstream out(file);
    out << header << "0,l0,Input,,150528,0,0,0.01,0.001\n";
    for (std::size_t i = 1; i < n; ++i)
        out << i << ",l" << i << ",Convolution,l" << i - 1 << ',' << 1000 + 5000 * (i % 7) << ','
            << 100 * (i % 5) << ',' << 1000 * (i % 3) << ','
            << 0.1 + 0.01 * static_cast<double>(i % 11) << ',' << 0.01 + 0.001 * (i % 3) << '\n';
    return file;
}

// An environment of N nodes: phones p0..p(N-3), an edge server and the cloud.
fs::path nodes_json(std::size_t n) {
    const fs::path file = work_dir() / ("nodes" + std::to_string(n) + ".json");
    std::ofstream out(file);
    out << "{\"nodes\": [";
    for (std::size_t i = 0; i + 2 < n; ++i)
        out << (i ? "," : "") << "{\"name\": \"p" << i
            << "\", \"tier\": \"local\", \"flops_per_s\": 2e9}";
    out << ",{\"name\": \"edge\", \"tier\": \"edge\", \"flops_per_s\": 5e10}"
        << ",{\"name\": \"cloud\", \"tier\": \"cloud\", \"flops_per_s\": 1e12}],\n\"links\": [";
    out << "{\"from\": \"edge\", \"to\": \"cloud\", \"bandwidth_mbps\": 1000, \"latency_s\": 0.02}";
    for (std::size_t i = 0; i + 2 < n; ++i)
        out << ",\n{\"from\": \"p" << i
            << "\", \"to\": \"edge\", \"bandwidth_mbps\": 40, \"latency_s\": 0.002}"
            << ",{\"from\": \"p" << i
            << "\", \"to\": \"cloud\", \"bandwidth_mbps\": 20, \"latency_s\": 0.03}";
    out << "]}\n";
    return file;
}

struct child_run {
    double seconds = 0;
    double peak_mib = 0;
    int exit_status = -1;
};

// Runs eosdnn-plan with `args` (stdout and stderr to /dev/null) in a child; its wall time and
// maximum resident set, killed at the cap.
child_run run_planner(std::vector<std::string> args) {
    const auto start = std::chrono::steady_clock::now();
    const pid_t child = ::fork();
    if (child == 0) {
        if (!std::freopen("/dev/null", "w", stdout) || !std::freopen("/dev/null", "w", stderr))
            ::_exit(126);
        ::alarm(cap_seconds);  // SIGALRM ends it at the cap
        std::vector<char*> argv{const_cast<char*>(EOSDNN_PLAN_PATH)};
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(EOSDNN_PLAN_PATH, argv.data());
        ::_exit(127);
    }
    child_run r;
    int status = 0;
    rusage usage{};
    if (child > 0 && ::wait4(child, &status, 0, &usage) == child) {
        r.peak_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB
        if (WIFEXITED(status))
            r.exit_status = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
            r.exit_status = WTERMSIG(status) == SIGALRM ? 124 : 128 + WTERMSIG(status);
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

void report(benchmark::State& state, std::vector<std::string> args) {
    child_run last;
    for (auto _ : state) {
        last = run_planner(args);
        state.SetIterationTime(last.seconds);
    }
    state.counters["peak_MiB"] = last.peak_mib;
    state.counters["exit"] = last.exit_status;
    if (last.exit_status != 0) state.SetLabel("did not plan (see exit)");
}

void fan(benchmark::State& state) {
    report(state, {"--model", fan_csv(static_cast<std::size_t>(state.range(0))).string()});
}
void chain(benchmark::State& state) {
    report(state, {"--model", chain_csv(static_cast<std::size_t>(state.range(0))).string()});
}
void tasks(benchmark::State& state) {
    std::string list;
    for (std::int64_t k = 0; k < state.range(0); ++k) list += k ? ",resnet50" : "resnet50";
    report(state, {"--tasks", list});
}
void nodes(benchmark::State& state) {
    report(state, {"--model", "resnet50", "--env",
                   nodes_json(static_cast<std::size_t>(state.range(0))).string()});
}

}  // namespace

BENCHMARK(fan)
    ->ArgName("branches")
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000)
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kSecond);
BENCHMARK(chain)
    ->ArgName("layers")
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kSecond);
BENCHMARK(tasks)
    ->ArgName("tasks")
    ->Arg(10)
    ->Arg(50)
    ->Arg(1000)
    ->Arg(10000)
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kSecond);
BENCHMARK(nodes)
    ->ArgName("nodes")
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(65535)
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kSecond);
