/*
 * splitter.c - one profile file per unit (see include/cycle/splitter.h):
 * which unit compiled each function, the split of the text form by that,
 * one llvm-profdata run per file whose records changed, and the summary of
 * the whole profile written into each file.
 */
#include "cycle/splitter.h"
#include "base/atomic.h"
#include "base/hash.h"
#include "base/namemap.h"
#include "base/path.h"
#include "base/safefs.h"
#include "base/settings.h"
#include "base/spawn.h"
#include "base/strbuf.h"
#include "base/tempfile.h"
#include "base/xalloc.h"
#include "formats/profsummary.h"
#include "store/manifest.h"
#include "store/split.h"
#include "store/unitnames.h"
#include "cycle/cobjects.h"
#include "cycle/llvm.h"
#include "cycle/uplifted.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * One file of the split: a unit, "<crate>-<metadata>". A unit of other
 * metadata (a test harness, other features) has other symbol names, so no
 * record of this profile is its own: it gets the SPLIT_NONE_NAME file.
 */
struct piece {
	char *crate;
	struct strbuf text;      /* the text header and its records */
	char text_hash[HASH_HEX_LEN + 1];
	char file_hash[HASH_HEX_LEN + 1];
	bool rebuild;
	bool touch;      /* written even when its bytes do not change */
	bool c_code;     /* SPLIT_C_NAME: C records only, not the shared ones */
	bool program;    /* a program's unit (its list says so) */
	bool grouped;    /* its records go into SPLIT_SHARED_NAME's file, it has none of its own */
	bool group_file; /* SPLIT_SHARED_NAME: the grouped units' records */
};

static int piece_of(const struct piece *p, size_t n, const char *crate)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].crate, crate) == 0)
			return (int)i;
	return -1;
}

/* Who compiled what: exact names, and the modules of libraries whose names were not read. */
struct owners {
	struct namemap names;
	struct namemap modules;  /* "<module>" of a local name "<module>;<symbol>" */
};

static void lines_of(char *text, void (*fn)(char *line, void *ctx), void *ctx)
{
	for (char *line = strchr(text, '\n'); line && line[1];) {
		char *end = strchr(++line, '\n');
		if (end)
			*end = '\0';
		fn(line, ctx);
		line = end;
	}
}

struct claim {
	struct owners *o;
	int owner;
	bool complete;        /* every Rust unit listed its functions by name */
	const struct piece *pieces;
};

static void claim_lib_line(char *line, void *ctx)
{
	struct claim *c = ctx;
	if (line[0] == '@')
		namemap_claim(&c->o->modules, line + 1, strlen(line + 1), c->owner);
	else
		namemap_claim(&c->o->names, line, strlen(line), c->owner);
}

/*
 * A program's list holds its libraries' names too. It claims a local name
 * of no library's module, and a global name no library has, but the latter
 * only when every library's list is complete: otherwise a library may
 * well have compiled it.
 */
static void claim_program_line(char *line, void *ctx)
{
	struct claim *c = ctx;
	const char *semi = line[0] == '@' ? NULL : strchr(line, ';');
	size_t len = strlen(line);

	int had = line[0] == '@' ? -1 : namemap_get(&c->o->names, line, len);

	/* A library's, or several units': not this program's. Another program's: both lose it. */
	if (had == -1 || (had >= 0 && !c->pieces[had].program))
		return;
	if (had >= 0 || (semi ? namemap_get(&c->o->modules, line, (size_t)(semi - line)) == -2 : c->complete))
		namemap_claim(&c->o->names, line, len, c->owner);
}

