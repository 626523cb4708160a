# SPDX-License-Identifier: Apache-2.0
# Warnings for the project's own code (never for the dependencies).
set(FERRY_WARNINGS
    -Wall -Wextra -Werror -Wshadow -Wvla -Wconversion -Wno-sign-conversion
    -Wstrict-prototypes -Wmissing-prototypes -Wundef -Wformat=2)
