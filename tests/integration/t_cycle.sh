# t_cycle.sh - the cache-driven cycle with real cargo: instrument into a
# separate target dir, run, `cargo-pgo-wrap merge`, and let plain `cargo build`
# (no PGO variables) pick the profile up from the cache.

current_manifest() {
	echo "$T"/cache/slots/*/profiles/"$(cat "$T"/cache/slots/*/CURRENT)".yaml
}

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
	# Built without a profile, a unit is rebuilt when what to do without one changes.
	CARGO_PGO_WRAP_WHEN_NO_PROFILE=plain cargo_ok build --release -v
	assert_grep 'Dirty fixlib .*CARGO_PGO_WRAP_WHEN_NO_PROFILE changed' "$T/cargo.log" "no profile: the setting is tracked"
	cargo_ok build --release

	instrument_and_train
	pgow merge "$T/raw" 2>"$T/merge.log" || { cat "$T/merge.log" >&2; fail "merge failed"; }
	assert_grep 'Merged 1 raw profile\(s\) into [0-9a-f]{12} for slot [0-9a-f]{12}: 2 of 2 units have counts' \
		"$T/merge.log" "merge summary"

	# The profile appeared: cargo must rebuild the plain artifacts with it.
	cargo_ok build --release -v
	assert_grep 'Dirty fixlib .*stamps/[0-9a-f]+` has changed' "$T/cargo.log" "stamp retargeted by merge"
	assert_grep 'Compiling fixbin' "$T/cargo.log" "fixbin rebuilt"
	local prof
	prof=$(ls "$T"/cache/slots/*/profiles/*.profdata)
	assert_eq "plain -
use $(split_file fixbin)" "$(journal_actions fixbin)" "fixbin now uses the cached profile"
	# With a profile it does not matter, and is not tracked (with RUST_BACKTRACE=1 each
	# unset variable cargo checks costs it a backtrace on every no-op build).
	CARGO_PGO_WRAP_WHEN_NO_PROFILE=instrument cargo_ok build --release -v
	assert_no_grep 'Compiling|Dirty' "$T/cargo.log" "with a profile the setting is not tracked"
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
	assert_grep '^  state       fresh; 2 of 2 units fresh$' "$T/status.txt" "status after merge"
	assert_grep "^  build dir   $T/ws/target/release: use $(dirname "$(split_file fixbin)")\$" "$T/status.txt" \
		"status shows the decision: the profile split per crate"
	assert_grep "^  build dir   $T/instr/release: generate $T/raw\$" "$T/status.txt" "and the instrumented dir"

	# Edit one crate: status names exactly it before any build, then the build says so too.
	sed -i 's/let mut v = 0i64;/let mut v = 0i64; let _edited = 1;/' fixlib/src/lib.rs
	pgow status >"$T/status.txt"
	assert_grep '^  state       stale: fixlib \(changed, [0-9]+% of counts\); 1 of 2 units fresh$' "$T/status.txt" "status after an edit"
	local share
	share=$(sed -n 's/.*fixlib (changed, \([0-9]*\)% of counts).*/\1/p' "$T/status.txt")
	[ "$share" -ge 50 ] || fail "fixlib holds the hot loop, yet carries only $share% of the counts"
	pgow status --format=yaml >"$T/status.yaml"
	assert_grep '^  state: stale$' "$T/status.yaml" "yaml state"
	assert_grep '^  - name: fixlib$' "$T/status.yaml" "yaml crate"
	grep -A2 '^  - name: fixlib$' "$T/status.yaml" | grep -q 'state: changed' || fail "yaml: fixlib not changed"
	grep -A2 '^  - name: fixbin$' "$T/status.yaml" | grep -q 'state: fresh' || fail "yaml: fixbin not fresh"
	(cd / && pgow status) >"$T/elsewhere.txt"
	assert_grep 'slot [0-9a-f]{12}' "$T/elsewhere.txt" "CARGO_PGO_WRAP_WORKSPACE selects the slots"
	: >"$CARGO_PGO_WRAP_JOURNAL"
	cargo_ok build --release
	assert_eq "use-stale $(split_file fixlib)" "$(journal_actions fixlib)" "edited crate is stale"
	assert_eq "use $(split_file fixbin)" "$(journal_actions fixbin)" "unedited crate is fresh"
	# A build dir removed since (cargo clean) is still the slot's, and status says it is gone.
	rm -rf "$T/instr"
	pgow status >"$T/status.txt"
	assert_grep "^  build dir   $T/instr/release: generate $T/raw \(gone since: cargo clean\?\)\$" "$T/status.txt" \
		"status: the removed dir is gone"
	assert_grep "^  build dir   $T/ws/target/release: use [^ ]+\$" "$T/status.txt" "the other is not"
	pgow status --format=yaml >"$T/status.yaml"
	assert_eq "false true" "$(sed -n 's/^ *gone: //p' "$T/status.yaml" | sort | tr '\n' ' ' | sed 's/ $//')" "yaml: gone"
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
	assert_grep "warning: skipping $T/raw/corrupt.profraw: not a raw LLVM profile" "$T/err" "named"
	assert_grep '\(1 skipped\)' "$T/err" "counted"
	rc=0
	pgow merge --strict "$T/raw" 2>"$T/err" || rc=$?
	assert_eq 5 "$rc" "--strict refuses the corrupt file"
	rm "$T/raw/corrupt.profraw"
	# A FIFO named like a profile never blocks a merge.
	mkfifo "$T/raw/pipe.profraw"
	rc=0
	timeout 20 "$PGOW_BIN" merge "$T/raw" 2>"$T/err" || rc=$?
	[ "$rc" != 124 ] || fail "merge hung on a FIFO"
	assert_grep "skipping $T/raw/pipe.profraw: not a regular file" "$T/err" "the FIFO is named and skipped"
	rm "$T/raw/pipe.profraw"

	rc=0
	pgow merge "$T/nowhere" 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "missing dir"
	# Files are routed by the build-id of the binary that wrote them, wherever they were moved.
	mkdir -p "$T/other"
	LLVM_PROFILE_FILE="$T/other/run-%p.profraw" "$T/instr/release/fixbin" 700 >/dev/null
	pgow merge "$T/other" 2>"$T/err" || fail "merge of moved files: $(cat "$T/err")"
	assert_grep 'Added 1 raw profile\(s\) to the profile of slot' "$T/err" "routed to their slot and added"
	local id
	id=$(ls "$T/cache/slots")
	pgow merge --slot "${id:0:10}" "$T/other" 2>"$T/err" || fail "merge --slot: $(cat "$T/err")"
}

# A raw profile of a program this cache never built.
foreign_profile() { # dir
	mkdir -p "$1"
	printf 'fn main() { let s: u64 = (0..1000u64).filter(|x| x %% 3 == 0).sum(); println!("{s}"); }\n' >"$T/other.rs"
	rustc -O -Cprofile-generate="$1" "$T/other.rs" -o "$T/other" 2>/dev/null || fail "cannot build the other program"
	"$T/other" >/dev/null
}

test_cycle_merge_refuses_a_foreign_profile() {
	setup_ws
	instrument_and_train
	pgow merge "$T/raw" 2>/dev/null || fail "first merge"
	local prof before rc=0 id
	prof=$(ls "$T"/cache/slots/*/CURRENT)
	before=$(cat "$prof")
	foreign_profile "$T/foreign"
	pgow merge "$T/foreign" 2>"$T/err" || rc=$?
	assert_eq 5 "$rc" "a profile of another program is refused"
	assert_grep "skipping $T/foreign/default_.*\.profraw: written by a binary that no build in this cache produced" \
		"$T/err" "the file is named"
	assert_grep 'none of the 1 file\(s\) could be merged' "$T/err" "one clear line"
	# Accepted by name, it still gives no counts to any crate of the slot: refused, cache unchanged.
	id=$(ls "$T/cache/slots")
	rc=0
	pgow merge --foreign --slot "$id" --replace "$T/foreign" 2>"$T/err" || rc=$?
	assert_eq 5 "$rc" "zero counts for every crate"
	assert_grep 'gives no counts to any of the 2 .* it belongs to another program' "$T/err" "says whose"
	assert_eq "$before" "$(cat "$prof")" "the good profile is still current"
	# It died after merging into its temp dir: the temp registry removed that on the way out.
	[ -z "$(ls -d "$T"/cache/slots/*/merge.* 2>/dev/null)" ] || fail "a refused merge left its temp dir"
	pgow status >"$T/status.txt"
	assert_grep '^  state       fresh; 2 of 2 units fresh$' "$T/status.txt" "and fresh"
}

