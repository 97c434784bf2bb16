#!/usr/bin/env bash
# merge.sh - merging 1,000 raw profiles (from 1,000 runs of an instrumented
# binary): llvm-profdata single-threaded vs --num-threads, one-shot vs
# incremental (10 batches of 100 folded into the previous result), and
# `cargo-pgo-wrap merge` itself. Medians of 7 round-robin rounds (3 for incremental).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${PGOW_BIN:-$ROOT/cargo-pgo-wrap}
N=${FILES:-1000}
W=$(mktemp -d "${TMPDIR:-/tmp}/pgow-merge.XXXXXX")
trap 'rm -rf "$W"' EXIT
cp -r "$ROOT/tests/fixtures/ws" "$W/ws"
cd "$W/ws"
export CARGO_NET_OFFLINE=true CARGO_PGO_WRAP_CACHE=$W/cache CARGO_PGO_WRAP_JOURNAL=$W/journal
RUSTC_WRAPPER=$BIN CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE=$W/raw cargo build --release -q 2>/dev/null
for i in $(seq "$N"); do LLVM_PROFILE_FILE="$W/raw/run-%p.profraw" target/release/fixbin $((i % 50 + 1)) >/dev/null; done
major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
pd=$(command -v "llvm-profdata-$major" || echo "/usr/lib/llvm-$major/bin/llvm-profdata")
ls "$W"/raw/*.profraw >"$W/inputs.txt"
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median3() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
one() { "$pd" merge --num-threads="$1" --input-files="$W/inputs.txt" -o "$W/one.profdata"; }
incremental() {
	rm -f "$W/inc.profdata"
	split -l $((N / 10)) "$W/inputs.txt" "$W/batch."
	for b in "$W"/batch.*; do
		if [ -f "$W/inc.profdata" ]; then
			"$pd" merge --num-threads="$(nproc)" --input-files="$b" "$W/inc.profdata" -o "$W/inc.new" && mv "$W/inc.new" "$W/inc.profdata"
		else
			"$pd" merge --num-threads="$(nproc)" --input-files="$b" -o "$W/inc.profdata"
		fi
	done
	rm -f "$W"/batch.*
}
# Round-robin, so that drift and neighbours hit every variant alike; medians of 7.
# --replace: each run of ours merges every file (without it, a file already merged is skipped).
median7() { printf '%s\n' "$@" | sort -n | sed -n 4p; }
a1=() aj=() aw=()
for r in 1 2 3 4 5 6 7; do
	a1+=("$(ms one 1)")
	aj+=("$(ms one "$(nproc)")")
	aw+=("$(ms "$BIN" merge --replace "$W/raw")")
done
t1=$(median7 "${a1[@]}")
tj=$(median7 "${aj[@]}")
tw=$(median7 "${aw[@]}")
ti=$(median3 "$(ms incremental)" "$(ms incremental)" "$(ms incremental)")
best=$((t1 < tj ? t1 : tj))
"$pd" show "$W/one.profdata" | grep -q 'Total functions' || { echo "merge produced no profile" >&2; exit 1; }
cmp -s <("$pd" show --all-functions --counts "$W/one.profdata") <("$pd" show --all-functions --counts "$W/inc.profdata") &&
	same="identical counts" || same="COUNTS DIFFER"
echo "merging $N raw profiles with $(basename "$pd") (medians of 7 round-robin rounds; $(nproc) cores; $(date -u +%F))"
echo "  one-shot, 1 thread:        $t1 ms"
echo "  one-shot, $(nproc) threads:       $tj ms ($(awk -v a="$t1" -v b="$tj" 'BEGIN{printf "%.2fx", a/b}'))"
echo "  incremental, 10 x $((N / 10)):    $ti ms ($(awk -v a="$ti" -v b="$tj" 'BEGIN{printf "%.2fx of one-shot", a/b}'); $same)"
echo "  cargo-pgo-wrap merge:      $tw ms ($(awk -v a="$tw" -v b="$best" 'BEGIN{printf "%.2fx of the faster one-shot", a/b}'); reads each input once for its build-id and hash, merges on every core while its text form waits, attributes counts, stores)"
