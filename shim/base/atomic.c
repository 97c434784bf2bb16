/*
 * atomic.c - files written whole: a temp file beside the target, then one rename, so readers
 * see the old or the new bytes, never a mix; appended records; private dirs.
 */
#include "base/atomic.h"
#include "base/tempfile.h"
#include "base/fdio.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int check_private_dir(const char *path, struct strbuf *err)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		sb_addf(err, "cannot stat %s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		sb_addf(err, "%s is a symlink; refusing to follow it (remove it, "
			"or point CARGO_PGO_WRAP_CACHE at a real directory)", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		sb_addf(err, "%s exists but is not a directory; move it away", path);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		sb_addf(err, "%s is owned by uid %u, not by you (uid %u); "
			"use a directory of your own", path,
			(unsigned)st.st_uid, (unsigned)geteuid());
		return -1;
	}
	if (st.st_mode & 022) {
		sb_addf(err, "%s is writable by other users (mode %03o); "
			"run chmod 700 %s", path, (unsigned)(st.st_mode & 0777), path);
		return -1;
	}
	if (access(path, W_OK | X_OK) != 0) {
		sb_addf(err, "%s is not writable: %s; fix its permissions "
			"(chmod u+rwx) or choose another CARGO_PGO_WRAP_CACHE",
			path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Ordinary parents such as ~/.cache are created 0755, as mkdir -p would. */
static int mkdir_parents(const char *path, struct strbuf *err)
{
	char *copy = xstrdup(path);
	int rc = 0;

	for (char *p = copy + 1; *p && rc == 0; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
			sb_addf(err, "cannot create %s: %s", copy, strerror(errno));
			rc = -1;
		}
		*p = '/';
	}
	free(copy);
	return rc;
}

int mkdir_private(const char *path, mode_t mode, struct strbuf *err)
{
	if (mkdir(path, mode) != 0 && errno != EEXIST) {
		if (errno != ENOENT || mkdir_parents(path, err) != 0) {
			if (!err->len)
				sb_addf(err, "cannot create %s: %s", path, strerror(errno));
			return -1;
		}
		if (mkdir(path, mode) != 0 && errno != EEXIST) {
			sb_addf(err, "cannot create %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return check_private_dir(path, err);
}

int atomic_temp_beside(const char *path, mode_t mode, struct strbuf *tmp)
{
	static unsigned counter;

	for (int attempt = 0; attempt < 100; attempt++) {
		sb_reset(tmp);
		sb_addf(tmp, "%s.tmp.%s.%ld.%u", path, temp_owner_tag(), (long)getpid(), counter++);
		int fd = open(tmp->buf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

int copy_file_atomic(const char *src, const char *dst, mode_t mode, struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT;
	int in = open_read(src);

	if (in < 0) {
		sb_addf(err, "cannot read %s: %s", src, strerror(errno));
		return -1;
	}
	int out = atomic_temp_beside(dst, mode, &tmp);
	if (out < 0) {
		sb_addf(err, "cannot create a temporary file beside %s: %s", dst, strerror(errno));
		close(in);
		sb_release(&tmp);
		return -1;
	}
	int rc = copy_fd(in, out) == 0 && fsync(out) == 0 ? 0 : -1;
	int saved = errno;
	close(in);
	if (close(out) != 0 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (rc == 0 && rename(tmp.buf, dst) != 0) {
		rc = -1;
		saved = errno;
	}
	if (rc != 0) {
		(void)unlink(tmp.buf);
		sb_addf(err, "cannot copy %s to %s: %s", src, dst, strerror(saved));
	}
	sb_release(&tmp);
	return rc;
}

int write_file_atomic(const char *path, const void *data, size_t len,
		      const struct atomic_opts *opts, struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT;
	mode_t mode = opts && opts->mode ? opts->mode : 0644;
	int fd = atomic_temp_beside(path, mode, &tmp);

	if (fd < 0) {
		sb_addf(err, "cannot create a temporary file beside %s: %s", path, strerror(errno));
		sb_release(&tmp);
		return -1;
	}
	const char *what = NULL;
	if (write_all(fd, data, len) != 0)
		what = "write";
	else if (opts && opts->fsync && fsync(fd) != 0)
		what = "fsync";
	else if (opts && opts->mtime) {
		struct timespec ts[2] = { *opts->mtime, *opts->mtime };
		if (futimens(fd, ts) != 0)
			what = "set the time of";
	}
	int saved = errno;
	if (close(fd) != 0 && !what) {
		what = "close";
		saved = errno;
	}
	if (!what && rename(tmp.buf, path) != 0) {
		what = "rename over";
		saved = errno;
	}
	if (what) {
		(void)unlink(tmp.buf);
		sb_addf(err, "cannot %s %s: %s", what, what[0] == 'r' ? path : tmp.buf,
			strerror(saved));
		sb_release(&tmp);
		return -1;
	}
	sb_release(&tmp);
	return 0;
}

int append_record(const char *path, const char *line, size_t len, struct strbuf *err)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		sb_addf(err, "cannot open %s for appending: %s", path, strerror(errno));
		return -1;
	}
	int rc = write_all(fd, line, len);
	int saved = errno;
	if (close(fd) != 0 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (rc != 0)
		sb_addf(err, "cannot append to %s: %s", path, strerror(saved));
	return rc;
}
