/*
 * buildunits.c - a build's units from cargo's JSON messages (see
 * include/formats/buildunits.h). Libraries name their deps/ file; programs are
 * named by their uplifted copy, a hard link of deps/<crate>-<hash>, so
 * that file is found by inode.
 */
#include "formats/buildunits.h"
#include "base/json.h"
#include "base/path.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool has_hash_suffix(const char *base, size_t len)
{
	/* "<crate>-<16 hex>" */
	return len > 17 && base[len - 17] == '-' && mem_is_hex(base + len - 16, 16);
}

/* deps/libfoo-HASH.rlib -> deps/foo-HASH.d; deps/foo-HASH -> deps/foo-HASH.d */
static int dep_info_of_output(const char *file, struct strbuf *out)
{
	const char *base = path_basename(file);
	const char *dot = strrchr(base, '.');

	if (!dot && has_hash_suffix(base, strlen(base))) {
		sb_addf(out, "%s.d", file);
		return 0;
	}
	if (dot && strncmp(base, "lib", 3) == 0 && has_hash_suffix(base, (size_t)(dot - base)))
		return depinfo_of_library(file, out);
	return -1;
}

/* The deps/ (or examples/) file an uplifted program is a hard link of. */
static int find_by_inode(const char *file, const char *crate, struct strbuf *out)
{
	struct stat want;
	struct strbuf dir = STRBUF_INIT, prefix = STRBUF_INIT;
	int rc = -1;

	if (stat(file, &want) != 0)
		return -1;
	sb_addf(&prefix, "%s-", crate);
	path_dirname(&dir, file);
	const char *base = path_basename(dir.buf);
	if (strcmp(base, "examples") != 0)
		sb_adds(&dir, "/deps");
	DIR *d = opendir(dir.buf);
	for (struct dirent *e; d && rc != 0 && (e = readdir(d));) {
		struct stat st;
		struct strbuf cand = STRBUF_INIT;
		size_t len = strlen(e->d_name);
		if (strncmp(e->d_name, prefix.buf, prefix.len) == 0 && !strchr(e->d_name, '.') &&
		    has_hash_suffix(e->d_name, len)) {
			path_join(&cand, dir.buf, e->d_name);
			if (stat(cand.buf, &st) == 0 && st.st_ino == want.st_ino && st.st_dev == want.st_dev) {
				sb_addf(out, "%s.d", cand.buf);
				rc = 0;
			}
		}
		sb_release(&cand);
	}
	if (d)
		closedir(d);
	sb_release(&dir);
	sb_release(&prefix);
	return rc;
}

/*
 * A cdylib, dylib or staticlib has no hash in its name (cargo gives those
 * none, so that other languages can link them): deps/lib<crate>.so (or the
 * uplifted copy beside deps/) -> deps/<crate>.d.
 */
static int dep_info_of_unhashed_library(const char *file, const char *crate, struct strbuf *out)
{
	static const char *const exts[] = { ".so", ".dylib", ".a", NULL };
	const char *base = path_basename(file);
	size_t n = strlen(crate);

	if (strncmp(base, "lib", 3) != 0 || strncmp(base + 3, crate, n) != 0 || !str_in_list(exts, base + 3 + n))
		return -1;
	struct strbuf dir = STRBUF_INIT;
	path_dirname(&dir, file);
	if (strcmp(path_basename(dir.buf), "deps") != 0)
		sb_adds(&dir, "/deps");
	sb_addf(out, "%s/%s.d", dir.buf, crate);
	sb_release(&dir);
	return 0;
}

static void locate_dep_info(struct build_unit *u, const struct json *filenames)
{
	struct strbuf crate = STRBUF_INIT, path = STRBUF_INIT;

	for (const char *c = u->name; *c; c++)
		sb_addch(&crate, *c == '-' ? '_' : *c);
	for (size_t i = 0; filenames && i < filenames->n && !u->dep_info; i++) {
		const char *f = json_string(&filenames->items[i]);
		sb_reset(&path);
		if (f && (dep_info_of_output(f, &path) == 0 || find_by_inode(f, crate.buf, &path) == 0 ||
			  dep_info_of_unhashed_library(f, crate.buf, &path) == 0) &&
		    file_exists(path.buf))
			u->dep_info = xstrdup(path.buf);
	}
	sb_release(&crate);
	sb_release(&path);
}

