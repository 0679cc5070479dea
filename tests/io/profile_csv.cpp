#include <eosdnn/graph/builder.hpp>
#include <eosdnn/io/profile_csv.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace eosdnn;

namespace {

const std::filesystem::path profiles = std::filesystem::path(EOSDNN_DATA_DIR) / "ionn-profiles";

layer_graph read_text(const std::string& text, const std::string& source = "test.csv") {
    std::istringstream in(text);
    return read_profile_csv(in, source);
}

using test::error_message;

std::string csv_error(error_kind kind, const std::string& text) {
    return error_message(kind, [&] { read_text(text); });
}

void check_same_layer(const layer& a, const layer& b) {
    INFO("layer " << a.name);
    CHECK(a.name == b.name);
    CHECK(a.kind == b.kind);
    CHECK(a.macs == b.macs);
    CHECK(a.flops == b.flops);
    CHECK(a.param_bytes == b.param_bytes);
    CHECK(a.output_bytes == b.output_bytes);
    CHECK(a.output_shape == b.output_shape);
    CHECK(a.device_time_s == b.device_time_s);
    CHECK(a.server_time_s == b.server_time_s);
    CHECK(a.load_time_s == b.load_time_s);
}

std::vector<std::string> predecessor_names(const layer_graph& g, layer_id id) {
    std::vector<std::string> names;
    for (layer_id p : g.predecessors(id)) names.push_back(g[p].name);
    return names;
}

// Same model, layers matched by name (a CSV lists them in topological order).
void check_same_graph(const layer_graph& a, const layer_graph& b) {
    REQUIRE(a.size() == b.size());
    CHECK(a.name() == b.name());
    CHECK(a.input_bytes() == b.input_bytes());
    CHECK(a.edge_count() == b.edge_count());
    CHECK(a.is_chain() == b.is_chain());
    CHECK(a[a.input()].name == b[b.input()].name);
    CHECK(a[a.output()].name == b[b.output()].name);
    for (layer_id id = 0; id < a.size(); ++id) {
        const auto other = b.find(a[id].name);
        REQUIRE(other);
        check_same_layer(a[id], b[*other]);
        CHECK(predecessor_names(a, id) == predecessor_names(b, *other));
    }
}

layer_graph round_trip(const layer_graph& g) {
    std::ostringstream out;
    write_profile_csv(out, g);
    return read_text(out.str(), g.name() + ".csv");
}

struct expected_totals {
    const char* model;
    std::size_t layers, splits;
    double params, macs, client_ms, server_ms, input_bytes;
    bool chain;
};

// data/ionn-profiles/README.md, "Per-model totals".
constexpr expected_totals readme_totals[] = {
    {"alexnet", 24, 0, 60'965'224, 724'406'816, 821.708, 1.640, 618'348, true},
    {"googlenet", 152, 9, 6'998'552, 1'582'671'872, 1339.965, 6.058, 602'112, false},
    {"resnet50", 245, 16, 25'610'269, 3'857'973'248, 2933.665, 9.462, 602'112, false},
};

const std::string tiny_header =
    "index,name,type,inputs,output_shape,output_bytes,param_bytes,macs,client_ms,server_ms\n";

}  // namespace

TEST_CASE("profile_csv: the IONN profiles match the totals of their README") {
    for (const auto& expected : readme_totals) {
        INFO(expected.model);
        const layer_graph g = read_profile_csv(profiles / (std::string(expected.model) + ".csv"));
        CHECK(g.name() == expected.model);
        CHECK(g.size() == expected.layers);
        CHECK(g.total_param_bytes() == 4 * expected.params);
        CHECK(g.total_macs() == expected.macs);
        CHECK(g.total_flops() == 2 * expected.macs);
        CHECK(g.input_bytes() == expected.input_bytes);
        CHECK(g.is_chain() == expected.chain);
        CHECK(g.input() == 0);
        CHECK(g[0].kind == "Input");
        double client_ms = 0, server_ms = 0;
        std::size_t splits = 0;
        for (layer_id id = 0; id < g.size(); ++id) {
            REQUIRE(g[id].device_time_s);
            REQUIRE(g[id].server_time_s);
            CHECK_FALSE(g[id].load_time_s);
            client_ms += *g[id].device_time_s * 1000;
            server_ms += *g[id].server_time_s * 1000;
            splits += g[id].kind == "Split";
        }
        CHECK(splits == expected.splits);
        // The README prints the sums to three decimals.
        CHECK(std::abs(client_ms - expected.client_ms) <= 0.0005);
        CHECK(std::abs(server_ms - expected.server_ms) <= 0.0005);
    }
}

TEST_CASE("profile_csv: a row's fields become the layer's") {
    const layer_graph g = read_profile_csv(profiles / "alexnet.csv");
    const layer& conv1 = g[*g.find("conv1")];
    CHECK(conv1.kind == "Convolution");
    CHECK(conv1.output_shape == std::vector<std::size_t>{96, 55, 55});
    CHECK(conv1.output_bytes == 1161600);
    CHECK(conv1.param_bytes == 139776);
    CHECK(conv1.macs == 105415200);
    CHECK(conv1.flops == 2 * 105415200.0);
    // Read as the decimal 0.0706632 s, rounded once.
    CHECK(*conv1.device_time_s == 0.0706632);
    CHECK(*conv1.server_time_s == 0.0000806976);
    CHECK(predecessor_names(g, *g.find("conv1")) == std::vector<std::string>{"data"});
    CHECK(g[g.output()].name == "prob");
    CHECK(g[g.output()].output_shape == std::vector<std::size_t>{1000});

    const layer_graph googlenet = read_profile_csv(profiles / "googlenet.csv");
    const auto concat = googlenet.find("inception_3a/output");
    REQUIRE(concat);
    CHECK(googlenet.predecessors(*concat).size() == 4);
}

TEST_CASE("profile_csv: writing the IONN profiles gives back the same file and graph") {
    for (const auto& expected : readme_totals) {
        INFO(expected.model);
        const auto file = profiles / (std::string(expected.model) + ".csv");
        const layer_graph g = read_profile_csv(file);
        std::ostringstream out;
        write_profile_csv(out, g);
        std::ifstream in(file, std::ios::binary);
        const std::string original{std::istreambuf_iterator<char>(in),
                                   std::istreambuf_iterator<char>()};
        CHECK(out.str() == original);
        const layer_graph again = read_text(out.str(), file.filename().string());
        check_same_graph(g, again);
        for (layer_id id = 0; id < g.size(); ++id) CHECK(g[id].name == again[id].name);
    }
}

TEST_CASE("profile_csv: every field round-trips exactly, flops and load times included") {
    layer_graph_builder b("zoo_like");
    const auto in = b.add_layer({.name = "input",
                                 .kind = "input",
                                 .output_bytes = 3 * 32 * 32 * 4,
                                 .output_shape = {3, 32, 32},
                                 .device_time_s = 1e-6});
    const auto conv = b.add_layer({.name = "conv",
                                   .kind = "conv",
                                   .macs = 1769472,
                                   .flops = 3538944 + 65536,
                                   .param_bytes = 1792,
                                   .output_bytes = 65536,
                                   .output_shape = {64, 16, 16},
                                   .device_time_s = 0.1 + 0.2,
                                   .server_time_s = 1.0 / 3,
                                   .load_time_s = 2.5e-3},
                                  {in});
    const auto pool = b.add_layer({.name = "pool",
                                   .kind = "max pool",
                                   .flops = 16384,
                                   .output_bytes = 16384,
                                   .output_shape = {64, 8, 8},
                                   .device_time_s = 7e-300,
                                   .server_time_s = 0},
                                  {conv});
    const auto side = b.add_layer({.name = "side",
                                   .kind = "conv",
                                   .macs = 3,
                                   .flops = 6,
                                   .output_bytes = 16384,
                                   .device_time_s = std::numeric_limits<double>::max(),
                                   .server_time_s = std::numeric_limits<double>::denorm_min()},
                                  {conv});
    const auto add = b.add_layer({.name = "add",
                                  .kind = "add",
                                  .flops = 4096,
                                  .output_bytes = 16384,
                                  .output_shape = {64, 8, 8},
                                  .server_time_s = 123456789.125},
                                 {pool, side});
    b.add_layer({.name = "fc",
                 .kind = "linear",
                 .macs = 40960,
                 .flops = 81920,
                 .param_bytes = 163880,
                 .output_bytes = 40,
                 .output_shape = {10},
                 .device_time_s = 1e-3,
                 .load_time_s = 0},
                {add});
    const layer_graph g = b.build();

    std::ostringstream out;
    write_profile_csv(out, g);
    const std::string text = out.str();
    CHECK(
        text.starts_with("index,name,type,inputs,output_shape,output_bytes,param_bytes,macs,flops,"
                         "client_ms,server_ms,load_ms\n"));
    CHECK(text.find("1,conv,conv,input,64x16x16,65536,1792,1769472,3604480,300.00000000000004,") !=
          std::string::npos);
    CHECK(text.find("4,add,add,pool;side,") != std::string::npos);
    check_same_graph(g, read_text(text, "zoo_like.csv"));
}

TEST_CASE("profile_csv: random times and sizes round-trip bit for bit") {
    std::mt19937_64 rng(20240611);
    for (int round = 0; round < 20; ++round) {
        layer_graph_builder b("random");
        layer_id previous = 0;
        const auto random_value = [&] {
            for (;;) {
                const double v = std::abs(std::bit_cast<double>(rng()));
                if (std::isfinite(v)) return v;
            }
        };
        const auto random_human = [&] {  // magnitudes a profile really has
            return std::ldexp(static_cast<double>(rng() >> 11), -static_cast<int>(rng() % 80));
        };
        for (int i = 0; i < 30; ++i) {
            layer l{.name = "l" + std::to_string(i), .kind = i == 0 ? "input" : "k"};
            const bool wild = rng() % 2;
            const auto value = [&] { return wild ? random_value() : random_human(); };
            l.macs = value();
            l.flops = value();
            l.param_bytes = value();
            l.output_bytes = value();
            l.device_time_s = value();
            if (rng() % 3) l.server_time_s = value();
            if (rng() % 3) l.load_time_s = value();
            const layer_id id = b.add_layer(std::move(l));
            if (i > 0) b.add_edge(previous, id);
            previous = id;
        }
        const layer_graph g = b.build();
        check_same_graph(g, round_trip(g));
    }
}

TEST_CASE("profile_csv: layers out of topological order are written in topological order") {
    layer_graph_builder b("shuffled");
    const auto out = b.add_layer({.name = "out", .output_bytes = 4});
    const auto mid = b.add_layer({.name = "mid", .output_bytes = 8});
    const auto in = b.add_layer({.name = "in", .kind = "Input", .output_bytes = 16});
    b.add_edge(in, mid);
    b.add_edge(mid, out);
    const layer_graph g = b.build();
    const layer_graph again = round_trip(g);
    check_same_graph(g, again);
    CHECK(again[0].name == "in");
    CHECK(again[2].name == "out");
}

TEST_CASE("profile_csv: columns in any order, optional ones absent, CRLF, BOM, blanks") {
    SUBCASE("only the required columns, reordered") {
        const layer_graph g = read_text(
            "inputs,param_bytes,name,output_bytes\r\n"
            ",0,in,100\r\n"
            "in,40,fc,8\r\n",
            "some/dir/minimal.csv");
        CHECK(g.name() == "minimal");
        REQUIRE(g.size() == 2);
        CHECK(g.input_bytes() == 100);
        const layer& fc = g[1];
        CHECK(fc.kind.empty());
        CHECK(fc.macs == 0);
        CHECK(fc.flops == 0);
        CHECK(fc.output_shape.empty());
        CHECK_FALSE(fc.device_time_s);
        CHECK_FALSE(fc.server_time_s);
        CHECK_FALSE(fc.load_time_s);
        CHECK(fc.param_bytes == 40);
    }
    SUBCASE("no final newline, a byte-order mark, blanks around fields, blank lines") {
        const layer_graph g = read_text("\xEF\xBB\xBF" + tiny_header +
                                        "0 , in , Input ,  , 3 , 12 , 0 , 0 , 0.5 , \n"
                                        "\n"
                                        "1,fc,InnerProduct,in,2,8,32,6,1.5,0.25");
        REQUIRE(g.size() == 2);
        CHECK(g[0].name == "in");
        CHECK(g[0].kind == "Input");
        CHECK(g[0].output_shape == std::vector<std::size_t>{3});
        CHECK(*g[0].device_time_s == 0.0005);
        CHECK_FALSE(g[0].server_time_s);  // an empty cell: not measured
        CHECK(g[1].flops == 12);
        CHECK(*g[1].server_time_s == 0.00025);
        CHECK(g.input_bytes() == 12);
    }
    SUBCASE("numbers in exponent notation") {
        const layer_graph g = read_text(
            tiny_header + "0,in,Input,,,1.2e1,0,0,5e-1,1E2\n1,fc,fc,in,,8,3.2E+1,6,1.5,0\n");
        CHECK(g[0].output_bytes == 12);
        CHECK(*g[0].device_time_s == 0.0005);
        CHECK(*g[0].server_time_s == 0.1);
        CHECK(g[1].param_bytes == 32);
    }
}

TEST_CASE("profile_csv: malformed files throw parse errors naming source, line and column") {
    const std::string in_row = "0,in,Input,,3,12,0,0,1,1\n";

    SUBCASE("empty file") {
        CHECK(csv_error(error_kind::parse, "").find("test.csv: empty file") != std::string::npos);
        CHECK(csv_error(error_kind::parse, "\n\r\n  \n").find("empty file") != std::string::npos);
    }
    SUBCASE("header only") {
        const auto m = csv_error(error_kind::parse, tiny_header);
        CHECK(m.find("test.csv:1:") != std::string::npos);
        CHECK(m.find("not followed by any layer row") != std::string::npos);
    }
    SUBCASE("missing required column") {
        const auto m = csv_error(error_kind::parse, "index,name,inputs,output_bytes\n0,in,,4\n");
        CHECK(m.find("test.csv:1:") != std::string::npos);
        CHECK(m.find("missing required column 'param_bytes'") != std::string::npos);
    }
    SUBCASE("unknown and duplicate columns") {
        auto m = csv_error(error_kind::parse, "name,inputs,output_bytes,param_bytes,server_msec\n");
        CHECK(m.find("test.csv:1: column 5: unknown column 'server_msec'") != std::string::npos);
        m = csv_error(error_kind::parse, "name,inputs,output_bytes,param_bytes,name\n");
        CHECK(m.find("column 5: column 'name' appears twice") != std::string::npos);
    }
    SUBCASE("wrong field count") {
        const auto m =
            csv_error(error_kind::parse, tiny_header + in_row + "1,fc,fc,in,2,8,32,6,1\n");
        CHECK(m.find("test.csv:3:") != std::string::npos);
        CHECK(m.find("expected 10 fields as in the header, found 9") != std::string::npos);
    }
    SUBCASE("a number that is not one") {
        auto m = csv_error(error_kind::parse, tiny_header + in_row + "1,fc,fc,in,2,8,32,six,1,1\n");
        CHECK(m.find("test.csv:3: column 8 ('macs'): 'six' is not a number") != std::string::npos);
        m = csv_error(error_kind::parse, tiny_header + in_row + "1,fc,fc,in,2,8,,6,1,1\n");
        CHECK(m.find("test.csv:3: column 7 ('param_bytes'): empty") != std::string::npos);
        m = csv_error(error_kind::parse, tiny_header + in_row + "1,fc,fc,in,2,8,32,6,1.5ms,1\n");
        CHECK(m.find("column 9 ('client_ms'): '1.5ms' is not a number") != std::string::npos);
        m = csv_error(error_kind::parse, tiny_header + in_row + "1,fc,fc,in,2,8,+32,6,1,1\n");
        CHECK(m.find("column 7 ('param_bytes'): '+32' is not a number") != std::string::npos);
    }
    SUBCASE("a bad shape or index") {
        auto m = csv_error(error_kind::parse, tiny_header + in_row + "1,fc,fc,in,2x,8,32,6,1,1\n");
        CHECK(m.find("test.csv:3: column 5 ('output_shape'): '2x'") != std::string::npos);
        m = csv_error(error_kind::parse, tiny_header + in_row + "one,fc,fc,in,2,8,32,6,1,1\n");
        CHECK(m.find("test.csv:3: column 1 ('index'): 'one'") != std::string::npos);
    }
    SUBCASE("quoted fields") {
        const auto m =
            csv_error(error_kind::parse, tiny_header + in_row + "1,\"fc\",fc,in,2,8,32,6,1,1\n");
        CHECK(m.find("test.csv:3: column 2: quoted fields are not supported") != std::string::npos);
    }
    SUBCASE("binary garbage") {
        const std::string garbage("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
        auto m = csv_error(error_kind::parse, garbage);
        CHECK(m.find("test.csv:2:") != std::string::npos);
        CHECK(m.find("binary data") != std::string::npos);
        m = csv_error(error_kind::parse,
                      tiny_header + in_row + std::string("1,fc,fc,in,2,8,3\0002,6,1,1\n", 25));
        CHECK(m.find("test.csv:3: character 17: byte 0x00") != std::string::npos);
    }
    SUBCASE("an empty name in the inputs") {
        const auto m =
            csv_error(error_kind::parse, tiny_header + in_row + "1,fc,fc,in;,2,8,32,6,1,1\n");
        CHECK(m.find("test.csv:3: column 4 ('inputs'): empty name in 'in;'") != std::string::npos);
    }
}

TEST_CASE("profile_csv: bad values throw validation errors naming source, line and column") {
    const std::string in_row = "0,in,Input,,3,12,0,0,1,1\n";
    const auto row = [&](const std::string& fc) {
        return csv_error(error_kind::validation, tiny_header + in_row + fc);
    };

    SUBCASE("negative, NaN, infinite, out of range") {
        CHECK(row("1,fc,fc,in,2,-8,32,6,1,1\n")
                  .find("test.csv:3: column 6 ('output_bytes'): '-8' is not allowed") !=
              std::string::npos);
        CHECK(row("1,fc,fc,in,2,8,32,nan,1,1\n").find("test.csv:3: column 8 ('macs'): 'nan'") !=
              std::string::npos);
        CHECK(row("1,fc,fc,in,2,8,32,6,inf,1\n").find("column 9 ('client_ms'): 'inf'") !=
              std::string::npos);
        CHECK(row("1,fc,fc,in,2,8,32,6,1,-0.5\n").find("column 10 ('server_ms'): '-0.5'") !=
              std::string::npos);
        CHECK(row("1,fc,fc,in,2,8,1e999,6,1,1\n")
                  .find("column 7 ('param_bytes'): '1e999' is out of range") != std::string::npos);
    }
    SUBCASE("index not matching the row order") {
        const auto m = row("2,fc,fc,in,2,8,32,6,1,1\n");
        CHECK(m.find("test.csv:3: column 1 ('index'): index 2 does not match the row order") !=
              std::string::npos);
    }
    SUBCASE("duplicate layer name") {
        const auto m = row("1,in,fc,in,2,8,32,6,1,1\n");
        CHECK(
            m.find("test.csv:3: column 2 ('name'): duplicate layer name 'in' (first on line 2)") !=
            std::string::npos);
    }
    SUBCASE("unknown predecessor, or one on a later row, or itself") {
        CHECK(row("1,fc,fc,nowhere,2,8,32,6,1,1\n")
                  .find("test.csv:3: column 4 ('inputs'): unknown predecessor 'nowhere'") !=
              std::string::npos);
        CHECK(row("1,fc,fc,in;fc,2,8,32,6,1,1\n").find("unknown predecessor 'fc'") !=
              std::string::npos);
        const auto m =
            csv_error(error_kind::validation,
                      tiny_header + in_row + "1,a,fc,b,2,8,32,6,1,1\n2,b,fc,in,2,8,32,6,1,1\n");
        CHECK(m.find("test.csv:3: column 4 ('inputs'): unknown predecessor 'b'") !=
              std::string::npos);
    }
    SUBCASE("the builder's errors: duplicate edge, empty name, several inputs or outputs") {
        auto m = row("1,fc,fc,in;in,2,8,32,6,1,1\n");
        CHECK(m.find("test.csv:3:") != std::string::npos);
        CHECK(m.find("duplicate edge 'in' -> 'fc'") != std::string::npos);
        m = row("1,,fc,in,2,8,32,6,1,1\n");
        CHECK(m.find("test.csv:3:") != std::string::npos);
        CHECK(m.find("empty name") != std::string::npos);
        m = row("1,other,Input,,2,8,32,6,1,1\n2,fc,fc,in;other,2,8,32,6,1,1\n");
        CHECK(m.find("test.csv: model 'test': the model must have exactly one input layer") !=
              std::string::npos);
        CHECK(m.find("'in', 'other'") != std::string::npos);
        m = row("1,a,fc,in,2,8,32,6,1,1\n2,b,fc,in,2,8,32,6,1,1\n");
        CHECK(m.find("test.csv: model 'test': the model must have exactly one output layer") !=
              std::string::npos);
    }
    // Cycles cannot be written: every predecessor must be on an earlier row, so a back edge is an
    // unknown predecessor (above) before the builder ever sees it.
}

TEST_CASE("profile_csv: files that cannot be opened, graphs that cannot be written") {
    const auto m =
        error_message(error_kind::io, [] { read_profile_csv(profiles / "no-such-model.csv"); });
    CHECK(m.find("no-such-model.csv") != std::string::npos);

    const auto write = [](layer_graph_builder& b) {
        std::ostringstream out;
        write_profile_csv(out, b.build());
        return out.str();
    };
    {
        layer_graph_builder b("bad");
        const auto in = b.add_layer({.name = "in", .kind = "input", .output_bytes = 4});
        b.add_layer({.name = "a,b", .output_bytes = 4}, {in});
        CHECK(error_message(error_kind::validation, [&] { write(b); })
                  .find("layer 'a,b' cannot be written to CSV: its name has a comma") !=
              std::string::npos);
    }
    {
        layer_graph_builder b("bad");
        const auto in = b.add_layer({.name = "in", .kind = "input", .output_bytes = 4});
        b.add_layer({.name = "a;b", .output_bytes = 4}, {in});
        CHECK(error_message(error_kind::validation, [&] { write(b); }).find("a semicolon") !=
              std::string::npos);
    }
    {
        layer_graph_builder b("bad");
        const auto in = b.add_layer({.name = "in", .kind = " input", .output_bytes = 4});
        b.add_layer({.name = "fc", .output_bytes = 4}, {in});
        b.set_input_bytes(4);
        CHECK(error_message(error_kind::validation, [&] {
                  write(b);
              }).find("its kind has leading or trailing blanks") != std::string::npos);
    }
    {
        layer_graph_builder b("bad");
        const auto in = b.add_layer({.name = "in", .kind = "input", .output_bytes = 4});
        b.add_layer({.name = "fc", .output_bytes = 4}, {in});
        b.set_input_bytes(8);
        CHECK(error_message(error_kind::validation, [&] {
                  write(b);
              }).find("input bytes (8) differ") != std::string::npos);
    }
}
