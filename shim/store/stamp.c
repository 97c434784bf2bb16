/*
 * stamp.c - a build dir's STAMP in a slot: the one file that names the decision
 * the dir was last built with. Every unit built there lists it in its dep-info,
 * so rewriting it (dated so cargo sees it newer) makes cargo rebuild them all.
 */
#include "store/stamp.h"
#include "base/atomic.h"
#include "base/clock.h"
#include "base/dirlist.h"
#include "base/hash.h"
#include "base/path.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "store/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* <slot dir>/<sub>/<hash of build_dir> */
static void stamp_path_in(struct strbuf *out, const char *slot_dir, const char *sub, const char *build_dir)
{
	char hex[HASH_HEX_LEN + 1];
	hash_buf_hex(build_dir, strlen(build_dir), hex);
	sb_addf(out, "%s/%s/%s", slot_dir, sub, hex);
}

void stamp_path(struct strbuf *out, const char *slot_dir, const char *build_dir)
{
	stamp_path_in(out, slot_dir, "stamps", build_dir);
}

/* Makes <slot>/<sub>/<hash> record "decision\nbuild dir", rewritten (dated by stamp_time) only when it differs. */
static int sync_stamp_in(const char *slot_dir, const char *sub, const char *build_dir, const char *decision_id,
			 stamp_time_fn stamp_time, struct strbuf *path, struct strbuf *err)
{
	struct strbuf content = STRBUF_INIT, dir = STRBUF_INIT;

	path_join(&dir, slot_dir, sub);
	int rc = mkdir_private(dir.buf, 0700, err);
	if (rc == 0) {
		stamp_path_in(path, slot_dir, sub, build_dir);
		/* The build dir is recorded so a merge can tell whose decision it is. */
		sb_addf(&content, "%s\n%s", decision_id, build_dir);
		rc = stamp_sync(path->buf, content.buf, stamp_time, err);
	}
	sb_release(&content);
	sb_release(&dir);
	return rc;
}

/* A read-only cache: an existing stamp is listed as it is; none is made. */
static int existing_stamp_in(const char *slot_dir, const char *sub, const char *build_dir, struct strbuf *path)
{
	stamp_path_in(path, slot_dir, sub, build_dir);
	if (!file_exists(path->buf))
		sb_reset(path);
	return 0;
}

int stamp_point_at(const char *slot_dir, const char *build_dir, const char *decision_id,
		   struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	int rc = sync_stamp_in(slot_dir, "stamps", build_dir, decision_id, now_timespec, &path, err);
	sb_release(&path);
	return rc;
}

int stamp_c_sync(const char *slot_dir, const char *build_dir, const char *c_decision,
		 struct strbuf *stamp_path, struct strbuf *err)
{
	if (cache_is_readonly())
		return existing_stamp_in(slot_dir, "cstamps", build_dir, stamp_path);
	return sync_stamp_in(slot_dir, "cstamps", build_dir, c_decision, now_timespec, stamp_path, err);
}

int stamp_build_sync(const char *slot_dir, const char *build_dir, const char *decision_id,
		     stamp_time_fn stamp_time, struct strbuf *stamp_path, struct strbuf *err)
{
	if (cache_is_readonly())
		return existing_stamp_in(slot_dir, "stamps", build_dir, stamp_path);
	return sync_stamp_in(slot_dir, "stamps", build_dir, decision_id, stamp_time, stamp_path, err);
}

void stamp_list(const char *slot_dir, struct stamp **out, size_t *n)
{
	struct strbuf dir = STRBUF_INIT;
	struct strvec files = STRVEC_INIT;

	*out = NULL;
	*n = 0;
	path_join(&dir, slot_dir, "stamps");
	/* A link planted in the slot is never listed, read or written through: its stamps are none. */
	if (is_real_dir(dir.buf))
		list_dir(dir.buf, "", &files);
	for (size_t i = 0; i < files.n; i++) {
		struct strbuf text = STRBUF_INIT;
		char *nl;
		/* Written by stamp_build_sync as "decision\nbuild dir\n". */
		if (sb_read_regular_file(&text, files.v[i], NULL) == 0 && (nl = strchr(text.buf, '\n'))) {
			*out = xrealloc(*out, (*n + 1) * sizeof(**out));
			struct stamp *st = &(*out)[(*n)++];
			st->path = xstrdup(files.v[i]);
			st->decision = xstrndup(text.buf, (size_t)(nl - text.buf));
			st->build_dir = xstrndup(nl + 1, strcspn(nl + 1, "\n"));
		}
		sb_release(&text);
	}
	sv_release(&files);
	sb_release(&dir);
}

void stamp_list_release(struct stamp *stamps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(stamps[i].path);
		free(stamps[i].decision);
		free(stamps[i].build_dir);
	}
	free(stamps);
}

const char *stamp_generate_dir(const struct stamp *st)
{
	const char *d = st->decision;

	if (strncmp(d, "auto-", 5) == 0)
		d += 5;
	return strncmp(d, "generate ", 9) == 0 ? d + 9 : NULL;
}
