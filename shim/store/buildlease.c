/*
 * buildlease.c - a build's lease on the slots its units use: a file
 * <cache>/leases/<pid> that the front end keeps locked while it runs and
 * that each wrapper of its cargo adds its slot's id to before it touches the
 * slot. gc leaves every slot a live lease names.
 */
#include "store/buildlease.h"
#include "base/atomic.h"
#include "base/dirlist.h"
#include "base/path.h"
#include "base/safefs.h"
#include "base/settings.h"
#include "store/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static struct strbuf held = STRBUF_INIT;

static void drop_lease(void)
{
	if (held.len)
		(void)unlink(held.buf);
}

int build_lease_take(struct strbuf *err)
{
	struct strbuf dir = STRBUF_INIT, tmp = STRBUF_INIT;
	int rc = -1, fd = -1;

	if (held.len || cache_is_readonly())
		return 0;
	if (cache_subdir(&dir, "leases", err) != 0)
		goto out;
	/*
	 * Locked under a temp name, then renamed: gc never sees the file
	 * unlocked (it would take that for a dead build's and remove it).
	 */
	sb_addf(&tmp, "%s/.%ld.tmp", dir.buf, (long)getpid());
	sb_addf(&held, "%s/%ld", dir.buf, (long)getpid());
	(void)unlink(tmp.buf);
	fd = open(tmp.buf, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) != 0 || rename(tmp.buf, held.buf) != 0) {
		sb_addf(err, "cannot make the build's lease %s: %s", held.buf, strerror(errno));
		(void)unlink(tmp.buf);
		if (fd >= 0)
			close(fd);
		sb_reset(&held);
		goto out;
	}
	/* fd stays open (close-on-exec): the lock lasts as long as this process. */
	setenv(ENV_LEASE, held.buf, 1);
	atexit(drop_lease);
	rc = 0;
out:
	sb_release(&dir);
	sb_release(&tmp);
	return rc;
}

void build_lease_note(const char *slot_dir)
{
	const char *lease = getenv(ENV_LEASE);
	struct strbuf line = STRBUF_INIT, err = STRBUF_INIT;

	if (!lease || !*lease)
		return;
	sb_addf(&line, "%s\n", path_basename(slot_dir));
	/*
	 * Not fatal: without the note gc may remove the slot mid-build, which
	 * the build then reports (exit 8), as without a front end.
	 */
	(void)append_record(lease, line.buf, line.len, &err);
	sb_release(&line);
	sb_release(&err);
}

/* The lease's slots when its build is alive (1), 0 when it is dead, -1 when it cannot be read. */
static int read_live_lease(const char *path, struct strbuf *slots)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	int rc = -1;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if (flock(fd, LOCK_SH | LOCK_NB) == 0)
			rc = 0; /* nobody holds it: its build is gone */
		else if (errno == EWOULDBLOCK)
			rc = sb_read_fd(slots, fd) == 0 ? 1 : -1;
	}
	close(fd);
	return rc;
}

bool build_lease_holds(const char *slot_dir)
{
	struct strbuf dir = STRBUF_INIT, err = STRBUF_INIT, want = STRBUF_INIT, root = STRBUF_INIT;
	struct strvec leases = STRVEC_INIT;
	bool holds = false;

	if (cache_subdir(&dir, "leases", &err) != 0 || cache_root(&root, &err) != 0)
		goto out;
	sb_addf(&want, "\n%s\n", path_basename(slot_dir));
	list_dir(dir.buf, "", &leases);
	for (size_t i = 0; i < leases.n && !holds; i++) {
		struct strbuf slots = STRBUF_INIT;
		sb_addch(&slots, '\n');
		int live = read_live_lease(leases.v[i], &slots);
		if (live == 1)
			holds = strstr(slots.buf, want.buf) != NULL;
		else if (live == 0)
			(void)safe_unlink(root.buf, leases.v[i], &err);
		sb_release(&slots);
	}
out:
	sv_release(&leases);
	sb_release(&dir);
	sb_release(&err);
	sb_release(&want);
	sb_release(&root);
	return holds;
}
