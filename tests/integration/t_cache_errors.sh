# t_cache_errors.sh - bad cache states give one clear error (or a loud
# warning) and leave the cache as it was.

test_cache_errors_unusable_dir() {
	make_fake_rustc
	export CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof"
	local rc=0
	# A file where the cache directory should be.
	echo keep >"$T/cachefile"
	# shellcheck disable=SC2046
	CARGO_PGO_WRAP_CACHE="$T/cachefile" pgow "$T/bin/rustc" $(lib_args hot) 2>"$T/err" || rc=$?
	assert_eq 3 "$rc" "exit code for a file in the cache's place"
	assert_grep "$T/cachefile exists but is not a directory; move it away" "$T/err" "error"
	assert_eq keep "$(cat "$T/cachefile")" "the file is untouched"
	[ ! -e "$T/argv" ] || fail "rustc ran"
}

# A cache directory that belongs to someone else.
may_skip test_cache_errors_dir_of_another_user "needs root to chown a dir to another uid; CI and this sandbox run as root"
test_cache_errors_dir_of_another_user() {
	make_fake_rustc
	export CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof"
	local rc=0
	mkdir -p "$T/theirs" && chmod 700 "$T/theirs"
	[ "$(id -u)" = 0 ] || skip "not root: cannot chown a dir to another user"
	chown 65534:65534 "$T/theirs" || fail "setup: chown as root"
	# shellcheck disable=SC2046
	CARGO_PGO_WRAP_CACHE="$T/theirs" pgow "$T/bin/rustc" $(lib_args hot) 2>"$T/err" || rc=$?
	assert_eq 3 "$rc" "exit code for another user's cache"
	assert_grep "$T/theirs is owned by uid 65534, not by you" "$T/err" "error"
	assert_eq "" "$(ls -A "$T/theirs")" "nothing written into it"
	rc=0
	CARGO_PGO_WRAP_CACHE="$T/theirs" pgow status >/dev/null 2>"$T/err" || rc=$?
	assert_eq 3 "$rc" "status on another user's cache"
}