/* Reads every unit's list; false when no Rust unit has one (profiles merged by hand). */
static bool load_owners(const struct splitter_input *in, struct piece *pieces, size_t npieces, struct owners *o)
{
	struct strbuf *texts = xcalloc(in->m->ncrates ? in->m->ncrates : 1, sizeof(*texts));
	struct claim c = { o, -1, true, pieces };
	bool any = false;

	for (size_t i = 0; i < in->m->ncrates; i++) {
		const struct manifest_crate *u = &in->m->crates[i];
		struct strbuf path = STRBUF_INIT;
		if (strncmp(u->name, "c:", 2) == 0)
			continue;
		unitnames_path(&path, in->slot_dir, u->name, u->metadata);
		if (sb_read_file(&texts[i], path.buf) != 0)
			c.complete = false; /* a unit built before lists existed, or one whose list failed */
		else if (strncmp(texts[i].buf, "lib partial\n", 12) == 0)
			c.complete = false; /* bitcode whose globals llvm-nm did not list */
		sb_release(&path);
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < in->m->ncrates; i++) {
			const struct manifest_crate *u = &in->m->crates[i];
			struct strbuf unit = STRBUF_INIT;
			if (!texts[i].len)
				continue;
			bool program = strncmp(texts[i].buf, "program\n", 8) == 0;
			sb_addf(&unit, "%s-%s", u->name, u->metadata);
			c.owner = piece_of(pieces, npieces, unit.buf);
			sb_release(&unit);
			if (c.owner >= 0)
				pieces[c.owner].program = program;
			/* Libraries first, so that a program claims only its own functions. */
			if (c.owner >= 0 && program == (pass == 1)) {
				any = true;
				lines_of(texts[i].buf, program ? claim_program_line : claim_lib_line, &c);
			}
		}
	}
	for (size_t i = 0; i < in->m->ncrates; i++)
		sb_release(&texts[i]);
	free(texts);
	return any;
}

/* The unit that compiled a record's function; -1 for none or several. */
static int owner_of(const struct owners *o, const char *name, size_t len)
{
	int owner = namemap_get(&o->names, name, len);
	const char *semi = memchr(name, ';', len);

	if (owner == -2 && semi)
		owner = namemap_get(&o->modules, name, (size_t)(semi - name));
	return owner >= 0 ? owner : -1;
}

/* ---- the text form: a header of '#' and ':' lines, then blank-line separated records ---- */

struct record {
	size_t start, len;   /* the record and its blank line */
	int owner;           /* piece index; -1 shared */
	bool c_code;         /* a function of the C units' objects */
};

static void parse_records(const char *text, size_t len, size_t *header_len, struct record **out, size_t *n)
{
	size_t at = 0;

	*out = NULL;
	*n = 0;
	while (at < len && (text[at] == '#' || text[at] == ':')) {
		const char *nl = memchr(text + at, '\n', len - at);
		at = nl ? (size_t)(nl - text) + 1 : len;
	}
	*header_len = at;
	while (at < len) {
		if (text[at] == '\n') {
			at++;
			continue;
		}
		const char *end = strstr(text + at, "\n\n");
		size_t stop = end ? (size_t)(end - text) + 2 : len;
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = (struct record){ at, stop - at, -1, false };
		at = stop;
	}
}

/* An unchanged unit keeps its file (and mtime): same records, same bytes, the split's summary. */
static bool keeps_file(const char *dir, struct piece *p, const struct strbuf *old, const struct profsummary *carried)
{
	char text_hash[HASH_HEX_LEN + 1], file_hash[HASH_HEX_LEN + 1];
	struct strbuf path = STRBUF_INIT, img = STRBUF_INIT;
	struct profsummary had;
	bool keep = false;

	split_file_path(&path, dir, p->crate);
	if (split_index_entry(old, p->crate, text_hash, file_hash, NULL) && strcmp(text_hash, p->text_hash) == 0 &&
	    sb_read_file(&img, path.buf) == 0) {
		hash_buf_hex(img.buf, img.len, p->file_hash);
		if (strcmp(p->file_hash, file_hash) == 0 && profsummary_of((unsigned char *)img.buf, img.len, &had)) {
			keep = had.len == carried->len && had.version == carried->version &&
			       memcmp(had.bytes, carried->bytes, had.len) == 0;
			free(had.bytes);
		}
	}
	sb_release(&path);
	sb_release(&img);
	return keep;
}

/*
 * The summary every file of the split carries: all the same, since LTO
 * refuses to link modules whose profile summaries differ. The previous
 * split's, kept while it still describes the new profile (so unchanged
 * units keep their files), else the new profile's own.
 */
