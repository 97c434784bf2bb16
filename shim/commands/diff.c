/*
 * diff.c - `cargo-pgo-wrap diff [A] [B]`: how far two profiles of a build
 * are apart (cycle/drift.h), by default the current one against the one
 * before it: the overlap, per crate, and what A ran hot that B never ran.
 */
#include "base/dirlist.h"
#include "base/message.h"
#include "base/option.h"
#include "base/path.h"
#include "base/tempfile.h"
#include "base/xalloc.h"
#include "store/manifest.h"
#include "store/profile.h"
#include "cycle/build.h"
#include "cycle/drift.h"
#include "cycle/llvm.h"
#include "cycle/merge.h"
#include "commands/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* One side: its file, and what to call it. */
struct side {
	char *profdata;
	struct strbuf label;
};

struct stored {
	char *key;
	long created;
	long long stored_ns; /* its file's mtime: two profiles of one second are told apart by it */
	char *training;
};

static int newest_first(const void *x, const void *y)
{
	const struct stored *a = x, *b = y;
	if (a->created != b->created)
		return a->created < b->created ? 1 : -1;
	return a->stored_ns < b->stored_ns ? 1 : a->stored_ns > b->stored_ns ? -1 : strcmp(a->key, b->key);
}

/* The slot's stored profiles, newest first. */
static void stored_profiles(const char *slot_dir, struct stored **out, size_t *n)
{
	struct strbuf dir = STRBUF_INIT;
	struct strvec yamls = STRVEC_INIT;

	*out = NULL;
	*n = 0;
	path_join(&dir, slot_dir, "profiles");
	list_dir(dir.buf, ".yaml", &yamls);
	for (size_t i = 0; i < yamls.n; i++) {
		struct manifest m;
		struct strbuf err = STRBUF_INIT;
		if (manifest_read(&m, yamls.v[i], &err) == 0 && m.content_key) {
			*out = xrealloc(*out, (*n + 1) * sizeof(**out));
			(*out)[*n].key = xstrdup(m.content_key);
			(*out)[*n].created = m.created;
			(*out)[*n].training = xstrdup(m.training ? m.training : "");
			struct stat st;
			struct strbuf prof = STRBUF_INIT;
			sb_add(&prof, yamls.v[i], strlen(yamls.v[i]) - 5);
			sb_adds(&prof, ".profdata");
			(*out)[*n].stored_ns = stat(prof.buf, &st) == 0 ?
						       (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec : 0;
			sb_release(&prof);
			(*n)++;
			manifest_release(&m);
		}
		sb_release(&err);
	}
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), newest_first);
	sv_release(&yamls);
	sb_release(&dir);
}

static void describe(struct side *s, const char *slot_dir, const struct stored *p, const char *role)
{
	char when[32];
	time_t t = (time_t)p->created;
	struct tm tm;
	if (!localtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm))
		snprintf(when, sizeof(when), "at %ld", p->created);
	struct strbuf path = STRBUF_INIT;
	sb_addf(&path, "%s/profiles/%s.profdata", slot_dir, p->key);
	s->profdata = sb_detach(&path);
	sb_addf(&s->label, "%.12s  %s, %s%s%s", p->key, role, when, *p->training ? ", " : "", p->training);
}

/* A side named on the command line: current, previous, a key's prefix, or a .profdata file. */
static bool pick(struct side *s, const char *spec, const char *slot_dir, const struct stored *ps, size_t n,
		 const char *current)
{
	if (strcmp(spec, "current") == 0 || strcmp(spec, "previous") == 0) {
		bool cur = spec[0] == 'c';
		for (size_t i = 0; i < n; i++)
			if ((strcmp(ps[i].key, current) == 0) == cur) {
				describe(s, slot_dir, &ps[i], spec);
				return true;
			}
		die(PGOW_EXIT_FAIL, "diff: slot %.12s has no %s profile", path_basename(slot_dir), spec);
	}
	if (strchr(spec, '/') || (strlen(spec) > 9 && strcmp(spec + strlen(spec) - 9, ".profdata") == 0)) {
		if (access(spec, R_OK) != 0)
			die(PGOW_EXIT_CONFIG, "diff: cannot read %s", spec);
		s->profdata = xstrdup(spec);
		sb_adds(&s->label, spec);
		return true;
	}
	size_t len = strlen(spec);
	if (len < 4 || !mem_is_hex(spec, len))
		return false;
	const struct stored *found = NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(ps[i].key, spec, len) == 0) {
			if (found)
				die(PGOW_EXIT_CONFIG, "diff: %s names more than one profile of slot %.12s; give more of it",
				    spec, path_basename(slot_dir));
			found = &ps[i];
		}
	if (!found)
		die(PGOW_EXIT_CONFIG, "diff: slot %.12s has no profile %s (`cargo-pgo-wrap status` lists them)",
		    path_basename(slot_dir), spec);
	describe(s, slot_dir, found, strcmp(found->key, current) == 0 ? "current" : "stored");
	return true;
}

