/*
 * route.h - where each input of a merge goes: a raw file to the slot whose
 * build linked the binary that wrote it (by build-id), an indexed profile
 * only to a named slot. What cannot be routed is named and skipped (or, with
 * --strict, fatal).
 */
#ifndef PGOW_ROUTE_H
#define PGOW_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/namemap.h"
#include "base/strbuf.h"
#include "store/provenance.h"
#include "cycle/mergerequest.h"

struct merge_procs; /* profdata.h's */

/* The inputs of one slot. */
struct group {
	char *slot;                /* slot id */
	struct strvec inputs;      /* "weight,path" */
	struct strvec hashes;      /* content hash of each input, parallel to inputs */
	struct strvec raw_paths;   /* raw files to delete once stored */
	struct strvec named;       /* the files the user named, parallel to inputs once one is read into another */
	struct unit_ref *units;    /* the code the profiles were collected from */
	size_t nunits;
	bool foreign;              /* some inputs came without provenance */
	uint64_t max_raw;
	long raw_count;
	struct merge_procs *early; /* llvm-profdata started for it while routing went on (see first_group) */
};


/* Every input routed: one group per slot. */
struct routing {
	struct group *groups;
	size_t n;
	size_t skipped, considered;
	struct known_id *known;
	size_t nknown, known_alloc;
	struct namemap known_index; /* build-id to its index in known: one lookup per id, however many */
	/* Called once, when the first group gets its first raw file of a known build (NULL: not at all). */
	void (*first_group)(struct group *g, void *ctx);
	void *ctx;
};


/* Routes every input of rq (files, and the profiles in directories); slot: the full id --slot names. */
void routing_plan(const struct merge_request *rq, const char *slot, struct routing *r);
void routing_release(struct routing *r);

#endif
