// Robustness: inputs past a limit, sums past the largest double, values a reader would change
// silently and names a terminal would act on (issue 15, items 6, 8, 11, 12 and 14). Each is
// refused with an eosdnn::error naming the input and the limit, or printed as what it is.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/cost/delay_evaluator.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/cost/multi_task_evaluator.hpp>
#include <eosdnn/cost/profiled_model.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/io/atomic_file.hpp>
#include <eosdnn/io/detail/input_file.hpp>
#include <eosdnn/io/json.hpp>
#include <eosdnn/io/limits.hpp>
#include <eosdnn/io/plan_document.hpp>
#include <eosdnn/io/profile_csv.hpp>
#include <eosdnn/report/comparison.hpp>
#include <eosdnn/report/report_text.hpp>

#include "../error_message.hpp"
#include "scratch_directory.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

using namespace eosdnn;
using nlohmann::json;
using test::error_message;
using test::validation_message;

namespace {

using robustness_test::scratch_directory;

namespace fs = std::filesystem;

// A stream that never ends, as /dev/zero: every read gets more "a,".
class endless_buffer : public std::streambuf {
public:
    endless_buffer() { setg(chunk_, chunk_, chunk_ + sizeof chunk_); }

protected:
    int_type underflow() override {
        for (std::size_t i = 0; i < sizeof chunk_; ++i) chunk_[i] = i % 2 ? ',' : 'a';
        setg(chunk_, chunk_, chunk_ + sizeof chunk_);
        return traits_type::to_int_type(chunk_[0]);
    }

private:
    char chunk_[4096]{};
};

// phone (local) and edge, linked at `bandwidth_Bps`.
environment phone_and_edge(double bandwidth_Bps, double edge_flops = 1e12,
                           double latency_s = 0.004) {
    environment_builder b;
    const auto phone = b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 2e10});
    const auto edge = b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = edge_flops});
    b.connect(phone, edge, {.bandwidth_Bps = bandwidth_Bps, .latency_s = latency_s});
    return b.build();
}

// in -> out, with `bytes` leaving `in`.
layer_graph two_layers(double bytes, double device_time_s = 1) {
    layer_graph_builder b("huge");
    const auto in = b.add_layer({.name = "in",
                                 .kind = "input",
                                 .flops = 1,
                                 .output_bytes = bytes,
                                 .device_time_s = device_time_s});
    b.add_layer({.name = "out", .flops = 1, .output_bytes = 8, .device_time_s = device_time_s},
                {in});
    return b.build();
}

}  // namespace

