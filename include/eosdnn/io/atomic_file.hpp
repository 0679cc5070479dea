#pragma once
/// \file atomic_file.hpp
/// Writing files so that a reader never sees half of one: the text goes into a temporary file in
/// the same directory (so the rename stays on one file system), is flushed and checked, then
/// renamed over the target. write_json_file (io/json.hpp) and eosdnn-plan's --out use it.

#include <eosdnn/core/error.hpp>
#include <eosdnn/io/temporary_files.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ios>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace eosdnn {

namespace detail {
/// A temporary written next to its target and registered for removal by a signal handler
/// (io/temporary_files.hpp) until it is renamed into place or discarded.
struct staged_temporary {
    std::filesystem::path path;
    pending_path_guard registration;
};

/// Writes `text` into a new temporary file next to `file` (`file` + ".tmp-<random>", so the
/// rename that follows stays on one file system), flushed and checked. Throws eosdnn::error of
/// kind io, naming `file`, and leaves nothing behind on failure.
inline staged_temporary write_temporary(const std::filesystem::path& file, std::string_view text) {
    namespace fs = std::filesystem;
    // A random suffix, so two writers of the same file do not share a temporary.
    std::random_device random;
    fs::path temporary = file;
    temporary += ".tmp-" + std::to_string(random()) + std::to_string(random());
    // Registered before it exists, so no moment passes in which a signal would leave it behind.
    staged_temporary staged{temporary, pending_path_guard(temporary.string(), false)};
    // The reason (read-only, full, no such directory) is errno's, read before anything else
    // can change it.
    const auto reason = [] { return std::string(errno ? std::strerror(errno) : "unknown error"); };
    errno = 0;
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out)
        throw error(error_kind::io, "cannot create '" + temporary.string() + "' to write '" +
                                        file.string() + "': " + reason());
    errno = 0;
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    out.close();
    if (!out) {
        const std::string why = reason();
        std::error_code ignored;
        fs::remove(temporary, ignored);
        throw error(error_kind::io, "cannot write '" + temporary.string() + "' (for '" +
                                        file.string() + "'): " + why);
    }
    return staged;
}

/// Holds SIGINT, SIGTERM and SIGHUP back (in this thread) while it lives, so that the renames
/// of a run's files into place happen all together: a signal that arrives meanwhile is delivered
/// when they are done. A signal mask is per thread: a signal sent to the process may still be
/// delivered to another thread that does not block it, so a program that writes while other
/// threads run should block these signals in those threads (eosdnn-plan has none then).
/// POSIX only; nothing elsewhere.
class signals_held {
public:
    signals_held() noexcept {
#ifdef EOSDNN_HAS_POSIX_SIGNALS
        sigset_t held;
        ::sigemptyset(&held);
        ::sigaddset(&held, SIGINT);
        ::sigaddset(&held, SIGTERM);
        ::sigaddset(&held, SIGHUP);
        ::pthread_sigmask(SIG_BLOCK, &held, &previous_);
#endif
    }
    signals_held(const signals_held&) = delete;
    signals_held& operator=(const signals_held&) = delete;
    ~signals_held() {
#ifdef EOSDNN_HAS_POSIX_SIGNALS
        ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
#endif
    }

private:
#ifdef EOSDNN_HAS_POSIX_SIGNALS
    sigset_t previous_{};
#endif
};
}  // namespace detail

/// Writes `text` to `file` atomically: into a temporary next to it, flushed and checked, then
/// renamed over `file`, so a crash or a full disk never leaves a half-written file where a good
/// one was (the temporary is removed on failure). Throws eosdnn::error of kind io, naming
/// `file`, if the temporary cannot be created or written or the rename fails.
inline void write_file_atomically(const std::filesystem::path& file, std::string_view text) {
    namespace fs = std::filesystem;
    detail::staged_temporary staged = detail::write_temporary(file, text);
    std::error_code ec;
    fs::rename(staged.path, file, ec);
    if (ec) {
        std::error_code ignored;
        fs::remove(staged.path, ignored);
        throw error(error_kind::io, "cannot replace '" + file.string() + "': " + ec.message());
    }
}

/// One file of write_files_atomically: its name inside the directory and its text.
struct file_text {
    std::string name;  ///< file name, relative to the directory
    std::string text;  ///< the whole content
};

/// Writes every file of `files` into `dir` (created if missing), all or none: every file is
/// first written to a temporary next to its target, and only when all of them are written (and
/// every target is free or a regular file) are they renamed into place. On failure nothing is
/// replaced: the files already in `dir` keep their content, the temporaries are removed, and
/// so are `dir` and the parents this call created. Throws eosdnn::error of kind io if `dir` cannot be
/// created or is not a directory, or a file cannot be written.
inline void write_files_atomically(const std::filesystem::path& dir,
                                   std::span<const file_text> files) {
    namespace fs = std::filesystem;
    std::error_code ec;
    // The directories this call creates (`dir` and any missing parent), outermost first;
    // registered before they are created, so that a signal before the files are in place
    // removes them again, and removed on failure, deepest first.
    std::vector<fs::path> missing;
    for (fs::path p = dir.filename().empty() ? dir.parent_path() : dir;
         !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
        missing.insert(missing.begin(), p);
        if (p == p.parent_path()) break;  // a root that does not exist
    }
    std::vector<detail::pending_path_guard> created_registration;
    created_registration.reserve(missing.size());
    for (const fs::path& p : missing) created_registration.emplace_back(p.string(), true);
    const bool created = fs::create_directories(dir, ec) && !missing.empty();
    if (ec)
        throw error(error_kind::io,
                    "cannot create the directory '" + dir.string() + "': " + ec.message());
    if (!fs::is_directory(dir, ec))
        throw error(error_kind::io, "'" + dir.string() + "' exists and is not a directory");
    std::vector<std::pair<detail::staged_temporary, fs::path>> staged;  // temporary, target
    const auto discard = [&] {
        std::error_code ignored;
        for (const auto& [temporary, target] : staged) fs::remove(temporary.path, ignored);
        if (created)
            for (auto p = missing.rbegin(); p != missing.rend(); ++p) fs::remove(*p, ignored);
    };
    try {
        for (const file_text& f : files) {
            const fs::path target = dir / f.name;
            if (fs::exists(target, ec) && !fs::is_regular_file(target, ec))
                throw error(error_kind::io,
                            "cannot replace '" + target.string() + "': it is not a regular file");
            staged.emplace_back(detail::write_temporary(target, f.text), target);
        }
    } catch (const error&) {
        discard();
        throw;
    }
    // Every temporary sits in its target's directory, so the renames cannot cross file systems;
    // signals wait until they are all done, so a run's files are replaced together.
    const detail::signals_held held;
    created_registration.clear();
    for (std::size_t i = 0; i < staged.size(); ++i) {
        fs::rename(staged[i].first.path, staged[i].second, ec);
        staged[i].first.registration.release();
        if (ec) {
            std::error_code ignored;
            for (std::size_t k = i; k < staged.size(); ++k)
                fs::remove(staged[k].first.path, ignored);
            throw error(error_kind::io,
                        "cannot replace '" + staged[i].second.string() + "': " + ec.message());
        }
    }
}

}  // namespace eosdnn
