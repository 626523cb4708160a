# SPDX-License-Identifier: Apache-2.0
# Shared by the two-board test scripts (link_pair.sh, migrate_pair.sh):
# the frame relay between the boards, and the verdict on each board.
# Sourced; the verdict accumulates in $status.
status=0

# start_relay RELAY SOCK_A SOCK_B LOG [FAULT...]: sets relay_pid once both sockets exist.
start_relay() {
	local relay=$1 a=$2 b=$3 log=$4
	shift 4
	"$relay" "$a" "$b" "$@" 2>"$log" &
	relay_pid=$!
	for _ in $(seq 100); do
		[ -S "$a" ] && [ -S "$b" ] && return
		sleep 0.05
	done
}

# judge NAME LOG WANT_RC LINES_ERE: shows the board's telling lines and checks its exit code.
judge() {
	local name=$1 log=$2 want=$3 lines=$4 got
	got=$(cat "$log.rc")
	echo "----- board $name (exit $got) -----"
	grep -E "$lines" "$log"
	if [ "$got" != "$want" ]; then
		echo "FAIL: board $name exited $got, expected $want"
		status=1
	fi
}

# check NAME LOG expect|reject ERE...: lines the board must (not) have printed.
check() {
	local name=$1 log=$2 mode=$3 re
	shift 3
	for re in "$@"; do
		if grep -Eq -- "$re" "$log"; then
			[ "$mode" = reject ] && { echo "FAIL: board $name printed /$re/"; status=1; }
		else
			[ "$mode" = expect ] && { echo "FAIL: board $name never printed /$re/"; status=1; }
		fi
	done
	return 0
}

# quit_when_empty FERRY LOG SOCK: in the background, powers the board off
# (ferry quit) once its console says it stays up without a VM; the pid in
# $quitter_pid. A board with a management channel outlives its VM.
quit_when_empty() {
	local ferry=$1 log=$2 sock=$3
	(
		for _ in $(seq 2400); do
			if grep -q "the board stays up" "$log" 2>/dev/null; then
				"$ferry" quit --mgmt "$sock" >/dev/null 2>&1 && exit 0
			fi
			sleep 0.1
		done
	) &
	quitter_pid=$!
}

# end_boards DIR: every process of the boards whose sockets are in DIR ends:
# SIGTERM, then after 10 s SIGKILL (a QEMU can hang in its own exit, seen
# once after a board powered off; said when it happens).
end_boards() {
	local dir=$1
	pkill -f -- "$dir/" 2>/dev/null
	for _ in $(seq 100); do
		pgrep -f -- "$dir/" >/dev/null || return 0
		sleep 0.1
	done
	echo "(a board's processes were still there 10 s after SIGTERM: killed)"
	pkill -9 -f -- "$dir/" 2>/dev/null
}

# fail WHY...: the verdict is a failure, and why.
fail() { echo "FAIL: $*"; status=1; }

# fresh_pair FERRY WORK: an empty WORK with the link credentials of boards
# b (it listens) and a in WORK/creds.
fresh_pair() {
	rm -rf "$2" && mkdir -p "$2"
	"$1" creds "$2/creds" b a >/dev/null || exit 2
}
