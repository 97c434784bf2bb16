# t_frontend.sh - the front end follows cargo: target dirs as cargo sees them,
# cargo test/run/bench that clean nothing, JSON messages that name what ships,
# preflight before the first build step, and a CLI that behaves.

# A build, then a no-op build, both landing in dir ($1).
assert_cycle_into() { # target-dir what [args...]
	local dir=$1 what=$2
	shift 2
	pgow build --release "$@" 2>"$T/err" || { tail -5 "$T/err" >&2; fail "$what: build"; }
	assert_grep "PGO 2 unit\\(s\\) of $dir/release carry profile" "$T/err" "$what: optimised build lands there"
	[ -x "$dir/pgo-wrap/instrumented/release/fixbin" ] || fail "$what: instrumented build not under $dir"
	[ ! -e target/release/fixbin ] || fail "$what: something was built in ./target"
	run_profiled "$T/after" "$dir/release/fixbin" 10 >/dev/null
	assert_eq 0 "$(count_files "$T/after" '*.profraw')" "$what: the shipped binary is not instrumented"
	pgow build --release "$@" 2>"$T/err2" || fail "$what: second build"
	assert_grep 'Fresh profile' "$T/err2" "$what: second build is fresh"
	assert_no_grep 'instrumented binaries|Training|Compiling' "$T/err2" "$what: and a no-op"
}

test_frontend_cargo_target_dir() {
	build_setup
	CARGO_TARGET_DIR="$T/elsewhere" assert_cycle_into "$T/elsewhere" CARGO_TARGET_DIR
}

slow test_frontend_target_dir_option 25
test_frontend_target_dir_option() {
	build_setup
	assert_cycle_into "$T/opt-dir" --target-dir --target-dir "$T/opt-dir"
	assert_cycle_into "$T/opt-dir2" --target-dir= "--target-dir=$T/opt-dir2"
}

test_frontend_build_target_dir_in_cargo_config() {
	build_setup
	mkdir -p .cargo
	printf '[build]\ntarget-dir = "%s"\n' "$T/from-config" >.cargo/config.toml
	assert_cycle_into "$T/from-config" build.target-dir
}

test_frontend_test_run_bench_clean_nothing() {
	build_setup
	pgow test -q >/dev/null 2>"$T/err" || fail "test: $(cat "$T/err")"
	pgow test -q >/dev/null 2>"$T/err" || fail "second test"
	assert_no_grep 'Cleaning|Removed|Compiling' "$T/err" "a second test run compiles and cleans nothing"
	pgow run -q -p fixbin -- 10 >"$T/out" 2>"$T/err" || fail "run: $(cat "$T/err")"
	pgow run -q -p fixbin -- 10 >"$T/out" 2>"$T/err" || fail "second run"
	assert_no_grep 'Cleaning|Removed|Compiling' "$T/err" "a second run compiles and cleans nothing"
	[ -x target/debug/fixbin ] || fail "target/debug was wiped"
}

test_frontend_json_messages_name_what_ships() {
	build_setup
	pgow build --release --message-format=json >"$T/out" 2>"$T/err" || fail "build: $(cat "$T/err")"
	assert_grep '"reason":"compiler-artifact"' "$T/out" "cargo's messages on stdout"
	assert_no_grep 'pgo-wrap/instrumented' "$T/out" "no instrumented artifact in the messages"
	assert_grep "\"executable\":\"$T/ws/target/release/fixbin\"" "$T/out" "the shipped binary"
	assert_eq 1 "$(grep -c '"reason":"build-finished"' "$T/out")" "one build's messages"
	pgow build --release >"$T/out2" 2>/dev/null || fail "plain format"
	[ ! -s "$T/out2" ] || fail "stdout without --message-format=json: $(head -c 200 "$T/out2")"
}

