#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The layering rule (docs/architecture.md, "Folders"): a file's folder says
# what it may include. Reads every #include "..." of the project's C and
# assembly files and fails on one the rules below forbid, or on a cycle
# between folders. A line `#include "x" /* layering: why */` is never
# needed: there are no exceptions.
#
#   tools/layering.sh            (from anywhere in the tree)
set -euo pipefail
cd "$(dirname "$0")/.."

# folder: the folders its files may include (itself always).
rules='
lib:
boards: lib
arch/arm64: lib boards hyp/api
drivers: lib boards hyp/api
hyp: lib hyp/api mig boards
hyp/api: lib
mig: lib
link: lib mig hyp/api drivers boards
system: lib arch/arm64 drivers hyp hyp/api mig link boards
tools/ferry: lib boards link mig
tools/mkinitramfs: lib
tests: *
bench: *
deps: *
'

folder_of() { # path -> its rule's folder (the longest that matches)
	local f=$1 best=
	while read -r name _; do
		name=${name%:}
		[ -n "$name" ] || continue
		case "$f" in "$name"/*) [ ${#name} -gt ${#best} ] && best=$name ;; esac
	done <<<"$rules"
	echo "$best"
}

allowed() { # folder -> its allowed list
	awk -v f="$1:" '$1 == f { $1 = ""; print }' <<<"$rules"
}

status=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
while IFS= read -r file; do
	from=$(folder_of "$file")
	[ -n "$from" ] || { echo "layering: $file is in no folder the rules know"; status=1; continue; }
	ok=$(allowed "$from")
	[ "$ok" = " *" ] && continue
	while IFS= read -r inc; do
		[ -e "$inc" ] || continue # a dependency's header (mbedtls, lwIP, libfdt)
		to=$(folder_of "$inc")
		[ "$to" = "$from" ] && continue
		echo "$from $to" >>"$edges"
		case " $ok " in
		*" $to "*) ;;
		*)
			echo "layering: $file includes $inc ($from may include: ${ok:- nothing else})"
			status=1
			;;
		esac
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
done < <(git ls-files '*.c' '*.h' '*.S' 2>/dev/null || find . -name '*.[chS]' | sed 's|^\./||')

# No cycle between folders: repeatedly drop folders nothing left includes.
sort -u "$edges" -o "$edges"
while :; do
	sinks=$(awk '{ from[$1] = 1; to[$2] = 1 } END { for (t in to) if (!(t in from)) print t }' "$edges")
	[ -n "$sinks" ] || break
	for s in $sinks; do
		awk -v s="$s" '$2 != s' "$edges" >"$edges.new" && mv "$edges.new" "$edges"
	done
done
if [ -s "$edges" ]; then
	echo "layering: folders that include each other (a cycle):"
	sed 's/^/  /; s/ / -> /2' "$edges"
	status=1
fi
[ $status = 0 ] && echo "layering: every include keeps to its folder's rule, no cycle"
exit $status
