# t_commands.sh - doctor, instrument, train, run and clean, with real cargo.

test_commands_doctor() {
	build_setup
	pgow doctor >"$T/out" || fail "doctor failed on a good setup: $(cat "$T/out")"
	assert_grep '^ok    llvm-profdata    .*reads raw format 10' "$T/out" "llvm-profdata found by format"
	assert_grep "^ok    config           $T/ws/pgo-wrap.yaml: 1 training run\\(s\\)" "$T/out" "config read"
	assert_grep '^all checks passed$' "$T/out" "verdict"
	local rc=0
	CARGO_PGO_WRAP_LLVM_PROFDATA=llvm-profdata-14 pgow doctor >"$T/out" || rc=$?
	assert_eq 4 "$rc" "wrong llvm-profdata"
	assert_grep '^FAIL  llvm-profdata ' "$T/out" "reported"
	assert_grep '^      fix: apt-get install llvm-22' "$T/out" "with its fix"
	echo 'stale-policy: often' >pgo-wrap.yaml
	rc=0
	pgow doctor >"$T/out" || rc=$?
	assert_eq 2 "$rc" "bad config"
	assert_grep "^FAIL  config           $T/ws/pgo-wrap.yaml:1:15: stale-policy 'often'" "$T/out" "located"
}

test_commands_instrument_deploy_merge() {
	build_setup
	rm pgo-wrap.yaml
	pgow instrument --release 2>"$T/err" || fail "instrument failed: $(cat "$T/err")"
	assert_grep "2 unit\\(s\\) instrumented in $T/ws/target/release" "$T/err" "where"
	assert_grep "write their profiles to $T/ws/target/pgo-wrap/raw/host/release" "$T/err" "where profiles go"
	# "Elsewhere": run the deployed binary with its own profile file pattern; bring the file back.
	run_profiled "$T/field" target/release/fixbin 2000 >/dev/null
	assert_eq 1 "$(count_files "$T/field" '*.profraw')" "the instrumented binary wrote a profile"
	pgow merge --weight 3 "$T/field" 2>"$T/err" || fail "merge: $(cat "$T/err")"
	assert_grep 'Merged 1 raw profile\(s\) into [0-9a-f]{12} for slot' "$T/err" "routed by build-id, no --slot needed"
	# Here: the binary writes into its default dir, and `build` merges that before it builds.
	target/release/fixbin 500 >/dev/null
	pgow build --release 2>"$T/err" || fail "build after instrument: $(cat "$T/err")"
	assert_grep 'Merging 1 raw profile\(s\) that instrumented binaries wrote' "$T/err" "the local run is merged"
	assert_grep 'Added 1 raw profile\(s\) to the profile of slot' "$T/err" "added to the field profile"
	assert_grep 'Fresh profile' "$T/err" "the profile is used"
	assert_grep 'Compiling fixbin' "$T/err" "the instrumented binary is rebuilt optimised"
	run_profiled "$T/after" target/release/fixbin 10 >/dev/null
	assert_eq 0 "$(count_files "$T/after" '*.profraw')" "no instrumented binary shipped"
}

test_commands_train_run_clean() {
	build_setup
	pgow build --release 2>/dev/null || fail "build failed"
	local key1
	key1=$(ls "$T"/cache/slots/*/CURRENT | xargs cat)
	pgow train --release 2>"$T/err" || fail "train failed: $(cat "$T/err")"
	assert_grep 'Trained run 1/1' "$T/err" "trained"
	assert_grep 'Merged 1 raw profile' "$T/err" "merged"
	# Provenance: a binary instrumented before an edit, run after it: merging its profile
	# gives a profile of the old code, and status says so (fixlib as collected, not as now).
	cp target/pgo-wrap/instrumented/release/fixbin "$T/old-fixbin"
	sed -i 's/let mut v = self.atom();/let mut v = self.atom();\n        if v == i64::MIN { v = 0; }/' fixlib/src/lib.rs
	RUSTC_WRAPPER="$PGOW_BIN" cargo_ok build --release
	LLVM_PROFILE_FILE="$T/old/%p.profraw" "$T/old-fixbin" 500 >/dev/null
	pgow merge --replace "$T/old" 2>"$T/err" || fail "merge of the old binary's profile: $(cat "$T/err")"
	pgow status >"$T/status.txt"
	assert_grep '^  state       stale: fixlib \(changed' "$T/status.txt" "the new profile is of the old code"
	# `train` trains binaries of the code as it is now: an incremental instrumented build first.
	pgow train --release 2>"$T/err" || fail "train after an edit: $(cat "$T/err")"
	assert_grep 'Building \[1/3\] instrumented binaries' "$T/err" "train builds what it trains"
	pgow status >"$T/status.txt"
	assert_grep '^  state       fresh' "$T/status.txt" "and its profile is of the current code"
	pgow run --release -p fixbin -- 1000 >"$T/stdout" 2>"$T/err" || fail "run failed"
	assert_eq "$(target/release/fixbin 1000)" "$(cat "$T/stdout")" "run: stdout is the program's own"
	pgow clean >"$T/out"
	[ ! -d target/pgo-wrap ] || fail "clean left target/pgo-wrap"
	[ -n "$(ls "$T/cache/slots")" ] || fail "clean without --profiles removed profiles"
	pgow clean --profiles >"$T/out"
	assert_grep '^removed profiles of slot [0-9a-f]{12}$' "$T/out" "clean --profiles"
	[ -z "$(ls "$T/cache/slots")" ] || fail "profiles left: $(ls "$T/cache/slots")"
	[ -n "$key1" ] || fail "no profile was ever stored"
	# After clean there is no dead end: train builds the instrumented binaries again.
	pgow train --release 2>"$T/err" || fail "train after clean: $(cat "$T/err")"
	assert_grep 'Merged 1 raw profile' "$T/err" "trained and merged"
}
