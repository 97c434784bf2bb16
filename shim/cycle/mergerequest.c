/*
 * mergerequest.c - what a merge is asked to do: its inputs with their
 * weights, and how to treat what it finds (see include/cycle/mergerequest.h).
 */
#include "cycle/mergerequest.h"
#include "base/message.h"
#include "base/path.h"
#include "base/safefs.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

void merge_request_add_input(struct merge_request *rq, const char *path, long weight)
{
	sv_push(&rq->paths, path);
	rq->weights = xrealloc(rq->weights, rq->paths.n * sizeof(*rq->weights));
	rq->weights[rq->paths.n - 1] = weight;
}

void merge_request_release(struct merge_request *rq)
{
	sv_release(&rq->paths);
	sv_release(&rq->build_units);
	free(rq->weights);
	rq->weights = NULL;
}

/*
 * A free name in rq->reject_dir for path: its own, or with .1, .2... added,
 * so that manual/x.profraw and x.profraw, or a later file of the same name,
 * keep each other.
 */
static void reject_name(const struct merge_request *rq, const char *path, struct strbuf *dst)
{
	struct stat st;

	path_join(dst, rq->reject_dir, path_basename(path));
	size_t len = dst->len;
	for (int n = 1; lstat(dst->buf, &st) == 0 && n < 1000; n++) {
		sb_setlen(dst, len);
		sb_addf(dst, ".%d", n);
	}
}

/* Moves path into rq->reject_dir (a link there, then the old name gone): never across a planted link. */
static int move_to_rejects(const struct merge_request *rq, const char *path, struct strbuf *dst, struct strbuf *err)
{
	if (safe_mkdirs(rq->remove_inputs, rq->reject_dir, 0700, err) != 0)
		return -1;
	reject_name(rq, path, dst);
	if (safe_hardlink(rq->remove_inputs, path, dst->buf, err) != 0)
		return -1;
	return safe_unlink(rq->remove_inputs, path, err);
}

/*
 * A program that writes its profile at exit may be at it: a file this young
 * may still grow whole. The LLVM runtime makes the file, empty, when the
 * program starts (unless its name has %m): an empty one may be hours old,
 * or left by a program killed before its exit; a day tells them apart.
 */
#define REJECT_AFTER_SECONDS 60
#define REJECT_EMPTY_AFTER_SECONDS (24 * 3600)

static const char *may_be_written(const char *path)
{
	struct stat st;
	struct timespec now;

	if (lstat(path, &st) != 0 || clock_gettime(CLOCK_REALTIME, &now) != 0)
		return NULL;
	long age = (long)(now.tv_sec - st.st_mtim.tv_sec);
	if (st.st_size == 0 && age < REJECT_EMPTY_AFTER_SECONDS)
		return "it is empty: a program still running may write it at exit; moved aside after a day";
	if (age < REJECT_AFTER_SECONDS)
		return "written less than a minute ago: it may still be being written";
	return NULL;
}

void merge_request_reject(const struct merge_request *rq, const char *path, const char *why)
{
	struct strbuf dst = STRBUF_INIT, err = STRBUF_INIT;
	const char *busy;

	if (!rq->reject_dir || !rq->remove_inputs)
		warn("skipping %s", why);
	else if ((busy = may_be_written(path)))
		warn("skipping %s; it stays for the next build (%s)", why, busy);
	else if (move_to_rejects(rq, path, &dst, &err) == 0)
		warn("skipping %s; moved to %s, where no merge reads it", why, dst.buf);
	else
		warn("skipping %s (it stays: %s)", why, err.buf);
	sb_release(&dst);
	sb_release(&err);
}
