# t_ccode.sh - C and C++ code a build script compiles through the cc crate
# (the cmix fixture: its hot loop is C calling C++) is profiled with the Rust code: the
# instrumented C writes into the same .profraw, the optimised object is laid
# out by the profile, a new decision reruns the build script (cc asks cargo
# for no rerun when CC or CFLAGS change), and an edited .c is stale.

cmix_setup() {
	cp -r "$FIXTURES/cmix" "$T/ws"
	export CARGO_PGO_WRAP_CACHE="$T/cache"
	unset RUSTC_WRAPPER CARGO_PGO_WRAP_WORKSPACE CARGO_PGO_WRAP_JOURNAL CARGO_PGO_WRAP_C CC CXX
	cd "$T/ws" || fail "cannot enter $T/ws"
	CLANG=clang-$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
	command -v "$CLANG" >/dev/null || fail "no $CLANG (rustc's LLVM); run ./install.sh"
}

cmix_object() {
	echo target/release/build/cmix-*/out/csrc/classify.o
}

# The decision our compiler recorded for the shipped object.
cmix_decision() {
	head -n 1 "$(cmix_object).pgow"
}

cmix_build_ok() { # what
	pgow build --release 2>"$T/err" || { sed 's/^/      | /' "$T/err" >&2; fail "$1: build failed"; }
}

test_c_code_is_instrumented_and_optimised() {
	cmix_setup
	cmix_build_ok "first build"
	assert_grep 'PGO C/C\+\+ code of cmix: 2 object\(s\) from 1 build script\(s\) carry it too' "$T/err" "summary"
	# The instrumented C wrote into the profile: its functions have counts.
	local prof
	prof=$(ls "$T"/cache/slots/*/profiles/*.profdata)
	"$(profdata_tool)" show --all-functions --counts "$prof" >"$T/show.txt"
	assert_grep '^  cmix_score:' "$T/show.txt" "the C function is in the merged profile"
	grep -A3 '^  cmix_score:' "$T/show.txt" | grep -q 'Block counts: \[[1-9]' || fail "cmix_score has no counts"
	assert_grep '^  cmix_weight:' "$T/show.txt" "the C++ function is in the merged profile"
	# The instrumented build's object was compiled to generate, the shipped one to use this profile.
	assert_eq "generate $T/ws/target/pgo-wrap/raw/host/release" \
		"$(head -n 1 target/pgo-wrap/instrumented/release/build/cmix-*/out/csrc/classify.o.pgow)" \
		"instrumented object"
	assert_eq "$(c_split_use)" "$(cmix_decision)" "shipped object: the profile's C part"
	assert_eq "$(c_split_use)" "$(head -n 1 target/release/build/cmix-*/out/csrc/weights.o.pgow)" "shipped C++ object"
	# The C part holds the C and C++ functions, not the Rust ones.
	"$(profdata_tool)" show --all-functions "$(ls "$T"/cache/slots/*/split/-c.profdata)" >"$T/c.txt"
	assert_grep '^  .*cmix_score:' "$T/c.txt" "the C part has the C function"
	assert_grep '^  .*cmix_weight' "$T/c.txt" "and the C++ one"
	assert_no_grep '_ZN4cmix' "$T/c.txt" "and no Rust function"
	assert_eq "plain assembly" "$(head -n 1 target/release/build/cmix-*/out/csrc/one.o.pgow)" "assembly gets no flags"
	readelf -SW "$(cmix_object)" >"$T/sections.txt"
	assert_grep '\.text\.hot\.cmix_score' "$T/sections.txt" "the profile laid out the C code"
	# Plain C from a plain build has no such section: the flag, not the compiler, made it.
	(mkdir -p "$T/plain" && cp -r "$FIXTURES/cmix/." "$T/plain" && cd "$T/plain" &&
		CC=$CLANG cargo build --release -q 2>/dev/null) || fail "plain build"
	readelf -SW "$T"/plain/target/release/build/cmix-*/out/csrc/classify.o >"$T/plain.txt"
	assert_no_grep '\.text\.hot\.' "$T/plain.txt" "a plain clang object"
	# What ships writes no profile, and computes what the plain build does.
	run_profiled "$T/after" target/release/cmix 5000 >"$T/pgo.out"
	assert_eq 0 "$(count_files "$T/after" '*.profraw')" "the shipped binary is not instrumented"
	"$T"/plain/target/release/cmix 5000 >"$T/plain.out"
	cmp -s "$T/pgo.out" "$T/plain.out" || fail "the PGO binary's output differs from the plain one's"
	# The C unit is in the profile, with its share of the counts.
	pgow status >"$T/status.txt"
	assert_grep '^  state       fresh; 3 of 3 units fresh$' "$T/status.txt" "status"
	assert_grep 'c:cmix +[0-9a-f]{8} +fresh +[1-9][0-9]* of [0-9]+ functions ran, [1-9][0-9]*% of counts' \
		"$T/status.txt" "the C unit's share"
	# A second build is a no-op: the build script is not rerun.
	local before
	before=$(stat -c %Y.%y target/release/build/cmix-*/invoked.timestamp)
	cmix_build_ok "second build"
	assert_no_grep 'Compiling|Rerunning|Rebuilding' "$T/err" "nothing redone"
	assert_eq "$before" "$(stat -c %Y.%y target/release/build/cmix-*/invoked.timestamp)" "the build script did not run"
}

