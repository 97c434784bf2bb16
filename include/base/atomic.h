/*
 * atomic.h - files written whole: a temp file beside the target, then one
 * rename, so readers see the old or the new bytes, never a mix; records
 * appended with one write; private directories.
 */
#ifndef PGOW_ATOMIC_H
#define PGOW_ATOMIC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "base/strbuf.h"

/*
 * Creates a directory (and parents) with the given mode. The final
 * component must end up a real directory owned by us: a planted symlink
 * or another user's directory is refused with a message in err.
 */
int mkdir_private(const char *path, mode_t mode, struct strbuf *err);
/* The same check of an existing directory, creating nothing: -1 with err saying what is wrong and the fix. */
int check_private_dir(const char *path, struct strbuf *err);
/*
 * Replaces path atomically: a temp file in the same directory, created
 * O_EXCL|O_NOFOLLOW, written, optionally fsynced and stamped with mtime,
 * then renamed over path. Readers see the old or the new file, never a mix.
 */
struct atomic_opts {
	mode_t mode;
	bool fsync;
	const struct timespec *mtime; /* NULL: leave as written */
};
int write_file_atomic(const char *path, const void *data, size_t len,
		      const struct atomic_opts *opts, struct strbuf *err);
/*
 * A new file beside path (O_EXCL, never through a link), named as a temp of
 * this process (gc and the next merge know it): its fd, or -1 (errno).
 * Written, it is renamed over path; or unlinked.
 */
int atomic_temp_beside(const char *path, mode_t mode, struct strbuf *tmp);
/* Copies src over dst atomically (streamed, fsynced, renamed). */
int copy_file_atomic(const char *src, const char *dst, mode_t mode, struct strbuf *err);
/* Appends one record with a single write(2), refusing symlinks. */
int append_record(const char *path, const char *line, size_t len, struct strbuf *err);

#endif
