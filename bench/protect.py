#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Protection (docs/protection.md): what it costs the guest, and how long a
takeover takes.

Two boards joined by the frame relay, as the e2e tests run them.

Slowdown: the guest tests/guests/protect_work.c counts the steps it gets
done (a write to a 64-page working set and a checksum each) per 500 ms of
its own time. Unprotected, and protected with checkpoints every 10, 20 and
50 ms (`ferry protect --epoch-ms E`, lease max(200, 4E) ms), interleaved, REPS
runs of each: the steps per second of its protected periods (the lines the
standby showed: each left the pair through it) against those of the
unprotected runs (past their first second). Slowdown = 1 - protected / unprotected.

Takeover: KILLS times, the guest tests/guests/migrating.c protected with the
defaults (20 ms epochs, a 200 ms lease, takeover auto), and the primary's
QEMU killed (SIGKILL) at a random point 0-1.5 s into the protection. The
standby's report: from the primary's last message to the takeover's
decision (detection; the lease plus the margin at least), from there to
the guest's first instruction (start), and the guest time rolled back (at
least: from the checkpoint it runs to the primary's last record). Each run also checks that the
guest's numbered lines went out once each, none missing.

  tools/run.sh bench-protect [KILLS] [REPS]   (defaults 20, 2)
      -> bench/results/protect.json
"""
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FERRY = os.path.join(ROOT, "build", "ferry")
RELAY = os.path.join(ROOT, "build", "frame_relay")
GUESTS = os.path.join(ROOT, "build", "board", "guests")
EPOCHS_MS = (10, 20, 50)
LEASE_MIN_MS = 200
KILL_WINDOW_S = 1.5


def wait_for(path, pattern, timeout, *more_paths):
    """The first match of pattern in the file at path (or in more_paths) within timeout s, or None."""
    deadline = time.monotonic() + timeout
    rx = re.compile(pattern, re.M)
    while time.monotonic() < deadline:
        for p in (path,) + more_paths:
            try:
                with open(p, errors="replace") as f:
                    m = rx.search(f.read())
                if m:
                    return m
            except FileNotFoundError:
                pass
        time.sleep(0.05)
    return None


class Pair:
    """A relay and two boards: dst waits for the VM, src runs guest (boot options extra)."""

    def __init__(self, work, guest, vcpus, src_ferry=None, mgmt=False):
        self.work = work
        self.run = tempfile.mkdtemp(prefix="fp.", dir=os.environ.get("XDG_RUNTIME_DIR", "/tmp"))
        subprocess.run([FERRY, "creds", os.path.join(work, "creds"), "dst", "src"],
                       check=True, stdout=subprocess.DEVNULL)
        self.procs = []
        self.src_log = os.path.join(work, "src.log")
        self.dst_log = os.path.join(work, "dst.log")
        self.src_mgmt = os.path.join(self.run, "src.mgmt")
        self.dst_mgmt = os.path.join(self.run, "dst.mgmt")
        relay_log = open(os.path.join(work, "relay.log"), "w")
        self.procs.append(subprocess.Popen(
            [RELAY, os.path.join(self.run, "src.sock"), os.path.join(self.run, "dst.sock")],
            stderr=relay_log))
        while not all(os.path.exists(os.path.join(self.run, s)) for s in ("src.sock", "dst.sock")):
            time.sleep(0.05)
        m = ["--mgmt", self.dst_mgmt] if mgmt else []
        self.procs.append(subprocess.Popen(
            [FERRY, "run", "--incoming", "--vcpus", str(vcpus), "--mem", "64M", "--semihosting",
             "--link", os.path.join(work, "creds", "dst"),
             "--net", os.path.join(self.run, "dst.sock")] + m,
            stdout=open(self.dst_log, "w"), stderr=subprocess.STDOUT))
        if not wait_for(self.dst_log, r"^migration: waiting for the VM from", 120):
            raise RuntimeError("the destination board never waited for the VM")
        m = ["--mgmt", self.src_mgmt] if mgmt else []
        f = ["--ferry", src_ferry] if src_ferry else []
        self.procs.append(subprocess.Popen(
            [FERRY, "run", "--guest", os.path.join(GUESTS, guest), "--vcpus", str(vcpus),
             "--mem", "64M", "--semihosting", "--link", os.path.join(work, "creds", "src"),
             "--net", os.path.join(self.run, "src.sock")] + m + f,
            stdout=open(self.src_log, "w"), stderr=subprocess.STDOUT))

    def kill_src(self):
        subprocess.run(["pkill", "-9", "-f", "qemu-system.*" + os.path.join(self.run, "src.sock")])

    def close(self):
        subprocess.run(["pkill", "-f", self.run + "/"])
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(self.run, ignore_errors=True)


def work_rate(lines):
    """Steps per second over the (steps, us) periods given."""
    steps = sum(n for n, _ in lines)
    us = sum(t for _, t in lines)
    return steps * 1e6 / us if us else 0.0


WORK = re.compile(r"^vm0\| work (\d+) steps in (\d+) us$", re.M)


def slowdown_run(work, epoch_ms):
    """One run of protect_work, protected every epoch_ms (None: not): its periods' rate."""
    pair = Pair(work, "guest_protect_work.elf", 1, mgmt=True)
    try:
        if not wait_for(pair.src_log, r"^vm0\| work ", 60):
            raise RuntimeError("the guest never worked")
        report = None
        if epoch_ms:
            lease = max(LEASE_MIN_MS, 4 * epoch_ms)
            tool = subprocess.run(
                [FERRY, "protect", "--mgmt", pair.src_mgmt, "--peer", "dst",
                 "--epoch-ms", str(epoch_ms), "--lease-ms", str(lease)],
                capture_output=True, text=True, timeout=100)
            if tool.returncode:
                raise RuntimeError("ferry protect: " + tool.stdout + tool.stderr)
        # Its last line shows on the standby when its checkpoint was committed, else here.
        if not wait_for(pair.src_log, r"FERRY-TEST protect_work: (PASS|FAIL)", 90, pair.dst_log):
            raise RuntimeError("the guest never ended")
        if epoch_ms:
            report = wait_for(pair.src_log, r"^migration report: protection: .*$", 20)
        time.sleep(0.5)
        with open(pair.src_log, errors="replace") as f:
            src = f.read()
        with open(pair.dst_log, errors="replace") as f:
            dst = f.read()
        if "FERRY-TEST protect_work: PASS" not in src + dst:
            raise RuntimeError("the guest failed")
        if epoch_ms:
            periods = [(int(a), int(b)) for a, b in WORK.findall(dst)][1:]
        else:
            periods = [(int(a), int(b)) for a, b in WORK.findall(src)][2:]
        return {"epoch_ms": epoch_ms, "periods": len(periods), "steps_per_s": work_rate(periods),
                "report": report.group(0) if report else None}
    finally:
        pair.close()


