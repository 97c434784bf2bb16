# t_bolt.sh - the BOLT stage (bolt: on): the shipped program is rewritten by
# llvm-bolt from a profile of the same training, prints what the PGO program
# prints, ships only when the gate says it is faster, and is not BOLTed again
# while it does not change. bolt-min-gain decides the gate here: -0.9 keeps
# any result, 0.9 discards every one, so both paths are tested on any machine.

bolt_setup() { # min-gain
	cp -r "$FIXTURES/cmix" "$T/ws"
	export CARGO_PGO_WRAP_CACHE="$T/cache"
	unset RUSTC_WRAPPER CARGO_PGO_WRAP_WORKSPACE CARGO_PGO_WRAP_JOURNAL CARGO_PGO_WRAP_C CC CXX
	cd "$T/ws" || fail "cannot enter $T/ws"
	local major
	major=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
	command -v "llvm-bolt-$major" >/dev/null || fail "no llvm-bolt-$major; run ./install.sh"
	printf 'bolt: on\nbolt-min-gain: %s\nbolt-rounds: 3\ntraining:\n  - run: ["{bin:cmix}", "300000"]\n' "$1" >pgo-wrap.yaml
	# Runs of ~0.1 s: at 0.01 s, process start-up decided the timing, and a BOLTed
	# program measured 2x slower under load (past what bolt-min-gain -0.9 accepts).
	# The reference: the same code built plain, elsewhere.
	(mkdir -p "$T/plain" && cp -r "$FIXTURES/cmix/." "$T/plain" && cd "$T/plain" &&
		cargo build --release -q 2>/dev/null) || fail "plain build"
}

is_bolted() { # binary
	readelf -SW "$1" | grep -q '\.note\.bolt_info'
}

same_output_as_plain() { # what
	local n
	for n in 1 333 20000 77777; do
		[ "$(target/release/cmix "$n")" = "$("$T/plain/target/release/cmix" "$n")" ] ||
			fail "$1: output for $n differs from the plain build's"
	done
}

