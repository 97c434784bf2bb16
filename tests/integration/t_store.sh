# t_store.sh - the store under conditions a build machine meets: unusable or
# read-only caches, a toolchain that is not rustup's proxy, planted links, and
# inputs that are not what they claim (issue 19).

# A toolchain's own bin/ first on PATH (no rustup proxy), with an unusable
# cache: one line and exit 3 from every command, never a crash (was exit 139:
# rustc's identity failed on the cache, the host came back empty, and
# xstrdup(NULL) followed).
test_store_unusable_cache_with_a_plain_rustc_is_one_line() {
	setup_ws
	unset RUSTC_WRAPPER
	local cmd rc kind
	export PATH="$(rustc --print sysroot)/bin:$PATH"
	for kind in world-writable symlink; do
		rm -rf "$T/cache" "$T/real"
		case $kind in
		world-writable) mkdir -p "$T/cache" && chmod 0777 "$T/cache" ;;
		symlink) mkdir -p "$T/real" && chmod 0700 "$T/real" && ln -s "$T/real" "$T/cache" ;;
		esac
		for cmd in build instrument train doctor status; do
			rc=0
			pgow $cmd >"$T/out" 2>"$T/err" || rc=$?
			assert_eq 3 "$rc" "$cmd with a $kind cache"
			if [ "$cmd" = doctor ]; then # its report is its output
				assert_grep "^FAIL  cache +$T/cache" "$T/out" "doctor names the cache"
			else
				assert_grep "$T/cache" "$T/err" "$cmd names the cache"
				assert_eq 1 "$(wc -l <"$T/err")" "$cmd: one line with a $kind cache"
			fi
		done
	done
}

# pgo-wrap.yaml as a FIFO, or --pgo-config on a link to /dev/zero: refused at
# once (was: build, status and doctor hung on the FIFO forever, and /dev/zero
# was read to 1.1 GB before the 16 MiB limit was checked).
test_store_config_that_is_not_a_file() {
	setup_ws
	unset RUSTC_WRAPPER
	mkfifo pgo-wrap.yaml
	local rc=0
	timeout 60 "$PGOW_BIN" build --release >"$T/out" 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "build with a FIFO for pgo-wrap.yaml"
	assert_grep "^cargo-pgo-wrap: error: $T/ws/pgo-wrap.yaml: not a regular file" "$T/err" "says what it is"
	assert_eq 1 "$(wc -l <"$T/err")" "one line"
	for cmd in status doctor; do
		rc=0
		timeout 60 "$PGOW_BIN" $cmd >"$T/out" 2>"$T/err" || rc=$?
		[ $rc != 124 ] || fail "$cmd hung on a FIFO"
		cat "$T/out" "$T/err" >"$T/both"
		assert_grep "pgo-wrap.yaml: not a regular file" "$T/both" "$cmd names it"
	done
	rm pgo-wrap.yaml
	ln -s /dev/zero "$T/zero.yaml"
	rc=0
	timeout 60 "$PGOW_BIN" build --release --pgo-config "$T/zero.yaml" >"$T/out" 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "--pgo-config on /dev/zero"
	assert_grep "zero.yaml: not a regular file" "$T/err" "refused, not read"
}

