#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Linux boot time to the shell prompt: the same Debian kernel and initramfs
# directly on QEMU virt and under Ferry, interleaved in one run, so the ratio
# is measured side by side on the same (shared, noisy) machine.
#
#   bench/linux-boot.sh [PAIRS] [VCPUS]      (default 5 pairs, 2 vCPUs)
#
# Writes bench/results/linux-boot.json; needs a built tree (tools/run.sh build).
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-5}
vcpus=${2:-2}
cache=${FERRY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry}
kernel=$cache/guests/linux/Image
initrd=build/guests/initramfs.cpio
[ -x build/ferry ] && [ -f "$kernel" ] && [ -f "$initrd" ] || {
	echo "bench: build first (tools/run.sh build)" >&2
	exit 2
}
common=(--guest "$kernel" --initrd "$initrd" --mem 512M --vcpus "$vcpus" --append "console=ttyAMA0")

# Milliseconds from launch until the guest's shell prompt line.
time_to_shell() {
	local start end="" line
	start=$(date +%s%N)
	coproc BOARD { exec "$@" </dev/null 2>&1; }
	while IFS= read -r -t 300 line <&"${BOARD[0]}"; do
		case "$line" in *"FERRY-LINUX: shell ready"*)
			end=$(date +%s%N)
			break
			;;
		esac
	done
	kill "$BOARD_PID" 2>/dev/null || true
	wait "$BOARD_PID" 2>/dev/null || true
	[ -n "$end" ] || { echo "bench: no shell prompt from: $*" >&2; exit 1; }
	echo $(((end - start) / 1000000))
}

direct=()
ferry=()
for i in $(seq 1 "$pairs"); do
	d=$(time_to_shell build/ferry run --direct "${common[@]}")
	f=$(time_to_shell build/ferry run "${common[@]}")
	direct+=("$d")
	ferry+=("$f")
	printf 'pair %d: direct %5d ms   Ferry %5d ms   ratio %s\n' "$i" "$d" "$f" \
		"$(awk -v a="$f" -v b="$d" 'BEGIN { printf "%.2f", a / b }')"
done

ratios=$(for i in "${!direct[@]}"; do awk -v a="${ferry[$i]}" -v b="${direct[$i]}" 'BEGIN { printf "%.3f\n", a / b }'; done | sort -n)
stat() { sort -n | awk '{ v[NR] = $1 } END { printf "{\"min\": %s, \"median\": %s, \"max\": %s}", v[1], v[int((NR + 1) / 2)], v[NR] }'; }
json_list() { local IFS=,; echo "[$*]"; }
out=bench/results/linux-boot.json
cat >"$out" <<JSON
{
  "benchmark": "Linux boot to shell prompt, Debian arm64 kernel + busybox initramfs, ${vcpus} vCPUs, 512 MiB",
  "command": "bench/linux-boot.sh $pairs $vcpus",
  "kernel": "$(grep -s '^linux-image ' "$cache/versions.txt" | cut -d' ' -f2)",
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "direct_ms": $(json_list "${direct[@]}"),
  "ferry_ms": $(json_list "${ferry[@]}"),
  "direct_ms_stats": $(printf '%s\n' "${direct[@]}" | stat),
  "ferry_ms_stats": $(printf '%s\n' "${ferry[@]}" | stat),
  "ratio_ferry_over_direct": $(echo "$ratios" | stat)
}
JSON
cat "$out"
