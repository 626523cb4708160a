#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Prepares a Debian machine (bookworm or later) to build and test Ferry:
#  1. installs the Debian packages the build and the tests need;
#  2. adds, in a private apt directory of its own, a deb-src entry for
#     Debian's current stable suite (trixie): sources only, no binary
#     package comes from it and the machine's own apt sources are left as
#     they are;
#  3. fetches with `apt-get source` from that suite the sources built for the
#     board (mbedtls 3.6 LTS, lwIP 2.2, libfdt from u-boot 2025.01) into a
#     cache outside the build tree, so that a rebuild needs no network;
#  4. builds newlib 4.5 (trixie's) for aarch64-none-elf from its source.
#
# With --bench it also installs what the benchmarks need (matplotlib for
# their plots). With --update it reads trixie's index again and replaces a
# cached source by a newer Debian revision of the same series (a security
# update); without it, a cached source is used as it is, with no network. Idempotent and quiet when everything is already in place. Uses sudo when
# not run as root. The cache is $FERRY_CACHE (default ~/.cache/ferry); the
# versions it holds are recorded in $FERRY_CACHE/versions.txt.
set -euo pipefail

cache=${FERRY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry}
verbose=${FERRY_SETUP_VERBOSE:-0}

say() { printf 'setup: %s\n' "$*" >&2; }
die() {
	printf 'setup: error: %s\n' "$*" >&2
	exit 1
}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root for '$*': run as root or install sudo"
	fi
}

# Runs a noisy command; shows its output only when it fails.
quietly() {
	local log
	log=$(mktemp)
	if [ "$verbose" = 1 ]; then
		"$@"
	elif ! "$@" >"$log" 2>&1; then
		tail -n 40 "$log" >&2
		rm -f "$log"
		return 1
	fi
	rm -f "$log"
}

# --- 1. Debian packages ------------------------------------------------------

packages=(
	build-essential cmake ninja-build pkg-config git ca-certificates xz-utils
	gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu
	qemu-system-arm
	dpkg-dev debian-archive-keyring bzip2
	libcmocka-dev libslirp-dev
	clang llvm libclang-rt-14-dev
	clang-format
	gzip
)
update=0
for arg in "$@"; do
	case "$arg" in
	--bench) packages+=(python3-matplotlib) ;;
	--update) update=1 ;;
	*) die "unknown option $arg (setup.sh [--bench] [--update])" ;;
	esac
done

apt_updated=0
apt_update() {
	if [ "$apt_updated" = 0 ]; then
		say "refreshing the package lists"
		quietly as_root apt-get update -q || die "apt-get update failed: check the network and /etc/apt/sources.list*"
		apt_updated=1
	fi
}

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	apt_update
	say "installing: ${missing[*]}"
	quietly as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" ||
		die "could not install ${missing[*]}: run 'apt-get install ${missing[*]}' by hand to see why"
fi

# --- 2. a deb-src entry for Debian's current stable suite ----------------------

# The suite the board's libraries come from: the release that carries their
# maintained lines (docs/dependencies.md). Only its sources are listed, in
# apt's configuration of Ferry's own: the machine's sources stay as they are.
stable=trixie
aptdir="$cache/apt"
mkdir -p "$aptdir/sources" "$aptdir/lists/partial" "$aptdir/archives/partial"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || die "$keyring not found: apt-get install debian-archive-keyring"
cat >"$aptdir/sources/ferry-$stable-src.sources" <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $stable $stable-updates
Components: main
Signed-By: $keyring

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: $stable-security
Components: main
Signed-By: $keyring
EOF
stable_apt=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$aptdir/sources"
	-o Dir::State::Lists="$aptdir/lists" -o Dir::Cache="$aptdir")
# apt drops to its _apt user to download, which cannot write a user's cache.
[ "$(id -u)" -eq 0 ] || stable_apt+=(-o APT::Sandbox::User="$(id -un)")
# Nor do the machine's pins and default release apply to it; unsigned indexes never do.
stable_apt+=(-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
	-o APT::Default-Release= -o Acquire::AllowInsecureRepositories=false)
stable_updated=0
stable_update() {
	if [ "$stable_updated" = 0 ]; then
		say "refreshing the index of Debian $stable's sources"
		quietly apt-get "${stable_apt[@]}" update -q ||
			die "could not read the index of Debian $stable's sources from deb.debian.org: check the network"
		stable_updated=1
	fi
}
ls "$aptdir/lists/"*"_dists_${stable}_InRelease" >/dev/null 2>&1 || stable_update

