#!/usr/bin/env bash
# demo.sh - PGO of the bundled interpreter through cargo-pgo-wrap's wrapper
# mode: instrumented build, training run, merge, optimised build in the same
# target dir (the wrapper makes cargo rebuild), then plain vs PGO timed side
# by side. The front end (`cargo-pgo-wrap build`) will fold these steps into one.
set -euo pipefail
cd "$(dirname "$0")"
BIN=${PGOW_BIN:-$(command -v cargo-pgo-wrap || echo ../../cargo-pgo-wrap)}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
RUNS=${RUNS:-7}
TRAIN_ITERS=${TRAIN_ITERS:-5}
BENCH_ITERS=${BENCH_ITERS:-40}
here=$PWD
step() { if [ -t 2 ] && [ -z "${NO_COLOR:-}" ]; then printf "\033[1;32m%12s\033[0m %s\n" "$1" "$2" >&2; else printf "%12s %s\n" "$1" "$2" >&2; fi; }

major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
profdata=""
for c in "llvm-profdata-$major" "/usr/lib/llvm-$major/bin/llvm-profdata" llvm-profdata-21 llvm-profdata-20 llvm-profdata-19; do
	if command -v "$c" >/dev/null 2>&1; then profdata=$(command -v "$c"); break; fi
done
[ -n "$profdata" ] || { echo "demo: error: no llvm-profdata for rustc's LLVM $major; run ./install.sh" >&2; exit 4; }

export CARGO_NET_OFFLINE=true
raw="$here/target/pgo-raw"
merged="$here/target/pgo-demo.profdata"
rm -rf "$raw"

step Plain "cargo build --release (no wrapper) into target/plain"
CARGO_TARGET_DIR=target/plain cargo build --release -q

step Instrument "RUSTC_WRAPPER=cargo-pgo-wrap CARGO_PGO_WRAP_MODE=generate cargo build --release"
RUSTC_WRAPPER=$BIN CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE=$raw \
	CARGO_TARGET_DIR=target/pgo cargo build --release -q

step Train "target/pgo/release/pgo-demo $TRAIN_ITERS"
target/pgo/release/pgo-demo "$TRAIN_ITERS" >/dev/null 2>&1
step Merge "$(basename "$profdata") merge -o target/pgo-demo.profdata ($(ls "$raw" | wc -l) raw file(s))"
"$profdata" merge -o "$merged" "$raw"

step Optimize "CARGO_PGO_WRAP_MODE=use cargo build --release (same target dir: cargo rebuilds)"
RUSTC_WRAPPER=$BIN CARGO_PGO_WRAP_MODE=use CARGO_PGO_WRAP_PROFILE=$merged \
	CARGO_TARGET_DIR=target/pgo cargo build --release -q
leftover="$here/target/after-use"
rm -rf "$leftover"
LLVM_PROFILE_FILE="$leftover/%m.profraw" target/pgo/release/pgo-demo 1 >/dev/null 2>&1
[ ! -d "$leftover" ] || { echo "demo: error: the optimised binary is still instrumented" >&2; exit 8; }

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
step Timing "$RUNS runs each of pgo-demo $BENCH_ITERS, alternating plain and PGO"
plain_t=() pgo_t=()
for _ in $(seq "$RUNS"); do
	plain_t+=("$(ms target/plain/release/pgo-demo "$BENCH_ITERS")")
	pgo_t+=("$(ms target/pgo/release/pgo-demo "$BENCH_ITERS")")
done
p=$(printf '%s\n' "${plain_t[@]}" | median)
g=$(printf '%s\n' "${pgo_t[@]}" | median)
[ "$(target/plain/release/pgo-demo 3)" = "$(target/pgo/release/pgo-demo 3)" ] || { echo "demo: error: outputs differ" >&2; exit 1; }
printf '%12s %s ms (median of %s)\n' plain "$p" "$RUNS"
printf '%12s %s ms (median of %s)\n' PGO "$g" "$RUNS"
awk -v p="$p" -v g="$g" 'BEGIN { printf "%12s %.2fx (plain / PGO)\n", "speedup", p / g }'
