#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`ferry lan` end to end on the host: two stand-in boards join its socket
as QEMU's -netdev stream does (4-byte big-endian length, then the frame);
a stand-in guest (52:54:00:12:34:56, 10.0.2.15) behind the first answers
ARP and echoes UDP; a host client sends numbered datagrams to the forward
on 127.0.0.1 and gets each answered once. Then the guest moves to the
second board, which announces it (a broadcast from its MAC, as a
destination does when the VM starts there): every later datagram is
answered from there, exactly once, and the first board sees none of them.

  lan_check.py FERRY   (its socket in a new short directory: unix socket
                        paths have a 108-byte limit, a checkout's path none)
"""
import json
import os
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

GUEST_MAC = bytes.fromhex("525400123456")
GUEST_IP = socket.inet_aton("10.0.2.15")
ECHO_PORT = 7


def fail(why):
    print(f"FAIL: {why}")
    sys.exit(1)


class Board:
    """A stand-in board's LAN port: a stream client of the switch."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.buf = b""
        self.echoes = 0
        self.guest_here = False

    def send(self, frame):
        self.s.sendall(struct.pack(">I", len(frame)) + frame)

    def frames(self):
        data = self.s.recv(65536)
        if not data:
            fail("the switch closed a board's port")
        self.buf += data
        out = []
        while len(self.buf) >= 4:
            (n,) = struct.unpack(">I", self.buf[:4])
            if len(self.buf) < 4 + n:
                break
            out.append(self.buf[4:4 + n])
            self.buf = self.buf[4 + n:]
        return out

    def announce(self):
        """A gratuitous ARP reply, broadcast: the switch learns the guest's new port."""
        arp = struct.pack(">HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, GUEST_MAC, GUEST_IP,
                          b"\xff" * 6, GUEST_IP)
        self.send(b"\xff" * 6 + GUEST_MAC + b"\x08\x06" + arp)

    def serve(self, frame):
        """As the guest, when it is here: ARP for its address, UDP echo."""
        if not self.guest_here or len(frame) < 14:
            return
        dst, src, kind = frame[:6], frame[6:12], frame[12:14]
        if kind == b"\x08\x06" and len(frame) >= 42:
            op, sha, spa, tpa = struct.unpack(">6xH6s4s6x4s", frame[14:42])
            if op == 1 and tpa == GUEST_IP:
                arp = struct.pack(">HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, GUEST_MAC, GUEST_IP,
                                  sha, spa)
                self.send(sha + GUEST_MAC + b"\x08\x06" + arp)
        elif kind == b"\x08\x00" and dst == GUEST_MAC and frame[23] == 17:
            ihl = (frame[14] & 15) * 4
            ip, udp = frame[14:14 + ihl], frame[14 + ihl:]
            sport, dport, ulen = struct.unpack(">HHH", udp[:6])
            if dport != ECHO_PORT:
                return
            hdr = bytearray(ip[:20])
            hdr[12:16], hdr[16:20] = ip[16:20], ip[12:16]
            hdr[10:12] = b"\0\0"
            s = sum(struct.unpack(">10H", bytes(hdr)))
            while s >> 16:
                s = (s & 0xFFFF) + (s >> 16)
            hdr[10:12] = struct.pack(">H", ~s & 0xFFFF)
            reply = struct.pack(">HHHH", dport, sport, ulen, 0) + udp[8:ulen]
            self.send(src + GUEST_MAC + b"\x08\x00" + bytes(hdr) + reply)
            self.echoes += 1


def pump(boards, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ready, _, _ = select.select([b.s for b in boards], [], [], 0.01)
        for b in boards:
            if b.s in ready:
                for f in b.frames():
                    b.serve(f)


def answers(client, boards, got, seconds):
    """Lets the boards serve for a while, collecting what came back to the client."""
    pump(boards, seconds)
    try:
        while True:
            got.append(client.recv(100))
    except BlockingIOError:
        pass


def exchange(client, boards, first, count):
    """Datagrams first..first+count-1 to the forward; each answered once, in order."""
    got = []
    for n in range(first, first + count):
        client.send(b"seq %06d" % n)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(got) <= n - first:
            answers(client, boards, got, 0.005)
    answers(client, boards, got, 0.2)
    want = [b"seq %06d" % n for n in range(first, first + count)]
    if got != want:
        fail(f"datagrams {first}..{first + count - 1}: answered {len(got)}, "
             f"first differences {[g for g in got if g not in want][:3]}, "
             f"missing {[w for w in want if w not in got][:3]}")


def main():
    ferry = sys.argv[1]
    work = tempfile.mkdtemp(prefix="fl.", dir="/tmp")
    path = os.path.join(work, "lan.sock")
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    lan = subprocess.Popen([ferry, "lan", "--socket", path, "--udp", f"{port}:{ECHO_PORT}",
                            "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(250):
            if os.path.exists(path):
                break
            time.sleep(0.02)
        else:
            fail("ferry lan made no socket")
        a, b = Board(path), Board(path)
        a.guest_here = True
        a.announce()
        client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        client.connect(("127.0.0.1", port))
        client.setblocking(False)
        exchange(client, [a, b], 0, 50)
        if a.echoes != 50 or b.echoes:
            fail(f"before the move: {a.echoes} echoes from A, {b.echoes} from B")
        # The guest moves: B announces it, A no longer has it.
        a.guest_here, b.guest_here = False, True
        b.announce()
        pump([a, b], 0.1)
        exchange(client, [a, b], 50, 50)
        if a.echoes != 50 or b.echoes != 50:
            fail(f"after the move: {a.echoes} echoes from A, {b.echoes} from B")
    finally:
        lan.terminate()
        out, err = lan.communicate(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    if lan.returncode != 0:
        fail(f"ferry lan exited {lan.returncode}: {err}")
    if "1 stations moved" not in err:
        fail(f"the switch did not see the guest move: {err}")
    # --json: the same story as JSON lines, for scripts.
    events = [json.loads(line) for line in out.splitlines()]
    names = [e["event"] for e in events]
    if names != ["ready", "port-joined", "port-joined", "stopped"] or \
            events[0]["socket"] != path or events[-1]["stations-moved"] != 1 or \
            events[-1]["frames-in"] < 200:
        fail(f"--json said: {out}")
    print("PASS: 100 datagrams answered once each, 50 before and 50 after the move")


if __name__ == "__main__":
    main()
