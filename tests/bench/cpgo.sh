#!/usr/bin/env bash
# cpgo.sh - PGO of the C code build scripts compile, on a real application
# from Debian's crates: bat, whose syntax highlighting runs oniguruma (C,
# compiled by onig_sys's build script through cc). Side by side in one run:
#   plain       cargo build --release (cc's default compiler, gcc)
#   rust-pgo    cargo-pgo-wrap build with CARGO_PGO_WRAP_C=off: Rust-only PGO,
#               what the manual flow and cargo-pgo give
#   rust-clang  the same, with the C compiled by plain clang: the compiler
#               change alone, without C PGO
#   rust+c-pgo  cargo-pgo-wrap build: the C code profiled too
#   +bolt       the same with bolt: on, its result kept whatever the gate
#               says (bolt-min-gain -0.99), so its effect is measured; the
#               gate's own measurement on the training is printed
# Instructions (cachegrind, repeatable on a noisy host) and wall-time medians
# of round-robin runs, on an input the training did not see; binary sizes;
# the cycle's cost with and without the C code.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${PGOW_BIN:-$ROOT/cargo-pgo-wrap}
ROUNDS=${ROUNDS:-15}
W=$(mktemp -d "${TMPDIR:-/tmp}/pgow-cbench.XXXXXX")
trap 'rm -rf "$W"' EXIT
source "$ROOT/tests/bench/apps.sh"
# Training: bat's own sources. Evaluation: other Rust code it never saw.
app_setup bat "$W/app"
cd "$W/app"
unset RUSTC_WRAPPER RUSTFLAGS CARGO_PGO_WRAP_MODE CARGO_PGO_WRAP_PROFILE CARGO_PGO_WRAP_WORKSPACE \
	CARGO_PGO_WRAP_C CC CXX CFLAGS
read -r -a FEATURES <<<"$(app_features bat)"
cat /usr/share/cargo/registry/regex-1*/src/*.rs /usr/share/cargo/registry/serde_json-1*/src/*.rs >"$W/eval.rs"
major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
q() { "$@" >/dev/null 2>"$W/last.log" || { tail -20 "$W/last.log" >&2; exit 1; }; }

t0=$(now); q env CARGO_TARGET_DIR="$W/t-plain" cargo build --release "${FEATURES[@]}"; t1=$(now)
plain_build=$(secs "$t0" "$t1")
t0=$(now)
q env CARGO_TARGET_DIR="$W/t-rust" CARGO_PGO_WRAP_CACHE="$W/c-rust" CARGO_PGO_WRAP_C=off \
	"$BIN" build --release "${FEATURES[@]}"
t1=$(now)
cycle_rust=$(secs "$t0" "$t1")
q env CARGO_TARGET_DIR="$W/t-clang" CARGO_PGO_WRAP_CACHE="$W/c-rust" CARGO_PGO_WRAP_C=off CC="clang-$major" \
	"$BIN" build --release "${FEATURES[@]}"
t0=$(now)
q env CARGO_TARGET_DIR="$W/t-c" CARGO_PGO_WRAP_CACHE="$W/c-c" "$BIN" build --release "${FEATURES[@]}"
t1=$(now)
cycle_c=$(secs "$t0" "$t1")
grep -q 'C/C++ code of onig_sys' "$W/last.log" || { echo "cpgo.sh: onig_sys's C was not profiled" >&2; exit 1; }
{ cat pgo-wrap.yaml; printf 'bolt: on\nbolt-min-gain: -0.99\n'; } >"$W/bolt.yaml"
t0=$(now)
q env CARGO_TARGET_DIR="$W/t-bolt" CARGO_PGO_WRAP_CACHE="$W/c-c" "$BIN" build --release --pgo-config "$W/bolt.yaml" \
	"${FEATURES[@]}"
t1=$(now)
bolt_build=$(secs "$t0" "$t1")
bolt_gate=$(sed -n 's/.*BOLT kept, the BOLTed programs ship: //p' "$W/last.log")
[ -n "$bolt_gate" ] || { echo "cpgo.sh: BOLT did not ship" >&2; tail "$W/last.log" >&2; exit 1; }

names=(plain rust-pgo rust-clang rust+c-pgo +bolt)
bins=("$W/t-plain/release/bat" "$W/t-rust/release/bat" "$W/t-clang/release/bat" "$W/t-c/release/bat"
	"$W/t-bolt/release/bat")
run() { "$1" --color=always --paging=never --style=full "$W/eval.rs" >"$W/out.$2"; }
for i in "${!bins[@]}"; do
	run "${bins[$i]}" "$i"
	cmp -s "$W/out.0" "$W/out.$i" || { echo "cpgo.sh: ${names[$i]}'s output differs from plain's" >&2; exit 1; }
done

# Instructions: cachegrind counts them the same whatever else the machine does.
declare -a ir
for i in "${!bins[@]}"; do
	valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
		"${bins[$i]}" --color=always --paging=never --style=full "$W/eval.rs" >/dev/null 2>"$W/cg.$i"
	ir[$i]=$(sed -n 's/.*I *refs: *//p' "$W/cg.$i" | tr -d ',')
done

# Time: round-robin, so drift and neighbours hit every variant alike; medians.
for ((r = 0; r < ROUNDS; r++)); do
	for i in "${!bins[@]}"; do
		t0=$(now); run "${bins[$i]}" "$i"; t1=$(now)
		echo $(((t1 - t0) / 1000)) >>"$W/times.$i"
	done
done
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "bat $(basename "$(app_src bat)" | sed "s/^bat-//") highlighting $(wc -c <"$W/eval.rs") bytes of Rust it was not trained on; C in its hot path (oniguruma)"
echo "$(date -u +%Y-%m-%d), $(nproc) cores, rustc $(rustc -V | cut -d' ' -f2), clang-$major; $ROUNDS round-robin rounds"
printf '%-12s %16s %9s %12s %9s %12s\n' variant instructions vs-plain median-ms vs-plain size-bytes
base_ir=${ir[0]}
base_t=$(median "$W/times.0")
for i in "${!bins[@]}"; do
	t=$(median "$W/times.$i")
	printf '%-12s %16s %9s %12s %9s %12s\n' "${names[$i]}" "${ir[$i]}" \
		"$(awk -v a="${ir[$i]}" -v b="$base_ir" 'BEGIN { printf "%.3f", a / b }')" \
		"$(awk -v t="$t" 'BEGIN { printf "%.1f", t / 1000 }')" \
		"$(awk -v a="$t" -v b="$base_t" 'BEGIN { printf "%.3f", a / b }')" \
		"$(stat -c %s "${bins[$i]}")"
done
echo "rust+c-pgo vs rust-pgo instructions: $(awk -v a="${ir[3]}" -v b="${ir[1]}" 'BEGIN { printf "%.3f", a / b }')" \
	"(vs rust-clang: $(awk -v a="${ir[3]}" -v b="${ir[2]}" 'BEGIN { printf "%.3f", a / b }'))"
echo "+bolt vs rust+c-pgo: instructions $(awk -v a="${ir[4]}" -v b="${ir[3]}" 'BEGIN { printf "%.3f", a / b }'),"\
	"time $(awk -v a="$(median "$W/times.4")" -v b="$(median "$W/times.3")" 'BEGIN { printf "%.3f", a / b }');" \
	"the gate measured on the training: $bolt_gate"
echo "cycle from nothing: plain build ${plain_build}s, Rust-only PGO ${cycle_rust}s, Rust+C PGO ${cycle_c}s;" \
	"with the profile cached, an optimised build plus the BOLT stage ${bolt_build}s"
