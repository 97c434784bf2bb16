/*
 * cobjects.c - the objects build scripts compiled (see include/cycle/cobjects.h):
 * each one's sidecar checked against the build's decision, build scripts
 * whose objects do not carry it rerun, and the C code of those that do made
 * into units of the profile, keyed by what their compiles read.
 */
#include "cycle/cobjects.h"
#include "base/atomic.h"
#include "base/hash.h"
#include "base/message.h"
#include "base/path.h"
#include "base/safefs.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "formats/elfsyms.h"
#include "store/unitkey.h"
#include "wrapper/ccwrap.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
			if (S_ISDIR(st.st_mode))
				find_objects(p.buf, since, depth + 1, out);
			else if (S_ISREG(st.st_mode) && strlen(e->d_name) > 2 && str_ends_with(e->d_name, ".o") &&
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

struct sidecar {
	struct strbuf decision;  /* "use FILE", "generate DIR", "plain <why>" */
	struct strbuf cwd;       /* where the compile ran */
	struct strbuf deps;      /* its dep file, when it wrote one */
};

static void sidecar_release(struct sidecar *sc)
{
	sb_release(&sc->decision);
	sb_release(&sc->cwd);
	sb_release(&sc->deps);
}

/* An object's sidecar: true when there is one newer than the object (sc filled). */
static bool read_sidecar(const char *object, struct sidecar *sc)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;
	struct strbuf *fields[] = { &sc->decision, &sc->cwd, &sc->deps };
	struct stat so, ss;
	bool fresh = false;

	memset(sc, 0, sizeof(*sc));
	sb_addf(&path, "%s" CCWRAP_SIDECAR, object);
	if (stat(object, &so) == 0 && lstat(path.buf, &ss) == 0 && S_ISREG(ss.st_mode) &&
	    mtime_ns(&ss) >= mtime_ns(&so) && sb_read_file(&text, path.buf) == 0) {
		const char *p = text.buf;
		for (size_t i = 0; i < 3 && *p; i++) {
			size_t n = strcspn(p, "\n");
			sb_add(fields[i], p, n);
			p += n + (p[n] == '\n');
		}
		fresh = true;
	}
	sb_release(&path);
	sb_release(&text);
	return fresh;
}

/*
 * Left on an object another compiler made in a run of its build script, so
 * that later builds, where the script does not run, know it for one too
 * rather than run the script again and again.
 */
static void record_foreign(const struct strvec *objects)
{
	for (size_t i = 0; i < objects->n; i++) {
		struct strbuf err = STRBUF_INIT;
		/* Without it the next build reruns the script once more, and says so. */
		if (ccwrap_write_sidecar(objects->v[i], CCWRAP_FOREIGN, NULL, NULL, &err) != 0)
			warn("%s", err.buf);
		sb_release(&err);
	}
}

/*
 * Objects that could not carry a profile (assembly, opt-level 0, excluded)
 * pass any check; not one another compiler made, which is said.
 */
static bool neutral(const struct sidecar *sc)
{
	const char *d = sc->decision.buf;
	return d && strncmp(d, "plain ", 6) == 0 && strcmp(d, "plain off") != 0 && strcmp(d, CCWRAP_FOREIGN) != 0;
}

/* The object was written by the script's latest run (not left from an earlier one). */
static bool made_by_run(const char *object, long long invoked)
{
	struct stat st;
	return invoked && lstat(object, &st) == 0 && mtime_ns(&st) >= invoked;
}

/*
 * An object no compiler made: GCC and clang mark theirs with a .comment
 * section ("GCC: (Debian …)", "clang version …"), assemblers (nasm, yasm,
 * as) do not. Such code, assembled outside cc, can carry no profile, so it
 * needs no sidecar. (A compiler run with -fno-ident would pass for one.)
 */
