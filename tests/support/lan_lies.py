#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A guest whose network driver lies about its rings (tests/guests/net_lies.c)
on a board joined to `ferry lan`: the host sends it a datagram every 50 ms
(its ARP, then the datagram, are the frames that find its lying receive
ring) until the board ends. The guest checks that the device stopped at
each lie and took an honest frame afterwards (its PASS is the board's exit
code, --semihosting); the board must run to that end.

  lan_lies.py FERRY GUEST_ELF
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lan_guest  # noqa: E402


def main():
    ferry, guest = sys.argv[1:3]
    work = tempfile.mkdtemp(prefix="fi.", dir="/tmp")
    procs = []
    try:
        sock = os.path.join(work, "lan")
        udp = lan_guest.free_port(socket.SOCK_DGRAM)
        procs.append(lan_guest.start_lan(ferry, sock, ["--udp", f"{udp}:7"]))
        board = subprocess.Popen([ferry, "run", "--guest", guest, "--lan", sock,
                                  "--semihosting"], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        procs.append(board)
        console = lan_guest.Console(board)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        deadline = time.monotonic() + 60
        while board.poll() is None and time.monotonic() < deadline:
            s.sendto(b"knock", ("127.0.0.1", udp))
            time.sleep(0.05)
        if board.poll() is None:
            lan_guest.fail("the board did not end within 60 s")
        console.wait(r"FERRY-TEST net_lies: PASS", 5)
        if board.returncode != 0:
            lan_guest.fail(f"the board exited {board.returncode}")
        print("PASS", flush=True)
    finally:
        lan_guest.stop(procs, work)


if __name__ == "__main__":
    main()
