#!/usr/bin/env bash
# refresh.sh - what a refresh after a one-line edit costs on a real
# multi-crate application (bat 0.22.1 from Debian's crates, its C through
# cc included): the profile split per crate against the profile whole
# (CARGO_PGO_WRAP_SPLIT=0), each in its own copy and cache, alternating
# EDITS times with the same edits. Prints the crates the optimised build
# recompiled and the refresh's wall time, medians and their ratio.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${PGOW_BIN:-$ROOT/cargo-pgo-wrap}
EDITS=${EDITS:-3}
W=$(mktemp -d "${TMPDIR:-/tmp}/pgow-refresh.XXXXXX")
trap 'rm -rf "$W"' EXIT
unset RUSTC_WRAPPER RUSTFLAGS CARGO_PGO_WRAP_MODE CARGO_PGO_WRAP_PROFILE CARGO_PGO_WRAP_WORKSPACE CARGO_PGO_WRAP_SPLIT
source "$ROOT/tests/bench/bat.sh"
ARGS=(--release "${BAT_FEATURES[@]}")

# One build of a copy; prints "<seconds> <units compiled by the optimised build> <units> <split files rewritten>".
build() { # dir split(1|0)
	local s e
	s=$(date +%s%N)
	(cd "$1" && CARGO_PGO_WRAP_CACHE="$1.cache" CARGO_PGO_WRAP_SPLIT=$2 "$BIN" build "${ARGS[@]}") >/dev/null 2>"$1.log" ||
		{ tail -20 "$1.log" >&2; exit 1; }
	e=$(date +%s%N)
	local line
	line=$(grep -E 'PGO [0-9]+ unit\(s\) .* carry profile' "$1.log" | tail -1)
	rewritten=$(sed -n 's/.*Split per crate: [0-9]* file(s), \([0-9]*\) rewritten.*/\1/p' "$1.log" | tail -1)
	awk -v s="$s" -v e="$e" -v l="$line" -v r="${rewritten:--}" 'BEGIN {
		match(l, /PGO [0-9]+ unit/); units = substr(l, RSTART + 4, RLENGTH - 9)
		match(l, /\([0-9]+ compiled now/); now = substr(l, RSTART + 1, RLENGTH - 14)
		printf "%.1f %d %d %s\n", (e - s) / 1e9, now, units, r }'
}

# Edit k adds one line to bat's tab expansion, which the training runs: a branch it never
# takes. bat's records change (the function's control flow does), its counts hardly.
edit() { # dir k
	sed -i "s/^pub fn expand_tabs(line: &str, width: usize, cursor: &mut usize) -> String {\$/&\n    if width == 1000 + $2 { return String::new(); }/" \
		"$1/src/preprocessor.rs"
	grep -q "if width == 1000 + $2 {" "$1/src/preprocessor.rs" || { echo "refresh.sh: edit $2 not applied" >&2; exit 1; }
}

bat_setup "$W/split" "stale-policy: refresh\n"
bat_setup "$W/whole" "stale-policy: refresh\n"
build "$W/split" 1 >/dev/null
build "$W/whole" 0 >/dev/null
st=() sc=() wt=() wc=() sr=() units=0
for ((k = 1; k <= EDITS; k++)); do
	edit "$W/split" "$k"
	edit "$W/whole" "$k"
	read -r t c units r < <(build "$W/split" 1)
	st+=("$t") sc+=("$c") sr+=("$r")
	read -r t c units r < <(build "$W/whole" 0)
	wt+=("$t") wc+=("$c")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mst=$(median "${st[@]}") msc=$(median "${sc[@]}") mwt=$(median "${wt[@]}") mwc=$(median "${wc[@]}")
echo "Refresh after a one-line edit: $(basename "$(ls -d /usr/share/cargo/registry/bat-0.* | sort -V | tail -n 1)") ($units PGO units), $EDITS edits, alternating; $(nproc) cores; $(date -u +%F)"
printf '  %-22s %10s %12s\n' profile recompiled wall
printf '  %-22s %6s of %-3s %10ss   (%s)\n' "split per crate" "$msc" "$units" "$mst" "${st[*]}"
printf '  %-22s %6s of %-3s %10ss   (%s)\n' "whole (SPLIT=0)" "$mwc" "$units" "$mwt" "${wt[*]}"
awk -v a="$mst" -v b="$mwt" 'BEGIN { printf "  refresh wall time, split / whole: %.2fx\n", a / b }'
echo "  split files rewritten by each refresh: ${sr[*]}"
