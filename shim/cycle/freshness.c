/*
 * freshness.c - whether a profile fits a build (see include/cycle/freshness.h).
 * Units only a `cargo test`, another package selection or an older version
 * compiled never make a build stale: only the units it uses are compared.
 */
#include "cycle/freshness.h"
#include "base/atomic.h"
#include "base/dirlist.h"
#include "base/message.h"
#include "base/path.h"
#include "base/strbuf.h"
#include "base/settings.h"
#include "base/xalloc.h"
#include "store/cache.h"
#include "store/profile.h"
#include "store/slot.h"
#include "store/split.h"
#include "store/stamp.h"
#include "store/unitkey.h"

#include <limits.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>

/*
 * States in which a unit cannot make the profile stale: unchanged; not seen
 * here yet (a profile fetched from another machine: the build will tell); a
 * program the training does not run; code the training never ran. Training
 * again would give the last two no counts either.
 */
static bool state_is_quiet(const char *state)
{
	return strcmp(state, "unrun") == 0 || strcmp(state, "untrained") == 0;
}

static bool state_is_stale(const char *state)
{
	static const char *const quiet[] = { "fresh", "unseen", "untrained", "unrun", NULL };
	return !str_in_list(quiet, state);
}

bool freshness_is_stale(const struct crate_state *c)
{
	return state_is_stale(c->state);
}

static void add_state(struct freshness *f, const char *name, const char *metadata, const char *state,
		      const struct manifest_crate *c)
{
	/*
	 * Its code moved, but none of it ran in the training. Not a crate with no
	 * instrumented code at all (constants, types, generics): an edit of it
	 * changes the code of the crates using it, whose keys stay the same.
	 */
	if (c && manifest_name_never_ran(&f->m, name) && !split_defined_ran_elsewhere(sb_str(&f->defined), name) &&
	    (strcmp(state, "changed") == 0 || strcmp(state, "replaced") == 0))
		state = "unrun";
	f->crates = xrealloc(f->crates, (f->ncrates + 1) * sizeof(*f->crates));
	struct crate_state *s = &f->crates[f->ncrates++];
	s->name = xstrdup(name);
	s->metadata = xstrdup(metadata);
	s->state = state;
	s->counts = c ? c->counts : -1;
	s->functions = c ? c->functions : -1;
	s->program = false;
	s->covered = c ? c->covered : -1;
	s->elsewhere = 0;
	s->source = c;
	if (state_is_stale(state))
		f->nstale++;
}

static void load(struct freshness *f, const char *slot_dir, const char *training_id)
{
	memset(f, 0, sizeof(*f));
	f->has_profile = profile_current(slot_dir, &f->m, &f->profdata, &f->err);
	if (f->has_profile == 1)
		f->per_unit = split_defined_read(slot_dir, f->m.content_key, &f->defined);
	if (f->has_profile == 1 && training_id) {
		const char *then = f->m.training_id ? f->m.training_id : "manual";
		/* A hand-merged profile was not collected by any configured training. */
		f->training_changed = strcmp(then, "manual") != 0 && strcmp(then, training_id) != 0;
	}
}

/*
 * Counts are known per crate name (profile symbols carry the crate, not its
 * metadata), so units sharing a name share them: count each name once.
 */
static bool name_counted_before(const struct freshness *f, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (state_is_stale(f->crates[j].state) && strcmp(f->crates[j].name, f->crates[i].name) == 0)
			return true;
	return false;
}

static size_t stale_units_named_after(const struct freshness *f, size_t i)
{
	size_t n = 0;
	for (size_t j = i + 1; j < f->ncrates; j++)
		n += state_is_stale(f->crates[j].state) && strcmp(f->crates[j].name, f->crates[i].name) == 0;
	return n;
}

/* Units that changed or are new, and that no training can give counts: said, never acted on. */
static void list_quiet(struct freshness *f)
{
	for (size_t i = 0; i < f->ncrates; i++) {
		const char *st = f->crates[i].state;
		if (!state_is_quiet(st))
			continue;
		bool unrun = strcmp(st, "unrun") == 0;
		f->nquiet++;
		sb_addf(&f->quiet, "%s%s (%s)", f->quiet.len ? ", " : "", f->crates[i].name,
				unrun ? "unrun: changed, but the training never ran it" : "untrained: a new program the training does not run");
	}
}

