/*
 * cache.c - cache location and safety, and the slot STAMP (see include/cache.h).
 * The cache is outside the target dir because build scripts such as
 * compile.py delete the whole source tree between builds.
 */
#include "store/cache.h"
#include "base/hash.h"
#include "store/manifest.h"
#include "store/slot.h"
#include "store/split.h"
#include "base/xalloc.h"
#include "base/path.h"
#include "base/clock.h"
#include "base/atomic.h"
#include "base/settings.h"
#include "base/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define INDEX_MAGIC "crates-v1"

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

static bool readonly;

bool cache_is_readonly(void)
{
	return readonly;
}

/*
 * A cache we cannot write (a read-only mount, or a pre-seeded one an admin
 * owns) still serves readers, if it is safe to read: a real directory that
 * nobody but its owner, us or root, can change.
 */
static bool safe_to_read(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && !(st.st_mode & 022) &&
	       (st.st_uid == geteuid() || st.st_uid == 0) && access(path, R_OK | X_OK) == 0 &&
	       access(path, W_OK) != 0;
}

int cache_root(struct strbuf *out, struct strbuf *err)
{
	/* A wrapped rustc asks several times; the checks (mkdir, lstat, access) need doing once. */
	static char *verified;

	if (cache_root_path(out, err) != 0)
		return -1;
	if (verified && strcmp(verified, out->buf) == 0)
		return 0;
	size_t err_len = err->len;
	if (mkdir_private(out->buf, 0700, err) != 0) {
		if (!safe_to_read(out->buf))
			return -1;
		sb_setlen(err, err_len);
		readonly = true;
	}
	free(verified);
	verified = xstrdup(out->buf);
	return 0;
}

