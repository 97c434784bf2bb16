/*
 * ccode.c - C and C++ code compiled by build scripts, in the profile (see
 * include/ccode.h): finding the compiler, pointing cc at it, and checking
 * each build script's objects against the sidecars our compiler left.
 */
#include "ccode.h"
#include "ccwrap.h"
#include "elfsyms.h"
#include "execute.h"
#include "hash.h"
#include "report.h"
#include "safefs.h"
#include "toolchain.h"
#include "unitkey.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The LLVM major of a clang, from `--version`; -1 when it is not clang. */
static int clang_major(const char *cc)
{
	char *argv[] = { (char *)cc, "--version", NULL };
	struct strbuf out = STRBUF_INIT;
	int major = -1;

	if (run_capture(argv, &out) == 0) {
		const char *v = strstr(sb_str(&out), "clang version ");
		if (v)
			major = atoi(v + 14);
	}
	sb_release(&out);
	return major;
}

/* cc's own order: CC_<target>, CC_<target_with_underscores>, HOST_CC or TARGET_CC, CC. */
static const char *user_compiler(const char *var, const char *triple, bool cross, struct strbuf *name)
{
	struct strbuf u = STRBUF_INIT;
	const char *val = NULL;

	for (const char *p = triple; *p; p++)
		sb_addch(&u, *p == '-' ? '_' : *p);
	const char *names[4];
	struct strbuf n[4] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
	sb_addf(&n[0], "%s_%s", var, triple);
	sb_addf(&n[1], "%s_%s", var, u.buf);
	sb_addf(&n[2], "%s_%s", cross ? "TARGET" : "HOST", var);
	sb_adds(&n[3], var);
	for (int i = 0; i < 4; i++)
		names[i] = n[i].buf;
	for (int i = 0; i < 4 && !val; i++) {
		val = env_get(names[i]);
		if (val)
			sb_adds(name, names[i]);
	}
	for (int i = 0; i < 4; i++)
		sb_release(&n[i]);
	sb_release(&u);
	return val;
}

/*
 * The compiler to profile with: the user's, when it is a clang of rustc's
 * LLVM, else clang-<major> (or clang) from PATH. Profiles of another LLVM
 * could not be merged with rustc's, so nothing else is accepted.
 */
static bool pick_compiler(const char *var, const char *base, const char *triple, bool cross, int major,
			  struct strbuf *out, struct strbuf *why)
{
	struct strbuf name = STRBUF_INIT, versioned = STRBUF_INIT;
	const char *mine = user_compiler(var, triple, cross, &name);
	bool ok = false;

	if (mine && *mine) {
		char *path = strchr(mine, ' ') ? NULL : find_in_path(mine);
		int m = path ? clang_major(path) : -1;
		if (m == major) {
			sb_adds(out, path);
			ok = true;
		} else {
			sb_addf(why, "%s=%s is not a clang of LLVM %d (rustc's)%s", name.buf, mine, major,
				strchr(mine, ' ') ? ", or has arguments" : "");
		}
		free(path);
	} else {
		sb_addf(&versioned, "%s-%d", base, major);
		const char *cands[] = { versioned.buf, base };
		for (size_t i = 0; i < 2 && !ok; i++) {
			char *path = find_in_path(cands[i]);
			if (path && clang_major(path) == major) {
				sb_adds(out, path);
				ok = true;
			}
			free(path);
		}
		if (!ok)
			sb_addf(why, "no %s on PATH (rustc's LLVM is %d; install %s-%d)", versioned.buf, major,
				"clang", major);
	}
	sb_release(&name);
	sb_release(&versioned);
	return ok;
}

static void host_triple(struct strbuf *out)
{
	struct strbuf id = STRBUF_INIT, err = STRBUF_INIT;

	if (rustc_identity("rustc", &id, &err) == 0) {
		const char *h = strstr(id.buf, "host: ");
		if (h)
			sb_add(out, h + 6, strcspn(h + 6, "\n"));
	}
	sb_release(&id);
	sb_release(&err);
}