static struct crate_state *state_of_unit(struct freshness *f, const char *unit)
{
	for (size_t i = 0; i < f->ncrates; i++)
		if (split_unit_of_crate(unit, f->crates[i].name) && strcmp(unit + strlen(f->crates[i].name) + 1,
								     f->crates[i].metadata) == 0)
			return &f->crates[i];
	return NULL;
}

/*
 * A stale library's generics that the units compared compiled (the build's,
 * or before one the profile's): their records are those units' own, but the
 * edit changed them. Not counted again when the unit holding them is stale
 * too (its share has them).
 */
static void add_defined_elsewhere(struct freshness *f)
{
	struct strbuf lib = STRBUF_INIT, unit = STRBUF_INIT;
	unsigned long long counts;

	for (const char *p = sb_str(&f->defined); f->nstale && split_defined_next(&p, &lib, &unit, &counts);) {
		struct crate_state *l = state_of_unit(f, lib.buf), *u = state_of_unit(f, unit.buf);
		if (l && u && state_is_stale(l->state) && !state_is_stale(u->state))
			l->elsewhere += counts > (unsigned long long)(LONG_MAX - l->elsewhere) ? LONG_MAX - l->elsewhere
												: (long)counts;
	}
	sb_release(&lib);
	sb_release(&unit);
}

/* Whether a stale unit before j of the same name had its figures from the same unit of the profile. */
static bool source_counted_before(const struct freshness *f, size_t first, size_t j)
{
	for (size_t k = first; k < j; k++)
		if (state_is_stale(f->crates[k].state) && strcmp(f->crates[k].name, f->crates[j].name) == 0 &&
		    f->crates[k].source == f->crates[j].source)
			return true;
	return false;
}

/*
 * The counts a stale name stands for. Per unit (the split's figures), the
 * sum over its stale units, each unit of the profile once (a replaced unit
 * has its predecessor's); per name (a whole profile), each unit of the name
 * has the name's, so the first one's. -1 when unknown.
 */
static long stale_counts_of_name(const struct freshness *f, size_t first, long *elsewhere)
{
	const struct crate_state *s = &f->crates[first];
	long counts = s->counts;

	*elsewhere = s->elsewhere;
	for (size_t j = first + 1; f->per_unit && j < f->ncrates; j++) {
		const struct crate_state *t = &f->crates[j];
		if (!state_is_stale(t->state) || strcmp(t->name, s->name) != 0)
			continue;
		if (t->counts > 0 && !source_counted_before(f, first, j))
			counts = (counts > 0 ? counts : 0) + t->counts;
		*elsewhere += t->elsewhere;
	}
	return counts < 0 && !*elsewhere ? -1 : (counts > 0 ? counts : 0) + *elsewhere;
}