static bool carried_summary(const struct strbuf *old, const struct profsummary *now, struct profsummary *out)
{
	*out = *now;
	out->bytes = xmalloc(now->len);
	memcpy(out->bytes, now->bytes, now->len);
	struct profsummary had = { now->version, now->len, xmalloc(now->len) };
	bool keep = split_index_summary(old, had.bytes, had.len) && profsummary_close(&had, now);
	if (keep)
		memcpy(out->bytes, had.bytes, now->len);
	free(had.bytes);
	return keep;
}

/* Whether the split gains a unit the previous index did not list (the first split gains none). */
static bool gains_units(const struct strbuf *old, const struct piece *p, size_t n)
{
	char text_hash[HASH_HEX_LEN + 1], file_hash[HASH_HEX_LEN + 1];

	if (!old->len)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!p[i].group_file && !split_index_entry(old, p[i].crate, text_hash, file_hash, NULL))
			return true;
	return false;
}

/* Runs llvm-profdata on each piece to rebuild, as many at once as there are cores. */
static int run_jobs(const struct splitter_input *in, const char *tmp, struct piece *p, size_t n, struct strbuf *err)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t batch = cpus > 0 ? (size_t)cpus : 1;
	struct strvec *cmds = xcalloc(n, sizeof(*cmds));
	struct child *children = xcalloc(n, sizeof(*children));
	size_t jobs = 0;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!p[i].rebuild)
			continue;
		struct strbuf src = STRBUF_INIT;
		struct atomic_opts opts = { .mode = 0600 };
		sb_addf(&src, "%s/%zu.proftext", tmp, i);
		rc = write_file_atomic(src.buf, p[i].text.buf, p[i].text.len, &opts, err);
		sv_push(&cmds[jobs], in->tool);
		sv_push(&cmds[jobs], "merge");
		sv_pushf(&cmds[jobs], "--output=%s/%zu.profdata", tmp, i);
		sv_push(&cmds[jobs], src.buf);
		children[jobs] = (struct child)CHILD_INIT(cmds[jobs].v);
		jobs++;
		sb_release(&src);
	}
	for (size_t at = 0; rc == 0 && at < jobs; at += batch) {
		size_t k = jobs - at < batch ? jobs - at : batch;
		if (child_run_all(children + at, k, err) != 0)
			rc = -1;
		for (size_t j = at; rc == 0 && j < at + k; j++)
			if (!child_succeeded(&children[j])) {
				sb_addf(err, "%s merge of one crate's records failed (exit %d)", in->tool,
					WIFEXITED(children[j].status) ? WEXITSTATUS(children[j].status) : -1);
				rc = -1;
			}
	}
	for (size_t i = 0; i < jobs; i++)
		sv_release(&cmds[i]);
	free(cmds);
	free(children);
	return rc;
}

/*
 * An unchanged file goes into the new generation as another name of the
 * old one: same inode, same mtime, so cargo sees nothing to rebuild. Where
 * the file system has no hard links, a copy carrying the old mtime.
 */
static int keep_piece(const char *slot_dir, const char *old_dir, const char *gen, const char *unit, struct strbuf *err)
{
	struct strbuf from = STRBUF_INIT, to = STRBUF_INIT, img = STRBUF_INIT, e = STRBUF_INIT;
	struct stat st;
	int rc = 0;

	split_file_path(&from, old_dir, unit);
	split_file_path(&to, gen, unit);
	if (safe_hardlink(slot_dir, from.buf, to.buf, &e) != 0) {
		struct atomic_opts opts = { .mode = 0600, .fsync = true, .mtime = &st.st_mtim };
		rc = lstat(from.buf, &st) == 0 && S_ISREG(st.st_mode) && sb_read_file(&img, from.buf) == 0
			     ? write_file_atomic(to.buf, img.buf, img.len, &opts, err)
			     : -1;
		if (rc != 0 && !err->len)
			sb_addf(err, "%s; cannot copy %s either: %s", e.buf, from.buf, strerror(errno));
	}
	sb_release(&from);
	sb_release(&to);
	sb_release(&img);
	sb_release(&e);
	return rc;
}

