/*
 * test_args.c - unit tests for the rustc argv model (shim/args.c).
 */
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/fdio.h"
#include "base/strbuf.h"
#include "formats/rustc_args.h"

static void parse_ok(struct rustc_args *a, int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(rustc_args_parse(a, argc, argv, &err), 0);
	assert_int_equal(err.len, 0);
	sb_release(&err);
}

#define PARSE(a, ...)                                                  \
	do {                                                           \
		char *argv_[] = { __VA_ARGS__ };                       \
		parse_ok(a, (int)(sizeof(argv_) / sizeof(*argv_)), argv_); \
	} while (0)

static void test_cargo_lib_unit(void **state)
{
	(void)state;
	struct rustc_args a;
	PARSE(&a, "--crate-name", "fixlib", "--edition=2021", "fixlib/src/lib.rs",
	      "--error-format=json", "--crate-type", "lib", "--emit=dep-info,metadata,link",
	      "-C", "opt-level=3", "-C", "embed-bitcode=no", "-C", "metadata=1e50df5e",
	      "-C", "extra-filename=-6f15756b", "--out-dir", "/t/release/deps",
	      "-L", "dependency=/t/release/deps");
	assert_string_equal(a.crate_name, "fixlib");
	assert_int_equal(a.crate_types, CT_LIB);
	assert_null(a.target);
	assert_string_equal(a.edition, "2021");
	assert_string_equal(a.input, "fixlib/src/lib.rs");
	assert_int_equal(a.emit, EMIT_DEP_INFO | EMIT_METADATA | EMIT_LINK);
	assert_string_equal(a.opt_level, "3");
	assert_string_equal(a.metadata, "1e50df5e");
	assert_string_equal(a.extra_filename, "-6f15756b");
	assert_string_equal(a.out_dir, "/t/release/deps");
	assert_string_equal(rustc_args_codegen(&a, "embed-bitcode"), "no");
	assert_false(rustc_args_is_probe(&a));
	assert_false(rustc_args_is_build_script(&a));
	assert_true(rustc_args_does_codegen(&a));
	assert_true(rustc_args_optimizes(&a));

	struct strbuf d = STRBUF_INIT;
	assert_int_equal(rustc_args_dep_info_path(&a, &d), 0);
	assert_string_equal(d.buf, "/t/release/deps/fixlib-6f15756b.d");
	sb_release(&d);
	rustc_args_release(&a);
}

static void test_option_spellings(void **state)
{
	(void)state;
	struct rustc_args a;
	PARSE(&a, "--crate-name=x", "--crate-type=proc-macro", "--target=wasm32-unknown-unknown",
	      "-Copt-level=s", "--codegen", "profile-use=/p.profdata", "--codegen=lto=fat",
	      "--out-dir=/o", "--emit", "link,dep-info=/explicit/x.d", "src/lib.rs");
	assert_string_equal(a.crate_name, "x");
	assert_int_equal(a.crate_types, CT_PROC_MACRO);
	assert_string_equal(a.target, "wasm32-unknown-unknown");
	assert_string_equal(a.opt_level, "s");
	assert_true(rustc_args_optimizes(&a));
	assert_string_equal(a.profile_use, "/p.profdata");
	assert_null(a.profile_generate);
	assert_string_equal(rustc_args_codegen(&a, "lto"), "fat");
	assert_string_equal(a.out_dir, "/o");
	struct strbuf d = STRBUF_INIT;
	assert_int_equal(rustc_args_dep_info_path(&a, &d), 0);
	assert_string_equal(d.buf, "/explicit/x.d");
	sb_release(&d);
	rustc_args_release(&a);
}

static void test_last_opt_level_wins(void **state)
{
	(void)state;
	struct rustc_args a;
	PARSE(&a, "--crate-name", "x", "src/main.rs", "-C", "opt-level=3", "-C", "opt-level=0");
	assert_false(rustc_args_optimizes(&a));
	rustc_args_release(&a);
	PARSE(&a, "--crate-name", "x", "src/main.rs", "-O");
	assert_string_equal(a.opt_level, "2");
	assert_true(rustc_args_optimizes(&a));
	rustc_args_release(&a);
	PARSE(&a, "--crate-name", "x", "src/main.rs");
	assert_false(rustc_args_optimizes(&a)); /* rustc's default is 0 */
	rustc_args_release(&a);
}

static void test_values_are_not_inputs(void **state)
{
	(void)state;
	struct rustc_args a;
	/* Every value-taking option swallows its value, so the input is found. */
	PARSE(&a, "--cfg", "feature=\"x\"", "--check-cfg", "cfg(x)", "-L", "native=/l",
	      "-l", "z", "--extern", "a=/a.rlib", "--cap-lints", "allow", "-W", "unused",
	      "-A", "dead_code", "-Z", "unstable-options", "--remap-path-prefix", "a=b",
	      "--json", "artifacts", "--error-format", "json", "--crate-name", "x",
	      "real/input.rs");
	assert_string_equal(a.input, "real/input.rs");
	assert_false(rustc_args_is_probe(&a));
	rustc_args_release(&a);
}

