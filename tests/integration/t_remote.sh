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
on_b() { (cd "$T/b/somewhere/else/project" && CARGO_PGO_WRAP_CACHE="$T/b/cache" "$PGOW_BIN" "$@"); }

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
	cmp "$T/a/ws/target/release/fixbin" "$T/b/somewhere/else/project/target/release/fixbin" ||
		fail "B's program differs from A's"
	on_b status >"$T/status.txt" || fail "status"
	assert_grep "^  remote      file://$T/remote: the same profile$" "$T/status.txt" "status compares with the remote"
	on_b build --release 2>"$T/b2.err" || fail "B again"
	assert_no_grep 'Pulled|Compiling' "$T/b2.err" "then a no-op that does not ask the remote"
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
	cat >"$n/nginx.conf" <<CONF
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
	on_b build --release 2>"$T/b.err" || { cat "$T/b.err" >&2; fail "B's build"; }
	cat "$T"/b/somewhere/else/project/target/release/deps/cfg_if-*.d | grep -q "$T/b/registry/cfg-if" ||
		fail "setup: B does not build cfg-if from its own registry path"
	assert_grep 'Pulled profile' "$T/b.err" "B fetches the profile"
	assert_grep 'PGO 5 unit\(s\) .* \(5 compiled now, 0 reused\); 0 stale' "$T/b.err" "fresh for every unit, cfg-if too"
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
	assert_grep "Pinned profile [0-9a-f]{12} for slot [0-9a-f]{12} in $T/a/ws/pgo-wrap.lock" "$T/pin.err" "pin says what it pinned"
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
