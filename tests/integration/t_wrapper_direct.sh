# t_wrapper_direct.sh - the wrapper invoked the way cargo invokes it, with
# the real rustc for probes and a recording fake rustc for decisions.

test_wrapper_direct_probes_byte_identical() {
	local rc
	rc=$(real_rustc)
	export CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof" CARGO_PGO_WRAP_CACHE="$T/cache"
	local i=0
	while IFS= read -r probe; do
		i=$((i + 1))
		# shellcheck disable=SC2086
		"$rc" $probe </dev/null >"$T/direct.$i" 2>/dev/null; local want=$?
		# shellcheck disable=SC2086
		pgow "$rc" $probe </dev/null >"$T/wrapped.$i" 2>"$T/wrapped.err.$i"; local got=$?
		assert_eq "$want" "$got" "exit status of probe '$probe'"
		cmp -s "$T/direct.$i" "$T/wrapped.$i" || fail "stdout of probe '$probe' differs"
		[ -s "$T/direct.$i" ] || fail "probe '$probe' printed nothing; the comparison proves nothing"
	done <<'PROBES'
-vV
--version
--print=cfg
--print sysroot
--print=cfg --target wasm32-unknown-unknown
- --crate-name ___ --print=file-names --crate-type bin --crate-type rlib --crate-type proc-macro --print=sysroot --print=split-debuginfo --print=crate-name --print=cfg -Wwarnings
PROBES
	[ ! -e "$T/prof" ] || fail "a probe created the profile dir"
}

test_wrapper_direct_wasm_passes_through() {
	make_fake_rustc
	export CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof"
	# shellcheck disable=SC2046
	set -- $(lib_args runtime --target wasm32-unknown-unknown)
	pgow "$T/bin/rustc" "$@" >"$T/stdout"
	assert_argv "$@"
	assert_eq "" "$(cat "$T/stdout")" "wrapper stdout"
	assert_eq "skip no-profiler-runtime" "$(journal_actions runtime)" "journal"
	# The list is extensible from the environment.
	# shellcheck disable=SC2046
	set -- $(lib_args fw --target thumbv7em-none-eabihf)
	pgow "$T/bin/rustc" "$@"
	assert_argv "$@"
	# shellcheck disable=SC2046
	set -- $(lib_args custom --target riscv64gc-unknown-linux-gnu)
	CARGO_PGO_WRAP_NO_PROFILER_TARGETS='armv7-*,riscv64gc-*' pgow "$T/bin/rustc" "$@"
	assert_argv "$@"
	assert_eq "skip no-profiler-runtime" "$(journal_actions custom)" "journal for custom target"
}

test_wrapper_direct_skip_rules() {
	make_fake_rustc
	export CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof" CARGO_PGO_WRAP_EXCLUDE=excludedcrate
	local args
	while IFS='|' read -r crate reason emit extra; do
		# shellcheck disable=SC2086
		args=$(EMIT=$emit lib_args "$crate" $extra)
		# shellcheck disable=SC2086
		pgow "$T/bin/rustc" $args >"$T/stdout" || fail "wrapper failed for $crate"
		# shellcheck disable=SC2086
		assert_argv $args || fail "case $crate"
		assert_eq "skip $reason" "$(journal_actions "$crate")" "journal for $crate"
		assert_eq "" "$(cat "$T/stdout")" "wrapper stdout for $crate"
	done <<'CASES'
build_script_build|build-script||
my_derive|proc-macro||--crate-type proc-macro --extern proc_macro
checked|no-codegen|dep-info,metadata|
debugonly|opt-level-0||-C opt-level=0
excludedcrate|excluded||
CASES
	# shellcheck disable=SC2046
	set -- $(lib_args nopt | sed 's/-C opt-level=3//')
	pgow "$T/bin/rustc" "$@"
	assert_argv "$@"
	assert_eq "skip opt-level-0" "$(journal_actions nopt)" "no -C opt-level means opt-level 0"
}

test_wrapper_direct_excluded_by_env() {
	make_fake_rustc
	export CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof"
	export CARGO_PGO_WRAP_EXCLUDE="other,my-crate"
	# shellcheck disable=SC2046
	set -- $(lib_args my_crate)
	pgow "$T/bin/rustc" "$@"
	assert_argv "$@"
	assert_eq "skip excluded" "$(journal_actions my_crate)" "journal"
	# Its dep-info tracks the exclusion list, so removing it rebuilds the crate.
	assert_grep '^# env-dep:CARGO_PGO_WRAP_EXCLUDE=other,my-crate$' "$T/out/my_crate-0123abcd.d" "dep-info"
}