# Two builds of one workspace at once: the second says it waits for the first
# (as cargo does) and each merges only its own training (was: one merged the
# other's run under its label, the other failed on a vanished .profraw, exit 5).
test_store_two_builds_of_one_workspace_take_turns() {
	build_setup
	# The first build's training holds it in the cycle long enough for the second to start.
	cat >pgo-wrap.yaml <<YAML
stale-policy: refresh
training:
  - name: slow
    shell: "touch $T/training-started; sleep 4; {bin:fixbin} 3000"
YAML
	pgow build --release >"$T/a.out" 2>"$T/a.err" &
	local a=$! waited=0
	while [ ! -e "$T/training-started" ] && [ $waited -lt 600 ]; do
		sleep 0.2
		waited=$((waited + 1))
	done
	[ -e "$T/training-started" ] || fail "the first build never trained: $(tail -3 "$T/a.err")"
	pgow build --release >"$T/b.out" 2>"$T/b.err" || fail "second build: $(tail -3 "$T/b.err")"
	wait $a || fail "first build: $(tail -3 "$T/a.err")"
	assert_grep "Blocking waiting for file lock on $T/ws/target/pgo-wrap/lock" "$T/b.err" "the second waits, and says so"
	assert_grep 'Merged 1 raw profile\(s\) into' "$T/a.err" "the first merged its own run only"
	assert_grep 'Fresh profile [0-9a-f]{12}' "$T/b.err" "the second found the first's profile fresh"
	assert_no_grep 'Training' "$T/b.err" "and trained nothing"
	# A link planted where the lock goes is refused, never followed.
	rm target/pgo-wrap/lock
	ln -s "$T/elsewhere" target/pgo-wrap/lock
	local rc=0
	pgow build --release >"$T/c.out" 2>"$T/c.err" || rc=$?
	assert_eq 1 "$rc" "a planted lock link"
	assert_grep 'lock: .*a symbolic link; remove it' "$T/c.err" "says what to do"
	[ ! -e "$T/elsewhere" ] || fail "the link was followed"
}

# More than 256 inputs go through llvm-profdata's --input-files list, a name
# per line: a file named "zz<newline>1000000,injected.profraw" would have added
# another program's records with weight 10^6. It is refused by name; and a raw
# file that names 65,000 build-ids is routed in linear time (one hashed lookup
# per id; was a scan of every id seen so far: 11 s for one file, 89 s for three).
test_store_merge_inputs_that_are_not_what_they_seem() {
	setup_ws
	instrument_and_train
	local one i
	one=$(ls "$T"/raw/*.profraw | head -n 1)
	mkdir -p "$T/many"
	for i in $(seq 300); do cp "$one" "$T/many/p$i.profraw"; done
	foreign_profile "$T/foreign"
	cp "$T"/foreign/*.profraw "$T/many/zz
1000000,injected.profraw"
	python3 - "$one" "$T/many" <<'PY'
import struct, sys
raw = open(sys.argv[1], 'rb').read()
head = bytearray(raw[:128])              # format 10: 16 header words
n = 65000
ids = b''.join(struct.pack('<Q', 8) + struct.pack('<Q', i + 1) for i in range(n))
head[16:24] = struct.pack('<Q', len(ids))
for k in range(3):
    open(f'{sys.argv[2]}/ids{k}.profraw', 'wb').write(bytes(head) + ids + raw[128:])
PY
	local start=$SECONDS
	pgow merge "$T/many" 2>"$T/err" || fail "merge: $(tail -3 "$T/err")"
	[ $((SECONDS - start)) -lt 60 ] || fail "65,000 build-ids took $((SECONDS - start)) s"
	assert_grep "skipping $T/many/zz\\.\\.\\.: its name holds a newline or another control character; rename it" "$T/err" "the name is refused"
	assert_grep 'Merged 300 raw profile\(s\) \(4 skipped\) into' "$T/err" "the others merged"
	assert_grep '^raw-files: 300$' "$(ls "$T"/cache/slots/*/profiles/*.yaml)" "and only they"
	assert_eq 3 "$(grep -c 'ids[0-9].profraw: written by a binary that no build in this cache produced' "$T/err")" "the id-stuffed files are skipped"
	# llvm-profdata's list trims each line: a name ending in a space would read as another file.
	cp "$one" "$T/space.profraw "
	local rc=0
	pgow merge --strict "$T/space.profraw " 2>"$T/err" || rc=$?
	assert_eq 5 "$rc" "a name ending in a space, under --strict"
	assert_grep "'$T/space.profraw ': its name ends in a space, which llvm-profdata's list of inputs drops; rename it" \
		"$T/err" "is refused, with the fix"
}

# --foreign checks every input for counts in the slot's units, in add mode too
# (was: the check ran on the merged result, so another program's profile added
# to the current one passed: "Added 1 raw profile(s) ... 2 of 2 units have counts", exit 0).
test_store_foreign_inputs_each_need_counts() {
	setup_ws
	instrument_and_train
	pgow merge "$T/raw" 2>/dev/null || fail "first merge"
	local id before rc=0
	id=$(ls "$T/cache/slots")
	before=$(cat "$T"/cache/slots/*/CURRENT)
	foreign_profile "$T/foreign"
	pgow merge --foreign --slot "$id" "$T/foreign" 2>"$T/err" || rc=$?
	assert_eq 5 "$rc" "another program's profile added to the current one"
	assert_grep "merge: $T/foreign/.*\\.profraw gives no counts to any of the 2 crates of slot" "$T/err" "names the input"
	assert_eq "$before" "$(cat "$T"/cache/slots/*/CURRENT)" "the current profile stays"
	# With a good input beside it, in one replacing merge: still refused, by name.
	rc=0
	pgow merge --foreign --slot "$id" --replace "$T/raw" "$T/foreign" 2>"$T/err" || rc=$?
	assert_eq 5 "$rc" "a good input does not carry a foreign one"
	assert_grep "merge: $T/foreign/.*\\.profraw gives no counts" "$T/err" "names the foreign one"
	assert_eq "$before" "$(cat "$T"/cache/slots/*/CURRENT)" "unchanged"
	[ -z "$(ls -d "$T"/cache/slots/*/merge.* 2>/dev/null)" ] || fail "a refused merge left its temp dir"
	# Its own profiles alone, named --foreign, still merge.
	pgow merge --foreign --slot "$id" --replace "$T/raw" 2>"$T/err" || fail "own profiles, --foreign: $(tail -2 "$T/err")"
}

