#include <eosdnn/io/measured_profiles.hpp>
#include <eosdnn/io/profile_csv.hpp>

#include "../error_message.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

using namespace eosdnn;
namespace fs = std::filesystem;

namespace {

// Sets EOSDNN_PROFILE_DIR for the life of the object, then puts back what was there.
class profile_dir_override {
public:
    explicit profile_dir_override(const std::string& value) {
        if (const char* old = std::getenv("EOSDNN_PROFILE_DIR")) old_ = old;
        ::setenv("EOSDNN_PROFILE_DIR", value.c_str(), 1);
    }
    profile_dir_override(const profile_dir_override&) = delete;
    profile_dir_override& operator=(const profile_dir_override&) = delete;
    ~profile_dir_override() {
        if (old_)
            ::setenv("EOSDNN_PROFILE_DIR", old_->c_str(), 1);
        else
            ::unsetenv("EOSDNN_PROFILE_DIR");
    }

private:
    std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("the measured profiles are found by name") {
    CHECK(measured_profile_names() == std::vector<std::string>{"alexnet", "googlenet", "resnet50"});
    const layer_graph by_name = measured_profile("ionn:resnet50");
    const layer_graph by_file =
        read_profile_csv(fs::path(EOSDNN_DATA_DIR) / "ionn-profiles" / "resnet50.csv");
    REQUIRE(by_name.size() == by_file.size());
    CHECK(by_name.size() == 245);  // data/ionn-profiles/README.md: 245 layers, 16 of them Split
    for (layer_id j = 0; j < by_name.size(); ++j) CHECK(by_name[j].name == by_file[j].name);
    CHECK(measured_profile("alexnet").size() == measured_profile("ionn:alexnet").size());

    const std::string message =
        test::error_message(error_kind::validation, [] { measured_profile("ionn:vgg16"); });
    CHECK(message.find("'vgg16'") != std::string::npos);
    CHECK(message.find("ionn:googlenet") != std::string::npos);
}

TEST_CASE("EOSDNN_PROFILE_DIR points the measured profiles elsewhere") {
    const fs::path dir =
        fs::temp_directory_path() / ("eosdnn-profiles-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    {
        std::ofstream(dir / "tiny.csv") << "name,inputs,output_bytes,param_bytes,macs,client_ms,"
                                           "server_ms\nin,,100,0,0,0.1,0.01\nfc,in,10,400,100,1,"
                                           "0.1\n";
        std::ofstream(dir / "notes.txt") << "not a profile\n";
    }
    {
        const profile_dir_override here(dir.string());
        CHECK(measured_profile_names() == std::vector<std::string>{"tiny"});
        CHECK(measured_profile("ionn:tiny").size() == 2);
        CHECK(test::error_message(error_kind::validation, [] {
                  measured_profile("resnet50");
              }).find("ionn:tiny") != std::string::npos);
    }
    {
        const profile_dir_override nowhere((dir / "missing").string());
        CHECK(measured_profile_names().empty());
        const std::string message =
            test::error_message(error_kind::validation, [] { measured_profile("resnet50"); });
        CHECK(message.find("missing") != std::string::npos);
        CHECK(message.find("EOSDNN_PROFILE_DIR") != std::string::npos);
    }
    CHECK(measured_profile_names().size() == 3);  // the build's directory again
    fs::remove_all(dir);
}
