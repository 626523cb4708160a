#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Ferry's live migration between two emulated boards (precopy over TLS,
# QEMU -netdev stream), repeated: a guest dirtying memory (3.2 MB/s), the
# same guest idle, on 1 vCPU with 64 MiB, interleaved. From the source's
# report: downtime (stop to the destination's last vCPU in the guest), total time, rounds, bytes on the
# wire; medians, min and max.
#
#   bench/migrate.sh [RUNS] [BEFORE_IMAGE]     (default 5 of each)
#
# With BEFORE_IMAGE (an older ferry.elf), each run also migrates both guests
# with that image on both boards, interleaved, for a before/after
# comparison side by side.
# Writes bench/results/migrate.json; needs a built tree (tools/run.sh build).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
before=${2:-}
[ -x build/ferry ] || { echo "bench: build first (tools/run.sh build)" >&2; exit 2; }
work=$(mktemp -d /tmp/ferry-migrate-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
build/ferry creds "$work/creds" dst src >/dev/null

one() { # guest [image]
	local sock=$work/m.sock image=(${2:+--image "$2"})
	rm -f "$sock"
	build/ferry run "${image[@]}" --incoming --mem 64M --semihosting --link "$work/creds/dst" \
		--net-listen "$sock" >"$work/dst.log" 2>&1 &
	local pid=$!
	for _ in $(seq 200); do [ -S "$sock" ] && break; sleep 0.02; done
	build/ferry run "${image[@]}" --guest "build/board/guests/$1.elf" --mem 64M --semihosting \
		--link "$work/creds/src" --net "$sock" \
		--ferry "ferry.migrate=precopy ferry.migrate_at=1500" >"$work/src.log" 2>&1 || true
	wait $pid || true
	tr -d '\r' <"$work/src.log" | sed -n 's/^migration report: downtime \([0-9.]*\) ms .*total \([0-9]*\) ms, \([0-9]*\) rounds, .* \([0-9]*\) KiB on the wire.*/\1 \2 \3 \4/p'
}
declare -A down total rounds kib
cases=(guest_migrating guest_migrating_idle)
[ -n "$before" ] && cases+=(guest_migrating-before guest_migrating_idle-before)
for r in $(seq "$runs"); do
	for g in "${cases[@]}"; do
		img=
		[ "$g" != "${g%-before}" ] && img=$before
		read -r d t n k < <(one "${g%-before}" $img) ||
			{ echo "bench: $g run $r did not complete" >&2; exit 1; }
		down[$g]="${down[$g]:-} $d"; total[$g]="${total[$g]:-} $t"
		rounds[$g]="${rounds[$g]:-} $n"; kib[$g]="${kib[$g]:-} $k"
		echo "run $r $g: downtime $d ms, total $t ms, $n rounds, $k KiB" >&2
	done
done
stats() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {printf "{ \"min\": %s, \"median\": %s, \"max\": %s }", a[1], a[int((NR+1)/2)], a[NR]}'; }
{
	echo "{"
	echo "  \"command\": \"bench/migrate.sh $runs${before:+ $before}\","
	echo "  \"benchmark\": \"precopy live migration between two emulated boards over the TLS link with a pre-shared key at its default suite, 1 vCPU, 64 MiB, $runs interleaved runs each; from the source's report\","
	[ -n "$before" ] && echo "  \"before_image\": \"$before\","
	for g in "${cases[@]}"; do
		echo "  \"$g\": { \"downtime_ms\": $(echo "${down[$g]}" | stats), \"total_ms\": $(echo "${total[$g]}" | stats),"
		echo "    \"rounds\": $(echo "${rounds[$g]}" | stats), \"wire_kib\": $(echo "${kib[$g]}" | stats) },"
	done
	echo "  \"note\": \"guest_migrating rewrites 8 pages every 10 ms; the guest's virtual counter does not advance during the downtime\""
	echo "}"
} >bench/results/migrate.json
cat bench/results/migrate.json
