#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Protection (docs/protection.md) between two emulated boards joined by the
# frame relay: board "src" runs GUEST and protects it (ferry.migrate=protect)
# with board "dst" as its standby. Once src says it is protected, after a
# random wait, one thing breaks:
#   --kill src   src's QEMU is killed (SIGKILL): dst takes over;
#   --kill dst   dst's QEMU is killed: src's lease ends and it fences;
#   --cut        the relay passes nothing more (a partition longer than the
#                test): src fences, dst takes over;
#   neither      nothing breaks: the guest ends at the primary, whose
#                protection then ends (the standby drops its copy).
# Each board's exit code and console are judged; with --beats, the guest's
# numbered lines ("vm0| beat N") seen on both consoles together go 1, 2, 3 ...
# with no gap and no number twice (--beats-repeat: a number may come twice).
# With --restart, the killed board comes back empty (`ferry run --incoming`,
# console in KILLED.again.log, judged with --rc-again and --expect-again):
# the board that runs the VM protects it again by itself, to it.
# With --by-mgmt "ARGS" the protection is asked for by `ferry protect ARGS`
# on src's management channel (both boards get one); with --supervise, once
# dst says it waits for the supervisor (takeover=manual), `ferry resolve
# --force destination` tells it to run the VM; with --lift, once src says
# it is fenced and waits, `ferry resolve --force source` lets its VM go on.
#
#   protect_pair.sh --ferry BIN --relay BIN --work DIR --guest ELF
#                   (--kill src|dst | --cut) [--vcpus N] [--ferry-args "ARGS"]
#                   [--by-mgmt "ARGS"] [--supervise | --lift]
#                   [--wait-max MS] [--beats | --beats-repeat]
#                   [--restart --rc-again N [--expect-again RE]... [--reject-again RE]...]
#                   --rc-src N --rc-dst N [--expect-src RE]... [--expect-dst RE]...
#                   [--reject-src RE]... [--reject-dst RE]...
set -uo pipefail
ferry= relay= work= guest= vcpus=1 mem=64M kill= cut= ferry_args= wait_max=1500 beats=
by_mgmt= supervise= lift= quitters= restart=
rc_src=0 rc_dst=0 rc_again=0
expect_src=() expect_dst=() reject_src=() reject_dst=() expect_again=() reject_again=()
while [ $# -gt 0 ]; do
	case "$1" in
	--cut) cut=1; shift; continue ;;
	--beats) beats=1; shift; continue ;;
	--beats-repeat) beats=repeat; shift; continue ;;
	--supervise) supervise=1; shift; continue ;;
	--lift) lift=1; shift; continue ;;
	--restart) restart=1; shift; continue ;;
	--rc-again) rc_again=$2 ;;
	--expect-again) expect_again+=("$2") ;;
	--reject-again) reject_again+=("$2") ;;
	--by-mgmt) by_mgmt=$2 ;;
	--ferry) ferry=$2 ;;
	--relay) relay=$2 ;;
	--work) work=$2 ;;
	--guest) guest=$2 ;;
	--vcpus) vcpus=$2 ;;
	--kill) kill=$2 ;;
	--ferry-args) ferry_args=$2 ;;
	--wait-max) wait_max=$2 ;;
	--rc-src) rc_src=$2 ;;
	--rc-dst) rc_dst=$2 ;;
	--expect-src) expect_src+=("$2") ;;
	--expect-dst) expect_dst+=("$2") ;;
	--reject-src) reject_src+=("$2") ;;
	--reject-dst) reject_dst+=("$2") ;;
	*) echo "protect_pair.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
rm -rf "$work" && mkdir -p "$work"
"$ferry" creds "$work/creds" dst src >/dev/null || exit 2

