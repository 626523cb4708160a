#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Ferry's live migration against QEMU's own, on the same guest, interleaved.

The guests (tests/guests/migrating*.c) print a heartbeat line every 100 ms
of their own virtual time, with that time. Each line is timestamped on the
host as it arrives. The downtime the guest saw is the host time between its
last heartbeat on the source and its first on the destination, minus the
guest time between them: how long its clock stood still (neither system
lets the virtual counter run during the downtime). Each system's reported
downtime is compared with that.

  Ferry: two boards, `ferry migrate` on the source's management channel,
         over TLS on QEMU's -netdev stream, Ferry's default settings.
  QEMU:  the same guest directly on QEMU virt, `migrate` over QMP to a
         second QEMU on loopback TCP, QEMU's default settings.

Guests: dirtying 3.2 MB/s (64 MiB), idle (64 MiB), all-zero (512 MiB),
and dirtying 125 MiB/s of a 256 MiB area (512 MiB VM): a migration that
has not completed 45 s after it began did not converge (cancelled).
Each pair also measures the link itself (raw frames and plain TCP between
two boards), for Ferry's migration goodput over TLS against it.

  tools/run.sh bench [PAIRS]    (default 5) -> bench/results/vs-qemu.json
                                               bench/results/vs-qemu.png
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from qmp_client import qmp

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


GUESTS_RUN = [
    # name, memory, MB/s it dirties (for the plot)
    ("guest_migrating", "64M", 3.2),
    ("guest_migrating_idle", "64M", 0.0),
    ("guest_migrating_zero", "512M", 0.0),
    ("guest_migrating_fast", "512M", 131.0),
]
CONVERGE_S = 45


