// Robustness: files that are empty, truncated, binary, not files at all, or read from an odd
// place, through every reader (issue 7). Each must give an eosdnn::error of the right kind whose
// message names the file; none may crash or throw anything else. The well-formed-but-wrong cases
// of each format are in bad_csv.cpp and bad_json.cpp.

#include <eosdnn/core/error.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/io/json.hpp>
#include <eosdnn/io/profile_csv.hpp>

#include "../error_message.hpp"
#include "scratch_directory.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <string_view>

using namespace eosdnn;
using test::error_message;

namespace {

using robustness_test::contents_of;
using robustness_test::scratch_directory;

const std::filesystem::path profiles = std::filesystem::path(EOSDNN_DATA_DIR) / "ionn-profiles";

// The kinds of JSON readers, for loops over all three documents.
void read_any_json(const std::filesystem::path& file) {
    const nlohmann::json j = read_json_file(file);
    environment_from_json(j);
}

}  // namespace

TEST_CASE("robustness: empty and blank files are parse errors naming the file") {
    const scratch_directory dir;
    const auto csv = dir.file("empty.csv", "");
    CHECK(error_message(error_kind::parse, [&] { read_profile_csv(csv); }) ==
          csv.string() + ": empty file: expected a header line");
    const auto blank = dir.file("blank.csv", "\r\n \t\n\n");
    CHECK(error_message(error_kind::parse, [&] { read_profile_csv(blank); }) ==
          blank.string() + ": empty file: expected a header line");
    const auto bom_only = dir.file("bom.csv", "\xEF\xBB\xBF");
    CHECK(error_message(error_kind::parse, [&] { read_profile_csv(bom_only); }) ==
          bom_only.string() + ": empty file: expected a header line");

    const auto json = dir.file("blank.json", "  \n\n");
    const std::string m = error_message(error_kind::parse, [&] { read_json_file(json); });
    CHECK(m.starts_with(json.string() + ":3:1: invalid JSON: "));
    CHECK(m.find("unexpected end of input") != std::string::npos);
}

TEST_CASE(
    "robustness: a profile CSV cut at any byte reads or throws a parse error naming the line") {
    // A CSV has no end marker: a cut that leaves whole rows is a valid, shorter model (its output
    // is just another layer). Every other cut must be reported, and nothing may crash.
    const std::string full = contents_of(profiles / "alexnet.csv");
    REQUIRE(full.size() > 1000);
    std::size_t read = 0, refused = 0;
    for (std::size_t cut = 0; cut < full.size(); ++cut) {
        std::istringstream in(full.substr(0, cut));
        try {
            const layer_graph g = read_profile_csv(in, "alexnet.csv");
            CHECK(g.size() <= 24);
            ++read;
        } catch (const error& e) {
            INFO("cut at byte " << cut << ": " << e.what());
            CHECK(std::string_view(e.what()).starts_with("alexnet.csv:"));
            CHECK((e.kind() == error_kind::parse || e.kind() == error_kind::validation));
            ++refused;
        }
    }
    CHECK(read > 0);
    CHECK(refused > 0);

    const std::string header = full.substr(0, full.find('\n') + 1);
    const auto cut_message = [&](std::size_t bytes) {
        return error_message(error_kind::parse, [&] {
            std::istringstream in(full.substr(0, bytes));
            read_profile_csv(in, "alexnet.csv");
        });
    };
    CHECK(cut_message(13) ==
          "alexnet.csv:1: column 3: unknown column 'ty' (known: index, name, type, inputs, "
          "output_shape, output_bytes, param_bytes, macs, flops, client_ms, server_ms, load_ms)");
    CHECK(cut_message(header.size()) ==
          "alexnet.csv:1: the header is not followed by any layer row");
    // In the middle of the third row (conv1's shape).
    const std::size_t third_row = full.find("1,conv1,");
    CHECK(cut_message(third_row + 27) ==
          "alexnet.csv:3: expected 10 fields as in the header, found 5");
}

