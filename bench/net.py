#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The guest's network across live migrations: Ferry against QEMU's own
migration of the same Linux guest with its own virtio-net device.

The guest: Debian's kernel with the test initramfs (tests/guests/linux),
512 MiB, ferry.net (10.0.2.15, a UDP echo on port 7) and ferry.beat (a
line `hb NNNNNNNNN` with its own time in µs every 2 ms). Its LAN is one
`ferry lan` for both boards of a pair (each board's or QEMU's
`-netdev stream` port); the host client reaches the guest's port 7
through it. The client sends a numbered datagram every millisecond from
before the first migration until after the last and stamps each answer's
arrival with the wall clock.

After 10 s of the flow with nothing happening (its answers' waits: the
service's own), the VM is taken back and forth between two boards (or two QEMUs), N
migrations, each started 3 s after the previous one ended:
  Ferry: `ferry migrate --json` on the sending board, `ferry incoming` on
         the receiving one, over TLS; the boards stay up.
  QEMU:  `migrate` over QMP to a fresh QEMU started with -incoming on
         loopback TCP; the source QEMU quits once it completed. QEMU's
         defaults (it announces the guest's MAC after the migration; what
         reached the source in between stays there).

Before the first migration, the control: 3 times the VM is stopped and let
go on at once on the board it runs on (Ferry's management `stop` and `cont`,
QEMU's QMP ones), 3 s apart: its clock stands still about as long, nothing
moves; what the service's gap adds to that then is the guest's and the
LAN's own.

Per migration (and per pause):
  seen downtime: the wall time during which the guest's clock stood still,
      from QEMU's stamps of each UART byte (`-trace pl011_write`), by
      bench/downtime.py's method;
  service gap: the longest time between two answers in a row around the
      switchover (the last answer the source's guest gave to the first the
      destination's gave), as the client saw it;
  gap less seen: what the network added to the downtime;
  heartbeat gap: the guest's own silence across the switchover (its source's
      last heartbeat to its destination's first), wall time: the downtime
      and whatever held the guest back around it (a throttle, a cold
      emulator); the service gap less it: what the network added to that;
  with nothing happening, the silence around a moment: at a moment every
      10 ms of the steady window, the longest silence between two answers in
      a row that spans it: what a switchover's service gap would be if the
      switchover did nothing at all (p50, p90, p99);
  longest wait: the longest a datagram sent during the migration (from its
      start to 3 s after its end) waited for its answer;
  lost, answered twice, out of order: datagrams sent from the migration's
      start to the next one's.

  tools/run.sh bench-net [N]   (default 10) -> bench/results/net.json
"""
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from downtime import heartbeats, seen_downtime_us, uart_lines, wait_for
from qmp_client import qmp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "support"))
from lan_flow import Flow  # noqa: E402  (shared with e2e.qemu.lan_migrate_*)
import lan_guest  # noqa: E402
from lan_guest import free_port, start_lan  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FERRY = os.path.join(ROOT, "build", "ferry")
INITRD = os.path.join(ROOT, "build", "guests", "initramfs.cpio")
MEM = "512M"
MAC = "52:54:00:12:34:56"
APPEND = "console=ttyAMA0 ferry.net ferry.beat"
SETTLE_S = 3.0
PAUSES = 3
STEADY_S = 10.0  # the service with nothing happening, first
BOOT_S = 240
LIMIT_S = 120
JIT_S = 0.3


def kernel():
    cache = os.environ.get("FERRY_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.environ["HOME"], ".cache"), "ferry")
    return os.path.join(cache, "guests", "linux", "Image")


def jit_blocks(sock):
    """How many blocks of guest code the QEMU at sock has translated so far ("info jit")."""
    out = qmp(sock, {"execute": "human-monitor-command",
                     "arguments": {"command-line": "info jit"}})[0].get("return", "")
    m = re.search(r"TB count\s+(\d+)", out)
    return int(m.group(1)) if m else None


def translation(src_qmp, dst_qmp):
    """Blocks the source's QEMU translates in JIT_S of the running guest, and the destination's
    QEMU count so far; translation_after completes it."""
    a = jit_blocks(src_qmp)
    time.sleep(JIT_S)
    return {"source_steady": jit_blocks(src_qmp) - a, "dst_before": jit_blocks(dst_qmp)}


def translation_after(t, dst_qmp):
    """The destination's blocks translated from before the migration to JIT_S after its end."""
    time.sleep(JIT_S)
    return {"source_blocks_in_steady_window": t["source_steady"],
            "destination_blocks_until_window_after": jit_blocks(dst_qmp) - t["dst_before"]}


def crashed(trace, since_us):
    """The first line of a guest's crash in its UART trace since then, or None."""
    for at, _, text in uart_lines(trace):
        if at >= since_us and re.search(r"Kernel panic|Oops|kernel BUG", text):
            return text.strip()
    return None


def wait_path(path, timeout=20):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.02)


def warm(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    return lan_guest.warm(s, port, 60)


# What each migration's report says besides its downtime: how much crossed the
# link and how, and how long the throttle held the guest's vCPUs.
REPORT_KEYS = ("rounds", "bytes", "pages", "delta-pages", "unchanged-pages", "stop-pages",
               "throttle-wait-ms", "throttle-waits", "settle-passes", "predicted-downtime-us",
               "downtime-steps", "downtime-us")

class FerrySystem:
    name = "ferry"
    at_newline = False  # Ferry passes a guest's line on whole: the stamp of its first byte

    def __init__(self, work, lan):
        self.work, self.procs = work, []
        subprocess.run([FERRY, "creds", os.path.join(work, "creds"), "b", "a"], check=True,
                       stdout=subprocess.DEVNULL)
        link = os.path.join(work, "n.sock")
        self.boards = {}
        for name, args in (("b", ["--incoming", "--net-listen", link]),
                           ("a", ["--guest", kernel(), "--initrd", INITRD, "--append", APPEND,
                                  "--net", link])):
            b = {"mgmt": os.path.join(work, f"{name}.mgmt"), "qq": os.path.join(work, f"{name}.qq"),
                 "trace": os.path.join(work, f"{name}.trace"),
                 "log": os.path.join(work, f"{name}.log")}
            with open(b["log"], "w") as log:
                self.procs.append(subprocess.Popen(
                    [FERRY, "run", "--mem", MEM, "--lan", lan, "--mac", MAC, "--link",
                     os.path.join(work, "creds", name), "--mgmt", b["mgmt"], "--trace-uart",
                     b["trace"], "--qemu-qmp", b["qq"]] + args, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT))
            self.boards[name] = b
            if name == "b":
                wait_path(link)
        self.at, self.traces = "a", [self.boards["a"]["trace"], self.boards["b"]["trace"]]

    def ready(self):
        return wait_for(self.boards["a"]["trace"], r"FERRY-LINUX: shell ready", BOOT_S)

    def migrate(self, first):
        src, dst = self.at, "b" if self.at == "a" else "a"
        if not first:
            subprocess.run([FERRY, "incoming", "--mgmt", self.boards[dst]["mgmt"]], check=True,
                           stdout=subprocess.DEVNULL, timeout=LIMIT_S)
        jit = translation(self.boards[src]["qq"], self.boards[dst]["qq"])
        tool = subprocess.run([FERRY, "migrate", "--mgmt", self.boards[src]["mgmt"], "--peer",
                               dst, "--json"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=LIMIT_S * 2)
        events = [json.loads(l) for l in tool.stdout.splitlines() if l.startswith("{")]
        end = next((e["data"] for e in events
                    if e.get("event") in ("MIGRATION_COMPLETED", "MIGRATION_FAILED")), {})
        if end.get("status") != "completed":
            return {"error": end.get("error", tool.stdout[-300:])}
        self.at = dst
        return {"src_trace": self.boards[src]["trace"], "dst_trace": self.boards[dst]["trace"],
                "reported_us": end["downtime-us"], "total_ms": end["total-time-ms"],
                "report": {k: end.get(k) for k in REPORT_KEYS},
                "translation": translation_after(jit, self.boards[dst]["qq"])}

    def pause(self):
        """The VM stopped and let go on at once on the board it runs on (stop, then cont)."""
        # The board's channel is QMP: greeting, negotiation, then the commands.
        qmp(self.boards[self.at]["mgmt"], {"execute": "stop"}, {"execute": "cont"})
        trace = self.boards[self.at]["trace"]
        return {"src_trace": trace, "dst_trace": trace}

    def lan_lines(self):
        out = []
        for b in self.boards.values():
            with open(b["log"], errors="replace") as fh:
                out += [l.strip() for l in fh if "lan: vm0" in l]
        return out

    def close(self):
        for b in self.boards.values():
            subprocess.run([FERRY, "quit", "--mgmt", b["mgmt"]], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30)
        lan_guest.end(self.procs)


class QemuSystem:
    name = "qemu"
    at_newline = True  # the guest writes QEMU's UART itself: the stamp of the newline

    def __init__(self, work, lan):
        self.work, self.lan, self.n, self.traces = work, lan, 0, []
        self.proc, self.qmp, self.trace = self.start(None)

    def start(self, port):
        self.n += 1
        trace = os.path.join(self.work, f"q{self.n}.trace")
        sock = os.path.join(self.work, f"q{self.n}.qmp")
        argv = ["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", "max,pauth-impdef=on",
                "-nographic", "-no-reboot", "-smp", "1", "-m", MEM,
                "-msg", "timestamp=on", "-trace", "pl011_write", "-D", trace,
                "-kernel", kernel(), "-initrd", INITRD, "-append", APPEND,
                "-netdev", f"stream,id=lan,server=off,addr.type=unix,addr.path={self.lan}",
                "-device", f"virtio-net-device,netdev=lan,mac={MAC}",
                "-qmp", f"unix:{sock},server=on,wait=off"]
        if port:
            argv += ["-incoming", f"tcp:127.0.0.1:{port}"]
        with open(os.path.join(self.work, f"q{self.n}.log"), "w") as log:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT)
        self.traces.append(trace)
        wait_path(sock)
        # QMP answers from QEMU's main loop, which runs once -incoming listens.
        qmp(sock, {"execute": "query-status"})
        return proc, sock, trace

    def ready(self):
        return wait_for(self.trace, r"FERRY-LINUX: shell ready", BOOT_S)

    def migrate(self, first):
        port = free_port(socket.SOCK_STREAM)
        proc, sock, trace = self.start(port)
        jit = translation(self.qmp, sock)
        qmp(self.qmp, {"execute": "migrate", "arguments": {"uri": f"tcp:127.0.0.1:{port}"}})
        info, deadline = {}, time.monotonic() + LIMIT_S
        while time.monotonic() < deadline:
            info = qmp(self.qmp, {"execute": "query-migrate"})[0].get("return", {})
            if info.get("status") in ("completed", "failed", "cancelled"):
                break
            time.sleep(0.05)
        if info.get("status") != "completed":
            proc.kill()
            proc.wait()
            return {"error": f"QEMU's migration {info.get('status')}: {info.get('error-desc')}"}
        jit = translation_after(jit, sock)
        qmp(self.qmp, {"execute": "quit"})
        lan_guest.end([self.proc])
        src_trace = self.trace
        self.proc, self.qmp, self.trace = proc, sock, trace
        return {"src_trace": src_trace, "dst_trace": trace,
                "reported_us": int(info.get("downtime", 0)) * 1000,
                "total_ms": info.get("total-time"), "translation": jit}

    def pause(self):
        qmp(self.qmp, {"execute": "stop"}, {"execute": "cont"})
        return {"src_trace": self.trace, "dst_trace": self.trace}

    def lan_lines(self):
        return []

    def close(self):
        lan_guest.end([self.proc])


def switchover(system, run, began_us):
    """(seen downtime µs, the source's last and the destination's first heartbeat (wall µs,
    guest µs)). A pause on one board: its place is where wall - guest time grew most."""
    src = [h for h in heartbeats(uart_lines(run["src_trace"]), system.at_newline)
           if h[0] >= began_us]
    if run["src_trace"] == run["dst_trace"]:
        src = [h for h in src if h[0] <= run["ended_us"] + 500_000]
        if len(src) < 2:
            return None, None, None
        k = max(range(len(src) - 1),
                key=lambda i: (src[i + 1][0] - src[i + 1][1]) - (src[i][0] - src[i][1]))
        src, dst = src[:k + 1], src[k + 1:]
    else:
        dst = [h for h in heartbeats(uart_lines(run["dst_trace"]), system.at_newline)
               if h[0] >= began_us]
    if not src or not dst:
        return None, None, None
    src = [h for h in src if h[0] < dst[0][0]]
    if not src:
        return None, None, None
    return seen_downtime_us(src, dst), src[-1], dst[0]


# The moments the steady window's silences are looked at around, this far apart.
AROUND_EVERY_US = 10_000


def silences_around(times, start, end):
    """With nothing happening, what a switchover's service gap is measured
    against: at a moment every AROUND_EVERY_US of [start, end), the longest
    silence between two answers in a row that spans it (µs)."""
    times = [t for t in times if start <= t < end]
    gaps = list(zip(times, times[1:]))
    out, i = [], 0
    for moment in range(int(start) + AROUND_EVERY_US, int(end) - AROUND_EVERY_US,
                        AROUND_EVERY_US):
        while i < len(gaps) and gaps[i][1] < moment:
            i += 1
        if i < len(gaps) and gaps[i][0] <= moment:
            out.append(gaps[i][1] - gaps[i][0])
    return out


def judge(flow, system, runs):
    arrivals = sorted(flow.answers)
    times = [a for a, _ in arrivals]
    first_at = {}
    for at, n in arrivals:
        first_at.setdefault(n, at)
    out = []
    # The service with nothing happening: from 0.5 s after the flow began to the first event.
    steady_to = runs[0]["began_us"] if runs else flow.sent_at[-1]
    steady = waits_of(flow, first_at, [n for n, t in enumerate(flow.sent_at)
                                       if flow.sent_at[0] + 500_000 <= t < steady_to])
    for k, run in enumerate(runs):
        if "error" in run:
            out.append(run)
            continue
        began, ended = run["began_us"], run["ended_us"]
        until = runs[k + 1]["began_us"] if k + 1 < len(runs) else flow.sent_at[-1]
        nums = [n for n, t in enumerate(flow.sent_at) if began <= t < until]
        seen, last_hb, first_hb = switchover(system, run, began)
        gap, around, last_src, first_dst = None, [], None, None
        if last_hb is not None:
            last_src, first_dst = last_hb[0], first_hb[0]
            # The longest silence between two answers in a row that spans the switchover.
            for i, (a, b) in enumerate(zip(times, times[1:])):
                if a <= first_dst and b >= last_src and b - a > (gap or 0):
                    gap = b - a
                    # The answers on either side: (arrival, datagram, its sending), µs after
                    # the source's last heartbeat.
                    around = [(t - last_src, n, flow.sent_at[n] - last_src)
                              for t, n in arrivals[max(0, i - 2):i + 6]]
        waits = waits_of(flow, first_at, [n for n in nums
                                          if flow.sent_at[n] <= ended + SETTLE_S * 1e6])
        lost, twice, disorder = flow.verdict(nums)
        run.update({
            "datagrams": len(nums),
            "lost": len(lost), "answered_twice": len(twice), "out_of_order": disorder,
            "seen_us": seen, "service_gap_us": gap,
            "gap_less_seen_us": gap - seen if gap is not None and seen is not None else None,
            "longest_wait_us": max(waits) if waits else None,
            "wait_p99_us": percentile(waits, 99),
            # From the source's last heartbeat to the destination's first: wall time, and
            # the guest's own (less the downtime it saw, the time it ran without a line).
            "heartbeat_gap_us": first_dst - last_src if last_src else None,
            # What the service's silence adds to the guest's own: its heartbeat's.
            "gap_less_heartbeat_gap_us": gap - (first_dst - last_src)
            if gap is not None and last_src else None,
            "heartbeat_gap_guest_us": first_hb[1] - last_hb[1] if last_hb else None,
            "answers_around_switchover": around,
        })
        for key in ("src_trace", "dst_trace"):
            run.pop(key)
        out.append(run)
    around = silences_around(times, flow.sent_at[0] + 500_000, steady_to)
    return out, {"datagrams": len(steady), "wait_p50_us": percentile(steady, 50),
                 "wait_p99_us": percentile(steady, 99),
                 "longest_wait_us": max(steady) if steady else None,
                 "silence_around_a_moment_us": {"p50": percentile(around, 50),
                                                "p90": percentile(around, 90),
                                                "p99": percentile(around, 99),
                                                "n": len(around)}}


def waits_of(flow, first_at, nums):
    """How long each answered datagram of nums waited for its answer (µs)."""
    return [first_at[n] - flow.sent_at[n] for n in nums if n in first_at]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else None


def summary(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    return {"min": values[0], "median": statistics.median(values), "max": values[-1],
            "n": len(values)}


def measure(system_class, migrations, work):
    lan = os.path.join(work, "lan")
    udp = free_port(socket.SOCK_DGRAM)
    lan_proc = start_lan(FERRY, lan, ["--udp", f"{udp}:7"])
    system = system_class(work, lan)
    runs, flow = [], None
    try:
        if not system.ready():
            return {"error": "the guest did not come up"}
        if not warm(udp):
            return {"error": "the guest's UDP echo never answered"}
        flow = Flow(udp)
        time.sleep(STEADY_S)
        # The control: the VM stands still as briefly on the board it runs on, nothing moves.
        for k in range(PAUSES):
            began = int(time.time() * 1e6)
            run = system.pause()
            run.update({"began_us": began, "ended_us": int(time.time() * 1e6), "pause": True})
            runs.append(run)
            time.sleep(SETTLE_S)
        for k in range(migrations):
            began = int(time.time() * 1e6)
            run = system.migrate(k == 0)
            run.update({"began_us": began, "ended_us": int(time.time() * 1e6)})
            runs.append(run)
            print(f"bench-net: {system.name} {k + 1}/{migrations}: "
                  f"{run.get('error') or 'completed'}", file=sys.stderr, flush=True)
            if "error" in run:
                break
            time.sleep(SETTLE_S)
            # A guest that crashed after it moved answers nothing more: the rest would say nothing.
            why = crashed(run["dst_trace"], began)
            if why:
                run["guest_crashed"] = why
                print(f"bench-net: {system.name} {k + 1}/{migrations}: the guest crashed: {why}",
                      file=sys.stderr, flush=True)
                break
        flow.finish(SETTLE_S)
        runs, steady = judge(flow, system, runs)
        lan_lines = system.lan_lines()
    finally:
        system.close()
        lan_guest.end([lan_proc])
    pauses = [r for r in runs if r.get("pause") and "error" not in r]
    ok = [r for r in runs if "error" not in r and not r.get("pause")]
    return {
        "steady": steady,
        "pauses": {key: summary([r[key] for r in pauses])
                   for key in ("seen_us", "service_gap_us", "gap_less_seen_us", "lost",
                               "longest_wait_us", "wait_p99_us")},
        "migrations": sum(1 for r in runs if not r.get("pause")), "completed": len(ok),
        "guest_crashed": next((r["guest_crashed"] for r in ok if "guest_crashed" in r), None),
        "datagrams": len(flow.sent_at),
        "lost": sum(r["lost"] for r in ok),
        "answered_twice": sum(r["answered_twice"] for r in ok),
        "out_of_order": sum(r["out_of_order"] for r in ok),
        "migrations_with_loss": sum(1 for r in ok if r["lost"]),
        "seen_us": summary([r["seen_us"] for r in ok]),
        "service_gap_us": summary([r["service_gap_us"] for r in ok]),
        "gap_less_seen_us": summary([r["gap_less_seen_us"] for r in ok]),
        "gap_within_1ms_of_seen": sum(1 for r in ok if r["gap_less_seen_us"] is not None
                                      and r["gap_less_seen_us"] <= 1000),
        "heartbeat_gap_us": summary([r["heartbeat_gap_us"] for r in ok]),
        "gap_less_heartbeat_gap_us": summary([r["gap_less_heartbeat_gap_us"] for r in ok]),
        "longest_wait_us": summary([r["longest_wait_us"] for r in ok]),
        "wait_p99_us": summary([r["wait_p99_us"] for r in ok]),
        "reported_us": summary([r["reported_us"] for r in ok]),
        "lan_report": lan_lines, "runs": runs,
    }


def main():
    migrations = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    only = os.environ.get("FERRY_BENCH_SYSTEMS", "ferry,qemu").split(",")
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            stdout=subprocess.PIPE, text=True).stdout.strip()
    results = {"command": f"tools/run.sh bench-net {migrations}", "commit": commit,
               "method": __doc__.split("\n\n", 1)[1].split("\n\n  tools/run.sh")[0],
               "systems": {}}
    for system_class in (FerrySystem, QemuSystem):
        if system_class.name not in only:
            continue
        work = tempfile.mkdtemp(prefix="fn.", dir="/tmp")
        try:
            results["systems"][system_class.name] = measure(system_class, migrations, work)
        finally:
            if not os.environ.get("FERRY_BENCH_KEEP"):  # the boards' logs and traces, to look into
                shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "net.json"), "w") as fh:
        json.dump(results, fh, indent=1)
    print(json.dumps({s: {k: v for k, v in r.items() if k != "runs"}
                      for s, r in results["systems"].items()}, indent=1))


if __name__ == "__main__":
    main()
