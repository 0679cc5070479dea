#pragma once
/// \file error.hpp
/// The one exception type of eosdnn: every bad input, failed validation, impossible constraint
/// and I/O failure throws an eosdnn::error whose message names the input and the place.

#include <stdexcept>
#include <string>
#include <string_view>

namespace eosdnn {

/// What went wrong, so callers can react without parsing messages.
enum class error_kind {
    parse,       ///< a file or string could not be read as the format it claims to be
    validation,  ///< well-formed input whose values break a rule (negative bytes, a cycle, ...)
    infeasible,  ///< constraints that no plan can satisfy
    io,          ///< a file could not be opened, read or written
};

/// Name of an error kind, as printed in messages ("parse", "validation", ...).
constexpr std::string_view to_string(error_kind kind) noexcept {
    switch (kind) {
    case error_kind::parse: return "parse";
    case error_kind::validation: return "validation";
    case error_kind::infeasible: return "infeasible";
    case error_kind::io: return "io";
    }
    return "unknown";
}

/// The exception every eosdnn component throws for bad input. The message says what is wrong and
/// where: file and line, JSON path, layer or node name, option field.
class error : public std::runtime_error {
public:
    /// An error of kind `kind`; `message` is what what() returns.
    error(error_kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

    /// What went wrong, for callers that react differently to bad files and impossible constraints.
    error_kind kind() const noexcept { return kind_; }

private:
    error_kind kind_;
};

}  // namespace eosdnn
