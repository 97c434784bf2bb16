# lib.sh - helpers for the integration tests: a fresh fixture per test,
# the wrapper environment, and assertions that say what they saw.
# Sourced by run.sh; every test runs in its own subshell and temp dir.

FIXTURES="$ROOT/tests/fixtures"

# The same environment for every test: offline cargo, no colour, and none of the
# user's PGO or cargo settings leaking in.
: "${PGOW_BIN:?set PGOW_BIN to the cargo-pgo-wrap binary}"
export CARGO_NET_OFFLINE=true CARGO_TERM_COLOR=never NO_COLOR=1
unset RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_TARGET \
	CARGO_TARGET_DIR CARGO_PGO_WRAP_MODE CARGO_PGO_WRAP_PROFILE CARGO_PGO_WRAP_NEXT \
	CARGO_PGO_WRAP_EXCLUDE CARGO_PGO_WRAP_FRONTEND CARGO_PGO_WRAP_WORKSPACE CARGO_PGO_WRAP_JOURNAL \
	CARGO_PGO_WRAP_WHEN_NO_PROFILE LLVM_PROFILE_FILE

fail() {
	echo "    FAIL: $*" >&2
	exit 1
}

assert_eq() { # expected actual what
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

assert_grep() { # pattern file what
	grep -qE -- "$1" "$2" || { sed 's/^/      | /' "$2" | tail -n 20 >&2; fail "$3: no match for /$1/ in $2"; }
}

assert_no_grep() { # pattern file what
	if grep -qE -- "$1" "$2"; then
		grep -nE -- "$1" "$2" | sed 's/^/      | /' | head -n 10 >&2
		fail "$3: unexpected match for /$1/ in $2"
	fi
}

count_files() { # dir glob
	find "$1" -name "$2" 2>/dev/null | wc -l | tr -d ' '
}

# An llvm-profdata that reads rustc's raw format: same LLVM major first.
profdata_tool() {
	local major
	major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
	for c in "llvm-profdata-$major" "/usr/lib/llvm-$major/bin/llvm-profdata" \
		llvm-profdata-21 llvm-profdata-20 llvm-profdata-19; do
		if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
	done
	fail "no llvm-profdata for LLVM $major; run ./install.sh"
}

# Copies the fixture workspace and points every cache/journal at the test dir.
setup_ws() { # [fixture]
	cp -r "$FIXTURES/${1:-ws}" "$T/ws"
	export CARGO_PGO_WRAP_CACHE="$T/cache"
	export CARGO_PGO_WRAP_JOURNAL="$T/journal.log"
	export RUSTC_WRAPPER="$PGOW_BIN"
	cd "$T/ws" || fail "cannot enter $T/ws"
}

# cargo with output captured in $T/cargo.log (and shown on failure).
cargo_ok() {
	if ! cargo "$@" >"$T/cargo.out" 2>"$T/cargo.log"; then
		sed 's/^/      | /' "$T/cargo.log" | tail -n 30 >&2
		fail "cargo $* failed"
	fi
}

host_triple() {
	rustc -vV | sed -n 's/^host: //p'
}

# Runs a binary with LLVM_PROFILE_FILE pointed at dir; prints its stdout.
run_profiled() { # dir binary args...
	local dir=$1
	shift
	LLVM_PROFILE_FILE="$dir/run-%p-%m.profraw" "$@"
}

# Journal lines for one crate: "<action> <detail>" pairs.
journal_actions() { # crate
	awk -F '\t' -v c="$1" '$2 == c { print $5 " " $6 }' "$CARGO_PGO_WRAP_JOURNAL" | sort -u
}

# The wrapper under test; under PGOW_VALGRIND=1 each call runs in valgrind.
pgow() {
	if [ -n "${PGOW_VALGRIND:-}" ]; then
		valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
			"$PGOW_BIN" "$@"
	else
		"$PGOW_BIN" "$@"
	fi
}

real_rustc() {
	echo "$(rustc --print sysroot)/bin/rustc"
}

# A fake rustc that answers -vV, records its argv (one per line) in $T/argv and, like
# rustc, writes <out-dir>/<crate><extra>.d when dep-info is requested.
make_fake_rustc() {
	mkdir -p "$T/bin"
	cat >"$T/bin/rustc" <<'FAKE'
#!/usr/bin/env bash
if [ "$*" = "-vV" ]; then
	echo vV >>"$FAKE_ARGV.vV"
	printf 'rustc 1.95.0 (fake %s)\n' "${FAKE_CHANNEL:-stable}"
	printf 'binary: rustc\nhost: x86_64-unknown-linux-gnu\nrelease: 1.95.0\nLLVM version: 22.1.2\n'
	exit 0
fi
printf '%s\n' "$@" >"$FAKE_ARGV"
expanded=()
for a in "$@"; do
	if [ "${a#@}" != "$a" ]; then mapfile -t lines <"${a#@}"; expanded+=("${lines[@]}"); else expanded+=("$a"); fi
done
set -- "${expanded[@]}"
name= extra= out=. dep=0
while [ $# -gt 0 ]; do
	case "$1" in
	--crate-name) name=$2; shift ;;
	--out-dir) out=$2; shift ;;
	-C) case "$2" in extra-filename=*) extra=${2#extra-filename=} ;; esac; shift ;;
	--emit=*dep-info*) dep=1 ;;
	esac
	shift
