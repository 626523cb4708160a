#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Link throughput between two emulated boards on the same emulated Ethernet
# (QEMU -netdev stream, no relay): raw frames, plain TCP, and TLS with each
# authentication (PSK, certificates) and each suite (ChaCha20-Poly1305,
# AES-128-GCM), interleaved in rounds in one run; the receiver's rate, the
# TLS handshake time, and the device's counters per MiB (the hot path's
# profile).
#
#   bench/link.sh [ROUNDS] [SIZE] [BEFORE_IMAGE]   (default 3 rounds of 64M)
#
# With BEFORE_IMAGE (an older ferry.elf), every round also runs TCP and the
# TLS modes that image has on it, for a before/after comparison side by
# side (an image of the TLS 1.2 line has no PSK with AES-GCM).
# Writes bench/results/link.json; needs a built tree (tools/run.sh build).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
size=${2:-64M}
before=${3:-}
[ -x build/ferry ] || { echo "bench: build first (tools/run.sh build)" >&2; exit 2; }
work=$(mktemp -d /tmp/ferry-link-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
# One set of credentials per suite: the connecting board offers only that one.
for auth in psk cert; do
	for cipher in chacha20 aes-gcm; do
		build/ferry creds $([ $auth = cert ] && echo --cert) "$work/$auth-$cipher" a b >/dev/null
		echo "cipher=$cipher" >>"$work/$auth-$cipher/b/link.conf"
	done
done

# One pair of boards; prints the listening board's console.
pair() { # creds-dir append [image]
	local sock=$work/l.sock image=(${3:+--image "$3"})
	rm -f "$sock"
	build/ferry boot "${image[@]}" --cpus 1 --mem 256 --semihosting --link "$1/a" \
		--net-listen "$sock" --ferry "ferry.link_test=$size $2" >"$work/a.log" 2>&1 &
	local pid=$!
	for _ in $(seq 200); do [ -S "$sock" ] && break; sleep 0.02; done
	build/ferry boot "${image[@]}" --cpus 1 --mem 256 --semihosting --link "$1/b" \
		--net "$sock" --ferry "ferry.link_test=$size $2" >"$work/b.log" 2>&1 || true
	wait $pid || true
	tr -d "\r" <"$work/a.log"
}
rate() { sed -n 's/.*: \([0-9.]*\) MB\/s$/\1/p' | head -n 1; }
declare -A results handshakes profiles suites
modes=(raw tcp psk-chacha20 psk-aes-gcm cert-chacha20 cert-aes-gcm)
[ -n "$before" ] && modes+=(tcp-before psk-chacha20-before cert-chacha20-before cert-aes-gcm-before)
for r in $(seq "$rounds"); do
	for mode in "${modes[@]}"; do
		case $mode in
		raw) out=$(pair "$work/psk-chacha20" "ferry.link_bench=raw") ;;
		tcp) out=$(pair "$work/psk-chacha20" "ferry.link_bench=tcp") ;;
		tcp-before) out=$(pair "$work/psk-chacha20" "ferry.link_bench=tcp" "$before") ;;
		*-before) out=$(pair "$work/${mode%-before}" "" "$before") ;;
		*) out=$(pair "$work/$mode" "") ;;
		esac
		mbs=$(echo "$out" | grep -E "link: (raw frames: received all|plain TCP: received|received, checksum ok)" | rate)
		[ -n "$mbs" ] || { echo "bench: $mode failed:" >&2; echo "$out" | grep "link:" >&2; exit 1; }
		results[$mode]="${results[$mode]:-} $mbs"
		hs=$(echo "$out" | sed -n 's/.*handshake \([0-9]*\) ms$/\1/p')
		[ -n "$hs" ] && handshakes[$mode]="${handshakes[$mode]:-} $hs"
		profiles[$mode]=$(echo "$out" | sed -n 's/^link: profile per MiB: //p')
		suites[$mode]=$(echo "$out" | sed -n 's/^link: authenticated b over \([^,]*\),.*/\1/p')
		echo "round $r $mode: $mbs MB/s${hs:+, handshake $hs ms}" >&2
	done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
raw_med=$(echo "${results[raw]}" | median)
{
	echo "{"
	echo "  \"command\": \"bench/link.sh $rounds $size${before:+ $before}\","
	echo "  \"benchmark\": \"$size from one emulated board to another over QEMU -netdev stream, $rounds interleaved rounds, receiver's rate (MB/s), medians\","
	[ -n "$before" ] && echo "  \"before_image\": \"$before\","
	for mode in "${modes[@]}"; do
		med=$(echo "${results[$mode]}" | median)
		echo "  \"$mode\": { \"mb_s\": $med, \"all_mb_s\": [$(echo ${results[$mode]} | tr ' ' ',')], \"ratio_to_raw\": $(awk "BEGIN {printf \"%.3f\", $med / $raw_med}"),"
		if [ -n "${handshakes[$mode]:-}" ]; then
			echo "    \"suite\": \"${suites[$mode]}\","
			echo "    \"handshake_ms\": $(echo "${handshakes[$mode]}" | median), \"all_handshake_ms\": [$(echo ${handshakes[$mode]} | tr ' ' ',')],"
		fi
		echo "    \"profile_per_mib\": \"${profiles[$mode]}\" },"
	done
	echo "  \"unit\": \"MB/s = 10^6 bytes per second\""
	echo "}"
} >bench/results/link.json
cat bench/results/link.json
