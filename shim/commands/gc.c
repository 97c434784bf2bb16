/*
 * gc.c - `cargo-pgo-wrap gc`: keeps the cache bounded. Superseded profiles
 * (no longer CURRENT) always go; then, while the cache is over its cap,
 * whole slots go in least-recently-stored order. Each slot is changed only
 * under its lock, so a concurrent merge is never cut in half.
 */
#include "base/atomic.h"
#include "base/dirlist.h"
#include "base/message.h"
#include "base/option.h"
#include "base/path.h"
#include "base/safefs.h"
#include "base/settings.h"
#include "base/strbuf.h"
#include "base/tempfile.h"
#include "base/xalloc.h"
#include "store/buildlease.h"
#include "store/cache.h"
#include "store/split.h"
#include "commands/commands.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/*
 * The slot's lock, without waiting: a slot a build holds a lease on (a unit
 * compiling, or `build` between planning and verifying) is left for the next
 * gc, as git's gc leaves what a running command uses. -1 and *busy then.
 */
static void say_left(const char *slot_dir)
{
	printf("left slot %.12s: a build is using it (the next gc collects it)\n", path_basename(slot_dir));
}

static int lock_or_skip(const char *slot_dir, bool *busy)
{
	struct strbuf err = STRBUF_INIT;
	int fd = cache_try_lock_slot(slot_dir, busy, &err);

	if (fd < 0 && *busy)
		say_left(slot_dir);
	else if (fd < 0)
		warn("%s; leaving slot %.12s alone", err.buf, path_basename(slot_dir));
	sb_release(&err);
	return fd;
}

/*
 * A superseded profile may still be named by a build that started before
 * the merge replaced it (rustc reads the file late): it stays for a grace
 * period longer than any build. CARGO_PGO_WRAP_GC_GRACE (seconds) sets it.
 */
#define DEFAULT_GRACE (6 * 3600)

static long grace_seconds(void)
{
	return setting_seconds(SETTING_GC_GRACE, DEFAULT_GRACE);
}

static bool is_temp(const char *name)
{
	/* write_file_atomic's temp files, and merge's mkdtemp dirs */
	return strstr(name, ".tmp.") != NULL || strncmp(name, "merge.", 6) == 0;
}

/* Removes path below root (never through a link), or says what it would do. */
static long long drop(const char *root, const char *path, const char *why, bool dry_run)
{
	struct strbuf err = STRBUF_INIT;
	long long bytes = tree_bytes(path);

	if (!dry_run && safe_remove_tree(root, path, &err) != 0) {
		warn("%s", err.buf);
		bytes = 0;
	} else {
		struct strbuf size = STRBUF_INIT;
		sb_addsize(&size, bytes);
		printf("%s %s (%s, %s)\n", dry_run ? "would remove" : "removed", path, why, size.buf);
		sb_release(&size);
	}
	sb_release(&err);
	return bytes;
}

/* Temp entries of killed processes in dir: list_dir hides them, so look directly. */
static long long drop_stale_temps(const char *root, const char *dir, bool dry_run)
{
	long long freed = 0;
	time_t now = time(NULL);
	DIR *d = opendir(dir);

	for (struct dirent *e; d && (e = readdir(d));) {
		struct strbuf p = STRBUF_INIT;
		struct stat st;
		path_join(&p, dir, e->d_name);
		/* An hour old, or made here by a process that is gone. */
		if (is_temp(e->d_name) && lstat(p.buf, &st) == 0 &&
		    (now - st.st_mtime > TEMP_MAX_AGE || temp_is_orphan(e->d_name)))
			freed += drop(root, p.buf, "left by a killed process", dry_run);
		sb_release(&p);
	}
	if (d)
		closedir(d);
	return freed;
}

struct bolt_file {
	const char *path;
	struct stat st;
};

static int newest_first(const void *a, const void *b)
{
	const struct stat *x = &((const struct bolt_file *)a)->st, *y = &((const struct bolt_file *)b)->st;
	return x->st_mtime < y->st_mtime ? 1 : x->st_mtime > y->st_mtime ? -1 : 0;
}

/*
 * BOLT's programs (<slot>/bolt/<build-id>.bin), the copies of shipped
 * ones kept for their perf samples (.bat, .shipped) and the field's
 * profiles of a build (field/<build-id>/) are kept for the newest builds
 * only: an older one serves again only if its exact PGO program ships again.
 */
