# t_remote.sh - profiles that travel (issue 20): two "machines" on this host
# (other workspace paths, caches, target dirs), a shared directory (file://)
# and a real nginx WebDAV server started on 127.0.0.1, open and with basic
# auth; a remote that fails is a miss in one line, or exit 9 when required.

# A machine: the fixture at path, its own cache, its training.
machine() { # dir
	mkdir -p "$(dirname "$1")"
	cp -r "$FIXTURES/ws" "$1"
	printf 'training:\n  - name: eval\n    run: ["{bin:fixbin}", "3000"]\n' >"$1/pgo-wrap.yaml"
}

remote_setup() {
	export CARGO_PGO_WRAP_CACHE= CARGO_NET_OFFLINE=true
	unset RUSTC_WRAPPER CARGO_PGO_WRAP_WORKSPACE CARGO_PGO_WRAP_JOURNAL CARGO_PGO_WRAP_REMOTE_MODE \
		CARGO_PGO_WRAP_REMOTE_REQUIRED CARGO_PGO_WRAP_REMOTE_USER CARGO_PGO_WRAP_REMOTE_PASSWORD
	machine "$T/a/ws"
	machine "$T/b/somewhere/else/project"
}

on_a() { (cd "$T/a/ws" && CARGO_PGO_WRAP_CACHE="$T/a/cache" "$PGOW_BIN" "$@"); }
# B is another "user" too: its own HOME, USER and CARGO_HOME (another uid cannot run the
# toolchain here: it lives under /root, mode 0700).
on_b() {
	mkdir -p "$T/b/home" "$T/b/cargo-home"
	(cd "$T/b/somewhere/else/project" && HOME="$T/b/home" USER=builder LOGNAME=builder \
		CARGO_HOME="$T/b/cargo-home" CARGO_PGO_WRAP_CACHE="$T/b/cache" "$PGOW_BIN" "$@")
}

# A trains and pushes; B, elsewhere with its own cache, fetches the profile:
# no instrumented build, no training, the same profile id, and the same code.
test_remote_file_two_machines() {
	remote_setup
	export CARGO_PGO_WRAP_REMOTE="file://$T/remote"
	on_a build --release 2>"$T/a.err" || { cat "$T/a.err" >&2; fail "A's cycle"; }
	assert_grep '^ +Pushed profile [0-9a-f]{12} of slot [0-9a-f]{12} to file://' "$T/a.err" "A pushes after its merge"
	local id
	id=$(sed -n 's/.*Pushed profile \([0-9a-f]\{12\}\).*/\1/p' "$T/a.err")
	on_b build --release 2>"$T/b.err" || { cat "$T/b.err" >&2; fail "B's build"; }
	assert_grep "^ +Pulled profile $id for slot [0-9a-f]{12} from file://$T/remote" "$T/b.err" "B fetches it"
	assert_no_grep 'instrumented|Training' "$T/b.err" "B neither instruments nor trains"
	assert_grep "PGO 2 unit\\(s\\) of $T/b/.* carry profile $id \\(2 compiled now, 0 reused\\); 0 stale" "$T/b.err" \
		"B's units carry it, fresh"
	# The functions each unit compiled travel with it: B splits the profile per unit as A did.
	assert_grep 'Split per unit: 3 file\(s\)' "$T/b.err" "B splits the fetched profile"
	assert_no_grep 'note:' "$T/b.err" "with no note"
	ls "$T"/b/cache/slots/*/split/fixlib-*.profdata >/dev/null 2>&1 || fail "B has no part for fixlib"
	cmp "$T/a/ws/target/release/fixbin" "$T/b/somewhere/else/project/target/release/fixbin" ||
		fail "B's program differs from A's"
	on_b status >"$T/status.txt" || fail "status"
	assert_grep "^  remote      file://$T/remote: the same profile$" "$T/status.txt" "status compares with the remote"
	on_b build --release 2>"$T/b2.err" || fail "B again"
	assert_no_grep 'Pulled|Compiling' "$T/b2.err" "then a no-op that does not ask the remote"
	# B's target dir kept (a CI cache that restores target/ alone), its profile cache lost:
	# every unit is fresh for cargo, and B still finds its slot and pulls rather than train.
	# (The old cache stays where it was: the units' stamps in it are still there.)
	(cd "$T/b/somewhere/else/project" && HOME="$T/b/home" CARGO_HOME="$T/b/cargo-home" \
		CARGO_PGO_WRAP_CACHE="$T/b/other-cache" "$PGOW_BIN" build --release) 2>"$T/b3.err" ||
		{ cat "$T/b3.err" >&2; fail "B with a new cache"; }
	assert_grep "Pulled profile $id" "$T/b3.err" "B pulls with its old target dir"
	assert_no_grep 'Training' "$T/b3.err" "and does not train"
	[ ! -e "$T/b/somewhere/else/project/target/pgo-wrap/identify-target" ] || fail "the identify target dir was left"
	# By hand: push says what it stored, pull that it is there already.
	on_a push --release 2>"$T/push.err" || fail "push: $(cat "$T/push.err")"
	assert_grep "Pushed profile $id" "$T/push.err" "push"
	on_b pull --release 2>"$T/pull.err" || fail "pull: $(cat "$T/pull.err")"
	assert_grep "Fresh +slot [0-9a-f]{12} already has the remote's profile" "$T/pull.err" "pull"
}

# What B fetches is checked: bytes that do not hash to their name are refused
# in one line and the build goes on as without a remote (it trains).
test_remote_file_corrupt_object_is_a_miss() {
	remote_setup
	export CARGO_PGO_WRAP_REMOTE="file://$T/remote"
	on_a build --release 2>"$T/a.err" || fail "A's cycle: $(tail -3 "$T/a.err")"
	local prof
	prof=$(ls "$T"/remote/pgow-v1/profiles/*.profdata)
	printf 'X' | dd of="$prof" bs=1 seek=200 conv=notrunc 2>/dev/null
	local rc=0
	CARGO_PGO_WRAP_REMOTE_REQUIRED=1 on_b build --release 2>"$T/b.err" || rc=$?
	assert_eq 9 "$rc" "required: a bad object is an error"
	assert_grep 'is not what its name says .*CARGO_PGO_WRAP_REMOTE_REQUIRED=1' "$T/b.err" "says why"
	[ -z "$(ls "$T"/b/cache/slots/*/profiles/ 2>/dev/null)" ] || fail "the bad profile was stored"
	on_b build --release 2>"$T/b.err" || { cat "$T/b.err" >&2; fail "B's build"; }
	assert_grep "^cargo-pgo-wrap: warning: cannot fetch a profile: profile [0-9a-f]{12} from file://$T/remote is not what its name says" \
		"$T/b.err" "one warning naming the remote"
	assert_grep 'Training' "$T/b.err" "then B trains"
}