static int rustc_llvm(void)
{
	struct strbuf id = STRBUF_INIT, err = STRBUF_INIT;
	int major = rustc_identity("rustc", &id, &err) == 0 ? rustc_identity_llvm_major(id.buf) : -1;
	sb_release(&id);
	sb_release(&err);
	return major;
}

/* Points CC_<triple> (or CXX_) at our link named name in link_dir. */
static void export_link(const struct ccode *c, const char *var, const char *link_dir, const char *name)
{
	struct strbuf link = STRBUF_INIT, env = STRBUF_INIT, err = STRBUF_INIT;
	char *self = self_exe_path();

	if (!self)
		die(PGOW_EXIT_INTERNAL, "cannot find our own executable: %s", strerror(errno));
	path_join(&link, link_dir, name);
	if (safe_symlink(c->target_dir, self, link.buf, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s", err.buf);
	sb_addf(&env, "%s_%s", var, c->triple);
	setenv(env.buf, link.buf, 1);
	free(self);
	sb_release(&link);
	sb_release(&env);
	sb_release(&err);
}

void ccode_choose(struct ccode *c, const char *target)
{
	const char *want = env_get(ENV_C_PGO);
	struct strbuf host = STRBUF_INIT;

	memset(c, 0, sizeof(*c));
	if (want && strcmp(want, "auto") != 0 && strcmp(want, "on") != 0 && strcmp(want, "off") != 0)
		die(PGOW_EXIT_CONFIG, "%s=%s is not a choice; set it to auto, on or off", ENV_C_PGO, want);
	host_triple(&host);
	c->triple = xstrdup(target ? target : host.buf);
	if (want && strcmp(want, "off") == 0) {
		sb_addf(&c->why_not, "%s=off", ENV_C_PGO);
	} else {
		int major = rustc_llvm();
		bool cross = target && strcmp(target, host.buf) != 0;
		c->enabled = major > 0 && pick_compiler("CC", "clang", c->triple, cross, major, &c->cc, &c->why_not);
		if (c->enabled && !pick_compiler("CXX", "clang++", c->triple, cross, major, &c->cxx, &c->why_not))
			sb_reset(&c->cxx); /* C still is; why_not says why C++ is not */
	}
	sb_release(&host);
}

void ccode_setup(struct ccode *c, const char *target, const char *target_dir, const char *link_dir)
{
	const char *want = env_get(ENV_C_PGO);

	ccode_choose(c, target);
	if (!c->enabled && want && strcmp(want, "on") == 0)
		die(PGOW_EXIT_CONFIG, "C/C++ code cannot be profiled: %s; or set %s=auto", c->why_not.buf, ENV_C_PGO);
	c->target_dir = xstrdup(target_dir);
	if (c->enabled)
		c->link_dir = xstrdup(link_dir); /* made by the first cargo run: nothing is written before it */
}

void ccode_export(const struct ccode *c, const char *decision, const char *stamp)
{
	struct strbuf err = STRBUF_INIT;

	if (!c->enabled)
		return;
	if (safe_mkdirs(c->target_dir, c->link_dir, 0755, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s", err.buf);
	sb_release(&err);
	export_link(c, "CC", c->link_dir, CCWRAP_CC_NAME);
	setenv(ENV_CC_REAL, c->cc.buf, 1);
	if (c->cxx.len) {
		export_link(c, "CXX", c->link_dir, CCWRAP_CXX_NAME);
		setenv(ENV_CXX_REAL, c->cxx.buf, 1);
	}
	setenv(ENV_C_DECISION, decision, 1);
	if (stamp)
		setenv(ENV_C_STAMP, stamp, 1);
	else
		unsetenv(ENV_C_STAMP);
}

void ccode_release(struct ccode *c)
{
	sb_release(&c->cc);
	sb_release(&c->cxx);
	sb_release(&c->why_not);
	free(c->triple);
	free(c->target_dir);
	free(c->link_dir);
	memset(c, 0, sizeof(*c));
}

static long long mtime_ns(const struct stat *st)
{
	return (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

/* Object files below dir (no links followed), with their mtimes, newest run's only when since > 0. */
static void find_objects(const char *dir, long long since, int depth, struct strvec *out)
{
	DIR *d = depth < 16 ? opendir(dir) : NULL;

	for (struct dirent *e; d && (e = readdir(d));) {
		struct strbuf p = STRBUF_INIT;
		struct stat st;
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		path_join(&p, dir, e->d_name);
		if (lstat(p.buf, &st) == 0) {
			size_t n = strlen(e->d_name);
			if (S_ISDIR(st.st_mode))
				find_objects(p.buf, since, depth + 1, out);
			else if (S_ISREG(st.st_mode) && n > 2 && strcmp(e->d_name + n - 2, ".o") == 0 &&
				 mtime_ns(&st) >= since)
				sv_push(out, p.buf);
		}
		sb_release(&p);
	}
	if (d)
		closedir(d);
}

/* The objects of a build script's latest run (all of them when none is newer than the run). */
static long long run_objects(const char *out_dir, struct strvec *objects)
{
	struct strbuf stamp = STRBUF_INIT;
	struct stat st;
	long long invoked = 0;

	path_dirname(&stamp, out_dir);
	sb_adds(&stamp, "/invoked.timestamp");
	if (stat(stamp.buf, &st) == 0)
		invoked = mtime_ns(&st);
	find_objects(out_dir, invoked, 0, objects);
	if (!objects->n && invoked)
		find_objects(out_dir, 0, 0, objects);
	sb_release(&stamp);
	return invoked;
}

/* An object's sidecar: 1 when it is newer than the object (decision and cwd filled), else 0. */
static int read_sidecar(const char *object, struct strbuf *decision, struct strbuf *cwd)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;
	struct stat so, ss;
	int fresh = 0;

	sb_addf(&path, "%s" CCWRAP_SIDECAR, object);
	if (stat(object, &so) == 0 && lstat(path.buf, &ss) == 0 && S_ISREG(ss.st_mode) &&
	    mtime_ns(&ss) >= mtime_ns(&so) && sb_read_file(&text, path.buf) == 0) {
		size_t n = strcspn(text.buf, "\n");
		sb_add(decision, text.buf, n);
		if (text.buf[n])
			sb_add(cwd, text.buf + n + 1, strcspn(text.buf + n + 1, "\n"));
		fresh = 1;
	}
	sb_release(&path);
	sb_release(&text);
	return fresh;
}

/* "<package>-<hash>" of a run's dir: the package name, and the hash cargo gave the run. */
static void run_name(const char *out_dir, struct strbuf *pkg, struct strbuf *hash)
{
	struct strbuf dir = STRBUF_INIT;

	path_dirname(&dir, out_dir);
	const char *base = path_basename(dir.buf);
	const char *dash = strrchr(base, '-');
	if (dash) {
		sb_add(pkg, base, (size_t)(dash - base));
		sb_adds(hash, dash + 1);
	} else {
		sb_adds(pkg, base);
		sb_adds(hash, "-");
	}
	sb_release(&dir);
}

enum c_state { C_NONE, C_CARRIES, C_PLAIN, C_RERUN };

/* stale (may be NULL) gets the objects that do not carry want. */
static enum c_state check_run(const char *out_dir, const char *want, long long started, size_t *nobj,
			      struct strvec *stale)
{
	struct strvec objects = STRVEC_INIT;
	long long invoked = run_objects(out_dir, &objects);
	size_t fresh = 0, match = 0;
	bool off = strcmp(want, "off") == 0;

	for (size_t i = 0; i < objects.n; i++) {
		struct strbuf d = STRBUF_INIT, cwd = STRBUF_INIT;
		bool ours = read_sidecar(objects.v[i], &d, &cwd);
		bool carries = ours ? strcmp(d.buf, want) == 0 : off;
		fresh += ours;
		match += ours && carries;
		if (!carries && stale)
			sv_push(stale, objects.v[i]);
		sb_release(&d);
		sb_release(&cwd);
	}
	*nobj = objects.n;
	sv_release(&objects);
	if (!*nobj)
		return C_NONE;
	if (strcmp(want, "off") == 0)
		return fresh ? C_RERUN : C_PLAIN;
	if (match == *nobj)
		return C_CARRIES;
	/* It ran in this build and no object came from us: its C reaches another compiler. */
	if (!fresh && invoked >= started)
		return C_PLAIN;
	return C_RERUN;
}

static void add_name(struct strbuf *list, const char *name)
{
	sb_addf(list, "%s%s", list->len ? ", " : "", name);
}

void ccode_check(const struct ccode *c, const struct build_units *u, const char *decision,
		 const struct timespec *started, struct c_check *out)
{
	const char *want = c->enabled ? decision : "off";
	long long since = (long long)started->tv_sec * 1000000000LL + started->tv_nsec;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < u->nruns; i++) {
		struct strbuf pkg = STRBUF_INIT, hash = STRBUF_INIT;
		size_t nobj = 0;
		struct strvec stale = STRVEC_INIT;
		enum c_state s = check_run(u->runs[i].out_dir, want, since, &nobj, &stale);
		run_name(u->runs[i].out_dir, &pkg, &hash);
		if (s == C_CARRIES && strcmp(want, "off") != 0) {
			out->units++;
			out->objects += (int)nobj;
			add_name(&out->packages, pkg.buf);
		} else if (s == C_PLAIN || (s == C_CARRIES && strcmp(want, "off") == 0)) {
			out->plain++;
			add_name(&out->plain_names, pkg.buf);
		} else if (s == C_RERUN) {
			sv_push(&out->rerun_names, pkg.buf);
			/* An incremental C build (cmake, make) would keep them: they go too. */
			sv_pushv(&out->stale_objects, stale.v, stale.n);
			for (size_t j = 0; j < u->n; j++)
				if (u->v[j].script && strcmp(u->v[j].package_id, u->runs[i].package_id) == 0)
					sv_push(&out->rerun, u->v[j].script);
		}
		sv_release(&stale);
		sb_release(&pkg);
		sb_release(&hash);
	}
}

void ccode_force_rerun(const struct ccode *c, const struct c_check *check)
{
	for (size_t i = 0; i < check->rerun.n; i++) {
		/* build/<pkg>-<hash>/build-script-build and the build_script_build-<hash> it links to */
		struct strbuf dir = STRBUF_INIT, real = STRBUF_INIT, err = STRBUF_INIT;
		path_dirname(&dir, check->rerun.v[i]);
		const char *dash = strrchr(path_basename(dir.buf), '-');
		sb_addf(&real, "%s/build_script_build%s", dir.buf, dash ? dash : "");
		if (safe_unlink(c->target_dir, check->rerun.v[i], &err) != 0 ||
		    safe_unlink(c->target_dir, real.buf, &err) != 0)
			die(PGOW_EXIT_FAIL, "%s (to have its build script run again)", err.buf);
		sb_release(&dir);
		sb_release(&real);
		sb_release(&err);
	}
	for (size_t i = 0; i < check->stale_objects.n; i++) {
		struct strbuf err = STRBUF_INIT;
		if (safe_unlink(c->target_dir, check->stale_objects.v[i], &err) != 0)
			die(PGOW_EXIT_FAIL, "%s (to have it compiled again)", err.buf);
		sb_release(&err);
	}
}

void c_check_release(struct c_check *check)
{
	sv_release(&check->stale_objects);
	sb_release(&check->plain_names);
	sb_release(&check->packages);
	sv_release(&check->rerun);
	sv_release(&check->rerun_names);
	memset(check, 0, sizeof(*check));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files the run's compiles read (from each object's dep file), absolute, each once. */
static void run_sources(const struct strvec *objects, struct strvec *out)
{
	struct strvec all = STRVEC_INIT;

	for (size_t i = 0; i < objects->n; i++) {
		struct strbuf d = STRBUF_INIT, cwd = STRBUF_INIT, deps = STRBUF_INIT, text = STRBUF_INIT;
		struct strvec files = STRVEC_INIT;
		sb_addf(&deps, "%s" CCWRAP_SIDECAR ".d", objects->v[i]);
		if (read_sidecar(objects->v[i], &d, &cwd) && sb_read_file(&text, deps.buf) == 0) {
			/* A compiler's dep file continues its rule over lines ending in a backslash. */
			char *w = text.buf;
			for (const char *r = text.buf; *r; r++) {
				if (r[0] == '\\' && r[1] == '\n')
					*w++ = ' ', r++;
				else
					*w++ = *r;
			}
			*w = '\0';
			unitkey_dep_info_sources(text.buf, &files);
			for (size_t j = 0; j < files.n; j++) {
				if (files.v[j][0] == '/' || !cwd.len)
					sv_push(&all, files.v[j]);
				else
					sv_pushf(&all, "%s/%s", cwd.buf, files.v[j]);
			}
		}
		sv_release(&files);
		sb_release(&d);
		sb_release(&cwd);
		sb_release(&deps);
		sb_release(&text);
	}
	if (all.n)
		qsort(all.v, all.n, sizeof(*all.v), cmp_str);
	for (size_t i = 0; i < all.n; i++)
		if (!i || strcmp(all.v[i], all.v[i - 1]) != 0)
			sv_push(out, all.v[i]);
	sv_release(&all);
}

/* The key of one run's C code, recorded in the slot; 0 with key filled, or -1 with err. */
static int key_run(const struct ccode *c, const char *crate, const char *hash, const struct strvec *objects,
		   const char *slot_dir, const char *build_dir, struct strbuf *key, struct strbuf *err)
{
	struct strvec sources = STRVEC_INIT, none = STRVEC_INIT;
	struct strbuf rec = STRBUF_INIT, dir = STRBUF_INIT, id_text = STRBUF_INIT;
	struct unit_key prev, now;
	char identity[HASH_HEX_LEN + 1];
	int rc = -1;

	memset(&prev, 0, sizeof(prev));
	memset(&now, 0, sizeof(now));
	run_sources(objects, &sources);
	/* The same code built by another compiler is other code. */
	sb_addf(&id_text, "c-code\n%s\n%s\n%s\n%s", crate, hash, c->cc.buf, c->cxx.buf);
	hash_buf_hex(id_text.buf, id_text.len, identity);
	path_join(&dir, slot_dir, "units");
	unitkey_record_path(&rec, slot_dir, crate, hash);
	if (mkdir_private(dir.buf, 0700, err) != 0)
		goto out;
	int have_prev = unitkey_read(&prev, rec.buf, err);
	sb_reset(err);
	if (unitkey_compute_sources(&now, crate, hash, identity, &sources, build_dir,
				    have_prev > 0 ? &prev : NULL, &none, err) != 0 ||
	    unitkey_write(&now, rec.buf, err) != 0)
		goto out;
	sb_adds(key, now.key);
	rc = 0;
out:
	unitkey_release(&prev);
	unitkey_release(&now);
	sv_release(&sources);
	sb_release(&rec);
	sb_release(&dir);
	sb_release(&id_text);
	return rc;
}

static void functions_path(struct strbuf *out, const char *slot_dir, const char *crate, const char *metadata)
{
	unitkey_record_path(out, slot_dir, crate, metadata);
	sb_adds(out, ".funcs");
}

void ccode_unit_functions(const char *slot_dir, const char *crate, const char *metadata, struct strvec *out)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;

	functions_path(&path, slot_dir, crate, metadata);
	if (sb_read_file(&text, path.buf) == 0)
		sv_split(out, text.buf, '\n');
	sb_release(&path);
	sb_release(&text);
}

/* Lists the functions the run's objects define, so a merge can give the unit its counts. */
static int record_functions(const struct strvec *objects, const char *slot_dir, const char *crate,
			    const char *metadata, struct strbuf *err)
{
	struct strvec names = STRVEC_INIT;
	struct strbuf text = STRBUF_INIT, path = STRBUF_INIT;
	struct atomic_opts opts = { .mode = 0600 };
	int rc = 0;

	for (size_t i = 0; i < objects->n && rc == 0; i++)
		rc = elf_function_names_of(objects->v[i], &names, err);
	for (size_t i = 0; i < names.n; i++)
		sb_addf(&text, "%s\n", names.v[i]);
	functions_path(&path, slot_dir, crate, metadata);
	if (rc == 0)
		rc = write_file_atomic(path.buf, text.buf ? text.buf : "", text.len, &opts, err);
	sv_release(&names);
	sb_release(&text);
	sb_release(&path);
	return rc;
}

static void add_unit(struct build_units *u, const struct build_script_run *run, const char *crate,
		     const char *hash, const char *slot, const char *decision, const char *key)
{
	u->v = xrealloc(u->v, (u->n + 1) * sizeof(*u->v));
	struct build_unit *b = &u->v[u->n++];
	memset(b, 0, sizeof(*b));
	b->package_id = xstrdup(run->package_id);
	b->name = xstrdup(crate);
	b->kind = xstrdup("c-code");
	b->fresh = true;
	b->marked = true;
	b->mark.slot = xstrdup(slot);
	b->mark.crate = xstrdup(crate);
	b->mark.metadata = xstrdup(hash);
	b->mark.action = xstrndup(decision, strcspn(decision, " "));
	b->mark.key = xstrdup(key);
	b->mark.detail = xstrdup(strchr(decision, ' ') ? strchr(decision, ' ') + 1 : "-");
}

void ccode_add_units(const struct ccode *c, struct build_units *u, const char *decision,
		     const char *slot_dir, const char *build_dir)
{
	struct strbuf slot_file = STRBUF_INIT;

	if (slot_dir && *slot_dir)
		path_join(&slot_file, slot_dir, "SLOT");
	bool slot_exists = slot_file.len && file_exists(slot_file.buf);
	sb_release(&slot_file);
	/* Records go only into a slot that exists in this cache (a mark may name one of another). */
	if (!c->enabled || strcmp(decision, "off") == 0 || !slot_exists)
		return;
	size_t nruns = u->nruns;
	for (size_t i = 0; i < nruns; i++) {
		struct strvec objects = STRVEC_INIT;
		struct strbuf pkg = STRBUF_INIT, hash = STRBUF_INIT, crate = STRBUF_INIT, key = STRBUF_INIT;
		struct strbuf err = STRBUF_INIT;
		size_t nobj;
		if (check_run(u->runs[i].out_dir, decision, 0, &nobj, NULL) == C_CARRIES) {
			run_objects(u->runs[i].out_dir, &objects);
			run_name(u->runs[i].out_dir, &pkg, &hash);
			sb_addf(&crate, "c:%s", pkg.buf);
			if (key_run(c, crate.buf, hash.buf, &objects, slot_dir, build_dir, &key, &err) == 0 &&
			    record_functions(&objects, slot_dir, crate.buf, hash.buf, &err) == 0)
				add_unit(u, &u->runs[i], crate.buf, hash.buf, path_basename(slot_dir), decision, key.buf);
			else
				warn("%s: cannot record the content key of its C code (%s); its staleness "
				     "will not be detected", pkg.buf, err.buf);
		}
		sv_release(&objects);
		sb_release(&pkg);
		sb_release(&hash);
		sb_release(&crate);
		sb_release(&key);
		sb_release(&err);
	}
}