#define BOLT_PROGRAMS_KEPT 4

/* Drops all but the BOLT_PROGRAMS_KEPT newest of paths, those past the grace period. */
static long long keep_newest(const char *root, const struct strvec *paths, const char *why, time_t now, long grace,
			     bool dry_run)
{
	struct bolt_file *v = xcalloc(paths->n ? paths->n : 1, sizeof(*v));
	long long freed = 0;
	size_t n = 0;

	for (size_t i = 0; i < paths->n; i++)
		if (lstat(paths->v[i], &v[n].st) == 0)
			v[n++].path = paths->v[i];
	qsort(v, n, sizeof(*v), newest_first);
	for (size_t i = BOLT_PROGRAMS_KEPT; i < n; i++)
		if (now - v[i].st.st_mtime >= grace)
			freed += drop(root, v[i].path, why, dry_run);
	free(v);
	return freed;
}

static long long prune_bolt(const char *root, const char *slot_dir, time_t now, long grace, bool dry_run)
{
	struct strbuf dir = STRBUF_INIT;
	struct strvec files = STRVEC_INIT, entries = STRVEC_INIT, builds = STRVEC_INIT;

	path_join(&dir, slot_dir, "bolt");
	list_dir(dir.buf, ".bin", &files);
	list_dir(dir.buf, ".bat", &files);
	list_dir(dir.buf, ".shipped", &files);
	long long freed = keep_newest(root, &files, "an older build's program kept for BOLT", now, grace, dry_run);
	/* The field's profiles of a program BOLT was given serve that build only. */
	sb_adds(&dir, "/field");
	list_dir(dir.buf, "", &entries);
	for (size_t i = 0; i < entries.n; i++) {
		struct stat st;
		if (lstat(entries.v[i], &st) == 0 && S_ISDIR(st.st_mode))
			sv_push(&builds, entries.v[i]);
	}
	freed += keep_newest(root, &builds, "the field's BOLT profiles of an older build", now, grace, dry_run);
	sv_release(&files);
	sv_release(&entries);
	sv_release(&builds);
	sb_release(&dir);
	return freed;
}