# (cargo metadata only: the checks come before any build)
no_cargo test_frontend_preflight_before_building
test_frontend_preflight_before_building() {
	build_setup
	local rc=0
	CARGO_PGO_WRAP_LLVM_PROFDATA=llvm-profdata-14 pgow build --release 2>"$T/err" || rc=$?
	assert_eq 4 "$rc" "a wrong llvm-profdata"
	assert_eq 1 "$(wc -l <"$T/err")" "one line"
	[ ! -d target ] || fail "something was built before the check"
	rc=0
	echo keep >"$T/cachefile"
	CARGO_PGO_WRAP_CACHE="$T/cachefile" pgow build --release 2>"$T/err" || rc=$?
	assert_eq 3 "$rc" "an unusable cache"
	assert_eq 1 "$(wc -l <"$T/err")" "one line"
	[ ! -d target ] || fail "something was built before the check"
	rc=0
	pgow build 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "a debug build cannot be instrumented"
	assert_grep 'the dev profile has opt-level 0.*--release' "$T/err" "says why and the fix"
	[ ! -d target/debug ] || fail "a whole debug build ran first"
}

test_frontend_cli_behaves() {
	build_setup
	local c rc
	for c in build instrument train run test bench merge status clean doctor gc; do
		pgow "$c" --help >"$T/out" 2>"$T/err" || fail "$c --help failed"
		assert_grep "^Usage: cargo-pgo-wrap $c" "$T/out" "$c --help"
	done
	[ ! -d target ] || fail "--help built something"
	pgow build --release 2>/dev/null || fail "build"
	pgow clean --help >/dev/null
	[ -d target/pgo-wrap ] || fail "clean --help cleaned"
	rc=0
	pgow clean --bogus 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "clean --bogus"
	[ -d target/pgo-wrap ] || fail "clean --bogus cleaned"
	cp pgo-wrap.yaml "$T/other.yaml"
	pgow build --release "--pgo-config=$T/other.yaml" 2>"$T/err" || fail "--pgo-config=FILE"
	local id
	id=$(ls "$T/cache/slots")
	pgow status --format yaml >"$T/out" || fail "--format yaml"
	assert_grep '^slots:' "$T/out" "yaml"
	pgow gc --max-size=1G >/dev/null || fail "--max-size=1G"
	rc=0
	pgow gc --max-size 1e30 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "an absurd size is refused"
	rc=0
	pgow gc --max-size nan 2>/dev/null || rc=$?
	assert_eq 2 "$rc" "nan is refused"
	rc=0
	pgow merge --slot 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "a missing value"
	assert_grep 'slot needs a value' "$T/err" "names the option"
	: >pgo-wrap.yaml
	pgow build --release 2>"$T/err" || fail "an empty pgo-wrap.yaml is all defaults: $(cat "$T/err")"
	pgow help >"$T/out"
	for v in MODE PROFILE WHEN_NO_PROFILE EXCLUDE NEXT CACHE CACHE_MAX WORKSPACE JOURNAL LLVM_PROFDATA NO_PROFILER_TARGETS C; do
		assert_grep "CARGO_PGO_WRAP_$v=" "$T/out" "help lists CARGO_PGO_WRAP_$v"
	done
	[ -n "$id" ] || fail "no slot"
}

