#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Ferry's live migration against QEMU's own, on the same guest, interleaved.

The guest (tests/guests/migrating.c) prints a heartbeat line every 100 ms
of its own virtual time, with that time. Each line is timestamped on the
host as it arrives. The downtime the guest saw is the host time between its
last heartbeat on the source and its first on the destination, minus the
guest time between them: how long its clock stood still (neither system
lets the virtual counter run during the downtime). Each system's reported
downtime is compared with that.

  Ferry: two boards, precopy over TLS on QEMU's -netdev stream.
  QEMU:  the same guest directly on QEMU virt, `migrate` over QMP to a
         second QEMU on loopback TCP, QEMU's default settings.

  bench/vs_qemu.py [PAIRS]      (default 5) -> bench/results/vs-qemu.json
"""
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FERRY = os.path.join(ROOT, "build", "ferry")
GUESTS = os.path.join(ROOT, "build", "board", "guests")
BEAT = re.compile(r"beat \d+ at (\d+) ms")


class Board:
    """A QEMU process whose console lines are kept with their arrival times."""

    def __init__(self, argv, log):
        self.lines = []
        self.log = open(log, "w")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, errors="replace")
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            now = time.monotonic()
            line = line.rstrip("\r\n")
            self.lines.append((now, line))
            self.log.write(f"{now:.6f} {line}\n")

    def wait_for(self, pattern, timeout=120):
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while time.monotonic() < deadline:
            for _, line in list(self.lines):
                if rx.search(line):
                    return line
            if self.proc.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.01)
        return None

    def finish(self, timeout=120):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(5)
        self.log.close()

    def beats(self):
        return [(t, int(m.group(1))) for t, l in self.lines if (m := BEAT.search(l))]


def guest_seen_downtime(src, dst):
    """Host gap between the last beat on the source and the first on the destination,
    less the guest time between them, in ms."""
    a, b = src.beats(), dst.beats()
    if not a or not b:
        return None
    (ta, ga), (tb, gb) = a[-1], b[0]
    return (tb - ta) * 1000.0 - (gb - ga)


def ferry_pair(work, guest):
    creds = os.path.join(work, "creds")
    subprocess.run([FERRY, "creds", creds, "dst", "src"], check=True, stdout=subprocess.DEVNULL)
    sock = os.path.join(work, "m.sock")
    dst = Board([FERRY, "run", "--incoming", "--mem", "64M", "--semihosting",
                 "--link", os.path.join(creds, "dst"), "--net-listen", sock],
                os.path.join(work, "ferry-dst.log"))
    for _ in range(200):
        if os.path.exists(sock):
            break
        time.sleep(0.02)
    src = Board([FERRY, "run", "--guest", os.path.join(GUESTS, guest + ".elf"), "--mem", "64M",
                 "--semihosting", "--link", os.path.join(creds, "src"), "--net", sock,
                 "--ferry", "ferry.migrate=precopy ferry.migrate_at=1500"],
                os.path.join(work, "ferry-src.log"))
    src.finish()
    dst.finish()
    rep = next((l for _, l in src.lines if l.startswith("migration report: downtime")), None)
    if not rep:
        return None
    m = re.search(r"downtime ([\d.]+) ms .* total (\d+) ms, (\d+) rounds, .* (\d+) KiB on the wire", rep)
    passed = any("FERRY-TEST" in l and "PASS" in l for _, l in dst.lines)
    return {"reported_ms": float(m.group(1)), "total_ms": int(m.group(2)),
            "rounds": int(m.group(3)), "wire_bytes": int(m.group(4)) * 1024,
            "guest_seen_ms": guest_seen_downtime(src, dst), "guest_passed": passed}


def qmp(path, *commands):
    s = socket.socket(socket.AF_UNIX)
    for _ in range(200):
        try:
            s.connect(path)
            break
        except OSError:
            time.sleep(0.02)
    f = s.makefile("rw")
    f.readline()  # greeting
    out = []
    for cmd in ({"execute": "qmp_capabilities"},) + commands:
        f.write(json.dumps(cmd) + "\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "event" not in r:
                out.append(r)
                break
    s.close()
    return out[1:]


def qemu_pair(work, guest, port):
    base = ["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", "max,pauth-impdef=on",
            "-nographic", "-no-reboot", "-nic", "none", "-smp", "1", "-m", "64M",
            "-kernel", os.path.join(GUESTS, guest + ".elf")]
    qa, qb = os.path.join(work, "a.qmp"), os.path.join(work, "b.qmp")
    dst = Board(base + ["-qmp", f"unix:{qb},server=on,wait=off",
                        "-incoming", f"tcp:127.0.0.1:{port}"], os.path.join(work, "qemu-dst.log"))
    src = Board(base + ["-qmp", f"unix:{qa},server=on,wait=off"],
                os.path.join(work, "qemu-src.log"))
    if not src.wait_for(r"beat 15 at"):
        src.finish(1), dst.finish(1)
        return None
    qmp(qa, {"execute": "migrate", "arguments": {"uri": f"tcp:127.0.0.1:{port}"}})
    info = {}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        info = qmp(qa, {"execute": "query-migrate"})[0].get("return", {})
        if info.get("status") in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.05)
    if info.get("status") == "completed":
        qmp(qa, {"execute": "quit"})
    else:
        src.proc.kill()
    src.finish()
    dst.finish()
    if info.get("status") != "completed":
        return {"converged": False}
    passed = any("FERRY-TEST" in l and "PASS" in l for _, l in dst.lines)
    return {"reported_ms": float(info.get("downtime", 0)), "total_ms": info.get("total-time"),
            "wire_bytes": info.get("ram", {}).get("transferred"),
            "guest_seen_ms": guest_seen_downtime(src, dst), "guest_passed": passed,
            "converged": True}


def summary(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"min": round(min(values), 3), "median": round(statistics.median(values), 3),
            "max": round(max(values), 3)}


def main():
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    results = {"command": f"bench/vs_qemu.py {pairs}", "pairs": pairs, "guests": {}}
    port = 47000
    for guest in ("guest_migrating", "guest_migrating_idle"):
        runs = {"ferry": [], "qemu": []}
        for i in range(pairs):
            for system in ("ferry", "qemu"):
                with tempfile.TemporaryDirectory(prefix="ferry-vs-qemu.") as work:
                    port += 1
                    r = ferry_pair(work, guest) if system == "ferry" else qemu_pair(work, guest, port)
                runs[system].append(r)
                print(f"{guest} pair {i + 1} {system}: {r}", file=sys.stderr)
        g = {}
        for system in ("ferry", "qemu"):
            ok = [r for r in runs[system] if r and r.get("guest_seen_ms") is not None]
            g[system] = {
                "completed": len(ok),
                "guest_seen_downtime_ms": summary([r["guest_seen_ms"] for r in ok]),
                "reported_downtime_ms": summary([r["reported_ms"] for r in ok]),
                "report_error_ms": summary([abs(r["reported_ms"] - r["guest_seen_ms"]) for r in ok]),
                "total_ms": summary([r["total_ms"] for r in ok]),
                "wire_bytes": summary([r["wire_bytes"] for r in ok]),
                "guest_passed_on_destination": sum(1 for r in ok if r["guest_passed"]),
                "runs": runs[system],
            }
        f, q = g["ferry"]["guest_seen_downtime_ms"], g["qemu"]["guest_seen_downtime_ms"]
        if f and q:
            ratios = [a["guest_seen_ms"] / b["guest_seen_ms"]
                      for a, b in zip(runs["ferry"], runs["qemu"])
                      if a and b and a.get("guest_seen_ms") and b.get("guest_seen_ms")]
            g["ratio_ferry_to_qemu_guest_seen_downtime"] = summary(ratios)
        results["guests"][guest] = g
    out = os.path.join(ROOT, "bench", "results", "vs-qemu.json")
    with open(out, "w") as fh:
        json.dump(results, fh, indent=2)
    print(json.dumps({k: {s: {m: v for m, v in d.items() if m != "runs"} if isinstance(d, dict) else d
                          for s, d in g.items()} for k, g in results["guests"].items()}, indent=2))


if __name__ == "__main__":
    main()
