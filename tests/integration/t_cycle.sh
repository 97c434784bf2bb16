# t_cycle.sh - the cache-driven cycle with real cargo: instrument into a
# separate target dir, run, `cargo-pgo-wrap merge`, and let plain `cargo build`
# (no PGO variables) pick the profile up from the cache.

instrument_and_train() {
	export CARGO_PGO_WRAP_WORKSPACE="$T/ws"
	CARGO_TARGET_DIR="$T/instr" CARGO_PGO_WRAP_JOURNAL="$T/instr.journal" \
		CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/raw" cargo_ok build --release
	"$T/instr/release/fixbin" 2000 >/dev/null
}

test_cycle_merge_then_plain_build_uses_cache() {
	setup_ws
	# A plain build first, in the user's target dir: no profile yet, said once.
	export CARGO_PGO_WRAP_WORKSPACE="$T/ws"
	cargo_ok build --release
	assert_eq 1 "$(grep -c 'no profile for this build configuration yet' "$T/cargo.log")" "one notice"
	assert_eq "plain -" "$(journal_actions fixbin)" "fixbin built plain"

	instrument_and_train
	pgow merge "$T/raw" 2>"$T/merge.log" || { cat "$T/merge.log" >&2; fail "merge failed"; }
	assert_grep 'Merged 1 profile\(s\) \(0 skipped\) into [0-9a-f]{12} for slot [0-9a-f]{12} \(2 crates\)' \
		"$T/merge.log" "merge summary"

	# The profile appeared: cargo must rebuild the plain artifacts with it.
	cargo_ok build --release -v
	assert_grep 'Dirty fixlib .*stamps/[0-9a-f]+` has changed' "$T/cargo.log" "stamp retargeted by merge"
	assert_grep 'Compiling fixbin' "$T/cargo.log" "fixbin rebuilt"
	local prof
	prof=$(ls "$T"/cache/slots/*/profiles/*.profdata)
	assert_eq "plain -
use $prof" "$(journal_actions fixbin)" "fixbin now uses the cached profile"
	run_profiled "$T/after" target/release/fixbin 10 >/dev/null
	assert_eq 0 "$(count_files "$T/after" '*.profraw')" "optimised binary is not instrumented"

	# The instrumented dir was not dirtied by the merge: a refresh is incremental.
	CARGO_TARGET_DIR="$T/instr" CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE="$T/raw" \
		cargo_ok build --release -v
	assert_no_grep 'Compiling|Dirty' "$T/cargo.log" "instrumented dir after merge"

	# The profile really is applied (IR has entry counts).
	cargo_ok rustc --release -p fixlib -- --emit=llvm-ir
	assert_grep '!"function_entry_count", i64 [1-9]' "$(ls target/release/deps/fixlib-*.ll)" "profile-use IR"

	pgow status >"$T/status.txt"
	assert_grep '^  state       fresh; 2 of 2 crates fresh$' "$T/status.txt" "status after merge"
	assert_grep "^  build dir   $T/ws/target/release: use $prof\$" "$T/status.txt" "status shows the decision"
	assert_grep "^  build dir   $T/instr/release: generate $T/raw\$" "$T/status.txt" "and the instrumented dir"

	# Edit one crate: status names exactly it before any build, then the build says so too.
	sed -i 's/let mut v = 0i64;/let mut v = 0i64; \/\/ edited/' fixlib/src/lib.rs
	pgow status >"$T/status.txt"
	assert_grep '^  state       stale: fixlib \(changed, [0-9]+% of counts\); 1 of 2 crates fresh$' "$T/status.txt" "status after an edit"
	local share
	share=$(sed -n 's/.*fixlib (changed, \([0-9]*\)% of counts).*/\1/p' "$T/status.txt")
	[ "$share" -ge 50 ] || fail "fixlib holds the hot loop, yet carries only $share% of the counts"
	pgow status --format=yaml >"$T/status.yaml"
	assert_grep '^  state: stale$' "$T/status.yaml" "yaml state"
	assert_grep '^  - name: fixlib$' "$T/status.yaml" "yaml crate"
	grep -A1 '^  - name: fixlib$' "$T/status.yaml" | grep -q 'state: changed' || fail "yaml: fixlib not changed"
	grep -A1 '^  - name: fixbin$' "$T/status.yaml" | grep -q 'state: fresh' || fail "yaml: fixbin not fresh"
	(cd / && pgow status) >"$T/elsewhere.txt"
	assert_grep 'slot [0-9a-f]{12}' "$T/elsewhere.txt" "CARGO_PGO_WRAP_WORKSPACE selects the slots"
	: >"$CARGO_PGO_WRAP_JOURNAL"
	cargo_ok build --release
	assert_eq "use-stale $prof" "$(journal_actions fixlib)" "edited crate is stale"
	assert_eq "use $prof" "$(journal_actions fixbin)" "unedited crate is fresh"
}

test_cycle_merge_errors() {
	setup_ws
	instrument_and_train
	local rc=0
	# The wrong llvm-profdata: Debian's LLVM 14 cannot read raw format 10.
	CARGO_PGO_WRAP_LLVM_PROFDATA=/usr/bin/llvm-profdata-14 pgow merge "$T/raw" 2>"$T/err" || rc=$?
	assert_eq 4 "$rc" "exit code for an llvm-profdata that cannot read the format"
	assert_grep 'cannot read raw profile format 10 \(it needs LLVM 19 or newer; found: /usr/bin/llvm-profdata-14 \(LLVM 14\)\).*apt-get install llvm-22' \
		"$T/err" "wrong llvm-profdata"
	assert_eq 1 "$(wc -l <"$T/err")" "one-line error"
	[ ! -d "$T/cache/slots/"*/profiles ] || fail "a failed merge stored something"

	# A corrupt .profraw among good ones: named, skipped, the rest merged.
	head -c 100 /dev/urandom >"$T/raw/corrupt.profraw"
	rc=0
	pgow merge "$T/raw" 2>"$T/err" || rc=$?
	assert_eq 0 "$rc" "merge with one corrupt file"
	assert_grep "warning: skipping $T/raw/corrupt.profraw is not a raw LLVM profile" "$T/err" "named"
	assert_grep '\(1 skipped\)' "$T/err" "counted"
	rc=0
	pgow merge --strict "$T/raw" 2>"$T/err" || rc=$?
	assert_eq 5 "$rc" "--strict refuses the corrupt file"

	rc=0
	pgow merge "$T/nowhere" 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "missing dir"
	mkdir -p "$T/other" && cp "$T"/raw/default_*.profraw "$T/other/"
	rc=0
	pgow merge "$T/other" 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "dir no build wrote to"
	assert_grep "no instrumented build wrote its profiles to $T/other" "$T/err" "explains"
	local id
	id=$(ls "$T/cache/slots")
	pgow merge --slot "${id:0:10}" "$T/other" 2>"$T/err" || fail "merge --slot: $(cat "$T/err")"
}

test_cycle_version_bump_replaces_crate() {
	setup_ws
	instrument_and_train
	pgow merge "$T/raw" 2>/dev/null
	cargo_ok build --release
	pgow status >"$T/status.txt"
	assert_grep '^  state       fresh; 2 of 2 crates fresh$' "$T/status.txt" "fresh before the bump"
	# A new version (and so a Cargo.lock change) gives fixlib new -C metadata.
	sed -i 's/^version.workspace = true$/version = "0.2.0"/' fixlib/Cargo.toml
	sed -i 's|fixlib = { path = "../fixlib" }|fixlib = { path = "../fixlib", version = "0.2" }|' fixbin/Cargo.toml
	cargo_ok build --release
	assert_grep 'version = "0.2.0"' Cargo.lock "Cargo.lock changed"
	pgow status >"$T/status.txt"
	assert_grep '^  state       stale: .*fixlib \(replaced, [0-9]+% of counts\)' "$T/status.txt" "bumped crate is stale"
	assert_eq "use-stale" "$(journal_actions fixlib | tail -n 1 | cut -d' ' -f1)" "the build said so too"
}

test_cycle_merge_many_inputs_and_weights() {
	setup_ws
	instrument_and_train
	local one id total1 total3
	one=$(ls "$T"/raw/*.profraw | head -n 1)
	id=$(ls "$T/cache/slots")
	pgow merge --slot "$id" "$one" 2>/dev/null || fail "merge of one file"
	total1=$(sed -n 's/^total-counts: //p' "$T"/cache/slots/*/profiles/*.yaml)
	pgow merge --slot "$id" --weight 3 "$one" 2>/dev/null || fail "weighted merge"
	total3=$(sed -n 's/^total-counts: //p' "$(ls -t "$T"/cache/slots/*/profiles/*.yaml | head -n 1)")
	[ "$total1" -gt 0 ] || fail "no counts merged"
	assert_eq $((total1 * 3)) "$total3" "--weight 3 triples the counts"

	# A thousand inputs go through an --input-files list, not the command line.
	mkdir -p "$T/many"
	for i in $(seq 1000); do cp "$one" "$T/many/p$i.profraw"; done
	pgow merge --slot "$id" "$T/many" 2>"$T/err" || fail "merge of 1000 files: $(tail -3 "$T/err")"
	assert_grep 'Merged 1000 profile\(s\) \(0 skipped\)' "$T/err" "all merged"
	assert_grep '^raw-files: 1000$' "$(ls -t "$T"/cache/slots/*/profiles/*.yaml | head -n 1)" "manifest counts them"
	[ -z "$(ls "$T"/cache/slots/*/merge-inputs.* 2>/dev/null)" ] || fail "input list left behind"
}

test_cycle_merge_prefers_rustup_llvm_tools() {
	setup_ws
	instrument_and_train
	# A toolchain whose sysroot has the llvm-tools component (a logging llvm-profdata-22).
	local sys="$T/sysroot" host
	host=$(host_triple)
	mkdir -p "$sys/lib/rustlib/$host/bin" "$T/bin"
	printf '#!/bin/sh\necho "$*" >>"%s"\nexec llvm-profdata-22 "$@"\n' "$T/tools.log" >"$sys/lib/rustlib/$host/bin/llvm-profdata"
	chmod +x "$sys/lib/rustlib/$host/bin/llvm-profdata"
	printf '#!/bin/sh\n[ "$*" = "--print sysroot" ] && { echo "%s"; exit 0; }\nexec "%s" "$@"\n' "$sys" "$(real_rustc)" >"$T/bin/rustc"
	chmod +x "$T/bin/rustc"
	PATH="$T/bin:$PATH" pgow merge "$T/raw" 2>"$T/err" || fail "merge: $(cat "$T/err")"
	assert_grep '^merge ' "$T/tools.log" "rustup's llvm-tools llvm-profdata did the merge"
}
