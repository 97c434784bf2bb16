/*
 * test_strbuf.c - unit tests for the string helpers of shim/base/strbuf.c
 * that checks of ids, keys and names lean on.
 */
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/strbuf.h"

static void test_hex_spans_and_whole_strings(void **state)
{
	(void)state;
	assert_true(mem_is_hex("0123456789abcdef", 16));
	assert_true(mem_is_hex("abcX", 3));           /* only the n bytes asked about */
	assert_true(mem_is_hex("", 0));
	assert_false(mem_is_hex("0123456789ABCDEF", 16)); /* ours are written in lowercase */
	assert_false(mem_is_hex("12g4", 4));
	assert_false(mem_is_hex("12", 3));             /* the terminator is not a digit, nor read past */
	assert_true(str_is_hex("deadbeef", 8));
	assert_false(str_is_hex("deadbeef0", 8));      /* exactly n */
	assert_false(str_is_hex("deadbee", 8));
	assert_true(str_is_hex("d", 0));               /* 0: any number */
	assert_false(str_is_hex("", 0));               /* but at least one */
	assert_false(str_is_hex("dead beef", 0));
	assert_false(str_is_hex("deadbeef\n", 0));
}

static void test_names_our_files_cannot_hold(void **state)
{
	(void)state;
	const char *s = "a\tb";
	assert_ptr_equal(str_find_control(s), s + 1);
	assert_null(str_find_control("plain name.profraw"));
	assert_true(str_ends_with("x.profraw", ".profraw"));
	assert_false(str_ends_with("profraw", ".profraw"));
}

static void test_remove_keeps_order_and_terminator(void **state)
{
	(void)state;
	struct strvec sv = STRVEC_INIT;

	sv_push(&sv, "a");
	sv_push(&sv, "b");
	sv_push(&sv, "c");
	sv_remove(&sv, 1);
	assert_int_equal(sv.n, 2);
	assert_string_equal(sv.v[0], "a");
	assert_string_equal(sv.v[1], "c");
	assert_null(sv.v[2]);
	sv_remove(&sv, 1);
	sv_remove(&sv, 0);
	assert_int_equal(sv.n, 0);
	assert_null(sv.v[0]);
	sv_release(&sv);
}

static void test_plain_text_drops_colour(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	const char *line = "\033[1m\033[33mwarning\033[0m: x";

	sb_add_plain(&sb, line, strlen(line));
	assert_string_equal(sb.buf, "warning: x");
	sb_reset(&sb);
	sb_add_plain(&sb, "abc", 2);                  /* len bytes, no more */
	assert_string_equal(sb.buf, "ab");
	sb_reset(&sb);
	sb_add_plain(&sb, "a\033[3", 4);            /* an escape cut short ends the text */
	assert_string_equal(sb.buf, "a");
	sb_release(&sb);
}

/* A word the shell reads back as it is: quoted only when it must be, a quote escaped. */
static void test_shell_words(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	const char *const cases[][2] = {
		{ "/usr/bin/ls", "/usr/bin/ls" },
		{ "--border=none", "--border=none" },
		{ "'/x/hexyl' --border none > /dev/null", "''\\''/x/hexyl'\\'' --border none > /dev/null'" },
		{ "a b", "'a b'" },
		{ "", "''" },
		{ "$HOME", "'$HOME'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sb_reset(&sb);
		sb_add_shell_word(&sb, cases[i][0]);
		assert_string_equal(sb.buf, cases[i][1]);
	}
	sb_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_spans_and_whole_strings),
		cmocka_unit_test(test_names_our_files_cannot_hold),
		cmocka_unit_test(test_remove_keeps_order_and_terminator),
		cmocka_unit_test(test_plain_text_drops_colour),
		cmocka_unit_test(test_shell_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
