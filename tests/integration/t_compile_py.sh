# t_compile_py.sh - an unchanged compile.py-shaped driver gets PGO from outside.

compile_py() { # args...
	python3 "$ROOT/tests/integration/compile_like.py" --source "$T/pristine" --work "$T/src" \
		--out "$T/out" "$@" >"$T/driver.out" 2>"$T/driver.log" ||
		{ tail -n 30 "$T/driver.log" | sed 's/^/      | /' >&2; fail "compile_like.py $*"; }
}

# "<action> <detail>" of the last build for one crate.
last_action() { # crate
	awk -F '\t' -v c="$1" '$2 == c { a = $5 " " $6 } END { print a }' "$CARGO_PGO_WRAP_JOURNAL"
}

PROD=x86_64-unknown-linux-gnu/production

slow test_compile_py_transparent_pgo 50
test_compile_py_transparent_pgo() {
	cp -r "$FIXTURES/polkadot-like" "$T/pristine"
	printf 'training:\n  - name: node\n    run: ["{bin:polkadot}", "3000"]\n' >"$T/pristine/pgo-wrap.yaml"
	export CARGO_PGO_WRAP_CACHE="$T/cache" CARGO_PGO_WRAP_JOURNAL="$T/journal.log"
	unset RUSTC_WRAPPER CARGO_PGO_WRAP_WORKSPACE
	make_shim_dir
	export PATH="$T/shims:$PATH"
	local A=stable:native:16:false:3 C=stable:-:16:false:3 N=nightly:native:16:false:3

	# 1. No profile yet: a plain build, said once; the nested runtime build untouched.
	compile_py --reextract "$A"
	assert_eq "plain -" "$(last_action polkadot)" "first build is plain"
	assert_eq 1 "$(grep -c 'no profile for this build configuration yet' "$T/driver.log")" "one line says so"
	assert_eq "skip nested-build" "$(awk -F'\t' '$2=="runtime" {print $5" "$6}' "$CARGO_PGO_WRAP_JOURNAL" | sort -u)" \
		"nested runtime build left alone"

	# 2. The operator collects a profile for configuration A once.
	(cd "$T/src" && RUSTFLAGS=" -C target-cpu=native" SUBSTRATE_CLI_GIT_COMMIT_HASH=deadbeef \
		pgow build -p polkadot --profile=production --locked --target=x86_64-unknown-linux-gnu) \
		2>"$T/build.log" || { tail -20 "$T/build.log" >&2; fail "cargo-pgo-wrap build"; }
	local a_use
	a_use="use $(split_file polkadot)"

	# 3. The tree is deleted and re-extracted; the unchanged driver uses the cached profile.
	: >"$CARGO_PGO_WRAP_JOURNAL"
	compile_py --reextract "$A"
	for crate in polkadot polkadot_prepare_worker polkadot_execute_worker primitives; do
		assert_eq "use $(split_file $crate)" "$(last_action $crate)" "$crate after re-extraction"
	done
	for b in polkadot polkadot-prepare-worker polkadot-execute-worker; do
		run_profiled "$T/copied" "$T/out/stable_native_16_false_3/$b" 10 >/dev/null
	done
	assert_eq 0 "$(count_files "$T/copied" '*.profraw')" "copied-out binaries are not instrumented"
	assert_eq "skip nested-build" "$(awk -F'\t' '$2=="runtime" {print $5" "$6}' "$CARGO_PGO_WRAP_JOURNAL" | sort -u)" \
		"nested build still untouched"

	# 4. Nightly has another LLVM identity: another slot, no profile of stable's.
	: >"$CARGO_PGO_WRAP_JOURNAL"
	compile_py "$N"
	assert_eq "plain -" "$(last_action polkadot)" "nightly does not use stable's profile"
	assert_grep 'no profile for this build configuration yet' "$T/driver.log" "nightly says so"
	pgow status --all >"$T/status.txt"
	assert_grep 'rustc       rustc 1\.9[0-9]\.[0-9]+-nightly' "$T/status.txt" "a nightly slot"
	assert_grep 'rustc       rustc 1\.95\.0 ' "$T/status.txt" "a stable slot"

	# 5. Configuration C (no target-cpu) built plainly in the reused target dir; then a profile
	#    for it appears (instrumented elsewhere, merged); the next driver run rebuilds with it.
	compile_py "$C"
	assert_eq "plain -" "$(last_action polkadot)" "C starts plain"
	(cd "$T/src" && RUSTFLAGS= CARGO_TARGET_DIR="$T/src/target/pgo-wrap/instrumented" \
		CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/rawC" SUBSTRATE_CLI_GIT_COMMIT_HASH=deadbeef \
		cargo build -p polkadot --profile=production --locked --target=x86_64-unknown-linux-gnu -q) 2>/dev/null ||
		fail "instrumented build for C"
	"$T/src/target/pgo-wrap/instrumented/$PROD/polkadot" 2000 >/dev/null
	pgow merge "$T/rawC" 2>/dev/null || fail "merge for C"
	compile_py "$C"
	assert_grep 'Compiling polkadot' "$T/driver.log" "cargo rebuilt when C's profile appeared"
	assert_eq "use" "$(last_action polkadot | cut -d' ' -f1)" "C now uses its profile"
	[ "$(last_action polkadot)" != "$a_use" ] || fail "C used A's profile"
}

test_compile_py_opt_in_instrument_when_no_profile() {
	cp -r "$FIXTURES/polkadot-like" "$T/pristine"
	export CARGO_PGO_WRAP_CACHE="$T/cache" CARGO_PGO_WRAP_JOURNAL="$T/journal.log"
	unset RUSTC_WRAPPER CARGO_PGO_WRAP_WORKSPACE
	make_shim_dir
	export PATH="$T/shims:$PATH" CARGO_PGO_WRAP_WHEN_NO_PROFILE=instrument
	local A=stable:native:16:false:3 bin="$T/out/stable_native_16_false_3/polkadot"

	compile_py --reextract "$A"
	assert_grep 'building INSTRUMENTED \(CARGO_PGO_WRAP_WHEN_NO_PROFILE=instrument\)' "$T/driver.log" "says so"
	local raw
	raw=$(sed -n 's/.*`cargo-pgo-wrap merge \([^`]*\)`.*/\1/p' "$T/driver.log" | head -n 1)
	[ -n "$raw" ] || fail "no merge command printed"
	# The copied-out binary is instrumented: running it (its default path) collects a profile.
	"$bin" 2000 >/dev/null
	assert_eq 1 "$(count_files "$raw" '*.profraw')" "profile collected in the cache"
	pgow merge "$raw" 2>/dev/null || fail "merge of the opt-in profile"
	: >"$CARGO_PGO_WRAP_JOURNAL"
	compile_py --reextract "$A"
	assert_eq "use" "$(last_action polkadot | cut -d' ' -f1)" "next build uses it"
	run_profiled "$T/after" "$bin" 10 >/dev/null
	assert_eq 0 "$(count_files "$T/after" '*.profraw')" "and ships optimised"

	# A typo is an error, not a silent plain build.
	if CARGO_PGO_WRAP_WHEN_NO_PROFILE=sometimes python3 "$ROOT/tests/integration/compile_like.py" \
		--source "$T/pristine" --work "$T/src" --out "$T/out" --reextract stable:-:16:false:3 \
		>/dev/null 2>"$T/err"; then
		fail "a bad CARGO_PGO_WRAP_WHEN_NO_PROFILE was accepted"
	fi
	assert_grep 'CARGO_PGO_WRAP_WHEN_NO_PROFILE=sometimes is not a choice; set it to instrument or plain' "$T/err" "error"
}

slow test_compile_py_with_rustc_wrapper_instead_of_shim 25
test_compile_py_with_rustc_wrapper_instead_of_shim() {
	cp -r "$FIXTURES/polkadot-like" "$T/pristine"
	printf 'training:\n  - name: node\n    run: ["{bin:polkadot}", "2000"]\n' >"$T/pristine/pgo-wrap.yaml"
	export CARGO_PGO_WRAP_CACHE="$T/cache" CARGO_PGO_WRAP_JOURNAL="$T/journal.log"
	unset CARGO_PGO_WRAP_WORKSPACE
	cp -r "$T/pristine" "$T/src"
	(cd "$T/src" && RUSTFLAGS= pgow build -p polkadot --profile=production --locked \
		--target=x86_64-unknown-linux-gnu) 2>/dev/null || fail "collect a profile"
	: >"$CARGO_PGO_WRAP_JOURNAL"
	RUSTC_WRAPPER="$PGOW_BIN" compile_py --reextract stable:-:16:false:3
	assert_eq "use" "$(last_action polkadot | cut -d' ' -f1)" "RUSTC_WRAPPER=cargo-pgo-wrap python3 compile.py"
}
