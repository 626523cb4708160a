#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Ferry updated under a running VM (ferry update): board A runs GUEST
# (2 vCPUs: memory, counter, timer and SGIs checked all along), board B
# waits for a VM; `ferry update` moves the VM to B, restarts A on NEXT (the
# next release's stream format), moves it back; then again onto IMAGE, the
# image A started with (a rollback), through B, now empty. Each board
# requires its own management token: `ferry update` without them changes
# nothing, with --board-token and --via-token it goes. The guest must pass
# on A, both updates complete, A say it restarted twice.
#
#   update.sh FERRY GUEST IMAGE NEXT WORK
set -uo pipefail
ferry=$1 guest=$2 image=$3 next=$4 work=$5
# shellcheck source=tests/qemu/runtime_dir.sh
. "$(dirname "$0")/runtime_dir.sh"
# shellcheck source=tests/qemu/pair_lib.sh
. "$(dirname "$0")/pair_lib.sh"
fresh_pair "$ferry" "$work"
timeout 200 "$ferry" run --incoming --vcpus 2 --mem 64M --semihosting --link "$work/creds/b" \
	--net-listen "$run_dir/n.sock" --mgmt "$run_dir/b.mgmt" --mgmt-token "$work/creds/b/mgmt.token" \
	>"$work/b.log" 2>&1 &
pid_b=$!
for _ in $(seq 200); do [ -S "$run_dir/n.sock" ] && break; sleep 0.05; done
timeout 200 "$ferry" run --guest "$guest" --vcpus 2 --mem 64M --semihosting --image "$image" \
	--link "$work/creds/a" --net "$run_dir/n.sock" --mgmt "$run_dir/a.mgmt" \
	--mgmt-token "$work/creds/a/mgmt.token" >"$work/a.log" 2>&1 &
pid_a=$!
for _ in $(seq 600); do grep -q "beat 5 at" "$work/a.log" 2>/dev/null && break; sleep 0.1; done
tokens=(--board-token "$work/creds/a/mgmt.token" --via-token "$work/creds/b/mgmt.token")
# Without the boards' tokens: refused before anything moved (exit 1).
FERRY_MGMT_TOKEN_FILE= "$ferry" update --board "$run_dir/a.mgmt" --image "$next" \
	--via "$run_dir/b.mgmt" >"$work/untokened.log" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "requires its management token" "$work/untokened.log" ||
	fail "ferry update without tokens exited $rc: $(cat "$work/untokened.log")"
"$ferry" update --board "$run_dir/a.mgmt" --image "$next" --via "$run_dir/b.mgmt" "${tokens[@]}" \
	>"$work/update.log" 2>&1 || fail "ferry update (to the next image) exited $?"
# Back, with --json: stdout is JSON lines only, both migrations' events and the update's end.
"$ferry" update --board "$run_dir/a.mgmt" --image "$image" --via "$run_dir/b.mgmt" --json "${tokens[@]}" \
	>"$work/rollback.json" 2>"$work/rollback.log" || fail "ferry update (back) exited $?"
/usr/bin/python3 - "$work/rollback.json" <<'PY' || fail "ferry update --json: not JSON lines with both migrations and the end"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
done = [l for l in lines if l.get("event") == "MIGRATION_COMPLETED"]
assert len(done) == 2, done
assert lines[-1]["update"] == "completed" and lines[-1]["away-ms"] > 0, lines[-1]
print(f"ferry update --json: {len(lines)} lines, the VM away {lines[-1]['away-ms']} ms")
PY
# The guest ends by itself on A (it runs 25 s); then both boards, empty, quit.
for _ in $(seq 400); do grep -q "FERRY-TEST" "$work/a.log" && break; sleep 0.1; done
for _ in $(seq 100); do grep -q "the board stays up" "$work/a.log" && break; sleep 0.1; done
FERRY_MGMT_TOKEN_FILE=$work/creds/a/mgmt.token "$ferry" quit --mgmt "$run_dir/a.mgmt" ||
	fail "ferry quit on a exited $?"
FERRY_MGMT_TOKEN_FILE=$work/creds/b/mgmt.token "$ferry" quit --mgmt "$run_dir/b.mgmt" ||
	fail "ferry quit on b exited $?"
for name in a b; do
	grep -q "Ferry: told to quit on the management channel: powering off" "$work/$name.log" ||
		fail "board $name did not power off when told"
done
end_boards "$run_dir"
wait $pid_a $pid_b 2>/dev/null
for log in untokened update rollback; do
	echo "----- ferry update ($log) -----"
	tail -3 "$work/$log.log"
done
for name in a b; do
	echo "----- board $name -----"
	grep -E "^(Ferry|migration:|migration report: (stream|downtime)|vm0:|ferry run:)|FERRY-TEST" \
		"$work/$name.log"
done
grep -q "FERRY-TEST migrating_long: PASS" "$work/a.log" || fail "the guest did not pass on a"
[ "$(grep -c "ferry run: restarted on" "$work/a.log")" = 2 ] || fail "board a did not restart twice"
grep -q -- "-next: type-1 hypervisor" "$work/a.log" || fail "board a never ran the next image"
grep -q "migration: a package of format 2" "$work/a.log" || fail "the next image did not read format 2"
grep -q "stream format 2 (one older than this board's" "$work/a.log" ||
	fail "the next image did not write format 2 for b"
grep -q "the VM was away from it" "$work/update.log" || fail "no time away in the update's output"
exit $status
