#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two emulated boards joined by the frame relay run the link self-test; each
# board's exit code and console are judged.
#
#   link_pair.sh --ferry BIN --relay BIN --work DIR [--cert [--aes-gcm]] [--other-b KIND]
#                [--relay-fault "ARGS"] [--bytes SIZE]
#                --rc-a N --rc-b N [--expect-a RE]... [--expect-b RE]...
#
# Board a listens, board b connects. --cert: certificate mode (--aes-gcm:
# board b offers only AES-GCM). --other-b
# psk|cert gives board b credentials of another `ferry creds` run (a wrong
# key, another CA). Every board gets at most 120 s.
set -uo pipefail
ferry= relay= work= cert= aes= other_b= fault= bytes=16M rc_a=0 rc_b=0
expect_a=() expect_b=()
while [ $# -gt 0 ]; do
	case "$1" in
	--cert) cert=--cert; shift; continue ;;
	--aes-gcm) aes=1; shift; continue ;;
	--ferry) ferry=$2 ;;
	--relay) relay=$2 ;;
	--work) work=$2 ;;
	--other-b) other_b=$2 ;;
	--relay-fault) fault=$2 ;;
	--bytes) bytes=$2 ;;
	--rc-a) rc_a=$2 ;;
	--rc-b) rc_b=$2 ;;
	--expect-a) expect_a+=("$2") ;;
	--expect-b) expect_b+=("$2") ;;
	*) echo "link_pair.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
rm -rf "$work" && mkdir -p "$work"
"$ferry" creds $cert "$work/creds" a b >/dev/null || exit 2
b_dir=$work/creds/b
[ -n "$aes" ] && echo "cipher=aes-gcm" >>"$work/creds/b/link.conf"
if [ -n "$other_b" ]; then
	"$ferry" creds $([ "$other_b" = cert ] && echo --cert) "$work/other" a b >/dev/null || exit 2
	b_dir=$work/other/b
fi

# shellcheck source=tests/qemu/pair_lib.sh
. "$(dirname "$0")/pair_lib.sh"
# shellcheck source=tests/qemu/runtime_dir.sh
. "$(dirname "$0")/runtime_dir.sh"
# shellcheck disable=SC2086
start_relay "$relay" "$run_dir/a.sock" "$run_dir/b.sock" "$work/relay.log" $fault
boot() { # board creds-dir socket log
	timeout 120 "$ferry" boot --cpus 1 --mem 256 --semihosting --link "$2" --net "$3" \
		--ferry "ferry.link_test=$bytes" >"$4" 2>&1
	echo $? >"$4.rc"
}
boot a "$work/creds/a" "$run_dir/a.sock" "$work/a.log" &
pid_a=$!
boot b "$b_dir" "$run_dir/b.sock" "$work/b.log" &
pid_b=$!
wait $pid_a $pid_b
kill $relay_pid 2>/dev/null
wait $relay_pid 2>/dev/null

lines="^link:|PANIC|lwIP"
judge a "$work/a.log" "$rc_a" "$lines"
check a "$work/a.log" expect "${expect_a[@]}"
judge b "$work/b.log" "$rc_b" "$lines"
check b "$work/b.log" expect "${expect_b[@]}"
cat "$work/relay.log"
exit $status
