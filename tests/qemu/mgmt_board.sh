#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One board with a management channel: `ferry boards` asks it what it runs
# (as text and as JSON) while its guest runs; then the guest passes.
#
#   mgmt_board.sh FERRY GUEST WORK
set -uo pipefail
ferry=$1 guest=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
# shellcheck source=tests/qemu/runtime_dir.sh
. "$(dirname "$0")/runtime_dir.sh"
timeout 60 "$ferry" run --guest "$guest" --mem 64M --semihosting --mgmt "$run_dir/b.mgmt" \
	>"$work/board.log" 2>&1 &
pid=$!
status=0
fail() { echo "FAIL: $*"; status=1; }
for _ in $(seq 100); do [ -S "$run_dir/b.mgmt" ] && break; sleep 0.1; done
sleep 1
# QEMU made the socket; only this user may reach the board through it.
mode=$(stat -c %a "$run_dir/b.mgmt")
[ "$mode" = 600 ] || fail "the management socket is mode $mode, not 600"
"$ferry" boards --mgmt "$run_dir/b.mgmt" >"$work/boards.txt" 2>&1 || fail "ferry boards exited $?"
"$ferry" boards --mgmt "$run_dir/b.mgmt" --json >"$work/boards.json" 2>&1 || fail "ferry boards --json exited $?"
"$ferry" boards --mgmt "$run_dir/nowhere.mgmt" >"$work/nowhere.txt" 2>&1 && fail "a board that is not there was found"
wait $pid || fail "the board exited $?"
cat "$work/boards.txt" "$work/boards.json" "$work/nowhere.txt"
grep -q "control: management channel on virtio-console" "$work/board.log" || fail "no management channel"
grep -Eq "vm0 +running +1 vCPUs, 64 MiB" "$work/boards.txt" || fail "the VM is not shown running"
grep -q "migration: none" "$work/boards.txt" || fail "no migration state"
grep -q '"state":"running"' "$work/boards.json" || fail "no JSON state"
grep -q "cannot reach the board's management channel" "$work/nowhere.txt" || fail "no clear error"
grep -q "FERRY-TEST migrating_idle: PASS" "$work/board.log" || fail "the guest did not pass"
exit $status