test_frontend_training_output_goes_to_a_log() {
	build_setup
	export POLICY=refresh
	write_training '  - name: chatty
    shell: "echo TRAINING-SAYS-HELLO; echo TO-STDERR >&2"'
	pgow build --release >"$T/out" 2>"$T/err" || fail "build: $(cat "$T/err")"
	assert_no_grep 'TRAINING-SAYS-HELLO|TO-STDERR' "$T/err" "training output stays out of the build log"
	[ ! -s "$T/out" ] || fail "training output on stdout"
	assert_grep 'TRAINING-SAYS-HELLO' target/pgo-wrap/training.log "stdout in the log"
	assert_grep 'TO-STDERR' target/pgo-wrap/training.log "stderr in the log"
	assert_grep "output in $T/ws/target/pgo-wrap/training.log" "$T/err" "the log is named"
	sed -i 's/TRAINING/AGAIN/' pgo-wrap.yaml
	pgow build --release -v >"$T/out" 2>"$T/err" || fail "verbose build"
	assert_grep 'Fresh fixlib' "$T/err" "-v makes cargo verbose"
	assert_no_grep 'AGAIN-SAYS-HELLO' "$T/err" "but keeps the training's output in its log"
	sed -i 's/AGAIN/ONCE-MORE/' pgo-wrap.yaml
	pgow build --release -vv >"$T/out" 2>"$T/err" || fail "very verbose build"
	assert_grep 'ONCE-MORE-SAYS-HELLO' "$T/err" "-vv shows it live"
	[ ! -s "$T/out" ] || fail "training output on stdout with -vv"
	write_training '  - name: failing
    shell: "echo WHY-IT-FAILED; exit 3"'
	local rc=0
	pgow build --release 2>"$T/err" || rc=$?
	assert_eq 6 "$rc" "a failing run"
	assert_grep "\\(its output is in $T/ws/target/pgo-wrap/training.log\\)" "$T/err" "the error points at the log"
	assert_grep 'WHY-IT-FAILED' target/pgo-wrap/training.log "which has it"
}

slow test_frontend_audit_findings 30
test_frontend_audit_findings() {
	build_setup
	# A human --message-format works (cargo takes one kind; we read JSON).
	pgow build --release --message-format=short 2>"$T/err" || fail "--message-format=short: $(tail -3 "$T/err")"
	# From a member dir, cargo builds only that package, and the training runs
	# another's program: the instrumented build (ours, in its own dir) adds that
	# package, the refresh runs, and the optimised build builds what was asked.
	sed -i 's/let mut v = self.atom();/let mut v = self.atom();\n        if v == i64::MIN { v = 0; }/' fixlib/src/lib.rs
	POLICY=refresh write_training
	(cd fixlib && pgow build --release 2>"$T/err") || fail "refresh from a member dir: $(tail -3 "$T/err")"
	assert_grep 'Training \[2/4\]' "$T/err" "the refresh trained fixbin"
	assert_no_grep 'Compiling fixbin' <(sed -n '/Optimizing/,$p' "$T/err") "the optimised build built fixlib alone"
	# A target picker there applies to the member, which stays in the instrumented build.
	sed -i 's/if v == i64::MIN { v = 0; }/if v == i64::MIN { v = 3; }/' fixlib/src/lib.rs
	(cd fixlib && pgow build --release --lib 2>"$T/err") || fail "refresh from a member dir with --lib: $(tail -3 "$T/err")"
	assert_grep 'Training \[2/4\]' "$T/err" "--lib in a member dir: the refresh trained fixbin"
	# -p with a target picker, likewise.
	sed -i 's/if v == i64::MIN { v = 3; }/if v == i64::MIN { v = 1; }/' fixlib/src/lib.rs
	pgow build --release -p fixlib --lib 2>"$T/err" || fail "build -p fixlib --lib: $(tail -3 "$T/err")"
	assert_grep 'Training \[2/4\]' "$T/err" "-p fixlib --lib: the refresh trained fixbin"
	# At the root, arguments that pick other targets would leave the program out of
	# the instrumented build: it builds it too, in its own dir, and the refresh runs.
	sed -i 's/if v == i64::MIN { v = 1; }/if v == i64::MIN { v = 2; }/' fixlib/src/lib.rs
	pgow build --release --lib 2>"$T/err" || fail "build --lib: $(tail -3 "$T/err")"
	assert_grep 'Training \[2/4\]' "$T/err" "the refresh trained fixbin"
	[ -x target/pgo-wrap/instrumented/release/fixbin ] || fail "fixbin was built instrumented"
	[ ! -e target/release/fixbin ] || [ target/release/fixbin -ot target/pgo-wrap/instrumented/release/fixbin ] ||
		fail "the optimised build built only what --lib asks"
	# A plain build, then `instrument`: the plain artifacts are rebuilt instrumented.
	touch fixlib/src/lib.rs
	cargo_ok build --release
	pgow instrument --release 2>"$T/err" || fail "instrument after a plain build: $(tail -3 "$T/err")"
	assert_grep '2 unit\(s\) instrumented' "$T/err" "instrumented"
	target/release/fixbin 100 >/dev/null
	pgow status >"$T/status.txt"
	assert_grep '^pending       1 raw profile\(s\) under' "$T/status.txt" "status shows raw profiles waiting"
	# status takes the profile as cargo does: the release slot with --release, none with --profile dev.
	pgow status --release >"$T/status.txt" || fail "status --release"
	assert_grep '^slot [0-9a-f]{12} ' "$T/status.txt" "status --release shows the release build's slot"
	pgow status --profile dev >"$T/status.txt" || fail "status --profile dev"
	assert_no_grep '^slot ' "$T/status.txt" "no dev build here"
	assert_grep 'no cached profile or build record for builds in debug dirs of ' "$T/status.txt" "said so"
	# run/test do not read pgo-wrap.yaml: a broken one does not stop them; status warns.
	echo 'stale-policy: sometimes' >pgo-wrap.yaml
	pgow run --release -q -p fixbin -- 10 >/dev/null 2>"$T/err" || fail "run with a broken config: $(cat "$T/err")"
	pgow status >/dev/null 2>"$T/err" || fail "status with a broken config"
	assert_grep "whether the training changed is not checked" "$T/err" "status says what it skips"
	POLICY=refresh write_training
}

