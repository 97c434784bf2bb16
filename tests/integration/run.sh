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

run_tests "$@"
