/*
 * mergerequest.c - what a merge is asked to do: its inputs with their
 * weights, and how to treat what it finds (see include/cycle/mergerequest.h).
 */
#include "cycle/mergerequest.h"
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
