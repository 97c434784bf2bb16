# t_gc.sh - cache garbage collection on a hand-built cache.

# make_slot NAME AGE_DAYS: a slot whose 1 MiB current profile was stored AGE_DAYS ago,
# plus a superseded profile and an old temp file left by a killed process.
make_slot() {
	local s="$CARGO_PGO_WRAP_CACHE/slots/$1" key
	key=$(printf '%032d' "$2")
	mkdir -p "$s/profiles" && chmod 700 "$CARGO_PGO_WRAP_CACHE" "$CARGO_PGO_WRAP_CACHE/slots" "$s"
	head -c 1048576 /dev/zero >"$s/profiles/$key.profdata"
	echo "content-key: $key" >"$s/profiles/$key.yaml"
	head -c 4096 /dev/zero >"$s/profiles/ffffffffffffffffffffffffffffffff.profdata"
	touch -d '7 hours ago' "$s/profiles/ffffffffffffffffffffffffffffffff.profdata"
	# Superseded a minute ago: a build that started before may still read it.
	head -c 4096 /dev/zero >"$s/profiles/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee.profdata"
	mkdir -p "$s/merge.AbC123" && touch -d '2 hours ago' "$s/merge.AbC123"
	printf '%s' "$key" >"$s/CURRENT"
	touch -d "$2 days ago" "$s/CURRENT"
	head -c 1000 /dev/zero >"$s/CURRENT.tmp.123.0"
	touch -d '2 hours ago' "$s/CURRENT.tmp.123.0"
	head -c 1000 /dev/zero >"$s/CURRENT.tmp.456.0"   # a store in flight right now
}

test_gc_prunes_then_evicts_least_recently_stored() {
	export CARGO_PGO_WRAP_CACHE="$T/cache"
	make_slot old 3
	make_slot mid 2
	make_slot new 1
	pgow gc --max-size 10G >"$T/out"
	for s in old mid new; do
		[ ! -e "$T/cache/slots/$s/profiles/ffffffffffffffffffffffffffffffff.profdata" ] || fail "$s: superseded profile kept"
		[ -e "$T/cache/slots/$s/profiles/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee.profdata" ] ||
			fail "$s: a profile superseded within the grace period was removed (a running build may read it)"
		[ ! -e "$T/cache/slots/$s/merge.AbC123" ] || fail "$s: a killed merge's temp dir kept"
		[ -e "$T/cache/slots/$s/CURRENT" ] || fail "$s: current profile lost under the cap"
		[ ! -e "$T/cache/slots/$s/CURRENT.tmp.123.0" ] || fail "$s: stale temp file kept"
		[ -e "$T/cache/slots/$s/CURRENT.tmp.456.0" ] || fail "$s: a fresh temp file (store in flight) removed"
	done
	assert_grep '^freed [0-9.]+ KiB \(0 slot\(s\)\)' "$T/out" "summary"
	assert_grep "^removed $T/cache/slots/old/profiles/ffffffffffffffffffffffffffffffff.profdata \\(superseded" "$T/out" \
		"each removed file is listed"

	pgow gc --max-size 1.5M --dry-run >"$T/out"
	assert_grep '^would remove slot old ' "$T/out" "dry run names the oldest"
	local would
	would=$(grep -c '^would remove slot' "$T/out")
	[ -d "$T/cache/slots/old" ] || fail "dry run removed something"

	pgow gc --max-size 1.5M >"$T/out"
	assert_eq "$would" "$(grep -c '^removed slot' "$T/out")" "the dry run named as many slots as gc removes"
	assert_grep '^removed slot old ' "$T/out" "oldest evicted"
	assert_grep '^removed slot mid ' "$T/out" "next oldest evicted"
	assert_no_grep 'slot new' "$T/out" "newest kept"
	[ ! -d "$T/cache/slots/old" ] && [ ! -d "$T/cache/slots/mid" ] && [ -d "$T/cache/slots/new" ] ||
		fail "wrong slots left: $(ls "$T/cache/slots")"
	assert_no_grep 'cannot be reached' "$T/out" "a reachable cap says nothing more"
	# A cap below what is not slots: said, not silently missed.
	head -c 4096 /dev/zero >"$T/cache/journal.log"
	pgow gc --max-size 1K --dry-run >"$T/out"
	assert_grep '^note: the cap cannot be reached: what is left is not slots gc removes' "$T/out" "unreachable cap"

	local rc=0
	pgow gc --max-size lots 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "bad size exit code"
	assert_grep "gc: size 'lots' is not a size; write e.g. 500M or 2G" "$T/err" "bad size"
}

