#include <eosdnn/io/default_environment.hpp>
#include <eosdnn/replan/trace_csv.hpp>
#include <eosdnn/replan/trace_generators.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

using namespace eosdnn;

namespace {

session_trace read_text(const std::string& text, const environment& env,
                        const std::string& source = "trace.csv") {
    std::istringstream in(text);
    return read_trace_csv(in, env, source);
}

std::string write_text(const session_trace& trace, const environment& env) {
    std::ostringstream out;
    write_trace_csv(out, trace, env);
    return out.str();
}

void check_same(const session_trace& a, const session_trace& b) {
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO("event " << i);
        CHECK(a[i].time_s == b[i].time_s);
        CHECK(a[i].kind == b[i].kind);
        CHECK(a[i].from == b[i].from);
        if (is_link_event(a[i].kind)) CHECK(a[i].to == b[i].to);
        CHECK(a[i].value == b[i].value);
    }
}

// The message of reading `row` after a valid header and one valid row: the bad row is line 3.
std::string row_error(error_kind kind, const std::string& row) {
    const environment env = default_environment();
    const std::string text = "time_s,kind,target,value\n1,bandwidth,phone->edge1,40\n" + row + "\n";
    return test::error_message(kind, [&] { read_text(text, env); });
}

void check_row_error(error_kind kind, const std::string& row, const std::string& part) {
    const std::string message = row_error(kind, row);
    INFO("row: " << row << "\nmessage: " << message);
    CHECK(message.starts_with("trace.csv:3: "));
    CHECK(message.find(part) != std::string::npos);
}

}  // namespace

TEST_CASE("read_trace_csv: every kind, in the units of the format") {
    const environment env = default_environment();
    const session_trace t = read_text(
        "\xEF\xBB\xBFtime_s,kind,target,value\r\n"
        "0,bandwidth,phone->edge1,12.5\r\n"
        "\n"
        " 2.5 , latency , edge1->phone , 20 \n"
        "2.5,speed,edge2,0.5\n"
        "3,down,cloud,\n"
        "4,up,cloud,\n"
        "7,rate,phone,2\n",
        env);
    REQUIRE(t.size() == 6);
    CHECK(t[0].kind == event_kind::link_bandwidth);
    CHECK(t[0].from == 0);
    CHECK(t[0].to == 1);
    CHECK(t[0].value == mbps(12.5));
    CHECK(t[1].kind == event_kind::link_latency);
    CHECK(t[1].time_s == 2.5);
    CHECK(t[1].from == 1);
    CHECK(t[1].to == 0);
    CHECK(t[1].value == 0.020);  // ms, scaled once: the double nearest 0.020
    CHECK(t[2].kind == event_kind::node_speed);
    CHECK(t[2].from == 2);
    CHECK(t[2].value == 0.5);
    CHECK(t[3].kind == event_kind::node_down);
    CHECK(t[3].from == 3);
    CHECK(t[4].kind == event_kind::node_up);
    CHECK(t[5].kind == event_kind::query_rate);
    CHECK(t[5].value == 2);
}

TEST_CASE("read_trace_csv: columns by name, a header alone is an empty trace") {
    const environment env = default_environment();
    const session_trace t =
        read_text("kind,value,time_s,target\nbandwidth,8,1,phone->cloud\n", env);
    REQUIRE(t.size() == 1);
    CHECK(t[0].time_s == 1);
    CHECK(t[0].to == 3);
    CHECK(t[0].value == mbps(8));
    CHECK(read_text("time_s,kind,target,value\n", env).empty());
}

TEST_CASE("write_trace_csv then read_trace_csv gives the same events") {
    const environment env = default_environment();
    SUBCASE("hand-made, awkward numbers") {
        const session_trace t{
            {.time_s = 0,
             .kind = event_kind::link_bandwidth,
             .from = 0,
             .to = 1,
             .value = mbps(0.1)},
            {.time_s = 0.1 + 0.2,
             .kind = event_kind::link_latency,
             .from = 0,
             .to = 2,
             .value = 0.0123},
            {.time_s = 1e-7, .kind = event_kind::link_latency, .from = 2, .to = 0, .value = 0},
            {.time_s = 3, .kind = event_kind::node_speed, .from = 1, .to = 0, .value = 1.0 / 3},
            {.time_s = 3, .kind = event_kind::node_down, .from = 2, .to = 0, .value = 0},
            {.time_s = 1e6, .kind = event_kind::node_up, .from = 2, .to = 0, .value = 0},
            {.time_s = 1e6, .kind = event_kind::query_rate, .from = 0, .to = 0, .value = 0},
        };
        // Times must not decrease: sort the awkward ones into place first.
        session_trace sorted = t;
        std::stable_sort(sorted.begin(), sorted.end(),
                         [](const auto& a, const auto& b) { return a.time_s < b.time_s; });
        check_same(read_text(write_text(sorted, env), env), sorted);
    }
    SUBCASE("random bandwidths and latencies") {
        std::mt19937_64 rng(7);
        std::uniform_real_distribution<double> megabits(1e-3, 1e4), ms(0, 500), dt(0, 3);
        session_trace t;
        double time = 0;
        for (int i = 0; i < 500; ++i) {
            time += dt(rng);
            const node_id server = static_cast<node_id>(1 + i % 3);
            if (i % 2)
                t.push_back({time, event_kind::link_bandwidth, 0, server, mbps(megabits(rng))});
            else
                t.push_back({time, event_kind::link_latency, server, 0, ms(rng) / 1000});
        }
        check_same(read_text(write_text(t, env), env), t);
    }
    SUBCASE("generated traces") {
        for (std::uint64_t seed : {1, 2, 3}) {
            const session_trace walk = random_walk_trace({.link = {.from = 0, .to = 1}}, seed);
            check_same(read_text(write_text(walk, env), env), walk);
            const session_trace tunnel =
                tunnel_trace({.link = {.from = 0, .to = 2}, .jitter = 0.5}, seed);
            check_same(read_text(write_text(tunnel, env), env), tunnel);
        }
    }
}

