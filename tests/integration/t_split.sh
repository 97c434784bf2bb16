# t_split.sh - the profile split per crate: a refresh after a one-line edit
# recompiles only the crates whose profile data changed, and a build with
# the split is the build the whole profile gives, byte for byte.

split_setup() { # [Cargo.toml lines]
	cp -r "$FIXTURES/layouts" "$T/ws"
	export CARGO_PGO_WRAP_CACHE="$T/cache"
	unset RUSTC_WRAPPER CARGO_PGO_WRAP_WORKSPACE CARGO_PGO_WRAP_JOURNAL CARGO_PGO_WRAP_SPLIT
	cd "$T/ws" || fail "cannot enter $T/ws"
	[ -z "${1:-}" ] || printf '%b' "$1" >>Cargo.toml
	printf 'stale-policy: refresh\ntraining:\n  - run: ["{bin:app}", "20000"]\n' >pgo-wrap.yaml
	pgow build --release 2>"$T/first.err" || { cat "$T/first.err" >&2; fail "first build"; }
	assert_grep 'Split per unit: 6 file\(s\), 6 rewritten' "$T/first.err" "split into app (lib, bin), helper, two cfg-if and the rest"
}

# "crate-metadata" of the units a build compiled now (their marks are in dep-info).
split_file_of() { # crate
	ls "$T"/cache/slots/*/split/"$1"-*.profdata
}

# One line in app's library: a branch that never runs. app's records change; the counts
# that set the hot and cold thresholds do not, so no other crate's file changes.
refresh_after_cold_edit() {
	local helper_split before
	helper_split=$(split_file_of helper)
	before=$(stat -c %Y.%y "$helper_split")
	sed -i 's/^    let mut h = SEED;$/&\n    if data.first() == Some(\&255) { return 1; }/' app/src/lib.rs
	grep -q "Some(.255)" app/src/lib.rs || fail "setup: the edit"
	sleep 1
	pgow build --release 2>"$T/err" || { cat "$T/err" >&2; fail "refresh"; }
	assert_grep 'Stale profile [0-9a-f]{12}: app' "$T/err" "the edit makes app stale"
	assert_grep 'Split per unit: 6 file\(s\), (1 rewritten, 5|2 rewritten, 4) unchanged' "$T/err" "only app's files are rewritten"
	# The optimised build (after the last "Optimizing") compiles app alone.
	sed -n '/Optimizing/,$p' "$T/err" >"$T/opt.err"
	assert_grep 'Compiling app ' "$T/opt.err" "app is recompiled with its new profile"
	assert_no_grep 'Compiling (helper|cfg-if)' "$T/opt.err" "helper and cfg-if keep their profile files"
	assert_grep 'PGO 5 unit\(s\) .* carry profile [0-9a-f]{12} \(2 compiled now, 3 reused\)' "$T/opt.err" \
		"verified: the 3 units reused carry the new profile's bytes"
	assert_eq "$before" "$(stat -c %Y.%y "$helper_split")" "helper's file kept its bytes and mtime"
}

test_split_refresh_recompiles_only_changed_crates() {
	split_setup
	refresh_after_cold_edit
	# An edit of the hottest branch moves the thresholds (this profile has 59 blocks):
	# every file then gets the new summary, and every crate recompiles.
	sed -i 's/} else if i % 7 == 0 {/} else if i % 2 == 0 {/' app/src/lib.rs
	pgow build --release 2>"$T/hot.err" || { cat "$T/hot.err" >&2; fail "refresh after a hot edit"; }
	assert_grep 'Split per unit: 6 file\(s\), 6 rewritten' "$T/hot.err" "the summary moved: all files rewritten"
	assert_grep 'PGO 5 unit\(s\) .* \(5 compiled now' "$T/hot.err" "and all recompile"
	# The first refresh's edit, with the profile whole: every crate recompiles.
	sed -i 's/} else if i % 2 == 0 {/} else if i % 7 == 0 {/; s/return 1; }/return 2; }/' app/src/lib.rs
	CARGO_PGO_WRAP_SPLIT=0 pgow build --release 2>"$T/whole.err" || { cat "$T/whole.err" >&2; fail "refresh, whole"; }
	assert_no_grep 'Split per unit' "$T/whole.err" "whole: not split"
	sed -n '/Optimizing/,$p' "$T/whole.err" >"$T/opt.err"
	assert_grep 'Compiling helper ' "$T/opt.err" "whole: helper recompiles"
	assert_grep 'PGO 5 unit\(s\) .* carry profile [0-9a-f]{12} \(5 compiled now' "$T/opt.err" "whole: all recompile"
}

# The whole profile, given to every crate by hand, builds the same objects and program.
assert_split_builds_what_the_whole_profile_builds() {
	local whole
	whole=$(ls "$T"/cache/slots/*/profiles/"$(cat "$T"/cache/slots/*/CURRENT)".profdata)
	CARGO_PGO_WRAP_MODE=use CARGO_PGO_WRAP_PROFILE="$whole" RUSTC_WRAPPER="$PGOW_BIN" \
		cargo build -q --release --target-dir "$T/whole" 2>"$T/whole.err" || { cat "$T/whole.err" >&2; fail "whole build"; }
	cmp target/release/app "$T/whole/release/app" || fail "the program differs from the whole profile's"
	local rlib n=0
	for rlib in target/release/deps/lib*.rlib; do
		mkdir -p "$T/a" "$T/b" && rm -f "$T"/a/* "$T"/b/*
		(cd "$T/a" && ar x "$OLDPWD/$rlib") && (cd "$T/b" && ar x "$T/whole/release/deps/$(basename "$rlib")") ||
			fail "cannot unpack $rlib"
		for o in "$T"/a/*.o; do   # (bitcode under LTO)
			cmp -s "$o" "$T/b/$(basename "$o")" || fail "$(basename "$o") of $rlib differs from the whole profile's"
			n=$((n + 1))
		done
	done
	[ "$n" -ge 4 ] || fail "setup: too few objects compared ($n)"
	# Each file carries the whole profile's summary (header words 9 on: 6 fields, 16 cutoffs), not its own.
	summary() { tail -c +73 "$1" | head -c 448 | od -An -tx8; }
	[ "$(summary "$whole")" = "$(summary "$(split_file_of helper)")" ] || fail "helper's file has a summary of its own"
	summary "$whole" | grep -q '0000000000000006 *0000000000000010' || fail "setup: not the summary's layout"
}

test_split_builds_what_the_whole_profile_builds() {
	split_setup
	assert_split_builds_what_the_whole_profile_builds
}

# Under LTO libraries are bitcode, whose function names are not read: their
# globals go to every file, so the library's own file still has them.
test_split_builds_what_the_whole_profile_builds_under_lto() {
	split_setup '\n[profile.release]\nlto = true\n'
	# llvm-nm lists the rlibs' bitcode; its "lib.rmeta: no symbols" stays off the terminal (issue 22).
	assert_no_grep 'no symbols' "$T/first.err" "llvm-nm's stderr is not shown"
	assert_split_builds_what_the_whole_profile_builds
	local lib
	lib=$(grep -lx lib "$T"/cache/slots/*/units/app-*.unit.names | sed 's/.*units\/\(app-[0-9a-f]*\)\.unit\.names/\1/')
	[ -n "$lib" ] || fail "setup: app's library unit has no list"
	"$(profdata_tool)" show --all-functions "$(ls "$T"/cache/slots/*/split/"$lib".profdata)" >"$T/lib.txt"
	assert_grep '_ZN3app8checksum' "$T/lib.txt" "app's library file holds checksum, which the library compiled"
	assert_grep 'record\(s\) of no single unit in each' "$T/first.err" "the split says what it shares"
}