test_wrapper_direct_user_pgo_flag_not_doubled() {
	make_fake_rustc
	export CARGO_PGO_WRAP_MODE=use CARGO_PGO_WRAP_PROFILE="$T/p.profdata"
	touch "$T/p.profdata"
	# shellcheck disable=SC2046
	set -- $(lib_args mine -C profile-generate=/elsewhere)
	pgow "$T/bin/rustc" "$@" 2>"$T/err"
	assert_argv "$@"
	assert_grep 'already passes -Cprofile-generate' "$T/err" "notice"
	assert_eq "skip user-pgo-flag" "$(journal_actions mine)" "journal"
}

test_wrapper_direct_injects_generate_and_use() {
	make_fake_rustc
	local args
	args=$(lib_args hot)
	# shellcheck disable=SC2086
	CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof" pgow "$T/bin/rustc" $args >"$T/stdout"
	# shellcheck disable=SC2086
	assert_argv $args "-Cprofile-generate=$T/prof"
	assert_eq "" "$(cat "$T/stdout")" "wrapper stdout"
	local d="$T/out/hot-0123abcd.d"
	local stamp
	stamp=$(the_stamp)
	assert_grep "^$T/out/hot-0123abcd: $T/src/lib.rs $stamp\$" "$d" "stamp on the rule"
	assert_grep "^$stamp:\$" "$d" "stamp's own line"
	assert_grep '^# env-dep:CARGO_PGO_WRAP_MODE=generate$' "$d" "env-dep mode"
	assert_grep "^# env-dep:CARGO_PGO_WRAP_PROFILE=$T/prof\$" "$d" "env-dep profile"
	assert_grep '^# env-dep:CARGO_PGO_WRAP_EXCLUDE$' "$d" "env-dep exclude (unset)"
	assert_eq "generate $T/prof" "$(head -n 1 "$stamp")" "stamp records the decision"
	assert_eq "$T/out" "$(sed -n 2p "$stamp")" "stamp records the build dir"
	[ "$(stat -c %a "$T/cache")" = 700 ] || fail "cache dir mode is $(stat -c %a "$T/cache"), not 700"

	touch "$T/p.profdata"
	# shellcheck disable=SC2086
	CARGO_PGO_WRAP_MODE=use CARGO_PGO_WRAP_PROFILE="$T/p.profdata" pgow "$T/bin/rustc" $args
	# shellcheck disable=SC2086
	assert_argv $args "-Cprofile-use=$T/p.profdata"
	assert_eq "use $T/p.profdata" "$(head -n 1 "$stamp")" "stamp follows the decision"
	assert_eq "generate $T/prof
use $T/p.profdata" "$(journal_actions hot)" "journal"

	# Unset mode: no flag, but still tracked so turning PGO on rebuilds it.
	# shellcheck disable=SC2086
	pgow "$T/bin/rustc" $args
	# shellcheck disable=SC2086
	assert_argv $args
	assert_grep '^# env-dep:CARGO_PGO_WRAP_MODE$' "$d" "env-dep for unset mode"
}

test_wrapper_direct_missing_profile_falls_back() {
	make_fake_rustc
	# shellcheck disable=SC2046
	set -- $(lib_args hot)
	CARGO_PGO_WRAP_MODE=use CARGO_PGO_WRAP_PROFILE="$T/none.profdata" pgow "$T/bin/rustc" "$@" 2>"$T/err"
	assert_argv "$@"
	assert_grep "profile $T/none.profdata does not exist; building WITHOUT PGO" "$T/err" "warning"
	assert_grep "^$T/none.profdata:\$" "$T/out/hot-0123abcd.d" "missing profile listed so cargo retries"
	assert_eq "plain $T/none.profdata" "$(journal_actions hot)" "journal"
}

test_wrapper_direct_argfile() {
	make_fake_rustc
	export CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof"
	# shellcheck disable=SC2046
	printf '%s\n' $(lib_args from_file) >"$T/args.txt"
	pgow "$T/bin/rustc" "@$T/args.txt"
	# The argfile itself is passed on; only our flag is added.
	assert_argv "@$T/args.txt" "-Cprofile-generate=$T/prof"
	assert_grep "^$(the_stamp):\$" "$T/out/from_file-0123abcd.d" "dep-info found through the argfile"
	# A build script described only inside an argfile is still recognised.
	# shellcheck disable=SC2046
	printf '%s\n' $(lib_args build_script_build) >"$T/bs.txt"
	pgow "$T/bin/rustc" -C opt-level=3 "@$T/bs.txt"
	assert_argv -C opt-level=3 "@$T/bs.txt"
	assert_eq "skip build-script" "$(journal_actions build_script_build)" "journal"
}

