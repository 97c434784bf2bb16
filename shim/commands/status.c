/*
 * status.c - `cargo-pgo-wrap status`: for each slot of this workspace, the
 * current profile and whether the crates it was collected against changed
 * since (re-keyed through the stat cache, so this reads only changed files),
 * plus each build dir's decision, the cache size and the tool versions.
 */
#include "base/atomic.h"
#include "base/dirlist.h"
#include "base/message.h"
#include "base/option.h"
#include "base/path.h"
#include "base/settings.h"
#include "base/spawn.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "base/yamldoc.h"
#include "formats/depinfo.h"
#include "store/cache.h"
#include "store/remote.h"
#include "store/slot.h"
#include "store/split.h"
#include "store/unitnames.h"
#include "cycle/bolt.h"
#include "cycle/boltfield.h"
#include "cycle/build.h"
#include "cycle/config.h"
#include "cycle/freshness.h"
#include "cycle/llvm.h"
#include "cycle/travel.h"
#include "cycle/workspace.h"
#include "commands/commands.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct slot_status {
	char *id;
	const char *dir;
	struct strbuf problem;    /* why builds cannot use the slot (another user's, a link...), or empty */
	struct slot_info info;
	struct freshness f;
	struct stamp *stamps;     /* one per build dir built in the slot */
	size_t nstamps;
};

static void load_slot(struct slot_status *s, const char *slot_dir, const char *id, const char *training_id)
{
	struct strbuf err = STRBUF_INIT;

	memset(s, 0, sizeof(*s));
	s->id = xstrdup(id);
	s->dir = slot_dir;
	/* The wrapper refuses such a slot (exit 3): status says so rather than show it as usable. */
	if (check_private_dir(slot_dir, &s->problem) != 0)
		sb_adds(&s->problem, "; builds of this configuration stop with exit 3 until it is removed or fixed");
	if (slot_read_info(slot_dir, &s->info, &err) != 0)
		warn("%s", err.buf);
	sb_release(&err);
	freshness_predict(&s->f, slot_dir, training_id, NULL);
	stamp_list(slot_dir, &s->stamps, &s->nstamps);
}

static void release_slot(struct slot_status *s)
{
	free(s->id);
	sb_release(&s->problem);
	slot_info_release(&s->info);
	freshness_release(&s->f);
	stamp_list_release(s->stamps, s->nstamps);
}

static const char *state_word(const struct slot_status *s)
{
	if (s->f.has_profile < 0)
		return "unusable";
	if (s->f.has_profile == 0)
		return "none";
	return s->f.nstale ? "stale" : "fresh";
}

static void first_line(struct strbuf *out, const char *text)
{
	sb_add(out, text, strcspn(text, "\n"));
}

/*
 * The units of c's crate name that share its figures: a profile that was
 * not split is attributed by the crate its symbols name, so a lib and its
 * bin, or two versions of a crate, show one figure for all (a split one
 * gives each unit its own part's).
 */
static size_t units_sharing_figures(const struct freshness *f, const struct crate_state *c)
{
	size_t n = 0;
	for (size_t i = 0; i < f->ncrates; i++) {
		const struct crate_state *o = &f->crates[i];
		n += strcmp(o->name, c->name) == 0 && o->functions == c->functions && o->covered == c->covered &&
		     o->counts == c->counts;
	}
	return n;
}

/*
 * "lib" or "program", as the first line of the list of functions the unit
 * compiled instrumented says ("lib partial" for an LTO library); "" unknown.
 */
static const char *unit_kind(const struct crate_state *c, const char *slot_dir)
{
	struct strbuf path = STRBUF_INIT, list = STRBUF_INIT;
	const char *kind = "";

	unitnames_path(&path, slot_dir, c->name, c->metadata);
	if (sb_read_file(&list, path.buf) == 0) {
		size_t len = strcspn(list.buf, " \n");
		kind = len == 7 && strncmp(list.buf, "program", 7) == 0 ? "program"
		       : len == 3 && strncmp(list.buf, "lib", 3) == 0 ? "lib" : "";
	}
	sb_release(&path);
	sb_release(&list);
	return kind;
}

