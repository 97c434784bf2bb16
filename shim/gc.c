/*
 * gc.c - `cargo-pgo-wrap gc`: keeps the cache bounded. Superseded profiles
 * (no longer CURRENT) always go; then, while the cache is over its cap,
 * whole slots go in least-recently-stored order. Each slot is changed only
 * under its lock, so a concurrent merge is never cut in half.
 */
#include "frontend.h"
#include "cache.h"
#include "options.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CAP (2LL * 1024 * 1024 * 1024)
#define TEMP_MAX_AGE 3600

struct slot_use {
	char *dir;
	time_t stored;        /* mtime of CURRENT: when its profile was stored */
	long long bytes;
};

static long long file_bytes(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 ? (long long)st.st_size : 0;
}

static int lock_or_warn(const char *slot_dir)
{
	struct strbuf err = STRBUF_INIT;
	int fd = cache_lock_slot(slot_dir, &err);

	if (fd < 0)
		warn("%s; collecting it unlocked", err.buf);
	sb_release(&err);
	return fd;
}

/* Drops profiles other than CURRENT's and stale temp files; returns bytes freed. */
static long long prune_slot(const char *slot_dir, bool dry_run)
{
	struct strbuf cur = STRBUF_INIT, key = STRBUF_INIT, profiles = STRBUF_INIT;
	struct strvec files = STRVEC_INIT;
	long long freed = 0;
	time_t now = time(NULL);

	path_join(&cur, slot_dir, "CURRENT");
	if (sb_read_file(&key, cur.buf) != 0)
		sb_reset(&key);
	path_join(&profiles, slot_dir, "profiles");
	list_dir(profiles.buf, "", &files);
	for (size_t i = 0; i < files.n; i++) {
		const char *base = path_basename(files.v[i]);
		if (key.len && strncmp(base, key.buf, key.len) == 0 && base[key.len] == '.')
			continue;
		long long bytes = file_bytes(files.v[i]);
		if (dry_run || unlink(files.v[i]) == 0)
			freed += bytes;
	}
	sv_release(&files);
	/* Temp files of killed processes: list_dir hides them, so look directly. */
	DIR *d = opendir(slot_dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		struct strbuf p = STRBUF_INIT;
		struct stat st;
		path_join(&p, slot_dir, e->d_name);
		if ((strstr(e->d_name, ".tmp.")) && lstat(p.buf, &st) == 0 && now - st.st_mtime > TEMP_MAX_AGE &&
		    (dry_run || unlink(p.buf) == 0))
			freed += (long long)st.st_size;
		sb_release(&p);
	}
	if (d)
		closedir(d);
	sb_release(&cur);
	sb_release(&key);
	sb_release(&profiles);
	return freed;
}

static int by_stored(const void *a, const void *b)
{
	const struct slot_use *x = a, *y = b;
	return (x->stored > y->stored) - (x->stored < y->stored);
}

static long long parse_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	long long mult = 1;

	switch (*end) {
	case 'k': case 'K': mult = 1024LL; end++; break;
	case 'm': case 'M': mult = 1024LL * 1024; end++; break;
	case 'g': case 'G': mult = 1024LL * 1024 * 1024; end++; break;
	case '\0': break;
	default: return -1;
	}
	if (*end == 'i' || *end == 'B')
		end++;
	if (*end == 'B')
		end++;
	/* NaN, infinities and sizes past what a long long holds are not sizes (and casting them is UB). */
	double bytes = v * (double)mult;
	if (*end || end == s || !(bytes >= 0) || bytes > 9.0e18)
		return -1;
	return (long long)bytes;
}

int cmd_gc(int argc, char **argv)
{
	const char *cap_text = env_get("CARGO_PGO_WRAP_CACHE_MAX");
	bool dry_run = false;
	struct strbuf root = STRBUF_INIT, err = STRBUF_INIT, slots = STRBUF_INIT;

	for (int i = 1; i < argc; i++) {
		const char *v;
		if (frontend_option(argc, argv, &i, "--max-size", &v))
			cap_text = v;
		else if (strcmp(argv[i], "--dry-run") == 0)
			dry_run = true;
		else
			die(PGOW_EXIT_CONFIG, "gc: unknown argument %s; usage: cargo-pgo-wrap gc "
			    "[--max-size SIZE] [--dry-run]", argv[i]);
	}
	long long cap = cap_text ? parse_size(cap_text) : DEFAULT_CAP;
	if (cap < 0)
		die(PGOW_EXIT_CONFIG, "gc: size '%s' is not a size; write e.g. 500M or 2G", cap_text);
	if (cache_root(&root, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	path_join(&slots, root.buf, "slots");

	struct strvec dirs = STRVEC_INIT;
	list_dir(slots.buf, "", &dirs);
	struct slot_use *uses = xcalloc(dirs.n, sizeof(*uses));
	long long freed = 0, total;
	size_t removed_slots = 0;
	for (size_t i = 0; i < dirs.n; i++) {
		int lock = lock_or_warn(dirs.v[i]);
		freed += prune_slot(dirs.v[i], dry_run);
		struct strbuf cur = STRBUF_INIT;
		struct stat st;
		path_join(&cur, dirs.v[i], "CURRENT");
		uses[i].dir = dirs.v[i];
		uses[i].stored = stat(cur.buf, &st) == 0 ? st.st_mtime : 0;
		uses[i].bytes = tree_bytes(dirs.v[i]);
		sb_release(&cur);
		if (lock >= 0)
			close(lock);
	}
	total = tree_bytes(root.buf) - (dry_run ? freed : 0);
	qsort(uses, dirs.n, sizeof(*uses), by_stored);
	for (size_t i = 0; i < dirs.n && total > cap; i++) {
		int lock = lock_or_warn(uses[i].dir);
		if (dry_run || remove_tree(uses[i].dir) == 0) {
			printf("%s slot %.12s (%.1f MiB)\n", dry_run ? "would remove" : "removed",
			       path_basename(uses[i].dir), (double)uses[i].bytes / (1024.0 * 1024.0));
			total -= uses[i].bytes;
			freed += uses[i].bytes;
			removed_slots++;
		} else {
			warn("cannot remove %s: %s", uses[i].dir, strerror(errno));
		}
		if (lock >= 0)
			close(lock);
	}
	printf("%s %.1f MiB (%zu slot(s)); cache is %.1f MiB of a %.1f MiB cap\n",
	       dry_run ? "would free" : "freed", (double)freed / (1024.0 * 1024.0), removed_slots,
	       (double)total / (1024.0 * 1024.0), (double)cap / (1024.0 * 1024.0));
	free(uses);
	sv_release(&dirs);
	sb_release(&root);
	sb_release(&err);
	sb_release(&slots);
	return 0;
}
