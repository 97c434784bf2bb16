# t_layouts.sh - layouts real projects have: a lib and a bin sharing a crate
# name, two versions of one crate, `cargo test` between builds, builds and
# status from another directory. Each must reach a fixed point: the second
# build instruments nothing, trains nothing and compiles nothing.

layouts_setup() {
	cp -r "$FIXTURES/layouts" "$T/ws"
	export CARGO_PGO_WRAP_CACHE="$T/cache"
	unset RUSTC_WRAPPER CARGO_PGO_WRAP_WORKSPACE CARGO_PGO_WRAP_JOURNAL
	cd "$T/ws" || fail "cannot enter $T/ws"
	printf 'stale-policy: refresh\ntraining:\n  - run: ["{bin:app}", "20000"]\n' >pgo-wrap.yaml
}

# A build that is a no-op: fresh, nothing instrumented, trained or compiled.
assert_noop_build() { # what
	pgow build --release 2>"$T/noop.err" || { cat "$T/noop.err" >&2; fail "$1: build failed"; }
	assert_grep 'Fresh profile [0-9a-f]{12}: 5 unit\(s\) unchanged' "$T/noop.err" "$1: fresh"
	assert_no_grep 'Stale|instrumented binaries|Training|Merging|Compiling|Rebuilding' "$T/noop.err" "$1: nothing redone"
	assert_grep 'PGO 5 unit\(s\) .* carry profile [0-9a-f]{12} \(0 compiled now, 5 reused\)' "$T/noop.err" "$1: verified"
}

test_layouts_lib_and_bin_share_a_name_and_two_cfg_if_versions() {
	layouts_setup
	pgow build --release 2>"$T/err" || { cat "$T/err" >&2; fail "first build"; }
	assert_grep 'PGO 5 unit\(s\) .* carry profile' "$T/err" "lib app, bin app, helper and both cfg-if"
	[ "$(ls target/release/deps/app-*.d | wc -l)" = 2 ] || fail "setup: app's lib and bin are two units"
	[ "$(ls target/release/deps/cfg_if-*.d | wc -l)" = 2 ] || fail "setup: two cfg-if units"
	local key
	key=$(cat "$T"/cache/slots/*/CURRENT)
	assert_noop_build "second build"
	assert_noop_build "third build"
	assert_eq "$key" "$(cat "$T"/cache/slots/*/CURRENT)" "the profile was not replaced"
	# The profile really is applied to the library half (IR has entry counts).
	RUSTC_WRAPPER="$PGOW_BIN" cargo_ok rustc --release -p app --lib -- --emit=llvm-ir
	assert_grep '!"function_entry_count", i64 [1-9]' "$(ls target/release/deps/app-*.ll)" "profile-use IR of app's library"
	run_profiled "$T/after" target/release/app 10 >/dev/null
	assert_eq 0 "$(count_files "$T/after" '*.profraw')" "the shipped binary is not instrumented"
	# Both halves edited: one share of the counts, said once, with how many units.
	echo '#[allow(dead_code)] fn pgow_edited() {}' >>app/src/lib.rs
	echo '#[allow(dead_code)] fn pgow_edited() {}' >>app/src/main.rs
	pgow status >"$T/status.txt" || fail "status"
	assert_grep '^  state       stale: app \(changed, 2 units, [0-9]+% of counts\)' "$T/status.txt" "lib and bin of app"
	# In the table the two units named app say which is which; the two cfg-if need no label.
	assert_grep '^ +app \(lib\) +[0-9a-f]{8} +changed ' "$T/status.txt" "app's library"
	assert_grep '^ +app \(program\) +[0-9a-f]{8} +changed ' "$T/status.txt" "app's program"
	assert_grep '^ +cfg_if +[0-9a-f]{8} ' "$T/status.txt" "two versions of a library keep their name"
}

test_layouts_cargo_test_between_builds() {
	layouts_setup
	pgow build --release 2>/dev/null || fail "first build"
	# Test harnesses of the same crates, through the wrapper and through our front end.
	RUSTC_WRAPPER="$PGOW_BIN" cargo test --release -q >/dev/null 2>"$T/test.err" || { cat "$T/test.err" >&2; fail "cargo test"; }
	assert_noop_build "after cargo test through RUSTC_WRAPPER"
	pgow test --release -q >/dev/null 2>"$T/test.err" || { cat "$T/test.err" >&2; fail "cargo-pgo-wrap test"; }
	assert_noop_build "after cargo-pgo-wrap test"
	pgow status >"$T/status.txt"
	assert_grep '^  state       fresh; 5 of 5 units fresh$' "$T/status.txt" "status after tests"
}