static void add_artifact(struct build_units *out, const struct json *msg)
{
	const struct json *target = json_get(msg, "target");
	const struct json *kinds = json_get(target, "kind");
	const char *name = json_get_string(target, "name");
	const char *pkg = json_get_string(msg, "package_id");

	if (!name || !pkg || !kinds || kinds->type != JSON_ARRAY || !kinds->n || !json_string(&kinds->items[0]))
		return;
	out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
	struct build_unit *u = &out->v[out->n++];
	memset(u, 0, sizeof(*u));
	u->package_id = xstrdup(pkg);
	u->name = xstrdup(name);
	u->kind = xstrdup(kinds->items[0].text);
	u->test = json_get_bool(json_get(msg, "profile"), "test");
	u->fresh = json_get_bool(msg, "fresh");
	const char *exe = json_get_string(msg, "executable");
	u->executable = exe ? xstrdup(exe) : NULL;
	const struct json *files = json_get(msg, "filenames");
	if (strcmp(u->kind, "custom-build") == 0 && files && files->type == JSON_ARRAY && files->n &&
	    json_string(&files->items[0]))
		u->script = xstrdup(files->items[0].text);
	if (!build_unit_is_target_code(u))
		return;
	locate_dep_info(u, json_get(msg, "filenames"));
	struct strbuf err = STRBUF_INIT;
	u->marked = u->dep_info && depinfo_read_mark(u->dep_info, &u->mark, &err) == 1;
	sb_release(&err);
}

static void add_run(struct build_units *out, const struct json *msg)
{
	const char *pkg = json_get_string(msg, "package_id");
	const char *dir = json_get_string(msg, "out_dir");

	if (!pkg || !dir)
		return;
	out->runs = xrealloc(out->runs, (out->nruns + 1) * sizeof(*out->runs));
	out->runs[out->nruns].package_id = xstrdup(pkg);
	out->runs[out->nruns++].out_dir = xstrdup(dir);
}

int build_units_parse(const char *text, struct build_units *out, struct strbuf *err)
{
	int lineno = 0;

	memset(out, 0, sizeof(*out));
	for (const char *p = text; p && *p;) {
		size_t len = strcspn(p, "\n");
		lineno++;
		if (*p == '{') {
			struct json msg;
			struct strbuf perr = STRBUF_INIT;
			if (json_parse(&msg, p, len, &perr) != 0) {
				sb_addf(err, "cargo's message on line %d is not JSON (%s)", lineno, perr.buf);
				sb_release(&perr);
				build_units_release(out);
				return -1;
			}
			const char *reason = json_get_string(&msg, "reason");
			if (reason && strcmp(reason, "compiler-artifact") == 0)
				add_artifact(out, &msg);
			else if (reason && strcmp(reason, "build-script-executed") == 0)
				add_run(out, &msg);
			json_release(&msg);
			sb_release(&perr);
		}
		p += len + (p[len] == '\n');
	}
	return 0;
}

bool build_unit_is_target_code(const struct build_unit *u)
{
	return strcmp(u->kind, "custom-build") != 0 && strcmp(u->kind, "proc-macro") != 0;
}

bool build_unit_is_program(const struct build_unit *u)
{
	static const char *const programs[] = { "bin", "example", "test", "bench", NULL };
	return u->test || str_in_list(programs, u->kind);
}

void build_units_release(struct build_units *u)
{
	for (size_t i = 0; i < u->n; i++) {
		free(u->v[i].package_id);
		free(u->v[i].name);
		free(u->v[i].kind);
		free(u->v[i].executable);
		free(u->v[i].dep_info);
		free(u->v[i].script);
		unit_mark_release(&u->v[i].mark);
	}
	free(u->v);
	for (size_t i = 0; i < u->nruns; i++) {
		free(u->runs[i].package_id);
		free(u->runs[i].out_dir);
	}
	free(u->runs);
	sb_release(&u->messages);
	sb_release(&u->c_decision);
	memset(u, 0, sizeof(*u));
}
