/*
 * test_profsummary.c - unit tests for when a split keeps a part's summary
 * (shim/formats/profsummary.c): LLVM's thresholds near, its working-set
 * flags the same.
 */
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "formats/profsummary.h"

/* LLVM's default cutoffs, as llvm-profdata writes them. */
static const uint64_t cutoffs[] = { 10000, 100000, 200000, 300000, 400000, 500000, 600000, 700000,
				    800000, 900000, 950000, 990000, 999000, 999900, 999990, 999999 };
#define NCUT (sizeof(cutoffs) / sizeof(cutoffs[0]))

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* A summary of 6 fields whose entry at each cutoff has min count min[i] and working set ws. */
static struct profsummary make(const uint64_t min[NCUT], uint64_t ws)
{
	struct profsummary s = { 12, 16 + 8 * 6 + 24 * NCUT, NULL };
	s.bytes = calloc(1, s.len);
	put64(s.bytes, 6);
	put64(s.bytes + 8, NCUT);
	for (size_t i = 0; i < NCUT; i++) {
		unsigned char *e = s.bytes + 16 + 8 * 6 + 24 * i;
		put64(e, cutoffs[i]);
		put64(e + 8, min[i]);
		put64(e + 16, cutoffs[i] == 990000 ? ws : 100 * i);
	}
	return s;
}

static bool close_with(const uint64_t a[NCUT], uint64_t wa, const uint64_t b[NCUT], uint64_t wb)
{
	struct profsummary x = make(a, wa), y = make(b, wb);
	bool c = profsummary_close(&x, &y);
	free(x.bytes);
	free(y.bytes);
	return c;
}

static const uint64_t base[NCUT] = { 9000000, 800000, 700000, 600000, 500000, 400000, 300000, 200000,
				     100000, 5000, 800, 160, 40, 9, 3, 2 };

static void test_cold_threshold_between_one_and_two_is_the_same(void **state)
{
	uint64_t moved[NCUT];
	(void)state;
	memcpy(moved, base, sizeof(moved));
	moved[NCUT - 1] = 1; /* hexyl's three trainings: the 99.9999% minimum moved 2 -> 1 */
	assert_true(close_with(base, 900, moved, 900));
	moved[NCUT - 2] = 1; /* 99.999%: 3 -> 1, still code run at most three times */
	assert_true(close_with(base, 900, moved, 900));
	moved[NCUT - 1] = 4; /* cold at 4 against 2: code run three or four times changes class */
	assert_false(close_with(base, 900, moved, 900));
}

static void test_hot_and_size_thresholds_within_an_eighth(void **state)
{
	uint64_t moved[NCUT];
	(void)state;
	memcpy(moved, base, sizeof(moved));
	moved[11] = 160 + 22; /* the hot minimum, 99%: an eighth of the larger (182 / 8 = 22) */
	assert_true(close_with(base, 900, moved, 900));
	moved[11] = 160 + 24;
	assert_false(close_with(base, 900, moved, 900));
	memcpy(moved, base, sizeof(moved));
	moved[10] = 690; /* 95%, size over speed: more than an eighth below 800 */
	assert_false(close_with(base, 900, moved, 900));
	memcpy(moved, base, sizeof(moved));
	moved[5] = 1; /* below 95%: not compared */
	assert_true(close_with(base, 900, moved, 900));
}

static void test_working_set_flags(void **state)
{
	(void)state;
	assert_true(close_with(base, 900, base, 1000));
	assert_false(close_with(base, 900, base, 1100));         /* more than an eighth */
	assert_false(close_with(base, 12400, base, 12600));      /* LLVM's "large" flag flips */
	assert_false(close_with(base, 14900, base, 15100));      /* and "huge" */
	assert_true(close_with(base, 12600, base, 13000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cold_threshold_between_one_and_two_is_the_same),
		cmocka_unit_test(test_hot_and_size_thresholds_within_an_eighth),
		cmocka_unit_test(test_working_set_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
