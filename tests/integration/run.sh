#!/usr/bin/env bash
# run.sh - runs every test_* function of tests/integration/t_*.sh, each in a
# subshell with a fresh temp dir ($T), and ends with "N passed, N failed".
# Arguments filter by substring of the test name. PGOW_BIN is the binary.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export ROOT
: "${PGOW_BIN:?set PGOW_BIN to the cargo-pgo-wrap binary}"
export CARGO_NET_OFFLINE=true CARGO_TERM_COLOR=never NO_COLOR=1
unset RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_TARGET \
	CARGO_TARGET_DIR CARGO_PGO_WRAP_MODE CARGO_PGO_WRAP_PROFILE CARGO_PGO_WRAP_NEXT \
	CARGO_PGO_WRAP_EXCLUDE CARGO_PGO_WRAP_FRONTEND LLVM_PROFILE_FILE

source "$ROOT/tests/integration/lib.sh"
for f in "$ROOT"/tests/integration/t_*.sh; do
	source "$f"
done

passed=0 failed=0 failed_names=()
scratch=$(mktemp -d "${TMPDIR:-/tmp}/pgow-it.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
for t in $(declare -F | awk '{print $3}' | grep '^test_'); do
	if [ $# -gt 0 ]; then
		match=0
		for pat in "$@"; do case "$t" in *"$pat"*) match=1 ;; esac; done
		[ $match = 1 ] || continue
	fi
	T="$scratch/$t"
	mkdir -p "$T"
	start=$(date +%s)
	# Not inside `if`: bash ignores set -e in a tested context, so a failing command
	# in a test would pass unnoticed.
	(T="$T"; export T; set -e; "$t")
	rc=$?
	if [ $rc = 0 ]; then
		passed=$((passed + 1))
		echo "ok   $t ($(( $(date +%s) - start ))s)"
	else
		failed=$((failed + 1))
		failed_names+=("$t")
		echo "FAIL $t"
	fi
done
[ $failed = 0 ] || printf 'failed: %s\n' "${failed_names[@]}"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
