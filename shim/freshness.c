/*
 * freshness.c - whether a profile fits a build (see include/freshness.h).
 * Units only a `cargo test`, another package selection or an older version
 * compiled never make a build stale: only the units it uses are compared.
 */
#include "freshness.h"
#include "cache.h"
#include "slot.h"
#include "unitkey.h"
#include "util.h"

#include <string.h>

static void add_state(struct freshness *f, const char *name, const char *metadata, const char *state,
		      const struct manifest_crate *c)
{
	f->crates = xrealloc(f->crates, (f->ncrates + 1) * sizeof(*f->crates));
	struct crate_state *s = &f->crates[f->ncrates++];
	s->name = xstrdup(name);
	s->metadata = xstrdup(metadata);
	s->state = state;
	s->counts = c ? c->counts : -1;
	s->functions = c ? c->functions : -1;
	s->covered = c ? c->covered : -1;
	if (strcmp(state, "fresh") != 0)
		f->nstale++;
}

static void load(struct freshness *f, const char *slot_dir, const char *training_id)
{
	memset(f, 0, sizeof(*f));
	f->has_profile = cache_current_profile(slot_dir, &f->m, &f->profdata, &f->err);
	if (f->has_profile == 1 && training_id) {
		const char *then = f->m.training_id ? f->m.training_id : "manual";
		/* A hand-merged profile was not collected by any configured training. */
		f->training_changed = strcmp(then, "manual") != 0 && strcmp(then, training_id) != 0;
	}
}

static void finish(struct freshness *f)
{
	long stale_counts = 0;

	for (size_t i = 0; i < f->ncrates; i++) {
		const struct crate_state *s = &f->crates[i];
		if (strcmp(s->state, "fresh") == 0)
			continue;
		sb_addf(&f->stale, "%s%s (%s)", f->stale.len ? ", " : "", s->name, s->state);
		if (s->counts > 0)
			stale_counts += s->counts;
	}
	if (f->training_changed) {
		sb_addf(&f->stale, "%straining changed", f->stale.len ? ", " : "");
		f->nstale++;
		f->stale_share = 1.0;
		return;
	}
	/* Without counts, any stale crate counts as the whole profile. */
	f->stale_share = f->m.total_counts > 0 ? (double)stale_counts / (double)f->m.total_counts
					       : (f->nstale ? 1.0 : 0.0);
}

void freshness_predict(struct freshness *f, const char *slot_dir, const char *training_id)
{
	load(f, slot_dir, training_id);
	for (size_t i = 0; f->has_profile == 1 && i < f->m.ncrates; i++) {
		const struct manifest_crate *c = &f->m.crates[i];
		struct strbuf rec = STRBUF_INIT, err = STRBUF_INIT;
		struct unit_key k, now;
		const char *state = "gone";
		unitkey_record_path(&rec, slot_dir, c->name, c->metadata);
		if (unitkey_read(&k, rec.buf, &err) == 1) {
			if (unitkey_refresh(&now, &k, &err) == 0)
				state = strcmp(now.key, c->key) == 0 ? "fresh" : "changed";
			else
				state = "changed"; /* a source vanished */
			unitkey_release(&now);
		}
		unitkey_release(&k);
		add_state(f, c->name, c->metadata, state, c);
		sb_release(&rec);
		sb_release(&err);
	}
	finish(f);
}

/* A unit of this build that the profile has under the same crate name but other metadata. */
static bool same_name_elsewhere(const struct manifest *m, const struct build_units *u, const char *crate)
{
	for (size_t i = 0; i < m->ncrates; i++) {
		if (strcmp(m->crates[i].name, crate) != 0)
			continue;
		bool used = false;
		for (size_t j = 0; j < u->n && !used; j++)
			used = u->v[j].marked && strcmp(u->v[j].mark.crate, crate) == 0 &&
			       strcmp(u->v[j].mark.metadata, m->crates[i].metadata) == 0;
		if (!used)
			return true;
	}
	return false;
}

void freshness_of_build(struct freshness *f, const char *slot_dir, const struct build_units *u,
			const char *training_id)
{
	const char *slot = path_basename(slot_dir);

	load(f, slot_dir, training_id);
	for (size_t i = 0; f->has_profile == 1 && i < u->n; i++) {
		const struct unit_mark *mk = &u->v[i].mark;
		if (!u->v[i].marked || strcmp(mk->slot, slot) != 0)
			continue; /* skipped, excluded, or built without us: the summary counts those */
		const struct manifest_crate *c = manifest_find(&f->m, mk->crate, mk->metadata);
		const char *state = c ? (strcmp(c->key, mk->key) == 0 ? "fresh" : "changed")
				      : same_name_elsewhere(&f->m, u, mk->crate) ? "replaced" : "new";
		add_state(f, mk->crate, mk->metadata, state, c);
	}
	finish(f);
}

void freshness_release(struct freshness *f)
{
	for (size_t i = 0; i < f->ncrates; i++) {
		free(f->crates[i].name);
		free(f->crates[i].metadata);
	}
	free(f->crates);
	manifest_release(&f->m);
	sb_release(&f->profdata);
	sb_release(&f->err);
	sb_release(&f->stale);
	memset(f, 0, sizeof(*f));
}

int slot_of_build_dir(const char *build_dir, struct strbuf *slot_dir)
{
	struct strbuf root = STRBUF_INIT, slots = STRBUF_INIT, err = STRBUF_INIT;
	struct strvec dirs = STRVEC_INIT;
	int rc = -1;

	if (cache_root_path(&root, &err) == 0) {
		path_join(&slots, root.buf, "slots");
		list_dir(slots.buf, "", &dirs);
	}
	for (size_t i = 0; i < dirs.n && rc != 0; i++) {
		struct stamp *stamps;
		size_t n;
		slot_stamps(dirs.v[i], &stamps, &n);
		for (size_t j = 0; j < n && rc != 0; j++) {
			if (strcmp(stamps[j].build_dir, build_dir) == 0) {
				sb_adds(slot_dir, dirs.v[i]);
				rc = 0;
			}
		}
		stamps_release(stamps, n);
	}
	sv_release(&dirs);
	sb_release(&root);
	sb_release(&slots);
	sb_release(&err);
	return rc;
}