static bool name_shared(const struct freshness *f, size_t i)
{
	for (size_t j = 0; j < f->ncrates; j++)
		if (j != i && strcmp(f->crates[j].name, f->crates[i].name) == 0)
			return true;
	return false;
}

/*
 * A unit's name in the table: its crate's, with "(lib)" or "(program)" where
 * a unit of the other kind has that name too (a lib and its bin: rav1e's);
 * two versions of one library keep their name, and their metadata.
 */
static void unit_labels(const struct freshness *f, const char *slot_dir, struct strbuf *labels)
{
	const char **kinds = xcalloc(f->ncrates ? f->ncrates : 1, sizeof(*kinds));

	/* Only where a name is shared: a program's list names every function it linked. */
	for (size_t i = 0; i < f->ncrates; i++)
		kinds[i] = name_shared(f, i) ? unit_kind(&f->crates[i], slot_dir) : "";
	for (size_t i = 0; i < f->ncrates; i++) {
		bool other_kind = false;
		for (size_t j = 0; j < f->ncrates; j++)
			other_kind |= strcmp(f->crates[j].name, f->crates[i].name) == 0 && *kinds[i] && *kinds[j] &&
				      strcmp(kinds[j], kinds[i]) != 0;
		sb_adds(&labels[i], f->crates[i].name);
		if (other_kind)
			sb_addf(&labels[i], " (%s)", kinds[i]);
	}
	free(kinds);
}

static void print_crates(const struct freshness *f, const char *slot_dir)
{
	struct strbuf *labels = xcalloc(f->ncrates ? f->ncrates : 1, sizeof(*labels));
	int width = 20; /* wider for the longest name, so columns stay aligned */
	unit_labels(f, slot_dir, labels);
	for (size_t i = 0; i < f->ncrates; i++)
		if ((int)labels[i].len > width)
			width = (int)labels[i].len;
	if (f->ncrates)
		printf("  %-11s %-*s %-8s  %-8s  %s\n", "units", width, "crate", "metadata", "state", "in the profile");
	for (size_t i = 0; i < f->ncrates; i++) {
		const struct crate_state *c = &f->crates[i];
		size_t same = units_sharing_figures(f, c);
		printf("  %-11s %-*s %.8s  %-8s", "", width, labels[i].buf, c->metadata, c->state);
		if (c->functions >= 0)
			printf("  %ld of %ld functions ran", c->covered, c->functions);
		if (c->counts >= 0 && f->m.total_counts > 0)
			printf(", %.0f%% of counts", 100.0 * (double)c->counts / (double)f->m.total_counts);
		/* The share its edit is weighed by, which the state line gives (freshness.c). */
		if (c->elsewhere > 0 && f->m.total_counts > 0)
			printf(", %.0f%% more in its generics in other units",
			       100.0 * (double)c->elsewhere / (double)f->m.total_counts);
		if (same > 1 && c->functions > 0)
			printf(" (all %zu units named %s together)", same, c->name);
		printf("\n");
	}
	for (size_t i = 0; i < f->ncrates; i++)
		sb_release(&labels[i]);
	free(labels);
}

/* Units of build_dir built without us since our last verified build there (none before one). */
static int units_built_without_us(const char *slot_dir, const char *build_dir)
{
	struct strbuf rec = STRBUF_INIT;
	struct stat since;
	int n = 0;

	freshness_newest_record(slot_dir, build_dir, &rec);
	if (rec.len && stat(rec.buf, &since) == 0)
		n = build_count_unmarked(build_dir, &since.st_mtim);
	sb_release(&rec);
	return n;
}

/* A build dir the slot's stamps name that no longer exists (cargo clean, a deleted target dir). */
static bool build_dir_gone(const char *build_dir)
{
	struct stat st;
	return lstat(build_dir, &st) != 0 && errno == ENOENT;
}

