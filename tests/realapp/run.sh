#!/usr/bin/env bash
# run.sh [-j N] [-v] [PATTERN...] - the tests of t_realapp.sh (the whole lifecycle on
# pulldown-cmark and bat from Debian's crates), N at a time; ends with "N passed,
# N failed, N skipped". Options and arguments as tests/integration/run.sh's.
# PGOW_BIN is the binary.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export ROOT
source "$ROOT/tests/integration/lib.sh"
source "$ROOT/tests/realapp/t_realapp.sh"

run_tests "$@"
