#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# QEMU's own QMP client library (qemu.qmp, python/qemu/qmp of Debian's qemu
# source, tools/setup.sh) drives two boards: on board A it connects and
# negotiates, runs query-status, query-version, migrate-set-parameters and
# query-migrate-parameters, migrate (to B) and query-migrate, and follows
# the migration's events to its end; board B requires its management token
# (ferry creds' b/mgmt.token): the library's own negotiation is refused,
# a negotiation with the token is taken, and then B's events, kept while
# nobody listened, arrive. Event timestamps are wall-clock time. The ferry
# tool reaches B only with FERRY_MGMT_TOKEN_FILE.
#
#   qmp_library.sh FERRY GUEST QMP_PYTHON_PATH WORK
set -uo pipefail
ferry=$1 guest=$2 qmp_path=$3 work=$4
[ -f "$qmp_path/qemu/qmp/__init__.py" ] || { echo "no qemu.qmp in $qmp_path: run tools/setup.sh"; exit 2; }
# shellcheck source=tests/qemu/runtime_dir.sh
. "$(dirname "$0")/runtime_dir.sh"
# shellcheck source=tests/qemu/pair_lib.sh
. "$(dirname "$0")/pair_lib.sh"
fresh_pair "$ferry" "$work"
board() { # name args...
	local name=$1
	shift
	timeout 300 "$ferry" run --mem 64M --semihosting --link "$work/creds/$name" \
		--mgmt "$run_dir/$name.mgmt" "$@" >"$work/$name.log" 2>&1
	echo $? >"$work/$name.log.rc"
}
board b --incoming --net-listen "$run_dir/n.sock" --mgmt-token "$work/creds/b/mgmt.token" &
for _ in $(seq 200); do [ -S "$run_dir/n.sock" ] && break; sleep 0.05; done
board a --guest "$guest" --net "$run_dir/n.sock" &
for _ in $(seq 600); do grep -q "beat 3 at" "$work/a.log" 2>/dev/null && break; sleep 0.1; done

timeout 180 /usr/bin/python3 - "$qmp_path" "$run_dir/a.mgmt" "$run_dir/b.mgmt" \
	"$work/creds/b/mgmt.token" >"$work/qmp.txt" 2>&1 <<'PY' || fail "the QMP library's session failed"
import asyncio, logging, sys, time

sys.path.insert(0, sys.argv[1])
from qemu.qmp import ConnectError, ExecuteError, QMPClient  # noqa: E402

A, B, TOKEN = sys.argv[2:5]
logging.basicConfig(level=logging.CRITICAL)


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAIL: {what}")


def wall_clock(event):
    t = event["timestamp"]
    return t["seconds"] + t["microseconds"] / 1e6


