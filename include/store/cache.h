/*
 * cache.h - the on-disk cache: where it lives, that it is private (0700,
 * ours, no symlinks), and the per-slot STAMP file that cargo lists as a
 * dependency so it rebuilds when a build's PGO decision changes.
 */
#ifndef PGOW_CACHE_H
#define PGOW_CACHE_H

#include <stdbool.h>
#include <time.h>

#include "base/strbuf.h"

/* ${CARGO_PGO_WRAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cargo-pgo-wrap}, not created. */
int cache_root_path(struct strbuf *out, struct strbuf *err);
/* The same, created 0700 and checked; err explains what is wrong and the fix. */
int cache_root(struct strbuf *out, struct strbuf *err);
/* Whether cache_root() found the cache safe but not writable: readers work, nothing is written. */
bool cache_is_readonly(void);
/* <root>/<sub>, created 0700 (sub may contain slashes); in a read-only cache it must exist. */
int cache_subdir(struct strbuf *out, const char *sub, struct strbuf *err);

/*
 * Makes the STAMP file record decision_id. When it recorded something
 * else (or nothing), it is rewritten with the mtime that stamp_time gives
 * (asked only then, as it may cost a syscall or two), which makes cargo
 * rebuild every unit whose dep-info lists it.
 */
typedef void (*stamp_time_fn)(struct timespec *out);
int stamp_sync(const char *stamp, const char *decision_id, stamp_time_fn stamp_time,
	       struct strbuf *err);

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
int cache_store_profile(const char *slot_dir, const char *profdata, const struct manifest *m,
			store_hook_fn before_current, void *ctx, struct strbuf *err);
/*
 * The decision a build dir's stamp records for the slot's current profile
 * (stored at profdata): "use <split dir>" when it is split per crate,
 * else "use <profdata>".
 */
void cache_use_decision(const char *slot_dir, const char *profdata, struct strbuf *out);
/* The content key of a stored profile, from its path (cache_profile_path's inverse). */
void cache_profile_key(const char *profdata, struct strbuf *key);
/* 1: found (manifest and profdata path filled); 0: none; -1: unusable, err says why. */
int cache_current_profile(const char *slot_dir, struct manifest *m, struct strbuf *profdata,
			  struct strbuf *err);
/*
 * The wrapper's fast path: CURRENT's profile and its crate index (one
 * "name\tmetadata\tkey" line per crate), without parsing the YAML manifest,
 * which would cost milliseconds per crate on large workspaces.
 * 1: found; 0: none; -1: unusable, err says why.
 */
int cache_current_index(const char *slot_dir, struct strbuf *profdata, struct strbuf *index,
			struct strbuf *err);
/* The key a crate had when the profile was collected, from an index; NULL if absent. */
char *cache_index_lookup(const char *index, const char *crate, const char *metadata);

/* Takes the slot's exclusive lock; returns the fd to close() to release it, or -1 with err. */
int cache_lock_slot(const char *slot_dir, struct strbuf *err);
/*
 * A shared lease on the slot while a unit uses it: gc takes the exclusive
 * lock before it removes anything, so it waits for the compile. Returns the
 * fd to close(), or -1 (no lease: read-only cache, no lock, or the slot was
 * removed while we waited).
 */
int cache_lease_slot(const char *slot_dir);
/* <slot>/profiles/<key>.profdata */
void cache_profile_path(struct strbuf *out, const char *slot_dir, const char *key);

#endif
