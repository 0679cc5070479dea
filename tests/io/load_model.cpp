#include <eosdnn/io/default_environment.hpp>
#include <eosdnn/io/json.hpp>
#include <eosdnn/io/load_model.hpp>
#include <eosdnn/zoo/zoo.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

using namespace eosdnn;
namespace fs = std::filesystem;

TEST_CASE("load_model: zoo names, files by extension, a reader for more, clear errors") {
    const loaded_model zoo = load_model("alexnet");
    CHECK(zoo.source == "zoo");
    CHECK(zoo.graph.size() == zoo_model("alexnet").size());
    const loaded_model csv =
        load_model(std::string(EOSDNN_DATA_DIR) + "/ionn-profiles/alexnet.csv");
    CHECK(csv.source.starts_with("profile CSV "));
    CHECK(csv.graph.name() == "alexnet");
    const loaded_model measured = load_model("ionn:alexnet");  // io/measured_profiles.hpp
    CHECK(measured.source == "measured profile ionn:alexnet");
    CHECK(measured.graph.size() == csv.graph.size());
    test::check_validation_error([&] { load_model("ionn:alexnet2"); },
                                 {"no measured profile 'alexnet2'", "ionn:resnet50"});
    // A zoo model with a sequence length (zoo/zoo.hpp): BERT-base over 384 tokens.
    const loaded_model bert = load_model("bert_base:384");
    CHECK(bert.source == "zoo");
    CHECK(bert.graph.name() == "bert_base:384");
    CHECK(bert.graph.input_bytes() == 384 * 8);
    test::check_validation_error([&] { load_model("bert_base:600"); },
                                 {"zoo model 'bert_base:600'", "<= positions (512)"});

    const fs::path dir = fs::temp_directory_path() / ("eosdnn-load-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    write_json_file(dir / "m.JSON", to_json(zoo.graph));
    CHECK(load_model((dir / "m.JSON").string()).graph.size() == zoo.graph.size());
    std::ofstream(dir / "m.txt") << "x";
    test::check_validation_error([&] { load_model((dir / "m.txt").string()); },
                                 {"unknown file type '.txt'", ".csv, .json"});
    test::check_validation_error(
        [&] { load_model("resnet51"); },
        {"'resnet51' is neither a file nor a zoo model", "resnet50", "ionn:NAME"});
    test::check_validation_error([&] { load_model("x.onnx"); }, {"ONNX", "eosdnn::onnx"});
    const model_reader fake{".onnx", "ONNX", [&](const fs::path&) { return zoo_model("vgg16"); }};
    const loaded_model onnx = load_model("x.onnx", std::span<const model_reader>(&fake, 1));
    CHECK(onnx.source == "ONNX x.onnx");
    CHECK(onnx.graph.name() == zoo_model("vgg16").name());
    std::ofstream(dir / "bad.csv") << "name,inputs,output_bytes,param_bytes\nconv,,12,x\n";
    const std::string message =
        test::error_message(error_kind::parse, [&] { load_model((dir / "bad.csv").string()); });
    CHECK(message.find("bad.csv") != std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("default_environment: a phone per device, two edge servers, a cloud") {
    const environment one = default_environment();
    CHECK(one.size() == 4);
    CHECK(one[0].name == "phone");
    CHECK(one.link_between(0, 1)->bandwidth_Bps == mbps(40));
    const environment three = default_environment(3);
    CHECK(three.size() == 6);
    CHECK(three[2].name == "phone3");
    CHECK(three.nodes_of(tier::local).size() == 3);
    CHECK(three.find("cloud").has_value());
}
