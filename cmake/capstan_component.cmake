# capstan_add_component(NAME SOURCES ... [DEPS ...] [PRIVATE_DEPS ...] [TESTS ...])
# The one build idiom: a folder under src/ is one static library `capstan_<name>` (alias
# capstan::<name>), its unit tests one gtest binary `<name>_test`.

function(capstan_apply_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      # GCC 12 reports a false positive on Asio's coroutine frame allocator at -O2
      # (awaitable_frame_base::operator delete "mismatched" with its operator new).
      target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
    endif()
    if(CAPSTAN_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()

function(capstan_add_component name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS;TESTS;TEST_DEPS" ${ARGN})
  add_library(capstan_${name} STATIC ${ARG_SOURCES})
  add_library(capstan::${name} ALIAS capstan_${name})
  target_include_directories(capstan_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(capstan_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  capstan_apply_warnings(capstan_${name})
  if(CAPSTAN_TESTS AND ARG_TESTS)
    add_executable(${name}_test ${ARG_TESTS})
    target_link_libraries(${name}_test PRIVATE capstan::${name} ${ARG_TEST_DEPS} GTest::gtest_main GTest::gmock)
    target_compile_definitions(${name}_test PRIVATE
      CAPSTAN_SHARED_DIR="${CAPSTAN_SHARED_DIR}" CAPSTAN_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    capstan_apply_warnings(${name}_test)
    gtest_discover_tests(${name}_test DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
  endif()
endfunction()

# Sanitizers apply to every target of the build (set before add_subdirectory).
if(CAPSTAN_SANITIZE)
  string(REPLACE ";" "," _san "${CAPSTAN_SANITIZE}")
  add_compile_options(-fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_san})
endif()
