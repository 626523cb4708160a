# SPDX-License-Identifier: Apache-2.0
# Where tools/setup.sh left the dependency sources and newlib.
if(NOT FERRY_DEPS_DIR)
  if(DEFINED ENV{FERRY_CACHE})
    set(_deps "$ENV{FERRY_CACHE}")
  elseif(DEFINED ENV{XDG_CACHE_HOME})
    set(_deps "$ENV{XDG_CACHE_HOME}/ferry")
  else()
    set(_deps "$ENV{HOME}/.cache/ferry")
  endif()
  set(FERRY_DEPS_DIR "${_deps}" CACHE PATH "dependency cache made by tools/setup.sh")
endif()

function(ferry_require path what)
  if(NOT EXISTS "${path}")
    message(FATAL_ERROR "${what} not found (looked for ${path}).\n"
                        "Run tools/setup.sh: it installs the Debian packages and "
                        "fetches every dependency into ${FERRY_DEPS_DIR}.")
  endif()
endfunction()

set(FERRY_LIBFDT_DIR ${FERRY_DEPS_DIR}/src/libfdt)
set(FERRY_MBEDTLS_DIR ${FERRY_DEPS_DIR}/src/mbedtls)
set(FERRY_LWIP_DIR ${FERRY_DEPS_DIR}/src/lwip)
set(FERRY_NEWLIB_DIR ${FERRY_DEPS_DIR}/newlib/aarch64-none-elf)
ferry_require(${FERRY_LIBFDT_DIR}/libfdt.h "libfdt source")
ferry_require(${FERRY_MBEDTLS_DIR}/include/mbedtls/ssl.h "mbedtls 3.6 source")

set(FERRY_LIBFDT_SOURCES
    fdt.c fdt_ro.c fdt_rw.c fdt_sw.c fdt_wip.c fdt_strerror.c fdt_addresses.c fdt_empty_tree.c)
list(TRANSFORM FERRY_LIBFDT_SOURCES PREPEND ${FERRY_LIBFDT_DIR}/)

# mbedtls' library and the p256-m driver of its 3rdparty folder (P-256).
set(_p256m ${FERRY_MBEDTLS_DIR}/3rdparty/p256-m)
file(GLOB FERRY_MBEDTLS_SOURCES ${FERRY_MBEDTLS_DIR}/library/*.c)
list(APPEND FERRY_MBEDTLS_SOURCES ${_p256m}/p256-m_driver_entrypoints.c ${_p256m}/p256-m/p256-m.c)

# The dependency libraries, built from their sources with their own warnings
# silenced; the same definitions serve the board build and the host build.
function(ferry_add_fdt name)
  add_library(${name} STATIC ${FERRY_LIBFDT_SOURCES})
  target_include_directories(${name} SYSTEM PUBLIC ${FERRY_LIBFDT_DIR})
  target_compile_options(${name} PRIVATE -w)
endfunction()

function(ferry_add_mbedtls name)
  add_library(${name} STATIC ${FERRY_MBEDTLS_SOURCES})
  target_include_directories(${name} SYSTEM PUBLIC
    ${FERRY_MBEDTLS_DIR}/include ${CMAKE_SOURCE_DIR}/deps/mbedtls)
  target_include_directories(${name} PRIVATE ${FERRY_MBEDTLS_DIR}/library ${_p256m} ${_p256m}/p256-m)
  target_compile_definitions(${name} PUBLIC MBEDTLS_CONFIG_FILE="ferry_mbedtls_config.h")
  target_compile_options(${name} PRIVATE -w)
endfunction()