static void finish(struct freshness *f)
{
	long stale_counts = 0;

	list_quiet(f);
	add_defined_elsewhere(f);
	for (size_t i = 0; i < f->ncrates; i++) {
		const struct crate_state *s = &f->crates[i];
		if (!state_is_stale(s->state) || name_counted_before(f, i))
			continue;
		sb_addf(&f->stale, "%s%s (%s", f->stale.len ? ", " : "", s->name, s->state);
		/* Why a new example is stale: the training does not say which programs it runs. */
		if (s->program && strcmp(s->state, "new") == 0 && !f->m.programs_known)
			sb_adds(&f->stale, "; the training may run it");
		/* A lib and a bin of one name (or two versions): one share, said once, with how many. */
		size_t more = stale_units_named_after(f, i);
		if (more)
			sb_addf(&f->stale, ", %zu units", more + 1);
		long elsewhere, counts = stale_counts_of_name(f, i, &elsewhere);
		if (counts >= 0 && f->m.total_counts > 0)
			sb_addf(&f->stale, ", %.0f%% of counts%s", 100.0 * (double)counts / (double)f->m.total_counts,
				elsewhere > 0 ? " with its generics in other units" : "");
		sb_addch(&f->stale, ')');
		if (counts > 0)
			stale_counts += counts;
	}
	if (stale_counts > f->m.total_counts)
		stale_counts = f->m.total_counts; /* a safety net: each count is meant to be counted once */
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

static bool has_state(const struct freshness *f, const char *crate, const char *metadata)
{
	for (size_t i = 0; i < f->ncrates; i++)
		if (strcmp(f->crates[i].name, crate) == 0 && strcmp(f->crates[i].metadata, metadata) == 0)
			return true;
	return false;
}

#define BUILD_MAGIC "build-v2"

static const char *state_name(const char *s)
{
	static const char *const names[] = { "new", "replaced", "changed", "untrained", NULL };
	for (const char *const *n = names; *n; n++)
		if (strcmp(*n, s) == 0)
			return *n;
	return NULL;
}

/* A record's text, when it is about this profile: "build-v2 <key> <build dir>" then units. */
static bool read_record(const char *path, const char *key, struct strbuf *text, const char **units,
			struct strbuf *build_dir)
{
	struct strbuf header = STRBUF_INIT;
	bool ok = false;

	sb_addf(&header, BUILD_MAGIC "\t%s\t", key ? key : "");
	if (sb_read_file(text, path) == 0 && (!key || strncmp(text->buf, header.buf, header.len) == 0) &&
	    strncmp(text->buf, BUILD_MAGIC "\t", strlen(BUILD_MAGIC) + 1) == 0) {
		const char *dir = strchr(text->buf + strlen(BUILD_MAGIC) + 1, '\t');
		size_t len = dir ? strcspn(dir + 1, "\n") : 0;
		if (dir && dir[1 + len] == '\n') {
			if (build_dir)
				sb_add(build_dir, dir + 1, len);
			*units = dir + 2 + len;
			ok = true;
		}
	}
	sb_release(&header);
	return ok;
}

static void add_record_units(struct freshness *f, const char *units)
{
	char *copy = xstrdup(units);
	for (char *line = copy; *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		struct strvec fl = STRVEC_INIT;
		sv_split(&fl, line, '\t');
		const char *state = fl.n == 3 ? state_name(fl.v[2]) : NULL;
		if (state && !has_state(f, fl.v[0], fl.v[1]))
			add_state(f, fl.v[0], fl.v[1], state, manifest_find_name(&f->m, fl.v[0]));
		sv_release(&fl);
		if (!nl)
			break;
		line = nl + 1;
	}
	free(copy);
}

void freshness_newest_record(const char *slot_dir, const char *build_dir, struct strbuf *out)
{
	struct strbuf dir = STRBUF_INIT;
	struct strvec files = STRVEC_INIT;
	struct timespec newest = { 0, 0 };

	path_join(&dir, slot_dir, "builds");
	list_dir(dir.buf, "", &files);
	for (size_t i = 0; i < files.n; i++) {
		struct strbuf text = STRBUF_INIT, bd = STRBUF_INIT;
		const char *units;
		struct stat st;
		if (read_record(files.v[i], NULL, &text, &units, &bd) && strcmp(bd.buf, build_dir) == 0 &&
		    stat(files.v[i], &st) == 0 &&
		    (st.st_mtim.tv_sec > newest.tv_sec ||
		     (st.st_mtim.tv_sec == newest.tv_sec && st.st_mtim.tv_nsec > newest.tv_nsec))) {
			newest = st.st_mtim;
			sb_reset(out);
			sb_adds(out, files.v[i]);
		}
		sb_release(&text);
		sb_release(&bd);
	}
	sv_release(&files);
	sb_release(&dir);
}

/* Units that verified builds used and this profile does not cover: this build's, or each dir's newest. */
static void add_recorded_builds(struct freshness *f, const char *slot_dir, const char *record)
{
	struct strvec paths = STRVEC_INIT;
	struct stamp *stamps;
	size_t n;

	if (record) {
		sv_push(&paths, record);
	} else {
		stamp_list(slot_dir, &stamps, &n);
		for (size_t i = 0; i < n; i++) {
			struct strbuf newest = STRBUF_INIT;
			freshness_newest_record(slot_dir, stamps[i].build_dir, &newest);
			if (newest.len)
				sv_push(&paths, newest.buf);
			sb_release(&newest);
		}
		stamp_list_release(stamps, n);
	}
	for (size_t i = 0; i < paths.n; i++) {
		struct strbuf text = STRBUF_INIT;
		const char *units;
		if (read_record(paths.v[i], f->m.content_key, &text, &units, NULL))
			add_record_units(f, units);
		sb_release(&text);
	}
	sv_release(&paths);
}

void freshness_record_build(const char *record, const char *build_dir, const struct freshness *after)
{
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT, dir = STRBUF_INIT;

	if (after->has_profile != 1)
		return;
	path_dirname(&dir, record);
	if (mkdir_private(dir.buf, 0700, &err) == 0) {
		sb_addf(&text, BUILD_MAGIC "\t%s\t%s\n", after->m.content_key, build_dir);
		for (size_t i = 0; i < after->ncrates; i++)
			if (strcmp(after->crates[i].state, "new") == 0 || strcmp(after->crates[i].state, "replaced") == 0 ||
			    strcmp(after->crates[i].state, "untrained") == 0)
				sb_addf(&text, "%s\t%s\t%s\n", after->crates[i].name, after->crates[i].metadata,
					after->crates[i].state);
		struct atomic_opts opts = { .mode = 0600 };
		(void)write_file_atomic(record, text.buf, text.len, &opts, &err);
	}
	if (err.len)
		warn("%s; `status` will not show what this build found", err.buf);
	sb_release(&dir);
	sb_release(&text);
	sb_release(&err);
}

const char *freshness_unit_now(const char *slot_dir, const struct manifest_crate *c)
{
	struct strbuf rec = STRBUF_INIT, err = STRBUF_INIT;
	struct unit_key k, now;
	const char *state = "unseen";

	unitkey_record_path(&rec, slot_dir, c->name, c->metadata);
	int have = unitkey_read(&k, rec.buf, &err);
	if (have == 1) {
		if (unitkey_refresh(&now, &k, &err) == 0)
			state = unitkey_matches(&now, c->key) ? "fresh" : "changed";
		else
			state = "changed"; /* a source vanished */
		unitkey_release(&now);
	} else if (have < 0) {
		state = "changed"; /* a corrupt record: its code cannot be vouched for */
	}
	unitkey_release(&k);
	sb_release(&rec);
	sb_release(&err);
	return state;
}

void freshness_predict(struct freshness *f, const char *slot_dir, const char *training_id,
		       const char *record)
{
	load(f, slot_dir, training_id);
	for (size_t i = 0; f->has_profile == 1 && i < f->m.ncrates; i++) {
		const struct manifest_crate *c = &f->m.crates[i];
		add_state(f, c->name, c->metadata, freshness_unit_now(slot_dir, c), c);
	}
	if (f->has_profile == 1)
		add_recorded_builds(f, slot_dir, record);
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

bool freshness_same_code(const char *slot_dir, const char *crate, const char *metadata, const char *key_now,
			 const char *key_then)
{
	if (strcmp(key_now, key_then) == 0)
		return true;
	struct strbuf rec = STRBUF_INIT, err = STRBUF_INIT;
	struct unit_key k;
	unitkey_record_path(&rec, slot_dir, crate, metadata);
	bool same = unitkey_read(&k, rec.buf, &err) == 1 && strcmp(k.key, key_now) == 0 && unitkey_matches(&k, key_then);
	unitkey_release(&k);
	sb_release(&rec);
	sb_release(&err);
	return same;
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
		const char *state = c ? (freshness_same_code(slot_dir, mk->crate, mk->metadata, mk->key, c->key) ? "fresh"
													     : "changed")
				    : build_unit_is_program(&u->v[i]) &&
					      manifest_program_untrained(&f->m, mk->crate, u->v[i].test)
					      ? "untrained"
				    : same_name_elsewhere(&f->m, u, mk->crate) ? "replaced" : "new";
		/* A replaced unit takes the share its predecessor had in the profile. */
		add_state(f, mk->crate, mk->metadata, state, c ? c : manifest_find_name(&f->m, mk->crate));
		f->crates[f->ncrates - 1].program = build_unit_is_program(&u->v[i]);
	}
	finish(f);
}

static bool is_quiet(const struct freshness *f, const char *crate, const char *metadata)
{
	for (size_t i = 0; i < f->ncrates; i++)
		if (strcmp(f->crates[i].name, crate) == 0 && strcmp(f->crates[i].metadata, metadata) == 0)
			return state_is_quiet(f->crates[i].state);
	return false;
}

int freshness_counted_mismatches(const struct freshness *f, const struct build_units *u, struct strbuf *list)
{
	int n = 0;

	for (size_t i = 0; i < u->n; i++) {
		const struct unit_mark *mk = &u->v[i].mark;
		if (!u->v[i].marked || mk->mismatches <= 0 || is_quiet(f, mk->crate, mk->metadata))
			continue;
		n += mk->mismatches;
		if (list)
			sb_addf(list, "%s%s %d", list->len ? ", " : "", mk->crate, mk->mismatches);
	}
	return n;
}

int freshness_reached_from_quiet(const struct freshness *f, const struct build_units *u)
{
	return f->nquiet ? freshness_counted_mismatches(f, u, NULL) : 0;
}

bool freshness_quiet_known(const struct freshness *before, const struct freshness *after)
{
	for (size_t i = 0; i < after->ncrates; i++)
		if (state_is_quiet(after->crates[i].state) &&
		    !is_quiet(before, after->crates[i].name, after->crates[i].metadata))
			return false;
	return true;
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
	sb_release(&f->quiet);
	sb_release(&f->defined);
	memset(f, 0, sizeof(*f));
}

/*
 * Of the slots with a stamp for build_dir, one of the workspace identity the
 * build is keyed by (CARGO_PGO_WRAP_WORKSPACE, which the front end sets): a
 * dir built under another one, or with another toolchain, has a stamp in
 * that slot too. Of those, the newest stamp: the one whose decision changed
 * last (a stamp is rewritten when its decision changes, not at every build;
 * storing a profile re-dates its slot's), so a dir switched between two
 * toolchains and back may be read as the other's until it is built.
 */
int slot_of_build_dir(const char *build_dir, struct strbuf *slot_dir)
{
	struct strbuf root = STRBUF_INIT, slots = STRBUF_INIT, err = STRBUF_INIT;
	struct strvec dirs = STRVEC_INIT;
	struct timespec newest = { 0, 0 };
	const char *ws = setting_get(SETTING_WORKSPACE);
	int rc = -1;

	if (cache_root_path(&root, &err) == 0) {
		path_join(&slots, root.buf, "slots");
		list_dir(slots.buf, "", &dirs);
	}
	for (size_t i = 0; i < dirs.n; i++) {
		struct stamp *stamps;
		size_t n;
		stamp_list(dirs.v[i], &stamps, &n);
		for (size_t j = 0; j < n; j++) {
			struct stat st;
			if (strcmp(stamps[j].build_dir, build_dir) != 0 || lstat(stamps[j].path, &st) != 0 ||
			    (ws && !slot_is_of_workspace(dirs.v[i], ws)))
				continue;
			if (rc == 0 && (st.st_mtim.tv_sec < newest.tv_sec ||
					(st.st_mtim.tv_sec == newest.tv_sec && st.st_mtim.tv_nsec <= newest.tv_nsec)))
				continue;
			newest = st.st_mtim;
			sb_reset(slot_dir);
			sb_adds(slot_dir, dirs.v[i]);
			rc = 0;
		}
		stamp_list_release(stamps, n);
	}
	sv_release(&dirs);
	sb_release(&root);
	sb_release(&slots);
	sb_release(&err);
	return rc;
}
