#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Ctrl-C to `ferry demo` during its migration (paced to 2 MB/s so that it
# is still under way): the board cancels it, the VM runs on board A, the
# demo stops both boards and exits 130; no process of the demo is left.
#
#   demo_interrupt.sh FERRY WORK
set -uo pipefail
ferry=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
# The demo's private directory (sockets, key) goes under this one, short (a
# unix socket's path is at most 107 bytes, a deep build tree's is longer):
# what is left is found there.
XDG_RUNTIME_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ferry.XXXXXX") || exit 2
export XDG_RUNTIME_DIR
trap 'rm -rf "$XDG_RUNTIME_DIR"' EXIT
status=0
fail() { echo "FAIL: $*"; status=1; }
"$ferry" demo --max-bandwidth 2 --work "$work/demo" >"$work/out.txt" 2>&1 &
pid=$!
for _ in $(seq 3000); do
	grep -q "Migrating the running VM" "$work/out.txt" && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.1
done
grep -q "Migrating the running VM" "$work/out.txt" || fail "the demo never began its migration"
# Once the migration is seen under way (its first progress line), however loaded the host.
for _ in $(seq 600); do
	grep -q "round 1 .* MiB sent" "$work/out.txt" && break
	sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
cat "$work/out.txt"
[ $rc = 130 ] || fail "the demo exited $rc, not 130"
grep -q "asking the board to cancel" "$work/out.txt" || fail "the tool did not ask to cancel"
grep -q "the migration was cancelled (Ctrl-C): the VM ran on where it was" "$work/out.txt" ||
	fail "the demo did not say the migration was cancelled"
grep -q "the boards were stopped" "$work/out.txt" || fail "the demo did not say it stopped the boards"
grep -Eq "migration +cancelled" "$work/out.txt" || fail "board A's report does not say cancelled"
sleep 1
if pgrep -f -- "$XDG_RUNTIME_DIR/" >/dev/null; then
	fail "processes of the demo are left: $(pgrep -af -- "$XDG_RUNTIME_DIR/")"
	pkill -9 -f -- "$XDG_RUNTIME_DIR/"
fi
exit $status
