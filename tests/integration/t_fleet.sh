# t_fleet.sh - profiles from the field (issue 21): "field machines" that have
# only the instrumented binary (no workspace, no cache, their own HOME) run
# their own workloads and upload what it writes, with weights and labels; the
# build host merges every upload once. The remote is a shared directory, a real
# nginx (WebDAV, PROPFIND from Debian's dav_ext module) and s3rver (S3's
# ListObjectsV2, signatures checked), each on 127.0.0.1. Helpers: t_remote.sh.

field() { # name: the instrumented binary A built, alone in a dir
	mkdir -p "$T/field/$1/raw" "$T/field/$1/home"
	cp "$T/a/ws/target/release/fixbin" "$T/field/$1/"
}

run_field() { # name workload
	(cd "$T/field/$1" && LLVM_PROFILE_FILE="$T/field/$1/raw/%p.profraw" ./fixbin "$2" >/dev/null)
}

on_field() { # name args...
	local n=$1
	shift
	(cd "$T/field/$n" && HOME="$T/field/$n/home" CARGO_PGO_WRAP_CACHE="$T/field/$n/cache" "$PGOW_BIN" "$@")
}

# Keeps a copy of what a field machine is about to upload, for the merge by hand.
keep_copies() { # name weight
	local f
	for f in "$T/field/$1/raw"/*.profraw; do cp "$f" "$T/kept/$2,$1-$(basename "$f")"; done
}

# The merge by hand of the kept copies, each with its weight.
merge_by_hand() { # out
	local args=() f w
	for f in "$T"/kept/*.profraw; do
		w=$(basename "$f" | cut -d, -f1)
		args+=("--weighted-input=$w,$f")
	done
	"$(profdata_tool)" merge "${args[@]}" -o "$1"
}

counts() { "$(profdata_tool)" show --all-functions --counts "$1" | grep -v '^Instrumentation level'; }

a_profile() { echo "$T"/a/cache/slots/*/profiles/"$(cat "$T"/a/cache/slots/*/CURRENT)".profdata; }