TEST_CASE("read_trace_csv: a malformed row names the file, the line and what is wrong") {
    using enum error_kind;
    check_row_error(parse, "2,bandwith,phone->edge1,40", "'bandwith' is not an event kind");
    check_row_error(parse, "2,,phone->edge1,40", "empty is not an event kind");
    check_row_error(validation, "2,bandwidth,phone->edge9,40", "unknown node 'edge9'");
    check_row_error(validation, "2,speed,edge3,2", "unknown node 'edge3'");
    check_row_error(parse, "2,bandwidth,phone,40", "is not a link: expected FROM->TO");
    check_row_error(validation, "2,bandwidth,edge1->edge1,40", "joins a node to itself");
    check_row_error(parse, "2,bandwidth,phone->edge1",
                    "expected 4 fields as in the header, found 3");
    check_row_error(parse, "2,bandwidth,phone->edge1,", "column 4 ('value'): empty");
    check_row_error(parse, ",bandwidth,phone->edge1,4", "column 1 ('time_s'): empty");
    check_row_error(parse, "2,bandwidth,,4", "column 3 ('target'): empty");
    check_row_error(parse, "2,bandwidth,phone->edge1,fast", "'fast' is not a number");
    check_row_error(parse, "two,bandwidth,phone->edge1,4", "'two' is not a number");
    check_row_error(validation, "2,bandwidth,phone->edge1,1e999", "out of range");
    check_row_error(validation, "2,bandwidth,phone->edge1,nan", "out of range");
    check_row_error(validation, "2,bandwidth,phone->edge1,0", "must be > 0");
    check_row_error(validation, "2,bandwidth,phone->edge1,-3", "must be > 0");
    check_row_error(validation, "2,latency,phone->edge1,-1", "must be >= 0");
    check_row_error(validation, "2,speed,edge1,0", "must be > 0");
    check_row_error(validation, "2,rate,phone,-1", "must be >= 0");
    check_row_error(validation, "2,rate,edge1,1", "not a local device");
    check_row_error(validation, "2,down,phone,", "only edge and cloud nodes leave");
    check_row_error(parse, "2,down,edge1,1", "has no value");
    check_row_error(validation, "0.5,bandwidth,phone->edge1,4",
                    "before the previous event (1 s on line 2)");
    check_row_error(validation, "-1,bandwidth,phone->edge1,4", "negative");
    check_row_error(parse, "2,\"bandwidth\",phone->edge1,4", "quoted fields");
    check_row_error(parse, std::string("2,bandwidth,phone->edge1,4\x01"), "control character");
    check_row_error(parse, "2,bandwidth,phone->edge1,4\r5", "carriage return");
    check_row_error(parse, "2,bandwidth,phone->edge1,4\xff", "not UTF-8");
    // Two phones have no link between them in the default environment of two devices.
    const environment two = default_environment(2);
    const std::string missing = test::error_message(error_kind::validation, [&] {
        read_text("time_s,kind,target,value\n1,bandwidth,phone1->phone2,4\n", two);
    });
    CHECK(missing.starts_with("trace.csv:2: "));
    CHECK(missing.find("no link phone1->phone2") != std::string::npos);
}

