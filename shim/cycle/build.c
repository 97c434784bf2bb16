/*
 * build.c - what every front-end command shares (see include/cycle/build.h):
 * setting up the wrapper's environment for one workspace, running cargo
 * with it, and verifying what cargo built. A build's units come from
 * cargo's JSON messages; whether each carries the PGO decision comes from
 * the mark our wrapper leaves in its dep-info, which a build made without
 * us erases. Nothing is reported that was not verified.
 */
#include "cycle/build.h"
#include "base/clock.h"
#include "base/dirlist.h"
#include "base/fdio.h"
#include "base/json.h"
#include "base/message.h"
#include "base/option.h"
#include "base/path.h"
#include "base/safefs.h"
#include "base/settings.h"
#include "base/spawn.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "store/buildlease.h"
#include "store/cache.h"
#include "store/profile.h"
#include "store/provenance.h"
#include "store/remote.h"
#include "store/report.h"
#include "store/slot.h"
#include "store/split.h"
#include "store/toolchain.h"
#include "store/unitkey.h"
#include "wrapper/shim.h"
#include "wrapper/wrapper.h"
#include "cycle/freshness.h"
#include "cycle/llvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void parse_our_options(struct build *b, int argc, char **argv)
{
	const char *v;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			sv_pushv(&b->cargo_args, argv + i, (size_t)(argc - i));
			break;
		}
		if (option_take(argc, argv, &i, "--pgo-config", &v))
			b->pgo_config = v;
		else
			sv_push(&b->cargo_args, argv[i]);
	}
	b->user_format = cargo_opt(&b->cargo_args, "--message-format");
	if (cargo_flag(&b->cargo_args, "--quiet", "-q"))
		report_set_quiet(1);
}

static void export_settings(const struct build *b)
{
	char *self = self_exe_path();

	if (!self)
		die(PGOW_EXIT_INTERNAL, "cannot find our own executable: %s", strerror(errno));
	wrapper_install(self);
	/*
	 * The target dir names the workspace: it is what a plain
	 * `RUSTC_WRAPPER=cargo-pgo-wrap cargo build` derives, so both find the
	 * same slot and profile. The user's own setting names it for them too
	 * (and for status): theirs is kept.
	 */
	if (!setting_get(SETTING_WORKSPACE) && setenv(ENV_WORKSPACE, b->ws.target_dir.buf, 1) != 0)
		die(PGOW_EXIT_INTERNAL, "setenv failed: %s", strerror(errno));
	free(self);
}

