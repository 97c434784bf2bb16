/*
 * test_json.c - unit tests for the JSON reader (shim/json.c) and the
 * symlink-safe file layer (shim/safefs.c).
 */
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/json.h"
#include "base/path.h"
#include "base/safefs.h"
#include "base/strbuf.h"
#include "tempdir.h"

static void expect_error(const char *text, const char *want)
{
	struct json j;
	struct strbuf err = STRBUF_INIT;

	assert_int_equal(json_parse(&j, text, strlen(text), &err), -1);
	if (!strstr(err.buf, want))
		fail_msg("'%s': error '%s' lacks '%s'", text, err.buf, want);
	sb_release(&err);
}

static void test_values(void **state)
{
	(void)state;
	const char *text = "{\"reason\":\"compiler-artifact\",\"fresh\":true,\"n\":-1.5e3,"
			   "\"kind\":[\"lib\",\"rlib\"],\"x\":null,\"s\":\"a\\\"b\\\\c\\u00e9\\ud83d\\ude00\\n\"}";
	struct json j;
	struct strbuf err = STRBUF_INIT;

	assert_int_equal(json_parse(&j, text, strlen(text), &err), 0);
	assert_string_equal(json_get_string(&j, "reason"), "compiler-artifact");
	assert_true(json_get_bool(&j, "fresh"));
	assert_false(json_get_bool(&j, "x"));
	assert_true(json_array_has(json_get(&j, "kind"), "rlib"));
	assert_false(json_array_has(json_get(&j, "kind"), "bin"));
	assert_string_equal(json_get(&j, "n")->text, "-1.5e3");
	assert_string_equal(json_get_string(&j, "s"), "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80\n");
	assert_null(json_get_string(&j, "missing"));
	json_release(&j);
	sb_release(&err);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("{\"a\":1", "col 7: expected ',' or a closing bracket");
	expect_error("{\"a\":1} x", "col 9: trailing characters");
	expect_error("[01]", "bad number");
	expect_error("\"\\ud800\"", "unpaired surrogate");
	expect_error("\"a\\u0000b\"", "\\u0000 in a string");
	expect_error("\"tab\there\"", "control character");
	expect_error("", "unexpected end");
	char deep[200];
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	expect_error(deep, "nested too deeply");
}

static void test_safe_remove_never_crosses_a_link(void **state)
{
	(void)state;
	struct strbuf base = STRBUF_INIT, victim = STRBUF_INIT, p = STRBUF_INIT, err = STRBUF_INIT;

	path_join(&base, dir, "target");
	path_join(&victim, dir, "victim");
	assert_int_equal(mkdir(base.buf, 0700), 0);
	assert_int_equal(mkdir(victim.buf, 0700), 0);
	sb_addf(&p, "%s/keep", victim.buf);
	FILE *f = fopen(p.buf, "w");
	assert_non_null(f);
	fclose(f);
	/* A link planted below the base: removing through it is refused, the victim stays. */
	sb_reset(&p);
	sb_addf(&p, "%s/raw", base.buf);
	assert_int_equal(symlink(victim.buf, p.buf), 0);
	sb_addf(&p, "/keep");
	assert_int_equal(safe_remove_tree(base.buf, p.buf, &err), -1);
	assert_non_null(strstr(err.buf, "refusing to follow"));
	sb_reset(&err);
	assert_int_equal(safe_mkdirs(base.buf, p.buf, 0700, &err), -1);
	sb_reset(&err);
	/* The link itself, as the last component, is removed, not followed. */
	sb_reset(&p);
	sb_addf(&p, "%s/raw", base.buf);
	assert_int_equal(safe_remove_tree(base.buf, p.buf, &err), 0);
	sb_reset(&p);
	sb_addf(&p, "%s/keep", victim.buf);
	assert_int_equal(access(p.buf, F_OK), 0);
	/* Not below the base, or through "..": refused. */
	assert_int_equal(safe_remove_tree(base.buf, victim.buf, &err), -1);
	sb_reset(&err);
	sb_reset(&p);
	sb_addf(&p, "%s/../victim", base.buf);
	assert_int_equal(safe_remove_tree(base.buf, p.buf, &err), -1);
	sb_reset(&err);
	/* A real tree below the base goes, and a missing one is fine. */
	sb_reset(&p);
	sb_addf(&p, "%s/a/b/c", base.buf);
	assert_int_equal(safe_mkdirs(base.buf, p.buf, 0700, &err), 0);
	sb_reset(&p);
	sb_addf(&p, "%s/a", base.buf);
	assert_int_equal(safe_remove_tree(base.buf, p.buf, &err), 0);
	assert_int_equal(access(p.buf, F_OK), -1);
	assert_int_equal(safe_remove_tree(base.buf, p.buf, &err), 0);
	sb_release(&base);
	sb_release(&victim);
	sb_release(&p);
	sb_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_safe_remove_never_crosses_a_link),
	};
	return cmocka_run_group_tests(tests, tempdir_setup, tempdir_teardown);
}
