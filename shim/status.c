/*
 * status.c - `cargo-pgo-wrap status`: for each slot of this workspace, the
 * current profile and whether the crates it was collected against changed
 * since (re-keyed through the stat cache, so this reads only changed files),
 * plus each build dir's decision, the cache size and the tool versions.
 */
#include "frontend.h"
#include "cache.h"
#include "execute.h"
#include "llvm.h"
#include "manifest.h"
#include "slot.h"
#include "status.h"
#include "unitkey.h"
#include "util.h"
#include "yamldoc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct crate_state {
	char *name;
	const char *state; /* fresh, changed, replaced, new, gone */
	long counts;       /* its share of the profile, -1 unknown */
};

struct slot_status {
	char *id;
	struct slot_info info;
	struct manifest m;
	int has_profile;          /* 1, 0, or -1 (unusable: err) */
	struct strbuf err;
	struct crate_state *crates;
	size_t ncrates, nstale;
	struct stamp *stamps;     /* one per build dir built in the slot */
	size_t nstamps;
};

static void add_crate_state(struct slot_status *s, const char *name, const char *state, long counts)
{
	s->crates = xrealloc(s->crates, (s->ncrates + 1) * sizeof(*s->crates));
	s->crates[s->ncrates].name = xstrdup(name);
	s->crates[s->ncrates].state = state;
	s->crates[s->ncrates].counts = counts;
	s->ncrates++;
	if (strcmp(state, "fresh") != 0)
		s->nstale++;
}

static bool manifest_names(const struct manifest *m, const char *crate)
{
	for (size_t i = 0; i < m->ncrates; i++)
		if (strcmp(m->crates[i].name, crate) == 0)
			return true;
	return false;
}

/*
 * A record of the same crate under other -C metadata, newer than rec: the
 * crate was rebuilt with another version, features or Cargo.lock since.
 */
static bool superseded(const char *slot_dir, const char *crate, const char *rec)
{
	struct strbuf prefix = STRBUF_INIT;
	struct strvec records = STRVEC_INIT;
	struct stat mine, other;
	bool newer = false;

	path_dirname(&prefix, rec);
	sb_addf(&prefix, "/%s-", crate);
	slot_unit_records(slot_dir, &records);
	for (size_t i = 0; i < records.n && !newer; i++) {
		const char *md = records.v[i] + prefix.len;
		newer = strncmp(records.v[i], prefix.buf, prefix.len) == 0 && !strchr(md, '-') &&
			strcmp(records.v[i], rec) != 0 && stat(rec, &mine) == 0 &&
			stat(records.v[i], &other) == 0 && other.st_mtime >= mine.st_mtime;
	}
	sv_release(&records);
	sb_release(&prefix);
	return newer;
}

/*
 * Each manifest crate re-keyed from its record: fresh, changed, replaced or
 * gone; crates the manifest does not name at all are new.
 */
static void compare_crates(struct slot_status *s, const char *slot_dir)
{
	for (size_t i = 0; i < s->m.ncrates; i++) {
		const struct manifest_crate *c = &s->m.crates[i];
		struct strbuf rec = STRBUF_INIT, err = STRBUF_INIT;
		struct unit_key k, now;
		unitkey_record_path(&rec, slot_dir, c->name, c->metadata);
		const char *state = "gone";
		if (unitkey_read(&k, rec.buf, &err) == 1) {
			if (unitkey_refresh(&now, &k, &err) == 0)
				state = strcmp(now.key, c->key) == 0 ? "fresh" : "changed";
			else
				state = "changed"; /* a source vanished */
			if (strcmp(state, "fresh") == 0 && superseded(slot_dir, c->name, rec.buf))
				state = "replaced";
			unitkey_release(&now);
		}
		unitkey_release(&k);
		add_crate_state(s, c->name, state, c->counts);
		sb_release(&rec);
		sb_release(&err);
	}
	struct strvec records = STRVEC_INIT;
	slot_unit_records(slot_dir, &records);
	for (size_t i = 0; i < records.n; i++) {
		struct strbuf err = STRBUF_INIT;
		struct unit_key k;
		if (unitkey_read(&k, records.v[i], &err) == 1 && !manifest_names(&s->m, k.crate))
			add_crate_state(s, k.crate, "new", -1);
		unitkey_release(&k);
		sb_release(&err);
	}
	sv_release(&records);
}