/* Raw profiles waiting in a target dir's default dirs, which the next build merges. */
static void print_pending(const char *target_dir)
{
	struct strbuf state = STRBUF_INIT;

	path_join(&state, target_dir, "pgo-wrap");
	size_t n = count_pending_raw(state.buf);
	if (n)
		printf("\npending       %zu raw profile(s) under %s/raw, which the next `cargo-pgo-wrap build` merges\n",
		       n, state.buf);
	sb_release(&state);
}

/* What the remote store names for the slot, against the local profile. */
static void remote_line(const struct slot_status *s, struct strbuf *out)
{
	struct remote *r = NULL;
	struct strbuf err = STRBUF_INIT, key = STRBUF_INIT;

	if (remote_open(&r, &err) < 0) {
		sb_addf(out, "unusable: %s", err.buf);
	} else if (r) {
		int rc = travel_remote_state(r, s->dir, &key, &err);
		const char *local = s->f.has_profile == 1 ? s->f.m.content_key : NULL;
		if (rc == -2)
			sb_addf(out, "%s: never pushed to or pulled from", remote_display(r));
		else if (rc < 0)
			sb_addf(out, "%s: unreachable (%s)", remote_display(r), err.buf);
		else if (rc == 0)
			sb_addf(out, "%s: no profile for this configuration", remote_display(r));
		else if (local && strcmp(local, key.buf) == 0)
			sb_addf(out, "%s: the same profile", remote_display(r));
		else if (command_held_overlap(s->dir) >= 0)
			sb_addf(out, "%s: profile %.12s; this one is held back by drift (%.2f%% overlap, below "
				"drift-threshold): `cargo-pgo-wrap push` publishes it", remote_display(r), key.buf,
				100 * command_held_overlap(s->dir));
		else
			sb_addf(out, "%s: profile %.12s (`cargo-pgo-wrap pull` fetches it)", remote_display(r), key.buf);
	}
	remote_close(r);
	sb_release(&err);
	sb_release(&key);
}

static void print_remote(const struct slot_status *s)
{
	struct strbuf line = STRBUF_INIT;
	remote_line(s, &line);
	if (line.len)
		printf("  remote      %s\n", line.buf);
	sb_release(&line);
}

/* Slots are named by the target dir, unless CARGO_PGO_WRAP_WORKSPACE names their workspace. */
static const char *workspace_kind(const char *ws)
{
	const char *named = setting_get(SETTING_WORKSPACE);

	return named && strcmp(named, ws) == 0 ? "workspace" : "target dir";
}

/* The crate names of the first units ("<crate>-<metadata>"), then "..." for the rest. */
static void name_some_units(const struct strvec *units, struct strbuf *out)
{
	for (size_t i = 0; i < units->n && i < 3; i++) {
		size_t len = split_unit_crate_len(units->v[i]);
		sb_addf(out, "%s%.*s", i ? ", " : "", (int)(len ? len : strlen(units->v[i])), units->v[i]);
	}
	if (units->n > 3)
		sb_adds(out, ", ...");
}

