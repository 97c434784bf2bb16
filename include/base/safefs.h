/*
 * safefs.h - deletes and directory creation below a trusted base dir (the
 * cache root, a target dir) that never cross a symlink planted below it:
 * every component is opened relative to its parent with O_NOFOLLOW, so a
 * link at target/pgo-wrap/raw cannot redirect a delete or a write outside.
 */
#ifndef PGOW_SAFEFS_H
#define PGOW_SAFEFS_H

#include <sys/types.h>

#include "base/strbuf.h"

/*
 * Removes path (a file or a tree) below base. A missing path is fine (0);
 * a symlink on the way, or a path not below base, is refused (-1, err).
 * A symlink as the last component is removed itself, never followed.
 */
int safe_remove_tree(const char *base, const char *path, struct strbuf *err);
/* Removes one file below base the same way. */
int safe_unlink(const char *base, const char *path, struct strbuf *err);
/* Creates path and its missing parents below base (mode for new dirs), never through a symlink. */
int safe_mkdirs(const char *base, const char *path, mode_t mode, struct strbuf *err);
/* Makes path (below base, its parent existing) a symlink to target, replacing what is there. */
int safe_symlink(const char *base, const char *target, const char *path, struct strbuf *err);

/* Replaces dst (below base) with a copy of src, atomically (a temp file renamed over it). */
int safe_install(const char *base, const char *src, const char *dst, mode_t mode, struct strbuf *err);
/* Replaces dst (below base) with len bytes of data, the same way. */
int safe_write(const char *base, const char *dst, const void *data, size_t len, mode_t mode, struct strbuf *err);
/* Makes to (below base) another name of from (below base), atomically replacing what is there. */
int safe_hardlink(const char *base, const char *from, const char *to, struct strbuf *err);

#endif
