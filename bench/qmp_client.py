# SPDX-License-Identifier: Apache-2.0
"""QMP, as QEMU speaks it and a Ferry board's management channel too (docs/management.md)."""
import json
import socket
import time


def qmp(path, *commands):
    """Connects to a QMP socket at path (waiting up to 10 s for it), reads the
    greeting, negotiates, runs each command in turn and returns their answers;
    events in between are skipped."""
    s = socket.socket(socket.AF_UNIX)
    for _ in range(500):
        try:
            s.connect(path)
            break
        except OSError:
            time.sleep(0.02)
    f = s.makefile("rw")
    f.readline()  # greeting
    out = []
    for cmd in ({"execute": "qmp_capabilities"},) + commands:
        f.write(json.dumps(cmd) + "\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "event" not in r:
                out.append(r)
                break
    s.close()
    return out[1:]