static void print_human(const struct slot_status *s)
{
	struct strbuf sig = STRBUF_INIT, rustc = STRBUF_INIT;
	const struct freshness *f = &s->f;

	for (const char *p = sb_str(&s->info.signature); *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0)) {
		if (sig.len)
			sb_addch(&sig, ' ');
		sb_add(&sig, p, strcspn(p, "\n"));
	}
	first_line(&rustc, sb_str(&s->info.rustc));
	printf("slot %.12s  target %s  %s\n", s->id, sb_str(&s->info.target), sig.len ? sig.buf : "(default flags)");
	if (s->problem.len)
		printf("  problem     %s\n", s->problem.buf);
	printf("  %-10s  %s\n  rustc       %s\n", workspace_kind(sb_str(&s->info.workspace)),
	       sb_str(&s->info.workspace), rustc.buf);
	if (f->has_profile == 1) {
		long age = (long)time(NULL) - f->m.created;
		printf("  profile     %.12s, %ld min old, %s (%ld raw file(s), %s)\n", f->m.content_key,
		       age / 60, f->m.training ? f->m.training : "?", f->m.raw_files,
		       f->m.llvm_profdata ? f->m.llvm_profdata : "?");
		printf("  state       %s", state_word(s));
		if (f->nstale)
			printf(": %s", f->stale.buf);
		printf("; %zu of %zu units fresh", f->ncrates - (f->nstale - f->training_changed) - f->nquiet, f->ncrates);
		if (f->nquiet)
			printf("; a refresh would give no counts to %s", f->quiet.buf);
		putchar('\n');
		int files = split_count(s->dir, f->m.content_key);
		struct strvec sharing = STRVEC_INIT;
		struct strbuf names = STRBUF_INIT;
		int shared = split_shared_count(s->dir, f->m.content_key, &sharing);
		name_some_units(&sharing, &names);
		if (files >= 0 && shared)
			printf("  split       %d file(s) in %s/split: each unit is given its own part of the profile, "
			       "but %d unit(s) that %d or more artifacts list share one (%s)%s\n", files, s->dir, shared,
			       SPLIT_SHARED_LISTINGS, names.buf,
			       split_wanted() ? "" : " (" ENV_SPLIT "=0 takes it away at the next build or merge)");
		else if (files >= 0)
			printf("  split       %d file(s) in %s/split: each unit is given its own part of the profile%s\n",
			       files, s->dir, split_wanted() ? "" : " (" ENV_SPLIT "=0 takes it away at the next build or merge)");
		else
			printf("  split       no%s: every unit is given the whole profile\n",
			       split_wanted() ? "" : " (" ENV_SPLIT "=0)");
		sv_release(&sharing);
		sb_release(&names);
		print_crates(f, s->dir);
	} else if (f->has_profile == 0) {
		printf("  profile     none\n  state       none\n");
	} else {
		printf("  profile     unusable: %s\n  state       unusable\n", f->err.buf);
	}
	print_remote(s);
	struct strbuf raw = STRBUF_INIT;
	path_join(&raw, s->dir, "raw");
	size_t waiting = count_files(raw.buf, ".profraw");
	if (waiting)
		printf("  pending     %zu raw profile(s) in %s (CARGO_PGO_WRAP_WHEN_NO_PROFILE=instrument), "
		       "which the next `cargo-pgo-wrap build` merges\n", waiting, raw.buf);
	sb_release(&raw);
	struct strvec bolt = STRVEC_INIT;
	bolt_verdicts(s->dir, &bolt);
	for (size_t i = 0; i < bolt.n; i++)
		printf("  %-11s %s\n", i ? "" : "BOLT", bolt.v[i]);
	sv_release(&bolt);
	struct strvec field = STRVEC_INIT;
	boltfield_describe(s->dir, &field);
	for (size_t i = 0; i < field.n; i++)
		printf("  %-11s %s\n", i ? "" : "BOLT field", field.v[i]);
	sv_release(&field);
	for (size_t i = 0; i < s->nstamps; i++) {
		int plain = units_built_without_us(s->dir, s->stamps[i].build_dir);
		printf("  build dir   %s: %s%s\n", s->stamps[i].build_dir, s->stamps[i].decision,
		       build_dir_gone(s->stamps[i].build_dir) ? " (gone since: cargo clean?)" : "");
		if (plain > 0)
			printf("              %d unit(s) built without cargo-pgo-wrap since its last verified "
			       "build; the next `cargo-pgo-wrap build` rebuilds them\n", plain);
	}
	sb_release(&sig);
	sb_release(&rustc);
}

/* key: a sequence of lines. */
static void emit_lines(struct yemit *e, const char *key, const struct strvec *lines)
{
	yemit_scalar(e, key);
	yemit_seq_start(e);
	for (size_t i = 0; i < lines->n; i++)
		yemit_scalar(e, lines->v[i]);
	yemit_end_seq(e);
}

