# SPDX-License-Identifier: Apache-2.0
"""A numbered UDP datagram every millisecond to a guest's echo service,
each one's sending and each answer's arrival stamped with the wall clock
(µs): what e2e.qemu.lan_migrate_* and bench/net.py judge a migration by."""
import socket
import threading
import time

PERIOD_S = 0.001


class Flow:
    def __init__(self, port):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.connect(("127.0.0.1", port))
        self.s.settimeout(0.2)
        self.sent_at, self.answers = [], []  # answers: (arrival µs, datagram number)
        self.stop, self.drain_until = threading.Event(), float("inf")
        self.threads = [threading.Thread(target=self.send, daemon=True),
                        threading.Thread(target=self.receive, daemon=True)]
        for t in self.threads:
            t.start()

    @property
    def sent(self):
        return len(self.sent_at)

    def send(self):
        next_at = time.monotonic()
        while not self.stop.is_set():
            n = len(self.sent_at)
            self.sent_at.append(int(time.time() * 1e6))
            self.s.send(b"seq %08d" % n)
            next_at += PERIOD_S
            time.sleep(max(0.0, next_at - time.monotonic()))

    def receive(self):
        while not self.stop.is_set() or time.monotonic() < self.drain_until:
            try:
                data = self.s.recv(2048)
            except socket.timeout:
                continue
            self.answers.append((int(time.time() * 1e6), int(data.split()[1])))

    def finish(self, drain_s):
        """Stops sending; answers still come for drain_s."""
        self.drain_until = time.monotonic() + drain_s
        self.stop.set()
        for t in self.threads:
            t.join()

    def verdict(self, numbers=None):
        """(lost, answered more than once, answered out of order) among numbers (all sent)."""
        numbers = range(self.sent) if numbers is None else numbers
        wanted, count, order, last = set(numbers), {}, 0, -1
        for _, n in list(self.answers):  # in the order they were received
            if n not in wanted:
                continue
            count[n] = count.get(n, 0) + 1
            order += n < last
            last = max(last, n)
        lost = [n for n in numbers if n not in count]
        twice = [n for n, k in count.items() if k > 1]
        return lost, twice, order
