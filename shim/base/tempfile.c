/*
 * tempfile.c - temp dirs removed however we leave (see include/base/tempfile.h).
 * The registry is a list of (base, path): each is removed below its base by
 * safefs, so a link planted inside is deleted, never followed.
 */
#include "base/tempfile.h"
#include "base/message.h"
#include "base/safefs.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
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

int tempdir_create(const char *base, const char *prefix, struct strbuf *out, struct strbuf *err)
{
	sb_reset(out);
	sb_addf(out, "%s/%sXXXXXX", base, prefix);
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
