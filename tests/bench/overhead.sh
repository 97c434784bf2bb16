#!/usr/bin/env bash
# overhead.sh - what the wrapper costs: a generated workspace of N small crates
# (a chain of libs and one bin; LAYOUT=members makes every crate a workspace
# member, LAYOUT=deps only the bin, the chain being path dependencies outside
# the workspace, as registry crates are), built in release mode with and without
# RUSTC_WRAPPER=cargo-pgo-wrap, full and no-op, side by side, round-robin;
# medians; the overhead per rustc invocation in ms; cargo's instructions on a
# no-op build (perf, or cachegrind where the machine has no counters).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${PGOW_BIN:-$ROOT/cargo-pgo-wrap}
N=${CRATES:-200}
# FILES=k gives each crate k source files (lib.rs and k-1 modules), as real crates
# have several: cargo's no-op work grows with the files its dep-info lists.
FILES=${FILES:-1}
LAYOUT=${LAYOUT:-members}
RUNS=${RUNS:-3}
NOOP_RUNS=${NOOP_RUNS:-21}
# PACKAGE=app builds only the bin (cargo build -p app), as `-p polkadot` does in a
# workspace of many members: cargo then writes one uplifted dep-info, not one per member.
PKG=()
[ -n "${PACKAGE:-}" ] && PKG=(-p "$PACKAGE")
W=$(mktemp -d "${TMPDIR:-/tmp}/pgow-overhead.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
export CARGO_NET_OFFLINE=true CARGO_PGO_WRAP_CACHE=$W/cache CARGO_PGO_WRAP_JOURNAL=$W/journal
# The target dirs are outside the workspace: this names it, so they share slots.
export CARGO_PGO_WRAP_WORKSPACE=$W/ws
unset RUSTC_WRAPPER RUSTFLAGS CARGO_PGO_WRAP_MODE CARGO_PGO_WRAP_PROFILE RUST_LIB_BACKTRACE

case $LAYOUT in
members) CHAIN=$W/ws ;;
deps) CHAIN=$W/deps ;;
*) echo "overhead.sh: LAYOUT is members or deps, not '$LAYOUT'" >&2; exit 2 ;;
esac
mkdir -p "$W/ws"
{
	echo '[workspace]'
	echo 'resolver = "2"'
	printf 'members = ['
	[ "$LAYOUT" = deps ] || for i in $(seq "$N"); do printf '"c%d", ' "$i"; done
	echo '"app"]'
} >"$W/ws/Cargo.toml"
for i in $(seq "$N"); do
	mkdir -p "$CHAIN/c$i/src"
	printf '[package]\nname = "c%d"\nversion = "0.1.0"\nedition = "2021"\n' "$i" >"$CHAIN/c$i/Cargo.toml"
	if [ "$i" -gt 1 ]; then
		printf '[dependencies]\nc%d = { path = "../c%d" }\n' $((i - 1)) $((i - 1)) >>"$CHAIN/c$i/Cargo.toml"
		printf 'pub fn f(x: u64) -> u64 { c%d::f(x).wrapping_mul(%d) ^ %d }\n' $((i - 1)) "$i" "$i" >"$CHAIN/c$i/src/lib.rs"
	else
		echo 'pub fn f(x: u64) -> u64 { x.wrapping_add(1) }' >"$CHAIN/c$i/src/lib.rs"
	fi
	for m in $(seq 2 "$FILES"); do
		printf 'pub mod m%d;\n' "$m" >>"$CHAIN/c$i/src/lib.rs"
		printf 'pub fn g(x: u64) -> u64 { x ^ %d }\n' "$m" >"$CHAIN/c$i/src/m$m.rs"
	done
done
mkdir -p "$W/ws/app/src"
printf '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\nc%d = { path = "%s/c%d" }\n' "$N" "$CHAIN" "$N" >"$W/ws/app/Cargo.toml"
printf 'fn main() { println!("{}", c%d::f(7)); }\n' "$N" >"$W/ws/app/src/main.rs"
cd "$W/ws"
cargo generate-lockfile --offline -q