static void emit_slot(struct yemit *e, const struct slot_status *s)
{
	const struct freshness *f = &s->f;

	yemit_map_start(e);
	yemit_kv(e, "slot", s->id);
	yemit_kv(e, "workspace", sb_str(&s->info.workspace));
	yemit_kv(e, "target", sb_str(&s->info.target));
	yemit_kv(e, "signature", sb_str(&s->info.signature));
	yemit_kv(e, "rustc", sb_str(&s->info.rustc));
	yemit_kv(e, "state", state_word(s));
	struct strbuf remote = STRBUF_INIT;
	remote_line(s, &remote);
	if (remote.len)
		yemit_kv(e, "remote", remote.buf);
	sb_release(&remote);
	if (s->problem.len)
		yemit_kv(e, "problem", s->problem.buf);
	if (f->has_profile < 0)
		yemit_kv(e, "error", f->err.buf);
	if (f->has_profile == 1) {
		yemit_kv(e, "profile", f->m.content_key);
		yemit_kv_long(e, "created", f->m.created);
		yemit_kv_long(e, "total-counts", f->m.total_counts);
		yemit_kv(e, "training", f->m.training ? f->m.training : "");
		yemit_kv(e, "training-changed", f->training_changed ? "true" : "false");
		yemit_kv(e, "llvm-profdata", f->m.llvm_profdata ? f->m.llvm_profdata : "");
		yemit_kv_long(e, "split-files", split_count(s->dir, f->m.content_key));
		yemit_kv_long(e, "split-shared-units", split_shared_count(s->dir, f->m.content_key, NULL));
		yemit_scalar(e, "crates");
		yemit_seq_start(e);
		for (size_t i = 0; i < f->ncrates; i++) {
			const struct crate_state *c = &f->crates[i];
			yemit_map_start(e);
			yemit_kv(e, "name", c->name);
			yemit_kv(e, "metadata", c->metadata);
			yemit_kv(e, "state", c->state);
			if (c->counts >= 0)
				yemit_kv_long(e, "counts", c->counts);
			if (c->functions >= 0) {
				yemit_kv_long(e, "functions", c->functions);
				yemit_kv_long(e, "covered", c->covered);
			}
			/* An unsplit profile's figures are per crate name: its units share them. */
			if (c->functions > 0 && units_sharing_figures(f, c) > 1)
				yemit_kv_long(e, "shared-by-units", (long)units_sharing_figures(f, c));
			yemit_end_map(e);
		}
		yemit_end_seq(e);
	}
	yemit_scalar(e, "build-dirs");
	yemit_seq_start(e);
	for (size_t i = 0; i < s->nstamps; i++) {
		yemit_map_start(e);
		yemit_kv(e, "path", s->stamps[i].build_dir);
		yemit_kv(e, "decision", s->stamps[i].decision);
		yemit_kv_long(e, "built-without-us", units_built_without_us(s->dir, s->stamps[i].build_dir));
		yemit_kv(e, "gone", build_dir_gone(s->stamps[i].build_dir) ? "true" : "false");
		yemit_end_map(e);
	}
	yemit_end_seq(e);
	struct strvec bolt = STRVEC_INIT, field = STRVEC_INIT;
	bolt_verdicts(s->dir, &bolt);
	emit_lines(e, "bolt", &bolt);
	boltfield_describe(s->dir, &field);
	emit_lines(e, "bolt-field-samples", &field);
	sv_release(&bolt);
	sv_release(&field);
	struct strbuf raw = STRBUF_INIT;
	path_join(&raw, s->dir, "raw");
	yemit_kv_long(e, "pending-raw-profiles", (long)count_files(raw.buf, ".profraw"));
	sb_release(&raw);
	yemit_end_map(e);
}

/* The slot belongs to this workspace when its recorded workspace is inside it. */
static bool in_workspace(const struct slot_status *s, const char *ws)
{
	return path_is_under(sb_str(&s->info.workspace), ws);
}

