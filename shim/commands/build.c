/*
 * build.c - `build`, `instrument` and `train`: the PGO cycle around the
 * user's own cargo arguments. With a fresh profile `build` is one optimised
 * build. Otherwise it instruments into <target>/pgo-wrap/instrumented
 * (never clobbering the user's artifacts), trains, merges into the cache
 * and builds optimised. Raw profiles that instrumented binaries left in
 * their default dir are merged first, never thrown away.
 */
#include "base/dirlist.h"
#include "base/message.h"
#include "base/path.h"
#include "base/safefs.h"
#include "base/settings.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "store/buildlease.h"
#include "store/cache.h"
#include "store/split.h"
#include "store/profile.h"
#include "store/remote.h"
#include "store/report.h"
#include "store/slot.h"
#include "cycle/bolt.h"
#include "cycle/build.h"
#include "cycle/freshness.h"
#include "cycle/merge.h"
#include "cycle/pinlock.h"
#include "cycle/placeholders.h"
#include "cycle/train.h"
#include "cycle/travel.h"
#include "cycle/fleet.h"
#include "commands/commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum plan { PLAN_USE, PLAN_REFRESH, PLAN_PLAIN };

/*
 * `instrument`, run the binaries, `build`: what instrumented binaries wrote
 * into their default dir (and the manual/ dir the notes point at) is merged
 * before anything is decided, then removed.
 */
static void merge_pending(const char *dir1, const char *dir2, const char *base)
{
	struct merge_request rq;
	struct strbuf rejects = STRBUF_INIT;
	size_t n = count_files(dir1, ".profraw") + (dir2 ? count_files(dir2, ".profraw") : 0);

	if (!n)
		return;
	progress("Merging", "%zu raw profile(s) that instrumented binaries wrote to %s\n", n, dir1);
	memset(&rq, 0, sizeof(rq));
	rq.training = "runs of the instrumented binaries";
	rq.remove_inputs = base;
	path_join(&rejects, dir1, "rejected");
	rq.reject_dir = rejects.buf;
	rq.quiet_if_none = true;
	rq.lenient = true;
	merge_request_add_input(&rq, dir1, 0);
	if (dir2)
		merge_request_add_input(&rq, dir2, 0);
	merge_run(&rq);
	merge_request_release(&rq);
	sb_release(&rejects);
}

static void ingest_pending(const struct build *b)
{
	struct strbuf manual = STRBUF_INIT, slot = STRBUF_INIT, raw = STRBUF_INIT, root = STRBUF_INIT, err = STRBUF_INIT;

	path_join(&manual, b->raw_dir.buf, "manual");
	merge_pending(b->raw_dir.buf, manual.buf, b->ws.target_dir.buf);
	/* CARGO_PGO_WRAP_WHEN_NO_PROFILE=instrument builds write into the slot's own raw dir. */
	if (slot_of_build_dir(b->ws.build_dir.buf, &slot) == 0 && cache_root(&root, &err) == 0 &&
	    !cache_is_readonly()) {
		path_join(&raw, slot.buf, "raw");
		merge_pending(raw.buf, NULL, root.buf);
	}
	sb_release(&manual);
	sb_release(&slot);
	sb_release(&raw);
	sb_release(&root);
	sb_release(&err);
}

static enum plan decide(const struct build *b, const struct freshness *f)
{
	/* The wrapper's override means one thing for build: no PGO, said once, not ignored. */
	if (setting_is(SETTING_MODE, "off")) {
		progress("note:", "building without PGO (%s=off)\n", ENV_MODE);
		return PLAN_PLAIN;
	}
	if (setting_get(SETTING_MODE))
		die(PGOW_EXIT_CONFIG, "%s=%s is for RUSTC_WRAPPER builds; `build` decides per unit itself: "
		    "unset it (or set it to off for a plain build)", ENV_MODE, setting_get(SETTING_MODE));
	if (f->has_profile != 1) {
		if (f->has_profile < 0)
			progress("warning:", "the cached profile is unusable (%s): collecting a new one\n", f->err.buf);
		else
			progress("Collecting", "a profile for %s (none yet)\n", b->ws.build_dir.buf);
		return PLAN_REFRESH;
	}
	if (!f->nstale || f->stale_share < b->cfg.stale_threshold) {
		struct strbuf quiet = STRBUF_INIT;
		if (f->nquiet)
			sb_addf(&quiet, "; a refresh would give no counts to %s", f->quiet.buf);
		if (f->nstale)
			progress("Fresh", "profile %.12s: %zu unit(s) unchanged, %zu stale under the "
				 "stale-threshold (%s)%s\n", f->m.content_key, f->ncrates - f->nstale - f->nquiet,
				 f->nstale, f->stale.buf, sb_str(&quiet));
		else
			progress("Fresh", "profile %.12s: %zu unit(s) unchanged since it was collected%s\n",
				 f->m.content_key, f->ncrates - f->nquiet, sb_str(&quiet));
		sb_release(&quiet);
		if (b->cfg.nruns && f->m.training_id && strcmp(f->m.training_id, "manual") == 0)
			progress("note:", "profile %.12s was merged by hand; the training in %s does not run while "
				 "it is fresh (`cargo-pgo-wrap train` runs it)\n", f->m.content_key, b->cfg.path);
		return PLAN_USE;
	}
	progress("Stale", "profile %.12s: %s\n", f->m.content_key, f->stale.buf);
	switch (b->cfg.stale_policy) {
	case STALE_REFRESH:
		if (b->pinned) {
			progress("note:", "using it anyway: %s pins it (`cargo-pgo-wrap pin` moves the pin)\n",
				 PINLOCK_NAME);
			return PLAN_USE;
		}
		return PLAN_REFRESH;
	case STALE_USE:
		progress("note:", "using it anyway (stale-policy: use-stale)\n");
		return PLAN_USE;
	case STALE_PLAIN:
		progress("note:", "building without PGO (stale-policy: plain)\n");
		return PLAN_PLAIN;
	case STALE_ERROR:
		break;
	}
	die(PGOW_EXIT_STALE, "the profile is stale (%s); refresh it with stale-policy: refresh, "
	    "or `cargo-pgo-wrap merge` new profiles", f->stale.buf);
}

