#!/usr/bin/env bash
# overhead.sh - what the wrapper costs: a generated workspace of N small crates
# (a chain of libs and one bin), built in release mode with and without
# RUSTC_WRAPPER=cargo-pgo-wrap, full and no-op, side by side; medians; the
# overhead per rustc invocation in ms.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${PGOW_BIN:-$ROOT/cargo-pgo-wrap}
N=${CRATES:-200}
RUNS=${RUNS:-3}
W=$(mktemp -d "${TMPDIR:-/tmp}/pgow-overhead.XXXXXX")
trap 'rm -rf "$W"' EXIT
export CARGO_NET_OFFLINE=true CARGO_PGO_WRAP_CACHE=$W/cache CARGO_PGO_WRAP_JOURNAL=$W/journal
unset RUSTC_WRAPPER RUSTFLAGS CARGO_PGO_WRAP_MODE CARGO_PGO_WRAP_PROFILE

mkdir -p "$W/ws"
{
	echo '[workspace]'
	echo 'resolver = "2"'
	printf 'members = ['
	for i in $(seq "$N"); do printf '"c%d", ' "$i"; done
	echo '"app"]'
} >"$W/ws/Cargo.toml"
for i in $(seq "$N"); do
	mkdir -p "$W/ws/c$i/src"
	printf '[package]\nname = "c%d"\nversion = "0.1.0"\nedition = "2021"\n' "$i" >"$W/ws/c$i/Cargo.toml"
	if [ "$i" -gt 1 ]; then
		printf '[dependencies]\nc%d = { path = "../c%d" }\n' $((i - 1)) $((i - 1)) >>"$W/ws/c$i/Cargo.toml"
		printf 'pub fn f(x: u64) -> u64 { c%d::f(x).wrapping_mul(%d) ^ %d }\n' $((i - 1)) "$i" "$i" >"$W/ws/c$i/src/lib.rs"
	else
		echo 'pub fn f(x: u64) -> u64 { x.wrapping_add(1) }' >"$W/ws/c$i/src/lib.rs"
	fi
done
mkdir -p "$W/ws/app/src"
printf '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\nc%d = { path = "../c%d" }\n' "$N" "$N" >"$W/ws/app/Cargo.toml"
printf 'fn main() { println!("{}", c%d::f(7)); }\n' "$N" >"$W/ws/app/src/main.rs"
cd "$W/ws"
cargo generate-lockfile --offline -q

now() { date +%s%N; }
build_ms() { # target-dir wrapper
	local s e
	s=$(now)
	CARGO_TARGET_DIR="$1" RUSTC_WRAPPER="$2" cargo build --release -q
	e=$(now)
	echo $(((e - s) / 1000000))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
full_p=() full_w=() noop_p=() noop_w=()
for r in $(seq "$RUNS"); do
	full_p+=("$(build_ms "$W/t-plain-$r" "")")
	full_w+=("$(build_ms "$W/t-wrap-$r" "$BIN")")
	noop_p+=("$(build_ms "$W/t-plain-$r" "")")
	noop_w+=("$(build_ms "$W/t-wrap-$r" "$BIN")")
done
# Instructions are repeatable where wall time is not (a shared machine): cargo's own
# work on a no-op build, with and without RUST_BACKTRACE (cargo builds an error value,
# with a backtrace when that is set, for each env-dep variable that is unset).
insns() { # target-dir wrapper backtrace
	if ! command -v perf >/dev/null || ! perf stat -e instructions:u true >/dev/null 2>&1; then
		echo "n/a"
		return
	fi
	CARGO_TARGET_DIR="$1" RUSTC_WRAPPER="$2" RUST_BACKTRACE="$3" \
		perf stat -x, -e instructions:u cargo build --release -q 2>&1 >/dev/null | awk -F, '/instructions/ {print $1}'
}
ip0=$(insns "$W/t-plain-1" "" 0); iw0=$(insns "$W/t-wrap-1" "$BIN" 0)
ip1=$(insns "$W/t-plain-1" "" 1); iw1=$(insns "$W/t-wrap-1" "$BIN" 1)
invocations=$((N + 1))
fp=$(printf '%s\n' "${full_p[@]}" | median); fw=$(printf '%s\n' "${full_w[@]}" | median)
np=$(printf '%s\n' "${noop_p[@]}" | median); nw=$(printf '%s\n' "${noop_w[@]}" | median)
echo "wrapper overhead: $N crates + 1 bin, cargo build --release, median of $RUNS ($(nproc) cores, $(date -u +%F))"
awk -v fp="$fp" -v fw="$fw" -v np="$np" -v nw="$nw" -v n="$invocations" 'BEGIN {
	printf "  full build:  %6d ms plain, %6d ms wrapped: %.2fx, %+.2f ms per rustc invocation (%d)\n", fp, fw, fw / fp, (fw - fp) / n, n
	printf "  no-op build: %6d ms plain, %6d ms wrapped: %.2fx (cargo runs no rustc: nothing to wrap)\n", np, nw, nw / np }'
if [ "$ip0" != n/a ]; then
	awk -v a="$ip0" -v b="$iw0" -v c="$ip1" -v d="$iw1" 'BEGIN {
	printf "  no-op build, cargo instructions: %.0fM plain, %.0fM wrapped: %.2fx (RUST_BACKTRACE=0)\n", a / 1e6, b / 1e6, b / a
	printf "                                   %.0fM plain, %.0fM wrapped: %.2fx (RUST_BACKTRACE=1)\n", c / 1e6, d / 1e6, d / c }'
fi
