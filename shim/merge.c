/*
 * merge.c - ingest raw (.profraw) and indexed (.profdata) profiles into the
 * cache for the slot that produced them, with a manifest of the crates they
 * describe. Used by `merge` and by `build` after training.
 */
#include "merge.h"
#include "frontend.h"
#include "cache.h"
#include "execute.h"
#include "hash.h"
#include "llvm.h"
#include "manifest.h"
#include "slot.h"
#include "toolchain.h"
#include "unitkey.h"
#include "report.h"
#include "util.h"
#include "yamldoc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void list_profiles(const char *dir, struct strvec *out)
{
	struct stat st;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		die(PGOW_EXIT_CONFIG, "cannot read %s: %s", dir, strerror(errno ? errno : ENOTDIR));
	list_dir(dir, ".profraw", out);
	list_dir(dir, ".profdata", out);
}

/*
 * Raw files must carry a raw header; a bad one is skipped (or fatal with
 * --strict). Good inputs become llvm-profdata arguments, weighted if asked.
 */
static void check_inputs(const struct strvec *all, const long *weights, bool strict,
			 struct strvec *good, uint64_t *max_raw, long *raw_count)
{
	for (size_t i = 0; i < all->n; i++) {
		struct strbuf err = STRBUF_INIT;
		uint64_t v;
		bool ok = has_suffix(all->v[i], ".profdata");
		if (!ok && llvm_raw_version(all->v[i], &v, &err) == 0) {
			ok = true;
			(*raw_count)++;
			if (v > *max_raw)
				*max_raw = v;
		}
		if (ok)
			sv_pushf(good, "%ld,%s", weights[i], all->v[i]);
		else if (strict) {
			die(PGOW_EXIT_PROFILE, "%s; remove it, or drop --strict to skip it", err.buf);
		} else {
			warn("skipping %s", err.buf);
		}
		sb_release(&err);
	}
}

/* Does a stamp in this slot say a build dir was instrumented into path, or a dir above it? */
static bool slot_generated_into(const char *slot_dir, const char *path)
{
	struct stamp *stamps;
	size_t n;
	bool found = false;

	slot_stamps(slot_dir, &stamps, &n);
	for (size_t i = 0; i < n && !found; i++) {
		const char *dir = stamp_generate_dir(&stamps[i]);
		size_t len = dir ? strlen(dir) : 0;
		found = dir && strncmp(path, dir, len) == 0 && (path[len] == '\0' || path[len] == '/');
	}
	stamps_release(stamps, n);
	return found;
}

