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
  list(APPEND app_args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DEXPECTED_PREFIX=${WORK_DIR}/prefix)
endif()

run(${CMAKE_COMMAND} -S ${APP_DIR} -B ${WORK_DIR}/app-build ${app_args})
if(MODE STREQUAL "install" AND APP_NAME STREQUAL "consumer")
  # Without CMake: the installed eosdnn.pc gives the flags, and its version is the headers'.
  find_program(PKG_CONFIG_EXECUTABLE pkg-config)
  if(PKG_CONFIG_EXECUTABLE)
    set(ENV{PKG_CONFIG_PATH} ${WORK_DIR}/prefix/share/pkgconfig)
    execute_process(COMMAND ${PKG_CONFIG_EXECUTABLE} --cflags eosdnn
                    OUTPUT_VARIABLE pc_cflags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
    execute_process(COMMAND ${PKG_CONFIG_EXECUTABLE} --modversion eosdnn
                    OUTPUT_VARIABLE pc_version OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT rc EQUAL 0 OR pc_version STREQUAL "")
      message(FATAL_ERROR "pkg-config cannot use the installed eosdnn.pc")
    endif()
    separate_arguments(pc_flags UNIX_COMMAND "${pc_cflags}")
    run(${CXX} ${pc_flags} "-DEOSDNN_EXPECTED_VERSION=\"${pc_version}\""
        ${APP_DIR}/main.cpp -o ${WORK_DIR}/pkg-config-consumer)
    run(${WORK_DIR}/pkg-config-consumer)
  endif()
endif()
run(${CMAKE_COMMAND} --build ${WORK_DIR}/app-build)
run(${WORK_DIR}/app-build/${APP_NAME} ${APP_ARGUMENTS})
