#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The downtime a guest sees, measured from outside to the microsecond:
Ferry's switchovers against QEMU's own migration of the same guest,
interleaved, pair after pair.

The method. Each board's QEMU stamps every byte its PL011 receives with the
wall clock, from the vCPU thread that writes it (`-msg timestamp=on -trace
pl011_write -D FILE`: `tid@seconds.micros:pl011_write addr 0x00000000 value
0x00000068`); both QEMUs of a pair share that clock. The guests
(tests/guests/downtime_*.c) read their own virtual time every 2 ms and
print it, `hb 000123456` (µs, nine digits: every such line takes as long to
write). Neither system lets the guest's clock run while the VM is stopped,
so the downtime the guest saw is the wall time during which its clock stood
still:

    seen = (wall(a dst line) - T(that line)) - (wall(a src line) - T(that line))

with `wall` the stamp of the byte written when the guest wrote the line's
newline: Ferry passes a guest's line on whole when its newline comes (the
stamp of the line's first byte); QEMU's guest writes the UART itself (the
stamp of the newline byte). While the guest runs, wall - T is constant but
for the time between the guest reading its clock and writing the newline,
which a host that preempts the vCPU's thread there stretches (measured: up
to 9 ms on the destination right after the switchover, when both boards
are busiest); it never shortens it. So each side's wall - T is the
smallest over its lines next to the switchover (the last 5 on the source,
the first 6 on the destination: a line begun on the source and finished on
the destination only comes out larger). Each run also gives the system's
own reported downtime and its error against the seen one, and says whether
the guest's own memory and timer checks passed on the destination.

  Ferry, one flight: two boards, `ferry migrate --json` on the source's
        management channel, over TLS on QEMU's -netdev stream.
  Ferry, confirmed: the same, `--switchover confirmed` (RUN after PONG).
  QEMU: the guest directly on QEMU virt, `migrate` over QMP to a second
        QEMU on loopback TCP; QEMU's defaults.

  tools/run.sh bench-downtime [PAIRS]   (default 10)
      -> bench/results/downtime.json, bench/results/downtime.png
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

from qmp_client import qmp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FERRY = os.path.join(ROOT, "build", "ferry")
GUESTS = os.path.join(ROOT, "build", "board", "guests")
TRACE = re.compile(r"^\d+@(\d+)\.(\d{6}):pl011_write addr 0x00000000 value 0x([0-9a-f]+)")
HB = re.compile(r"(?:^|\| )hb (\d{9})$")
PASS = re.compile(r"FERRY-TEST \w+: PASS")
# name, memory
GUEST_SET = [("downtime_idle", "64M"), ("downtime_dirty", "64M"), ("downtime_zero", "512M")]
SYSTEMS = ["ferry-one-flight", "ferry-confirmed", "qemu"]
# Each system's default downtime limit: Ferry's (docs/management.md), QEMU's downtime-limit.
LIMIT_US = {"ferry-one-flight": 5_000, "ferry-confirmed": 5_000, "qemu": 300_000}
SETTLE_US = 2_000_000  # guest time on the source before the migration starts
LIMIT_S = 60


def uart_lines(path):
    """The UART's lines, each with the wall time (µs) of its first and of its last byte."""
    lines, text, first = [], [], None
    try:
        fh = open(path, errors="replace")
    except FileNotFoundError:
        return lines
    with fh:
        for row in fh:
            m = TRACE.match(row)
            if not m:
                continue
            t = int(m.group(1)) * 1_000_000 + int(m.group(2))
            c = chr(int(m.group(3), 16) & 0xFF)
            if first is None:
                first = t
            if c == "\n":
                lines.append((first, t, "".join(text).rstrip("\r")))
                text, first = [], None
            else:
                text.append(c)
    return lines


def heartbeats(lines, at_newline):
    """(wall µs, guest µs) of each heartbeat line."""
    out = []
    for first, last, text in lines:
        m = HB.search(text)
        if m:
            out.append((last if at_newline else first, int(m.group(1))))
    return out


