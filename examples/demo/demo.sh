#!/usr/bin/env bash
# demo.sh - the bundled interpreter through `cargo-pgo-wrap build`: the whole
# cycle the first time (instrument, train from pgo-wrap.yaml, merge, optimise),
# a fresh profile and no instrumentation on later runs. Then the plain release
# build and the PGO build are timed side by side.
set -euo pipefail
cd "$(dirname "$0")"
BIN=${PGOW_BIN:-$(command -v cargo-pgo-wrap || echo ../../cargo-pgo-wrap)}
RUNS=${RUNS:-7}
BENCH_ITERS=${BENCH_ITERS:-150}
export CARGO_NET_OFFLINE=true
unset RUSTC_WRAPPER CARGO_PGO_WRAP_MODE CARGO_PGO_WRAP_PROFILE CARGO_PGO_WRAP_WORKSPACE

echo "\$ cargo build --release   (plain, into target/plain)" >&2
CARGO_TARGET_DIR=target/plain cargo build --release -q
echo "\$ cargo-pgo-wrap build --release" >&2
"$BIN" build --release

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
plain_t=() pgo_t=()
for _ in $(seq "$RUNS"); do
	plain_t+=("$(ms target/plain/release/pgo-demo "$BENCH_ITERS")")
	pgo_t+=("$(ms target/release/pgo-demo "$BENCH_ITERS")")
done
[ "$(target/plain/release/pgo-demo 3 2>/dev/null)" = "$(target/release/pgo-demo 3 2>/dev/null)" ] ||
	{ echo "demo: error: the PGO binary computes something else" >&2; exit 1; }
p=$(printf '%s\n' "${plain_t[@]}" | median)
g=$(printf '%s\n' "${pgo_t[@]}" | median)
echo "pgo-demo $BENCH_ITERS, median of $RUNS runs, alternating:"
printf '%12s %s ms\n%12s %s ms\n' plain "$p" PGO "$g"
awk -v p="$p" -v g="$g" 'BEGIN { printf "%12s %.2fx (plain / PGO)\n", "speedup", p / g }'