test_frontend_training_timeout_kills_the_run() {
	build_setup
	write_training '  - name: slow
    shell: "{bin:fixbin} 10 >/dev/null; sleep 30 & echo $! > {workspace}/child.pid; wait"
    timeout: 1'
	local rc=0 start
	start=$(date +%s)
	pgow build --release 2>"$T/err" || rc=$?
	assert_eq 6 "$rc" "a run past its timeout fails the training"
	assert_grep 'training run 2 \(slow, .*\) timed out after 1s' "$T/err" "says which and why"
	[ $(($(date +%s) - start)) -lt 20 ] || fail "the timeout was not enforced"
	sleep 0.2
	# Gone, or a zombie nobody reaped (PID 1 in a container may not): not running.
	local state
	state=$(awk '{print $3}' "/proc/$(cat child.pid)/stat" 2>/dev/null || true)
	case "$state" in "" | Z*) ;; *) fail "the run's children outlived the timeout (state $state)" ;; esac
}

test_frontend_summaries_claim_only_what_happened() {
	build_setup
	pgow build --release 2>/dev/null || fail "first build"
	sed -i 's/let mut v = self.atom();/let mut v = self.atom();\n        if v == i64::MIN { v = 0; }/' fixlib/src/lib.rs
	POLICY=plain write_training
	pgow build --release 2>"$T/err" || fail "plain-policy build"
	assert_grep 'building without PGO \(stale-policy: plain\)' "$T/err" "says plain"
	assert_grep 'NO unit of .* was built with a profile \(2 plain' "$T/err" "the summary counts plain units"
	assert_no_grep 'carry profile' "$T/err" "no profile is claimed"
	pgow build --release 2>"$T/err" || fail "second plain-policy build"
	assert_grep 'NO unit of .* was built with a profile \(2 plain' "$T/err" "a no-op plain build is not PGO either"
	# The user's own -Cprofile-use: left alone, and the cached profile is not claimed.
	POLICY=use-stale write_training
	llvm-profdata-22 merge -o "$T/own.profdata" "$(ls "$T"/cache/slots/*/profiles/*.profdata | head -n 1)"
	RUSTFLAGS="-Cprofile-use=$T/own.profdata" pgow build --release 2>"$T/err" || fail "own-flag build"
	assert_grep 'NO unit of .* was built with a profile .*user-pgo-flag' "$T/err" "says whose flag it was"
	assert_no_grep 'carry profile' "$T/err" "the cached profile is not claimed"
}