TEST_CASE("inputs_limits: sums of finite values past the largest double are refused") {
    // Each field of a layer is finite; the builder refuses the model whose totals are not.
    layer_graph_builder b("sum");
    b.add_layer({.name = "a", .kind = "input", .output_bytes = 1, .device_time_s = 1e308});
    b.add_layer({.name = "b", .output_bytes = 1, .device_time_s = 1e308});
    b.add_edge(0, 1);
    CHECK(validation_message([&] { (void)b.build(); }) ==
          "model 'sum': the device_time_s of its layers add up past the largest double "
          "(1.79769e+308), the largest being layer 'a' with 1e+308");
    const std::string json_text = R"({"name": "m", "input_bytes": 1, "layers": [
        {"name": "a", "param_bytes": 1e308}, {"name": "b", "param_bytes": 1e308, "inputs": ["a"]}]})";
    CHECK(validation_message([&] { model_from_json(json::parse(json_text)); }) ==
          "model JSON /layers: model 'm': the param_bytes of its layers add up past the largest "
          "double (1.79769e+308), the largest being layer 'a' with 1e+308");

    // Bytes that are fine alone overflow over a slow link: the evaluators name model and link.
    const profiled_model slow(phone_and_edge(1e-10));
    const layer_graph g = two_layers(1e300);
    CHECK(validation_message([&] { delay_evaluator<profiled_model> e(g, slow); }) ==
          "delay_evaluator: model 'huge': on this environment, the transfers of its layers' "
          "outputs may add up past the largest double (1.79769e+308 s): 2e+300 bytes over the "
          "slowest link, 'phone' -> 'edge' (1e-10 bytes/s, latency up to 0.004 s)");
    // Latencies that are fine alone overflow when added: the message names them, not the bytes.
    const profiled_model far(phone_and_edge(1e9, 1e12, 1e308));
    const std::string latency =
        validation_message([&] { delay_evaluator<profiled_model> e(two_layers(8), far); });
    CHECK(
        latency.starts_with("delay_evaluator: model 'huge': on this environment, the latencies "
                            "of its layers' "));
    CHECK(latency.ends_with(" s): a link has a latency of 1e+308 s"));
    const std::string tasks = validation_message(
        [&] { multi_task_evaluator<profiled_model> e({dnn_task{.graph = g, .device = 0}}, slow); });
    CHECK(tasks.starts_with("multi_task_evaluator: task 0: model 'huge': on this environment"));
    // Compute times: 1 FLOP per layer on an edge server of 1e-308 FLOP/s takes 1e308 s.
    const profiled_model crawl(phone_and_edge(1e6, 1e-308));
    CHECK(validation_message([&] {
              delay_evaluator<profiled_model> e(two_layers(8, 1), crawl);
          }).starts_with("delay_evaluator: model 'huge': the compute times of its layers add up"));
    // Several tasks each below the limit may sum past it (their mean is then meaningless too).
    const profiled_model fine(phone_and_edge(1e6));
    environment_builder two;
    two.add_node({.name = "p1", .tier = tier::local, .flops_per_s = 1});
    two.add_node({.name = "p2", .tier = tier::local, .flops_per_s = 1});
    two.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1e12});
    two.connect(0, 2, {.bandwidth_Bps = 1e6});
    two.connect(1, 2, {.bandwidth_Bps = 1e6});
    const profiled_model shared(two.build());
    layer_graph_builder half("half");
    half.add_layer({.name = "in", .kind = "input", .output_bytes = 1, .device_time_s = 1e308});
    const layer_graph one = half.build();
    CHECK(validation_message([&] {
              multi_task_evaluator<profiled_model> e(
                  {dnn_task{.graph = one, .device = 0}, dnn_task{.graph = one, .device = 1}},
                  shared);
          }) ==
          "multi_task_evaluator: the worst-case delays of its 2 tasks add up past the "
          "largest double (1.79769e+308 s)");
    // At the edge of the range a model still plans: the check is for overflow only.
    CHECK(delay_evaluator<profiled_model>(two_layers(1e300), fine).dimension() == 2);
}

TEST_CASE("inputs_limits: the report prints any double as what it is") {
    namespace t = detail::text;
    CHECK(t::number(5.1e306, 3) == "5.100e+309");  // ms of 5.1e306 s: not a 63-digit number
    CHECK(t::number(0.07704, 3) == "77.040");
    CHECK(t::number(5e-324, 3) == "4.941e-321");  // a denormal delay is not "0.000"
    CHECK(t::number(0, 3) == "0.000");
    CHECK(t::number(1e300, -9, 0) == "1.000e+291");
    CHECK(t::ratio_text(0.5, 0.25) == "2.00x this plan");
    CHECK(t::ratio_text(1, 5e-324) == "more than 1e308x this plan");  // was "infx this plan"
    CHECK(t::ratio_text(1, 0) == "this plan takes no time");
    CHECK(t::ratio_text(1e10, 1e-3) == "1e+13x this plan");
    CHECK(detail::format_number(-std::numeric_limits<double>::max()) == "-1.79769e+308");

    // A 1e308 B/s link is 8e+302 Mbit/s, not "inf Mbit/s".
    const environment env = phone_and_edge(1e308);
    const layer_graph g = two_layers(8);
    plan_report r{.env = &env, .environment_source = "fast.json"};
    r.tasks.push_back({.graph = &g, .device = 0, .placement = {0, 0}});
    const std::string text = environment_text(r);
    CHECK(text.find("phone -> edge: 8e+302 Mbit/s, 4 ms") != std::string::npos);
    CHECK(text.find("inf") == std::string::npos);

    // The exact reference's note: a bound of 1e306 s is not cut to 199 characters.
    exact_result e;
    e.lower_bound = 1e306;
    e.method = "bucket-elimination";
    CHECK(exact_reference_of(e, 2, 10).note ==
          "best plan of the exact solver in its 10 s time limit; the optimum is at least "
          "1e+306 s");
    e.lower_bound = 1e300;
    CHECK(exact_reference_of(e, 2, 10).note.ends_with("at least 1e+303 ms"));
}

