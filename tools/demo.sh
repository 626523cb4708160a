#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: two emulated boards joined by an emulated Ethernet. Board A
# boots Debian's arm64 Linux on 2 vCPUs with a job that keeps writing
# memory; once it runs, Ferry migrates it live to board B over TLS (a fresh
# pre-shared key); on B the guest answers a command typed on B's console;
# then the report. Needs a built tree (tools/run.sh demo builds it).
#
#   tools/demo.sh [SECONDS]   migrate SECONDS after the VM started (default 18)
set -euo pipefail
cd "$(dirname "$0")/.."
at_s=${1:-18}
cache=${FERRY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry}
kernel=$cache/guests/linux/Image
initrd=build/guests/initramfs.cpio
work=build/demo
rm -rf "$work" && mkdir -p "$work"
build/ferry creds "$work/creds" board-b board-a >/dev/null # B listens, A connects
vm=(--vcpus 2 --cpus 3 --mem 512M)

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say "Board B: waiting for a VM (ferry run --incoming)"
coproc B { exec build/ferry run --incoming "${vm[@]}" --link "$work/creds/board-b" \
	--net-listen "$work/link.sock" 2>&1; }
b_in=${B[1]}
exec 3<&"${B[0]}"
for _ in $(seq 100); do [ -S "$work/link.sock" ] && break; sleep 0.1; done

say "Board A: Debian Linux with a memory-writing job; migration to B after ${at_s} s"
: >"$work/a.log"
build/ferry run --guest "$kernel" --initrd "$initrd" "${vm[@]}" \
	--append "console=ttyAMA0 quiet ferry.workload" --link "$work/creds/board-a" \
	--net "$work/link.sock" --ferry "ferry.migrate=precopy ferry.migrate_at=${at_s}000" \
	>"$work/a.log" 2>&1 &
a_pid=$!
# Board A's console as it comes, until its VM left.
tail -n +1 -f "$work/a.log" --pid=$a_pid | sed -u -n \
	-e 's/\r$//' \
	-e '/FERRY-LINUX\|^link:\|^migration\|^Ferry:/s/^/  A | /p' &
tail_pid=$!

# Board B's console, until the guest's shell answered there.
deadline=$((SECONDS + 240))
typed= answered=
while IFS= read -r -t 240 line <&3; do
	line=${line%$'\r'}
	case "$line" in
	*FERRY-LINUX* | link:* | migration* | Ferry:* | *"I am"*) echo "  B | $line" ;;
	esac
	case "$line" in
	"migration: the VM runs here")
		sleep 2
		say "Typing on board B's console"
		printf '%s\n' 'echo "I am the same Linux, up $(cut -d" " -f1 /proc/uptime) s, now on board B"' >&"$b_in"
		typed=1
		;;
	*"I am the same Linux, up "[0-9]*" s, now on board B"*)
		[ -n "$typed" ] && { answered=1; printf 'poweroff -f\n' >&"$b_in"; }
		;;
	*"Ferry: the VM powered off"* | *"Ferry: no VM arrived"*) break ;;
	esac
	[ $SECONDS -lt $deadline ] || break
done
wait $a_pid || true
kill $tail_pid 2>/dev/null || true
wait "$B_PID" 2>/dev/null || true

say "Report (board A, the source)"
grep -E "^migration report|^migration: (completed|failed|unresolved)" "$work/a.log" | tr -d '\r' | sed 's/^/  /'
grep -q "^migration report: downtime" "$work/a.log" || { echo "demo: the migration did not complete" >&2; exit 1; }
[ -n "$answered" ] || { echo "demo: the guest did not answer on board B" >&2; exit 1; }
echo "  The guest kept running: it answered on board B."
