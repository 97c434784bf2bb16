# t_cargo.sh - real, offline cargo builds of the fixture workspace (lib,
# proc-macro, bin with build.rs) through the wrapper, checking real effects.

# Generate build, then the binary's run; asserts what was and wasn't instrumented.
generate_and_check() { # cargo-args...
	export CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof"
	cargo_ok build --release "$@"
	assert_eq 0 "$(count_files "$T/prof" '*.profraw')" ".profraw files written during the build"
	assert_eq "generate $T/prof" "$(journal_actions fixlib)" "fixlib"
	assert_eq "generate $T/prof" "$(journal_actions fixbin)" "fixbin"
	assert_eq "skip proc-macro" "$(journal_actions fixmacro)" "fixmacro"
	assert_eq "skip build-script" "$(journal_actions build_script_build)" "build script"
	local dir=target/release
	[ $# -eq 0 ] || dir=target/$(host_triple)/release
	assert_eq 1656789 "$("$dir/fixbin" 1000)" "fixbin output"
	assert_eq 1 "$(count_files "$T/prof" '*.profraw')" ".profraw files after one run of fixbin"
	"$(profdata_tool)" merge -o "$T/merged.profdata" "$T/prof"
	"$(profdata_tool)" show --all-functions "$T/merged.profdata" >"$T/functions.txt"
	assert_grep 'fixlib.*tokenize' "$T/functions.txt" "fixlib is in the profile"
	assert_no_grep 'expr_table|build_script' "$T/functions.txt" "host code in the profile"
	# The build script's own `$RUSTC_WRAPPER $RUSTC -vV` probe saw rustc's exact output.
	"$(real_rustc)" -vV >"$T/rustc-vV.txt"
	cmp -s "$T/rustc-vV.txt" "$(ls "$dir"/build/fixbin-*/out/rustc-vV.txt)" ||
		fail "the build script's probe through the wrapper differs from rustc -vV"
}

test_cargo_generate_without_target() {
	setup_ws
	generate_and_check
}

test_cargo_generate_with_host_target() {
	setup_ws
	generate_and_check --target "$(host_triple)"
}

# CARGO_PGO_WRAP_PROFILE's bytes may change under one name: under an
# incremental release profile, each content gets its own incremental dir
# (rustc would reuse code of the old bytes), the old one goes.
test_cargo_explicit_profile_rewritten_under_incremental() {
	setup_ws
	printf '\n[profile.release]\nincremental = true\n' >>Cargo.toml
	export CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof"
	CARGO_TARGET_DIR="$T/instr" cargo_ok build --release
	run_profiled "$T/prof" "$T/instr/release/fixbin" 3000 >/dev/null
	"$(profdata_tool)" merge -o "$T/a.profdata" "$T/prof"
	rm -f "$T"/prof/*.profraw
	run_profiled "$T/prof" "$T/instr/release/fixbin" 3 >/dev/null
	"$(profdata_tool)" merge -o "$T/b.profdata" "$T/prof"
	cp "$T/a.profdata" "$T/use.profdata"
	export CARGO_PGO_WRAP_MODE=use CARGO_PGO_WRAP_PROFILE="$T/use.profdata"
	cargo_ok build --release
	local first
	first=$(ls target/release/incremental/pgo-wrap/fixlib-*)
	[ -n "$first" ] || fail "fixlib compiled in no dir of its own"
	cp "$T/b.profdata" "$T/use.profdata"
	cargo_ok build --release -v
	assert_grep 'Compiling fixlib' "$T/cargo.log" "setup: the new bytes rebuild fixlib"
	assert_eq 1 "$(ls target/release/incremental/pgo-wrap/fixlib-* | wc -l)" "one dir, the old one gone"
	[ "$(ls target/release/incremental/pgo-wrap/fixlib-*)" != "$first" ] || fail "the old bytes' dir was used"
	# A link planted there is neither followed nor deleted through.
	mkdir -p "$T/outside"
	mv target/release/incremental/pgo-wrap "$T/outside/"
	ln -s "$T/outside/pgo-wrap" target/release/incremental/pgo-wrap
	cp "$T/a.profdata" "$T/use.profdata"
	! cargo build --release 2>"$T/err" || fail "a build through the planted link"
	assert_grep 'a symlink \(or a file\) is in the way; refusing to follow it' "$T/err" "the link is refused"
	assert_eq 1 "$(ls "$T"/outside/pgo-wrap/fixlib-* | wc -l)" "nothing removed through it"
}

test_cargo_merge_and_use_applies_profile() {
	setup_ws
	export CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof"
	cargo_ok build --release
	target/release/fixbin 3000 >/dev/null
	"$(profdata_tool)" merge -o "$T/merged.profdata" "$T/prof"

	# Control: the same IR without a profile has no entry counts.
	export CARGO_PGO_WRAP_MODE=off
	cargo_ok rustc --release -p fixlib -- --emit=llvm-ir
	assert_no_grep 'function_entry_count' "$(ls target/release/deps/fixlib-*.ll)" "plain IR"

	export CARGO_PGO_WRAP_MODE=use CARGO_PGO_WRAP_PROFILE="$T/merged.profdata"
	cargo_ok rustc --release -p fixlib -- --emit=llvm-ir
	local ll
	ll=$(ls target/release/deps/fixlib-*.ll)
	assert_grep '!"function_entry_count", i64 [1-9]' "$ll" "profile-use IR of fixlib"
	assert_grep '!"branch_weights"' "$ll" "branch weights from the profile"
	assert_no_grep 'hash mismatch|invalid instrumentation profile' "$T/cargo.log" "profile warnings"
	cargo_ok rustc --release -p fixbin --bin fixbin -- --emit=llvm-ir
	assert_grep '!"function_entry_count", i64 [1-9]' "$(ls target/release/deps/fixbin-*.ll)" "profile-use IR of fixbin"
}

test_cargo_rebuilds_when_decision_changes() {
	setup_ws
	export CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof"
	cargo_ok build --release
	target/release/fixbin 3000 >/dev/null
	assert_eq 1 "$(count_files "$T/prof" '*.profraw')" "instrumented binary wrote a profile"
	"$(profdata_tool)" merge -o "$T/merged.profdata" "$T/prof"
	local before
	before=$(sha256sum <target/release/fixbin)

	# Same target dir, new decision: cargo must rebuild, not reuse the instrumented binary.
	export CARGO_PGO_WRAP_MODE=use CARGO_PGO_WRAP_PROFILE="$T/merged.profdata"
	cargo_ok build --release -v
	assert_grep 'Dirty fixlib .*CARGO_PGO_WRAP_MODE changed' "$T/cargo.log" "fixlib rebuilt"
	assert_grep 'Compiling fixbin' "$T/cargo.log" "fixbin rebuilt"
	assert_grep 'Fresh fixmacro' "$T/cargo.log" "proc-macro untouched"
	[ "$before" != "$(sha256sum <target/release/fixbin)" ] || fail "the shipped binary did not change"
	run_profiled "$T/after" target/release/fixbin 3000 >/dev/null
	assert_eq 0 "$(count_files "$T/after" '*.profraw')" ".profraw from the optimised binary (still instrumented?)"
	assert_eq "generate $T/prof
use $T/merged.profdata" "$(journal_actions fixbin)" "fixbin decisions"

	# Nothing changed: nothing rebuilt (the stamp rewrite must not cause churn).
	cargo_ok build --release -v
	assert_no_grep 'Compiling|Dirty' "$T/cargo.log" "no-op build"

	# The slot stamp is a real dependency: touching it rebuilds the PGO units only.
	local stamp
	stamp=$(the_stamp)
	assert_eq "use $T/merged.profdata" "$(head -n 1 "$stamp")" "stamp content"
	assert_eq "$T/ws/target/release" "$(sed -n 2p "$stamp")" "stamp's build dir"
	touch "$stamp"
	cargo_ok build --release -v
	assert_grep "Dirty fixlib .*the file \`$stamp\` has changed" "$T/cargo.log" "stamp dirties fixlib"
	assert_grep 'Compiling fixbin' "$T/cargo.log" "stamp rebuilds fixbin"
	assert_grep 'Fresh fixmacro' "$T/cargo.log" "stamp leaves the proc-macro alone"

	# And back: generate again re-instruments in place.
	export CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof2"
	cargo_ok build --release
	target/release/fixbin 10 >/dev/null
	assert_eq 1 "$(count_files "$T/prof2" '*.profraw')" "re-instrumented binary wrote a profile"
}

test_cargo_profile_appearing_later_triggers_rebuild() {
	setup_ws
	export CARGO_PGO_WRAP_MODE=use CARGO_PGO_WRAP_PROFILE="$T/later.profdata"
	cargo_ok build --release
	assert_grep "profile $T/later.profdata does not exist; building WITHOUT PGO" "$T/cargo.log" "loud warning"
	assert_eq "plain $T/later.profdata" "$(journal_actions fixbin)" "fixbin built plain"

	# Collect a profile in another target dir and put it where the decision points.
	CARGO_TARGET_DIR="$T/gen" CARGO_PGO_WRAP_JOURNAL="$T/gen.journal" CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof" \
		cargo_ok build --release
	"$T/gen/release/fixbin" 1000 >/dev/null
	"$(profdata_tool)" merge -o "$T/later.profdata" "$T/prof"

	cargo_ok build --release -v
	assert_grep 'Compiling fixbin' "$T/cargo.log" "rebuilt once the profile exists"
	assert_eq "plain $T/later.profdata
use $T/later.profdata" "$(journal_actions fixbin)" "fixbin used the profile once it existed"
	assert_no_grep 'does not exist' "$T/cargo.log" "no stale warning"
}

test_cargo_chained_wrapper_sees_injected_flag() {
	setup_ws
	mkdir -p "$T/bin"
	printf '#!/bin/sh\necho "$*" >>"%s"\nexec "$@"\n' "$T/chain.log" >"$T/bin/recwrap"
	chmod +x "$T/bin/recwrap"
	export CARGO_PGO_WRAP_NEXT="$T/bin/recwrap"
	export CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof"
	cargo_ok build --release
	assert_grep "rustc .*--crate-name fixbin .*-Cprofile-generate=$T/prof\$" "$T/chain.log" "next wrapper got the flag"
	assert_no_grep "build_script_build.*profile-generate" "$T/chain.log" "build script instrumented"
	assert_grep '^[^ ]*rustc -vV$' "$T/chain.log" "probes go through the chain too"
	target/release/fixbin 10 >/dev/null
	assert_eq 1 "$(count_files "$T/prof" '*.profraw')" "chained build is instrumented"
}

test_cargo_user_rustflags_pgo_left_alone() {
	setup_ws
	export RUSTFLAGS="-Cprofile-generate=$T/userprof"
	export CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof"
	cargo_ok build --release --target "$(host_triple)"
	assert_eq 1 "$(grep -c 'already passes -Cprofile-generate' "$T/cargo.log")" "notices (want exactly one)"
	assert_eq "skip user-pgo-flag" "$(journal_actions fixlib)" "fixlib"
	assert_eq "skip user-pgo-flag" "$(journal_actions fixbin)" "fixbin"
	"target/$(host_triple)/release/fixbin" 10 >/dev/null
	assert_eq 1 "$(count_files "$T/userprof" '*.profraw')" "the user's own flag still works"
	assert_eq 0 "$(count_files "$T/prof" '*.profraw')" "no second instrumentation"
}

test_cargo_debug_build_not_instrumented() {
	setup_ws
	export CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof"
	cargo_ok build
	assert_eq "skip opt-level-0" "$(journal_actions fixbin)" "fixbin in a debug build"
	target/debug/fixbin 10 >/dev/null
	assert_eq 0 "$(count_files "$T/prof" '*.profraw')" "profiles from a debug binary"
}
