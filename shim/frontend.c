/*
 * frontend.c - `cargo-pgo-wrap build`: the whole PGO cycle around the
 * user's own cargo command, whose arguments pass through untouched. With a
 * fresh profile it is one optimised build; otherwise it instruments into
 * <target>/pgo-wrap/instrumented (never clobbering the user's artifacts),
 * trains, merges into the cache and builds optimised.
 */
#include "frontend.h"
#include "cache.h"
#include "config.h"
#include "decision.h"
#include "execute.h"
#include "merge.h"
#include "slot.h"
#include "status.h"
#include "train.h"
#include "report.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct build {
	struct strvec cargo_args;   /* exactly as the user gave them */
	const char *pgo_config;
	const char *cargo;
	struct strbuf workspace, target_dir, build_dir, instr_dir, instr_bin_dir, raw_dir, state_dir;
	struct config cfg;
	int step, steps;
};

/* The value of a cargo option ("--opt V" or "--opt=V"), or NULL. */
static const char *cargo_opt(const struct strvec *args, const char *opt)
{
	size_t n = strlen(opt);
	const char *found = NULL;

	for (size_t i = 0; i < args->n; i++) {
		if (strcmp(args->v[i], "--") == 0)
			break;
		if (strcmp(args->v[i], opt) == 0 && i + 1 < args->n)
			found = args->v[++i];
		else if (strncmp(args->v[i], opt, n) == 0 && args->v[i][n] == '=')
			found = args->v[i] + n + 1;
	}
	return found;
}

static bool cargo_flag(const struct strvec *args, const char *lng, const char *shrt)
{
	for (size_t i = 0; i < args->n && strcmp(args->v[i], "--") != 0; i++)
		if (strcmp(args->v[i], lng) == 0 || (shrt && strcmp(args->v[i], shrt) == 0))
			return true;
	return false;
}

/* cargo's directory name for a profile. */
static const char *profile_dir_name(const struct strvec *args)
{
	const char *p = cargo_opt(args, "--profile");

	if (!p)
		return cargo_flag(args, "--release", "-r") ? "release" : "debug";
	if (strcmp(p, "dev") == 0 || strcmp(p, "test") == 0)
		return "debug";
	if (strcmp(p, "bench") == 0)
		return "release";
	return p;
}

/* Runs cargo with args, capturing stdout; dies with the reason on failure. */
static void cargo_query(const struct build *b, const char *const *words, struct strbuf *out)
{
	struct strvec argv = STRVEC_INIT;
	const char *manifest = cargo_opt(&b->cargo_args, "--manifest-path");

	sv_push(&argv, b->cargo);
	for (; *words; words++)
		sv_push(&argv, *words);
	if (manifest) {
		sv_push(&argv, "--manifest-path");
		sv_push(&argv, manifest);
	}
	int status = run_capture(argv.v, out);
	if (status != 0)
		die(PGOW_EXIT_FAIL, "`%s %s` failed; is this a cargo workspace?", b->cargo, argv.v[1]);
	while (out->len && (out->buf[out->len - 1] == '\n' || out->buf[out->len - 1] == '\r'))
		sb_setlen(out, out->len - 1);
	sv_release(&argv);
}

/* "target_directory":"..." from cargo metadata, JSON-unescaped. */
static void json_string_field(const char *json, const char *field, struct strbuf *out)
{
	struct strbuf key = STRBUF_INIT;
	sb_addf(&key, "\"%s\":\"", field);
	const char *p = strstr(json, key.buf);
	sb_release(&key);
	if (!p)
		return;
	for (p += strlen(field) + 4; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		sb_addch(out, *p);
	}
}