TEST_CASE("inputs_limits: numbers a reader would change silently are refused") {
    // nlohmann reads 1e-400 as 0; the CSV reader refuses it, and now so does the JSON reader.
    CHECK(error_message(error_kind::parse,
                        [] {
                            detail::json_io::parse_text(R"({"links": [{"latency_s": 1e-400}]})",
                                                        "env.json");
                        }) ==
          "env.json: invalid JSON: /links/0/latency_s: the number 1e-400 is too small for a "
          "double (it would read as 0)");
    CHECK(error_message(error_kind::parse,
                        [] { detail::json_io::parse_text("[1, 2, -2.5e-999]", "a.json"); }) ==
          "a.json: invalid JSON: /2: the number -2.5e-999 is too small for a double (it "
          "would read as 0)");
    CHECK(error_message(error_kind::parse, [] {
              detail::json_io::parse_text("1e-400", "a.json");
          }).starts_with("a.json: invalid JSON: (root): the number 1e-400"));
    // Zero written as zero, and tiny numbers a double holds, read as they are.
    const json ok = detail::json_io::parse_text("[0.0, 0e-400, -0, 5e-324]", "a.json");
    CHECK(ok[0] == 0.0);
    CHECK(ok[1] == 0.0);
    CHECK(ok[3].get<double>() > 0);
}

TEST_CASE("inputs_limits: names with control or invisible characters are refused") {
    CHECK(detail::name_problem("conv1").empty());
    CHECK(detail::name_problem("Schicht \xC3\xA4").empty());  // UTF-8 letters are names
    CHECK(detail::name_problem("a\nb") == "the control or invisible character U+000A at byte 2");
    CHECK(detail::name_problem(std::string("a\0b", 3)) ==
          "the control or invisible character U+0000 at byte 2");
    CHECK(detail::name_problem("edge\xE2\x80\x8B") ==  // a zero-width space
          "the control or invisible character U+200B at byte 5");
    CHECK(detail::name_problem("edge ") == "a leading or trailing space");
    CHECK(detail::name_problem(" input", false).empty());  // a kind may have spaces
    CHECK(detail::printable("e\x1b[31mdge\x7f") == "e\\x1B[31mdge\\x7F");
    CHECK(detail::printable("\xC2\x85") == "\\xC2\\x85");  // U+0085, a C1 control

    layer_graph_builder b("m");
    CHECK(validation_message([&] { b.add_layer({.name = "x\ny"}); }) ==
          "model 'm': layer #0: its name 'x\\x0Ay' has the control or invisible character "
          "U+000A at byte 2");
    CHECK(validation_message([&] { b.add_layer({.name = "x", .kind = "conv\x1b[2J"}); }) ==
          "model 'm': layer 'x': its kind 'conv\\x1B[2J' has the control or invisible "
          "character U+001B at byte 5");
    layer_graph_builder bell("m\a");
    bell.add_layer({.name = "x", .kind = "input"});
    CHECK(validation_message([&] { (void)bell.build(); }) ==
          "model 'm\\x07': its name has the control or invisible character U+0007 at byte 2");

    // JSON: a node called "edge" and one whose ESC sequence makes it print as "edge" too.
    const json env = json::parse(R"({"nodes": [
        {"name": "phone", "tier": "local", "flops_per_s": 1},
        {"name": "edge", "tier": "edge", "flops_per_s": 1},
        {"name": "e\u001b[1Cedge", "tier": "edge", "flops_per_s": 1}]})");
    CHECK(validation_message([&] { environment_from_json(env); }) ==
          "environment JSON /nodes/2/name: the node name 'e\\x1B[1Cedge' has the control or "
          "invisible character U+001B at byte 2");
    const json model = json::parse(R"({"name": "m", "layers": [
        {"name": "input", "kind": "input"}, {"name": "x\u0000", "inputs": ["input"]}]})");
    CHECK(validation_message([&] { model_from_json(model); })
              .starts_with("model JSON /layers/1/name = \"x\\u0000\": model 'm': layer #1: its "
                           "name 'x\\x00' has the control"));
}

TEST_CASE("inputs_limits: the model JSON says what to write when the input size is missing") {
    const json model = json::parse(R"({"name": "m", "layers": [
        {"name": "a", "flops": 5, "output_bytes": 3}, {"name": "b", "inputs": ["a"]}]})");
    CHECK(validation_message([&] { model_from_json(model); }) ==
          "model JSON /input_bytes: missing: the model's input layer is not of kind \"input\", "
          "so give the bytes of the model input as \"input_bytes\" at the root, or give that "
          "layer \"kind\": \"input\" and its \"output_bytes\"");
}