/*
 * Gives a rebuilt piece the whole profile's summary and puts it in the new
 * generation, as the old generation's file when that has these bytes (its
 * mtime then stays).
 */
static int install_piece(const struct splitter_input *in, const char *old_dir, const char *gen, const char *tmp,
			 size_t i, struct piece *p, const struct profsummary *sum, struct strbuf *err)
{
	struct strbuf built = STRBUF_INIT, img = STRBUF_INIT, dst = STRBUF_INIT, have = STRBUF_INIT;
	struct strbuf old = STRBUF_INIT;
	struct profsummary own = { 0, 0, NULL };
	int rc = -1;

	sb_addf(&built, "%s/%zu.profdata", tmp, i);
	split_file_path(&dst, gen, p->crate);
	if (old_dir)
		split_file_path(&old, old_dir, p->crate);
	if (sb_read_file(&img, built.buf) != 0) {
		sb_addf(err, "cannot read %s: %s", built.buf, strerror(errno));
	} else if (!profsummary_of((unsigned char *)img.buf, img.len, &own) || own.len != sum->len ||
		   own.version != sum->version) {
		sb_addf(err, "%s wrote %s in a layout other than the merged profile's", "llvm-profdata", built.buf);
	} else {
		memcpy(img.buf + PROFSUMMARY_OFFSET, sum->bytes, sum->len);
		hash_buf_hex(img.buf, img.len, p->file_hash);
		bool same = old.len && sb_read_file(&have, old.buf) == 0 && have.len == img.len &&
			    memcmp(have.buf, img.buf, img.len) == 0;
		struct atomic_opts opts = { .mode = 0600, .fsync = true };
		p->rebuild = !same || p->touch;
		rc = p->rebuild ? write_file_atomic(dst.buf, img.buf, img.len, &opts, err)
				: keep_piece(in->slot_dir, old_dir, gen, p->crate, err);
	}
	free(own.bytes);
	sb_release(&built);
	sb_release(&img);
	sb_release(&dst);
	sb_release(&have);
	sb_release(&old);
	return rc;
}

/*
 * Units many of cargo's uplifted dep-info files list share one file: cargo
 * reads a local unit's dep-info again for each artifact above it, so a path
 * of its own per unit cost a workspace built whole (200 members in a chain)
 * 8% more in a no-op, where one shared path costs what the stamp does. A
 * unit listed that often has as many units above it, which its own rebuild
 * rebuilds anyway, so sharing costs a refresh little.
 */
static size_t group_listed_units(const char *slot_dir, struct piece *p, size_t n)
{
	char **units = xcalloc(n ? n : 1, sizeof(*units));
	unsigned *listed = xcalloc(n ? n : 1, sizeof(*listed));
	size_t grouped = 0;

	for (size_t i = 0; i < n; i++)
		units[i] = p[i].crate;
	uplifted_listings(slot_dir, units, n, listed);
	for (size_t i = 0; i < n; i++) {
		p[i].grouped = listed[i] >= SPLIT_SHARED_LISTINGS;
		grouped += p[i].grouped;
	}
	free(units);
	free(listed);
	return grouped;
}

/*
 * The pieces: one per Rust unit of the profile, SPLIT_C_NAME when it has C
 * units, and SPLIT_NONE_NAME last; room for SPLIT_SHARED_NAME's.
 */
static size_t make_pieces(const struct manifest *m, bool c_code, struct piece **out)
{
	size_t n = 0;
	*out = xcalloc(m->ncrates + 3, sizeof(**out));
	for (size_t i = 0; i < m->ncrates; i++) {
		struct strbuf unit = STRBUF_INIT;
		sb_addf(&unit, "%s-%s", m->crates[i].name, m->crates[i].metadata);
		if (strncmp(unit.buf, "c:", 2) != 0 && piece_of(*out, n, unit.buf) < 0)
			(*out)[n++].crate = sb_detach(&unit);
		sb_release(&unit);
	}
	if (c_code) {
		(*out)[n].c_code = true;
		(*out)[n++].crate = xstrdup(SPLIT_C_NAME);
	}
	(*out)[n++].crate = xstrdup(SPLIT_NONE_NAME);
	return n; /* xcalloc's zeroes are empty strbufs */
}