test_c_new_profile_reruns_the_build_script() {
	cmix_setup
	cmix_build_ok "first build"
	local first
	first=$(cmix_decision)
	# Other training, `train`: a new profile; the build script must run again to use it.
	sed -i 's/20000/7000/' pgo-wrap.yaml
	pgow train --release 2>"$T/train.err" || { cat "$T/train.err" >&2; fail "train"; }
	cmix_build_ok "build after train"
	[ "$(cmix_decision)" != "$first" ] || fail "the C object still carries the old profile"
	assert_eq "$(c_split_use)" "$(cmix_decision)" "the C object carries the new profile's C part"
	# The stamp made cargo rerun it (listed in the build script's dep-info), not our second pass.
	assert_no_grep 'Rerunning' "$T/err" "cargo reran it by itself"
	assert_grep '/cstamps/' "$(ls target/release/build/cmix-*/build_script_build-*.d)" "the build script lists the C stamp"
	readelf -SW "$(cmix_object)" | grep -q '\.text\.hot\.' || fail "the new object is not laid out by a profile"
}

test_c_plain_build_in_between_and_c_turned_off() {
	cmix_setup
	cmix_build_ok "first build"
	# A plain cargo build reruns the build script (its .c is newer): gcc compiles it.
	touch csrc/classify.c
	cargo build --release -q 2>/dev/null || fail "plain cargo build"
	[ "$(cmix_object)" -nt "$(cmix_object).pgow" ] || fail "setup: the plain build recompiled the C"
	cmix_build_ok "build after the plain one"
	assert_grep 'Rerunning the build script of cmix' "$T/err" "the plain C object is caught"
	assert_grep 'PGO C/C\+\+ code of cmix: 2 object' "$T/err" "and carries the profile after the rerun"
	readelf -SW "$(cmix_object)" | grep -q '\.text\.hot\.' || fail "the shipped C object has no profile"
	# Turned off, the C code is rebuilt plain, and the summary says so.
	CARGO_PGO_WRAP_C=off pgow build --release 2>"$T/off.err" || { cat "$T/off.err" >&2; fail "build with C off"; }
	assert_grep 'note: the C/C\+\+ code of cmix was built without PGO: CARGO_PGO_WRAP_C=off' "$T/off.err" "off"
	readelf -SW "$(cmix_object)" | grep -q '\.text\.hot\.' && fail "the C object still has the profile with C off"
	cmix_build_ok "build with C on again"
	readelf -SW "$(cmix_object)" | grep -q '\.text\.hot\.' || fail "the C object did not get the profile back"
}

test_c_edit_makes_the_profile_stale() {
	cmix_setup
	printf 'stale-policy: error\ntraining:\n  - run: ["{bin:cmix}", "20000"]\n' >pgo-wrap.yaml
	cmix_build_ok "first build"
	sed -i 's/return 13;/return 14;/' csrc/classify.c
	pgow status >"$T/status.txt"
	assert_grep 'stale: c:cmix \(changed, [1-9][0-9]*% of counts\)' "$T/status.txt" "status names the C unit"
	local rc=0
	pgow build --release 2>"$T/stale.err" || rc=$?
	assert_eq 7 "$rc" "exit status under stale-policy: error"
	assert_grep 'c:cmix \(changed' "$T/stale.err" "the message names the C unit"
}

