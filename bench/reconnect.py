#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""How long a postcopy recovery takes to get its link back, for two Ferry
images side by side (this tree's and an older one).

Each run migrates guest_migrating_long in postcopy through the frame relay,
which goes dark for 6.5 s after 6 MB: the source pauses, then asks the
destination again and again over new links (system/migrate.c,
keep_asking). An attempt begun in the dark waits for TCP to send its SYN
again, so the reconnect time starts at the first connection request the
relay lets through after the dark (the relay logs it on the wall clock)
and ends at the destination's "the source reconnected" line: TCP's
handshake, the TLS handshake and the recovery's first exchange. That line
is stamped by QEMU in the vCPU thread that writes it (`ferry run
--trace-uart`: -msg timestamp=on -trace pl011_write), on the same wall
clock. The images alternate run by run.

    bench/reconnect.py [RUNS] BEFORE_IMAGE      (default 5 runs)

Writes bench/results/reconnect.json; needs a built tree (tools/run.sh build).
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from downtime import uart_lines  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASK = re.compile(r"^migration: postcopy-paused, asking the destination \(attempt (\d+)\)")
BACK = re.compile(r"^migration: the source reconnected")
SYN = re.compile(r"^frame_relay: first connection after the dark at (\d+)\.(\d{6})")


def one(image, work):
    """(reconnect ms, attempt) of one run with image, or None when it did not recover."""
    st, dt = os.path.join(work, "src.trace"), os.path.join(work, "dst.trace")
    for f in (st, dt):
        if os.path.exists(f):
            os.unlink(f)
    cmd = [os.path.join(ROOT, "tests/qemu/migrate_pair.sh"),
           "--ferry", os.path.join(ROOT, "build/ferry"),
           "--relay", os.path.join(ROOT, "build/frame_relay"),
           "--work", os.path.join(work, "pair"),
           "--guest", os.path.join(ROOT, "build/board/guests/guest_migrating_long.elf"),
           "--mode", "postcopy", "--relay-fault", "--blackout 6000000 6500",
           "--rc-src", "0", "--rc-dst", "0",
           "--expect-dst", "FERRY-TEST migrating_long: PASS",
           "--trace-src", st, "--trace-dst", dt]
    if image:
        cmd += ["--src-image", image, "--dst-image", image]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stdout[-3000:])
        return None
    asks = [(first, int(ASK.match(t).group(1))) for first, _, t in uart_lines(st) if ASK.match(t)]
    back = [last for _, last, t in uart_lines(dt) if BACK.match(t)]
    syn = None
    with open(os.path.join(work, "pair", "relay.log"), errors="replace") as fh:
        for row in fh:
            m = SYN.match(row)
            if m and syn is None:
                syn = int(m.group(1)) * 1_000_000 + int(m.group(2))
    if not back or syn is None or syn > back[0]:
        return None
    attempt = max([a for t, a in asks if t < back[0]], default=0)
    return (back[0] - syn) / 1000.0, attempt


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    before = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
    if not before:
        sys.exit("usage: bench/reconnect.py [RUNS] BEFORE_IMAGE")
    results = {"this": [], "before": []}
    attempts = {"this": [], "before": []}
    with tempfile.TemporaryDirectory(prefix="ferry-reconnect-") as work:
        for r in range(runs):
            for name, image in (("this", None), ("before", before)):
                got = one(image, work)
                if got is None:
                    sys.exit(f"bench: run {r + 1} with {name} did not recover")
                results[name].append(got[0])
                attempts[name].append(got[1])
                print(f"run {r + 1} {name}: reconnected in {got[0]:.1f} ms (attempt {got[1]})",
                      file=sys.stderr)
    out = {
        "command": f"bench/reconnect.py {runs} {before}",
        "benchmark": "postcopy recovery after a 6.5 s blackout of the link: from the first "
                     "TCP SYN the relay lets through after the dark to the destination's 'the "
                     "source reconnected' (TCP, TLS handshake, first exchange), wall clock, "
                     "images alternating",
        "before_image": before,
    }
    for name in results:
        out[name] = {"median_ms": round(statistics.median(results[name]), 1),
                     "all_ms": [round(x, 1) for x in results[name]],
                     "attempts": attempts[name]}
    out["ratio_this_to_before"] = round(out["this"]["median_ms"] / out["before"]["median_ms"], 3)
    with open(os.path.join(ROOT, "bench/results/reconnect.json"), "w") as fh:
        json.dump(out, fh, indent=2)
        fh.write("\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