test_gc_never_follows_planted_symlinks() {
	export CARGO_PGO_WRAP_CACHE="$T/cache"
	make_slot real 3
	mkdir -p "$T/victim/profiles" && echo precious >"$T/victim/profiles/00000000000000000000000000000009.profdata"
	touch -d '2 days ago' "$T/victim/profiles/00000000000000000000000000000009.profdata"
	ln -s "$T/victim" "$T/cache/slots/planted"
	local rc=0
	pgow gc --max-size 1 >"$T/out" 2>"$T/err" || rc=$?
	assert_eq 0 "$rc" "gc warns about a planted link, leaves it alone and goes on"
	assert_eq precious "$(cat "$T/victim/profiles/00000000000000000000000000000009.profdata")" "nothing outside removed"
	assert_grep 'planted is a symlink; refusing to follow it' "$T/err" "the link is named"
	# A symlinked slots dir is refused as a whole.
	rm -rf "$T/cache/slots" && mkdir -p "$T/victim2/x/profiles"
	echo precious >"$T/victim2/x/profiles/0.profdata"
	ln -s "$T/victim2" "$T/cache/slots"
	rc=0
	pgow gc --max-size 1 >"$T/out" 2>"$T/err" || rc=$?
	assert_eq 3 "$rc" "a symlinked slots dir"
	assert_eq precious "$(cat "$T/victim2/x/profiles/0.profdata")" "nothing outside removed"
	# A slots dir others may write to is refused (gc and status).
	rm "$T/cache/slots" && mkdir -p "$T/cache/slots" && chmod 777 "$T/cache/slots"
	rc=0
	pgow gc >"$T/out" 2>"$T/err" || rc=$?
	assert_eq 3 "$rc" "a world-writable slots dir"
	assert_grep 'writable by other users' "$T/err" "says why"
}

