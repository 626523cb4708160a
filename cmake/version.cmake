# SPDX-License-Identifier: Apache-2.0
# FERRY_VERSION_STRING: the project version and, in a git checkout, the commit.
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
endif()
