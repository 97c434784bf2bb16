/* test_drift.c - two profiles' text forms compared per crate (shim/cycle/drift.c), checked by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cycle/drift.h"

#define REC(name, hash, n, ...) name "\n# Func Hash:\n" #hash "\n# Num Counters:\n" #n "\n# Counter Values:\n" __VA_ARGS__ "\n"

/* fixlib: eval in both (same code), tokenize only in A; fixbin: main changed; app: only in B. */
static const char A[] = "# IR level Instrumentation Flag\n:ir\n"
	REC("_ZN6fixlib4eval17h0000000000000001E", 11, 2, "60\n20") "\n"
	REC("_ZN6fixlib8tokenize17h0000000000000002E", 12, 1, "20") "\n"
	REC("_ZN6fixbin4main17h0000000000000003E", 13, 1, "100");
static const char B[] = "# IR level Instrumentation Flag\n:ir\n"
	REC("_ZN6fixlib4eval17h0000000000000001E", 11, 2, "10\n30") "\n"
	REC("_ZN6fixbin4main17h0000000000000003E", 99, 1, "7") "\n"
	REC("_ZN3app3run17h0000000000000004E", 14, 1, "0");

static const struct drift_crate *crate(const struct drift *d, const char *name)
{
	for (size_t i = 0; i < d->ncrates; i++)
		if (strcmp(d->crates[i].crate, name) == 0)
			return &d->crates[i];
	fail_msg("no crate %s", name);
	return NULL;
}

static void test_per_crate(void **state)
{
	char *a = strdup(A), *b = strdup(B);
	struct drift d;

	(void)state;
	drift_compare_text(a, b, 10, &d);
	assert_int_equal(200, d.total_a);
	assert_int_equal(47, d.total_b);
	/* fixbin first: 100 of A's 200. */
	assert_string_equal("fixbin", d.crates[0].crate);
	const struct drift_crate *lib = crate(&d, "fixlib");
	/* A's fixlib: 60/100, 20/100 (tokenize's 20 in the total); B's: 10/40, 30/40.
	 * min(0.6, 0.25) + min(0.2, 0.75) = 0.45. */
	assert_true(lib->overlap > 0.4499 && lib->overlap < 0.4501);
	assert_int_equal(1, lib->only_a);
	assert_int_equal(0, lib->only_b);
	const struct drift_crate *bin = crate(&d, "fixbin");
	assert_int_equal(1, bin->changed);
	assert_true(bin->overlap == 0.0);
	assert_int_equal(1, crate(&d, "app")->only_b);
	/* Hot in A, never run in B: tokenize (absent there) at 10 %; eval and main ran in B. */
	assert_int_equal(1, d.nmissing);
	assert_string_equal("_ZN6fixlib8tokenize17h0000000000000002E", d.missing[0].name);
	assert_string_equal("fixlib", d.missing[0].crate);
	assert_true(d.missing[0].share > 0.0999 && d.missing[0].share < 0.1001);
	drift_release(&d);
	free(a);
	free(b);
}

static void test_top_and_empty(void **state)
{
	char *a = strdup(A), empty[] = "";
	struct drift d;

	(void)state;
	drift_compare_text(a, empty, 2, &d);
	/* Every function of A is missing from an empty B: the top 2, by share. */
	assert_int_equal(2, d.nmissing);
	assert_string_equal("_ZN6fixbin4main17h0000000000000003E", d.missing[0].name);
	assert_true(d.missing[0].share > 0.4999 && d.missing[0].share < 0.5001);
	drift_release(&d);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_crate),
		cmocka_unit_test(test_top_and_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
