// Robustness (issue 15): text that is not UTF-8. The profile CSV reader refuses it in any field
// with a parse error naming the source, line and column; the JSON writers refuse a graph,
// environment or plan built through the C++ API with such a name with an eosdnn::error naming
// the layer (or node) and the field, not nlohmann's type_error 316; and every message is itself
// UTF-8 (invalid bytes are escaped as \xFF). Valid multi-byte names round-trip.

#include <eosdnn/core/error.hpp>
#include <eosdnn/core/messages.hpp>
#include <eosdnn/core/plan.hpp>
#include <eosdnn/cost/environment.hpp>
#include <eosdnn/graph/builder.hpp>
#include <eosdnn/graph/layer_graph.hpp>
#include <eosdnn/io/json.hpp>
#include <eosdnn/io/profile_csv.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <unistd.h>

using namespace eosdnn;
using test::error_message;

namespace {

const std::string csv_header =
    "index,name,type,inputs,output_shape,output_bytes,param_bytes,macs\n";

std::string csv_error(const std::string& text, const std::string& source = "t.csv") {
    std::istringstream in(text);
    return error_message(error_kind::parse, [&] { read_profile_csv(in, source); });
}

bool is_utf8(std::string_view text) {
    return detail::invalid_utf8_at(text) == std::string_view::npos;
}

// A chain in -> <name> -> out whose middle layer has the given name and kind.
layer_graph with_middle(const std::string& name, const std::string& kind,
                        const std::string& model = "m") {
    layer_graph_builder b(model);
    b.add_layer({.name = "in", .kind = "Input", .output_bytes = 12});
    b.add_layer({.name = name, .kind = kind, .macs = 1, .flops = 2, .output_bytes = 8});
    b.add_layer({.name = "out", .kind = "Dense", .output_bytes = 4});
    b.add_edge(0, 1);
    b.add_edge(1, 2);
    return b.build();
}

}  // namespace

TEST_CASE("utf8: the validator follows RFC 3629") {
    CHECK(is_utf8(""));
    CHECK(is_utf8("conv_α"));
    CHECK(is_utf8("层1"));
    CHECK(is_utf8("\xF0\x9F\x98\x80"));                       // U+1F600
    CHECK(detail::invalid_utf8_at("a\xFF") == 1);             // never a UTF-8 byte
    CHECK(detail::invalid_utf8_at("ab\xC3") == 2);            // truncated
    CHECK(detail::invalid_utf8_at("\xC0\xAF") == 0);          // overlong '/'
    CHECK(detail::invalid_utf8_at("\xED\xA0\x80") == 0);      // a surrogate
    CHECK(detail::invalid_utf8_at("\xF4\x90\x80\x80") == 0);  // above U+10FFFF
    CHECK(detail::invalid_utf8_at("x\x80") == 1);             // a lone continuation byte
    CHECK(detail::escape_invalid_utf8("a\xFF"
                                      "b\xC3") == "a\\xFFb\\xC3");
    CHECK(detail::escape_invalid_utf8("层1") == "层1");
    CHECK(detail::utf8_problem("a\xFF") == "invalid byte 0xff at byte 2");
}

TEST_CASE("utf8: the profile CSV reader refuses a name or kind that is not UTF-8") {
    const std::string input_row = "0,in,Input,,,12,0,0\n";
    CHECK(csv_error(csv_header + input_row + "1,b\xFFx,Conv,in,,8,0,1\n") ==
          "t.csv:3: column 2 ('name'): 'b\\xFFx' is not UTF-8 text: invalid byte 0xff at byte 2 "
          "of the field");
    CHECK(csv_error(csv_header + input_row + "1,conv,C\xC3,in,,8,0,1\n") ==
          "t.csv:3: column 3 ('type'): 'C\\xC3' is not UTF-8 text: invalid byte 0xc3 at byte 2 "
          "of the field");
    CHECK(csv_error(csv_header + input_row + "1,conv,Conv,i\xFEn,,8,0,1\n") ==
          "t.csv:3: column 4 ('inputs'): 'i\\xFEn' is not UTF-8 text: invalid byte 0xfe at byte 2 "
          "of the field");
    // In the header, before the columns are known.
    CHECK(csv_error("index,na\xFFme\n") ==
          "t.csv:1: column 2: 'na\\xFFme' is not UTF-8 text: invalid byte 0xff at byte 3 of the "
          "field");
}

TEST_CASE("utf8: a source name that is not UTF-8 is escaped in messages and the model name") {
    const std::string message = csv_error(csv_header + "0,in,Input,,,x,0,0\n",
                                          "dir/b\xFF"
                                          "d.csv");
    CHECK(is_utf8(message));
    CHECK(message.starts_with("dir/b\\xFFd.csv:2: column 6 ('output_bytes')"));

    std::istringstream in(csv_header + "0,in,Input,,,12,0,0\n1,out,Dense,in,,4,0,1\n");
    const layer_graph g = read_profile_csv(in,
                                           "dir/b\xFF"
                                           "d.csv");
    CHECK(g.name() == "b\\xFFd");
    CHECK(to_json(g)["name"] == "b\\xFFd");

    // A file that does not exist, named by bytes that are not UTF-8.
    const auto missing = std::filesystem::temp_directory_path() / "eosdnn-no-such-\xFF.csv";
    const std::string io_message =
        error_message(error_kind::io, [&] { read_profile_csv(missing); });
    CHECK(is_utf8(io_message));
    CHECK(io_message.find("eosdnn-no-such-\\xFF.csv") != std::string::npos);
}