static void find_slot(const struct merge_request *o, struct strbuf *slot_dir)
{
	struct strbuf slots = STRBUF_INIT, err = STRBUF_INIT, matches = STRBUF_INIT;
	int nmatch = 0;

	if (cache_subdir(&slots, "slots", &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	struct strvec dirs = STRVEC_INIT;
	list_dir(slots.buf, "", &dirs);
	for (size_t s = 0; s < dirs.n; s++) {
		const char *dir = dirs.v[s], *id = path_basename(dir);
		bool match = false;
		if (o->slot) {
			match = strncmp(id, o->slot, strlen(o->slot)) == 0;
		} else {
			for (size_t i = 0; i < o->paths.n && !match; i++) {
				struct strbuf abs = STRBUF_INIT;
				if (path_absolute(&abs, o->paths.v[i]) == 0)
					match = slot_generated_into(dir, abs.buf);
				sb_release(&abs);
			}
		}
		if (match) {
			nmatch++;
			sb_addf(&matches, " %.12s", id);
			sb_reset(slot_dir);
			sb_adds(slot_dir, dir);
		}
	}
	sv_release(&dirs);
	if (nmatch == 0 && o->slot)
		die(PGOW_EXIT_CONFIG, "no slot %s in the cache; cargo-pgo-wrap status lists them", o->slot);
	if (nmatch == 0)
		die(PGOW_EXIT_CONFIG, "no instrumented build wrote its profiles to %s; build with "
		    "CARGO_PGO_WRAP_MODE=generate CARGO_PGO_WRAP_PROFILE=<that dir> first, or pass --slot ID",
		    o->paths.v[0]);
	if (nmatch > 1)
		die(PGOW_EXIT_CONFIG, "several build configurations wrote to %s (slots%s); pick one with --slot ID",
		    o->paths.v[0], matches.buf);
	sb_release(&slots);
	sb_release(&err);
	sb_release(&matches);
}

/* The rustc identity recorded in the slot's SLOT file. */
static void slot_rustc(const char *slot_dir, struct strbuf *out)
{
	struct slot_info info;
	struct strbuf err = STRBUF_INIT;

	if (slot_read_info(slot_dir, &info, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s; rebuild to recreate it", err.buf);
	sb_adds(out, info.rustc.buf);
	slot_info_release(&info);
	sb_release(&err);
}

/* Crates of the slot, from its unit records; the content key covers them all. */
static void manifest_crates(const char *slot_dir, struct manifest *m)
{
	struct strvec files = STRVEC_INIT;

	slot_unit_records(slot_dir, &files);
	struct hasher *h = hasher_new();
	hasher_add_str(h, "content-v1");
	for (size_t i = 0; i < files.n; i++) {
		struct unit_key k;
		struct strbuf err = STRBUF_INIT;
		if (unitkey_read(&k, files.v[i], &err) == 1) {
			manifest_add_crate(m, k.crate, k.metadata, k.key);
			hasher_add_str(h, k.crate);
			hasher_add_str(h, k.metadata);
			hasher_add_str(h, k.key);
		} else {
			warn("%s; that crate is left out of the manifest", err.buf);
		}
		unitkey_release(&k);
		sb_release(&err);
	}
	char hex[HASH_HEX_LEN + 1];
	hasher_hex(h, hex);
	hasher_free(h);
	m->content_key = xstrdup(hex);
	sv_release(&files);
}

/*
 * Inputs as llvm-profdata arguments. Past a few hundred, they go into an
 * --input-files list ("weight,path" per line) so no argv limit is hit.
 */
#define INPUTS_ON_COMMAND_LINE 256

static void add_inputs(struct strvec *cmd, const struct strvec *good, const char *slot_dir,
		       struct strbuf *list_path)
{
	if (good->n > INPUTS_ON_COMMAND_LINE) {
		struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;
		for (size_t i = 0; i < good->n; i++)
			sb_addf(&text, "%s\n", good->v[i]);
		sb_addf(list_path, "%s/merge-inputs.%ld.txt", slot_dir, (long)getpid());
		struct atomic_opts opts = { .mode = 0600 };
		if (write_file_atomic(list_path->buf, text.buf, text.len, &opts, &err) != 0)
			die(PGOW_EXIT_CACHE, "merge: %s", err.buf);
		sv_pushf(cmd, "--input-files=%s", list_path->buf);
		sb_release(&text);
		sb_release(&err);
		return;
	}
	for (size_t i = 0; i < good->n; i++) {
		const char *comma = strchr(good->v[i], ',');
		if (strncmp(good->v[i], "1,", 2) == 0)
			sv_push(cmd, comma + 1);
		else
			sv_pushf(cmd, "--weighted-input=%s", good->v[i]);
	}
}

/* How much of the profile each crate's own functions carry, for staleness reports. */
static void attribute_counts(struct manifest *m, const char *tool, const char *profdata)
{
	struct crate_counts *counts;
	size_t n;
	unsigned long long total;
	struct strbuf err = STRBUF_INIT;

	if (llvm_counts_by_crate(tool, profdata, &counts, &n, &total, &err) != 0) {
		warn("%s; stale crates will be reported without their share of counts", err.buf);
		sb_release(&err);
		return;
	}
	m->total_counts = (long)total;
	for (size_t i = 0; i < m->ncrates; i++) {
		m->crates[i].counts = 0;
		for (size_t j = 0; j < n; j++)
			if (strcmp(counts[j].crate, m->crates[i].name) == 0)
				m->crates[i].counts = (long)counts[j].counts;
	}
	for (size_t j = 0; j < n; j++)
		free(counts[j].crate);
	free(counts);
	sb_release(&err);
}

void merge_add_input(struct merge_request *rq, const char *path, long weight)
{
	sv_push(&rq->paths, path);
	rq->weights = xrealloc(rq->weights, rq->paths.n * sizeof(*rq->weights));
	rq->weights[rq->paths.n - 1] = weight;
}

void merge_request_release(struct merge_request *rq)
{
	sv_release(&rq->paths);
	free(rq->weights);
	rq->weights = NULL;
}

static void parse_merge_args(struct merge_request *o, int argc, char **argv)
{
	long weight = 1;

	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		char *end;
		if (strcmp(argv[i], "--slot") == 0 && i + 1 < argc) {
			o->slot = argv[++i];
		} else if (strcmp(argv[i], "--training") == 0 && i + 1 < argc) {
			o->training = argv[++i];
		} else if (strcmp(argv[i], "--weight") == 0 && i + 1 < argc) {
			weight = strtol(argv[++i], &end, 10);
			if (*end || weight < 1)
				die(PGOW_EXIT_CONFIG, "merge: --weight takes a whole number of 1 or more, not '%s'", argv[i]);
		} else if (strcmp(argv[i], "--strict") == 0) {
			o->strict = true;
		} else if (argv[i][0] == '-') {
			die(PGOW_EXIT_CONFIG, "merge: unknown option %s; usage: cargo-pgo-wrap merge "
			    "[--slot ID] [--training TEXT] [--strict] [--weight N] DIR|FILE...", argv[i]);
		} else {
			merge_add_input(o, argv[i], weight);
		}
	}
	if (!o->paths.n)
		die(PGOW_EXIT_CONFIG, "merge: name the directory (or files) holding .profraw/.profdata "
		    "files; usage: cargo-pgo-wrap merge [--slot ID] [--weight N] DIR|FILE...");
}

int cmd_merge(int argc, char **argv)
{
	struct merge_request o;

	parse_merge_args(&o, argc, argv);
	int rc = merge_run(&o);
	merge_request_release(&o);
	return rc;
}

int merge_run(const struct merge_request *rq)
{
	const struct merge_request o = *rq;
	struct strvec all = STRVEC_INIT, good = STRVEC_INIT, cmd = STRVEC_INIT;
	struct strbuf slot = STRBUF_INIT, rustc = STRBUF_INIT, tool = STRBUF_INIT, tool_version = STRBUF_INIT;
	struct strbuf tmp = STRBUF_INIT, err = STRBUF_INIT;
	struct manifest m;
	uint64_t max_raw = 0;
	long raw_count = 0;

	long *weights = NULL;
	for (size_t i = 0; i < o.paths.n; i++) {
		struct stat st;
		size_t before = all.n;
		if (stat(o.paths.v[i], &st) != 0)
			die(PGOW_EXIT_CONFIG, "merge: %s: %s", o.paths.v[i], strerror(errno));
		if (S_ISDIR(st.st_mode))
			list_profiles(o.paths.v[i], &all);
		else
			sv_push(&all, o.paths.v[i]);
		weights = xrealloc(weights, (all.n + 1) * sizeof(*weights));
		for (size_t j = before; j < all.n; j++)
			weights[j] = o.weights ? o.weights[i] : 1;
	}
	check_inputs(&all, weights, o.strict, &good, &max_raw, &raw_count);
	free(weights);
	if (!good.n)
		die(PGOW_EXIT_PROFILE, "merge: no usable .profraw or .profdata files in %s; run the "
		    "instrumented binary first", o.paths.v[0]);
	find_slot(&o, &slot);
	slot_rustc(slot.buf, &rustc);
	int major = rustc_identity_llvm_major(rustc.buf);
	if (llvm_find_profdata(major, max_raw ? llvm_min_major_for_raw(max_raw) : 0, max_raw,
			       &tool, &tool_version, &err) != 0)
		die(PGOW_EXIT_LLVM, "%s", err.buf);

	sb_addf(&tmp, "%s/merge.tmp.%ld.profdata", slot.buf, (long)getpid());
	sv_push(&cmd, tool.buf);
	sv_push(&cmd, "merge");
	/* One unreadable input is a warning from llvm-profdata, not a lost merge. */
	sv_push(&cmd, o.strict ? "--failure-mode=any" : "--failure-mode=all");
	sv_pushf(&cmd, "--output=%s", tmp.buf);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	sv_pushf(&cmd, "--num-threads=%ld", cpus > 0 ? cpus : 1);
	struct strbuf list = STRBUF_INIT;
	add_inputs(&cmd, &good, slot.buf, &list);
	int status = run_and_wait(cmd.v);
	if (list.len)
		(void)unlink(list.buf);
	sb_release(&list);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		(void)unlink(tmp.buf);
		die(PGOW_EXIT_PROFILE, "merge: %s merge failed (exit %d); the cache is unchanged",
		    tool.buf, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}

	memset(&m, 0, sizeof(m));
	manifest_crates(slot.buf, &m);
	m.slot = xstrdup(path_basename(slot.buf));
	m.created = (long)time(NULL);
	m.rustc = sb_detach(&rustc);
	m.llvm_profdata = sb_detach(&tool_version);
	m.raw_files = raw_count;
	if (o.training) {
		m.training = xstrdup(o.training);
	} else {
		struct strbuf t = STRBUF_INIT;
		sb_addf(&t, "merge of %zu file(s) from %s", good.n, o.paths.v[0]);
		m.training = sb_detach(&t);
	}
	attribute_counts(&m, tool.buf, tmp.buf);
	int rc = cache_store_profile(slot.buf, tmp.buf, &m, &err);
	(void)unlink(tmp.buf);
	if (rc != 0)
		die(PGOW_EXIT_CACHE, "merge: %s; the previous profile is still current", err.buf);
	progress("Merged", "%zu profile(s) (%zu skipped) into %.12s for slot %.12s (%zu crates); "
		"cargo rebuilds the optimised build dirs with it\n", good.n, all.n - good.n,
		m.content_key, m.slot, m.ncrates);
	manifest_release(&m);
	sv_release(&all);
	sv_release(&good);
	sv_release(&cmd);
	sb_release(&slot);
	sb_release(&tool);
	sb_release(&tmp);
	sb_release(&err);
	return 0;
}
