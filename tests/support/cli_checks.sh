#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The tool refuses a bad VM configuration on the host, before any QEMU
# starts (exit 2, the reason named), as the board would have after its
# boot; one flag has one meaning (`ferry boot --append` is refused).
#
#   cli_checks.sh FERRY IMAGE GUEST
set -uo pipefail
ferry=$1 image=$2 guest=$3
status=0
# refused WANT_TEXT ARGS...: exit 2, and the message says WANT_TEXT
refused() {
	local want=$1 out rc
	shift
	out=$("$ferry" "$@" 2>&1)
	rc=$?
	echo "ferry $*: exit $rc: $out"
	[ $rc = 2 ] || { echo "FAIL: exit $rc, not 2"; status=1; }
	grep -qF -- "$want" <<<"$out" || { echo "FAIL: no '$want'"; status=1; }
}
run=(run --image "$image" --guest "$guest" --dry-run)
refused "mem must be a multiple of 2M and at least 16M" "${run[@]}" --mem 1M
refused "mem must be a multiple of 2M and at least 16M" "${run[@]}" --mem 17M
refused "name must be 1-15 letters" "${run[@]}" --name 'bad name!'
refused "--cpus 1: the board needs 2 (the 2 vCPUs)" "${run[@]}" --vcpus 2 --cpus 1
refused "the board needs 3 (the 2 vCPUs and a CPU beside them" "${run[@]}" --vcpus 2 --cpus 2 --mgmt /tmp/x.mgmt
refused "--append is a guest's command line" boot --image "$image" --append ferry.test=crash --dry-run
out=$("$ferry" "${run[@]}" --vcpus 2 --mem 64M) || { echo "FAIL: a good configuration was refused: $out"; status=1; }
[ $status = 0 ] && echo "PASS"
exit $status