# Lines on each side whose smallest wall - T counts (the method above).
LINES_EACH_SIDE = 5


def seen_downtime_us(src, dst):
    if len(src) < LINES_EACH_SIDE or len(dst) < LINES_EACH_SIDE + 1:
        return None
    before = min(w - g for w, g in src[-LINES_EACH_SIDE:])
    after = min(w - g for w, g in dst[:LINES_EACH_SIDE + 1])
    return after - before


def wait_for(path, pattern, timeout):
    """Polls a UART trace until a line matches; that line or None."""
    rx = re.compile(pattern)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for _, _, text in uart_lines(path):
            if rx.search(text):
                return text
        time.sleep(0.2)
    return None


def finish(procs, timeout):
    for p in procs:
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def settled(trace, at_newline, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hb = heartbeats(uart_lines(trace), at_newline)
        if hb and hb[-1][1] >= SETTLE_US:
            return True
        time.sleep(0.2)
    return False


def ferry_pair(work, guest, mem, switchover, extra=()):
    creds = os.path.join(work, "creds")
    subprocess.run([FERRY, "creds", creds, "dst", "src"], check=True, stdout=subprocess.DEVNULL)
    sock, mgmt = os.path.join(work, "m.sock"), os.path.join(work, "src.mgmt")
    st, dt = os.path.join(work, "src.trace"), os.path.join(work, "dst.trace")
    common = ["--mem", mem, "--semihosting"]
    with open(os.path.join(work, "dst.log"), "w") as dlog, \
            open(os.path.join(work, "src.log"), "w") as slog:
        dst = subprocess.Popen([FERRY, "run", "--incoming", "--link", os.path.join(creds, "dst"),
                                "--net-listen", sock, "--trace-uart", dt] + common,
                               stdin=subprocess.DEVNULL, stdout=dlog, stderr=subprocess.STDOUT)
        for _ in range(500):
            if os.path.exists(sock):
                break
            time.sleep(0.02)
        src = subprocess.Popen([FERRY, "run", "--guest", os.path.join(GUESTS, f"guest_{guest}.elf"),
                                "--link", os.path.join(creds, "src"), "--net", sock, "--mgmt", mgmt,
                                "--trace-uart", st] + common,
                               stdin=subprocess.DEVNULL, stdout=slog, stderr=subprocess.STDOUT)
        if not settled(st, False):
            src.kill(), dst.kill(), finish([src, dst], 10)
            return {"error": "the guest did not start on the source"}
        argv = [FERRY, "migrate", "--mgmt", mgmt, "--peer", "dst", "--json"]
        if switchover == "confirmed":
            argv += ["--switchover", "confirmed"]
        argv += list(extra)
        migrate_at_us = int(time.time() * 1e6)
        tool = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=LIMIT_S * 2)
        # The source board stays up for its management channel once the VM left.
        subprocess.run([FERRY, "quit", "--mgmt", mgmt], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=LIMIT_S)
        finish([src, dst], LIMIT_S)
    events = [json.loads(l) for l in tool.stdout.splitlines() if l.startswith("{")]
    end = next((e["data"] for e in events
                if e.get("event") in ("MIGRATION_COMPLETED", "MIGRATION_FAILED")), None)
    if not end or end.get("status") != "completed":
        return {"error": (end or {}).get("error", tool.stdout[-300:])}
    seen = seen_downtime_us(heartbeats(uart_lines(st), False), heartbeats(uart_lines(dt), False))
    reported = end["downtime-us"]
    return {
        "seen_us": seen, "reported_us": reported,
        "error_us": abs(reported - seen) if seen is not None else None,
        "uncertainty_us": end.get("downtime-uncertainty-us"),
        "vm_started_us": end["downtime-steps"]["vm-started-us"],
        "steps_us": end["downtime-steps"], "destination_us": end["destination"],
        "total_ms": end["total-time-ms"], "wire_bytes": end["bytes"],
        "stop_pages": end.get("stop-pages"), "settle_passes": end.get("settle-passes"),
        "guest_passed": any(PASS.search(t) for _, _, t in uart_lines(dt)),
        "migrate_at_us": migrate_at_us, "report": end, "events": events,
    }