TEST_CASE("utf8: to_json refuses a graph whose name or kind is not UTF-8, naming the layer") {
    CHECK(test::validation_message([] { (void)to_json(with_middle("b\xFFx", "Conv")); }) ==
          "model 'm': cannot write it as JSON: layer 1 ('b\\xFFx'): its name 'b\\xFFx' is not "
          "UTF-8 text: invalid byte 0xff at byte 2");
    CHECK(test::validation_message([] { (void)to_json(with_middle("conv", "C\xFF")); }) ==
          "model 'm': cannot write it as JSON: layer 1 ('conv'): its kind 'C\\xFF' is not UTF-8 "
          "text: invalid byte 0xff at byte 2");
    CHECK(test::validation_message([] { (void)to_json(with_middle("conv", "Conv", "m\xFF")); }) ==
          "model 'm\\xFF': cannot write it as JSON: its name 'm\\xFF' is not UTF-8 text: invalid "
          "byte 0xff at byte 2");

    // The CSV writer refuses it too, since the reader would.
    std::ostringstream out;
    test::check_validation_error([&] { write_profile_csv(out, with_middle("b\xFFx", "Conv")); },
                                 {"layer 'b\\xFFx'", "its name has a byte that is not UTF-8"});
}

TEST_CASE("utf8: to_json of an environment or a plan refuses names that are not UTF-8") {
    environment_builder b;
    b.add_node({.name = "phone", .tier = tier::local, .flops_per_s = 100});
    b.add_node({.name = "e\xFF", .tier = tier::edge, .flops_per_s = 1000});
    b.connect(0, 1, {.bandwidth_Bps = 100});
    const environment env = b.build();
    CHECK(test::validation_message([&] { (void)to_json(env); }) ==
          "environment: cannot write it as JSON: node 1 ('e\\xFF'): its name 'e\\xFF' is not "
          "UTF-8 text: invalid byte 0xff at byte 2");

    const layer_graph g = with_middle("conv", "Conv");
    migration_plan plan;
    plan.model = "m";
    plan.algorithm = "pso\xFF";
    plan.placement = {0, 0, 0};
    CHECK(test::validation_message([&] { (void)to_json(plan, g, env); }) ==
          "plan: cannot write it as JSON: its algorithm 'pso\\xFF' is not UTF-8 text: invalid "
          "byte 0xff at byte 4");
    plan.algorithm = "pso";
    CHECK_NOTHROW((void)to_json(plan, g, env));
    plan.placement = {0, 1, 0};
    CHECK(test::validation_message([&] { (void)to_json(plan, g, env); }) ==
          "plan: cannot write it as JSON: node 1 ('e\\xFF'): its name 'e\\xFF' is not UTF-8 text: "
          "invalid byte 0xff at byte 2");
}

TEST_CASE("utf8: read_json_file reports a string that is not UTF-8 with line and column") {
    const auto file = std::filesystem::temp_directory_path() /
                      ("eosdnn-utf8-" + std::to_string(::getpid()) + ".json");
    {
        std::ofstream out(file, std::ios::binary);
        out << "{\n  \"name\": \"b\xFFx\"\n}\n";
    }
    const std::string message = error_message(error_kind::parse, [&] { read_json_file(file); });
    std::filesystem::remove(file);
    INFO(message);
    CHECK(is_utf8(message));
    CHECK(message.find(".json:2:") != std::string::npos);
    CHECK(message.find("UTF-8") != std::string::npos);
}

TEST_CASE("utf8: multi-byte names round-trip through CSV and JSON") {
    const layer_graph g = with_middle("conv_α", "卷积", "模型");
    // JSON
    const nlohmann::json j = to_json(g);
    const layer_graph from_json = model_from_json(nlohmann::json::parse(j.dump()));
    CHECK(from_json.name() == "模型");
    CHECK(from_json[1].name == "conv_α");
    CHECK(from_json[1].kind == "卷积");
    CHECK(to_json(from_json) == j);
    // CSV
    layer_graph_builder b("");
    b.add_layer({.name = "输入", .kind = "Input", .output_bytes = 12});
    b.add_layer({.name = "层1", .kind = "Conv", .macs = 1, .flops = 2, .output_bytes = 8});
    b.add_layer({.name = "conv_α", .kind = "Dense", .output_bytes = 4});
    b.add_edge(0, 1);
    b.add_edge(1, 2);
    const layer_graph h = b.build();
    std::ostringstream out;
    write_profile_csv(out, h);
    std::istringstream in(out.str());
    const layer_graph back = read_profile_csv(in, "模型.csv");
    CHECK(back.name() == "模型");
    REQUIRE(back.size() == 3);
    CHECK(back[0].name == "输入");
    CHECK(back[1].name == "层1");
    CHECK(back[2].name == "conv_α");
    CHECK(back.predecessors(2)[0] == 1);
    CHECK(to_json(back)["layers"] == to_json(h)["layers"]);
}
