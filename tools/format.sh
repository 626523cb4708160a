#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# clang-format over the project's own C files (.clang-format).
#   tools/format.sh          reformat in place
#   tools/format.sh --check  fail, listing the files, if any is not formatted
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "clang-format not found: apt-get install clang-format" >&2; exit 2; }
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.c' '*.h' 2>/dev/null || find arch boards drivers hyp mig tests tools deps -name '*.[ch]')
if [ "${1:-}" = --check ]; then
	bad=0
	for f in "${files[@]}"; do
		clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || { echo "not formatted: $f (run tools/format.sh)"; bad=1; }
	done
	[ "$bad" = 0 ] && echo "${#files[@]} files formatted"
	exit "$bad"
fi
clang-format -i "${files[@]}"
