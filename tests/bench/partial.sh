#!/usr/bin/env bash
# partial.sh - refreshes that stay partial when the training is not
# deterministic (issue 22): hexyl from Debian's crates, whose training reads a
# pipe (chunk sizes vary) and whose clap seeds its HashMap at random, so each
# training's counts differ a little. TRIALS edits of the bin's source that add
# an unused function (default 10: code, so a refresh, but no count moves; a
# comment edit no longer refreshes at all), each a refresh; a trial passes when the split rewrites
# at most the edited unit's part and the optimised build compiles hexyl alone. Then the last refresh's program against one
# built with the whole merged profile (every unit recompiled against its true
# summary): its .text, and instructions on a workload (valgrind), side by side.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${PGOW_BIN:-$ROOT/cargo-pgo-wrap}
TRIALS=${TRIALS:-10}
W=$(mktemp -d "${TMPDIR:-/tmp}/pgow-partial.XXXXXX")
trap 'rm -rf "$W"' EXIT
source "$ROOT/tests/bench/apps.sh"
[ -n "$(app_src hexyl)" ] || { echo "$0: hexyl's source is missing (apt-get install librust-hexyl-dev)" >&2; exit 1; }
export CARGO_NET_OFFLINE=true CARGO_PGO_WRAP_CACHE=$W/cache
unset RUSTC_WRAPPER RUSTFLAGS CARGO_PGO_WRAP_MODE CARGO_PGO_WRAP_PROFILE CARGO_PGO_WRAP_REMOTE

head -c 300000 /dev/urandom >"$W/input.bin"
app_setup hexyl "$W/app" "stale-policy: refresh
training:
  - name: pipe
    shell: \"cat $W/input.bin | {bin:hexyl} > /dev/null && {bin:hexyl} --help > /dev/null\"
  - name: file
    run: [\"{bin:hexyl}\", \"--border\", \"ascii\", \"src/lib.rs\"]
"
cd "$W/app"
"$BIN" build --release 2>"$W/first.err" || { tail -5 "$W/first.err" >&2; exit 1; }

pass=0
for k in $(seq "$TRIALS"); do
	echo "#[allow(dead_code)] fn pgow_edit_$k() {}" >>src/bin/hexyl.rs
	"$BIN" build --release 2>"$W/t$k.err" || { tail -5 "$W/t$k.err" >&2; exit 1; }
	line=$(grep -o 'Split per unit: [0-9]* file(s), [0-9]* rewritten' "$W/t$k.err" || echo "no split")
	rewritten=$(echo "$line" | sed -n 's/.* \([0-9]*\) rewritten/\1/p')
	compiled=$(sed -n '/Optimizing/,$p' "$W/t$k.err" | grep -c 'Compiling' || true)
	# Partial: at most the edited unit's part rewritten, and hexyl alone compiled again.
	ok=no
	if [ -n "$rewritten" ] && [ "$rewritten" -le 1 ] && [ "$compiled" = 1 ]; then ok=yes; pass=$((pass + 1)); fi
	echo "trial $k: $line; $compiled package(s) compiled in the optimised build; partial: $ok"
done
echo "partial refreshes: $pass of $TRIALS"

# The last refresh's program against every unit compiled with the whole profile.
prof=$(ls -t "$W"/cache/slots/*/profiles/*.profdata | head -n 1)
CARGO_PGO_WRAP_MODE=use CARGO_PGO_WRAP_PROFILE=$prof RUSTC_WRAPPER=$BIN \
	cargo build --release -q --target-dir "$W/full" 2>/dev/null
text() { objcopy -O binary --only-section=.text "$1" /dev/stdout | md5sum; }
same=no
[ "$(text target/release/hexyl)" = "$(text "$W/full/release/hexyl")" ] && same=yes
echo "the partial refresh's .text is the full recompile's: $same"
instr() { valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$1" "$W/input.bin" 2>&1 >/dev/null |
	sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' | tr -d ,; }
a=$(instr target/release/hexyl)
b=$(instr "$W/full/release/hexyl")
awk -v a="$a" -v b="$b" 'BEGIN { printf "instructions on the workload: partial %d, full %d, ratio %.4f\n", a, b, a / b }'