static void print_drift(const struct side *a, const struct side *b, const struct drift *d, long top)
{
	printf("A  %s\nB  %s\n", a->label.buf, b->label.buf);
	if (d->overlap >= 0)
		printf("overlap %.2f%% (llvm-profdata overlap, edge counts)\n", 100 * d->overlap);
	printf("  %-24s %10s %8s %9s %9s %12s\n", "crate", "A's counts", "overlap", "only in A", "only in B",
	       "code changed");
	size_t idle = 0;
	for (size_t i = 0; i < d->ncrates; i++) {
		const struct drift_crate *c = &d->crates[i];
		/* A crate neither profile ran, in which nothing moved, says nothing. */
		if (!c->sum_a && !c->sum_b && !c->only_a && !c->only_b && !c->changed) {
			idle++;
			continue;
		}
		printf("  %-24s %9.1f%% ", c->crate, d->total_a ? 100.0 * (double)c->sum_a / (double)d->total_a : 0.0);
		if (c->sum_a && c->sum_b)
			printf("%7.1f%% ", 100 * c->overlap);
		else
			printf("%8s ", "-");
		printf("%9ld %9ld %12ld\n", c->only_a, c->only_b, c->changed);
	}
	if (idle)
		printf("  (%zu more crate(s): no counts in either, the same functions)\n", idle);
	if (!top)
		return;
	if (!d->nmissing) {
		printf("B ran every function A has counts in\n");
		return;
	}
	printf("hot in A, never run in B (top %zu by share of A's counts):\n", d->nmissing);
	struct strbuf readable = STRBUF_INIT;
	for (size_t i = 0; i < d->nmissing; i++) {
		sb_reset(&readable);
		llvm_symbol_readable(d->missing[i].name, &readable);
		printf("  %6.2f%%  %-20s %s\n", 100 * d->missing[i].share, d->missing[i].crate, readable.buf);
	}
	sb_release(&readable);
}

/* A cargo option whose value is the next argument: that value is not a profile. */
static bool takes_value(const char *a)
{
	static const char *const with_value[] = { "-p", "--package", "--target", "--features", "-F", "--profile",
						  "--manifest-path", "--target-dir", "--bin", "--example", "--test",
						  "--bench", "--config", "-Z", "-j", "--jobs", "--pgo-config",
						  "--exclude", "--color", "--message-format", NULL };
	for (const char *const *w = with_value; *w; w++)
		if (strcmp(a, *w) == 0)
			return true;
	return false;
}

int cmd_diff(int argc, char **argv)
{
	struct strvec cargo = STRVEC_INIT, specs = STRVEC_INIT;
	struct strbuf slot = STRBUF_INIT, tool = STRBUF_INIT, tmp = STRBUF_INIT, err = STRBUF_INIT;
	struct strbuf current = STRBUF_INIT;
	long top = 10;
	const char *v;
	struct build b;

	sv_push(&cargo, argv[0]);
	for (int i = 1; i < argc; i++) {
		if (option_take(argc, argv, &i, "--top", &v)) {
			char *end;
			top = strtol(v, &end, 10);
			if (*end || top < 0 || top > 10000)
				die(PGOW_EXIT_CONFIG, "diff: --top takes a whole number from 0 to 10000, not '%s'", v);
		} else if (takes_value(argv[i]) && i + 1 < argc) {
			sv_push(&cargo, argv[i]);
			sv_push(&cargo, argv[++i]);
		} else if (argv[i][0] != '-') {
			if (specs.n == 2)
				command_usage_error("diff", "two profiles at most (%s, %s), not also %s", specs.v[0],
						    specs.v[1], argv[i]);
			sv_push(&specs, argv[i]);
		} else {
			sv_push(&cargo, argv[i]);
		}
	}
	build_setup(&b, (int)cargo.n, cargo.v, false);
	build_lock(&b);
	command_slot_of(&b, &slot);
	struct stored *ps;
	size_t n;
	stored_profiles(slot.buf, &ps, &n);
	struct manifest m;
	if (profile_current(slot.buf, &m, &tool, &err) != 1)
		die(PGOW_EXIT_FAIL, "diff: slot %.12s has no profile; `cargo-pgo-wrap build` collects one",
		    path_basename(slot.buf));
	sb_adds(&current, m.content_key);
	manifest_release(&m);
	sb_reset(&tool);
	struct side a = { NULL, STRBUF_INIT }, bs = { NULL, STRBUF_INIT };
	const char *sa = specs.n > 0 ? specs.v[0] : "current", *sb = specs.n > 1 ? specs.v[1] : "previous";
	if (!pick(&a, sa, slot.buf, ps, n, current.buf) || !pick(&bs, sb, slot.buf, ps, n, current.buf))
		command_usage_error("diff", "'%s' names no profile: write current, previous, a key (4 or more of its "
				    "hex digits) or a .profdata file", a.profdata ? sb : sa);
	merge_profdata_tool(slot.buf, &tool);
	if (tempdir_create(slot.buf, "merge.", &tmp, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	struct drift d;
	if (drift_compare(tool.buf, a.profdata, bs.profdata, tmp.buf, (size_t)top, &d, &err) != 0)
		die(PGOW_EXIT_PROFILE, "diff: %s", err.buf);
	if (d.overlap < 0 && err.len)
		warn("%s", err.buf);
	print_drift(&a, &bs, &d, top);
	drift_release(&d);
	tempdir_remove(tmp.buf);
	for (size_t i = 0; i < n; i++) {
		free(ps[i].key);
		free(ps[i].training);
	}
	free(ps);
	free(a.profdata);
	free(bs.profdata);
	sb_release(&a.label);
	sb_release(&bs.label);
	build_teardown(&b);
	sv_release(&cargo);
	sv_release(&specs);
	sb_release(&slot);
	sb_release(&tool);
	sb_release(&tmp);
	sb_release(&err);
	sb_release(&current);
	return 0;
}
