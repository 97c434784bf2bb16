#!/usr/bin/env bash
# run.sh [-j N] [--quick|--cargo] [--realapp] [-v] [--list] [PATTERN...] - runs every test_*
# function of tests/integration/t_*.sh (--realapp: and of tests/realapp/t_realapp.sh),
# N at a time (default PGOW_JOBS, else the number of cores), each in a subshell with a
# fresh temp dir ($T) and an environment of its own, and ends with "N passed, N failed,
# N skipped". --quick runs only the tests declared no_cargo (`make check`, `make
# sanitize`), --cargo only the others; -v shows every test's output; --list prints
# the tests in the order they would start; patterns filter
# by substring of the test name. PGOW_BIN is the binary; PGOW_SANITIZED=1 fails a test
# on any sanitizer report of the binary; PGOW_KEEP=1 keeps the test dirs. The
# declarations (may_skip, no_cargo, slow) and skip are in lib.sh.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export ROOT
source "$ROOT/tests/integration/lib.sh"
for f in "$ROOT"/tests/integration/t_*.sh; do
	source "$f"
done
# --realapp: the real applications' tests too, in the same parallel run.
args=()
for a in "$@"; do
	if [ "$a" = --realapp ]; then
		source "$ROOT/tests/realapp/t_realapp.sh"
	else
		args+=("$a")
	fi
done

run_tests ${args[@]+"${args[@]}"}
