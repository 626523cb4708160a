#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The recipes of the README and the docs run as written: each code block
# after a line `<!-- recipe: NAME ... -->` in FILE (the blocks of one NAME
# in order, as one shell script), from a folder where `build` is the build
# tree, so `build/ferry` and `build/board/...` are what a reader has.
# Exit 0 when every command of the recipe succeeded (set -e); the boards
# it left running, in the recipe's own $d, are ended.
#
#   recipes.sh FILE NAME BUILD_DIR WORK
set -uo pipefail
file=$1 name=$2 build=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
ln -s "$build" "$work/build"
# The indented block after each marker of NAME, its indentation taken off.
awk -v name="$name" '
	/^<!-- recipe: / { want = ($3 == name); inblock = 0; next }
	want && /^    / { inblock = 1; print substr($0, 5); next }
	want && inblock && !/^$/ { want = 0 }
' "$file" >"$work/recipe.sh"
[ -s "$work/recipe.sh" ] || { echo "FAIL: no recipe '$name' in $file"; exit 1; }
echo "----- recipe '$name' of $file -----"
cat "$work/recipe.sh"
echo "-----"
cd "$work" || exit 2
timeout 600 bash -c '
	set -eo pipefail
	d=
	# What the recipe left running ends with it; the recipe'\''s own status is kept.
	trap '\''rc=$?; [ -n "$d" ] && { pkill -f -- "$d/" || true; sleep 1; pkill -9 -f -- "$d/" || true; rm -rf "$d"; }; exit $rc'\'' EXIT
	set -x
	. ./recipe.sh
' >"$work/out.log" 2>&1
rc=$?
cat "$work/out.log"
[ $rc = 0 ] || { echo "FAIL: the recipe '$name' exited $rc"; exit 1; }
echo "PASS: the recipe '$name' ran as written"
