# ctest version.changelog: CHANGELOG.md has an entry ("## VERSION ...") for the version of
# include/eosdnn/version.hpp, the one CMake's project() read. Run with cmake -P.
foreach(var SOURCE_DIR VERSION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_changelog.cmake needs -D${var}=...")
  endif()
endforeach()
file(STRINGS ${SOURCE_DIR}/CHANGELOG.md entries REGEX "^## ")
string(REPLACE "." "\\." escaped "${VERSION}")
if(NOT entries MATCHES "## ${escaped}( |$|;)")
  message(FATAL_ERROR "CHANGELOG.md has no '## ${VERSION}' entry (version.hpp says ${VERSION})")
endif()
message(STATUS "CHANGELOG.md has an entry for ${VERSION}")