def qemu_pair(work, guest, mem, port):
    st, dt = os.path.join(work, "src.trace"), os.path.join(work, "dst.trace")
    qa, qb = os.path.join(work, "a.qmp"), os.path.join(work, "b.qmp")

    def base(trace):
        return ["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", "max,pauth-impdef=on",
                "-nographic", "-no-reboot", "-nic", "none", "-smp", "1", "-m", mem,
                "-msg", "timestamp=on", "-trace", "pl011_write", "-D", trace,
                "-kernel", os.path.join(GUESTS, f"guest_{guest}.elf")]
    null = subprocess.DEVNULL
    dst = subprocess.Popen(base(dt) + ["-qmp", f"unix:{qb},server=on,wait=off",
                                       "-incoming", f"tcp:127.0.0.1:{port}"],
                           stdin=null, stdout=null, stderr=null)
    src = subprocess.Popen(base(st) + ["-qmp", f"unix:{qa},server=on,wait=off"],
                           stdin=null, stdout=null, stderr=null)
    if not settled(st, True):
        src.kill(), dst.kill(), finish([src, dst], 10)
        return {"error": "the guest did not start on the source"}
    migrate_at_us = int(time.time() * 1e6)
    qmp(qa, {"execute": "migrate", "arguments": {"uri": f"tcp:127.0.0.1:{port}"}})
    info, deadline = {}, time.monotonic() + LIMIT_S
    while time.monotonic() < deadline:
        try:
            info = qmp(qa, {"execute": "query-migrate"})[0].get("return", {})
        except OSError:  # the source QEMU is gone
            info = {"status": "source exited"}
        if info.get("status") in ("completed", "failed", "cancelled", "source exited"):
            break
        time.sleep(0.05)
    if info.get("status") == "completed":
        qmp(qa, {"execute": "quit"})
        finish([src], 30)
        wait_for(dt, r"FERRY-TEST", LIMIT_S)
    else:
        src.kill()
    dst.kill()
    finish([src, dst], 10)
    if info.get("status") != "completed":
        return {"error": f"QEMU's migration {info.get('status')}", "status": info.get("status"),
                "migrate_at_us": migrate_at_us, "info": info}
    seen = seen_downtime_us(heartbeats(uart_lines(st), True), heartbeats(uart_lines(dt), True))
    reported = int(info.get("downtime", 0)) * 1000
    return {"seen_us": seen, "reported_us": reported,
            "error_us": abs(reported - seen) if seen is not None else None,
            "total_ms": info.get("total-time"),
            "wire_bytes": info.get("ram", {}).get("transferred"),
            "guest_passed": any(PASS.search(t) for _, _, t in uart_lines(dt)),
            "migrate_at_us": migrate_at_us, "info": info}


