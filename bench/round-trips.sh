#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Soak: a VM taken back and forth between two boards that stay up, K round
# trips (A -> B -> A), by tests/qemu/round_trips.sh: a 2-vCPU guest that
# checks its memory, counter, timer and SGIs all along (and says FAIL at
# once when one is wrong), 64 MiB, precopy, each migration by `ferry
# migrate` on the sending board. Per migration, from its report: completed
# or not, the downtime (stop to the destination's last vCPU in the guest);
# per round trip its wall time, `ferry incoming` and the queries included.
#
#   tools/run.sh bench-round-trips [K]   (default 100) -> bench/results/round-trips.json
set -uo pipefail
cd "$(dirname "$0")/.."
trips=${1:-100}
[ -x build/ferry ] || { echo "bench: build first (tools/run.sh build)" >&2; exit 2; }
work=$(mktemp -d /tmp/ferry-round-trips.XXXXXX)
trap 'rm -rf "$work"' EXIT
tests/qemu/round_trips.sh --ferry build/ferry --guest build/board/guests/guest_migrating_soak.elf \
	--work "$work/run" --trips "$trips" >"$work/run.log" 2>&1
rc=$?
tail -5 "$work/run.log" >&2
python3 - "$work/run" "$trips" "$rc" "$(git rev-parse --short HEAD)" <<'PY'
import glob, json, os, statistics, sys
work, trips, rc, commit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
downs, done, failed = [], 0, 0
for path in sorted(glob.glob(os.path.join(work, "trip-*.json"))):
    end = None
    for line in open(path, errors="replace"):
        if line.startswith("{"):
            e = json.loads(line)
            if e.get("event") in ("MIGRATION_COMPLETED", "MIGRATION_FAILED"):
                end = e["data"]
    if end and end.get("status") == "completed":
        done += 1
        downs.append(end["downtime-us"] / 1000.0)
    else:
        failed += 1
times = [float(l.split()[1]) for l in open(os.path.join(work, "trips.txt"))] \
    if os.path.exists(os.path.join(work, "trips.txt")) else []
ok_trips = sum(1 for l in open(os.path.join(work, "trips.txt")) if l.split()[2:] == ["0", "0"]) \
    if times else 0
def pct(v, p):
    s = sorted(v)
    return round(s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))], 3) if s else None
out = {
    "command": f"tools/run.sh bench-round-trips {trips}",
    "commit": commit,
    "benchmark": "a 2-vCPU guest checking its memory, counter, timer and SGIs, 64 MiB, "
                 "taken A -> B -> A by precopy over TLS between two emulated boards that stay up",
    "round_trips_asked": trips,
    "round_trips_completed": ok_trips,
    "round_trips_failed": trips - ok_trips,
    "migrations_completed": done,
    "migrations_failed": failed,
    "guest_verdict": "no FAIL, still beating after the last trip" if rc == 0 else "see the run's log",
    "downtime_ms": {"p50": pct(downs, 50), "p99": pct(downs, 99), "max": max(downs) if downs else None},
    "round_trip_s": {"p50": pct(times, 50), "max": max(times) if times else None,
                     "mean": round(statistics.mean(times), 2) if times else None},
}
os.makedirs("bench/results", exist_ok=True)
json.dump(out, open("bench/results/round-trips.json", "w"), indent=1)
print(json.dumps(out, indent=1))
sys.exit(0 if rc == 0 else 1)
PY