now() { date +%s%N; }
# Plain means RUSTC_WRAPPER unset: cargo takes an empty one as another
# configuration (it cost 150 ms more on a no-op build of this chain).
cargo_in() { # target-dir wrapper backtrace cargo-args...
	local t=$1 w=$2 bt=$3 cache=$CARGO_PGO_WRAP_CACHE lib=
	shift 3
	# The dir without a profile has a cache of its own, where no profile appears;
	# the one with the whole profile, one where the profile is not split per unit.
	[ "$t" = "$W/t-noprof" ] && cache=$W/cache-noprof
	[ "$t" = "$W/t-whole" ] && cache=$W/cache-whole
	# 1q: RUST_BACKTRACE=1 as cargo-pgo-wrap build and the shim run cargo (RUST_LIB_BACKTRACE=0).
	[ "$bt" = 1q ] && bt=1 lib=0
	# The manual flow: the same profile, given to every unit by RUSTFLAGS.
	if [ "$t" = "$W/t-manual" ]; then
		env ${lib:+RUST_LIB_BACKTRACE=$lib} CARGO_TARGET_DIR="$t" RUSTFLAGS="-Cprofile-use=$PROFILE" RUST_BACKTRACE="$bt" "$@"
	elif [ -n "$w" ]; then
		env ${lib:+RUST_LIB_BACKTRACE=$lib} CARGO_TARGET_DIR="$t" RUSTC_WRAPPER="$w" RUST_BACKTRACE="$bt" \
			CARGO_PGO_WRAP_CACHE="$cache" "$@"
	else
		env ${lib:+RUST_LIB_BACKTRACE=$lib} CARGO_TARGET_DIR="$t" RUST_BACKTRACE="$bt" "$@"
	fi
}
build_ms() { # target-dir wrapper backtrace
	local s e
	s=$(now)
	cargo_in "$1" "$2" "$3" cargo build --release "${PKG[@]}" -q 2>/dev/null
	e=$(now)
	echo $(((e - s) / 1000000))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
full_p=() full_w=()
for r in $(seq "$RUNS"); do
	full_p+=("$(build_ms "$W/t-plain-$r" "" 0)")
	full_w+=("$(build_ms "$W/t-wrap-$r" "$BIN" 0)")
done
# The wrapped dir as a user has it most days: with a profile. Instrumented in
# a dir of its own, run once, merged; then the wrapped dir is built with it.
CARGO_TARGET_DIR="$W/t-instr" CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$W/raw" \
	RUSTC_WRAPPER="$BIN" cargo build --release "${PKG[@]}" -q
LLVM_PROFILE_FILE="$W/raw/app-%p.profraw" "$W/t-instr/release/app" >/dev/null
"$BIN" merge "$W/raw" 2>/dev/null
build_ms "$W/t-wrap-1" "$BIN" 0 >/dev/null
grep -q '^use' <(awk -F'\t' '$2 == "app" {print $5}' "$W/journal" | tail -n 1) ||
	{ echo "overhead.sh: the wrapped build did not use the profile" >&2; exit 1; }
build_ms "$W/t-noprof" "$BIN" 0 >/dev/null
PROFILE=$(ls "$W"/cache/slots/*/profiles/*.profdata)
build_ms "$W/t-manual" "" 0 >/dev/null
# The same profile, not split (CARGO_PGO_WRAP_SPLIT=0): every unit names one file, as in the manual flow.
# The same raw files make the same profile, whose split the copy holds: storing it whole takes that away.
cp -r "$W/cache" "$W/cache-whole"
CARGO_PGO_WRAP_CACHE=$W/cache-whole CARGO_PGO_WRAP_SPLIT=0 "$BIN" merge --replace "$W/raw" 2>/dev/null
build_ms "$W/t-whole" "$BIN" 0 >/dev/null
grep -q '^use' <(awk -F'\t' '$2 == "app" {print $5}' "$W/journal" | tail -n 1) ||
	{ echo "overhead.sh: the whole-profile build did not use the profile" >&2; exit 1; }
! grep -q "cache-whole/slots/.*/split" "$W"/t-whole/release/deps/app-*.d ||
	{ echo "overhead.sh: the whole-profile build used a split profile" >&2; exit 1; }

# No-op builds, round-robin: plain, wrapped without a profile, wrapped with one
# (split per unit, and whole), the manual flow's profile-use build (rustc lists the
# profile in each unit's dep-info); with RUST_BACKTRACE=0 and =1 (cargo builds an
# error value for each env-dep variable that is unset, and with RUST_BACKTRACE=1 a
# backtrace), and =1 with RUST_LIB_BACKTRACE=0, as `build` and the shim run cargo.
declare -A noop
for r in $(seq "$NOOP_RUNS"); do
	for bt in 0 1 1q; do
		noop[p$bt]+="$(build_ms "$W/t-plain-1" "" $bt) "
		noop[n$bt]+="$(build_ms "$W/t-noprof" "$BIN" $bt) "
		noop[w$bt]+="$(build_ms "$W/t-wrap-1" "$BIN" $bt) "
		noop[h$bt]+="$(build_ms "$W/t-whole" "$BIN" $bt) "
		noop[m$bt]+="$(build_ms "$W/t-manual" "" $bt) "
	done
done
med() { printf '%s\n' ${noop[$1]} | median; }

# Instructions are repeatable where wall time is not (a shared machine).
REAL_CARGO=$(rustup which cargo 2>/dev/null || command -v cargo)
insns() { # target-dir wrapper backtrace
	if command -v perf >/dev/null && perf stat -x, -e instructions:u true 2>&1 >/dev/null | grep -q '^[0-9]'; then
		cargo_in "$1" "$2" "$3" perf stat -x, -e instructions:u "$REAL_CARGO" build --release "${PKG[@]}" -q 2>&1 >/dev/null |
			awk -F, '/instructions/ {print $1}'
	elif command -v valgrind >/dev/null; then
		cargo_in "$1" "$2" "$3" valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
			"$REAL_CARGO" build --release "${PKG[@]}" -q 2>&1 >/dev/null | awk '/I *refs:/ {gsub(",", "", $NF); print $NF}'
	else
		echo n/a
	fi
}
invocations=$((N + 1))
fp=$(printf '%s\n' "${full_p[@]}" | median); fw=$(printf '%s\n' "${full_w[@]}" | median)
echo "wrapper overhead: $N crates of $FILES source file(s) + 1 bin ($LAYOUT), cargo build --release${PACKAGE:+ -p $PACKAGE} ($(nproc) cores, $(date -u +%F))"
awk -v fp="$fp" -v fw="$fw" -v n="$invocations" -v runs="$RUNS" 'BEGIN {
	printf "  full build (median of %d):  %6d ms plain, %6d ms wrapped: %.2fx, %+.2f ms per rustc invocation (%d)\n", runs, fp, fw, fw / fp, (fw - fp) / n, n }'
bt_name() { [ "$1" = 1q ] && echo "RUST_BACKTRACE=1 RUST_LIB_BACKTRACE=0" || echo "RUST_BACKTRACE=$1"; }
for bt in 0 1 1q; do
	awk -v p="$(med p$bt)" -v n="$(med n$bt)" -v w="$(med w$bt)" -v h="$(med h$bt)" -v m="$(med m$bt)" \
		-v bt="$(bt_name $bt)" -v runs="$NOOP_RUNS" 'BEGIN {
	printf "  no-op build, %s (median of %d): %4d ms plain; wrapped with a profile %4d ms: %.3fx; with it whole %4d ms: %.3fx; without one %4d ms: %.3fx; manual profile-use %4d ms: %.3fx\n", bt, runs, p, w, w / p, h, h / p, n, n / p, m, m / p }'
done
for bt in 0 1 1q; do
	ip=$(insns "$W/t-plain-1" "" $bt); iw=$(insns "$W/t-wrap-1" "$BIN" $bt); in=$(insns "$W/t-noprof" "$BIN" $bt)
	[ "$ip" = n/a ] && break
	ih=$(insns "$W/t-whole" "$BIN" $bt); im=$(insns "$W/t-manual" "" $bt)
	awk -v a="$ip" -v b="$iw" -v h="$ih" -v c="$in" -v d="$im" -v bt="$(bt_name $bt)" 'BEGIN {
	printf "  no-op build, cargo instructions, %s: %.0fM plain; wrapped with a profile %.0fM: %.3fx; with it whole %.0fM: %.3fx; without one %.0fM: %.3fx; manual profile-use %.0fM: %.3fx\n", bt, a / 1e6, b / 1e6, b / a, h / 1e6, h / a, c / 1e6, c / a, d / 1e6, d / a }'
done
