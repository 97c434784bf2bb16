/*
 * cache.h - the on-disk cache: where it lives, that it is private (0700,
 * ours, no symlinks) or read-only, its subdirectories, and the slot locks.
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

/* Takes the slot's exclusive lock; returns the fd to close() to release it, or -1 with err. */
int cache_lock_slot(const char *slot_dir, struct strbuf *err);
/* The same without waiting: -1 with *busy set when a lease or lock is held, for gc. */
int cache_try_lock_slot(const char *slot_dir, bool *busy, struct strbuf *err);
/*
 * A shared lease on the slot while it is used: by a unit while it compiles,
 * by `build` from planning its optimised build to verifying it. gc takes the
 * exclusive lock before it removes anything, so it never removes what a
 * lease covers. Returns the fd to close(), or -1 (no lease: read-only cache,
 * no lock, or the slot was removed while we waited).
 */
int cache_lease_slot(const char *slot_dir);

#endif
