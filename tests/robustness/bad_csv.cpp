// Robustness: profile CSVs that are well-formed text but wrong (issue 7), beyond the cases of
// tests/io/profile_csv.cpp: other separators, extra fields, numbers in other notations, every
// spelling of NaN and infinity, under- and overflow, and the regression of the first fuzzing
// finding. Each asserts the kind and the whole message.

#include <eosdnn/core/error.hpp>
#include <eosdnn/io/profile_csv.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>

using namespace eosdnn;
using test::error_message;

namespace {

const std::string header =
    "index,name,type,inputs,output_shape,output_bytes,param_bytes,macs,client_ms,server_ms\n";
const std::string input_row = "0,in,Input,,3,12,0,0,1,1\n";
const std::string known_columns =
    " (known: index, name, type, inputs, output_shape, output_bytes, param_bytes, macs, flops, "
    "client_ms, "
    "server_ms, load_ms)";

layer_graph read_text(const std::string& text) {
    std::istringstream in(text);
    return read_profile_csv(in, "t.csv");
}

std::string csv_error(error_kind kind, const std::string& text) {
    return error_message(kind, [&] { read_text(text); });
}

// The message for a file whose third line (second layer) is `row`.
std::string row_error(error_kind kind, const std::string& row) {
    return csv_error(kind, header + input_row + row + "\n");
}

}  // namespace

TEST_CASE("robustness csv: other separators and line endings are named, not guessed") {
    CHECK(csv_error(error_kind::parse, "name;inputs;output_bytes;param_bytes\nin;;4;0\n") ==
          "t.csv:1: column 1: unknown column 'name;inputs;output_bytes;param_bytes'" +
              known_columns);
    CHECK(csv_error(error_kind::parse, "name\tinputs\toutput_bytes\tparam_bytes\n") ==
          "t.csv:1: column 1: unknown column 'name\tinputs\toutput_bytes\tparam_bytes'" +
              known_columns);
    // Found while writing these tests: CR-only line endings were called binary data.
    CHECK(csv_error(error_kind::parse, "name,inputs,output_bytes,param_bytes\r,0,in,4\r") ==
          "t.csv:1: character 37: a carriage return inside a line (lines must end with LF or CR "
          "LF, not CR alone)");
    // A binary file that happens to hold a CR is still called binary.
    CHECK(csv_error(error_kind::parse, std::string("a\rb\nc\0", 6)) ==
          "t.csv:2: character 2: byte 0x00 is not CSV text (binary data?)");
    CHECK(csv_error(error_kind::parse, "\"name\",inputs,output_bytes,param_bytes\n") ==
          "t.csv:1: column 1: unknown column '\"name\"'" + known_columns);
}

TEST_CASE("robustness csv: missing and extra columns") {
    CHECK(csv_error(error_kind::parse, "index,inputs,output_bytes,param_bytes\n0,,4,0\n") ==
          "t.csv:1: missing required column 'name'");
    CHECK(csv_error(error_kind::parse, "name,output_bytes,param_bytes\nin,4,0\n") ==
          "t.csv:1: missing required column 'inputs'");
    CHECK(csv_error(error_kind::parse, "name,inputs,param_bytes\nin,,0\n") ==
          "t.csv:1: missing required column 'output_bytes'");
    // A trailing comma in the header is an extra, empty column name.
    CHECK(csv_error(error_kind::parse, "name,inputs,output_bytes,param_bytes,\n") ==
          "t.csv:1: column 5: unknown column ''" + known_columns);
    CHECK(row_error(error_kind::parse, "1,fc,fc,in,2,8,32,6,1,1,7") ==
          "t.csv:3: expected 10 fields as in the header, found 11");
    CHECK(row_error(error_kind::parse, "1,fc,fc,in,2,8,32,6,1,1,") ==
          "t.csv:3: expected 10 fields as in the header, found 11");
    // A decimal comma shifts every later field.
    CHECK(row_error(error_kind::parse, "1,fc,fc,in,2,8,3,5,6,1,1") ==
          "t.csv:3: expected 10 fields as in the header, found 11");
}

TEST_CASE("robustness csv: numbers in notations the format does not have") {
    CHECK(row_error(error_kind::parse, "1,fc,fc,in,2,0x10,32,6,1,1") ==
          "t.csv:3: column 6 ('output_bytes'): '0x10' is not a number");
    CHECK(row_error(error_kind::parse, "1,fc,fc,in,2,8,32 KB,6,1,1") ==
          "t.csv:3: column 7 ('param_bytes'): '32 KB' is not a number");
    CHECK(row_error(error_kind::parse, "1,fc,fc,in,99999999999999999999x2,8,32,6,1,1") ==
          "t.csv:3: column 5 ('output_shape'): '99999999999999999999x2' is not a shape like "
          "64x56x56 or 1000");
    CHECK(row_error(error_kind::parse, "1,fc,fc,in,-2x2,8,32,6,1,1") ==
          "t.csv:3: column 5 ('output_shape'): '-2x2' is not a shape like 64x56x56 or 1000");
    CHECK(row_error(error_kind::parse, "-1,fc,fc,in,2,8,32,6,1,1") ==
          "t.csv:3: column 1 ('index'): '-1' is not a non-negative integer");
    CHECK(row_error(error_kind::parse, "99999999999999999999,fc,fc,in,2,8,32,6,1,1") ==
          "t.csv:3: column 1 ('index'): '99999999999999999999' is not a non-negative integer");
}

