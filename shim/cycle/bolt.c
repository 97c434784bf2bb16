/*
 * bolt.c - the BOLT stage after a verified PGO build (see include/cycle/bolt.h).
 * The profile comes from llvm-bolt's instrumentation, or from perf samples
 * (bolt-profile: perf); the programs are linked with -Wl,-q for it by the
 * wrapper. What ships is cargo's own output file, replaced in place, so
 * cargo keeps it as fresh.
 */
#include "cycle/bolt.h"
#include "base/atomic.h"
#include "base/clock.h"
#include "base/dirlist.h"
#include "base/message.h"
#include "base/path.h"
#include "base/safefs.h"
#include "base/settings.h"
#include "base/spawn.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "formats/buildid.h"
#include "formats/elfsyms.h"
#include "store/report.h"
#include "store/toolchain.h"
#include "cycle/boltfield.h"
#include "cycle/fleet.h"
#include "cycle/train.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct tools {
	struct strbuf bolt, merge, objcopy;
	struct strbuf perf, perf2bolt;   /* bolt-profile: perf */
};

static void tools_release(struct tools *t);

/* llvm-bolt -instrument links this in: <llvm>/lib/libbolt_rt_instr.a beside its <llvm>/bin. */
static bool instr_runtime_present(const char *bolt)
{
	char *real = realpath(bolt, NULL);
	struct strbuf dir = STRBUF_INIT, lib = STRBUF_INIT;
	bool found = false;

	if (real) {
		path_dirname(&dir, real);
		sb_addf(&lib, "%s/../lib/libbolt_rt_instr.a", dir.buf);
		found = file_exists(lib.buf);
	}
	free(real);
	sb_release(&dir);
	sb_release(&lib);
	return found;
}

static int find_tools(struct tools *t, struct strbuf *err)
{
	int major = rustc_llvm_major();

	memset(t, 0, sizeof(*t));
	if (major <= 0) {
		sb_reset(err);
		sb_adds(err, "bolt: on needs the BOLT of rustc's LLVM, and which LLVM rustc has cannot be told "
			"(`rustc -vV` fails: is a toolchain installed?)");
		return -1;
	}
	if (llvm_tool_path("llvm-bolt", major, &t->bolt) && llvm_tool_path("merge-fdata", major, &t->merge) &&
	    llvm_tool_path("llvm-objcopy", major, &t->objcopy)) {
		if (instr_runtime_present(t->bolt.buf))
			return 0;
		sb_reset(err);
		sb_addf(err, "llvm-bolt-%d is there but not its instrumentation runtime (libbolt_rt_instr.a); "
			"apt-get install libbolt-%d-dev, or set bolt: off", major, major);
		tools_release(t);
		return -1;
	}
	sb_reset(err);
	sb_addf(err, "bolt: on needs llvm-bolt-%d, merge-fdata-%d and llvm-objcopy-%d (rustc's LLVM); "
		"apt-get install bolt-%d libbolt-%d-dev llvm-%d, or set bolt: off", major, major, major, major,
		major, major);
	return -1;
}

static void tools_release(struct tools *t)
{
	sb_release(&t->bolt);
	sb_release(&t->merge);
	sb_release(&t->objcopy);
	sb_release(&t->perf);
	sb_release(&t->perf2bolt);
}

/* bolt-profile: perf needs perf itself and perf2bolt of the same LLVM as llvm-bolt. */
static int find_perf_tools(struct tools *t, struct strbuf *err)
{
	if (bolt_perf_tools(&t->perf, &t->perf2bolt, err) == 0)
		return 0;
	sb_adds(err, ", or use bolt-profile: instrument");
	return -1;
}

void bolt_describe_tools(struct strbuf *out)
{
	struct tools t;
	struct strbuf err = STRBUF_INIT;

	if (find_tools(&t, &err) == 0)
		sb_addf(out, "%s and %s (for bolt: on)", t.bolt.buf, t.merge.buf);
	else
		sb_adds(out, err.buf);
	if (t.bolt.len && find_perf_tools(&t, &err) == 0)
		sb_addf(out, "; %s and %s (for bolt-profile: perf, and perf samples from the field)", t.perf.buf,
			t.perf2bolt.buf);
	else if (t.bolt.len)
		sb_addf(out, "; no perf samples for BOLT: %s", err.buf);
	tools_release(&t);
	sb_release(&err);
}

void bolt_preflight(const struct build *b)
{
	struct tools t;
	struct strbuf err = STRBUF_INIT;

	if (!b->cfg.bolt) {
		/* Said here, not found out on a field machine whose samples are refused. */
		if (b->cfg.bolt_bat)
			warn("%s: bolt-bat: on does nothing with bolt off: nothing ships BOLTed or recorded for its perf "
			     "samples; set bolt: on", b->cfg.path ? b->cfg.path : "pgo-wrap.yaml");
		return;
	}
	if (find_tools(&t, &err) != 0 || (b->cfg.bolt_perf && find_perf_tools(&t, &err) != 0))
		die(PGOW_EXIT_CONFIG, "%s: %s", b->cfg.path ? b->cfg.path : "pgo-wrap.yaml", err.buf);
	if (!b->cfg.nruns)
		die(PGOW_EXIT_CONFIG, "%s: bolt: on needs training: runs to measure the BOLTed programs with",
		    b->cfg.path ? b->cfg.path : "pgo-wrap.yaml");
	/* The optimised build links its programs with their relocations, which BOLT rewrites from. */
	setenv(ENV_LINK_RELOCS, "1", 1);
	tools_release(&t);
	sb_release(&err);
}

/* What is known of a program before the stage runs. */
enum known { K_UNKNOWN, K_BOLTED_ALREADY, K_KEPT, K_DISCARDED, K_NOT_RUN };