done
if [ $dep = 1 ] && [ -n "$name" ]; then
	src="$(dirname "$FAKE_ARGV")/src/lib.rs"
	mkdir -p "${src%/*}" && [ -e "$src" ] || echo '// fake' >"$src"
	printf '%s: %s\n\n%s:\n' "$out/$name$extra" "$src" "$src" >"$out/$name$extra.d"
fi
exit "${FAKE_EXIT:-0}"
FAKE
	chmod +x "$T/bin/rustc"
	export FAKE_ARGV="$T/argv"
	export CARGO_PGO_WRAP_CACHE="$T/cache"
	export CARGO_PGO_WRAP_JOURNAL="$T/journal.log"
	mkdir -p "$T/out"
}

# Arguments cargo passes for an optimised library unit.
lib_args() { # crate [extra args...]
	local crate=$1
	shift
	echo --crate-name "$crate" --edition=2021 src/lib.rs --error-format=json \
		--crate-type lib --emit=${EMIT:-dep-info,metadata,link} -C opt-level=3 \
		-C metadata=0123abcd -C extra-filename=-0123abcd --out-dir "$T/out" "$@"
}

# Asserts the fake rustc received exactly the given arguments.
assert_argv() { # args...
	printf '%s\n' "$@" >"$T/argv.expected"
	cmp -s "$T/argv.expected" "$T/argv" || {
		diff "$T/argv.expected" "$T/argv" | sed 's/^/      | /' >&2
		fail "rustc did not receive the arguments unchanged"
	}
}

# The STAMP of the one build dir a test used.
the_stamp() {
	local s
	s=$(ls "$CARGO_PGO_WRAP_CACHE"/slots/*/stamps/*)
	[ "$(echo "$s" | wc -l)" = 1 ] || fail "expected one stamp, found: $s"
	echo "$s"
}

# The file of the current profile's split that units of crate are given (one unit of that name).
split_file() { # crate
	local dir
	dir=$(ls -d "$CARGO_PGO_WRAP_CACHE"/slots/*/split)
	awk -F'\t' -v c="$1" -v d="$dir" 'index($1, c "-") == 1 && substr($1, length(c) + 2) ~ /^[0-9a-f]+$/ {
		print d "/" $1 ".profdata" }' "$dir/INDEX"
}

# What the mark of a unit of crate records when it uses the current profile: its file and the file's hash.
split_use() { # crate
	local dir
	dir=$(ls -d "$CARGO_PGO_WRAP_CACHE"/slots/*/split)
	awk -F'\t' -v c="$1" -v d="$dir" 'index($1, c "-") == 1 && substr($1, length(c) + 2) ~ /^[0-9a-f]+$/ {
		print "use " d "/" $1 ".profdata#" substr($3, 1, 16) }' "$dir/INDEX"
}

# The C decision with the current profile split: its C part and that file's hash.
c_split_use() {
	local dir
	dir=$(ls -d "$CARGO_PGO_WRAP_CACHE"/slots/*/split)
	awk -F'\t' -v d="$dir" '$1 == "-c" { print "use " d "/-c.profdata#" substr($3, 1, 16) }' "$dir/INDEX"
}

# Our mark in the dep-info of a unit's newest build in a deps dir ("" when none):
# slot, crate, metadata, action, key, detail, mismatches (tab separated).
unit_mark() { # deps-dir crate [metadata]
	local d
	for d in $(ls -t "$1"/"$2"-*.d 2>/dev/null); do
		if [ -z "${3:-}" ] || grep -q "^# pgo-wrap:unit	[^	]*	$2	$3	" "$d"; then
			sed -n 's/^# pgo-wrap:unit	//p' "$d"
			return 0
		fi
	done
}

# Runs every test_* function defined so far (or those whose names contain one
# of the arguments), each in a subshell with set -e and a fresh $T; ends with
# "N passed, N failed" and fails when any did.
run_tests() {
	local passed=0 failed=0 failed_names=() t match pat start rc
	PGOW_SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/pgow-it.XXXXXX")
	trap 'rm -rf "$PGOW_SCRATCH"' EXIT
	for t in $(declare -F | awk '{print $3}' | grep '^test_'); do
		if [ $# -gt 0 ]; then
			match=0
			for pat in "$@"; do case "$t" in *"$pat"*) match=1 ;; esac; done
			[ $match = 1 ] || continue
		fi
		T="$PGOW_SCRATCH/$t"
		mkdir -p "$T"
		start=$(date +%s)
		# Not inside `if`: bash ignores set -e in a tested context, so a failing command
		# in a test would pass unnoticed.
		(T="$T"; export T; set -e; "$t")
		rc=$?
		if [ $rc = 0 ]; then
			passed=$((passed + 1))
			echo "ok   $t ($(( $(date +%s) - start ))s)"
		else
			failed=$((failed + 1))
			failed_names+=("$t")
			echo "FAIL $t"
		fi
	done
	[ $failed = 0 ] || printf 'failed: %s\n' "${failed_names[@]}"
	echo "$passed passed, $failed failed"
	[ $failed = 0 ]
}
