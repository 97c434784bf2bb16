#!/usr/bin/env bash
# stress.sh [SECONDS] - the store under a build machine's load for SECONDS
# (default 60): `build` cycles of two workspaces sharing one cache (one of them
# from two target dirs, so two cycles use one slot), RUSTC_WRAPPER builds
# reading that slot, `gc --max-size 40K` every 1.5 s, and merges into that slot
# killed (SIGKILL) at a random moment. Then every build is checked against what
# it said: `build` exits 0, or 8 with its one line; an exit-0 build says PGO
# with 0 plain units, and its program is not instrumented and is byte for byte
# the program a quiet build with the profile its summary names makes; wrapper
# builds exit 0 with programs that are not instrumented; nothing needed a
# repair. Prints what ran and any violation; exits 1 on a violation.
# PGOW_BIN is the binary; STRESS_DIR, when set, is the scratch dir (kept).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${PGOW_BIN:-$ROOT/cargo-pgo-wrap}
SECS=${1:-60}
S=${STRESS_DIR:-$(mktemp -d /tmp/pgow-stress.XXXXXX)}
mkdir -p "$S/log" "$S/ship" "$S/profiles" "$S/ref"
[ -n "${STRESS_DIR:-}" ] || trap 'rm -rf "$S"' EXIT
export CARGO_PGO_WRAP_CACHE=$S/cache CARGO_NET_OFFLINE=true CARGO_PGO_WRAP_GC_GRACE=0
unset RUSTC_WRAPPER CARGO_PGO_WRAP_WORKSPACE CARGO_PGO_WRAP_JOURNAL CARGO_PGO_WRAP_MODE \
	CARGO_PGO_WRAP_PROFILE CARGO_TARGET_DIR CARGO_BUILD_TARGET_DIR
violations=0
violation() {
	echo "stress: VIOLATION: $*" >&2
	violations=$((violations + 1))
}

make_ws() { # name
	cp -r "$ROOT/tests/fixtures/ws" "$S/$1"
	printf 'stale-policy: refresh\ntraining:\n  - name: eval\n    run: ["{bin:fixbin}", "3000"]\n' \
		>"$S/$1/pgo-wrap.yaml"
}

# A program is instrumented when it carries the profiler runtime.
instrumented() { # program
	nm "$1" 2>/dev/null | grep -q '__llvm_profile_runtime\|__llvm_profile_raw_version'
}