struct program {
	const char *name;       /* basename of the shipped file */
	const char *exe;        /* target/<profile>/<name> */
	char *output;           /* cargo's own file, deps/<name>-<hash>, which exe is a link of */
	char *id;               /* its build-id */
	enum known known;
	bool relink;            /* it must be linked again before BOLT can judge it */
	struct strbuf cached;   /* K_KEPT: the BOLTed file in the cache */
	bool bolted;            /* BOLT made out/<name> this time */
};

/* The programs that ship from this build with the profile. */
static size_t find_programs(const struct build_units *u, struct program **out)
{
	size_t n = 0;

	*out = NULL;
	for (size_t i = 0; i < u->n; i++) {
		const struct build_unit *p = &u->v[i];
		if (!p->executable || p->test || !p->marked || !p->dep_info || !str_ends_with(p->dep_info, ".d") ||
		    strncmp(p->mark.action, "use", 3) != 0)
			continue;
		*out = xrealloc(*out, (n + 1) * sizeof(**out));
		struct program *g = &(*out)[n++];
		memset(g, 0, sizeof(*g));
		g->name = path_basename(p->executable);
		g->exe = p->executable;
		g->output = xstrndup(p->dep_info, strlen(p->dep_info) - 2);
	}
	return n;
}

static void programs_release(struct program *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].output);
		free(p[i].id);
		sb_release(&p[i].cached);
	}
	free(p);
}

/* What a verdict on program id must have been reached with: this training, these settings, the field's profiles. */
static void verdict_key(const struct build *b, const char *slot_dir, const char *id, struct strbuf *out)
{
	static const char *const mode[] = { [BOLT_FIELD_WITH] = "with", [BOLT_FIELD_INSTEAD] = "instead",
					    [BOLT_FIELD_OFF] = "off" };
	sb_addf(out, " training=%s gain=%g bat=%d field=%s:", b->training_id ? b->training_id : "-",
		b->cfg.bolt_min_gain, b->cfg.bolt_bat, mode[b->cfg.bolt_field]);
	if (b->cfg.bolt_field == BOLT_FIELD_OFF)
		sb_addch(out, '-');
	else
		boltfield_state(slot_dir, id, out);
	sb_addf(out, " rounds=%ld ", b->cfg.bolt_rounds);
}

/* The verdict on build-id id, when it was reached as b would reach it now; 0 without one. */
static int read_verdict(const struct build *b, const char *slot_dir, const char *id, struct strbuf *line)
{
	struct strbuf path = STRBUF_INIT, want = STRBUF_INIT;
	int found;

	bolt_cache_file(&path, slot_dir, id, "verdict");
	verdict_key(b, slot_dir, id, &want);
	found = sb_read_file(line, path.buf) == 0 && strstr(line->buf, want.buf);
	sb_release(&path);
	sb_release(&want);
	return found;
}

/*
 * What the cache says of a program: a BOLT output kept under the current
 * settings, or a verdict reached with them. A BOLT output judged otherwise
 * must be linked again to be judged anew, and a kept one whose file gc
 * removed is unknown again.
 */
static void look_up(const struct build *b, struct program *p, const char *slot_dir)
{
	struct strbuf path = STRBUF_INIT, line = STRBUF_INIT, source = STRBUF_INIT;

	p->known = K_UNKNOWN;
	p->relink = false;
	bolt_cache_file(&path, slot_dir, p->id, "output");
	if (sb_read_file(&source, path.buf) == 0) {
		if (read_verdict(b, slot_dir, source.buf, &line))
			p->known = K_BOLTED_ALREADY;
		else
			p->relink = true;
	} else if (read_verdict(b, slot_dir, p->id, &line)) {
		if (strncmp(line.buf, "kept ", 5) == 0) {
			bolt_cache_file(&p->cached, slot_dir, p->id, "bin");
			p->known = file_exists(p->cached.buf) ? K_KEPT : K_UNKNOWN;
		} else {
			p->known = strncmp(line.buf, "not-run ", 8) == 0 ? K_NOT_RUN : K_DISCARDED;
		}
	}
	sb_release(&path);
	sb_release(&line);
	sb_release(&source);
}

