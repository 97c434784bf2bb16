/*
 * drift.h - how far two profiles of one build are apart: llvm-profdata's
 * overlap over the whole, and per crate (by the crate that compiled each
 * function) the overlap of their counts, the functions only one has, the
 * functions whose code changed; and what one ran hot that the other never
 * ran at all (what a training misses of the fleet).
 */
#ifndef PGOW_DRIFT_H
#define PGOW_DRIFT_H

#include <stddef.h>
#include <stdint.h>

#include "base/strbuf.h"

struct drift_crate {
	char *crate;
	double overlap;            /* 0..1 of its counts, each side by its own total */
	long only_a, only_b;       /* functions in one profile only */
	long changed;              /* functions in both whose structural hash differs */
	uint64_t sum_a, sum_b;
};

struct drift_miss {
	char *name, *crate;
	double share;              /* of A's counts */
};

struct drift {
	double overlap;            /* llvm-profdata overlap's edge overlap, 0..1; -1 unknown */
	uint64_t total_a, total_b;
	struct drift_crate *crates; /* by A's counts, most first */
	size_t ncrates;
	struct drift_miss *missing; /* hot in A, never run in B: most first */
	size_t nmissing;
};

/* llvm-profdata overlap of a and b (edge counts), 0..1; -1 with err when it cannot tell. */
double drift_overlap(const char *tool, const char *a, const char *b, struct strbuf *err);
/* Compares a with b (text forms made in tmpdir); keeps the top functions B misses. 0, or -1 (err). */
int drift_compare(const char *tool, const char *a, const char *b, const char *tmpdir, size_t top,
		  struct drift *d, struct strbuf *err);
/* The same on text forms already read (edited in place). */
void drift_compare_text(char *text_a, char *text_b, size_t top, struct drift *d);
void drift_release(struct drift *d);

#endif