test_cycle_merge_adds_replaces_and_weighs_anywhere() {
	setup_ws
	instrument_and_train
	local one two total1 total2 total12 total5 key1 key2
	one=$(ls "$T"/raw/*.profraw)
	# A second, different profile from another run.
	LLVM_PROFILE_FILE="$T/second/run.profraw" "$T/instr/release/fixbin" 500 >/dev/null
	two="$T/second/run.profraw"
	pgow merge "$two" 2>/dev/null || fail "merge of the second file alone"
	total2=$(sed -n 's/^total-counts: //p' "$(current_manifest)")
	pgow merge --replace "$one" 2>"$T/err" || fail "merge of the first file alone: $(cat "$T/err")"
	total1=$(sed -n 's/^total-counts: //p' "$(current_manifest)")
	key1=$(cat "$T"/cache/slots/*/CURRENT)
	pgow merge "$two" 2>"$T/err" || fail "second merge"
	assert_grep 'Added 1 raw profile\(s\) to the profile of slot' "$T/err" "adds"
	assert_grep 'with 2 raw file\(s\): .*`merge --replace` starts over' "$T/err" "says how to start over"
	total12=$(sed -n 's/^total-counts: //p' "$(current_manifest)")
	key2=$(cat "$T"/cache/slots/*/CURRENT)
	assert_eq $((total1 + total2)) "$total12" "adding sums the counts"
	[ "$key1" != "$key2" ] || fail "the profile id does not depend on the data"
	# The same file again (a retried script) is not counted twice.
	pgow merge "$two" 2>"$T/err" || fail "merging a file again"
	assert_grep "skipping $two: it is in profile ${key2:0:12} already" "$T/err" "names the file"
	assert_eq "$key2" "$(cat "$T"/cache/slots/*/CURRENT)" "the profile is unchanged"
	# --weight after the file applies all the same.
	pgow merge --replace "$one" --weight 5 2>"$T/err" || fail "weighted replace"
	assert_grep "replaced profile ${key2:0:12} \\(--replace\\)" "$T/err" "replace says so"
	total5=$(sed -n 's/^total-counts: //p' "$(current_manifest)")
	assert_eq $((total1 * 5)) "$total5" "--weight 5 after the path multiplies by 5"
	local rc=0
	pgow merge "$one" --weight 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "a missing value is an error"
	assert_grep 'weight needs a value' "$T/err" "and says which"
}

slow test_cycle_version_bump_replaces_crate 25
test_cycle_version_bump_replaces_crate() {
	setup_ws
	unset RUSTC_WRAPPER
	printf 'stale-policy: use-stale\ntraining:\n  - run: ["{bin:fixbin}", "2000"]\n' >pgo-wrap.yaml
	pgow build --release 2>/dev/null || fail "first build"
	pgow status >"$T/status.txt"
	assert_grep '^  state       fresh; 2 of 2 units fresh$' "$T/status.txt" "fresh before the bump"
	# A new version (and so a Cargo.lock change) gives fixlib, and fixbin with it, new -C metadata.
	sed -i 's/^version.workspace = true$/version = "0.2.0"/' fixlib/Cargo.toml
	sed -i 's|fixlib = { path = "../fixlib" }|fixlib = { path = "../fixlib", version = "0.2" }|' fixbin/Cargo.toml
	pgow build --release 2>"$T/err" || fail "build after the bump"
	assert_grep 'version = "0.2.0"' Cargo.lock "Cargo.lock changed"
	assert_grep 'profile [0-9a-f]{12} is stale for this build: .*fixlib \(replaced, [0-9]+% of counts\)' "$T/err" \
		"the build finds the bumped crate"
	pgow status >"$T/status.txt"
	assert_grep '^  state       stale: .*fixlib \(replaced, [0-9]+% of counts\)' "$T/status.txt" "and status knows it"
}

test_cycle_merge_many_inputs() {
	setup_ws
	instrument_and_train
	local one
	one=$(ls "$T"/raw/*.profraw | head -n 1)
	# A thousand inputs go through an --input-files list, not the command line.
	mkdir -p "$T/many"
	for i in $(seq 1000); do cp "$one" "$T/many/p$i.profraw"; done
	pgow merge "$T/many" 2>"$T/err" || fail "merge of 1000 files: $(tail -3 "$T/err")"
	assert_grep 'Merged 1000 raw profile\(s\) into' "$T/err" "all merged"
	assert_grep '^raw-files: 1000$' "$(current_manifest)" "manifest counts them"
	[ -z "$(ls -d "$T"/cache/slots/*/merge.* 2>/dev/null)" ] || fail "merge temp dir left behind"
}

# The merge's llvm-profdata start once the first input is routed (their start-up
# runs beside the routing of the rest); whatever the merge then does, they end with
# it. The stand-in starts as slowly as it likes (30 s) before it reads its inputs.
no_merge_left_running() { # what
	local i
	for i in $(seq 30); do
		pgrep -f -- "--output=$T/cache/" >/dev/null || return 0
		sleep 0.1
	done
	fail "llvm-profdata still runs after $1: $(pgrep -af -- "--output=$T/cache/")"
}

test_cycle_merge_early_processes_end_with_it() {
	setup_ws
	instrument_and_train
	pgow merge "$T/raw" 2>"$T/err" || fail "first merge: $(cat "$T/err")"
	local key real start
	key=$(cat "$T"/cache/slots/*/CURRENT)
	real=$(command -v llvm-profdata-22)
	printf '#!/bin/sh\ncase "$*" in *--version*) exec %s "$@";; esac\ni=0\nwhile [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done\nexec %s "$@"\n' \
		"$real" "$real" >"$T/slow-profdata"
	chmod +x "$T/slow-profdata"
	export CARGO_PGO_WRAP_LLVM_PROFDATA="$T/slow-profdata"
	# Nothing new: the processes started for it are stopped, not awaited, and their dir removed.
	start=$(date +%s)
	pgow merge "$T/raw" 2>"$T/err" || fail "merge of nothing new: $(cat "$T/err")"
	assert_grep 'Fresh nothing new for slot' "$T/err" "nothing new"
	[ $(($(date +%s) - start)) -lt 10 ] || fail "a merge of nothing new waited for llvm-profdata"
	[ -z "$(ls -d "$T"/cache/slots/*/merge.* 2>/dev/null)" ] || fail "a merge of nothing new left its dir"
	no_merge_left_running "a merge of nothing new"
	# A later input fails --strict: the merge exits, and its processes with it.
	cp "$(ls "$T"/raw/*.profraw | head -n 1)" "$T/raw/0-first.profraw"
	LLVM_PROFILE_FILE="$T/raw/1-second.profraw" "$T/instr/release/fixbin" 300 >/dev/null
	head -c 100 /dev/urandom >"$T/raw/zz-corrupt.profraw"
	local rc=0
	pgow merge --strict "$T/raw" 2>"$T/err" || rc=$?
	assert_eq 5 "$rc" "--strict refuses the corrupt file"
	no_merge_left_running "a merge that failed"
	[ -z "$(ls -d "$T"/cache/slots/*/merge.* 2>/dev/null)" ] || fail "a failed merge left its dir"
	assert_eq "$key" "$(cat "$T"/cache/slots/*/CURRENT)" "the profile is unchanged"
	# With the real tool, the new file is merged; nothing is left behind.
	unset CARGO_PGO_WRAP_LLVM_PROFDATA
	rm "$T/raw/zz-corrupt.profraw" "$T/raw/0-first.profraw"
	pgow merge "$T/raw" 2>"$T/err" || fail "merge after the failure: $(cat "$T/err")"
	assert_grep 'Added 1 raw profile\(s\)' "$T/err" "the new file is added"
	[ -z "$(ls -d "$T"/cache/slots/*/merge.* 2>/dev/null)" ] || fail "a merge left its dir"
	no_merge_left_running "a merge"
}

