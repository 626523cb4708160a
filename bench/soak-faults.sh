#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The two-board fault matrix, N times: a live migration of a guest that
# checks its memory, counter and timer, with one fault each time (the link
# cut before PONG, right after PONG, after RUN, after VM_STARTED, during
# postcopy; the destination dying while it loads; wrong credentials; a
# corrupted record; a 30 s partition at VM_STARTED). Each run is judged
# from both boards' consoles and exit codes:
#   one board    the guest finished on exactly one board (the rule)
#   split brain  it finished on both
#   lost         it finished on neither (allowed only for a board that
#                died in postcopy, which this matrix does not do)
#   stuck        a board did not end within its time limit
#   resolved     the source was unresolved or paused, and resolved itself
#
#   bench/soak-faults.sh [N] [SCENARIO...]   (default 20 of each)
#
# Writes bench/results/soak-faults.json; needs a built tree (tools/run.sh build).
# Runs one board pair at a time (about 3 minutes a round of all scenarios).
set -uo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
shift || true
[ -x build/ferry ] || { echo "soak: build first (tools/run.sh build)" >&2; exit 2; }
guests=build/board/guests
# Sockets in a short private directory: a deep checkout would overflow sun_path.
work=$(mktemp -d "${XDG_RUNTIME_DIR:-/tmp}/ferry-soak.XXXXXX")
trap 'rm -rf "$work"' EXIT

declare -A args=(
	[cut_before_pong]="--relay-fault '--cut 4000000'"
	[cut_after_pong]="--src-ferry ferry.test=cut_after_pong"
	[cut_after_run]="--dst-ferry ferry.test=lose_vm_started"
	[cut_after_vm_started]="--dst-ferry ferry.test=cut_after_vm_started"
	[cut_in_postcopy]="--guest $guests/guest_migrating_long.elf --mode postcopy --relay-fault '--blackout 6000000 7000'"
	[dest_dies_loading]="--dst-ferry ferry.test=die_loading"
	[wrong_credentials]="--other-dst-creds"
	[corrupted_record]="--relay-fault '--flip 3000000'"
	[partition_30s]="--guest $guests/guest_migrating_partition.elf --dst-ferry ferry.test=hold_vm_started --relay-fault '--partition 30000' --partition-when dst 'VM_STARTED held'"
)
order=(cut_before_pong cut_after_pong cut_after_run cut_after_vm_started cut_in_postcopy
	dest_dies_loading wrong_credentials corrupted_record partition_30s)
[ $# -gt 0 ] && order=("$@")

declare -A runs one split lost stuck resolved
for s in "${order[@]}"; do
	runs[$s]=0 one[$s]=0 split[$s]=0 lost[$s]=0 stuck[$s]=0 resolved[$s]=0
done

judge() { # scenario dir
	local s=$1 d=$2 src=0 dst=0
	grep -q "FERRY-TEST .*: PASS" "$d/src.log" && src=1
	grep -q "FERRY-TEST .*: PASS" "$d/dst.log" && dst=1
	runs[$s]=$((runs[$s] + 1))
	if [ "$(cat "$d/src.log.rc")" = 124 ] || [ "$(cat "$d/dst.log.rc")" = 124 ]; then
		stuck[$s]=$((stuck[$s] + 1))
	fi
	if [ $src = 1 ] && [ $dst = 1 ]; then
		split[$s]=$((split[$s] + 1))
	elif [ $src = 1 ] || [ $dst = 1 ]; then
		one[$s]=$((one[$s] + 1))
	else
		lost[$s]=$((lost[$s] + 1))
	fi
	if grep -q "asking the destination (attempt" "$d/src.log" &&
		grep -Eq "^migration: (completed|failed)" "$d/src.log"; then
		resolved[$s]=$((resolved[$s] + 1))
	fi
	echo "$s: source $( [ $src = 1 ] && echo ran || echo - ), destination $( [ $dst = 1 ] && echo ran || echo - )" >&2
}

for r in $(seq "$n"); do
	for s in "${order[@]}"; do
		d=$work/$s
		eval "set -- ${args[$s]}"
		guest=$guests/guest_migrating.elf
		tests/qemu/migrate_pair.sh --ferry build/ferry --relay build/frame_relay \
			--work "$d" --guest "$guest" --rc-src 0 --rc-dst 0 "$@" >"$work/out.log" 2>&1
		echo -n "round $r: " >&2
		judge "$s" "$d"
		# Keep the logs of anything that broke a rule.
		if [ "${split[$s]}" != 0 ] || [ "${stuck[$s]}" != 0 ] || [ "${lost[$s]}" != 0 ]; then
			mkdir -p build/soak-findings && cp -r "$d" "build/soak-findings/$s-$r"
		fi
	done
done

mkdir -p bench/results
{
	echo "{"
	echo "  \"command\": \"bench/soak-faults.sh $n\","
	echo "  \"runs_per_scenario\": $n,"
	echo "  \"scenarios\": {"
	last=${order[-1]}
	for s in "${order[@]}"; do
		printf '    "%s": {"runs": %d, "one_board": %d, "split_brain": %d, "lost": %d, "stuck": %d, "unresolved_then_resolved": %d}%s\n' \
			"$s" "${runs[$s]}" "${one[$s]}" "${split[$s]}" "${lost[$s]}" "${stuck[$s]}" \
			"${resolved[$s]}" "$([ "$s" = "$last" ] || echo ,)"
	done
	echo "  },"
	t_runs=0 t_one=0 t_split=0 t_lost=0 t_stuck=0 t_res=0
	for s in "${order[@]}"; do
		t_runs=$((t_runs + runs[$s])) t_one=$((t_one + one[$s])) t_split=$((t_split + split[$s]))
		t_lost=$((t_lost + lost[$s])) t_stuck=$((t_stuck + stuck[$s])) t_res=$((t_res + resolved[$s]))
	done
	printf '  "total": {"runs": %d, "one_board": %d, "split_brain": %d, "lost": %d, "stuck": %d, "unresolved_then_resolved": %d}\n' \
		$t_runs $t_one $t_split $t_lost $t_stuck $t_res
	echo "}"
} >bench/results/soak-faults.json
cat bench/results/soak-faults.json
