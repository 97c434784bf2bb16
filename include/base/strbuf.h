/*
 * strbuf.h - growable strings and argv vectors, modelled on git's strbuf/strvec.
 * Every buffer is always NUL-terminated once anything has been added, so
 * callers never size a fixed array for paths or command lines.
 */
#ifndef PGOW_STRBUF_H
#define PGOW_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};
#define STRBUF_INIT { NULL, 0, 0 }

void sb_grow(struct strbuf *sb, size_t extra);
void sb_add(struct strbuf *sb, const void *data, size_t len);
/* Appends text without its ANSI escape sequences (the colour of cargo's and rustc's lines). */
void sb_add_plain(struct strbuf *sb, const char *text, size_t len);
void sb_adds(struct strbuf *sb, const char *s);
/* s single-quoted for a POSIX shell ('\'' for a quote inside). */
void sb_add_shell_quoted(struct strbuf *sb, const char *s);
/* s as one shell word: as it is when nothing in it is special to the shell, else quoted. */
void sb_add_shell_word(struct strbuf *sb, const char *s);
void sb_addch(struct strbuf *sb, char c);
/* n bytes as lowercase hex (build-ids). */
void sb_addhex(struct strbuf *sb, const unsigned char *p, size_t n);
void sb_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void sb_setlen(struct strbuf *sb, size_t len);
/* A byte count for people: "512 B", "42.9 KiB", "3.1 MiB", "2.0 GiB". */
void sb_addsize(struct strbuf *sb, long long bytes);
void sb_reset(struct strbuf *sb);
void sb_release(struct strbuf *sb);
/* The string, or "" when nothing was ever added. */
const char *sb_str(const struct strbuf *sb);
/* Hands the heap string to the caller; the strbuf is empty afterwards. */
char *sb_detach(struct strbuf *sb);
/* Reads a whole file; -1 with errno set on failure. */
int sb_read_file(struct strbuf *sb, const char *path);
int sb_read_fd(struct strbuf *sb, int fd);
/*
 * Reads a whole regular file found at path itself: not through a link, never
 * waiting on a FIFO (what others may have planted). Its permission bits in
 * *mode when mode is not NULL. -1 with errno (EINVAL: not a regular file).
 */
int sb_read_regular_file(struct strbuf *sb, const char *path, unsigned *mode);

struct strvec {
	char **v;   /* NULL-terminated once anything was pushed */
	size_t n;
	size_t alloc;
};
#define STRVEC_INIT { NULL, 0, 0 }

void sv_push(struct strvec *sv, const char *s);
void sv_pushf(struct strvec *sv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sv_pushv(struct strvec *sv, char *const *v, size_t n);
/* Takes out entry i (< n), keeping the order of the others. */
void sv_remove(struct strvec *sv, size_t i);
void sv_release(struct strvec *sv);
/* Split s on sep into sv, skipping empty fields. */
void sv_split(struct strvec *sv, const char *s, char sep);
/* Sorts the entries and drops repeats. */
void sv_sort_unique(struct strvec *sv);

/* Whether a NULL-terminated table of strings holds s. */
bool str_in_list(const char *const *list, const char *s);
/* Whether a strvec (NULL: none) holds s. */
bool sv_has(const struct strvec *sv, const char *s);
/* Whether s ends with suffix. */
bool str_ends_with(const char *s, const char *suffix);
/* The first newline, tab or other control character of s, or NULL: a value our line and tab files cannot hold. */
const char *str_find_control(const char *s);
/*
 * Whether the n bytes at s are lowercase hex digits, as our ids, keys and
 * digests are written. It stops at the first byte that is not one, so a
 * string shorter than n is read no further than its terminator.
 */
bool mem_is_hex(const char *s, size_t n);
/* Whether s is exactly n lowercase hex digits (n 0: one or more, as many as there are). */
bool str_is_hex(const char *s, size_t n);

#endif
