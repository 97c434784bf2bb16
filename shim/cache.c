/*
 * cache.c - cache location and safety, and the slot STAMP (see include/cache.h).
 * The cache is outside the target dir because build scripts such as
 * compile.py delete the whole source tree between builds.
 */
#include "cache.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int cache_root_path(struct strbuf *out, struct strbuf *err)
{
	const char *dir = env_get("CARGO_PGO_WRAP_CACHE");
	const char *var = "CARGO_PGO_WRAP_CACHE";

	if (dir) {
		sb_adds(out, dir);
	} else if ((dir = env_get("XDG_CACHE_HOME"))) {
		var = "XDG_CACHE_HOME";
		path_join(out, dir, "cargo-pgo-wrap");
	} else if ((dir = env_get("HOME"))) {
		var = "HOME";
		path_join(out, dir, ".cache/cargo-pgo-wrap");
	} else {
		sb_adds(err, "cannot place the cache: HOME is not set; set CARGO_PGO_WRAP_CACHE to an absolute directory");
		return -1;
	}
	if (!path_is_absolute(out->buf)) {
		sb_addf(err, "cache directory %s (from %s) is relative; set CARGO_PGO_WRAP_CACHE to an absolute directory",
			out->buf, var);
		return -1;
	}
	return 0;
}

int cache_root(struct strbuf *out, struct strbuf *err)
{
	if (cache_root_path(out, err) != 0)
		return -1;
	return mkdir_private(out->buf, 0700, err);
}

int cache_subdir(struct strbuf *out, const char *sub, struct strbuf *err)
{
	struct strbuf root = STRBUF_INIT;
	int rc = cache_root(&root, err);

	if (rc == 0) {
		path_join(out, root.buf, sub);
		struct strbuf parent = STRBUF_INIT;
		path_dirname(&parent, out->buf);
		/* Intermediate levels are private too: mkdir_private checks each. */
		if (strcmp(parent.buf, root.buf) != 0)
			rc = mkdir_private(parent.buf, 0700, err);
		if (rc == 0)
			rc = mkdir_private(out->buf, 0700, err);
		sb_release(&parent);
	}
	sb_release(&root);
	return rc;
}

int stamp_sync(const char *stamp, const char *decision_id, stamp_time_fn stamp_time,
	       struct strbuf *err)
{
	struct strbuf want = STRBUF_INIT, have = STRBUF_INIT;
	int rc = 0;

	sb_addf(&want, "%s\n", decision_id);
	if (sb_read_file(&have, stamp) != 0 && errno != ENOENT) {
		sb_addf(err, "cannot read %s: %s", stamp, strerror(errno));
		rc = -1;
	} else if (strcmp(sb_str(&have), want.buf) != 0) {
		struct timespec mtime;
		stamp_time(&mtime);
		struct atomic_opts opts = { .mode = 0600, .mtime = &mtime };
		rc = write_file_atomic(stamp, want.buf, want.len, &opts, err);
	}
	sb_release(&want);
	sb_release(&have);
	return rc;
}