static void print_manual_training(const struct build *b)
{
	progress("note:",
		"no training is configured (add `training:` to %s/pgo-wrap.yaml).\n"
		"             Instrumented binaries are in %s; run your workload with them.\n"
		"             Their profiles go to %s, and the next\n"
		"             `cargo-pgo-wrap build` merges them (or run `cargo-pgo-wrap merge %s`).\n",
		b->ws.root.buf, b->instr_bin_dir.buf, b->raw_dir.buf, b->raw_dir.buf);
}

/*
 * The configured training against the instrumented binaries, merged into the
 * cache. A refresh adds to the current profile when the code it shares still
 * matches (a build with other features then covers both feature sets), and
 * replaces it otherwise; `train` (replace) always starts over.
 */
static void train_and_merge(struct build *b, const struct build_units *instrumented, bool replace)
{
	struct strbuf err = STRBUF_INIT, detail = STRBUF_INIT, train_dir = STRBUF_INIT;
	struct strvec weighted = STRVEC_INIT;
	struct merge_request rq;

	path_join(&train_dir, b->raw_dir.buf, "train");
	/* Only our own training output is cleared; pending raw files were merged first. */
	if (safe_remove_tree(b->ws.target_dir.buf, train_dir.buf, &err) != 0 ||
	    safe_mkdirs(b->ws.target_dir.buf, train_dir.buf, 0700, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s", err.buf);
	struct strbuf log = STRBUF_INIT;
	path_join(&log, b->state_dir.buf, "training.log");
	if (safe_unlink(b->ws.target_dir.buf, log.buf, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s", err.buf);
	struct train_paths paths = { b->instr_bin_dir.buf, b->instr_dir.buf, train_dir.buf, b->ws.root.buf,
				     /* -v is for cargo's reasons (Dirty lines); the training's output, often large, only with -vv. */
				     log.buf, cargo_flag(&b->cargo_args, "-vv", NULL), NULL, NULL, NULL };
	sb_addf(&detail, "%zu training run(s) from %s", b->cfg.nruns, b->cfg.path);
	build_step(b, "Training", detail.buf);
	if (train_run_all(&b->cfg, &paths, &weighted, &err) != 0)
		die(PGOW_EXIT_TRAINING, "%s", err.buf);
	if (!weighted.n)
		die(PGOW_EXIT_TRAINING, "the training wrote no profile at all; check that it runs the "
		    "instrumented binaries ({bin:NAME}) from %s", b->instr_bin_dir.buf);
	build_step(b, "Merging", "profiles into the cache");
	memset(&rq, 0, sizeof(rq));
	rq.training = detail.buf;
	rq.training_id = b->training_id;
	struct strvec programs = STRVEC_INIT;
	if (config_trained_programs(&b->cfg, &programs))
		rq.programs = &programs;
	rq.replace = replace;
	rq.replace_why = "`train` starts over";
	rq.remove_inputs = b->ws.target_dir.buf;
	for (size_t i = 0; instrumented && i < instrumented->n; i++) {
		const struct unit_mark *mk = &instrumented->v[i].mark;
		if (instrumented->v[i].marked && strcmp(mk->action, "generate") == 0)
			sv_pushf(&rq.build_units, "%s\t%s\t%s\t%s", mk->slot, mk->crate, mk->metadata, mk->key);
	}
	for (size_t i = 0; i < weighted.n; i++) {
		char *comma = strchr(weighted.v[i], ',');
		merge_request_add_input(&rq, comma + 1, strtol(weighted.v[i], NULL, 10));
	}
	merge_run(&rq);
	merge_request_release(&rq);
	sv_release(&programs);
	sv_release(&weighted);
	sb_release(&err);
	sb_release(&detail);
	sb_release(&train_dir);
	sb_release(&log);
}

/*
 * cargo's dev and test profiles have opt-level 0, which cannot be
 * instrumented: say so before a whole debug build, unless the workspace
 * (Cargo.toml or CARGO_PROFILE_DEV_OPT_LEVEL) raised it.
 */
static void refuse_unoptimised_profile(const struct build *b)
{
	struct strbuf manifest = STRBUF_INIT, text = STRBUF_INIT;

	if (strcmp(b->ws.profile, "dev") != 0 && strcmp(b->ws.profile, "test") != 0)
		return;
	if (env_get("CARGO_PROFILE_DEV_OPT_LEVEL") || env_get("CARGO_PROFILE_TEST_OPT_LEVEL"))
		return;
	path_join(&manifest, b->ws.root.buf, "Cargo.toml");
	bool raised = false;
	if (sb_read_file(&text, manifest.buf) == 0) {
		const char *sec = strstr(text.buf, "[profile.dev]");
		if (!sec)
			sec = strstr(text.buf, "[profile.test]");
		const char *next = sec ? strstr(sec + 1, "\n[") : NULL;
		const char *opt = sec ? strstr(sec, "opt-level") : NULL;
		const char *val = opt ? opt + strcspn(opt, "=\n") : NULL;
		if (val && *val == '=')
			val += 1 + strspn(val + 1, " \t\"'");
		raised = opt && (!next || opt < next) && val && *val != '0';
	}
	sb_release(&manifest);
	sb_release(&text);
	if (!raised)
		die(PGOW_EXIT_CONFIG, "the %s profile has opt-level 0, which cannot be instrumented; build "
		    "with --release (or a profile with opt-level above 0)", b->ws.profile);
}

/*
 * The training must run programs of this build: an older {bin:NAME} left in
 * the dir would yield a profile of other code, stale the moment it is stored.
 * The instrumented build asks for them (add_training_bins), so only arguments
 * that leave one out anyway (--exclude, a feature it requires) get here.
 */
static void require_training_bins(const struct build *b, const struct build_units *u)
{
	for (size_t i = 0; i < b->cfg.bins.n; i++) {
		const char *tab = strchr(b->cfg.bins.v[i], '\t');
		size_t len = (size_t)(tab - b->cfg.bins.v[i]);
		bool built = false;
		for (size_t j = 0; j < u->n && !built; j++) {
			const char *exe = u->v[j].executable;
			const char *base = exe ? path_basename(exe) : "";
			built = exe && strlen(base) == len && strncmp(base, b->cfg.bins.v[i], len) == 0;
		}
		if (!built)
			die(PGOW_EXIT_CONFIG, "%s: the training runs {bin:%.*s}, which this build leaves out "
			    "(--exclude, or a feature it requires): build with arguments that include it",
			    tab + 1, (int)len, b->cfg.bins.v[i]);
	}
}

/* Whether one of the build's programs is the file at path. */
static bool built_now(const struct build_units *u, const char *path)
{
	for (size_t j = 0; j < u->n; j++)
		if (same_file(u->v[j].executable, path))
			return true;
	return false;
}

/*
 * A program a run names by its path in the instrumented dir ({target_dir}/
 * release/examples/NAME) must be one this build built: one an earlier build
 * left there (a build without --examples) has the old code, and its counts
 * would make the new profile stale the moment it is stored, every refresh
 * again. Only run: entries: what a shell: line runs is the shell's to know.
 */
static void require_programs_of_this_build(const struct build *b, const struct build_units *u)
{
	const struct placeholder_values values = { b->instr_bin_dir.buf, b->instr_dir.buf, "", b->ws.root.buf };
	char *instr = realpath(b->instr_dir.buf, NULL);

	for (size_t i = 0; instr && i < b->cfg.nruns; i++) {
		const struct training_run *r = &b->cfg.runs[i];
		struct strbuf prog = STRBUF_INIT, path = STRBUF_INIT, err = STRBUF_INIT;
		if (r->argv.n && placeholder_expand(r->argv.v[0], &values, false, &prog, &err) == 0 &&
		    strchr(prog.buf, '/')) {
			if (prog.buf[0] != '/')
				path_join(&path, b->ws.root.buf, prog.buf);
			else
				sb_adds(&path, prog.buf);
			char *real = realpath(path.buf, NULL);
			if (real && path_is_under(real, instr) && !built_now(u, real))
				die(PGOW_EXIT_CONFIG, "%s: the training runs %s, which this build did not build: an "
				    "earlier build left it, with other code, so its counts would make the profile stale "
				    "again; build it too (e.g. --examples, or --example NAME), or run a program this "
				    "build makes ({bin:NAME})", r->where, prog.buf);
			free(real);
		}
		sb_release(&prog);
		sb_release(&path);
		sb_release(&err);
	}
	free(instr);
}

/* Instrumented build, then training and merge; true when a new profile was stored. */
static bool refresh(struct build *b)
{
	struct strbuf err = STRBUF_INIT, detail = STRBUF_INIT;
	struct build_units u;
	struct verified v;

	sb_addf(&detail, "instrumented binaries into %s", b->instr_dir.buf);
	build_step(b, "Building", detail.buf);
	if (safe_mkdirs(b->ws.target_dir.buf, b->state_dir.buf, 0755, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s", err.buf);
	b->optimised_follows = true;
	build_run(b, true, "generate", &u);
	b->optimised_follows = false;
	build_verify(b, &u, true, "generate", &v);
	if (!v.generate)
		die(PGOW_EXIT_CONFIG, "nothing was instrumented in %s (%s); the %s profile must have an "
		    "opt-level above 0 (check CARGO_PROFILE_*_OPT_LEVEL, --config, [profile.%s])",
		    b->instr_bin_dir.buf, v.skipped_why.len ? v.skipped_why.buf : "no unit of target code",
		    b->ws.profile, b->ws.profile);
	verified_release(&v);
	require_training_bins(b, &u);
	require_programs_of_this_build(b, &u);
	bool stored = b->cfg.nruns > 0;
	if (stored)
		train_and_merge(b, &u, false);
	else
		print_manual_training(b);
	build_units_release(&u);
	sb_release(&err);
	sb_release(&detail);
	return stored;
}

/* What the C/C++ code of build scripts got: verified like the Rust units. */
static void summary_c(const struct build *b, const struct verified *v, const struct freshness *after)
{
	int stale = 0;
	for (size_t i = 0; after && i < after->ncrates; i++)
		stale += strncmp(after->crates[i].name, "c:", 2) == 0 && strcmp(after->crates[i].state, "fresh") != 0;
	if (v->c.units)
		progress("PGO", "C/C++ code of %s: %d object(s) from %d build script(s) carry it too%s\n",
			 v->c.packages.buf, v->c.objects, v->c.units,
			 stale ? " (its sources changed since the profile: stale)" : "");
	if (v->c.plain && !b->cc.enabled)
		progress("note:", "the C/C++ code of %s was built without PGO: %s\n", v->c.plain_names.buf,
			 b->cc.why_not.buf);
	else if (v->c.plain)
		progress("note:", "the C/C++ code of %s was built without PGO: its build script does not "
			 "compile through cc's CC/CXX\n", v->c.plain_names.buf);
	if (v->c.foreign_objects)
		progress("note:", "%d object(s) of the C/C++ code of %s were built without PGO: its build script "
			 "compiles them without cc's CC/CXX\n", v->c.foreign_objects, v->c.partial_names.buf);
}

static void summary(const struct build *b, const struct verified *v, const struct freshness *after,
		    const struct build_units *u)
{
	int with = v->use + v->stale;
	/*
	 * A reused unit keeps the mark of its compile: "stale" under the profile
	 * then, maybe fresh under the one a refresh stored since (its part the same).
	 */
	int stale = after->has_profile == 1 ? (int)(after->nstale - after->training_changed) : v->stale;
	struct strbuf mismatched = STRBUF_INIT;
	int mismatches = after->has_profile == 1 ? freshness_counted_mismatches(after, u, &mismatched) : v->mismatches;
	if (after->has_profile != 1)
		sb_adds(&mismatched, sb_str(&v->mismatched));

	if (with) {
		progress("PGO", "%d unit(s) of %s carry profile %.12s (%d compiled now, %d reused); "
			 "%d stale, %d plain, %d skipped%s%s%s\n", with, b->ws.build_dir.buf,
			 after->has_profile == 1 ? after->m.content_key : path_basename(v->profile.buf),
			 v->compiled, with - v->compiled, stale, v->plain, v->skipped,
			 v->skipped_why.len ? " (" : "", sb_str(&v->skipped_why), v->skipped_why.len ? ")" : "");
	} else if (!v->plain && strcmp(sb_str(&v->skipped_why), "opt-level-0") == 0) {
		die(PGOW_EXIT_CONFIG, "every unit of %s was built with opt-level 0, which PGO cannot use: "
		    "the %s profile is set so (CARGO_PROFILE_*_OPT_LEVEL, --config, or [profile.%s] in "
		    "Cargo.toml or .cargo/config.toml); raise its opt-level", b->ws.build_dir.buf,
		    b->ws.profile, b->ws.profile);
	} else {
		/* Said as a note when the user chose it, as a warning when not. */
		progress(b->plain_asked ? "note:" : "warning:", "NO unit of %s was built with a profile (%d plain, "
			 "%d skipped%s%s): PGO was not applied%s\n", b->ws.build_dir.buf, v->plain, v->skipped,
			 v->skipped_why.len ? ": " : "", sb_str(&v->skipped_why), b->plain_asked ? ", as asked" : "");
	}
	summary_c(b, v, after);
	if (mismatches)
		progress("Stale", "%d function(s) changed since the profile was collected and got no "
			 "counts: %s\n", mismatches, mismatched.buf);
	sb_release(&mismatched);
	if (v->unverified)
		progress("warning:", "%d unit(s) could not be verified (no dep-info found); they are not "
			 "counted above\n", v->unverified);
	if (after->has_profile == 1 && after->nstale && with)
		progress("note:", "profile %.12s is stale for this build: %s\n", after->m.content_key, after->stale.buf);
}

/* Makes the build dir's stamp name the decision about to be used, so cargo rebuilds what differs. */
static void point_stamp(const struct build *b, const char *slot_dir, const char *decision)
{
	struct strbuf err = STRBUF_INIT;

	if (stamp_point_at(slot_dir, b->ws.build_dir.buf, decision, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	sb_release(&err);
}

/* CARGO_PGO_WRAP_SPLIT=0 asks for the profile whole: a split stored before goes, as a merge under it takes it. */
static void withdraw_unwanted_split(const char *slot_dir)
{
	struct strbuf err = STRBUF_INIT;

	if (split_wanted() || !split_exists(slot_dir))
		return;
	int lock = cache_lock_slot(slot_dir, &err);
	if (lock < 0 || split_withdraw(slot_dir, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s=0: %s", ENV_SPLIT, err.buf);
	close(lock);
	progress("note:", "%s=0: the profile's split is taken away; every unit is given the whole profile, "
		 "with the setting or without, until a profile is stored without it\n", ENV_SPLIT);
	sb_release(&err);
}

static void point_build_dir(const struct build *b, const char *slot_dir, bool plain)
{
	struct strbuf prof = STRBUF_INIT, index = STRBUF_INIT, err = STRBUF_INIT, id = STRBUF_INIT;

	if (plain) {
		sb_adds(&id, "off");
	} else {
		withdraw_unwanted_split(slot_dir);
		if (profile_current_index(slot_dir, &prof, &index, &err) == 1)
			profile_use_decision(slot_dir, prof.buf, &id);
	}
	if (id.len)
		point_stamp(b, slot_dir, id.buf);
	sb_release(&prof);
	sb_release(&index);
	sb_release(&err);
	sb_release(&id);
}

/*
 * Whether a plain cargo build left units in the build dir since our last
 * verified build there (or at all, before one): verification rebuilds them,
 * and cargo would first replay their warnings. A heuristic: a unit a plain
 * build left before that record, outside the build it verified (another
 * --example), is not seen, and its warnings may show twice.
 */
static bool plain_units_left(const struct build *b, const char *slot_dir)
{
	struct strbuf rec = STRBUF_INIT;
	struct stat since;

	freshness_newest_record(slot_dir, b->ws.build_dir.buf, &rec);
	bool recorded = rec.len && stat(rec.buf, &since) == 0;
	sb_release(&rec);
	return build_count_unmarked(b->ws.build_dir.buf, recorded ? &since.st_mtim : NULL) > 0;
}

/*
 * The optimised build, verified; fills the freshness of the units it used.
 * Returns true when they were built in another slot than the one planned
 * for: the build's settings (codegen-units, target-cpu, ...) are not those
 * of the last build in this dir, which only the wrapper can tell.
 */
static bool optimise(struct build *b, bool plain, struct build_units *u, struct verified *v,
		     struct freshness *after)
{
	struct strbuf slot = STRBUF_INIT;
	const char *mode = plain ? "off" : NULL;

	/*
	 * A first build in this dir takes the slot a refresh stamped; its stamp is
	 * made now, so build scripts that compile C list it from the start.
	 */
	if (slot_of_build_dir(b->ws.build_dir.buf, &slot) == 0 ||
	    slot_of_build_dir(b->instr_bin_dir.buf, &slot) == 0)
		point_build_dir(b, slot.buf, plain);
	/*
	 * Leased from planning to verification: gc leaves the slot (and the
	 * profile the units are given) alone until the build is checked.
	 */
	int lease = slot.len ? cache_lease_slot(slot.buf) : -1;
	struct strbuf prof = STRBUF_INIT, index = STRBUF_INIT, err = STRBUF_INIT;
	bool have = slot.len && profile_current_index(slot.buf, &prof, &index, &err) == 1;
	build_step(b, "Optimizing", plain ? "plain build, as asked"
			  : have ? "cargo build with the cached profile"
				 : "cargo build without a profile (none collected yet)");
	sb_release(&prof);
	sb_release(&index);
	sb_release(&err);
	b->hold_diagnostics = slot.len && plain_units_left(b, slot.buf);
	build_run(b, false, mode, u);
	build_verify(b, u, false, mode, v);
	b->hold_diagnostics = false;
	if (lease >= 0)
		close(lease);
	/*
	 * Verification checks each unit against the slot as it is now: a profile
	 * removed while the build ran (by hand, or by a gc that could not take
	 * the lease) would make plain units look right.
	 */
	bool moved = v->slot.len && slot.len && strcmp(v->slot.buf, slot.buf) != 0;
	if (!plain && have && v->plain && !moved)
		die(PGOW_EXIT_NOT_APPLIED, "%d unit(s) of %s were built without the profile this build planned "
		    "to use: it was removed while the build ran; run the build again", v->plain,
		    b->ws.build_dir.buf);
	memset(after, 0, sizeof(*after));
	if (v->slot.len) {
		freshness_of_build(after, v->slot.buf, u, b->training_id);
		struct strbuf rec = STRBUF_INIT;
		slot_build_record(&rec, v->slot.buf, b->ws.build_dir.buf, b->args_key.buf);
		freshness_record_build(rec.buf, b->ws.build_dir.buf, after);
		sb_release(&rec);
	}
	if (moved && !plain)
		progress("note:", "this build's settings key slot %.12s, not %.12s of the last build in %s: "
			 "its profile is what applies\n", path_basename(v->slot.buf), path_basename(slot.buf),
			 b->ws.build_dir.buf);
	sb_release(&slot);
	return moved;
}

static void predict(const struct build *b, const char *slot_dir, struct freshness *f)
{
	struct strbuf rec = STRBUF_INIT;

	slot_build_record(&rec, slot_dir, b->ws.build_dir.buf, b->args_key.buf);
	freshness_predict(f, slot_dir, b->training_id, rec.buf);
	sb_release(&rec);
}

/*
 * The profile pgo-wrap.lock pins for this build's slot becomes current
 * (from this cache, else fetched); true when it was made current now.
 */
static bool apply_pin(struct build *b, struct strbuf *slot, bool *known)
{
	struct pinlock lock;
	struct strbuf err = STRBUF_INIT, key = STRBUF_INIT;
	struct remote *r = NULL;
	bool changed = false;

	int rc = pinlock_read(&lock, b->ws.root.buf, &err);
	if (rc < 0)
		die(PGOW_EXIT_CONFIG, "%s", err.buf);
	if (rc == 0 || !lock.n)
		goto out;
	if (!*known && build_identify_slot(b, slot) == 0) {
		*known = true;
		build_lease_note(slot->buf);
	}
	const struct pin *pin = NULL;
	if (*known && travel_slot_key(slot->buf, &b->ws.members, &key, &err) == 0)
		pin = pinlock_find(&lock, key.buf);
	if (!pin)
		goto out; /* another configuration than the ones pinned */
	free(b->pinned);
	b->pinned = xstrdup(pin->profile);
	if (remote_open(&r, &err) < 0)
		die(PGOW_EXIT_CONFIG, "%s", err.buf);
	int got = travel_fetch(r, slot->buf, pin->profile, &err);
	if (got < 0)
		die(PGOW_EXIT_NOT_APPLIED, "the profile %s pins for this build, %.12s, cannot be had: %s; "
		    "`cargo-pgo-wrap pin` moves the pin", PINLOCK_NAME, pin->profile, err.buf);
	changed = got == 1;
	if (changed)
		point_build_dir(b, slot->buf, false);
out:
	remote_close(r);
	pinlock_release(&lock);
	sb_release(&err);
	sb_release(&key);
	return changed;
}

/* A local profile this build can use as it is: no reason to ask the remote. */
static bool usable(const struct freshness *f)
{
	return f->has_profile == 1 && !f->nstale && !f->training_changed;
}

/* What a judgement between two profiles saw of this build: its stale crates and its training. */
static void build_state(const struct build *b, const struct freshness *f, struct strbuf *out)
{
	sb_addf(out, "%s\n%s", b->training_id ? b->training_id : "-", f->has_profile == 1 ? f->stale.buf : "-");
}

/*
 * After a pull made the remote's profile current: an older one than this
 * cache had (newer work that was never pushed, say) does not replace it,
 * unless it is fresh for this build and the local one is not.
 */
static bool keep_local_profile(struct build *b, const char *slot_dir, const struct freshness *local)
{
	struct freshness pulled;
	struct strbuf state = STRBUF_INIT;
	bool keep = false;

	if (local->has_profile != 1)
		return false;
	predict(b, slot_dir, &pulled);
	if (pulled.has_profile == 1 && strcmp(pulled.m.content_key, local->m.content_key) != 0 && !usable(&pulled) &&
	    pulled.m.created <= local->m.created) {
		if (travel_restore_local(slot_dir, local->m.content_key)) {
			progress("note:", "the remote's profile %.12s is older than this cache's %.12s and stale for this "
				 "build too (%s): this cache's stays current\n", pulled.m.content_key,
				 local->m.content_key, pulled.stale.buf);
			build_state(b, local, &state);
			travel_mark_no_fresher(slot_dir, pulled.m.content_key, local->m.content_key, state.buf);
			keep = true;
		} else {
			warn("this cache's profile %.12s is newer than the remote's %.12s, but cannot be made current "
			     "again; the remote's is used", local->m.content_key, pulled.m.content_key);
		}
	}
	freshness_release(&pulled);
	sb_release(&state);
	return keep;
}

/*
 * A profile from elsewhere for the slot: the one pgo-wrap.lock pins
 * (exactly that one), else the remote's when this cache has none usable.
 * before is predicted again when one arrives. Local, then the remote, then
 * the training (the caller's).
 */
static void profile_from_elsewhere(struct build *b, struct strbuf *slot, bool *known, struct freshness *before)
{
	if (apply_pin(b, slot, known)) {
		freshness_release(before);
		predict(b, slot->buf, before);
	}
	if (b->pinned || !setting_get(SETTING_REMOTE) || usable(before))
		return;
	if (!*known && build_identify_slot(b, slot) == 0) {
		*known = true;
		build_lease_note(slot->buf);
	}
	struct strbuf state = STRBUF_INIT;
	build_state(b, before, &state);
	if (*known && travel_pull_or_warn(slot->buf, &b->ws.members, state.buf) &&
	    !keep_local_profile(b, slot->buf, before)) {
		point_build_dir(b, slot->buf, false);
		freshness_release(before);
		predict(b, slot->buf, before);
	}
	sb_release(&state);
}

int cmd_build(int argc, char **argv)
{
	struct build b;
	struct strbuf slot = STRBUF_INIT;
	struct freshness before, after;
	struct build_units u;
	struct verified v;

	build_setup(&b, argc, argv, true);
	build_preflight(&b, true);
	build_lock(&b);
	bolt_preflight(&b);
	refuse_unoptimised_profile(&b);
	ingest_pending(&b);
	memset(&before, 0, sizeof(before));
	bool known = slot_of_build_dir(b.ws.build_dir.buf, &slot) == 0 ||
		     slot_of_build_dir(b.instr_bin_dir.buf, &slot) == 0;
	if (known) {
		merge_repair_split(slot.buf);
		predict(&b, slot.buf, &before);
	}
	/* A pinned profile first: exactly that one. With MODE=off, neither pin nor remote. */
	bool off = setting_is(SETTING_MODE, "off");
	if (!off)
		profile_from_elsewhere(&b, &slot, &known, &before);
	enum plan p = decide(&b, &before);
	b.plain_asked = p == PLAN_PLAIN;
	b.steps = p == PLAN_REFRESH ? (b.cfg.nruns ? 4 : 2) : 1;
	bool refreshed = p == PLAN_REFRESH && refresh(&b);
	bool moved = optimise(&b, p == PLAN_PLAIN, &u, &v, &after);
	/*
	 * Planned for another slot, built in one without a profile: that slot's
	 * pin, remote or training, as for any build without one (a refresh here
	 * was the build's own: nothing more when it collected nothing).
	 */
	if (moved && p != PLAN_PLAIN && p != PLAN_REFRESH && !off && after.has_profile != 1) {
		sb_reset(&slot);
		sb_adds(&slot, v.slot.buf);
		known = true;
		freshness_release(&before);
		predict(&b, slot.buf, &before);
		free(b.pinned); /* the planned slot's pin says nothing of this one */
		b.pinned = NULL;
		profile_from_elsewhere(&b, &slot, &known, &before);
		bool again = before.has_profile == 1;
		if (!again) {
			progress("Collecting", "a profile for slot %.12s (none yet)\n", path_basename(slot.buf));
			build_restart_steps(&b, b.cfg.nruns ? 4 : 2);
			again = refreshed = refresh(&b);
		}
		if (again) {
			freshness_release(&after);
			verified_release(&v);
			build_units_release(&u);
			optimise(&b, false, &u, &v, &after);
		}
	}
	if (refreshed && v.slot.len) {
		travel_push_or_warn(v.slot.buf, &b.ws.members);
		fleet_push_builds_or_warn(v.slot.buf, &b.ws.members, false);
	}
	/*
	 * Units the prediction could not see (a new dependency, other features,
	 * another version) are known now: the policy applies to them too.
	 */
	int reached = after.has_profile == 1 && !after.nstale ? freshness_reached_from_quiet(&after, &u) : 0;
	if (!refreshed && !b.pinned && p == PLAN_USE && after.has_profile == 1 &&
	    ((after.nstale && after.stale_share >= b.cfg.stale_threshold) || reached) &&
	    b.cfg.stale_policy != STALE_USE) {
		struct strbuf why = STRBUF_INIT;
		if (reached)
			sb_addf(&why, "%d function(s) of code that ran changed with %s", reached, after.quiet.buf);
		else
			sb_adds(&why, after.stale.buf);
		progress("Stale", "profile %.12s for this build: %s\n", after.m.content_key, why.buf);
		if (b.cfg.stale_policy == STALE_ERROR)
			die(PGOW_EXIT_STALE, "the profile is stale for this build (%s); refresh it with "
			    "stale-policy: refresh, or `cargo-pgo-wrap merge` new profiles", why.buf);
		sb_release(&why);
		bool plain = b.cfg.stale_policy == STALE_PLAIN;
		build_restart_steps(&b, plain ? 1 : b.cfg.nruns ? 4 : 2);
		if (plain)
			progress("note:", "building without PGO (stale-policy: plain)\n");
		b.plain_asked = plain;
		if (plain || refresh(&b)) {
			freshness_release(&after);
			verified_release(&v);
			build_units_release(&u);
			optimise(&b, plain, &u, &v, &after);
		}
	}
	summary(&b, &v, &after, &u);
	if (after.has_profile == 1 && after.nquiet && !freshness_quiet_known(&before, &after))
		progress("note:", "profile %.12s: a refresh would give no counts to %s\n", after.m.content_key,
			 after.quiet.buf);
	bolt_stage(&b, &u, &v);
	build_forward_messages(&b, &u);
	freshness_release(&before);
	freshness_release(&after);
	verified_release(&v);
	build_units_release(&u);
	build_teardown(&b);
	sb_release(&slot);
	return 0;
}

/* `instrument`: instrumented binaries in the normal target dir, to deploy and run elsewhere. */
int cmd_instrument(int argc, char **argv)
{
	struct build b;
	struct build_units u;
	struct verified v;

	build_setup(&b, argc, argv, true);
	build_preflight(&b, false);
	build_lock(&b);
	refuse_unoptimised_profile(&b);
	b.steps = 1;
	build_step(&b, "Building", "instrumented binaries into the normal target dir");
	struct strbuf slot = STRBUF_INIT, id = STRBUF_INIT;
	/* Point the dir's stamp at instrumenting, so cargo rebuilds what was built otherwise. */
	sb_addf(&id, "generate %s", b.raw_dir.buf);
	if (slot_of_build_dir(b.ws.build_dir.buf, &slot) == 0)
		point_stamp(&b, slot.buf, id.buf);
	sb_release(&slot);
	sb_release(&id);
	build_run(&b, false, "generate", &u);
	build_verify(&b, &u, false, "generate", &v);
	if (!v.generate)
		die(PGOW_EXIT_CONFIG, "nothing was instrumented (%s); the %s profile must have an "
		    "opt-level above 0 (check CARGO_PROFILE_*_OPT_LEVEL, --config, [profile.%s])",
		    v.skipped_why.len ? v.skipped_why.buf : "no unit of target code", b.ws.profile, b.ws.profile);
	if (v.c.objects)
		progress("note:", "%d C/C++ object(s) of %s instrumented too\n", v.c.objects, v.c.packages.buf);
	/* With a remote, the field can upload what these binaries write: they are recorded there. */
	if (v.slot.len && setting_get(SETTING_REMOTE))
		fleet_push_builds_or_warn(v.slot.buf, &b.ws.members, false);
	/* The merge takes the cargo arguments that name this build: the same ones. */
	struct strbuf args = STRBUF_INIT;
	for (size_t i = 0; i < b.cargo_args.n; i++)
		sb_addf(&args, "%s%s", i ? " " : "", b.cargo_args.v[i]);
	progress("note:",
		"%d unit(s) instrumented in %s.\n"
		"             Run the binaries: they write their profiles to %s,\n"
		"             which the next `cargo-pgo-wrap build` merges before it builds optimised.\n"
		"             Profiles collected elsewhere: `cargo-pgo-wrap upload DIR` there, with\n"
		"               CARGO_PGO_WRAP_REMOTE set, then `cargo-pgo-wrap merge --remote %s` here;\n"
		"             or bring the .profraw files back and `cargo-pgo-wrap merge [--weight N] DIR`\n",
		v.generate, b.ws.build_dir.buf, b.raw_dir.buf, args.buf);
	sb_release(&args);
	build_forward_messages(&b, &u);
	verified_release(&v);
	build_units_release(&u);
	build_teardown(&b);
	return 0;
}

/* `train`: the configured workload against `build`'s instrumented binaries, then merge. */
int cmd_train(int argc, char **argv)
{
	struct build b;
	struct build_units u;
	struct verified v;
	struct strbuf detail = STRBUF_INIT;

	build_setup(&b, argc, argv, true);
	build_preflight(&b, true);
	build_lock(&b);
	refuse_unoptimised_profile(&b);
	if (!b.cfg.nruns)
		die(PGOW_EXIT_CONFIG, "no training is configured; add `training:` to %s/pgo-wrap.yaml "
		    "(see " PGOW_DATADIR "/profiles/example.yaml)", b.ws.root.buf);
	/* The binaries trained are those of the code as it is now: an incremental instrumented build. */
	b.steps = 3;
	sb_addf(&detail, "instrumented binaries into %s", b.instr_dir.buf);
	build_step(&b, "Building", detail.buf);
	build_run(&b, true, "generate", &u);
	build_verify(&b, &u, true, "generate", &v);
	require_training_bins(&b, &u);
	train_and_merge(&b, &u, true);
	verified_release(&v);
	build_units_release(&u);
	build_teardown(&b);
	sb_release(&detail);
	return 0;
}
