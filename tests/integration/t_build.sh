# t_build.sh - `cargo-pgo-wrap build`, the whole cycle, with real cargo.

write_training() { # [extra yaml]
	cat >pgo-wrap.yaml <<YAML
stale-policy: ${POLICY:-use-stale}
training:
  - name: eval
    run: ["{bin:fixbin}", "3000"]
${1:-}
YAML
}

build_setup() {
	setup_ws
	unset RUSTC_WRAPPER CARGO_PGO_WRAP_WORKSPACE
	write_training
}

test_build_full_cycle_then_fresh() {
	build_setup
	pgow build --release >"$T/out" 2>"$T/err" || { cat "$T/err" >&2; fail "build failed"; }
	[ ! -s "$T/out" ] || fail "build printed to stdout: $(cat "$T/out")"
	for s in 'Building \[1/4\] instrumented' 'Training \[2/4\]' 'Trained run 1/1' 'Merging \[3/4\]' 'Optimizing \[4/4\]' \
		'PGO 2 unit\(s\) of .*/target/release carry profile [0-9a-f]{12} \(2 compiled now, 0 reused\)'; do
		assert_grep "$s" "$T/err" "cycle output"
	done
	local prof
	prof=$(ls "$T"/cache/slots/*/profiles/*.profdata)
	assert_eq "$(split_use fixbin)" "$(unit_mark target/release/deps fixbin | cut -f4,6 | tr '\t' ' ')" "fixbin's mark"
	run_profiled "$T/after" target/release/fixbin 10 >/dev/null
	assert_eq 0 "$(count_files "$T/after" '*.profraw')" "shipped binary is not instrumented"
	[ -x target/pgo-wrap/instrumented/release/fixbin ] || fail "instrumented build not in its own dir"

	pgow build --release 2>"$T/err2" || fail "second build failed"
	assert_grep 'Fresh profile [0-9a-f]{12}: 2 unit\(s\) unchanged' "$T/err2" "second build says fresh"
	assert_no_grep 'instrumented binaries|Training' "$T/err2" "second build instruments nothing"
	assert_grep '\(0 compiled now, 2 reused\)' "$T/err2" "and rebuilds nothing"

	# A plain wrapped cargo build (compile.py style) finds the same slot and profile.
	touch fixlib/src/lib.rs
	RUSTC_WRAPPER="$PGOW_BIN" CARGO_PGO_WRAP_JOURNAL="$T/plain.journal" cargo_ok build --release
	assert_eq "use $(split_file fixlib)" "$(awk -F'\t' '$2=="fixlib" {print $5" "$6}' "$T/plain.journal")" \
		"RUSTC_WRAPPER alone uses build's profile"
}

test_build_stale_policies() {
	build_setup
	pgow build --release 2>/dev/null || fail "first build failed"
	# A control-flow change in one function: its counts no longer fit, the others' do.
	sed -i 's/let mut v = self.atom();/let mut v = self.atom();\n        if v == i64::MIN { v = 0; }/' fixlib/src/lib.rs

	POLICY=error write_training
	local rc=0
	pgow build --release 2>"$T/err" || rc=$?
	assert_eq 7 "$rc" "stale-policy: error exits 7"
	assert_grep 'the profile is stale \(fixlib \(changed, [0-9]+% of counts\)\)' "$T/err" "names the edited crate"

	POLICY=use-stale write_training
	pgow build --release 2>"$T/err" || fail "use-stale build failed"
	assert_grep 'Stale profile [0-9a-f]{12}: fixlib \(changed, [0-9]+% of counts\)' "$T/err" "reports staleness"
	assert_grep 'using it anyway' "$T/err" "uses it"
	assert_no_grep 'instrumented binaries' "$T/err" "no refresh under use-stale"
	assert_grep '1 stale' "$T/err" "summary counts the stale crate"
	assert_grep 'Stale 1 function\(s\) changed since the profile was collected and got no counts: fixlib 1' \
		"$T/err" "rustc's hash-mismatch warnings counted per crate"

	POLICY=refresh write_training
	pgow build --release 2>"$T/err" || fail "refresh build failed"
	assert_grep 'fixlib \(changed, [0-9]+% of counts\)' "$T/err" "names the crate"
	assert_grep 'Building \[1/4\] instrumented' "$T/err" "refreshes"
	pgow build --release 2>"$T/err" || fail "build after refresh failed"
	assert_grep 'Fresh profile' "$T/err" "fresh after the refresh"
}

test_build_cargo_pgo_wrap_dispatch_and_args_pass_through() {
	build_setup
	mkdir -p "$T/bin"
	ln -s "$PGOW_BIN" "$T/bin/cargo-pgo-wrap"
	local real_cargo
	real_cargo=$(command -v cargo)
	printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s"\nexec "%s" "$@"\n' "$T/cargo-args.log" "$real_cargo" >"$T/bin/cargo-rec"
	chmod +x "$T/bin/cargo-rec"
	# CARGO (set by cargo for subcommands) is the cargo we run: record what it gets.
	CARGO="$T/bin/cargo-rec" pgow build -p fixbin --release --locked --target "$(host_triple)" \
		--bin fixbin 2>"$T/err" || { cat "$T/err" >&2; fail "build with cargo args"; }
	# The user's args exactly, in order; we add only the JSON messages (and our own target dir
	# for the instrumented build).
	assert_grep "^build -p fixbin --release --locked --target $(host_triple) --bin fixbin --message-format=json-render-diagnostics\$" \
		"$T/cargo-args.log" "cargo args passed through exactly"
	assert_grep "^build -p fixbin --release --locked --target $(host_triple) --bin fixbin --target-dir=$T/ws/target/pgo-wrap/instrumented --message-format=json\$" \
		"$T/cargo-args.log" "instrumented build into its own dir"
	assert_no_grep '^build .*(--config|-Z)' "$T/cargo-args.log" "nothing else added"
	[ -x "target/$(host_triple)/release/fixbin" ] || fail "optimised binary not where cargo puts it"

	# `cargo pgo-wrap build` finds cargo-pgo-wrap on PATH (cargo's external subcommand).
	PATH="$T/bin:$PATH" cargo pgo-wrap build --release 2>"$T/err" || { cat "$T/err" >&2; fail "cargo pgo-wrap build"; }
	assert_grep 'PGO 2 unit\(s\) .* carry profile' "$T/err" "cycle through cargo's subcommand"
}

test_build_bad_config_and_training() {
	build_setup
	printf 'training:\n  - run: [fixbin]\n    retries: 2\n' >pgo-wrap.yaml
	local rc=0
	pgow build --release 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "bad YAML exit code"
	assert_grep "^cargo-pgo-wrap: error: $T/ws/pgo-wrap.yaml:3:5: unknown key 'retries' in a training run" "$T/err" "located error"
	[ ! -d target ] || fail "something was built despite the bad config"

	write_training '  - name: broken
    run: ["{bin:fixbin}", "not-a-number", "{bin:nope}"]'
	rc=0
	pgow build --release 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "unknown binary in training: a config error"
	assert_grep "pgo-wrap.yaml:6:43: \\{bin:nope\\} is not a binary of this workspace" "$T/err" "names the placeholder where it is written"
	[ ! -d target ] || fail "something was built despite the unknown binary"
	write_training '  - name: typo
    run: ["{bin:fixbin}", "{worksapce}/x"]'
	rc=0
	pgow build --release 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "unknown placeholder"
	assert_grep "pgo-wrap.yaml:6:[0-9]+: unknown placeholder \\{worksapce\\}" "$T/err" "located"

	write_training '  - name: failing
    shell: "exit 3"'
	rc=0
	pgow build --release 2>"$T/err" || rc=$?
	assert_eq 6 "$rc" "failing training run"
	assert_grep 'training run 2 \(failing, .*pgo-wrap.yaml:5:5\) failed with exit status 3; fix the command, or set allow-failure: true' \
		"$T/err" "names the run and the fix"
	[ ! -d "$T/cache/slots" ] || [ -z "$(ls "$T"/cache/slots/*/profiles 2>/dev/null)" ] || fail "a failed training stored a profile"

	write_training '  - name: failing
    shell: "exit 3"
    allow-failure: true'
	pgow build --release 2>"$T/err" || fail "allow-failure build failed: $(cat "$T/err")"
	assert_grep 'Trained run 2/2 in .*\(failed, allowed\)' "$T/err" "allowed failure"
}

