#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A live migration between two emulated boards joined by the frame relay:
# board "src" runs GUEST and migrates it (precopy) to board "dst", which
# waits for it (--incoming). Each board's exit code and console are judged.
# With --by-mgmt the migration is asked for on the source's management
# channel by `ferry migrate ARGS` (its exit code and output judged too);
# otherwise by the boot options.
#
#   migrate_pair.sh --ferry BIN --relay BIN --work DIR --guest ELF
#                   [--vcpus N] [--mem SIZE] [--at MS] [--mode precopy|postcopy]
#                   [--relay-fault "ARGS"]
#                   [--dst-ferry "ARGS"] [--src-ferry "ARGS"] [--other-dst-creds]
#                   [--src-image ELF] [--dst-image ELF]   (another Ferry image)
#                   [--trace-src FILE] [--trace-dst FILE]  (each board's UART bytes,
#                       stamped with wall time: ferry run --trace-uart)
#                   --rc-src N --rc-dst N [--expect-src RE]... [--expect-dst RE]...
#                   [--reject-src RE]... [--reject-dst RE]...
#                   [--by-mgmt "ARGS" --rc-tool N [--expect-tool RE]...
#                    [--cancel-after SECONDS]]   (Ctrl-C to the tool: it cancels)
#                   [--kill-src-after SECONDS]   (the source's QEMU killed under the tool)
#                   [--then-mgmt "ARGS" --rc-tool2 N [--expect-tool2 RE]...]
#                                                (a second migration once the first ended)
#                   [--partition-when src|dst ERE]  (the relay, started with
#                       --relay-fault "--partition MS", cuts the wire for MS
#                       once that board's console matches ERE)
#                   [--query-in-partition ERE]  (8 s into the partition, the source's
#                       management channel is asked: `ferry boards --json` must match ERE)
set -uo pipefail
ferry= relay= work= guest= vcpus=1 mem=64M at=1500 fault= dst_ferry= src_ferry= other= mode=precopy
rc_src=0 rc_dst=0 by_mgmt= rc_tool=0 cancel_after= kill_src_after= then_mgmt= rc_tool2=0 partition_side= partition_re=
query_re= src_image= dst_image= trace_src= trace_dst=
expect_src=() expect_dst=() reject_src=() reject_dst=() expect_tool=() expect_tool2=()
while [ $# -gt 0 ]; do
	case "$1" in
	--other-dst-creds) other=1; shift; continue ;;
	--partition-when) partition_side=$2; partition_re=$3; shift 3; continue ;;
	--query-in-partition) query_re=$2 ;;
	--ferry) ferry=$2 ;;
	--relay) relay=$2 ;;
	--work) work=$2 ;;
	--guest) guest=$2 ;;
	--vcpus) vcpus=$2 ;;
	--mem) mem=$2 ;;
	--at) at=$2 ;;
	--mode) mode=$2 ;;
	--relay-fault) fault=$2 ;;
	--dst-ferry) dst_ferry=$2 ;;
	--src-image) src_image=$2 ;;
	--dst-image) dst_image=$2 ;;
	--trace-src) trace_src=$2 ;;
	--trace-dst) trace_dst=$2 ;;
	--src-ferry) src_ferry=$2 ;;
	--rc-src) rc_src=$2 ;;
	--rc-dst) rc_dst=$2 ;;
	--expect-src) expect_src+=("$2") ;;
	--expect-dst) expect_dst+=("$2") ;;
	--reject-src) reject_src+=("$2") ;;
	--reject-dst) reject_dst+=("$2") ;;
	--by-mgmt) by_mgmt=$2 ;;
	--rc-tool) rc_tool=$2 ;;
	--expect-tool) expect_tool+=("$2") ;;
	--cancel-after) cancel_after=$2 ;;
	--kill-src-after) kill_src_after=$2 ;;
	--then-mgmt) then_mgmt=$2 ;;
	--rc-tool2) rc_tool2=$2 ;;
	--expect-tool2) expect_tool2+=("$2") ;;
	*) echo "migrate_pair.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
rm -rf "$work" && mkdir -p "$work"
"$ferry" creds "$work/creds" dst src >/dev/null || exit 2
dst_dir=$work/creds/dst
if [ -n "$other" ]; then
	"$ferry" creds "$work/other" dst src >/dev/null || exit 2
	dst_dir=$work/other/dst
fi

# shellcheck source=tests/qemu/pair_lib.sh
. "$(dirname "$0")/pair_lib.sh"
# shellcheck source=tests/qemu/runtime_dir.sh
. "$(dirname "$0")/runtime_dir.sh"
# shellcheck disable=SC2086
start_relay "$relay" "$run_dir/src.sock" "$run_dir/dst.sock" "$work/relay.log" $fault
if [ -n "$partition_side" ]; then
	# The partition starts when the board reaches that step (its console says so).
	(
		log="$work/$partition_side.log"
		for _ in $(seq 2400); do
			if grep -Eq -- "$partition_re" "$log" 2>/dev/null; then
				kill -USR1 "$relay_pid"
				if [ -n "$query_re" ]; then
					sleep 8
					"$ferry" boards --mgmt "$run_dir/src.mgmt" --json \
						>"$work/boards.log" 2>&1
				fi
				exit 0
			fi
			sleep 0.05
		done
	) &
