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

# The layer rule holds in the tree, and the check can fail: an upward include
# and an include cycle planted in a copy are each named with file and line.
test_install_layer_check_catches_upward_includes_and_cycles() {
	local layers="base formats store wrapper cycle commands"
	sh "$ROOT/tests/check-layers.sh" $layers >"$T/out" 2>&1 || fail "the tree breaks its layers: $(cat "$T/out")"
	mkdir -p "$T/copy/tests"
	cp -r "$ROOT/shim" "$ROOT/include" "$T/copy/"
	cp "$ROOT/tests/check-layers.sh" "$T/copy/tests/"
	sed -i 's|^#include "base/path.h"$|&\n#include "store/cache.h"|' "$T/copy/shim/base/path.c"
	local rc=0
	sh "$T/copy/tests/check-layers.sh" $layers >"$T/out" 2>&1 || rc=$?
	assert_eq 1 "$rc" "an upward include fails the check"
	assert_grep '^shim/base/path.c:[0-9]+: the base layer includes "store/cache.h" of the higher store layer$' "$T/out" "names it"
	cp "$ROOT/shim/base/path.c" "$T/copy/shim/base/path.c"
	echo '#include "store/slot.h"' >>"$T/copy/include/store/toolchain.h"
	rc=0
	sh "$T/copy/tests/check-layers.sh" $layers >"$T/out" 2>&1 || rc=$?
	assert_eq 1 "$rc" "an include cycle fails the check"
	assert_grep '^include cycle: .*store/slot -> store/toolchain -> store/slot|^include cycle: .*store/toolchain -> store/slot -> store/toolchain' "$T/out" "names the loop"
}

no_cargo test_install_honours_prefix_and_destdir test_install_layer_check_catches_upward_includes_and_cycles
