#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""After a failed ctest run: each failed test's verdict lines and the end of
its output, last, where a reader of a long log looks first (ctest prints a
failed test's output among the others' progress lines).

  failed_tests.py BUILD_DIR [LINES]
"""
import os
import re
import sys


def records(log):
    """(name, output lines, passed) for each test in ctest's LastTest.log."""
    name, out, inside = None, [], False
    for line in log:
        m = re.match(r"\d+/\d+ Test: (\S+)$", line)
        if m:
            name, out, inside = m.group(1), [], False
        elif line == "Output:":
            inside = True
        elif line == "<end of output>":
            inside = False
        elif inside:
            out.append(line)
        elif name and line in ("Test Passed.", "Test Failed."):
            yield name, out[1:], line == "Test Passed."
            name = None


def main():
    build = sys.argv[1]
    keep = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    path = os.path.join(build, "Testing", "Temporary", "LastTest.log")
    try:
        with open(path, errors="replace") as f:
            log = f.read().splitlines()
    except OSError as e:
        print(f"failed_tests: no ctest log: {e}")
        return
    for name, out, passed in records(log):
        if passed:
            continue
        verdicts = [l for l in out if re.match(r"(FAIL|ERROR|Assertion|AddressSanitizer)", l)]
        print(f"=== {name} failed: {len(out)} lines of output")
        for line in verdicts[:10]:
            print(f"  verdict: {line}")
        print(f"--- its last {min(keep, len(out))} lines")
        for line in out[-keep:]:
            print(f"  {line}")


if __name__ == "__main__":
    main()
