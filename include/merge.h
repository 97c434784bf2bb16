/*
 * merge.h - merging profiles into the cache (the `merge` command and the
 * last step of a `build` refresh).
 */
#ifndef PGOW_MERGE_H
#define PGOW_MERGE_H

#include <stdbool.h>

#include "strbuf.h"

struct merge_request {
	const char *slot;       /* slot id (prefix); NULL: the slot that instrumented into paths */
	const char *training;   /* how the profiles were collected, for the manifest */
	bool strict;            /* a corrupt input fails the merge */
	struct strvec paths;    /* files or directories */
	long *weights;          /* one per path */
};

void merge_add_input(struct merge_request *rq, const char *path, long weight);
void merge_request_release(struct merge_request *rq);
/* Merges and stores; exits with a distinct code and a one-line error on failure. */
int merge_run(const struct merge_request *rq);

#endif
