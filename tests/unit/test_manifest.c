/*
 * test_manifest.c - unit tests for manifests (shim/manifest.c) and the YAML
 * layer under them (shim/yamldoc.c): round trip and located errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/atomic.h"
#include "base/path.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "store/manifest.h"
#include "tempdir.h"

static void write_text(const char *name, const char *text, struct strbuf *path)
{
	struct strbuf err = STRBUF_INIT;
	sb_reset(path);
	path_join(path, dir, name);
	assert_int_equal(write_file_atomic(path->buf, text, strlen(text), NULL, &err), 0);
	sb_release(&err);
}

static void test_roundtrip(void **state)
{
	(void)state;
	struct manifest m = { 0 }, back;
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;

	m.content_key = xstrdup("0123456789abcdef0123456789abcdef");
	m.slot = xstrdup("fedcba9876543210fedcba9876543210");
	m.created = 1795216908;
	m.rustc = xstrdup("rustc 1.95.0 (59807616e 2026-04-14)\nLLVM version: 22.1.2\n");
	m.llvm_profdata = xstrdup("Debian LLVM version 22.1.8");
	m.training = xstrdup("run: fixbin 1000 # with: quotes, colons");
	m.raw_files = 3;
	manifest_add_crate(&m, "fixlib", "1e50df5e61447451", "aaaa");
	manifest_add_crate(&m, "fixbin", "07db339c3741e693", "bbbb");
	path_join(&path, dir, "m.yaml");
	assert_int_equal(manifest_write(&m, path.buf, &err), 0);
	assert_int_equal(manifest_read(&back, path.buf, &err), 0);
	assert_string_equal(back.content_key, m.content_key);
	assert_string_equal(back.rustc, m.rustc);
	assert_string_equal(back.training, m.training);
	assert_string_equal(back.cargo_lock, "none");
	assert_int_equal(back.created, m.created);
	assert_int_equal(back.raw_files, 3);
	assert_int_equal(back.ncrates, 2);
	assert_string_equal(manifest_find(&back, "fixbin", "07db339c3741e693")->key, "bbbb");
	assert_null(manifest_find(&back, "fixbin", "other"));
	manifest_release(&m);
	manifest_release(&back);
	sb_release(&path);
	sb_release(&err);
}

static void expect_error(const char *text, const char *needle)
{
	struct manifest m;
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;

	write_text("bad.yaml", text, &path);
	assert_int_equal(manifest_read(&m, path.buf, &err), -1);
	if (!strstr(err.buf, needle))
		fail_msg("error '%s' lacks '%s'", err.buf, needle);
	manifest_release(&m);
	sb_release(&path);
	sb_release(&err);
}

static void test_located_errors(void **state)
{
	(void)state;
	expect_error("version: 1\ncontent-key: a\nslot: b\ncolour: red\n",
		     "bad.yaml:4:9: unknown manifest key 'colour'");
	expect_error("version: 1\ncontent-key: a\nslot: b\nraw-files: many\n",
		     "bad.yaml:4:12: raw-files must be a whole number");
	expect_error("version: 1\ncontent-key: a\nslot: b\ncrates:\n  - name: x\n    key: k\n",
		     "bad.yaml:5:5: crate entry has no 'metadata'");
	expect_error("version: 1\ncontent-key: [a\n", "bad.yaml:3:1: did not find expected ',' or ']'");
	expect_error("version: 4\n", "bad.yaml:1:10: manifest version 4 is not 3");
	expect_error("version: 0\n", "bad.yaml:1:10: manifest version 0 is not 3");
	expect_error("version: 3\ncontent-key: a\nslot: b\nprograms: fixbin\n", "bad.yaml:4:11: programs must be a list");
	expect_error("", "bad.yaml:1:1: the file is empty");
	expect_error("- a\n- b\n", "bad.yaml:1:1: a manifest must be a mapping");
	expect_error("version: 1\nslot: b\n", "manifest has no content-key");
}

/* Which programs the training runs: kept only when known; a test harness is never one of them. */
static void test_programs(void **state)
{
	(void)state;
	struct manifest m = { 0 }, back;
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;

	m.content_key = xstrdup("0123456789abcdef0123456789abcdef");
	m.slot = xstrdup("fedcba9876543210fedcba9876543210");
	path_join(&path, dir, "m.yaml");
	assert_int_equal(manifest_write(&m, path.buf, &err), 0);
	assert_int_equal(manifest_read(&back, path.buf, &err), 0);
	assert_false(back.programs_known);
	struct strbuf text = STRBUF_INIT;
	assert_int_equal(sb_read_file(&text, path.buf), 0);
	assert_non_null(strstr(text.buf, "version: 2\n")); /* older readers read it */
	assert_false(manifest_program_untrained(&back, "extra", false));
	assert_false(manifest_program_untrained(&back, "fixbin", true));
	manifest_release(&back);

	m.programs_known = true;
	sv_push(&m.programs, "fixbin");
	assert_int_equal(manifest_write(&m, path.buf, &err), 0);
	assert_int_equal(manifest_read(&back, path.buf, &err), 0);
	assert_true(back.programs_known);
	sb_reset(&text);
	assert_int_equal(sb_read_file(&text, path.buf), 0);
	assert_non_null(strstr(text.buf, "version: 3\n"));
	sb_release(&text);
	assert_int_equal(back.programs.n, 1);
	assert_false(manifest_program_untrained(&back, "fixbin", false));
	assert_true(manifest_program_untrained(&back, "fixbin", true));
	assert_true(manifest_program_untrained(&back, "extra", false));
	assert_true(manifest_program_untrained(&back, "fixbi", false));
	manifest_release(&back);

	/* Known and empty is not unknown. */
	sv_release(&m.programs);
	assert_int_equal(manifest_write(&m, path.buf, &err), 0);
	assert_int_equal(manifest_read(&back, path.buf, &err), 0);
	assert_true(back.programs_known);
	assert_true(manifest_program_untrained(&back, "fixbin", false));
	manifest_release(&back);
	manifest_release(&m);
	sb_release(&path);
	sb_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_located_errors),
		cmocka_unit_test(test_programs),
	};
	return cmocka_run_group_tests_name("manifest", tests, tempdir_setup, tempdir_teardown);
}