static void locate(struct build *b)
{
	static const char *const locate_ws[] = { "locate-project", "--workspace", "--message-format", "plain", NULL };
	static const char *const metadata[] = { "metadata", "--format-version", "1", "--no-deps", "--offline", NULL };
	struct strbuf out = STRBUF_INIT;

	cargo_query(b, locate_ws, &out);
	path_dirname(&b->workspace, out.buf);
	sb_reset(&out);
	cargo_query(b, metadata, &out);
	json_string_field(out.buf, "target_directory", &b->target_dir);
	if (!b->target_dir.len)
		die(PGOW_EXIT_FAIL, "cargo metadata did not name a target directory");
	const char *target = cargo_opt(&b->cargo_args, "--target");
	const char *profile = profile_dir_name(&b->cargo_args);
	sb_addf(&b->state_dir, "%s/pgo-wrap", b->target_dir.buf);
	sb_addf(&b->instr_dir, "%s/instrumented", b->state_dir.buf);
	/* One raw dir per build configuration, so a merge knows whose profiles they are. */
	sb_addf(&b->raw_dir, "%s/raw/%s/%s", b->state_dir.buf, target ? target : "host", profile);
	sb_addf(&b->build_dir, "%s%s%s/%s", b->target_dir.buf, target ? "/" : "", target ? target : "", profile);
	sb_addf(&b->instr_bin_dir, "%s%s%s/%s", b->instr_dir.buf, target ? "/" : "", target ? target : "", profile);
	sb_release(&out);
}

static void export_settings(const struct build *b)
{
	char *self = self_exe_path();
	const char *wrapper = getenv("RUSTC_WRAPPER");

	if (!self)
		die(PGOW_EXIT_INTERNAL, "cannot find our own executable: %s", strerror(errno));
	/* An existing wrapper (sccache) becomes the next link of the chain. */
	if (wrapper && *wrapper && strcmp(path_basename(wrapper), "cargo-pgo-wrap") != 0 &&
	    !b->cfg.next_wrapper && !env_get("CARGO_PGO_WRAP_NEXT"))
		setenv("CARGO_PGO_WRAP_NEXT", wrapper, 1);
	setenv("RUSTC_WRAPPER", self, 1);
	/*
	 * The target dir, not the workspace root, names the workspace: it is what a
	 * plain `RUSTC_WRAPPER=cargo-pgo-wrap cargo build` derives, so both find the
	 * same slot and profile.
	 */
	setenv("CARGO_PGO_WRAP_WORKSPACE", b->target_dir.buf, 1);
	if (b->cfg.cache)
		setenv("CARGO_PGO_WRAP_CACHE", b->cfg.cache, 1);
	if (b->cfg.llvm_profdata)
		setenv("CARGO_PGO_WRAP_LLVM_PROFDATA", b->cfg.llvm_profdata, 1);
	if (b->cfg.next_wrapper)
		setenv("CARGO_PGO_WRAP_NEXT", b->cfg.next_wrapper, 1);
	if (b->cfg.exclude.n) {
		struct strbuf ex = STRBUF_INIT;
		const char *old = env_get(ENV_EXCLUDE);
		if (old)
			sb_adds(&ex, old);
		for (size_t i = 0; i < b->cfg.exclude.n; i++)
			sb_addf(&ex, "%s%s", ex.len ? "," : "", b->cfg.exclude.v[i]);
		setenv(ENV_EXCLUDE, ex.buf, 1);
		sb_release(&ex);
	}
	free(self);
}

/*
 * Artifacts cargo built without the wrapper carry none of our dep-info
 * entries, so cargo would call them fresh and never rebuild them with the
 * profile. Such a build dir has a .fingerprint but no stamp of ours: clean it once.
 */
static void clean_foreign_artifacts(const struct build *b)
{
	struct strbuf fp = STRBUF_INIT, slot = STRBUF_INIT;
	struct strvec argv = STRVEC_INIT;

	path_join(&fp, b->build_dir.buf, ".fingerprint");
	if (file_exists(fp.buf) && status_slot_of_build_dir(b->build_dir.buf, &slot) != 0) {
		progress("Cleaning", "%s was built without cargo-pgo-wrap; cleaning it once so cargo "
			 "rebuilds it with the PGO decision\n", b->build_dir.buf);
		const char *target = cargo_opt(&b->cargo_args, "--target");
		const char *manifest = cargo_opt(&b->cargo_args, "--manifest-path");
		sv_push(&argv, b->cargo);
		sv_push(&argv, "clean");
		sv_push(&argv, "--profile");
		/* cargo names the dev profile's dir "debug" */
		sv_push(&argv, strcmp(path_basename(b->build_dir.buf), "debug") == 0 ? "dev"
									: path_basename(b->build_dir.buf));
		if (target) {
			sv_push(&argv, "--target");
			sv_push(&argv, target);
		}
		if (manifest) {
			sv_push(&argv, "--manifest-path");
			sv_push(&argv, manifest);
		}
		int status = run_and_wait(argv.v);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			die(PGOW_EXIT_FAIL, "cargo clean of %s failed; clean it by hand, then build again",
			    b->build_dir.buf);
	}
	sv_release(&argv);
	sb_release(&fp);
	sb_release(&slot);
}

