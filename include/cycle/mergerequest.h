/*
 * mergerequest.h - what a merge is asked to do: its inputs with their
 * weights, which slot they may go to, and how to treat what it finds.
 */
#ifndef PGOW_MERGEREQUEST_H
#define PGOW_MERGEREQUEST_H

#include <stdbool.h>

#include "base/strbuf.h"

struct merge_request {
	const char *slot;        /* slot id (prefix): only its files; where --foreign files go */
	const char *training;    /* how the profiles were collected, for the manifest */
	const char *training_id; /* hash of the configured training; NULL: manual */
	const struct strvec *programs; /* the only programs the training runs; NULL: any may run */
	bool strict;             /* a corrupt input fails the merge */
	bool foreign;            /* accept files no build in this cache produced (needs slot) */
	bool replace;            /* never add to the current profile */
	const char *replace_why; /* said when replacing (default: "--replace") */
	const char *remove_inputs; /* delete the raw files once stored, all below this dir (ours) */
	bool quiet_if_none;      /* no input at all is not an error (pending-file ingestion) */
	bool lenient;            /* nothing mergeable is a warning, not an error (pending files) */
	const char *reject_dir;  /* below remove_inputs: where inputs that can never be merged are moved
				    (pending files: else every build warns about them again) */
	long weight;             /* default weight, 0 = 1 */
	struct strvec build_units; /* "slot\tcrate\tmetadata\tkey": every unit of the instrumented build
				      that produced the files, also those its training never ran */
	struct strvec paths;     /* files or directories */
	long *weights;           /* one per path (0 = the default weight) */
};

/* Adds a file or directory of profiles, with its weight (0: the request's default). */
void merge_request_add_input(struct merge_request *rq, const char *path, long weight);
void merge_request_release(struct merge_request *rq);
/*
 * Skips an input that can never be merged (not a profile, cut short): with a
 * reject_dir it is moved there, out of the next merge's way, and the warning
 * says where; else it is left where it is. why names the file.
 */
void merge_request_reject(const struct merge_request *rq, const char *path, const char *why);

#endif