static bool assembled(const char *object)
{
	struct strbuf err = STRBUF_INIT;
	int has = elf_has_section_of(object, ".comment", &err);
	sb_release(&err);
	return has == 0;
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

/* C_PARTIAL: some objects carry it, the others were compiled in this run by another compiler. */
enum c_state { C_NONE, C_CARRIES, C_PARTIAL, C_PLAIN, C_RERUN };

/*
 * One run's objects (filled in: the latest run's, or all when it wrote none)
 * against want. nobj: those that carry it (neutral ones not counted);
 * nforeign: those another compiler made; stale: those that do not carry it.
 */
static enum c_state check_run(const char *out_dir, const char *want, long long started,
			      struct strvec *objects, size_t *nobj, size_t *nforeign, struct strvec *stale)
{
	long long invoked = run_objects(out_dir, objects);
	size_t carrying = 0, neutrals = 0, foreign = 0;
	bool off = strcmp(want, "off") == 0;
	struct strvec unrecorded = STRVEC_INIT;

	for (size_t i = 0; i < objects->n; i++) {
		struct sidecar sc;
		bool fresh = read_sidecar(objects->v[i], &sc);
		bool known_foreign = fresh && strcmp(sc.decision.buf, CCWRAP_FOREIGN) == 0;
		bool is_neutral = fresh ? neutral(&sc) : assembled(objects->v[i]);
		bool carries = is_neutral ||
			       (fresh && !known_foreign ? strcmp(sc.decision.buf, off ? "plain off" : want) == 0 : off);
		/*
		 * The script ran in this build and wrote this object, through a compiler
		 * other than ours: running it again would not change that. One left from
		 * an earlier run (a make-based script that found it up to date) may be
		 * a plain build's, which a rerun through our compiler replaces.
		 */
		bool made_now = !fresh && invoked >= started && made_by_run(objects->v[i], invoked);
		bool is_foreign = !carries && (known_foreign || made_now);
		neutrals += is_neutral;
		carrying += carries && !is_neutral;
		foreign += is_foreign;
		if (is_foreign && made_now)
			sv_push(&unrecorded, objects->v[i]);
		if (!carries)
			sv_push(stale, objects->v[i]);
		sidecar_release(&sc);
	}
	size_t n = objects->n;
	enum c_state s = !n || neutrals == n ? C_NONE
			 : carrying + neutrals == n ? (off ? C_PLAIN : C_CARRIES)
			 : carrying + neutrals + foreign == n ? (carrying ? C_PARTIAL : C_PLAIN)
			 : C_RERUN;
	if (s == C_PARTIAL || s == C_PLAIN)
		record_foreign(&unrecorded);
	sv_release(&unrecorded);
	*nobj = carrying;
	*nforeign = foreign;
	return s;
}

static void add_name(struct strbuf *list, const char *name)
{
	sb_addf(list, "%s%s", list->len ? ", " : "", name);
}

void cobjects_check(const struct ccode *c, const struct build_units *u, const char *decision,
		    const struct timespec *started, struct c_check *out)
{
	const char *want = c->enabled ? decision : "off";
	long long since = (long long)started->tv_sec * 1000000000LL + started->tv_nsec;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < u->nruns; i++) {
		struct strbuf pkg = STRBUF_INIT, hash = STRBUF_INIT;
		size_t nobj = 0, nforeign = 0;
		struct strvec stale = STRVEC_INIT, objects = STRVEC_INIT;
		enum c_state s = check_run(u->runs[i].out_dir, want, since, &objects, &nobj, &nforeign, &stale);
		run_name(u->runs[i].out_dir, &pkg, &hash);
		if (s == C_PARTIAL) {
			out->foreign_objects += (int)nforeign;
			add_name(&out->partial_names, pkg.buf);
		}
		/* The foreign objects' functions can have no counts: they are not the unit's. */
		for (size_t k = objects.n; s == C_PARTIAL && k-- > 0;)
			if (sv_has(&stale, objects.v[k]))
				sv_remove(&objects, k);
		if (s == C_CARRIES || s == C_PARTIAL) {
			out->units++;
			out->objects += (int)nobj;
			add_name(&out->packages, pkg.buf);
			out->carrying = xrealloc(out->carrying, (out->ncarrying + 1) * sizeof(*out->carrying));
			out->carrying[out->ncarrying].run = i;
			out->carrying[out->ncarrying++].objects = objects;
			objects = (struct strvec)STRVEC_INIT;
		} else if (s == C_PLAIN) {
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
		sv_release(&objects);
		sb_release(&pkg);
		sb_release(&hash);
	}
}

void cobjects_force_rerun(const struct ccode *c, const struct c_check *check)
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

void cobjects_check_release(struct c_check *check)
{
	for (size_t i = 0; i < check->ncarrying; i++)
		sv_release(&check->carrying[i].objects);
	free(check->carrying);
	sv_release(&check->stale_objects);
	sb_release(&check->plain_names);
	sb_release(&check->partial_names);
	sb_release(&check->packages);
	sv_release(&check->rerun);
	sv_release(&check->rerun_names);
	memset(check, 0, sizeof(*check));
}

/* The files the run's compiles read (from each object's dep file), absolute, each once. */
static void run_sources(const struct strvec *objects, struct strvec *out)
{
	for (size_t i = 0; i < objects->n; i++) {
		struct sidecar sc;
		struct strbuf text = STRBUF_INIT;
		struct strvec files = STRVEC_INIT;
		if (read_sidecar(objects->v[i], &sc) && sc.deps.len && sb_read_file(&text, sc.deps.buf) == 0) {
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
				if (files.v[j][0] == '/' || !sc.cwd.len)
					sv_push(out, files.v[j]);
				else
					sv_pushf(out, "%s/%s", sc.cwd.buf, files.v[j]);
			}
		}
		sv_release(&files);
		sidecar_release(&sc);
		sb_release(&text);
	}
	sv_sort_unique(out);
}