test_cache_errors_corrupt_manifest_and_index() {
	setup_ws
	instrument_and_train
	printf 'training:\n  - run: ["{bin:fixbin}", "1000"]\n' >pgo-wrap.yaml
	pgow merge "$T/raw" 2>/dev/null
	local manifest index before
	manifest=$(ls "$T"/cache/slots/*/profiles/*.yaml)
	index=$(ls "$T"/cache/slots/*/profiles/*.crates)

	# The crate index is what every wrapped rustc reads: corrupt, it is loud and the build plain.
	cp "$index" "$T/index.good"
	echo garbage >"$index"
	before=$(ls -l "$T"/cache/slots/*/profiles "$T"/cache/slots/*/CURRENT)
	cargo_ok build --release
	assert_grep "warning: the cached profile is unusable \\($index is missing or corrupt; run cargo-pgo-wrap merge again" \
		"$T/cargo.log" "loud warning naming the file and the fix"
	assert_eq "plain -" "$(journal_actions fixbin)" "built without the profile"
	assert_eq "$before" "$(ls -l "$T"/cache/slots/*/profiles "$T"/cache/slots/*/CURRENT)" "cache untouched"
	cp "$T/index.good" "$index"

	# The YAML manifest is metadata: a build still gets the intact profile, status reports
	# the file:line:col, and `cargo-pgo-wrap build` collects anew over it.
	printf 'version: 1\ncontent-key: [broken\n' >"$manifest"
	touch fixlib/src/lib.rs
	: >"$CARGO_PGO_WRAP_JOURNAL"
	cargo_ok build --release
	assert_eq "use" "$(journal_actions fixlib | cut -d' ' -f1)" "profile applied despite a corrupt manifest"
	pgow status >"$T/status.txt"
	assert_grep "^  profile     unusable: $manifest:3:1:" "$T/status.txt" "status says so"
	unset RUSTC_WRAPPER
	pgow build --release 2>"$T/err" || fail "build over a corrupt manifest: $(tail -3 "$T/err")"
	assert_grep 'Building \[1/4\] instrumented' "$T/err" "refreshes"
	pgow status >"$T/status.txt"
	assert_grep '^  state       fresh' "$T/status.txt" "healed"
}

test_cache_errors_odd_paths_in_the_slot_file() {
	setup_ws
	local odd="$T/odd #dir: x"
	export CARGO_PGO_WRAP_WORKSPACE="$odd"
	CARGO_TARGET_DIR="$T/instr" CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/raw" cargo_ok build --release
	"$T/instr/release/fixbin" 200 >/dev/null
	pgow merge "$T/raw" 2>"$T/err" || fail "merge with ': ' and ' #' in the workspace: $(cat "$T/err")"
	pgow status >"$T/status.txt" || fail "status"
	assert_grep "^  workspace   $odd\$" "$T/status.txt" "the slot's workspace is read back whole"
	assert_grep '^  state       fresh' "$T/status.txt" "and its profile is there"
}

test_cache_errors_off_dirs_stay_off_after_a_merge() {
	setup_ws
	export CARGO_PGO_WRAP_WORKSPACE="$T/ws"
	CARGO_PGO_WRAP_MODE=off cargo_ok build --release
	CARGO_TARGET_DIR="$T/instr" CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/raw" cargo_ok build --release
	"$T/instr/release/fixbin" 200 >/dev/null
	pgow merge "$T/raw" 2>/dev/null || fail "merge"
	CARGO_PGO_WRAP_MODE=off cargo_ok build --release -v
	assert_no_grep 'Dirty|Compiling' "$T/cargo.log" "a CARGO_PGO_WRAP_MODE=off dir is not rebuilt by a merge"
}

may_skip test_cache_errors_read_only_cache_serves_readers \
	"needs a mount namespace (unshare -m: root or CAP_SYS_ADMIN) for a read-only mount; CI and this sandbox run as root"
test_cache_errors_read_only_cache_serves_readers() {
	# A read-only mount needs a mount namespace of our own (root in this sandbox has one).
	mkdir -p "$T/probe"
	unshare -m sh -c "mount --bind '$T/probe' '$T/probe' && mount -o remount,ro,bind '$T/probe' '$T/probe'" \
		2>"$T/probe.err" || skip "no mount namespace here: $(head -n 1 "$T/probe.err")"
	setup_ws
	unset RUSTC_WRAPPER
	printf 'training:\n  - run: ["{bin:fixbin}", "1000"]\n' >pgo-wrap.yaml
	pgow build --release 2>/dev/null || fail "first build"
	local prof
	prof=$(ls "$T"/cache/slots/*/profiles/*.profdata)
	touch fixlib/src/lib.rs
	# Seeded elsewhere: rustc's identity is not cached here, and is computed, not written
	# (was: "cannot create a temporary file beside R/rustc/<hash>; building without PGO").
	rm -rf "$T/cache/rustc"
	# A read-only mount of the cache (a shared, pre-seeded one), in a mount namespace of our own.
	cat >"$T/ro.sh" <<SH
set -e
mount --bind "$T/cache" "$T/cache"
mount -o remount,ro,bind "$T/cache" "$T/cache"
touch "$T/cache/x" 2>/dev/null && exit 9
"$PGOW_BIN" status >"$T/status.txt" 2>"$T/status.err"
RUSTC_WRAPPER="$PGOW_BIN" cargo build --release 2>"$T/build.err"
rc=0; "$PGOW_BIN" doctor >"$T/doctor.txt" 2>&1 || rc=\$?
echo "\$rc" >"$T/doctor.rc"
rc=0; "$PGOW_BIN" merge --replace "$T/ws/target/pgo-wrap/instrumented" 2>"$T/merge.err" || rc=\$?
echo "\$rc" >"$T/merge.rc"
SH
	local rc=0
	unshare -m bash "$T/ro.sh" || rc=$?
	[ "$rc" != 9 ] || fail "setup: the cache is still writable"
	[ "$rc" = 0 ] || fail "reading a read-only cache failed (rc $rc): $(cat "$T"/*.err 2>/dev/null | tail -5)"
	assert_grep '^  state       fresh' "$T/status.txt" "status works read-only"
	assert_no_grep "cargo-pgo-wrap: (error|warning)" "$T/build.err" "a wrapped build works read-only, quietly"
	assert_eq "$(split_use fixlib)" "$(unit_mark target/release/deps fixlib | cut -f4,6 | tr '\t' ' ')" "and uses the profile"
	assert_grep 'read-only: builds use its profiles' "$T/doctor.txt" "doctor says read-only"
	assert_eq 0 "$(cat "$T/doctor.rc")" "doctor's exit status: a read-only cache is no problem"
	[ "$(cat "$T/merge.rc")" != 0 ] || fail "a merge into a read-only cache succeeded"
}

no_cargo test_cache_errors_unusable_dir test_cache_errors_dir_of_another_user