# shellcheck source=tests/qemu/pair_lib.sh
. "$(dirname "$0")/pair_lib.sh"
# shellcheck source=tests/qemu/runtime_dir.sh
. "$(dirname "$0")/runtime_dir.sh"
# shellcheck disable=SC2046
start_relay "$relay" "$run_dir/src.sock" "$run_dir/dst.sock" "$work/relay.log" \
	$([ -n "$cut" ] && echo --partition 600000) $([ -n "$restart" ] && echo --rejoin)
mgmt_dst=() mgmt_src=()
if [ -n "$by_mgmt" ] || [ -n "$supervise" ] || [ -n "$lift" ]; then
	mgmt_dst=(--mgmt "$run_dir/dst.mgmt")
	mgmt_src=(--mgmt "$run_dir/src.mgmt")
fi
timeout 120 "$ferry" run --incoming --vcpus "$vcpus" --mem "$mem" --semihosting \
	--link "$work/creds/dst" --net "$run_dir/dst.sock" "${mgmt_dst[@]}" >"$work/dst.log" 2>&1 &
pid_dst=$!
for _ in $(seq 1200); do
	grep -q "^migration: waiting for the VM from" "$work/dst.log" 2>/dev/null && break
	kill -0 $pid_dst 2>/dev/null || break
	sleep 0.05
done
plan="ferry.migrate=protect ferry.migrate_at=1000"
[ -n "$by_mgmt" ] && plan=
boot_args="$plan${ferry_args:+ $ferry_args}"
timeout 120 "$ferry" run --guest "$guest" --vcpus "$vcpus" --mem "$mem" --semihosting \
	--link "$work/creds/src" --net "$run_dir/src.sock" "${mgmt_src[@]}" \
	${boot_args:+--ferry "$boot_args"} >"$work/src.log" 2>&1 &
