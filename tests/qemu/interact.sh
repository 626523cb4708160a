#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Drives a board console like a person at a terminal: runs the command,
# then performs steps in order, each with its own deadline:
#   --wait ERE    wait for a console line matching ERE
#   --send TEXT   type TEXT and Enter
#   --type TEXT   type TEXT as it is (printf escapes such as \033 allowed)
#   --sleep S     pause (a shell may flush what is typed before its prompt)
#   --rc N        finally expect this exit code (default 0)
#   --timeout S   seconds per wait step (default 120)
# interact.sh [steps...] -- CMD...
# Prints the console and the failed step on failure.
set -u
steps=()
rc_want=0
timeout_s=120
while [ $# -gt 0 ]; do
	case "$1" in
	--wait | --send | --type | --sleep) steps+=("$1" "$2"); shift 2 ;;
	--rc) rc_want=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "interact.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
log=$(mktemp)
trap 'rm -f "$log"' EXIT
coproc BOARD { exec "$@" 2>&1; }
pid=$BOARD_PID
# Bash unsets BOARD once the command exits, which can happen between two
# steps (a guest that powers off after its last line): keep our own copies
# of both ends so what it printed last can still be read.
exec {board_out}<&"${BOARD[0]}" {board_in}>&"${BOARD[1]}"
fail() {
	kill "$pid" 2>/dev/null
	cat "$log"
	echo "---- verdict: FAILED: $* ----"
	exit 1
}
i=0
while [ $i -lt ${#steps[@]} ]; do
	kind=${steps[$i]} arg=${steps[$((i + 1))]}
	i=$((i + 2))
	if [ "$kind" = --sleep ]; then
		sleep "$arg"
		continue
	fi
	if [ "$kind" = --type ]; then
		printf "$arg" >&"$board_in" || fail "could not type '$arg'"
		continue
	fi
	if [ "$kind" = --send ]; then
		printf '%s\r' "$arg" >&"$board_in" || fail "could not type '$arg'"
		continue
	fi
	deadline=$((SECONDS + timeout_s))
	found=0
	while [ $SECONDS -lt $deadline ]; do
		IFS= read -r -t $((deadline - SECONDS)) line <&"$board_out" || break
		line=${line%$'\r'}
		printf '%s\n' "$line" >>"$log"
		if [[ $line =~ $arg ]]; then found=1; break; fi
	done
	[ $found = 1 ] || fail "no line matched '$arg' within ${timeout_s} s"
done
# drain the rest until the board exits (or is stopped after the timeout)
while IFS= read -r -t "$timeout_s" line <&"$board_out"; do printf '%s\n' "${line%$'\r'}" >>"$log"; done
kill "$pid" 2>/dev/null
wait "$pid"
rc=$?
[ "$rc" = "$rc_want" ] || fail "exit code $rc, expected $rc_want"
cat "$log"
echo "---- verdict: passed ----"
