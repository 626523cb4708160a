#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A VM migrated back and forth between two boards that stay up: board A
# boots GUEST (2 vCPUs), board B waits for it; each round trip is A -> B
# (`ferry incoming` on B first, from the second on), then `ferry incoming`
# on A and B -> A, each migration by `ferry migrate` on the sending board's
# management channel, and after each `ferry boards` must show the VM running
# on the board that received it. Every migration's events go to
# WORK/trip-N-ab.json and WORK/trip-N-ba.json, and a line per round trip to
# WORK/trips.txt ("N SECONDS ab-rc ba-rc").
#
#   round_trips.sh --ferry BIN --guest ELF --work DIR --trips K [--mem SIZE]
#
# Exit 0 when every migration completed, every query showed the VM where it
# went, the guest (tests/guests/migrating.c: it checks its memory, counter,
# timer and SGIs, and says FAIL at once when one is wrong) went on beating
# on A afterwards, no board printed FAIL or PANIC, B (empty) stopped waiting
# for a VM when told (ferry incoming --cancel), and B quit when told.
set -uo pipefail
ferry= guest= work= trips=1 mem=64M
while [ $# -gt 0 ]; do
	case "$1" in
	--ferry) ferry=$2 ;;
	--guest) guest=$2 ;;
	--work) work=$2 ;;
	--trips) trips=$2 ;;
	--mem) mem=$2 ;;
	*) echo "round_trips.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
# shellcheck source=tests/qemu/runtime_dir.sh
. "$(dirname "$0")/runtime_dir.sh"
# shellcheck source=tests/qemu/pair_lib.sh
. "$(dirname "$0")/pair_lib.sh"
fresh_pair "$ferry" "$work"
mgmt() { echo "$run_dir/$1.mgmt"; }

board() { # name link-args...
	local name=$1
	shift
	timeout 3600 "$ferry" run --vcpus 2 --cpus 3 --mem "$mem" --semihosting \
		--link "$work/creds/$name" --mgmt "$(mgmt "$name")" "$@" >"$work/$name.log" 2>&1
	echo $? >"$work/$name.log.rc"
}
board b --incoming --net-listen "$run_dir/n.sock" &
pid_b=$!
for _ in $(seq 200); do [ -S "$run_dir/n.sock" ] && break; sleep 0.05; done
board a --guest "$guest" --net "$run_dir/n.sock" &
pid_a=$!
for _ in $(seq 600); do grep -q "beat 5 at" "$work/a.log" 2>/dev/null && break; sleep 0.1; done

# hosts NAME: the board's query shows the VM running there
hosts() {
	"$ferry" boards --mgmt "$(mgmt "$1")" --json >"$work/query.json" 2>&1 &&
		grep -q '"board":"hosting".*"state":"running"' "$work/query.json"
}
# migrate FROM TO N: one migration, its events kept; its exit code
migrate() {
	timeout 300 "$ferry" migrate --mgmt "$(mgmt "$1")" --peer "$2" --json \
		>"$work/trip-$3-$1$2.json" 2>&1
}

for n in $(seq "$trips"); do
	start=$(date +%s.%N)
	if [ "$n" -gt 1 ]; then
		"$ferry" incoming --mgmt "$(mgmt b)" || fail "trip $n: ferry incoming on b exited $?"
	fi
	migrate a b "$n"
	ab=$?
	[ $ab = 0 ] || fail "trip $n: a -> b exited $ab"
	hosts b || fail "trip $n: b does not show the VM running: $(cat "$work/query.json")"
	"$ferry" incoming --mgmt "$(mgmt a)" || fail "trip $n: ferry incoming on a exited $?"
	migrate b a "$n"
	ba=$?
	[ $ba = 0 ] || fail "trip $n: b -> a exited $ba"
	hosts a || fail "trip $n: a does not show the VM running: $(cat "$work/query.json")"
	echo "$n $(awk "BEGIN { print $(date +%s.%N) - $start }") $ab $ba" >>"$work/trips.txt"
	grep -Eq "FAIL|PANIC" "$work/a.log" "$work/b.log" && { fail "trip $n: a board failed"; break; }
	[ $status = 0 ] || break
done

# The guest on A goes on checking: a second of beats more (each checks all its
# memory; every tenth its timer ticks and SGIs), then the boards stop: B, empty,
# by `ferry quit`; A, which holds the VM and never quits with it, from outside.
last=$(grep -o "beat [0-9]* at" "$work/a.log" | tail -1 | cut -d" " -f2)
for _ in $(seq 300); do
	now=$(grep -o "beat [0-9]* at" "$work/a.log" | tail -1 | cut -d" " -f2)
	[ "${now:-0}" -ge $((${last:-0} + 12)) ] && break
	sleep 0.1
done
[ "${now:-0}" -ge $((${last:-0} + 12)) ] || fail "the guest on a stopped beating (beat ${now:-none})"
grep -Eq "FAIL|PANIC" "$work/a.log" "$work/b.log" && fail "a board failed"
# B, empty, told to wait for a VM that never comes, stops waiting when told.
# These three say the state they reached with --json.
# said WHAT WANT: the command's JSON line ($out) names the state WANT.
said() {
	grep -qF "\"state\":\"$2\"" <<<"$out" || fail "ferry $1 --json said '$out', not state $2"
}
out=$("$ferry" incoming --json --mgmt "$(mgmt b)") || fail "ferry incoming on b (at the end) exited $?"
said incoming receiving
out=$("$ferry" incoming --cancel --json --mgmt "$(mgmt b)") ||
	fail "ferry incoming --cancel on b exited $?"
said "incoming --cancel" empty
grep -q "migration: no longer waiting for a VM (migrate-cancel)" "$work/b.log" ||
	fail "b did not say it stopped waiting"
if [ $status = 0 ]; then
	out=$("$ferry" quit --json --mgmt "$(mgmt b)") || fail "ferry quit on b exited $?"
	said quit powered-off
fi
grep -q "Ferry: told to quit on the management channel: powering off" "$work/b.log" ||
	fail "b did not power off when told"
end_boards "$run_dir"
wait $pid_a $pid_b 2>/dev/null
for name in a b; do
	echo "----- board $name -----"
	grep -E "^(Ferry|migration:|migration report: downtime|vm0:)|FERRY-TEST|FAIL|PANIC" "$work/$name.log"
done
cat "$work/trips.txt" 2>/dev/null
exit $status
