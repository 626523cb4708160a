#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What postcopy costs a running guest, for two Ferry images side by side:
# the migrating guest (64 MiB, a 16 MiB area it rewrites 3.2 MB/s and reads
# whole every 100 ms) moved in postcopy from the start, so every page it
# touches on the destination is a fault until the push brings it. Per run:
# the destination's fault waits (request to page in place: mean, longest,
# how many), the guest's longest stall after the downtime (its heartbeat
# times, by its own clock, less their 100 ms period; the downtime itself
# does not count, its clock stands still then), and the total time.
#
#   bench/postcopy.sh [RUNS] [BEFORE_IMAGE]   (default 5 runs)
#   GUEST=guest_migrating_fast MEM=512M bench/postcopy.sh ...   (another guest)
#
# With BEFORE_IMAGE (another ferry.elf), each run migrates with it too,
# interleaved, for a before/after comparison in one run. Writes
# bench/results/postcopy.json; needs a built tree (tools/run.sh build).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
before=${2:-}
[ -x build/ferry ] || { echo "bench: build first (tools/run.sh build)" >&2; exit 2; }
work=$(mktemp -d /tmp/ferry-postcopy-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
build/ferry creds "$work/creds" dst src >/dev/null
guest=${GUEST:-guest_migrating}
mem=${MEM:-64M}

# One migration; prints "wait_mean_us wait_max_us faults stall_ms total_ms".
one() { # image
	local sock=$work/m.sock image=(${1:+--image "$1"})
	rm -f "$sock"
	build/ferry run "${image[@]}" --incoming --mem "$mem" --semihosting \
		--link "$work/creds/dst" --net-listen "$sock" >"$work/dst.log" 2>&1 &
	local pid=$!
	for _ in $(seq 200); do [ -S "$sock" ] && break; sleep 0.02; done
	build/ferry run "${image[@]}" --guest "build/board/guests/$guest.elf" --mem "$mem" \
		--semihosting --link "$work/creds/src" --net "$sock" \
		--ferry "ferry.migrate=postcopy ferry.migrate_at=1500" >"$work/src.log" 2>&1 &
	local src=$!
	# Ten heartbeats on the destination after the report are enough to see
	# the stalls; a long-running guest is not waited for.
	for _ in $(seq 3000); do
		kill -0 $pid 2>/dev/null || break
		[ "$(sed -n '/page faults served/,$p' "$work/dst.log" | grep -c 'vm0| beat')" -ge 10 ] && break
		sleep 0.1
	done
	kill $pid $src 2>/dev/null || true
	wait $pid $src 2>/dev/null || true
	local faults total stall
	faults=$(tr -d '\r' <"$work/dst.log" | sed -n 's/^migration: postcopy: \([0-9]*\) page faults served, waited \([0-9]*\) us on average, \([0-9]*\) us at most$/\2 \3 \1/p' | tail -n 1)
	total=$(tr -d '\r' <"$work/src.log" | sed -n 's/^migration report: downtime .* total \([0-9]*\) ms,.*/\1/p')
	stall=$(cat "$work/src.log" "$work/dst.log" | tr -d '\r' | sed -n 's/^vm0| beat [0-9]* at \([0-9]*\) ms:.*/\1/p' |
		awk 'NR > 1 && $1 - last - 100 > max { max = $1 - last - 100 } { last = $1 } END { print max + 0 }')
	[ -n "$faults" ] && [ -n "$total" ] && ! grep -q "FERRY-TEST.*FAIL" "$work/dst.log" ||
		{ echo "bench: a postcopy migration did not complete (logs: $work)" >&2; trap - EXIT; exit 1; }
	echo "$faults $stall $total"
}

declare -A mean max count stall total
variants=(current)
[ -n "$before" ] && variants+=(before)
for r in $(seq "$runs"); do
	for v in "${variants[@]}"; do
		img=""
		[ "$v" = before ] && img=$before
		read -r a b c s t < <(one "$img")
		mean[$v]="${mean[$v]:-} $a"; max[$v]="${max[$v]:-} $b"; count[$v]="${count[$v]:-} $c"
		stall[$v]="${stall[$v]:-} $s"; total[$v]="${total[$v]:-} $t"
		echo "run $r $v: fault wait mean $a us, max $b us, $c faults; guest's longest stall $s ms; total $t ms" >&2
	done
done
stats() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {printf "{ \"min\": %s, \"median\": %s, \"max\": %s }", a[1], a[int((NR+1)/2)], a[NR]}'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
{
	echo "{"
	echo "  \"command\": \"${GUEST:+GUEST=$GUEST }${MEM:+MEM=$MEM }bench/postcopy.sh $runs${before:+ $before}\","
	echo "  \"benchmark\": \"postcopy from the start of $guest ($mem, 1 vCPU) between two emulated boards over TLS, $runs interleaved runs per image\","
	for v in "${variants[@]}"; do
		echo "  \"$v\": { \"fault_wait_mean_us\": $(echo "${mean[$v]}" | stats), \"fault_wait_max_us\": $(echo "${max[$v]}" | stats),"
		echo "    \"faults\": $(echo "${count[$v]}" | stats), \"guest_longest_stall_ms\": $(echo "${stall[$v]}" | stats),"
		echo "    \"total_ms\": $(echo "${total[$v]}" | stats) },"
	done
	if [ -n "$before" ]; then
		echo "  \"ratio_current_to_before\": { \"fault_wait_mean\": $(awk -v a="$(echo "${mean[current]}" | median)" -v b="$(echo "${mean[before]}" | median)" 'BEGIN { printf "%.3f", a / b }'),"
		echo "    \"guest_longest_stall\": $(awk -v a="$(echo "${stall[current]}" | median)" -v b="$(echo "${stall[before]}" | median)" 'BEGIN { printf "%.3f", (b ? a / b : 0) }') },"
	fi
	echo "  \"unit\": \"us and ms as named; medians over the runs\""
	echo "}"
} >"bench/results/postcopy${GUEST:+-$GUEST}.json"
cat "bench/results/postcopy${GUEST:+-$GUEST}.json"