def ferry_pair(work, guest, mem):
    creds = os.path.join(work, "creds")
    subprocess.run([FERRY, "creds", creds, "dst", "src"], check=True, stdout=subprocess.DEVNULL)
    sock, mgmt = os.path.join(work, "m.sock"), os.path.join(work, "src.mgmt")
    dst = Board([FERRY, "run", "--incoming", "--mem", mem, "--semihosting",
                 "--link", os.path.join(creds, "dst"), "--net-listen", sock],
                os.path.join(work, "ferry-dst.log"))
    for _ in range(200):
        if os.path.exists(sock):
            break
        time.sleep(0.02)
    src = Board([FERRY, "run", "--guest", os.path.join(GUESTS, guest + ".elf"), "--mem", mem,
                 "--semihosting", "--link", os.path.join(creds, "src"), "--net", sock,
                 "--mgmt", mgmt], os.path.join(work, "ferry-src.log"))
    if not src.wait_for(r"beat 15 at"):
        src.finish(1), dst.finish(1)
        return None
    tool = subprocess.run([FERRY, "migrate", "--mgmt", mgmt, "--peer", "dst", "--json"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=300)
    events = [json.loads(l) for l in tool.stdout.splitlines() if l.startswith("{")]
    # The source board stays up for its management channel once the VM left.
    subprocess.run([FERRY, "quit", "--mgmt", mgmt], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60)
    src.finish()
    dst.finish()
    end = next((e["data"] for e in events
                if e.get("event") in ("MIGRATION_COMPLETED", "MIGRATION_FAILED")), None)
    if not end or end.get("status") != "completed":
        return {"converged": False, "error": (end or {}).get("error", tool.stdout[-300:])}
    # The first round's bandwidth: the link's goodput for migration data over TLS.
    firsts = [e["data"]["bandwidth"] for e in events
              if e.get("event") == "MIGRATION_PROGRESS" and e["data"].get("round") == 1
              and e["data"].get("bandwidth")]
    passed = any("FERRY-TEST" in l and "PASS" in l for _, l in dst.lines)
    return {"reported_ms": end["downtime-us"] / 1000.0, "total_ms": end["total-time-ms"],
            "rounds": end["rounds"], "wire_bytes": end["bytes"],
            "switched_to_postcopy": end.get("switched-to-postcopy", False),
            "round1_goodput_mb_s": firsts[-1] / 1e6 if firsts else None,
            "guest_seen_ms": guest_seen_downtime(src, dst), "guest_passed": passed,
            "converged": True}


def link_rate(work, mode):
    """MB/s of 32 MiB between two boards on the same emulated link: raw frames or plain TCP."""
    creds = os.path.join(work, "link")
    if not os.path.exists(creds):
        subprocess.run([FERRY, "creds", creds, "a", "b"], check=True, stdout=subprocess.DEVNULL)
    sock = os.path.join(work, "l.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    args = ["--cpus", "1", "--mem", "256", "--semihosting", "--ferry",
            f"ferry.link_test=32M ferry.link_bench={mode}"]
    a = subprocess.Popen([FERRY, "boot", "--link", os.path.join(creds, "a"), "--net-listen", sock]
                         + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for _ in range(200):
        if os.path.exists(sock):
            break
        time.sleep(0.02)
    subprocess.run([FERRY, "boot", "--link", os.path.join(creds, "b"), "--net", sock] + args,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    out = a.communicate(timeout=120)[0]
    m = re.search(r"link: (raw frames: received all|plain TCP: received).*: ([\d.]+) MB/s", out)
    return float(m.group(2)) if m else None


def qemu_pair(work, guest, port, mem):
    base = ["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", "max,pauth-impdef=on",
            "-nographic", "-no-reboot", "-nic", "none", "-smp", "1", "-m", mem,
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
    deadline = time.monotonic() + CONVERGE_S
    while time.monotonic() < deadline:
        info = qmp(qa, {"execute": "query-migrate"})[0].get("return", {})
        if info.get("status") in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.05)
    if info.get("status") == "completed":
        qmp(qa, {"execute": "quit"})
    else:
        qmp(qa, {"execute": "migrate_cancel"})
        src.proc.kill()
        dst.proc.kill()
    src.finish()
    dst.finish()
    if info.get("status") != "completed":
        return {"converged": False, "status": info.get("status"),
                "wire_bytes": info.get("ram", {}).get("transferred"),
                "dirty_pages_rate": info.get("ram", {}).get("dirty-pages-rate"),
                "expected_downtime_ms": info.get("expected-downtime")}
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


def plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [g for g in sorted(GUESTS_RUN, key=lambda g: g[2]) if g[0] in results["guests"]]
    ticks = [f"{rate:g} MB/s\n{name.replace('guest_migrating', 'migrating')}\n{mem}"
             for name, mem, rate in names]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    for system, colour, shift in (("ferry", "tab:blue", -0.1), ("qemu", "tab:orange", 0.1)):
        xs, down, tot, nx = [], [], [], []
        for i, (name, _, _) in enumerate(names):
            for r in results["guests"][name][system]["runs"]:
                if r and r.get("converged"):
                    if r.get("guest_seen_ms") is not None:
                        xs.append(i + shift)
                        down.append(r["guest_seen_ms"])
                        tot.append(r["total_ms"] / 1000.0)
                else:
                    nx.append(i + shift)
        ax1.scatter(xs, down, color=colour, s=20, label=system)
        ax2.scatter(xs, tot, color=colour, s=20, label=system)
        if nx:
            ax2.scatter(nx, [CONVERGE_S] * len(nx), color=colour, marker="x", s=50,
                        label=f"{system}: did not converge in {CONVERGE_S} s")
    ax1.set(ylabel="downtime the guest saw (ms)", title="Downtime", yscale="log")
    ax2.set(ylabel="total migration time (s)", title="Total time", yscale="log")
    for ax in (ax1, ax2):
        ax.set_xticks(range(len(names)), ticks, fontsize=8)
        ax.set_xlabel("guest dirty rate, guest, memory")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"Ferry vs QEMU live migration, default settings ({results['pairs']} "
                 f"interleaved pairs a guest; {results['command']})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    results = {"command": f"tools/run.sh bench {pairs}", "pairs": pairs, "guests": {},
               "converge_limit_s": CONVERGE_S}
    port = 47000
    link = {"raw": [], "tcp": []}
    only = os.environ.get("FERRY_BENCH_GUESTS")  # a comma-separated subset, for a quick look
    for guest, mem, rate in GUESTS_RUN:
        if only and guest not in only.split(","):
            continue
        runs = {"ferry": [], "qemu": []}
        for i in range(pairs):
            for system in ("ferry", "qemu"):
                with tempfile.TemporaryDirectory(prefix="ferry-vs-qemu.") as work:
                    port += 1
                    r = (ferry_pair(work, guest, mem) if system == "ferry"
                         else qemu_pair(work, guest, port, mem))
                runs[system].append(r)
                print(f"{guest} pair {i + 1} {system}: {r}", file=sys.stderr)
            if guest == "guest_migrating_fast":
                with tempfile.TemporaryDirectory(prefix="ferry-link.") as work:
                    for mode in ("raw", "tcp"):
                        link[mode].append(link_rate(work, mode))
                print(f"link: raw {link['raw'][-1]} MB/s, tcp {link['tcp'][-1]} MB/s",
                      file=sys.stderr)
        g = {"memory": mem, "dirty_mb_s": rate}
        for system in ("ferry", "qemu"):
            done = [r for r in runs[system] if r and r.get("converged")]
            ok = [r for r in done if r.get("guest_seen_ms") is not None]
            g[system] = {
                "converged": f"{len(done)} of {pairs}",
                "guest_seen_downtime_ms": summary([r["guest_seen_ms"] for r in ok]),
                "reported_downtime_ms": summary([r["reported_ms"] for r in ok]),
                "report_error_ms": summary([abs(r["reported_ms"] - r["guest_seen_ms"]) for r in ok]),
                "total_ms": summary([r["total_ms"] for r in done]),
                "wire_bytes": summary([r["wire_bytes"] for r in done]),
                "guest_passed_on_destination": sum(1 for r in ok if r["guest_passed"]),
                "runs": runs[system],
            }
        ratios = [a["guest_seen_ms"] / b["guest_seen_ms"]
                  for a, b in zip(runs["ferry"], runs["qemu"])
                  if a and b and a.get("guest_seen_ms") and b.get("guest_seen_ms")]
        g["ratio_ferry_to_qemu_guest_seen_downtime"] = summary(ratios)
        totals = [a["total_ms"] / b["total_ms"] for a, b in zip(runs["ferry"], runs["qemu"])
                  if a and b and a.get("converged") and b.get("converged") and b["total_ms"]]
        g["ratio_ferry_to_qemu_total_time"] = summary(totals)
        results["guests"][guest] = g
    fast = results["guests"].get("guest_migrating_fast", {}).get("ferry", {}).get("runs", [])
    goodput = [r["round1_goodput_mb_s"] for r in fast if r and r.get("round1_goodput_mb_s")]
    raw, tcp = summary(link["raw"]), summary(link["tcp"])
    results["goodput"] = {
        "what": "Ferry's first precopy round over TLS (256 MiB of data) against the same emulated "
                "link's raw frames and plain TCP, measured in the same pairs",
        "migration_tls_mb_s": summary(goodput), "raw_frames_mb_s": raw, "plain_tcp_mb_s": tcp,
        "ratio_to_raw_frames": round(summary(goodput)["median"] / raw["median"], 3)
        if goodput and raw else None,
        "ratio_to_plain_tcp": round(summary(goodput)["median"] / tcp["median"], 3)
        if goodput and tcp else None,
    }
    out = os.path.join(ROOT, "bench", "results", "vs-qemu.json")
    with open(out, "w") as fh:
        json.dump(results, fh, indent=2)
    try:
        plot(results, os.path.join(ROOT, "bench", "results", "vs-qemu.png"))
    except ImportError:
        print("bench: no matplotlib here (tools/run.sh bench installs it): no plot", file=sys.stderr)
    print(json.dumps({k: {s: {m: v for m, v in d.items() if m != "runs"} if isinstance(d, dict) else d
                          for s, d in g.items()} for k, g in results["guests"].items()}, indent=2))
    print(json.dumps(results["goodput"], indent=2))


if __name__ == "__main__":
    main()