test_build_without_training_explains() {
	build_setup
	echo 'stale-policy: use-stale' >pgo-wrap.yaml
	pgow build --release 2>"$T/err" || fail "build without training failed"
	assert_grep 'no training is configured' "$T/err" "says so"
	assert_grep "Their profiles go to $T/ws/target/pgo-wrap/raw/host/release, and the next" "$T/err" "where profiles go"
	assert_grep 'NO unit of .* was built with a profile' "$T/err" "loud about no PGO"
	# Following the instructions works: run the instrumented binary, build again.
	target/pgo-wrap/instrumented/release/fixbin 1000 >/dev/null
	[ "$(count_files target/pgo-wrap/raw/host/release '*.profraw')" = 1 ] || fail "no raw profile in the default dir"
	pgow build --release 2>"$T/err" || fail "build after running the binary"
	assert_grep 'Merging 1 raw profile\(s\) that instrumented binaries wrote' "$T/err" "pending profiles merged"
	assert_grep 'Fresh profile' "$T/err" "and used"
	assert_grep 'PGO 2 unit\(s\) .* carry profile' "$T/err" "applied"
	[ "$(count_files target/pgo-wrap/raw '*.profraw')" = 0 ] || fail "merged raw files were kept (would be merged twice)"
	# Files in manual/ (profiles collected elsewhere) are merged too, adding to the profile.
	mkdir -p target/pgo-wrap/raw/host/release/manual
	LLVM_PROFILE_FILE="$T/ws/target/pgo-wrap/raw/host/release/manual/%p.profraw" target/pgo-wrap/instrumented/release/fixbin 500 >/dev/null
	pgow build --release 2>"$T/err" || fail "build after a manual run"
	assert_grep 'Added 1 raw profile\(s\) to the profile of slot' "$T/err" "added, not replaced"
}