ROLLBACK = re.compile(r"the guest's time rolled back (\d+) us at least")
TAKEOVER = re.compile(r"takeover after (\d+) checkpoints: decided (\d+) us after the primary's "
                      r"last message, the VM running (\d+) us later")


def beats_once(*logs):
    """True when the guest's numbered lines, all consoles together, go 1, 2, 3 ... once each."""
    nums = sorted(int(n) for log in logs for n in re.findall(r"^vm0\| beat (\d+) ", log, re.M))
    return nums == list(range(1, len(nums) + 1))


def kill_run(work, rng):
    pair = Pair(work, "guest_migrating.elf", 2,
                src_ferry="ferry.migrate=protect ferry.migrate_at=1000")
    try:
        if not wait_for(pair.src_log, r"^migration: protected", 60):
            raise RuntimeError("never protected")
        after = rng.uniform(0, KILL_WINDOW_S)
        time.sleep(after)
        pair.kill_src()
        m = wait_for(pair.dst_log, TAKEOVER.pattern, 30)
        if not m:
            raise RuntimeError("no takeover")
        wait_for(pair.dst_log, r"FERRY-TEST migrating: (PASS|FAIL)", 60)
        with open(pair.src_log, errors="replace") as f:
            src = f.read()
        with open(pair.dst_log, errors="replace") as f:
            dst = f.read()
        rb = ROLLBACK.search(dst)
        return {"killed_after_s": round(after, 3), "checkpoints": int(m.group(1)),
                "detect_us": int(m.group(2)), "start_us": int(m.group(3)),
                "rollback_us": int(rb.group(1)) if rb else None,
                "guest_passed": "FERRY-TEST migrating: PASS" in dst,
                "lines_once_each": beats_once(src, dst)}
    finally:
        pair.close()


def summary(values):
    values = sorted(values)
    if not values:
        return None
    return {"min": values[0], "median": statistics.median(values), "max": values[-1],
            "p95": values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]}


def main():
    kills = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    work_root = tempfile.mkdtemp(prefix="ferry-bench-protect.")
    rng = random.Random(int(os.environ.get("FERRY_BENCH_SEED", "0")) or None)
    runs = []
    for rep in range(reps):
        for epoch in (None,) + EPOCHS_MS:
            w = os.path.join(work_root, "slow-%d-%s" % (rep, epoch or "none"))
            os.makedirs(w)
            r = slowdown_run(w, epoch)
            print("slowdown rep %d, epoch %s ms: %.0f steps/s over %d periods" % (
                rep, epoch or "none", r["steps_per_s"], r["periods"]), flush=True)
            runs.append(r)
    base = statistics.median(r["steps_per_s"] for r in runs if not r["epoch_ms"])
    slowdown = {}
    for epoch in EPOCHS_MS:
        rate = statistics.median(r["steps_per_s"] for r in runs if r["epoch_ms"] == epoch)
        slowdown["%d" % epoch] = {"steps_per_s": round(rate), "unprotected_steps_per_s": round(base),
                                  "ratio": round(rate / base, 3),
                                  "slowdown": round(1 - rate / base, 3)}
    takeovers = []
    for k in range(kills):
        w = os.path.join(work_root, "kill-%d" % k)
        os.makedirs(w)
        t = kill_run(w, rng)
        print("kill %d at %.2f s: detected %d us, started %d us later, lines %s" % (
            k, t["killed_after_s"], t["detect_us"], t["start_us"],
            "once each" if t["lines_once_each"] else "WRONG"), flush=True)
        takeovers.append(t)
    result = {
        "command": "tools/run.sh bench-protect %d %d" % (kills, reps),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                 capture_output=True, text=True).stdout.strip(),
        "lease_ms": LEASE_MIN_MS, "epoch_ms": 20,
        "margin_ms": 10.2,
        "slowdown": slowdown,
        "slowdown_runs": runs,
        "takeover": {
            "kills": kills,
            "detect_us": summary([t["detect_us"] for t in takeovers]),
            "start_us": summary([t["start_us"] for t in takeovers]),
            "total_us": summary([t["detect_us"] + t["start_us"] for t in takeovers]),
            "rollback_us": summary([t["rollback_us"] for t in takeovers
                                    if t["rollback_us"] is not None]),
            "guest_passed": sum(t["guest_passed"] for t in takeovers),
            "lines_once_each": sum(t["lines_once_each"] for t in takeovers),
        },
        "takeover_runs": takeovers,
    }
    out = os.path.join(ROOT, "bench", "results", "protect.json")
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({"slowdown": slowdown, "takeover": result["takeover"]}, indent=1))
    shutil.rmtree(work_root, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