/* A slot some build dir of that profile was built in (its stamp names the dir). */
static bool slot_builds_profile(const struct slot_status *s, const char *profile_dir)
{
	for (size_t i = 0; i < s->nstamps; i++)
		if (strcmp(path_basename(s->stamps[i].build_dir), profile_dir) == 0)
			return true;
	return false;
}

static bool slot_in_workspace(const char *slot_dir, const char *ws)
{
	struct slot_status s;
	struct strbuf err = STRBUF_INIT;

	memset(&s, 0, sizeof(s));
	bool in = slot_read_info(slot_dir, &s.info, &err) == 0 && in_workspace(&s, ws);
	slot_info_release(&s.info);
	sb_release(&err);
	return in;
}

static void tool_versions(struct strbuf *rustc, struct strbuf *profdata)
{
	struct strbuf out = STRBUF_INIT, path = STRBUF_INIT, ver = STRBUF_INIT, err = STRBUF_INIT;
	char *argv[] = { "rustc", "-vV", NULL };

	if (run_capture(argv, &out, NULL) == 0) {
		first_line(rustc, out.buf);
		const char *llvm = strstr(out.buf, "LLVM version: ");
		if (llvm) {
			int major = atoi(llvm + 14);
			if (llvm_find_profdata(major, 19, 10, &path, &ver, &err) == 0)
				sb_addf(profdata, "%s (%s)", path.buf, ver.buf);
			else
				sb_adds(profdata, err.buf);
		}
	} else {
		sb_adds(rustc, "not found on PATH");
	}
	if (!profdata->len)
		sb_adds(profdata, "unknown");
	sb_release(&out);
	sb_release(&path);
	sb_release(&ver);
	sb_release(&err);
}

/* The slots' workspace identity (the target dir) and the configured training. */
static void this_workspace(const char *manifest, const char *target_dir, const char *pgo_config,
			   struct strbuf *ws, char **training_id)
{
	struct strvec args = STRVEC_INIT;
	struct workspace w;
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	const char *cargo = env_get("CARGO") ? env_get("CARGO") : "cargo";

	/* The variable names the workspace for the wrapper; no cargo project is needed to find its slots. */
	if (setting_get(SETTING_WORKSPACE) && !manifest) {
		sb_adds(ws, setting_get(SETTING_WORKSPACE));
		return;
	}
	if (manifest)
		sv_pushf(&args, "--manifest-path=%s", manifest);
	if (target_dir)
		sv_pushf(&args, "--target-dir=%s", target_dir);
	workspace_locate(&w, cargo, &args);
	/* The wrapper names the workspace by this variable when set, else by the target dir. */
	sb_adds(ws, setting_get(SETTING_WORKSPACE) ? setting_get(SETTING_WORKSPACE) : w.target_dir.buf);
	if (config_load(&cfg, pgo_config, w.root.buf, &err) != 0)
		warn("%s; whether the training changed is not checked", err.buf);
	else
		*training_id = config_training_id(&cfg);
	config_release(&cfg);
	workspace_release(&w);
	sv_release(&args);
	sb_release(&err);
}

