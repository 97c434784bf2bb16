# t_realapp.sh - the whole lifecycle on applications we did not write, built from
# Debian's crates: pulldown-cmark (a lib and a bin sharing one crate name) and bat
# (its build script compiles oniguruma's C through `cc`, which is profiled too;
# proc-macros; cfg-if 0.1 and 1.0 in one graph; then BOLT). Sourced by run.sh here,
# and by tests/integration/run.sh --realapp (make test runs them with the cargo
# integration tests, in one parallel run).

# An application's source from Debian's registry, buildable offline here.
app_setup() { # registry-dir
	local src=/usr/share/cargo/registry/$1
	[ -d "$src" ] || fail "$src is missing; run tests/deps.sh"
	cp -r "$src" "$T/app"
	cd "$T/app" || fail "cannot enter $T/app"
	rm -f .cargo-checksum.json
	mkdir -p .cargo
	cp "$ROOT/tests/fixtures/layouts/.cargo/config.toml" .cargo/config.toml
	# Its dev-dependencies are not packaged; without them the lock file cannot be made.
	awk '/^\[/ { skip = ($0 ~ /^\[(target\.[^]]*\.)?dev-dependencies/) } !skip' Cargo.toml >Cargo.toml.new
	mv Cargo.toml.new Cargo.toml
	cargo generate-lockfile --offline -q || fail "cargo generate-lockfile for $1"
	export CARGO_PGO_WRAP_CACHE="$T/cache"
}

# No raw profile may exist outside the training's own dirs (build scripts and
# proc-macros would write one during the build if they were instrumented).
assert_no_stray_profiles() { # what
	local stray
	stray=$(find "$T/app" -name '*.profraw' 2>/dev/null | head -n 3)
	[ -z "$stray" ] || fail "$1: raw profiles written outside training: $stray"
}

assert_noop() { # what [build args...]
	local what=$1
	shift
	pgow build --release "$@" 2>"$T/noop.err" || { tail -5 "$T/noop.err" >&2; fail "$what: build failed"; }
	assert_grep 'Fresh profile [0-9a-f]{12}' "$T/noop.err" "$what: fresh"
	assert_no_grep 'Stale|instrumented binaries|Training|Merging|Compiling|Rebuilding' "$T/noop.err" "$what: nothing redone"
	assert_grep 'PGO [0-9]+ unit\(s\) .* carry profile [0-9a-f]{12} \(0 compiled now' "$T/noop.err" "$what: verified"
}

slow test_realapp_pulldown_cmark_lifecycle 60
test_realapp_pulldown_cmark_lifecycle() {
	app_setup pulldown-cmark-0.9.2
	grep -q '^path = "src/main.rs"' Cargo.toml || [ -f src/main.rs ] || fail "setup: no src/main.rs"
	cat >pgo-wrap.yaml <<'YAML'
stale-policy: refresh
training:
  - name: render
    shell: "awk 'BEGIN {{ for (i = 0; i < 40000; i++) printf \"- item *%d* with **bold _n_** and `code` [l](http://e/%d)\\n\", i, i }}' > {target_dir}/w.md && {bin:pulldown-cmark} -TFSLP < {target_dir}/w.md > /dev/null"
YAML
	pgow build --release 2>"$T/err" || { tail -20 "$T/err" >&2; fail "first build"; }
	assert_grep 'Trained run 1/1' "$T/err" "trained"
	assert_grep 'PGO [0-9]+ unit\(s\) .* carry profile' "$T/err" "optimised"
	assert_no_stray_profiles "after the cycle"
	pgow status >"$T/status.txt"
	assert_grep '^ {14}pulldown_cmark .* fresh +[1-9][0-9]* of [0-9]+ functions ran' "$T/status.txt" \
		"the profile covers pulldown_cmark"
	[ "$(grep -cE '^ {14}pulldown_cmark ' "$T/status.txt")" = 2 ] || fail "lib and bin are two units"
	assert_noop "second build"
	# The lib's unit tests (no dev-dependencies needed) through the wrapper.
	RUSTC_WRAPPER="$PGOW_BIN" cargo test --release --lib -q >/dev/null 2>"$T/test.err" ||
		{ tail -5 "$T/test.err" >&2; fail "cargo test"; }
	assert_noop "after cargo test"
	# A comment and a reformat in the parser: cargo compiles the crate again, with
	# the same profile; nothing is trained.
	sed -i '1i // A comment the test adds.' src/parse.rs
	sed -i 's/^    pub fn new(text: &.input str) -> Self {$/    pub fn new (\n        text: \&\x27input str,\n    ) -> Self { \/\* reformatted \*\//' src/parse.rs
	grep -q '^    pub fn new ($' src/parse.rs || fail "setup: the reformat"
	pgow build --release 2>"$T/err" || { tail -5 "$T/err" >&2; fail "build after a comment edit"; }
	assert_grep 'Fresh profile [0-9a-f]{12}' "$T/err" "comment edit: fresh"
	assert_grep 'Compiling pulldown-cmark' "$T/err" "comment edit: compiled again"
	assert_no_grep 'Stale|Training' "$T/err" "comment edit: nothing trained"
	assert_noop "after the comment edit"
	# A plain build in between, then ours: the plain artifacts never ship.
	touch src/lib.rs
	cargo build --release -q 2>/dev/null || fail "plain cargo build"
	pgow build --release 2>"$T/err" || fail "build after a plain build"
	assert_grep 'Rebuilding [0-9]+ unit\(s\)' "$T/err" "plain artifacts rebuilt"
	run_profiled "$T/after" target/release/pulldown-cmark </dev/null >/dev/null
	assert_eq 0 "$(count_files "$T/after" '*.profraw')" "the shipped binary is not instrumented"
	assert_noop "after the plain build"
	# Another directory, another target dir.
	(cd src && pgow status) >"$T/status.txt" || fail "status from src/"
	assert_grep '^  state       fresh' "$T/status.txt" "status from a subdirectory"
	(cd src && assert_noop "build from src/")
	CARGO_TARGET_DIR="$T/other-target" pgow build --release 2>"$T/err" || fail "build in another target dir"
	assert_grep "PGO [0-9]+ unit\\(s\\) of $T/other-target/release carry profile" "$T/err" "the optimised build lands there"
	[ -x "$T/other-target/release/pulldown-cmark" ] || fail "no binary in CARGO_TARGET_DIR"
	[ -x "$T/other-target/pgo-wrap/instrumented/release/pulldown-cmark" ] || fail "instrumented build not in its own dir"
	CARGO_TARGET_DIR="$T/other-target" assert_noop "second build in CARGO_TARGET_DIR"
	assert_noop "the first target dir is untouched"
}