# A file in the pending dir that no merge can ever take (not a profile; a run
# killed while writing it) is moved aside, once, with where it went: it used to
# stay and be warned about on every build. One written less than a minute ago
# may still be being written: it stays. A lone bad file does not stop the build,
# two of one name are both kept, and a link planted there is not followed.
test_build_pending_files_that_cannot_merge_are_moved_aside() {
	build_setup
	echo 'stale-policy: use-stale' >pgo-wrap.yaml
	pgow build --release 2>"$T/err" || fail "build without training failed"
	local raw=target/pgo-wrap/raw/host/release
	target/pgo-wrap/instrumented/release/fixbin 1000 >/dev/null
	LLVM_PROFILE_FILE="$T/whole.profraw" target/pgo-wrap/instrumented/release/fixbin 900 >/dev/null
	head -c 1000 "$T/whole.profraw" >"$raw/short.profraw"
	head -c 300 /dev/urandom >"$raw/junk.profraw"
	pgow build --release 2>"$T/err" || fail "build with young bad files: $(tail -3 "$T/err")"
	assert_grep "skipping $T/ws/$raw/junk.profraw: not a raw LLVM profile .*; it stays for the next build \(written less than a minute ago" \
		"$T/err" "a young file stays"
	assert_grep 'PGO 2 unit\(s\) .* carry profile' "$T/err" "the good file is merged and used"
	mkdir -p "$raw/manual" && head -c 300 /dev/urandom >"$raw/manual/junk.profraw"
	touch -d '2 minutes ago' "$raw/junk.profraw" "$raw/short.profraw" "$raw/manual/junk.profraw"
	pgow build --release 2>"$T/err" || fail "build with bad pending files alone: $(tail -3 "$T/err")"
	assert_grep "skipping $T/ws/$raw/junk.profraw: not a raw LLVM profile .*; moved to $T/ws/$raw/rejected/junk.profraw(.1)?, where no merge reads it" \
		"$T/err" "junk: named, moved, said where"
	assert_grep "skipping $T/ws/$raw/short.profraw: llvm-profdata cannot read it .*; moved to $T/ws/$raw/rejected/short.profraw" \
		"$T/err" "cut short: the same"
	assert_grep 'none of the raw profile\(s\) pending for slot [0-9a-f]{12} could be merged \(see above\); building on' \
		"$T/err" "nothing left to merge: the build goes on"
	assert_grep 'PGO 2 unit\(s\) .* carry profile' "$T/err" "with the profile it has"
	[ -s "$raw/rejected/junk.profraw" ] && [ -s "$raw/rejected/junk.profraw.1" ] && [ -s "$raw/rejected/short.profraw" ] ||
		fail "a rejected file is lost: $(ls "$raw/rejected")"
	pgow build --release 2>"$T/err" || fail "next build"
	assert_no_grep 'warning' "$T/err" "the next build says nothing of them"
	# An empty file is what a program still running has made: it stays, however old.
	: >"$raw/running.profraw" && touch -d '2 hours ago' "$raw/running.profraw"
	pgow build --release 2>"$T/err" || fail "build with an empty file"
	assert_grep "skipping $T/ws/$raw/running.profraw: .*; it stays for the next build \\(it is empty: a program still running" \
		"$T/err" "an empty file stays"
	rm "$raw/running.profraw"
	# A link planted where they go: refused, the file stays, nothing is written outside.
	rm -rf "$raw/rejected" && mkdir "$T/outside" && ln -s "$T/outside" "$raw/rejected"
	head -c 300 /dev/urandom >"$raw/junk.profraw"
	touch -d '2 minutes ago' "$raw/junk.profraw"
	pgow build --release 2>"$T/err" || fail "build with a planted link"
	assert_grep "skipping $T/ws/$raw/junk.profraw: not a raw LLVM profile .* \(it stays: " "$T/err" "refused, said"
	[ -z "$(ls -A "$T/outside")" ] && [ -f "$raw/junk.profraw" ] || fail "the link was followed"
}

