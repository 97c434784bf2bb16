#!/usr/bin/env bash
# tests/deps.sh - installs from Debian what the tests, fuzzing and benches need and
# is missing: what the binary is built from (as install.sh), and what only tests use
# (cmocka, valgrind, python3, perf, strace, nginx, s3rver from npm, Debian's crates the fixtures and real applications
# build against, clang and LLVM 14 as the "other LLVM", the clang, llvm-profdata and
# BOLT of rustc's LLVM). The make targets that test run it first; when everything is
# installed it costs one dpkg-query. Users' ./install.sh installs none of the
# test-only packages.
set -euo pipefail

# SUDO, rustc_llvm_major, installed and candidate, as install.sh has them.
source "$(dirname "$0")/../install.sh"
major=$(rustc_llvm_major)
major=${major:-22}

# What the binary is built from (install.sh has the same).
build=(make gcc libc6-dev pkg-config libyaml-dev libxxhash-dev zlib1g-dev libcurl4-openssl-dev binutils)
# Only tests, fuzzing and benches use these.
tests=(
	libcmocka-dev                     # make unit, sanitize, valgrind
	valgrind                          # make valgrind
	python3                           # tests/integration/compile_like.py, tests/bench/hash.sh
	git                               # tests/bench/hash.sh compares with git status
	linux-perf                        # t_bolt: bolt-profile: perf
	strace                            # t_split: a merge killed at each of its renames
	nginx openssl                     # t_remote: a WebDAV server on 127.0.0.1, its htpasswd
	libnginx-mod-http-dav-ext         # t_fleet: its PROPFIND lists the uploads
	clang libclang-rt-14-dev          # make fuzz (libFuzzer); clang-14 is t_ccode's compiler of another LLVM
	llvm-14                           # llvm-profdata-14: the reader of an older format that tests refuse
	# Debian's crates: fixtures (cc: cmix; cfg-if 1 and 0.1: layouts), real applications
	# (pulldown-cmark, bat) and benches (cbindgen, regex's and serde_json's sources).
	librust-cc-dev librust-cfg-if-dev librust-cfg-if-0.1-dev librust-pulldown-cmark-dev librust-bat-dev
	'librust-regex+default-dev' librust-serde-json-dev librust-cbindgen-dev 'librust-cbindgen+clap-dev'
	librust-hexyl-dev                 # bench partial.sh: a training that is not deterministic
	librust-memchr-dev                # t_split: a registry crate ThinLTO imports from, under incremental
	# rustc's LLVM: its llvm-profdata, the clang the C/C++ tests profile with, BOLT.
	"llvm-$major" "clang-$major" "bolt-$major" "libbolt-$major-dev"
)
want=("${build[@]}" "${tests[@]}")

# The S3 server t_remote.sh runs (Node's package, from the npm registry: Debian has none that checks
# signatures), at the versions tests/s3rver/package-lock.json names.
install_s3rver() {
	local dir
	dir="$(dirname "$0")/s3rver"
	[ -d "$dir/node_modules/@20minutes/s3rver" ] && return 0
	command -v npm >/dev/null || { echo "tests/deps.sh: error: npm is missing (apt-get install npm)" >&2; exit 4; }
	echo "tests/deps.sh: npm ci in tests/s3rver" >&2
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
		{ echo "tests/deps.sh: error: npm ci in $dir failed; t_remote.sh's S3 test needs it" >&2; exit 4; }
}
install_s3rver

mapfile -t have < <(dpkg-query -W -f='${Package}\t${Status}\n' "${want[@]}" 2>/dev/null |
	awk -F'\t' '$2 == "install ok installed" { print $1 }')
declare -A ok=()
for p in "${have[@]}"; do ok[$p]=1; done
missing=()
for p in "${want[@]}"; do [ -n "${ok[$p]+x}" ] || missing+=("$p"); done
[ ${#missing[@]} -gt 0 ] || exit 0

echo "tests/deps.sh: missing ${missing[*]}; apt-get update" >&2
$SUDO apt-get update -qq
unavailable=()
installable=()
for p in "${missing[@]}"; do
	if [ -n "$(candidate "$p")" ]; then
		installable+=("$p")
	else
		unavailable+=("$p")
	fi
done
if [ ${#installable[@]} -gt 0 ]; then
	echo "tests/deps.sh: installing ${installable[*]}" >&2
	$SUDO apt-get install -y -qq --no-install-recommends "${installable[@]}" >/dev/null
fi
if [ ${#unavailable[@]} -gt 0 ]; then
	echo "tests/deps.sh: error: Debian has no ${unavailable[*]} here (enable bookworm-security for LLVM $major's packages); the tests that need them would fail" >&2
	exit 4
fi
