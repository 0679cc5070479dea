#pragma once
/// \file config.hpp
/// Header-only by default; optionally separately compiled.
///
/// By default every translation unit compiles what it uses of eosdnn (header-only). A program
/// that defines EOSDNN_SEPARATE_COMPILATION in **every** translation unit (for example with
/// `target_compile_definitions(app PRIVATE EOSDNN_SEPARATE_COMPILATION)`) and compiles
/// `#include <eosdnn/separate_compilation.hpp>` in **exactly one** of them gets the model zoo
/// and the most used instantiations (delay_evaluator<analytic_model> and PSO-GA, the exact
/// solver and the bounds on it) compiled once, in that unit, instead of in every unit that uses
/// them. The API and the results are the same either way; docs/cmake.md shows the CMake lines
/// and scripts/compile_cost.sh measures both modes.

/// 1 in a unit that only declares what the separately compiled unit defines.
#if defined(EOSDNN_SEPARATE_COMPILATION) && !defined(EOSDNN_SOURCE)
#define EOSDNN_DECLARE_ONLY 1
#else
#define EOSDNN_DECLARE_ONLY 0
#endif

/// How the non-template functions that separate compilation moves are declared: `inline` in
/// header-only use, plain functions with one definition when separately compiled.
#if defined(EOSDNN_SEPARATE_COMPILATION)
#define EOSDNN_DECL
#else
#define EOSDNN_DECL inline
#endif
