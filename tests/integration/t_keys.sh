# t_keys.sh - per-crate content keys recorded by the wrapper in real builds.

# The last recorded key of a crate, from the journal.
journal_key() { # crate
	awk -F '\t' -v c="$1" '$2 == c && $8 != "-" { k = $8 } END { print k }' "$CARGO_PGO_WRAP_JOURNAL"
}

test_keys_stable_across_target_dirs_and_sensitive_to_edits() {
	setup_ws
	export CARGO_PGO_WRAP_WORKSPACE="$T/ws"
	export CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof"
	CARGO_TARGET_DIR="$T/instrumented" cargo_ok build --release
	local lib1 bin1
	lib1=$(journal_key fixlib)
	bin1=$(journal_key fixbin)
	[ ${#lib1} = 32 ] || fail "no key recorded for fixlib: '$lib1'"
	[ ${#bin1} = 32 ] || fail "no key recorded for fixbin: '$bin1'"
	assert_eq 1 "$(ls "$T/cache/slots" | wc -l | tr -d ' ')" "one slot for both target dirs"

	# Another target dir, another mode: same sources, same keys (OUT_DIR paths normalised).
	export CARGO_PGO_WRAP_MODE=off
	cargo_ok build --release
	assert_eq "$lib1" "$(journal_key fixlib)" "fixlib key in another target dir"
	assert_eq "$bin1" "$(journal_key fixbin)" "fixbin key in another target dir"
	assert_grep '\$BUILD/build/fixbin-[0-9a-f]+/out/gen.rs' "$(ls "$T"/cache/slots/*/units/fixbin-*.unit)" \
		"generated source recorded relative to the build dir"

	# touch without a change: cargo rebuilds, the key stays.
	touch fixlib/src/lib.rs
	cargo_ok build --release -v
	assert_grep 'Compiling fixlib' "$T/cargo.log" "touch rebuilds"
	assert_eq "$lib1" "$(journal_key fixlib)" "fixlib key after touch"

	# A README edit: nothing to compile, nothing changes.
	echo "docs" >>fixlib/README.md
	cargo_ok build --release -v
	assert_no_grep 'Compiling' "$T/cargo.log" "README edit"

	# A comment and a reformat: cargo compiles fixlib again, its key stays.
	sed -i 's/let mut v = 0i64;/let mut v\n        = 0i64; \/\/ a comment/' fixlib/src/lib.rs
	cargo_ok build --release -v
	assert_grep 'Compiling fixlib' "$T/cargo.log" "a comment edit rebuilds"
	assert_eq "$lib1" "$(journal_key fixlib)" "fixlib key after a comment edit"

	# A one-line edit in fixlib: only fixlib's key changes.
	sed -i '/^ *= 0i64; \/\/ a comment$/d; s/let mut v$/let mut v = 0i64; let _edited = 1;/' fixlib/src/lib.rs
	grep -q 'let _edited = 1;' fixlib/src/lib.rs || fail "setup: the edit"
	cargo_ok build --release
	local lib2
	lib2=$(journal_key fixlib)
	[ "$lib2" != "$lib1" ] || fail "fixlib key unchanged after an edit"
	assert_eq "$bin1" "$(journal_key fixbin)" "fixbin key after an edit in fixlib"
}
