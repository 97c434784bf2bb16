/*
 * merge.c - ingest raw (.profraw) and indexed (.profdata) profiles into the
 * cache (see include/cycle/merge.h). A raw file names the binary that wrote it by
 * build-id; the build-id record names the slot and the code. Files from
 * binaries this cache never built are named and skipped unless --foreign.
 * A result that gives no counts to any crate of the slot is refused: it is
 * the profile of another program, and rustc would apply it silently.
 */
#include "cycle/merge.h"
#include "base/dirlist.h"
#include "base/hash.h"
#include "base/message.h"
#include "base/path.h"
#include "base/safefs.h"
#include "base/settings.h"
#include "base/spawn.h"
#include "base/strbuf.h"
#include "base/tempfile.h"
#include "base/xalloc.h"
#include "store/cache.h"
#include "store/manifest.h"
#include "store/profile.h"
#include "store/provenance.h"
#include "store/report.h"
#include "store/slot.h"
#include "store/split.h"
#include "store/stamp.h"
#include "store/toolchain.h"
#include "store/unitkey.h"
#include "cycle/attribution.h"
#include "cycle/freshness.h"
#include "cycle/llvm.h"
#include "cycle/profdata.h"
#include "cycle/route.h"
#include "cycle/splitter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The full id of the slot --slot names (a prefix), or die. */
static char *resolve_slot(const char *prefix)
{
	struct strbuf slots = STRBUF_INIT, err = STRBUF_INIT;
	struct strvec dirs = STRVEC_INIT;
	char *found = NULL;
	int n = 0;

	if (cache_subdir(&slots, "slots", &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	list_dir(slots.buf, "", &dirs);
	for (size_t i = 0; i < dirs.n; i++) {
		const char *id = path_basename(dirs.v[i]);
		if (strncmp(id, prefix, strlen(prefix)) == 0) {
			n++;
			free(found);
			found = xstrdup(id);
		}
	}
	if (n != 1)
		die(PGOW_EXIT_CONFIG, "%s slot %s in the cache; cargo-pgo-wrap status --all lists them",
		    n ? "more than one" : "no", prefix);
	sv_release(&dirs);
	sb_release(&slots);
	sb_release(&err);
	return found;
}

/* Without provenance, the slot's units as last compiled stand in for the code. */
static void foreign_units(struct group *g, const char *slot_dir, const struct manifest *cur)
{
	if (g->nunits)
		return;
	if (cur) {
		for (size_t i = 0; i < cur->ncrates; i++)
			unit_refs_add(&g->units, &g->nunits, cur->crates[i].name, cur->crates[i].metadata,
				      cur->crates[i].key);
		return;
	}
	struct strvec files = STRVEC_INIT;
	slot_unit_records(slot_dir, &files);
	for (size_t i = 0; i < files.n; i++) {
		struct unit_key k;
		struct strbuf err = STRBUF_INIT;
		if (unitkey_read(&k, files.v[i], &err) == 1)
			unit_refs_add(&g->units, &g->nunits, k.crate, k.metadata, k.key);
		unitkey_release(&k);
		sb_release(&err);
	}
	sv_release(&files);
}

/*
 * Which programs the counts can have come from: the training's, when it names
 * them; added to a profile whose programs are known too, both sets. Counts from
 * a merge by hand or from the field may come from any program.
 */
static void record_programs(struct manifest *m, const struct merge_request *rq, const struct manifest *added_to)
{
	if (!rq->programs || (added_to && !added_to->programs_known))
		return;
	m->programs_known = true;
	sv_pushv(&m->programs, rq->programs->v, rq->programs->n);
	if (added_to)
		sv_pushv(&m->programs, added_to->programs.v, added_to->programs.n);
	sv_sort_unique(&m->programs);
}

/*
 * A unit the profile does not have, whose crate it has under metadata the new
 * counts' programs no longer link, and whose code has changed since: the old
 * unit is gone with it, and would read as stale for ever. Other features
 * leave the old unit's code as it was (both feature sets keep being built,
 * and the profile serves both); two versions linked at once are both in the
 * group and replace nothing.
 */
static bool replaces_a_changed_unit(const char *slot_dir, const struct manifest *cur, const struct group *g,
				    const struct unit_ref *u)
{
	for (size_t i = 0; i < cur->ncrates; i++)
		if (strcmp(cur->crates[i].name, u->crate) == 0 &&
		    !unit_refs_find(g->units, g->nunits, cur->crates[i].name, cur->crates[i].metadata) &&
		    strcmp(freshness_unit_now(slot_dir, &cur->crates[i]), "changed") == 0)
			return true;
	return false;
}

/* Why the current profile cannot be added to (NULL: it can). */
static const char *incompatible(const char *slot_dir, const struct manifest *cur, const struct group *g,
				const struct merge_request *rq, struct strbuf *why)
{
	const char *then = cur->training_id ? cur->training_id : "manual";
	if (rq->training_id && strcmp(then, rq->training_id) != 0 && strcmp(then, "manual") != 0) {
		sb_adds(why, "the training changed");
		return why->buf;
	}
	struct strvec named = STRVEC_INIT;
	for (size_t i = 0; i < g->nunits; i++) {
		const struct manifest_crate *c = manifest_find(cur, g->units[i].crate, g->units[i].metadata);
		bool other = (c && !freshness_same_code(slot_dir, c->name, c->metadata, g->units[i].key, c->key)) ||
			     (!c && replaces_a_changed_unit(slot_dir, cur, g, &g->units[i]));
		if (other && !sv_has(&named, g->units[i].crate)) {
			sb_addf(why, "%s%s", why->len ? ", " : "it was collected against other code: ",
				g->units[i].crate);
			sv_push(&named, g->units[i].crate); /* a lib and its bin: once */
		}
	}
	sv_release(&named);
	return why->len ? why->buf : NULL;
}

/* The rustc the slot's builds used (its identity line): 0, or -1 (err). */
static int read_slot_rustc(const char *slot_dir, struct strbuf *out, struct strbuf *err)
{
	struct slot_info info;

	if (slot_read_info(slot_dir, &info, err) != 0) {
		sb_adds(err, "; rebuild to recreate it");
		return -1;
	}
	sb_adds(out, info.rustc.buf);
	slot_info_release(&info);
	return 0;
}

static void slot_rustc(const char *slot_dir, struct strbuf *out)
{
	struct strbuf err = STRBUF_INIT;

	if (read_slot_rustc(slot_dir, out, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	sb_release(&err);
}

/* A slot's directory (made if need be) and the rustc of its builds: 0, or -1 (err). */
static int open_slot(const char *slot, struct strbuf *slot_dir, struct strbuf *rustc, struct strbuf *err)
{
	struct strbuf sub = STRBUF_INIT;

	sb_addf(&sub, "slots/%s", slot);
	int rc = cache_subdir(slot_dir, sub.buf, err) == 0 && read_slot_rustc(slot_dir->buf, rustc, err) == 0 ? 0 : -1;
	sb_release(&sub);
	return rc;
}

/* The per-crate split, run by the store under the slot lock before the profile becomes current. */
struct split_step {
	struct splitter_input in;
	struct splitter_stats st;
	struct strbuf why;
	int rc;
};

static int split_before_current(void *ctx, struct strbuf *err)
{
	struct split_step *s = ctx;
	struct strbuf e = STRBUF_INIT;

	s->rc = splitter_run(&s->in, &s->st, &s->why, &e);
	/* Not fatal: unsplit, every crate is given the whole profile (and all recompile on a refresh). */
	if (s->rc < 0)
		sb_addf(&s->why, "%s", e.buf);
	/* An older split, or this profile's own under SPLIT=0, must not go on being given to units. */
	int rc = s->rc != 0 ? split_withdraw(s->in.slot_dir, err) : 0;
	sb_release(&e);
	return rc;
}

static void report_split(struct split_step *s)
{
	if (s->rc == 0 && s->st.grouped)
		progress("Split", "per unit: %d file(s), %d rewritten, %d unchanged, one of them shared by %d unit(s) "
			 "that %d or more artifacts list; %ld record(s) of no single unit in each\n", s->st.crates,
			 s->st.rewritten, s->st.crates - s->st.rewritten, s->st.grouped, SPLIT_SHARED_LISTINGS,
			 s->st.shared);
	else if (s->rc == 0)
		progress("Split", "per unit: %d file(s), %d rewritten, %d unchanged; %ld record(s) of no single "
			 "unit in each\n", s->st.crates, s->st.rewritten, s->st.crates - s->st.rewritten, s->st.shared);
	else if (s->rc < 0)
		warn("the profile is not split per crate (%s); every crate gets the whole profile", s->why.buf);
	else if (!strstr(s->why.buf, ENV_SPLIT))
		progress("note:", "the profile is not split per crate: %s\n", s->why.buf);
	sb_release(&s->why);
}

/*
 * What the units of the slot's build dirs said of the last profile (stale,
 * none yet), which cargo would show again, is not said of the new one. After
 * the store, out of its lock: builds of other slots' dirs need not wait.
 */
static void forget_reports_of_slot(const char *slot_dir)
{
	struct stamp *stamps;
	struct freshness f;
	struct strvec still = STRVEC_INIT;
	size_t n;

	/* A crate the stored profile is still stale for keeps its line: the next build would say it again. */
	freshness_predict(&f, slot_dir, NULL, NULL);
	for (size_t i = 0; i < f.ncrates; i++)
		if (freshness_is_stale(&f.crates[i]))
			sv_push(&still, f.crates[i].name);
	stamp_list(slot_dir, &stamps, &n);
	for (size_t i = 0; i < n; i++)
		if (!stamp_generate_dir(&stamps[i]))
			report_forget_replayed(stamps[i].build_dir, stamps[i].build_dir, &still);
	stamp_list_release(stamps, n);
	freshness_release(&f);
	sv_release(&still);
}

/* Raw files once stored (below our own dirs only): merging them again would count them twice. */
static void remove_inputs(const struct merge_request *rq, const struct group *g)
{
	struct strbuf err = STRBUF_INIT;

	for (size_t i = 0; rq->remove_inputs && i < g->raw_paths.n; i++) {
		sb_reset(&err);
		if (safe_unlink(rq->remove_inputs, g->raw_paths.v[i], &err) != 0)
			warn("%s; it is merged already, so remove it before the next build", err.buf);
	}
	sb_release(&err);
}

/* Past this many, the files a profile holds already are said in one line, not one each. */
#define MERGED_BEFORE_NAMED 3

/* Drops inputs the current profile already holds; returns how many are left. */
static size_t drop_merged_before(struct group *g, const struct manifest *cur)
{
	struct strvec inputs = STRVEC_INIT, hashes = STRVEC_INIT, seen_paths = STRVEC_INIT;

	for (size_t i = 0; i < g->inputs.n; i++) {
		bool seen = false;
		for (size_t j = 0; j < cur->inputs.n && !seen && strcmp(g->hashes.v[i], "-") != 0; j++)
			seen = strcmp(cur->inputs.v[j], g->hashes.v[i]) == 0;
		if (seen) {
			sv_push(&seen_paths, strchr(g->inputs.v[i], ',') + 1);
			if (g->raw_count > 0)
				g->raw_count--;
			continue;
		}
		sv_push(&inputs, g->inputs.v[i]);
		sv_push(&hashes, g->hashes.v[i]);
	}
	if (seen_paths.n > MERGED_BEFORE_NAMED)
		warn("skipping %zu files that profile %.12s holds already (a file is merged once), %s among them",
		     seen_paths.n, cur->content_key, seen_paths.v[0]);
	else
		for (size_t i = 0; i < seen_paths.n; i++)
			warn("skipping %s: it is in profile %.12s already (a file is merged once)", seen_paths.v[i],
			     cur->content_key);
	sv_release(&seen_paths);
	sv_release(&g->inputs);
	sv_release(&g->hashes);
	g->inputs = inputs;
	g->hashes = hashes;
	return g->inputs.n;
}

/*
 * Inputs without provenance (--foreign) are each merged alone first and must
 * give counts to the slot's crates: checked on the merged result only, one
 * profile of another program added to a good one (or to the current profile)
 * would pass.
 */
static void check_foreign_inputs(const char *tool, const struct group *g, size_t n, const char *tmp,
				 const struct manifest *m, const char *slot_dir)
{
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT, said = STRBUF_INIT;

	path_join(&text, tmp, "input.proftext");
	for (size_t i = 0; i < n; i++) {
		const char *path = strchr(g->inputs.v[i], ',') + 1;
		struct strvec argv = STRVEC_INIT;
		struct manifest probe;
		unsigned long long counted;
		sv_push(&argv, tool);
		sv_push(&argv, "merge");
		sv_push(&argv, "--text");
		sv_pushf(&argv, "--output=%s", text.buf);
		sv_push(&argv, path);
		int status = profdata_run_logged(argv.v, tmp, &said, &err);
		sv_release(&argv);
		if (status == -1)
			die(PGOW_EXIT_EXEC, "merge: %s", err.buf);
		const char *named = i < g->named.n ? g->named.v[i] : path;
		const char *said_first = profdata_first_error(&said);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			die(PGOW_EXIT_PROFILE, "merge: %s cannot read %s%s%s; the cache is unchanged", tool, named,
			    said_first ? ": " : "", said_first ? said_first : "");
		memset(&probe, 0, sizeof(probe));
		for (size_t c = 0; c < m->ncrates; c++)
			manifest_add_crate(&probe, m->crates[c].name, m->crates[c].metadata, m->crates[c].key);
		bool known = attribution_counts(&probe, slot_dir, text.buf);
		if (known && probe.ncrates && attribution_crates_with_counts(&probe, &counted) == 0 &&
		    !attribution_units_claim_counts(&probe, slot_dir, text.buf))
			die(PGOW_EXIT_PROFILE, "merge: %s gives no counts to any of the %zu crates of slot %.12s: it "
			    "belongs to another program (or its binaries never ran); the cache is unchanged", named,
			    probe.ncrates, g->slot);
		manifest_release(&probe);
	}
	sb_release(&text);
	sb_release(&err);
	sb_release(&said);
}

/*
 * Raw files of another LLVM than rustc's (a C program's, under --foreign):
 * llvm-profdata reads only its own raw format, so each is read by its own
 * LLVM's into an indexed file, which rustc's reads (indexed formats are read
 * by every newer LLVM). Returns the highest raw format left for rustc's.
 */
static uint64_t read_other_llvm_raw(struct group *g, int major, const char *tmp)
{
	uint64_t left = 0, v;

	for (size_t i = 0; i < g->inputs.n; i++) {
		const char *comma = strchr(g->inputs.v[i], ','), *path = comma + 1;
		struct strbuf e = STRBUF_INIT, tool = STRBUF_INIT, version = STRBUF_INIT, out = STRBUF_INIT;
		struct strbuf said = STRBUF_INIT;
		if (llvm_raw_version(path, &v, &e) != 0 || llvm_reads_raw(major, v)) {
			if (!e.len && v > left)
				left = v;
			sb_release(&e);
			continue;
		}
		if (llvm_find_profdata(major, llvm_min_major_for_raw(v), v, &tool, &version, &e) != 0)
			die(PGOW_EXIT_LLVM, "merge: %s is in raw format %ju, which rustc's LLVM %d cannot read: %s",
			    path, (uintmax_t)v, major, e.buf);
		sb_addf(&out, "%s/other-llvm-%zu.profdata", tmp, i);
		char *argv[] = { tool.buf, "merge", "--output", out.buf, (char *)path, NULL };
		int status = profdata_run_logged(argv, tmp, &said, &e);
		if (status == -1)
			die(PGOW_EXIT_EXEC, "merge: %s", e.buf);
		const char *said_first = profdata_first_error(&said);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			die(PGOW_EXIT_PROFILE, "merge: %s cannot read %s%s%s; the cache is unchanged", tool.buf, path,
			    said_first ? ": " : "", said_first ? said_first : "");
		progress("Reading", "%s with %s: raw format %ju, of an older LLVM than rustc's\n", path, tool.buf,
			 (uintmax_t)v);
		for (size_t j = g->named.n; j < g->inputs.n; j++)
			sv_push(&g->named, strchr(g->inputs.v[j], ',') + 1);
		struct strbuf input = STRBUF_INIT;
		sb_addf(&input, "%.*s,%s", (int)(comma - g->inputs.v[i]), g->inputs.v[i], out.buf);
		free(g->inputs.v[i]);
		g->inputs.v[i] = sb_detach(&input);
		sb_release(&e);
		sb_release(&tool);
		sb_release(&version);
		sb_release(&out);
		sb_release(&said);
	}
	return left;
}

/* What merges killed here left (temp dirs, half-written files): their processes are gone. */
static void sweep_killed_merges(const char *slot_dir)
{
	static const char *const dirs[] = { "", "profiles", SPLIT_GENERATIONS, NULL };

	for (const char *const *d = dirs; *d; d++) {
		struct strbuf dir = STRBUF_INIT;
		if (**d)
			path_join(&dir, slot_dir, *d);
		else
			sb_adds(&dir, slot_dir);
		(void)tempfile_sweep_orphans(slot_dir, dir.buf);
		sb_release(&dir);
	}
}

/* Takes an input out of a group (and its hash out of the manifest's list). */
static void drop_input(struct group *g, struct manifest *m, size_t i)
{
	const char *path = strchr(g->inputs.v[i], ',') + 1;
	for (size_t r = 0; r < g->raw_paths.n; r++)
		if (strcmp(g->raw_paths.v[r], path) == 0) {
			sv_remove(&g->raw_paths, r);
			g->raw_count--;
			break;
		}
	for (size_t h = 0; h < m->inputs.n; h++)
		if (strcmp(m->inputs.v[h], g->hashes.v[i]) == 0) {
			sv_remove(&m->inputs, h);
			break;
		}
	sv_remove(&g->inputs, i);
	sv_remove(&g->hashes, i);
}

/*
 * Inputs llvm-profdata could not read though their headers passed ours (a
 * file cut short): named and left out, as the routing skips, or fatal under
 * --strict; the current profile ends the merge, and so does nothing left
 * (a warning for pending files: *none_left, and the build goes on). Returns
 * how many were left out.
 */
static size_t drop_unreadable(const struct merge_request *rq, struct group *g, struct manifest *m,
			      const struct strvec *unreadable, const char *current, bool *none_left)
{
	size_t dropped = 0;

	for (size_t u = 0; u < unreadable->n; u++) {
		const char *tab = strchr(unreadable->v[u], '\t');
		struct strbuf path = STRBUF_INIT;
		sb_add(&path, unreadable->v[u], (size_t)(tab - unreadable->v[u]));
		if (*current && strcmp(path.buf, current) == 0)
			die(PGOW_EXIT_PROFILE, "merge: the current profile %s cannot be read (%s); `merge --replace` "
			    "starts over without it", path.buf, tab + 1);
		if (rq->strict)
			die(PGOW_EXIT_PROFILE, "%s: llvm-profdata cannot read it (%s); remove it, or drop --strict to "
			    "skip it", path.buf, tab + 1);
		struct strbuf why = STRBUF_INIT;
		sb_addf(&why, "%s: llvm-profdata cannot read it (%s)", path.buf, tab + 1);
		/* Only what its bytes are is lasting: not an error of the system's. */
		if (strstr(tab + 1, "malformed") || strstr(tab + 1, "corrupt") || strstr(tab + 1, "truncated") ||
		    strstr(tab + 1, "bad magic") || strstr(tab + 1, "unsupported"))
			merge_request_reject(rq, path.buf, why.buf);
		else
			warn("skipping %s", why.buf);
		sb_release(&why);
		for (size_t i = 0; i < g->inputs.n; i++)
			if (strcmp(strchr(g->inputs.v[i], ',') + 1, path.buf) == 0) {
				drop_input(g, m, i);
				dropped++;
				break;
			}
		sb_release(&path);
	}
	/* What is left to merge besides the current profile (an input when adding to it). */
	*none_left = g->inputs.n == (*current ? 1u : 0u);
	if (*none_left && !rq->lenient)
		die(PGOW_EXIT_PROFILE, "merge: none of the files could be merged (see above); nothing was merged");
	if (*none_left)
		warn("none of the raw profile(s) pending for slot %.12s could be merged (see above); building on",
		     g->slot);
	return dropped;
}

/* The llvm-profdata that reads a group's inputs: its rustc's, or a newer one for a newer raw format. */
static int group_tool(const struct group *g, int major, struct strbuf *tool, struct strbuf *version,
		      struct strbuf *err)
{
	return llvm_find_profdata(major, g->max_raw ? llvm_min_major_for_raw(g->max_raw) : 0, g->max_raw, tool,
				  version, err);
}

/*
 * Called by the routing once the first group has its first raw file: the
 * merge's llvm-profdata start now, and load while the other inputs are
 * routed (about as long, for a thousand files). merge_group uses them if the
 * tool it then finds is the same. Only an attempt: what fails here, merge_group
 * meets again and reports, after the routing has said what it skipped.
 */
static void start_early(struct group *g, void *ctx)
{
	struct strbuf slot_dir = STRBUF_INIT, rustc = STRBUF_INIT, tool = STRBUF_INIT, version = STRBUF_INIT;
	struct strbuf err = STRBUF_INIT;

	(void)ctx;
	if (open_slot(g->slot, &slot_dir, &rustc, &err) == 0 &&
	    group_tool(g, rustc_identity_llvm_major(rustc.buf), &tool, &version, &err) == 0)
		g->early = merge_procs_try(slot_dir.buf, tool.buf);
	sb_release(&slot_dir);
	sb_release(&rustc);
	sb_release(&tool);
	sb_release(&version);
	sb_release(&err);
}

static void merge_group(const struct merge_request *rq, struct group *g, size_t skipped)
{
	struct strbuf slot_dir = STRBUF_INIT, rustc = STRBUF_INIT, err = STRBUF_INIT;
	struct strbuf tool = STRBUF_INIT, tool_version = STRBUF_INIT, tmp = STRBUF_INIT;
	struct strbuf cur_path = STRBUF_INIT, why = STRBUF_INIT;
	struct merge_procs *mp = g->early;
	struct manifest cur, m;

	g->early = NULL;
	if (open_slot(g->slot, &slot_dir, &rustc, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	sweep_killed_merges(slot_dir.buf);
	int major = rustc_identity_llvm_major(rustc.buf);
	if (g->foreign) {
		if (tempdir_create(slot_dir.buf, "merge.", &tmp, &err) != 0)
			die(PGOW_EXIT_CACHE, "merge: %s", err.buf);
		g->max_raw = read_other_llvm_raw(g, major, tmp.buf);
	}
	if (group_tool(g, major, &tool, &tool_version, &err) != 0)
		die(PGOW_EXIT_LLVM, "%s", err.buf);
	if (mp && (g->foreign || strcmp(merge_procs_tool(mp), tool.buf) != 0)) {
		merge_procs_end(mp);
		mp = NULL;
	}

	int have = profile_current(slot_dir.buf, &cur, &cur_path, &err);
	sb_reset(&err);
	bool add = have == 1 && !rq->replace && !incompatible(slot_dir.buf, &cur, g, rq, &why);
	memset(&m, 0, sizeof(m));
	if (g->foreign)
		foreign_units(g, slot_dir.buf, have == 1 ? &cur : NULL);
	for (size_t i = 0; i < rq->build_units.n; i++) {
		struct strvec f = STRVEC_INIT;
		sv_split(&f, rq->build_units.v[i], '\t');
		if (f.n == 4 && strcmp(f.v[0], g->slot) == 0)
			unit_refs_add(&g->units, &g->nunits, f.v[1], f.v[2], f.v[3]);
		sv_release(&f);
	}
	for (size_t i = 0; i < g->nunits; i++)
		manifest_add_crate(&m, g->units[i].crate, g->units[i].metadata, g->units[i].key);
	long prior_raw = 0;
	if (add && drop_merged_before(g, &cur) == 0) {
		progress("Fresh", "nothing new for slot %.12s: every file was merged into profile %.12s already\n",
			 g->slot, cur.content_key);
		remove_inputs(rq, g);
		merge_procs_end(mp);
		goto done;
	}
	for (size_t i = 0; i < g->hashes.n; i++)
		if (strcmp(g->hashes.v[i], "-") != 0)
			sv_push(&m.inputs, g->hashes.v[i]);
	size_t new_inputs = g->inputs.n;
	if (add) {
		sv_pushv(&m.inputs, cur.inputs.v, cur.inputs.n);
		sv_pushf(&g->inputs, "1,%s", cur_path.buf);
		for (size_t i = 0; i < cur.ncrates; i++)
			if (!manifest_find(&m, cur.crates[i].name, cur.crates[i].metadata))
				manifest_add_crate(&m, cur.crates[i].name, cur.crates[i].metadata, cur.crates[i].key);
		prior_raw = cur.raw_files;
	}

	if (g->foreign)
		check_foreign_inputs(tool.buf, g, new_inputs, tmp.buf, &m, slot_dir.buf);
	for (;;) {
		struct strvec unreadable = STRVEC_INIT;
		bool none_left = false;
		if (!mp)
			mp = merge_procs_start(slot_dir.buf, tool.buf);
		if (merge_procs_finish(mp, &g->inputs, &unreadable) == 0)
			break;
		merge_procs_end(mp);
		mp = NULL;
		skipped += drop_unreadable(rq, g, &m, &unreadable, add ? cur_path.buf : "", &none_left);
		sv_release(&unreadable);
		if (none_left)
			goto done;
	}
	const char *out = merge_procs_profdata(mp), *text = merge_procs_text(mp);

	m.slot = xstrdup(g->slot);
	m.created = (long)time(NULL);
	m.rustc = sb_detach(&rustc);
	m.llvm_profdata = sb_detach(&tool_version);
	m.raw_files = g->raw_count + prior_raw;
	m.training_id = xstrdup(rq->training_id ? rq->training_id : "manual");
	record_programs(&m, rq, add ? &cur : NULL);
	if (add && cur.training && rq->training && !strstr(cur.training, rq->training) &&
	    strlen(cur.training) + strlen(rq->training) < 400) {
		/* Added to: both say where the counts came from (the training, then the field). */
		struct strbuf both = STRBUF_INIT;
		sb_addf(&both, "%s; then %s", cur.training, rq->training);
		m.training = sb_detach(&both);
	} else if (add && cur.training)
		m.training = xstrdup(cur.training);
	else if (rq->training)
		m.training = xstrdup(rq->training);
	else
		m.training = xstrdup("merged by hand");
	bool known = attribution_counts(&m, slot_dir.buf, text);
	unsigned long long counted;
	long nonzero = attribution_crates_with_counts(&m, &counted);
	if (known && m.total_counts > 0 && m.ncrates && nonzero == 0 &&
	    !attribution_units_claim_counts(&m, slot_dir.buf, text)) {
		die(PGOW_EXIT_PROFILE, "merge: the profile gives no counts to any of the %zu crates of slot "
		    "%.12s: it belongs to another program (or its binaries never ran); the cache is unchanged",
		    m.ncrates, g->slot);
	}
	if (known && m.total_counts == 0 && m.ncrates) {
		die(PGOW_EXIT_PROFILE, "merge: the profile has no counts at all: the instrumented binaries "
		    "ran no code (or exited before writing); the cache is unchanged");
	}
	profile_content_key(&m, out);
	struct split_step split = { { slot_dir.buf, m.content_key, out, text, tool.buf, &m },
				    { 0, 0, 0, 0 }, STRBUF_INIT, -1 };
	int rc = profile_store(slot_dir.buf, out, &m, split_before_current, &split, &err);
	merge_procs_end(mp);
	if (rc != 0)
		die(PGOW_EXIT_CACHE, "merge: %s", err.buf);
	forget_reports_of_slot(slot_dir.buf);
	remove_inputs(rq, g);
	/* The split attributed the counts anew: what is said below is what the parts hold. */
	nonzero = attribution_crates_with_counts(&m, &counted);
	struct strbuf skip = STRBUF_INIT;
	if (skipped)
		sb_addf(&skip, " (%zu skipped)", skipped);
	if (add)
		progress("Added", "%ld raw profile(s)%s to the profile of slot %.12s, now %.12s with %ld raw "
			 "file(s): %ld of %zu units have counts; `merge --replace` starts over\n", g->raw_count,
			 skip.len ? skip.buf : "", g->slot, m.content_key, m.raw_files, nonzero, m.ncrates);
	else
		progress("Merged", "%ld raw profile(s)%s into %.12s for slot %.12s: %ld of %zu units have counts\n",
			 g->raw_count, skip.len ? skip.buf : "", m.content_key, g->slot, nonzero, m.ncrates);
	if (!add && have == 1 && strcmp(cur.content_key, m.content_key) != 0)
		progress("note:", "replaced profile %.12s (%s)\n", cur.content_key,
			 rq->replace ? (rq->replace_why ? rq->replace_why : "--replace") : why.buf);
	report_split(&split);
	sb_release(&skip);
done:
	if (tmp.len)
		tempdir_remove(tmp.buf);
	if (have == 1)
		manifest_release(&cur);
	manifest_release(&m);
	sb_release(&slot_dir);
	sb_release(&err);
	sb_release(&tool);
	sb_release(&tool_version);
	sb_release(&rustc);
	sb_release(&tmp);
	sb_release(&cur_path);
	sb_release(&why);
}

int merge_run(const struct merge_request *rq)
{
	struct routing p;
	char *slot = rq->slot ? resolve_slot(rq->slot) : NULL;

	if (rq->foreign && !slot)
		die(PGOW_EXIT_CONFIG, "merge: --foreign needs --slot ID (the build configuration the "
		    "profiles are for; cargo-pgo-wrap status lists them)");
	memset(&p, 0, sizeof(p));
	p.first_group = start_early;
	routing_plan(rq, slot, &p);
	if (!p.n && rq->quiet_if_none && p.considered == 0) {
		free(slot);
		return 0;
	}
	if (!p.n && rq->lenient) {
		warn("none of the %zu raw profile(s) in %s could be merged (see above); building on",
		     p.considered, rq->paths.n ? rq->paths.v[0] : "the inputs");
		free(slot);
		return 0;
	}
	if (!p.n) {
		if (p.considered && p.skipped == p.considered)
			die(PGOW_EXIT_PROFILE, "merge: none of the %zu file(s) could be merged (see above); "
			    "nothing was merged", p.considered);
		die(PGOW_EXIT_PROFILE, "merge: no .profraw or .profdata files in %s; run the instrumented "
		    "binaries first", rq->paths.n ? rq->paths.v[0] : "the inputs");
	}
	for (size_t i = 0; i < p.n; i++)
		merge_group(rq, &p.groups[i], i == 0 ? p.skipped : 0);
	int stored = (int)p.n;
	routing_release(&p);
	free(slot);
	return stored;
}

void merge_profdata_tool(const char *slot_dir, struct strbuf *tool)
{
	struct strbuf rustc = STRBUF_INIT, version = STRBUF_INIT, err = STRBUF_INIT;

	slot_rustc(slot_dir, &rustc);
	if (llvm_find_profdata(rustc_identity_llvm_major(rustc.buf), 0, 0, tool, &version, &err) != 0)
		die(PGOW_EXIT_LLVM, "%s", err.buf);
	sb_release(&rustc);
	sb_release(&version);
	sb_release(&err);
}

bool merge_text_form(const char *tool, const char *profdata, const char *text)
{
	struct strvec cmd = STRVEC_INIT;

	sv_push(&cmd, tool);
	sv_push(&cmd, "merge");
	sv_push(&cmd, "--text");
	sv_pushf(&cmd, "--output=%s", text);
	sv_push(&cmd, profdata);
	int status = run_or_die(cmd.v, NULL, NULL);
	sv_release(&cmd);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * A damaged split of the current profile (a part changed or gone) is made
 * again from the stored profile, under the slot lock.
 */
void merge_repair_split(const char *slot_dir)
{
	struct strbuf first = STRBUF_INIT, prof = STRBUF_INIT, err = STRBUF_INIT;
	struct strbuf tool = STRBUF_INIT, tmp = STRBUF_INIT, text = STRBUF_INIT;
	struct manifest m;
	int damaged = 0, lock = -1;

	if (profile_current(slot_dir, &m, &prof, &err) != 1) {
		sb_release(&err);
		sb_release(&prof);
		return;
	}
	damaged = split_damaged(slot_dir, m.content_key, &first);
	if (!damaged || (lock = cache_lock_slot(slot_dir, &err)) < 0)
		goto out;
	merge_profdata_tool(slot_dir, &tool);
	if (tempdir_create(slot_dir, "merge.", &tmp, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	path_join(&text, tmp.buf, "current.proftext");
	struct split_step step = { { slot_dir, m.content_key, prof.buf, text.buf, tool.buf, &m },
				   { 0, 0, 0, 0 }, STRBUF_INIT, -1 };
	if (merge_text_form(tool.buf, prof.buf, text.buf)) {
		progress("Repairing", "%d part(s) of profile %.12s changed since it was split (first: %s)\n",
			 damaged, m.content_key, first.buf);
		(void)split_before_current(&step, &err);
		report_split(&step);
	} else {
		warn("cannot read profile %.12s back to split it again; its damaged parts stay", m.content_key);
		sb_release(&step.why);
	}
	tempdir_remove(tmp.buf);
out:
	if (lock >= 0)
		close(lock);
	manifest_release(&m);
	sb_release(&first);
	sb_release(&prof);
	sb_release(&err);
	sb_release(&tool);
	sb_release(&tmp);
	sb_release(&text);
}

int merge_store_made_elsewhere(const char *slot_dir, const char *profdata, struct manifest *m,
			       struct strbuf *err)
{
	struct strbuf tool = STRBUF_INIT, tmp = STRBUF_INIT, text = STRBUF_INIT;
	int rc = -1;

	merge_profdata_tool(slot_dir, &tool);
	if (tempdir_create(slot_dir, "merge.", &tmp, err) != 0)
		goto out;
	path_join(&text, tmp.buf, "current.proftext");
	struct split_step step = { { slot_dir, m->content_key, profdata, text.buf, tool.buf, m },
				   { 0, 0, 0, 0 }, STRBUF_INIT, -1 };
	if (!merge_text_form(tool.buf, profdata, text.buf)) {
		sb_addf(err, "%s cannot read it", tool.buf);
	} else {
		rc = profile_store(slot_dir, profdata, m, split_before_current, &step, err);
		if (rc == 0) {
			report_split(&step);
			forget_reports_of_slot(slot_dir);
		}
	}
	sb_release(&step.why);
	tempdir_remove(tmp.buf);
out:
	sb_release(&tool);
	sb_release(&tmp);
	sb_release(&text);
	return rc;
}