test_c_compiler_of_another_llvm_gets_no_flags() {
	cmix_setup
	CC=gcc pgow build --release 2>"$T/err" || { cat "$T/err" >&2; fail "build with CC=gcc"; }
	assert_grep 'note: the C/C\+\+ code of cmix was built without PGO: CC=gcc is not a clang of LLVM' "$T/err" "why"
	[ ! -e "$(cmix_object).pgow" ] || fail "gcc was given profile flags"
	assert_no_grep 'cmix_score' <("$(profdata_tool)" show --all-functions "$(ls "$T"/cache/slots/*/profiles/*.profdata)") \
		"no C in the profile"
	# Debian's default clang is of LLVM 14: its profiles could not be merged with rustc's.
	command -v clang-14 >/dev/null || fail "no clang-14 (Debian's default clang); run tests/deps.sh"
	CC=clang-14 pgow build --release 2>"$T/err14" || { cat "$T/err14" >&2; fail "build with CC=clang-14"; }
	assert_grep 'built without PGO: CC=clang-14 is not a clang of LLVM [0-9]+ \(rustc.s\)' "$T/err14" "clang 14"
	[ ! -e "$(cmix_object).pgow" ] || fail "clang-14 was given profile flags"
	local rc=0
	CC=gcc CARGO_PGO_WRAP_C=on pgow build --release 2>"$T/on.err" || rc=$?
	assert_eq 2 "$rc" "CARGO_PGO_WRAP_C=on without a usable compiler"
	assert_grep 'C/C\+\+ code cannot be profiled: CC=gcc is not a clang of LLVM [0-9]+' "$T/on.err" "one line"
	rc=0
	CARGO_PGO_WRAP_C=maybe pgow build --release 2>"$T/bad.err" || rc=$?
	assert_eq 2 "$rc" "CARGO_PGO_WRAP_C=maybe"
	assert_grep '^cargo-pgo-wrap: error: CARGO_PGO_WRAP_C=maybe is not a choice; set it to auto, on or off$' "$T/bad.err" "one line"
	assert_eq 1 "$(wc -l <"$T/bad.err")" "nothing else"
}

# cargo-pgo's flow: instrument, run the program, build. The C code is named by
# the program's build-id, so the profile covers it and is fresh.
test_c_instrument_run_build() {
	cmix_setup
	pgow instrument --release 2>"$T/instr.err" || { cat "$T/instr.err" >&2; fail "instrument"; }
	assert_grep 'note: 2 C/C\+\+ object\(s\) of cmix instrumented too' "$T/instr.err" "the note names the C code"
	target/release/cmix 20000 >/dev/null || fail "running the instrumented program"
	cmix_build_ok "build"
	assert_no_grep 'Stale|is stale' "$T/err" "the profile is fresh for the C unit too"
	assert_grep 'PGO C/C\+\+ code of cmix: 2 object' "$T/err" "the C code carries the profile"
	pgow status >"$T/status.txt"
	assert_grep '^  state       fresh; 3 of 3 units fresh$' "$T/status.txt" "status"
}

