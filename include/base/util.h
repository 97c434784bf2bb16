/*
 * util.h - process-wide helpers: messages and exit codes, checked allocation,
 * safe file creation (no symlink following, atomic replace) and path handling.
 */
#ifndef PGOW_UTIL_H
#define PGOW_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>

#include "base/strbuf.h"

/*
 * Exit codes: one per kind of bad input, so scripts can tell them apart.
 * The wrapper otherwise exits with rustc's own status.
 */
enum pgow_exit {
	PGOW_EXIT_OK = 0,
	PGOW_EXIT_FAIL = 1,          /* the build or a command failed */
	PGOW_EXIT_CONFIG = 2,        /* bad environment, arguments or YAML */
	PGOW_EXIT_CACHE = 3,         /* cache dir unusable (permissions, symlink, owner) */
	PGOW_EXIT_LLVM = 4,          /* no llvm-profdata that reads this rustc's profiles */
	PGOW_EXIT_PROFILE = 5,       /* corrupt or unusable profile data */
	PGOW_EXIT_TRAINING = 6,      /* a training command failed */
	PGOW_EXIT_STALE = 7,         /* stale profile under the 'error' policy */
	PGOW_EXIT_NOT_APPLIED = 8,   /* a profile was requested but not applied */
	PGOW_EXIT_INTERNAL = 70,     /* a bug or resource exhaustion */
	PGOW_EXIT_EXEC = 127,        /* a program to run was not found */
};

extern const char *pgow_progname;

_Noreturn void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void error_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Colour on stderr: CARGO_TERM_COLOR=always, or auto on a terminal unless NO_COLOR is set. */
bool stderr_colour(void);
/* Writes a whole buffer to fd, retrying short writes and EINTR. */
int write_all(int fd, const void *buf, size_t len);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* getenv() that treats an empty value as unset. */
const char *env_get(const char *name);

bool path_is_absolute(const char *p);
bool str_ends_with(const char *s, const char *suffix);
void path_join(struct strbuf *out, const char *dir, const char *name);
/* Appends the directory part of p ("." when there is none). */
void path_dirname(struct strbuf *out, const char *p);
const char *path_basename(const char *p);
/* Absolute form of p against the current directory, without resolving links. */
int path_absolute(struct strbuf *out, const char *p);
bool file_exists(const char *p);
bool is_executable_file(const char *p);

/*
 * Full paths of dir's entries ending in suffix ("" for all), sorted, without
 * dotfiles or our own in-flight temp files. A missing dir lists nothing.
 */
void list_dir(const char *dir, const char *suffix, struct strvec *out);
/* How many entries list_dir(dir, suffix) would give. */
size_t count_files(const char *dir, const char *suffix);
/* CLOCK_REALTIME now (time(NULL) should the clock fail). */
void now_timespec(struct timespec *out);
/* Bytes under path (its own size for a file), not following links. */
long long tree_bytes(const char *path);
/* open(2) for reading with O_CLOEXEC; -1 with errno. */
int open_read(const char *path);
/*
 * Creates a directory (and parents) with the given mode. The final
 * component must end up a real directory owned by us: a planted symlink
 * or another user's directory is refused with a message in err.
 */
int mkdir_private(const char *path, mode_t mode, struct strbuf *err);
/*
 * Replaces path atomically: a temp file in the same directory, created
 * O_EXCL|O_NOFOLLOW, written, optionally fsynced and stamped with mtime,
 * then renamed over path. Readers see the old or the new file, never a mix.
 */
struct atomic_opts {
	mode_t mode;
	bool fsync;
	const struct timespec *mtime; /* NULL: leave as written */
};
int write_file_atomic(const char *path, const void *data, size_t len,
		      const struct atomic_opts *opts, struct strbuf *err);
/* Copies what is left of in to out; -1 with errno. */
int copy_fd(int in, int out);
/* Copies src over dst atomically (streamed, fsynced, renamed). */
int copy_file_atomic(const char *src, const char *dst, mode_t mode, struct strbuf *err);
/* Appends one record with a single write(2), refusing symlinks. */
int append_record(const char *path, const char *line, size_t len, struct strbuf *err);

/* Start time of the parent process (cargo, when we run as its wrapper). */
int parent_start_time(struct timespec *out);
double now_seconds(void);

/* The little-endian 64-bit word at p (profile and ELF formats are little-endian). */
uint64_t load_le64(const unsigned char *p);

#endif