# A unit given its part lists the part, not the build dir's stamp: cargo reads every
# member's dep-info again for each member above it, and the part alone tells it
# when the unit's profile changes (issue 22: the no-op of many members). A plain
# build and the way back still rebuild every unit, through the mode cargo tracks.
test_split_units_list_their_part_not_the_stamp() {
	split_setup
	local d n=0
	for d in target/release/deps/*.d; do
		grep -q '^# pgo-wrap:unit' "$d" || continue
		n=$((n + 1))
		assert_grep "^$T/cache/slots/[0-9a-f]+/split/[a-z_]+-[0-9a-f]+\.profdata:\$" "$d" "$(basename "$d") lists its part"
		assert_no_grep '/stamps/' "$d" "$(basename "$d") does not list the stamp"
	done
	assert_eq 5 "$n" "setup: five units"
	CARGO_PGO_WRAP_MODE=off RUSTC_WRAPPER="$PGOW_BIN" cargo build --release 2>"$T/err" || { cat "$T/err" >&2; fail "plain build"; }
	assert_eq 4 "$(grep -c '^ *Compiling' "$T/err")" "a plain build recompiles every package"
	assert_grep '/stamps/' "$(ls target/release/deps/helper-*.d)" "plain units list the stamp"
	RUSTC_WRAPPER="$PGOW_BIN" cargo build --release 2>"$T/err" || { cat "$T/err" >&2; fail "build"; }
	assert_eq 4 "$(grep -c '^ *Compiling' "$T/err")" "and the next build gives every package its part again"
	assert_no_grep '/stamps/' "$(ls target/release/deps/helper-*.d)" "helper lists its part alone again"
	pgow build --release 2>"$T/err" || { cat "$T/err" >&2; fail "front end"; }
	assert_grep 'PGO 5 unit\(s\) .* carry profile [0-9a-f]{12} \(0 compiled now, 5 reused\)' "$T/err" "verified as they are"
}

# Units the profile does not know (a test harness: other metadata, other names) get its shared file.
test_split_unknown_units_and_plain_builds() {
	split_setup
	RUSTC_WRAPPER="$PGOW_BIN" cargo test --release -q >/dev/null 2>"$T/test.err" || { cat "$T/test.err" >&2; fail "cargo test"; }
	grep -rl -- '-none.profdata' target/release/deps/*.d >/dev/null || fail "test harnesses are not given the shared file"
	cargo build --release -q 2>/dev/null || fail "plain build"
	touch app/src/lib.rs
	cargo build --release -q 2>/dev/null || fail "plain build"
	pgow build --release 2>"$T/err" || { cat "$T/err" >&2; fail "build after a plain one"; }
	assert_grep 'PGO 5 unit\(s\) .* carry profile' "$T/err" "the plain units carry their files again"
	run_profiled "$T/after" target/release/app 10 >/dev/null
	assert_eq 0 "$(count_files "$T/after" '*.profraw')" "the shipped binary is not instrumented"
}

# Fat LTO links every unit's module, and refuses profile summaries that differ:
# a file rewritten by a refresh carries the summary the kept files carry.
test_split_refresh_under_lto() {
	split_setup '\n[profile.release]\nlto = true\n'
	refresh_after_cold_edit
	run_profiled "$T/after" target/release/app 10 >/dev/null
	assert_eq 0 "$(count_files "$T/after" '*.profraw')" "the shipped binary is not instrumented"
}

# gc drops the splits no link names (a killed splitter's) and the scratch
# dirs of killed splitters; the current split stays as it is.
test_split_gc_drops_unused_generations() {
	split_setup
	local gens
	gens=$(dirname "$(readlink -f "$(dirname "$(split_file_of helper)")")")
	mkdir "$gens/7" "$gens/merge.Ab12Cd"
	cp "$(split_file_of helper)" "$gens/7/"
	touch -d '2 days ago' "$gens/merge.Ab12Cd"
	pgow gc --max-size 10G >"$T/out" 2>&1 || { cat "$T/out" >&2; fail "gc"; }
	assert_grep "^removed $gens/7 \\(a split no link names" "$T/out" "a killed split's generation removed"
	assert_grep "^removed $gens/merge.Ab12Cd \\(left by a killed process" "$T/out" "a killed split's temp dir removed"
	[ "$(ls "$gens")" = 1 ] || fail "gc left $(ls "$gens" | tr '\n' ' ')in $gens, not the current split alone"
	[ "$(ls "$gens/1"/*.profdata | wc -l)" = 6 ] || fail "the current split's files were touched"
	pgow build --release 2>"$T/err" || { cat "$T/err" >&2; fail "build after gc"; }
	assert_grep '\(0 compiled now, 5 reused\)' "$T/err" "nothing to rebuild after gc"
}

# A damaged part is caught before rustc sees it (cargo gives registry crates
# --cap-lints allow, which silences rustc's own warning), and `build` splits again.
test_split_damaged_part_is_caught_and_repaired() {
	split_setup
	local part rc=0
	part=$(ls "$T"/cache/slots/*/split/cfg_if-*.profdata | head -n 1)
	head -c 100 "$part" >"$T/short" && cat "$T/short" >"$part"
	RUSTC_WRAPPER="$PGOW_BIN" cargo build --release 2>"$T/err" || rc=$?
	[ "$rc" != 0 ] || { cat "$T/err" >&2; fail "a build with a damaged part succeeded"; }
	assert_grep "error: .*cfg_if-[0-9a-f]+\.profdata is damaged: .*cargo-pgo-wrap build. splits the profile again" \
		"$T/err" "one line naming the file and the fix"
	pgow build --release 2>"$T/err2" || { cat "$T/err2" >&2; fail "build after the damage"; }
	assert_grep 'Repairing 1 part\(s\) of profile [0-9a-f]{12} changed since it was split' "$T/err2" "repaired"
	assert_grep 'PGO 5 unit\(s\) .* carry profile' "$T/err2" "and built with the profile"
	pgow build --release 2>"$T/err3" || fail "third build"
	assert_no_grep 'Repairing|Compiling' "$T/err3" "then a no-op"
}