/* SPLIT_SHARED_NAME's piece before SPLIT_NONE_NAME's, when units share it (no index names the others). */
static void add_group_piece(const char *slot_dir, struct piece *p, size_t *n)
{
	size_t units = 0;
	while (units < *n && p[units].crate[0] != '-')
		units++;
	if (!group_listed_units(slot_dir, p, units))
		return;
	p[*n] = p[*n - 1];
	memset(&p[*n - 1], 0, sizeof(p[*n - 1]));
	p[*n - 1].group_file = true;
	p[*n - 1].crate = xstrdup(SPLIT_SHARED_NAME);
	(*n)++;
}

static int group_file_of(const struct piece *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].group_file)
			return (int)i;
	return -1;
}

/*
 * The functions the C units' objects define (ELF names: a static's profile
 * name is "<file>;<name>"). One map of names; the owner is unused.
 */
static bool load_c_functions(const struct splitter_input *in, struct namemap *out)
{
	for (size_t i = 0; i < in->m->ncrates; i++) {
		const struct manifest_crate *u = &in->m->crates[i];
		struct strvec names = STRVEC_INIT;
		if (strncmp(u->name, "c:", 2) == 0)
			cobjects_unit_functions(in->slot_dir, u->name, u->metadata, &names);
		for (size_t j = 0; j < names.n; j++)
			if (names.v[j][0])
				namemap_claim(out, names.v[j], strlen(names.v[j]), 0);
		sv_release(&names);
	}
	return out->n > 0;
}

static bool is_c_function(const struct namemap *c, const char *name, size_t len)
{
	const char *semi = memchr(name, ';', len);
	const char *base = semi ? semi + 1 : name;
	return c->n && namemap_get(c, base, len - (size_t)(base - name)) != -2;
}

/* The sum of a record's counters ("# Num Counters:" N, "# Counter Values:" and N lines). */
static unsigned long long record_counts(const char *rec, size_t len)
{
	const char *end = rec + len, *v = NULL;
	unsigned long long sum = 0, left = 0;

	for (const char *line = rec; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t l = nl ? (size_t)(nl - line) : (size_t)(end - line);
		if (v && left) {
			sum += strtoull(line, NULL, 10);
			if (!--left)
				break;
		} else if (l == 15 && memcmp(line, "# Num Counters:", 15) == 0 && nl) {
			left = strtoull(nl + 1, NULL, 10);
		} else if (l == 17 && memcmp(line, "# Counter Values:", 17) == 0) {
			v = line;
		}
		line = nl ? nl + 1 : end;
	}
	return sum;
}

/*
 * The one attribution: each Rust unit's figures are those of the records it
 * owns in the split, not of the crate its symbols name (a generic of one
 * crate compiled into another belongs to the other's part). Records of no
 * single unit, and C units (counted by their objects' functions), are not
 * counted here.
 */
static void attribute_owned(struct manifest *m, const struct piece *p, size_t n, const char *text,
			    const struct record *r, size_t nr)
{
	long *unit_of = xcalloc(n ? n : 1, sizeof(*unit_of));
	struct strbuf name = STRBUF_INIT;

	for (size_t i = 0; i < n; i++)
		unit_of[i] = -1;
	for (size_t u = 0; u < m->ncrates; u++) {
		if (strncmp(m->crates[u].name, "c:", 2) == 0)
			continue;
		sb_reset(&name);
		sb_addf(&name, "%s-%s", m->crates[u].name, m->crates[u].metadata);
		int i = piece_of(p, n, name.buf);
		if (i < 0)
			continue;
		unit_of[i] = (long)u;
		m->crates[u].counts = m->crates[u].functions = m->crates[u].covered = 0;
	}
	for (size_t j = 0; j < nr; j++) {
		if (r[j].owner < 0 || r[j].c_code || unit_of[r[j].owner] < 0)
			continue;
		struct manifest_crate *c = &m->crates[unit_of[r[j].owner]];
		unsigned long long sum = record_counts(text + r[j].start, r[j].len);
		c->counts += (long)sum;
		c->functions++;
		c->covered += sum != 0;
	}
	free(unit_of);
	sb_release(&name);
}