/* The key of one run's C code, recorded in the slot; 0 with key filled, or -1 with err. */
static int key_run(const struct ccode *c, const char *crate, const char *hash, const struct strvec *objects,
		   const char *slot_dir, const char *build_dir, struct strbuf *key, struct strbuf *err)
{
	struct strvec sources = STRVEC_INIT, none = STRVEC_INIT;
	struct strbuf rec = STRBUF_INIT, id_text = STRBUF_INIT;
	struct unit_key prev, now;
	char identity[HASH_HEX_LEN + 1];
	int rc = -1;

	memset(&prev, 0, sizeof(prev));
	memset(&now, 0, sizeof(now));
	run_sources(objects, &sources);
	/* The same code built by another compiler is other code. */
	sb_addf(&id_text, "c-code\n%s\n%s\n%s\n%s", crate, hash, c->cc.buf, c->cxx.buf);
	hash_buf_hex(id_text.buf, id_text.len, identity);
	unitkey_record_path(&rec, slot_dir, crate, hash);
	if (unitkey_make_dir(slot_dir, err) != 0)
		goto out;
	int have_prev = unitkey_read(&prev, rec.buf, err);
	sb_reset(err);
	if (unitkey_compute_sources(&now, crate, hash, identity, false, &sources, build_dir,
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
	sb_release(&id_text);
	return rc;
}

static void functions_path(struct strbuf *out, const char *slot_dir, const char *crate, const char *metadata)
{
	unitkey_record_path(out, slot_dir, crate, metadata);
	sb_adds(out, ".funcs");
}

void cobjects_unit_functions(const char *slot_dir, const char *crate, const char *metadata, struct strvec *out)
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
	sv_sort_unique(&names); /* an inline function defined in many objects counts once */
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

void cobjects_add_units(const struct ccode *c, struct build_units *u, const struct c_check *check,
			const char *decision, const char *slot_dir, const char *build_dir)
{
	if (!slot_dir || !*slot_dir)
		return;
	for (size_t i = 0; i < check->ncarrying; i++) {
		const struct build_script_run *run = &u->runs[check->carrying[i].run];
		const struct strvec *objects = &check->carrying[i].objects;
		struct strbuf pkg = STRBUF_INIT, hash = STRBUF_INIT, crate = STRBUF_INIT, key = STRBUF_INIT;
		struct strbuf err = STRBUF_INIT;
		run_name(run->out_dir, &pkg, &hash);
		sb_addf(&crate, "c:%s", pkg.buf);
		if (key_run(c, crate.buf, hash.buf, objects, slot_dir, build_dir, &key, &err) == 0 &&
		    record_functions(objects, slot_dir, crate.buf, hash.buf, &err) == 0)
			add_unit(u, run, crate.buf, hash.buf, path_basename(slot_dir), decision, key.buf);
		else
			warn("%s: cannot record the content key of its C code (%s); its staleness "
			     "will not be detected", pkg.buf, err.buf);
		sb_release(&pkg);
		sb_release(&hash);
		sb_release(&crate);
		sb_release(&key);
		sb_release(&err);
	}
}
