#pragma once
/// \file separate_compilation.hpp
/// The one unit of a separately compiled program (config.hpp): include this header, and nothing
/// of eosdnn before it, in exactly one source file of a program whose units all define
/// EOSDNN_SEPARATE_COMPILATION. It defines the model zoo and the common instantiations
/// (detail/common_instances.hpp) that the other units only declare.

#if !defined(EOSDNN_SEPARATE_COMPILATION)
#error \
    "eosdnn/separate_compilation.hpp: define EOSDNN_SEPARATE_COMPILATION in every unit of the program"
#endif
#if defined(EOSDNN_DECLARE_ONLY)
#error "eosdnn/separate_compilation.hpp must be the first eosdnn header of its unit"
#endif
/// Marks the unit that defines what the others declare (read by config.hpp).
#define EOSDNN_SOURCE 1

#include <eosdnn/config.hpp>
#include <eosdnn/detail/common_instances.hpp>
#include <eosdnn/zoo/zoo.hpp>

namespace eosdnn {
template class delay_evaluator<analytic_model>;
EOSDNN_COMMON_INSTANCES(template)
}  // namespace eosdnn
