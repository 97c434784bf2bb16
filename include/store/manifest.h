/*
 * manifest.h - what a cached profile was collected against: the slot, the
 * content key, each crate's key, the toolchain and how it was trained.
 * Comparing a manifest with the crates as they are now says which went stale.
 */
#ifndef PGOW_MANIFEST_H
#define PGOW_MANIFEST_H

#include <stdbool.h>

#include "base/strbuf.h"

#define MANIFEST_VERSION 3     /* 1 (no training-id, no coverage) and 2 (no programs, still written without them) are read */

struct manifest_crate {
	char *name;
	char *metadata;
	char *key;
	long counts;           /* profile counts of functions it compiled; -1 unknown */
	long functions;        /* its functions in the profile; -1 unknown */
	long covered;          /* of those, how many ran (non-zero counts); -1 unknown */
};

struct manifest {
	char *content_key;
	char *slot;
	long created;          /* unix seconds */
	char *rustc;           /* rustc -vV */
	char *llvm_profdata;   /* its --version line */
	char *training;        /* how the raw profiles were collected */
	char *training_id;     /* hash of the configured training, or "manual" */
	long raw_files;
	char *cargo_lock;      /* xxh3 of Cargo.lock, or "none" */
	long total_counts;     /* all counts in the profile; 0 unknown */
	struct manifest_crate *crates;
	size_t ncrates;
	struct strvec inputs;  /* content hashes of the raw files merged in (a file is merged once) */
	/*
	 * The only programs its training runs (crate names of {bin:NAME}, sorted),
	 * when every run starts one of them itself; unknown (a cargo, shell or
	 * other command, a merge by hand or from the field): any program may run.
	 */
	bool programs_known;
	struct strvec programs;
};

struct manifest_crate *manifest_add_crate(struct manifest *m, const char *name, const char *metadata,
					  const char *key);
/* Writes atomically (temp + fsync + rename). */
int manifest_write(const struct manifest *m, const char *path, struct strbuf *err);
/* -1 with "path:line:col: problem" for bad YAML, unknown keys or wrong types. */
int manifest_read(struct manifest *m, const char *path, struct strbuf *err);
void manifest_release(struct manifest *m);
const struct manifest_crate *manifest_find(const struct manifest *m, const char *name,
					   const char *metadata);
/* The first unit of that crate name, whatever its metadata. */
const struct manifest_crate *manifest_find_name(const struct manifest *m, const char *name);
/*
 * Whether the profile holds units of that crate name and none of their
 * instrumented code ran in the training (functions, no counts): an edit of
 * them changes nothing the training measured. Counts are per crate name.
 */
bool manifest_name_never_ran(const struct manifest *m, const char *name);
/*
 * A program unit (a bin, example or test harness) the training cannot run:
 * the profile knows which programs its training runs and this is not one.
 * Training again would give it no counts, so it is not stale for being new.
 */
bool manifest_program_untrained(const struct manifest *m, const char *crate, bool test_harness);

#endif
