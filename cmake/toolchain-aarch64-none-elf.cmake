# SPDX-License-Identifier: Apache-2.0
# Cross toolchain for the hypervisor image: Debian's aarch64-linux-gnu GCC,
# used freestanding against newlib (no glibc, no Linux ABI).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

find_program(FERRY_CROSS_GCC aarch64-linux-gnu-gcc)
if(NOT FERRY_CROSS_GCC)
  message(FATAL_ERROR "aarch64-linux-gnu-gcc not found: run tools/setup.sh "
                      "(or apt-get install gcc-aarch64-linux-gnu)")
endif()
set(CMAKE_C_COMPILER ${FERRY_CROSS_GCC})
set(CMAKE_ASM_COMPILER ${FERRY_CROSS_GCC})
set(CMAKE_AR aarch64-linux-gnu-ar)
set(CMAKE_RANLIB aarch64-linux-gnu-ranlib)
set(CMAKE_OBJCOPY aarch64-linux-gnu-objcopy)
set(CMAKE_SIZE aarch64-linux-gnu-size)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
