#!/usr/bin/env bash
# run.sh - runs every test_* function of tests/integration/t_*.sh, each in a
# subshell with a fresh temp dir ($T), and ends with "N passed, N failed".
# Arguments filter by substring of the test name. PGOW_BIN is the binary.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export ROOT
source "$ROOT/tests/integration/lib.sh"
for f in "$ROOT"/tests/integration/t_*.sh; do
	source "$f"
done

run_tests "$@"