# A refresh after an edit of Rust code alone: the profile's C part keeps its bytes,
# so the C stamp stays, and the build script neither reruns nor recompiles the C.
test_c_rust_edit_leaves_the_c_alone() {
	cmix_setup
	printf 'stale-policy: refresh\n' >>pgo-wrap.yaml
	cmix_build_ok "first build"
	local first stamp object stamp_time
	first=$(cmix_decision)
	stamp=$(grep -lx "$T/ws/target/release" "$T"/cache/slots/*/cstamps/*)
	[ -n "$stamp" ] || fail "setup: no C stamp for target/release"
	object=$(stat -c %y "$(cmix_object)")
	stamp_time=$(stat -c %y "$stamp")
	sed -i 's/^    let mut total = 0u64;$/&\n    if text.len() == usize::MAX - 7 { return; }/' src/main.rs
	grep -q 'usize::MAX - 7' src/main.rs || fail "setup: the edit"
	cmix_build_ok "refresh after a Rust edit"
	assert_grep 'Stale profile [0-9a-f]{12}: cmix' "$T/err" "the edit is seen"
	assert_eq "$first" "$(cmix_decision)" "the C objects keep their decision"
	assert_eq "$stamp_time" "$(stat -c %y "$stamp")" "the C stamp was not rewritten"
	assert_eq "$object" "$(stat -c %y "$(cmix_object)")" "the C was not compiled again"
	sed -n '/Optimizing/,$p' "$T/err" >"$T/opt.err"
	assert_no_grep 'Rerunning' "$T/opt.err" "no second pass either"
	assert_grep 'PGO C/C\+\+ code of cmix: 2 object\(s\) from 1 build script\(s\) carry it too' "$T/opt.err" "verified"
}

# A build script that links cc but compiles no C into the program (a probe, or a
# feature that is off: rustix in hexyl) lists the C stamp too. With no C in the
# profile, its decision stays "off" from one profile to the next: a refresh does
# not rerun it and rebuild what depends on it (hexyl's refreshes rebuilt rustix,
# terminal_size, textwrap and clap each time; issue 22).
test_c_probe_only_build_script_is_not_rerun_by_a_refresh() {
	setup_ws
	unset RUSTC_WRAPPER CARGO_PGO_WRAP_JOURNAL
	cp -r "$FIXTURES/layouts/.cargo" .cargo
	printf '\n[build-dependencies]\ncc = "1"\n' >>fixlib/Cargo.toml
	printf 'fn main() {\n    let _ = cc::Build::new();\n    println!("cargo:rerun-if-changed=build.rs");\n}\n' >fixlib/build.rs
	cargo generate-lockfile --offline -q || fail "setup: lock file"
	printf 'stale-policy: refresh\ntraining:\n  - run: ["{bin:fixbin}", "3000"]\n' >pgo-wrap.yaml
	pgow build --release 2>"$T/first.err" || fail "first cycle: $(tail -3 "$T/first.err")"
	sed -i 's/v = v.wrapping_mul(10)/v = v.wrapping_mul(10).wrapping_add(0)/' fixlib/src/lib.rs
	echo '// a change' >>fixbin/src/main.rs
	pgow build --release -v 2>"$T/err" || fail "refresh: $(tail -3 "$T/err")"
	assert_grep 'Merged 1 raw profile' "$T/err" "setup: a refresh"
	sed -n '/Optimizing/,$p' "$T/err" >"$T/opt.err"
	assert_grep 'Running `.*fixlib' "$T/opt.err" "setup: fixlib is compiled again (its code changed)"
	assert_no_grep 'Running `[^`]*/build/fixlib-[0-9a-f]*/build-script-build`' "$T/opt.err" \
		"its build script is not rerun for a new profile"
}

# A build script that also assembles code itself (as nasm-rs does: rav1e) and
# compiles a C file with a compiler it names, beside what it compiles through cc:
# the assembled object can carry no profile and passes; the C object is named in
# a note, the build succeeds, and later builds do not rerun the script for it.
test_c_objects_made_outside_cc() {
	cmix_setup
	printf '.globl asm_two\nasm_two:\n mov $2, %%eax\n ret\n.section .note.GNU-stack,"",@progbits\n' >csrc/two.s
	cat >build.rs <<'RS'
use std::process::Command;

fn archive(out: &str, name: &str, tool: &str, args: &[&str]) {
    let object = format!("{out}/{name}.o");
    assert!(Command::new(tool).args(args).args(["-o", &object]).status().unwrap().success());
    assert!(Command::new("ar").args(["crs", &format!("{out}/lib{name}.a"), &object]).status().unwrap().success());
    println!("cargo:rustc-link-lib=static={name}");
}

fn main() {
    cc::Build::new().file("csrc/classify.c").file("csrc/one.S").opt_level(2).compile("classify");
    cc::Build::new().cpp(true).file("csrc/weights.cpp").opt_level(2).compile("weights");
    let out = std::env::var("OUT_DIR").unwrap();
    archive(&out, "two", "as", &["csrc/two.s"]);
    if std::path::Path::new("csrc/three.c").exists() {
        archive(&out, "three", "gcc", &["-O2", "-c", "csrc/three.c"]);
    }
    println!("cargo:rustc-link-search=native={out}");
    println!("cargo:rerun-if-changed=csrc");
}
RS
	cmix_build_ok "assembled outside cc"
	assert_grep 'PGO C/C\+\+ code of cmix: 2 object\(s\) from 1 build script\(s\) carry it too' "$T/err" "the C through cc carries it"
	assert_no_grep 'note:|Rerunning' "$T/err" "the assembled object needs no profile"
	echo 'int three(void) { return 3; }' >csrc/three.c
	cmix_build_ok "and C compiled by a compiler it names"
	assert_grep 'PGO C/C\+\+ code of cmix: 2 object\(s\) from 1 build script\(s\) carry it too' "$T/err" "the C through cc still does"
	assert_grep 'note: 1 object\(s\) of the C/C\+\+ code of cmix were built without PGO: its build script compiles them without cc.s CC/CXX' \
		"$T/err" "the other is named"
	assert_eq "$(c_split_use)" "$(cmix_decision)" "what carries it still ships it"
	cmix_build_ok "a no-op"
	assert_no_grep 'Rerunning|Compiling' "$T/err" "nothing redone"
	assert_grep 'note: 1 object\(s\) of the C/C\+\+ code of cmix were built without PGO' "$T/err" "still named"
}

# A script that compiles like make, only what is missing, with the compiler cc's
# CC_<target> names: after a plain build its object is the system compiler's. The
# wrapped build reruns the script (CC changed), which writes nothing new; the old
# object is not the run's, so it is not taken for foreign code: the script is run
# again without it, and the object then comes through our compiler.
test_c_object_left_from_a_plain_build_is_not_foreign() {
	setup_ws
	unset RUSTC_WRAPPER CARGO_PGO_WRAP_JOURNAL CC CXX CARGO_PGO_WRAP_C
	mkdir -p fixlib/csrc
	echo 'int three(int x) { return x % 7 == 3 ? 3 : 1; }' >fixlib/csrc/three.c
	cat >fixlib/build.rs <<'RS'
use std::process::Command;

fn main() {
    let var = format!("CC_{}", std::env::var("TARGET").unwrap());
    println!("cargo:rerun-if-env-changed={var}");
    println!("cargo:rerun-if-changed=csrc");
    let cc = std::env::var(&var).unwrap_or_else(|_| "cc".into());
    let out = std::env::var("OUT_DIR").unwrap();
    let object = format!("{out}/three.o");
    // Like make: only what is missing.
    if !std::path::Path::new(&object).exists() {
        assert!(Command::new(&cc).args(["-O2", "-c", "csrc/three.c", "-o", &object]).status().unwrap().success());
    }
    assert!(Command::new("ar").args(["crs", &format!("{out}/libthree.a"), &object]).status().unwrap().success());
    println!("cargo:rustc-link-search=native={out}");
    println!("cargo:rustc-link-lib=static=three");
}
RS
	sed -i 's/^pub fn eval(src: &str) -> i64 {$/extern "C" {\n    fn three(x: i32) -> i32;\n}\n\n&\n    let _w = unsafe { three(src.len() as i32) };/' fixlib/src/lib.rs
	grep -q 'unsafe { three' fixlib/src/lib.rs || fail "setup: fixlib calls the C"
	cargo build --release -q 2>"$T/err" || fail "plain build: $(tail -3 "$T/err")"
	[ ! -e "$(ls target/release/build/fixlib-*/out/three.o)".pgow ] || fail "setup: the plain object has no sidecar"
	printf 'training:\n  - run: ["{bin:fixbin}", "1000"]\n' >pgo-wrap.yaml
	pgow build --release 2>"$T/err" || fail "build: $(tail -3 "$T/err")"
	assert_grep 'PGO C/C\+\+ code of fixlib: 1 object\(s\) from 1 build script\(s\) carry it too' "$T/err" "the C carries it"
	assert_no_grep 'built without PGO' "$T/err" "not taken for another compiler's"
	head -n 1 "$(ls target/release/build/fixlib-*/out/three.o.pgow)" | grep -q '^use ' ||
		fail "the object came through our compiler: $(head -n 1 target/release/build/fixlib-*/out/three.o.pgow)"
}
