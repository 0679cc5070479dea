// Robustness: write_json_file writes atomically (issue 7): a temporary file in the same
// directory, then a rename. A failure leaves the old document as it was and no temporary behind;
// a reader running at the same time sees the old document or the new one, never a part of one.
// (tests/io/json.cpp covers the plain write, the replacement and a missing directory.)

#include <eosdnn/core/error.hpp>
#include <eosdnn/io/json.hpp>

#include "../error_message.hpp"
#include "scratch_directory.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>

using namespace eosdnn;
using nlohmann::json;
using test::error_message;

namespace {

using robustness_test::contents_of;
using robustness_test::scratch_directory;

}  // namespace

TEST_CASE("atomic write: a document that cannot be serialised leaves the old file untouched") {
    const scratch_directory dir;
    const auto file = dir.path / "plan.json";
    write_json_file(file, json{{"model", "good"}});
    const std::string before = contents_of(file);
    CHECK(error_message(error_kind::validation,
                        [&] {
                            write_json_file(file, json{{"model", "\xff"}});
                        })
              .starts_with("cannot write '" + file.string() +
                           "' as JSON: [json.exception.type_error.316]"));
    CHECK(contents_of(file) == before);
    CHECK(dir.entries() == 1);
}

TEST_CASE("atomic write: a target that cannot be replaced is an io error and leaves no temporary") {
    const scratch_directory dir;
    const auto target = dir.path / "plans";
    std::filesystem::create_directory(target);
    std::ofstream(target / "kept.json") << "{}\n";
    CHECK(error_message(error_kind::io, [&] { write_json_file(target, json::object()); }) ==
          "cannot replace '" + target.string() + "': Is a directory");
    CHECK(std::filesystem::is_directory(target));
    CHECK(contents_of(target / "kept.json") == "{}\n");
    CHECK(dir.entries() == 1);  // the directory itself, and no plans.tmp-...
}

TEST_CASE(
    "atomic write: a concurrent reader sees a whole document, old or new, never part of one") {
    const scratch_directory dir;
    const auto file = dir.path / "environment.json";
    // Large enough that a plain write would be seen half done.
    json small = {{"version", "small"}},
         large = {{"version", "large"}, {"padding", std::string(1 << 20, 'x')}};
    write_json_file(file, small);
    std::atomic<bool> done{false};
    std::thread writer([&] {
        for (int i = 0; i < 40; ++i) write_json_file(file, i % 2 ? small : large);
        done = true;
    });
    std::size_t reads = 0, partial = 0;
    while (!done || reads == 0) {
        const json read = read_json_file(file);  // throws on a half-written document
        ++reads;
        if (read != small && read != large) ++partial;
    }
    writer.join();
    CHECK(reads > 0);
    CHECK(partial == 0);
    CHECK(dir.entries() == 1);
}