# A raw file of an older LLVM (clang-14's raw format 8) under --foreign is
# read by llvm-profdata-14, which is installed, and then checked like any
# other: here it is a C program's, so it is refused by name, in one line
# (was: llvm-profdata-22 chosen, its three lines on the terminal, then
# "cannot read X(null)").
may_skip test_store_foreign_raw_of_an_older_llvm "needs clang-14 and llvm-profdata-14 (tests/deps.sh installs them)"
test_store_foreign_raw_of_an_older_llvm() {
	command -v clang-14 >/dev/null && command -v llvm-profdata-14 >/dev/null || skip "no clang-14 or llvm-profdata-14"
	setup_ws
	instrument_and_train
	pgow merge "$T/raw" 2>/dev/null || fail "first merge"
	mkdir -p "$T/c"
	printf 'int main(int c, char **v) { int s = 0; for (int i = 0; i < 1000 * c; i++) s += i %% 7; return s & 1; }\n' >"$T/c/p.c"
	clang-14 -O1 -fprofile-instr-generate "$T/c/p.c" -o "$T/c/p" || fail "setup: clang-14"
	LLVM_PROFILE_FILE="$T/c/p.profraw" "$T/c/p" || true
	local rc=0
	pgow merge --foreign --slot "$(ls "$T/cache/slots")" "$T/c/p.profraw" 2>"$T/err" || rc=$?
	assert_eq 5 "$rc" "exit code"
	assert_grep "^ +Reading $T/c/p.profraw with .*llvm-profdata-14: raw format 8" "$T/err" "read by LLVM 14's llvm-profdata"
	assert_grep "^cargo-pgo-wrap: error: merge: $T/c/p.profraw gives no counts to any of the 2 crates" "$T/err" \
		"then refused by its own name"
	assert_eq 2 "$(wc -l <"$T/err")" "and nothing else"
}

