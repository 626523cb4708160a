#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One entry point for people and CI. Each command sets up what it needs
# (Debian packages, dependency sources, newlib: tools/setup.sh), builds,
# then does its job:
#   tools/run.sh demo    two boards: Debian Linux live-migrated from A to B over TLS
#   tools/run.sh test    the whole test suite (ctest)
#   tools/run.sh bench   Ferry's migration against QEMU's (bench/vs_qemu.py, ~20 min)
#   tools/run.sh bench-downtime  the downtime guests see, Ferry's and QEMU's, stamped
#                        by QEMU (bench/downtime.py, ~30 min)
#   tools/run.sh bench-converge  a guest dirtying faster than the link, Ferry's and
#                        QEMU's defaults (bench/converge.py, ~10 min)
#   tools/run.sh bench-net [N]  a Linux guest's UDP service across N migrations, Ferry's
#                        and QEMU's own (bench/net.py, N=10 ~20 min)
#   tools/run.sh bench-protect [KILLS] [REPS]  protection: the guest's slowdown at 10, 20
#                                and 50 ms epochs, and the takeover over KILLS killed primaries
#   tools/run.sh bench-round-trips [K]  a VM taken back and forth K times between
#                        two boards that stay up (bench/round-trips.sh, K=100 ~15 min)
#   tools/run.sh build   set up and build only
#   tools/run.sh setup   set up only
set -euo pipefail
cd "$(dirname "$0")/.."

cmd=${1:-}
shift || true

setup() { bash tools/setup.sh "$@"; }

build() {
	setup "$@"
	if [ ! -f build/CMakeCache.txt ]; then
		cmake --preset host >/dev/null || cmake --preset host
	fi
	cmake --build --preset host
}

case "$cmd" in
setup) setup ;;
build) build ;;
test)
	build
	# A failed test's reason, last: ctest prints it among the others' lines.
	ctest --preset host "$@" || {
		rc=$?
		/usr/bin/python3 tools/failed_tests.py build
		exit $rc
	}
	;;
bench)
	build --bench
	# Debian's own Python: the one that has its python3-matplotlib
	exec /usr/bin/python3 bench/vs_qemu.py "$@"
	;;
bench-downtime)
	build --bench
	exec /usr/bin/python3 bench/downtime.py "$@"
	;;
bench-converge)
	build --bench
	exec /usr/bin/python3 bench/converge.py "$@"
	;;
bench-net)
	build
	exec /usr/bin/python3 bench/net.py "$@"
	;;
bench-protect)
	build
	exec /usr/bin/python3 bench/protect.py "$@"
	;;
bench-round-trips)
	build
	exec bash bench/round-trips.sh "$@"
	;;
demo)
	build
	exec build/ferry demo "$@"
	;;
*)
	echo "usage: tools/run.sh demo|test|bench|bench-downtime|bench-converge|bench-net|bench-protect|bench-round-trips|build|setup" >&2
	exit 2
	;;
esac
