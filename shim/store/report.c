/*
 * report.c - user-facing notices about decisions (see include/store/report.h).
 * "Once per run" is a marker file named after the parent cargo's pid and
 * start time, created O_EXCL, so the many wrappers of a `cargo -j` build
 * agree on who prints without talking to each other.
 */
#include "store/report.h"
#include "base/atomic.h"
#include "base/clock.h"
#include "base/dirlist.h"
#include "base/fdio.h"
#include "base/message.h"
#include "base/path.h"
#include "base/safefs.h"
#include "base/settings.h"
#include "base/strbuf.h"
#include "store/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARKER_MAX_AGE (24 * 3600)

static void prune_old_markers(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	time_t cutoff = time(NULL) - MARKER_MAX_AGE;

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_mtime < cutoff)
			(void)unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

/* Where run markers go: the cache, or a private dir in TMPDIR when the cache is read-only. */
static int marker_dir(struct strbuf *dir, struct strbuf *err)
{
	struct strbuf root = STRBUF_INIT;
	int rc = cache_root(&root, err);

	if (rc == 0 && cache_is_readonly()) {
		const char *tmp = env_get("TMPDIR");
		sb_addf(dir, "%s/cargo-pgo-wrap-%ld", tmp ? tmp : "/tmp", (long)geteuid());
		rc = mkdir_private(dir->buf, 0700, err);
		sb_adds(dir, "/run");
		if (rc == 0)
			rc = mkdir_private(dir->buf, 0700, err);
	} else if (rc == 0) {
		rc = cache_subdir(dir, "run", err);
	}
	sb_release(&root);
	return rc;
}

/* 1: we are first to claim key in this run; 0: someone already did. */
static int claim_run_marker(const char *key)
{
	struct strbuf dir = STRBUF_INIT, err = STRBUF_INIT, marker = STRBUF_INIT;
	struct timespec start;
	int first = 1;

	if (parent_start_time(&start) == 0 && marker_dir(&dir, &err) == 0) {
		sb_addf(&marker, "%s/%ld-%lld.%09ld-%s", dir.buf, (long)getppid(),
			(long long)start.tv_sec, start.tv_nsec, key);
		int fd = open(marker.buf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			close(fd);
			prune_old_markers(dir.buf);
		} else if (errno == EEXIST) {
			first = 0;
		}
	}
	sb_release(&dir);
	sb_release(&err);
	sb_release(&marker);
	return first;
}

void warn_once_per_run(const char *key, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	va_list ap;

	if (!claim_run_marker(key))
		return;
	va_start(ap, fmt);
	sb_vaddf(&msg, fmt, ap);
	va_end(ap);
	warn("%s", msg.buf);
	sb_release(&msg);
}

static int quiet;

void report_set_quiet(int q)
{
	quiet = q;
}

void progress(const char *verb, const char *fmt, ...)
{
	struct strbuf line = STRBUF_INIT;
	va_list ap;
	bool alert = verb[strlen(verb) - 1] == ':';

	if (quiet && strcmp(verb, "warning:") != 0 && strcmp(verb, "error:") != 0)
		return;

	if (stderr_colour())
		sb_addf(&line, "\033[1;%dm%12s\033[0m ", strcmp(verb, "error:") == 0 ? 31 : alert ? 33 : 32, verb);
	else
		sb_addf(&line, "%12s ", verb);
	va_start(ap, fmt);
	sb_vaddf(&line, fmt, ap);
	va_end(ap);
	(void)write_all(STDERR_FILENO, line.buf, line.len);
	sb_release(&line);
}

/* The crate a stale report names ("... is stale for CRATE (..."), or false. */
static bool stale_report_crate(const char *t, struct strbuf *crate)
{
	const char *then = strncmp(t, REPORT_STALE_START, sizeof(REPORT_STALE_START) - 1) == 0 ? strstr(t, REPORT_STALE_THEN) : NULL;
	if (!then)
		return false;
	then += sizeof(REPORT_STALE_THEN) - 1;
	sb_add(crate, then, strcspn(then, " "));
	return true;
}

/* One of the wrapper's reports of what a build got (not its other warnings), and no longer true. */
static bool is_replayed_report(const char *t, const struct strvec *still_stale)
{
	static const char pre[] = "cargo-pgo-wrap: warning: ";
	struct strbuf crate = STRBUF_INIT;
	if (strncmp(t, pre, sizeof(pre) - 1) != 0)
		return false;
	t += sizeof(pre) - 1;
	bool stale = stale_report_crate(t, &crate);
	bool gone = (stale && !sv_has(still_stale, crate.buf)) ||
		    (strncmp(t, REPORT_NONE_START, sizeof(REPORT_NONE_START) - 1) == 0 && strstr(t, REPORT_NONE_THEN));
	sb_release(&crate);
	return gone;
}

/* One of cargo's kept outputs without those lines: rewritten, or removed when nothing else is left. */
static void forget_reports_in(const char *base, const char *path, const struct strvec *still_stale)
{
	struct strbuf text = STRBUF_INIT, kept = STRBUF_INIT, line = STRBUF_INIT, err = STRBUF_INIT;
	bool dropped = false;
	unsigned mode = 0644;

	/* Most kept outputs are rustc's alone: looked through only when a line of ours may be there. */
	if (sb_read_regular_file(&text, path, &mode) != 0 || !strstr(text.buf, "cargo-pgo-wrap: "))
		goto out;
	for (const char *p = text.buf, *end = text.buf + text.len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		sb_reset(&line);
		sb_add_plain(&line, p, len);
		if (is_replayed_report(sb_str(&line), still_stale)) {
			dropped = true;
		} else {
			sb_add(&kept, p, len);
			sb_addch(&kept, '\n');
		}
		p += len + (nl != NULL);
	}
	if (dropped && (kept.len ? safe_write(base, path, kept.buf, kept.len, (mode_t)mode, &err)
				 : safe_unlink(base, path, &err)) != 0)
		warn("%s", err.buf);
out:
	sb_release(&text);
	sb_release(&kept);
	sb_release(&line);
	sb_release(&err);
}

/*
 * Cargo's lock on the build dir, taken without waiting: a cargo building
 * there appends to a unit's kept output while the unit builds, and a
 * rewrite would send the rest of its lines to a file no longer there.
 * -1 when it is held (or cannot be taken); an fd to close, or -2 when the
 * dir has no lock file (no cargo ever built there).
 */
static int try_lock_build_dir(const char *build_dir)
{
	struct strbuf path = STRBUF_INIT;

	path_join(&path, build_dir, ".cargo-lock");
	int fd = open(path.buf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	int rc = fd < 0 ? (errno == ENOENT ? -2 : -1) : fd;
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		rc = -1;
	}
	sb_release(&path);
	return rc;
}

void report_forget_replayed(const char *base, const char *build_dir, const struct strvec *still_stale)
{
	struct strbuf fp = STRBUF_INIT;
	struct strvec units = STRVEC_INIT;
	int lock = try_lock_build_dir(build_dir);

	if (lock == -1)
		return; /* a cargo is building there: its build reports for itself */
	path_join(&fp, build_dir, ".fingerprint");
	list_dir(fp.buf, "", &units);
	for (size_t i = 0; i < units.n; i++) {
		struct strvec files = STRVEC_INIT;
		list_dir(units.v[i], "", &files);
		for (size_t j = 0; j < files.n; j++)
			if (strncmp(path_basename(files.v[j]), "output-", 7) == 0)
				forget_reports_in(base, files.v[j], still_stale);
		sv_release(&files);
	}
	if (lock >= 0)
		close(lock);
	sv_release(&units);
	sb_release(&fp);
}