# Units a plain build left are rebuilt after the check; cargo first replayed their
# warnings, which the rebuild then showed again (rav1e: 300 warnings twice). Their
# warnings show once: before any verified build, and after one.
test_build_after_a_plain_build_shows_each_warning_once() {
	build_setup
	printf '\npub fn unused_here() { let unused_variable = 1; }\n' >>fixlib/src/lib.rs
	cargo_ok build --release
	pgow build --release 2>"$T/err" || fail "build failed: $(tail -3 "$T/err")"
	assert_grep 'Rebuilding 2 unit\(s\)' "$T/err" "setup: the plain units are rebuilt"
	assert_eq 1 "$(grep -c 'unused variable: .unused_variable.' "$T/err")" "the warning, once: $(cat "$T/err")"
	assert_grep '^ +--> fixlib/src/lib.rs:' "$T/err" "shown as cargo shows it"
	touch fixlib/src/lib.rs
	cargo_ok build --release
	pgow build --release 2>"$T/err" || fail "build after a plain build: $(tail -3 "$T/err")"
	assert_grep 'Rebuilding 2 unit\(s\)' "$T/err" "setup: rebuilt again"
	assert_eq 1 "$(grep -c 'unused variable: .unused_variable.' "$T/err")" "once after a verified build: $(cat "$T/err")"
	# A plain build of fixbin alone: fixlib, reused, is replayed by the rebuild's run only.
	touch fixbin/src/main.rs
	cargo_ok build --release
	pgow build --release 2>"$T/err" || fail "after a plain build of fixbin: $(tail -3 "$T/err")"
	assert_grep 'Rebuilding 1 unit\(s\)' "$T/err" "setup: fixbin alone is rebuilt"
	assert_eq 1 "$(grep -c 'unused variable: .unused_variable.' "$T/err")" "a reused unit's warning, once: $(cat "$T/err")"
	# Without a plain build in between, cargo shows its replay as it goes, once.
	pgow build --release 2>"$T/err" || fail "no-op: $(tail -3 "$T/err")"
	assert_eq 1 "$(grep -c 'unused variable: .unused_variable.' "$T/err")" "replayed once by cargo"
	CARGO_TERM_COLOR=always pgow build --release 2>"$T/err" || fail "colour: $(tail -3 "$T/err")"
	touch fixlib/src/lib.rs
	cargo_ok build --release
	CARGO_TERM_COLOR=always pgow build --release 2>"$T/err" || fail "colour: $(tail -3 "$T/err")"
	grep -q $'\e\[1m\e\[33mwarning' "$T/err" || grep -q $'\e\[0m\e\[1m\e\[33mwarning' "$T/err" ||
		fail "held warnings keep cargo's colour: $(grep -m1 'unused variable' "$T/err" | od -c | head -3)"
	# A failing build, held: its errors, then cargo's closing line.
	touch fixlib/src/lib.rs
	cargo_ok build --release
	sed -i 's/let unused_variable = 1;/let unused_variable: u8 = "a";/' fixlib/src/lib.rs
	! pgow build --release 2>"$T/err" || fail "a build with an error succeeded"
	assert_grep 'Optimizing' "$T/err" "setup: the optimised build (stale-policy: use-stale) fails"
	local at_error at_closing
	at_error=$(grep -n 'mismatched types' "$T/err" | head -1 | cut -d: -f1)
	at_closing=$(grep -n 'could not compile `fixlib`' "$T/err" | head -1 | cut -d: -f1)
	[ -n "$at_error" ] && [ -n "$at_closing" ] && [ "$at_error" -lt "$at_closing" ] ||
		fail "the error, then cargo's closing line: $(cat "$T/err")"
}