test_layouts_status_and_build_from_elsewhere() {
	layouts_setup
	pgow build --release 2>/dev/null || fail "first build"
	(cd app && pgow status) >"$T/member.txt" || fail "status from a member dir"
	assert_grep '^  state       fresh; 5 of 5 units fresh$' "$T/member.txt" "status from a member dir"
	(cd / && pgow status --manifest-path "$T/ws/Cargo.toml") >"$T/outside.txt" || fail "status from /"
	assert_grep '^  state       fresh; 5 of 5 units fresh$' "$T/outside.txt" "status from outside"
	(cd app && pgow build --release 2>"$T/member.err") || fail "build from a member dir"
	assert_grep 'Fresh profile' "$T/member.err" "build from a member dir is fresh"
	assert_no_grep 'instrumented binaries|Compiling' "$T/member.err" "and a no-op"
	# (A build from outside the tree would not see the fixture's .cargo/config.toml: cargo reads
	# config from the current directory, so that is cargo's business, not ours.)
	# An edit is seen from anywhere, and names the unit that changed.
	sed -i 's/h.rotate_right(3)/h.rotate_right(5)/' app/src/lib.rs
	(cd / && pgow status --manifest-path "$T/ws/Cargo.toml") >"$T/outside.txt"
	assert_grep '^  state       stale: app \(changed' "$T/outside.txt" "edit seen from outside"
	assert_no_grep 'helper \(|cfg_if \(' "$T/outside.txt" "nothing else is stale"
}

test_layouts_training_change_makes_the_profile_stale() {
	layouts_setup
	pgow build --release 2>/dev/null || fail "first build"
	printf 'stale-policy: error\ntraining:\n  - run: ["{bin:app}", "30000"]\n' >pgo-wrap.yaml
	pgow status >"$T/status.txt"
	assert_grep '^  state       stale: training changed' "$T/status.txt" "status names the reason"
	local rc=0
	pgow build --release 2>"$T/err" || rc=$?
	assert_eq 7 "$rc" "stale-policy: error stops"
	assert_grep 'training changed' "$T/err" "and says why"
	sed -i 's/stale-policy: error/stale-policy: refresh/' pgo-wrap.yaml
	pgow build --release 2>"$T/err" || fail "refresh"
	assert_grep 'Training \[2/4\]' "$T/err" "retrained"
	assert_noop_build "after retraining"
}

# Staleness is about the build at hand: a build with other features does not make the
# next default build stale, and a refresh for new units adds to the profile, so builds
# alternating between feature sets both end fresh.
slow test_layouts_other_features_do_not_leak_into_the_next_build 30
test_layouts_other_features_do_not_leak_into_the_next_build() {
	layouts_setup
	printf '\n[features]\nfast = []\n' >>helper/Cargo.toml
	pgow build --release 2>/dev/null || fail "first build"
	pgow build --release --features helper/fast 2>"$T/err" || fail "a build with other features"
	assert_grep 'Stale profile [0-9a-f]{12} for this build: .*app \(replaced' "$T/err" "that build found new units (helper, with no counts, is said but not stale)"
	assert_grep 'Building \[1/4\] instrumented' "$T/err" "the refresh's steps are counted from 1"
	assert_grep 'Optimizing \[4/4\]' "$T/err" "to 4"
	assert_grep 'Added 1 raw profile\(s\) to the profile of slot' "$T/err" "the refresh adds to the profile"
	printf 'stale-policy: error\ntraining:\n  - run: ["{bin:app}", "20000"]\n' >pgo-wrap.yaml
	local f round
	# The first round rebuilds the default units with the grown profile; then nothing.
	for round in 1 2; do
		for f in "" "--features helper/fast"; do
			# shellcheck disable=SC2086
			pgow build --release $f 2>"$T/err" || fail "build '$f' is stale: $(tail -3 "$T/err")"
			assert_grep 'Fresh profile' "$T/err" "build '$f' is fresh"
			assert_no_grep 'instrumented binaries' "$T/err" "build '$f' collects nothing"
			[ $round = 1 ] || assert_no_grep 'Compiling' "$T/err" "build '$f' compiles nothing"
		done
	done
	printf '\n[features]\nfast = []\nslow = []\n' >>app/Cargo.toml
	local rc=0
	pgow build --release --features app/slow 2>"$T/err" || rc=$?
	assert_eq 7 "$rc" "stale-policy: error holds for units only the build itself shows"
	assert_grep 'stale for this build' "$T/err" "says why"
}
