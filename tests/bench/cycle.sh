#!/usr/bin/env bash
# cycle.sh - the whole cycle from nothing against the manual flow from nothing,
# on a real application from Debian's crates (APP: hexyl by default, or
# cbindgen or bat from apps.sh): `cargo-pgo-wrap build --release` with an empty
# cache and target dir, against RUSTFLAGS=-Cprofile-generate, the same
# training by hand, llvm-profdata merge and RUSTFLAGS=-Cprofile-use in one
# target dir. ROUNDS alternating pairs (default 3), medians.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${PGOW_BIN:-$ROOT/cargo-pgo-wrap}
APP=${APP:-hexyl}
ROUNDS=${ROUNDS:-3}
W=$(mktemp -d "${TMPDIR:-/tmp}/pgow-cycle.XXXXXX")
trap 'rm -rf "$W"' EXIT
source "$ROOT/tests/bench/apps.sh"
[ -n "$(app_src "$APP")" ] || { echo "$0: $APP's source is missing; run tests/deps.sh" >&2; exit 1; }
export CARGO_NET_OFFLINE=true CARGO_PGO_WRAP_CACHE=$W/cache
unset RUSTC_WRAPPER RUSTFLAGS CARGO_PGO_WRAP_MODE CARGO_PGO_WRAP_PROFILE CARGO_PGO_WRAP_REMOTE

prefix=""
if [ "$APP" = hexyl ]; then
	head -c 300000 /dev/urandom >"$W/input.bin"
	prefix="training:
  - name: pipe
    shell: \"cat $W/input.bin | {bin:hexyl} > /dev/null && {bin:hexyl} --border ascii src/lib.rs > /dev/null\"
"
fi
app_setup "$APP" "$W/app" "$prefix"
cd "$W/app"
# The manual flow runs the same training: the one shell line of pgo-wrap.yaml,
# with the placeholders filled in by hand.
training=$(sed -n 's/^ *shell: "\(.*\)"$/\1/p' pgo-wrap.yaml | sed 's/\\"/"/g')
[ -n "$training" ] || { echo "$0: no training line in $APP's pgo-wrap.yaml" >&2; exit 1; }
major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
profdata=$(command -v "llvm-profdata-$major" || echo "/usr/lib/llvm-$major/bin/llvm-profdata")
features=$(app_features "$APP")

q() { "$@" >/dev/null 2>&1 || { echo "$0: failed: $*" >&2; exit 1; }; }
ours() {
	rm -rf "$W/cache" target
	# shellcheck disable=SC2086
	q "$BIN" build --release $features
}
manual() {
	rm -rf target "$W/raw" "$W/manual.profdata"
	# shellcheck disable=SC2086
	q env RUSTFLAGS="-Cprofile-generate=$W/raw" cargo build --release $features
	local line=${training//\{target_dir\}/$PWD/target}
	line=$(echo "$line" | sed "s|{bin:\([a-z_-]*\)}|$PWD/target/release/\1|g")
	q env LLVM_PROFILE_FILE="$W/raw/%m-%p.profraw" sh -c "$line"
	q "$profdata" merge -o "$W/manual.profdata" "$W/raw"
	# shellcheck disable=SC2086
	q env RUSTFLAGS="-Cprofile-use=$W/manual.profdata" cargo build --release $features
}
now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
o=() m=()
for r in $(seq "$ROUNDS"); do
	t0=$(now); ours; t1=$(now); o+=("$(secs "$t0" "$t1")")
	t0=$(now); manual; t1=$(now); m+=("$(secs "$t0" "$t1")")
done
mo=$(median "${o[@]}")
mm=$(median "${m[@]}")
echo "the cycle from nothing: $APP ($(nproc) cores, $(date -u +%F)), $ROUNDS alternating pairs"
echo "  cargo-pgo-wrap build --release   ${mo}s  (${o[*]})"
echo "  manual flow                      ${mm}s  (${m[*]})"
awk -v a="$mo" -v b="$mm" 'BEGIN { printf "  ours / manual: %.3fx\n", a / b }'
