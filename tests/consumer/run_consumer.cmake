# Builds and runs a consumer app against eosdnn in one of three ways (MODE): the installed
# package (find_package), add_subdirectory, or FetchContent. Run with cmake -P by ctest.
# Optional: APP_DIR (default tests/consumer/app), APP_NAME (its executable, default consumer) and
# APP_ARGUMENTS (a ;-list passed to it).
foreach(var EOSDNN_SOURCE_DIR WORK_DIR MODE CXX)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer.cmake needs -D${var}=...")
  endif()
endforeach()

if(NOT DEFINED APP_DIR)
  set(APP_DIR ${CMAKE_CURRENT_LIST_DIR}/app)
endif()
if(NOT DEFINED APP_NAME)
  set(APP_NAME consumer)
endif()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " command "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${command}")
  endif()
endfunction()

set(app_args -DCMAKE_CXX_COMPILER=${CXX} -DMODE=${MODE} -DEOSDNN_SOURCE_DIR=${EOSDNN_SOURCE_DIR})
if(MODE STREQUAL "install")
  # Install eosdnn on its own into a private prefix, then find it there and only there.
  run(${CMAKE_COMMAND} -S ${EOSDNN_SOURCE_DIR} -B ${WORK_DIR}/eosdnn-build
      -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix
      -DEOSDNN_BUILD_TESTS=OFF -DEOSDNN_BUILD_BENCHMARKS=OFF -DEOSDNN_BUILD_EXAMPLES=OFF)
  run(${CMAKE_COMMAND} --install ${WORK_DIR}/eosdnn-build)
  list(APPEND app_args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
endif()

run(${CMAKE_COMMAND} -S ${APP_DIR} -B ${WORK_DIR}/app-build ${app_args})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/app-build)
run(${WORK_DIR}/app-build/${APP_NAME} ${APP_ARGUMENTS})
