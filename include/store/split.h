/*
 * split.h - the stored split of a slot's profile: one file per unit (or one
 * that units many artifacts list share), so that a refresh rewrites only the
 * files whose bytes change and cargo recompiles only those units (rustc lists
 * the file it is given in its dep-info), and INDEX, naming each unit's file
 * with the hashes of its records and bytes.
 *
 * A split is written whole as a new generation, <slot>/splits/<N>/, files
 * unchanged since the last one being hard links to it (same inode, same
 * mtime: cargo sees no change); then one rename points the link
 * <slot>/split at it. Units are given <slot>/split/<unit>.profdata, a path
 * that never changes, so a reader sees one whole generation or the next,
 * and a splitter killed at any point leaves the previous split intact.
 * cycle/splitter.h writes it; the wrapper, verification, status and gc read
 * it here.
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
/*
 * The file units share when many of cargo's uplifted dep-info files list them
 * (SPLIT_SHARED_LISTINGS or more): their records together. Cargo reads each
 * path a local unit's dep-info lists once per artifact above it, and a path
 * of its own per unit made a no-op of a workspace built whole cost the
 * square of its members; such a unit's rebuild rebuilds that many anyway.
 */
#define SPLIT_SHARED_NAME "-shared"
#define SPLIT_SHARED_LISTINGS 8

/* The link units' paths go through, and the dir of generations it names (splits/<N>). */
#define SPLIT_LINK "split"
#define SPLIT_GENERATIONS "splits"
/* The splitter's scratch dir in splits/: a name gc knows as a temp. */
#define SPLIT_TEMP_PREFIX "merge."

/* Whether units are given their parts (CARGO_PGO_WRAP_SPLIT is not 0); dies on a bad value. */
bool split_wanted(void);
/* <dir>/<unit>.profdata */
void split_file_path(struct strbuf *out, const char *dir, const char *unit);
/*
 * An index's line for a unit: its text and file hashes (HASH_HEX_LEN + 1 bytes
 * each) and, when part is not NULL, the name of its file (its own, or
 * SPLIT_SHARED_NAME's); false when there is none.
 */
bool split_index_entry(const struct strbuf *index, const char *unit, char *text_hash, char *file_hash,
		       struct strbuf *part);
/*
 * An index being made: its first line (the profile key and the summary every
 * file carries; a version older readers reject when units share a file)...
 */
void split_index_begin(struct strbuf *index, const char *key, const unsigned char *summary, size_t len,
		       bool shares);
/* ...then a line per unit; part names the file it shares, NULL for its own. */
void split_index_add(struct strbuf *index, const char *unit, const char *text_hash, const char *file_hash,
		     const char *part);
/* The summary an index records, when it has len bytes; false when it has not or is malformed. */
bool split_index_summary(const struct strbuf *index, unsigned char *out, size_t len);

/*
 * DEFINED, beside INDEX: the counts of the code each library defines that
 * other units compiled (its generics, instantiated there), per pair of the
 * library and the unit holding them. Those records are in the other unit's
 * part, but an edit of the library changes them: freshness adds them to the
 * library's share when it changes. A file older versions do not read.
 */
#define SPLIT_DEFINED "DEFINED"
/* A DEFINED being made: its first line (the profile key)... */
void split_defined_begin(struct strbuf *out, const char *key);
/* ...then a line per pair (units as "<crate>-<metadata>"). */
void split_defined_add(struct strbuf *out, const char *lib, const char *unit, unsigned long long counts);
/* The current split's DEFINED lines, when it is the split of key; false when there is none. */
bool split_defined_read(const char *slot_dir, const char *key, struct strbuf *lines);
/* The next line of lines (at *p): its library, unit and counts; false at the end. Malformed lines are skipped. */
bool split_defined_next(const char **p, struct strbuf *lib, struct strbuf *unit, unsigned long long *counts);
/* The length of the crate name in a unit's name "<crate>-<metadata>"; 0 when it has none ("-none"). */
size_t split_unit_crate_len(const char *unit);
/* Whether unit ("<crate>-<metadata>") is one of crate name's. */
bool split_unit_of_crate(const char *unit, const char *name);
/* Whether DEFINED lines give counts to code a library of crate name defines, compiled elsewhere. */
bool split_defined_ran_elsewhere(const char *lines, const char *name);

/*
 * The split of the slot's current profile (key), when there is one: the
 * dir the stamp names, and for a unit (crate and -C metadata; NULL for
 * none) its file and that file's hash. Returns 1 when split, 0 when not.
 */
int split_lookup(const char *slot_dir, const char *key, const char *crate, const char *metadata,
		 struct strbuf *dir, struct strbuf *file, struct strbuf *hash);

/*
 * The file of the split (of key) that the C and C++ code build scripts
 * compile is given, and its hash. Returns 1 when there is one; 0 when the
 * profile is split but has no C part (no C records); -1 when it is not split.
 */
int split_c_file(const char *slot_dir, const char *key, struct strbuf *file, struct strbuf *hash);

/* How many files the current profile (key) is split into; -1 when it is not split. */
int split_count(const char *slot_dir, const char *key);
/*
 * How many units of that split share SPLIT_SHARED_NAME's file, their names
 * ("<crate>-<metadata>") into units when not NULL; 0 when none does or it is not split.
 */
int split_shared_count(const char *slot_dir, const char *key, struct strvec *units);

/*
 * The current generation's dir (its real path, not through the link): N >= 1
 * for splits/<N>; 0 for a split of the layout before generations (a real
 * split/ dir); -1 when there is none, or the link names anything but a
 * generation (not ours: never followed).
 */
int split_current_dir(const char *slot_dir, struct strbuf *dir);
/* A new, empty generation after the current one (after, from split_current_dir): splits/<after+1>. */
int split_generation_make(const char *slot_dir, int after, struct strbuf *dir, struct strbuf *err);
/*
 * Makes generation dir, complete, the current split (one rename of the
 * link) and removes every other generation. Run under the slot's lock.
 */
int split_generation_publish(const char *slot_dir, const char *dir, struct strbuf *err);
/*
 * Takes the split away: the link, then every generation. A profile stored
 * unsplit (CARGO_PGO_WRAP_SPLIT=0, or one that cannot be split) does it, so
 * that no build goes on being given parts of another profile, nor of the same
 * one cut per unit when SPLIT=0 asked for it whole: units given a part list
 * only the part, and rebuild when it goes. Run under the slot's lock. -1 (err)
 * when the link stays; a generation that stays is warned about (no link names it).
 */
int split_withdraw(const char *slot_dir, struct strbuf *err);
/*
 * The link alone (the generations are left to the next split or gc): what a
 * wrapper can do under its lease, which keeps stores out but not the other
 * wrappers. 0 when it is gone, whoever removed it; -1 (err).
 */
int split_unlink(const char *slot_dir, struct strbuf *err);
/* Whether the slot has a split link (whatever it names). */
bool split_exists(const char *slot_dir);
/* Generations the link does not name (left by a killed splitter), for gc. */
void split_unused(const char *slot_dir, struct strvec *out);

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
