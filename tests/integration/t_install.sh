# t_install.sh - installation layout: PREFIX and DESTDIR are honoured.

test_install_honours_prefix_and_destdir() {
	make -s -C "$ROOT" install DESTDIR="$T/stage" PREFIX=/opt/pgow >/dev/null
	[ -x "$T/stage/opt/pgow/bin/cargo-pgo-wrap" ] || fail "binary not at DESTDIR/PREFIX/bin"
	"$T/stage/opt/pgow/bin/cargo-pgo-wrap" --version >"$T/v"
	assert_grep '^cargo-pgo-wrap ' "$T/v" "installed binary runs"
	[ -f "$T/stage/opt/pgow/share/cargo-pgo-wrap/profiles/example.yaml" ] || fail "presets not installed"
	# The man pages, rendered from the docs and the code's tables, where man looks.
	local page
	for page in man1/cargo-pgo-wrap.1 man5/pgo-wrap.yaml.5; do
		[ -f "$T/stage/opt/pgow/share/man/$page" ] || fail "$page not installed"
	done
	MANWIDTH=200 man -l "$T/stage/opt/pgow/share/man/man1/cargo-pgo-wrap.1" >"$T/man1" 2>"$T/man.err" || fail "man -l: $(cat "$T/man.err")"
	assert_grep '^ +CARGO_PGO_WRAP_GC_GRACE=SECONDS \(default: 21600' "$T/man1" "the environment section comes from the settings table"
	MANWIDTH=200 man -l "$T/stage/opt/pgow/share/man/man5/pgo-wrap.yaml.5" >"$T/man5" 2>"$T/man.err" || fail "man -l 5: $(cat "$T/man.err")"
	assert_grep '^ +stale-policy: refresh\|use-stale\|plain\|error \(default: use-stale\)' "$T/man5" "the keys come from config's table"
	make -s -C "$ROOT" uninstall DESTDIR="$T/stage" PREFIX=/opt/pgow >/dev/null
	[ ! -e "$T/stage/opt/pgow/share/man/man1/cargo-pgo-wrap.1" ] || fail "uninstall left the man page"
}
