#!/bin/sh
# check-layers.sh - the house rule of shim/: a file includes only headers of
# its own layer or a lower one, and no two modules (x.c with x.h) include each
# other, directly or around a loop. Prints each violation; exit 1 when any.
# Layers, lowest first, are given as arguments (the Makefile's LAYERS).
set -eu
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: $0 LAYER..." >&2; exit 2; }
rank=0
ranks=""
for l in "$@"; do
	ranks="$ranks $l=$rank"
	rank=$((rank + 1))
done
# main.c stands above every layer.
{
	for l in "$@"; do
		for f in shim/"$l"/*.c include/"$l"/*.h; do
			[ -e "$f" ] && echo "FILE $l $f"
		done
	done
	echo "FILE main shim/main.c"
} | while read -r _ layer f; do
	grep -n '^#include "' "$f" | sed "s|^|$layer $f |"
done | awk -v ranks="$ranks" -v top="$rank" '
BEGIN {
	n = split(ranks, kv, " ")
	for (i = 1; i <= n; i++) { split(kv[i], p, "="); r[p[1]] = p[2] }
	r["main"] = top
	bad = 0
}
{
	layer = $1; file = $2
	split($3, pos, ":"); line = pos[1]
	match($0, /"[^"]*"/); inc = substr($0, RSTART + 1, RLENGTH - 2)
	if (inc !~ /\//) {
		printf "%s:%s: includes \"%s\", which names no layer (write \"LAYER/%s\")\n", file, line, inc, inc
		bad = 1; next
	}
	il = inc; sub(/\/.*/, "", il)
	if (!(il in r)) {
		printf "%s:%s: includes \"%s\" of an unknown layer \"%s\"\n", file, line, inc, il
		bad = 1; next
	}
	if (r[il] > r[layer]) {
		printf "%s:%s: the %s layer includes \"%s\" of the higher %s layer\n", file, line, layer, inc, il
		bad = 1
	}
	# Module graph: shim/L/x.c and include/L/x.h are module L/x.
	from = file; sub(/^(shim|include)\//, "", from); sub(/\.[ch]$/, "", from)
	to = inc; sub(/\.h$/, "", to)
	if (from != to && !((from, to) in edge)) { edge[from, to] = 1; out[from] = out[from] " " to }
}
function visit(m,    i, k, next_) {
	state[m] = 1; stack[++depth] = m
	k = split(out[m], next_, " ")
	for (i = 1; i <= k; i++) {
		if (state[next_[i]] == 1) { report(next_[i]); continue }
		if (state[next_[i]] == 0) visit(next_[i])
	}
	depth--; state[m] = 2
}
function report(m,    i, s) {
	for (i = depth; i > 0 && stack[i] != m; i--) ;
	s = ""
	for (; i <= depth; i++) s = s stack[i] " -> "
	printf "include cycle: %s%s\n", s, m
	bad = 1
}
END {
	for (m in out) if (!(m in state)) state[m] = 0
	for (m in out) if (state[m] == 0) visit(m)
	exit bad
}'