TEST_CASE("robustness csv: every spelling of NaN and infinity, and negative numbers, are refused") {
    CHECK(row_error(error_kind::validation, "1,fc,fc,in,2,NaN,32,6,1,1") ==
          "t.csv:3: column 6 ('output_bytes'): 'NaN' is not allowed (must be finite and >= 0)");
    CHECK(row_error(error_kind::validation, "1,fc,fc,in,2,8,-nan,6,1,1") ==
          "t.csv:3: column 7 ('param_bytes'): '-nan' is not allowed (must be finite and >= 0)");
    CHECK(row_error(error_kind::validation, "1,fc,fc,in,2,8,32,INF,1,1") ==
          "t.csv:3: column 8 ('macs'): 'INF' is not allowed (must be finite and >= 0)");
    CHECK(row_error(error_kind::validation, "1,fc,fc,in,2,8,32,6,infinity,1") ==
          "t.csv:3: column 9 ('client_ms'): 'infinity' is not allowed (must be finite and >= 0)");
    CHECK(row_error(error_kind::validation, "1,fc,fc,in,2,8,32,6,1,-inf") ==
          "t.csv:3: column 10 ('server_ms'): '-inf' is not allowed (must be finite and >= 0)");
    CHECK(row_error(error_kind::validation, "1,fc,fc,in,2,8,-1e-300,6,1,1") ==
          "t.csv:3: column 7 ('param_bytes'): '-1e-300' is not allowed (must be finite and >= 0)");
    // -0 is zero, not a negative number.
    CHECK(read_text(header + input_row + "1,fc,fc,in,2,-0,32,6,1,1\n")[1].output_bytes == 0);
}

TEST_CASE("robustness csv: numbers beyond a double are out of range and times only after scaling") {
    CHECK(row_error(error_kind::validation, "1,fc,fc,in,2,1e-400,32,6,1,1") ==
          "t.csv:3: column 6 ('output_bytes'): '1e-400' is out of range");
    // Times are scaled from milliseconds in the text, so only the seconds must fit.
    const layer_graph g = read_text(header + input_row + "1,fc,fc,in,2,8,32,6,1e310,1e-320\n");
    CHECK(*g[1].device_time_s == 1e307);
    CHECK(*g[1].server_time_s == 1e-323);
    // Found by fuzz/profile_csv.cpp: shifting an exponent this close to the limits of long long
    // overflowed (undefined behaviour that UBSan reported); now it is out of range.
    CHECK(row_error(error_kind::validation, "1,fc,fc,in,2,8,32,6,1e-9223372036854775808,1") ==
          "t.csv:3: column 9 ('client_ms'): '1e-9223372036854775808' is out of range");
    CHECK(row_error(error_kind::validation, "1,fc,fc,in,2,8,32,6,1,1e+9223372036854775807") ==
          "t.csv:3: column 10 ('server_ms'): '1e+9223372036854775807' is out of range");
    CHECK(row_error(error_kind::validation, "1,fc,fc,in,2,8,32,6,1e99999999999999999999,1") ==
          "t.csv:3: column 9 ('client_ms'): '1e99999999999999999999' is out of range");
}

TEST_CASE(
    "robustness csv: names: case matters, indices are not names, duplicates name both lines") {
    CHECK(row_error(error_kind::validation, "1,fc,fc,IN,2,8,32,6,1,1") ==
          "t.csv:3: column 4 ('inputs'): unknown predecessor 'IN': no layer of that name on an "
          "earlier row");
    CHECK(row_error(error_kind::validation, "1,fc,fc,0,2,8,32,6,1,1") ==
          "t.csv:3: column 4 ('inputs'): unknown predecessor '0': no layer of that name on an "
          "earlier row");
    CHECK(
        csv_error(error_kind::validation,
                  header + input_row +
                      "1,a,fc,in,2,8,32,6,1,1\n2,b,fc,a,2,8,32,6,1,1\n3,in,fc,b,2,8,32,6,1,1\n") ==
        "t.csv:5: column 2 ('name'): duplicate layer name 'in' (first on line 2)");
    CHECK(row_error(error_kind::validation, "1,   ,fc,in,2,8,32,6,1,1") ==
          "t.csv:3: model 't': layer #1 has an empty name");
    CHECK(row_error(error_kind::validation, "1,in2,Input,,2,8,32,6,1,1") ==
          "t.csv: model 't': the model must have exactly one input layer (no predecessors), found "
          "2: 'in', 'in2'");
    CHECK(read_text(header + input_row + "1,In,fc,in,2,8,32,6,1,1\n").size() == 2);
}