int cmd_status(int argc, char **argv)
{
	bool yaml = false, all = false;
	const char *manifest = NULL, *pgo_config = NULL, *target_dir = NULL, *profile_dir = NULL, *v;
	char *training_id = NULL;
	struct strbuf root = STRBUF_INIT, err = STRBUF_INIT, ws = STRBUF_INIT, slots = STRBUF_INIT;

	for (int i = 1; i < argc; i++) {
		if (option_take(argc, argv, &i, "--format", &v)) {
			if (strcmp(v, "yaml") != 0 && strcmp(v, "human") != 0)
				die(PGOW_EXIT_CONFIG, "status: --format is human or yaml, not '%s'", v);
			yaml = strcmp(v, "yaml") == 0;
		} else if (option_take(argc, argv, &i, "--manifest-path", &v)) {
			manifest = v;
		} else if (option_take(argc, argv, &i, "--pgo-config", &v)) {
			pgo_config = v;
		} else if (option_take(argc, argv, &i, "--target-dir", &v)) {
			target_dir = v;
		} else if (option_take(argc, argv, &i, "--profile", &v)) {
			profile_dir = cargo_profile_dir(v);
		} else if (strcmp(argv[i], "--release") == 0 || strcmp(argv[i], "-r") == 0) {
			profile_dir = "release";
		} else if (strcmp(argv[i], "--all") == 0) {
			all = true;
		} else {
			command_usage_error("status", "unknown argument %s", argv[i]);
		}
	}
	if (cache_root(&root, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	if (!all)
		this_workspace(manifest, target_dir, pgo_config, &ws, &training_id);
	struct strbuf rustc = STRBUF_INIT, profdata = STRBUF_INIT;
	tool_versions(&rustc, &profdata);
	long long bytes = tree_bytes(root.buf);
	struct yemit e;
	struct strbuf out = STRBUF_INIT;
	if (yaml) {
		yemit_begin(&e, &out);
		yemit_map_start(&e);
		yemit_kv(&e, "cache", root.buf);
		yemit_kv_long(&e, "cache-bytes", (long)bytes);
		yemit_kv(&e, "rustc", rustc.buf);
		yemit_kv(&e, "llvm-profdata", profdata.buf);
		yemit_scalar(&e, "slots");
		yemit_seq_start(&e);
	} else {
		printf("cache         %s (%.1f %s)\nrustc         %s\nllvm-profdata %s\n", root.buf,
		       bytes < 1024 * 1024 ? (double)bytes / 1024.0 : (double)bytes / (1024.0 * 1024.0),
		       bytes < 1024 * 1024 ? "KiB" : "MiB", rustc.buf, profdata.buf);
	}
	if (cache_subdir(&slots, "slots", &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	struct strvec dirs = STRVEC_INIT;
	size_t shown = 0;
	list_dir(slots.buf, "", &dirs);
	for (size_t i = 0; i < dirs.n; i++) {
		struct slot_status s;
		if (!all && !slot_in_workspace(dirs.v[i], ws.buf))
			continue; /* not re-keyed: another workspace's sources are none of our business */
		load_slot(&s, dirs.v[i], path_basename(dirs.v[i]), training_id);
		if ((all || in_workspace(&s, ws.buf)) && (!profile_dir || slot_builds_profile(&s, profile_dir))) {
			shown++;
			if (yaml) {
				emit_slot(&e, &s);
			} else {
				printf("\n");
				print_human(&s);
			}
		}
		release_slot(&s);
	}
	sv_release(&dirs);
	if (yaml) {
		yemit_end_seq(&e);
		if (!all) {
			struct strbuf state = STRBUF_INIT;
			path_join(&state, ws.buf, "pgo-wrap");
			yemit_kv_long(&e, "pending-raw-profiles", (long)count_pending_raw(state.buf));
			sb_release(&state);
		}
		yemit_end_map(&e);
		if (yemit_finish(&e, &err) != 0)
			die(PGOW_EXIT_INTERNAL, "%s", err.buf);
		fputs(out.buf, stdout);
	} else if (!shown && profile_dir) {
		printf("\nno cached profile or build record for builds in %s dirs%s%s (status without --release "
		       "or --profile shows the slots of every cargo profile)\n", profile_dir, all ? "" : " of ", all ? "" : ws.buf);
	} else if (!shown) {
		printf("\nno cached profile or build record for %s %s (status --all shows every slot)\n",
		       workspace_kind(ws.buf), ws.buf);
	}
	if (!yaml && !all)
		print_pending(ws.buf);
	sb_release(&out);
	sb_release(&root);
	sb_release(&err);
	sb_release(&ws);
	sb_release(&slots);
	sb_release(&rustc);
	sb_release(&profdata);
	free(training_id);
	return 0;
}