static void load_slot(struct slot_status *s, const char *slot_dir, const char *id)
{
	struct strbuf prof = STRBUF_INIT;

	memset(s, 0, sizeof(*s));
	s->id = xstrdup(id);
	struct strbuf err = STRBUF_INIT;
	if (slot_read_info(slot_dir, &s->info, &err) != 0)
		warn("%s", err.buf);
	sb_release(&err);
	s->has_profile = cache_current_profile(slot_dir, &s->m, &prof, &s->err);
	if (s->has_profile == 1)
		compare_crates(s, slot_dir);
	slot_stamps(slot_dir, &s->stamps, &s->nstamps);
	sb_release(&prof);
}

static void release_slot(struct slot_status *s)
{
	for (size_t i = 0; i < s->ncrates; i++)
		free(s->crates[i].name);
	free(s->crates);
	free(s->id);
	slot_info_release(&s->info);
	sb_release(&s->err);
	manifest_release(&s->m);
	stamps_release(s->stamps, s->nstamps);
}

static const char *state_word(const struct slot_status *s)
{
	if (s->has_profile < 0)
		return "unusable";
	if (s->has_profile == 0)
		return "none";
	return s->nstale ? "stale" : "fresh";
}

static void first_line(struct strbuf *out, const char *text)
{
	sb_add(out, text, strcspn(text, "\n"));
}

static void print_human(const struct slot_status *s)
{
	struct strbuf sig = STRBUF_INIT, rustc = STRBUF_INIT;

	for (const char *p = sb_str(&s->info.signature); *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0)) {
		if (sig.len)
			sb_addch(&sig, ' ');
		sb_add(&sig, p, strcspn(p, "\n"));
	}
	first_line(&rustc, sb_str(&s->info.rustc));
	printf("slot %.12s  target %s  %s\n", s->id, sb_str(&s->info.target), sig.len ? sig.buf : "(default flags)");
	printf("  workspace   %s\n  rustc       %s\n", sb_str(&s->info.workspace), rustc.buf);
	if (s->has_profile == 1) {
		long age = (long)time(NULL) - s->m.created;
		printf("  profile     %.12s, %ld min old, %s (%ld raw file(s), %s)\n", s->m.content_key,
		       age / 60, s->m.training ? s->m.training : "?", s->m.raw_files,
		       s->m.llvm_profdata ? s->m.llvm_profdata : "?");
		printf("  state       %s", state_word(s));
		if (s->nstale) {
			printf(":");
			for (size_t i = 0; i < s->ncrates; i++) {
				const struct crate_state *c = &s->crates[i];
				if (strcmp(c->state, "fresh") == 0)
					continue;
				if (c->counts >= 0 && s->m.total_counts > 0)
					printf(" %s (%s, %.0f%% of counts)", c->name, c->state,
					       100.0 * (double)c->counts / (double)s->m.total_counts);
				else
					printf(" %s (%s)", c->name, c->state);
			}
		}
		printf("; %zu of %zu crates fresh\n", s->ncrates - s->nstale, s->ncrates);
	} else if (s->has_profile == 0) {
		printf("  profile     none\n  state       none\n");
	} else {
		printf("  profile     unusable: %s\n  state       unusable\n", s->err.buf);
	}
	for (size_t i = 0; i < s->nstamps; i++) {
		printf("  build dir   %s: %s\n", s->stamps[i].build_dir, s->stamps[i].decision);
	}
	sb_release(&sig);
	sb_release(&rustc);
}

