#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole board image (hypervisor, migration, TLS, TCP) stays within its
# budget: what is loaded (text and data; bss is zeroed at boot, not loaded).
#   image_size.sh SIZE_TOOL IMAGE BUDGET_BYTES
set -euo pipefail
read -r text data _ < <("$1" "$2" | awk 'NR == 2 { print $1, $2 }')
total=$((text + data))
echo "image: $total bytes loaded ($text text, $data data), budget $3"
[ "$total" -le "$3" ] || { echo "FAIL: the image grew past its budget"; exit 1; }
