# SPDX-License-Identifier: Apache-2.0
# Where a test script's unix sockets go: a fresh private directory (0700)
# under ${XDG_RUNTIME_DIR:-/tmp}, chosen as the ferry tool chooses its own
# (tools/ferry/runtime_dir.c). A socket's path must fit in sun_path (107
# bytes), which a path in a deep build tree does not; logs stay in the
# build tree. Sourced; sets $run_dir and removes it when the script exits.
run_dir=$(mktemp -d "${XDG_RUNTIME_DIR:-/tmp}/ferry.XXXXXX") || {
	echo "cannot make a private directory for the sockets" >&2
	exit 2
}
trap 'rm -rf "$run_dir"' EXIT
