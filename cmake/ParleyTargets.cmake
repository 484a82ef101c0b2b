# Helpers that every folder's CMakeLists.txt uses, so adding a file or a test never needs an
# edit outside its own folder.

set(PARLEY_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Werror)

if(PARLEY_SANITIZER STREQUAL "asan")
  set(PARLEY_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
elseif(PARLEY_SANITIZER STREQUAL "tsan")
  set(PARLEY_SAN_FLAGS -fsanitize=thread -fno-omit-frame-pointer)
elseif(NOT PARLEY_SANITIZER STREQUAL "")
  message(FATAL_ERROR "PARLEY_SANITIZER must be '', asan or tsan, not '${PARLEY_SANITIZER}'")
endif()
if(PARLEY_FUZZ)
  list(APPEND PARLEY_SAN_FLAGS -fsanitize=fuzzer-no-link,address,undefined)
endif()
add_compile_options(${PARLEY_SAN_FLAGS})
if(PARLEY_SAN_FLAGS AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12's flow analysis gives false maybe-uninitialized warnings inside libstdc++ and Boost
  # when sanitizers instrument the code (GCC bug 105616 and relatives).
  add_compile_options(-Wno-maybe-uninitialized)
endif()
if(PARLEY_SANITIZER STREQUAL "tsan" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # Boost.Asio uses std::atomic_thread_fence, which TSan does not model; GCC warns (-Wtsan).
  add_compile_options(-Wno-tsan)
endif()
add_link_options(${PARLEY_SAN_FLAGS})

# parley_library(NAME [DEPS targets...]): one library per folder, built from every .cpp in it.
# NAME is the folder below src/ with '/' replaced by '_' (e.g. livekit_auth).
function(parley_library name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  add_library(parley_${name} STATIC ${srcs})
  target_include_directories(parley_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(parley_${name} PRIVATE ${PARLEY_WARNINGS})
  target_link_libraries(parley_${name} PUBLIC ${ARG_DEPS})
  add_library(parley::${name} ALIAS parley_${name})
  set_property(GLOBAL APPEND PROPERTY PARLEY_LIBRARIES parley_${name})
endfunction()

# parley_test(NAME SOURCES files... DEPS targets... [LABELS labels...] [FIXTURES fixtures...])
# Labels: unit (no outside process), integration (needs the local LiveKit stack), e2e.
include(GoogleTest)
function(parley_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS;FIXTURES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${PARLEY_WARNINGS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  # Where tests find the repository (scripts, example config) and the build (the parley binary).
  target_compile_definitions(${name} PRIVATE PARLEY_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                             PARLEY_BINARY_DIR="${PROJECT_BINARY_DIR}")
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  # gtest_discover_tests cannot pass a list as one property value, so several labels become one
  # ("unit-threaded"); `ctest -L` matches labels as regular expressions, so -L threaded finds it.
  string(REPLACE ";" "-" labels "${ARG_LABELS}")
  # The TSan run builds only the executables of threaded tests (target parley_threaded_tests).
  if("threaded" IN_LIST ARG_LABELS)
    set_property(GLOBAL APPEND PROPERTY PARLEY_THREADED_TESTS ${name})
  endif()
  set(props LABELS "${labels}" TIMEOUT ${ARG_TIMEOUT})
  if(ARG_FIXTURES)
    list(APPEND props FIXTURES_REQUIRED "${ARG_FIXTURES}" RESOURCE_LOCK livekit_stack)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES ${props})
endfunction()

# parley_fuzzer(NAME SOURCES files... DEPS targets... [CORPUS dir]): a libFuzzer target (built
# only with -DPARLEY_FUZZ=ON, clang) and a short run of it as a ctest test labelled "fuzz".
# The seed corpus, when given, is copied so the run never writes into the source tree.
# Without PARLEY_FUZZ the same harness is linked with fuzz/replay_main.cpp instead, and its
# corpus replays as an ordinary unit test (NAME_corpus) in the default and sanitizer builds.
set(PARLEY_FUZZ_SECONDS 20 CACHE STRING "seconds each fuzzer runs under ctest")
function(parley_fuzzer name)
  cmake_parse_arguments(ARG "" "CORPUS" "SOURCES;DEPS" ${ARGN})
  if(NOT PARLEY_FUZZ)
    if(ARG_CORPUS)
      if(NOT TARGET parley_fuzz_replay_main)  # built once, linked into every replayer
        add_library(parley_fuzz_replay_main OBJECT ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cpp)
        target_compile_options(parley_fuzz_replay_main PRIVATE ${PARLEY_WARNINGS})
      endif()
      add_executable(${name}_replay ${ARG_SOURCES} $<TARGET_OBJECTS:parley_fuzz_replay_main>)
      target_compile_options(${name}_replay PRIVATE ${PARLEY_WARNINGS})
      target_include_directories(${name}_replay PRIVATE ${PROJECT_SOURCE_DIR}/src)
      target_link_libraries(${name}_replay PRIVATE ${ARG_DEPS})
      add_test(NAME ${name}_corpus COMMAND ${name}_replay ${ARG_CORPUS})
      set_tests_properties(${name}_corpus PROPERTIES LABELS unit TIMEOUT 120)
    endif()
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${PARLEY_WARNINGS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  set_property(GLOBAL APPEND PROPERTY PARLEY_FUZZERS ${name})
  add_test(NAME ${name}
           COMMAND ${PROJECT_SOURCE_DIR}/fuzz/run_fuzzer.sh $<TARGET_FILE:${name}>
                   ${CMAKE_CURRENT_BINARY_DIR}/${name}_corpus ${PARLEY_FUZZ_SECONDS} "${ARG_CORPUS}")
  set_tests_properties(${name} PROPERTIES LABELS fuzz TIMEOUT 300)
endfunction()
