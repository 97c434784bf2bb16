# t_shim.sh - the cargo shim: a `cargo` link to cargo-pgo-wrap first on PATH.

make_shim_dir() {
	mkdir -p "$T/shims"
	ln -sf "$PGOW_BIN" "$T/shims/cargo"
}

# A fake cargo that records its arguments and the wrapper settings it was given.
make_recording_cargo() {
	mkdir -p "$T/fake"
	cat >"$T/fake/cargo" <<'FAKE'
#!/bin/sh
printf 'args=%s|wrapper=%s|next=%s\n' "$*" "${RUSTC_WRAPPER:-}" "${CARGO_PGO_WRAP_NEXT:-}" >>"$SHIM_LOG"
FAKE
	chmod +x "$T/fake/cargo"
	export SHIM_LOG="$T/shim.log"
}

test_shim_output_identical_and_real_build() {
	make_shim_dir
	local real
	real=$(command -v cargo)
	"$real" --version >"$T/direct"
	PATH="$T/shims:$PATH" cargo --version >"$T/shimmed"
	cmp -s "$T/direct" "$T/shimmed" || fail "cargo --version differs through the shim"
	setup_ws
	unset RUSTC_WRAPPER
	# An unchanged `cargo build` gets the wrapper: the journal records its decisions.
	PATH="$T/shims:$PATH" cargo_ok build --release
	assert_eq "plain -" "$(journal_actions fixbin)" "fixbin went through the wrapper"
	assert_grep 'no profile for this build configuration yet' "$T/cargo.log" "one line says so"
	assert_eq 1 "$(grep -c 'no profile for this build' "$T/cargo.log")" "only one line"
}

test_shim_args_env_and_recursion() {
	make_shim_dir
	make_recording_cargo
	unset RUSTC_WRAPPER
	PATH="$T/shims:$T/shims:$T/fake:/usr/bin:/bin" cargo +nightly build -p polkadot --profile=production \
		--locked --target=x86_64-unknown-linux-gnu -Z unstable-options
	PATH="$T/shims:$T/fake:/usr/bin:/bin" cargo metadata --format-version 1
	PATH="$T/shims:$T/fake:/usr/bin:/bin" cargo --color never test -q
	PATH="$T/shims:$T/fake:/usr/bin:/bin" RUSTC_WRAPPER=/opt/sccache cargo build
	assert_eq "args=+nightly build -p polkadot --profile=production --locked --target=x86_64-unknown-linux-gnu -Z unstable-options|wrapper=$PGOW_BIN|next=" \
		"$(sed -n 1p "$T/shim.log")" "build: args untouched, wrapper set (no loop with the shim dir twice on PATH)"
	assert_eq "args=metadata --format-version 1|wrapper=|next=" "$(sed -n 2p "$T/shim.log")" \
		"metadata: no wrapper"
	assert_eq "args=--color never test -q|wrapper=$PGOW_BIN|next=" "$(sed -n 3p "$T/shim.log")" \
		"test after a global option is build-like"
	assert_eq "args=build|wrapper=$PGOW_BIN|next=/opt/sccache" "$(sed -n 4p "$T/shim.log")" \
		"an existing wrapper is chained after us"
	local rc=0
	PATH="$T/shims:/nonexistent" cargo build 2>"$T/err" || rc=$?
	assert_eq 127 "$rc" "no real cargo"
	assert_grep 'no real cargo after the cargo-pgo-wrap shim on PATH' "$T/err" "explains"
}

no_cargo test_shim_args_env_and_recursion

# Builds get RUST_LIB_BACKTRACE=0 when backtraces are asked for (see t_build.sh);
# what runs the user's programs (test, run) keeps the environment as it is.
test_shim_error_backtraces_only_off_for_builds() {
	make_shim_dir
	mkdir -p "$T/fake"
	printf '#!/bin/sh\necho "$1 ${RUST_LIB_BACKTRACE-unset}" >>"%s/shim.log"\n' "$T" >"$T/fake/cargo"
	chmod +x "$T/fake/cargo"
	unset RUSTC_WRAPPER RUST_LIB_BACKTRACE
	local P="$T/shims:$T/fake:/usr/bin:/bin"
	PATH=$P RUST_BACKTRACE=1 cargo build
	PATH=$P RUST_BACKTRACE=full cargo install foo
	PATH=$P RUST_BACKTRACE=1 cargo test
	PATH=$P RUST_BACKTRACE=1 cargo run
	PATH=$P RUST_BACKTRACE=1 RUST_LIB_BACKTRACE=1 cargo build
	PATH=$P RUST_BACKTRACE=0 cargo build
	PATH=$P env -u RUST_BACKTRACE cargo rustc
	# As Rust reads them: an empty RUST_BACKTRACE asks for backtraces; an empty RUST_LIB_BACKTRACE is the user's.
	PATH=$P RUST_BACKTRACE= cargo build
	PATH=$P RUST_BACKTRACE=1 RUST_LIB_BACKTRACE= cargo build
	assert_eq "build 0
install 0
test unset
run unset
build 1
build unset
rustc unset
build 0
build " "$(cat "$T/shim.log")" "off for builds that asked for backtraces, and only them"
}

no_cargo test_shim_error_backtraces_only_off_for_builds
