# bat.sh - sourced by the benches: a copy of bat (a real application from
# Debian's crates, with oniguruma's C through cc) that builds offline, and
# its training on its own sources.
BAT_FEATURES=(--no-default-features --features minimal-application)

bat_setup() { # dir [yaml prefix]
	local src
	src=$(ls -d /usr/share/cargo/registry/bat-0.* 2>/dev/null | sort -V | tail -n 1)
	[ -n "$src" ] || { echo "$0: bat's source is missing; run ./install.sh" >&2; exit 1; }
	cp -r "$src" "$1"
	(
		cd "$1"
		rm -f .cargo-checksum.json
		mkdir -p .cargo
		cp "$ROOT/tests/fixtures/layouts/.cargo/config.toml" .cargo/config.toml
		awk '/^\[/ { skip = ($0 ~ /^\[(target\.[^]]*\.)?dev-dependencies/) } !skip' Cargo.toml >Cargo.toml.new
		mv Cargo.toml.new Cargo.toml
		cargo generate-lockfile --offline -q
		printf '%b' "${2:-}" >pgo-wrap.yaml
		cat >>pgo-wrap.yaml <<'YAML'
training:
  - name: highlight
    shell: "for i in 1 2 3; do cat src/*.rs src/bin/bat/*.rs; done > {target_dir}/w.rs && {bin:bat} --color=always --paging=never --style=full {target_dir}/w.rs > /dev/null"
YAML
	)
}