static void emit_slot(struct yemit *e, const struct slot_status *s)
{
	yemit_map_start(e);
	yemit_kv(e, "slot", s->id);
	yemit_kv(e, "workspace", sb_str(&s->info.workspace));
	yemit_kv(e, "target", sb_str(&s->info.target));
	yemit_kv(e, "signature", sb_str(&s->info.signature));
	yemit_kv(e, "rustc", sb_str(&s->info.rustc));
	yemit_kv(e, "state", state_word(s));
	if (s->has_profile < 0)
		yemit_kv(e, "error", s->err.buf);
	if (s->has_profile == 1) {
		yemit_kv(e, "profile", s->m.content_key);
		yemit_kv_long(e, "created", s->m.created);
		yemit_kv_long(e, "total-counts", s->m.total_counts);
		yemit_kv(e, "training", s->m.training ? s->m.training : "");
		yemit_kv(e, "llvm-profdata", s->m.llvm_profdata ? s->m.llvm_profdata : "");
		yemit_scalar(e, "crates");
		yemit_seq_start(e);
		for (size_t i = 0; i < s->ncrates; i++) {
			yemit_map_start(e);
			yemit_kv(e, "name", s->crates[i].name);
			yemit_kv(e, "state", s->crates[i].state);
			if (s->crates[i].counts >= 0)
				yemit_kv_long(e, "counts", s->crates[i].counts);
			yemit_end_map(e);
		}
		yemit_end_seq(e);
	}
	yemit_scalar(e, "build-dirs");
	yemit_seq_start(e);
	for (size_t i = 0; i < s->nstamps; i++) {
		yemit_map_start(e);
		yemit_kv(e, "path", s->stamps[i].build_dir);
		yemit_kv(e, "decision", s->stamps[i].decision);
		yemit_end_map(e);
	}
	yemit_end_seq(e);
	yemit_end_map(e);
}

/* The slot belongs to this workspace when its recorded workspace is inside it. */
static bool in_workspace(const struct slot_status *s, const char *ws)
{
	size_t n = strlen(ws);
	const char *w = sb_str(&s->info.workspace);
	return strncmp(w, ws, n) == 0 && (w[n] == '\0' || w[n] == '/');
}

static void tool_versions(struct strbuf *rustc, struct strbuf *profdata)
{
	struct strbuf out = STRBUF_INIT, path = STRBUF_INIT, ver = STRBUF_INIT, err = STRBUF_INIT;
	char *argv[] = { "rustc", "-vV", NULL };

	if (run_capture(argv, &out) == 0) {
		first_line(rustc, out.buf);
		const char *llvm = strstr(out.buf, "LLVM version: ");
		if (llvm) {
			int major = atoi(llvm + 14);
			if (llvm_find_profdata(major, 19, 10, &path, &ver, &err) == 0)
				sb_addf(profdata, "%s (%s)", path.buf, ver.buf);
			else
				sb_adds(profdata, err.buf);
		}
	} else {
		sb_adds(rustc, "not found on PATH");
	}
	if (!profdata->len)
		sb_adds(profdata, "unknown");
	sb_release(&out);
	sb_release(&path);
	sb_release(&ver);
	sb_release(&err);
}

int status_slot_of_build_dir(const char *build_dir, struct strbuf *slot_dir)
{
	struct strbuf root = STRBUF_INIT, slots = STRBUF_INIT, err = STRBUF_INIT;
	struct strvec dirs = STRVEC_INIT;
	int rc = -1;

	if (cache_root_path(&root, &err) == 0) {
		path_join(&slots, root.buf, "slots");
		list_dir(slots.buf, "", &dirs);
	}
	for (size_t i = 0; i < dirs.n && rc != 0; i++) {
		struct stamp *stamps;
		size_t n;
		slot_stamps(dirs.v[i], &stamps, &n);
		for (size_t j = 0; j < n && rc != 0; j++) {
			if (strcmp(stamps[j].build_dir, build_dir) == 0) {
				sb_adds(slot_dir, dirs.v[i]);
				rc = 0;
			}
		}
		stamps_release(stamps, n);
	}
	sv_release(&dirs);
	sb_release(&root);
	sb_release(&slots);
	sb_release(&err);
	return rc;
}