static void test_probes(void **state)
{
	(void)state;
	struct rustc_args a;
	PARSE(&a, "-vV");
	assert_true(rustc_args_is_probe(&a));
	rustc_args_release(&a);
	PARSE(&a, "-", "--crate-name", "___", "--print=file-names", "--crate-type", "bin");
	assert_true(rustc_args_is_probe(&a));
	rustc_args_release(&a);
	PARSE(&a, "--print", "cfg", "--target", "x86_64-unknown-linux-gnu");
	assert_true(rustc_args_is_probe(&a));
	rustc_args_release(&a);
	PARSE(&a, "--crate-name", "x", "src/lib.rs", "--print=native-static-libs");
	assert_true(rustc_args_is_probe(&a)); /* --print alongside a build: leave it alone */
	rustc_args_release(&a);
}

static void test_build_script_and_check(void **state)
{
	(void)state;
	struct rustc_args a;
	PARSE(&a, "--crate-name", "build_script_build", "build.rs", "--crate-type", "bin",
	      "--emit=dep-info,link", "-C", "opt-level=3");
	assert_true(rustc_args_is_build_script(&a));
	rustc_args_release(&a);
	PARSE(&a, "--crate-name", "x", "src/lib.rs", "--emit=dep-info,metadata", "-C", "opt-level=3");
	assert_false(rustc_args_does_codegen(&a));
	rustc_args_release(&a);
	/* Repeated --emit flags accumulate, as in rustc. */
	PARSE(&a, "--crate-name", "x", "src/lib.rs", "--emit=dep-info,metadata", "--emit=llvm-ir");
	assert_true(rustc_args_does_codegen(&a));
	assert_int_equal(a.emit, EMIT_DEP_INFO | EMIT_METADATA | EMIT_LLVM_IR);
	rustc_args_release(&a);
}

static void test_crate_type_lists(void **state)
{
	(void)state;
	struct rustc_args a;
	PARSE(&a, "--crate-name", "x", "src/lib.rs", "--crate-type", "rlib,cdylib",
	      "--crate-type", "staticlib");
	assert_int_equal(a.crate_types, CT_RLIB | CT_CDYLIB | CT_STATICLIB);
	struct strbuf t = STRBUF_INIT;
	rustc_args_describe_types(&a, &t);
	assert_string_equal(t.buf, "rlib,cdylib,staticlib");
	sb_release(&t);
	rustc_args_release(&a);
}

static void test_output_dep_info_path(void **state)
{
	(void)state;
	struct rustc_args a;
	PARSE(&a, "--crate-name", "x", "src/main.rs", "--emit=dep-info,link", "-o", "/out/prog.bin");
	struct strbuf d = STRBUF_INIT;
	assert_int_equal(rustc_args_dep_info_path(&a, &d), 0);
	assert_string_equal(d.buf, "/out/prog.d");
	sb_release(&d);
	rustc_args_release(&a);
	PARSE(&a, "--crate-name", "x", "src/main.rs", "--emit=link");
	assert_int_equal(rustc_args_dep_info_path(&a, &d), -1);
	rustc_args_release(&a);
}

static void test_argfile_expansion(void **state)
{
	(void)state;
	char path[] = "/tmp/pgow-argfile-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char body[] = "--crate-name\nfrom_file\n--crate-type\nrlib\n-C\nopt-level=3\n"
			    "--cfg\nfeature=\"with space\"\nsrc/lib.rs\n";
	assert_int_equal(write_all(fd, body, sizeof(body) - 1), 0);
	close(fd);

	struct strbuf at = STRBUF_INIT;
	sb_addf(&at, "@%s", path);
	struct rustc_args a;
	PARSE(&a, "--edition=2021", at.buf, "--target", "x86_64-unknown-linux-gnu");
	assert_string_equal(a.crate_name, "from_file");
	assert_int_equal(a.crate_types, CT_RLIB);
	assert_string_equal(a.opt_level, "3");
	assert_string_equal(a.target, "x86_64-unknown-linux-gnu");
	assert_int_equal(a.argv.n, 12);
	assert_string_equal(a.argv.v[8], "feature=\"with space\"");
	rustc_args_release(&a);
	unlink(path);

	struct strbuf err = STRBUF_INIT;
	char *bad[] = { "@/nonexistent/args" };
	assert_int_equal(rustc_args_parse(&a, 1, bad, &err), -1);
	assert_non_null(strstr(err.buf, "cannot read argument file /nonexistent/args"));
	rustc_args_release(&a);
	sb_release(&err);
	sb_release(&at);
}

/* An unreadable @argfile is an error that leaves nothing allocated (ASan checks). */
static void test_argfile_error_releases(void **state)
{
	(void)state;
	struct rustc_args a;
	struct strbuf err = STRBUF_INIT;
	char *argv[] = { "--crate-name", "x", "@/nonexistent/args", NULL };

	assert_int_equal(rustc_args_parse(&a, 3, argv, &err), -1);
	assert_non_null(strstr(err.buf, "cannot read argument file /nonexistent/args"));
	sb_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cargo_lib_unit),
		cmocka_unit_test(test_argfile_error_releases),
		cmocka_unit_test(test_option_spellings),
		cmocka_unit_test(test_last_opt_level_wins),
		cmocka_unit_test(test_values_are_not_inputs),
		cmocka_unit_test(test_probes),
		cmocka_unit_test(test_build_script_and_check),
		cmocka_unit_test(test_crate_type_lists),
		cmocka_unit_test(test_output_dep_info_path),
		cmocka_unit_test(test_argfile_expansion),
	};
	return cmocka_run_group_tests_name("args", tests, NULL, NULL);
}