test_frontend_quiet_and_colours() {
	build_setup
	pgow build --release -q 2>"$T/err" || fail "quiet build"
	assert_no_grep 'Building|Training|Merging|Optimizing|PGO ' "$T/err" "-q silences our progress"
	echo 'stale-policy: often' >pgo-wrap.yaml
	local rc=0
	CARGO_TERM_COLOR=always NO_COLOR= pgow build --release 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "a bad stale-policy (coloured)"
	grep -q $'cargo-pgo-wrap: \e\[1;31merror\e\[0m: ' "$T/err" || fail "error: not coloured under CARGO_TERM_COLOR=always"
	rc=0
	CARGO_TERM_COLOR=never pgow build --release 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "a bad stale-policy (not coloured)"
	if grep -q $'\e\[' "$T/err"; then fail "colour under CARGO_TERM_COLOR=never"; fi
}

test_frontend_second_audit_findings() {
	build_setup
	# Raw profiles of CARGO_PGO_WRAP_WHEN_NO_PROFILE=instrument builds are merged by `build`.
	CARGO_PGO_WRAP_WHEN_NO_PROFILE=instrument RUSTC_WRAPPER="$PGOW_BIN" cargo_ok build --release
	target/release/fixbin 300 >/dev/null
	pgow status >"$T/status.txt"
	assert_grep 'pending     1 raw profile\(s\) in .*/raw \(CARGO_PGO_WRAP_WHEN_NO_PROFILE=instrument\)' \
		"$T/status.txt" "status shows them"
	pgow build --release 2>"$T/err" || fail "build: $(tail -3 "$T/err")"
	assert_grep 'Merging 1 raw profile\(s\) that instrumented binaries wrote to .*/slots/.*/raw' "$T/err" "merged"
	assert_grep 'Fresh profile' "$T/err" "and used, no cycle"
	assert_grep 'was merged by hand; the training in .* does not run while it is fresh' "$T/err" \
		"says the configured training is not run"
	# clean keeps unmerged raw profiles unless told.
	pgow instrument --release 2>/dev/null || fail "instrument"
	target/release/fixbin 100 >/dev/null
	local rc=0
	pgow clean 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "clean with unmerged raw profiles"
	assert_grep 'not merged yet; .*--discard-raw' "$T/err" "says how"
	[ "$(count_files target/pgo-wrap/raw '*.profraw')" = 1 ] || fail "clean deleted them anyway"
	pgow clean --discard-raw >/dev/null || fail "clean --discard-raw"
	# A release profile set to opt-level 0: one clear error, whether or not a profile exists.
	pgow build --release 2>/dev/null || fail "rebuild"
	rc=0
	CARGO_PROFILE_RELEASE_OPT_LEVEL=0 pgow build --release 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "opt-level 0 with a profile cached"
	assert_grep 'opt-level 0, which PGO cannot use.*raise its opt-level' "$T/err" "says why and the fix"
}

test_frontend_warnings_once_errors_always() {
	build_setup
	sed -i 's/let mut acc = 0i64;/let mut acc = 0i64; let unused_pgo = 1;/' fixbin/src/main.rs
	pgow build --release 2>"$T/err" || fail "build"
	assert_eq 1 "$(grep -c 'unused variable: `unused_pgo`' "$T/err")" "a warning is shown once per cycle"
	# An error in the instrumented build is shown (its diagnostics are otherwise kept in JSON).
	echo 'fn broken( {' >>fixlib/src/lib.rs
	POLICY=refresh write_training
	local rc=0
	pgow build --release 2>"$T/err" || rc=$?
	[ "$rc" != 0 ] || fail "a broken crate built"
	assert_grep 'unclosed delimiter' "$T/err" "rustc's error is shown"
}