TEST_CASE("robustness: a JSON document cut at any byte is a parse error with line and column") {
    const scratch_directory dir;
    const std::string full = R"({
  "nodes": [
    {"name": "phone", "tier": "local", "flops_per_s": 1e10},
    {"name": "edge", "tier": "edge", "flops_per_s": 1e12}
  ],
  "links": [{"from": "phone", "to": "edge", "bandwidth_mbps": 100}]
}
)";
    REQUIRE(environment_from_json(nlohmann::json::parse(full)).size() == 2);
    for (std::size_t cut = 0; cut + 2 < full.size(); ++cut) {  // the last two bytes are "}\n"
        INFO("cut at byte " << cut);
        CHECK_FALSE(nlohmann::json::accept(full.substr(0, cut)));
    }
    const auto file = dir.file("cut.json", full.substr(0, full.find("\"edge\", \"tier\"")));
    const std::string m = error_message(error_kind::parse, [&] { read_json_file(file); });
    CHECK(m.starts_with(file.string() + ":4:14: invalid JSON: "));
    CHECK(m.find("unexpected end of input") != std::string::npos);
}

TEST_CASE("robustness: binary files are parse errors - never crashes" *
          doctest::test_suite("slow")) {
    const scratch_directory dir;
    SUBCASE("a gzip header and a UTF-16 text name the first byte that is not text") {
        const auto gz = dir.file("model.csv", std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8));
        CHECK(error_message(error_kind::parse, [&] { read_profile_csv(gz); }) ==
              gz.string() + ":1: character 1: byte 0x1f is not CSV text (binary data?)");
        // "name,..." saved as UTF-16 by a spreadsheet: a byte-order mark, then a NUL after each letter.
        const auto utf16 = dir.file("utf16.csv", std::string("\xFF\xFEn\0a\0m\0e\0", 10));
        CHECK(error_message(error_kind::parse, [&] { read_profile_csv(utf16); }) ==
              utf16.string() + ":1: character 4: byte 0x00 is not CSV text (binary data?)");
        const auto json16 = dir.file("utf16.json", std::string("\xFF\xFE{\0}\0", 6));
        CHECK(error_message(error_kind::parse, [&] {
                  read_json_file(json16);
              }).starts_with(json16.string() + ":1:1: invalid JSON: "));
    }
    SUBCASE("text that is not UTF-8 inside a JSON string: the column is just past the bad byte") {
        const auto file = dir.file("latin1.json", "{\"nodes\": [{\"name\": \"caf\xe9\"}]}");
        const std::string m = error_message(error_kind::parse, [&] { read_json_file(file); });
        CHECK_MESSAGE(m.starts_with(file.string() + ":1:26: invalid JSON: "), m);
        CHECK(m.find("invalid string: ill-formed UTF-8 byte") != std::string::npos);
    }
    SUBCASE("random bytes: always an eosdnn::error naming the source") {
        std::mt19937 rng(7);
        for (int round = 0; round < 300; ++round) {
            std::string bytes(rng() % 200, '\0');
            // Half the rounds printable only, so that the CSV reader gets past its binary check.
            const bool printable = round % 2;
            for (char& c : bytes) c = static_cast<char>(printable ? 32 + rng() % 95 : rng() % 256);
            if (printable && round % 4 == 1)
                bytes = "name,inputs,output_bytes,param_bytes\n" + bytes;
            INFO("round " << round);
            std::istringstream in(bytes);
            try {
                read_profile_csv(in, "random.csv");
            } catch (const error& e) {
                CHECK(std::string_view(e.what()).starts_with("random.csv:"));
            }
            const auto file = dir.file("random.json", bytes);
            try {
                read_any_json(file);
            } catch (const error& e) {
                const std::string_view m = e.what();
                const bool names_the_source = m.find("random.json") != std::string_view::npos ||
                                              m.starts_with("environment JSON");
                CHECK_MESSAGE(names_the_source, m);
            }
        }
    }
}

TEST_CASE("robustness: paths that are not readable files are io errors naming the path") {
    const scratch_directory dir;
    // Found while writing these tests: a directory opened as a stream and failed when read with a
    // std::ios_base::failure, which is not an eosdnn::error.
    CHECK(error_message(error_kind::io, [&] { read_profile_csv(dir.path); }) ==
          "cannot read profile CSV '" + dir.path.string() + "': it is a directory");
    CHECK(error_message(error_kind::io, [&] { read_json_file(dir.path); }) ==
          "cannot read JSON file '" + dir.path.string() + "': it is a directory");
    CHECK(error_message(error_kind::io, [&] { read_profile_csv(dir.path / "missing.csv"); }) ==
          "cannot open profile CSV '" + (dir.path / "missing.csv").string() +
              "' (No such file or directory)");
    CHECK(error_message(error_kind::io, [&] { read_json_file(dir.path / "missing.json"); }) ==
          "cannot open JSON file '" + (dir.path / "missing.json").string() +
              "' (No such file or directory)");
    // A stream that fails while being read is an io error too.
    std::istringstream failed("name,inputs\n");
    failed.setstate(std::ios::badbit);
    CHECK(error_message(error_kind::io, [&] { read_profile_csv(failed, "broken stream"); }) ==
          "broken stream: read error");
}

