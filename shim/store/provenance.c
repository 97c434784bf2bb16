/*
 * provenance.c - build-id records of instrumented binaries (see
 * include/store/provenance.h). A record is text, written atomically under
 * <cache>/buildids/<build-id>:
 *   binary-v1 <slot> <path>
 *   <crate> <metadata> <key>        (one line per instrumented unit, tab separated)
 */
#include "store/provenance.h"
#include "base/atomic.h"
#include "base/dirlist.h"
#include "base/path.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "formats/buildid.h"
#include "store/cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RECORD_MAGIC "binary-v1"

struct unit_ref *unit_refs_add(struct unit_ref **list, size_t *n, const char *crate,
			       const char *metadata, const char *key)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*list)[i].crate, crate) == 0 && strcmp((*list)[i].metadata, metadata) == 0)
			return &(*list)[i];
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	struct unit_ref *u = &(*list)[(*n)++];
	u->crate = xstrdup(crate);
	u->metadata = xstrdup(metadata);
	u->key = xstrdup(key);
	return u;
}

const struct unit_ref *unit_refs_find(const struct unit_ref *list, size_t n, const char *crate,
				      const char *metadata)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].crate, crate) == 0 && strcmp(list[i].metadata, metadata) == 0)
			return &list[i];
	return NULL;
}

void unit_refs_release(struct unit_ref *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].crate);
		free(list[i].metadata);
		free(list[i].key);
	}
	free(list);
}

static bool visited(const struct strvec *seen, const char *path)
{
	for (size_t i = 0; i < seen->n; i++)
		if (strcmp(seen->v[i], path) == 0)
			return true;
	return false;
}

/* Every instrumented unit reachable from self through the marks' deps. */
static void linked_units(const struct unit_mark *self, struct unit_ref **units, size_t *n)
{
	struct strvec queue = STRVEC_INIT;

	if (strcmp(self->action, "generate") == 0)
		unit_refs_add(units, n, self->crate, self->metadata, self->key);
	sv_pushv(&queue, self->deps.v, self->deps.n);
	for (size_t i = 0; i < queue.n; i++) {
		struct unit_mark m;
		struct strbuf err = STRBUF_INIT;
		if (depinfo_read_mark(queue.v[i], &m, &err) == 1) {
			if (strcmp(m.action, "generate") == 0)
				unit_refs_add(units, n, m.crate, m.metadata, m.key);
			for (size_t d = 0; d < m.deps.n; d++)
				if (!visited(&queue, m.deps.v[d]))
					sv_push(&queue, m.deps.v[d]);
		}
		unit_mark_release(&m);
		sb_release(&err);
	}
	sv_release(&queue);
}

static int record_path(struct strbuf *out, const char *build_id, struct strbuf *err)
{
	if (!str_is_hex(build_id, 0)) {
		sb_addf(err, "bad build-id '%s'", build_id);
		return -1;
	}
	if (cache_subdir(out, "buildids", err) != 0)
		return -1;
	sb_addf(out, "/%s", build_id);
	return 0;
}

int provenance_record(const char *path, const struct unit_mark *self, const struct unit_ref *extra,
		      size_t nextra, struct strbuf *err)
{
	struct strbuf id = STRBUF_INIT, rec = STRBUF_INIT, text = STRBUF_INIT;
	struct unit_ref *units = NULL;
	size_t n = 0;
	int rc = buildid_of_elf(path, &id, err);

	if (rc <= 0)
		goto out;
	if (strpbrk(path, "\t\n")) {
		sb_addf(err, "%s has a tab or newline in its path", path);
		rc = -1;
		goto out;
	}
	rc = -1;
	if (record_path(&rec, id.buf, err) != 0)
		goto out;
	linked_units(self, &units, &n);
	for (size_t i = 0; i < nextra; i++)
		unit_refs_add(&units, &n, extra[i].crate, extra[i].metadata, extra[i].key);
	sb_addf(&text, RECORD_MAGIC "\t%s\t%s\n", self->slot, path);
	for (size_t i = 0; i < n; i++)
		sb_addf(&text, "%s\t%s\t%s\n", units[i].crate, units[i].metadata, units[i].key);
	struct atomic_opts opts = { .mode = 0600 };
	rc = write_file_atomic(rec.buf, text.buf, text.len, &opts, err);
out:
	unit_refs_release(units, n);
	sb_release(&id);
	sb_release(&rec);
	sb_release(&text);
	return rc;
}

