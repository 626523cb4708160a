# SPDX-License-Identifier: Apache-2.0
# FERRY_VERSION_STRING: the project version and, in a git checkout, the
# commit; written to generated/ferry_version.h, which only the files that
# print it include. A commit or checkout runs configure again (the git
# reflog is a configure dependency), so the version is never a stale one.
set(FERRY_VERSION_STRING ${PROJECT_VERSION})
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS ${CMAKE_SOURCE_DIR}/.git)
  execute_process(
    COMMAND ${GIT_EXECUTABLE} rev-parse --short=10 HEAD
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
    OUTPUT_VARIABLE _rev
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_rev)
    set(FERRY_VERSION_STRING "${PROJECT_VERSION}-g${_rev}")
  endif()
  foreach(_f logs/HEAD HEAD)
    if(EXISTS ${CMAKE_SOURCE_DIR}/.git/${_f})
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/.git/${_f})
    endif()
  endforeach()
endif()
configure_file(${CMAKE_SOURCE_DIR}/cmake/ferry_version.h.in
  ${CMAKE_BINARY_DIR}/generated/ferry_version.h @ONLY)
