#!/usr/bin/env bash
# demo.sh - the bundled interpreter through `cargo-pgo-wrap build`: the whole
# cycle the first time (instrument, train from pgo-wrap.yaml, merge, optimise),
# a fresh profile and no instrumentation on later runs. Then the plain release
# build and the PGO build are timed side by side, and their instructions
# counted under cachegrind (the stable measure on a shared machine).
set -euo pipefail
cd "$(dirname "$0")"
BIN=${PGOW_BIN:-$(command -v cargo-pgo-wrap || echo ../../cargo-pgo-wrap)}
RUNS=${RUNS:-7}
BENCH_ITERS=${BENCH_ITERS:-60}
CG_ITERS=${CG_ITERS:-10}
export CARGO_NET_OFFLINE=true
unset RUSTC_WRAPPER CARGO_PGO_WRAP_MODE CARGO_PGO_WRAP_PROFILE CARGO_PGO_WRAP_WORKSPACE

echo "\$ cargo build --release   (plain, into target/plain)" >&2
CARGO_TARGET_DIR=target/plain cargo build --release -q
echo "\$ cargo-pgo-wrap build --release" >&2
"$BIN" build --release

plain=target/plain/release/pgo-demo pgo=target/release/pgo-demo
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
plain_t=() pgo_t=()
for _ in $(seq "$RUNS"); do
	plain_t+=("$(ms "$plain" "$BENCH_ITERS")")
	pgo_t+=("$(ms "$pgo" "$BENCH_ITERS")")
done
[ "$("$plain" 3 2>/dev/null)" = "$("$pgo" 3 2>/dev/null)" ] ||
	{ echo "demo: error: the PGO binary computes something else" >&2; exit 1; }
p=$(printf '%s\n' "${plain_t[@]}" | median)
g=$(printf '%s\n' "${pgo_t[@]}" | median)
echo "pgo-demo $BENCH_ITERS, median of $RUNS runs, alternating:"
printf '%12s %s ms\n%12s %s ms\n' plain "$p" PGO "$g"
awk -v p="$p" -v g="$g" 'BEGIN { printf "%12s %.2fx (plain / PGO)\n", "speedup", p / g }'

# Instructions executed: the same on every run of a binary, whatever the load.
if ! command -v valgrind >/dev/null; then
	echo "demo: valgrind not found: instruction counts skipped (apt-get install valgrind)"
	exit 0
fi
instructions() {
	local log=target/cachegrind.log
	valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$@" >/dev/null 2>"$log" ||
		{ echo "demo: error: cachegrind failed on $*:" >&2; tail -5 "$log" >&2; return 1; }
	sed -n 's/^==[0-9]*== I *refs: *//p' "$log" | tr -d ,
}
pi=$(instructions "$plain" "$CG_ITERS")
gi=$(instructions "$pgo" "$CG_ITERS")
if [ -z "$pi" ] || [ -z "$gi" ]; then
	echo "demo: error: no instruction count in cachegrind's output (target/cachegrind.log)" >&2
	exit 1
fi
echo "pgo-demo $CG_ITERS under cachegrind, instructions executed:"
awk -v p="$pi" -v g="$gi" 'BEGIN {
	printf "%12s %.1f M\n%12s %.1f M\n", "plain", p / 1e6, "PGO", g / 1e6
	printf "%12s %.2fx (plain / PGO)\n", "ratio", p / g }'
