/*
 * workspace.c - the workspace, target dir and build dir as cargo sees them
 * (see include/cycle/workspace.h).
 */
#include "cycle/workspace.h"
#include "base/json.h"
#include "base/message.h"
#include "base/path.h"
#include "base/spawn.h"
#include "base/strbuf.h"

#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <sys/wait.h>

/* The value opt has at args->v[*i] ("--opt V", *i then past V; or "--opt=V"), or NULL. */
static const char *opt_value_at(const struct strvec *args, size_t *i, const char *opt)
{
	size_t n = strlen(opt);

	if (strcmp(args->v[*i], opt) == 0 && *i + 1 < args->n)
		return args->v[++*i];
	if (strncmp(args->v[*i], opt, n) == 0 && args->v[*i][n] == '=')
		return args->v[*i] + n + 1;
	return NULL;
}

const char *cargo_opt(const struct strvec *args, const char *opt)
{
	const char *found = NULL;

	for (size_t i = 0; i < args->n && strcmp(args->v[i], "--") != 0; i++) {
		const char *v = opt_value_at(args, &i, opt);
		if (v)
			found = v;
	}
	return found;
}

bool cargo_opt_is(const struct strvec *args, const char *lng, const char *shrt, const char *value)
{
	for (size_t i = 0; i < args->n && strcmp(args->v[i], "--") != 0; i++) {
		const char *v = opt_value_at(args, &i, lng);
		if (!v && shrt)
			v = opt_value_at(args, &i, shrt);
		if (v && strcmp(v, value) == 0)
			return true;
	}
	return false;
}

bool cargo_flag(const struct strvec *args, const char *lng, const char *shrt)
{
	for (size_t i = 0; i < args->n && strcmp(args->v[i], "--") != 0; i++)
		if (strcmp(args->v[i], lng) == 0 || (shrt && strcmp(args->v[i], shrt) == 0))
			return true;
	return false;
}

/* Runs cargo with words (plus --manifest-path), capturing stdout; dies with the reason. */
static void cargo_query(const char *cargo, const struct strvec *args, const char *const *words,
			struct strbuf *out)
{
	struct strvec argv = STRVEC_INIT;
	const char *manifest = cargo_opt(args, "--manifest-path");

	char *found = find_in_path(cargo);
	if (!found)
		die(PGOW_EXIT_EXEC, "cannot run %s: not found; install cargo (rustup) or set CARGO", cargo);
	free(found);
	sv_push(&argv, cargo);
	for (; *words; words++)
		sv_push(&argv, *words);
	if (manifest) {
		sv_push(&argv, "--manifest-path");
		sv_push(&argv, manifest);
	}
	int status = run_capture(argv.v, out, NULL);
	if (status < 0 || (WIFEXITED(status) && WEXITSTATUS(status) == PGOW_EXIT_EXEC))
		die(PGOW_EXIT_EXEC, "cannot run %s; install cargo (rustup) or set CARGO", cargo);
	if (status != 0)
		die(PGOW_EXIT_CONFIG, "`%s %s` failed (cargo says why above): fix what it names (a "
		    "manifest error), or run this inside a cargo workspace or pass --manifest-path", cargo, argv.v[1]);
	while (out->len && (out->buf[out->len - 1] == '\n' || out->buf[out->len - 1] == '\r'))
		sb_setlen(out, out->len - 1);
	sv_release(&argv);
}

const char *cargo_profile_dir(const char *profile)
{
	/* cargo's directory names for its built-in profiles */
	if (strcmp(profile, "dev") == 0 || strcmp(profile, "test") == 0)
		return "debug";
	return strcmp(profile, "bench") == 0 ? "release" : profile;
}

static void set_profile(struct workspace *w, const struct strvec *args)
{
	const char *p = cargo_opt(args, "--profile");

	if (!p)
		p = cargo_flag(args, "--release", "-r") ? "release" : "dev";
	w->profile = p;
	w->profile_dir = cargo_profile_dir(p);
}

/*
 * The package whose manifest is at manifest_path, if it is the one cargo
 * builds without -p: the one --manifest-path names, else the innermost one
 * whose directory holds the cwd (none at a virtual workspace's root).
 */
static void note_implied(struct workspace *w, const char *pname, const char *manifest_path, const char *named,
			 const char *here, size_t *best)
{
	struct strbuf dir = STRBUF_INIT;
	char *real = realpath(manifest_path, NULL);

	if (named && real && strcmp(real, named) == 0) {
		sb_reset(&w->implied);
		sb_adds(&w->implied, pname);
		*best = SIZE_MAX;
	} else if (!named && real && here && *best != SIZE_MAX) {
		path_dirname(&dir, real);
		if (dir.len > *best && strncmp(here, dir.buf, dir.len) == 0 &&
		    (here[dir.len] == '/' || here[dir.len] == '\0')) {
			sb_reset(&w->implied);
			sb_adds(&w->implied, pname);
			*best = dir.len;
		}
	}
	free(real);
	sb_release(&dir);
}

