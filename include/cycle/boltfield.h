/*
 * boltfield.h - BOLT from the field. With bolt-bat: on, what ships can be
 * sampled where it runs: a BOLTed program carries BOLT Address Translation,
 * and one the gate did not let BOLT rewrite ships as PGO built it. `upload
 * --perf` sends a perf.data of it; `merge --remote` turns it, with perf2bolt
 * and the shipped program this cache keeps, into BOLT's profile of the
 * program BOLT was given (build-id F):
 *
 *   <slot>/bolt/<id>.bat                  a BOLTed program as it shipped, by its own build-id
 *   <slot>/bolt/<id>.shipped              a program that shipped as PGO built it
 *   <slot>/bolt/field/<F>/<hash>.fdata    one upload's samples, as BOLT's profile of F
 *   <slot>/bolt/field/<F>/program         F's name
 *
 * The next BOLT stage of F uses them (bolt-field: with, instead or off);
 * samples are addresses, so they serve F only, never a rebuilt program.
 * The remote knows what shipped by its build-id's record:
 *
 *   bolted-v1 <slot key> <program> <F> bolt-<LLVM major>
 *
 * (F is the program's own build-id when it shipped as PGO built it.)
 */
#ifndef PGOW_BOLTFIELD_H
#define PGOW_BOLTFIELD_H

#include <stdbool.h>

#include "base/strbuf.h"

/* <slot>/bolt/<id>.<what>: the BOLT stage's files in the cache. */
void bolt_cache_file(struct strbuf *out, const char *slot_dir, const char *id, const char *what);
/* perf and perf2bolt of rustc's LLVM; -1 with the fix in err. */
int bolt_perf_tools(struct strbuf *perf, struct strbuf *perf2bolt, struct strbuf *err);
/* perf2bolt's flag for samples without branch stacks: --ba from BOLT 22, -nl before. */
const char *perf2bolt_no_lbr_flag(void);
/* Whether an fdata profile's text has records ("no_lbr <event>:" heads one without branch stacks). */
bool fdata_text_has_samples(const char *text);
/* Whether an fdata profile holds sampled addresses only ("no_lbr" first), not branches. */
bool fdata_is_sampled(const char *path);

struct bolted_record {
	char *slot_key, *program, *from_id;
	int bolt_major;
};
/* 1: text is a shipped program's record (into r); 0: it is not one. */
int bolted_record_parse(const char *text, struct bolted_record *r);
void bolted_record_release(struct bolted_record *r);

/* Keeps the BOLTed program cached at bin (bolt-bat) under its own build-id, for perf2bolt. */
void boltfield_keep_bolted(const char *slot_dir, const char *bin, const char *bolted_id);
/* Keeps a copy of a program that ships as PGO built it, for perf2bolt. */
void boltfield_keep_shipped(const char *slot_dir, const char *exe, const char *id);
/* The slot's shipped programs whose samples can come back: build-ids, and each one's record (naming slot_key). */
void boltfield_records(const char *slot_dir, const char *slot_key, struct strvec *ids, struct strvec *texts);
/* Whether this cache has the shipped program id as it was deployed: 0, or -1 with why in err. */
int boltfield_convertible(const char *slot_dir, const char *id, struct strbuf *err);
/*
 * perf2bolt (the tool bolt_perf_tools found) of a perf.data taken on the
 * shipped program id, stored as its field profile under the upload's hash;
 * one progress line. -1 with the reason in err (nothing was stored).
 */
int boltfield_convert(const char *slot_dir, const char *perf2bolt, const char *id, const char *perf_path,
		      const char *hash, struct strbuf *err);
/* Removes the field profiles of uploads not in hashes (merge --remote --replace). */
void boltfield_keep_only(const char *slot_dir, const struct strvec *hashes);

/* The field profiles of the program with build-id from_id. */
void boltfield_files(const char *slot_dir, const char *from_id, struct strvec *out);
/* What they are, for BOLT's verdict key: "-" when none. */
void boltfield_state(const char *slot_dir, const char *from_id, struct strbuf *out);
/* "<program>: N upload(s) of perf samples, for build <id>" per build that has some (for status). */
void boltfield_describe(const char *slot_dir, struct strvec *out);
/* How many field profiles of program name were taken on builds other than from_id. */
size_t boltfield_elsewhere(const char *slot_dir, const char *name, const char *from_id);

#endif