def summary(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    return {"min": min(values), "median": statistics.median(values), "p95": p95,
            "max": max(values), "n": len(values)}


def describe(runs, limit_us):
    ok = [r for r in runs if r.get("seen_us") is not None]
    passed = [r for r in ok if r["guest_passed"]]
    within = [r for r in ok if r["error_us"] <= 500]
    out = {
        "runs": len(runs), "completed": len(ok),
        "guest_passed_on_destination": len(passed),
        "seen_us": summary([r["seen_us"] for r in ok]),
        "seen_us_guest_passed": summary([r["seen_us"] for r in passed]),
        "reported_us": summary([r["reported_us"] for r in ok]),
        "error_us": summary([r["error_us"] for r in ok]),
        "reported_within_500us": f"{len(within)} of {len(ok)}",
    }
    if limit_us is not None:
        out["above_limit"] = sum(1 for r in ok if r["seen_us"] > limit_us)
    if ok and "steps_us" in ok[0]:
        out["source_steps_us_median"] = {k: statistics.median(r["steps_us"][k] for r in ok)
                                         for k in ok[0]["steps_us"]}
        out["destination_steps_us_median"] = {
            k: statistics.median(r["destination_us"][k] for r in ok)
            for k in ok[0]["destination_us"]}
        out["uncertainty_us"] = summary([r["uncertainty_us"] for r in ok])
        out["stop_pages"] = summary([r["stop_pages"] for r in ok])
        out["settle_passes"] = summary([r["settle_passes"] for r in ok])
    return out


def plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    guests = list(results["guests"])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    colours = {"ferry-one-flight": "tab:blue", "ferry-confirmed": "tab:green",
               "qemu": "tab:orange"}
    for k, system in enumerate(SYSTEMS):
        xs, seen, xe, err, xf, fail = [], [], [], [], [], []
        for i, g in enumerate(guests):
            for r in results["guests"][g]["systems"][system]["all"]:
                if r.get("seen_us") is None:
                    continue
                x = i + (k - 1) * 0.2
                (xs if r["guest_passed"] else xf).append(x)
                (seen if r["guest_passed"] else fail).append(r["seen_us"] / 1000)
                xe.append(x)
                err.append(max(r["error_us"], 1) / 1000)
        ax1.scatter(xs, seen, color=colours[system], s=16, label=system)
        if xf:
            ax1.scatter(xf, fail, color=colours[system], s=30, marker="x",
                        label=f"{system}: guest's checks failed")
        ax2.scatter(xe, err, color=colours[system], s=16, label=system)
    ax1.set(ylabel="downtime the guest saw (ms)", yscale="log", title="Guest-seen downtime")
    ax2.set(ylabel="|reported - seen| (ms)", yscale="log", title="Error of the reported downtime")
    ax2.axhline(0.5, color="grey", linestyle=":", linewidth=1)
    for ax in (ax1, ax2):
        ax.set_xticks(range(len(guests)), guests)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"{results['pairs']} interleaved runs of each, guest's UART stamped by QEMU "
                 f"({results['command']})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    only = os.environ.get("FERRY_BENCH_GUESTS")  # a comma-separated subset, for a quick look
    results = {"command": f"tools/run.sh bench-downtime {pairs}", "pairs": pairs,
               "method": __doc__.split("The method. ")[1].split("\n\n  Ferry, one")[0],
               "guests": {}}
    port = 47500
    for guest, mem in GUEST_SET:
        if only and guest not in only.split(","):
            continue
        runs = {s: [] for s in SYSTEMS}
        for i in range(pairs):
            for system in SYSTEMS:
                with tempfile.TemporaryDirectory(prefix="fd.", dir="/tmp") as work:
                    port += 1
                    if system == "qemu":
                        r = qemu_pair(work, guest, mem, port)
                    else:
                        r = ferry_pair(work, guest, mem, system.split("-", 1)[1])
                for bulky in ("report", "events", "info", "migrate_at_us"):
                    r.pop(bulky, None)
                runs[system].append(r)
                print(f"{guest} {i + 1}/{pairs} {system}: "
                      + json.dumps({k: v for k, v in r.items()
                                    if k not in ("steps_us", "destination_us")}), file=sys.stderr)
        g = {"memory": mem, "systems": {}}
        for system in SYSTEMS:
            g["systems"][system] = describe(runs[system], LIMIT_US[system])
            g["systems"][system]["all"] = runs[system]
        ratios = [a["seen_us"] / b["seen_us"]
                  for a, b in zip(runs["ferry-one-flight"], runs["qemu"])
                  if a.get("seen_us") and b.get("seen_us")]
        g["ratio_one_flight_to_qemu_seen"] = summary(ratios)
        results["guests"][guest] = g
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "downtime.json"), "w") as fh:
        json.dump(results, fh, indent=2)
    try:
        plot(results, os.path.join(ROOT, "bench", "results", "downtime.png"))
    except ImportError:
        print("bench: no matplotlib here (tools/run.sh bench installs it): no plot", file=sys.stderr)
    print(json.dumps({g: {s: {k: v for k, v in d.items() if k != "all"}
                          for s, d in v["systems"].items()}
                      for g, v in results["guests"].items()}, indent=2))


if __name__ == "__main__":
    main()
