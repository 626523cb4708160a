#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A guest that dirties memory faster than the link carries it, migrated by
Ferry and by QEMU, each with its default settings, interleaved.

The guest (tests/guests/downtime_fast.c): a 512 MiB VM rewriting 320 pages
every 10 ms (125 MiB/s) of a 256 MiB area, a heartbeat line every 2 ms with
its own time, and a "beat" line every 100 ms with how many pages it has
written; between these deadlines it waits in WFI, as an operating system
idles. Ferry also migrates the same guest polling its counter instead
(downtime_fast_spins.c), whose vCPU keeps one of the host's two cores busy
all along, and the first guest once more with `--on-no-convergence
postcopy`: the guest's worst pause as the report gives it (at most the
downtime plus its blocktime, all the time it stood still on missing pages;
at least the downtime plus its longest single stall) against the one it
felt (its longest stretch without a heartbeat, less the heartbeat's
period). Each pair also measures the link itself: 32 MiB over TLS between
two boards, the same boards' own bulk transfer.

Per run: did it converge in precopy (Ferry: without postcopy; QEMU:
completed within 60 s); the downtime the guest saw, by the exact method of
bench/downtime.py (QEMU's trace stamps of each UART byte), against the
system's downtime limit (Ferry 5 ms, QEMU 300 ms); Ferry's predicted
downtime beside its actual one; the guest's work rate during the migration
(pages written per second of its own time, from the migrate command to its
last beat on the source) against its rate before; Ferry's goodput (the
first round's bytes on the wire per second) against the link's TLS bulk
rate measured in the same pair.

  tools/run.sh bench-converge [PAIRS]   (default 5) -> bench/results/converge.json
  tools/run.sh bench-converge RUNS --postcopy-only   the postcopy runs alone
                                        -> bench/results/converge-postcopy.json
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import downtime as dt

GUEST, SPINNING, MEM = "downtime_fast", "downtime_fast_spins", "512M"
BEAT = re.compile(r"beat \d+ at (\d+) ms: .* (\d+) pages written")
LIMIT_US = {"ferry": 5_000, "ferry_spinning": 5_000, "qemu": 300_000}


def work_rates(trace, migrate_at_us):
    """Pages per second of guest time before the migration and during it (source's beats)."""
    beats = [(first, int(m.group(1)), int(m.group(2)))
             for first, _, text in dt.uart_lines(trace) if (m := BEAT.search(text))]
    before = [b for b in beats if b[0] < migrate_at_us]
    during = [b for b in beats if b[0] >= migrate_at_us]

    def rate(a, b):
        return (b[2] - a[2]) * 1000.0 / (b[1] - a[1]) if b[1] > a[1] else None

    unthrottled = rate(before[len(before) // 2], before[-1]) if len(before) > 2 else None
    migrating = rate(before[-1], during[-1]) if before and during else None
    return unthrottled, migrating


def tls_link_rate(work):
    """MB/s of 32 MiB over TLS from one board to another: the link's own bulk rate."""
    creds = os.path.join(work, "link")
    subprocess.run([dt.FERRY, "creds", creds, "a", "b"], check=True, stdout=subprocess.DEVNULL)
    sock = os.path.join(work, "l.sock")
    args = ["--cpus", "1", "--mem", "256", "--semihosting", "--ferry", "ferry.link_test=32M"]
    a = subprocess.Popen([dt.FERRY, "boot", "--link", os.path.join(creds, "a"),
                          "--net-listen", sock] + args,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for _ in range(500):
        if os.path.exists(sock):
            break
        time.sleep(0.02)
    subprocess.run([dt.FERRY, "boot", "--link", os.path.join(creds, "b"), "--net", sock] + args,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    out = a.communicate(timeout=120)[0]
    m = re.search(r"link: received, checksum ok, .*: ([\d.]+) MB/s", out)
    return float(m.group(1)) if m else None


def ferry_run(work, guest):
    r = dt.ferry_pair(work, guest, MEM, "one-flight")
    rep = r.get("report") or {}
    firsts = [e["data"]["bandwidth"] for e in r.get("events", [])
              if e.get("event") == "MIGRATION_PROGRESS" and e["data"].get("round") == 1
              and e["data"].get("bandwidth")]
    unthrottled, migrating = work_rates(os.path.join(work, "src.trace"),
                                        r.get("migrate_at_us", 0))
    return {
        "converged_in_precopy": "error" not in r and not rep.get("switched-to-postcopy"),
        "error": r.get("error"),
        "seen_us": r.get("seen_us"), "reported_us": r.get("reported_us"),
        "predicted_us": rep.get("predicted-downtime-us"),
        "switchover_cost_us": rep.get("switchover-cost-us"),
        "rounds": rep.get("rounds"), "throttled_rounds": rep.get("throttled-rounds"),
        "throttle_pages_per_s": rep.get("throttle-pages-per-s"),
        "throttle_wait_ms": rep.get("throttle-wait-ms"),
        "total_ms": rep.get("total-time-ms"),
        "round1_goodput_mb_s": firsts[-1] / 1e6 if firsts else None,
        "work_rate_before": unthrottled, "work_rate_during": migrating,
        "guest_passed": r.get("guest_passed"), "steps_us": r.get("steps_us"),
    }


def worst_pause_seen_us(src_trace, dst_trace):
    """The guest's longest stretch without a heartbeat, less its 2 ms period (µs): the
    switchover and, in postcopy, its waits for missing pages, as it felt them."""
    hb = (dt.heartbeats(dt.uart_lines(src_trace), False)
          + dt.heartbeats(dt.uart_lines(dst_trace), False))
    gaps = [b[0] - a[0] - 2000 for a, b in zip(hb, hb[1:])]
    return max(gaps) if gaps else None


def ferry_postcopy_run(work):
    """The same guest, `--on-no-convergence postcopy`: what the report says the guest felt."""
    r = dt.ferry_pair(work, GUEST, MEM, "one-flight", ["--on-no-convergence", "postcopy"])
    rep = r.get("report") or {}
    out = {
        "switched_to_postcopy": rep.get("switched-to-postcopy"), "error": r.get("error"),
        "seen_us": r.get("seen_us"), "reported_us": r.get("reported_us"),
        "faults_served": rep.get("faults-served"),
        "blocked_reported_us": rep.get("blocked-us"),
        "longest_stall_reported_us": rep.get("longest-stall-us"),
        "worst_pause_reported_us": rep.get("worst-pause-us"),
        "worst_pause_seen_us": worst_pause_seen_us(os.path.join(work, "src.trace"),
                                                   os.path.join(work, "dst.trace")),
        "total_ms": rep.get("total-time-ms"), "guest_passed": r.get("guest_passed"),
    }
    with open(os.path.join(work, "dst.log"), errors="replace") as f:
        log = f.read().splitlines()
    # Ferry's own slips on the destination, said once each (its timer's interrupt stuck).
    out["destination_slips"] = [l for l in log if "reported once" in l]
    if not out["guest_passed"]:  # what the guest said last there, to tell why
        out["destination_log_tail"] = log[-6:]
    seen, said = out["worst_pause_seen_us"], out["worst_pause_reported_us"]
    out["reported_to_seen"] = round(said / seen, 3) if seen and said is not None else None
    return out


def qemu_run(work, port):
    r = dt.qemu_pair(work, GUEST, MEM, port)
    unthrottled, migrating = work_rates(os.path.join(work, "src.trace"),
                                        r.get("migrate_at_us", 0))
    info = r.get("info") or {}
    return {
        "converged_in_precopy": "error" not in r, "status": info.get("status"),
        "error": r.get("error"),
        "seen_us": r.get("seen_us"), "reported_us": r.get("reported_us"),
        "total_ms": r.get("total_ms"),
        "work_rate_before": unthrottled, "work_rate_during": migrating,
        "guest_passed": r.get("guest_passed"),
    }


def med(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def postcopy_summary(pc):
    return {
        "switched_to_postcopy": f"{sum(1 for r in pc if r.get('switched_to_postcopy'))}/{len(pc)}",
        "guest_passed": f"{sum(1 for r in pc if r.get('guest_passed'))}/{len(pc)}",
        "seen_us_median": med([r.get("seen_us") for r in pc]),
        "worst_pause_seen_us_median": med([r.get("worst_pause_seen_us") for r in pc]),
        "worst_pause_reported_us_median": med([r.get("worst_pause_reported_us") for r in pc]),
        "longest_stall_reported_us_median": med([r.get("longest_stall_reported_us")
                                                 for r in pc]),
        "blocked_reported_us_median": med([r.get("blocked_reported_us") for r in pc]),
        "reported_to_seen": [r.get("reported_to_seen") for r in pc],
        "faults_served_median": med([r.get("faults_served") for r in pc]),
    }


def postcopy_only(runs):
    pc = []
    for i in range(runs):
        with tempfile.TemporaryDirectory(prefix="fc.", dir="/tmp") as work:
            pc.append(ferry_postcopy_run(work))
        print(f"run {i + 1}/{runs}: {json.dumps(pc[-1])}", file=sys.stderr)
    out = {"command": f"tools/run.sh bench-converge {runs} --postcopy-only",
           "guest": f"{GUEST} ({MEM})", "runs": pc, "summary": postcopy_summary(pc)}
    with open(os.path.join(dt.ROOT, "bench", "results", "converge-postcopy.json"), "w") as fh:
        json.dump(out, fh, indent=2)
    print(json.dumps(out["summary"], indent=2))


def main():
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    if "--postcopy-only" in sys.argv[2:]:
        return postcopy_only(pairs)
    runs = {"ferry": [], "ferry_spinning": [], "ferry_postcopy": [], "qemu": [],
            "link_tls_mb_s": []}
    port = 47900
    for i in range(pairs):
        with tempfile.TemporaryDirectory(prefix="fc.", dir="/tmp") as work:
            runs["ferry"].append(ferry_run(work, GUEST))
        with tempfile.TemporaryDirectory(prefix="fc.", dir="/tmp") as work:
            runs["ferry_spinning"].append(ferry_run(work, SPINNING))
        with tempfile.TemporaryDirectory(prefix="fc.", dir="/tmp") as work:
            runs["ferry_postcopy"].append(ferry_postcopy_run(work))
        with tempfile.TemporaryDirectory(prefix="fc.", dir="/tmp") as work:
            port += 1
            runs["qemu"].append(qemu_run(work, port))
        with tempfile.TemporaryDirectory(prefix="fc.", dir="/tmp") as work:
            runs["link_tls_mb_s"].append(tls_link_rate(work))
        print(f"pair {i + 1}/{pairs}: ferry {json.dumps(runs['ferry'][-1])}\n"
              f"  ferry, spinning guest {json.dumps(runs['ferry_spinning'][-1])}\n"
              f"  ferry, postcopy asked {json.dumps(runs['ferry_postcopy'][-1])}\n"
              f"  qemu {json.dumps(runs['qemu'][-1])}\n  link TLS {runs['link_tls_mb_s'][-1]} MB/s",
              file=sys.stderr)
    out = {"command": f"tools/run.sh bench-converge {pairs}", "pairs": pairs,
           "guest": f"{GUEST} ({MEM}); ferry_spinning: {SPINNING}", "limits_us": LIMIT_US,
           "runs": runs, "summary": {}}
    for system in ("ferry", "ferry_spinning", "qemu"):
        rs = runs[system]
        ok = [r for r in rs if r["converged_in_precopy"]]
        ratios = [r["work_rate_during"] / r["work_rate_before"] for r in rs
                  if r.get("work_rate_during") and r.get("work_rate_before")]
        s = {"converged_in_precopy": f"{len(ok)}/{len(rs)}",
             "seen_within_limit": f"{sum(1 for r in ok if r['seen_us'] is not None and r['seen_us'] <= LIMIT_US[system])}/{len(rs)}",
             "seen_us_median": med([r["seen_us"] for r in ok]),
             "seen_us_max": max([r["seen_us"] for r in ok if r["seen_us"] is not None],
                                default=None),
             "work_rate_ratio_median": med(ratios),
             "guest_passed": f"{sum(1 for r in ok if r.get('guest_passed'))}/{len(ok)}"}
        if system.startswith("ferry"):
            within = [r for r in ok if r.get("predicted_us") is not None and r.get("seen_us")
                      and abs(r["seen_us"] - r["predicted_us"])
                      <= max(0.2 * r["seen_us"], 500)]
            goodput = [r["round1_goodput_mb_s"] / link
                       for r, link in zip(rs, runs["link_tls_mb_s"])
                       if r.get("round1_goodput_mb_s") and link]
            s.update({"predicted_within_20pct_or_0.5ms": f"{len(within)}/{len(ok)}",
                      "predicted_us_median": med([r.get("predicted_us") for r in ok]),
                      "goodput_to_link_tls_median": med(goodput),
                      "round1_goodput_mb_s_median": med([r.get("round1_goodput_mb_s")
                                                         for r in rs])})
        out["summary"][system] = s
    out["summary"]["ferry_postcopy"] = postcopy_summary(runs["ferry_postcopy"])
    out["summary"]["link_tls_mb_s_median"] = med(runs["link_tls_mb_s"])
    os.makedirs(os.path.join(dt.ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(dt.ROOT, "bench", "results", "converge.json"), "w") as fh:
        json.dump(out, fh, indent=2)
    print(json.dumps(out["summary"], indent=2))


if __name__ == "__main__":
    main()
