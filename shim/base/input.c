/*
 * input.c - inputs the user names (a config file, a profile to merge): regular
 * files only, opened without blocking on a FIFO or device, read with their
 * limit enforced while reading (see include/base/input.h).
 */
#include "base/input.h"
#include "base/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int input_open(const char *path, bool nofollow, long long *size, struct strbuf *err)
{
	struct stat st;
	int fd;

	do
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		sb_addf(err, "%s: cannot read it: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		sb_addf(err, "%s: not a regular file (a FIFO, a device or a directory); point it at a file", path);
		close(fd);
		return -1;
	}
	*size = (long long)st.st_size;
	return fd;
}

int input_read(struct strbuf *sb, const char *path, size_t max, struct strbuf *err)
{
	long long size;
	int fd = input_open(path, false, &size, err);

	if (fd < 0)
		return -1;
	size_t start = sb->len;
	for (;;) {
		sb_grow(sb, 8192);
		size_t room = sb->alloc - sb->len - 1;
		ssize_t n = read(fd, sb->buf + sb->len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			sb_addf(err, "%s: cannot read: %s", path, strerror(errno));
			break;
		}
		sb->len += (size_t)n;
		sb->buf[sb->len] = '\0';
		if (sb->len - start > max) {
			sb_addf(err, "%s: more than %zu bytes, more than this tool reads; it is not one of ours", path, max);
			break;
		}
		if (n == 0) {
			close(fd);
			return 0;
		}
	}
	close(fd);
	sb_setlen(sb, start);
	return -1;
}
