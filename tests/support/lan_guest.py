#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A Linux guest on the LAN, end to end: `ferry lan` with its host endpoint,
one board running Debian's kernel with its own virtio_net module driving
Ferry's network device (ferry.net in tests/guests/linux/init: 10.0.2.15, a
UDP echo on port 7, TCP port 9 printing the sha256 of what it received).
The host sends numbered datagrams through the forward on 127.0.0.1 and
gets each answered exactly once, then one while the VM stands (stopped on
the management channel) that is answered once it goes on, with nothing
else sent, then 1 MiB over TCP whose sum the guest prints. Judged by
those answers and the guest's console line.

  lan_guest.py FERRY IMAGE INITRD   (sockets in a new short directory)
"""
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

DATAGRAMS = 200
TCP_BYTES = 1 << 20
BOOT_S = 150


def fail(why):
    print(f"FAIL: {why}", flush=True)
    sys.exit(1)


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Console:
    """The board's output, read beside the test; lines kept for matching."""

    def __init__(self, proc):
        self.lines, self.lock = [], threading.Lock()
        threading.Thread(target=self.read, args=(proc,), daemon=True).start()

    def read(self, proc):
        for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            print(line, flush=True)
            with self.lock:
                self.lines.append(line)

    def wait(self, pattern, timeout):
        rx, deadline = re.compile(pattern), time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for line in self.lines:
                    m = rx.search(line)
                    if m:
                        return m
            time.sleep(0.2)
        fail(f"no console line like {pattern!r} within {timeout} s")


def start_lan(ferry, sock, forwards):
    """`ferry lan` on sock with forwards like ["--udp", "7007:7"], once its socket is there."""
    lan = subprocess.Popen([ferry, "lan", "--socket", sock] + forwards)
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    return lan


def end(procs):
    """Ends processes (QEMU gets SIGTERM first, then 10 s before SIGKILL)."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def stop(procs, work):
    """Ends the processes a test started, then removes its folder."""
    end(procs)
    shutil.rmtree(work, ignore_errors=True)


WARM = b"hello"


def warm(s, port, tries=30):
    """The first answers wait for ARP both ways: a first datagram again until it is answered.
    On a loaded host an answer may come after its try timed out: the later tries' answers
    then still come, after this returned (their readers skip them: answer())."""
    for _ in range(tries):
        s.sendto(WARM, ("127.0.0.1", port))
        try:
            if s.recv(2048) == WARM:
                return True
        except socket.timeout:
            continue
    return False


def answer(s):
    """The next answer that is not a warm-up's late one."""
    while True:
        got = s.recv(2048)
        if got != WARM:
            return got


def udp_echo(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    if not warm(s, port):
        fail("the guest's UDP echo never answered")
    for n in range(DATAGRAMS):
        msg = b"datagram %06d" % n
        s.sendto(msg, ("127.0.0.1", port))
        try:
            got = answer(s)
        except socket.timeout:
            fail(f"datagram {n}: no answer")
        if got != msg:
            fail(f"datagram {n}: answered {got!r}")
    s.settimeout(0.5)
    try:
        extra = answer(s)
        fail(f"an answer too many: {extra!r}")
    except socket.timeout:
        pass
    print(f"lan_guest: {DATAGRAMS} datagrams answered once each", flush=True)


def qmp(path, command):
    """One command on the board's management channel (QMP: greeting, negotiation)."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    f = s.makefile("rw")
    f.readline()  # the greeting
    for cmd in ({"execute": "qmp_capabilities"}, {"execute": command}):
        f.write(json.dumps(cmd) + "\n")
        f.flush()
        while "event" in (r := json.loads(f.readline())):
            pass
        if "return" not in r:
            fail(f"{cmd['execute']}: {r}")
    s.close()


def stood_datagram(port, mgmt):
    """A datagram that reaches the VM while it stands waits for it, and is answered once it
    goes on, with nothing after it to bring it in."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    qmp(mgmt, "stop")
    msg = b"stood 000001"
    s.sendto(msg, ("127.0.0.1", port))
    try:
        fail(f"answered while the VM stood: {answer(s)!r}")
    except socket.timeout:
        pass
    qmp(mgmt, "cont")
    went_on = time.monotonic()
    s.settimeout(3)
    try:
        got = answer(s)
    except socket.timeout:
        fail("the datagram sent while the VM stood was not answered once it went on")
    if got != msg:
        fail(f"the datagram sent while the VM stood: answered {got!r}")
    print("lan_guest: a datagram sent while the VM stood answered %.1f ms after it went on"
          % ((time.monotonic() - went_on) * 1000), flush=True)


def tcp_sum(port, console):
    data = os.urandom(TCP_BYTES)
    want = hashlib.sha256(data).hexdigest()
    for _ in range(20):
        try:
            c = socket.create_connection(("127.0.0.1", port), timeout=10)
            break
        except OSError:
            time.sleep(0.5)
    else:
        fail("cannot connect to the guest's TCP port")
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    c.close()
    got = console.wait(r"FERRY-LINUX: tcp 9 sha256 ([0-9a-f]{64})", 60).group(1)
    if got != want:
        fail(f"the guest received other bytes: sha256 {got}, sent {want}")
    print(f"lan_guest: {TCP_BYTES} bytes over TCP, sha256 matches", flush=True)


def main():
    ferry, image, initrd = sys.argv[1:4]
    work = tempfile.mkdtemp(prefix="fl.", dir="/tmp")
    procs = []
    try:
        sock, mgmt = os.path.join(work, "lan"), os.path.join(work, "mgmt")
        udp, tcp = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
        procs.append(start_lan(ferry, sock, ["--udp", f"{udp}:7", "--tcp", f"{tcp}:9"]))
        board = subprocess.Popen([ferry, "run", "--guest", image, "--initrd", initrd,
                                  "--mem", "512M", "--lan", sock, "--mgmt", mgmt, "--append",
                                  "console=ttyAMA0 ferry.net"],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT)
        procs.append(board)
        console = Console(board)
        console.wait(r"FERRY-LINUX: network eth0 52:54:00:12:34:56 up", BOOT_S)
        console.wait(r"FERRY-LINUX: shell ready", 30)
        udp_echo(udp)
        stood_datagram(udp, mgmt)
        tcp_sum(tcp, console)
        print("PASS", flush=True)
    finally:
        stop(procs, work)


if __name__ == "__main__":
    main()