# nginx from Debian, on a free port of 127.0.0.1, with its dav module.
start_nginx() { # auth: 0 or 1
	command -v nginx >/dev/null || skip "nginx is not installed (tests/deps.sh installs it)"
	local n="$T/nginx" port
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mkdir -p "$n/root" "$n/body"
	local auth=""
	if [ "$1" = 1 ]; then
		printf 'ci:%s\n' "$(openssl passwd -apr1 s3cret)" >"$n/htpasswd"
		auth="auth_basic pgo; auth_basic_user_file $n/htpasswd;"
	fi
	# Listing (the fleet's uploads) is WebDAV's PROPFIND: Debian's dav_ext module.
	local load="" propfind=""
	if [ -f /usr/lib/nginx/modules/ngx_http_dav_ext_module.so ]; then
		load="load_module /usr/lib/nginx/modules/ngx_http_dav_ext_module.so;"
		propfind="dav_ext_methods PROPFIND OPTIONS;"
	fi
	cat >"$n/nginx.conf" <<CONF
$load
user root;
worker_processes 1;
pid $n/nginx.pid;
error_log $n/error.log;
events { worker_connections 64; }
http {
	access_log $n/access.log;
	client_body_temp_path $n/body;
	client_max_body_size 0;
	server {
		listen 127.0.0.1:$port;
		root $n/root;
		location / {
			$auth
			dav_methods PUT DELETE MKCOL;
			$propfind
			create_full_put_path on;
			dav_access user:rw group:r all:r;
		}
	}
}
CONF
	nginx -c "$n/nginx.conf" -p "$n" -e "$n/error.log" || fail "nginx did not start: $(cat "$n/error.log")"
	NGINX_URL="http://127.0.0.1:$port/pgo"
}

stop_nginx() {
	[ -f "$T/nginx/nginx.pid" ] && kill "$(cat "$T/nginx/nginx.pid")" 2>/dev/null
	local i
	for i in $(seq 50); do [ -f "$T/nginx/nginx.pid" ] || return 0; sleep 0.1; done
}

