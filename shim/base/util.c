/*
 * util.c - messages, checked allocation, paths and safe file writes.
 * Every syscall is checked; helpers that can fail explain why in a strbuf
 * so the caller can turn it into one actionable line.
 */
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *pgow_progname = "cargo-pgo-wrap";

bool stderr_colour(void)
{
	const char *mode = env_get("CARGO_TERM_COLOR");

	if (mode && strcmp(mode, "always") == 0)
		return true;
	if ((mode && strcmp(mode, "never") == 0) || env_get("NO_COLOR"))
		return false;
	return isatty(STDERR_FILENO);
}

__attribute__((format(printf, 2, 0)))
static void vmessage(const char *kind, const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;

	/* cargo's colours: bold red for errors, bold yellow for warnings */
	if (stderr_colour())
		sb_addf(&sb, "%s: \033[1;%dm%s\033[0m: ", pgow_progname, kind[0] == 'e' ? 31 : 33, kind);
	else
		sb_addf(&sb, "%s: %s: ", pgow_progname, kind);
	sb_vaddf(&sb, fmt, ap);
	sb_addch(&sb, '\n');
	/* One write so concurrent wrappers never interleave halves of lines. */
	(void)write_all(STDERR_FILENO, sb.buf, sb.len);
	sb_release(&sb);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("error", fmt, ap);
	va_end(ap);
	exit(code);
}

void error_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("error", fmt, ap);
	va_end(ap);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("warning", fmt, ap);
	va_end(ap);
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *check_alloc(void *p)
{
	if (!p) {
		static const char msg[] = "cargo-pgo-wrap: error: out of memory\n";
		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
		_exit(PGOW_EXIT_INTERNAL);
	}
	return p;
}

void *xmalloc(size_t n)
{
	return check_alloc(malloc(n ? n : 1));
}

void *xcalloc(size_t n, size_t size)
{
	return check_alloc(calloc(n ? n : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t n)
{
	return check_alloc(realloc(p, n ? n : 1));
}

char *xstrdup(const char *s)
{
	return check_alloc(strdup(s));
}

char *xstrndup(const char *s, size_t n)
{
	return check_alloc(strndup(s, n));
}

const char *env_get(const char *name)
{
	const char *v = getenv(name);
	return (v && *v) ? v : NULL;
}

bool str_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool path_is_absolute(const char *p)
{
	return p && p[0] == '/';
}

void path_join(struct strbuf *out, const char *dir, const char *name)
{
	sb_adds(out, dir);
	if (out->len && out->buf[out->len - 1] != '/')
		sb_addch(out, '/');
	sb_adds(out, name);
}

void path_dirname(struct strbuf *out, const char *p)
{
	const char *slash = strrchr(p, '/');

	if (!slash)
		sb_adds(out, ".");
	else if (slash == p)
		sb_adds(out, "/");
	else
		sb_add(out, p, (size_t)(slash - p));
}

const char *path_basename(const char *p)
{
	const char *slash = strrchr(p, '/');
	return slash ? slash + 1 : p;
}

int path_absolute(struct strbuf *out, const char *p)
{
	if (path_is_absolute(p)) {
		sb_adds(out, p);
		return 0;
	}
	char *cwd = getcwd(NULL, 0);
	if (!cwd)
		return -1;
	path_join(out, cwd, p);
	free(cwd);
	return 0;
}

bool file_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

bool is_executable_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void list_dir(const char *dir, const char *suffix, struct strvec *out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t start = out->n, slen = strlen(suffix);

	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp.") || len < slen ||
		    strcmp(e->d_name + len - slen, suffix) != 0)
			continue;
		sv_pushf(out, "%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (out->n > start)
		qsort(out->v + start, out->n - start, sizeof(*out->v), by_string);
}

size_t count_files(const char *dir, const char *suffix)
{
	struct strvec files = STRVEC_INIT;
	list_dir(dir, suffix, &files);
	size_t n = files.n;
	sv_release(&files);
	return n;
}

void now_timespec(struct timespec *out)
{
	if (clock_gettime(CLOCK_REALTIME, out) != 0) {
		out->tv_sec = time(NULL);
		out->tv_nsec = 0;
	}
}

long long tree_bytes(const char *path)
{
	struct stat st;
	long long total = 0;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return (long long)st.st_size;
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		struct strbuf child = STRBUF_INIT;
		path_join(&child, path, e->d_name);
		total += tree_bytes(child.buf);
		sb_release(&child);
	}
	if (d)
		closedir(d);
	return total;
}

int open_read(const char *path)
{
	int fd;

	do
		fd = open(path, O_RDONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	return fd;
}

static int check_private_dir(const char *path, struct strbuf *err)
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

static int make_temp_beside(const char *path, mode_t mode, struct strbuf *tmp)
{
	static unsigned counter;

	for (int attempt = 0; attempt < 100; attempt++) {
		sb_reset(tmp);
		sb_addf(tmp, "%s.tmp.%ld.%u", path, (long)getpid(), counter++);
		int fd = open(tmp->buf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

int copy_fd(int in, int out)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (int)n;
		if (write_all(out, buf, (size_t)n) != 0)
			return -1;
	}
}

int copy_file_atomic(const char *src, const char *dst, mode_t mode, struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT;
	int in = open_read(src);

	if (in < 0) {
		sb_addf(err, "cannot read %s: %s", src, strerror(errno));
		return -1;
	}
	int out = make_temp_beside(dst, mode, &tmp);
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
	int fd = make_temp_beside(path, mode, &tmp);

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

static int read_boot_time(time_t *btime)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = -1;

	if (sb_read_file(&sb, "/proc/stat") == 0) {
		const char *p = strstr(sb.buf, "\nbtime ");
		if (p) {
			*btime = (time_t)strtoll(p + 7, NULL, 10);
			rc = 0;
		}
	}
	sb_release(&sb);
	return rc;
}

int parent_start_time(struct timespec *out)
{
	struct strbuf path = STRBUF_INIT, stat = STRBUF_INIT;
	time_t btime;
	int rc = -1;

	sb_addf(&path, "/proc/%ld/stat", (long)getppid());
	if (sb_read_file(&stat, path.buf) == 0 && read_boot_time(&btime) == 0) {
		/* Field 22 (starttime) follows the ')' that ends the command name. */
		const char *p = strrchr(stat.buf, ')');
		int field = 2;
		while (p && *p && field < 22) {
			p = strchr(p + 1, ' ');
			field++;
		}
		long hz = sysconf(_SC_CLK_TCK);
		if (p && hz > 0) {
			unsigned long long ticks = strtoull(p + 1, NULL, 10);
			out->tv_sec = btime + (time_t)(ticks / (unsigned long long)hz);
			out->tv_nsec = (long)((ticks % (unsigned long long)hz) * (1000000000ULL / (unsigned long long)hz));
			rc = 0;
		}
	}
	sb_release(&path);
	sb_release(&stat);
	return rc;
}

double now_seconds(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t load_le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}
