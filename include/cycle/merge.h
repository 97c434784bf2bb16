/*
 * merge.h - merging profiles into the cache (the `merge` command, and the
 * steps of `build` that ingest training output and pending raw files).
 * Each .profraw is routed to the slot whose instrumented build linked the
 * binary that wrote it (by build-id); the manifest lists the code that
 * build was compiled from, so a profile is never labelled fresher than it is.
 */
#ifndef PGOW_MERGE_H
#define PGOW_MERGE_H

#include <stdbool.h>

#include "base/strbuf.h"

struct merge_request {
	const char *slot;        /* slot id (prefix): only its files; where --foreign files go */
	const char *training;    /* how the profiles were collected, for the manifest */
	const char *training_id; /* hash of the configured training; NULL: manual */
	bool strict;             /* a corrupt input fails the merge */
	bool foreign;            /* accept files no build in this cache produced (needs slot) */
	bool replace;            /* never add to the current profile */
	const char *replace_why; /* said when replacing (default: "--replace") */
	const char *remove_inputs; /* delete the raw files once stored, all below this dir (ours) */
	bool quiet_if_none;      /* no input at all is not an error (pending-file ingestion) */
	bool lenient;            /* nothing mergeable is a warning, not an error (pending files) */
	long weight;             /* default weight, 0 = 1 */
	struct strvec build_units; /* "slot\tcrate\tmetadata\tkey": every unit of the instrumented build
				      that produced the files, also those its training never ran */
	struct strvec paths;     /* files or directories */
	long *weights;           /* one per path (0 = the default weight) */
};

void merge_add_input(struct merge_request *rq, const char *path, long weight);
void merge_request_release(struct merge_request *rq);
/*
 * Merges and stores; returns the number of slots that got a new profile.
 * Exits with a distinct code and a one-line error on failure.
 */
int merge_run(const struct merge_request *rq);
/* Splits the slot's current profile again when a part of its split was damaged; says so. */
void merge_repair_split(const char *slot_dir);

#endif