static void step(struct build *b, const char *what, const char *detail)
{
	b->step++;
	progress(what, "[%d/%d] %s\n", b->step, b->steps, detail);
}

/* `cargo build ARGS` with our wrapper and the given overrides; dies if cargo fails. */
static void run_cargo_build(const struct build *b, const char *target_dir, const char *mode,
			    const char *journal)
{
	struct strvec argv = STRVEC_INIT;

	sv_push(&argv, b->cargo);
	sv_push(&argv, "build");
	sv_pushv(&argv, b->cargo_args.v, b->cargo_args.n);
	setenv("CARGO_PGO_WRAP_JOURNAL", journal, 1);
	(void)unlink(journal);
	if (mode) {
		setenv(ENV_MODE, mode, 1);
		setenv(ENV_PROFILE, b->raw_dir.buf, 1);
	} else {
		unsetenv(ENV_MODE);
		unsetenv(ENV_PROFILE);
	}
	if (target_dir)
		setenv("CARGO_TARGET_DIR", target_dir, 1);
	int status = run_and_wait(argv.v);
	if (target_dir)
		unsetenv("CARGO_TARGET_DIR");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		exit_like(status);
	sv_release(&argv);
}

struct journal_counts {
	int generate, use, stale, plain, skip, mismatches;
	struct strbuf skipped;
	struct strbuf mismatched;  /* "fixlib 1, serde 3" */
};

static void read_journal(const char *path, struct journal_counts *jc)
{
	struct strbuf text = STRBUF_INIT;

	memset(jc, 0, sizeof(*jc));
	if (sb_read_file(&text, path) != 0)
		return;
	for (char *line = text.buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		struct strvec f = STRVEC_INIT;
		sv_split(&f, line, '\t');
		if (f.n >= 6) {
			const char *action = f.v[4];
			if (!strcmp(action, "generate"))
				jc->generate++;
			else if (!strcmp(action, "use"))
				jc->use++;
			else if (!strcmp(action, "use-stale"))
				jc->stale++;
			else if (!strcmp(action, "plain"))
				jc->plain++;
			if (f.n >= 9 && atoi(f.v[8]) > 0) {
				jc->mismatches += atoi(f.v[8]);
				sb_addf(&jc->mismatched, "%s%s %s", jc->mismatched.len ? ", " : "", f.v[1], f.v[8]);
			}
			if (!strcmp(action, "skip")) {
				jc->skip++;
				if (!strstr(sb_str(&jc->skipped), f.v[5]))
					sb_addf(&jc->skipped, "%s%s", jc->skipped.len ? ", " : "", f.v[5]);
			}
		}
		sv_release(&f);
		line = nl ? nl + 1 : NULL;
	}
	sb_release(&text);
}

static void report(const struct build *b, const char *journal)
{
	struct journal_counts jc;
	struct strbuf slot = STRBUF_INIT;
	struct freshness f;

	read_journal(journal, &jc);
	memset(&f, 0, sizeof(f));
	if (status_slot_of_build_dir(b->build_dir.buf, &slot) == 0)
		status_freshness(slot.buf, &f);
	if (jc.use + jc.stale + jc.plain + jc.skip == 0 && f.has_profile == 1)
		progress("PGO", "nothing to rebuild: %s is up to date with profile %.12s\n", b->build_dir.buf, f.key.buf);
	else if (jc.use + jc.stale == 0 && jc.plain > 0)
		progress("warning:", "NO crate was built with a profile (%d built plain): PGO was not applied\n", jc.plain);
	else if (f.has_profile == 1)
		progress("PGO", "%d crate(s) optimised with profile %.12s (%s, %ld min old), "
			"%d stale, %d plain, %d skipped%s%s%s\n", jc.use + jc.stale, f.key.buf,
			f.training.buf, ((long)time(NULL) - f.created) / 60, jc.stale, jc.plain, jc.skip,
			jc.skipped.len ? " (" : "", sb_str(&jc.skipped), jc.skipped.len ? ")" : "");
	if (jc.mismatches)
		progress("Stale", "%d function(s) changed since the profile was collected and got no "
			"counts: %s\n", jc.mismatches, jc.mismatched.buf);
	freshness_release(&f);
	sb_release(&jc.skipped);
	sb_release(&jc.mismatched);
	sb_release(&slot);
}

