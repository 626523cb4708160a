#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs a command (an emulated board), then judges it by its exit code and
# its console output:
#   expect.sh [--rc N] [--timeout S] [--expect ERE]... [--reject ERE]... -- CMD...
# Prints the console and the reason when the verdict is "failed".
set -u
rc_want=0
timeout_s=60
expects=()
rejects=()
while [ $# -gt 0 ]; do
	case "$1" in
	--rc) rc_want=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--expect) expects+=("$2"); shift 2 ;;
	--reject) rejects+=("$2"); shift 2 ;;
	--) shift; break ;;
	*) echo "expect.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "expect.sh: no command" >&2; exit 2; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# No standard input: QEMU's -nographic console must not wait on a terminal.
timeout --kill-after=5 "$timeout_s" "$@" </dev/null >"$log" 2>&1
rc=$?
# The board console ends lines with CR LF.
sed -i 's/\r$//' "$log"

fail() {
	echo "---- console ----"
	cat "$log"
	echo "---- verdict: FAILED: $* ----"
	exit 1
}
[ "$rc" = 124 ] || [ "$rc" = 137 ] && fail "no exit within ${timeout_s} s"
[ "$rc" = "$rc_want" ] || fail "exit code $rc, expected $rc_want"
for re in "${expects[@]}"; do
	grep -Eq -- "$re" "$log" || fail "no line matches: $re"
done
for re in "${rejects[@]}"; do
	grep -Eq -- "$re" "$log" && fail "a line matches what must not appear: $re"
done
cat "$log"
echo "---- verdict: passed (exit code $rc, ${#expects[@]} patterns found) ----"
exit 0
