/*
 * drift.c - two profiles of one build compared (see include/cycle/drift.h).
 * The per-crate overlap is LLVM's measure, restricted to one crate: the sum
 * over its counters of min(a/A, b/B), A and B the crate's totals in each.
 */
#include "cycle/drift.h"
#include "base/namemap.h"
#include "base/spawn.h"
#include "base/xalloc.h"
#include "formats/proftext.h"
#include "cycle/llvm.h"
#include "cycle/merge.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

double drift_overlap(const char *tool, const char *a, const char *b, struct strbuf *err)
{
	struct strbuf out = STRBUF_INIT;
	char *argv[] = { (char *)tool, "overlap", (char *)a, (char *)b, NULL };
	double v = -1;

	int status = run_capture(argv, &out, err);
	const char *at = out.len ? strstr(out.buf, "Edge profile overlap:") : NULL;
	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && at)
		v = strtod(at + strlen("Edge profile overlap:"), NULL) / 100.0;
	else if (!err->len)
		sb_addf(err, "%s overlap %s %s gave no edge overlap", tool, a, b);
	sb_release(&out);
	return v;
}

static struct drift_crate *crate_entry(struct drift *d, const char *crate)
{
	for (size_t i = 0; i < d->ncrates; i++)
		if (strcmp(d->crates[i].crate, crate) == 0)
			return &d->crates[i];
	d->crates = xrealloc(d->crates, (d->ncrates + 1) * sizeof(*d->crates));
	struct drift_crate *c = &d->crates[d->ncrates++];
	memset(c, 0, sizeof(*c));
	c->crate = xstrdup(crate);
	return c;
}

static void crate_of(const char *name, struct strbuf *out)
{
	sb_reset(out);
	llvm_symbol_crate(name, out);
	if (!out->len)
		sb_adds(out, "(no crate)");
}

static int by_sum_a(const void *x, const void *y)
{
	const struct drift_crate *a = x, *b = y;
	return a->sum_a < b->sum_a ? 1 : a->sum_a > b->sum_a ? -1 : strcmp(a->crate, b->crate);
}

static int by_share(const void *x, const void *y)
{
	const struct drift_miss *a = x, *b = y;
	return a->share < b->share ? 1 : a->share > b->share ? -1 : strcmp(a->name, b->name);
}

/* Each function's crate, its totals; then the overlap of the functions both have, as they are. */
void drift_compare_text(char *text_a, char *text_b, size_t top, struct drift *d)
{
	struct prof_fn *fa, *fb;
	size_t na, nb;
	struct namemap in_b = { NULL, NULL, 0, 0 };
	struct strbuf crate = STRBUF_INIT;

	memset(d, 0, sizeof(*d));
	d->overlap = -1;
	proftext_functions(text_a, &fa, &na);
	proftext_functions(text_b, &fb, &nb);
	for (size_t i = 0; i < nb; i++)
		namemap_claim(&in_b, fb[i].name, strlen(fb[i].name), (int)i);
	char *seen = xcalloc(nb ? nb : 1, 1);
	for (size_t i = 0; i < na; i++) {
		crate_of(fa[i].name, &crate);
		crate_entry(d, crate.buf)->sum_a += fa[i].sum;
		d->total_a += fa[i].sum;
	}
	for (size_t i = 0; i < nb; i++) {
		crate_of(fb[i].name, &crate);
		crate_entry(d, crate.buf)->sum_b += fb[i].sum;
		d->total_b += fb[i].sum;
	}
	for (size_t i = 0; i < na; i++) {
		int j = namemap_get(&in_b, fa[i].name, strlen(fa[i].name));
		crate_of(fa[i].name, &crate);
		struct drift_crate *c = crate_entry(d, crate.buf);
		if (j < 0) {
			c->only_a++;
		} else {
			seen[j] = 1;
			if (fb[j].hash != fa[i].hash || fb[j].ncounters != fa[i].ncounters) {
				c->changed++;
			} else if (c->sum_a && c->sum_b) {
				for (size_t k = 0; k < fa[i].ncounters; k++) {
					double x = (double)fa[i].counters[k] / (double)c->sum_a;
					double y = (double)fb[j].counters[k] / (double)c->sum_b;
					c->overlap += x < y ? x : y;
				}
			}
		}
		/* Hot in A, never run in B: absent there, or all its counters zero. */
		if (fa[i].sum && (j < 0 || !fb[j].sum) && d->total_a) {
			d->missing = xrealloc(d->missing, (d->nmissing + 1) * sizeof(*d->missing));
			struct drift_miss *m = &d->missing[d->nmissing++];
			m->name = xstrdup(fa[i].name);
			m->crate = xstrdup(crate.buf);
			m->share = (double)fa[i].sum / (double)d->total_a;
		}
	}
	for (size_t j = 0; j < nb; j++)
		if (!seen[j]) {
			crate_of(fb[j].name, &crate);
			crate_entry(d, crate.buf)->only_b++;
		}
	if (d->ncrates > 1)
		qsort(d->crates, d->ncrates, sizeof(*d->crates), by_sum_a);
	if (d->nmissing > 1)
		qsort(d->missing, d->nmissing, sizeof(*d->missing), by_share);
	for (size_t i = top; i < d->nmissing; i++) {
		free(d->missing[i].name);
		free(d->missing[i].crate);
	}
	if (d->nmissing > top)
		d->nmissing = top;
	free(seen);
	namemap_release(&in_b);
	proftext_release(fa, na);
	proftext_release(fb, nb);
	sb_release(&crate);
}

int drift_compare(const char *tool, const char *a, const char *b, const char *tmpdir, size_t top,
		  struct drift *d, struct strbuf *err)
{
	struct strbuf ta = STRBUF_INIT, tb = STRBUF_INIT, xa = STRBUF_INIT, xb = STRBUF_INIT;
	int rc = -1;

	sb_addf(&ta, "%s/a.proftext", tmpdir);
	sb_addf(&tb, "%s/b.proftext", tmpdir);
	if (!merge_text_form(tool, a, ta.buf)) {
		sb_addf(err, "%s cannot read %s (said above)", tool, a);
	} else if (!merge_text_form(tool, b, tb.buf)) {
		sb_addf(err, "%s cannot read %s (said above)", tool, b);
	} else if (sb_read_file(&xa, ta.buf) != 0 || sb_read_file(&xb, tb.buf) != 0) {
		sb_addf(err, "cannot read the text forms in %s", tmpdir);
	} else {
		drift_compare_text(xa.buf ? xa.buf : (char *)"", xb.buf ? xb.buf : (char *)"", top, d);
		d->overlap = drift_overlap(tool, a, b, err);
		rc = 0;
	}
	sb_release(&ta);
	sb_release(&tb);
	sb_release(&xa);
	sb_release(&xb);
	return rc;
}

void drift_release(struct drift *d)
{
	for (size_t i = 0; i < d->ncrates; i++)
		free(d->crates[i].crate);
	for (size_t i = 0; i < d->nmissing; i++) {
		free(d->missing[i].name);
		free(d->missing[i].crate);
	}
	free(d->crates);
	free(d->missing);
	memset(d, 0, sizeof(*d));
}