static void print_manual_training(const struct build *b)
{
	progress("note:",
		"no training is configured (add `training:` to %s/pgo-wrap.yaml).\n"
		"             Instrumented binaries are in %s. Run your workload with\n"
		"               LLVM_PROFILE_FILE=%s/manual/%%p-%%4m.profraw <binary> ...\n"
		"             (on this machine or others), then ingest the profiles with\n"
		"               cargo-pgo-wrap merge %s/manual\n"
		"             and run `cargo-pgo-wrap build` again.\n",
		b->workspace.buf, b->instr_bin_dir.buf, b->raw_dir.buf, b->raw_dir.buf);
}

static void train_and_merge(struct build *b, const char *slot);

/* Instrumented build, training and merge; 0 when a new profile was stored. */
static int refresh(struct build *b)
{
	struct strbuf journal = STRBUF_INIT, err = STRBUF_INIT, detail = STRBUF_INIT, islot = STRBUF_INIT;
	int rc = -1;

	sb_addf(&journal, "%s/journal-instrumented.log", b->state_dir.buf);
	sb_addf(&detail, "instrumented build into %s", b->instr_dir.buf);
	step(b, "Instrumenting", detail.buf);
	if (mkdir_private(b->state_dir.buf, 0700, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	run_cargo_build(b, b->instr_dir.buf, "generate", journal.buf);
	/* The slot that instrumented (its stamp also shows an up-to-date dir was instrumented). */
	bool instrumented = status_slot_of_build_dir(b->instr_bin_dir.buf, &islot) == 0;
	if (!instrumented)
		die(PGOW_EXIT_CONFIG, "nothing was instrumented: the %s profile has opt-level 0, or every "
		    "crate is excluded; build an optimised profile (e.g. --release)",
		    profile_dir_name(&b->cargo_args));
	if (!b->cfg.nruns) {
		print_manual_training(b);
		goto out;
	}
	train_and_merge(b, path_basename(islot.buf));
	rc = 0;
out:
	sb_release(&islot);
	sb_release(&journal);
	sb_release(&err);
	sb_release(&detail);
	return rc;
}

/* Runs the training against the instrumented binaries and merges into slot. */
static void train_and_merge(struct build *b, const char *slot)
{
	struct strbuf err = STRBUF_INIT, detail = STRBUF_INIT;
	struct strvec weighted = STRVEC_INIT;
	struct merge_request rq;

	/* Each training starts from nothing: old raw files would be merged again. */
	if (remove_tree(b->raw_dir.buf) != 0)
		die(PGOW_EXIT_FAIL, "cannot clear %s: %s", b->raw_dir.buf, strerror(errno));
	if (mkdir_private(b->raw_dir.buf, 0700, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	struct train_paths paths = { b->instr_bin_dir.buf, b->instr_dir.buf, b->raw_dir.buf };
	sb_reset(&detail);
	sb_addf(&detail, "%zu training run(s) from %s", b->cfg.nruns, b->cfg.path);
	step(b, "Training", detail.buf);
	if (train_run_all(&b->cfg, &paths, &weighted, &err) != 0)
		die(PGOW_EXIT_TRAINING, "%s", err.buf);
	if (!weighted.n)
		die(PGOW_EXIT_TRAINING, "the training wrote no profile at all; check that it runs the "
		    "instrumented binaries ({bin:NAME}) from %s", b->instr_bin_dir.buf);
	step(b, "Merging", "profiles into the cache");
	memset(&rq, 0, sizeof(rq));
	rq.slot = slot;
	sb_reset(&detail);
	sb_addf(&detail, "%zu training run(s) from %s", b->cfg.nruns, b->cfg.path);
	rq.training = detail.buf;
	for (size_t i = 0; i < weighted.n; i++) {
		char *comma = strchr(weighted.v[i], ',');
		merge_add_input(&rq, comma + 1, strtol(weighted.v[i], NULL, 10));
	}
	merge_run(&rq);
	merge_request_release(&rq);
	sv_release(&weighted);
	sb_release(&err);
	sb_release(&detail);
}

static void parse_build_args(struct build *b, int argc, char **argv)
{
	memset(b, 0, sizeof(*b));
	b->cargo = env_get("CARGO") ? env_get("CARGO") : "cargo";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--pgo-config") == 0 && i + 1 < argc)
			b->pgo_config = argv[++i];
		else
			sv_push(&b->cargo_args, argv[i]);
	}
}

/* Everything a command needs before it runs cargo: where, which config, our env. */
static void setup(struct build *b, int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;

	parse_build_args(b, argc, argv);
	locate(b);
	if (config_load(&b->cfg, b->pgo_config, b->workspace.buf, &err) != 0)
		die(PGOW_EXIT_CONFIG, "%s", err.buf);
	export_settings(b);
	sb_release(&err);
}

static void teardown(struct build *b)
{
	config_release(&b->cfg);
	sv_release(&b->cargo_args);
	sb_release(&b->workspace);
	sb_release(&b->target_dir);
	sb_release(&b->build_dir);
	sb_release(&b->instr_dir);
	sb_release(&b->instr_bin_dir);
	sb_release(&b->raw_dir);
	sb_release(&b->state_dir);
}

int cmd_build(int argc, char **argv)
{
	struct build b;
	struct strbuf err = STRBUF_INIT, slot = STRBUF_INIT, journal = STRBUF_INIT;
	struct freshness f;

	setup(&b, argc, argv);

	memset(&f, 0, sizeof(f));
	if (status_slot_of_build_dir(b.build_dir.buf, &slot) == 0)
		status_freshness(slot.buf, &f);
	bool need_refresh = f.has_profile != 1;
	bool plain = false;
	if (f.has_profile == 1 && f.nstale && f.stale_share >= b.cfg.stale_threshold) {
		progress("Stale", "profile %.12s is stale: %s (%.0f%% of its counts)\n", f.key.buf, f.stale.buf, 100.0 * f.stale_share);
		switch (b.cfg.stale_policy) {
		case STALE_REFRESH:
			need_refresh = true;
			break;
		case STALE_USE:
			progress("note:", "using it anyway (stale-policy: use-stale)\n");
			break;
		case STALE_PLAIN:
			progress("note:", "building without PGO (stale-policy: plain)\n");
			plain = true;
			break;
		case STALE_ERROR:
			die(PGOW_EXIT_STALE, "the profile is stale (%s); refresh it with stale-policy: refresh, "
			    "or `cargo-pgo-wrap merge` new profiles", f.stale.buf);
		}
	}
	if (f.has_profile == 1 && !need_refresh && !f.nstale)
		progress("Fresh", "profile %.12s: all %zu crates unchanged since it was collected\n", f.key.buf, f.ncrates);
	else if (f.has_profile != 1)
		progress("Profile", "no profile for %s yet: collecting one\n", b.build_dir.buf);
	b.steps = need_refresh ? 4 : 1;
	if (need_refresh && refresh(&b) != 0)
		b.steps = 2; /* no training: optimised build with what there is */
	sb_addf(&journal, "%s/journal-optimized.log", b.state_dir.buf);
	if (mkdir_private(b.state_dir.buf, 0700, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	clean_foreign_artifacts(&b);
	step(&b, "Optimizing", plain ? "plain build (no profile)" : "cargo build with the cached profile");
	run_cargo_build(&b, NULL, plain ? "off" : NULL, journal.buf);
	report(&b, journal.buf);

	freshness_release(&f);
	teardown(&b);
	sb_release(&err);
	sb_release(&slot);
	sb_release(&journal);
	return 0;
}

/* `instrument`: instrumented binaries in the normal target dir, to deploy and run elsewhere. */
int cmd_instrument(int argc, char **argv)
{
	struct build b;
	struct strbuf journal = STRBUF_INIT, err = STRBUF_INIT, slot = STRBUF_INIT;

	setup(&b, argc, argv);
	if (mkdir_private(b.state_dir.buf, 0700, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	sb_addf(&journal, "%s/journal-instrument.log", b.state_dir.buf);
	b.steps = 1;
	clean_foreign_artifacts(&b);
	step(&b, "Instrumenting", "cargo build into the normal target dir");
	run_cargo_build(&b, NULL, "generate", journal.buf);
	if (status_slot_of_build_dir(b.build_dir.buf, &slot) != 0)
		die(PGOW_EXIT_CONFIG, "nothing was instrumented: the %s profile has opt-level 0, or every "
		    "crate is excluded", profile_dir_name(&b.cargo_args));
	progress("note:",
		"instrumented binaries are in %s (slot %.12s).\n"
		"             Run them where the real load is, with LLVM_PROFILE_FILE=<dir>/%%p-%%4m.profraw,\n"
		"             bring the .profraw files back and ingest them (weights optional):\n"
		"               cargo-pgo-wrap merge --slot %.12s [--weight N] <dir>\n"
		"             The next `cargo-pgo-wrap build` rebuilds them optimised.\n",
		b.build_dir.buf, path_basename(slot.buf), path_basename(slot.buf));
	teardown(&b);
	sb_release(&journal);
	sb_release(&err);
	sb_release(&slot);
	return 0;
}

/* `train`: the configured workload against `build`'s instrumented binaries, then merge. */
int cmd_train(int argc, char **argv)
{
	struct build b;
	struct strbuf slot = STRBUF_INIT;

	setup(&b, argc, argv);
	if (!b.cfg.nruns)
		die(PGOW_EXIT_CONFIG, "no training is configured; add `training:` to %s/pgo-wrap.yaml "
		    "(see profiles/example.yaml)", b.workspace.buf);
	if (status_slot_of_build_dir(b.instr_bin_dir.buf, &slot) != 0)
		die(PGOW_EXIT_CONFIG, "no instrumented build in %s; run `cargo-pgo-wrap build` with the "
		    "same cargo arguments first", b.instr_bin_dir.buf);
	b.steps = 2;
	train_and_merge(&b, path_basename(slot.buf));
	teardown(&b);
	sb_release(&slot);
	return 0;
}

/* run / test / bench: cargo under the current decision (the cached profile, if any). */
static int passthrough(const char *sub, int argc, char **argv)
{
	struct build b;
	struct strvec cmd = STRVEC_INIT;

	setup(&b, argc, argv);
	clean_foreign_artifacts(&b);
	sv_push(&cmd, b.cargo);
	sv_push(&cmd, sub);
	sv_pushv(&cmd, b.cargo_args.v, b.cargo_args.n);
	exec_or_die(cmd.v);
}

int cmd_run(int argc, char **argv)
{
	return passthrough("run", argc, argv);
}

int cmd_test(int argc, char **argv)
{
	return passthrough("test", argc, argv);
}

int cmd_bench(int argc, char **argv)
{
	return passthrough("bench", argc, argv);
}

/* `clean [--profiles]`: our state in the target dir, and optionally this workspace's cached profiles. */
int cmd_clean(int argc, char **argv)
{
	struct build b;
	bool profiles = false;
	int n = 1;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--profiles") == 0)
			profiles = true;
		else
			argv[n++] = argv[i];
	setup(&b, n, argv);
	if (remove_tree(b.state_dir.buf) != 0)
		die(PGOW_EXIT_FAIL, "cannot remove %s: %s", b.state_dir.buf, strerror(errno));
	printf("removed %s\n", b.state_dir.buf);
	if (profiles) {
		struct strbuf root = STRBUF_INIT, slots = STRBUF_INIT, err = STRBUF_INIT;
		struct strvec dirs = STRVEC_INIT;
		if (cache_root(&root, &err) != 0)
			die(PGOW_EXIT_CACHE, "%s", err.buf);
		path_join(&slots, root.buf, "slots");
		list_dir(slots.buf, "", &dirs);
		for (size_t i = 0; i < dirs.n; i++) {
			struct slot_info info;
			struct strbuf e = STRBUF_INIT;
			if (slot_read_info(dirs.v[i], &info, &e) == 0 && strcmp(info.workspace.buf, b.target_dir.buf) == 0) {
				int lock = cache_lock_slot(dirs.v[i], &e);
				if (remove_tree(dirs.v[i]) == 0)
					printf("removed profiles of slot %.12s\n", path_basename(dirs.v[i]));
				if (lock >= 0)
					close(lock);
			}
			slot_info_release(&info);
			sb_release(&e);
		}
		sv_release(&dirs);
		sb_release(&root);
		sb_release(&slots);
		sb_release(&err);
	}
	teardown(&b);
	return 0;
}