/* Counts per pair of a library and another unit (piece indices), as DEFINED lists them. */
struct defined_pair {
	int lib, unit;
	unsigned long long counts;
};

struct defined {
	struct namemap index;   /* "<lib> <unit>" to its pair */
	struct defined_pair *pairs;
	size_t n;
};

static void defined_add(struct defined *d, int lib, int unit, unsigned long long sum)
{
	struct strbuf key = STRBUF_INIT;
	sb_addf(&key, "%d %d", lib, unit);
	int at = namemap_get(&d->index, key.buf, key.len);
	if (at < 0) {
		at = (int)d->n;
		namemap_claim(&d->index, key.buf, key.len, at);
		d->pairs = xrealloc(d->pairs, ++d->n * sizeof(*d->pairs));
		d->pairs[at] = (struct defined_pair){ lib, unit, 0 };
	}
	d->pairs[at].counts += sum;
	sb_release(&key);
}

/* Libraries by crate name; two of one name (two versions) are neither's (-1). */
static void libraries_by_name(const struct piece *p, size_t n, struct namemap *libs)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = split_unit_crate_len(p[i].crate);
		if (!p[i].program && !p[i].c_code && len)
			namemap_claim(libs, p[i].crate, len, (int)i);
	}
}

/*
 * The crate whose source a record's function comes from: its symbol's (a
 * local name's module is the unit that compiled it, not the crate).
 */
static void defining_crate(const char *name, size_t len, struct strbuf *symbol, struct strbuf *crate)
{
	const char *semi = memchr(name, ';', len);
	const char *sym = semi ? semi + 1 : name;
	sb_reset(symbol);
	sb_add(symbol, sym, len - (size_t)(sym - name));
	sb_reset(crate);
	llvm_symbol_crate(symbol->buf, crate);
}

/*
 * What each library defines that another unit compiled: a generic compiled
 * into a program is the program's record, in its part (rav1e's library held
 * 6% of the counts, its code in the program 94%), yet an edit of the library
 * changes it. A program of the library's own crate name is counted whole: its
 * own functions and the library's go by one name, and the larger share is
 * the safe one.
 */
static int write_defined(const char *dir, const char *key, const struct piece *p, size_t n, const char *text,
			 const struct record *r, size_t nr, struct strbuf *err)
{
	struct namemap libs = { NULL, NULL, 0, 0 };
	struct defined d = { { NULL, NULL, 0, 0 }, NULL, 0 };
	struct strbuf symbol = STRBUF_INIT, crate = STRBUF_INIT, out = STRBUF_INIT, path = STRBUF_INIT;
	struct atomic_opts opts = { .mode = 0600, .fsync = true };

	libraries_by_name(p, n, &libs);
	for (size_t j = 0; j < nr && libs.n; j++) {
		if (r[j].owner < 0 || r[j].c_code)
			continue;
		const char *name = text + r[j].start;
		defining_crate(name, strcspn(name, "\n"), &symbol, &crate);
		int lib = crate.len ? namemap_get(&libs, crate.buf, crate.len) : -2;
		if (lib < 0 || lib == r[j].owner)
			continue;
		unsigned long long sum = record_counts(name, r[j].len);
		if (sum)
			defined_add(&d, lib, r[j].owner, sum);
	}
	split_defined_begin(&out, key);
	for (size_t i = 0; i < d.n; i++)
		split_defined_add(&out, p[d.pairs[i].lib].crate, p[d.pairs[i].unit].crate, d.pairs[i].counts);
	path_join(&path, dir, SPLIT_DEFINED);
	int rc = write_file_atomic(path.buf, out.buf, out.len, &opts, err);
	namemap_release(&libs);
	namemap_release(&d.index);
	free(d.pairs);
	sb_release(&symbol);
	sb_release(&crate);
	sb_release(&out);
	sb_release(&path);
	return rc;
}