# Links planted where the store and the target dir keep things are never
# followed: <slot>/stamps (merge rewrote, by rename, every file of the link's
# target with a newline before its first NUL, and status listed them as build
# dirs), target/pgo-wrap/instrumented (cargo built into the link's target and
# the training ran programs from there), and a slot's lock (wrappers went on
# without any lock).
test_store_planted_links_are_not_followed() {
	build_setup
	pgow build --release 2>"$T/err" || fail "first cycle: $(tail -3 "$T/err")"
	pgow instrument --release 2>"$T/err" || fail "instrument: $(tail -3 "$T/err")"
	target/release/fixbin 100 >/dev/null
	local slot outside rc
	slot=$(ls -d "$T"/cache/slots/*)
	outside="$T/outside"
	mkdir -p "$outside"
	printf 'use /etc\n%s/victim-dir\n' "$T" >"$outside/victim"
	chmod 0644 "$outside/victim"
	cp "$outside/victim" "$T/victim.before"
	rm -rf "$slot/stamps"
	ln -s "$outside" "$slot/stamps"
	# Storing a profile retargets the slot's stamps: none behind the link.
	pgow merge "$(dirname "$(find target/pgo-wrap/raw -name "*.profraw" | head -n 1)")" 2>"$T/err" || fail "merge: $(tail -3 "$T/err")"
	cmp -s "$T/victim.before" "$outside/victim" || fail "a file behind the planted stamps link was rewritten"
	assert_eq 644 "$(stat -c %a "$outside/victim")" "and its mode kept"
	pgow status >"$T/status.txt" 2>&1 || true
	assert_no_grep "victim-dir" "$T/status.txt" "status lists no build dir from behind the link"
	# A wrapped build refuses the link (exit 3) rather than write a stamp through it.
	rc=0
	RUSTC_WRAPPER="$PGOW_BIN" CARGO_PGO_WRAP_WORKSPACE="$T/ws/target" cargo build --release >"$T/out" 2>"$T/err" || rc=$?
	[ $rc != 0 ] || fail "a wrapped build wrote through the planted stamps link"
	assert_grep "$slot/stamps" "$T/err" "names the link"
	cmp -s "$T/victim.before" "$outside/victim" || fail "the build wrote behind the link"
	rm "$slot/stamps"
	# target/pgo-wrap/instrumented as a link: refused before cargo runs.
	rm -rf target/pgo-wrap/instrumented
	mkdir -p "$T/elsewhere"
	ln -s "$T/elsewhere" target/pgo-wrap/instrumented
	echo 'pub fn planted() -> u32 { 7 }' >>fixlib/src/lib.rs
	POLICY=refresh write_training
	rc=0
	pgow build --release >"$T/out" 2>"$T/err" || rc=$?
	assert_eq 1 "$rc" "a planted instrumented link"
	assert_grep "instrumented" "$T/err" "names it"
	[ -z "$(ls -A "$T/elsewhere")" ] || fail "cargo built behind the link"
	rm target/pgo-wrap/instrumented
	# A slot's lock as a link: the wrapper stops (exit 3) instead of going on without a lease.
	local lock="$T/cache/locks/$(basename "$slot")"
	[ -f "$lock" ] || fail "no lock at $lock"
	rm -f "$lock"
	ln -s "$T/elsewhere/lock" "$lock"
	rc=0
	RUSTC_WRAPPER="$PGOW_BIN" CARGO_PGO_WRAP_WORKSPACE="$T/ws/target" cargo build --release >"$T/out" 2>"$T/err" || rc=$?
	[ $rc != 0 ] || fail "a build went on with a planted lock link"
	assert_grep "$lock: .*a symbolic link; remove it" "$T/err" "names the lock"
	[ ! -e "$T/elsewhere/lock" ] || fail "the lock link was followed"
}

# gc during a build leaves the slot the build uses (the build leases it from
# planning to verification): the build ships with its profile and says so
# (was: gc removed the profile, the build printed "Optimizing ... with the
# cached profile", then exited 0 with every unit plain). A profile removed
# another way (by hand) while the build runs is exit 8, never a silent plain
# build.
test_store_gc_during_a_build_is_not_a_silent_plain_build() {
	build_setup
	pgow build --release 2>"$T/err" || fail "first cycle: $(tail -3 "$T/err")"
	# gc runs when fixbin's build script is compiled: no unit of the slot is compiling
	# then (build scripts are not given the profile), so only the build's lease keeps it.
	mkdir -p "$T/bin"
	cat >"$T/bin/gc-at-build-script" <<SH
#!/bin/sh
case "\$*" in *"--crate-name build_script_build"*) "$PGOW_BIN" gc --max-size 1 >"$T/hook.out" 2>&1 ;; esac
exec "\$@"
SH
	chmod +x "$T/bin/gc-at-build-script"
	touch fixbin/build.rs
	local rc=0
	CARGO_PGO_WRAP_NEXT="$T/bin/gc-at-build-script" pgow build --release >"$T/out" 2>"$T/err" || rc=$?
	assert_grep '^left slot [0-9a-f]{12}: a build is using it' "$T/hook.out" "gc ran and left the slot in use"
	assert_eq 0 "$rc" "the build, its slot left alone"
	assert_grep 'PGO 2 unit\(s\) .* carry profile' "$T/err" "and it shipped with the profile"
	pgow gc --max-size 1 >"$T/gc2.out" 2>&1 || fail "gc after the build"
	assert_grep '^removed slot' "$T/gc2.out" "the next gc, no build running, removes it"
	pgow build --release 2>"$T/err" || fail "cycle again: $(tail -3 "$T/err")"
	# Removed after the last unit compiled, before verification.
	cat >"$T/bin/rm-after-fixbin" <<SH
#!/bin/sh
"\$@" || exit
case "\$*" in *"--crate-name fixbin"*profile-use*) rm -rf "$T/cache/slots" ;; esac
SH
	chmod +x "$T/bin/rm-after-fixbin"
	touch fixlib/src/lib.rs
	rc=0
	CARGO_PGO_WRAP_NEXT="$T/bin/rm-after-fixbin" pgow build --release >"$T/out" 2>"$T/err" || rc=$?
	assert_eq 8 "$rc" "a build that planned PGO and shipped plain units"
	assert_grep 'built without the profile this build planned to use: it was removed while the build ran' "$T/err" "says why"
}

# A raw file whose header is good and whose body is not: named with what
# llvm-profdata found, exit 5, nothing stored (was: its 59-line stack dump on
# the terminal). An input that cannot be read is named as such (was "skipping
# cannot read X"), and merge into an unusable cache is exit 3 at once (was a
# warning per file, then exit 5).
test_store_merge_errors_are_one_line() {
	setup_ws
	instrument_and_train
	local one rc=0
	one=$(ls "$T"/raw/*.profraw | head -n 1)
	mkdir -p "$T/bad"
	python3 - "$one" "$T/bad/corrupt.profraw" <<'PY'
import sys
raw = bytearray(open(sys.argv[1], 'rb').read())
for i in range(200, len(raw)):
    raw[i] = 0xff
open(sys.argv[2], 'wb').write(bytes(raw))
PY
	pgow merge "$T/bad" >"$T/out" 2>"$T/err" || rc=$?
	assert_eq 5 "$rc" "a corrupt body"
	assert_no_grep 'Stack dump|PLEASE submit|#[0-9]+ 0x' "$T/err" "no stack dump"
	[ "$(wc -l <"$T/err")" -le 2 ] || fail "more than two lines: $(cat "$T/err")"
	assert_grep "warning: skipping $T/bad/corrupt.profraw: llvm-profdata cannot read it \\(.+\\)$" "$T/err" \
		"says which file llvm-profdata could not read, and what it found"
	assert_grep 'error: merge: none of the files could be merged' "$T/err" "and that nothing was left"
	[ -z "$(ls "$T"/cache/slots/*/profiles 2>/dev/null)" ] || fail "something was stored"
	chmod 000 "$T/raw"/*.profraw
	rc=0
	pgow merge --strict "$T/raw" >"$T/out" 2>"$T/err" || rc=$?
	chmod 644 "$T/raw"/*.profraw
	if [ "$(id -u)" != 0 ]; then # root reads a 000 file
		assert_grep ": cannot read it: Permission denied" "$T/err" "names the file, then why"
	fi
	assert_no_grep 'skipping cannot' "$T/err" "reads as a sentence"
	mkdir -p "$T/badcache"
	chmod 0777 "$T/badcache"
	rc=0
	CARGO_PGO_WRAP_CACHE="$T/badcache" pgow merge "$T/raw" >"$T/out" 2>"$T/err" || rc=$?
	assert_eq 3 "$rc" "an unusable cache"
	assert_eq 1 "$(wc -l <"$T/err")" "one line"
}

# CARGO_PGO_WRAP_MODE under `build`: off is a plain build, said once, with exit
# 0; generate or use (the wrapper's overrides) are refused with the fix (was:
# ignored without a word).
test_store_build_says_what_mode_does() {
	build_setup
	local rc=0
	CARGO_PGO_WRAP_MODE=off pgow build --release >"$T/out" 2>"$T/err" || fail "MODE=off: $(tail -3 "$T/err")"
	assert_grep 'note: building without PGO \(CARGO_PGO_WRAP_MODE=off\)' "$T/err" "said once"
	assert_grep 'note: NO unit of .* PGO was not applied, as asked' "$T/err" "the summary says it was asked for"
	assert_no_grep 'Training|Merging' "$T/err" "nothing collected"
	CARGO_PGO_WRAP_MODE=use CARGO_PGO_WRAP_PROFILE=/x pgow build --release >"$T/out" 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "MODE=use under build"
	assert_grep 'CARGO_PGO_WRAP_MODE=use is for RUSTC_WRAPPER builds' "$T/err" "says why"
}

# A raw file past CARGO_PGO_WRAP_MAX_INPUT (default 1G) is skipped at once by
# its size (was: a file truncated up to 3 GB was hashed and merged in full, 111 s).
test_store_huge_inputs_are_refused_by_size() {
	setup_ws
	instrument_and_train
	local one start
	one=$(ls "$T"/raw/*.profraw | head -n 1)
	mkdir -p "$T/huge"
	cp "$one" "$T/huge/big.profraw"
	truncate -s 3G "$T/huge/big.profraw"
	start=$SECONDS
	local rc=0
	pgow merge --strict "$T/huge" >"$T/out" 2>"$T/err" || rc=$?
	assert_eq 5 "$rc" "--strict: a skipped input fails"
	assert_grep "big.profraw: 3221225472 bytes, more than CARGO_PGO_WRAP_MAX_INPUT allows \(1073741824\)" "$T/err" "says why"
	[ $((SECONDS - start)) -lt 20 ] || fail "took $((SECONDS - start)) s: it read the file"
	# Raised, the limit lets a real profile through.
	CARGO_PGO_WRAP_MAX_INPUT=10K pgow merge "$T/raw" 2>"$T/err" || fail "a small profile under a 10K limit: $(tail -2 "$T/err")"
}

# gc removes a slot under the slot's lock, which lives outside the slot
# (<cache>/locks/<id>): a wrapper starting meanwhile waits for it, then finds
# the slot gone and says so. Was: the lock was inside the slot, so a wrapper
# made a new one during the delete, locked it at once and read a half-deleted
# slot ("cached profile is unusable (... .crates is missing)").
test_store_a_slot_being_removed_is_waited_for() {
	build_setup
	pgow build --release 2>"$T/err" || fail "first cycle: $(tail -3 "$T/err")"
	local slot id
	slot=$(ls -d "$T"/cache/slots/*)
	id=$(basename "$slot")
	# A stand-in for gc: the exclusive lock (where it is, and where it was), the
	# slot half-deleted, then gone.
	mkdir -p "$T/cache/locks"
	(
		flock -x 8
		flock -x 9
		rm -f "$slot"/profiles/*.crates "$slot/lock"
		touch "$T/gc-holds-it"
		sleep 3
		rm -rf "$slot"
	) 8>"$T/cache/locks/$id" 9>"$slot/lock" &
	local gc=$!
	while [ ! -e "$T/gc-holds-it" ]; do sleep 0.1; done
	touch fixlib/src/lib.rs
	RUSTC_WRAPPER="$PGOW_BIN" cargo build --release >"$T/out" 2>"$T/err" || fail "build: $(tail -3 "$T/err")"
	wait $gc
	assert_no_grep 'unusable|is missing' "$T/err" "no half-deleted slot was read"
	assert_grep 'no profile for this build configuration yet' "$T/err" "the slot was gone once gc finished"
	[ -d "$slot" ] || fail "the slot was not made again"
}

# A build script's generated source (fixbin includes OUT_DIR/gen.rs) is keyed by
# its content, not by where a target dir put it: cargo clean or cargo-pgo-wrap
# clean leave a fresh profile fresh (was: "Stale ... fixbin (changed)", and
# under refresh the whole cycle reran, adding the training to itself). A real
# change of what it generates is still found, once the build reveals it.
test_store_generated_sources_after_clean() {
	build_setup
	POLICY=refresh write_training
	pgow build --release 2>"$T/err" || fail "first cycle: $(tail -3 "$T/err")"
	local key
	key=$(sed -n 's/.*carry profile \([0-9a-f]*\).*/\1/p' "$T/err")
	cargo clean 2>/dev/null
	pgow build --release 2>"$T/err" || fail "after cargo clean: $(tail -3 "$T/err")"
	assert_grep "Fresh profile $key" "$T/err" "fresh after cargo clean"
	assert_no_grep 'Stale|Training|Merg' "$T/err" "nothing refreshed"
	pgow clean >/dev/null
	pgow build --release 2>"$T/err" || fail "after clean: $(tail -3 "$T/err")"
	assert_grep "Fresh profile $key" "$T/err" "fresh after cargo-pgo-wrap clean"
	# What the build script generates changes: found after the build, and refreshed.
	sed -i 's/let rounds: u32 = 3;/let rounds: u32 = 4;/' fixbin/build.rs
	cargo clean 2>/dev/null
	pgow build --release 2>"$T/err" || fail "after a generator change: $(tail -3 "$T/err")"
	assert_grep 'Stale.*fixbin' "$T/err" "the changed generated source makes fixbin stale"
}