# CARGO_PGO_WRAP_WORKSPACE set by the user keys build's slots as it keys the
# wrapper's (README's wrapper section exports it); switching it and back makes
# build rebuild the units into the slot it names, which cargo alone does not
# (the setting is not one of its env-deps): no other slot's profile is reported.
test_build_switching_the_workspace_setting_rebuilds_into_its_slot() {
	build_setup
	pgow build --release 2>"$T/err" || fail "first cycle: $(tail -3 "$T/err")"
	local first other
	first=$(unit_mark target/release/deps fixbin | cut -f1)
	CARGO_PGO_WRAP_WORKSPACE="$T/other" pgow build --release 2>"$T/err" || fail "other: $(tail -3 "$T/err")"
	assert_grep 'Collecting a profile' "$T/err" "its own slot, which has no profile yet"
	assert_grep 'Rebuilding 2 unit\(s\) whose artifacts do not carry the current profile' "$T/err" "rebuilt into it"
	other=$(unit_mark target/release/deps fixbin | cut -f1)
	[ -n "$other" ] && [ "$other" != "$first" ] || fail "the units stayed in slot $first"
	CARGO_PGO_WRAP_WORKSPACE="$T/other" pgow status >"$T/status" || fail "status"
	assert_grep "^slot ${other:0:12} " "$T/status" "status names the slot build used"
	assert_grep "^  workspace   $T/other\$" "$T/status" "and the workspace the setting names, as such"
	pgow status >"$T/status" || fail "status"
	assert_grep "^  target dir  $T/ws/target\$" "$T/status" "without it, the slot's target dir"
	pgow build --release 2>"$T/err" || fail "back: $(tail -3 "$T/err")"
	assert_grep 'Fresh profile' "$T/err" "the first slot's profile, fresh"
	assert_grep 'Rebuilding 2 unit\(s\)' "$T/err" "rebuilt into the first slot"
	assert_eq "$first" "$(unit_mark target/release/deps fixbin | cut -f1)" "back in the first slot"
	pgow build --release 2>"$T/err" || fail "again"
	assert_grep '\(0 compiled now, 2 reused\)' "$T/err" "then a no-op"
}

# Settings that key another slot (codegen-units here) in a dir built before: the
# wrapper alone knows the slot, so build plans for the last one and learns the
# truth from the units. A slot without a profile gets one collected (it failed
# with exit 8, "removed while the build ran"); going back says which applies.
test_build_other_settings_in_a_built_dir_collect_their_own_profile() {
	build_setup
	pgow build --release 2>"$T/err" || fail "first cycle: $(tail -3 "$T/err")"
	local first
	first=$(sed -n 's/.*carry profile \([0-9a-f]*\) .*/\1/p' "$T/err")
	[ -n "$first" ] || fail "no profile in $(tail -2 "$T/err")"
	CARGO_PROFILE_RELEASE_CODEGEN_UNITS=4 pgow build --release 2>"$T/err" || fail "other settings: $(tail -3 "$T/err")"
	assert_grep "note: this build's settings key slot [0-9a-f]{12}, not [0-9a-f]{12} of the last build" "$T/err" "says so"
	assert_grep 'Collecting a profile for slot [0-9a-f]{12} \(none yet\)' "$T/err" "collects its own"
	assert_grep 'PGO 2 unit\(s\) .* carry profile [0-9a-f]{12} \(2 compiled now' "$T/err" "and applies it"
	assert_no_grep "carry profile $first" "$T/err" "not the other slot's"
	pgow build --release 2>"$T/err" || fail "back: $(tail -3 "$T/err")"
	assert_grep "note: this build's settings key slot [0-9a-f]{12}, not" "$T/err" "back: says so"
	assert_grep "PGO 2 unit\\(s\\) .* carry profile $first " "$T/err" "back: the first slot's profile"
}

# Cargo keeps each unit's stderr and shows it again whenever it reuses the unit:
# a RUSTC_WRAPPER build's "stale for fixlib ... refreshes it" came back on every
# later `build`, which says what it used itself. rustc's own warnings still come back.
test_build_wrapper_reports_are_not_replayed() {
	build_setup
	pgow build --release 2>"$T/err" || fail "cycle: $(tail -3 "$T/err")"
	sed -i 's/v = v.wrapping_mul(10)/v = v.wrapping_mul(10).wrapping_add(0)/' fixlib/src/lib.rs
	sed -i '0,/^pub fn /s//fn never_called_pgow() {}\npub fn /' fixlib/src/lib.rs
	# In colour, as in a terminal: the line cargo keeps has escapes in it.
	CARGO_TERM_COLOR=always RUSTC_WRAPPER="$PGOW_BIN" cargo build --release 2>"$T/err" ||
		fail "wrapper build: $(tail -3 "$T/err")"
	assert_grep 'warning.*: the profile of slot [0-9a-f]{12} is stale for fixlib' "$T/err" "said live"
	assert_grep 'never_called_pgow' "$T/err" "rustc's warning"
	pgow build --release 2>"$T/err" || fail "build: $(tail -3 "$T/err")"
	assert_grep 'Stale profile [0-9a-f]{12}: fixlib' "$T/err" "build reports it itself"
	assert_grep '\(0 compiled now, 2 reused\)' "$T/err" "the units are reused: what cargo shows is what it kept"
	assert_no_grep 'is stale for fixlib' "$T/err" "the wrapper's line is not shown again"
	assert_grep 'never_called_pgow' "$T/err" "rustc's warning still is"
	pgow build --release 2>"$T/err" || fail "again"
	assert_no_grep 'is stale for fixlib' "$T/err" "nor later"
}