test_wrapper_direct_argfile_real_rustc_instruments() {
	local rc
	rc=$(real_rustc)
	mkdir -p "$T/src" "$T/out"
	echo 'fn main() { let n: u64 = std::env::args().count() as u64; println!("{}", (0..n + 5).sum::<u64>()); }' >"$T/src/main.rs"
	printf '%s\n' --crate-name argbin --crate-type bin --edition=2021 -C opt-level=2 \
		--emit=dep-info,link --out-dir "$T/out" "$T/src/main.rs" >"$T/args.txt"
	CARGO_PGO_WRAP_CACHE="$T/cache" CARGO_PGO_WRAP_JOURNAL="$T/journal.log" \
		CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof" pgow "$rc" "@$T/args.txt"
	assert_eq 15 "$("$T/out/argbin")" "program output"
	assert_eq 1 "$(count_files "$T/prof" '*.profraw')" "profraw files from the instrumented binary"
}

test_wrapper_direct_bad_environment() {
	make_fake_rustc
	local args
	args=$(lib_args hot)
	while IFS='|' read -r mode profile pattern; do
		local rc=0
		# shellcheck disable=SC2086
		CARGO_PGO_WRAP_MODE=$mode CARGO_PGO_WRAP_PROFILE=$profile pgow "$T/bin/rustc" $args \
			>"$T/stdout" 2>"$T/err" || rc=$?
		assert_eq 2 "$rc" "exit code for mode=$mode profile=$profile"
		assert_grep "$pattern" "$T/err" "error for mode=$mode"
		assert_eq 1 "$(wc -l <"$T/err")" "one-line error for mode=$mode"
		assert_eq "" "$(cat "$T/stdout")" "stdout for mode=$mode"
		[ ! -e "$T/argv" ] || fail "rustc ran despite the bad environment"
	done <<CASES
instrument|/x|CARGO_PGO_WRAP_MODE=instrument is not a mode; set it to generate, use or off
generate|relative/dir|CARGO_PGO_WRAP_PROFILE=relative/dir is a relative path.*absolute
use||CARGO_PGO_WRAP_MODE=use needs CARGO_PGO_WRAP_PROFILE=<absolute path of a merged .profdata file>
CASES
}

# Every setting is checked at start, by every entry point, from the one table:
# one line naming it, exit 2, and nothing run (no rustc, no cargo).
test_wrapper_direct_settings_checked_at_start() {
	make_fake_rustc
	mkdir -p "$T/shims"
	ln -sf "$PGOW_BIN" "$T/shims/cargo"
	local var value pattern entry rc
	while IFS='|' read -r var value pattern; do
		printf -v value '%b' "$value" # \n: a newline
		for entry in wrapper status build shim; do
			rc=0
			rm -f "$T/argv"
			case $entry in
			wrapper) env "$var=$value" "$PGOW_BIN" "$T/bin/rustc" $(lib_args hot) >"$T/stdout" 2>"$T/err" || rc=$? ;;
			shim) env "$var=$value" PATH="$T/shims:$PATH" cargo build >"$T/stdout" 2>"$T/err" || rc=$? ;;
			*) env "$var=$value" "$PGOW_BIN" $entry >"$T/stdout" 2>"$T/err" || rc=$? ;;
			esac
			assert_eq 2 "$rc" "$entry: exit code for $var=$value"
			assert_eq 1 "$(wc -l <"$T/err")" "$entry: one line for $var=$value"
			assert_grep "^cargo-pgo-wrap: error: $pattern" "$T/err" "$entry: $var"
			assert_eq "" "$(cat "$T/stdout")" "$entry: nothing on stdout"
			[ ! -e "$T/argv" ] || fail "$entry: rustc ran despite $var=$value"
		done
	done <<CASES