static void fill_pieces(struct piece *p, size_t n, const char *text, size_t header, const struct record *r,
			size_t nr, struct splitter_stats *st)
{
	int group = group_file_of(p, n);

	for (size_t i = 0; i < n; i++)
		sb_add(&p[i].text, text, header);
	for (size_t j = 0; j < nr; j++) {
		/* The C objects look up their own functions only: other records would rerun their build scripts. */
		for (size_t i = 0; r[j].c_code && i < n; i++)
			if (p[i].c_code)
				sb_add(&p[i].text, text + r[j].start, r[j].len);
		if (r[j].owner >= 0) {
			sb_add(&p[r[j].owner].text, text + r[j].start, r[j].len);
			if (p[r[j].owner].grouped)
				sb_add(&p[group].text, text + r[j].start, r[j].len);
			continue;
		}
		/* Compiled by no unit we know, or by several: every crate gets it, so none misses it. */
		st->shared++;
		for (size_t i = 0; i < n; i++)
			if (!p[i].c_code)
				sb_add(&p[i].text, text + r[j].start, r[j].len);
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i].text.len && p[i].text.buf[p[i].text.len - 1] != '\n')
			sb_addch(&p[i].text, '\n');
		hash_buf_hex(p[i].text.buf, p[i].text.len, p[i].text_hash);
	}
}

static int write_index(const char *dir, const char *key, const struct profsummary *sum, const struct piece *p,
		       size_t n, struct strbuf *err)
{
	struct strbuf index = STRBUF_INIT, path = STRBUF_INIT;
	struct atomic_opts opts = { .mode = 0600, .fsync = true };

	int group = group_file_of(p, n);

	split_index_begin(&index, key, sum->bytes, sum->len, group >= 0);
	for (size_t i = 0; i < n; i++)
		split_index_add(&index, p[i].crate, p[i].text_hash, p[i].grouped ? p[group].file_hash : p[i].file_hash,
				p[i].grouped ? SPLIT_SHARED_NAME : NULL);
	path_join(&path, dir, "INDEX");
	int rc = write_file_atomic(path.buf, index.buf, index.len, &opts, err);
	sb_release(&index);
	sb_release(&path);
	return rc;
}

