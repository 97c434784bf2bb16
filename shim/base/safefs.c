/*
 * safefs.c - symlink-proof walks below a trusted base (see include/base/safefs.h).
 * The base itself may be reached through links the user made (a home on
 * another disk); nothing below it is followed.
 */
#include "base/safefs.h"
#include "base/fdio.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* path relative to base, or NULL when it is not strictly below it. */
static const char *below(const char *base, const char *path)
{
	size_t n = strlen(base);
	while (n > 1 && base[n - 1] == '/')
		n--;
	if (strncmp(path, base, n) != 0 || path[n] != '/')
		return NULL;
	const char *rel = path + n;
	while (*rel == '/')
		rel++;
	/* No "." or ".." component anywhere: below means below. */
	for (const char *c = rel; *c;) {
		size_t len = strcspn(c, "/");
		if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return NULL;
		c += len + (c[len] == '/');
	}
	return *rel ? rel : NULL;
}

static int open_dir_at(int at, const char *name)
{
	int fd;
	do
		fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	return fd;
}

/*
 * Opens the parent of rel below base, component by component, without
 * following links; *last points at rel's last component. create: make
 * missing directories (mode). Returns the parent's fd, or -1 with errno.
 */
static int open_parent(const char *base, const char *rel, bool create, mode_t mode, const char **last)
{
	int fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *copy = xstrdup(rel), *p = copy;

	while (fd >= 0) {
		char *slash = strchr(p, '/');
		if (!slash)
			break;
		*slash = '\0';
		if (*p && strcmp(p, ".") != 0) {
			if (strcmp(p, "..") == 0) {
				close(fd);
				fd = -1;
				errno = EINVAL;
				break;
			}
			if (create && mkdirat(fd, p, mode) != 0 && errno != EEXIST) {
				int saved = errno;
				close(fd);
				fd = -1;
				errno = saved;
				break;
			}
			int next = open_dir_at(fd, p);
			int saved = errno;
			close(fd);
			fd = next;
			errno = saved;
		}
		p = slash + 1;
	}
	*last = rel + (p - copy);
	free(copy);
	return fd;
}

/* Empties the directory dirfd refers to, never following a link. */
static int remove_contents(int dirfd)
{
	int dup_fd = dup(dirfd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	int rc = 0;

	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return -1;
	}
	for (struct dirent *e; (e = readdir(d));) {
		struct stat st;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = -1;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = open_dir_at(dirfd, e->d_name);
			if (sub < 0 || remove_contents(sub) != 0)
				rc = -1;
			if (sub >= 0)
				close(sub);
			if (unlinkat(dirfd, e->d_name, AT_REMOVEDIR) != 0)
				rc = -1;
		} else if (unlinkat(dirfd, e->d_name, 0) != 0) {
			rc = -1;
		}
	}
	closedir(d);
	return rc;
}

static int refuse(const char *base, const char *path, struct strbuf *err)
{
	sb_addf(err, "%s is not a path below %s; refusing to touch it", path, base);
	errno = EINVAL;
	return -1;
}

static int walk_error(const char *what, const char *path, struct strbuf *err)
{
	if (errno == ELOOP || errno == ENOTDIR)
		sb_addf(err, "cannot %s %s: a symlink (or a file) is in the way; refusing to follow "
			"it: remove it, then try again", what, path);
	else
		sb_addf(err, "cannot %s %s: %s", what, path, strerror(errno));
	return -1;
}

int safe_remove_tree(const char *base, const char *path, struct strbuf *err)
{
	const char *rel = below(base, path), *last;
	struct stat st;

	if (!rel)
		return refuse(base, path, err);
	int parent = open_parent(base, rel, false, 0, &last);
	if (parent < 0)
		return errno == ENOENT ? 0 : walk_error("remove", path, err);
	int rc = 0;
	if (fstatat(parent, last, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		rc = errno == ENOENT ? 0 : walk_error("remove", path, err);
	} else if (S_ISDIR(st.st_mode)) {
		int fd = open_dir_at(parent, last);
		if (fd < 0 || remove_contents(fd) != 0 || unlinkat(parent, last, AT_REMOVEDIR) != 0)
			rc = walk_error("remove", path, err);
		if (fd >= 0)
			close(fd);
	} else if (unlinkat(parent, last, 0) != 0) {
		rc = walk_error("remove", path, err);
	}
	close(parent);
	return rc;
}

int safe_unlink(const char *base, const char *path, struct strbuf *err)
{
	const char *rel = below(base, path), *last;

	if (!rel)
		return refuse(base, path, err);
	int parent = open_parent(base, rel, false, 0, &last);
	if (parent < 0)
		return errno == ENOENT ? 0 : walk_error("remove", path, err);
	int rc = unlinkat(parent, last, 0) != 0 && errno != ENOENT ? walk_error("remove", path, err) : 0;
	close(parent);
	return rc;
}

/* The base is the user's (a target dir cargo has not made yet): created like mkdir -p. */
static int make_base(const char *base, struct strbuf *err)
{
	char *copy = xstrdup(base);
	int rc = 0;

	for (char *p = copy + 1; rc == 0; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
			sb_addf(err, "cannot create %s: %s", copy, strerror(errno));
			rc = -1;
		}
		*p = c;
		if (!c)
			break;
	}
	free(copy);
	return rc;
}

