#!/usr/bin/env bash
# install.sh - installs cargo-pgo-wrap's dependencies from Debian, then builds
# and installs the binary. Safe to run again: it installs only what is
# missing. PREFIX (default /usr/local) and DESTDIR are honoured.
set -euo pipefail

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

# rustc writes raw profiles in the format of its own LLVM; an llvm-profdata of
# the same major reads them (Debian's default LLVM 14 cannot read format 10).
rustc_llvm_major() {
	local rc
	rc=$(command -v rustc || echo "$HOME/.cargo/bin/rustc")
	"$rc" -vV 2>/dev/null | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p'
}

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

candidate() {
	apt-cache policy "$1" 2>/dev/null | sed -n 's/^  Candidate: //p' | grep -v '(none)' || true
}

# tests/deps.sh sources the helpers above; the rest installs.
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0
cd "$(dirname "$0")"
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}

# What the binary is built from, and valgrind, with which `make demo` counts the
# instructions each binary executes. What only tests, fuzzing and benches use
# (cmocka, Debian's crates the fixtures build against, ...) is installed by the make
# targets that need it (tests/deps.sh), not here.
packages=(make gcc libc6-dev pkg-config man-db libyaml-dev libxxhash-dev zlib1g-dev libcurl4-openssl-dev binutils valgrind)
missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done

major=$(rustc_llvm_major)
major=${major:-22}
# The C code build scripts compile is profiled by a clang of rustc's LLVM, and
# BOLT's tools of the same major (bookworm-security has them for LLVM 22).
optional=()
for p in "clang-$major" "bolt-$major" "libbolt-$major-dev"; do
	installed "$p" || optional+=("$p")
done
llvm=""
for v in "$major" 22 21 20 19; do
	if installed "llvm-$v"; then llvm="llvm-$v"; break; fi
done
updated=0
if [ -z "$llvm" ] || [ ${#missing[@]} -gt 0 ] || [ ${#optional[@]} -gt 0 ]; then
	echo "install.sh: apt-get update" >&2
	$SUDO apt-get update -qq
	updated=1
fi
if [ -z "$llvm" ]; then
	for v in "$major" 22 21 20 19; do
		if [ -n "$(candidate "llvm-$v")" ]; then llvm="llvm-$v"; break; fi
	done
	[ -n "$llvm" ] || {
		echo "install.sh: error: no Debian package provides an llvm-profdata for LLVM $major (tried llvm-$major, llvm-22 .. llvm-19); enable bookworm-security, which has llvm-22" >&2
		exit 4
	}
	missing+=("$llvm")
fi
for p in "${optional[@]}"; do
	if [ -n "$(candidate "$p")" ]; then
		missing+=("$p")
	else
		echo "install.sh: note: Debian has no $p here; cargo-pgo-wrap works without it (README: C and C++ code, BOLT)" >&2
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "install.sh: installing ${missing[*]}" >&2
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ $updated = 1 ] || echo "install.sh: all Debian packages already installed" >&2

make -j"$(nproc)" all
$SUDO make install PREFIX="$PREFIX" DESTDIR="$DESTDIR"
echo "install.sh: installed $DESTDIR$PREFIX/bin/cargo-pgo-wrap; llvm-profdata from $llvm (rustc's LLVM is $major)" >&2
