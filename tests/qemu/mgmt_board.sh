#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One board with a management channel: `ferry boards` asks it what it runs
# (as text and as JSON) while its guest runs, and `ferry quit` is refused
# then; the guest passes and powers off, the board stays up empty; `ferry
# vm-boot` boots the guest again, which passes again; `ferry quit` ends it.
# A client that connects is greeted first (QMP's greeting) and then gets the
# events raised while nobody was connected (the guest's SHUTDOWN, stamped
# with wall-clock time) once it negotiated (qmp_capabilities), and nothing
# before; QMP's query-version, query-status and query-commands answer.
#
#   mgmt_board.sh FERRY GUEST WORK
set -uo pipefail
ferry=$1 guest=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
# shellcheck source=tests/qemu/runtime_dir.sh
. "$(dirname "$0")/runtime_dir.sh"
timeout 100 "$ferry" run --guest "$guest" --mem 64M --semihosting --mgmt "$run_dir/b.mgmt" \
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
"$ferry" quit --mgmt "$run_dir/b.mgmt" >"$work/quit-running.txt" 2>&1 && fail "quit was not refused with a VM on the board"
# waits_for N RE: until the board's console has printed RE N times (60 s at most)
waits_for() {
	for _ in $(seq 600); do
		[ "$(grep -c -- "$2" "$work/board.log")" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "the board never printed /$2/ $1 times"
}
waits_for 1 "the board stays up"
# A client written from the QMP specification, not from the board's code.
/usr/bin/python3 - "$run_dir/b.mgmt" >"$work/greeted.txt" 2>&1 <<'EOF' || fail "no greeting, or no kept SHUTDOWN, or no answer to qmp_capabilities"
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
f = s.makefile("rw")
first = json.loads(f.readline())
print("first:", json.dumps(first))
assert set(first["QMP"]["version"]["qemu"]) == {"major", "minor", "micro"}, first
assert first["QMP"]["capabilities"] == [], first
def say(command, id):
    f.write(json.dumps({"execute": command, "id": id}) + "\n")
    f.flush()
    answer = json.loads(f.readline())
    print(command + ":", json.dumps(answer))
    return answer
# Nothing but qmp_capabilities before the negotiation; the kept events come after it.
assert say("query-status", 0)["error"]["class"] == "CommandNotFound"
assert say("qmp_capabilities", "c1") == {"return": {}, "id": "c1"}
event = json.loads(f.readline())
print("then:", json.dumps(event))
assert event.get("event") == "SHUTDOWN", event
t = event["timestamp"]["seconds"] + event["timestamp"]["microseconds"] / 1e6
assert abs(t - time.time()) < 30, event  # wall-clock time, not the board's since boot
def ask(command, id):
    f.write(json.dumps({"execute": command, "id": id}) + "\n")
    f.flush()
    while True:
        answer = json.loads(f.readline())
        if "event" not in answer:
            print(command + ":", json.dumps(answer))
            assert answer.get("id") == id, answer
            return answer
assert ask("qmp_capabilities", "c2")["error"]["class"] == "CommandNotFound"  # done already
version = ask("query-version", 2)["return"]
assert version["package"] == first["QMP"]["version"]["package"], version
status = ask("query-status", 3)["return"]
assert status["running"] is False and status["status"] == "shutdown", status
names = {c["name"] for c in ask("query-commands", 4)["return"]}
assert {"query-status", "migrate", "qmp_capabilities"} <= names, names
assert ask("reboot", 5)["error"]["class"] == "CommandNotFound"
EOF
"$ferry" incoming --mgmt "$run_dir/b.mgmt" >"$work/incoming.txt" 2>&1 && fail "migrate-incoming was not refused without a link"
"$ferry" boards --mgmt "$run_dir/b.mgmt" --json >"$work/empty.json" 2>&1 || fail "ferry boards (empty) exited $?"
"$ferry" vm-boot --mgmt "$run_dir/b.mgmt" >"$work/vm-boot.txt" 2>&1 || fail "ferry vm-boot exited $?"
waits_for 2 "the board stays up"
"$ferry" quit --mgmt "$run_dir/b.mgmt" >"$work/quit.txt" 2>&1 || fail "ferry quit exited $?"
wait $pid || fail "the board exited $?"
cat "$work/greeted.txt" "$work/boards.txt" "$work/boards.json" "$work/nowhere.txt" "$work/quit-running.txt" \
	"$work/empty.json" "$work/vm-boot.txt" "$work/quit.txt"
grep -E "^(Ferry|vm0:)|FERRY-TEST" "$work/board.log"
grep -q "control: management channel on virtio-console" "$work/board.log" || fail "no management channel"
grep -Eq "vm0 +running +1 vCPUs, 64 MiB" "$work/boards.txt" || fail "the VM is not shown running"
grep -q "migration: none" "$work/boards.txt" || fail "no migration state"
grep -q '"state":"running"' "$work/boards.json" || fail "no JSON state"
grep -q "cannot reach the board's management channel" "$work/nowhere.txt" || fail "no clear error"
[ "$(grep -c "FERRY-TEST migrating_idle: PASS" "$work/board.log")" = 2 ] || fail "the guest did not pass twice"
grep -q "the board holds a VM (running)" "$work/quit-running.txt" || fail "no clear refusal of quit"
grep -q "this board has no link" "$work/incoming.txt" || fail "no clear refusal of migrate-incoming"
grep -q '"board":"empty".*"state":"powered-off"' "$work/empty.json" || fail "the board is not shown empty"
grep -q "Ferry: told to quit on the management channel: powering off" "$work/board.log" || fail "the board did not say it quit"
exit $status
