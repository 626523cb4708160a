#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The migration engine's throughput on the host against memcpy, in one run:
#   bench/mig-engine.sh [MiB] [repetitions]     (default 256 MiB, 3)
# Builds a release host tree without sanitizers (preset "bench") and writes
# bench/results/mig-engine.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
cmake --preset bench >/dev/null
cmake --build --preset bench --target bench_mig_engine >/dev/null
out=bench/results/mig-engine.json
build/bench/bench_mig_engine "${1:-256}" "${2:-3}" | sed "s|^{|{\n  \"command\": \"bench/mig-engine.sh ${1:-256} ${2:-3}\",|" >"$out"
cat "$out"
