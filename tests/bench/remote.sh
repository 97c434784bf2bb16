#!/usr/bin/env bash
# remote.sh - what a fresh machine pays when the remote has a fresh profile
# (issue 20's measure): a real application from Debian's crates, trained once
# on "machine A" and pushed to a file:// remote; then, side by side and
# round-robin, a plain `cargo build --release` and `cargo-pgo-wrap build
# --release` on "machine B" (another path, another registry path, an empty
# cache and target dir each time), medians; and whether B's code is A's. The full cycle is shown beside them. APP=cbindgen (default)
# or bat; RUNS=3.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${PGOW_BIN:-$ROOT/cargo-pgo-wrap}
APP=${APP:-cbindgen}
RUNS=${RUNS:-3}
W=$(mktemp -d "${TMPDIR:-/tmp}/pgow-remote.XXXXXX")
REGISTRY=/usr/share/cargo/registry
trap 'rm -rf "$W"' EXIT
source "$ROOT/tests/bench/apps.sh"
export CARGO_NET_OFFLINE=true CARGO_PGO_WRAP_REMOTE=file://$W/remote
unset RUSTC_WRAPPER RUSTFLAGS CARGO_PGO_WRAP_MODE CARGO_PGO_WRAP_PROFILE CARGO_PGO_WRAP_REMOTE_MODE
read -r -a features <<<"$(app_features "$APP")"

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

app_setup "$APP" "$W/a"
s=$(now)
(cd "$W/a" && CARGO_PGO_WRAP_CACHE=$W/cache-a "$BIN" build --release "${features[@]}" 2>"$W/a.err") ||
	{ tail -5 "$W/a.err" >&2; exit 1; }
cycle=$((($(now) - s) / 1000000))
grep -q 'Pushed profile' "$W/a.err" || { echo "$0: A pushed nothing" >&2; exit 1; }

mkdir -p "$W/b"
app_setup "$APP" "$W/b/elsewhere"
# B's registry is elsewhere too (another CARGO_HOME): rustc sees other absolute paths.
REG=$(mktemp -d /tmp/pgow-reg.XXXXXX)
trap 'rm -rf "$W" "$REG"' EXIT
cp -r "$REGISTRY"/. "$REG"
sed -i "s|$REGISTRY|$REG|" "$W/b/elsewhere/.cargo/config.toml"
plain=() fresh=()
for r in $(seq "$RUNS"); do
	rm -rf "$W/b/elsewhere/target"
	s=$(now)
	(cd "$W/b/elsewhere" && cargo build --release -q "${features[@]}" 2>/dev/null)
	plain+=($((($(now) - s) / 1000000)))
	rm -rf "$W/b/elsewhere/target" "$W/cache-b"
	s=$(now)
	(cd "$W/b/elsewhere" && CARGO_PGO_WRAP_CACHE=$W/cache-b "$BIN" build --release "${features[@]}" 2>"$W/b.err") ||
		{ tail -5 "$W/b.err" >&2; exit 1; }
	fresh+=($((($(now) - s) / 1000000)))
	grep -q 'Pulled profile' "$W/b.err" || { echo "$0: B pulled nothing" >&2; cat "$W/b.err" >&2; exit 1; }
	if grep -Eq 'Training|instrumented' "$W/b.err"; then echo "$0: B trained" >&2; exit 1; fi
done
# The code B built with the fetched profile against A's, library by library. Not the
# linked .text: panic messages name each registry's files, so the data and the
# displacements to it differ. In objects, three things name paths without being code:
# objdump's <symbol+offset> notes, its "# address" comments, and the .llvm.<hash>
# suffix LLVM gives promoted local symbols (a hash of the module, paths included).
code() { # rlib
	local d
	d=$(mktemp -d "$W/obj.XXXXXX")
	(cd "$d" && ar x "$1" && for o in *.o; do objdump -dr --no-show-raw-insn "$o" | tail -n +3; done) |
		sed -E 's/<[^>]*>//g; s/#.*//; s/\.llvm\.[0-9]+//g' | md5sum
	rm -rf "$d"
}
same=0 rlibs=0
for r in "$W"/a/target/release/deps/*.rlib; do
	rlibs=$((rlibs + 1))
	[ "$(code "$r")" = "$(code "$W/b/elsewhere/target/release/deps/$(basename "$r")")" ] && same=$((same + 1))
done
p=$(printf '%s\n' "${plain[@]}" | median)
f=$(printf '%s\n' "${fresh[@]}" | median)
echo "remote.sh: $APP, $RUNS round(s); ms each: plain ${plain[*]}; fresh machine with the remote's profile ${fresh[*]}"
awk -v p="$p" -v f="$f" -v c="$cycle" 'BEGIN {
	printf "plain release build (median)              %7.1f s\n", p / 1000
	printf "fresh machine, profile from the remote    %7.1f s  = %.2fx plain\n", f / 1000, f / p
	printf "the full cycle, for comparison (once)     %7.1f s  = %.2fx plain\n", c / 1000, c / p
}'
echo "B's libraries (registry at another path) disassemble as A's: $same of $rlibs"