# --- 3. sources built for the board ---------------------------------------------

mkdir -p "$cache/debsrc" "$cache/src" "$cache/licenses"
versions="$cache/versions.txt"
touch "$versions"

recorded() { grep -s "^$1 " "$versions" | cut -d' ' -f2; }
record() {
	grep -v "^$1 " "$versions" >"$versions.new" || true
	echo "$1 $2" >>"$versions.new"
	mv "$versions.new" "$versions"
}

# Downloads the source package of a series from Debian's stable suite with
# apt-get, which checks every file against the signed index, unless the
# cache holds it; with --tar-only, only its upstream tarball.
fetch_source() {
	local pkg=$1 series=$2 only=${3:-} newest
	if [ "$update" = 1 ]; then
		stable_update
		newest=$(apt-get "${stable_apt[@]}" source -q --print-uris $only "$pkg" 2>/dev/null |
			sed -n "s/^'[^']*' \(${pkg}_[^ ]*\.\(dsc\|orig\.tar\.[a-z0-9]*\)\) .*/\1/p" | head -n 1)
		if [ -n "$newest" ] && [ ! -f "$cache/debsrc/$newest" ]; then
			say "Debian $stable has a newer $pkg ($newest): replacing the cached one"
			rm -f "$cache/debsrc/${pkg}_"*
		fi
	fi
	if ls "$cache/debsrc/${pkg}_${series}"*.orig.tar.* >/dev/null 2>&1 &&
		{ [ -n "$only" ] || ls "$cache/debsrc/${pkg}_${series}"*.dsc >/dev/null 2>&1; }; then
		return 0
	fi
	say "fetching the source of $pkg from Debian $stable"
	(cd "$cache/debsrc" && quietly apt-get "${stable_apt[@]}" source -q --download-only $only "$pkg") || {
		stable_updated=0
		stable_update
		(cd "$cache/debsrc" && quietly apt-get "${stable_apt[@]}" source -q --download-only $only "$pkg")
	} || die "'apt-get source $only $pkg' from Debian $stable failed (its log above)"
	ls "$cache/debsrc/${pkg}_${series}"*.orig.tar.* >/dev/null 2>&1 ||
		die "Debian $stable's $pkg is not of the $series series Ferry is written against (got $(cd "$cache/debsrc" && ls "${pkg}_"*.orig.tar.* | tr '\n' ' '))"
}

# The newest upstream tarball of a series in the cache.
orig_of() { ls "$cache/debsrc/${1}_${2}"*.orig.tar.* | sort -V | tail -n 1; }
# Its upstream version: mbedtls_3.6.6.orig.tar.bz2 -> 3.6.6
orig_version() { basename "$1" | sed 's/^[^_]*_//; s/\.orig\.tar\..*$//; s/+dfsg.*//'; }

# mbedtls and lwIP: unpacked whole, Debian patches applied by dpkg-source.
unpack_source() {
	local pkg=$1 series=$2 dsc ver
	fetch_source "$pkg" "$series"
	dsc=$(ls "$cache/debsrc/${pkg}_${series}"*.dsc | sort -V | tail -n 1)
	# The Debian version: a new revision (a security fix) is unpacked again.
	ver=$(sed -n 's/^Version: //p' "$dsc")
	if [ "$(recorded "$pkg")" != "$ver" ] || [ ! -d "$cache/src/$pkg" ]; then
		say "unpacking $pkg $ver"
		rm -rf "$cache/src/$pkg" "$cache/src/$pkg.tmp"
		# The .dsc's checksums are checked; its signature is the archive's index's, already checked by apt.
		quietly dpkg-source -x "$dsc" "$cache/src/$pkg.tmp" || die "could not unpack $dsc"
		mv "$cache/src/$pkg.tmp" "$cache/src/$pkg"
		record "$pkg" "$ver"
	fi
}

unpack_source mbedtls 3.6.
unpack_source lwip 2.2.
[ -f "$cache/src/mbedtls/include/mbedtls/ssl.h" ] || die "mbedtls source in $cache/src/mbedtls is incomplete: delete it and run again"
[ -f "$cache/src/lwip/src/core/tcp.c" ] || die "lwip source in $cache/src/lwip is incomplete: delete it and run again"
cp "$cache/src/mbedtls/LICENSE" "$cache/licenses/mbedtls-LICENSE"
# p256-m's terms are stated in its folder's README (Apache-2.0 OR GPL-2.0-or-later).
cp "$cache/src/mbedtls/3rdparty/p256-m/README.md" "$cache/licenses/mbedtls-p256-m-README.md"
cp "$cache/src/lwip/COPYING" "$cache/licenses/lwip-COPYING"

