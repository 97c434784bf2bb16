#!/usr/bin/env bash
# pgo.sh - the PGO effect on three real workloads (regex, serde_json,
# pulldown-cmark from Debian's crates), measured side by side in one run:
# the plain release binary, the binary `cargo-pgo-wrap build` makes, and the
# binary of the manual flow (RUSTFLAGS=-Cprofile-generate, run, llvm-profdata
# merge, RUSTFLAGS=-Cprofile-use). Also the cycle's own cost. Medians, ratios.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${PGOW_BIN:-$ROOT/cargo-pgo-wrap}
RUNS=${RUNS:-5}
ROUNDS=${ROUNDS:-12}
W=$(mktemp -d "${TMPDIR:-/tmp}/pgow-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
cp -r "$ROOT/tests/bench/workloads" "$W/ws"
rm -rf "$W/ws/target"
cd "$W/ws"
export CARGO_PGO_WRAP_CACHE=$W/cache
unset RUSTC_WRAPPER RUSTFLAGS CARGO_PGO_WRAP_MODE CARGO_PGO_WRAP_PROFILE CARGO_PGO_WRAP_WORKSPACE
BENCHES=(regex-bench json-bench markdown-bench)
cat >pgo-wrap.yaml <<YAML
training:
  - { name: regex, run: ["{bin:regex-bench}", "3"] }
  - { name: json, run: ["{bin:json-bench}", "3"] }
  - { name: markdown, run: ["{bin:markdown-bench}", "3"] }
YAML
now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
q() { "$@" >/dev/null 2>"$W/last.log" || { tail -20 "$W/last.log" >&2; exit 1; }; }
major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
profdata=$(command -v "llvm-profdata-$major" || echo "/usr/lib/llvm-$major/bin/llvm-profdata")

t0=$(now); q env CARGO_TARGET_DIR="$W/plain" cargo build --release; t1=$(now)
plain_build=$(secs "$t0" "$t1")

# The cycle from nothing against the manual flow from nothing (instrument, run the
# same training, merge, rebuild), alternating CYCLES times; medians. The last
# cycle's target dir and cache stay for what follows.
manual_flow() {
	rm -rf "$W/manual" "$W/manual-raw" "$W/manual.profdata"
	q env CARGO_TARGET_DIR="$W/manual" RUSTFLAGS="-Cprofile-generate=$W/manual-raw" cargo build --release
	for b in "${BENCHES[@]}"; do q "$W/manual/release/$b" 3; done
	q "$profdata" merge -o "$W/manual.profdata" "$W/manual-raw"
	q env CARGO_TARGET_DIR="$W/manual" RUSTFLAGS="-Cprofile-use=$W/manual.profdata" cargo build --release
}
cycles=() manuals=()
for ((c = 0; c < ${CYCLES:-3}; c++)); do
	rm -rf target "$CARGO_PGO_WRAP_CACHE"
	t0=$(now); q "$BIN" build --release; t1=$(now)
	cycles+=("$(secs "$t0" "$t1")")
	t0=$(now); manual_flow; t1=$(now)
	manuals+=("$(secs "$t0" "$t1")")
done
median_of() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cycle=$(median_of "${cycles[@]}")
manual=$(median_of "${manuals[@]}")
t0=$(now); q "$BIN" build --release; t1=$(now)
fresh=$(secs "$t0" "$t1")

# A one-file edit: the refresh rebuilds only what changed in the instrumented dir.
sed -i 's/let mut r = Rng::new(7);/let mut r = Rng::new(7); let _edited = 1;/' src/lib.rs
printf 'stale-policy: refresh\n' | cat - pgo-wrap.yaml >"$W/y" && mv "$W/y" pgo-wrap.yaml
t0=$(now); CARGO_PGO_WRAP_JOURNAL="$W/refresh-journal.log" "$BIN" build --release 2>"$W/refresh.log" >/dev/null; t1=$(now)
refresh=$(secs "$t0" "$t1")
# The wrapper's journal of that build: each unit it compiled, with its decision (field 5).
reinstrumented=$(awk -F'\t' '$5 == "generate"' "$W/refresh-journal.log" | wc -l)
instrumented_total=$(find target/pgo-wrap/instrumented/release/deps -name '*.d' | wc -l)
# The optimised build after it: units compiled now (the profile is split per crate).
recompiled=$(sed -n 's/.*PGO \([0-9]*\) unit(s) .* (\([0-9]*\) compiled now.*/\2 of \1/p' "$W/refresh.log" | tail -n 1)
rewritten=$(sed -n 's/.*Split per unit: \([0-9]*\) file(s), \([0-9]*\) rewritten.*/\2 of \1/p' "$W/refresh.log" | tail -n 1)

ms() { local s e; s=$(now); "$@" >/dev/null; e=$(now); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "PGO benchmark: ${BENCHES[*]} ($ROUNDS rounds, median of $RUNS alternating runs; $(nproc) cores; $(date -u +%F))"
printf '  %-16s %9s %9s %9s %12s %12s\n' workload plain wrapper manual plain/wrap plain/manual
for b in "${BENCHES[@]}"; do
	p=() g=() m=()
	for _ in $(seq "$RUNS"); do
		p+=("$(ms "$W/plain/release/$b" "$ROUNDS")")
		g+=("$(ms target/release/$b "$ROUNDS")")
		m+=("$(ms "$W/manual/release/$b" "$ROUNDS")")
	done
	mp=$(printf '%s\n' "${p[@]}" | median); mg=$(printf '%s\n' "${g[@]}" | median); mm=$(printf '%s\n' "${m[@]}" | median)
	awk -v b="$b" -v p="$mp" -v g="$mg" -v m="$mm" 'BEGIN {
		printf "  %-16s %7d ms %7d ms %7d ms %11.2fx %11.2fx\n", b, p, g, m, p / g, p / m }'
done
echo "cycle cost: plain build ${plain_build}s; cargo-pgo-wrap build from nothing ${cycle}s, manual flow ${manual}s"
echo "            ($(awk -v a="$cycle" -v b="$manual" 'BEGIN { printf "%.2fx", a / b }'); medians of ${#cycles[@]} alternating pairs: ${cycles[*]} vs ${manuals[*]});"
echo "            second build with a fresh profile ${fresh}s; refresh after a one-file edit ${refresh}s"
echo "            (re-instrumented $reinstrumented of $instrumented_total units; the optimised build then recompiled"
echo "            ${recompiled:-?} units: $rewritten split profile files changed; tests/bench/refresh.sh compares)"