CARGO_PGO_WRAP_CACHE_MAX|0x10|CARGO_PGO_WRAP_CACHE_MAX=0x10 is not a size; write e.g. 500M or 2G
CARGO_PGO_WRAP_GC_GRACE|99999999999999999999|CARGO_PGO_WRAP_GC_GRACE=9+ is not a number of seconds
CARGO_PGO_WRAP_WORKSPACE|relative/ws|CARGO_PGO_WRAP_WORKSPACE=relative/ws is a relative path
CARGO_PGO_WRAP_JOURNAL|j.log|CARGO_PGO_WRAP_JOURNAL=j.log is a relative path
CARGO_PGO_WRAP_CACHE|/tmp/a\\nb|CARGO_PGO_WRAP_CACHE holds a newline or another control character
CARGO_PGO_WRAP_SPLIT|off|CARGO_PGO_WRAP_SPLIT=off is not 0 or 1
CARGO_PGO_WRAP_WHEN_NO_PROFILE|sometimes|CARGO_PGO_WRAP_WHEN_NO_PROFILE=sometimes is not a choice
CARGO_PGO_WRAP_C|maybe|CARGO_PGO_WRAP_C=maybe is not a choice; set it to auto, on or off
CASES
	# help and version still answer.
	CARGO_PGO_WRAP_SPLIT=off pgow help >"$T/help" || fail "help with a bad setting"
	for v in SPLIT GC_GRACE; do
		assert_grep "^  CARGO_PGO_WRAP_$v=" "$T/help" "help lists CARGO_PGO_WRAP_$v"
	done
}

test_wrapper_direct_chain_errors() {
	make_fake_rustc
	local rc=0
	CARGO_PGO_WRAP_NEXT="$PGOW_BIN" pgow "$T/bin/rustc" -vV 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "exit code for a self loop"
	assert_grep 'is cargo-pgo-wrap itself, which would loop' "$T/err" "loop error"
	rc=0
	CARGO_PGO_WRAP_NEXT=no-such-wrapper-xyz pgow "$T/bin/rustc" -vV 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "exit code for a missing next wrapper"
	assert_grep 'CARGO_PGO_WRAP_NEXT=no-such-wrapper-xyz is not an executable on PATH' "$T/err" "missing wrapper"
	rc=0
	pgow "$T/bin/no-rustc-here" -vV 2>"$T/err" || rc=$?
	assert_eq 127 "$rc" "exit code for a missing rustc"
	assert_grep "cannot run $T/bin/no-rustc-here: No such file or directory" "$T/err" "missing rustc"
}

test_wrapper_direct_exit_status_and_signals() {
	make_fake_rustc
	local rc=0
	# shellcheck disable=SC2046
	FAKE_EXIT=3 CARGO_PGO_WRAP_MODE=off pgow "$T/bin/rustc" $(lib_args failing) || rc=$?
	assert_eq 3 "$rc" "rustc's exit status is ours"
	printf '#!/bin/sh\n[ "$*" = -vV ] && exec "%s" -vV\nkill -TERM $$\n' "$T/bin/rustc" >"$T/bin/rustc-killed"
	chmod +x "$T/bin/rustc-killed"
	rc=0
	# shellcheck disable=SC2046
	( pgow "$T/bin/rustc-killed" $(lib_args killed) ) 2>/dev/null || rc=$?
	assert_eq 143 "$rc" "death by SIGTERM is passed on"
}

test_wrapper_direct_cache_symlink_refused() {
	make_fake_rustc
	mkdir -p "$T/elsewhere"
	ln -s "$T/elsewhere" "$T/cache"
	local rc=0
	# shellcheck disable=SC2046
	CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof" \
		pgow "$T/bin/rustc" $(lib_args hot) 2>"$T/err" || rc=$?
	assert_eq 3 "$rc" "exit code"
	assert_grep "$T/cache is a symlink; refusing to follow it" "$T/err" "error"
	assert_eq "" "$(ls -A "$T/elsewhere")" "nothing written through the symlink"
}

test_wrapper_direct_dispatch() {
	pgow --version >"$T/out.txt"
	assert_grep '^cargo-pgo-wrap [0-9]+\.[0-9]+\.[0-9]+$' "$T/out.txt" "version"
	pgow pgo-wrap version >"$T/out2.txt"
	cmp -s "$T/out.txt" "$T/out2.txt" || fail "'cargo pgo-wrap version' differs from --version"
	local rc=0
	pgow biuld 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "unknown command exit code"
	assert_grep "'biuld' is not a cargo-pgo-wrap command" "$T/err" "unknown command"
	# A cargo-pgo user's habit gets our way of doing it.
	rc=0
	pgow optimize 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "cargo-pgo's command: exit code"
	assert_grep "'optimize' is cargo-pgo's, not a cargo-pgo-wrap command: \`cargo-pgo-wrap build\` instruments, trains, merges and optimises" \
		"$T/err" "points at build"
	rc=0
	pgow help bolt 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "help for cargo-pgo's command"
	assert_grep "bolt: on" "$T/err" "points at the config key"
}