# take_folder NAME TARBALL FOLDER DEST LICENCE LICENCE_AS CHECK: one folder of
# an upstream tarball apt verified, and its licence, into DEST (its file
# CHECK present), unless the cache holds it from this version already.
take_folder() {
	local name=$1 tarball=$2 folder=$3 dest=$4 licence=$5 licence_as=$6 check=$7 ver tmp
	ver=$(orig_version "$tarball")
	[ "$(recorded "$name")" = "$ver" ] && [ -f "$dest/$check" ] && return 0
	say "extracting $folder from $(basename "$tarball")"
	tmp=$(mktemp -d)
	tar -xf "$tarball" -C "$tmp" --wildcards "*/$folder/*" "*/$licence" ||
		die "$tarball has no $folder"
	rm -rf "$dest"
	mkdir -p "$(dirname "$dest")"
	mv "$tmp"/*/"$folder" "$dest"
	cp "$tmp"/*/"$licence" "$cache/licenses/$licence_as"
	rm -rf "$tmp"
	record "$name" "$ver"
}

# libfdt: only scripts/dtc/libfdt of the u-boot source is needed.
fetch_source u-boot 2025.01 --tar-only
take_folder libfdt-from-u-boot "$(orig_of u-boot 2025.01)" scripts/dtc/libfdt "$cache/src/libfdt" \
	Licenses/bsd-2-clause.txt libfdt-BSD-2-Clause.txt libfdt.h

# --- 4. newlib for aarch64-none-elf ----------------------------------------------

fetch_source newlib 4.5. --tar-only
nl_tar=$(orig_of newlib 4.5.)
nl_ver=$(orig_version "$nl_tar")
# Built without the Linux compiler's "this is Linux" macros, as the board
# itself is (cmake/board-image.cmake): newlib's headers then describe the
# library the board links (its sys/config.h keys off __linux__).
nl_unlinux="-U__linux__ -U__linux -Ulinux -U__gnu_linux__ -U__unix__ -U__unix -Uunix"
nl_build="$nl_ver-freestanding"
if [ "$(recorded newlib)" != "$nl_build" ] || [ ! -f "$cache/newlib/aarch64-none-elf/lib/libc.a" ]; then
	say "building newlib $nl_ver for aarch64-none-elf (about a minute)"
	command -v aarch64-linux-gnu-gcc >/dev/null || die "aarch64-linux-gnu-gcc not found: apt-get install gcc-aarch64-linux-gnu"
	work=$(mktemp -d)
	tar -xf "$nl_tar" -C "$work"
	srcdir=$(find "$work" -mindepth 2 -maxdepth 2 -name configure -printf '%h\n' | head -n 1)
	mkdir -p "$work/build"
	t=aarch64-linux-gnu
	(cd "$work/build" && quietly "$srcdir/configure" --target=aarch64-none-elf \
		--prefix="$cache/newlib.tmp" --disable-multilib --disable-nls \
		--disable-newlib-supplied-syscalls --enable-newlib-reent-small \
		--disable-newlib-fvwrite-in-streamio --disable-newlib-wide-orient \
		--enable-newlib-nano-malloc --enable-lite-exit \
		CC_FOR_TARGET=$t-gcc AR_FOR_TARGET=$t-ar AS_FOR_TARGET=$t-as \
		LD_FOR_TARGET=$t-ld RANLIB_FOR_TARGET=$t-ranlib NM_FOR_TARGET=$t-nm \
		OBJDUMP_FOR_TARGET=$t-objdump STRIP_FOR_TARGET=$t-strip \
		CFLAGS_FOR_TARGET="-O2 -ffunction-sections -fdata-sections -fno-pic $nl_unlinux" &&
		quietly make -j"$(nproc)" all-target-newlib &&
		quietly make install-target-newlib) || die "newlib build failed (log above)"
	rm -rf "$cache/newlib"
	mv "$cache/newlib.tmp" "$cache/newlib"
	cp "$srcdir/COPYING.NEWLIB" "$cache/licenses/newlib-COPYING.NEWLIB"
	rm -rf "$work"
	record newlib "$nl_build"