slow test_realapp_bat_c_through_cc_and_proc_macros 450
test_realapp_bat_c_through_cc_and_proc_macros() {
	app_setup bat-0.22.1
	grep -q 'cc::Build' /usr/share/cargo/registry/onig_sys-*/build.rs || fail "setup: onig_sys compiles no C"
	cat >pgo-wrap.yaml <<'YAML'
stale-policy: refresh
training:
  - name: highlight
    shell: "for i in 1 2 3; do cat src/*.rs src/bin/bat/*.rs; done > {target_dir}/w.rs && {bin:bat} --color=always --paging=never --style=full {target_dir}/w.rs > /dev/null"
YAML
	local args=(--no-default-features --features minimal-application)
	pgow build --release "${args[@]}" 2>"$T/err" || { tail -20 "$T/err" >&2; fail "first build"; }
	assert_grep 'PGO [0-9]+ unit\(s\) .* carry profile' "$T/err" "optimised"
	assert_grep 'PGO C/C\+\+ code of onig_sys: [0-9]+ object\(s\) from 1 build script\(s\) carry it too' "$T/err" \
		"oniguruma's C is optimised with the profile"
	[ "$(grep -c 'name = "cfg-if"' Cargo.lock)" = 2 ] || fail "setup: two cfg-if versions"
	assert_no_stray_profiles "after the cycle (build scripts and proc-macros not instrumented)"
	assert_noop "second build" "${args[@]}"
	# (its lib tests need unpackaged dev-dependencies; the bin has tests of its own)
	RUSTC_WRAPPER="$PGOW_BIN" cargo test --release --bins -q "${args[@]}" >/dev/null 2>"$T/test.err" ||
		{ tail -5 "$T/test.err" >&2; fail "cargo test"; }
	assert_noop "after cargo test" "${args[@]}"
	touch src/lib.rs
	cargo build --release -q "${args[@]}" 2>/dev/null || fail "plain cargo build"
	pgow build --release "${args[@]}" 2>"$T/err" || fail "build after a plain build"
	assert_grep 'Rebuilding [0-9]+ unit\(s\)' "$T/err" "plain artifacts rebuilt"
	run_profiled "$T/after" target/release/bat --version >/dev/null
	assert_eq 0 "$(count_files "$T/after" '*.profraw')" "the shipped binary is not instrumented"
	(cd src && pgow status) >"$T/status.txt" || fail "status from src/"
	assert_grep '^  state       fresh' "$T/status.txt" "status from a subdirectory"
	assert_grep '^ {14}bat .* [1-9][0-9]* of [0-9]+ functions ran' "$T/status.txt" "the profile covers bat"
	assert_grep '^ {14}c:onig_sys .* fresh +[1-9][0-9]* of [0-9]+ functions ran, [1-9][0-9]*% of counts' \
		"$T/status.txt" "the profile covers oniguruma's C"
	readelf -SW target/release/build/onig_sys-*/out/oniguruma/src/regexec.o | grep -q '\.text\.hot\.' ||
		fail "oniguruma's regexec.o is not laid out by the profile"
	# BOLT turned on: bat is linked with relocations, BOLTed, kept (any gain accepted
	# here), prints what the PGO bat printed, and is not BOLTed again.
	target/release/bat --color=always --paging=never --style=full src/lib.rs >"$T/pgo.out"
	printf 'bolt: on\nbolt-min-gain: -0.9\nbolt-rounds: 1\n' >>pgo-wrap.yaml
	pgow build --release "${args[@]}" 2>"$T/bolt.err" || { tail -20 "$T/bolt.err" >&2; fail "build with BOLT"; }
	# (editing pgo-wrap.yaml in bat's package dir reruns its build script, so cargo relinks bat itself)
	assert_grep 'BOLT kept, the BOLTed programs ship' "$T/bolt.err" "BOLTed"
	readelf -SW target/release/bat | grep -q '\.note\.bolt_info' || fail "the shipped bat is not BOLT's"
	target/release/bat --color=always --paging=never --style=full src/lib.rs >"$T/bolt.out"
	cmp -s "$T/pgo.out" "$T/bolt.out" || fail "the BOLTed bat prints something else"
	pgow build --release "${args[@]}" 2>"$T/bolt2.err" || fail "second build with BOLT"
	assert_grep 'BOLT cached verdicts, not re-run: bat \(BOLTed already\)' "$T/bolt2.err" "not BOLTed twice"
	assert_no_stray_profiles "after BOLT"
}
