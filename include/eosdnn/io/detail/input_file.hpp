#pragma once
/// \file input_file.hpp
/// What every reader checks of a file before reading it (io/limits.hpp): that it is a regular
/// file, not a device, pipe or directory that reads forever or not at all, and that it is not
/// larger than the reader's limit; and a stream read that stops at the limit.

#include <eosdnn/core/error.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ios>
#include <istream>
#include <string>
#include <string_view>
#include <system_error>

namespace eosdnn::detail {

/// Opens `file` for reading, binary, or throws eosdnn::error (io) "cannot open WHAT 'SHOWN' (the
/// system's reason: No such file or directory, Permission denied, ...)".
inline std::ifstream open_input(const std::filesystem::path& file, std::string_view what,
                                const std::string& shown) {
    errno = 0;
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        const int reason = errno;  // what open(2) said; libstdc++'s filebuf leaves it
        throw error(error_kind::io, "cannot open " + std::string(what) + " '" + shown + "' (" +
                                        (reason ? std::strerror(reason) : "reason unknown") + ")");
    }
    return in;
}

/// "512 MiB" for a limit that is a whole number of MiB, else the bytes.
inline std::string limit_text(std::uint64_t bytes) {
    if (bytes % (std::uint64_t{1} << 20) == 0 && bytes >= (std::uint64_t{1} << 20))
        return std::to_string(bytes) + " bytes (" + std::to_string(bytes >> 20) + " MiB)";
    return std::to_string(bytes) + " bytes";
}

/// Throws eosdnn::error (io) if `file` exists but is a directory, is not a regular file once
/// symbolic links are followed (a device such as /dev/zero, a pipe, a socket), or has more than
/// `limit` bytes. `what` names the kind of file ("profile CSV") and `shown` the file, as the
/// message prints it. A file that does not exist passes: opening it then fails with the reader's
/// own message.
inline void check_input_file(const std::filesystem::path& file, std::string_view what,
                             const std::string& shown, std::uint64_t limit) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status status = fs::status(file, ec);
    if (ec || !fs::exists(status)) return;
    const std::string head = "cannot read " + std::string(what) + " '" + shown + "': ";
    if (fs::is_directory(status)) throw error(error_kind::io, head + "it is a directory");
    if (!fs::is_regular_file(status)) {
        const char* kind = fs::is_character_file(status) ? "a character device"
                           : fs::is_block_file(status)   ? "a block device"
                           : fs::is_fifo(status)         ? "a pipe"
                           : fs::is_socket(status)       ? "a socket"
                                                         : "a special file";
        throw error(error_kind::io, head + "it is " + std::string(kind) +
                                        ", not a regular file (only regular files are read: "
                                        "docs/limits.md)");
    }
    const auto size = fs::file_size(file, ec);
    if (!ec && size > limit)
        throw error(error_kind::io, head + "it has " + std::to_string(size) +
                                        " bytes, more than the limit of " + limit_text(limit) +
                                        " (docs/limits.md)");
}

/// Reads all of `in` into a string, but throws eosdnn::error (io), naming `shown`, as soon as it
/// has more than `limit` bytes: a stream has no size to check first, and one that never ends
/// (a device, a generator) must not be read until memory runs out. Also kind io for a read
/// error (a std::ios_base::failure, or badbit).
inline std::string read_capped(std::istream& in, const std::string& shown, std::uint64_t limit) {
    std::string text;
    char chunk[1 << 16];
    try {
        while (in) {
            in.read(chunk, sizeof chunk);
            const auto got = static_cast<std::size_t>(in.gcount());
            if (text.size() + got > limit)
                throw error(error_kind::io, shown + ": more than the limit of " +
                                                limit_text(limit) +
                                                " to read (docs/limits.md); stopped reading there");
            text.append(chunk, got);
        }
    } catch (const std::ios_base::failure& e) {
        // A file stream's buffer throws this on a read error rather than setting badbit.
        throw error(error_kind::io, shown + ": read error: " + e.what());
    }
    if (in.bad()) throw error(error_kind::io, shown + ": read error");
    return text;
}

}  // namespace eosdnn::detail