TEST_CASE("inputs_limits: readers refuse devices, pipes and files over the byte limit") {
    const scratch_directory dir;
    fs::create_symlink("/dev/zero", dir.path / "z.csv");
    fs::create_symlink("/dev/urandom", dir.path / "u.json");
    CHECK(error_message(error_kind::io, [&] { read_profile_csv(dir.path / "z.csv"); }) ==
          "cannot read profile CSV '" + (dir.path / "z.csv").string() +
              "': it is a character device, not a regular file (only regular files are read: "
              "docs/limits.md)");
    CHECK(error_message(error_kind::io, [&] { read_json_file(dir.path / "u.json"); }) ==
          "cannot read JSON file '" + (dir.path / "u.json").string() +
              "': it is a character device, not a regular file (only regular files are read: "
              "docs/limits.md)");
    const fs::path fifo = dir.path / "f.json";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK(error_message(error_kind::io, [&] { read_json_file(fifo); }).find("it is a pipe") !=
          std::string::npos);

    // A sparse file just over the limit: refused by its size, before a byte is read.
    const fs::path big = dir.file("big.csv", "name,inputs,output_bytes,param_bytes\n");
    fs::resize_file(big, limits::max_text_file_bytes + 1);
    CHECK(error_message(error_kind::io, [&] { read_profile_csv(big); }) ==
          "cannot read profile CSV '" + big.string() +
              "': it has 536870913 bytes, more than "
              "the limit of 536870912 bytes (512 MiB) (docs/limits.md)");
    fs::rename(big, dir.path / "big.json");
    CHECK(error_message(error_kind::io, [&] {
              read_json_file(dir.path / "big.json");
          }).find("536870913 bytes, more than the limit") != std::string::npos);

    // A stream has no size: reading stops at the limit (here a small one) and says so.
    endless_buffer endless;
    std::istream in(&endless);
    CHECK(error_message(error_kind::io, [&] { detail::read_capped(in, "<stream>", 10000); }) ==
          "<stream>: more than the limit of 10000 bytes to read (docs/limits.md); stopped "
          "reading there");
    std::istringstream small("abc");
    CHECK(detail::read_capped(small, "<s>", 3) == "abc");
}

TEST_CASE("inputs_limits: layer node and task counts are refused before building") {
    // One row past the layer limit: refused from the row count, before any layer is built.
    std::string csv = "name,inputs,output_bytes,param_bytes\n";
    csv.reserve(csv.size() + 7 * (limits::max_layers + 1));
    for (std::size_t i = 0; i <= limits::max_layers; ++i) csv += "a,,1,1\n";
    std::istringstream rows(csv);
    CHECK(validation_message([&] { read_profile_csv(rows, "many.csv"); }) ==
          "many.csv: 1000001 layer rows, more than the limit of 1000000 layers (docs/limits.md)");
    const json layers(limits::max_layers + 1, nullptr);
    CHECK(validation_message([&] {
              model_from_json({{"layers", layers}});
          }) ==
          "model JSON /layers: 1000001 layers, more than the limit of 1000000 (docs/limits.md)");
    const json nodes(limits::max_nodes + 1, nullptr);
    CHECK(validation_message([&] {
              environment_from_json({{"nodes", nodes}});
          }) ==
          "environment JSON /nodes: 65536 nodes, more than the limit of 65535 (docs/limits.md)");
    const json document = {{"format", plan_document_format},
                           {"version", plan_document_version},
                           {"environment", to_json(phone_and_edge(1e6))},
                           {"tasks", json(limits::max_tasks + 1, nullptr)}};
    CHECK(validation_message([&] { plan_document_from_json(document); }) ==
          "plan document JSON /tasks: 10001 tasks, more than the limit of 10000 "
          "(docs/limits.md)");
}

TEST_CASE("inputs_limits: a write that fails says why") {
    const scratch_directory dir;
    const fs::path target = dir.path / "missing" / "plan.json";
    const std::string message =
        error_message(error_kind::io, [&] { write_file_atomically(target, "{}"); });
    CHECK(message.starts_with("cannot create '" + target.string() + ".tmp-"));
    CHECK(message.ends_with("' to write '" + target.string() + "': No such file or directory"));
}