/* cargo's output becomes the BOLTed program, and the shipped name a link of it again. */
static void install(const struct build *b, const struct program *p, const char *bolted)
{
	struct strbuf err = STRBUF_INIT;

	if (safe_install(b->ws.target_dir.buf, bolted, p->output, 0755, &err) != 0 ||
	    safe_hardlink(b->ws.target_dir.buf, p->output, p->exe, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s", err.buf);
	sb_release(&err);
}

/*
 * A program that does not ship BOLTed ships without the relocations -Wl,-q
 * kept for BOLT (a quarter of bat's file), as it would have been linked.
 */
static void ship_without_relocations(const struct build *b, const struct tools *t, const struct program *p,
				     const char *slot_dir, const char *work)
{
	struct strvec sections = STRVEC_INIT, argv = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT, log = STRBUF_INIT;

	if (elf_static_relocations_of(p->exe, &sections, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s", err.buf);
	if (sections.n) {
		if (safe_mkdirs(b->ws.target_dir.buf, work, 0755, &err) != 0)
			die(PGOW_EXIT_FAIL, "%s", err.buf);
		sb_addf(&out, "%s/%s.plain", work, p->name);
		sb_addf(&log, "%s/objcopy.log", work);
		sv_push(&argv, t->objcopy.buf);
		for (size_t i = 0; i < sections.n; i++)
			sv_pushf(&argv, "--remove-section=%s", sections.v[i]);
		sv_push(&argv, p->exe);
		sv_push(&argv, out.buf);
		if (safe_unlink(b->ws.target_dir.buf, out.buf, &err) != 0 || run_to_log(argv.v, log.buf) != 0)
			die(PGOW_EXIT_FAIL, "llvm-objcopy could not remove BOLT's relocations from %s; see %s%s",
			    p->exe, log.buf, err.buf);
		install(b, p, out.buf);
	}
	/* Its perf samples where it runs are BOLT's profile of it as they are: the merge host needs the file. */
	if (b->cfg.bolt_bat)
		boltfield_keep_shipped(slot_dir, p->exe, p->id);
	sv_release(&sections);
	sv_release(&argv);
	sb_release(&err);
	sb_release(&out);
	sb_release(&log);
}

/* Ships what the cache already decided; true when nothing is left to BOLT. */
static bool apply_cached(const struct build *b, const struct tools *t, struct program *p, size_t n,
			 const char *slot_dir, const char *work)
{
	static const char *const said[] = { [K_BOLTED_ALREADY] = "BOLTed already", [K_KEPT] = "kept",
					    [K_DISCARDED] = "discarded", [K_NOT_RUN] = "the training does not run it" };
	struct strbuf report = STRBUF_INIT;
	size_t unknown = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i].known == K_UNKNOWN) {
			unknown++;
			continue;
		}
		if (p[i].known == K_KEPT)
			install(b, &p[i], p[i].cached.buf);
		else if (p[i].known != K_BOLTED_ALREADY)
			ship_without_relocations(b, t, &p[i], slot_dir, work);
		sb_addf(&report, "%s%s (%s)", report.len ? ", " : "", p[i].name, said[p[i].known]);
	}
	if (report.len)
		progress("BOLT", "cached verdicts, not re-run: %s\n", report.buf);
	sb_release(&report);
	return unknown == 0;
}

/*
 * dir/<name> for every program of the build: from/<name> for the programs
 * being BOLTed (only those BOLT made, with only_bolted), else the shipped one.
 */
static void bin_dir(const struct build *b, const struct build_units *u, const char *dir, const struct program *p,
		    size_t n, const char *from, bool only_bolted)
{
	struct strbuf err = STRBUF_INIT, link = STRBUF_INIT, target = STRBUF_INIT;

	if (safe_mkdirs(b->ws.target_dir.buf, dir, 0755, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s", err.buf);
	for (size_t i = 0; i < u->n; i++) {
		if (!u->v[i].executable || u->v[i].test)
			continue;
		const char *name = path_basename(u->v[i].executable);
		sb_reset(&link);
		sb_reset(&target);
		path_join(&link, dir, name);
		sb_adds(&target, u->v[i].executable);
		for (size_t j = 0; j < n; j++)
			if (from && p[j].known == K_UNKNOWN && strcmp(p[j].name, name) == 0 &&
			    (!only_bolted || p[j].bolted)) {
				sb_reset(&target);
				path_join(&target, from, name);
			}
		if (safe_symlink(b->ws.target_dir.buf, target.buf, link.buf, &err) != 0)
			die(PGOW_EXIT_FAIL, "%s", err.buf);
	}
	sb_release(&err);
	sb_release(&link);
	sb_release(&target);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One timed run of the whole training with {bin:NAME} from dir; output kept in out. */
static double timed_training(const struct build *b, const char *dir, const char *scratch, const char *out)
{
	struct strbuf err = STRBUF_INIT;
	struct strvec none = STRVEC_INIT;
	struct train_paths paths = { dir, b->instr_dir.buf, scratch, b->ws.root.buf, out, false, "", NULL, NULL };

	if (safe_unlink(b->ws.target_dir.buf, out, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s", err.buf);
	double t0 = now_seconds();
	if (train_run_all(&b->cfg, &paths, &none, &err) != 0)
		die(PGOW_EXIT_TRAINING, "BOLT's measurement: %s", err.buf);
	double took = now_seconds() - t0;
	sv_release(&none);
	sb_release(&err);
	return took;
}

/*
 * The gate: the training with the PGO programs and with the BOLTed ones,
 * alternating which goes first, from one dir whose links are swapped (a
 * program that prints its own path prints the same); the BOLTed ones must
 * print the same and be faster by the configured margin.
 */
static bool gate(const struct build *b, const struct build_units *u, const struct program *p, size_t n,
		 const char *work, struct strbuf *report)
{
	long rounds = b->cfg.bolt_rounds;
	double *pgo = xcalloc((size_t)rounds, sizeof(double)), *bolt = xcalloc((size_t)rounds, sizeof(double));
	struct strbuf dir = STRBUF_INIT, out = STRBUF_INIT, outputs[2] = { STRBUF_INIT, STRBUF_INIT };
	struct strbuf text[2] = { STRBUF_INIT, STRBUF_INIT }, scratch = STRBUF_INIT;

	sb_addf(&dir, "%s/bin", work);
	sb_addf(&out, "%s/out", work);
	sb_addf(&outputs[0], "%s/output-pgo.txt", work);
	sb_addf(&outputs[1], "%s/output-bolt.txt", work);
	sb_addf(&scratch, "%s/scratch", work);
	bool same = true;
	for (long r = 0; r < rounds; r++) {
		for (int k = 0; k < 2; k++) {
			bool with_bolt = (k == 0) == (r % 2 == 1);
			bin_dir(b, u, dir.buf, p, n, with_bolt ? out.buf : NULL, true);
			double t = timed_training(b, dir.buf, scratch.buf, outputs[with_bolt].buf);
			*(with_bolt ? &bolt[r] : &pgo[r]) = t;
		}
		for (int k = 0; k < 2; k++) {
			sb_reset(&text[k]);
			same &= sb_read_file(&text[k], outputs[k].buf) == 0;
		}
		same &= text[0].len == text[1].len && memcmp(sb_str(&text[0]), sb_str(&text[1]), text[0].len) == 0;
	}
	double mp = median(pgo, (size_t)rounds), mb = median(bolt, (size_t)rounds);
	double ratio = mp > 0 ? mb / mp : 1;
	bool keep = same && ratio <= 1 - b->cfg.bolt_min_gain;
	sb_addf(report, "training %.3fs with PGO, %.3fs BOLTed (%.3fx the time, %.1f%% %s; median of %ld rounds each, "
		"alternating)", mp, mb, ratio, 100 * (ratio <= 1 ? 1 - ratio : ratio - 1), ratio <= 1 ? "faster" : "slower",
		rounds);
	if (!same)
		sb_adds(report, "; their output differs");
	else if (!keep)
		sb_addf(report, "; not %.0f%% faster (bolt-min-gain %g)", b->cfg.bolt_min_gain * 100, b->cfg.bolt_min_gain);
	free(pgo);
	free(bolt);
	for (int k = 0; k < 2; k++) {
		sb_release(&outputs[k]);
		sb_release(&text[k]);
	}
	sb_release(&dir);
	sb_release(&out);
	sb_release(&scratch);
	return keep;
}

static void instrument(const struct tools *t, struct program *p, const char *work, const char *log)
{
	struct strvec argv = STRVEC_INIT;
	sv_push(&argv, t->bolt.buf);
	sv_push(&argv, p->exe);
	sv_push(&argv, "-instrument");
	sv_pushf(&argv, "-o=%s/instr/%s", work, p->name);
	sv_pushf(&argv, "--instrumentation-file=%s/fdata/%s.fdata", work, p->name);
	sv_push(&argv, "--instrumentation-file-append-pid");
	if (run_to_log(argv.v, log) != 0)
		die(PGOW_EXIT_FAIL, "llvm-bolt could not instrument %s; see %s", p->exe, log);
	sv_release(&argv);
}

/* The BOLT profiles of a program collected so far, <work>/fdata/<name>.fdata.*.fdata. */
static void program_profiles(const char *work, const char *name, struct strvec *out)
{
	struct strbuf dir = STRBUF_INIT, prefix = STRBUF_INIT;
	struct strvec all = STRVEC_INIT;

	sb_addf(&dir, "%s/fdata", work);
	sb_addf(&prefix, "%s/%s.fdata.", dir.buf, name);
	list_dir(dir.buf, ".fdata", &all);
	for (size_t i = 0; i < all.n; i++)
		if (strncmp(all.v[i], prefix.buf, prefix.len) == 0)
			sv_push(out, all.v[i]);
	sv_release(&all);
	sb_release(&dir);
	sb_release(&prefix);
}

/* merge-fdata of the program's profiles, then llvm-bolt with them; false when the training never ran it. */
static bool optimise_program(const struct tools *t, struct program *p, bool bat, const char *work, const char *log)
{
	struct strvec argv = STRVEC_INIT, files = STRVEC_INIT;
	struct strbuf merged = STRBUF_INIT;

	sb_addf(&merged, "%s/%s.merged.fdata", work, p->name);
	program_profiles(work, p->name, &files);
	sv_push(&argv, t->merge.buf);
	sv_pushv(&argv, files.v, files.n);
	bool ran = argv.n > 1;
	if (ran) {
		sv_pushf(&argv, "-o=%s", merged.buf);
		if (run_to_log(argv.v, log) != 0)
			die(PGOW_EXIT_FAIL, "merge-fdata failed on %s's profiles; see %s", p->name, log);
		sv_release(&argv);
		sv_push(&argv, t->bolt.buf);
		sv_push(&argv, p->exe);
		sv_pushf(&argv, "-o=%s/out/%s", work, p->name);
		sv_pushf(&argv, "-data=%s", merged.buf);
		/* Lite mode; regular pages: 2 MiB alignment would more than double the file. */
		const char *opts[] = { "-reorder-blocks=ext-tsp", "-reorder-functions=cdsort", "-lite", "-no-huge-pages",
				       NULL };
		const char *split[] = { "-split-functions", "-split-all-cold", "-split-eh", NULL };
		for (const char **o = opts; *o; o++)
			sv_push(&argv, *o);
		/*
		 * The address translation that maps samples of the shipped program
		 * back to this one. Unsplit: BOLT 22's perf2bolt --ba leaves samples
		 * in a split-off .cold fragment untranslated (offsets from the hot
		 * part's start, past the function's end in this program; seen on cmix).
		 */
		if (bat)
			sv_push(&argv, "--enable-bat");
		for (const char **o = split; !bat && *o; o++)
			sv_push(&argv, *o);
		if (run_to_log(argv.v, log) != 0)
			die(PGOW_EXIT_FAIL, "llvm-bolt could not optimise %s; see %s", p->exe, log);
		/* An id of its own per layout: samples of it are then read with its own BAT, never another's. */
		struct strbuf out = STRBUF_INIT, id = STRBUF_INIT, err = STRBUF_INIT;
		sb_addf(&out, "%s/out/%s", work, p->name);
		if (buildid_from_content(out.buf, &id, &err) != 0)
			die(PGOW_EXIT_FAIL, "%s", err.buf);
		sb_release(&out);
		sb_release(&id);
		sb_release(&err);
		p->bolted = true;
	}
	sv_release(&argv);
	sv_release(&files);
	sb_release(&merged);
	return ran;
}

/* verdict: kept, discarded or not-run; a kept program's file and its build-id go to the cache too. */
static void record_verdict(const struct build *b, const char *slot_dir, const struct program *p, const char *verdict,
			   const char *work, const char *report)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT, err = STRBUF_INIT, out = STRBUF_INIT, id = STRBUF_INIT;
	struct atomic_opts opts = { .mode = 0600 };

	sb_addf(&out, "%s/out/%s", work, p->name);
	sb_addf(&path, "%s/bolt", slot_dir);
	if (mkdir_private(path.buf, 0700, &err) != 0)
		goto out;
	if (strcmp(verdict, "kept") == 0) {
		sb_reset(&path);
		bolt_cache_file(&path, slot_dir, p->id, "bin");
		if (copy_file_atomic(out.buf, path.buf, 0700, &err) != 0)
			goto out;
		/* BOLT gives its output a build-id of its own: a later build knows it by it. */
		if (buildid_of_elf(out.buf, &id, &err) == 1) {
			/* Kept by that id too: the .bin is replaced when BOLT runs again, the deployed layout is not. */
			if (b->cfg.bolt_bat)
				boltfield_keep_bolted(slot_dir, path.buf, id.buf);
			sb_reset(&path);
			bolt_cache_file(&path, slot_dir, id.buf, "output");
			if (write_file_atomic(path.buf, p->id, strlen(p->id), &opts, &err) != 0)
				goto out;
		}
	}
	sb_reset(&path);
	bolt_cache_file(&path, slot_dir, p->id, "verdict");
	/* What it was measured with: other training or settings are judged again. */
	sb_adds(&text, verdict);
	verdict_key(b, slot_dir, p->id, &text);
	sb_addf(&text, "%s\n%s\n", report, p->name);
	(void)write_file_atomic(path.buf, text.buf, text.len, &opts, &err);
out:
	if (err.len)
		warn("cannot cache BOLT's verdict on %s (%s); the next build will BOLT it again", p->name, err.buf);
	sb_release(&path);
	sb_release(&text);
	sb_release(&err);
	sb_release(&out);
	sb_release(&id);
}

/*
 * Reads each program's build-id and what the cache knows of it; lists those
 * linked without relocations (before bolt: on) in relink. False when one is
 * stripped: BOLT needs symbols.
 */
static bool usable(const struct build *b, struct program *p, size_t n, const char *slot_dir, struct strvec *relink)
{
	bool ok = true;

	for (size_t i = 0; i < n; i++) {
		struct strbuf err = STRBUF_INIT, id = STRBUF_INIT;
		if (buildid_of_elf(p[i].exe, &id, &err) != 1)
			die(PGOW_EXIT_FAIL, "%s has no build-id (%s); BOLT's verdicts are kept by it", p[i].exe,
			    err.len ? err.buf : "none");
		free(p[i].id);
		p[i].id = sb_detach(&id);
		sb_reset(&p[i].cached);
		look_up(b, &p[i], slot_dir);
		/* Only a program still to be judged needs its relocations (and symbols). */
		bool judge = p[i].known == K_UNKNOWN;
		/* A BOLT output the cache does not know (gc, another cache) is relinked: BOLT takes PGO's. */
		if (judge && !p[i].relink && elf_has_section_of(p[i].exe, ".note.bolt_info", &err) == 1)
			p[i].relink = true;
		int relocs = !judge || p[i].relink ? !p[i].relink : elf_has_section_of(p[i].exe, ".rela.text", &err);
		int symbols = judge && relocs == 1 ? elf_has_section_of(p[i].exe, ".symtab", &err) : 1;
		if (relocs < 0 || symbols < 0)
			die(PGOW_EXIT_FAIL, "%s", err.buf);
		if (relocs == 0) {
			sv_push(relink, p[i].output);
		} else if (symbols == 0) {
			progress("note:", "BOLT skipped: %s is stripped at link (the profile's strip), and BOLT needs "
				 "its symbols; set strip = false (strip afterwards with llvm-strip, never GNU strip)\n",
				 p[i].name);
			ok = false;
		}
		sb_release(&err);
	}
	return ok;
}

static void make_dirs(const struct build *b, const char *work)
{
	static const char *const subdirs[] = { "instr", "fdata", "out", "scratch", NULL };
	struct strbuf err = STRBUF_INIT, d = STRBUF_INIT;

	if (safe_remove_tree(b->ws.target_dir.buf, work, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s", err.buf);
	for (const char *const *s = subdirs; *s; s++) {
		sb_reset(&d);
		sb_addf(&d, "%s/%s", work, *s);
		if (safe_mkdirs(b->ws.target_dir.buf, d.buf, 0755, &err) != 0)
			die(PGOW_EXIT_FAIL, "%s", err.buf);
	}
	sb_release(&err);
	sb_release(&d);
}

/* The training against BOLT-instrumented programs; their profiles land in <work>/fdata. */
static void train_instrumented(struct build *b, const struct build_units *u, const struct tools *t,
			       struct program *p, size_t n, const char *work)
{
	struct strbuf log = STRBUF_INIT, instr = STRBUF_INIT, bins = STRBUF_INIT;
	struct strbuf fdata = STRBUF_INIT, tlog = STRBUF_INIT, err = STRBUF_INIT;
	struct strvec unused = STRVEC_INIT;
	size_t todo = 0;

	sb_addf(&log, "%s/bolt.log", work);
	sb_addf(&instr, "%s/instr", work);
	sb_addf(&bins, "%s/instr-bin", work);
	sb_addf(&fdata, "%s/fdata", work);
	sb_addf(&tlog, "%s/training.log", work);
	for (size_t i = 0; i < n; i++)
		if (p[i].known == K_UNKNOWN) {
			instrument(t, &p[i], work, log.buf);
			todo++;
		}
	progress("BOLT", "instrumented %zu program(s) with %s; the training runs them\n", todo, t->bolt.buf);
	bin_dir(b, u, bins.buf, p, n, instr.buf, false);
	struct train_paths paths = { bins.buf, b->instr_dir.buf, fdata.buf, b->ws.root.buf, tlog.buf, false,
				     ".fdata", fdata.buf, NULL };
	if (train_run_all(&b->cfg, &paths, &unused, &err) != 0)
		die(PGOW_EXIT_TRAINING, "%s", err.buf);
	sv_release(&unused);
	sb_release(&log);
	sb_release(&instr);
	sb_release(&bins);
	sb_release(&fdata);
	sb_release(&tlog);
	sb_release(&err);
}

/* Whether perf can sample branch stacks (LBR) here: without them perf2bolt reads addresses only. */
static bool has_branch_sampling(const struct tools *t, const char *work)
{
	struct strvec argv = STRVEC_INIT;
	struct strbuf out = STRBUF_INIT, log = STRBUF_INIT;

	sb_addf(&out, "%s/lbr-check.data", work);
	sb_addf(&log, "%s/perf.log", work);
	sv_push(&argv, t->perf.buf);
	sv_push(&argv, "record");
	sv_push(&argv, "-q");
	sv_push(&argv, "-e");
	sv_push(&argv, "cycles:u");
	sv_push(&argv, "-j");
	sv_push(&argv, "any,u");
	sv_pushf(&argv, "-o%s", out.buf);
	sv_push(&argv, "--");
	sv_push(&argv, "true");
	bool lbr = run_to_log(argv.v, log.buf) == 0;
	sv_release(&argv);
	sb_release(&out);
	sb_release(&log);
	return lbr;
}

/*
 * bolt-profile: perf: the training runs the programs as they are, under
 * perf record (branch stacks where the CPU has them), and perf2bolt turns
 * each run's samples into BOLT's profile of each program.
 */
static void train_sampled(struct build *b, const struct build_units *u, const struct tools *t,
			  struct program *p, size_t n, const char *work)
{
	struct strbuf bins = STRBUF_INIT, fdata = STRBUF_INIT, tlog = STRBUF_INIT, log = STRBUF_INIT, err = STRBUF_INIT;
	struct strvec unused = STRVEC_INIT, runs = STRVEC_INIT;
	bool lbr = has_branch_sampling(t, work);
	const char *prefix[] = { t->perf.buf, "record", "-q", "-e", "cycles:u", lbr ? "-j" : "-F",
				 lbr ? "any,u" : "4000", "-o{run_dir}/perf.data", "--", NULL };

	sb_addf(&bins, "%s/pgo-bin", work);
	sb_addf(&fdata, "%s/fdata", work);
	sb_addf(&tlog, "%s/training.log", work);
	sb_addf(&log, "%s/bolt.log", work);
	if (lbr)
		progress("BOLT", "sampling the training with perf (branch stacks), for perf2bolt\n");
	else
		progress("BOLT", "sampling the training with perf; this CPU has no branch stacks (LBR), so BOLT "
			 "learns from sampled addresses only, which lays code out less well\n");
	bin_dir(b, u, bins.buf, p, n, NULL, false);
	struct train_paths paths = { bins.buf, b->instr_dir.buf, fdata.buf, b->ws.root.buf, tlog.buf, false,
				     ".data", NULL, prefix };
	if (train_run_all(&b->cfg, &paths, &unused, &err) != 0)
		die(PGOW_EXIT_TRAINING, "%s", err.buf);
	list_dir(fdata.buf, "", &runs);
	for (size_t i = 0; i < n; i++) {
		if (p[i].known != K_UNKNOWN)
			continue;
		for (size_t r = 0; r < runs.n; r++) {
			struct strvec argv = STRVEC_INIT;
			struct strbuf data = STRBUF_INIT, out = STRBUF_INIT, text = STRBUF_INIT;
			sb_addf(&data, "%s/perf.data", runs.v[r]);
			sb_addf(&out, "%s/%s.fdata.%zu.fdata", fdata.buf, p[i].name, r);
			if (file_exists(data.buf)) {
				sv_push(&argv, t->perf2bolt.buf);
				if (!lbr)
					sv_push(&argv, perf2bolt_no_lbr_flag());
				sv_pushf(&argv, "-p=%s", data.buf);
				sv_pushf(&argv, "-o=%s", out.buf);
				sv_push(&argv, p[i].exe);
				/* A run that never ran this program has no samples of it: no profile. */
				if (run_to_log(argv.v, log.buf) != 0 || sb_read_file(&text, out.buf) != 0 ||
				    !fdata_text_has_samples(text.buf))
					(void)safe_unlink(b->ws.target_dir.buf, out.buf, &err);
			}
			sv_release(&argv);
			sb_release(&data);
			sb_release(&out);
			sb_release(&text);
		}
	}
	sv_release(&unused);
	sv_release(&runs);
	sb_release(&bins);
	sb_release(&fdata);
	sb_release(&tlog);
	sb_release(&log);
	sb_release(&err);
}

/* Whether the BOLT stage collects the training's profile: not when bolt-field: instead has the field's for all. */
static bool needs_training_profile(const struct build *b, const struct program *p, size_t n, const char *slot_dir)
{
	if (b->cfg.bolt_field != BOLT_FIELD_INSTEAD)
		return true;
	for (size_t i = 0; i < n; i++) {
		struct strvec field = STRVEC_INIT;
		if (p[i].known == K_UNKNOWN)
			boltfield_files(slot_dir, p[i].id, &field);
		bool missing = p[i].known == K_UNKNOWN && !field.n;
		sv_release(&field);
		if (missing)
			return true;
	}
	return false;
}

/*
 * Of a program's field profiles, those BOLT can merge with what it has:
 * one kind only, sampled addresses or branches (want: 1, 0, or -1 for
 * either, branches first: they say more). The others are counted in left.
 */
static void one_kind(const struct strvec *all, int want, struct strvec *out, size_t *left)
{
	struct strvec kind[2] = { STRVEC_INIT, STRVEC_INIT };

	for (size_t f = 0; f < all->n; f++)
		sv_push(&kind[fdata_is_sampled(all->v[f])], all->v[f]);
	int pick = want >= 0 ? want : kind[0].n ? 0 : 1;
	sv_pushv(out, kind[pick].v, kind[pick].n);
	*left = all->n - out->n;
	sv_release(&kind[0]);
	sv_release(&kind[1]);
}

static void copy_field_profiles(const struct build *b, const char *work, const char *name, const struct strvec *files,
				const struct strvec *trained, bool instead)
{
	struct strbuf err = STRBUF_INIT;

	for (size_t t = 0; instead && t < trained->n; t++)
		if (safe_unlink(b->ws.target_dir.buf, trained->v[t], &err) != 0)
			die(PGOW_EXIT_FAIL, "%s", err.buf);
	for (size_t f = 0; f < files->n; f++) {
		struct strbuf dst = STRBUF_INIT;
		sb_addf(&dst, "%s/fdata/%s.fdata.field-%zu.fdata", work, name, f);
		if (copy_file_atomic(files->v[f], dst.buf, 0644, &err) != 0)
			die(PGOW_EXIT_FAIL, "%s", err.buf);
		sb_release(&dst);
	}
	sb_release(&err);
}

/*
 * The field's profiles of each program (perf samples of what shipped,
 * converted by `merge --remote`) join the training's, or replace them under
 * bolt-field: instead. Samples are addresses: only those taken on this very
 * program (its build-id) serve it.
 */
static void add_field_profiles(const struct build *b, const struct program *p, size_t n, const char *slot_dir,
			       const char *work)
{
	bool instead = b->cfg.bolt_field == BOLT_FIELD_INSTEAD;

	for (size_t i = 0; i < n; i++) {
		struct strvec all = STRVEC_INIT, use = STRVEC_INIT, trained = STRVEC_INIT;
		size_t left = 0, elsewhere = 0;
		if (p[i].known == K_UNKNOWN)
			boltfield_files(slot_dir, p[i].id, &all);
		if (all.n && b->cfg.bolt_field == BOLT_FIELD_OFF) {
			progress("note:", "%zu upload(s) of the field's samples of %s are not used (bolt-field: off)\n",
				 all.n, p[i].name);
			sv_release(&all);
			continue;
		}
		if (p[i].known == K_UNKNOWN && b->cfg.bolt_field != BOLT_FIELD_OFF)
			elsewhere = boltfield_elsewhere(slot_dir, p[i].name, p[i].id);
		if (elsewhere)
			progress("note:", "%zu upload(s) of the field's samples of %s were taken on another build of it; "
				 "samples are addresses, so they serve only the build they were taken on: deploy this "
				 "one and sample it\n", elsewhere, p[i].name);
		if (all.n) {
			program_profiles(work, p[i].name, &trained);
			one_kind(&all, instead || !trained.n ? -1 : fdata_is_sampled(trained.v[0]), &use, &left);
		}
		if (left)
			progress("note:", "%zu upload(s) of the field's samples of %s left out: BOLT merges profiles of "
				 "one kind (sampled addresses, or branch stacks), and %s\n", left, p[i].name, use.n ?
				 "theirs is not the kind of the others" :
				 "the training's is of the other; bolt-field: instead uses the field's alone");
		if (use.n) {
			bool sampled = fdata_is_sampled(use.v[0]);
			copy_field_profiles(b, work, p[i].name, &use, &trained, instead);
			progress("BOLT", "%s: the field's perf samples (%zu upload(s), %s) %s\n", p[i].name, use.n,
				 sampled ? "sampled addresses" : "branch stacks",
				 instead ? "alone (bolt-field: instead)" :
				 trained.n ? "with the training's profile" : "alone: the training never ran it");
		}
		sv_release(&all);
		sv_release(&use);
		sv_release(&trained);
	}
}

/* Programs linked before bolt: on are linked again, with their relocations. */
static void relink(struct build *b, struct build_units *u, struct verified *v, const struct strvec *outputs)
{
	progress("Relinking", "%zu program(s) with their relocations for BOLT to judge (-Wl,-q)\n", outputs->n);
	for (size_t i = 0; i < outputs->n; i++) {
		struct strbuf dep = STRBUF_INIT;
		sb_addf(&dep, "%s.d", outputs->v[i]);
		build_force_rebuild(b, dep.buf);
		sb_release(&dep);
	}
	build_units_release(u);
	verified_release(v);
	build_run(b, false, NULL, u);
	build_verify(b, u, false, NULL, v);
}

/* The programs this build ships with the profile, relinked with relocations if need be; 0 when none. */
static size_t programs_of(struct build *b, struct build_units *u, struct verified *v, struct program **p, bool *ok)
{
	struct strvec again = STRVEC_INIT;
	size_t n = v->slot.len ? find_programs(u, p) : 0;

	*ok = n && usable(b, *p, n, v->slot.buf, &again);
	if (*ok && again.n) {
		relink(b, u, v, &again);
		programs_release(*p, n);
		sv_release(&again);
		n = v->slot.len ? find_programs(u, p) : 0;
		*ok = n && usable(b, *p, n, v->slot.buf, &again);
		if (*ok && again.n)
			die(PGOW_EXIT_NOT_APPLIED, "%s still has no relocations after a relink; BOLT cannot rewrite it",
			    again.v[0]);
	}
	sv_release(&again);
	return n;
}

void bolt_stage(struct build *b, struct build_units *u, struct verified *v)
{
	struct program *p = NULL;
	struct tools t;
	struct strbuf err = STRBUF_INIT, work = STRBUF_INIT, log = STRBUF_INIT, report = STRBUF_INIT;
	struct strbuf out_dir = STRBUF_INIT;
	bool ok;

	if (!b->cfg.bolt)
		return;
	size_t n = programs_of(b, u, v, &p, &ok);
	if (!n)
		progress("note:", "BOLT: no program of this build carries the profile; nothing to BOLT\n");
	if (find_tools(&t, &err) != 0)
		die(PGOW_EXIT_CONFIG, "%s", err.buf);
	path_join(&work, b->state_dir.buf, "bolt");
	path_join(&log, work.buf, "bolt.log");
	path_join(&out_dir, work.buf, "out");
	if (!ok || apply_cached(b, &t, p, n, v->slot.buf, work.buf))
		goto record;
	make_dirs(b, work.buf);
	if (!needs_training_profile(b, p, n, v->slot.buf)) {
		progress("BOLT", "every program has the field's perf samples (bolt-field: instead): the training "
			 "only measures\n");
	} else if (b->cfg.bolt_perf) {
		if (find_perf_tools(&t, &err) != 0)
			die(PGOW_EXIT_CONFIG, "%s", err.buf);
		train_sampled(b, u, &t, p, n, work.buf);
	} else {
		train_instrumented(b, u, &t, p, n, work.buf);
	}
	add_field_profiles(b, p, n, v->slot.buf, work.buf);
	size_t done = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i].known == K_UNKNOWN)
			done += optimise_program(&t, &p[i], b->cfg.bolt_bat, work.buf, log.buf);
	progress("BOLT", "measuring the training with the PGO and the BOLTed programs, %ld round(s) each\n",
		 b->cfg.bolt_rounds);
	bool keep = done > 0 && gate(b, u, p, n, work.buf, &report);
	if (!done)
		sb_adds(&report, "the training ran none of them");
	for (size_t i = 0; i < n; i++) {
		if (p[i].known != K_UNKNOWN)
			continue;
		if (keep && p[i].bolted) {
			struct strbuf f = STRBUF_INIT;
			path_join(&f, out_dir.buf, p[i].name);
			install(b, &p[i], f.buf);
			sb_release(&f);
		} else {
			ship_without_relocations(b, &t, &p[i], v->slot.buf, work.buf);
		}
		record_verdict(b, v->slot.buf, &p[i], !p[i].bolted ? "not-run" : keep ? "kept" : "discarded",
			       work.buf, report.buf);
	}
	progress("BOLT", "%s: %s\n", keep ? "kept, the BOLTed programs ship" : "discarded, the PGO programs ship",
		 report.buf);
record:
	/* Perf samples of what ships can come back from where it runs, by its build-id. */
	if (ok && b->cfg.bolt_bat)
		fleet_push_builds_or_warn(v->slot.buf, &b->ws.members, true);
	tools_release(&t);
	programs_release(p, n);
	sb_release(&err);
	sb_release(&work);
	sb_release(&log);
	sb_release(&report);
	sb_release(&out_dir);
}

struct verdict_line {
	char *line;           /* "<program>: <verdict>, <numbers>" */
	size_t name_len;
	long long mtime;
};

/* By program, then newest first. */
static int by_program_newest(const void *a, const void *b)
{
	const struct verdict_line *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->line, y->line, n);
	if (c || x->name_len != y->name_len)
		return c ? c : x->name_len < y->name_len ? -1 : 1;
	return x->mtime < y->mtime ? 1 : x->mtime > y->mtime ? -1 : 0;
}

void bolt_verdicts(const char *slot_dir, struct strvec *out)
{
	struct strbuf dir = STRBUF_INIT;
	struct strvec files = STRVEC_INIT;

	path_join(&dir, slot_dir, "bolt");
	list_dir(dir.buf, ".verdict", &files);
	struct verdict_line *v = xcalloc(files.n ? files.n : 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < files.n; i++) {
		struct strbuf text = STRBUF_INIT, line = STRBUF_INIT;
		struct stat st;
		char *nl;
		if (sb_read_file(&text, files.v[i]) == 0 && stat(files.v[i], &st) == 0 &&
		    (nl = strchr(text.buf, '\n')) && nl[1] && nl[1] != '\n') {
			/* "<verdict> training=.. gain=.. bat=.. field=.. rounds=N <report>\n<program>\n": rounds= comes last */
			const char *name = nl + 1, *report = strstr(text.buf, " rounds=");
			report = report ? strchr(report + 1, ' ') : NULL;
			size_t name_len = strcspn(name, "\n");
			sb_addf(&line, "%.*s: %.*s", (int)name_len, name, (int)strcspn(text.buf, " "), text.buf);
			if (report && report < nl)
				sb_addf(&line, ",%.*s", (int)(nl - report), report);
			v[n].name_len = name_len;
			v[n].mtime = (long long)st.st_mtime;
			v[n++].line = sb_detach(&line);
		}
		sb_release(&text);
		sb_release(&line);
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_program_newest);
	for (size_t i = 0; i < n; i++) {
		/* One line per program: its latest verdict. */
		if (!i || v[i].name_len != v[i - 1].name_len || memcmp(v[i].line, v[i - 1].line, v[i].name_len) != 0)
			sv_push(out, v[i].line);
	}
	/* Freed only now: each line is compared with the one before it. */
	for (size_t i = 0; i < n; i++)
		free(v[i].line);
	free(v);
	sv_release(&files);
	sb_release(&dir);
}