# `merge` killed (SIGKILL, by strace) at each rename it makes while it writes
# the split and switches to it: builds still get a whole split, the old or the
# new, never a mix (was: the parts were renamed in place before CURRENT
# switched, and a kill between two left a part with new bytes under the old
# INDEX: every RUSTC_WRAPPER build then failed "... is damaged", exit 8). The
# next merge starts clean: one generation left, no scratch dir.
slow test_split_merge_killed_at_each_rename_keeps_a_whole_split 40
may_skip test_split_merge_killed_at_each_rename_keeps_a_whole_split \
	"strace places the kills; tests/deps.sh installs it, a machine without it skips"
test_split_merge_killed_at_each_rename_keeps_a_whole_split() {
	command -v strace >/dev/null || skip "strace is not installed (tests/deps.sh installs it)"
	split_setup
	mkdir -p "$T/raw2"
	LLVM_PROFILE_FILE="$T/raw2/r.profraw" target/pgo-wrap/instrumented/release/app 300 >/dev/null
	cp -a "$T/cache" "$T/cache.before"
	local renames='rename,renameat,renameat2' first n k rc kills=0
	strace -f -qq -e trace=$renames -o "$T/trace" "$PGOW_BIN" merge --replace "$T/raw2" 2>/dev/null ||
		fail "reference merge"
	# The kills that matter: from the first rename in the split's dirs to the last (CURRENT).
	grep -v -e '^[0-9]* ---' -e '^[0-9]* +++' "$T/trace" | grep -E 'rename' >"$T/renames"
	first=$(grep -nE '/splits?/([0-9]+/)?[^/]*\.profdata\.tmp' "$T/renames" | head -n 1 | cut -d: -f1)
	n=$(wc -l <"$T/renames")
	[ -n "$first" ] && [ "$n" -gt "$first" ] || fail "setup: no rename into the split in $(cat "$T/renames")"
	for k in $(seq "$first" "$n"); do
		rm -rf "$T/cache" && cp -a "$T/cache.before" "$T/cache"
		rc=0
		strace -f -qq -o /dev/null -e trace=$renames -e inject=$renames:signal=KILL:when=$k \
			"$PGOW_BIN" merge --replace "$T/raw2" >/dev/null 2>&1 || rc=$?
		[ "$rc" = 137 ] && kills=$((kills + 1))
		rc=0
		RUSTC_WRAPPER="$PGOW_BIN" cargo build --release >"$T/out" 2>"$T/err" || rc=$?
		[ "$rc" = 0 ] || { cat "$T/err" >&2; fail "after a kill at rename $k of $n, the build failed (exit $rc)"; }
		pgow status >"$T/status.txt" 2>&1 || fail "status after a kill at rename $k"
		assert_no_grep 'damaged' "$T/status.txt" "status after a kill at rename $k"
	done
	[ "$kills" -gt 0 ] || fail "no merge was killed"
	pgow merge --replace "$T/raw2" 2>"$T/err" || fail "merge after the kills: $(cat "$T/err")"
	local gens
	gens=$(ls "$T"/cache/slots/*/splits)
	[ "$gens" = "$(basename "$(readlink "$T"/cache/slots/*/split)")" ] || fail "left in splits/: $gens"
	pgow build --release 2>"$T/err" || { cat "$T/err" >&2; fail "build after the kills"; }
	assert_no_grep 'Repairing' "$T/err" "nothing to repair"
}

