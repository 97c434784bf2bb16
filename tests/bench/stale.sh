#!/usr/bin/env bash
# stale.sh - how useful is a stale profile? On the fixture workspace, edit one
# function of one crate after profiling, then time three builds of the edited
# source side by side: no profile, the stale profile (as cargo-pgo-wrap uses it
# by default), and a fresh profile. Prints medians and ratios.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${PGOW_BIN:-$ROOT/cargo-pgo-wrap}
RUNS=${RUNS:-7}
ITERS=${ITERS:-1500000}
W=$(mktemp -d "${TMPDIR:-/tmp}/pgow-stale.XXXXXX")
trap 'rm -rf "$W"' EXIT
cp -r "$ROOT/tests/fixtures/ws" "$W/ws"
cd "$W/ws"
export CARGO_NET_OFFLINE=true RUSTC_WRAPPER=$BIN CARGO_PGO_WRAP_CACHE=$W/cache \
	CARGO_PGO_WRAP_WORKSPACE=$W/ws CARGO_PGO_WRAP_JOURNAL=$W/journal
q() { "$@" >/dev/null 2>"$W/last.log" || { cat "$W/last.log" >&2; exit 1; }; }

profile() { # collect a profile of the current source into the cache
	rm -rf "$W/raw"
	q env CARGO_TARGET_DIR=$W/instr CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE=$W/raw cargo build --release
	q "$W/instr/release/fixbin" 100000
	q "$BIN" merge "$W/raw"
}

profile
# One function changes: Parser::term gets an extra branch. Other functions keep their counts.
sed -i 's/let mut v = self.atom();/let mut v = self.atom();\n        if v == i64::MIN { v = 0; }/' fixlib/src/lib.rs

q env CARGO_PGO_WRAP_MODE=off cargo build --release
cp target/release/fixbin "$W/none"
cargo build --release 2>"$W/stale.log" >/dev/null
cp target/release/fixbin "$W/stale"
mismatch=$(grep -c 'hash mismatch' "$W/stale.log" || true)
stale_crates=$(awk -F'\t' '$5 == "use-stale" { print $2 }' "$W/journal" | sort -u | tr '\n' ' ')
profile
q cargo build --release
cp target/release/fixbin "$W/fresh"

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A t
for _ in $(seq "$RUNS"); do
	for b in none stale fresh; do t[$b]+="$(ms "$W/$b" "$ITERS") "; done
done
for b in none stale fresh; do
	eval "m_$b=$(printf '%s\n' ${t[$b]} | median)"
done
echo "stale-profile benefit on tests/fixtures/ws (fixbin $ITERS, median of $RUNS, $(nproc) cores, $(date -u +%F))"
echo "  stale crates: ${stale_crates:-none}; hash-mismatch warnings from rustc: $mismatch"
printf '  %-6s %5s ms\n' none "$m_none" stale "$m_stale" fresh "$m_fresh"
awk -v n="$m_none" -v s="$m_stale" -v f="$m_fresh" 'BEGIN {
	printf "  speedup over no profile: stale %.2fx, fresh %.2fx; stale keeps %.0f%% of the fresh gain\n",
		n / s, n / f, (n / f > 1) ? 100 * (n / s - 1) / (n / f - 1) : 0 }'