/* Drops superseded profiles past the grace period and stale temp files; returns bytes freed. */
static long long prune_slot(const char *root, const char *slot_dir, bool dry_run)
{
	static const char *const subdirs[] = { "", "profiles", "stamps", "cstamps", "units", "builds", "bolt",
					       SPLIT_GENERATIONS, NULL };
	struct strbuf cur = STRBUF_INIT, key = STRBUF_INIT, profiles = STRBUF_INIT;
	struct strvec files = STRVEC_INIT;
	long long freed = 0;
	time_t now = time(NULL);
	long grace = grace_seconds();

	path_join(&cur, slot_dir, "CURRENT");
	if (sb_read_file(&key, cur.buf) != 0)
		sb_reset(&key);
	path_join(&profiles, slot_dir, "profiles");
	list_dir(profiles.buf, "", &files);
	for (size_t i = 0; i < files.n; i++) {
		const char *base = path_basename(files.v[i]);
		struct stat st;
		if (key.len && strncmp(base, key.buf, key.len) == 0 && base[key.len] == '.')
			continue;
		if (lstat(files.v[i], &st) == 0 && now - st.st_mtime >= grace)
			freed += drop(root, files.v[i], "superseded", dry_run);
	}
	sv_release(&files);
	/* Under the slot's lock, so no build reads them: a generation no link names is a killed split's. */
	split_unused(slot_dir, &files);
	for (size_t i = 0; i < files.n; i++)
		freed += drop(root, files.v[i], "a split no link names", dry_run);
	sv_release(&files);
	freed += prune_bolt(root, slot_dir, now, grace, dry_run);
	for (const char *const *sub = subdirs; *sub; sub++) {
		struct strbuf dir = STRBUF_INIT;
		if (**sub)
			path_join(&dir, slot_dir, *sub);
		else
			sb_adds(&dir, slot_dir);
		freed += drop_stale_temps(root, dir.buf, dry_run);
		sb_release(&dir);
	}
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

int cmd_gc(int argc, char **argv)
{
	const char *cap_text = NULL;
	bool dry_run = false;
	struct strbuf root = STRBUF_INIT, err = STRBUF_INIT, slots = STRBUF_INIT;

	for (int i = 1; i < argc; i++) {
		const char *v;
		if (option_take(argc, argv, &i, "--max-size", &v))
			cap_text = v;
		else if (strcmp(argv[i], "--dry-run") == 0)
			dry_run = true;
		else
			command_usage_error("gc", "unknown argument %s", argv[i]);
	}
	long long cap = cap_text ? parse_size(cap_text) : setting_size(SETTING_CACHE_MAX, DEFAULT_CAP);
	if (cap < 0)
		die(PGOW_EXIT_CONFIG, "gc: size '%s' is not a size; write e.g. 500M or 2G", cap_text);
	if (cache_root(&root, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	/* The slots dir and each slot must be private dirs of ours, never links. */
	if (cache_subdir(&slots, "slots", &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);

	struct strvec dirs = STRVEC_INIT;
	list_dir(slots.buf, "", &dirs);
	struct slot_use *uses = xcalloc(dirs.n, sizeof(*uses));
	long long freed = 0, total;
	size_t removed_slots = 0;
	for (size_t i = 0; i < dirs.n; i++) {
		sb_reset(&err);
		if (mkdir_private(dirs.v[i], 0700, &err) != 0) {
			warn("%s; leaving it alone", err.buf);
			continue;
		}
		bool busy;
		int lock = lock_or_skip(dirs.v[i], &busy);
		if (lock < 0)
			continue;
		long long pruned = prune_slot(root.buf, dirs.v[i], dry_run);
		freed += pruned;
		struct strbuf cur = STRBUF_INIT;
		struct stat st;
		path_join(&cur, dirs.v[i], "CURRENT");
		uses[i].dir = dirs.v[i];
		uses[i].stored = stat(cur.buf, &st) == 0 ? st.st_mtime : 0;
		/* A dry run removed nothing: what it would prune is not counted twice. */
		uses[i].bytes = tree_bytes(dirs.v[i]) - (dry_run ? pruned : 0);
		sb_release(&cur);
		if (lock >= 0)
			close(lock);
	}
	total = tree_bytes(root.buf) - (dry_run ? freed : 0);
	qsort(uses, dirs.n, sizeof(*uses), by_stored);
	for (size_t i = 0; i < dirs.n && total > cap; i++) {
		if (!uses[i].dir)
			continue; /* not a private dir of ours: left alone above */
		bool busy;
		int lock = lock_or_skip(uses[i].dir, &busy);
		if (lock < 0)
			continue;
		/* A build between two of its units holds no slot lock: its lease names the slot. */
		if (build_lease_holds(uses[i].dir)) {
			say_left(uses[i].dir);
			close(lock);
			continue;
		}
		sb_reset(&err);
		if (dry_run || safe_remove_tree(root.buf, uses[i].dir, &err) == 0) {
			struct strbuf size = STRBUF_INIT;
			sb_addsize(&size, uses[i].bytes);
			printf("%s slot %.12s (%s)\n", dry_run ? "would remove" : "removed",
			       path_basename(uses[i].dir), size.buf);
			sb_release(&size);
			total -= uses[i].bytes;
			freed += uses[i].bytes;
			removed_slots++;
		} else {
			warn("%s", err.buf);
		}
		if (lock >= 0)
			close(lock);
	}
	struct strbuf f = STRBUF_INIT, t = STRBUF_INIT, c = STRBUF_INIT;
	sb_addsize(&f, freed);
	sb_addsize(&t, total);
	sb_addsize(&c, cap);
	printf("%s %s (%zu slot(s)); cache %s %s of a %s cap\n", dry_run ? "would free" : "freed", f.buf,
	       removed_slots, dry_run ? "would be" : "is", t.buf, c.buf);
	if (total > cap)
		printf("note: the cap cannot be reached: what is left is not slots gc removes (build-id records, "
		       "the journal, the tool lookup, slots it could not remove); raise the cap\n");
	sb_release(&f);
	sb_release(&t);
	sb_release(&c);
	free(uses);
	sv_release(&dirs);
	sb_release(&root);
	sb_release(&err);
	sb_release(&slots);
	return 0;
}