# The store under a build machine's load for 45 s (tests/stress/stress.sh;
# `make stress` runs it for 10 minutes): `build` cycles of two workspaces
# sharing a cache, one from two target dirs; RUSTC_WRAPPER builds; gc
# --max-size 40K every 1.5 s; merges killed at random. Every build exits 0
# with PGO (or 8 with its line), ships a program that is not instrumented and
# is the quiet build's with the profile it names (was: gc removed slots under
# builds: merges failed, exit 3, and a split of a half-removed slot built
# another program than its profile gives).
slow test_store_stress_builds_gc_and_kills 80
test_store_stress_builds_gc_and_kills() {
	STRESS_DIR="$T/stress" bash "$ROOT/tests/stress/stress.sh" 45 >"$T/out" 2>&1 ||
		{ tail -n 12 "$T/out" >&2; fail "the stress found violations"; }
	assert_grep '0 violation\(s\)' "$T/out" "no violation"
}

# A tab in the workspace's path: one line and exit 2 before anything is built
# (was: a rebuild of every unit, each warning it could not record its key,
# then exit 8). Marks, stamps and records are tab- and line-separated.
test_store_tab_in_workspace_path_is_one_line() {
	cp -r "$FIXTURES/ws" "$T/tab	ws"
	export CARGO_PGO_WRAP_CACHE="$T/cache"
	unset RUSTC_WRAPPER CARGO_PGO_WRAP_WORKSPACE
	cd "$T/tab	ws" || fail "cannot enter it"
	printf 'training:\n  - run: ["{bin:fixbin}", "1000"]\n' >pgo-wrap.yaml
	local rc=0
	pgow build --release >"$T/out" 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "exit code"
	assert_grep '^cargo-pgo-wrap: error: the workspace path .*/tab\.\.\. holds a tab; .*move it to a path without one$' \
		"$T/err" "names the path and the fix"
	assert_eq 1 "$(wc -l <"$T/err")" "one line"
	[ ! -e target ] || fail "something was built"
}