may_skip test_remote_nginx_dav_with_basic_auth "needs nginx (tests/deps.sh installs it)"
test_remote_nginx_dav_with_basic_auth() {
	remote_setup
	start_nginx 1
	trap stop_nginx EXIT
	export CARGO_PGO_WRAP_REMOTE="$NGINX_URL" CARGO_PGO_WRAP_REMOTE_USER=ci CARGO_PGO_WRAP_REMOTE_PASSWORD=s3cret
	on_a build --release 2>"$T/a.err" || { cat "$T/a.err" >&2; fail "A's cycle"; }
	assert_grep "Pushed profile [0-9a-f]{12} of slot [0-9a-f]{12} to $NGINX_URL" "$T/a.err" "A pushes over WebDAV"
	[ -n "$(find "$T/nginx/root/pgo/pgow-v1/slots" -name current)" ] || fail "nothing on the server"
	# A read-only PR build: fetches, never writes.
	local before
	before=$(find "$T/nginx/root" -type f | sort | xargs md5sum)
	CARGO_PGO_WRAP_REMOTE_MODE=read-only on_b build --release 2>"$T/b.err" || { cat "$T/b.err" >&2; fail "B"; }
	assert_grep "Pulled profile [0-9a-f]{12} for slot [0-9a-f]{12} from $NGINX_URL" "$T/b.err" "B fetches over HTTP"
	assert_no_grep 'Training' "$T/b.err" "and does not train"
	[ "$before" = "$(find "$T/nginx/root" -type f | sort | xargs md5sum)" ] || fail "a read-only build wrote"
	# A wrong password: a miss in one line, never the password; the build trains instead,
	# and its training (like build scripts) sees neither the password nor the token.
	rm -rf "$T/b/cache" "$T/b/somewhere/else/project/target"
	printf '  - name: env\n    shell: "env > %s/training.env"\n' "$T" >>"$T/b/somewhere/else/project/pgo-wrap.yaml"
	CARGO_PGO_WRAP_REMOTE_PASSWORD=wrong-Pa55 CARGO_PGO_WRAP_REMOTE_TOKEN=t0ken-XYZ on_b build --release 2>"$T/b.err" ||
		{ cat "$T/b.err" >&2; fail "B"; }
	[ -s "$T/training.env" ] || fail "setup: the training did not run"
	assert_no_grep 'wrong-Pa55|t0ken-XYZ|REMOTE_PASSWORD|REMOTE_TOKEN' "$T/training.env" "the training sees no secret"
	assert_grep "warning: cannot fetch a profile: GET $NGINX_URL/pgow-v1/slots/.*HTTP 401 \\(check the remote's user, password or token\\); going on without the remote" \
		"$T/b.err" "one line naming the URL and the fix"
	assert_no_grep 'wrong-Pa55|s3cret' "$T/b.err" "no password printed"
	assert_grep 'Training' "$T/b.err" "and it trains"
	# Credentials in the URL work, and are never printed.
	local with_auth=${NGINX_URL/http:\/\//http://ci:s3cret@}
	CARGO_PGO_WRAP_REMOTE=$with_auth CARGO_PGO_WRAP_REMOTE_USER= CARGO_PGO_WRAP_REMOTE_PASSWORD= \
		on_a push --release 2>"$T/push.err" || fail "push with the password in the URL: $(cat "$T/push.err")"
	assert_grep "Pushed profile [0-9a-f]{12} of slot [0-9a-f]{12} to $NGINX_URL\$" "$T/push.err" "shown without it"
	assert_no_grep 's3cret' "$T/push.err" "no password"
	# The server stopped: a miss; required: exit 9.
	stop_nginx
	rm -rf "$T/b/cache" "$T/b/somewhere/else/project/target"
	local rc=0
	CARGO_PGO_WRAP_REMOTE_REQUIRED=1 on_b build --release 2>"$T/b.err" || rc=$?
	assert_eq 9 "$rc" "required, server down"
	assert_grep "cannot fetch a profile: GET $NGINX_URL/.*(Couldn't connect|Connection refused|Failed to connect)" "$T/b.err" \
		"names the URL"
	assert_eq 1 "$(grep -c . "$T/b.err")" "one line"
}

# Registry crates under another registry path (another CARGO_HOME, or Debian's
# directory copied elsewhere): rustc is given their sources absolute, and their
# unit keys record them as $PKG/..., so B finds the profile fresh for them too.
test_remote_registry_elsewhere() {
	export CARGO_NET_OFFLINE=true
	unset RUSTC_WRAPPER CARGO_PGO_WRAP_WORKSPACE CARGO_PGO_WRAP_JOURNAL CARGO_PGO_WRAP_REMOTE_MODE \
		CARGO_PGO_WRAP_REMOTE_REQUIRED
	export CARGO_PGO_WRAP_REMOTE="file://$T/remote"
	mkdir -p "$T/a" "$T/b/somewhere/else" "$T/b/registry"
	cp -r "$FIXTURES/layouts" "$T/a/ws"
	cp -r "$FIXTURES/layouts" "$T/b/somewhere/else/project"
	cp -r /usr/share/cargo/registry/cfg-if-0.1.* /usr/share/cargo/registry/cfg-if-1.* "$T/b/registry/"
	sed -i "s|/usr/share/cargo/registry|$T/b/registry|" "$T/b/somewhere/else/project/.cargo/config.toml"
	on_a build --release 2>"$T/a.err" || { cat "$T/a.err" >&2; fail "A's cycle"; }
	# -v too: the run that finds the slot must not add --quiet (cargo refuses both).
	on_b build --release -v 2>"$T/b.err" || { cat "$T/b.err" >&2; fail "B's build"; }
	cat "$T"/b/somewhere/else/project/target/release/deps/cfg_if-*.d | grep -q "$T/b/registry/cfg-if" ||
		fail "setup: B does not build cfg-if from its own registry path"
	assert_grep 'Pulled profile' "$T/b.err" "B fetches the profile"
	assert_grep 'PGO 5 unit\(s\) .* \(5 compiled now, 0 reused\); 0 stale' "$T/b.err" "fresh for every unit, cfg-if too"
	# And applied as on A: the same machine code (the data differs: panic messages name
	# each machine's registry path).
	local text_a text_b
	text_a=$(objcopy -O binary --only-section=.text "$T/a/ws/target/release/app" /dev/stdout | md5sum)
	text_b=$(objcopy -O binary --only-section=.text "$T/b/somewhere/else/project/target/release/app" /dev/stdout | md5sum)
	assert_eq "$text_a" "$text_b" "A's and B's .text"
}

# pgo-wrap.lock pins the profile (the Chromium model): B uses exactly the
# pinned one although the remote has moved on, uses it stale rather than
# training a new one, and `pin` again moves it. A bad lock is one located line.
test_remote_pin() {
	remote_setup
	export CARGO_PGO_WRAP_REMOTE="file://$T/remote"
	printf 'stale-policy: refresh\ntraining:\n  - name: eval\n    run: ["{bin:fixbin}", "3000"]\n' >"$T/a/ws/pgo-wrap.yaml"
	cp "$T/a/ws/pgo-wrap.yaml" "$T/b/somewhere/else/project/pgo-wrap.yaml"
	on_a build --release 2>"$T/a.err" || fail "A's cycle: $(tail -3 "$T/a.err")"
	on_a pin --release 2>"$T/pin.err" || fail "pin: $(cat "$T/pin.err")"
	assert_grep "Pinned profile [0-9a-f]{12} for slot key [0-9a-f]{12} \\(slot [0-9a-f]{12} here\\) in $T/a/ws/pgo-wrap.lock" "$T/pin.err" "pin says what it pinned"
	local pinned
	pinned=$(sed -n 's/^  profile: \([0-9a-f]*\)$/\1/p' "$T/a/ws/pgo-wrap.lock")
	[ ${#pinned} = 32 ] || fail "no profile in the lock: $(cat "$T/a/ws/pgo-wrap.lock")"
	assert_grep '^  rustc: rustc 1\.' "$T/a/ws/pgo-wrap.lock" "the lock says which rustc, for a reviewer"
	# The lock is committed; the training job (A) works in a checkout without it.
	mv "$T/a/ws/pgo-wrap.lock" "$T/committed.lock"
	# A moves on: a code change, a refresh, a push. The remote's ref names the new profile.
	echo '// a change' >>"$T/a/ws/fixlib/src/lib.rs"
	sed -i 's/v = v.wrapping_mul(10)/v = v.wrapping_mul(10).wrapping_add(0)/' "$T/a/ws/fixlib/src/lib.rs"
	on_a build --release 2>"$T/a2.err" || fail "A's refresh: $(tail -3 "$T/a2.err")"
	assert_grep 'Pushed profile' "$T/a2.err" "A pushed its new profile"
	assert_no_grep "Pushed profile ${pinned:0:12}" "$T/a2.err" "a new one"
	# B has the lock (a commit of it): the pinned profile, not the remote's newest.
	cp "$T/committed.lock" "$T/b/somewhere/else/project/pgo-wrap.lock"
	on_b build --release 2>"$T/b.err" || { cat "$T/b.err" >&2; fail "B's build"; }
	assert_grep "Pulled profile ${pinned:0:12}" "$T/b.err" "B fetches the pinned profile"
	assert_grep "carry profile ${pinned:0:12} " "$T/b.err" "and builds with it"
	# B's code changes: stale, but pinned: used as it is, no training.
	echo '// b change' >>"$T/b/somewhere/else/project/fixlib/src/lib.rs"
	sed -i 's/v = v.wrapping_mul(10)/v = v.wrapping_mul(10).wrapping_add(1)/' "$T/b/somewhere/else/project/fixlib/src/lib.rs"
	on_b build --release 2>"$T/b2.err" || { cat "$T/b2.err" >&2; fail "B's stale build"; }
	assert_grep 'using it anyway: pgo-wrap.lock pins it' "$T/b2.err" "says why it does not refresh"
	assert_no_grep 'Training|Pushed' "$T/b2.err" "neither trains nor pushes"
	# pin again, on A with the committed lock: the pin moves to A's new profile.
	cp "$T/committed.lock" "$T/a/ws/pgo-wrap.lock"
	on_a pin --release 2>"$T/pin2.err" || fail "pin again: $(cat "$T/pin2.err")"
	assert_grep 'Pinned profile .*\(moved\)' "$T/pin2.err" "the pin moves"
	# A lock that is not one: one located line, exit 2.
	printf 'version: 1\npins:\n  - slot: nope\n' >"$T/b/somewhere/else/project/pgo-wrap.lock"
	local rc=0
	on_b build --release 2>"$T/bad.err" || rc=$?
	assert_eq 2 "$rc" "a bad lock"
	assert_grep "pgo-wrap.lock:3:5: a pin needs 'slot' and 'profile'" "$T/bad.err" "located"
}

# An S3 server on 127.0.0.1 that checks every request's Signature V4:
# @20minutes/s3rver (tests/deps.sh installs it under tests/s3rver/). No real S3
# runs here (MinIO is not packaged, radosgw needs a cluster); the signing is
# also checked against AWS's published vectors (tests/unit/test_sigv4.c).
start_s3rver() {
	local dir="$ROOT/tests/s3rver" port
	[ -d "$dir/node_modules/@20minutes/s3rver" ] ||
		fail "setup: s3rver is not installed: run tests/deps.sh (npm ci in tests/s3rver)"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mkdir -p "$T/s3"
	node "$dir/serve.js" "$T/s3" "$port" pgo-bucket >"$T/s3rver.log" 2>&1 &
	S3RVER_PID=$!
	local i
	for i in $(seq 100); do
		grep -q ready "$T/s3rver.log" && break
		sleep 0.1
	done
	grep -q ready "$T/s3rver.log" || fail "s3rver did not start: $(cat "$T/s3rver.log")"
	export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$port" AWS_REGION=us-east-1
}

stop_s3rver() {
	[ -z "${S3RVER_PID:-}" ] || kill "$S3RVER_PID" 2>/dev/null || true
}

test_remote_s3_signed_requests() {
	remote_setup
	start_s3rver
	trap stop_s3rver EXIT
	export CARGO_PGO_WRAP_REMOTE=s3://pgo-bucket/ci/main
	# The training job: signed PUTs, the payload hashed and signed, a session token as a signed header.
	AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_SESSION_TOKEN=Tok3n-abc \
		on_a build --release 2>"$T/a.err" || { cat "$T/a.err" >&2; fail "A's cycle"; }
	assert_grep "Pushed profile [0-9a-f]{12} of slot [0-9a-f]{12} to s3://pgo-bucket/ci/main$" "$T/a.err" "A pushes to S3"
	[ -n "$(find "$T/s3/pgo-bucket/ci/main/pgow-v1/slots" -name 'current*')" ] || fail "nothing in the bucket"
	assert_no_grep 'Tok3n|S3RVER' "$T/a.err" "no secret printed"
	local id
	id=$(sed -n 's/.*Pushed profile \([0-9a-f]\{12\}\).*/\1/p' "$T/a.err")
	# A wrong secret: the server refuses the signature; a miss in one line, and B trains.
	AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=not-the-secret on_b build --release 2>"$T/b.err" ||
		{ cat "$T/b.err" >&2; fail "B with a wrong secret"; }
	assert_grep "warning: cannot fetch a profile: GET s3://pgo-bucket/ci/main/pgow-v1/slots/[0-9a-f]{32}/current: the server answered HTTP 403 \\(check AWS_ACCESS_KEY_ID" \
		"$T/b.err" "the refused signature is one line"
	assert_no_grep 'not-the-secret' "$T/b.err" "the secret is not printed"
	assert_grep 'Training' "$T/b.err" "then B trains"
	assert_no_grep 'cannot push' "$T/b.err" "and no push is tried after the remote failed"
	# A PR build: no credentials at all, so anonymous and read-only; it fetches A's profile.
	rm -rf "$T/b/cache" "$T/b/somewhere/else/project/target"
	local before
	before=$(find "$T/s3" -type f | sort | xargs md5sum)
	on_b build --release 2>"$T/b.err" || { cat "$T/b.err" >&2; fail "anonymous B"; }
	assert_grep "Pulled profile $id for slot [0-9a-f]{12} from s3://pgo-bucket/ci/main" "$T/b.err" "B fetches from S3"
	assert_no_grep 'instrumented|Training|Pushed' "$T/b.err" "no instrumented build, no training, no push"
	cmp "$T/a/ws/target/release/fixbin" "$T/b/somewhere/else/project/target/release/fixbin" ||
		fail "B's program differs from A's"
	[ "$before" = "$(find "$T/s3" -type f | sort | xargs md5sum)" ] || fail "an anonymous build wrote"
	local rc=0
	on_b push --release 2>"$T/push.err" || rc=$?
	assert_eq 2 "$rc" "push without credentials"
	assert_grep 'read-only: no AWS credentials \(AWS_ACCESS_KEY_ID\)' "$T/push.err" "says why"
	# A bucket name S3 would refuse, and a key without its secret: one line, exit 2.
	rc=0
	CARGO_PGO_WRAP_REMOTE=s3://Bad_Bucket/x on_b pull --release 2>"$T/bad.err" || rc=$?
	assert_eq 2 "$rc" "a bad bucket name"
	assert_grep "'Bad_Bucket' is not an S3 bucket name" "$T/bad.err" "says which"
	rc=0
	AWS_ACCESS_KEY_ID=S3RVER on_b pull --release 2>"$T/bad.err" || rc=$?
	assert_eq 2 "$rc" "a key without its secret"
	assert_grep 'AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY' "$T/bad.err" "says so"
}

# Every fault a remote can have is a miss in one line, and the build is the
# one it would be without a remote: a 500, a server slower than the timeout, a
# body cut short, bytes that do not match their name, the server stopped in the
# middle of a build.
test_remote_faults_are_misses() {
	remote_setup
	start_nginx 0
	trap 'stop_nginx; [ -z "${CUT_PID:-}" ] || kill "$CUT_PID" 2>/dev/null' EXIT
	local port=${NGINX_URL#http://127.0.0.1:}
	port=${port%%/*}
	# A 500 for everything under /err, and /slow serving the real objects at 1 byte a second.
	sed -i "s|location / {|location /err/ { return 500; }\n\t\tlocation /slow/ { alias $T/nginx/root/; limit_rate 1; }\n\t\tlocation / {|" \
		"$T/nginx/nginx.conf"
	nginx -c "$T/nginx/nginx.conf" -p "$T/nginx" -e "$T/nginx/error.log" -s reload || fail "nginx reload"
	sleep 0.5
	export CARGO_PGO_WRAP_REMOTE="$NGINX_URL"
	on_a build --release 2>"$T/a.err" || { cat "$T/a.err" >&2; fail "A's cycle"; }
	assert_grep 'Pushed profile' "$T/a.err" "A pushes"
	local plain_b="$T/b/somewhere/else/project/target/release/fixbin"

	fault() { # name url what-the-line-says
		rm -rf "$T/b/cache" "$T/b/somewhere/else/project/target"
		CARGO_PGO_WRAP_REMOTE="$2" CARGO_PGO_WRAP_REMOTE_TIMEOUT=2 on_b build --release 2>"$T/$1.err" ||
			{ cat "$T/$1.err" >&2; fail "$1: the build failed"; }
		assert_eq 1 "$(grep -c 'warning: cannot fetch a profile' "$T/$1.err")" "$1: one line"
		assert_no_grep 'cannot push' "$T/$1.err" "$1: and no second one (a push after it would wait again)"
		assert_grep "warning: cannot fetch a profile: GET ${2//./\\.}/pgow-v1/.*$3.*; going on without the remote" \
			"$T/$1.err" "$1: names the URL and the fault"
		assert_grep 'Training' "$T/$1.err" "$1: then B trains, as without a remote"
		assert_grep 'PGO 2 unit\(s\) .* 0 stale, 0 plain' "$T/$1.err" "$1: and builds with its own profile"
		"$plain_b" 10 >/dev/null || fail "$1: B's program does not run"
	}
	fault 500 "http://127.0.0.1:$port/err/pgo" 'HTTP 500'
	local t0=$SECONDS
	fault slow "http://127.0.0.1:$port/slow/pgo" 'Timeout was reached'
	[ $((SECONDS - t0)) -lt 60 ] || fail "the slow server held the build $((SECONDS - t0)) s"

	# A body cut short: nginx cannot send one, so a socket that announces 4096
	# bytes and sends 10 stands in for a connection lost mid-transfer.
	local cut
	cut=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	python3 - "$cut" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
while True:
    c, _ = s.accept()
    c.recv(65536)
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4096\r\nConnection: close\r\n\r\n0123456789")
    c.close()
PY
	CUT_PID=$!
	sleep 0.3
	fault cut "http://127.0.0.1:$cut/pgo" 'Transferred a partial file|transfer closed'

	# Bytes that do not hash to their name, served by nginx.
	local prof
	prof=$(ls "$T"/nginx/root/pgo/pgow-v1/profiles/*.profdata)
	printf 'X' | dd of="$prof" bs=1 seek=200 conv=notrunc 2>/dev/null
	rm -rf "$T/b/cache" "$T/b/somewhere/else/project/target"
	on_b build --release 2>"$T/bad.err" || fail "bad bytes: the build failed"
	assert_grep "warning: cannot fetch a profile: profile [0-9a-f]{12} from $NGINX_URL is not what its name says" \
		"$T/bad.err" "bad bytes: one line"
	assert_grep 'Training' "$T/bad.err" "bad bytes: B trains"

	# The server stops in the middle of A's build (its training stops it): the push is a miss.
	sed -i '1i stale-policy: refresh' "$T/a/ws/pgo-wrap.yaml"
	printf '  - name: stop-the-server\n    run: ["kill", "%s"]\n' "$(cat "$T/nginx/nginx.pid")" >>"$T/a/ws/pgo-wrap.yaml"
	echo '// a change' >>"$T/a/ws/fixlib/src/lib.rs"
	sed -i 's/v = v.wrapping_mul(10)/v = v.wrapping_mul(10).wrapping_add(0)/' "$T/a/ws/fixlib/src/lib.rs"
	on_a build --release 2>"$T/stop.err" || { cat "$T/stop.err" >&2; fail "stopped: A's build failed"; }
	assert_grep "warning: cannot push the profile: (HEAD|PUT) $NGINX_URL/.*(Couldn't connect|Failed to connect).*; going on without the remote" \
		"$T/stop.err" "stopped: one line"
	assert_grep 'PGO 2 unit\(s\) .* 0 stale, 0 plain' "$T/stop.err" "stopped: A still builds with its new profile"
}

# A push keeps CARGO_PGO_WRAP_REMOTE_KEEP profiles per slot on the remote and
# deletes older ones (DELETE over WebDAV), never one that `pin` protected.
test_remote_push_prunes_old_profiles() {
	remote_setup
	start_nginx 0
	trap stop_nginx EXIT
	export CARGO_PGO_WRAP_REMOTE="$NGINX_URL" CARGO_PGO_WRAP_REMOTE_KEEP=2
	sed -i '1i stale-policy: refresh' "$T/a/ws/pgo-wrap.yaml"
	local profiles="$T/nginx/root/pgo/pgow-v1/profiles" i
	for i in 1 2 3 4; do
		sed -i "s/v = v.wrapping_mul(10)[^;]*;/v = v.wrapping_mul(10).wrapping_add($i);/" "$T/a/ws/fixlib/src/lib.rs"
		on_a build --release 2>"$T/a$i.err" || { cat "$T/a$i.err" >&2; fail "A's build $i"; }
		assert_grep 'Pushed profile' "$T/a$i.err" "build $i pushes"
		# The first is pinned (its lock committed elsewhere: the training job works without it).
		if [ "$i" = 1 ]; then
			on_a pin --release 2>"$T/pin.err" || fail "pin: $(cat "$T/pin.err")"
			mv "$T/a/ws/pgo-wrap.lock" "$T/committed.lock"
		fi
	done
	local first last
	first=$(sed -n 's/.*Pushed profile \([0-9a-f]\{12\}\).*/\1/p' "$T/a1.err")
	last=$(sed -n 's/.*Pushed profile \([0-9a-f]\{12\}\).*/\1/p' "$T/a4.err")
	assert_grep "Pruned 1 old profile\\(s\\) of slot [0-9a-f]{12} from $NGINX_URL \\(CARGO_PGO_WRAP_REMOTE_KEEP=2\\)" \
		"$T/a4.err" "the fourth push prunes the second"
	# Kept: the pinned first, the last two. Gone: the second, whole (profile and manifest).
	assert_eq 3 "$(ls "$profiles" | grep -c '\.profdata$')" "three profiles left"
	assert_eq 3 "$(ls "$profiles" | grep -c '\.yaml$')" "and their manifests"
	ls "$profiles" | grep -q "^$first" || fail "the pinned profile was deleted"
	ls "$profiles" | grep -q "^$last" || fail "the newest profile was deleted"
	assert_eq 2 "$(grep -c . "$(find "$T/nginx/root" -name history)")" "the history names two"
	# A remote that refuses DELETE: the push still succeeds, with one warning.
	sed -i 's/dav_methods PUT DELETE MKCOL;/dav_methods PUT MKCOL;/' "$T/nginx/nginx.conf"
	nginx -c "$T/nginx/nginx.conf" -p "$T/nginx" -e "$T/nginx/error.log" -s reload || fail "nginx reload"
	sleep 0.5
	sed -i "s/v = v.wrapping_mul(10)[^;]*;/v = v.wrapping_mul(10).wrapping_add(5);/" "$T/a/ws/fixlib/src/lib.rs"
	on_a build --release 2>"$T/a5.err" || { cat "$T/a5.err" >&2; fail "A's build 5"; }
	assert_grep 'Pushed profile' "$T/a5.err" "pushed"
	assert_grep "warning: cannot prune old profiles of slot [0-9a-f]{12} on the remote: DELETE $NGINX_URL/.*HTTP 405" \
		"$T/a5.err" "one warning"
}

# A profile this cache made and never pushed (a local merge) is newer work than the
# remote's: when a source change makes both stale, the remote's older one must not
# replace it (found by a new-user audit: `Restored profile <older>` after an edit).
test_remote_an_older_remote_profile_never_replaces_a_newer_local_one() {
	remote_setup
	export CARGO_PGO_WRAP_REMOTE="file://$T/remote"
	on_a build --release 2>"$T/a.err" || { cat "$T/a.err" >&2; fail "A's cycle"; }
	local pushed
	pushed=$(sed -n 's/.*Pushed profile \([0-9a-f]\{12\}\).*/\1/p' "$T/a.err")
	[ -n "$pushed" ] || fail "setup: nothing pushed"
	# More profiles merged here, not pushed.
	on_a instrument --release 2>/dev/null || fail "instrument"
	mkdir -p "$T/more"
	LLVM_PROFILE_FILE="$T/more/%p.profraw" "$T/a/ws/target/release/fixbin" 40000 >/dev/null || fail "run"
	on_a merge "$T/more" 2>"$T/merge.err" || { cat "$T/merge.err" >&2; fail "merge"; }
	local local_key
	local_key=$(on_a status 2>/dev/null | sed -n 's/^  profile     \([0-9a-f]\{12\}\),.*/\1/p')
	[ -n "$local_key" ] && [ "$local_key" != "$pushed" ] || fail "setup: no newer local profile ($local_key)"
	# A source change: both profiles are stale for fixlib now.
	sed -i 's/v = v.wrapping_mul(10)/v = v.wrapping_mul(10).wrapping_add(0)/' "$T/a/ws/fixlib/src/lib.rs"
	on_a build --release 2>"$T/edit.err" || { cat "$T/edit.err" >&2; fail "build after the edit"; }
	assert_grep "note: the remote's profile $pushed is older than this cache's $local_key and stale for this build too \\(fixlib" \
		"$T/edit.err" "said"
	assert_grep "carry profile $local_key" "$T/edit.err" "built with this cache's"
	[ "$(on_a status 2>/dev/null | sed -n 's/^  profile     \([0-9a-f]\{12\}\),.*/\1/p')" = "$local_key" ] ||
		fail "the current profile is no longer this cache's newer one"
	# Judged once: the next build neither fetches the remote's again nor rebuilds anything.
	on_a build --release 2>"$T/again.err" || { cat "$T/again.err" >&2; fail "the build after"; }
	assert_no_grep "Restored|Pulled|Compiling|Split per unit" "$T/again.err" "a no-op"
	assert_grep "note: the remote's profile $pushed was judged no fresher for this build before" "$T/again.err" "said why"
	# A newer profile on the remote (B's, pushed later) is the team's latest: A takes it, stale or not.
	on_b build --release 2>"$T/b.err" || { cat "$T/b.err" >&2; fail "B's build"; }
	on_b instrument --release 2>/dev/null || fail "B instruments"
	mkdir -p "$T/more-b"
	LLVM_PROFILE_FILE="$T/more-b/%p.profraw" "$T/b/somewhere/else/project/target/release/fixbin" 7000 >/dev/null ||
		fail "B's run"
	on_b merge "$T/more-b" 2>/dev/null || fail "B's merge"
	on_b push --release 2>"$T/bpush.err" || { cat "$T/bpush.err" >&2; fail "B's push"; }
	local newer
	newer=$(sed -n 's/.*Pushed profile \([0-9a-f]\{12\}\).*/\1/p' "$T/bpush.err")
	[ -n "$newer" ] || fail "setup: B pushed nothing"
	on_a build --release 2>"$T/newer.err" || { cat "$T/newer.err" >&2; fail "A's build after B's push"; }
	assert_grep "Pulled profile $newer" "$T/newer.err" "the newer remote profile is fetched"
	[ "$(on_a status 2>/dev/null | sed -n 's/^  profile     \([0-9a-f]\{12\}\),.*/\1/p')" = "$newer" ] ||
		fail "A did not take the remote's newer profile"
}
