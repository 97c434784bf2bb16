#!/usr/bin/env bash
# refresh.sh - what a refresh after a one-line edit costs on real
# multi-crate applications from Debian's crates (APPS, default: cbindgen,
# then bat; see apps.sh): the profile split per unit against the profile
# whole (CARGO_PGO_WRAP_SPLIT=0), each in its own copy and cache, with the
# same EDITS edits, alternating. Prints the units the optimised build
# recompiled and the refresh's wall time, medians and their ratio.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${PGOW_BIN:-$ROOT/cargo-pgo-wrap}
EDITS=${EDITS:-3}
W=$(mktemp -d "${TMPDIR:-/tmp}/pgow-refresh.XXXXXX")
trap 'rm -rf "$W"' EXIT
unset RUSTC_WRAPPER RUSTFLAGS CARGO_PGO_WRAP_MODE CARGO_PGO_WRAP_PROFILE CARGO_PGO_WRAP_WORKSPACE CARGO_PGO_WRAP_SPLIT
source "$ROOT/tests/bench/apps.sh"

# One build of a copy; prints "<seconds> <units compiled now> <PGO units> <split files rewritten>".
build() { # app dir split(1|0)
	local s e line rewritten features
	read -r -a features <<<"$(app_features "$1")"
	s=$(date +%s%N)
	(cd "$2" && CARGO_PGO_WRAP_CACHE="$2.cache" CARGO_PGO_WRAP_SPLIT=$3 "$BIN" build --release "${features[@]}") \
		>/dev/null 2>"$2.log" || { tail -20 "$2.log" >&2; exit 1; }
	e=$(date +%s%N)
	line=$(grep -E 'PGO [0-9]+ unit\(s\) .* carry profile' "$2.log" | tail -1)
	rewritten=$(sed -n 's/.*Split per crate: [0-9]* file(s), \([0-9]*\) rewritten.*/\1/p' "$2.log" | tail -1)
	awk -v s="$s" -v e="$e" -v l="$line" -v r="${rewritten:--}" 'BEGIN {
		match(l, /PGO [0-9]+ unit/); units = substr(l, RSTART + 4, RLENGTH - 9)
		match(l, /\([0-9]+ compiled now/); now = substr(l, RSTART + 1, RLENGTH - 14)
		printf "%.1f %d %d %s\n", (e - s) / 1e9, now, units, r }'
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for app in ${APPS:-cbindgen bat}; do
	app_setup "$app" "$W/$app-split" "stale-policy: refresh\n"
	app_setup "$app" "$W/$app-whole" "stale-policy: refresh\n"
	build "$app" "$W/$app-split" 1 >/dev/null
	build "$app" "$W/$app-whole" 0 >/dev/null
	st=() sc=() wt=() wc=() sr=() units=0
	for ((k = 1; k <= EDITS; k++)); do
		app_edit "$app" "$W/$app-split" "$k"
		app_edit "$app" "$W/$app-whole" "$k"
		read -r t c units r < <(build "$app" "$W/$app-split" 1)
		st+=("$t") sc+=("$c") sr+=("$r")
		read -r t c units r < <(build "$app" "$W/$app-whole" 0)
		wt+=("$t") wc+=("$c")
	done
	mst=$(median "${st[@]}") msc=$(median "${sc[@]}") mwt=$(median "${wt[@]}") mwc=$(median "${wc[@]}")
	echo "Refresh after a one-line edit: $(basename "$(app_src "$app")") ($units PGO units), $EDITS edits, alternating; $(nproc) cores; $(date -u +%F)"
	printf '  %-22s %14s %10s\n' profile recompiled wall
	printf '  %-22s %7s of %-4s %9ss   (%s)\n' "split per unit" "$msc" "$units" "$mst" "${st[*]}"
	printf '  %-22s %7s of %-4s %9ss   (%s)\n' "whole (SPLIT=0)" "$mwc" "$units" "$mwt" "${wt[*]}"
	awk -v a="$mst" -v b="$mwt" 'BEGIN { printf "  refresh wall time, split / whole: %.2fx\n", a / b }'
	echo "  split files rewritten by each refresh: ${sr[*]}"
	rm -rf "$W/$app-split" "$W/$app-whole"
done
