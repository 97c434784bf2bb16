/*
 * tempfile.c - temp dirs removed however we leave (see include/base/tempfile.h).
 * The registry is a list of (base, path): each is removed below its base by
 * safefs, so a link planted inside is deleted, never followed.
 */
#include "base/tempfile.h"
#include "base/hash.h"
#include "base/message.h"
#include "base/path.h"
#include "base/safefs.h"
#include "base/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct tempdir {
	char *base, *path;
	pid_t owner;        /* a forked child inherits the list, not the dirs */
};

static struct tempdir *temps;
static size_t ntemps;

static void remove_one(size_t i)
{
	struct strbuf err = STRBUF_INIT;

	if (temps[i].owner == getpid() && safe_remove_tree(temps[i].base, temps[i].path, &err) != 0)
		warn("%s", err.buf);
	free(temps[i].base);
	free(temps[i].path);
	temps[i] = temps[--ntemps];
	sb_release(&err);
}

void tempfile_cleanup(void)
{
	while (ntemps)
		remove_one(ntemps - 1);
	free(temps);
	temps = NULL;
}

static void register_dir(const char *base, const char *path)
{
	static int hooked;

	if (!hooked) {
		hooked = 1;
		/* die() and every return from main end in exit(3), which runs this. */
		if (atexit(tempfile_cleanup) != 0)
			die(PGOW_EXIT_INTERNAL, "atexit failed");
	}
	temps = xrealloc(temps, (ntemps + 1) * sizeof(*temps));
	temps[ntemps++] = (struct tempdir){ xstrdup(base), xstrdup(path), getpid() };
}

/*
 * Names this host and PID namespace: a pid is only known dead where it was
 * alive. A cache shared over NFS or between containers holds temp entries of
 * processes we cannot see; their tag differs, so they are left to gc's age rule.
 */
const char *temp_owner_tag(void)
{
	static char tag[TEMP_TAG_LEN + 1];
	char host[256] = "";
	struct strbuf key = STRBUF_INIT;
	struct stat st;
	char hex[HASH_HEX_LEN + 1];

	if (tag[0])
		return tag;
	(void)gethostname(host, sizeof(host) - 1);
	sb_addf(&key, "%s\n%ju", host, stat("/proc/self/ns/pid", &st) == 0 ? (uintmax_t)st.st_ino : (uintmax_t)0);
	hash_buf_hex(key.buf, key.len, hex);
	memcpy(tag, hex, TEMP_TAG_LEN);
	sb_release(&key);
	return tag;
}

/* The pid a tagged temp name ("<prefix><tag>.<pid>.…") gives after prefix, or 0 when it has none of ours. */
static pid_t owner_after(const char *p)
{
	const char *tag = temp_owner_tag();
	char *end;

	if (strncmp(p, tag, TEMP_TAG_LEN) != 0 || p[TEMP_TAG_LEN] != '.')
		return 0;
	long pid = strtol(p + TEMP_TAG_LEN + 1, &end, 10);
	return pid > 0 && *end == '.' ? (pid_t)pid : 0;
}

bool temp_is_orphan(const char *name)
{
	const char *mid = strstr(name, ".tmp.");
	pid_t pid = strncmp(name, "merge.", 6) == 0 ? owner_after(name + 6) : mid ? owner_after(mid + 5) : 0;
	return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH;
}

int tempfile_sweep_orphans(const char *base, const char *dir)
{
	DIR *d = opendir(dir);
	int removed = 0;

	for (struct dirent *e; d && (e = readdir(d));) {
		struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
		path_join(&path, dir, e->d_name);
		if (temp_is_orphan(e->d_name) && safe_remove_tree(base, path.buf, &err) == 0)
			removed++;
		sb_release(&path);
		sb_release(&err);
	}
	if (d)
		closedir(d);
	return removed;
}

int tempdir_create(const char *base, const char *prefix, struct strbuf *out, struct strbuf *err)
{
	sb_reset(out);
	sb_addf(out, "%s/%s%s.%ld.XXXXXX", base, prefix, temp_owner_tag(), (long)getpid());
	if (!mkdtemp(out->buf)) {
		sb_addf(err, "cannot create a temp dir in %s: %s", base, strerror(errno));
		return -1;
	}
	register_dir(base, out->buf);
	return 0;
}

void tempdir_remove(const char *path)
{
	for (size_t i = 0; i < ntemps; i++)
		if (strcmp(temps[i].path, path) == 0) {
			remove_one(i);
			return;
		}
}
