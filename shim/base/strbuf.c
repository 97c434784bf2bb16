/*
 * strbuf.c - growable strings and argv vectors (see include/base/strbuf.h).
 * Allocation failure is fatal through xrealloc, so callers never check.
 */
#include "base/strbuf.h"
#include "base/fdio.h"
#include "base/message.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

void sb_grow(struct strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;

	if (need < sb->len)
		die(PGOW_EXIT_INTERNAL, "string too large");
	if (need <= sb->alloc)
		return;
	size_t alloc = sb->alloc ? sb->alloc : 64;
	while (alloc < need)
		alloc = alloc * 2;
	sb->buf = xrealloc(sb->buf, alloc);
	sb->alloc = alloc;
}

void sb_add(struct strbuf *sb, const void *data, size_t len)
{
	sb_grow(sb, len);
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void sb_add_plain(struct strbuf *sb, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\033') {
			while (i < len && !((text[i] >= 'A' && text[i] <= 'Z') || (text[i] >= 'a' && text[i] <= 'z')))
				i++;
			continue;
		}
		sb_addch(sb, text[i]);
	}
}

void sb_adds(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

void sb_addch(struct strbuf *sb, char c)
{
	sb_add(sb, &c, 1);
}

void sb_addhex(struct strbuf *sb, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		sb_addch(sb, digits[p[i] >> 4]);
		sb_addch(sb, digits[p[i] & 15]);
	}
}

void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;

	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		die(PGOW_EXIT_INTERNAL, "bad format string '%s'", fmt);
	sb_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(sb, fmt, ap);
	va_end(ap);
}

void sb_setlen(struct strbuf *sb, size_t len)
{
	if (len > sb->len)
		die(PGOW_EXIT_INTERNAL, "sb_setlen beyond end");
	sb->len = len;
	if (sb->buf)
		sb->buf[len] = '\0';
}

void sb_reset(struct strbuf *sb)
{
	sb_setlen(sb, 0);
}

void sb_release(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
}

const char *sb_str(const struct strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

char *sb_detach(struct strbuf *sb)
{
	char *s = sb->buf ? sb->buf : xstrdup("");

	sb->buf = NULL;
	sb->len = sb->alloc = 0;
	return s;
}

int sb_read_fd(struct strbuf *sb, int fd)
{
	for (;;) {
		sb_grow(sb, 8192);
		ssize_t n = read(fd, sb->buf + sb->len, sb->alloc - sb->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		sb->len += (size_t)n;
	}
	sb->buf[sb->len] = '\0';
	return 0;
}

int sb_read_file(struct strbuf *sb, const char *path)
{
	int fd = open_read(path);
	if (fd < 0)
		return -1;
	int rc = sb_read_fd(sb, fd);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int sb_read_regular_file(struct strbuf *sb, const char *path, unsigned *mode)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	int rc = fstat(fd, &st);
	if (rc == 0 && !S_ISREG(st.st_mode)) {
		errno = EINVAL;
		rc = -1;
	}
	if (rc == 0 && mode)
		*mode = (unsigned)(st.st_mode & 07777);
	if (rc == 0)
		rc = sb_read_fd(sb, fd);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

static void sv_reserve(struct strvec *sv, size_t extra)
{
	size_t need = sv->n + extra + 1;

	if (need <= sv->alloc)
		return;
	size_t alloc = sv->alloc ? sv->alloc : 16;
	while (alloc < need)
		alloc *= 2;
	sv->v = xrealloc(sv->v, alloc * sizeof(*sv->v));
	sv->alloc = alloc;
}

void sv_push(struct strvec *sv, const char *s)
{
	sv_reserve(sv, 1);
	sv->v[sv->n++] = xstrdup(s);
	sv->v[sv->n] = NULL;
}

void sv_remove(struct strvec *sv, size_t i)
{
	free(sv->v[i]);
	memmove(sv->v + i, sv->v + i + 1, (sv->n - i) * sizeof(*sv->v)); /* the NULL after them too */
	sv->n--;
}

void sv_pushf(struct strvec *sv, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	sv_reserve(sv, 1);
	sv->v[sv->n++] = sb_detach(&sb);
	sv->v[sv->n] = NULL;
}

void sv_pushv(struct strvec *sv, char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sv_push(sv, v[i]);
}

void sv_release(struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->alloc = 0;
}

void sv_split(struct strvec *sv, const char *s, char sep)
{
	while (*s) {
		const char *end = strchr(s, sep);
		size_t len = end ? (size_t)(end - s) : strlen(s);
		if (len) {
			char *field = xstrndup(s, len);
			sv_push(sv, field);
			free(field);
		}
		s += len;
		if (*s == sep)
			s++;
	}
}

void sb_addsize(struct strbuf *sb, long long bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		sb_addf(sb, "%lld B", bytes);
		return;
	}
	while (v >= 1024.0 && u < 3) {
		v /= 1024.0;
		u++;
	}
	sb_addf(sb, "%.1f %s", v, units[u]);
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void sv_sort_unique(struct strvec *sv)
{
	size_t kept = 0;

	if (sv->n > 1)
		qsort(sv->v, sv->n, sizeof(*sv->v), by_str);
	for (size_t i = 0; i < sv->n; i++) {
		if (kept && strcmp(sv->v[i], sv->v[kept - 1]) == 0)
			free(sv->v[i]);
		else
			sv->v[kept++] = sv->v[i];
	}
	sv->n = kept;
	if (sv->v)
		sv->v[kept] = NULL;
}

bool str_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

const char *str_find_control(const char *s)
{
	for (; *s; s++)
		if (iscntrl((unsigned char)*s))
			return s;
	return NULL;
}

bool mem_is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool str_is_hex(const char *s, size_t n)
{
	size_t len = strlen(s);
	return len && (!n || len == n) && mem_is_hex(s, len);
}

bool str_in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

bool sv_has(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; sv && i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

void sb_add_shell_quoted(struct strbuf *sb, const char *s)
{
	sb_addch(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			sb_adds(sb, "'\\''");
		else
			sb_addch(sb, *s);
	}
	sb_addch(sb, '\'');
}

void sb_add_shell_word(struct strbuf *sb, const char *s)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=,+-@%";

	if (*s && s[strspn(s, plain)] == '\0')
		sb_adds(sb, s);
	else
		sb_add_shell_quoted(sb, s);
}
