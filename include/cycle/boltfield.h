/*
 * boltfield.h - BOLT from the field. A program BOLTed with bolt-bat: on
 * carries BOLT Address Translation; `perf record` of it where it is
 * deployed, sent with `upload --perf`, is turned by perf2bolt on the merge
 * host into BOLT's profile of the program it was made from, kept under
 *
 *   <slot>/bolt/field/<program>/<upload hash>.fdata
 *
 * and the next BOLT stage uses it (bolt-field: with, instead or off).
 * The remote knows a BOLTed program by its build-id's record:
 *
 *   bolted-v1 <slot key> <program> <pre-BOLT build-id> bolt-<LLVM major>
 *
 * A program the gate did not let BOLT rewrite ships as PGO built it: its
 * record names its own build-id, and its samples need no translation.
 */
#ifndef PGOW_BOLTFIELD_H
#define PGOW_BOLTFIELD_H

#include <stdbool.h>

#include "base/strbuf.h"

struct bolted_record {
	char *slot_key, *program, *from_id;
	int bolt_major;
};
/* 1: text is a BOLTed program's record (into r); 0: it is not one. */
int bolted_record_parse(const char *text, struct bolted_record *r);
void bolted_record_release(struct bolted_record *r);

/*
 * The slot's programs whose perf samples can come back: BOLTed ones that
 * carry BAT, and those that ship as PGO built them (the gate discarded
 * BOLT's) under bolt-bat: on. Build-ids, and the record of each (naming slot_key).
 */
void boltfield_records(const char *slot_dir, const char *slot_key, struct strvec *ids, struct strvec *texts);

/* Keeps a copy of a program that ships as PGO built it (<slot>/bolt/<id>.shipped), for perf2bolt. */
void boltfield_keep_shipped(const char *slot_dir, const char *exe, const char *id);
/*
 * perf2bolt of a perf.data taken on the BOLTed program bolted_id (this
 * slot's), stored as its pre-BOLT program's field profile under the
 * upload's hash. Said as one progress line; -1 with the reason in err.
 */
int boltfield_convert(const char *slot_dir, const char *bolted_id, const char *perf_path, const char *hash,
		      struct strbuf *err);
/* Whether this cache has the BOLTed program bolted_id as it was deployed: 0, or -1 with why in err. */
int boltfield_convertible(const char *slot_dir, const char *bolted_id, struct strbuf *err);
/* Removes the slot's field profiles (merge --remote --replace). */
void boltfield_clear(const char *slot_dir);

/* The field profiles of a program (by upload hash). */
void boltfield_files(const char *slot_dir, const char *program, struct strvec *out);
/* What the slot's field profiles are, for BOLT's verdict key: "-" when none. */
void boltfield_state(const char *slot_dir, struct strbuf *out);
/* Whether an fdata profile holds sampled addresses only ("no_lbr" first), not branches. */
bool fdata_is_sampled(const char *path);

#endif
