/*
 * status.h - what the cache knows about a build: the slot that last built a
 * target dir, and whether its profile still matches the crates.
 */
#ifndef PGOW_STATUS_H
#define PGOW_STATUS_H

#include "strbuf.h"

struct freshness {
	int has_profile;          /* 1, 0 none, -1 unusable */
	size_t ncrates, nstale;
	double stale_share;       /* share of the profile's counts in stale crates */
	struct strbuf stale;      /* "fixlib (changed), ..." */
	struct strbuf key;        /* content key of the current profile */
	long created;
	struct strbuf training;
};

/* The slot dir whose stamp names build_dir; 0 when found, -1 when none. */
int status_slot_of_build_dir(const char *build_dir, struct strbuf *slot_dir);
void status_freshness(const char *slot_dir, struct freshness *f);
void freshness_release(struct freshness *f);

#endif
