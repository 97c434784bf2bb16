#!/usr/bin/env bash
# hash.sh - content-key cost on a tree shaped like polkadot-sdk: ~12,000 .rs
# files, ~150 MB. Cold (page cache dropped when allowed, else the first pass)
# and warm (stat cache), side by side with `git status` on the same tree.
# SOURCE=registry builds the tree from real code instead: Debian's registry
# sources (/usr/share/cargo/registry) three times over: 14,151 files, 174 MB with
# the crates tests/deps.sh installs;
# the default tree is synthetic, a token every 3 bytes, the lexer's worst case.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FILES=${FILES:-12000}
MB=${MB:-150}
W=$(mktemp -d "${TMPDIR:-/tmp}/pgow-hash.XXXXXX")
trap 'rm -rf "$W"' EXIT
make -s -C "$ROOT" build/hashbench
REGISTRY=/usr/share/cargo/registry
if [ "${SOURCE:-synthetic}" = registry ]; then
	if [ ! -d "$REGISTRY" ]; then
		echo "hash.sh: SOURCE=registry reads Debian's registry sources, and $REGISTRY is missing; tests/deps.sh installs them" >&2
		exit 2
	fi
	for k in 1 2 3; do
		mkdir -p "$W/tree/copy$k"
		cp -rL "$REGISTRY/." "$W/tree/copy$k/"
	done
	find "$W/tree" -type f ! -name '*.rs' -delete
else
python3 - "$W/tree" "$FILES" "$MB" <<'PY'
import os, random, sys
root, n, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
size = mb * 1024 * 1024 // n
rnd = random.Random(1)
words = [b"fn ", b"let ", b"pub ", b"impl ", b"match ", b"self", b"::", b"{ ", b"} ", b"(", b") ", b";\n", b"u64 ", b"Vec<T> "]
for i in range(n):
    d = os.path.join(root, "crate%03d" % (i // 60), "src", "m%02d" % (i % 7))
    os.makedirs(d, exist_ok=True)
    body = bytearray()
    while len(body) < size:
        body += rnd.choice(words)
    with open(os.path.join(d, "f%05d.rs" % i), "wb") as f:
        f.write(body[:size])
PY
fi
cd "$W/tree"
find . -name '*.rs' -exec touch -d '1 hour ago' {} +
{ printf '%s:' "$W/out"; find "$W/tree" -name '*.rs' | sort | sed 's/^/ /' | tr -d '\n'; echo; } >"$W/tree.d"
git init -q && git add -A && git -c user.email=b@b -c user.name=b commit -qm tree
cold_note="first pass after writing the tree (page cache warm)"
if sync && echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then cold_note="page cache dropped"; fi
echo "key computation on $(find . -name '*.rs' | wc -l) files (${SOURCE:-synthetic}), $(du -sm . --exclude=.git | cut -f1) MB ($(nproc) cores, $(date -u +%F)); cold: $cold_note"
"$ROOT/build/hashbench" "$W/tree.d" "$W/tree.unit" | sed 's/^/  cargo-pgo-wrap: /'
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo "$(((e - s) / 1000000)) ms"; }
echo "  git status (warm, its index as stat cache): $(ms git status --porcelain)"