/* What would fail half-way through a cycle is checked before its first step. */
void build_preflight(const struct build *b, bool merging)
{
	struct strbuf root = STRBUF_INIT, err = STRBUF_INIT, path = STRBUF_INIT, ver = STRBUF_INIT;
	struct strbuf id = STRBUF_INIT;

	if (cache_root(&root, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	if (access(root.buf, W_OK | X_OK) != 0)
		die(PGOW_EXIT_CACHE, "the cache %s is not writable (%s); fix its permissions or set "
		    "CARGO_PGO_WRAP_CACHE to a writable directory", root.buf, strerror(errno));
	if (merging && rustc_identity("rustc", &id, &err) == 0) {
		int major = rustc_identity_llvm_major(id.buf);
		if (llvm_find_profdata(major, major >= 19 ? 19 : major, 10, &path, &ver, &err) != 0)
			die(PGOW_EXIT_LLVM, "%s", err.buf);
	}
	(void)b;
	sb_release(&root);
	sb_release(&err);
	sb_release(&path);
	sb_release(&ver);
	sb_release(&id);
}

/* {bin:NAME} must name a binary of the workspace: found now, not after an instrumented build. */
static void check_training_bins(const struct build *b)
{
	for (size_t i = 0; i < b->cfg.bins.n; i++) {
		const char *tab = strchr(b->cfg.bins.v[i], '\t');
		char *name = xstrndup(b->cfg.bins.v[i], (size_t)(tab - b->cfg.bins.v[i]));
		if (!workspace_has_bin(&b->ws, name))
			die(PGOW_EXIT_CONFIG, "%s: {bin:%s} is not a binary of this workspace (%s); fix the name",
			    tab + 1, name, b->ws.bins.n ? "see `cargo metadata`" : "it has no binaries");
		free(name);
	}
}

/*
 * The arguments that decide which units a build has (packages, features,
 * targets, profile), without those that only change how it runs or prints.
 */
static void unit_args_key(const struct strvec *args, struct strbuf *out)
{
	static const char *const how[] = { "--message-format", "--target-dir", "--jobs", "-j", "--color",
					   "--manifest-path", NULL };
	static const char *const flags[] = { "-q", "--quiet", "-v", "-vv", "--verbose", "--timings",
					     "--offline", "--frozen", "--locked", NULL };
	for (size_t i = 0; i < args->n && strcmp(args->v[i], "--") != 0; i++) {
		const char *a = args->v[i];
		bool skip = false, takes_value = false;
		for (const char *const *f = flags; *f && !skip; f++)
			skip = strcmp(a, *f) == 0;
		for (const char *const *o = how; *o && !skip; o++) {
			size_t n = strlen(*o);
			if (strcmp(a, *o) == 0)
				skip = takes_value = true;
			else if (strncmp(a, *o, n) == 0 && a[n] == '=')
				skip = true;
		}
		if (takes_value)
			i++;
		else if (!skip)
			sb_addf(out, "%s\n", a);
	}
}

void build_setup(struct build *b, int argc, char **argv, bool need_config)
{
	struct strbuf err = STRBUF_INIT;

	/* Before any cargo runs: build scripts, proc-macros and trainings never see the remote's secrets. */
	remote_hide_secrets();
	memset(b, 0, sizeof(*b));
	b->lock_fd = -1;
	b->cargo = env_get("CARGO") ? env_get("CARGO") : "cargo";
	parse_our_options(b, argc, argv);
	unit_args_key(&b->cargo_args, &b->args_key);
	workspace_locate(&b->ws, b->cargo, &b->cargo_args);
	/* run/test/bench use no training and no policy: a broken config does not stop them. */
	if (!need_config)
		config_defaults(&b->cfg);
	else if (config_load(&b->cfg, b->pgo_config, b->ws.root.buf, &err) != 0)
		die(PGOW_EXIT_CONFIG, "%s", err.buf);
	b->training_id = config_training_id(&b->cfg);
	check_training_bins(b);
	export_settings(b);
	sb_addf(&b->state_dir, "%s/pgo-wrap", b->ws.target_dir.buf);
	sb_addf(&b->instr_dir, "%s/instrumented", b->state_dir.buf);
	/* One raw dir per build configuration. */
	sb_addf(&b->raw_dir, "%s/raw/%s/%s", b->state_dir.buf, b->ws.target ? b->ws.target : "host",
		b->ws.profile_dir);
	sb_addf(&b->instr_bin_dir, "%s%s%s/%s", b->instr_dir.buf, b->ws.target ? "/" : "",
		b->ws.target ? b->ws.target : "", b->ws.profile_dir);
	/* Builds that make a profile or use one profile C code too; run/test/bench reuse theirs. */
	if (need_config) {
		struct strbuf links = STRBUF_INIT;
		path_join(&links, b->state_dir.buf, "cc");
		ccode_setup(&b->cc, b->ws.target, b->ws.target_dir.buf, links.buf);
		sb_release(&links);
	}
	sb_release(&err);
}

void build_lock(struct build *b)
{
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;

	/* cargo builds into the instrumented dir and the training runs what it finds there: no link. */
	if (safe_mkdirs(b->ws.target_dir.buf, b->state_dir.buf, 0755, &err) != 0 ||
	    safe_mkdirs(b->ws.target_dir.buf, b->instr_dir.buf, 0755, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s", err.buf);
	/*
	 * cargo builds below it and the training runs what it finds there: no
	 * link down to <instrumented>/<triple>/<profile>/deps. Deeper, build
	 * scripts' OUT_DIRs are theirs (some link headers there).
	 */
	struct strbuf link = STRBUF_INIT;
	if (first_link_below(b->instr_dir.buf, 3, &link))
		die(PGOW_EXIT_FAIL, "%s is a symbolic link; cargo-pgo-wrap builds and runs programs below %s and "
		    "follows no link there: remove it", link.buf, b->instr_dir.buf);
	sb_release(&link);
	path_join(&path, b->state_dir.buf, "lock");
	do
		b->lock_fd = open(path.buf, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	while (b->lock_fd < 0 && errno == EINTR);
	if (b->lock_fd < 0)
		die(PGOW_EXIT_FAIL, "cannot open %s: %s%s", path.buf, strerror(errno),
		    errno == ELOOP ? " (a symbolic link; remove it)" : "");
	if (flock(b->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK)
			die(PGOW_EXIT_FAIL, "cannot lock %s: %s", path.buf, strerror(errno));
		progress("Blocking", "waiting for file lock on %s\n", path.buf);
		while (flock(b->lock_fd, LOCK_EX) != 0)
			if (errno != EINTR)
				die(PGOW_EXIT_FAIL, "cannot lock %s: %s", path.buf, strerror(errno));
	}
	/* gc leaves the slots of this build until it ends: the ones known now, and its wrappers'. */
	if (build_lease_take(&err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	const char *dirs[] = { b->ws.build_dir.buf, b->instr_bin_dir.buf };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++) {
		struct strbuf slot = STRBUF_INIT;
		if (slot_of_build_dir(dirs[i], &slot) == 0)
			build_lease_note(slot.buf);
		sb_release(&slot);
	}
	sb_release(&path);
	sb_release(&err);
}

void build_teardown(struct build *b)
{
	free(b->pinned);
	b->pinned = NULL;
	if (b->lock_fd >= 0)
		close(b->lock_fd);
	config_release(&b->cfg);
	free(b->training_id);
	sv_release(&b->cargo_args);
	sb_release(&b->args_key);
	workspace_release(&b->ws);
	sb_release(&b->state_dir);
	sb_release(&b->instr_dir);
	sb_release(&b->instr_bin_dir);
	sb_release(&b->raw_dir);
	ccode_release(&b->cc);
}

void build_step(struct build *b, const char *verb, const char *detail)
{
	b->step++;
	if (b->step > b->steps)
		b->steps = b->step;
	progress(verb, "[%d/%d] %s\n", b->step, b->steps, detail);
}

/* A new plan after a build found what the prediction could not see: its steps are counted afresh. */
void build_restart_steps(struct build *b, int steps)
{
	b->step = 0;
	b->steps = steps;
}

/* Whether cargo colours what it shows: --color, else CARGO_TERM_COLOR and the terminal, as for ours. */
static bool cargo_colour(const struct build *b)
{
	const char *asked = cargo_opt(&b->cargo_args, "--color");
	if (asked && strcmp(asked, "always") == 0)
		return true;
	if (asked && strcmp(asked, "never") == 0)
		return false;
	return stderr_colour();
}

static bool user_wants_json(const struct build *b)
{
	return b->user_format && strncmp(b->user_format, "json", 4) == 0;
}

/* The optimised build's diagnostics stay in its JSON until verification (not when the user reads the JSON). */
static bool holds_diagnostics(const struct build *b)
{
	return b->hold_diagnostics && !user_wants_json(b);
}

/*
 * The user's args for one of our cargo runs: --target-dir replaced for the
 * instrumented build (cargo's command line beats CARGO_TARGET_DIR), and a
 * human --message-format turned into its JSON form, since we read the JSON
 * and cargo takes only one kind.
 */
static void args_in(const struct build *b, bool instrumented, const char *target_dir, struct strvec *argv)
{
	const struct strvec *a = &b->cargo_args;
	bool after_dashdash = false;
	/* The instrumented build's diagnostics stay in its JSON: the optimised build shows them once. */
	bool drop_format = instrumented || !user_wants_json(b);

	for (size_t i = 0; i < a->n; i++) {
		const char *arg = a->v[i];
		if (strcmp(arg, "--") == 0)
			after_dashdash = true;
		bool opt_dir = !after_dashdash && target_dir;
		bool opt_fmt = !after_dashdash && drop_format;
		if ((opt_dir && strcmp(arg, "--target-dir") == 0) || (opt_fmt && strcmp(arg, "--message-format") == 0)) {
			i++;
			continue;
		}
		if ((opt_dir && strncmp(arg, "--target-dir=", 13) == 0) ||
		    (opt_fmt && strncmp(arg, "--message-format=", 17) == 0))
			continue;
		sv_push(argv, arg);
	}
	if (target_dir)
		sv_pushf(argv, "--target-dir=%s", target_dir);
	bool short_form = b->user_format && strcmp(b->user_format, "short") == 0;
	if (instrumented)
		sv_push(argv, short_form ? "--message-format=json-diagnostic-short" : "--message-format=json");
	else if (holds_diagnostics(b))
		sv_pushf(argv, "--message-format=%s%s", short_form ? "json-diagnostic-short" : "json",
			 cargo_colour(b) ? ",json-diagnostic-rendered-ansi" : "");
	else if (drop_format)
		sv_push(argv, short_form ? "--message-format=json-diagnostic-short,json-render-diagnostics"
					 : "--message-format=json-render-diagnostics");
}

/* Whether the arguments pick targets (so cargo leaves out the programs they do not name). */
static bool picks_targets(const struct strvec *a)
{
	static const char *const pickers[] = { "--lib", "--bin", "--example", "--examples", "--test", "--tests",
					       "--bench", "--benches", NULL };
	if (cargo_flag(a, "--bins", NULL) || cargo_flag(a, "--all-targets", NULL))
		return false;
	for (const char *const *p = pickers; *p; p++)
		if (cargo_flag(a, *p, NULL) || cargo_opt(a, *p))
			return true;
	return false;
}

/* Whether cargo builds every package of the workspace it has bins of: at its root, no -p. */
static bool builds_whole_workspace(const struct build *b)
{
	const struct strvec *a = &b->cargo_args;
	if (cargo_flag(a, "--workspace", NULL) || cargo_flag(a, "--all", NULL))
		return true;
	if (cargo_opt(a, "--package") || cargo_opt(a, "-p") || cargo_opt(a, "--manifest-path"))
		return false;
	char *here = realpath(".", NULL);
	bool root = here && strcmp(here, b->ws.root.buf) == 0;
	free(here);
	return root;
}

/*
 * The instrumented build is ours, in a dir of its own: when the user's
 * arguments leave out the programs the training runs, it builds those too,
 * or the refresh could not run. Arguments that pick targets (`build
 * --examples`) get --bin for each; a build of some packages (-p, or a
 * member's directory) gets -p for each program's package: the optimised
 * build still builds exactly what the user asked.
 */
static void add_training_bins(const struct build *b, struct strvec *argv)
{
	bool picks = picks_targets(&b->cargo_args), whole = builds_whole_workspace(b);
	struct strvec packages = STRVEC_INIT, bins = STRVEC_INIT;

	if (!picks && whole)
		return;
	/* Naming a package drops the one cargo would build without -p: it is named too. */
	bool chosen = cargo_opt(&b->cargo_args, "--package") || cargo_opt(&b->cargo_args, "-p");
	if (!whole && !chosen && b->ws.implied.len)
		sv_push(&packages, b->ws.implied.buf);
	for (size_t i = 0; i < b->cfg.bins.n; i++) {
		const char *name = b->cfg.bins.v[i];
		size_t len = strcspn(name, "\t");
		const char *package = workspace_bin_package(&b->ws, name, len);
		if (!package)
			continue; /* not the workspace's: require_training_bins says so */
		char *bin = xstrndup(name, len);
		if (!whole && !cargo_opt_is(&b->cargo_args, "--package", "-p", package) && !sv_has(&packages, package))
			sv_push(&packages, package);
		if (picks && !cargo_opt_is(&b->cargo_args, "--bin", NULL, bin))
			sv_pushf(&bins, "--bin=%s", bin);
		free(bin);
	}
	for (size_t i = 0; i < packages.n; i++)
		sv_pushf(argv, "--package=%s", packages.v[i]);
	sv_pushv(argv, bins.v, bins.n);
	sv_release(&packages);
	sv_release(&bins);
}

static void args_for(const struct build *b, bool instrumented, struct strvec *argv)
{
	args_in(b, instrumented, instrumented ? b->instr_dir.buf : NULL, argv);
	if (instrumented)
		add_training_bins(b, argv);
}

/*
 * rustc's diagnostics from JSON messages that were not rendered, as cargo
 * would have shown them: all levels, or errors and warnings alone.
 */
static void show_messages(const char *messages, bool all_levels)
{
	for (const char *p = messages; *p;) {
		size_t len = strcspn(p, "\n");
		struct json msg;
		struct strbuf err = STRBUF_INIT;
		if (*p == '{' && json_parse(&msg, p, len, &err) == 0) {
			const struct json *m = json_get(&msg, "message");
			const char *reason = json_get_string(&msg, "reason");
			const char *level = json_get_string(m, "level");
			const char *rendered = json_get_string(m, "rendered");
			bool shown = all_levels || (level && (strcmp(level, "error") == 0 || strcmp(level, "warning") == 0));
			if (reason && strcmp(reason, "compiler-message") == 0 && rendered && shown)
				(void)write_all(STDERR_FILENO, rendered, strlen(rendered));
			json_release(&msg);
		}
		sb_release(&err);
		p += len + (p[len] == '\n');
	}
}

/*
 * A failed build's diagnostics, errors and warnings, when cargo did not
 * render them: they are in its JSON (an instrumented build's, which an
 * optimised build would show once but never comes; a held one's).
 */
static void show_diagnostics(const char *messages)
{
	show_messages(messages, false);
}

/* A held build's diagnostics, all of them (the last cargo run's: see build_verify). */
static void show_held_diagnostics(const struct build *b, const struct build_units *u)
{
	if (holds_diagnostics(b))
		show_messages(sb_str(&u->messages), true);
}

/*
 * What an instrumented build's stderr holds back: cargo's closing lines
 * ("could not compile ... due to N previous errors") until its diagnostics
 * are out; and, when an optimised build follows (which says them again),
 * cargo's own warnings (manifest keys, deprecations, the future-incompat
 * note), shown only if this build fails. rustc's diagnostics are not on
 * stderr here: they are in the JSON.
 */
struct held {
	struct strbuf lines;
	struct strbuf warnings;
	bool defer_warnings;
	bool in_warning;        /* the line before was part of a warning */
};

/* cargo's status lines: a verb right-aligned in 12 columns ("   Compiling x", "    Finished ..."). */
static bool is_status_line(const char *t)
{
	size_t pad = strspn(t, " ");
	size_t word = strspn(t + pad, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
	return pad + word == 12 && word > 0 && t[12] == ' ' && t[pad] >= 'A' && t[pad] <= 'Z';
}

static void hold_summary(const char *line, size_t len, void *ctx)
{
	struct held *h = ctx;
	struct strbuf text = STRBUF_INIT;
	struct strbuf *into = NULL;

	sb_add_plain(&text, line, len);
	const char *t = sb_str(&text);
	if (strstr(t, "could not compile") || strstr(t, "build failed, waiting")) {
		into = &h->lines;
		h->in_warning = false;
	} else if (h->defer_warnings &&
		   (strncmp(t, "warning:", 8) == 0 || (h->in_warning && *t && !is_status_line(t)))) {
		into = &h->warnings;
		h->in_warning = true;
	} else {
		h->in_warning = false;
	}
	if (into) {
		sb_add(into, line, len);
		sb_addch(into, '\n');
	} else {
		(void)write_all(STDERR_FILENO, line, len);
		(void)write_all(STDERR_FILENO, "\n", 1);
	}
	sb_release(&text);
}

/*
 * C uses its part of the split ("use <file>#<hash>": the hash makes the
 * decision, and so the C stamp, change only when the file's bytes do), or
 * the whole profile.
 */
static void c_use_decision(const char *slot_dir, const char *profdata, struct strbuf *dec)
{
	struct strbuf key = STRBUF_INIT, file = STRBUF_INIT, hash = STRBUF_INIT;

	profile_key_of(profdata, &key);
	int part = split_c_file(slot_dir, key.buf, &file, &hash);
	if (part == 0) {
		/*
		 * Split, with no C part: the profile has no C records. Off, not the whole
		 * profile's path, which changes with every profile and so would rerun every
		 * build script that compiles C (and rebuild what depends on it) for nothing.
		 */
		sb_adds(dec, "off");
	} else {
		sb_adds(dec, "use ");
		if (part == 1)
			split_detail(dec, file.buf, hash.buf);
		else
			sb_adds(dec, profdata);
	}
	sb_release(&key);
	sb_release(&file);
	sb_release(&hash);
}

/*
 * The decision the C code of one cargo run gets, as our compiler link takes
 * it, and the stamp of its build dir (empty when none exists yet).
 */
static void c_decision(const struct build *b, bool instrumented, const char *mode, struct strbuf *dec,
		       struct strbuf *stamp)
{
	const char *build_dir = instrumented ? b->instr_bin_dir.buf : b->ws.build_dir.buf;
	struct strbuf slot = STRBUF_INIT, prof = STRBUF_INIT, index = STRBUF_INIT, err = STRBUF_INIT;
	bool have_slot = slot_of_build_dir(build_dir, &slot) == 0 ||
			 slot_of_build_dir(b->instr_bin_dir.buf, &slot) == 0;

	if (mode && strcmp(mode, "generate") == 0)
		sb_addf(dec, "generate %s", b->raw_dir.buf);
	else if (!mode && have_slot && profile_current_index(slot.buf, &prof, &index, &err) == 1)
		c_use_decision(slot.buf, prof.buf, dec);
	else
		sb_adds(dec, "off");
	/*
	 * A stamp of the C decision alone: Rust units follow their crate's split
	 * file, so the build dir's own stamp stays as it is when a refresh
	 * changes the profile that C is compiled with.
	 */
	if (have_slot && stamp_c_sync(slot.buf, build_dir, dec->buf, stamp, &err) != 0) {
		warn("%s; build scripts that compile C will not rerun when the profile changes "
		     "(the check after the build reruns them)", err.buf);
		sb_reset(stamp);
	}
	sb_release(&slot);
	sb_release(&prof);
	sb_release(&index);
	sb_release(&err);
}

static void rebuild_units_of_another_cache(const struct build *b, const char *build_dir);

void build_run(const struct build *b, bool instrumented, const char *mode, struct build_units *out)
{
	struct strbuf dec = STRBUF_INIT, stamp = STRBUF_INIT;

	rebuild_units_of_another_cache(b, instrumented ? b->instr_bin_dir.buf : b->ws.build_dir.buf);
	c_decision(b, instrumented, mode, &dec, &stamp);
	ccode_export(&b->cc, dec.buf, stamp.len ? stamp.buf : NULL);
	sb_release(&stamp);
	struct strvec argv = STRVEC_INIT;
	struct strbuf json = STRBUF_INIT, err = STRBUF_INIT;

	sv_push(&argv, b->cargo);
	sv_push(&argv, "build");
	args_for(b, instrumented, &argv);
	if (mode) {
		setenv(ENV_MODE, mode, 1);
		setenv(ENV_PROFILE, b->raw_dir.buf, 1);
	} else {
		unsetenv(ENV_MODE);
		unsetenv(ENV_PROFILE);
	}
	if (strcmp(mode ? mode : "", "off") == 0)
		unsetenv(ENV_PROFILE);
	/* Our summary reports what the build got; the wrapper need not say it per run. */
	setenv(ENV_FRONTEND, "1", 1);
	if (!instrumented)
		report_forget_replayed(b->ws.target_dir.buf, b->ws.build_dir.buf, NULL);
	struct timespec started;
	now_timespec(&started);
	struct held held = { STRBUF_INIT, STRBUF_INIT, instrumented && b->optimised_follows, false };
	struct child c = CHILD_INIT(argv.v);
	struct strvec env = STRVEC_INIT;
	if (shim_cargo_backtrace_env())
		sv_push(&env, shim_cargo_backtrace_env());
	c.env = &env;
	c.in = CHILD_NULL;
	c.out = CHILD_CAPTURE;
	c.capture = &json;
	if (instrumented || holds_diagnostics(b)) {
		/* Its diagnostics are in the JSON: cargo's closing lines wait until they are shown. */
		c.err = CHILD_LINES;
		/* Through our pipe, cargo would take its stderr for no terminal. */
		if (cargo_colour(b) && !cargo_opt(&b->cargo_args, "--color"))
			sv_push(&env, "CARGO_TERM_COLOR=always");
		c.on_line = hold_summary;
		c.ctx = &held;
	}
	if (child_run(&c, &err) != 0)
		die(PGOW_EXIT_EXEC, "%s", err.buf);
	int status = c.status;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		(void)write_all(STDERR_FILENO, sb_str(&held.warnings), held.warnings.len);
		if (instrumented || holds_diagnostics(b))
			show_diagnostics(sb_str(&json));
		(void)write_all(STDERR_FILENO, sb_str(&held.lines), held.lines.len);
		exit_like(status);
	}
	(void)write_all(STDERR_FILENO, sb_str(&held.lines), held.lines.len);
	sb_release(&held.lines);
	sb_release(&held.warnings);
	sv_release(&env);
	if (build_units_parse(sb_str(&json), out, &err) != 0)
		die(PGOW_EXIT_INTERNAL, "%s", err.buf);
	out->messages = json;
	out->started = started;
	out->c_decision = dec; /* what build_verify checks the C objects against */
	dec = (struct strbuf)STRBUF_INIT;
	json = (struct strbuf)STRBUF_INIT;
	sv_release(&argv);
	sb_release(&json);
	sb_release(&err);
	sb_release(&dec);
}

/* One cargo run that stops at the first unit with a slot; target_dir NULL: the build's own. */
static int identify_run(const struct build *b, const char *target_dir, struct strbuf *slot_dir)
{
	struct strbuf file = STRBUF_INIT, text = STRBUF_INIT, err = STRBUF_INIT, root = STRBUF_INIT;
	struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
	int rc = -1;

	path_join(&file, b->state_dir.buf, "identify");
	(void)unlink(file.buf);
	sv_push(&argv, b->cargo);
	sv_push(&argv, "build");
	/* Its output goes nowhere; --quiet would clash with the user's -v (cargo refuses both). */
	args_in(b, false, target_dir, &argv);
	/*
	 * For this cargo only: the user's MODE stays for what follows. Unset, not
	 * empty, as the optimised build has them: cargo tracks their values for the
	 * host crates this run compiles, and would compile those again otherwise.
	 */
	sv_pushf(&env, "%s=%s", ENV_IDENTIFY, file.buf);
	sv_push(&env, ENV_MODE);
	sv_push(&env, ENV_PROFILE);
	if (shim_cargo_backtrace_env())
		sv_push(&env, shim_cargo_backtrace_env());
	/* In another target dir, the slot is still the one of this build's target dir. */
	if (target_dir && !setting_get(SETTING_WORKSPACE))
		sv_pushf(&env, "%s=%s", ENV_WORKSPACE, b->ws.target_dir.buf);
	struct child c = CHILD_INIT(argv.v);
	c.env = &env;
	c.in = CHILD_NULL;
	c.out = CHILD_NULL;
	c.err = CHILD_NULL;
	/* It fails on purpose at the first unit that has a slot: what matters is the file. */
	if (child_run(&c, &err) != 0)
		die(PGOW_EXIT_EXEC, "%s", err.buf);
	if (sb_read_file(&text, file.buf) == 0 && cache_root(&root, &err) == 0) {
		sb_setlen(&text, strcspn(text.buf, "\n"));
		/* Exactly <cache>/slots/<id>, as the wrapper made it. */
		struct strbuf want = STRBUF_INIT;
		sb_addf(&want, "%s/slots/", root.buf);
		const char *id = text.buf + want.len;
		if (strncmp(text.buf, want.buf, want.len) == 0 && slot_id_valid(id) && !strchr(id, '/')) {
			sb_adds(slot_dir, text.buf);
			rc = 0;
		}
		sb_release(&want);
	}
	(void)unlink(file.buf);
	sv_release(&argv);
	sv_release(&env);
	sb_release(&file);
	sb_release(&text);
	sb_release(&err);
	sb_release(&root);
	return rc;
}

int build_identify_slot(const struct build *b, struct strbuf *slot_dir)
{
	struct strbuf dir = STRBUF_INIT, err = STRBUF_INIT;

	if (identify_run(b, NULL, slot_dir) == 0)
		return 0;
	/*
	 * cargo compiled no unit: all are fresh in this target dir, built with
	 * another cache (a CI cache restoring target/ alone). A target dir of its
	 * own, emptied first, makes cargo reach the first unit with a slot.
	 */
	path_join(&dir, b->state_dir.buf, "identify-target");
	int rc = -1;
	if (safe_mkdirs(b->ws.target_dir.buf, b->state_dir.buf, 0755, &err) == 0 &&
	    safe_remove_tree(b->ws.target_dir.buf, dir.buf, &err) == 0) {
		rc = identify_run(b, dir.buf, slot_dir);
		(void)safe_remove_tree(b->ws.target_dir.buf, dir.buf, &err);
	}
	sb_release(&dir);
	sb_release(&err);
	return rc;
}

/*
 * The dir of a slot a mark names, when this cache has it: a unit built into
 * another cache (CARGO_PGO_WRAP_CACHE changed since) names a slot that is
 * not here, and nothing is created for it.
 */
static bool slot_here(const char *slot, struct strbuf *dir)
{
	struct strbuf root = STRBUF_INIT, err = STRBUF_INIT, file = STRBUF_INIT;
	bool here = false;

	/* A planted mark names no slot of ours. */
	if (slot_id_valid(slot) && cache_root(&root, &err) == 0) {
		sb_addf(dir, "%s/slots/%s", root.buf, slot);
		path_join(&file, dir->buf, "SLOT");
		here = file_exists(file.buf);
		if (!here)
			sb_reset(dir);
	}
	sb_release(&root);
	sb_release(&err);
	sb_release(&file);
	return here;
}

/*
 * Whether a slot is one of the workspace this build is keyed by: a unit built
 * under another CARGO_PGO_WRAP_WORKSPACE carries that slot's profile, which
 * says nothing of this one's (cargo does not rebuild it when the setting
 * changes). The answer is kept per slot: a build's units share a few.
 */
static bool slot_of_this_workspace(const char *slot_dir)
{
	static struct strbuf last = STRBUF_INIT;
	static bool last_ok;
	const char *ws = setting_get(SETTING_WORKSPACE);

	if (!ws)
		return true;
	if (last.len && strcmp(last.buf, slot_dir) == 0)
		return last_ok;
	last_ok = slot_is_of_workspace(slot_dir, ws);
	sb_reset(&last);
	sb_adds(&last, slot_dir);
	return last_ok;
}

/* The profile file a slot's units should be built with now, or "" for none. */
/*
 * The slot's current profile (empty when none), and what a unit of crate
 * must record it was given: that file, or its crate's file of the split
 * with the hash the split gave it.
 */
static void expected_profile(const char *slot_dir, const char *crate, const char *metadata,
			     struct strbuf *profile, struct strbuf *want)
{
	struct strbuf err = STRBUF_INIT, index = STRBUF_INIT, key = STRBUF_INIT;
	struct strbuf dir = STRBUF_INIT, file = STRBUF_INIT, hash = STRBUF_INIT;

	if (profile_current_index(slot_dir, profile, &index, &err) == 1) {
		profile_key_of(profile->buf, &key);
		if (split_lookup(slot_dir, key.buf, crate, metadata, &dir, &file, &hash) == 1)
			split_detail(want, file.buf, hash.buf);
		else
			sb_adds(want, profile->buf);
	}
	sb_release(&err);
	sb_release(&index);
	sb_release(&key);
	sb_release(&dir);
	sb_release(&file);
	sb_release(&hash);
}

/* Deletes a unit's outputs (named after its dep-info) so cargo must compile it again: 0, or -1 (err). */
static int remove_outputs(const char *target_dir, const char *dep_info, struct strbuf *err)
{
	static const char *const exts[] = { "", ".rlib", ".rmeta", ".so", ".a", NULL };
	struct strbuf dir = STRBUF_INIT, f = STRBUF_INIT;
	const char *base = path_basename(dep_info);
	size_t stem = strlen(base) - 2; /* without ".d" */
	int rc = 0;

	path_dirname(&dir, dep_info);
	for (const char *const *e = exts; *e && rc == 0; e++) {
		sb_reset(&f);
		sb_addf(&f, "%s/%s%.*s%s", dir.buf, **e ? "lib" : "", (int)stem, base, *e);
		rc = safe_unlink(target_dir, f.buf, err);
	}
	sb_release(&dir);
	sb_release(&f);
	return rc;
}

static void force_rebuild(const char *target_dir, const char *dep_info)
{
	struct strbuf err = STRBUF_INIT;
	if (remove_outputs(target_dir, dep_info, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s (to have it rebuilt)", err.buf);
	sb_release(&err);
}

/* A proc-macro's dep-info: never marked, since it runs in the compiler, not in what ships. */
static bool is_host_code_dep_info(const char *dep_info)
{
	struct strbuf so = STRBUF_INIT, dir = STRBUF_INIT;
	const char *base = path_basename(dep_info);

	path_dirname(&dir, dep_info);
	sb_addf(&so, "%s/lib%.*s.so", dir.buf, (int)(strlen(base) - 2), base);
	bool host = file_exists(so.buf);
	sb_release(&so);
	sb_release(&dir);
	return host;
}

static bool newer_than(const struct timespec *t, const struct timespec *since)
{
	return t->tv_sec > since->tv_sec || (t->tv_sec == since->tv_sec && t->tv_nsec > since->tv_nsec);
}

/*
 * Calls fn for each dep-info in build_dir's deps/ written after since (NULL:
 * any), with its mark, or NULL when it has none.
 */
static void each_dep_info_mark(const char *build_dir, const struct timespec *since,
			       void (*fn)(const char *dep_info, const struct unit_mark *m, void *ctx), void *ctx)
{
	struct strbuf deps = STRBUF_INIT;
	struct strvec files = STRVEC_INIT;

	path_join(&deps, build_dir, "deps");
	list_dir(deps.buf, ".d", &files);
	for (size_t i = 0; i < files.n; i++) {
		struct stat st;
		struct unit_mark m;
		struct strbuf err = STRBUF_INIT;
		if (!since || (stat(files.v[i], &st) == 0 && newer_than(&st.st_mtim, since))) {
			int marked = depinfo_read_mark(files.v[i], &m, &err);
			if (marked >= 0)
				fn(files.v[i], marked == 1 ? &m : NULL, ctx);
			if (marked == 1)
				unit_mark_release(&m);
		}
		sb_release(&err);
	}
	sv_release(&files);
	sb_release(&deps);
}

static void count_unmarked(const char *dep_info, const struct unit_mark *m, void *ctx)
{
	if (!m && !is_host_code_dep_info(dep_info))
		(*(int *)ctx)++;
}

int build_count_unmarked(const char *build_dir, const struct timespec *since)
{
	int n = 0;
	each_dep_info_mark(build_dir, since, count_unmarked, &n);
	return n;
}

void build_force_rebuild(const struct build *b, const char *dep_info)
{
	force_rebuild(b->ws.target_dir.buf, dep_info);
}

/* The decision a build's units must carry, from the mode it ran under. */
enum expect { EXPECT_PROFILE, EXPECT_PLAIN, EXPECT_GENERATE };

static enum expect expect_of(const char *mode)
{
	if (mode && strcmp(mode, "off") == 0)
		return EXPECT_PLAIN;
	if (mode && strcmp(mode, "generate") == 0)
		return EXPECT_GENERATE;
	return EXPECT_PROFILE;
}

static const char *expect_name(enum expect e)
{
	return e == EXPECT_PLAIN ? "plain decision" : e == EXPECT_GENERATE ? "instrumentation" : "current profile";
}

static void note_skip(const struct unit_mark *m, struct verified *v)
{
	const char *why = strcmp(m->action, "excluded") == 0 ? m->action : m->action + 5;
	v->skipped++;
	if (!strstr(sb_str(&v->skipped_why), why))
		sb_addf(&v->skipped_why, "%s%s", v->skipped_why.len ? ", " : "", why);
}


static void note_use(const struct build_unit *u, const char *profile, struct verified *v)
{
	const struct unit_mark *m = &u->mark;

	if (strcmp(m->action, "use") == 0)
		v->use++;
	else
		v->stale++;
	if (!u->fresh)
		v->compiled++;
	if (m->mismatches > 0) {
		v->mismatches += m->mismatches;
		sb_addf(&v->mismatched, "%s%s %d", v->mismatched.len ? ", " : "", m->crate, m->mismatches);
	}
	if (!v->profile.len)
		sb_adds(&v->profile, profile);
}

/* Checks one unit; returns false when it does not carry the decision it should. */
static bool check_unit(const struct build *b, const struct build_unit *u, enum expect e, struct verified *v)
{
	const struct unit_mark *m = &u->mark;
	bool ok;

	if (!u->dep_info) {
		v->unverified++;
		return true; /* nothing to rebuild it by; counted, never claimed */
	}
	if (!u->marked)
		return false;
	if (strncmp(m->action, "skip:", 5) == 0 || strcmp(m->action, "excluded") == 0) {
		note_skip(m, v);
		return true;
	}
	struct strbuf slot_dir = STRBUF_INIT;
	if (!slot_here(m->slot, &slot_dir))
		return false; /* built into another cache: its slot and records are not here */
	/* Even a plain one: what is expected below is its slot's, and this build's may have a profile. */
	if (!slot_of_this_workspace(slot_dir.buf)) {
		sb_release(&slot_dir);
		return false;
	}
	if (e == EXPECT_GENERATE) {
		ok = strcmp(m->action, "generate") == 0 && strcmp(m->detail, b->raw_dir.buf) == 0;
		v->generate += ok;
	} else if (e == EXPECT_PLAIN) {
		ok = strcmp(m->action, "plain") == 0;
		v->plain += ok;
	} else {
		struct strbuf want = STRBUF_INIT, profile = STRBUF_INIT;
		expected_profile(slot_dir.buf, m->crate, m->metadata, &profile, &want);
		bool used = strncmp(m->action, "use", 3) == 0;
		ok = want.len ? used && strcmp(m->detail, want.buf) == 0 : strcmp(m->action, "plain") == 0;
		if (ok && used)
			note_use(u, profile.buf, v);
		else if (ok)
			v->plain++;
		sb_release(&want);
		sb_release(&profile);
	}
	if (ok && !v->slot.len)
		sb_adds(&v->slot, slot_dir.buf);
	sb_release(&slot_dir);
	return ok;
}

static int check_all(const struct build *b, const struct build_units *u, enum expect e,
		     struct verified *v, struct strvec *bad)
{
	verified_release(v);
	for (size_t i = 0; i < u->n; i++)
		if (build_unit_is_target_code(&u->v[i]) && !check_unit(b, &u->v[i], e, v))
			sv_push(bad, u->v[i].dep_info);
	return (int)bad->n;
}

/* Only the final build's messages are the user's: they name what ships. */
void build_forward_messages(const struct build *b, const struct build_units *u)
{
	if (user_wants_json(b) && write_all(STDOUT_FILENO, sb_str(&u->messages), u->messages.len) != 0)
		die(PGOW_EXIT_FAIL, "cannot write cargo's messages to stdout: %s", strerror(errno));
}

/*
 * An instrumented program's build-id names the code behind its raw profiles,
 * also when cargo reused it. The C code of the build's build scripts is
 * named too: their objects link into the programs, and no mark leads there.
 */
static void record_programs(const struct build_units *u)
{
	struct unit_ref *c_units = NULL;
	size_t nc = 0;

	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->v[i].kind, "c-code") == 0 && strcmp(u->v[i].mark.action, "generate") == 0)
			unit_refs_add(&c_units, &nc, u->v[i].mark.crate, u->v[i].mark.metadata, u->v[i].mark.key);
	for (size_t i = 0; i < u->n; i++) {
		const struct build_unit *p = &u->v[i];
		struct strbuf err = STRBUF_INIT;
		if (p->executable && p->marked && strcmp(p->mark.action, "generate") == 0 &&
		    provenance_record(p->executable, &p->mark, c_units, nc, &err) != 0)
			warn("cannot record which code %s was built from (%s); its profiles will need "
			     "`merge --foreign --slot %.12s`", p->executable, err.buf, p->mark.slot);
		sb_release(&err);
	}
	unit_refs_release(c_units, nc);
}

/* <state>/cache-<hash of build dir>: the cache the build dir's units were last checked against. */
static void cache_marker_path(const struct build *b, const char *build_dir, struct strbuf *out)
{
	char hex[HASH_HEX_LEN + 1];
	hash_buf_hex(build_dir, strlen(build_dir), hex);
	sb_addf(out, "%s/cache-%.16s", b->state_dir.buf, hex);
}

/*
 * Whether a unit's mark ties it to another cache: a slot this cache lacks,
 * a stored profile of another cache's slots, or no record of the unit here
 * (an instrumented unit's mark names no file of the cache). What a skipped
 * or excluded unit got depends on no cache.
 */
static bool built_against_another_cache(const struct unit_mark *m, const char *root)
{
	struct strbuf slot_dir = STRBUF_INIT, prefix = STRBUF_INIT, rec = STRBUF_INIT;
	bool other = false;

	if (strncmp(m->action, "skip:", 5) == 0 || strcmp(m->action, "excluded") == 0)
		return false;
	if (!slot_here(m->slot, &slot_dir))
		other = true;
	sb_addf(&prefix, "%s/slots/", root);
	if (!other && strncmp(m->action, "use", 3) == 0 && strstr(m->detail, "/slots/"))
		other = strncmp(m->detail, prefix.buf, prefix.len) != 0;
	if (!other) {
		unitkey_record_path(&rec, slot_dir.buf, m->crate, m->metadata);
		other = !file_exists(rec.buf);
	}
	sb_release(&slot_dir);
	sb_release(&prefix);
	sb_release(&rec);
	return other;
}

struct other_cache {
	const char *root;
	struct strvec *bad;
};

static void collect_other_cache(const char *dep_info, const struct unit_mark *m, void *ctx)
{
	struct other_cache *o = ctx;
	if (m && built_against_another_cache(m, o->root))
		sv_push(o->bad, dep_info);
}

/*
 * Units another cache built here (CARGO_PGO_WRAP_CACHE switched; the slot
 * ids are the same): cargo reuses them, their marks name profiles and
 * records this cache lacks, and under ThinLTO their link with units given
 * this cache's profile fails (two profile summaries: rav1e) before
 * verification can rebuild them. So before the first build against another
 * cache (or the first this version checks), they are rebuilt; the marker
 * then names this cache, and later builds do not look.
 */
static void rebuild_units_of_another_cache(const struct build *b, const char *build_dir)
{
	struct strbuf marker = STRBUF_INIT, root = STRBUF_INIT, was = STRBUF_INIT, err = STRBUF_INIT;
	struct strvec bad = STRVEC_INIT;

	cache_marker_path(b, build_dir, &marker);
	if (cache_root(&root, &err) != 0 || cache_is_readonly() ||
	    (sb_read_regular_file(&was, marker.buf, NULL) == 0 && strcmp(was.buf, root.buf) == 0))
		goto out;
	struct other_cache o = { root.buf, &bad };
	each_dep_info_mark(build_dir, NULL, collect_other_cache, &o);
	if (bad.n && was.len)
		progress("Rebuilding", "%zu unit(s) of %s built against cache %s, not this cache (%s)\n", bad.n,
			 build_dir, was.buf, root.buf);
	else if (bad.n)
		progress("Rebuilding", "%zu unit(s) of %s built against another cache (this cache: %s)\n", bad.n,
			 build_dir, root.buf);
	for (size_t i = 0; i < bad.n; i++) {
		sb_reset(&err);
		if (remove_outputs(b->ws.target_dir.buf, bad.v[i], &err) != 0)
			warn("%s; verification rebuilds it after the build if it is part of it", err.buf);
	}
	sb_reset(&err);
	if (safe_write(b->ws.target_dir.buf, marker.buf, root.buf, root.len, 0644, &err) != 0)
		warn("%s; the next build checks its units against the cache again", err.buf);
out:
	sv_release(&bad);
	sb_release(&marker);
	sb_release(&root);
	sb_release(&was);
	sb_release(&err);
}

static bool check_build(const struct build *b, const struct build_units *u, enum expect e, struct verified *v,
			struct strvec *bad)
{
	check_all(b, u, e, v, bad);
	cobjects_check_release(&v->c);
	cobjects_check(&b->cc, u, sb_str(&u->c_decision), &u->started, &v->c);
	return bad->n || v->c.rerun_names.n;
}

static void rebuild_what_differs(const struct build *b, const struct strvec *bad, const struct verified *v,
				 enum expect e)
{
	if (bad->n)
		progress("Rebuilding", "%zu unit(s) whose artifacts do not carry the %s (built without "
			 "cargo-pgo-wrap, or with other PGO settings)\n", bad->n, expect_name(e));
	for (size_t i = 0; i < bad->n; i++)
		force_rebuild(b->ws.target_dir.buf, bad->v[i]);
	if (v->c.rerun_names.n)
		progress("Rerunning", "the build script of %s, whose C/C++ objects were compiled otherwise than "
			 "this build compiles C (%s)\n", v->c.rerun_names.v[0],
			 !b->cc.enabled ? "plain: no C/C++ PGO" : expect_name(e));
	cobjects_force_rerun(&b->cc, &v->c);
}

void build_verify(const struct build *b, struct build_units *u, bool instrumented, const char *mode,
		  struct verified *v)
{
	struct strvec bad = STRVEC_INIT;
	enum expect e = expect_of(mode);

	memset(v, 0, sizeof(*v));
	/*
	 * Held diagnostics are shown from the last cargo run only: it replays
	 * those of the units it reuses and shows the rebuilt ones' anew.
	 */
	if (check_build(b, u, e, v, &bad)) {
		rebuild_what_differs(b, &bad, v, e);
		build_units_release(u);
		build_run(b, instrumented, mode, u);
		show_held_diagnostics(b, u);
		sv_release(&bad);
		if (check_build(b, u, e, v, &bad))
			die(PGOW_EXIT_NOT_APPLIED, "%zu unit(s) still do not carry the %s after a rebuild "
			    "(first: %s); the build is not what it claims, so it fails",
			    bad.n + v->c.rerun_names.n, expect_name(e),
			    bad.n ? bad.v[0] : v->c.rerun_names.v[0]);
	} else {
		show_held_diagnostics(b, u);
	}
	cobjects_add_units(&b->cc, u, &v->c, sb_str(&u->c_decision), v->slot.buf,
			instrumented ? b->instr_bin_dir.buf : b->ws.build_dir.buf);
	if (e == EXPECT_GENERATE)
		record_programs(u);
	sv_release(&bad);
}

void verified_release(struct verified *v)
{
	sb_release(&v->skipped_why);
	sb_release(&v->mismatched);
	sb_release(&v->slot);
	sb_release(&v->profile);
	cobjects_check_release(&v->c);
	memset(v, 0, sizeof(*v));
}


/* Raw profiles waiting under <state>/raw/<target>/<profile>[/manual]. */
size_t count_pending_raw(const char *state)
{
	struct strbuf raw = STRBUF_INIT;
	struct strvec targets = STRVEC_INIT;
	size_t n = 0;

	path_join(&raw, state, "raw");
	list_dir(raw.buf, "", &targets);
	for (size_t t = 0; t < targets.n; t++) {
		struct strvec profiles = STRVEC_INIT;
		list_dir(targets.v[t], "", &profiles);
		for (size_t p = 0; p < profiles.n; p++) {
			struct strbuf manual = STRBUF_INIT;
			path_join(&manual, profiles.v[p], "manual");
			n += count_files(profiles.v[p], ".profraw") + count_files(manual.buf, ".profraw");
			sb_release(&manual);
		}
		sv_release(&profiles);
	}
	sv_release(&targets);
	sb_release(&raw);
	return n;
}

