# Every dependency comes from Debian's -dev packages (scripts/install.sh installs them).
# Imported targets: their include directories are treated as system headers, so
# third-party warnings never fail our -Werror build.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(Protobuf REQUIRED)
# gRPC C++ (Debian libgrpc++-dev + protobuf-compiler-grpc): the Yandex SpeechKit v3 client.
find_package(gRPC CONFIG REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(tl-expected REQUIRED)
find_package(GTest REQUIRED)

pkg_check_modules(NICE REQUIRED IMPORTED_TARGET nice)
pkg_check_modules(GLIB REQUIRED IMPORTED_TARGET glib-2.0 gio-2.0)
pkg_check_modules(SRTP2 REQUIRED IMPORTED_TARGET libsrtp2)
pkg_check_modules(USRSCTP REQUIRED IMPORTED_TARGET usrsctp)
pkg_check_modules(OPUS REQUIRED IMPORTED_TARGET opus)
pkg_check_modules(SOXR REQUIRED IMPORTED_TARGET soxr)
pkg_check_modules(SPEEXDSP REQUIRED IMPORTED_TARGET speexdsp)
pkg_check_modules(WEBRTC_AP REQUIRED IMPORTED_TARGET webrtc-audio-processing)
pkg_check_modules(POCKETSPHINX REQUIRED IMPORTED_TARGET pocketsphinx sphinxbase)
# Debian's sphinxbase.pc names /usr/include/sphinxbase, which the package does not install (the
# headers are in /usr/include/<triplet>/sphinxbase), and CMake refuses an imported target with a
# missing include directory: keep the ones that exist.
get_target_property(_ps_includes PkgConfig::POCKETSPHINX INTERFACE_INCLUDE_DIRECTORIES)
set(_ps_existing)
foreach(_dir IN LISTS _ps_includes)
  if(EXISTS "${_dir}")
    list(APPEND _ps_existing "${_dir}")
  endif()
endforeach()
set_target_properties(PkgConfig::POCKETSPHINX PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_ps_existing}")
pkg_check_modules(ESPEAK_NG REQUIRED IMPORTED_TARGET espeak-ng)
# libre (the SIP stack under baresip): the SIP phone of `parley diagnose --call`.
pkg_check_modules(LIBRE REQUIRED IMPORTED_TARGET libre)

# flite ships no pkg-config file.
find_path(FLITE_INCLUDE_DIR flite/flite.h REQUIRED)
find_library(FLITE_LIB flite REQUIRED)
find_library(FLITE_CMU_US_KAL_LIB flite_cmu_us_kal REQUIRED)
find_library(FLITE_CMU_US_KAL16_LIB flite_cmu_us_kal16 REQUIRED)
find_library(FLITE_USENGLISH_LIB flite_usenglish REQUIRED)
find_library(FLITE_CMULEX_LIB flite_cmulex REQUIRED)
add_library(parley_flite INTERFACE)
target_include_directories(parley_flite SYSTEM INTERFACE ${FLITE_INCLUDE_DIR})
target_link_libraries(parley_flite INTERFACE ${FLITE_CMU_US_KAL_LIB} ${FLITE_CMU_US_KAL16_LIB} ${FLITE_USENGLISH_LIB}
                      ${FLITE_CMULEX_LIB} ${FLITE_LIB} m)
add_library(parley::flite ALIAS parley_flite)

find_package(benchmark QUIET)
