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

/* Moves path into rq->reject_dir (a link there, then the old name gone): never across a planted link. */
static int move_to_rejects(const struct merge_request *rq, const char *path, struct strbuf *dst, struct strbuf *err)
{
	path_join(dst, rq->reject_dir, path_basename(path));
	if (safe_mkdirs(rq->remove_inputs, rq->reject_dir, 0700, err) != 0 ||
	    safe_hardlink(rq->remove_inputs, path, dst->buf, err) != 0)
		return -1;
	return safe_unlink(rq->remove_inputs, path, err);
}

void merge_request_reject(const struct merge_request *rq, const char *path, const char *why)
{
	struct strbuf dst = STRBUF_INIT, err = STRBUF_INIT;

	if (!rq->reject_dir || !rq->remove_inputs)
		warn("skipping %s", why);
	else if (move_to_rejects(rq, path, &dst, &err) == 0)
		warn("skipping %s; moved to %s, where no merge reads it", why, dst.buf);
	else
		warn("skipping %s (it stays: %s)", why, err.buf);
	sb_release(&dst);
	sb_release(&err);
}
