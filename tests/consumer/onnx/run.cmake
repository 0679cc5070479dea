# Builds and runs the ONNX consumer app against eosdnn (MODE: install or add_subdirectory), with
# cmake -P from ctest, like ../run_consumer.cmake does for the core library.
foreach(var EOSDNN_SOURCE_DIR WORK_DIR MODE CXX MODEL)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run.cmake needs -D${var}=...")
  endif()
endforeach()

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
  run(${CMAKE_COMMAND} -S ${EOSDNN_SOURCE_DIR} -B ${WORK_DIR}/eosdnn-build
      -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix
      -DEOSDNN_BUILD_TESTS=OFF -DEOSDNN_BUILD_BENCHMARKS=OFF -DEOSDNN_BUILD_EXAMPLES=OFF)
  run(${CMAKE_COMMAND} --install ${WORK_DIR}/eosdnn-build)
  list(APPEND app_args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
endif()

run(${CMAKE_COMMAND} -S ${CMAKE_CURRENT_LIST_DIR} -B ${WORK_DIR}/app-build ${app_args})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/app-build)
run(${WORK_DIR}/app-build/onnx_consumer ${MODEL})
