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

# folder: the folders (or single files) its files may include; itself always.
# arch/ and drivers/ see of hyp/ only the interfaces hyp/ declares for them
# (what it needs from the architecture, and what the arch layer calls).
rules='
lib:
boards: lib
arch/arm64: lib boards hyp/arch.h hyp/arch_vcpu.h hyp/arch_mm.h hyp/vcpu_regs.h hyp/irq.h hyp/console.h
drivers: lib boards hyp/arch.h
hyp: lib mig boards
mig: lib
link: lib mig drivers boards hyp/arch.h hyp/console.h
system: lib arch/arm64 drivers hyp mig link boards
tools/ferry: lib boards link mig
tools/mkinitramfs: lib
tests: *
bench: *
deps: *
'

status=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
files=$(git ls-files --cached --others --exclude-standard '*.c' '*.h' '*.S' 2>/dev/null ||
	find . -name '*.[chS]' | sed 's|^\./||')
# Every "file include" pair whose include is one of ours (not a dependency's
# header: mbedtls, lwIP, libfdt), judged in one pass.
# shellcheck disable=SC2086
grep -H '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' $files |
	sed 's/:[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/ \1/' |
	while read -r file inc; do [ -e "$inc" ] && echo "$file $inc"; done |
	awk -v rules="$rules" -v edges="$edges" '
	BEGIN {
		n = split(rules, lines, "\n")
		for (i = 1; i <= n; i++) {
			if (split(lines[i], w, " ") < 1)
				continue
			name = w[1]; sub(/:$/, "", name)
			folders[name] = 1
			allowed[name] = " "
			for (k = 2; k in w; k++)
				allowed[name] = allowed[name] w[k] " "
		}
	}
	function folder_of(path,   f, best) {
		best = ""
		for (f in folders)
			if (index(path, f "/") == 1 && length(f) > length(best))
				best = f
		return best
	}
	{
		from = folder_of($1); to = folder_of($2)
		if (from == "") { print "layering: " $1 " is in no folder the rules know"; bad = 1; next }
		if (allowed[from] == " * " || to == from)
			next
		print from, to > edges
		if (index(allowed[from], " " to " ") || index(allowed[from], " " $2 " "))
			next
		print "layering: " $1 " includes " $2 " (" from " may include:" allowed[from] ")"
		bad = 1
	}
	END { exit bad }' || status=1

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
	echo "layering: folders on a cycle of includes (with what leads to it):"
	sed 's/ / -> /; s/^/  /' "$edges"
	status=1
fi
[ $status = 0 ] && echo "layering: every include keeps to its folder's rule, no cycle"
exit $status