test_wrapper_direct_slot_identity() {
	make_fake_rustc
	export CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof"
	slots() { find "$T/cache/slots" -mindepth 1 -maxdepth 1 -type d | wc -l | tr -d ' '; }
	# shellcheck disable=SC2046
	pgow "$T/bin/rustc" $(lib_args a)
	# shellcheck disable=SC2046
	pgow "$T/bin/rustc" $(lib_args b)
	assert_eq 1 "$(slots)" "two crates of one build share a slot"
	assert_eq 1 "$(wc -l <"$T/argv.vV")" "rustc -vV runs (cached per rustc binary)"
	assert_grep 'LLVM version: 22.1.2' "$(ls "$T"/cache/slots/*/SLOT)" "SLOT describes the rustc"
	# shellcheck disable=SC2046
	pgow "$T/bin/rustc" $(lib_args a -C target-cpu=native)
	assert_eq 2 "$(slots)" "target-cpu makes its own slot"
	# shellcheck disable=SC2046
	pgow "$T/bin/rustc" $(lib_args a | sed 's/opt-level=3/opt-level=2/')
	assert_eq 3 "$(slots)" "opt-level makes its own slot"
	# shellcheck disable=SC2046
	pgow "$T/bin/rustc" $(lib_args a -C metadata=ffff -C incremental=/x --cfg 'feature="f"')
	assert_eq 3 "$(slots)" "per-crate flags stay out of the slot"
	# A different toolchain (rustup replaced the binary): new identity, new slot.
	sleep 0.01
	cp "$T/bin/rustc" "$T/bin/rustc.new" && mv "$T/bin/rustc.new" "$T/bin/rustc"
	# shellcheck disable=SC2046
	FAKE_CHANNEL=nightly pgow "$T/bin/rustc" $(lib_args a)
	assert_eq 2 "$(wc -l <"$T/argv.vV")" "rustc -vV re-run for a replaced binary"
	assert_eq 4 "$(slots)" "a new rustc makes its own slot"
}

test_wrapper_direct_build_dirs_share_slot_not_stamp() {
	make_fake_rustc
	export CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof"
	export CARGO_PGO_WRAP_WORKSPACE="$T/ws"
	mkdir -p "$T/t1/release/deps" "$T/t2/release/deps"
	# shellcheck disable=SC2046
	pgow "$T/bin/rustc" $(lib_args a | sed "s|$T/out|$T/t1/release/deps|")
	CARGO_PGO_WRAP_MODE=use CARGO_PGO_WRAP_PROFILE="$T/prof" \
		pgow "$T/bin/rustc" $(lib_args a | sed "s|$T/out|$T/t2/release/deps|") 2>/dev/null
	assert_eq 1 "$(ls "$T/cache/slots" | wc -l | tr -d ' ')" "slots"
	assert_eq 2 "$(ls "$T"/cache/slots/*/stamps | wc -l | tr -d ' ')" "one stamp per build dir"
	grep -l "^generate $T/prof\$" "$T"/cache/slots/*/stamps/* >/dev/null || fail "t1 stamp"
	grep -l "^use $T/prof\$" "$T"/cache/slots/*/stamps/* >/dev/null || fail "t2 stamp"
}

test_wrapper_direct_nested_build_left_alone() {
	make_fake_rustc
	export CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/prof"
	# shellcheck disable=SC2046
	set -- $(lib_args runtime_lib)
	# What a build script's nested cargo passes on to rustc.
	HOST=x86_64-unknown-linux-gnu TARGET=x86_64-unknown-linux-gnu NUM_JOBS=2 OPT_LEVEL=3 \
		pgow "$T/bin/rustc" "$@"
	assert_argv "$@"
	assert_eq "skip nested-build" "$(journal_actions runtime_lib)" "journal"
	# One of them alone (a crate's own env!) is not enough.
	TARGET=x86_64-unknown-linux-gnu pgow "$T/bin/rustc" "$@"
	assert_argv "$@" "-Cprofile-generate=$T/prof"
}

# Every test of this file calls the wrapper directly: no cargo.
no_cargo $(declare -F | awk '$3 ~ /^test_wrapper_direct_/ {print $3}')
