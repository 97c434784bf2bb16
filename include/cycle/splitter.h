/*
 * splitter.h - splits a slot's merged profile into one file per unit: which
 * unit compiled each function (the names the wrapper recorded), the text
 * form divided by that, one file for the units many artifacts list, one
 * llvm-profdata run per file whose records changed, and the whole profile's
 * summary written into every file.
 */
#ifndef PGOW_SPLITTER_H
#define PGOW_SPLITTER_H

#include "base/strbuf.h"

struct manifest;

struct splitter_input {
	const char *slot_dir;
	const char *key;          /* the profile's content key */
	const char *profdata;     /* the merged profile */
	const char *text;         /* its text form */
	const char *tool;         /* the llvm-profdata that merged it */
	struct manifest *m;       /* its units: their figures are set from the split */
};

struct splitter_stats {
	int crates;      /* files the profile is split into */
	int rewritten;   /* of those, files whose bytes changed */
	int grouped;     /* units sharing SPLIT_SHARED_NAME's file */
	long shared;     /* records of no known unit, given to every crate */
};

/*
 * Splits the profile into <slot>/split/<crate>-<metadata>.profdata (and
 * SPLIT_SHARED_NAME's file for the units many artifacts list) and writes the
 * index naming in->key. Each Rust unit's counts, functions and covered
 * functions in in->m become those of the records its part owns (the
 * functions it alone compiled), so that every figure shown matches the parts. Returns 0 when split, 1 when the profile is kept
 * whole (why says why), -1 on an error (err).
 */
int splitter_run(const struct splitter_input *in, struct splitter_stats *st, struct strbuf *why,
		 struct strbuf *err);

#endif
