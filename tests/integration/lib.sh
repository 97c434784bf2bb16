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
# Nor make's: under `make -j` cargo finds a jobserver in MAKEFLAGS whose pipe it cannot
# open, and warns ("failed to connect to jobserver") into output that tests read.
unset MAKEFLAGS MFLAGS MAKELEVEL CARGO_MAKEFLAGS

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
		print d "/" (NF == 4 ? $4 : $1) ".profdata" }' "$dir/INDEX"
}

# What the mark of a unit of crate records when it uses the current profile: its file and the file's hash.
split_use() { # crate
	local dir
	dir=$(ls -d "$CARGO_PGO_WRAP_CACHE"/slots/*/split)
	awk -F'\t' -v c="$1" -v d="$dir" 'index($1, c "-") == 1 && substr($1, length(c) + 2) ~ /^[0-9a-f]+$/ {
		print "use " d "/" (NF == 4 ? $4 : $1) ".profdata#" substr($3, 1, 16) }' "$dir/INDEX"
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

# --- Declarations, made next to a test at the top level of its file ---------------
declare -A PGOW_MAY_SKIP=() PGOW_NO_CARGO=() PGOW_SLOW=()

# may_skip NAME WHY: NAME may end in `skip` without failing the run. WHY says where it
# skips and why that is acceptable there. An undeclared skip is a failure.
may_skip() {
	[ $# = 2 ] && [ -n "$2" ] || { echo "may_skip: usage: may_skip TEST_NAME 'why it may skip'" >&2; exit 2; }
	PGOW_MAY_SKIP[$1]=$2
}

# no_cargo NAME...: the test runs no cargo build (a fake or the real rustc called
# directly, a hand-built cache, a fake cargo): part of `make check` and of the
# sanitizer run (run.sh --quick). Under --quick a guard fails any cargo build it starts.
no_cargo() {
	local t
	for t; do PGOW_NO_CARGO[$t]=1; done
}

# slow NAME SECONDS: among the longest tests, about SECONDS alone on 2 cores: the slow
# ones start first, longest first, so that a parallel run does not end waiting for one.
slow() {
	[ $# = 2 ] && [ "$2" -gt 0 ] 2>/dev/null || { echo "slow: usage: slow TEST_NAME SECONDS" >&2; exit 2; }
	PGOW_SLOW[$1]=$2
}

# skip REASON: ends the test as skipped, printed as `skip NAME: REASON`. It fails the
# run unless the test is declared with may_skip.
skip() {
	printf '%s\n' "$*" >"$PGOW_SKIP_FILE"
	exit 77
}

# --- The runner -------------------------------------------------------------------

# A cargo first on PATH in --quick runs: commands that build fail the test.
make_cargo_guard() { # dir
	mkdir -p "$1"
	cat >"$1/cargo" <<'GUARD'
#!/usr/bin/env bash
# (run.sh --quick) A test declared no_cargo must not build with cargo.
for a in "$@"; do
	case $a in
	build | b | test | t | run | r | bench | rustc | check | c | install | doc | d | fix | clippy | package | publish)
		echo "cargo guard: the no_cargo test $PGOW_TEST ran 'cargo $*'; remove its no_cargo declaration" >&2
		echo "$PGOW_TEST: cargo $*" >>"$PGOW_GUARD_LOG"
		exit 97 ;;
	-*) ;;
	+*) ;;
	*) break ;;
	esac
done
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
	[ -x "$d/cargo" ] && [ "$d" != "$PGOW_GUARD_DIR" ] && exec "$d/cargo" "$@"
done
echo "cargo guard: no cargo on PATH after $PGOW_GUARD_DIR" >&2
exit 127
GUARD
	chmod +x "$1/cargo"
}

# Starts one test in the background: its own $T, HOME, caches, CARGO_HOME and
# TMPDIR, cwd $T, stdin /dev/null, stdout and stderr captured in its log.
start_test() { # name
	local t=$1 env="$PGOW_SCRATCH/.env/$1"
	mkdir -p "$PGOW_SCRATCH/$t" "$env/home" "$env/tmp" "$env/cargo-home"
	(
		export T="$PGOW_SCRATCH/$t" PGOW_TEST=$t PGOW_SKIP_FILE="$env/skip"
		export HOME="$env/home" XDG_CACHE_HOME="$env/home/.cache" XDG_CONFIG_HOME="$env/home/.config" \
			XDG_DATA_HOME="$env/home/.local/share" XDG_STATE_HOME="$env/home/.local/state" \
			CARGO_HOME="$env/cargo-home" TMPDIR="$env/tmp"
		if [ -n "${PGOW_SANITIZED:-}" ]; then
			# Every report of every sanitized process (also those run by cargo, or whose exit
			# status a test does not look at) lands here; the runner fails the test on any.
			mkdir -p "$env/san"
			export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$env/san/asan"
			export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$env/san/ubsan"
		fi
		cd "$T" || exit 1
		# Not inside `if`: bash ignores set -e in a tested context, so a failing command
		# in a test would pass unnoticed.
		set -e
		"$t"
	) </dev/null >"$PGOW_SCRATCH/.env/$t/log" 2>&1 &
	PGOW_RUNNING[$!]=$t
	PGOW_STARTED[$t]=$(date +%s)
}

# Waits for one running test and prints its line: ok, skip or FAIL (with its output).
reap_test() {
	local pid rc t secs env reason san
	wait -n -p pid "${!PGOW_RUNNING[@]}"
	rc=$?
	t=${PGOW_RUNNING[$pid]}
	unset "PGOW_RUNNING[$pid]"
	env="$PGOW_SCRATCH/.env/$t"
	secs=$(($(date +%s) - PGOW_STARTED[$t]))
	san=
	if [ -n "${PGOW_SANITIZED:-}" ] && [ -n "$(ls -A "$env/san" 2>/dev/null)" ]; then
		san=$(cat "$env"/san/*)
		[ "$rc" != 0 ] && [ "$rc" != 77 ] || rc=99
	fi
	if [ -n "${PGOW_GUARD_LOG:-}" ] && grep -q "^$t: " "$PGOW_GUARD_LOG" 2>/dev/null; then
		grep "^$t: " "$PGOW_GUARD_LOG" | sed 's/^[^:]*: /cargo guard: ran /' >>"$env/log"
		rc=97
	fi
	# A write or rename that followed a path onto /dev/null turns it into a file,
	# which every later reader of /dev/null (cargo's rustc probes too) then reads.
	if [ ! -c /dev/null ]; then
		echo "/dev/null is no longer a device after this test (or one beside it)" >>"$env/log"
		rc=96
		{ rm -f /dev/null && mknod -m 666 /dev/null c 1 3; } 2>/dev/null || true
	fi
	if [ "$rc" = 77 ] && [ -s "$env/skip" ]; then
		reason=$(head -c 500 "$env/skip" | tr '\n' ' ' | sed 's/ $//')
		if [ -n "${PGOW_MAY_SKIP[$t]+x}" ]; then
			PGOW_SKIPPED+=("$t")
			echo "skip $t: $reason"
		else
			PGOW_FAILED+=("$t")
			echo "skip $t: $reason"
			echo "FAIL $t: skipped, and no may_skip declares why it may skip here"
		fi
	elif [ "$rc" = 0 ]; then
		PGOW_PASSED+=("$t")
		echo "ok   $t (${secs}s)"
		[ -z "${PGOW_VERBOSE:-}" ] || sed 's/^/  /' "$env/log"
	else
		PGOW_FAILED+=("$t")
		echo "FAIL $t (${secs}s, exit $rc)"
		sed 's/^/  /' "$env/log"
		[ -z "$san" ] || { echo "  sanitizer reports:"; printf '%s\n' "$san" | sed 's/^/  | /'; }
	fi
	# Passing tests' dirs go now (a parallel run of real builds takes room); failed ones stay
	# until the end, or for good with PGOW_KEEP=1.
	if [ -z "${PGOW_KEEP:-}" ] && { [ "$rc" = 0 ] || [ "$rc" = 77 ]; }; then
		rm -rf "${PGOW_SCRATCH:?}/$t" "$env"
	fi
}

# run_tests [-j N] [--quick|--cargo] [-v] [PATTERN...]: runs every test_* function defined
# so far (or those whose names contain one of the patterns; --quick: only those declared
# no_cargo, --cargo: only the others; -v: every test's output, not only a failing
# one's; --list: only print the tests, in the order they would start), N at a time (default: PGOW_JOBS, else the number of cores), each in a
# subshell with set -e, a fresh $T and an environment of its own. Each test's line is
# printed when it ends; a failing test's output follows its line. Ends with
# "N passed, N failed, N skipped" and fails when any test failed or skipped undeclared.
run_tests() {
	local jobs=${PGOW_JOBS:-} quick=0 cargo_only=0 list=0 pats=() t pat match
	while [ $# -gt 0 ]; do
		case $1 in
		-j) jobs=${2:-}; shift ;;
		-j*) jobs=${1#-j} ;;
		--quick) quick=1 ;;
		--cargo) cargo_only=1 ;;
		-v) PGOW_VERBOSE=1 ;;
		--list) list=1 ;;
		-*) echo "run_tests: unknown option $1" >&2; return 2 ;;
		*) pats+=("$1") ;;
		esac
		shift
	done
	[ -n "$jobs" ] || jobs=$(nproc 2>/dev/null || echo 2)
	case $jobs in '' | *[!0-9]* | 0) echo "run_tests: -j wants a number of tests at a time, not '$jobs'" >&2; return 2 ;; esac

	local all=() first=() middle=() last=() order=()
	mapfile -t all < <(declare -F | awk '$3 ~ /^test_/ {print $3}')
	local slow_order=()
	mapfile -t slow_order < <(for t in "${!PGOW_SLOW[@]}"; do echo "${PGOW_SLOW[$t]} $t"; done | sort -rn | cut -d' ' -f2)
	for t in "${slow_order[@]}" "${!PGOW_MAY_SKIP[@]}" "${!PGOW_NO_CARGO[@]}"; do
		declare -F "$t" >/dev/null || { echo "run_tests: $t is declared but is not a test function" >&2; return 2; }
	done
	for t in "${all[@]}"; do
		if [ ${#pats[@]} -gt 0 ]; then
			match=0
			for pat in "${pats[@]}"; do case "$t" in *"$pat"*) match=1 ;; esac; done
			[ $match = 1 ] || continue
		fi
		if [ -n "${PGOW_NO_CARGO[$t]+x}" ]; then
			[ $cargo_only = 1 ] || last+=("$t")
		elif [ $quick = 1 ]; then
			continue
		elif [ -z "${PGOW_SLOW[$t]+x}" ]; then
			middle+=("$t")
		fi
	done
	if [ $quick = 0 ]; then
		for t in "${slow_order[@]}"; do
			if [ ${#pats[@]} -gt 0 ]; then
				match=0
				for pat in "${pats[@]}"; do case "$t" in *"$pat"*) match=1 ;; esac; done
				[ $match = 1 ] || continue
			fi
			first+=("$t")
		done
	fi
	order=("${first[@]}" "${middle[@]}" "${last[@]}")
	[ ${#order[@]} -gt 0 ] || { echo "run_tests: no test matches ${pats[*]:-}" >&2; return 2; }
	if [ $list = 1 ]; then
		printf '%s\n' "${order[@]}"
		return 0
	fi

	PGOW_SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/pgow-it.XXXXXX")
	if [ -n "${PGOW_KEEP:-}" ]; then
		echo "keeping test dirs in $PGOW_SCRATCH"
	else
		trap 'rm -rf "$PGOW_SCRATCH"' EXIT
	fi
	# HOME moves per test; rustup's toolchains stay where they are.
	[ -n "${RUSTUP_HOME:-}" ] || [ ! -d "$HOME/.rustup" ] || export RUSTUP_HOME="$HOME/.rustup"
	if [ $quick = 1 ]; then
		export PGOW_GUARD_DIR="$PGOW_SCRATCH/.guard" PGOW_GUARD_LOG="$PGOW_SCRATCH/.guard.log"
		make_cargo_guard "$PGOW_GUARD_DIR"
		export PATH="$PGOW_GUARD_DIR:$PATH"
	fi
	echo "${#order[@]} test(s), $jobs at a time"

	declare -gA PGOW_RUNNING=() PGOW_STARTED=()
	PGOW_PASSED=() PGOW_FAILED=() PGOW_SKIPPED=()
	for t in "${order[@]}"; do
		while [ ${#PGOW_RUNNING[@]} -ge "$jobs" ]; do reap_test; done
		start_test "$t"
	done
	while [ ${#PGOW_RUNNING[@]} -gt 0 ]; do reap_test; done

	[ ${#PGOW_FAILED[@]} = 0 ] || printf 'failed: %s\n' "${PGOW_FAILED[@]}"
	echo "${#PGOW_PASSED[@]} passed, ${#PGOW_FAILED[@]} failed, ${#PGOW_SKIPPED[@]} skipped"
	[ ${#PGOW_FAILED[@]} = 0 ]
}
