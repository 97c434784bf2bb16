/*
 * cache.c - cache location and safety, read-only state and slot locks (see include/store/cache.h).
 * The cache is outside the target dir because build scripts such as
 * compile.py delete the whole source tree between builds.
 */
#include "store/cache.h"
#include "base/atomic.h"
#include "base/message.h"
#include "base/path.h"
#include "base/settings.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>


int cache_root_path(struct strbuf *out, struct strbuf *err)
{
	const char *dir = setting_get(SETTING_CACHE);
	const char *var = ENV_CACHE;

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

/* Serialises stores (and gc) of one slot across processes. */
/*
 * <cache>/locks/<slot id>: outside the slot, so gc, which removes a slot
 * under its lock, never removes the lock. Were it inside, a wrapper
 * starting during the delete would make a new lock file, lock that at once
 * and read a half-deleted slot.
 */
static int lock_path(struct strbuf *out, const char *slot_dir, struct strbuf *err)
{
	struct strbuf locks = STRBUF_INIT;
	int rc = cache_subdir(&locks, "locks", err);

	if (rc == 0)
		path_join(out, locks.buf, path_basename(slot_dir));
	sb_release(&locks);
	return rc;
}

static int lock_slot(const char *slot_dir, int how, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	int fd = -1;

	if (lock_path(&path, slot_dir, err) != 0) {
		errno = 0;
		goto out;
	}
	fd = open(path.buf, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int saved = errno;
		sb_addf(err, "cannot open %s: %s%s", path.buf, strerror(saved),
			saved == ELOOP ? " (a symbolic link; remove it)" : "");
		errno = saved;
	} else {
		while (flock(fd, how) != 0) {
			if (errno != EINTR) {
				int saved = errno;
				sb_addf(err, "cannot lock %s: %s", path.buf, strerror(saved));
				close(fd);
				fd = -1;
				errno = saved;
				break;
			}
		}
	}
out:
	sb_release(&path);
	return fd;
}

int cache_lock_slot(const char *slot_dir, struct strbuf *err)
{
	return lock_slot(slot_dir, LOCK_EX, err);
}

int cache_try_lock_slot(const char *slot_dir, bool *busy, struct strbuf *err)
{
	int fd = lock_slot(slot_dir, LOCK_EX | LOCK_NB, err);

	*busy = fd < 0 && errno == EWOULDBLOCK;
	return fd;
}

/* A shared lock that gc's exclusive one waits for; gc may have removed the slot meanwhile. */
int cache_lease_slot(const char *slot_dir)
{
	struct strbuf err = STRBUF_INIT;
	int fd = readonly ? -1 : lock_slot(slot_dir, LOCK_SH, &err);

	/* Going on without the lease would let gc delete the profile under the compile. */
	if (fd < 0 && errno == ELOOP)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	sb_release(&err);
	return fd;
}