int splitter_run(const struct splitter_input *in, struct splitter_stats *st, struct strbuf *why, struct strbuf *err)
{
	struct strbuf old_dir = STRBUF_INIT, text = STRBUF_INIT, old = STRBUF_INIT, ipath = STRBUF_INIT, tmp = STRBUF_INIT;
	struct strbuf gens = STRBUF_INIT, gen = STRBUF_INIT;
	struct owners owners;
	struct namemap c_functions = { NULL, NULL, 0, 0 };
	struct profsummary sum, carried;
	struct piece *p = NULL;
	struct record *r = NULL;
	size_t n = 0, nr = 0, header;
	int rc = 1;

	memset(st, 0, sizeof(*st));
	memset(&owners, 0, sizeof(owners));
	memset(&sum, 0, sizeof(sum));
	memset(&carried, 0, sizeof(carried));
	if (!split_wanted()) {
		sb_addf(why, "%s=0", ENV_SPLIT);
		goto out;
	}
	if (!profsummary_of_file(in->profdata, &sum)) {
		sb_adds(why, "its format is not one cargo-pgo-wrap can split (indexed v12 or v13)");
		goto out;
	}
	bool c_code = load_c_functions(in, &c_functions);
	n = make_pieces(in->m, c_code, &p);
	if (!load_owners(in, p, n, &owners)) {
		sb_adds(why, "no unit recorded which functions it compiled (this cache did not compile them: profiles "
			     "merged with --foreign, or from binaries built elsewhere)");
		goto out;
	}
	if (sb_read_file(&text, in->text) != 0) {
		sb_addf(why, "cannot read its text form %s: %s", in->text, strerror(errno));
		goto out;
	}
	/* Traces sit between the header and the records, in a shape the record split does not know. */
	if (strstr(sb_str(&text), "\n:temporal_prof_traces")) {
		sb_adds(why, "it holds temporal profile traces");
		goto out;
	}
	add_group_piece(in->slot_dir, p, &n);
	rc = -1;
	parse_records(text.buf, text.len, &header, &r, &nr);
	for (size_t j = 0; j < nr; j++) {
		const char *name = text.buf + r[j].start;
		size_t len = strcspn(name, "\n");
		r[j].owner = owner_of(&owners, name, len);
		r[j].c_code = is_c_function(&c_functions, name, len);
	}
	fill_pieces(p, n, text.buf, header, r, nr, st);
	attribute_owned(in->m, p, n, text.buf, r, nr);
	int current = split_current_dir(in->slot_dir, &old_dir);
	if (current >= 0)
		path_join(&ipath, old_dir.buf, "INDEX");
	if (current < 0 || sb_read_file(&old, ipath.buf) != 0)
		sb_reset(&old); /* none yet: every file is written */
	bool same_summary = carried_summary(&old, &sum, &carried);
	size_t rebuild = 0;
	for (size_t i = 0; i < n; i++) {
		p[i].rebuild = !p[i].grouped && (!same_summary || !keeps_file(sb_str(&old_dir), &p[i], &old, &carried));
		rebuild += p[i].rebuild;
	}
	/*
	 * A unit new to the profile may have been compiled with SPLIT_NONE_NAME's file,
	 * which its dep-info lists: a new mtime on that file makes cargo give it its own.
	 */
	p[n - 1].touch = gains_units(&old, p, n - 1);
	if (p[n - 1].touch && !p[n - 1].rebuild) {
		p[n - 1].rebuild = true;
		rebuild++;
	}
	path_join(&gens, in->slot_dir, SPLIT_GENERATIONS);
	if (mkdir_private(gens.buf, 0700, err) != 0)
		goto out;
	if (rebuild && tempdir_create(gens.buf, SPLIT_TEMP_PREFIX, &tmp, err) != 0)
		goto out;
	if (rebuild && run_jobs(in, tmp.buf, p, n, err) != 0)
		goto cleanup;
	/* Made whole beside the current split, then switched to in one rename. */
	if (split_generation_make(in->slot_dir, current, &gen, err) != 0)
		goto cleanup;
	for (size_t i = 0; i < n; i++) {
		if (p[i].grouped)
			continue;
		int placed = p[i].rebuild ? install_piece(in, old.len ? old_dir.buf : NULL, gen.buf, tmp.buf, i, &p[i],
							  &carried, err)
					  : keep_piece(in->slot_dir, old_dir.buf, gen.buf, p[i].crate, err);
		if (placed != 0)
			goto cleanup;
	}
	if (write_index(gen.buf, in->key, &carried, p, n, err) != 0 ||
	    write_defined(gen.buf, in->key, p, n, text.buf, r, nr, err) != 0 ||
	    split_generation_publish(in->slot_dir, gen.buf, err) != 0)
		goto cleanup;
	for (size_t i = 0; i < n; i++) {
		st->crates += !p[i].grouped;
		st->grouped += p[i].grouped;
		st->rewritten += p[i].rebuild;
	}
	rc = 0;
cleanup:
	if (rc != 0 && gen.len) {
		struct strbuf e = STRBUF_INIT;
		(void)safe_remove_tree(in->slot_dir, gen.buf, &e); /* else the next split or gc does */
		sb_release(&e);
	}
	if (rebuild)
		tempdir_remove(tmp.buf);
out:
	for (size_t i = 0; i < n; i++) {
		free(p[i].crate);
		sb_release(&p[i].text);
	}
	free(p);
	free(r);
	free(sum.bytes);
	free(carried.bytes);
	namemap_release(&owners.names);
	namemap_release(&c_functions);
	namemap_release(&owners.modules);
	sb_release(&old_dir);
	sb_release(&gens);
	sb_release(&gen);
	sb_release(&text);
	sb_release(&old);
	sb_release(&ipath);
	sb_release(&tmp);
	return rc;
}