int cache_subdir(struct strbuf *out, const char *sub, struct strbuf *err)
{
	struct strbuf root = STRBUF_INIT;
	int rc = cache_root(&root, err);

	if (rc == 0 && readonly) {
		/* Nothing is created: the dir is there (and safe) or it is not. */
		path_join(out, root.buf, sub);
		struct stat st;
		if (lstat(out->buf, &st) != 0 || !S_ISDIR(st.st_mode) || (st.st_mode & 022)) {
			sb_addf(err, "%s is missing (or unsafe) in the read-only cache %s", sub, root.buf);
			rc = -1;
		}
	} else if (rc == 0) {
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

/* Serialises stores (and gc) of one slot across processes. */
static int lock_slot(const char *slot_dir, int how, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	int fd;

	path_join(&path, slot_dir, "lock");
	fd = open(path.buf, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		sb_addf(err, "cannot open %s: %s", path.buf, strerror(errno));
	} else {
		while (flock(fd, how) != 0) {
			if (errno != EINTR) {
				sb_addf(err, "cannot lock %s: %s", path.buf, strerror(errno));
				close(fd);
				fd = -1;
				break;
			}
		}
	}
	sb_release(&path);
	return fd;
}

int cache_lock_slot(const char *slot_dir, struct strbuf *err)
{
	return lock_slot(slot_dir, LOCK_EX, err);
}

/*
 * A shared lock that gc's exclusive one waits for. The lock file must still
 * be the slot's own after the wait: gc may have removed the slot meanwhile.
 */
int cache_lease_slot(const char *slot_dir)
{
	struct strbuf err = STRBUF_INIT, path = STRBUF_INIT;
	struct stat held, now;
	int fd = readonly ? -1 : lock_slot(slot_dir, LOCK_SH, &err);

	path_join(&path, slot_dir, "lock");
	if (fd >= 0 && (fstat(fd, &held) != 0 || lstat(path.buf, &now) != 0 ||
			held.st_dev != now.st_dev || held.st_ino != now.st_ino)) {
		close(fd);
		fd = -1;
	}
	sb_release(&path);
	sb_release(&err);
	return fd;
}

void cache_profile_path(struct strbuf *out, const char *slot_dir, const char *key)
{
	sb_addf(out, "%s/profiles/%s.profdata", slot_dir, key);
}


/*
 * Points every non-instrumenting build dir of the slot at the new profile.
 * "auto-generate" dirs (instrumented only for want of a profile) switch too.
 */
static int retarget_stamps(const char *slot_dir, const char *profdata, struct strbuf *err)
{
	struct stamp *stamps;
	size_t n;
	int rc = 0;

	slot_stamps(slot_dir, &stamps, &n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		/* Instrumenting dirs keep instrumenting; plain (off) dirs chose to be plain. */
		if (strncmp(stamps[i].decision, "generate ", 9) == 0 || strcmp(stamps[i].decision, "off") == 0)
			continue;
		struct strbuf id = STRBUF_INIT;
		cache_use_decision(slot_dir, profdata, &id);
		sb_addf(&id, "\n%s", stamps[i].build_dir);
		rc = stamp_sync(stamps[i].path, id.buf, now_timespec, err);
		sb_release(&id);
	}
	stamps_release(stamps, n);
	return rc;
}

void cache_profile_key(const char *profdata, struct strbuf *key)
{
	const char *base = path_basename(profdata);
	sb_add(key, base, strcspn(base, "."));
}

void cache_use_decision(const char *slot_dir, const char *profdata, struct strbuf *out)
{
	struct strbuf dir = STRBUF_INIT, file = STRBUF_INIT, hash = STRBUF_INIT, key = STRBUF_INIT;

	/* Split, the stamp names the split's dir, which a refresh keeps: the files' mtimes tell cargo. */
	cache_profile_key(profdata, &key);
	sb_addf(out, "use %s", split_lookup(slot_dir, key.buf, NULL, NULL, &dir, &file, &hash) == 1 ? dir.buf : profdata);
	sb_release(&key);
	sb_release(&dir);
	sb_release(&file);
	sb_release(&hash);
}

int cache_store_profile(const char *slot_dir, const char *profdata, const struct manifest *m,
			store_hook_fn before_current, void *ctx, struct strbuf *err)
{
	struct strbuf profiles = STRBUF_INIT, dst = STRBUF_INIT, mpath = STRBUF_INIT, cur = STRBUF_INIT;
	int rc = -1;
	int lock = cache_lock_slot(slot_dir, err);

	if (lock < 0)
		goto out;
	path_join(&profiles, slot_dir, "profiles");
	if (mkdir_private(profiles.buf, 0700, err) != 0)
		goto out;
	cache_profile_path(&dst, slot_dir, m->content_key);
	sb_addf(&mpath, "%s/%s.yaml", profiles.buf, m->content_key);
	path_join(&cur, slot_dir, "CURRENT");
	struct atomic_opts opts = { .mode = 0600, .fsync = true };
	struct strbuf ipath = STRBUF_INIT, index = STRBUF_INIT;
	sb_addf(&ipath, "%s/%s.crates", profiles.buf, m->content_key);
	sb_addf(&index, INDEX_MAGIC "\t%s\n", m->content_key);
	for (size_t i = 0; i < m->ncrates; i++)
		sb_addf(&index, "%s\t%s\t%s\n", m->crates[i].name, m->crates[i].metadata, m->crates[i].key);
	int index_rc = write_file_atomic(ipath.buf, index.buf, index.len, &opts, err);
	sb_release(&ipath);
	sb_release(&index);
	if (index_rc == 0 && copy_file_atomic(profdata, dst.buf, 0600, err) == 0 &&
	    manifest_write(m, mpath.buf, err) == 0 && (!before_current || before_current(ctx, err) == 0) &&
	    write_file_atomic(cur.buf, m->content_key, strlen(m->content_key), &opts, err) == 0) {
		struct strbuf why = STRBUF_INIT;
		rc = retarget_stamps(slot_dir, dst.buf, &why);
		if (rc != 0)
			sb_addf(err, "profile %.12s is now current, but the build dirs could not be pointed "
				"at it (%s); fix that, then build again", m->content_key, why.buf);
		sb_release(&why);
	} else {
		struct strbuf why = STRBUF_INIT;
		sb_addf(&why, "%s; the previous profile is still current", sb_str(err));
		sb_reset(err);
		sb_adds(err, why.buf);
		sb_release(&why);
	}
out:
	if (lock >= 0)
		close(lock); /* releases the flock */
	sb_release(&profiles);
	sb_release(&dst);
	sb_release(&mpath);
	sb_release(&cur);
	return rc;
}

/* CURRENT's content key; 1, 0 when there is none, -1 when corrupt. */
static int read_current(const char *slot_dir, struct strbuf *key, struct strbuf *err)
{
	struct strbuf cur = STRBUF_INIT;
	int rc = 1;

	path_join(&cur, slot_dir, "CURRENT");
	if (sb_read_file(key, cur.buf) != 0) {
		rc = errno == ENOENT ? 0 : -1;
		if (rc)
			sb_addf(err, "cannot read %s: %s", cur.buf, strerror(errno));
	} else if (key->len != HASH_HEX_LEN || strspn(key->buf, "0123456789abcdef") != HASH_HEX_LEN) {
		sb_addf(err, "%s is corrupt; delete it (the slot then has no profile)", cur.buf);
		rc = -1;
	}
	sb_release(&cur);
	return rc;
}

int cache_current_index(const char *slot_dir, struct strbuf *profdata, struct strbuf *index,
			struct strbuf *err)
{
	struct strbuf key = STRBUF_INIT, ipath = STRBUF_INIT, header = STRBUF_INIT;
	int rc = read_current(slot_dir, &key, err);

	if (rc == 1) {
		sb_addf(&ipath, "%s/profiles/%s.crates", slot_dir, key.buf);
		sb_addf(&header, INDEX_MAGIC "\t%s\n", key.buf);
		cache_profile_path(profdata, slot_dir, key.buf);
		if (sb_read_file(index, ipath.buf) != 0 || strncmp(sb_str(index), header.buf, header.len) != 0) {
			sb_addf(err, "%s is missing or corrupt; run cargo-pgo-wrap merge again, or delete %s/CURRENT",
				ipath.buf, slot_dir);
			rc = -1;
		} else if (!file_exists(profdata->buf)) {
			sb_addf(err, "%s is missing; delete %s/CURRENT", profdata->buf, slot_dir);
			rc = -1;
		}
	}
	sb_release(&key);
	sb_release(&ipath);
	sb_release(&header);
	return rc;
}

char *cache_index_lookup(const char *index, const char *crate, const char *metadata)
{
	struct strbuf want = STRBUF_INIT;
	char *found = NULL;

	sb_addf(&want, "\n%s\t%s\t", crate, metadata);
	const char *p = strstr(index, want.buf);
	if (p) {
		p += want.len;
		found = xstrndup(p, strcspn(p, "\n"));
	}
	sb_release(&want);
	return found;
}

int cache_current_profile(const char *slot_dir, struct manifest *m, struct strbuf *profdata,
			  struct strbuf *err)
{
	struct strbuf key = STRBUF_INIT, mpath = STRBUF_INIT;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = read_current(slot_dir, &key, err);
	if (rc != 1)
		goto out;
	rc = -1;
	sb_addf(&mpath, "%s/profiles/%s.yaml", slot_dir, key.buf);
	if (manifest_read(m, mpath.buf, err) != 0)
		goto out;
	if (strcmp(m->content_key, key.buf) != 0) {
		sb_addf(err, "%s: content-key %s does not match its file name; delete %s/CURRENT",
			mpath.buf, m->content_key, slot_dir);
		goto out;
	}
	cache_profile_path(profdata, slot_dir, key.buf);
	if (!file_exists(profdata->buf)) {
		sb_addf(err, "%s is missing; delete %s/CURRENT", profdata->buf, slot_dir);
		goto out;
	}
	rc = 1;
out:
	sb_release(&key);
	sb_release(&mpath);
	return rc;
}
