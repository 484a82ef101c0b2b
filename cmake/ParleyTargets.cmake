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
  list(FILTER srcs EXCLUDE REGEX "/register_[^/]*\\.cpp$")  # providers' registrations (parley_provider)
  add_library(parley_${name} STATIC ${srcs})
  target_include_directories(parley_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(parley_${name} PRIVATE ${PARLEY_WARNINGS})
  target_link_libraries(parley_${name} PUBLIC ${ARG_DEPS})
  add_library(parley::${name} ALIAS parley_${name})
  set_property(GLOBAL APPEND PROPERTY PARLEY_LIBRARIES parley_${name})
endfunction()

# parley_provider(NAME [SOURCES files...] [DEPS targets...]): a speech or language provider. Its
# sources define parley::register_provider_<NAME>(), which registers the provider's factories
# (providers/registry/provider_factories.h) and, for a provider with a config section of its own,
# the section (core/provider_section.h), so nothing outside the provider's folder lists it.
# SOURCES default to register_<NAME>.cpp beside an engine's library (which leaves register_*.cpp
# to this), else to every .cpp of the folder but its *_test.cpp. Providers below src/ go into
# parley; a test names the ones it uses with parley_test(... PROVIDERS names...).
function(parley_provider name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_SOURCES AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/register_${name}.cpp)
    set(ARG_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/register_${name}.cpp)
  elseif(NOT ARG_SOURCES)
    file(GLOB ARG_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
    list(FILTER ARG_SOURCES EXCLUDE REGEX "_test\\.cpp$")
  endif()
  add_library(parley_provider_${name} STATIC ${ARG_SOURCES})
  target_include_directories(parley_provider_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(parley_provider_${name} PRIVATE ${PARLEY_WARNINGS})
  target_link_libraries(parley_provider_${name} PUBLIC parley::providers_registry ${ARG_DEPS})
  string(FIND "${CMAKE_CURRENT_SOURCE_DIR}/" "${PROJECT_SOURCE_DIR}/src/" in_src)
  if(in_src EQUAL 0)
    set_property(GLOBAL APPEND PROPERTY PARLEY_PROVIDERS ${name})
  endif()
endfunction()

# parley_link_providers(TARGET [FUNCTION name] names...): links the providers into TARGET with a
# generated source that calls each one's register function before main() runs, so their config
# sections are known when the configuration loads. An explicit call, not a static registrar in
# the provider's library, because the linker drops library objects that nothing names; for a
# library TARGET, whose own objects are dropped too, FUNCTION names parley::<name>(), which the
# library's code calls so that the generated object (and with it the providers) is linked.
function(parley_link_providers target)
  cmake_parse_arguments(ARG "" "FUNCTION" "" ${ARGN})
  set(declarations "")
  set(calls "")
  foreach(provider ${ARG_UNPARSED_ARGUMENTS})
    string(APPEND declarations "void register_provider_${provider}();\n")
    string(APPEND calls "  register_provider_${provider}();\n")
    target_link_libraries(${target} PRIVATE parley_provider_${provider})
  endforeach()
  if(ARG_FUNCTION)
    set(body "void ${ARG_FUNCTION}() {\n${calls}}\n\nnamespace {\n[[maybe_unused]] const bool registered = (${ARG_FUNCTION}(), true);\n}  // namespace\n")
  else()
    set(body "namespace {\n[[maybe_unused]] const bool registered = [] {\n${calls}  return true;\n}();\n}  // namespace\n")
  endif()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}_providers.cpp)
  file(CONFIGURE OUTPUT ${out} @ONLY CONTENT
"// Generated by parley_link_providers (cmake/ParleyTargets.cmake): the providers linked into
// @target@, each registered by a call here.
namespace parley {

@declarations@
@body@
}  // namespace parley
")
  target_sources(${target} PRIVATE ${out})
endfunction()

# parley_test(NAME SOURCES files... DEPS targets... [LABELS labels...] [FIXTURES fixtures...]
#             [PROVIDERS names...])
# Labels: unit (no outside process), integration (needs the local LiveKit stack), e2e.
include(GoogleTest)
function(parley_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS;FIXTURES;PROVIDERS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  if(ARG_PROVIDERS)
    parley_link_providers(${name} ${ARG_PROVIDERS})
  endif()
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