# llvm-profdata failing, after reading its list or before: one line with its
# exit code and first error, exit 5, and the cache unchanged, however long the list
# (past a pipe's 64 KiB, the write of the list breaks first).
test_cycle_merge_when_llvm_profdata_fails() {
	setup_ws
	instrument_and_train
	pgow merge "$T/raw" 2>"$T/err" || fail "first merge: $(cat "$T/err")"
	local key real one rc
	key=$(cat "$T"/cache/slots/*/CURRENT)
	real=$(command -v llvm-profdata-22)
	one=$(ls "$T"/raw/*.profraw | head -n 1)
	mkdir -p "$T/few" "$T/many"
	LLVM_PROFILE_FILE="$T/few/a.profraw" "$T/instr/release/fixbin" 300 >/dev/null
	for i in $(seq 1200); do cp "$T/few/a.profraw" "$T/many/run-with-a-long-name-to-fill-the-pipe-$i.profraw"; done
	printf '#!/bin/sh\ncase "$*" in *--version*) exec %s "$@";; esac\ncat >/dev/null\necho "error: read-then-fail: bad input" >&2\nexit 1\n' \
		"$real" >"$T/read-then-fail"
	printf '#!/bin/sh\ncase "$*" in *--version*) exec %s "$@";; esac\necho "error: fail-at-once" >&2\nexit 3\n' \
		"$real" >"$T/fail-at-once"
	chmod +x "$T/read-then-fail" "$T/fail-at-once"
	for tool in read-then-fail fail-at-once; do
		for dir in few many; do
			rc=0
			CARGO_PGO_WRAP_LLVM_PROFDATA="$T/$tool" pgow merge "$T/$dir" 2>"$T/err" || rc=$?
			assert_eq 5 "$rc" "$tool, $dir inputs: exit code"
			local code=1
			[ "$tool" = fail-at-once ] && code=3
			assert_grep "^cargo-pgo-wrap: error: merge: $T/$tool merge failed \\(exit $code\\): error: ${tool}.*; the cache is unchanged\$" \
				"$T/err" "$tool, $dir inputs: its exit code and error"
			assert_eq 1 "$(grep -c 'error' "$T/err")" "$tool, $dir inputs: one line"
			assert_eq "$key" "$(cat "$T"/cache/slots/*/CURRENT)" "$tool, $dir inputs: the profile is unchanged"
			[ -z "$(ls -d "$T"/cache/slots/*/merge.* 2>/dev/null)" ] || fail "$tool, $dir inputs: dir left"
		done
	done
}

