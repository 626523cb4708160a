#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A Linux guest on the LAN migrated while the host talks to it: two boards
on `ferry lan`, the guest (tests/guests/linux/init, ferry.net) answering
UDP on port 7; a host client sends a numbered datagram every millisecond
from before the migration until well after it. Every datagram must be
answered exactly once, none lost, none twice, in order; then 1 MiB over
TCP to the guest, now on the destination, arrives whole. Judged by those
answers and the guest's console line.

  lan_migrate.py FERRY IMAGE INITRD [precopy|postcopy]
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lan_guest  # noqa: E402  (its console reader, ports and TCP check)
from lan_flow import Flow  # noqa: E402

AFTER_S = 3.0


def main():
    ferry, image, initrd = sys.argv[1:4]
    mode = sys.argv[4] if len(sys.argv) > 4 else "precopy"
    work = tempfile.mkdtemp(prefix="fm.", dir="/tmp")
    procs = []
    try:
        lan, creds = os.path.join(work, "lan"), os.path.join(work, "creds")
        link, mgmt = os.path.join(work, "m.sock"), os.path.join(work, "src.mgmt")
        udp, tcp = lan_guest.free_port(socket.SOCK_DGRAM), lan_guest.free_port(socket.SOCK_STREAM)
        subprocess.run([ferry, "creds", creds, "dst", "src"], check=True,
                       stdout=subprocess.DEVNULL)
        procs.append(lan_guest.start_lan(ferry, lan, ["--udp", f"{udp}:7", "--tcp", f"{tcp}:9"]))
        common = ["--mem", "512M", "--lan", lan]
        dst = subprocess.Popen([ferry, "run", "--incoming", "--link", os.path.join(creds, "dst"),
                                "--net-listen", link] + common, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        procs.append(dst)
        for _ in range(500):
            if os.path.exists(link):
                break
            time.sleep(0.02)
        src = subprocess.Popen([ferry, "run", "--guest", image, "--initrd", initrd,
                                "--link", os.path.join(creds, "src"), "--net", link,
                                "--mgmt", mgmt, "--append", "console=ttyAMA0 ferry.net"]
                               + common, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
        procs.append(src)
        src_console, dst_console = lan_guest.Console(src), lan_guest.Console(dst)
        src_console.wait(r"FERRY-LINUX: network eth0 52:54:00:12:34:56 up", lan_guest.BOOT_S)
        src_console.wait(r"FERRY-LINUX: shell ready", 30)
        lan_guest.udp_echo(udp)  # the path is warm: ARP known both ways
        flow = Flow(udp)
        time.sleep(1.0)
        began = flow.sent
        if mode == "none":  # the flow alone, for comparison
            time.sleep(5)
        else:
            # Postcopy as it is used: one precopy pass, then the VM moves, the rest follows.
            extra = ["--postcopy-after-rounds", "1"] if mode == "postcopy" else []
            tool = subprocess.run([ferry, "migrate", "--mgmt", mgmt, "--peer", "dst", "--mode",
                                   mode] + extra, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, timeout=240)
            print(tool.stdout, flush=True)
            print(f"lan_migrate: the migration from datagram {began} to {flow.sent}", flush=True)
            if tool.returncode != 0:
                lan_guest.fail(f"ferry migrate exited {tool.returncode}")
        time.sleep(AFTER_S)
        flow.finish(2.0)
        lost, twice, disorder = flow.verdict()
        print(f"lan_migrate: {flow.sent} datagrams sent, {len(flow.answers)} answers, "
              f"{len(lost)} lost {lost[:20]}, {len(twice)} answered twice {twice[:20]}, "
              f"order {'kept' if not disorder else 'broken'}", flush=True)
        if lost or twice or disorder:
            lan_guest.fail("the guest's UDP service did not answer each datagram once, in order")
        lan_guest.tcp_sum(tcp, src_console if mode == "none" else dst_console)
        print("PASS", flush=True)
    finally:
        lan_guest.stop(procs, work)


if __name__ == "__main__":
    main()