fi

# --- 4b. QEMU's own QMP client library, for the test that drives a board with it --

# python/qemu/qmp of Debian's qemu source: only that folder of the upstream
# tarball apt verified (LGPL-2.0-or-later, tests only: nothing of it is built in).
fetch_source qemu 10. --tar-only
take_folder qemu-qmp "$(orig_of qemu 10.)" python/qemu/qmp "$cache/src/qemu-qmp/qemu/qmp" \
	COPYING.LIB qemu-qmp-COPYING.LIB __init__.py

# --- 5. guest images for the tests: Debian's arm64 kernel and busybox ------------------

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	say "adding the arm64 architecture to apt (to download the test guest's kernel)"
	as_root dpkg --add-architecture arm64
	apt_updated=0
	apt_update
fi

# Downloads the newest arm64 .deb of a package into the cache; prints its path.
fetch_arm64_deb() {
	local pkg=$1 deb
	deb=$(ls "$cache/debs/${pkg}_"*_arm64.deb 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -z "$deb" ]; then
		mkdir -p "$cache/debs"
		(cd "$cache/debs" && quietly apt-get download -q "$pkg:arm64") || {
			apt_updated=0
			apt_update
			(cd "$cache/debs" && quietly apt-get download -q "$pkg:arm64")
		} || die "'apt-get download $pkg:arm64' failed"
		deb=$(ls "$cache/debs/${pkg}_"*_arm64.deb | sort -V | tail -n 1)
	fi
	echo "$deb"
}

guests="$cache/guests/linux"
if [ ! -f "$guests/Image" ] || [ ! -f "$guests/busybox" ]; then
	kpkg=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^:]*\).*/\1/p' | head -n 1)
	[ -n "$kpkg" ] || { apt_updated=0; apt_update; kpkg=$(apt-cache depends linux-image-arm64:arm64 | sed -n 's/^ *Depends: \(linux-image-[^:]*\).*/\1/p' | head -n 1); }
	[ -n "$kpkg" ] || die "cannot resolve linux-image-arm64:arm64 to a kernel package"
	say "fetching the test guest: $kpkg and busybox-static (arm64)"
	kdeb=$(fetch_arm64_deb "$kpkg")
	bdeb=$(fetch_arm64_deb busybox-static)
	tmp=$(mktemp -d)
	dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*' ||
		die "no kernel image in $kdeb"
	dpkg-deb -x "$bdeb" "$tmp/bb"
	mkdir -p "$guests"
	k=$(ls "$tmp"/boot/vmlinuz-* | head -n 1)
	# Debian ships arm64 kernels as a plain Image, older ones gzip-compressed.
	if gzip -t "$k" 2>/dev/null; then gzip -dc "$k" >"$guests/Image.tmp"; else cp "$k" "$guests/Image.tmp"; fi
	[ "$(dd if="$guests/Image.tmp" bs=1 skip=56 count=4 2>/dev/null)" = "$(printf 'ARM\x64')" ] ||
		die "$k is not an arm64 Image"
	mv "$guests/Image.tmp" "$guests/Image"
	cp "$tmp/bb/bin/busybox" "$guests/busybox"
	rm -rf "$tmp"
	record linux-image "$(basename "$kdeb" .deb)"
	record busybox-static "$(basename "$bdeb" .deb)"
fi
# The guest's network driver: virtio-mmio and virtio-net are modules in
# Debian's kernel (virtio-net needs net_failover and failover).
netmods="failover net_failover virtio_mmio virtio_net"
if [ ! -f "$guests/modules/virtio_net.ko" ]; then
	# From the very package the kernel Image came from: modules load only into their own build.
	kdeb="$cache/debs/$(sed -n 's/^linux-image //p' "$versions").deb"
	[ -f "$kdeb" ] || die "$kdeb (the guest kernel's package) is gone: remove $guests and run again"
	say "taking the guest's network modules from $(basename "$kdeb")"
	tmp=$(mktemp -d)
	for m in $netmods; do
		dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$tmp" --wildcards "./lib/modules/*/$m.ko" ||
			die "no $m.ko in $kdeb"
	done
	mkdir -p "$guests/modules"
	for m in $netmods; do cp "$(find "$tmp" -name "$m.ko" | head -n 1)" "$guests/modules/"; done
	rm -rf "$tmp"
fi

[ "$verbose" = 1 ] && cat "$versions" >&2
exit 0