TEST_CASE("read_trace_csv: the header and the file") {
    const environment env = default_environment();
    const auto header_error = [&](const std::string& text) {
        return test::error_message(error_kind::parse, [&] { read_text(text, env); });
    };
    CHECK(header_error("").find("trace.csv: empty file") == 0);
    CHECK(header_error("\n\n").find("trace.csv: empty file") == 0);
    CHECK(header_error("time_s,kind,target\n").find("trace.csv:1: missing column 'value'") == 0);
    CHECK(header_error("time,kind,target,value\n").find("unknown column 'time'") !=
          std::string::npos);
    CHECK(header_error("time_s,kind,kind,value\n").find("appears twice") != std::string::npos);

    const auto dir = std::filesystem::temp_directory_path() / "eosdnn_trace_csv_test";
    std::filesystem::create_directories(dir);
    const std::string io_dir =
        test::error_message(error_kind::io, [&] { read_trace_csv(dir, env); });
    CHECK(io_dir.find("it is a directory") != std::string::npos);
    const std::string io_missing =
        test::error_message(error_kind::io, [&] { read_trace_csv(dir / "missing.csv", env); });
    CHECK(io_missing.find("cannot open trace CSV") != std::string::npos);
    const auto file = dir / "steps.csv";
    {
        std::ofstream out(file);
        out << "time_s,kind,target,value\n1,bandwidth,phone->edge1,5\n1,bandwidth,edge1->phone,x\n";
    }
    const std::string bad =
        test::error_message(error_kind::parse, [&] { read_trace_csv(file, env); });
    CHECK(bad.find("steps.csv:3: column 4 ('value'): 'x' is not a number") != std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST_CASE("write_trace_csv refuses what it cannot write, before writing") {
    const environment env = default_environment();
    std::ostringstream out;
    const session_trace decreasing{{2, event_kind::node_speed, 1, 0, 2},
                                   {1, event_kind::node_speed, 1, 0, 2}};
    test::check_validation_error([&] { write_trace_csv(out, decreasing, env); },
                                 {"must not decrease"});
    const environment two = default_environment(2);
    const session_trace no_link{{1, event_kind::link_bandwidth, 0, 1, 1e6}};
    test::check_validation_error([&] { write_trace_csv(out, no_link, two); },
                                 {"no link phone1->phone2"});
    environment_builder b;
    const node_id p = b.add_node({.name = "a,b", .tier = tier::local, .flops_per_s = 1e9});
    const node_id e = b.add_node({.name = "e", .tier = tier::edge, .flops_per_s = 1e9});
    b.connect(p, e, {.bandwidth_Bps = 1e6, .latency_s = 0});
    const environment comma = b.build();
    test::check_validation_error(
        [&] {
            write_trace_csv(out, {{1, event_kind::link_bandwidth, 0, 1, 1e6}}, comma);
        },
        {"'a,b' cannot be written", "a comma"});
    CHECK(out.str().empty());
}

TEST_CASE("event_kind_from_string reads back to_string, and nothing else") {
    for (event_kind k :
         {event_kind::link_bandwidth, event_kind::link_latency, event_kind::node_speed,
          event_kind::node_down, event_kind::node_up, event_kind::query_rate})
        CHECK(event_kind_from_string(to_string(k)) == k);
    CHECK(!event_kind_from_string("Bandwidth").has_value());
    CHECK(!event_kind_from_string("").has_value());
}

TEST_CASE("read_trace_csv: a node name holding '->' is found by the one split that works") {
    environment_builder b;
    const node_id p = b.add_node({.name = "a->b", .tier = tier::local, .flops_per_s = 1e9});
    const node_id e = b.add_node({.name = "edge", .tier = tier::edge, .flops_per_s = 1e9});
    b.connect(p, e, {.bandwidth_Bps = 1e6, .latency_s = 0});
    const environment env = b.build();
    const session_trace t = read_text("time_s,kind,target,value\n1,bandwidth,a->b->edge,8\n", env);
    REQUIRE(t.size() == 1);
    CHECK(t[0].from == p);
    CHECK(t[0].to == e);
    // Written and read back: the same event.
    check_same(read_text(write_text(t, env), env), t);
}

TEST_CASE("write_trace_csv refuses a link target that two splits would read") {
    environment_builder b;
    const node_id a = b.add_node({.name = "a", .tier = tier::local, .flops_per_s = 1e9});
    const node_id ab = b.add_node({.name = "a->b", .tier = tier::edge, .flops_per_s = 1e9});
    const node_id bc = b.add_node({.name = "b->c", .tier = tier::edge, .flops_per_s = 1e9});
    const node_id c = b.add_node({.name = "c", .tier = tier::edge, .flops_per_s = 1e9});
    const node_id all[] = {a, ab, bc, c};
    for (node_id x : all)
        for (node_id y : all)
            if (x < y) b.connect(x, y, {.bandwidth_Bps = 1e6, .latency_s = 0});
    const environment env = b.build();
    std::ostringstream out;
    // "a->b->c": a -> "b->c", or "a->b" -> c.
    test::check_validation_error(
        [&] {
            write_trace_csv(out, {{1, event_kind::link_bandwidth, a, bc, 1e6}}, env);
        },
        {"ambiguous"});
    const std::string message = test::error_message(error_kind::validation, [&] {
        read_text("time_s,kind,target,value\n1,bandwidth,a->b->c,8\n", env);
    });
    CHECK(message.find("names two different links") != std::string::npos);
}
