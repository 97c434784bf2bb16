/*
 * test_settings.c - unit tests for the settings table (shim/base/settings.c):
 * sizes and seconds parsed strictly, each type's check and its one-line
 * message, and help and the man page listing every row.
 */
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/settings.h"
#include "base/strbuf.h"

static void test_sizes(void **state)
{
	(void)state;
	assert_int_equal(parse_size("4096"), 4096);
	assert_int_equal(parse_size("500M"), 500LL << 20);
	assert_int_equal(parse_size("2G"), 2LL << 30);
	assert_int_equal(parse_size("2GiB"), 2LL << 30);
	assert_int_equal(parse_size("2GB"), 2LL << 30);
	assert_int_equal(parse_size("1.5K"), 1536);
	assert_int_equal(parse_size("0"), 0);
	/* strtod would take all of these: hex (0x10 read as 16 bytes), exponents, nan, signs. */
	static const char *const bad[] = { "0x10", "1e3", "nan", "inf", "-1", "+1", "lots", "", "1.", ".5",
					   "2 G", "2T", "99999999999999999999", "9000000000G", NULL };
	for (const char *const *b = bad; *b; b++)
		if (parse_size(*b) != -1)
			fail_msg("'%s' was taken as a size", *b);
}

/* want: a part of the one-line message; NULL: the value is taken. */
static void check_setting(enum setting s, const char *value, const char *want)
{
	struct strbuf err = STRBUF_INIT;
	int rc;

	setenv(setting_info(s)->name, value, 1);
	rc = setting_check(s, &err);
	unsetenv(setting_info(s)->name);
	if (!want && rc != 0)
		fail_msg("%s=%s refused: %s", setting_info(s)->name, value, err.buf);
	if (want && (rc != -1 || !strstr(err.buf, want) || strchr(err.buf, '\n')))
		fail_msg("%s=%s: '%s' lacks '%s'", setting_info(s)->name, value, err.buf, want);
	sb_release(&err);
}

#define expect_refused(s, v, want) check_setting(s, v, want)
#define expect_taken(s, v) check_setting(s, v, NULL)

static void test_checks(void **state)
{
	(void)state;
	expect_refused(SETTING_MODE, "Generate", "CARGO_PGO_WRAP_MODE=Generate is not a mode; set it to generate, use or off");
	expect_refused(SETTING_C, "maybe", "CARGO_PGO_WRAP_C=maybe is not a choice; set it to auto, on or off");
	expect_refused(SETTING_SPLIT, "off", "CARGO_PGO_WRAP_SPLIT=off is not 0 or 1");
	expect_refused(SETTING_WHEN_NO_PROFILE, "sometimes", "is not a choice; set it to instrument or plain");
	expect_refused(SETTING_PROFILE, "rel/p", "CARGO_PGO_WRAP_PROFILE=rel/p is a relative path");
	expect_refused(SETTING_WORKSPACE, "ws", "CARGO_PGO_WRAP_WORKSPACE=ws is a relative path");
	expect_refused(SETTING_JOURNAL, "j.log", "CARGO_PGO_WRAP_JOURNAL=j.log is a relative path");
	expect_refused(SETTING_CACHE, "/tmp/a\nb", "CARGO_PGO_WRAP_CACHE holds a newline");
	expect_refused(SETTING_CACHE_MAX, "0x10", "CARGO_PGO_WRAP_CACHE_MAX=0x10 is not a size; write e.g. 500M or 2G");
	expect_refused(SETTING_GC_GRACE, "99999999999999999999", "is not a number of seconds");
	expect_refused(SETTING_GC_GRACE, "-5", "is not a number of seconds");
	expect_refused(SETTING_EXCLUDE, "a\tb", "holds a newline or another control character");
	expect_taken(SETTING_MODE, "use");
	expect_taken(SETTING_SPLIT, "0");
	expect_taken(SETTING_CACHE_MAX, "2G");
	expect_taken(SETTING_GC_GRACE, "0");
	expect_taken(SETTING_PROFILE, "/abs/p");
	expect_taken(SETTING_NEXT, "sccache");
	/* Empty is unset. */
	expect_taken(SETTING_MODE, "");
	/* Ours are never refused: they are written by us for our own children. */
	expect_taken(SETTING_C_DECISION, "use /x\ny");
}

static void test_values(void **state)
{
	(void)state;
	assert_int_equal(setting_size(SETTING_CACHE_MAX, 7), 7);
	setenv("CARGO_PGO_WRAP_CACHE_MAX", "1K", 1);
	assert_int_equal(setting_size(SETTING_CACHE_MAX, 7), 1024);
	unsetenv("CARGO_PGO_WRAP_CACHE_MAX");
	assert_int_equal(setting_seconds(SETTING_GC_GRACE, 9), 9);
	setenv("CARGO_PGO_WRAP_GC_GRACE", "60", 1);
	assert_int_equal(setting_seconds(SETTING_GC_GRACE, 9), 60);
	unsetenv("CARGO_PGO_WRAP_GC_GRACE");
	assert_false(setting_is(SETTING_SPLIT, "0"));
	setenv("CARGO_PGO_WRAP_SPLIT", "0", 1);
	assert_true(setting_is(SETTING_SPLIT, "0"));
	unsetenv("CARGO_PGO_WRAP_SPLIT");
}

/* Every row users set is in help and the man page; ours are in the man page only. */
static void test_docs_list_every_row(void **state)
{
	(void)state;
	struct strbuf help = STRBUF_INIT, man = STRBUF_INIT, want = STRBUF_INIT;

	settings_help(&help);
	settings_markdown(&man);
	for (int s = 0; s < SETTING_COUNT; s++) {
		const struct setting_info *t = setting_info((enum setting)s);
		sb_reset(&want);
		sb_addf(&want, "%s=", t->name);
		assert_true(strncmp(t->name, "CARGO_PGO_WRAP_", 15) == 0);
		assert_non_null(t->doc);
		assert_non_null(strstr(man.buf, t->name));
		if (t->type == SETTING_INTERNAL)
			assert_null(strstr(help.buf, want.buf));
		else
			assert_non_null(strstr(help.buf, want.buf));
	}
	sb_release(&help);
	sb_release(&man);
	sb_release(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_docs_list_every_row),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
