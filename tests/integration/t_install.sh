# t_install.sh - installation layout: PREFIX and DESTDIR are honoured.

test_install_honours_prefix_and_destdir() {
	make -s -C "$ROOT" install DESTDIR="$T/stage" PREFIX=/opt/pgow >/dev/null
	[ -x "$T/stage/opt/pgow/bin/cargo-pgo-wrap" ] || fail "binary not at DESTDIR/PREFIX/bin"
	"$T/stage/opt/pgow/bin/cargo-pgo-wrap" --version >"$T/v"
	assert_grep '^cargo-pgo-wrap ' "$T/v" "installed binary runs"
	[ -f "$T/stage/opt/pgow/share/cargo-pgo-wrap/profiles/example.yaml" ] || fail "presets not installed"
}

no_cargo test_install_honours_prefix_and_destdir