bool unit_ref_ok(const char *crate, const char *metadata, const char *key)
{
	static const char ident[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
	const char *bare = strncmp(crate, "c:", 2) == 0 ? crate + 2 : crate;

	return *bare && strspn(bare, ident) == strlen(bare) && str_is_hex(metadata, 0) && strlen(metadata) <= 64 &&
	       (!*key || str_is_hex(key, 0)) && strlen(key) <= 64;
}

int provenance_parse(const char *text, const char *what, struct provenance *p, struct strbuf *err)
{
	int lineno = 0;

	memset(p, 0, sizeof(*p));
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		struct strvec f = STRVEC_INIT;
		struct strbuf l = STRBUF_INIT;
		sb_add(&l, line, len);
		sv_split(&f, l.buf, '\t');
		lineno++;
		bool ok = lineno == 1 ? f.n == 3 && strcmp(f.v[0], RECORD_MAGIC) == 0 : f.n == 3;
		if (ok && lineno == 1) {
			p->slot = xstrdup(f.v[1]);
			p->binary = xstrdup(f.v[2]);
		} else if (ok) {
			unit_refs_add(&p->units, &p->n, f.v[0], f.v[1], f.v[2]);
		}
		sv_release(&f);
		sb_release(&l);
		if (!ok) {
			sb_addf(err, "%s:%d: corrupt build-id record; delete it", what, lineno);
			provenance_release(p);
			return -1;
		}
		line += len + (line[len] == '\n');
	}
	return p->slot ? 1 : 0;
}

void provenance_format(const struct provenance *p, const char *slot, struct strbuf *out)
{
	sb_addf(out, RECORD_MAGIC "\t%s\t%s\n", slot, p->binary);
	for (size_t i = 0; i < p->n; i++)
		sb_addf(out, "%s\t%s\t%s\n", p->units[i].crate, p->units[i].metadata, p->units[i].key);
}

int provenance_store(const char *build_id, const struct provenance *p, struct strbuf *err)
{
	struct strbuf rec = STRBUF_INIT, text = STRBUF_INIT;
	int rc = -1;

	if (record_path(&rec, build_id, err) == 0) {
		provenance_format(p, p->slot, &text);
		struct atomic_opts opts = { .mode = 0600 };
		rc = write_file_atomic(rec.buf, text.buf, text.len, &opts, err);
	}
	sb_release(&rec);
	sb_release(&text);
	return rc;
}

int provenance_lookup(const char *build_id, struct provenance *p, struct strbuf *err)
{
	struct strbuf rec = STRBUF_INIT, text = STRBUF_INIT;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	if (record_path(&rec, build_id, err) != 0)
		goto out;
	if (sb_read_file(&text, rec.buf) != 0) {
		if (errno == ENOENT)
			rc = 0;
		else
			sb_addf(err, "cannot read %s: %s", rec.buf, strerror(errno));
		goto out;
	}
	rc = provenance_parse(text.buf, rec.buf, p, err);
out:
	sb_release(&rec);
	sb_release(&text);
	return rc;
}

void provenance_ids_of_slot(const char *slot, struct strvec *ids)
{
	struct strbuf dir = STRBUF_INIT, err = STRBUF_INIT;
	struct strvec all = STRVEC_INIT;

	if (cache_subdir(&dir, "buildids", &err) == 0)
		list_dir(dir.buf, "", &all);
	for (size_t i = 0; i < all.n; i++) {
		struct provenance p;
		struct strbuf e = STRBUF_INIT;
		const char *id = path_basename(all.v[i]);
		if (provenance_lookup(id, &p, &e) == 1 && strcmp(p.slot, slot) == 0)
			sv_push(ids, id);
		provenance_release(&p);
		sb_release(&e);
	}
	sv_release(&all);
	sb_release(&dir);
	sb_release(&err);
}

void provenance_release(struct provenance *p)
{
	free(p->slot);
	free(p->binary);
	unit_refs_release(p->units, p->n);
	memset(p, 0, sizeof(*p));
}
