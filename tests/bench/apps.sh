# apps.sh - sourced by the benches: real applications from Debian's crates,
# copied so that they build offline, each with a training on its own inputs
# and a one-line edit on that training's path.
#   bat       lib + bin, LTO, codegen-units 1; oniguruma's C through cc
#   cbindgen  lib + bin, cargo's default release profile; syn, serde, clap

app_src() { # name
	ls -d /usr/share/cargo/registry/"$1"-[0-9]* 2>/dev/null | sort -V | tail -n 1
}

# Cargo arguments besides --release.
app_features() { # name
	case $1 in
	bat) echo "--no-default-features --features minimal-application" ;;
	*) echo "" ;;
	esac
}

app_setup() { # name dir [yaml prefix]
	local src
	src=$(app_src "$1")
	[ -n "$src" ] || { echo "$0: $1's source is missing; run tests/deps.sh" >&2; exit 1; }
	cp -r "$src" "$2"
	(
		cd "$2"
		rm -f .cargo-checksum.json
		mkdir -p .cargo
		cp "$ROOT/tests/fixtures/layouts/.cargo/config.toml" .cargo/config.toml
		awk '/^\[/ { skip = ($0 ~ /^\[(target\.[^]]*\.)?dev-dependencies/) } !skip' Cargo.toml >Cargo.toml.new
		mv Cargo.toml.new Cargo.toml
		cargo generate-lockfile --offline -q
		printf '%b' "${3:-}" >pgo-wrap.yaml
		case $1 in
		bat) cat >>pgo-wrap.yaml <<'YAML' ;;
training:
  - name: highlight
    shell: "for i in 1 2 3; do cat src/*.rs src/bin/bat/*.rs; done > {target_dir}/w.rs && {bin:bat} --color=always --paging=never --style=full {target_dir}/w.rs > /dev/null"
YAML
		cbindgen) cat >>pgo-wrap.yaml <<'YAML' ;;
training:
  - name: headers
    shell: "for f in tests/rust/*.rs; do for l in c c++; do {bin:cbindgen} --lang $l \"$f\" -o /dev/null 2>/dev/null || true; done; done"
YAML
		esac
	)
}

# Edit k adds one line on the training's path: a branch it never takes. The
# function's control flow changes, so its records do; its counts hardly.
app_edit() { # name dir k
	local file line
	case $1 in
	bat)
		file=src/preprocessor.rs
		line="    if width == 1000 + $3 { return String::new(); }"
		sed -i "s/^pub fn expand_tabs(line: &str, width: usize, cursor: &mut usize) -> String {\$/&\n$line/" "$2/$file" ;;
	cbindgen)
		file=src/bindgen/writer.rs
		line="        if self.line_number == usize::MAX - $3 { return; }"
		sed -i "s/^    pub fn new_line(&mut self) {\$/&\n$line/" "$2/$file" ;;
	esac
	grep -qF -- "$line" "$2/$file" || { echo "$0: edit $3 of $1 not applied" >&2; exit 1; }
}
