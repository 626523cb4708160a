#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One entry point for people and CI. Each command sets up what it needs
# (Debian packages, dependency sources, newlib: tools/setup.sh), builds,
# then does its job:
#   tools/run.sh demo    boot the board; Ferry runs Debian's arm64 Linux on 2 vCPUs
#   tools/run.sh test    the whole test suite (ctest)
#   tools/run.sh build   set up and build only
#   tools/run.sh setup   set up only
set -euo pipefail
cd "$(dirname "$0")/.."

cmd=${1:-}
shift || true

setup() { bash tools/setup.sh; }

build() {
	setup
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
	ctest --preset host "$@"
	;;
demo)
	build
	cache=${FERRY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry}
	# The guest runs a few checks on its own, then powers off (ferry.check);
	# drop it from --append for an interactive shell.
	exec build/ferry run --guest "$cache/guests/linux/Image" --initrd build/guests/initramfs.cpio \
		--mem 512M --vcpus 2 --append "console=ttyAMA0 quiet ferry.check" "$@"
	;;
*)
	echo "usage: tools/run.sh demo|test|build|setup" >&2
	exit 2
	;;
esac
