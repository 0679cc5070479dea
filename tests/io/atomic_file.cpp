#include <eosdnn/io/atomic_file.hpp>
#include <eosdnn/io/json.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace eosdnn;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

fs::path fresh_dir(const char* name) {
    const fs::path dir =
        fs::temp_directory_path() / ("eosdnn-atomic-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

std::size_t entries(const fs::path& dir) {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST_CASE("write_file_atomically replaces the file and leaves no temporary") {
    const fs::path dir = fresh_dir("one");
    write_file_atomically(dir / "a.txt", "first");
    write_file_atomically(dir / "a.txt", "second, longer");
    CHECK(slurp(dir / "a.txt") == "second, longer");
    CHECK(entries(dir) == 1);
    write_json_file(dir / "b.json", nlohmann::json{{"x", 1}});  // the JSON writer uses it
    CHECK(slurp(dir / "b.json") == "{\n  \"x\": 1\n}\n");
    CHECK(entries(dir) == 2);
    const std::string message = test::error_message(
        error_kind::io, [&] { write_file_atomically(dir / "no" / "c.txt", "x"); });
    CHECK(message.find("c.txt") != std::string::npos);
    CHECK(entries(dir) == 2);
    fs::remove_all(dir);
}

TEST_CASE("write_files_atomically writes all or none") {
    const fs::path dir = fresh_dir("many") / "out";
    const std::vector<file_text> files{{"a.csv", "a\n1\n"}, {"b.csv", "b\n"}};
    write_files_atomically(dir, files);
    CHECK(slurp(dir / "a.csv") == "a\n1\n");
    CHECK(slurp(dir / "b.csv") == "b\n");

    // The second file cannot be written (its name is a directory): nothing is written, and a
    // directory this call created is removed again.
    const fs::path again = dir.parent_path() / "again";
    fs::create_directories(dir / "taken.csv");
    const std::vector<file_text> broken{{"x.csv", "x\n"}, {"taken.csv", "y\n"}};
    CHECK(test::error_message(error_kind::io, [&] {
              write_files_atomically(dir, broken);
          }).find("taken.csv") != std::string::npos);
    CHECK(!fs::exists(dir / "x.csv"));
    CHECK(fs::exists(dir / "a.csv"));  // not this call's
    const std::vector<file_text> broken_new{{"x.csv", "x\n"}, {"x.csv/y", "y\n"}};
    test::error_message(error_kind::io, [&] { write_files_atomically(again, broken_new); });
    CHECK(!fs::exists(again));
    // So are the parents it created for it (review of issue 15: only the leaf went).
    const fs::path nested = dir.parent_path() / "a" / "b" / "out";
    test::error_message(error_kind::io, [&] { write_files_atomically(nested, broken_new); });
    CHECK(!fs::exists(dir.parent_path() / "a"));
    CHECK(test::error_message(error_kind::io, [&] {
              write_files_atomically(dir / "a.csv", files);
          }).find("a.csv") != std::string::npos);
    fs::remove_all(dir.parent_path());
}

TEST_CASE("write_files_atomically keeps the previous files when a rerun fails") {
    // Issue 15: a failed rerun of eosdnn-plan --out used to delete the previous run's files.
    const fs::path dir = fresh_dir("rerun") / "out";
    const std::vector<file_text> first{{"plan.json", "old plan\n"}, {"placement.csv", "old\n"}};
    write_files_atomically(dir, first);
    fs::create_directories(dir / "timeline.csv");  // a path the next run cannot write
    const std::vector<file_text> second{
        {"plan.json", "new plan\n"}, {"placement.csv", "new\n"}, {"timeline.csv", "t\n"}};
    CHECK(test::error_message(error_kind::io, [&] {
              write_files_atomically(dir, second);
          }).find("timeline.csv") != std::string::npos);
    CHECK(slurp(dir / "plan.json") == "old plan\n");
    CHECK(slurp(dir / "placement.csv") == "old\n");
    std::size_t temporaries = 0;
    for (const auto& e : fs::directory_iterator(dir))
        temporaries += e.path().filename().string().find(".tmp-") != std::string::npos;
    CHECK(temporaries == 0);
    fs::remove_all(dir.parent_path());
}

namespace {

// Runs `write` in a child process whose file size limit is `limit_bytes`, with the temporaries'
// handler installed for SIGXFSZ, the signal the kernel sends when a write crosses that limit: a
// signal that arrives in the middle of a write, at a point the test chooses. Returns the
// child's wait status.
template <class Write>
int write_until_signalled(std::size_t limit_bytes, const Write& write) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        const rlimit limit{limit_bytes, limit_bytes};
        ::setrlimit(RLIMIT_FSIZE, &limit);
        remove_temporaries_on_signals({SIGXFSZ});
        try {
            write();
        } catch (...) {
            ::_exit(3);
        }
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return status;
}

std::size_t temporaries_in(const fs::path& dir) {
    std::size_t count = 0;
    for (const auto& e : fs::directory_iterator(dir))
        count += e.path().filename().string().find(".tmp-") != std::string::npos;
    return count;
}

}  // namespace

TEST_CASE("a signal while the files are written leaves the old run and no temporary") {
    // Issue 15: SIGINT or SIGTERM while eosdnn-plan --out wrote its files left a 31-40 MB
    // convergence.csv.tmp-NNN next to a new plan.json.
    const fs::path dir = fresh_dir("signal") / "out";
    const std::vector<file_text> first{{"plan.json", "old plan\n"}, {"convergence.csv", "old\n"}};
    write_files_atomically(dir, first);
    // The second file is larger than the limit: the signal comes while it is half written, with
    // the first one staged.
    const std::vector<file_text> second{{"plan.json", "new plan\n"},
                                        {"convergence.csv", std::string(1 << 16, 'x')}};
    const int status = write_until_signalled(4096, [&] { write_files_atomically(dir, second); });
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGXFSZ);
    CHECK(slurp(dir / "plan.json") == "old plan\n");
    CHECK(slurp(dir / "convergence.csv") == "old\n");
    CHECK(temporaries_in(dir) == 0);
    CHECK(entries(dir) == 2);

    // A directory the interrupted call created is removed with its temporaries.
    const fs::path fresh = dir.parent_path() / "fresh";
    const int status2 = write_until_signalled(4096, [&] { write_files_atomically(fresh, second); });
    REQUIRE(WIFSIGNALED(status2));
    CHECK(!fs::exists(fresh));
    // And so are the parents it created, deepest first.
    const int status_nested = write_until_signalled(
        4096, [&] { write_files_atomically(dir.parent_path() / "p" / "q" / "out", second); });
    REQUIRE(WIFSIGNALED(status_nested));
    CHECK(!fs::exists(dir.parent_path() / "p"));

    // One file written atomically: no temporary either.
    const int status3 = write_until_signalled(
        4096, [&] { write_file_atomically(dir / "plan.json", std::string(1 << 16, 'y')); });
    REQUIRE(WIFSIGNALED(status3));
    CHECK(slurp(dir / "plan.json") == "old plan\n");
    CHECK(temporaries_in(dir) == 0);
    fs::remove_all(dir.parent_path());
}

TEST_CASE("the temporaries handler leaves a signal the program handles alone") {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        std::signal(SIGUSR1, SIG_IGN);
        remove_temporaries_on_signals({SIGUSR1});
        ::raise(SIGUSR1);  // still ignored: the program's own choice stands
        ::_exit(7);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 7);
}
