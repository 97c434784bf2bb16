/*
 * split.h - one profile file per crate, split from a slot's merged profile.
 * rustc lists the file it is given in its dep-info, so once a refresh
 * rewrites only the files whose bytes change, cargo recompiles only the
 * crates whose profile data changed. Each file keeps the whole profile's
 * summary (hot and cold thresholds), so a crate is optimised as it would be
 * with the merged profile.
 */
#ifndef PGOW_SPLIT_H
#define PGOW_SPLIT_H

#include <stdbool.h>

#include "base/strbuf.h"

struct manifest;

/* Set to 0 to give every crate the merged profile (one file, as before splitting). */
#define ENV_SPLIT "CARGO_PGO_WRAP_SPLIT"

/*
 * Records which functions an instrumented unit compiled: the names in its
 * output's profile name sections (an rlib, or a linked program, whose list
 * also holds its libraries' names). An LTO rlib holds bitcode: its modules
 * are recorded, and its global functions by llvm-nm of llvm_major. -1
 * with err (and no list).
 */
int split_record_unit(const char *slot_dir, const char *crate, const char *metadata, bool program,
		      const char *output, int llvm_major, struct strbuf *err);

struct split_input {
	const char *slot_dir;
	const char *key;          /* the profile's content key */
	const char *profdata;     /* the merged profile */
	const char *text;         /* its text form */
	const char *tool;         /* the llvm-profdata that merged it */
	const struct manifest *m; /* its units */
};

struct split_stats {
	int crates;      /* files the profile is split into */
	int rewritten;   /* of those, files whose bytes changed */
	long shared;     /* records of no known unit, given to every crate */
};

/*
 * Splits the profile into <slot>/split/<crate>-<metadata>.profdata and writes the
 * index naming in->key. Returns 0 when split, 1 when the profile is kept
 * whole (why says why), -1 on an error (err).
 */
int split_profile(const struct split_input *in, struct split_stats *st, struct strbuf *why,
		  struct strbuf *err);

/*
 * The split of the slot's current profile (key), when there is one: the
 * dir the stamp names, and for a unit (crate and -C metadata; NULL for
 * none) its file and that file's hash. Returns 1 when split, 0 when not.
 */
int split_lookup(const char *slot_dir, const char *key, const char *crate, const char *metadata,
		 struct strbuf *dir, struct strbuf *file, struct strbuf *hash);

/*
 * The file of the split (of key) that the C and C++ code build scripts
 * compile is given, and its hash. Returns 1 when there is one, 0 when not.
 */
int split_c_file(const char *slot_dir, const char *key, struct strbuf *file, struct strbuf *hash);

/* How many files the current profile (key) is split into; -1 when it is not split. */
int split_count(const char *slot_dir, const char *key);

/* The files of the split dir that the current profile's (key's) index does not list, for gc. */
void split_unlisted(const char *slot_dir, const char *key, struct strvec *out);

/*
 * Files of the current split (key) whose bytes are not the ones its index
 * recorded (damaged, replaced, gone): how many, the first in first.
 */
int split_damaged(const char *slot_dir, const char *key, struct strbuf *first);
/* A file still has the bytes of that hash (rustc cannot be trusted to say: --cap-lints hides it). */
int split_file_intact(const char *file, const char *hash);

/* What a unit's mark records for the profile file it was given: "<file>#<hash>". */
void split_detail(struct strbuf *out, const char *file, const char *hash);

#endif
