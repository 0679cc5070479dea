#pragma once
// A directory of its own under the system's temporary directory, removed at the end of a test,
// and the helpers the file tests of tests/robustness share.

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <system_error>

namespace robustness_test {

struct scratch_directory {
    std::filesystem::path path;
    scratch_directory() {
        std::random_device random;
        path = std::filesystem::temp_directory_path() /
               ("eosdnn-test-" + std::to_string(random()) + std::to_string(random()));
        std::filesystem::create_directories(path);
    }
    ~scratch_directory() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    scratch_directory(const scratch_directory&) = delete;
    scratch_directory& operator=(const scratch_directory&) = delete;

    /// Writes `bytes` to the file `name` of the directory and returns its path.
    std::filesystem::path file(const std::string& name, std::string_view bytes) const {
        const auto p = path / name;
        std::ofstream(p, std::ios::binary)
            .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        return p;
    }

    /// How many entries the directory holds (a failed atomic write must leave none behind).
    std::size_t entries() const {
        std::size_t n = 0;
        for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(path)) ++n;
        return n;
    }
};

inline std::string contents_of(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace robustness_test