static void collect_bins(struct workspace *w, const struct json *meta, const struct strvec *args)
{
	const struct json *pkgs = json_get(meta, "packages");
	const char *manifest = cargo_opt(args, "--manifest-path");
	char *named = manifest ? realpath(manifest, NULL) : NULL, *here = realpath(".", NULL);
	size_t best = 0;

	for (size_t i = 0; pkgs && pkgs->type == JSON_ARRAY && i < pkgs->n; i++) {
		const struct json *targets = json_get(&pkgs->items[i], "targets");
		const char *pname = json_get_string(&pkgs->items[i], "name");
		const char *mpath = json_get_string(&pkgs->items[i], "manifest_path");
		if (pname && mpath && (!manifest || named))
			note_implied(w, pname, mpath, named, here, &best);
		const char *version = json_get_string(&pkgs->items[i], "version");
		if (pname)
			sv_pushf(&w->members, "%s@%s", pname, version ? version : "");
		for (size_t t = 0; targets && targets->type == JSON_ARRAY && t < targets->n; t++) {
			const struct json *tg = &targets->items[t];
			const char *name = json_get_string(tg, "name");
			/* {bin:NAME} is a binary target; examples live elsewhere (examples/). */
			if (name && pname && json_array_has(json_get(tg, "kind"), "bin")) {
				sv_push(&w->bins, name);
				sv_push(&w->bin_packages, pname);
			}
		}
	}
	free(named);
	free(here);
}

const char *workspace_bin_package(const struct workspace *w, const char *name, size_t len)
{
	for (size_t i = 0; i < w->bins.n; i++)
		if (strlen(w->bins.v[i]) == len && strncmp(w->bins.v[i], name, len) == 0)
			return w->bin_packages.v[i];
	return NULL;
}

bool workspace_has_bin(const struct workspace *w, const char *name)
{
	return workspace_bin_package(w, name, strlen(name)) != NULL;
}

/*
 * Marks, stamps, records and llvm-profdata's input lists hold paths in tab
 * and line separated form: a path with a tab or a newline cannot be recorded
 * (every unit would say so, and verification could not match them).
 */
static void refuse_control_in_path(const char *what, const char *path)
{
	const char *c = str_find_control(path);
	if (c)
		die(PGOW_EXIT_CONFIG, "the %s path %.*s... holds a %s; cargo-pgo-wrap records paths in tab- and "
		    "line-separated files: move it to a path without one", what, (int)(c - path), path,
		    *c == '\t' ? "tab" : *c == '\n' ? "newline" : "control character");
}

void workspace_locate(struct workspace *w, const char *cargo, const struct strvec *args)
{
	static const char *const locate_ws[] = { "locate-project", "--workspace", "--message-format", "plain", NULL };
	static const char *const metadata[] = { "metadata", "--format-version", "1", "--no-deps", "--offline", NULL };
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct json meta;

	memset(w, 0, sizeof(*w));
	cargo_query(cargo, args, locate_ws, &out);
	path_dirname(&w->root, out.buf);
	sb_reset(&out);
	cargo_query(cargo, args, metadata, &out);
	if (json_parse(&meta, out.buf, out.len, &err) != 0)
		die(PGOW_EXIT_FAIL, "cannot read `cargo metadata`: %s", err.buf);
	const char *td = json_get_string(&meta, "target_directory");
	const char *dir = cargo_opt(args, "--target-dir");
	if (dir && path_absolute(&w->target_dir, dir) != 0)
		die(PGOW_EXIT_FAIL, "cannot resolve --target-dir %s", dir);
	if (!dir && !td)
		die(PGOW_EXIT_FAIL, "cargo metadata did not name a target directory");
	if (!dir)
		sb_adds(&w->target_dir, td);
	collect_bins(w, &meta, args);
	sv_sort_unique(&w->members);
	json_release(&meta);
	refuse_control_in_path("workspace", w->root.buf);
	refuse_control_in_path("target dir", w->target_dir.buf);
	while (w->target_dir.len > 1 && w->target_dir.buf[w->target_dir.len - 1] == '/')
		sb_setlen(&w->target_dir, w->target_dir.len - 1);
	w->target = cargo_opt(args, "--target");
	set_profile(w, args);
	sb_addf(&w->build_dir, "%s%s%s/%s", w->target_dir.buf, w->target ? "/" : "",
		w->target ? w->target : "", w->profile_dir);
	sb_release(&out);
	sb_release(&err);
}

void workspace_release(struct workspace *w)
{
	sb_release(&w->root);
	sb_release(&w->target_dir);
	sv_release(&w->bin_packages);
	sb_release(&w->implied);
	sv_release(&w->members);
	sb_release(&w->build_dir);
	sv_release(&w->bins);
}