async def main():
    a = QMPClient("ferry-test-a")
    await a.connect(A)  # the greeting, then qmp_capabilities, by the library
    print("A greeting:", a.greeting)
    status = await a.execute("query-status")
    print("A query-status:", status)
    check(status["running"] is True and status["status"] == "running", "A runs its VM")
    version = await a.execute("query-version")
    check(version["package"] == a.greeting.QMP.version["package"], "one version")
    # 4 MB/s (bytes/s, as QMP's): the migration would last seconds; queried meanwhile,
    # then the cap lifted under way, as QEMU's migrate-set-parameters does.
    bandwidth = 4000000
    await a.execute("migrate-set-parameters", {"downtime-limit": 50, "max-bandwidth": bandwidth})
    params = await a.execute("query-migrate-parameters")
    print("A query-migrate-parameters:", params)
    check(params == {"downtime-limit": 50, "max-bandwidth": bandwidth}, "the parameters set")
    try:
        await a.execute("reboot")
        check(False, "an unknown command was taken")
    except ExecuteError as e:
        check(e.error_class == "CommandNotFound", f"unknown command: {e.error_class}")
    try:
        await a.execute("migrate", {"peer": "nobody"})
        check(False, "a migration to an unknown peer was taken")
    except ExecuteError as e:
        print("A migrate to nobody:", e.error_class, e.error.error.desc)
        check(e.error_class == "GenericError" and "unknown peer" in e.error.error.desc, "refusal")
    a.events.clear()
    await a.execute("migrate", {"peer": "b"})
    seen, during = [], None
    end = None
    while end is None:
        event = await asyncio.wait_for(a.events.get(), 120)
        seen.append(event)
        if event["event"] == "MIGRATION_PROGRESS" and during is None:
            during = await a.execute("query-migrate")
            print("A query-migrate during:", {k: during.get(k) for k in ("status", "ram")})
            await a.execute("migrate-set-parameters", {"max-bandwidth": 0})
        if event["event"] in ("MIGRATION_COMPLETED", "MIGRATION_FAILED"):
            end = event
    print("A events:", [(e["event"], e["data"].get("status")) for e in seen])
    check(end["event"] == "MIGRATION_COMPLETED", f"the migration ended {end}")
    # QMP's MIGRATION event says each state once, as it is entered.
    states = [e["data"]["status"] for e in seen if e["event"] == "MIGRATION"]
    check(states and states[-1] == "completed" and
          all(x != y for x, y in zip(states, states[1:])), f"MIGRATION states {states}")
    check(abs(wall_clock(end) - time.time()) < 5, f"wall-clock timestamp {end['timestamp']}")
    done = await a.execute("query-migrate")
    print("A query-migrate after:", {k: done.get(k) for k in ("status", "downtime", "total-time", "ram")})
    check(done["status"] == "completed" and done["ram"]["transferred"] > 0, "query-migrate")
    check(during and during["ram"]["total"] == 64 << 20 and "remaining" in during["ram"],
          "query-migrate during the migration: QMP's ram members")
    check(done["downtime"] <= 50, f"QMP's downtime {done['downtime']} ms within the limit set")
    # The cap lifted under way took: its bytes went faster than the cap allowed.
    check(done["total-time"] < done["ram"]["transferred"] * 1000 / bandwidth * 0.7,
          f"total-time {done['total-time']} ms for {done['ram']['transferred']} bytes")
    status = await a.execute("query-status")
    check(status["running"] is False, f"A after the migration: {status}")
    await a.disconnect()

    # B requires its token: the library's own negotiation is refused.
    b = QMPClient("ferry-test-b")
    try:
        await b.connect(B)
        check(False, "B negotiated without its token")
    except ConnectError as e:
        print("B without the token:", e)
    b = QMPClient("ferry-test-b")
    b.negotiate = False
    await b.connect(B)
    try:
        await b.execute("query-status")
        check(False, "B ran a command before the negotiation")
    except ExecuteError as e:
        check(e.error_class == "CommandNotFound", "command before negotiation")
    with open(TOKEN) as f:
        await b.execute("qmp_capabilities", {"ferry-token": f.read().strip()})
    kept = {"event": None}
    while kept["event"] != "MIGRATION_COMPLETED":
        kept = await asyncio.wait_for(b.events.get(), 10)
        print("B kept event:", kept["event"], kept["data"].get("status"), kept["data"].get("role"))
    check(kept["event"] == "MIGRATION_COMPLETED" and kept["data"]["role"] == "destination",
          "B's kept event")
    check(abs(wall_clock(kept) - wall_clock(end)) < 2, "the two boards' clocks agree")
    status = await b.execute("query-status")
    print("B query-status:", status)
    check(status["running"] is True, "B runs the VM")
    await b.disconnect()
    print("PASS")


asyncio.run(main())
PY
"$ferry" boards --mgmt "$run_dir/b.mgmt" >"$work/b-no-token.txt" 2>&1 && fail "the tool reached B without its token"
grep -q "requires its management token" "$work/b-no-token.txt" || fail "no clear refusal: $(cat "$work/b-no-token.txt")"
FERRY_MGMT_TOKEN_FILE=$work/creds/b/mgmt.token "$ferry" boards --mgmt "$run_dir/b.mgmt" \
	>"$work/b-token.txt" 2>&1 || fail "the tool with B's token exited $?"
grep -Eq "vm0 +running" "$work/b-token.txt" || fail "B does not show its VM: $(cat "$work/b-token.txt")"
"$ferry" quit --mgmt "$run_dir/a.mgmt" >/dev/null 2>&1 || fail "ferry quit on A exited $?"
end_boards "$run_dir"
wait
cat "$work/qmp.txt" "$work/b-no-token.txt" "$work/b-token.txt"
grep -E "^(Ferry|control:|migration report: downtime)|FAIL|PANIC" "$work/a.log" "$work/b.log"
grep -q "control: the management channel requires its token" "$work/b.log" || fail "B did not say it requires its token"
grep -q "^PASS" "$work/qmp.txt" || fail "the QMP session did not pass"
exit $status
