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
	assert_grep "instrumented binaries are in $T/ws/target/release \\(slot [0-9a-f]{12}\\)" "$T/err" "where"
	local slot
	slot=$(sed -n 's/.*cargo-pgo-wrap merge --slot \([0-9a-f]*\) .*/\1/p' "$T/err")
	[ -n "$slot" ] || fail "no merge command printed"
	# "Elsewhere": run the deployed binary with its own profile file pattern.
	run_profiled "$T/field" target/release/fixbin 2000 >/dev/null
	assert_eq 1 "$(count_files "$T/field" '*.profraw')" "the instrumented binary wrote a profile"
	pgow merge --slot "$slot" --weight 3 "$T/field" 2>"$T/err" || fail "merge --slot: $(cat "$T/err")"
	pgow build --release 2>"$T/err" || fail "build after instrument: $(cat "$T/err")"
	assert_grep 'Fresh profile' "$T/err" "the field profile is used"
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
	assert_grep 'Merged 1 profile' "$T/err" "merged"
	pgow run --release -p fixbin -- 1000 >"$T/stdout" 2>"$T/err" || fail "run failed"
	assert_eq "$(target/release/fixbin 1000)" "$(cat "$T/stdout")" "run: stdout is the program's own"
	pgow clean >"$T/out"
	[ ! -d target/pgo-wrap ] || fail "clean left target/pgo-wrap"
	[ -n "$(ls "$T/cache/slots")" ] || fail "clean without --profiles removed profiles"
	pgow clean --profiles >"$T/out"
	assert_grep '^removed profiles of slot [0-9a-f]{12}$' "$T/out" "clean --profiles"
	[ -z "$(ls "$T/cache/slots")" ] || fail "profiles left: $(ls "$T/cache/slots")"
	[ -n "$key1" ] || fail "no profile was ever stored"
	local rc=0
	pgow train --release 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "train with nothing instrumented"
	assert_grep 'no instrumented build in .*; run `cargo-pgo-wrap build`' "$T/err" "explains"
}
