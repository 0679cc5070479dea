// Robustness: the strict JSON reader at scale (issue 15). It once took time quadratic in the
// size of a document (nlohmann's callback parser rescans the parent of every object it closes):
// 49 s for a 22 MB environment. These tests check that big and deep documents read back as
// nlohmann::json::parse reads them, and that a key given twice is still refused, with the path of
// its object, deep down and far into big arrays. Times are measured by bench/json_read.cpp.

#include <eosdnn/core/error.hpp>
#include <eosdnn/io/json.hpp>
#include <eosdnn/zoo/random_dag.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <filesystem>
#include <random>
#include <string>

using namespace eosdnn;
using detail::json_io::parse_text;
using test::error_message;

namespace {

std::string repeat(std::string_view part, std::size_t times) {
    std::string out;
    out.reserve(part.size() * times);
    for (std::size_t i = 0; i < times; ++i) out += part;
    return out;
}

std::string duplicate_message(const std::string& text) {
    return error_message(error_kind::parse, [&] { parse_text(text, "doc.json"); });
}

}  // namespace

TEST_CASE("robustness json scale: a model JSON of 10^5 layers reads back equal") {
    const layer_graph g =
        make_random_dag({.layers = 100'000, .shape = dag_shape::chain, .seed = 3});
    const nlohmann::json written = to_json(g);
    std::random_device random;
    const auto file = std::filesystem::temp_directory_path() /
                      ("eosdnn-json-scale-" + std::to_string(random()) + ".json");
    write_json_file(file, written);
    const nlohmann::json read = read_json_file(file);
    std::filesystem::remove(file);
    CHECK(read == written);
    const layer_graph back = model_from_json(read);
    CHECK(back.size() == 100'000);
    CHECK(to_json(back) == written);
}

TEST_CASE("robustness json scale: the strict parser reads what nlohmann::json::parse reads") {
    const std::string text =
        R"({"a": [1, -2, 3.5, 1e300, -0.0, 18446744073709551615, -9223372036854775808],
        "s": "tab\t \u00e9 \ud83d\ude00 quote\" slash\\", "t": true, "f": false, "n": null,
        "empty": {}, "none": [], "nested": [[[]], [{}], {"x": {"y": [{"z": 0}]}}],
        "b": {"a": 1, "b": {"a": 2}}})";
    CHECK(parse_text(text, "doc.json") == nlohmann::json::parse(text));
    for (const std::string scalar : {"0", "-1", "2.5", "\"x\"", "true", "null", " [] ", "{}"})
        CHECK(parse_text(scalar, "doc.json") == nlohmann::json::parse(scalar));
    // 10^5 objects in one array, each with the same keys as its siblings.
    const std::string big = "[" + repeat(R"({"name": "l", "flops": 1, "inputs": [0]},)", 99'999) +
                            R"({"name": "l", "flops": 1, "inputs": [0]}])";
    const nlohmann::json parsed = parse_text(big, "doc.json");
    CHECK(parsed.size() == 100'000);
    CHECK(parsed == nlohmann::json::parse(big));
}

TEST_CASE("robustness json scale: JSON nested a million deep is read without recursion") {
    const nlohmann::json deep =
        parse_text(std::string(1'000'000, '[') + std::string(1'000'000, ']'), "deep.json");
    std::size_t depth = 0;
    for (const nlohmann::json* at = &deep; at->is_array() && !at->empty(); at = &at->front())
        ++depth;
    CHECK(depth == 999'999);
    const std::string objects = repeat(R"({"a": [)", 1'000'000) + "0" + repeat("]}", 1'000'000);
    CHECK(parse_text(objects, "deep.json").is_object());
}

TEST_CASE("robustness json scale: a key given twice is found at depth and in big arrays") {
    // Last of 10^5 elements of an array.
    CHECK(duplicate_message("[" + repeat(R"({"a": 1, "b": 2},)", 99'999) +
                            R"({"a": 1, "b": 2, "a": 3}])") ==
          "doc.json: invalid JSON: /99999: the key 'a' appears twice");
    // The last of 10^5 keys of one object repeats the first.
    std::string keys = "{";
    for (int i = 0; i < 100'000; ++i) keys += "\"k" + std::to_string(i) + "\": " + "[1],";
    CHECK(duplicate_message(keys + "\"k0\": 0}") ==
          "doc.json: invalid JSON: (root): the key 'k0' appears twice");
    // 10^4 levels of arrays, then of objects.
    CHECK(duplicate_message(std::string(10'000, '[') + R"({"x": 1, "x": 1})" +
                            std::string(10'000, ']')) ==
          "doc.json: invalid JSON: " + repeat("/0", 10'000) + ": the key 'x' appears twice");
    CHECK(duplicate_message(repeat(R"({"o": 1, "d": )", 10'000) + R"({"x": 1, "x": 1})" +
                            repeat("}", 10'000)) ==
          "doc.json: invalid JSON: " + repeat("/d", 10'000) + ": the key 'x' appears twice");
    // A path through arrays and objects, after big siblings; the repeated key held an object.
    CHECK(duplicate_message(R"({"nodes": [)" + repeat(R"({"name": "n", "p": {"w": 1}},)", 5'000) +
                            R"({"name": "n", "p": [0, 1, {"w": {"a": 1}, "w": 2}]}]})") ==
          "doc.json: invalid JSON: /nodes/5000/p/2: the key 'w' appears twice");
    // Equal keys in different objects are fine, however many.
    CHECK(
        parse_text("[" + repeat(R"({"a": {"a": {"a": 1}}},)", 10'000) + "{}]", "doc.json").size() ==
        10'001);
}

TEST_CASE("robustness json scale: errors after a big document keep line, column and kind") {
    const std::string lines = "[\n" + repeat("1,\n", 100'000) + "}";
    const std::string m = error_message(error_kind::parse, [&] { parse_text(lines, "doc.json"); });
    CHECK(m.starts_with("doc.json:100002:1: invalid JSON: [json.exception.parse_error.101]"));
    CHECK(
        error_message(error_kind::parse,
                      [&] { parse_text("[" + repeat("1.5,", 100'000) + "1e400]", "doc.json"); }) ==
        "doc.json: invalid JSON: [json.exception.out_of_range.406] number overflow "
        "parsing '1e400'");
}
