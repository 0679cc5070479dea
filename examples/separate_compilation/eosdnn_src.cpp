// The one unit of a separately compiled program (include/eosdnn/config.hpp): the model zoo and
// the common instantiations, compiled once for minimal_plan and eosdnn-plan, whose own units
// define EOSDNN_SEPARATE_COMPILATION and only declare them.
#include <eosdnn/separate_compilation.hpp>