# Builds in use mode while merges replace the profile and gc evicts whole slots: every
# compile either used a profile that exists or said loudly that it did not.
slow test_gc_races_builds_without_silent_plain_units 25
test_gc_races_builds_without_silent_plain_units() {
	setup_ws
	unset RUSTC_WRAPPER
	printf 'training:\n  - run: ["{bin:fixbin}", "300"]\n' >pgo-wrap.yaml
	pgow build --release 2>/dev/null || fail "first build"
	# Two raw profiles for the racer's merges to replace the profile with, in turn.
	LLVM_PROFILE_FILE="$T/racer-raw1/%p.profraw" target/pgo-wrap/instrumented/release/fixbin 300 >/dev/null
	LLVM_PROFILE_FILE="$T/racer-raw2/%p.profraw" target/pgo-wrap/instrumented/release/fixbin 200 >/dev/null
	export RUSTC_WRAPPER="$PGOW_BIN" CARGO_PGO_WRAP_GC_GRACE=0
	# The racer's merges and gc may fail while they race (a merge finds no slot after gc
	# removed it, until a build makes it again: that is the point), but never crash: each
	# exit status is kept, and checked below.
	( for i in $(seq 40); do
		rc=0; "$PGOW_BIN" merge --replace "$T/racer-raw$((i % 2 + 1))" >/dev/null 2>"$T/racer.err" || rc=$?
		echo "merge $rc" >>"$T/racer.rc"
		[ "$rc" -lt 99 ] || cat "$T/racer.err" >>"$T/racer.crash"
		rc=0; "$PGOW_BIN" gc --max-size 1 >"$T/racer.out" 2>"$T/racer.err" || rc=$?
		echo "gc $rc" >>"$T/racer.rc"
		[ "$rc" -lt 99 ] || cat "$T/racer.err" >>"$T/racer.crash"
		! grep -q '^removed slot' "$T/racer.out" || echo "gc removed a slot" >>"$T/racer.rc"
	done ) &
	local racer=$! i rc bad=0
	for i in $(seq 8); do
		touch fixlib/src/lib.rs fixbin/src/main.rs
		rc=0
		CARGO_PGO_WRAP_JOURNAL="$T/j$i" cargo build --release -q 2>"$T/b$i.err" || rc=$?
		# A unit built plain must have said so; a failure must have been loud (exit 8).
		if [ "$rc" = 0 ] && grep -q $'\tplain\t' "$T/j$i" 2>/dev/null; then
			grep -qE 'no profile|WITHOUT|unusable' "$T/b$i.err" || bad=$((bad + 1))
		elif [ "$rc" != 0 ]; then
			grep -q 'WITHOUT its profile' "$T/b$i.err" || { cat "$T/b$i.err" >&2; bad=$((bad + 1)); }
		fi
	done
	wait "$racer"
	assert_eq 0 "$bad" "builds that went plain, or failed, silently"
	echo "racer exit statuses: $(sort "$T/racer.rc" | uniq -c | tr -s ' \n' ' ')" >&2
	assert_eq 80 "$(grep -cE '^(gc|merge) [0-9]+$' "$T/racer.rc")" "every gc and merge of the racer ran"
	# 99: a sanitizer's report (make sanitize); over 128: killed by a signal.
	[ ! -e "$T/racer.crash" ] || { sed 's/^/      | /' "$T/racer.crash" >&2; fail "the racer's gc or merge crashed: $(sort "$T/racer.rc" | uniq -c | tr '\n' ' ')"; }
	grep -q '^merge 0$' "$T/racer.rc" || fail "no merge of the racer stored a profile: the builds raced nothing"
	grep -q '^gc removed a slot$' "$T/racer.rc" || fail "no gc of the racer removed a slot: the builds raced nothing"
}

test_gc_keeps_the_newest_bolt_programs() {
	export CARGO_PGO_WRAP_CACHE="$T/cache"
	make_slot s 1
	local b="$T/cache/slots/s/bolt" i
	mkdir -p "$b" && chmod 700 "$b"
	for i in 1 2 3 4 5 6; do
		head -c 1000 /dev/zero >"$b/id$i.bin"
		echo "kept" >"$b/id$i.verdict"
		touch -d "$((10 - i)) days ago" "$b/id$i.bin"
	done
	touch "$b/id1.bin" # the newest, whatever its name
	# A copy of a program that shipped as PGO built it (bolt-bat), older than all.
	head -c 1000 /dev/zero >"$b/id7.shipped"
	touch -d "20 days ago" "$b/id7.shipped"
	pgow gc --max-size 10G >"$T/out"
	for i in 1 4 5 6; do [ -e "$b/id$i.bin" ] || fail "id$i.bin: one of the 4 newest BOLT programs removed"; done
	for i in 2 3; do [ ! -e "$b/id$i.bin" ] || fail "id$i.bin: an old BOLT program kept"; done
	[ ! -e "$b/id7.shipped" ] || fail "an old shipped program's copy kept"
	assert_grep "^removed $b/id2.bin \\(an older build's program kept for BOLT" "$T/out" "listed"
}

no_cargo test_gc_prunes_then_evicts_least_recently_stored test_gc_never_follows_planted_symlinks \
	test_gc_keeps_the_newest_bolt_programs