fi
timeout 120 "$ferry" run --incoming --vcpus "$vcpus" --mem "$mem" --semihosting \
	--link "$dst_dir" --net "$run_dir/dst.sock" ${dst_ferry:+--ferry "$dst_ferry"} \
	${dst_image:+--image "$dst_image"} ${trace_dst:+--trace-uart "$trace_dst"} \
	>"$work/dst.log" 2>&1 &
pid_dst=$!
# The source starts once the destination waits for it, as a user would start
# them: on a loaded machine a board can take seconds to boot, longer than the
# source's link allows for a peer that is not there.
for _ in $(seq 1200); do
	grep -q "^migration: waiting for the VM from" "$work/dst.log" 2>/dev/null && break
	kill -0 $pid_dst 2>/dev/null || break
	sleep 0.05
done
if [ -z "$by_mgmt" ]; then
	[ -n "$query_re" ] && quit_when_empty "$ferry" "$work/src.log" "$run_dir/src.mgmt"
	timeout 120 "$ferry" run --guest "$guest" --vcpus "$vcpus" --mem "$mem" --semihosting \
		--link "$work/creds/src" --net "$run_dir/src.sock" ${src_image:+--image "$src_image"} \
		${trace_src:+--trace-uart "$trace_src"} --ferry "ferry.migrate=$mode ferry.migrate_at=$at${src_ferry:+ $src_ferry}" \
		${query_re:+--mgmt "$run_dir/src.mgmt"} >"$work/src.log" 2>&1
	echo $? >"$work/src.log.rc"
else
	timeout 120 "$ferry" run --guest "$guest" --vcpus "$vcpus" --mem "$mem" --semihosting \
		--link "$work/creds/src" --net "$run_dir/src.sock" --mgmt "$run_dir/src.mgmt" \
		${src_ferry:+--ferry "$src_ferry"} >"$work/src.log" 2>&1 &
	pid_src=$!
	quit_when_empty "$ferry" "$work/src.log" "$run_dir/src.mgmt"
	# The guest runs a while first; the command waits for the channel itself.
	sleep "$(awk "BEGIN { print $at / 1000 }")"
	# shellcheck disable=SC2086
	timeout 100 "$ferry" migrate --mgmt "$run_dir/src.mgmt" --peer dst $by_mgmt \
		>"$work/tool.log" 2>&1 &
	pid_tool=$!
	if [ -n "$cancel_after" ]; then
		sleep "$cancel_after"
		pkill -INT -P $pid_tool -x ferry
	fi
	if [ -n "$kill_src_after" ]; then
		sleep "$kill_src_after"
		pkill -KILL -f -- "qemu-system-.*$run_dir/src.mgmt"
		kill "$quitter_pid" 2>/dev/null # the board will never be empty to be told to quit
	fi
	wait $pid_tool
	echo $? >"$work/tool.log.rc"
	if [ -n "$then_mgmt" ]; then
		# shellcheck disable=SC2086
		timeout 100 "$ferry" migrate --mgmt "$run_dir/src.mgmt" --peer dst $then_mgmt \
			>"$work/tool2.log" 2>&1
		echo $? >"$work/tool2.log.rc"
	fi
	wait $pid_src
	echo $? >"$work/src.log.rc"
fi
wait $pid_dst
echo $? >"$work/dst.log.rc"
kill $relay_pid 2>/dev/null
wait $relay_pid 2>/dev/null

lines="^(link|migration|Ferry:|vm0:)|FERRY-TEST|PANIC"
judge src "$work/src.log" "$rc_src" "$lines"; grep beat "$work/src.log" | sed -n '1p;$p'
check src "$work/src.log" expect "${expect_src[@]}"
check src "$work/src.log" reject "${reject_src[@]}"
judge dst "$work/dst.log" "$rc_dst" "$lines"; grep beat "$work/dst.log" | sed -n '1p;$p'
check dst "$work/dst.log" expect "${expect_dst[@]}"
check dst "$work/dst.log" reject "${reject_dst[@]}"
if [ -n "$by_mgmt" ]; then
	judge tool "$work/tool.log" "$rc_tool" "."
	check tool "$work/tool.log" expect "${expect_tool[@]}"
fi
if [ -n "$query_re" ]; then
	echo "----- the source's management channel in the partition -----"
	cat "$work/boards.log" 2>/dev/null
	check boards "$work/boards.log" expect "$query_re"
fi
if [ -n "$then_mgmt" ]; then
	judge tool2 "$work/tool2.log" "$rc_tool2" "."
	check tool2 "$work/tool2.log" expect "${expect_tool2[@]}"
fi
cat "$work/relay.log"
exit $status
