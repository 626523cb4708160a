#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Prepares a Debian bookworm machine to build and test Ferry:
#  1. installs the Debian packages the build and the tests need;
#  2. adds a deb-src entry when the machine has none;
#  3. fetches with `apt-get source` the sources that are built for the board
#     (mbedtls 2.28, lwIP 2.1, libfdt from u-boot) into a cache outside the
#     build tree, so that a rebuild needs no network;
#  4. builds newlib for aarch64-none-elf from the newlib-source package.
#
# With --bench it also installs what the benchmarks need (matplotlib for
# their plots). Idempotent and quiet when everything is already in place. Uses sudo when
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
	newlib-source dpkg-dev
	libcmocka-dev libslirp-dev
	clang llvm libclang-rt-14-dev
	clang-format
	gzip
)
[ "${1:-}" = --bench ] && packages+=(python3-matplotlib)

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

# --- 2. a deb-src entry --------------------------------------------------------

has_deb_src() {
	{ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } |
		grep -qE '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)'
}

if ! has_deb_src; then
	say "adding a deb-src entry for the enabled Debian archives"
	tmp=$(mktemp)
	if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
		# deb822 files: copy each "Types: deb" stanza as "Types: deb-src".
		for f in $(grep -l 'debian' /etc/apt/sources.list.d/*.sources); do
			sed -n '/^Types:/,$p' "$f" | sed 's/^Types:.*/Types: deb-src/'
			echo
		done >"$tmp"
		as_root install -m 0644 "$tmp" /etc/apt/sources.list.d/ferry-deb-src.sources
	else
		grep -hsE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list | sed 's/^\([[:space:]]*\)deb/\1deb-src/' >"$tmp"
		[ -s "$tmp" ] || die "no 'deb' entry found in /etc/apt/sources.list to derive a deb-src entry from"
		as_root install -m 0644 "$tmp" /etc/apt/sources.list.d/ferry-deb-src.list
	fi
	rm -f "$tmp"
	apt_updated=0
	apt_update
fi

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

# Downloads a source package with apt-get (which checks every file against the
# signed archive index) and prints the path of its .dsc.
fetch_source() {
	local pkg=$1 dsc
	dsc=$(ls "$cache/debsrc/${pkg}_"*.dsc 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -z "$dsc" ]; then
		(cd "$cache/debsrc" && quietly apt-get source -q --download-only "$pkg") || {
			apt_updated=0
			apt_update
			(cd "$cache/debsrc" && quietly apt-get source -q --download-only "$pkg")
		} || die "'apt-get source $pkg' failed: the machine needs a deb-src entry for Debian bookworm"
		dsc=$(ls "$cache/debsrc/${pkg}_"*.dsc | sort -V | tail -n 1)
	fi
	echo "$dsc"
}

# The upstream version of a .dsc: mbedtls_2.28.3-1.dsc -> 2.28.3
dsc_version() { sed -n 's/^Version: \(.*\)$/\1/p' "$1" | sed 's/^[0-9]*://; s/-[^-]*$//; s/+dfsg.*//'; }

need_series() {
	case "$2" in
	$3*) ;;
	*) die "$1 $2 found, but Ferry is written against the $3x series: install a Debian release that ships it" ;;
	esac
}

# mbedtls and lwIP: unpacked whole, Debian patches applied by dpkg-source.
unpack_source() {
	local pkg=$1 series=$2 dsc ver
	dsc=$(fetch_source "$pkg")
	ver=$(dsc_version "$dsc")
	need_series "$pkg" "$ver" "$series"
	if [ "$(recorded "$pkg")" != "$ver" ] || [ ! -d "$cache/src/$pkg" ]; then
		say "unpacking $pkg $ver"
		rm -rf "$cache/src/$pkg" "$cache/src/$pkg.tmp"
		quietly dpkg-source --no-check -x "$dsc" "$cache/src/$pkg.tmp" || die "could not unpack $dsc"
		mv "$cache/src/$pkg.tmp" "$cache/src/$pkg"
		rm -f "$cache/src/${pkg}_"*
		record "$pkg" "$ver"
	fi
}

unpack_source mbedtls 2.28.
unpack_source lwip 2.1.
[ -f "$cache/src/mbedtls/include/mbedtls/ssl.h" ] || die "mbedtls source in $cache/src/mbedtls is incomplete: delete it and run again"
[ -f "$cache/src/lwip/src/core/tcp.c" ] || die "lwip source in $cache/src/lwip is incomplete: delete it and run again"
cp "$cache/src/mbedtls/LICENSE" "$cache/licenses/mbedtls-LICENSE"
cp "$cache/src/lwip/COPYING" "$cache/licenses/lwip-COPYING"

# libfdt: only scripts/dtc/libfdt of the u-boot source is needed, so it is
# taken straight from the upstream tarball that apt verified.
dsc=$(fetch_source u-boot)
ver=$(dsc_version "$dsc")
if [ "$(recorded libfdt-from-u-boot)" != "$ver" ] || [ ! -f "$cache/src/libfdt/libfdt.h" ]; then
	say "extracting libfdt from u-boot $ver"
	orig=$(ls "$cache/debsrc/u-boot_"*.orig.tar.* | sort -V | tail -n 1)
	tmp=$(mktemp -d)
	tar -xf "$orig" -C "$tmp" --wildcards '*/scripts/dtc/libfdt/*' '*/Licenses/bsd-2-clause.txt' ||
		die "u-boot source $orig has no scripts/dtc/libfdt"
	rm -rf "$cache/src/libfdt"
	mv "$tmp"/*/scripts/dtc/libfdt "$cache/src/libfdt"
	cp "$tmp"/*/Licenses/bsd-2-clause.txt "$cache/licenses/libfdt-BSD-2-Clause.txt"
	rm -rf "$tmp"
	record libfdt-from-u-boot "$ver"
fi

# --- 4. newlib for aarch64-none-elf ----------------------------------------------

nl_tar=$(ls /usr/src/newlib/newlib-*.tar.* 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$nl_tar" ] || die "newlib source tarball not found in /usr/src/newlib: apt-get install newlib-source"
nl_ver=$(basename "$nl_tar" | sed 's/^newlib-//; s/\.tar\..*$//')
need_series newlib "$nl_ver" 3.
if [ "$(recorded newlib)" != "$nl_ver" ] || [ ! -f "$cache/newlib/aarch64-none-elf/lib/libc.a" ]; then
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
		CFLAGS_FOR_TARGET="-O2 -ffunction-sections -fdata-sections -fno-pic" &&
		quietly make -j"$(nproc)" all-target-newlib &&
		quietly make install-target-newlib) || die "newlib build failed (log above)"
	rm -rf "$cache/newlib"
	mv "$cache/newlib.tmp" "$cache/newlib"
	cp "$srcdir/COPYING.NEWLIB" "$cache/licenses/newlib-COPYING.NEWLIB"
	rm -rf "$work"
	record newlib "$nl_ver"
fi

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