# A raw file whose header passes but whose body llvm-profdata rejects (a run
# killed while writing it): named and skipped, the others merged; fatal under --strict.
test_cycle_merge_skips_a_file_llvm_profdata_cannot_read() {
	setup_ws
	instrument_and_train
	pgow merge "$T/raw" 2>"$T/err" || fail "first merge: $(cat "$T/err")"
	local i key rc
	for i in 1 2 3 4; do LLVM_PROFILE_FILE="$T/cut/run-$i.profraw" "$T/instr/release/fixbin" $((i * 100)) >/dev/null; done
	head -c 1000 "$T/cut/run-4.profraw" >"$T/cut/short.profraw"
	rm "$T/cut/run-4.profraw"
	pgow merge "$T/cut" 2>"$T/err" || fail "merge with a file cut short: $(cat "$T/err")"
	assert_grep "warning: skipping $T/cut/short.profraw: llvm-profdata cannot read it \\(.*corrupt" "$T/err" "named, with why"
	assert_grep 'Added 3 raw profile\(s\) \(1 skipped\)' "$T/err" "the others are merged"
	assert_grep '^raw-files: 4$' "$(current_manifest)" "and counted (1 + 3)"
	key=$(cat "$T"/cache/slots/*/CURRENT)
	rc=0
	pgow merge --strict "$T/cut" 2>"$T/err" || rc=$?
	assert_eq 5 "$rc" "--strict: fatal"
	assert_grep "error: $T/cut/short.profraw: llvm-profdata cannot read it .*; remove it, or drop --strict to skip it" \
		"$T/err" "with the fix"
	# The three merged before, in one line; the short one alone is nothing to merge.
	assert_grep "skipping 3 files that profile ${key:0:12} holds already|skipping $T/cut/run-1.profraw: it is in profile" \
		"$T/err" "what the profile holds already is said"
	rc=0
	pgow merge "$T/cut" 2>"$T/err" || rc=$?
	assert_eq 5 "$rc" "nothing left to merge"
	assert_grep 'none of the files could be merged' "$T/err" "says so"
	assert_eq "$key" "$(cat "$T"/cache/slots/*/CURRENT)" "the profile is unchanged"
	for i in 5 6 7 8; do cp "$T/cut/run-1.profraw" "$T/cut/copy-$i.profraw"; done
	rm "$T/cut/short.profraw"
	pgow merge "$T/cut" 2>"$T/err" || fail "merge of files merged before: $(cat "$T/err")"
	assert_eq 1 "$(grep -c 'skipping' "$T/err")" "seven files merged before: one line"
	assert_grep "skipping 7 files that profile ${key:0:12} holds already \\(a file is merged once\\)" "$T/err" "counted"
	[ -z "$(ls -d "$T"/cache/slots/*/merge.* 2>/dev/null)" ] || fail "a merge left its dir"
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

# `merge` killed (SIGKILL) while it stores a profile: the slot keeps a whole profile,
# the old one or the new, and builds use it. Each attempt starts from the same cache and
# kills at a random point of a merge's run time; an attempt counts only when the kill
# demonstrably landed mid-store: the process was still running (killed by the signal)
# and the new profile was partly written (its files, or temp files of that process) while
# CURRENT still named the old one. The test fails when no kill landed there.
slow test_cycle_merge_killed_mid_store_keeps_a_whole_profile 25
test_cycle_merge_killed_mid_store_keeps_a_whole_profile() {
	setup_ws
	instrument_and_train
	pgow merge "$T/raw" 2>/dev/null || fail "first merge"
	LLVM_PROFILE_FILE="$T/second/run.profraw" "$T/instr/release/fixbin" 500 >/dev/null
	local slot old new start ms
	slot=$(ls -d "$T"/cache/slots/*)
	old=$(cat "$slot/CURRENT")
	cp -a "$T/cache" "$T/cache.before"
	# The new profile's key, and how long a merge takes here.
	start=$(date +%s%N)
	pgow merge --replace "$T/second" 2>/dev/null || fail "reference merge"
	ms=$((($(date +%s%N) - start) / 1000000))
	new=$(cat "$slot/CURRENT")
	[ "$new" != "$old" ] || fail "setup: the second profile has the first one's key"
	local attempt pid rc delay mid=0 before=0 after=0 finished=0 what
	for attempt in $(seq 30); do
		rm -rf "$T/cache" && cp -a "$T/cache.before" "$T/cache"
		delay=$((RANDOM % (ms + 1)))
		"$PGOW_BIN" merge --replace "$T/second" >/dev/null 2>&1 &
		pid=$!
		sleep "$(printf '0.%03d' "$delay")"
		kill -KILL "$pid" 2>/dev/null || true
		rc=0
		wait "$pid" || rc=$?
		if [ "$rc" != 137 ]; then
			[ "$rc" = 0 ] || fail "attempt $attempt: merge exited $rc before the kill"
			finished=$((finished + 1))
			what=finished
		elif [ "$(cat "$slot/CURRENT")" = "$new" ]; then
			after=$((after + 1))
			what="after the store"
		elif [ -n "$(ls "$slot/profiles/$new".* "$slot"/*.tmp.*."$pid".* "$slot"/*/*.tmp.*."$pid".* "$slot"/*/merge.*/*.tmp.*."$pid".* 2>/dev/null)" ]; then
			mid=$((mid + 1))
			what=mid-store
		else
			before=$((before + 1))
			what="before the store"
		fi
		# Whatever the kill interrupted, the slot has a whole profile, and it is current.
		local cur
		cur=$(cat "$slot/CURRENT")
		[ "$cur" = "$old" ] || [ "$cur" = "$new" ] || fail "attempt $attempt ($what): CURRENT is '$cur'"
		for f in profdata yaml crates; do
			[ -s "$slot/profiles/$cur.$f" ] || fail "attempt $attempt ($what): CURRENT names $cur, whose .$f is missing"
		done
		pgow status >"$T/status.txt" 2>"$T/status.err" || fail "attempt $attempt ($what): status: $(cat "$T/status.err")"
		assert_grep '^  state       fresh' "$T/status.txt" "attempt $attempt ($what): status"
		if [ "$what" = mid-store ]; then
			# A build through the wrapper uses the profile, quietly.
			touch fixlib/src/lib.rs
			: >"$CARGO_PGO_WRAP_JOURNAL"
			cargo_ok build --release
			assert_no_grep 'WITHOUT|unusable|damaged|corrupt' "$T/cargo.log" "attempt $attempt (mid-store): the build after"
			assert_eq use "$(journal_actions fixlib | cut -d' ' -f1)" "attempt $attempt (mid-store): fixlib uses the profile"
			[ $mid -lt 3 ] || break
		fi
	done
	echo "kills: $mid mid-store, $before before the store, $after after it, $finished too late (merge takes ${ms}ms)" >&2
	[ $mid -gt 0 ] || fail "no kill landed mid-store in $attempt attempts ($before before the store, $after after it, $finished too late)"
}

# The demo shows PGO winning (issue 22: it showed a loss, 1.7% more
# instructions): `make demo`'s script on a copy, its instruction ratio under
# cachegrind at least 1.10 (instructions, not time: the same on every run).
test_cycle_demo_executes_fewer_instructions_with_pgo() {
	command -v valgrind >/dev/null || fail "valgrind is missing (install.sh installs it)"
	cp -r "$ROOT/examples/demo" "$T/demo"
	rm -rf "$T/demo/target"
	export CARGO_PGO_WRAP_CACHE="$T/cache"
	unset RUSTC_WRAPPER CARGO_PGO_WRAP_WORKSPACE
	RUNS=1 BENCH_ITERS=2 CG_ITERS=2 PGOW_BIN="$PGOW_BIN" bash "$T/demo/demo.sh" >"$T/out" 2>"$T/err" ||
		{ tail -5 "$T/err" >&2; fail "demo.sh"; }
	local ratio
	ratio=$(sed -n 's/^ *ratio \([0-9.]*\)x (plain \/ PGO)$/\1/p' "$T/out")
	[ -n "$ratio" ] || fail "no instruction ratio in $(cat "$T/out")"
	awk -v r="$ratio" 'BEGIN { exit !(r >= 1.10) }' || fail "PGO executes only ${ratio}x fewer instructions"
}

# The fixture after one full cycle, with a short training.
cycle_once() { # [pgo-wrap.yaml's text]
	setup_ws
	unset RUSTC_WRAPPER
	local yaml='training:
  - run: ["{bin:fixbin}", "1000"]
'
	printf '%s' "${1:-$yaml}" >pgo-wrap.yaml
	pgow build --release 2>"$T/err" || fail "cycle: $(tail -3 "$T/err")"
}

# A build without --test never compiles a crate's tests, and no build compiles
# comments or layout: editing a test, adding one, a comment, a reformat leave the
# profile fresh under the wrapper and `build`, though cargo recompiles the crate;
# `cargo test` runs the edited test; a code edit in the same file is still stale.
test_cycle_a_test_or_comment_edit_leaves_the_profile_fresh() {
	setup_ws
	unset RUSTC_WRAPPER
	printf '\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn adds() { assert_eq!(super::eval("1+2"), 3); }\n}\n' >>fixlib/src/lib.rs
	printf 'stale-policy: refresh\ntraining:\n  - run: ["{bin:fixbin}", "1000"]\n' >pgo-wrap.yaml
	pgow build --release 2>"$T/err" || fail "cycle: $(tail -3 "$T/err")"
	sed -i 's/^    fn adds() { assert_eq!(super::eval("1+2"), 3); }$/    fn adds() { assert_eq!(super::eval("2+2"), 4); }/' fixlib/src/lib.rs
	printf '/// A test beside the code.\n#[ignore]\n#[test]\nfn multiplies() { assert_eq!(eval("2*3"), 6); }\n' >>fixlib/src/lib.rs
	# A field only tests see, and the ',' its one-line initialiser needs.
	sed -i 's/^    pos: usize,$/&\n    #[cfg(test)]\n    trace: Vec<usize>,/; s/Parser { toks: \&toks, pos: 0 }/Parser { toks: \&toks, pos: 0, #[cfg(test)] trace: Vec::new() }/' \
		fixlib/src/lib.rs
	grep -q '"2+2"' fixlib/src/lib.rs && grep -q 'trace: Vec::new()' fixlib/src/lib.rs || fail "setup: the test edits"
	# Comments, and match arms laid out as rustfmt would.
	sed -i 's|^            b.+. => out.push(Tok::Plus),$|            // The operators.\n            b\x27+\x27 =>\n                out.push( Tok::Plus ), /* one token */|; s|^pub fn tokenize(src: &str)|/* The lexer. */\n&|' \
		fixlib/src/lib.rs
	grep -q '^                out.push( Tok::Plus ), /\* one token \*/$' fixlib/src/lib.rs && grep -q '^/\* The lexer' fixlib/src/lib.rs ||
		fail "setup: the comment edits"
	RUSTC_WRAPPER="$PGOW_BIN" cargo build --release 2>"$T/err" || fail "wrapper build: $(tail -3 "$T/err")"
	assert_grep 'Compiling fixlib' "$T/err" "setup: cargo recompiles the edited crate"
	assert_no_grep 'warning' "$T/err" "the wrapper does not call it stale"
	! journal_actions fixlib | grep -q '^use-stale ' || fail "fixlib uses the profile as fresh: $(journal_actions fixlib)"
	pgow build --release 2>"$T/err" || fail "build: $(tail -3 "$T/err")"
	assert_grep 'Fresh profile [0-9a-f]{12}: 2 unit\(s\) unchanged' "$T/err" "build: fresh"
	assert_no_grep 'Stale|Training' "$T/err" "nothing is refreshed"
	RUSTC_WRAPPER="$PGOW_BIN" cargo test --release -p fixlib >"$T/out" 2>"$T/err" || fail "cargo test: $(tail -3 "$T/err")"
	assert_grep '^test tests::adds \.\.\. ok$' "$T/out" "the edited test runs"
	assert_grep '^test multiplies \.\.\. ignored$' "$T/out" "and the added one"
	sed -i 's/v = v.wrapping_mul(10)/v = v.wrapping_mul(10).wrapping_add(0)/' fixlib/src/lib.rs
	pgow build --release 2>"$T/err" || fail "after a code edit: $(tail -3 "$T/err")"
	assert_grep 'Stale profile [0-9a-f]{12}: fixlib \(changed' "$T/err" "a code edit beside the tests is stale"
	assert_grep 'Training \[2/4\]' "$T/err" "and refreshed"
}

# An upgrade that changes how code is digested: the stored profile holds the
# older version's key for fixlib, and fixlib's record is the older version's.
# While the code is as it was, the profile stays fresh for `build`, `status`,
# and the wrapper, also when cargo compiles fixlib again; a code edit is stale.
test_cycle_an_upgrade_leaves_a_profile_of_unchanged_code_fresh() {
	cycle_once
	local rec key man old=0123456789abcdef0123456789abcdef
	man=$(current_manifest)
	rec=$(ls "$T"/cache/slots/*/units/fixlib-*.unit)
	[ "$(echo "$rec" | wc -l)" = 1 ] || fail "setup: one record for fixlib: $rec"
	key=$(awk -F '\t' 'NR == 1 { print $5 }' "$rec")
	grep -q "$key" "$man" || fail "setup: fixlib's key $key in the profile"
	sed -i "s/$key/$old/" "$man" "${man%.yaml}.crates"
	sed -i "1s/^unit-v3\t\(.*\)\t$key\t/unit-v2\t\1\t$old\t/" "$rec"
	head -1 "$rec" | grep -q "^unit-v2	.*	$old	" || fail "setup: the older record: $(head -1 "$rec")"
	pgow build --release 2>"$T/err" || fail "build: $(tail -3 "$T/err")"
	assert_grep 'Fresh profile [0-9a-f]{12}: 2 unit\(s\) unchanged' "$T/err" "build: fresh after the upgrade"
	assert_no_grep 'Stale' "$T/err" "build: not stale"
	pgow status --release >"$T/out" 2>&1 || fail "status: $(tail -3 "$T/out")"
	assert_grep '^  state +fresh' "$T/out" "status: fresh"
	# Compiled again with the sources untouched: the new record keeps the older key.
	cargo clean --release -p fixlib 2>/dev/null
	RUSTC_WRAPPER="$PGOW_BIN" cargo build --release 2>"$T/err" || fail "wrapper build: $(tail -3 "$T/err")"
	assert_grep 'Compiling fixlib' "$T/err" "setup: fixlib compiled again"
	assert_no_grep 'warning' "$T/err" "the wrapper does not call it stale"
	head -1 "$rec" | grep -q "^unit-v3	.*	$old$" || fail "the record keeps the older key: $(head -1 "$rec")"
	pgow build --release 2>"$T/err" || fail "build: $(tail -3 "$T/err")"
	assert_grep 'Fresh profile [0-9a-f]{12}: 2 unit\(s\) unchanged' "$T/err" "build: still fresh"
	assert_grep ' 0 stale,' "$T/err" "the summary agrees"
	# Counts of the same code, collected after the upgrade, are added to the profile.
	pgow instrument --release 2>"$T/err" || fail "instrument: $(tail -3 "$T/err")"
	target/release/fixbin 2000 >/dev/null
	pgow build --release 2>"$T/merge.log" || fail "build: $(tail -3 "$T/merge.log")"
	assert_grep '^ +Added 1 raw profile' "$T/merge.log" "added to, not replaced"
	assert_no_grep 'other code' "$T/merge.log" "the same code"
	sed -i 's/v = v.wrapping_mul(10)/v = v.wrapping_mul(10).wrapping_add(0)/' fixlib/src/lib.rs
	pgow build --release 2>"$T/err" || fail "after a code edit: $(tail -3 "$T/err")"
	assert_grep 'Stale profile [0-9a-f]{12}: fixlib \(changed' "$T/err" "a code edit is stale"
}

# A library's generic compiled into the program is the program's record (rav1e:
# its library held 6% of the counts, its code in the program 94%). An edit of the
# generic is weighed with those counts: a stale-threshold the library's own share
# stays under still refreshes. The program's own edit is not counted twice.
test_cycle_a_library_edit_is_weighed_with_its_generics_elsewhere() {
	setup_ws
	unset RUSTC_WRAPPER
	cat >>fixlib/src/lib.rs <<'RS'

#[inline(never)]
pub fn checksum<I: IntoIterator<Item = i64>>(items: I) -> i64 {
    let mut h = 0i64;
    for v in items {
        if v % 3 == 0 { h = h.wrapping_mul(31).wrapping_add(v); } else { h ^= v.rotate_left(7); }
    }
    h
}
RS
	sed -i 's/^    println!("{acc}");$/    println!("{acc} {}", fixlib::checksum((0..iters * 5000).map(|i| i as i64)));/' fixbin/src/main.rs
	grep -q 'fixlib::checksum' fixbin/src/main.rs || fail "setup: fixbin calls the generic"
	printf 'stale-policy: refresh\nstale-threshold: 0.5\ntraining:\n  - run: ["{bin:fixbin}", "1000"]\n' >pgo-wrap.yaml
	pgow build --release 2>"$T/err" || fail "cycle: $(tail -3 "$T/err")"
	local defined lib_share
	defined=$(ls "$T"/cache/slots/*/split/DEFINED) || fail "the split lists what libraries define elsewhere"
	assert_grep '^fixlib-[0-9a-f]+	fixbin-[0-9a-f]+	[1-9][0-9]*$' "$defined" "fixlib's generic, compiled in fixbin"
	pgow status >"$T/status" || fail "status"
	lib_share=$(sed -n 's/^ *fixlib .* \([0-9]*\)% of counts$/\1/p' "$T/status")
	[ -n "$lib_share" ] && [ "$lib_share" -lt 50 ] || fail "setup: fixlib's own share is under the threshold: $(cat "$T/status")"
	sed -i 's/if v % 3 == 0 {/if v % 5 == 0 {/' fixlib/src/lib.rs
	pgow status >"$T/status" || fail "status after the edit"
	assert_grep '^ +fixlib +[0-9a-f]{8} +changed .*% of counts, [0-9]+% more in its generics in other units$' \
		"$T/status" "status: fixlib's row says the share its edit is weighed by"
	assert_grep 'state +stale: fixlib \(changed, [0-9]+% of counts with its generics in other units\)' "$T/status" \
		"status: the state line"
	pgow build --release 2>"$T/err" || fail "after the generic's edit: $(tail -3 "$T/err")"
	assert_grep 'Stale profile [0-9a-f]{12}: fixlib \(changed, ([5-9][0-9]|100)% of counts with its generics in other units\)' \
		"$T/err" "weighed with its code in fixbin"
	assert_grep 'Training \[2/4\]' "$T/err" "over the threshold: refreshed"
	# The program's own edit: fixlib's code in it is fixbin's share, not fixlib's.
	sed -i 's/(0..iters \* 5000)/(0..iters * 5001)/' fixbin/src/main.rs
	sed -i 's/v = v.wrapping_mul(10)/v = v.wrapping_mul(10).wrapping_add(0)/' fixlib/src/lib.rs
	pgow build --release 2>"$T/err" || fail "after both edits: $(tail -3 "$T/err")"
	assert_grep 'Stale profile [0-9a-f]{12}: .*fixbin \(changed, [0-9]+% of counts\)' "$T/err" "fixbin is stale"
	assert_grep 'Stale profile [0-9a-f]{12}: .*fixlib \(changed, [0-9]% of counts\)' "$T/err" "fixlib by its own share"
	assert_no_grep 'generics in other units' "$T/err" "the generic's counts are fixbin's, once"
}

# A library none of whose own functions ran, whose generic ran in the program: not
# "unrun" (a refresh gives its code counts), so its edit is stale by that share.
test_cycle_a_library_whose_generic_alone_ran_is_not_unrun() {
	cycle_once 'stale-policy: refresh
training:
  - run: ["{bin:fixbin}", "1000"]
'
	mkdir -p gen/src
	printf '[package]\nname = "gen"\nversion.workspace = true\nedition.workspace = true\n' >gen/Cargo.toml
	printf '#[inline(never)]\npub fn cold(n: u64) -> u64 { n.count_ones() as u64 + 3 }\n#[inline(never)]\npub fn mix<T: Into<i64>>(x: T) -> i64 { let v = x.into(); if v %% 3 == 0 { v.rotate_left(5) } else { v ^ 0x55 } }\n' \
		>gen/src/lib.rs
	sed -i 's/members = \["fixlib"/members = ["gen", "fixlib"/' Cargo.toml
	sed -i 's/^fixlib = /gen = { path = "..\/gen" }\n&/' fixbin/Cargo.toml
	sed -i 's/^            acc = acc.wrapping_add(fixlib::eval(e));$/&\n            acc ^= gen::mix(i as i32);/' fixbin/src/main.rs
	sed -i 's/^    let iters: u64/    if std::env::args().nth(1).as_deref() == Some("--help") { println!("{}", gen::cold(9)); return; }\n&/' \
		fixbin/src/main.rs
	grep -q 'gen::mix' fixbin/src/main.rs && grep -q 'gen::cold' fixbin/src/main.rs || fail "setup: fixbin uses gen"
	pgow build --release 2>"$T/err" || fail "refresh with gen: $(tail -3 "$T/err")"
	assert_grep '^gen-[0-9a-f]+	fixbin-[0-9a-f]+	[1-9][0-9]*$' "$(ls "$T"/cache/slots/*/split/DEFINED)" "gen's generic ran in fixbin"
	assert_eq "counts: 0" "$(grep -A3 'name: gen' "$(current_manifest)" | grep -o 'counts: .*')" \
		"setup: gen's own part has no counts"
	sed -i 's/if v % 3 == 0/if v % 4 == 0/' gen/src/lib.rs
	# The wrapper says so too (the profile's crate index is written after the split).
	RUSTC_WRAPPER="$PGOW_BIN" cargo build --release 2>"$T/err" || fail "wrapper build: $(tail -3 "$T/err")"
	assert_grep 'warning: the profile of slot [0-9a-f]{12} is stale for gen' "$T/err" "the wrapper: stale, not unrun"
	pgow build --release 2>"$T/err" || fail "after gen's edit: $(tail -3 "$T/err")"
	assert_grep 'Stale profile [0-9a-f]{12}: gen \(changed, [0-9]+% of counts with its generics in other units\)' "$T/err" \
		"stale by its code in fixbin, not unrun"
	assert_grep 'Training \[2/4\]' "$T/err" "and refreshed before the build"
}

# A RUSTC_WRAPPER build that uses a stale profile says so, once (issue 22: only
# the journal knew).
test_cycle_wrapper_build_with_a_stale_profile_says_so() {
	cycle_once
	sed -i 's/v = v.wrapping_mul(10)/v = v.wrapping_mul(10).wrapping_add(0)/' fixlib/src/lib.rs
	RUSTC_WRAPPER="$PGOW_BIN" cargo build --release 2>"$T/err" || fail "wrapper build: $(tail -3 "$T/err")"
	assert_grep '^cargo-pgo-wrap: warning: the profile of slot [0-9a-f]{12} is stale for fixlib .*`cargo-pgo-wrap build` refreshes it$' \
		"$T/err" "one line names the stale crate"
	assert_eq 1 "$(grep -c 'cargo-pgo-wrap: warning' "$T/err")" "once per build"
}

# A unit the profile never saw (an example, which `cargo test` builds too) is new;
# only a build that builds it refreshes it, and the line says so. Under a shell
# training, which may run any program, it could gain counts.
test_cycle_a_new_unit_says_which_build_refreshes_it() {
	cycle_once 'training:
  - shell: "{bin:fixbin} 1000"
'
	! grep -q '^programs:' "$(current_manifest)" || fail "a shell may run any program: none are named"
	mkdir -p fixbin/examples
	echo 'fn main() { println!("{}", fixlib::eval("1+2")); }' >fixbin/examples/extra.rs
	RUSTC_WRAPPER="$PGOW_BIN" cargo build --release --examples 2>"$T/err" || fail "examples: $(tail -3 "$T/err")"
	assert_grep 'is stale for extra \(it is new since it was collected\); .*`cargo-pgo-wrap build` with cargo arguments that build it refreshes it$' \
		"$T/err" "the new unit, and the build that refreshes it"
	# That build says why it is stale, and refreshes it (the shell's program built too).
	printf 'stale-policy: refresh\ntraining:\n  - shell: "{bin:fixbin} 1000"\n' >pgo-wrap.yaml
	pgow build --release --examples 2>"$T/err" || fail "build --examples: $(tail -3 "$T/err")"
	assert_grep 'Stale profile [0-9a-f]{12}( for this build)?: .*extra \(new; the training may run it\)' "$T/err" "says why"
	assert_grep 'Training \[2/4\]' "$T/err" "refreshed"
}

# A new library (a member nothing trained uses yet, a dev-dependency) gains
# counts only through a program the training runs: the line says so, rather
# than send you to a build that builds it.
test_cycle_a_new_library_says_what_gives_it_counts() {
	cycle_once
	mkdir -p extra/src
	printf '[package]\nname = "extra"\nversion.workspace = true\nedition.workspace = true\n' >extra/Cargo.toml
	echo 'pub fn one() -> u32 { 1 }' >extra/src/lib.rs
	sed -i 's/^members = \["fixlib"/members = ["extra", "fixlib"/' Cargo.toml
	grep -q '"extra"' Cargo.toml || fail "setup: the new member"
	RUSTC_WRAPPER="$PGOW_BIN" cargo build --release -p extra 2>"$T/err" || fail "build: $(tail -3 "$T/err")"
	assert_grep 'is stale for extra \(it is new since it was collected\); the build uses it as it is; `cargo-pgo-wrap build` refreshes it if a program the training runs uses it$' \
		"$T/err" "what gives a new library counts"
}

# A training that only starts {bin:fixbin} can give a new example no counts: the
# example is not stale, under the wrapper or `build`, and nothing is refreshed.
test_cycle_a_program_the_training_does_not_run_is_never_stale() {
	cycle_once 'stale-policy: refresh
training:
  - run: ["{bin:fixbin}", "1000"]
'
	assert_grep '^programs:$' "$(current_manifest)" "the profile names the programs its training runs"
	assert_grep '^- fixbin$' "$(current_manifest)" "fixbin is one"
	mkdir -p fixbin/examples
	echo 'fn main() { println!("{}", fixlib::eval("1+2")); }' >fixbin/examples/extra.rs
	RUSTC_WRAPPER="$PGOW_BIN" cargo build --release --examples 2>"$T/err" || fail "examples: $(tail -3 "$T/err")"
	assert_grep 'Compiling fixbin' "$T/err" "setup: the example is built"
	assert_no_grep 'warning' "$T/err" "the wrapper does not call it stale"
	journal_actions extra | grep -qx 'use .*' || fail "it uses the profile (which has no counts for it), as fresh: $(journal_actions extra)"
	pgow build --release --examples 2>"$T/err" || fail "build --examples: $(tail -3 "$T/err")"
	assert_grep 'Fresh profile [0-9a-f]{12}: 2 unit\(s\) unchanged' "$T/err" "build: fresh"
	assert_no_grep 'Stale|Building \[|Training' "$T/err" "build refreshes nothing for it"
	assert_grep 'note: profile [0-9a-f]{12}: a refresh would give no counts to extra \(untrained: a new program the training does not run\)' \
		"$T/err" "the build that finds it says so"
	pgow build --release --examples 2>"$T/err" || fail "build --examples again: $(tail -3 "$T/err")"
	assert_grep 'Fresh profile [0-9a-f]{12}: 2 unit\(s\) unchanged since it was collected; a refresh would give no counts to extra \(untrained: a new program the training does not run\)' \
		"$T/err" "the next build knows it before building"
	assert_no_grep 'note:' "$T/err" "and says it once"
	pgow status >"$T/status" || fail "status"
	assert_grep 'state +fresh' "$T/status" "status: fresh"
	# A hot edit with --examples: the refresh's instrumented build adds the program the training runs.
	sed -i 's/v = v.wrapping_mul(10)/v = v.wrapping_mul(10).wrapping_add(0)/' fixlib/src/lib.rs
	pgow build --release --examples 2>"$T/err" || fail "refresh with --examples: $(tail -3 "$T/err")"
	assert_grep 'Stale profile [0-9a-f]{12}: fixlib \(changed' "$T/err" "setup: stale"
	assert_grep 'Training \[2/4\]' "$T/err" "trained"
}

# A crate the training never ran (cold: linked, called only by --help) holds no
# counts; its edit makes the profile stale for it, but no training would give it
# counts, so `build` under stale-policy: refresh says so and does not refresh. A
# crate with counts still refreshes. The refresh that adds cold replaces the
# profile: fixbin's -C metadata moved with its dependencies, so its code is other code.
test_cycle_code_the_training_never_ran_refreshes_nothing() {
	cycle_once 'stale-policy: refresh
training:
  - run: ["{bin:fixbin}", "1000"]
'
	mkdir -p cold/src
	printf '[package]\nname = "cold"\nversion.workspace = true\nedition.workspace = true\n' >cold/Cargo.toml
	printf '#[inline(never)]\npub fn help(n: u64) -> u64 { (0..n).map(|i| i * i %% 7).sum() }\npub const CHECK: bool = false;\n' \
		>cold/src/lib.rs
	sed -i 's/members = \["fixlib"/members = ["cold", "fixlib"/' Cargo.toml
	sed -i 's/^fixlib = /cold = { path = "..\/cold" }\n&/' fixbin/Cargo.toml
	sed -i 's/^    let iters: u64/    if std::env::args().nth(1).as_deref() == Some("--help") { println!("{}", cold::help(9)); return; }\n&/' \
		fixbin/src/main.rs
	sed -i 's/^        for _ in 0..ROUNDS {/&\n            if cold::CHECK \&\& i % 3 == 0 { eprintln!("check"); }/' fixbin/src/main.rs
	grep -q 'cold::help' fixbin/src/main.rs && grep -q 'cold::CHECK' fixbin/src/main.rs || fail "setup: fixbin uses cold"
	pgow build --release 2>"$T/err" || fail "refresh with cold: $(tail -3 "$T/err")"
	assert_grep 'note: replaced profile [0-9a-f]{12} \(it was collected against other code: fixbin\)' "$T/err" \
		"fixbin under new metadata is other code: the profile is replaced, not added to"
	assert_eq 3 "$(grep -c '^- name: ' "$(current_manifest)")" "three units, none left from the old code"
	assert_eq "counts: 0" "$(grep -A3 'name: cold' "$(current_manifest)" | grep -o 'counts: .*')" \
		"setup: cold is in the profile, with no counts"
	local before
	before=$(cat "$T"/cache/slots/*/CURRENT)
	sed -i 's/i \* i % 7/i * i % 5/' cold/src/lib.rs
	grep -q 'i % 5' cold/src/lib.rs || fail "setup: the cold edit"
	pgow build --release 2>"$T/err" || fail "after the cold edit: $(tail -3 "$T/err")"
	assert_grep 'Fresh profile [0-9a-f]{12}: 2 unit\(s\) unchanged since it was collected; a refresh would give no counts to cold \(unrun: changed, but the training never ran it\)' \
		"$T/err" "said, and why it is not stale"
	assert_no_grep 'Building \[|Training' "$T/err" "no refresh"
	assert_grep 'Compiling cold' "$T/err" "cargo rebuilds the edited crate"
	assert_grep 'carry profile [0-9a-f]{12} .*; 0 stale, 0 plain' "$T/err" "its unit is not counted stale"
	assert_eq "$before" "$(cat "$T"/cache/slots/*/CURRENT)" "the profile stays"
	sed -i 's/i \* i % 5/i * i % 3/' cold/src/lib.rs
	RUSTC_WRAPPER="$PGOW_BIN" cargo build --release 2>"$T/err" || fail "wrapper build: $(tail -3 "$T/err")"
	assert_grep 'Compiling cold' "$T/err" "setup: the wrapper compiles the edit"
	assert_no_grep 'warning' "$T/err" "the wrapper does not call it stale either"
	pgow status >"$T/status" || fail "status"
	assert_grep '^ +cold +[0-9a-f]{8} +unrun ' "$T/status" "status: unrun"
	assert_grep 'state +fresh; 2 of 3 units fresh; a refresh would give no counts to cold' "$T/status" "status: why"
	# A branch in cold's own function: rustc finds it changed, but it had no counts to lose.
	sed -i 's/pub fn help(n: u64) -> u64 { /&if n > 100 { return 0; } /' cold/src/lib.rs
	grep -q 'n > 100' cold/src/lib.rs || fail "setup: the branch"
	pgow build --release 2>"$T/err" || fail "after the branch: $(tail -3 "$T/err")"
	assert_grep 'Compiling cold' "$T/err" "setup: compiled"
	assert_no_grep 'Stale|Training' "$T/err" "nothing stale: a quiet unit's changed function lost nothing"
	# A constant of cold that code which ran depends on: its edit changes that code, so it is stale after all.
	sed -i 's/pub const CHECK: bool = false;/pub const CHECK: bool = true;/' cold/src/lib.rs
	pgow build --release 2>"$T/err" || fail "after the constant's edit: $(tail -3 "$T/err")"
	assert_grep 'Stale profile [0-9a-f]{12} for this build: [0-9]+ function\(s\) of code that ran changed with cold' \
		"$T/err" "the edit reached counted code"
	assert_grep 'Training \[2/4\]' "$T/err" "so it refreshes"
	# A crate with counts still refreshes.
	sed -i 's/v = v.wrapping_mul(10)/v = v.wrapping_mul(10).wrapping_add(0)/' fixlib/src/lib.rs
	pgow build --release 2>"$T/err" || fail "after the fixlib edit: $(tail -3 "$T/err")"
	assert_grep 'Stale profile [0-9a-f]{12}: fixlib \(changed' "$T/err" "fixlib is stale"
	assert_grep 'Training \[2/4\]' "$T/err" "and refreshed"
}

# Cargo shows a reused unit's kept output again: the stale line comes back on
# every build while it is true, and goes when a merge stores a profile of the code
# as it is, though fixlib (an unused function added: the same part) is not recompiled.
test_cycle_a_merge_takes_back_the_replayed_stale_line() {
	cycle_once
	echo '#[allow(dead_code)] fn pgow_edited() {}' >>fixlib/src/lib.rs
	RUSTC_WRAPPER="$PGOW_BIN" cargo build --release 2>"$T/err" || fail "wrapper build: $(tail -3 "$T/err")"
	assert_grep 'warning: the profile of slot [0-9a-f]{12} is stale for fixlib' "$T/err" "stale"
	RUSTC_WRAPPER="$PGOW_BIN" cargo build --release 2>"$T/err" || fail "no-op: $(tail -3 "$T/err")"
	assert_grep 'warning: the profile of slot [0-9a-f]{12} is stale for fixlib' "$T/err" "still true: said again"
	# Planted among cargo's kept outputs: a FIFO and a link to an endless file are not read.
	local fp
	fp=$(ls -d target/release/.fingerprint/fixlib-* | head -n 1)
	mkfifo "$fp/output-lib-planted-fifo" && ln -s /dev/zero "$fp/output-lib-planted-link" || fail "setup: plant"
	# While a cargo holds the dir's lock (it may be writing those files), they are left alone.
	flock target/release/.cargo-lock timeout 120 "$PGOW_BIN" train --release 2>"$T/err" ||
		fail "train, the dir locked: $(tail -3 "$T/err")"
	RUSTC_WRAPPER="$PGOW_BIN" cargo build --release 2>"$T/err" || fail "no-op: $(tail -3 "$T/err")"
	assert_grep 'is stale for fixlib' "$T/err" "left alone while the dir was locked"
	timeout 120 "$PGOW_BIN" train --release 2>"$T/err" || fail "train: $(tail -3 "$T/err")"
	assert_grep 'Split per unit: 3 file\(s\), 0 rewritten' "$T/err" "setup: the same parts"
	RUSTC_WRAPPER="$PGOW_BIN" cargo build --release 2>"$T/err" || fail "after the merge: $(tail -3 "$T/err")"
	assert_no_grep 'Compiling' "$T/err" "setup: nothing recompiled"
	assert_no_grep 'stale' "$T/err" "the line is not replayed once the profile is fresh"
	pgow status >"$T/status" || fail "status"
	assert_grep '^ +fixlib +[0-9a-f]{8} +fresh ' "$T/status" "status: fresh"
}

# A merge that leaves a crate stale keeps its replayed line: the old instrumented
# binary, run without work, adds counts to fixbin alone, so fixlib keeps its part
# (cargo reuses it, and replays its output) and stays stale for its edit.
test_cycle_a_merge_keeps_a_stale_line_that_is_still_true() {
	setup_ws
	instrument_and_train
	pgow merge "$T/raw" 2>"$T/err" || fail "merge: $(tail -3 "$T/err")"
	cargo_ok build --release
	echo '#[allow(dead_code)] fn pgow_edited() {}' >>fixlib/src/lib.rs
	cargo_ok build --release
	assert_grep 'is stale for fixlib' "$T/cargo.log" "setup: stale"
	run_profiled "$T/raw2" "$T/instr/release/fixbin" 0 >/dev/null
	pgow merge "$T/raw2" 2>"$T/err" || fail "second merge: $(tail -3 "$T/err")"
	assert_grep 'Added 1 raw profile' "$T/err" "setup: added to the profile"
	cargo_ok build --release
	assert_no_grep 'Compiling fixlib' "$T/cargo.log" "setup: fixlib's part is the same, so cargo reuses it"
	assert_grep 'is stale for fixlib' "$T/cargo.log" "the line is still true, and replayed"
}

# A unit compiled under a stale profile (by `cargo test`) and reused after a refresh
# that left its part the same keeps its old mark; the summary counts it by the
# profile now current: fresh, not stale.
test_cycle_a_unit_reused_after_a_refresh_is_not_counted_stale() {
	cycle_once 'stale-policy: refresh
training:
  - run: ["{bin:fixbin}", "1000"]
'
	echo '#[allow(dead_code)] fn pgow_edited() {}' >>fixlib/src/lib.rs
	RUSTC_WRAPPER="$PGOW_BIN" cargo test --release -p fixlib --no-run 2>"$T/err" || fail "cargo test: $(tail -3 "$T/err")"
	assert_grep 'is stale for fixlib' "$T/err" "setup: fixlib compiled under the stale profile"
	pgow build --release 2>"$T/err" || fail "refresh: $(tail -3 "$T/err")"
	assert_grep 'Training \[2/4\]' "$T/err" "setup: refreshed"
	assert_no_grep 'Compiling fixlib' <(sed -n '/Optimizing/,$p' "$T/err") "setup: fixlib reused by the optimised build"
	assert_grep 'carry profile [0-9a-f]{12} .*; 0 stale, ' "$T/err" "fixlib is fresh under the new profile"
	pgow build --release 2>"$T/err" || fail "no-op: $(tail -3 "$T/err")"
	assert_grep 'carry profile [0-9a-f]{12} .*; 0 stale, ' "$T/err" "and stays so"
}

# A proc-macro's output is its dependents' code: an edit of the macro makes
# fixbin, which expands it, stale, and leaves fixlib fresh; cargo gives fixbin the
# same -C metadata, so only its key can tell.
test_cycle_a_macro_edit_makes_its_dependents_stale() {
	cycle_once
	sed -i 's/({b} \* 3) \/ 2/({b} * 5) \/ 2/' fixmacro/src/lib.rs
	grep -q '({b} \* 5)' fixmacro/src/lib.rs || fail "setup: the edit"
	RUSTC_WRAPPER="$PGOW_BIN" cargo build --release 2>"$T/err" || fail "wrapper build: $(tail -3 "$T/err")"
	assert_grep 'Compiling fixbin' "$T/err" "setup: cargo rebuilds the macro's dependent"
	assert_grep '^cargo-pgo-wrap: warning: the profile of slot [0-9a-f]{12} is stale for fixbin ' "$T/err" \
		"the dependent is stale"
	pgow status >"$T/status" || fail "status"
	assert_grep '^ +fixbin +[0-9a-f]{8} +changed ' "$T/status" "status: fixbin changed"
	assert_grep '^ +fixlib +[0-9a-f]{8} +fresh ' "$T/status" "status: fixlib fresh"
	printf 'stale-policy: refresh\ntraining:\n  - run: ["{bin:fixbin}", "1000"]\n' >pgo-wrap.yaml
	pgow build --release 2>"$T/err" || fail "refresh: $(tail -3 "$T/err")"
	assert_grep 'Stale profile [0-9a-f]{12}: fixbin \(changed' "$T/err" "build refreshes for it"
	pgow status >"$T/status" || fail "status"
	assert_grep '^ +fixbin +[0-9a-f]{8} +fresh ' "$T/status" "and then fixbin is fresh"
}

# A workspace library the macro calls when it expands (macrohelp, built for the
# host) is followed too: its edit changes what fixmacro expands to in fixbin, so
# fixbin is stale, fixlib fresh.
test_cycle_a_library_a_macro_calls_makes_its_users_stale() {
	setup_ws
	unset RUSTC_WRAPPER
	mkdir -p macrohelp/src
	printf '[package]\nname = "macrohelp"\nversion.workspace = true\nedition.workspace = true\n' >macrohelp/Cargo.toml
	echo 'pub fn weight() -> u32 { 3 }' >macrohelp/src/lib.rs
	sed -i 's/^members = \["fixlib"/members = ["macrohelp", "fixlib"/' Cargo.toml
	printf '\n[dependencies]\nmacrohelp = { path = "../macrohelp" }\n' >>fixmacro/Cargo.toml
	sed -i 's/({b} \* 3) \/ 2/({b} * {w}) \/ 2/; s/^\( *\)let b = (seed >> 8) % 13 + 1;$/&\n\1let w = macrohelp::weight();/' \
		fixmacro/src/lib.rs
	grep -q 'macrohelp::weight()' fixmacro/src/lib.rs && grep -q '"macrohelp"' Cargo.toml || fail "setup: the macro calls macrohelp"
	printf 'training:\n  - run: ["{bin:fixbin}", "1000"]\n' >pgo-wrap.yaml
	pgow build --release 2>"$T/err" || fail "cycle: $(tail -3 "$T/err")"
	sed -i 's/{ 3 }/{ 5 }/' macrohelp/src/lib.rs
	RUSTC_WRAPPER="$PGOW_BIN" cargo build --release 2>"$T/err" || fail "wrapper build: $(tail -3 "$T/err")"
	assert_grep 'Compiling fixbin' "$T/err" "setup: cargo rebuilds the macro's user"
	# The one warning of the build names the first stale crate: macrohelp, itself in the profile.
	journal_actions fixbin | grep -q '^use-stale ' || fail "the macro's user is stale: $(journal_actions fixbin)"
	pgow status >"$T/status" || fail "status"
	assert_grep '^ +fixbin +[0-9a-f]{8} +changed ' "$T/status" "status: fixbin changed"
	assert_grep '^ +fixlib +[0-9a-f]{8} +fresh ' "$T/status" "status: fixlib fresh"
}

# `cargo test`'s harnesses are never trained, so the profile never saw them: they
# use it without being called stale, even for a proc-macro whose sources changed.
test_cycle_test_harnesses_are_not_called_stale() {
	cycle_once
	echo '#[allow(dead_code)] fn pgow_edited() {}' >>fixmacro/src/lib.rs
	RUSTC_WRAPPER="$PGOW_BIN" cargo test --release --no-run 2>"$T/err" || fail "cargo test: $(tail -3 "$T/err")"
	assert_no_grep 'cargo-pgo-wrap: warning' "$T/err" "no harness is stale"
	echo '#[allow(dead_code)] fn pgow_edited() {}' >>fixlib/src/lib.rs
	RUSTC_WRAPPER="$PGOW_BIN" cargo test --release --no-run 2>"$T/err" || fail "cargo test: $(tail -3 "$T/err")"
	assert_grep '^cargo-pgo-wrap: warning: the profile of slot [0-9a-f]{12} is stale for fixlib \(its sources changed' \
		"$T/err" "an edited program crate still is"
}