pid_src=$!
if [ ${#mgmt_src[@]} -gt 0 ]; then
	quit_when_empty "$ferry" "$work/src.log" "$run_dir/src.mgmt"
	quitters=$quitter_pid
	quit_when_empty "$ferry" "$work/dst.log" "$run_dir/dst.mgmt"
	quitters="$quitters $quitter_pid"
fi
if [ -n "$by_mgmt" ]; then
	sleep 1
	# shellcheck disable=SC2086
	timeout 100 "$ferry" protect --mgmt "$run_dir/src.mgmt" --peer dst $by_mgmt \
		>"$work/tool.log" 2>&1
	echo $? >"$work/tool.log.rc"
fi

# supervisor_says BOARD FORCE: once BOARD's console says it waits for the
# supervisor, `ferry resolve --force FORCE` on its management channel.
supervisor_says() {
	for _ in $(seq 600); do
		grep -q "waiting for the supervisor" "$work/$1.log" 2>/dev/null && break
		sleep 0.05
	done
	"$ferry" resolve --mgmt "$run_dir/$1.mgmt" --force "$2" --json >"$work/resolve.json" \
		2>"$work/resolve.log" || fail "ferry resolve: $(cat "$work/resolve.log")"
	grep -qF "\"resolve\":\"taken\",\"force\":\"$2\"" "$work/resolve.json" ||
		fail "ferry resolve --json said: $(cat "$work/resolve.json")"
}

# The break, a random while into the protection (the seed is printed: a failure can be rerun).
seed=${FERRY_TEST_SEED:-$RANDOM}
RANDOM=$seed
wait_ms=$((RANDOM % wait_max))
protected=
for _ in $(seq 2400); do
	if grep -q "^migration: protected" "$work/src.log" 2>/dev/null; then
		protected=1
		break
	fi
	kill -0 $pid_src 2>/dev/null || break
	sleep 0.05
done
if [ -z "$protected" ]; then
	fail "board src never said it was protected"
else
	sleep "$(awk "BEGIN { print $wait_ms / 1000 }")"
	echo "(seed $seed: the break $wait_ms ms after protection began)"
	if [ -n "$cut" ]; then
		kill -USR1 "$relay_pid"
	elif [ -z "$kill" ]; then
		: # nothing breaks: the guest ends at the primary
	else
		# The board's emulator, not the tool: killed as a power cut would.
		pkill -9 -f -- "qemu-system.*$run_dir/$kill.sock" || fail "no QEMU of board $kill to kill"
	fi
	# The supervisor knows which board is dead (it was killed): dst is, src's VM goes
	# on (--lift); src is, dst runs the VM (--supervise).
	[ -n "$lift" ] && supervisor_says src source
	[ -n "$supervise" ] && supervisor_says dst destination
fi
if [ -n "$restart" ] && [ -n "$kill" ]; then
	# The killed board back, empty, on its own link port, credentials and channel.
	killed_pid=$pid_dst
	[ "$kill" = src ] && killed_pid=$pid_src
	wait "$killed_pid"
	echo $? >"$work/$kill.log.rc"
	mgmt_again=()
	[ ${#mgmt_src[@]} -gt 0 ] && mgmt_again=(--mgmt "$run_dir/$kill.mgmt")
	rm -f "$run_dir/$kill.mgmt"
	timeout 120 "$ferry" run --incoming --vcpus "$vcpus" --mem "$mem" --semihosting \
		--link "$work/creds/$kill" --net "$run_dir/$kill.sock" "${mgmt_again[@]}" \
		>"$work/$kill.again.log" 2>&1 &
	pid_again=$!
	if [ ${#mgmt_again[@]} -gt 0 ]; then
		quit_when_empty "$ferry" "$work/$kill.again.log" "$run_dir/$kill.mgmt"
		quitters="$quitters $quitter_pid"
	fi
	wait $pid_again
	echo $? >"$work/$kill.again.log.rc"
fi
if [ "$restart$kill" != 1src ]; then
	wait $pid_src
	echo $? >"$work/src.log.rc"
fi
if [ "$restart$kill" != 1dst ]; then
	wait $pid_dst
	echo $? >"$work/dst.log.rc"
fi
# A killed board never says it stays up: its quitter would wait on.
# shellcheck disable=SC2086
[ -n "$quitters" ] && kill $quitters 2>/dev/null
kill $relay_pid 2>/dev/null
wait $relay_pid 2>/dev/null

lines="^(link|migration|protection|Ferry:|vm0:)|FERRY-TEST|PANIC"
judge src "$work/src.log" "$rc_src" "$lines"
check src "$work/src.log" expect "${expect_src[@]}"
check src "$work/src.log" reject "${reject_src[@]}"
judge dst "$work/dst.log" "$rc_dst" "$lines"
check dst "$work/dst.log" expect "${expect_dst[@]}"
check dst "$work/dst.log" reject "${reject_dst[@]}"
if [ -n "$restart" ]; then
	judge "$kill (again)" "$work/$kill.again.log" "$rc_again" "$lines"
	check "$kill (again)" "$work/$kill.again.log" expect "${expect_again[@]}"
	check "$kill (again)" "$work/$kill.again.log" reject "${reject_again[@]}"
fi
if [ -n "$by_mgmt" ]; then
	judge tool "$work/tool.log" 0 "."
fi
if [ -n "$beats" ]; then
	# Both consoles together, in number order: each number once (or, with
	# --beats-repeat, at least once), none missing.
	if ! cat "$work/src.log" "$work/dst.log" ${restart:+"$work/$kill.again.log"} | sed -n 's/^vm0| beat \([0-9]*\) .*/\1/p' |
		sort -n | awk -v repeat="$beats" 'BEGIN { want = 1 }
		     repeat == "repeat" && $1 == want - 1 { twice++; next }
		     $1 != want { printf "beat %d where %d was due\n", $1, want; bad = 1 }
		     { want = $1 + 1 }
		     END { printf "beats 1 to %d (%d twice)\n", want - 1, twice; exit bad }'; then
		fail "the guest's numbered lines have a gap or a repeat"
	fi
fi
cat "$work/relay.log"
exit $status
