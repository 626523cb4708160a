#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `ferry demo --json`: stdout carries JSON lines only, one object a line:
# each migration's events (MIGRATES completed ones) and each UDP flow's
# counts (one a move, none answered twice: a datagram lost is the network
# tests' to judge, e2e.qemu.lan_*); what is said for people goes to stderr.
#
#   demo_json.sh FERRY WORK MIGRATES [DEMO ARGS...]
set -uo pipefail
ferry=$1 work=$2 migrates=$3
shift 3
rm -rf "$work" && mkdir -p "$work"
"$ferry" demo --json --work "$work/demo" "$@" >"$work/out.json" 2>"$work/said.txt"
rc=$?
tail -n 30 "$work/said.txt"
[ $rc = 0 ] || { echo "FAIL: ferry demo exited $rc"; exit 1; }
/usr/bin/python3 - "$work/out.json" "$migrates" <<'PY'
import json, sys

path, want = sys.argv[1], int(sys.argv[2])
completed, flows = 0, []
for n, line in enumerate(open(path), 1):
    try:
        obj = json.loads(line)
    except ValueError:
        sys.exit(f"FAIL: line {n} of stdout is no JSON: {line!r}")
    if obj.get("event") == "MIGRATION_COMPLETED":
        completed += 1
    if "udp-flow" in obj:
        flows.append(obj["udp-flow"])
if completed != want or len(flows) != want:
    sys.exit(f"FAIL: {completed} migrations completed, {len(flows)} flows told; {want} wanted")
bad = [f for f in flows if f["answered-twice"] or not f["answered-once"]]
if bad:
    sys.exit(f"FAIL: flows with datagrams answered twice or none answered: {bad}")
print(f"PASS: {completed} migrations and their flows as JSON lines")
PY