# A slot another user owns: status names the problem (was: shown as usable,
# while every wrapped build of it stopped with exit 3).
may_skip test_store_status_names_a_slot_of_another_user "needs root to chown a slot to another uid"
test_store_status_names_a_slot_of_another_user() {
	[ "$(id -u)" = 0 ] || skip "not root: cannot give a slot to another user"
	build_setup
	pgow build --release 2>"$T/err" || fail "cycle: $(tail -3 "$T/err")"
	local slot
	slot=$(ls -d "$T"/cache/slots/*)
	chown -R 65534 "$slot"
	pgow status >"$T/status.txt" 2>&1 || fail "status"
	assert_grep "^  problem     $slot is owned by uid 65534, not by you .*exit 3 until it is removed or fixed" \
		"$T/status.txt" "status names the owner and what builds do"
	pgow status --format yaml >"$T/status.yaml" || fail "status yaml"
	assert_grep '^  problem: .*owned by uid 65534' "$T/status.yaml" "and so does its YAML"
}

# A link planted at each directory of the store and of target/pgo-wrap, the
# list taken from the tree a full cycle leaves (so a new path cannot be
# forgotten), pointing at a dir outside: a merge, a wrapped build, gc, status
# and a front-end build may refuse it, but never write, rename or delete
# anything behind it.
slow test_store_no_link_followed_at_any_path 90
test_store_no_link_followed_at_any_path() {
	build_setup
	pgow build --release 2>"$T/err" || fail "first cycle: $(tail -3 "$T/err")"
	mkdir -p "$T/rawkeep"
	LLVM_PROFILE_FILE="$T/rawkeep/r.profraw" target/pgo-wrap/instrumented/release/fixbin 200 >/dev/null
	cp -a "$T/cache" "$T/cache.pristine"
	cp -a target "$T/target.pristine"
	local paths=() p n=0 rc
	while IFS= read -r p; do paths+=("$p"); done < <(
		cd "$T" && find cache -mindepth 1 -type d; cd "$T/ws" && find target/pgo-wrap -mindepth 1 -type d)
	[ "${#paths[@]}" -ge 15 ] || fail "setup: only ${#paths[@]} dirs found"
	for p in "${paths[@]}"; do
		rm -rf "$T/cache" "$T/ws/target" "$T/outside"
		cp -a "$T/cache.pristine" "$T/cache"
		cp -a "$T/target.pristine" "$T/ws/target"
		case $p in cache/*) p="$T/$p" ;; *) p="$T/ws/$p" ;; esac
		[ -d "$p" ] || continue # inside one planted before
		mkdir -p "$T/outside/sub"
		echo keep >"$T/outside/file"
		echo keep >"$T/outside/sub/file"
		chmod 0755 "$T/outside"
		find "$T/outside" -printf '%p %m %s\n' | sort >"$T/outside.before"
		rm -rf "$p"
		ln -s "$T/outside" "$p"
		echo "// $n" >>fixlib/src/lib.rs
		pgow merge "$T/rawkeep" >/dev/null 2>&1 || true
		RUSTC_WRAPPER="$PGOW_BIN" cargo build --release >/dev/null 2>&1 || true
		pgow status >/dev/null 2>&1 || true
		pgow gc --max-size 1 >/dev/null 2>&1 || true
		POLICY=refresh write_training
		pgow build --release >/dev/null 2>&1 || true
		find "$T/outside" -printf '%p %m %s\n' | sort >"$T/outside.after"
		cmp -s "$T/outside.before" "$T/outside.after" ||
			fail "behind a link at ${p#"$T"/}: $(diff "$T/outside.before" "$T/outside.after" | head -5)"
		n=$((n + 1))
	done
	echo "      links planted at $n dirs" >&2
}