# What a killed merge leaves (its temp dir, a half-written file) is removed
# by the next merge, and by gc at once, not an hour later: the names say
# which process of this host made them, and it is gone.
may_skip test_split_killed_merge_leftovers_are_swept "strace places the kill; tests/deps.sh installs it"
test_split_killed_merge_leftovers_are_swept() {
	command -v strace >/dev/null || skip "strace is not installed (tests/deps.sh installs it)"
	split_setup
	mkdir -p "$T/raw2"
	LLVM_PROFILE_FILE="$T/raw2/r.profraw" target/pgo-wrap/instrumented/release/app 300 >/dev/null
	local slot leftovers kill
	slot=$(ls -d "$T"/cache/slots/*)
	leftovers() { find "$slot" -name 'merge.*' -o -name '*.tmp.*'; }
	# Killed at its third rename: the crate index and the profile are in place, the manifest half-way.
	kill='inject=rename,renameat,renameat2:signal=KILL:when=3'
	strace -f -qq -o /dev/null -e trace=rename,renameat,renameat2 -e "$kill" \
		"$PGOW_BIN" merge --replace "$T/raw2" >/dev/null 2>&1 && fail "setup: the merge was not killed"
	[ -n "$(leftovers)" ] || fail "setup: the killed merge left nothing"
	pgow merge --replace "$T/raw2" 2>"$T/err" || fail "merge after the kill: $(cat "$T/err")"
	[ -z "$(leftovers)" ] || fail "the next merge left $(leftovers)"
	strace -f -qq -o /dev/null -e trace=rename,renameat,renameat2 -e "$kill" \
		"$PGOW_BIN" merge --replace "$T/raw2" >/dev/null 2>&1 || true
	[ -n "$(leftovers)" ] || fail "setup: the second killed merge left nothing"
	pgow gc >"$T/gc.out" 2>&1 || fail "gc"
	assert_grep '\(left by a killed process' "$T/gc.out" "gc says what it removed"
	[ -z "$(leftovers)" ] || fail "gc left $(leftovers)"
}

# A cache from before generations (split/ a real dir) is read as it is: no
# rebuild; the next split replaces it with a generation and the link, and
# only the crates whose parts changed recompile.
test_split_older_layout_is_read_then_replaced() {
	split_setup
	local slot
	slot=$(ls -d "$T"/cache/slots/*)
	rm "$slot/split" && mv "$slot/splits/1" "$slot/split" && rmdir "$slot/splits"
	pgow build --release 2>"$T/err" || { cat "$T/err" >&2; fail "build on the older layout"; }
	assert_grep '\(0 compiled now, 5 reused\)' "$T/err" "the older split is read: nothing to rebuild"
	refresh_after_cold_edit
	[ -L "$slot/split" ] && [ "$(readlink "$slot/split")" = splits/1 ] || fail "split is not a link to splits/1"
}

# status names the split; a value of CARGO_PGO_WRAP_SPLIT that is neither 0 nor 1 is one line, exit 2.
test_split_status_and_bad_setting() {
	split_setup
	pgow status >"$T/status.txt" || fail "status"
	assert_grep '^  split       6 file\(s\) in .*/split: each unit is given its own part of the profile$' \
		"$T/status.txt" "status shows the split"
	local rc=0
	CARGO_PGO_WRAP_SPLIT=off pgow build --release 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "exit code of a bad setting"
	assert_grep '^cargo-pgo-wrap: error: CARGO_PGO_WRAP_SPLIT=off is not 0 or 1' "$T/err" "one line naming the setting"
	assert_eq 1 "$(grep -c . "$T/err")" "and only that line"
}

# A profile stored with CARGO_PGO_WRAP_SPLIT=0 takes the split away, even its own: a
# build without the setting is then given the whole profile (every unit recompiles),
# status says so, and nothing of the old split is left for gc.
test_split_whole_merge_takes_the_split_away() {
	split_setup
	local slot
	slot=$(dirname "$(ls -d "$T"/cache/slots/*/CURRENT)")
	LLVM_PROFILE_FILE="$T/raw/app-%p.profraw" target/pgo-wrap/instrumented/release/app 20000 >/dev/null ||
		fail "training by hand"
	CARGO_PGO_WRAP_SPLIT=0 pgow merge --replace "$T/raw" 2>"$T/err" || { cat "$T/err" >&2; fail "whole merge"; }
	[ ! -e "$slot/split" ] && [ -z "$(ls -A "$slot/splits")" ] || fail "the split is still there: $(ls "$slot" "$slot/splits")"
	pgow status >"$T/status.txt" || fail "status"
	assert_grep '^  split       no: every unit is given the whole profile$' "$T/status.txt" "status: whole"
	CARGO_PGO_WRAP_SPLIT=0 pgow status >"$T/status.txt" || fail "status"
	assert_grep '^  split       no \(CARGO_PGO_WRAP_SPLIT=0\): every unit' "$T/status.txt" "status says why"
	RUSTC_WRAPPER="$PGOW_BIN" cargo build --release 2>"$T/err" || { cat "$T/err" >&2; fail "build"; }
	# Four packages, five units (app's lib and bin).
	assert_eq 4 "$(grep -c '^ *Compiling' "$T/err")" "every unit recompiles with the whole profile"
	assert_no_grep '/split/' <(grep -h 'pgo-wrap:unit' target/release/deps/*.d) "no unit names a part"
	pgow merge --replace "$T/raw" 2>"$T/err" || { cat "$T/err" >&2; fail "split merge"; }
	assert_grep 'Split per unit: 6 file' "$T/err" "split again without the setting"
}

# The setting is read when a profile is stored and by build, not per unit: a unit
# given a part lists only the part, so build takes the split away under SPLIT=0
# (every unit then rebuilds with the whole profile, and stays so without the setting
# until a profile is stored split again); a plain cargo build under it keeps the parts.
test_split_whole_build_takes_the_split_away() {
	split_setup
	local slot
	slot=$(dirname "$(ls -d "$T"/cache/slots/*/CURRENT)")
	CARGO_PGO_WRAP_SPLIT=0 RUSTC_WRAPPER="$PGOW_BIN" cargo build --release 2>"$T/err" || { cat "$T/err" >&2; fail "plain build"; }
	assert_no_grep 'Compiling' "$T/err" "a plain build under the setting keeps the parts"
	CARGO_PGO_WRAP_SPLIT=0 pgow status >"$T/status.txt" || fail "status"
	assert_grep '^  split       6 file\(s\) .*\(CARGO_PGO_WRAP_SPLIT=0 takes it away at the next build or merge\)$' \
		"$T/status.txt" "status says the split is used until then"
	CARGO_PGO_WRAP_SPLIT=0 pgow build --release 2>"$T/err" || { cat "$T/err" >&2; fail "build, whole"; }
	assert_grep "note: CARGO_PGO_WRAP_SPLIT=0: the profile's split is taken away" "$T/err" "said"
	[ ! -e "$slot/split" ] || fail "the split is still there"
	assert_grep 'PGO 5 unit\(s\) .* carry profile [0-9a-f]{12} \(5 compiled now' "$T/err" "every unit rebuilt"
	assert_no_grep 'Rebuilding' "$T/err" "by cargo, the parts being gone, not by verification"
	assert_no_grep '/split/' <(grep -h 'pgo-wrap:unit' target/release/deps/*.d) "no unit names a part"
	pgow build --release 2>"$T/err" || { cat "$T/err" >&2; fail "build"; }
	assert_grep '\(0 compiled now, 5 reused\)' "$T/err" "whole until a profile is stored split again"
}

# A split outliving its profile (CURRENT deleted, as the messages about an unusable
# one advise): the first unit compiled without a profile takes the split away, and
# the units given its parts rebuild on the next build, as they did through the stamp.
test_split_parts_of_a_deleted_profile_go() {
	split_setup
	local slot
	slot=$(dirname "$(ls -d "$T"/cache/slots/*/CURRENT)")
	rm "$slot/CURRENT"
	echo '// edited' >>app/src/main.rs
	RUSTC_WRAPPER="$PGOW_BIN" cargo build --release 2>"$T/err" || { cat "$T/err" >&2; fail "build"; }
	assert_grep 'no profile for this build configuration yet' "$T/err" "the edited unit: no profile"
	[ ! -e "$slot/split" ] || fail "the split of the deleted profile is still there"
	RUSTC_WRAPPER="$PGOW_BIN" cargo build --release 2>"$T/err" || { cat "$T/err" >&2; fail "build again"; }
	assert_grep 'Compiling helper' "$T/err" "units given its parts rebuild"
	assert_no_grep '/split/' <(grep -h 'pgo-wrap:unit' target/release/deps/*.d) "no unit names a part"
}

# One attribution (issue 22): each unit's figures in the manifest, which status and
# merge show, are those of the records its part owns, not of the crate its symbols
# name (app's generics compiled into other crates once counted for app). With no
# record shared between units, a part holds exactly its unit's records.
test_split_figures_are_the_parts() {
	split_setup
	assert_grep 'Split per unit: 6 file\(s\), .*; 0 record\(s\) of no single unit in each' "$T/first.err" \
		"setup: no shared records"
	local tool yaml part unit
	tool=$(profdata_tool)
	yaml=$(ls "$T"/cache/slots/*/profiles/*.yaml)
	local units=0
	while read -r unit; do
		part=$(ls "$T"/cache/slots/*/split/"$unit".profdata)
		local want got
		# functions, covered, counts of the part's records
		want=$("$tool" merge --text "$part" -o - | awk '
			/^# Num Counters:/ { getline; n = $1; next }
			/^# Counter Values:/ { s = 0; for (i = 0; i < n; i++) { getline; s += $1 } f++; c += (s > 0); t += s }
			END { printf "%d %d %d", f, c, t }')
		got=$(awk -v u="$unit" '
			/^- name: / { name = $3 } /^  metadata: / { meta = $2 }
			/^  counts: / { counts[name "-" meta] = $2 } /^  functions: / { fns[name "-" meta] = $2 }
			/^  covered: / { cov[name "-" meta] = $2 }
			END { printf "%d %d %d", fns[u], cov[u], counts[u] }' "$yaml")
		assert_eq "$want" "$got" "$unit: functions, covered and counts of its part"
		units=$((units + 1))
	done < <(sed -n 's/^- name: \(.*\)$/\1/p; s/^  metadata: \(.*\)$/\1/p' "$yaml" | paste -d- - -)
	[ "$units" -ge 4 ] || fail "setup: $units units"
	pgow status >"$T/status.txt" || fail "status"
	# The shares status shows add up to the counted total at most.
	local shares
	shares=$(grep -o '[0-9]*% of counts' "$T/status.txt" | awk '{ s += $1 } END { print s + 0 }')
	[ "$shares" -le 101 ] || fail "status's shares add up to $shares%: $(cat "$T/status.txt")"
}

# rustc's incremental cache does not see a profile's bytes change: given new
# parts at the same paths, it kept code optimised with the old profile, and
# ThinLTO then refused to import memchr's code (compiled afresh: registry crates
# are never incremental) into fixlib's old modules ("linking module flags
# 'ProfileSummary': IDs have conflicting values"; rav1e, whose release profile
# is incremental). Each profile a unit is given has an incremental dir of its
# own; an edit under the same profile stays incremental.
# The ws fixture with fixlib calling memchr (a registry crate) under ThinLTO.
thin_lto_ws_setup() { # [profile.release lines]
	setup_ws
	unset RUSTC_WRAPPER CARGO_PGO_WRAP_JOURNAL CARGO_PGO_WRAP_SPLIT
	cp -r "$FIXTURES/layouts/.cargo" .cargo
	printf '\n[dependencies]\nmemchr = "2"\n' >>fixlib/Cargo.toml
	sed -i 's/^    let bytes = src.as_bytes();$/&\n    if memchr::memchr(b\x27#\x27, bytes).is_some() {\n        return Vec::new();\n    }/' \
		fixlib/src/lib.rs
	grep -q 'memchr::memchr' fixlib/src/lib.rs || fail "setup: fixlib calls memchr"
	printf '\n[profile.release]\n%blto = "thin"\n' "${1:-}" >>Cargo.toml
	cargo generate-lockfile --offline -q || fail "setup: lock file"
	printf 'stale-policy: refresh\ntraining:\n  - run: ["{bin:fixbin}", "3000"]\n' >pgo-wrap.yaml
	pgow build --release 2>"$T/err" || fail "first cycle: $(tail -3 "$T/err")"
}

# Another cache for the same target dir (the slot ids are the same): cargo reused
# the units the first cache's profile built, and ThinLTO refused to link them with
# the units given the new cache's ("ProfileSummary: IDs have conflicting values",
# rav1e), before verification could rebuild them. They are rebuilt before the build,
# and the new cache records every unit (its profile has counts for both), and back.
test_split_another_cache_for_the_same_target_dir() {
	thin_lto_ws_setup
	local first=$CARGO_PGO_WRAP_CACHE
	export CARGO_PGO_WRAP_CACHE="$T/cache2"
	# Another training (another profile summary), and fixlib to compile again: its link
	# with memchr as the first cache built it failed.
	printf 'stale-policy: refresh\ntraining:\n  - run: ["{bin:fixbin}", "30"]\n' >pgo-wrap.yaml
	touch fixlib/src/lib.rs
	pgow build --release 2>"$T/err" || fail "with another cache: $(tail -3 "$T/err")"
	assert_grep "Rebuilding [0-9]+ unit\\(s\\) of .*/instrumented/release built against cache $first, not this cache" "$T/err" \
		"the instrumented units, before the instrumented build"
	assert_grep 'Merged 1 raw profile\(s\) into [0-9a-f]{12} for slot [0-9a-f]{12}: 3 of 3 units have counts' "$T/err" \
		"every unit recorded in the new cache"
	assert_grep "Rebuilding [0-9]+ unit\\(s\\) of $T/ws/target/release built against cache $first, not this cache" "$T/err" \
		"the optimised units, before the optimised build"
	assert_grep 'PGO 3 unit\(s\) .* \(3 compiled now, 0 reused\)' "$T/err" "all carry the new cache's profile"
	local marker
	marker=$(ls target/pgo-wrap/cache-*) || fail "no cache marker"
	assert_eq 2 "$(echo "$marker" | wc -l)" "one marker per build dir (instrumented, optimised)"
	for m in $marker; do assert_eq "$T/cache2" "$(cat "$m")" "the marker names the cache"; done
	local before
	before=$(stat -c %Y.%y $marker)
	sleep 1
	pgow build --release 2>"$T/err" || fail "again: $(tail -3 "$T/err")"
	assert_no_grep 'Rebuilding|Compiling' "$T/err" "then a no-op"
	assert_eq "$before" "$(stat -c %Y.%y $marker)" "the same cache: its units are not looked at again"
	export CARGO_PGO_WRAP_CACHE=$first
	pgow build --release 2>"$T/err" || fail "back to the first cache: $(tail -3 "$T/err")"
	assert_grep "Rebuilding [0-9]+ unit\\(s\\) of $T/ws/target/release built against cache $T/cache2, not this cache" "$T/err" \
		"back: named"
	assert_grep 'PGO 3 unit\(s\) .* carry profile' "$T/err" "back: its own profile"
}

test_split_new_profile_under_incremental_thin_lto() {
	thin_lto_ws_setup 'incremental = true\n'
	local dir=target/release/incremental/pgo-wrap first
	first=$(ls "$dir"/fixlib-* 2>/dev/null) || true
	# Another training: every part gets the new profile's summary.
	printf 'stale-policy: refresh\ntraining:\n  - run: ["{bin:fixbin}", "30"]\n' >pgo-wrap.yaml
	pgow build --release 2>"$T/err" || fail "after a new training: $(tail -3 "$T/err")"
	assert_grep 'Split per unit: [0-9]+ file\(s\), ([0-9]+) rewritten, 0 unchanged' "$T/err" "setup: every part rewritten"
	assert_eq 1 "$(ls "$dir" | grep -c '^fixlib-')" "fixlib compiles in a dir of its own"
	assert_eq 0 "$(ls "$dir" | grep -c '^memchr-')" "memchr, never incremental, gets none"
	[ -n "$first" ] || fail "the first build compiled fixlib in no dir of its own"
	[ "$(ls "$dir"/fixlib-*)" != "$first" ] || fail "fixlib compiled in the old profile's dir"
	assert_eq 1 "$(ls "$dir"/fixlib-* | wc -l)" "the old profile's dir is gone"
	# An edit under the same profile: the dir, and with it what rustc can reuse, stays.
	local now
	now=$(ls "$dir"/fixlib-*)
	echo '// a note' >>fixlib/src/lib.rs
	pgow build --release 2>"$T/err" || fail "after a comment edit: $(tail -3 "$T/err")"
	assert_grep 'Compiling fixlib' "$T/err" "setup: fixlib compiled again"
	assert_eq "$now" "$(ls "$dir"/fixlib-*)" "the same profile, the same dir"
	run_profiled "$T/after" target/release/fixbin 10 >/dev/null
	assert_eq 0 "$(count_files "$T/after" '*.profraw')" "the shipped binary is not instrumented"
}

# A workspace of members above one library: base, eight members that use it,
# and app, which uses them all. Cargo writes a dep-info beside each of the ten
# artifacts, listing every local unit below it, and reads each unit's dep-info
# again for each of them: base is listed ten times.
shared_ws_setup() {
	local i members='"base"'
	mkdir -p "$T/ws/base/src" "$T/ws/app/src"
	cd "$T/ws" || fail "cannot enter $T/ws"
	export CARGO_PGO_WRAP_CACHE="$T/cache"
	unset RUSTC_WRAPPER CARGO_PGO_WRAP_WORKSPACE CARGO_PGO_WRAP_JOURNAL CARGO_PGO_WRAP_SPLIT
	printf '[package]\nname = "base"\nversion = "0.1.0"\nedition = "2021"\n' >base/Cargo.toml
	# Not inlined across crates: base's code is base's own, in its file.
	cat >base/src/lib.rs <<'RS'
#[inline(never)]
pub fn mix(mut h: u64, x: u64) -> u64 {
    for i in 0..x % 64 {
        if i % 7 == 0 { h = h.rotate_left(5) ^ i; } else { h = h.wrapping_mul(31).wrapping_add(i); }
    }
    h
}
RS
	printf '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\n' >app/Cargo.toml
	printf 'fn main() {\n    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1000);\n    let mut h = 0u64;\n    for x in 0..n {\n' >app/src/main.rs
	for i in 1 2 3 4 5 6 7 8; do
		mkdir -p "m$i/src"
		printf '[package]\nname = "m%d"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\nbase = { path = "../base" }\n' "$i" >"m$i/Cargo.toml"
		printf 'pub fn step(h: u64, x: u64) -> u64 {\n    if x %% %d == 0 { base::mix(h, x) } else { h ^ x }\n}\n' $((i + 1)) >"m$i/src/lib.rs"
		printf 'm%d = { path = "../m%d" }\n' "$i" "$i" >>app/Cargo.toml
		printf '        h = m%d::step(h, x);\n' "$i" >>app/src/main.rs
		members="$members, \"m$i\""
	done
	printf '    }\n    println!("{h}");\n}\n' >>app/src/main.rs
	printf '[workspace]\nresolver = "2"\nmembers = [%s, "app"]\n' "$members" >Cargo.toml
	printf 'stale-policy: refresh\ntraining:\n  - run: ["{bin:app}", "20000"]\n' >pgo-wrap.yaml
}

# Such a unit gets one file with the others so listed (issue 22: a part of its
# own per unit made cargo's no-op of a workspace built whole grow with the
# square of its members); a unit few artifacts list keeps its own, and a
# refresh of it rewrites it alone.
test_split_units_many_artifacts_list_share_one_file() {
	shared_ws_setup
	pgow build --release 2>"$T/first.err" || { cat "$T/first.err" >&2; fail "first build"; }
	assert_grep 'Split per unit: 11 file\(s\), 11 rewritten, 0 unchanged, one of them shared by 1 unit\(s\) that 8 or more artifacts list' \
		"$T/first.err" "base shares the file: m1..m8 and app keep theirs"
	assert_grep '^pgow-split-v3	' "$(ls "$T"/cache/slots/*/split/INDEX)" "an index older readers leave alone"
	assert_grep '^base-[0-9a-f]+	[0-9a-f]{32}	[0-9a-f]{32}	-shared$' "$(ls "$T"/cache/slots/*/split/INDEX)" "base's line names the shared file"
	assert_grep '/split/-shared\.profdata:$' "$(ls target/release/deps/base-*.d)" "base lists the shared file"
	assert_grep '/split/m3-[0-9a-f]+\.profdata:$' "$(ls target/release/deps/m3-*.d)" "m3 lists its own"
	assert_grep '/split/-shared\.profdata' target/release/app.d "app's dep-info lists the shared file"
	assert_no_grep '/split/base-' target/release/app.d "and no file of base's own"
	pgow build --release 2>"$T/noop.err" || { cat "$T/noop.err" >&2; fail "second build"; }
	assert_grep 'PGO 10 unit\(s\) .* \(0 compiled now, 10 reused\)' "$T/noop.err" "a no-op, verified"
	pgow status >"$T/status.txt" || fail "status"
	assert_grep '^  split       11 file\(s\) in .*: .*, but 1 unit\(s\) that 8 or more artifacts list share one \(base\)$' \
		"$T/status.txt" "status names the unit sharing the file"
	# rustc applied the shared file to base (the IR has entry counts).
	RUSTC_WRAPPER="$PGOW_BIN" cargo rustc -q --release -p base -- --emit=llvm-ir 2>"$T/ir.err" ||
		{ cat "$T/ir.err" >&2; fail "base's IR"; }
	assert_grep '!"function_entry_count", i64 [1-9]' "$(ls target/release/deps/base-*.ll)" "base's IR has its counts"
	# A cold edit of m3: its file alone is rewritten; base and the other members are not recompiled.
	local shared before
	shared=$(ls "$T"/cache/slots/*/split/-shared.profdata)
	before=$(stat -c %Y.%y "$shared")
	sed -i 's/^pub fn step(h: u64, x: u64) -> u64 {$/&\n    if x == u64::MAX { return 7; }/' m3/src/lib.rs
	grep -q 'u64::MAX' m3/src/lib.rs || fail "setup: the edit"
	pgow build --release 2>"$T/leaf.err" || { cat "$T/leaf.err" >&2; fail "refresh of m3"; }
	assert_grep 'Stale profile [0-9a-f]{12}: m3' "$T/leaf.err" "the edit makes m3 stale"
	assert_grep 'Split per unit: 11 file\(s\), (1|2) rewritten' "$T/leaf.err" "m3's file (and app's) rewritten"
	sed -n '/Optimizing/,$p' "$T/leaf.err" >"$T/opt.err"
	assert_grep 'Compiling m3 ' "$T/opt.err" "m3 recompiles"
	assert_no_grep 'Compiling (base|m1|m2|m4) ' "$T/opt.err" "base and the other members keep their files"
	assert_eq "$before" "$(stat -c %Y.%y "$shared")" "the shared file kept its bytes and mtime"
	run_profiled "$T/after" target/release/app 10 >/dev/null
	assert_eq 0 "$(count_files "$T/after" '*.profraw')" "the shipped binary is not instrumented"
}

# A run naming a program by its path in the instrumented dir ({target_dir}/release/
# examples/ex) must run one this build built: a build without --examples left the
# old example there, whose counts made every refresh stale again (flate2: a refresh
# after an edit of the library retrained the old examples and never ended).
test_training_runs_only_programs_this_build_built() {
	cp -r "$FIXTURES/layouts" "$T/ws"
	export CARGO_PGO_WRAP_CACHE="$T/cache"
	unset RUSTC_WRAPPER CARGO_PGO_WRAP_WORKSPACE CARGO_PGO_WRAP_JOURNAL CARGO_PGO_WRAP_SPLIT
	cd "$T/ws" || fail "cannot enter $T/ws"
	mkdir -p app/examples
	printf 'fn main() {\n    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10);\n    let data: Vec<u8> = (0..n).map(|i| (i %% 251) as u8).collect();\n    println!("{}", app::checksum(&data));\n}\n' >app/examples/ex.rs
	printf 'stale-policy: refresh\ntraining:\n  - run: ["{target_dir}/release/examples/ex", "20000"]\n' >pgo-wrap.yaml
	pgow build --release --examples 2>"$T/first.err" || { cat "$T/first.err" >&2; fail "first build"; }
	assert_grep 'Trained run 1/1 .* 1 profile file' "$T/first.err" "the example is trained"
	sed -i 's/} else if i % 7 == 0 {/} else if i % 5 == 0 {/' app/src/lib.rs
	grep -q 'i % 5 == 0' app/src/lib.rs || fail "setup: the edit"
	local rc=0
	pgow build --release 2>"$T/lib.err" || rc=$?
	assert_eq 2 "$rc" "a refresh that would train the old example stops"
	assert_grep "pgo-wrap.yaml:3:[0-9]+: the training runs .*/examples/ex, which this build did not build.*--examples" \
		"$T/lib.err" "it names the run, the program and the fix"
	assert_no_grep 'Merged|Added' "$T/lib.err" "nothing was merged"
	pgow build --release --examples 2>"$T/ex.err" || { cat "$T/ex.err" >&2; fail "build with the examples"; }
	assert_grep 'Merged 1 raw profile' "$T/ex.err" "the refresh replaces the profile"
	pgow build --release --examples 2>"$T/noop.err" || { cat "$T/noop.err" >&2; fail "next build"; }
	assert_no_grep 'Stale|Training|Compiling' "$T/noop.err" "then it is fresh"
	run_profiled "$T/after" target/release/examples/ex 10 >/dev/null
	assert_eq 0 "$(count_files "$T/after" '*.profraw')" "the shipped example is not instrumented"
}