# `build` in a loop; with edits, each round appends a comment to fixlib (a new
# key, so a refresh cycle, and the same code).
builder() { # name ws target edits
	local name=$1 ws=$2 target=$3 edits=$4 n=0 rc key p
	cd "$S/$ws" || exit 1
	while [ "$(date +%s)" -lt "$END" ]; do
		n=$((n + 1))
		[ "$edits" = 0 ] || echo "// round $name $n" >>fixlib/src/lib.rs
		rc=0
		"$BIN" build --release --target-dir "$S/$target" >/dev/null 2>"$S/log/build.$name.$n" || rc=$?
		echo "$rc" >"$S/log/build.$name.$n.rc"
		[ "$rc" = 0 ] || continue
		cp "$S/$target/release/fixbin" "$S/ship/$name.$n"
		key=$(sed -n 's/.* carry profile \([0-9a-f]\{12\}\) .*/\1/p' "$S/log/build.$name.$n" | tail -n 1)
		echo "$ws $key" >"$S/ship/$name.$n.claim"
		# The profile it names, while gc has not removed it.
		p=$(ls "$S"/cache/slots/*/profiles/"$key"*.profdata 2>/dev/null | head -n 1)
		[ -z "$key" ] || [ -z "$p" ] || cp "$p" "$S/profiles/$key.profdata" 2>/dev/null || true
	done
}

# RUSTC_WRAPPER builds of ws a into a target dir of their own, fixlib touched each round.
wrapped() {
	local n=0 rc
	cd "$S/a" || exit 1
	while [ "$(date +%s)" -lt "$END" ]; do
		n=$((n + 1))
		touch fixlib/src/lib.rs
		rc=0
		RUSTC_WRAPPER="$BIN" cargo build --release --target-dir "$S/wrapped" >/dev/null 2>"$S/log/wrap.$n" || rc=$?
		echo "$rc" >"$S/log/wrap.$n.rc"
		[ "$rc" != 0 ] || cp "$S/wrapped/release/fixbin" "$S/ship/wrap.$n"
	done
}

collector() {
	local n=0
	while [ "$(date +%s)" -lt "$END" ]; do
		n=$((n + 1))
		"$BIN" gc --max-size 40K >"$S/log/gc.$n" 2>&1
		sleep 1.5
	done
}

# Merges of kept raw files into ws a's slot, each killed after 0 to 0.6 s.
killer() { # slot
	local pid
	while [ "$(date +%s)" -lt "$END" ]; do
		"$BIN" merge --slot "$1" "$S/rawkeep" >/dev/null 2>&1 &
		pid=$!
		sleep "0.$((RANDOM % 7))"
		kill -KILL "$pid" 2>/dev/null && echo killed >>"$S/log/kills"
		wait "$pid" 2>/dev/null
		sleep 0.5
	done
}

make_ws a
make_ws b
# ws a's first cycle: its slot and raw files for the killed merges.
(cd "$S/a" && "$BIN" build --release --target-dir "$S/a-t1" >/dev/null 2>"$S/log/first") ||
	{ tail -n 5 "$S/log/first" >&2; echo "stress: error: the first cycle failed" >&2; exit 1; }
mkdir -p "$S/rawkeep"
LLVM_PROFILE_FILE="$S/rawkeep/run-%p.profraw" "$S/a-t1/pgo-wrap/instrumented/release/fixbin" 500 >/dev/null
slot=$(basename "$(ls -d "$S"/cache/slots/*)")

END=$(($(date +%s) + SECS))
builder a1 a a-t1 1 &
builder a2 a a-t2 0 &
builder b1 b b-t1 1 &
wrapped &
collector &
killer "$slot" &
wait

# Every build, checked against what it said.
builds=0 pgo=0 exit8=0 wraps=0 verified=0
for f in "$S"/log/build.*.rc; do
	log=${f%.rc} name=${f#"$S"/log/build.} rc=$(cat "$f")
	name=${name%.rc}
	builds=$((builds + 1))
	grep -q 'Repairing' "$log" && violation "build $name repaired a damaged split"
	case $rc in
	0)
		grep -Eq 'PGO [0-9]+ unit\(s\) .* carry profile [0-9a-f]{12} .*; [0-9]+ stale, 0 plain' "$log" ||
			violation "build $name exited 0 without saying PGO with 0 plain units: $(tail -n 2 "$log")"
		instrumented "$S/ship/$name" && violation "build $name shipped an instrumented program"
		pgo=$((pgo + 1)) ;;
	8)
		grep -q 'built without the profile this build planned to use' "$log" ||
			violation "build $name exited 8 without its line: $(tail -n 2 "$log")"
		exit8=$((exit8 + 1)) ;;
	*) violation "build $name exited $rc: $(tail -n 3 "$log")" ;;
	esac
done
for f in "$S"/log/wrap.*.rc; do
	[ -e "$f" ] || continue
	wraps=$((wraps + 1))
	n=${f#"$S"/log/wrap.}
	n=${n%.rc}
	if [ "$(cat "$f")" != 0 ]; then
		violation "wrapper build $n exited $(cat "$f"): $(tail -n 3 "${f%.rc}")"
	elif instrumented "$S/ship/wrap.$n"; then
		violation "wrapper build $n shipped an instrumented program"
	fi
done
# The programs against quiet builds with the profiles named (the edits were comments).
for claim in "$S"/ship/*.claim; do
	[ -e "$claim" ] || continue
	read -r ws key <"$claim"
	prof=$S/profiles/$key.profdata
	[ -n "$key" ] && [ -e "$prof" ] || continue # removed by gc before it could be kept
	ref=$S/ref/$ws-$key
	if [ ! -e "$ref" ]; then
		(cd "$S/$ws" && CARGO_PGO_WRAP_CACHE="$S/refcache" CARGO_PGO_WRAP_MODE=use CARGO_PGO_WRAP_PROFILE="$prof" \
			RUSTC_WRAPPER="$BIN" cargo build -q --release --target-dir "$S/reftarget-$ws" 2>"$S/log/ref.$ws-$key") &&
			cp "$S/reftarget-$ws/release/fixbin" "$ref" ||
			violation "the quiet build with $key failed: $(tail -n 3 "$S/log/ref.$ws-$key")"
	fi
	cmp -s "${claim%.claim}" "$ref" || violation "$(basename "${claim%.claim}") differs from the quiet build with profile $key"
	verified=$((verified + 1))
done
gcs=$(ls "$S"/log/gc.* 2>/dev/null | wc -l)
left=$(cat "$S"/log/gc.* 2>/dev/null | grep -c '^left slot')
removed=$(cat "$S"/log/gc.* 2>/dev/null | grep -c '^removed slot')
kills=$(wc -l <"$S/log/kills" 2>/dev/null || echo 0)
echo "stress: ${SECS}s: $builds builds ($pgo with PGO, $exit8 exit 8), $wraps wrapper builds, $gcs gc runs" \
	"($removed slot removals, $left slots left in use), $kills merges killed; $verified programs identical to" \
	"a quiet build with the profile named; $violations violation(s)"
[ "$builds" -gt 0 ] && [ "$pgo" -gt 0 ] || violation "no build shipped with PGO"
[ "$violations" = 0 ]
