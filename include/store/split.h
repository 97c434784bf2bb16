/*
 * split.h - the stored split of a slot's profile: one file per unit, so that
 * a refresh rewrites only the files whose bytes change and cargo recompiles
 * only those units (rustc lists the file it is given in its dep-info), and
 * split/INDEX, naming each unit's file with the hashes of its records and
 * bytes. cycle/splitter.h writes it; the wrapper, verification, status and
 * gc read it here.
 */
#ifndef PGOW_SPLIT_H
#define PGOW_SPLIT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/strbuf.h"

/* The file of units the profile does not know: its shared records only. Not a crate name. */
#define SPLIT_NONE_NAME "-none"
/* The file of the C and C++ code build scripts compile: their functions' records only. */
#define SPLIT_C_NAME "-c"

/* Whether units are given their parts (CARGO_PGO_WRAP_SPLIT is not 0); dies on a bad value. */
bool split_wanted(void);
/* <dir>/<unit>.profdata */
void split_file_path(struct strbuf *out, const char *dir, const char *unit);
/* An index's line for a unit: its text and file hashes (HASH_HEX_LEN + 1 bytes each), or false. */
bool split_index_entry(const struct strbuf *index, const char *unit, char *text_hash, char *file_hash);
/* An index being made: its first line (the profile key and the summary every file carries)... */
void split_index_begin(struct strbuf *index, const char *key, const unsigned char *summary, size_t len);
/* ...then a line per unit. */
void split_index_add(struct strbuf *index, const char *unit, const char *text_hash, const char *file_hash);
/* The summary an index records, when it has len bytes; false when it has not or is malformed. */
bool split_index_summary(const struct strbuf *index, unsigned char *out, size_t len);

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
