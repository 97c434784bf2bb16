/*
 * profile.h - a slot's profiles: each stored once under its content key,
 * and CURRENT naming the one in use.
 */
#ifndef PGOW_PROFILE_H
#define PGOW_PROFILE_H

#include <stdbool.h>

#include "base/strbuf.h"

struct manifest;

/*
 * Stores a merged profile for a slot under m->content_key and makes it the
 * slot's current profile. Order: profdata, manifest, then CURRENT, each
 * atomic and fsynced, under the slot lock: a crash at any point leaves the
 * previous profile current and intact. before_current (may be NULL) runs
 * under the lock just before CURRENT is written; its failure fails the store. Stamps of build dirs that were not
 * instrumenting are then rewritten, so cargo rebuilds them with the profile.
 */
typedef int (*store_hook_fn)(void *ctx, struct strbuf *err);
int profile_store(const char *slot_dir, const char *profdata, const struct manifest *m,
		  store_hook_fn before_current, void *ctx, struct strbuf *err);
/*
 * The decision a build dir's stamp records for the slot's current profile
 * (stored at profdata): "use <split dir>" when it is split per crate,
 * else "use <profdata>".
 */
void profile_use_decision(const char *slot_dir, const char *profdata, struct strbuf *out);
/*
 * Sets m->content_key: the hash of the profile's bytes, its training and its
 * units' keys. A profile is stored, pushed and fetched under it, and a
 * fetched one is checked against it.
 */
void profile_content_key(struct manifest *m, const char *profdata);
/* The content key of a stored profile, from its path (profile_path's inverse). */
void profile_key_of(const char *profdata, struct strbuf *key);
/* 1: found (manifest and profdata path filled); 0: none; -1: unusable, err says why. */
int profile_current(const char *slot_dir, struct manifest *m, struct strbuf *profdata,
		    struct strbuf *err);
/*
 * The wrapper's fast path: CURRENT's profile and its crate index (one
 * "name\tmetadata\tkey" line per crate), without parsing the YAML manifest,
 * which would cost milliseconds per crate on large workspaces.
 * 1: found; 0: none; -1: unusable, err says why.
 */
int profile_current_index(const char *slot_dir, struct strbuf *profdata, struct strbuf *index,
			  struct strbuf *err);
/*
 * A split outliving its profile (CURRENT deleted, as our messages advise when
 * it is unusable, or its files gone) is taken away: the units given its parts
 * list only them, and rebuild when they go. Called by a wrapper holding its
 * lease on the slot, which keeps out every store (they lock the slot), so
 * CURRENT cannot be half made meanwhile. Warns when it cannot.
 */
void profile_withdraw_orphan_split(const char *slot_dir);
/* The key a crate had when the profile was collected, from an index; NULL if absent. */
char *profile_index_lookup(const char *index, const char *crate, const char *metadata);
/* manifest_program_untrained, from an index. */
bool profile_index_program_untrained(const char *index, const char *crate, bool test_harness);
/* manifest_name_never_ran, from an index. */
bool profile_index_never_ran(const char *index, const char *crate);

/* <slot>/profiles/<key>.profdata */
void profile_path(struct strbuf *out, const char *slot_dir, const char *key);

#endif