TEST_CASE(
    "robustness: a number too large for a double in a JSON file is a parse error naming the file") {
    // Found while writing these tests: nlohmann reports it as out_of_range, not parse_error, and
    // read_json_file let it escape.
    const scratch_directory dir;
    const auto file = dir.file(
        "huge.json", R"({"nodes": [{"name": "d", "tier": "local", "flops_per_s": 1e400}]})");
    CHECK(error_message(error_kind::parse, [&] { read_json_file(file); }) ==
          file.string() +
              ": invalid JSON: [json.exception.out_of_range.406] number overflow parsing '1e400'");
}

TEST_CASE("robustness: JSON nested a million deep is reported, not a stack overflow") {
    // Found while writing these tests: a message showed the offending value with nlohmann's
    // recursive dump(), which overflowed the stack on deeply nested input.
    // Built by parsing: copying a nested json (as an initializer list does) recurses too.
    const std::string deep = std::string(1'000'000, '[') + std::string(1'000'000, ']');
    const std::string shown =
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[...";
    CHECK(error_message(error_kind::parse, [&] {
              environment_from_json(nlohmann::json::parse(R"({"nodes": [)" + deep + "]}"));
          }) == "environment JSON /nodes/0: expected an object, found array " + shown);
    CHECK(error_message(error_kind::parse, [&] {
              model_from_json(nlohmann::json::parse(R"({"layers": [{"name": )" + deep + "}]}"));
          }) == "model JSON /layers/0/name: expected a string, found array " + shown);
    layer_graph_builder b("one");
    b.add_layer({.name = "in", .kind = "input"});
    const layer_graph g = b.build();
    environment_builder e;
    e.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 1});
    const environment env = e.build();
    CHECK(error_message(error_kind::parse, [&] {
              plan_from_json(nlohmann::json::parse(R"({"placement": )" + deep + "}"), g, env);
          }) == "plan JSON /placement/0: expected an object, found array " + shown);
    // Values are still shown as JSON writes them, and cut at 80 characters.
    CHECK(
        error_message(
            error_kind::parse,
            [&] {
                environment_from_json(
                    {{"nodes", {{{"name", {{"a", {1, 2.5, "x", nullptr}}, {"b", true}}}}}}});
            }) ==
        R"(environment JSON /nodes/0/name: expected a string, found object {"a":[1,2.5,"x",null],"b":true})");
}

TEST_CASE("robustness: a JSON object that gives a key twice is a parse error naming the object") {
    // Found while writing these tests: nlohmann keeps the last of two equal keys, so a file with
    // "flops_per_s": 1 and later "flops_per_s": -5 in one node silently meant the second.
    const scratch_directory dir;
    const auto file = dir.file("twice.json", R"({"nodes": [
      {"name": "phone", "tier": "local", "flops_per_s": 1e10},
      {"name": "edge", "tier": "edge", "flops_per_s": 1e12, "memory_bytes": 8e9, "flops_per_s": 1e11}]})");
    CHECK(error_message(error_kind::parse, [&] { read_json_file(file); }) ==
          file.string() + ": invalid JSON: /nodes/1: the key 'flops_per_s' appears twice");
    const auto root = dir.file("root.json", R"({"layers": [], "name": "a", "layers": []})");
    CHECK(error_message(error_kind::parse, [&] { read_json_file(root); }) ==
          root.string() + ": invalid JSON: (root): the key 'layers' appears twice");
    // Equal keys in different objects are fine.
    const auto fine = dir.file("fine.json", R"([{"a": 1}, {"a": {"a": [{"a": 2}]}}])");
    CHECK(read_json_file(fine)[1]["a"]["a"][0]["a"] == 2);
}