test_bolt_kept_program_works_and_is_not_bolted_twice() {
	bolt_setup -0.9
	pgow build --release 2>"$T/err" || { sed 's/^/      | /' "$T/err" >&2; fail "build"; }
	assert_grep 'BOLT instrumented 1 program\(s\)' "$T/err" "BOLT ran"
	assert_grep 'BOLT kept, the BOLTed programs ship: training [0-9.]+s with PGO, [0-9.]+s BOLTed \([0-9.]+x the time, [0-9.]+% (faster|slower); median of 3 rounds' \
		"$T/err" "the verdict and its numbers"
	is_bolted target/release/cmix || fail "the shipped program is not BOLT's"
	[ target/release/cmix -ef "$(ls target/release/deps/cmix-* | grep -v '\.d$')" ] ||
		fail "the shipped name is no longer cargo's own file"
	same_output_as_plain "BOLTed"
	local fdata
	fdata=$(count_files target/pgo-wrap/bolt/fdata '*.fdata')
	run_profiled "$T/after" target/release/cmix 100 >/dev/null
	assert_eq 0 "$(count_files "$T/after" '*.profraw')" "the shipped program writes no raw profile"
	assert_eq "$fdata" "$(count_files target/pgo-wrap/bolt/fdata '*.fdata')" "nor a BOLT profile"
	# Unchanged: cargo keeps BOLT's file, and BOLT does not run again.
	pgow build --release 2>"$T/again.err" || fail "second build"
	assert_grep 'BOLT cached verdicts, not re-run: cmix \(BOLTed already\)' "$T/again.err" "cached"
	assert_no_grep 'BOLT \[|Compiling|Relinking' "$T/again.err" "nothing redone"
	is_bolted target/release/cmix || fail "the second build shipped another program"
	# A plain build relinks it (the BOLT env-dep); ours ships the cached BOLT result again.
	cargo build --release -q 2>/dev/null || fail "plain cargo build"
	is_bolted target/release/cmix && fail "setup: the plain build did not relink"
	pgow build --release 2>"$T/third.err" || fail "third build"
	assert_grep 'BOLT cached verdicts, not re-run: cmix \(kept\)' "$T/third.err" "the cached program"
	is_bolted target/release/cmix || fail "the cached BOLT program was not shipped"
	same_output_as_plain "cached BOLT program"
	pgow status >"$T/status.txt"
	assert_grep '^  BOLT        cmix: kept, training [0-9.]+s with PGO' "$T/status.txt" "status shows the verdict"
	# The cache lost (gc, another cache): a BOLT output is never BOLTed again, it is relinked first.
	rm -rf "$T"/cache/slots/*/bolt
	pgow build --release 2>"$T/lost.err" || { sed 's/^/      | /' "$T/lost.err" >&2; fail "build without the cache"; }
	assert_grep 'Relinking 1 program\(s\)' "$T/lost.err" "relinked"
	assert_grep 'BOLT kept' "$T/lost.err" "judged again"
	same_output_as_plain "BOLTed again from PGO's program"
}

test_bolt_gate_discards_a_result_that_is_not_faster() {
	bolt_setup 0.9
	pgow build --release 2>"$T/err" || { sed 's/^/      | /' "$T/err" >&2; fail "build"; }
	assert_grep 'BOLT discarded, the PGO programs ship: .*; not 90% faster \(bolt-min-gain 0.9\)' "$T/err" "verdict"
	is_bolted target/release/cmix && fail "a discarded BOLT program shipped"
	readelf -SW target/release/cmix | grep -q '\.rela\.text' && fail "the PGO program ships with BOLT's relocations"
	[ target/release/cmix -ef "$(ls target/release/deps/cmix-* | grep -v '\.d$')" ] ||
		fail "the shipped name is no longer cargo's own file"
	same_output_as_plain "PGO"
	pgow build --release 2>"$T/again.err" || fail "second build"
	assert_grep 'BOLT cached verdicts, not re-run: cmix \(discarded\)' "$T/again.err" "cached"
	assert_no_grep 'Compiling|Relinking' "$T/again.err" "a no-op"
	# Other settings judge it again: relinked with relocations, BOLTed, and now kept.
	sed -i 's/bolt-min-gain: 0.9/bolt-min-gain: -0.9/' pgo-wrap.yaml
	pgow build --release 2>"$T/third.err" || { sed 's/^/      | /' "$T/third.err" >&2; fail "third build"; }
	assert_grep 'Relinking 1 program\(s\) with their relocations for BOLT to judge' "$T/third.err" "relinked"
	assert_grep 'BOLT kept' "$T/third.err" "judged again"
	is_bolted target/release/cmix || fail "not BOLTed after the new judgement"
}

test_bolt_turned_on_after_a_build_relinks_with_relocations() {
	bolt_setup -0.9
	printf 'training:\n  - run: ["{bin:cmix}", "20000"]\n' >pgo-wrap.yaml
	pgow build --release 2>/dev/null || fail "build without BOLT"
	readelf -SW target/release/cmix | grep -q '\.rela\.text' && fail "setup: linked with relocations without BOLT"
	printf 'bolt: on\nbolt-min-gain: -0.9\nbolt-rounds: 3\ntraining:\n  - run: ["{bin:cmix}", "20000"]\n' >pgo-wrap.yaml
	pgow build --release 2>"$T/err" || { sed 's/^/      | /' "$T/err" >&2; fail "build with BOLT"; }
	assert_grep 'Relinking 1 program\(s\) with their relocations for BOLT' "$T/err" "relinked"
	is_bolted target/release/cmix || fail "not BOLTed after the relink"
	# Off again: cargo relinks it without relocations (the env-dep), and plain PGO ships.
	printf 'training:\n  - run: ["{bin:cmix}", "20000"]\n' >pgo-wrap.yaml
	pgow build --release 2>"$T/off.err" || fail "build with BOLT off"
	is_bolted target/release/cmix && fail "BOLT's program still ships with bolt off"
	assert_no_grep 'BOLT' "$T/off.err" "no BOLT stage"
	same_output_as_plain "PGO after BOLT off"
}

test_bolt_bad_settings_are_one_line() {
	bolt_setup 0
	local rc=0
	printf 'bolt: maybe\n' >pgo-wrap.yaml
	pgow build --release 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "bolt: maybe"
	assert_grep "pgo-wrap.yaml:1:7: bolt must be on or off \(or true/false, yes/no\), not 'maybe'" "$T/err" "where and what"
	rc=0
	printf 'bolt: on\nbolt: off\n' >pgo-wrap.yaml
	pgow build --release 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "a key given twice"
	assert_grep "pgo-wrap.yaml:2:1: 'bolt' is given twice \(also above\); keep one" "$T/err" "which"
	rc=0
	printf 'bolt: on\n' >pgo-wrap.yaml
	pgow build --release 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "bolt without training"
	assert_grep 'bolt: on needs training: runs' "$T/err" "says why"
	[ ! -d target/release ] || fail "something was built before the check"
	for bad in 'bolt-rounds: 0' 'bolt-rounds: nan' 'bolt-min-gain: nan' 'bolt-min-gain: 1' 'bolt-bat: maybe' \
		'bolt-field: always'; do
		rc=0
		printf 'bolt: on\n%s\ntraining:\n  - run: ["{bin:cmix}"]\n' "$bad" >pgo-wrap.yaml
		pgow build --release 2>"$T/err" || rc=$?
		assert_eq 2 "$rc" "$bad"
		assert_grep 'pgo-wrap.yaml:2:[0-9]+: bolt-' "$T/err" "$bad: where"
	done
	# bolt-bat without bolt does nothing: said at the build, not found out in the field.
	printf 'bolt-bat: on\ntraining:\n  - run: ["{bin:cmix}", "2000"]\n' >pgo-wrap.yaml
	pgow build --release 2>"$T/err" || { sed 's/^/      | /' "$T/err" >&2; fail "build with bolt-bat alone"; }
	assert_grep 'warning: .*pgo-wrap.yaml: bolt-bat: on does nothing with bolt off' "$T/err" "said"
}

# bolt-profile: perf, for hosts where perf samples (here without branch stacks,
# so perf2bolt -nl): the training runs the programs as they are, under perf.
test_bolt_from_perf_samples() {
	bolt_setup -0.9
	perf record -q -e cycles:u -o "$T/check.data" -- true 2>/dev/null ||
		fail "perf cannot sample here (perf_event_paranoid?); this test needs it"
	printf 'bolt: on\nbolt-profile: perf\nbolt-min-gain: -0.9\nbolt-rounds: 3\ntraining:\n  - run: ["{bin:cmix}", "300000"]\n' >pgo-wrap.yaml
	pgow build --release 2>"$T/err" || { sed 's/^/      | /' "$T/err" >&2; fail "build"; }
	assert_grep 'BOLT sampling the training with perf' "$T/err" "sampled"
	assert_no_grep 'BOLT instrumented' "$T/err" "not instrumented"
	assert_grep 'BOLT kept' "$T/err" "BOLTed from the samples"
	is_bolted target/release/cmix || fail "the shipped program is not BOLT's"
	same_output_as_plain "BOLTed from perf samples"
	[ -n "$(ls target/pgo-wrap/bolt/fdata/cmix.fdata.*.fdata 2>/dev/null)" ] || fail "no profile from perf2bolt"
	local rc=0
	printf 'bolt: on\nbolt-profile: lbr\n' >pgo-wrap.yaml
	pgow build --release 2>"$T/bad.err" || rc=$?
	assert_eq 2 "$rc" "bolt-profile: lbr"
	assert_grep "pgo-wrap.yaml:2:15: bolt-profile must be instrument or perf, not 'lbr'" "$T/bad.err" "one line"
}

# bolt-bat: on (issue 21, item 4): the shipped program carries BOLT Address
# Translation; perf samples of it where it is deployed (a dir with only the
# program: no workspace, no cache) go up with `upload --perf`, and `merge
# --remote` turns them into BOLT's profile of the program BOLT was given.
# These VMs have no LBR: the samples are addresses only (perf2bolt --ba).
test_bolt_from_perf_samples_of_the_shipped_program() {
	bolt_setup -0.9
	perf record -q -e cycles:u -o "$T/check.data" -- true 2>/dev/null ||
		fail "perf cannot sample here (perf_event_paranoid?); this test needs it"
	mkdir -p "$T/remote" "$T/field/home"
	export CARGO_PGO_WRAP_REMOTE="file://$T/remote"
	printf 'bolt: on\nbolt-bat: on\nbolt-profile: perf\nbolt-min-gain: -0.9\nbolt-rounds: 3\ntraining:\n  - run: ["{bin:cmix}", "300000"]\n' >pgo-wrap.yaml
	pgow build --release 2>"$T/err" || { sed 's/^/      | /' "$T/err" >&2; fail "build"; }
	assert_grep 'BOLT kept' "$T/err" "BOLTed"
	assert_grep 'Recorded 1 shipped program on file://.* \(bolt-bat\)' "$T/err" "its record"
	readelf -SW target/release/cmix | grep -q '\.note\.bolt_bat' || fail "the shipped program has no BAT"
	local id
	id=$(readelf -n target/release/cmix | sed -n 's/.*Build ID: //p')
	grep -q "^bolted-v1	[0-9a-f]*	cmix	" "$T/remote/pgow-v1/builds/$id" || fail "no record under its build-id"
	# Its own build-id, not BOLT's (the input's with one byte changed, the same for every layout).
	local from
	from=$(cat "$T"/cache/slots/*/bolt/"$id".output)
	[ "${id%??}" != "${from%??}" ] || fail "the BOLTed program has BOLT's derived build-id: $id from $from"

	# The field: the program alone, sampled as it runs a workload of its own.
	cp target/release/cmix "$T/field/cmix"
	cp target/release/cmix "$T/field/cmix-v1"
	(cd "$T/field" && perf record -q -F 4000 -e cycles:u -o perf.data -- ./cmix 400000 >/dev/null 2>&1) ||
		fail "perf record in the field"
	(cd "$T/field" && HOME="$T/field/home" CARGO_PGO_WRAP_CACHE="$T/field/cache" \
		"$PGOW_BIN" upload --perf perf.data --label mainnet) 2>"$T/up.err" ||
		{ sed 's/^/      | /' "$T/up.err" >&2; fail "upload --perf"; }
	assert_grep 'Uploaded perf samples \([0-9]+ bytes\) to file://.*, label mainnet; perf.data is kept' "$T/up.err" "sent"
	[ -f "$T/field/perf.data" ] || fail "the user's perf.data was removed"
	[ ! -e "$T/field/cache" ] || fail "the field machine got a cache"
	# What is not samples of one of our BOLTed programs is refused, in one line, exit 5.
	local rc=0
	perf record -q -o "$T/other.data" -- /bin/true 2>/dev/null || fail "perf record of another program"
	pgow upload --perf "$T/other.data" 2>"$T/other.err" || rc=$?
	assert_eq 5 "$rc" "another program's samples"
	assert_grep 'refusing .*other.data: perf sampled no program recorded on' "$T/other.err" "why"
	rc=0
	pgow upload --perf "$T/field/cmix" 2>"$T/notperf.err" || rc=$?
	assert_eq 5 "$rc" "not a perf.data"
	assert_grep 'is not a perf.data file' "$T/notperf.err" "why"
	rc=0
	pgow upload --perf "$T/field/perf.data" --weight 2 2>"$T/w.err" || rc=$?
	assert_eq 2 "$rc" "--weight with --perf"

	# The merge host converts them with the BOLTed program it keeps.
	pgow merge --remote --release 2>"$T/merge.err" || { sed 's/^/      | /' "$T/merge.err" >&2; fail "merge --remote"; }
	assert_grep "Converted perf samples of cmix \(BOLTed, build-id $id\) into BOLT's profile of the program it was BOLTed from; no branch stacks" \
		"$T/merge.err" "converted"
	local field
	field=$(ls "$T"/cache/slots/*/bolt/field/*/*.fdata)
	[ "$(printf '%s\n' "$field" | wc -l)" = 1 ] || fail "one field profile expected: $field"
	# BOLT 22 reads no profile that starts with boltedcollection before no_lbr (llvm-project PR 86501).
	head -1 "$field" | grep -q '^no_lbr' || fail "the field profile does not start with no_lbr: $(head -1 "$field")"
	pgow merge --remote --release 2>"$T/again.err" || fail "second merge --remote"
	assert_grep 'no upload from the field waits' "$T/again.err" "converted once"
	# Samples perf2bolt cannot use (the header intact, the records wiped) are set aside once, said,
	# and hold no later merge.
	python3 -c 'import struct,sys; b=bytearray(open(sys.argv[1],"rb").read()); o,n=struct.unpack_from("<QQ",b,40); b[o:o+n]=b"\xff"*n; open(sys.argv[2],"wb").write(b)' \
		"$T/field/perf.data" "$T/field/wiped.data" || fail "setup: wiping the samples"
	(cd "$T/field" && "$PGOW_BIN" upload --perf wiped.data) 2>"$T/upw.err" || { cat "$T/upw.err" >&2; fail "upload wiped"; }
	pgow merge --remote --release 2>"$T/wiped.err" || { sed 's/^/      | /' "$T/wiped.err" >&2; fail "a merge held by bad samples"; }
	assert_grep 'warning: upload [0-9a-f]{12} is set aside \(recorded as merged, not used\): (perf2bolt could not read|the samples hold none of cmix)' \
		"$T/wiped.err" "said"
	pgow merge --remote --release 2>"$T/after.err" || fail "the merge after"
	assert_grep 'no upload from the field waits' "$T/after.err" "set aside once"

	# The next build BOLTs from the field's samples alone; the gate (0.9) then ships
	# the PGO program BOLT was given, so that the samples can be read against it.
	sed -i 's/bolt-min-gain: -0.9/bolt-min-gain: 0.9/; s/^bolt-bat: on$/bolt-bat: on\nbolt-field: instead/' pgo-wrap.yaml
	pgow build --release 2>"$T/b2.err" || { sed 's/^/      | /' "$T/b2.err" >&2; fail "build with the field's samples"; }
	assert_grep "every program has the field's perf samples \(bolt-field: instead\)" "$T/b2.err" "no BOLT training"
	assert_grep "BOLT cmix: the field's perf samples \(1 upload\(s\), sampled addresses\) alone" "$T/b2.err" "used"
	assert_no_grep 'sampling the training' "$T/b2.err" "the training was not sampled"
	assert_grep 'BOLT-INFO: [1-9][0-9]* out of [0-9]+ functions in the binary .* have non-empty execution profile' \
		target/pgo-wrap/bolt/bolt.log "BOLT found the samples in the program"
	is_bolted target/release/cmix && fail "setup: the gate was to discard"
	# The samples are in that program's terms: each function is one of its symbols, each offset inside it
	# (where the symbol has a size: crt's _init has none).
	llvm-nm-"$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')" -S --defined-only target/release/cmix |
		awk 'NF == 4 { print $4, $2 } NF == 3 { print $3, "0" }' >"$T/sizes"
	awk 'function hex(s,  v, i) { v = 0; s = tolower(s); for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
	     NR == FNR { size[$1] = hex($2); next }
	     FNR > 1 { n = $2; sub(/\/.*/, "", n); if (!(n in size) || (size[n] > 0 && hex($3) >= size[n])) { print; bad++ } ok++ }
	     END { exit bad || !ok }' "$T/sizes" "$field" >"$T/outside" ||
		fail "samples outside the program's functions: $(head -3 "$T/outside")"
	grep -q '^1 cmix_score ' "$field" || fail "the hot C function is not in the field profile"

	# What shipped now is the PGO program (the gate discarded BOLT's): its samples are
	# BOLT's profile of it as they are, no translation; they join the first upload's.
	local pgo_id
	pgo_id=$(readelf -n target/release/cmix | sed -n 's/.*Build ID: //p')
	grep -q "^bolted-v1	[0-9a-f]*	cmix	$pgo_id	" "$T/remote/pgow-v1/builds/$pgo_id" ||
		fail "no record of the program shipped as PGO built it"
	cp target/release/cmix "$T/field/cmix"
	(cd "$T/field" && perf record -q -F 4000 -e cycles:u -o pgo.data -- ./cmix 400000 >/dev/null 2>&1) ||
		fail "perf record of the PGO program"
	(cd "$T/field" && "$PGOW_BIN" upload --perf pgo.data) 2>"$T/up2.err" || { cat "$T/up2.err" >&2; fail "upload 2"; }
	pgow merge --remote --release 2>"$T/merge2.err" || { sed 's/^/      | /' "$T/merge2.err" >&2; fail "merge 2"; }
	assert_grep "Converted perf samples of cmix \(as PGO built it, build-id $pgo_id\) into BOLT's profile of it" \
		"$T/merge2.err" "converted without BAT"
	[ "$(ls "$T"/cache/slots/*/bolt/field/"$pgo_id"/*.fdata | wc -l)" = 2 ] ||
		fail "the two uploads' profiles, both of the program BOLT is given"
	sed -i 's/bolt-min-gain: 0.9/bolt-min-gain: -0.9/' pgo-wrap.yaml
	pgow build --release 2>"$T/b3.err" || { sed 's/^/      | /' "$T/b3.err" >&2; fail "build with both"; }
	assert_grep "BOLT cmix: the field's perf samples \(2 upload\(s\), sampled addresses\) alone" "$T/b3.err" "both used"
	assert_grep 'BOLT kept' "$T/b3.err" "BOLTed from the field"
	is_bolted target/release/cmix || fail "the shipped program is not BOLT's"
	same_output_as_plain "BOLTed from the field's samples"
	# A machine still running the first layout: BOLT rewrote the program since, and the
	# cache keeps that layout by its build-id, so its samples still map back.
	(cd "$T/field" && perf record -q -F 4000 -e cycles:u -o v1.data -- ./cmix-v1 300000 >/dev/null 2>&1) ||
		fail "perf record of the first layout"
	(cd "$T/field" && "$PGOW_BIN" upload --perf v1.data) 2>"$T/up3.err" || { cat "$T/up3.err" >&2; fail "upload 3"; }
	pgow merge --remote --release 2>"$T/merge3.err" || { sed 's/^/      | /' "$T/merge3.err" >&2; fail "merge 3"; }
	assert_grep "Converted perf samples of cmix \(BOLTed, build-id $id\)" "$T/merge3.err" "the first layout's"
	# Another build of the program: samples are addresses, and serve only the build they were taken on.
	sed -i 's/println!("{total:016x}");/println!("{total:016x}");\n    std::hint::black_box(total);/' src/main.rs
	pgow build --release 2>"$T/b4.err" || { sed 's/^/      | /' "$T/b4.err" >&2; fail "build of changed code"; }
	assert_grep "note: 3 upload\(s\) of the field's samples of cmix were taken on another build of it" "$T/b4.err" \
		"the old samples are not used"
	assert_no_grep "BOLT cmix: the field's perf samples" "$T/b4.err" "not used"
	pgow status >"$T/status.txt"
	assert_grep "^  BOLT field  cmix: 3 upload\(s\) of perf samples, for build ${pgo_id:0:12}" "$T/status.txt" \
		"status shows the field's samples"
	[ "$(grep -c ' cmix: kept\| cmix: discarded' "$T/status.txt")" = 1 ] || fail "status: one verdict per program"
	# A merge host that did not ship the program leaves the upload on the remote for the one that did.
	cp "$T/field/cmix" "$T/field/cmix-v2"
	(cd "$T/field" && perf record -q -F 4000 -e cycles:u -o v2.data -- ./cmix-v2 200000 >/dev/null 2>&1) ||
		fail "perf record, v2"
	(cd "$T/field" && "$PGOW_BIN" upload --perf v2.data) 2>"$T/up4.err" || { cat "$T/up4.err" >&2; fail "upload 4"; }
	rc=0
	CARGO_PGO_WRAP_CACHE="$T/other-cache" pgow merge --remote --release 2>"$T/host2.err" || rc=$?
	assert_eq 0 "$rc" "a merge host without the program"
	assert_grep 'note: 1 upload\(s\) of perf samples are of programs this host did not ship .*: they stay on file://' \
		"$T/host2.err" "said"
	assert_no_grep 'no upload from the field waits' "$T/host2.err" "no contradiction"
	# and the host that shipped it converts it.
	pgow merge --remote --release 2>"$T/host1.err" || { sed 's/^/      | /' "$T/host1.err" >&2; fail "merge on the host"; }
	assert_grep 'Converted perf samples of cmix' "$T/host1.err" "converted where it shipped"
}
