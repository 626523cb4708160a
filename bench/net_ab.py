#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/net.py on Ferry, this tree's image against another's (a checkout
built with `tools/run.sh build`), side by side: K pairs, interleaved,
each `bench/net.py N` on Ferry only (Debian Linux answering a numbered UDP
datagram every millisecond: 10 s of it with nothing happening, 3
stop-and-conts on its board, then N migrations back and forth). Per run:
the answers' waits with nothing happening (p50, p99, longest), the
stop-and-conts' median service gap and, with N > 0, the migrations'
median service gap, downtime seen, the guest's own heartbeat gap, and
datagrams lost or answered twice. The medians of each side over its runs
and their ratio, this tree over the other.

  bench/net_ab.py OTHER_TREE [K [N]]   (default 3 pairs, 0 migrations)
                                       -> bench/results/net-ab-N.json
"""
import json
import os
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def one(tree, migrations):
    """One `bench/net.py N` in tree, on Ferry: what this bench compares."""
    result = os.path.join(tree, "bench", "results", "net.json")
    env = dict(os.environ, FERRY_BENCH_SYSTEMS="ferry")
    env.pop("FERRY_BENCH_KEEP", None)
    subprocess.run(["/usr/bin/python3", os.path.join(tree, "bench", "net.py"), str(migrations)],
                   cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)
    with open(result) as fh:
        ferry = json.load(fh)["systems"]["ferry"]
    if "error" in ferry:
        raise SystemExit(f"net_ab: {tree}: {ferry['error']}")
    out = {"wait_p50_us": ferry["steady"]["wait_p50_us"],
           "wait_p99_us": ferry["steady"]["wait_p99_us"],
           "longest_wait_us": ferry["steady"]["longest_wait_us"],
           "pause_gap_us": ferry["pauses"]["service_gap_us"]["median"]}
    if migrations:
        moves = [r for r in ferry["runs"] if not r.get("pause") and "error" not in r]
        for key in ("service_gap_us", "seen_us", "heartbeat_gap_us", "gap_less_heartbeat_gap_us"):
            values = [r[key] for r in moves if r.get(key) is not None]
            out[key] = statistics.median(values) if values else None
        for key in ("bytes", "throttle-wait-ms", "delta-pages"):
            values = [r["report"][key] for r in moves
                      if r.get("report", {}).get(key) is not None]
            out[key] = statistics.median(values) if values else None
        out["lost"] = ferry["lost"]
        out["answered_twice"] = ferry["answered_twice"]
        out["completed"] = ferry["completed"]
    return out


def commit(tree):
    return subprocess.run(["git", "-C", tree, "rev-parse", "--short", "HEAD"],
                          stdout=subprocess.PIPE, text=True).stdout.strip()


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main():
    other = os.path.abspath(sys.argv[1])
    pairs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    migrations = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    mine = os.path.join(HERE, "bench", "results", "net.json")
    kept = mine + ".kept"
    if os.path.exists(mine):
        shutil.copyfile(mine, kept)  # net.py writes its own result there: put back after
    runs = {"this": [], "other": []}
    try:
        for k in range(pairs):
            # Alternating which goes first, so that neither always follows the other.
            order = [("other", other), ("this", HERE)]
            for side, tree in order if k % 2 == 0 else order[::-1]:
                runs[side].append(one(tree, migrations))
                print(f"net_ab: pair {k + 1}/{pairs} {side}: {runs[side][-1]}", file=sys.stderr,
                      flush=True)
    finally:
        if os.path.exists(kept):
            shutil.move(kept, mine)
    medians = {side: {key: median(r[key] for r in rs) for key in rs[0]}
               for side, rs in runs.items()}
    results = {
        "command": "bench/net_ab.py " + " ".join(sys.argv[1:]),
        "this": commit(HERE), "other": commit(other),
        "method": __doc__.split("\n\n  bench/")[0].replace("\n", " "),
        "runs": runs, "medians": medians,
        "ratio_this_over_other": {
            key: round(medians["this"][key] / medians["other"][key], 3)
            for key in medians["this"]
            if medians["this"][key] is not None and medians["other"].get(key)},
    }
    path = os.path.join(HERE, "bench", "results", f"net-ab-{migrations}.json")
    with open(path, "w") as fh:
        json.dump(results, fh, indent=1)
    print(json.dumps({k: v for k, v in results.items() if k != "runs"}, indent=1))


if __name__ == "__main__":
    main()