int safe_mkdirs(const char *base, const char *path, mode_t mode, struct strbuf *err)
{
	const char *rel = below(base, path), *last;

	if (!rel)
		return refuse(base, path, err);
	if (make_base(base, err) != 0)
		return -1;
	int parent = open_parent(base, rel, true, mode, &last);
	if (parent < 0)
		return walk_error("create", path, err);
	int rc = 0;
	if (mkdirat(parent, last, mode) != 0 && errno != EEXIST) {
		rc = walk_error("create", path, err);
	} else {
		int fd = open_dir_at(parent, last);
		if (fd < 0)
			rc = walk_error("create", path, err);
		else
			close(fd);
	}
	close(parent);
	return rc;
}

/* A temporary name beside last in its parent: ".<last>.<pid>.tmp". */
static void temp_name(struct strbuf *out, const char *last)
{
	sb_addf(out, ".%s.%ld.tmp", last, (long)getpid());
}

int safe_symlink(const char *base, const char *target, const char *path, struct strbuf *err)
{
	const char *rel = below(base, path), *last;
	struct strbuf have = STRBUF_INIT, tmp = STRBUF_INIT;

	if (!rel)
		return refuse(base, path, err);
	int parent = open_parent(base, rel, false, 0, &last);
	if (parent < 0)
		return walk_error("create", path, err);
	int rc = 0;
	sb_grow(&have, 4096);
	ssize_t n = readlinkat(parent, last, have.buf, 4095);
	if (n < 0 || (size_t)n != strlen(target) || memcmp(have.buf, target, (size_t)n) != 0) {
		/* Made beside it and renamed over it: whatever was there is replaced, never followed. */
		temp_name(&tmp, last);
		(void)unlinkat(parent, tmp.buf, 0);
		if (symlinkat(target, parent, tmp.buf) != 0 || renameat(parent, tmp.buf, parent, last) != 0) {
			rc = walk_error("create", path, err);
			(void)unlinkat(parent, tmp.buf, 0);
		}
	}
	close(parent);
	sb_release(&have);
	sb_release(&tmp);
	return rc;
}

/*
 * Replaces dst (below base) with a temp file beside it, filled from in (an
 * fd) or from data, then renamed over it: never through a link.
 */
static int replace_below(const char *base, const char *dst, int in, const void *data, size_t len, mode_t mode,
			 const char *what, struct strbuf *err)
{
	const char *rel = below(base, dst), *last;
	struct strbuf tmp = STRBUF_INIT;

	if (!rel)
		return refuse(base, dst, err);
	int parent = open_parent(base, rel, false, 0, &last);
	if (parent < 0)
		return walk_error("replace", dst, err);
	int rc = -1;
	temp_name(&tmp, last);
	(void)unlinkat(parent, tmp.buf, 0);
	int out = openat(parent, tmp.buf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (out >= 0 && (in >= 0 ? copy_fd(in, out) : write_all(out, data, len)) == 0 && fchmod(out, mode) == 0 &&
	    fsync(out) == 0) {
		int closed = close(out);
		out = -1;
		if (closed == 0)
			rc = renameat(parent, tmp.buf, parent, last);
	}
	if (rc != 0) {
		sb_addf(err, "cannot replace %s with %s: %s", dst, what, strerror(errno));
		(void)unlinkat(parent, tmp.buf, 0);
	}
	if (out >= 0)
		close(out);
	close(parent);
	sb_release(&tmp);
	return rc;
}

int safe_install(const char *base, const char *src, const char *dst, mode_t mode, struct strbuf *err)
{
	int in = open_read(src);
	if (in < 0) {
		sb_addf(err, "cannot replace %s with %s: %s", dst, src, strerror(errno));
		return -1;
	}
	int rc = replace_below(base, dst, in, NULL, 0, mode, src, err);
	close(in);
	return rc;
}

int safe_write(const char *base, const char *dst, const void *data, size_t len, mode_t mode, struct strbuf *err)
{
	return replace_below(base, dst, -1, data, len, mode, "new bytes", err);
}

int safe_hardlink(const char *base, const char *from, const char *to, struct strbuf *err)
{
	const char *rel_from = below(base, from), *rel_to = below(base, to), *last_from, *last_to;
	struct strbuf tmp = STRBUF_INIT;
	int rc = -1;

	if (!rel_from || !rel_to)
		return refuse(base, rel_from ? to : from, err);
	int pf = open_parent(base, rel_from, false, 0, &last_from);
	int pt = pf < 0 ? -1 : open_parent(base, rel_to, false, 0, &last_to);
	if (pf >= 0 && pt >= 0) {
		temp_name(&tmp, last_to);
		(void)unlinkat(pt, tmp.buf, 0);
		rc = linkat(pf, last_from, pt, tmp.buf, 0) == 0 ? renameat(pt, tmp.buf, pt, last_to) : -1;
		if (rc != 0) {
			sb_addf(err, "cannot link %s to %s: %s", to, from, strerror(errno));
			(void)unlinkat(pt, tmp.buf, 0);
		}
	} else {
		walk_error("link", pf < 0 ? from : to, err);
	}
	if (pf >= 0)
		close(pf);
	if (pt >= 0)
		close(pt);
	sb_release(&tmp);
	return rc;
}