void status_freshness(const char *slot_dir, struct freshness *f)
{
	struct slot_status s;

	memset(f, 0, sizeof(*f));
	load_slot(&s, slot_dir, path_basename(slot_dir));
	f->has_profile = s.has_profile;
	f->ncrates = s.ncrates;
	f->nstale = s.nstale;
	long stale_counts = 0;
	for (size_t i = 0; i < s.ncrates; i++) {
		if (strcmp(s.crates[i].state, "fresh") == 0)
			continue;
		sb_addf(&f->stale, "%s%s (%s)", f->stale.len ? ", " : "", s.crates[i].name, s.crates[i].state);
		if (s.crates[i].counts > 0)
			stale_counts += s.crates[i].counts;
	}
	/* Without counts, any stale crate counts as the whole profile. */
	f->stale_share = s.m.total_counts > 0 ? (double)stale_counts / (double)s.m.total_counts
					      : (s.nstale ? 1.0 : 0.0);
	if (s.has_profile == 1) {
		sb_adds(&f->key, s.m.content_key);
		f->created = s.m.created;
		sb_adds(&f->training, s.m.training ? s.m.training : "");
	}
	release_slot(&s);
}

void freshness_release(struct freshness *f)
{
	sb_release(&f->stale);
	sb_release(&f->key);
	sb_release(&f->training);
}

int cmd_status(int argc, char **argv)
{
	bool yaml = false, all = false;
	struct strbuf root = STRBUF_INIT, err = STRBUF_INIT, ws = STRBUF_INIT, slots = STRBUF_INIT;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format=yaml") == 0)
			yaml = true;
		else if (strcmp(argv[i], "--all") == 0)
			all = true;
		else
			die(PGOW_EXIT_CONFIG, "status: unknown argument %s; usage: cargo-pgo-wrap status "
			    "[--all] [--format=yaml]", argv[i]);
	}
	if (cache_root(&root, &err) != 0)
		die(PGOW_EXIT_CACHE, "%s", err.buf);
	const char *env_ws = env_get("CARGO_PGO_WRAP_WORKSPACE");
	char *cwd = env_ws ? NULL : getcwd(NULL, 0);
	sb_adds(&ws, env_ws ? env_ws : cwd ? cwd : "/");
	free(cwd);

	struct strbuf rustc = STRBUF_INIT, profdata = STRBUF_INIT;
	tool_versions(&rustc, &profdata);
	long long bytes = tree_bytes(root.buf);
	struct yemit e;
	struct strbuf out = STRBUF_INIT;
	if (yaml) {
		yemit_begin(&e, &out);
		yemit_map_start(&e);
		yemit_kv(&e, "cache", root.buf);
		yemit_kv_long(&e, "cache-bytes", (long)bytes);
		yemit_kv(&e, "rustc", rustc.buf);
		yemit_kv(&e, "llvm-profdata", profdata.buf);
		yemit_scalar(&e, "slots");
		yemit_seq_start(&e);
	} else {
		printf("cache         %s (%.1f %s)\nrustc         %s\nllvm-profdata %s\n", root.buf,
		       bytes < 1024 * 1024 ? (double)bytes / 1024.0 : (double)bytes / (1024.0 * 1024.0),
		       bytes < 1024 * 1024 ? "KiB" : "MiB", rustc.buf, profdata.buf);
	}
	path_join(&slots, root.buf, "slots");
	struct strvec dirs = STRVEC_INIT;
	size_t shown = 0;
	list_dir(slots.buf, "", &dirs);
	for (size_t i = 0; i < dirs.n; i++) {
		struct slot_status s;
		load_slot(&s, dirs.v[i], path_basename(dirs.v[i]));
		if (all || in_workspace(&s, ws.buf)) {
			shown++;
			if (yaml) {
				emit_slot(&e, &s);
			} else {
				printf("\n");
				print_human(&s);
			}
		}
		release_slot(&s);
	}
	sv_release(&dirs);
	if (yaml) {
		yemit_end_seq(&e);
		yemit_end_map(&e);
		if (yemit_finish(&e, &err) != 0)
			die(PGOW_EXIT_INTERNAL, "%s", err.buf);
		fputs(out.buf, stdout);
	} else if (!shown) {
		printf("\nno build of %s has gone through cargo-pgo-wrap yet (status --all shows every slot)\n", ws.buf);
	}
	sb_release(&out);
	sb_release(&root);
	sb_release(&err);
	sb_release(&ws);
	sb_release(&slots);
	sb_release(&rustc);
	sb_release(&profdata);
	return 0;
}