# Instrument on A, two field machines upload with weights, A merges them once.
fleet_round() { # what: the remote's kind, for messages
	on_a instrument --release 2>"$T/instr.err" || { cat "$T/instr.err" >&2; fail "$1: instrument"; }
	assert_grep "Recorded 1 instrumented binary on $CARGO_PGO_WRAP_REMOTE" "$T/instr.err" "$1: the binary is recorded"
	mkdir -p "$T/kept"
	field f1
	field f2
	run_field f1 300
	run_field f1 700
	run_field f2 4000
	keep_copies f1 1
	keep_copies f2 3
	on_field f1 upload raw --label zombienet 2>"$T/up1.err" || { cat "$T/up1.err" >&2; fail "$1: f1 upload"; }
	assert_grep "Uploaded 2 raw profile\(s\) \([0-9]+ bytes\) to $CARGO_PGO_WRAP_REMOTE, weight 1, label zombienet" \
		"$T/up1.err" "$1: f1 says what it sent"
	on_field f2 upload raw --weight 3 --label kusama 2>"$T/up2.err" || { cat "$T/up2.err" >&2; fail "$1: f2 upload"; }
	[ "$(count_files "$T/field" '*.profraw')" = 0 ] || fail "$1: uploaded files are left in the field"
	[ ! -e "$T/field/f1/cache" ] && [ ! -e "$T/field/f2/cache" ] || fail "$1: a field machine got a cache"
	on_a merge --remote --release 2>"$T/merge.err" || { cat "$T/merge.err" >&2; fail "$1: merge --remote"; }
	assert_grep 'Merged 3 raw profile\(s\) into [0-9a-f]{12} for slot [0-9a-f]{12}: 2 of 2 units have counts' \
		"$T/merge.err" "$1: the three uploads merged"
	assert_grep "Pushed profile [0-9a-f]{12} of slot [0-9a-f]{12} to $CARGO_PGO_WRAP_REMOTE" "$T/merge.err" "$1: and pushed"
	merge_by_hand "$T/hand.profdata"
	[ "$(counts "$(a_profile)")" = "$(counts "$T/hand.profdata")" ] ||
		fail "$1: the merged counts are not the weighted sum: $(diff <(counts "$(a_profile)") <(counts "$T/hand.profdata") | head -5)"
	grep -q 'training: "3 upload(s) from the field (kusama, zombienet)"' "$(dirname "$(a_profile)")"/*.yaml ||
		grep -q '3 upload(s) from the field' "$(dirname "$(a_profile)")"/*.yaml || fail "$1: the manifest does not say where it came from"
	# Each upload once.
	on_a merge --remote --release 2>"$T/merge.err" || fail "$1: merge --remote again"
	assert_grep 'note: no upload from the field waits to be merged' "$T/merge.err" "$1: nothing is merged twice"
}

test_fleet_file_remote() {
	remote_setup
	mkdir -p "$T/shared"
	export CARGO_PGO_WRAP_REMOTE="file://$T/shared"
	fleet_round "file://"
	# A second upload adds to the profile (the training's, here the first round's) ...
	local before
	before=$(a_profile)
	rm -f "$T"/kept/*
	cp "$before" "$T/kept/1,before.profraw"
	run_field f2 2500
	keep_copies f2 2
	on_field f2 upload raw --weight 2 --label kusama 2>/dev/null || fail "second upload"
	on_a merge --remote --release 2>"$T/merge.err" || fail "second merge"
	merge_by_hand "$T/hand.profdata"
	[ "$(counts "$(a_profile)")" = "$(counts "$T/hand.profdata")" ] || fail "an upload is not added to the profile"
	# ... and --replace starts from the uploads alone.
	rm -f "$T"/kept/*
	run_field f1 900
	keep_copies f1 5
	on_field f1 upload raw --weight 5 2>/dev/null || fail "third upload"
	on_a merge --remote --replace --release 2>"$T/merge.err" || fail "merge --replace"
	merge_by_hand "$T/hand.profdata"
	[ "$(counts "$(a_profile)")" = "$(counts "$T/hand.profdata")" ] || fail "--replace kept the old counts"

	# A file another program wrote is refused in one line, and kept.
	mkdir -p "$T/other"
	echo 'fn main() { println!("{}", std::env::args().count()); }' >"$T/other/main.rs"
	rustc -O -Cprofile-generate="$T/field/f1/raw" -o "$T/other/other" "$T/other/main.rs" 2>/dev/null ||
		fail "setup: another program"
	"$T/other/other" >/dev/null
	rc=0
	on_field f1 upload raw 2>"$T/up.err" || rc=$?
	assert_eq 5 "$rc" "a foreign file"
	assert_grep "refusing .*\.profraw: written by a binary that no build recorded on file://$T/shared made \(build-id [0-9a-f]+\)" \
		"$T/up.err" "says whose it is not"
	[ "$(count_files "$T/field/f1/raw" '*.profraw')" = 1 ] || fail "the refused file was not kept"
	rm -f "$T"/field/f1/raw/*

	# A merge host with an empty cache adds to the remote's profile, not to nothing.
	rm -f "$T"/kept/*
	cp "$(a_profile)" "$T/kept/1,current.profraw"
	run_field f2 1500
	keep_copies f2 4
	on_field f2 upload raw --weight 4 2>/dev/null || fail "upload for B"
	on_b merge --remote --release 2>"$T/b.err" || { cat "$T/b.err" >&2; fail "B's merge --remote"; }
	assert_grep 'Pulled profile [0-9a-f]{12} for slot' "$T/b.err" "B fetches the profile first"
	assert_grep 'Added 1 raw profile\(s\) to the profile of slot' "$T/b.err" "then adds the upload to it"
	merge_by_hand "$T/hand.profdata"
	local b_prof
	b_prof=$(echo "$T"/b/cache/slots/*/profiles/"$(cat "$T"/b/cache/slots/*/CURRENT)".profdata)
	[ "$(counts "$b_prof")" = "$(counts "$T/hand.profdata")" ] || fail "B's merge is not A's profile plus the upload"

	# A file:// remote that is not there (a typo): the remote's failure, not a foreign file.
	run_field f1 10
	local rc=0
	CARGO_PGO_WRAP_REMOTE="file://$T/typo" on_field f1 upload raw 2>"$T/up.err" || rc=$?
	assert_eq 9 "$rc" "a remote dir that does not exist"
	assert_grep "the remote file://$T/typo is not a directory here \(no such directory\)" "$T/up.err" "says so"
	rm -f "$T"/field/f1/raw/*

	# Bad arguments: one line each, exit 2.
	rc=0
	on_field f1 upload raw --label 'no spaces' 2>"$T/up.err" || rc=$?
	assert_eq 2 "$rc" "a bad label"
	assert_grep "label 'no spaces': use 1 to 64 of" "$T/up.err" "says what a label may hold"
	rc=0
	CARGO_PGO_WRAP_REMOTE= on_field f1 upload raw 2>"$T/up.err" || rc=$?
	assert_eq 2 "$rc" "no remote"
	assert_grep 'upload: no remote store: set CARGO_PGO_WRAP_REMOTE' "$T/up.err" "says which variable"
	rc=0
	on_a merge --remote --weight 2 --release 2>"$T/m.err" || rc=$?
	assert_eq 2 "$rc" "--weight with --remote"
}

# nginx refuses PUT to names matching a regex ("" to stop refusing), as a server
# that takes part of an upload or a merge and then fails would.
nginx_refuse_put() { # regex
	sed -i '/if ($request_method = PUT) { return 403; }/d' "$T/nginx/nginx.conf"
	[ -z "$1" ] || sed -i "s|location / {|location ~ $1 { if (\$request_method = PUT) { return 403; } }\n\t\tlocation / {|" \
		"$T/nginx/nginx.conf"
	nginx -c "$T/nginx/nginx.conf" -p "$T/nginx" -s reload || fail "nginx reload"
	sleep 0.5
}

may_skip test_fleet_nginx_dav "needs nginx and its dav_ext module (tests/deps.sh installs them)"
test_fleet_nginx_dav() {
	[ -f /usr/lib/nginx/modules/ngx_http_dav_ext_module.so ] ||
		skip "nginx's dav_ext module is not installed (tests/deps.sh installs libnginx-mod-http-dav-ext)"
	remote_setup
	start_nginx 1
	trap stop_nginx EXIT
	export CARGO_PGO_WRAP_REMOTE="$NGINX_URL" CARGO_PGO_WRAP_REMOTE_USER=ci CARGO_PGO_WRAP_REMOTE_PASSWORD=s3cret
	fleet_round "nginx"
	# An upload stopped between its bytes and its meta (the server refuses the meta, as a
	# kill there would leave it): nothing a merge takes, the file kept; sent again, it is whole.
	nginx_refuse_put '\\.meta$'
	run_field f1 1200
	local rc=0
	on_field f1 upload raw 2>"$T/up.err" || rc=$?
	assert_eq 9 "$rc" "an upload the server stops half-way"
	assert_grep 'HTTP 403' "$T/up.err" "says why"
	[ "$(count_files "$T/field/f1/raw" '*.profraw')" = 1 ] || fail "the file was removed though its upload is not whole"
	[ "$(count_files "$T/nginx/root" '*.profraw')" -gt 3 ] || fail "setup: its bytes did not reach the server"
	nginx_refuse_put ""
	on_a merge --remote --release 2>"$T/merge.err" || fail "merge after the stopped upload"
	assert_grep 'note: no upload from the field waits' "$T/merge.err" "half an upload is not one"
	on_field f1 upload raw 2>"$T/up.err" || { cat "$T/up.err" >&2; fail "the upload again"; }
	on_a merge --remote --release 2>"$T/merge.err" || fail "merge"
	assert_grep 'Added 1 raw profile\(s\) to the profile of slot' "$T/merge.err" "then it is merged"
	assert_no_grep 's3cret' "$T/merge.err" "no password printed"

	# A merge stopped after it stored its profile but before the remote recorded its
	# uploads as merged (the server refuses that record): the next one records them,
	# and does not merge them twice.
	nginx_refuse_put '/consumed$'
	run_field f1 333
	on_field f1 upload raw 2>/dev/null || fail "upload before the stopped merge"
	rc=0
	on_a merge --remote --release 2>"$T/merge.err" || rc=$?
	assert_eq 9 "$rc" "a merge whose record the server refuses"
	assert_grep 'merged, but cannot record it on the remote' "$T/merge.err" "says so"
	local merged
	merged=$(a_profile)
	nginx_refuse_put ""
	on_a merge --remote --release 2>"$T/merge.err" || { cat "$T/merge.err" >&2; fail "the merge after"; }
	assert_grep 'note: 1 upload\(s\) merged by a run that was stopped are recorded as merged now' "$T/merge.err" \
		"the record is finished"
	assert_grep 'note: no upload from the field waits' "$T/merge.err" "and nothing is merged twice"
	assert_eq "$merged" "$(a_profile)" "the profile is the one the stopped merge stored"
}

test_fleet_s3() {
	remote_setup
	start_s3rver
	trap stop_s3rver EXIT
	export CARGO_PGO_WRAP_REMOTE=s3://pgo-bucket/ci/main AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
	fleet_round "s3"
}

# The training never runs the evaluator; the field does. diff says so, with
# llvm-profdata's own overlap; merge --remote says how far it moved, and a
# drift-threshold warns, or stops the push under stale-policy: error.
test_fleet_diff_and_drift() {
	remote_setup
	mkdir -p "$T/shared"
	export CARGO_PGO_WRAP_REMOTE="file://$T/shared"
	printf 'training:\n  - name: idle\n    run: ["{bin:fixbin}", "0"]\n' >"$T/a/ws/pgo-wrap.yaml"
	on_a build --release 2>"$T/build.err" || { cat "$T/build.err" >&2; fail "A's cycle"; }
	local trained
	trained=$(a_profile)
	on_a instrument --release 2>/dev/null || fail "instrument"
	field f1
	run_field f1 300
	on_field f1 upload raw --label mainnet 2>/dev/null || fail "upload"
	on_a merge --remote --release 2>"$T/merge.err" || { cat "$T/merge.err" >&2; fail "merge --remote"; }
	local fleet by_hand said
	fleet=$(a_profile)
	by_hand=$("$(profdata_tool)" overlap "$fleet" "$trained" | sed -n 's/.*Edge profile overlap: \([0-9.]*\)%.*/\1/p')
	[ -n "$by_hand" ] || fail "setup: llvm-profdata overlap gave nothing"
	said=$(sed -n 's/.*Overlap \([0-9.]*\)% with the profile it replaces.*/\1/p' "$T/merge.err")
	assert_eq "$(printf '%.2f' "$by_hand")" "$said" "merge says the overlap llvm-profdata gives"

	on_a diff --release >"$T/diff.txt" 2>"$T/diff.err" || { cat "$T/diff.err" >&2; fail "diff"; }
	local fk tk
	fk=$(basename "$fleet" .profdata)
	tk=$(basename "$trained" .profdata)
	assert_grep "^A  ${fk:0:12}  current, .*pgo-wrap.yaml; then 1 upload\(s\) from the field \(mainnet\)$" "$T/diff.txt" \
		"A is the training's and then the fleet's"
	assert_grep "^B  ${tk:0:12}  previous, .*training run\(s\) from .*pgo-wrap.yaml$" "$T/diff.txt" "B is the training's"
	assert_grep "^overlap $(printf '%.2f' "$by_hand")% \(llvm-profdata overlap" "$T/diff.txt" "the overall overlap is llvm-profdata's"
	assert_grep '^  fixlib +[0-9.]+% +- +0 +0 +0$' "$T/diff.txt" "fixlib: counts in A, none in B"
	assert_grep '^hot in A, never run in B' "$T/diff.txt" "the report of what the training misses"
	assert_grep '^ +[0-9.]+%  fixlib +fixlib::eval$' "$T/diff.txt" "names the evaluator, its crate and share"
	# Named explicitly: a key's prefix and a file, the other way round.
	on_a diff "${tk:0:8}" "$fleet" --release >"$T/diff2.txt" 2>/dev/null || fail "diff KEY FILE"
	assert_grep "^B  $fleet" "$T/diff2.txt" "a file as B"
	assert_grep 'B ran every function A has counts in' "$T/diff2.txt" "the field ran all the training ran"
	local rc=0
	on_a diff 0123abcd --release >/dev/null 2>"$T/bad.err" || rc=$?
	assert_eq 2 "$rc" "an unknown key"
	assert_grep 'has no profile 0123abcd' "$T/bad.err" "says which"

	# A threshold the fleet's profile misses: a warning, then under stale-policy: error, exit 7 and no push.
	printf 'drift-threshold: 0.9999\n' >>"$T/a/ws/pgo-wrap.yaml"
	run_field f1 1
	on_field f1 upload raw 2>/dev/null || fail "upload 2"
	on_a merge --remote --release 2>"$T/merge.err" || { cat "$T/merge.err" >&2; fail "merge under a threshold"; }
	assert_grep 'warning: the fleet.s profile overlaps the one it replaces by [0-9.]+%, below drift-threshold 99.99%' \
		"$T/merge.err" "a warning"
	printf 'stale-policy: error\n' >>"$T/a/ws/pgo-wrap.yaml"
	local pushed
	pushed=$(cat "$T"/shared/pgow-v1/slots/*/current)
	run_field f1 2
	on_field f1 upload raw 2>/dev/null || fail "upload 3"
	rc=0
	on_a merge --remote --release 2>"$T/merge.err" || rc=$?
	assert_eq 7 "$rc" "below the threshold under stale-policy: error"
	assert_grep 'kept here and not pushed' "$T/merge.err" "says what happened"
	assert_eq "$pushed" "$(cat "$T"/shared/pgow-v1/slots/*/current)" "the remote keeps the profile it had"
	# A retry does not pass the gate: the profile stays held back until it is pushed.
	rc=0
	on_a merge --remote --release 2>"$T/merge.err" || rc=$?
	assert_eq 7 "$rc" "merge again while the profile is held back"
	assert_grep 'the current profile is held back: its overlap with the one it replaced was' "$T/merge.err" "says so"
	on_a status >"$T/status.txt" 2>&1
	assert_grep 'remote      file://.*: profile [0-9a-f]{12}; this one is held back by drift \([0-9.]+% overlap' \
		"$T/status.txt" "status says it is held back"
	on_a push --release 2>/dev/null || fail "push publishes it"
	[ "$pushed" != "$(cat "$T"/shared/pgow-v1/slots/*/current)" ] || fail "push did not publish the held profile"
	on_a merge --remote --release 2>"$T/merge.err" || fail "merge after the push"
	assert_grep 'note: no upload from the field waits' "$T/merge.err" "and the upload is not merged twice"
}