test_build_generic_preset_trains_with_tests() {
	build_setup
	cp "$ROOT/profiles/generic.yaml" pgo-wrap.yaml
	sed -i '/name: benches/,$d' pgo-wrap.yaml   # stable cargo has no bench harness for the fixture
	pgow build --release 2>"$T/err" || { cat "$T/err" >&2; fail "build with the generic preset"; }
	assert_grep 'Trained run 1/1 in .*, [1-9][0-9]* profile file\(s\)' "$T/err" "cargo test wrote profiles"
	assert_grep 'PGO 2 unit\(s\) .* carry profile' "$T/err" "and they were used"
}

test_build_garbage_profile_fails_loudly() {
	build_setup
	head -c 4096 /dev/urandom >"$T/garbage.profdata"
	export RUSTC_WRAPPER="$PGOW_BIN"
	# A warning in the crate: rustc's own diagnostics must still reach the user.
	sed -i 's/let mut acc = 0i64;/let mut acc = 0i64; let unused_pgo = 1;/' fixbin/src/main.rs
	local rc=0
	CARGO_PGO_WRAP_MODE=use CARGO_PGO_WRAP_PROFILE="$T/garbage.profdata" cargo build --release 2>"$T/err" || rc=$?
	[ "$rc" != 0 ] || fail "a build with a garbage profile succeeded"
	assert_grep "error: fixlib was built WITHOUT its profile: rustc rejected as invalid profile data $T/garbage.profdata" \
		"$T/err" "names the crate and the file"
	assert_grep 'could not compile `fixlib`' "$T/err" "cargo stops"

	# The same through the cache: a corrupted stored profile.
	pgow build --release 2>/dev/null || fail "cycle failed"
	local f
	for f in "$T"/cache/slots/*/profiles/*.profdata "$T"/cache/slots/*/split/*.profdata; do
		cp "$T/garbage.profdata" "$f"
	done
	touch fixlib/src/lib.rs fixbin/src/main.rs
	rc=0
	cargo build --release 2>"$T/err" || rc=$?
	[ "$rc" != 0 ] || fail "a build with a corrupted cached profile succeeded"
	assert_grep 'fixlib-[0-9a-f]+\.profdata is damaged' "$T/err" "loud: the split's part is checked before rustc"
	# With a good profile, the tee passes rustc's warnings through untouched.
	CARGO_PGO_WRAP_MODE=off cargo build --release 2>/dev/null
	rm -rf "$T/cache"
	pgow build --release 2>"$T/err" || fail "rebuild with a new profile failed: $(tail -3 "$T/err")"
	assert_grep 'unused variable: `unused_pgo`' "$T/err" "rustc's warning reaches the user"
}

test_build_output_honours_cargo_term_color() {
	build_setup
	pgow build --release 2>/dev/null || fail "first build"
	CARGO_TERM_COLOR=always NO_COLOR= pgow build --release 2>"$T/err"
	grep -q $'\e\[1;32m       Fresh\e\[0m' "$T/err" || fail "CARGO_TERM_COLOR=always: no colour"
	CARGO_TERM_COLOR=never pgow build --release 2>"$T/err"
	if grep -q $'\e\[' "$T/err"; then fail "CARGO_TERM_COLOR=never: colour codes present"; fi
	CARGO_TERM_COLOR=auto NO_COLOR=1 pgow build --release 2>"$T/err"
	if grep -q $'\e\[' "$T/err"; then fail "NO_COLOR: colour codes present"; fi
}

test_build_after_a_plain_cargo_build_rebuilds() {
	build_setup
	# The user's own plain build first: no wrapper, so none of our marks.
	cargo_ok build --release
	pgow build --release 2>"$T/err" || fail "build failed: $(tail -3 "$T/err")"
	assert_grep 'Rebuilding 2 unit\(s\) whose artifacts do not carry the current profile' "$T/err" "says why"
	assert_grep 'PGO 2 unit\(s\) .* carry profile [0-9a-f]{12} \(2 compiled now' "$T/err" "rebuilt with the profile"
	pgow build --release 2>"$T/err2" || fail "second build"
	assert_no_grep 'Rebuilding' "$T/err2" "rebuilds only once"
	assert_grep '\(0 compiled now, 2 reused\)' "$T/err2" "then a no-op"

	# A plain build in between (no wrapper) rewrites fixlib's dep-info and relinks fixbin.
	touch fixlib/src/lib.rs
	cargo_ok build --release
	[ -z "$(unit_mark target/release/deps fixbin)" ] || fail "setup: the plain build kept our mark"
	pgow status >"$T/status.txt"
	assert_grep '2 unit\(s\) built without cargo-pgo-wrap since its last verified build' "$T/status.txt" \
		"status sees the plain build"
	pgow build --release 2>"$T/err3" || fail "build after a plain build"
	assert_grep 'Rebuilding 2 unit\(s\)' "$T/err3" "the plain artifacts are rebuilt"
	assert_grep 'PGO 2 unit\(s\) .* carry profile [0-9a-f]{12} \(2 compiled now' "$T/err3" "and carry the profile"
	run_profiled "$T/after" target/release/fixbin 10 >/dev/null
	assert_eq 0 "$(count_files "$T/after" '*.profraw')" "shipped binary is not instrumented"
	[ -n "$(unit_mark target/release/deps fixbin)" ] || fail "fixbin carries no mark"
}

test_build_training_runs_in_the_workspace_root() {
	build_setup
	mkdir -p data "dir with space"
	echo 2500 >data/n.txt
	# Relative paths, {workspace}, literal braces in a shell, and a hostile directory name.
	mkdir -p 'x $(touch INJECTED)'
	cat >pgo-wrap.yaml <<'YAML'
training:
  - name: relative
    shell: "{bin:fixbin} $(cat data/n.txt) > /dev/null"
  - name: placeholders
    run: ["{bin:fixbin}", "100"]
    env: { WS: "{workspace}" }
  - name: braces and quoting
    shell: "echo '{{x}}' > {workspace}/braces.txt; ls {workspace}/'x $(touch INJECTED)' > /dev/null; test -d {workspace}/'dir with space'"
YAML
	(cd fixlib && pgow build --release --workspace 2>"$T/err") || { cat "$T/err" >&2; fail "build from a member dir"; }
	assert_grep 'Trained run 3/3' "$T/err" "all runs ran"
	assert_no_grep 'No such file|failed' "$T/err" "the relative input was found"
	assert_eq '{x}' "$(cat braces.txt)" "{{ and }} are literal braces"
	[ ! -e INJECTED ] && [ ! -e fixlib/INJECTED ] || fail "a directory name was executed as a command"
}

test_build_never_follows_a_planted_raw_dir_link() {
	build_setup
	mkdir -p "$T/victim/host/release/train/run-1" target/pgo-wrap
	echo precious >"$T/victim/host/release/train/run-1/keep"
	ln -s "$T/victim" target/pgo-wrap/raw
	local rc=0
	pgow build --release 2>"$T/err" || rc=$?
	[ "$rc" != 0 ] || fail "a build through a planted link succeeded"
	assert_grep 'a symlink \(or a file\) is in the way; refusing to follow it' "$T/err" "says why"
	assert_eq precious "$(cat "$T/victim/host/release/train/run-1/keep")" "nothing outside was deleted"
	assert_eq 0 "$(count_files "$T/victim" '*.profraw')" "no profile written outside"
}

# A failed instrumented build shows its diagnostics, other crates' warnings
# too, before cargo's closing line (issue 22: "could not compile ... due to 26
# previous errors; 11 warnings emitted" came first, and the warnings never).
test_build_failed_instrumented_build_shows_its_diagnostics_first() {
	build_setup
	# The warning in a crate that compiles, and must, before the one that fails.
	echo 'fn never_called() {}' >>fixlib/src/lib.rs
	echo 'pub fn broken() -> u32 { "not a number" }' >>fixbin/src/main.rs
	local rc=0
	pgow build --release >"$T/out" 2>"$T/err" || rc=$?
	assert_eq 101 "$rc" "cargo's status"
	assert_grep 'warning: function `never_called` is never used' "$T/err" "the warning is shown"
	assert_grep 'error\[E0308\]: mismatched types' "$T/err" "the error is shown"
	local diag closing
	diag=$(grep -n 'error\[E0308\]' "$T/err" | head -n 1 | cut -d: -f1)
	closing=$(grep -n 'could not compile' "$T/err" | head -n 1 | cut -d: -f1)
	[ -n "$closing" ] || fail "no closing line: $(cat "$T/err")"
	[ "$diag" -lt "$closing" ] || fail "cargo's closing line (line $closing) came before the error (line $diag)"
}

# A full cycle runs cargo twice; cargo's own warnings (a manifest key) and a
# crate's warning are each shown once (issue 22), and `train`, whose build no
# optimised one follows, shows them too.
test_build_cargo_warnings_once_per_cycle() {
	build_setup
	sed -i 's/^\[package\]$/[package]\nunused-pgo-key = 1/' fixlib/Cargo.toml
	echo 'fn never_called() {}' >>fixlib/src/lib.rs
	pgow build --release 2>"$T/err" || fail "cycle: $(tail -3 "$T/err")"
	assert_grep 'Training' "$T/err" "setup: a full cycle"
	assert_eq 1 "$(grep -c 'unused manifest key: package.unused-pgo-key' "$T/err")" "cargo's warning, once"
	assert_eq 1 "$(grep -c 'function `never_called` is never used' "$T/err")" "rustc's warning, once"
	assert_eq 1 "$(grep -c 'warning: `fixlib` (lib) generated 1 warning' "$T/err")" "cargo's count of it, once"
	pgow train --release 2>"$T/train.err" || fail "train: $(tail -3 "$T/train.err")"
	assert_eq 1 "$(grep -c 'unused manifest key: package.unused-pgo-key' "$T/train.err")" "train shows it"
}

# A cdylib (a Python extension, a C plugin) is named without a hash (lib<crate>.so), so
# its dep-info is deps/<crate>.d: verified like any unit (a PyO3 extension had "1 unit(s)
# could not be verified (no dep-info found)"; issue 22). Trained through ctypes.
test_build_cdylib_is_verified() {
	mkdir -p "$T/ws/src"
	cd "$T/ws" || fail "cd"
	export CARGO_PGO_WRAP_CACHE="$T/cache"
	unset RUSTC_WRAPPER CARGO_PGO_WRAP_JOURNAL
	printf '[package]\nname = "plug"\nversion = "0.1.0"\nedition = "2021"\n[lib]\ncrate-type = ["cdylib"]\n' >Cargo.toml
	cat >src/lib.rs <<'RS'
#[no_mangle]
pub extern "C" fn plug_sum(n: u64) -> u64 {
    let mut s = 0u64;
    for i in 0..n {
        if i % 3 == 0 { s = s.wrapping_add(i * 7); } else { s ^= i; }
    }
    s
}
RS
	cat >pgo-wrap.yaml <<'YAML'
training:
  - name: ctypes
    run: ["python3", "-c", "import ctypes, sys; l = ctypes.CDLL(sys.argv[1]); l.plug_sum.restype = ctypes.c_uint64; print(l.plug_sum(ctypes.c_uint64(200000)))", "{target_dir}/release/libplug.so"]
YAML
	pgow build --release 2>"$T/err" || fail "cycle: $(tail -5 "$T/err")"
	assert_grep 'Trained run 1/1 in .*, 1 profile file\(s\)' "$T/err" "the training loaded the instrumented library"
	assert_grep 'PGO 1 unit\(s\) .* carry profile [0-9a-f]{12} \(1 compiled now, 0 reused\)' "$T/err" "the cdylib is verified"
	assert_no_grep 'could not be verified' "$T/err" "and none is left unverified"
}

# When RUST_BACKTRACE asks for backtraces and RUST_LIB_BACKTRACE is unset, the
# cargo that builds gets RUST_LIB_BACKTRACE=0: cargo makes an error value for
# each unset variable a unit's fingerprint names, and with a backtrace each costs
# ~1 M instructions. The training keeps the user's environment.
test_build_cargo_gets_no_error_backtraces_the_training_its_own_env() {
	build_setup
	local real
	real=$(command -v cargo)
	printf '#!/bin/sh\necho "$1 ${RUST_LIB_BACKTRACE-unset}" >>"%s/cargo-env"\nexec "%s" "$@"\n' "$T" "$real" >"$T/cargo-rec"
	chmod +x "$T/cargo-rec"
	write_training '  - name: env
    run: ["sh", "-c", "printenv RUST_LIB_BACKTRACE >>'"$T"'/train-env || echo unset >>'"$T"'/train-env"]'
	RUST_BACKTRACE=1 CARGO="$T/cargo-rec" pgow build --release 2>"$T/err" || fail "build: $(tail -5 "$T/err")"
	assert_eq "build 0" "$(grep '^build ' "$T/cargo-env" | sort -u)" "every cargo build got RUST_LIB_BACKTRACE=0"
	assert_eq "unset" "$(sort -u "$T/train-env")" "the training did not"
	# The user's own choice, or no backtraces asked for: cargo's environment is left alone.
	rm "$T/cargo-env"
	RUST_BACKTRACE=1 RUST_LIB_BACKTRACE=1 CARGO="$T/cargo-rec" pgow build --release 2>"$T/err" ||
		fail "build with RUST_LIB_BACKTRACE set: $(tail -5 "$T/err")"
	RUST_BACKTRACE=0 CARGO="$T/cargo-rec" pgow build --release 2>"$T/err" || fail "build, RUST_BACKTRACE=0"
	assert_eq "build 1
build unset" "$(grep '^build ' "$T/cargo-env" | sort -u)" "set by the user, or not asked for"
	assert_grep 'Fresh profile' "$T/err" "and no rebuild for it"
}
