/*
 * split.c - one profile file per crate (see include/split.h): which unit
 * compiled each function, the split of the text form by that, one
 * llvm-profdata run per file whose records changed, and the summary of the
 * whole profile written into each file.
 */
#include "store/split.h"
#include "cycle/cobjects.h"
#include "base/execute.h"
#include "base/hash.h"
#include "store/manifest.h"
#include "formats/prfnames.h"
#include "base/safefs.h"
#include "store/toolchain.h"
#include "store/unitkey.h"
#include "base/message.h"
#include "base/xalloc.h"
#include "base/path.h"
#include "base/dirlist.h"
#include "base/atomic.h"
#include "base/bytes.h"
#include "base/settings.h"
#include "base/strbuf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define INDEX_MAGIC "pgow-split-v2"
/* The file of crates the profile does not know: its shared records only. Not a crate name. */
#define NONE_NAME "-none"
/* The file of the C and C++ code build scripts compile: their functions' records only. */
#define C_NAME "-c"

static void names_path(struct strbuf *out, const char *slot_dir, const char *crate, const char *metadata)
{
	unitkey_record_path(out, slot_dir, crate, metadata);
	sb_adds(out, ".names");
}

/*
 * The global functions bitcode members define, by llvm-nm (their profile
 * names are their symbols; locals go by module). False when it cannot run.
 */
static bool bitcode_globals(const char *output, int llvm_major, struct strvec *names)
{
	struct strbuf nm = STRBUF_INIT, out = STRBUF_INIT;
	bool ok = false;

	if (llvm_major > 0 && llvm_tool_path("llvm-nm", llvm_major, &nm)) {
		char *argv[] = { nm.buf, "--defined-only", "--extern-only", "-P", (char *)output, NULL };
		int status = run_capture(argv, &out);
		ok = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
		/* -P: "<name> <type> [<value> <size>]"; T and W are functions. */
		for (char *line = out.buf; ok && line && *line;) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			char *sp = strchr(line, ' ');
			if (sp && (sp[1] == 'T' || sp[1] == 'W') && (sp[2] == ' ' || sp[2] == '\0'))
				sv_pushf(names, "%.*s", (int)(sp - line), line);
			line = nl ? nl + 1 : NULL;
		}
	}
	sb_release(&nm);
	sb_release(&out);
	return ok;
}

/*
 * A stale list would give a library's new functions to its program, so a
 * list that cannot be made now is removed, not kept.
 */
int split_record_unit(const char *slot_dir, const char *crate, const char *metadata, bool program,
		      const char *output, int llvm_major, struct strbuf *err)
{
	struct strvec names = STRVEC_INIT, modules = STRVEC_INIT;
	struct strbuf text = STRBUF_INIT, path = STRBUF_INIT, dir = STRBUF_INIT, e = STRBUF_INIT;
	struct atomic_opts opts = { .mode = 0600 };
	int rc = prf_names_of(output, &names, &modules, err);

	names_path(&path, slot_dir, crate, metadata);
	if (rc == 0) {
		/* Bitcode (LTO): its locals by module; its globals by llvm-nm, else the list is partial. */
		bool partial = modules.n && !bitcode_globals(output, llvm_major, &names);
		sv_sort_unique(&names);
		sb_addf(&text, "%s%s\n", program ? "program" : "lib", partial ? " partial" : "");
		for (size_t i = 0; i < modules.n; i++)
			sb_addf(&text, "@%s\n", modules.v[i]);
		for (size_t i = 0; i < names.n; i++)
			sb_addf(&text, "%s\n", names.v[i]);
		rc = write_file_atomic(path.buf, text.buf, text.len, &opts, err);
	} else {
		path_dirname(&dir, path.buf);
		(void)safe_unlink(dir.buf, path.buf, &e);
	}
	sv_release(&names);
	sv_release(&modules);
	sb_release(&text);
	sb_release(&path);
	sb_release(&dir);
	sb_release(&e);
	return rc;
}

/* ---- the summary an indexed profile carries after its header ---- */

#define INDEXED_MAGIC 0x8169666f72706cffULL
/* The header is 9 words in formats 12 and 13 (LLVM 19 to 22); others are kept whole. */
#define HEADER_BYTES 72
#define VARIANT_CS (1ULL << 57)

struct summary {
	uint64_t version;          /* with the variant bits */
	size_t len;                /* bytes from HEADER_BYTES */
	unsigned char *bytes;
};

/* The summary of an indexed profile image; false when its layout is not one we know. */
static bool summary_of(const unsigned char *img, size_t len, struct summary *s)
{
	memset(s, 0, sizeof(*s));
	if (len < HEADER_BYTES + 16 || load_le64(img) != INDEXED_MAGIC)
		return false;
	s->version = load_le64(img + 8);
	uint32_t format = (uint32_t)s->version;
	uint64_t fields = load_le64(img + HEADER_BYTES), cutoffs = load_le64(img + HEADER_BYTES + 8);
	if ((format != 12 && format != 13) || (s->version & VARIANT_CS) || fields > 64 || cutoffs > 1024)
		return false;
	s->len = (size_t)(16 + 8 * fields + 24 * cutoffs);
	uint64_t hash_offset = load_le64(img + 32);
	if (HEADER_BYTES + s->len > len || hash_offset < HEADER_BYTES + s->len)
		return false;
	s->bytes = xmalloc(s->len);
	memcpy(s->bytes, img + HEADER_BYTES, s->len);
	return true;
}

/* Within an eighth of each other. */
static bool near(uint64_t x, uint64_t y)
{
	uint64_t hi = x > y ? x : y, lo = x > y ? y : x;
	return hi - lo <= hi / 8;
}

/*
 * A summary still describes the profile when what LLVM derives from it is
 * within an eighth of the current one: the minimum counts at the cutoffs
 * from 95% up (the hot threshold at 99%, the cold one at 99.9999%, the
 * size-over-speed one at 95%) and the working set at the hot cutoff. Then
 * an unchanged crate's file need not change. Lower cutoffs and totals are
 * not compared: they move with every edit of the hottest code.
 */
static bool summary_close(const struct summary *a, const struct summary *b)
{
	if (a->len != b->len || a->version != b->version || memcmp(a->bytes, b->bytes, 16) != 0)
		return false;
	uint64_t fields = load_le64(a->bytes), cutoffs = load_le64(a->bytes + 8);
	const unsigned char *ea = a->bytes + 16 + 8 * fields, *eb = b->bytes + 16 + 8 * fields;
	for (uint64_t i = 0; i < cutoffs; i++, ea += 24, eb += 24) {
		uint64_t cutoff = load_le64(ea);
		if (cutoff != load_le64(eb))
			return false;
		if (cutoff < 950000)
			continue;
		if (!near(load_le64(ea + 8), load_le64(eb + 8)) || (cutoff == 990000 && !near(load_le64(ea + 16), load_le64(eb + 16))))
			return false;
	}
	return true;
}

static bool summary_of_file(const char *path, struct summary *s)
{
	struct strbuf img = STRBUF_INIT;
	bool ok = sb_read_file(&img, path) == 0 && summary_of((unsigned char *)img.buf, img.len, s);
	sb_release(&img);
	return ok;
}

/* ---- which unit compiled each function ---- */

struct owner_map {
	char **names;
	int *owner;       /* crate index, or -1: compiled by more than one crate */
	size_t size, n;   /* open addressing, size a power of two */
};

static size_t map_slot(const struct owner_map *m, const char *name, size_t len)
{
	size_t at = hash_name(name, len) & (m->size - 1);
	while (m->names[at] && !(strlen(m->names[at]) == len && memcmp(m->names[at], name, len) == 0))
		at = (at + 1) & (m->size - 1);
	return at;
}

static void map_grow(struct owner_map *m)
{
	struct owner_map bigger = { NULL, NULL, m->size ? m->size * 2 : 1024, m->n };
	bigger.names = xcalloc(bigger.size, sizeof(*bigger.names));
	bigger.owner = xcalloc(bigger.size, sizeof(*bigger.owner));
	for (size_t i = 0; i < m->size; i++) {
		if (!m->names[i])
			continue;
		size_t at = map_slot(&bigger, m->names[i], strlen(m->names[i]));
		bigger.names[at] = m->names[i];
		bigger.owner[at] = m->owner[i];
	}
	free(m->names);
	free(m->owner);
	*m = bigger;
}

/* The owner of a name: a crate index, -1 for several, -2 for none. */
static int map_get(const struct owner_map *m, const char *name, size_t len)
{
	if (!m->size)
		return -2;
	size_t at = map_slot(m, name, len);
	return m->names[at] ? m->owner[at] : -2;
}

/* Claims a name for a unit; claimed by two units, it is nobody's own (-1). */
static void map_claim(struct owner_map *m, const char *name, size_t len, int crate)
{
	if (2 * (m->n + 1) > m->size)
		map_grow(m);
	size_t at = map_slot(m, name, len);
	if (!m->names[at]) {
		m->names[at] = xstrndup(name, len);
		m->owner[at] = crate;
		m->n++;
	} else if (m->owner[at] != crate) {
		m->owner[at] = -1;
	}
}

static void map_release(struct owner_map *m)
{
	for (size_t i = 0; i < m->size; i++)
		free(m->names[i]);
	free(m->names);
	free(m->owner);
	memset(m, 0, sizeof(*m));
}

/*
 * One file of the split: a unit, "<crate>-<metadata>". A unit of other
 * metadata (a test harness, other features) has other symbol names, so no
 * record of this profile is its own: it gets the NONE_NAME file.
 */
struct piece {
	char *crate;
	struct strbuf text;      /* the text header and its records */
	char text_hash[HASH_HEX_LEN + 1];
	char file_hash[HASH_HEX_LEN + 1];
	bool rebuild;
	bool touch;      /* written even when its bytes do not change */
	bool c_code;     /* C_NAME: C records only, not the shared ones */
};

static int piece_of(struct piece *p, size_t n, const char *crate)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].crate, crate) == 0)
			return (int)i;
	return -1;
}

/* Who compiled what: exact names, and the modules of libraries whose names were not read. */
struct owners {
	struct owner_map names;
	struct owner_map modules;  /* "<module>" of a local name "<module>;<symbol>" */
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
	bool *program;        /* per piece: a program's */
};

static void claim_lib_line(char *line, void *ctx)
{
	struct claim *c = ctx;
	if (line[0] == '@')
		map_claim(&c->o->modules, line + 1, strlen(line + 1), c->owner);
	else
		map_claim(&c->o->names, line, strlen(line), c->owner);
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

	int had = line[0] == '@' ? -1 : map_get(&c->o->names, line, len);

	/* A library's, or several units': not this program's. Another program's: both lose it. */
	if (had == -1 || (had >= 0 && !c->program[had]))
		return;
	if (had >= 0 || (semi ? map_get(&c->o->modules, line, (size_t)(semi - line)) == -2 : c->complete))
		map_claim(&c->o->names, line, len, c->owner);
}

/* Reads every unit's list; false when no Rust unit has one (profiles merged by hand). */
static bool load_owners(const struct split_input *in, struct piece *pieces, size_t npieces, struct owners *o)
{
	struct strbuf *texts = xcalloc(in->m->ncrates ? in->m->ncrates : 1, sizeof(*texts));
	struct claim c = { o, -1, true, xcalloc(npieces, sizeof(bool)) };
	bool any = false;

	for (size_t i = 0; i < in->m->ncrates; i++) {
		const struct manifest_crate *u = &in->m->crates[i];
		struct strbuf path = STRBUF_INIT;
		if (strncmp(u->name, "c:", 2) == 0)
			continue;
		names_path(&path, in->slot_dir, u->name, u->metadata);
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
				c.program[c.owner] = program;
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
	free(c.program);
	return any;
}

/* The unit that compiled a record's function; -1 for none or several. */
static int owner_of(const struct owners *o, const char *name, size_t len)
{
	int owner = map_get(&o->names, name, len);
	const char *semi = memchr(name, ';', len);

	if (owner == -2 && semi)
		owner = map_get(&o->modules, name, (size_t)(semi - name));
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

/* ---- the index: which records and bytes each file holds ---- */

/* An index's line for a unit: its text and file hashes, or false. One pass, no copies: verification asks per unit. */
static bool old_entry(const struct strbuf *index, const char *unit, char *text_hash, char *file_hash)
{
	size_t n = strlen(unit);
	const char *p = sb_str(index);

	while ((p = strchr(p, '\n'))) {
		p++;
		if (strncmp(p, unit, n) != 0 || p[n] != '\t')
			continue;
		const char *t = p + n + 1, *f = t + HASH_HEX_LEN + 1;
		if (strlen(t) < 2 * HASH_HEX_LEN + 1 || t[HASH_HEX_LEN] != '\t' ||
		    (f[HASH_HEX_LEN] != '\n' && f[HASH_HEX_LEN] != '\0'))
			return false;
		memcpy(text_hash, t, HASH_HEX_LEN);
		text_hash[HASH_HEX_LEN] = '\0';
		memcpy(file_hash, f, HASH_HEX_LEN);
		file_hash[HASH_HEX_LEN] = '\0';
		return strspn(text_hash, "0123456789abcdef") == HASH_HEX_LEN &&
		       strspn(file_hash, "0123456789abcdef") == HASH_HEX_LEN;
	}
	return false;
}

static void file_path(struct strbuf *out, const char *dir, const char *crate)
{
	sb_addf(out, "%s/%s.profdata", dir, crate);
}

/* An unchanged unit keeps its file (and mtime): same records, same bytes, the split's summary. */
static bool keeps_file(const char *dir, struct piece *p, const struct strbuf *old, const struct summary *carried)
{
	char text_hash[HASH_HEX_LEN + 1], file_hash[HASH_HEX_LEN + 1];
	struct strbuf path = STRBUF_INIT, img = STRBUF_INIT;
	struct summary had;
	bool keep = false;

	file_path(&path, dir, p->crate);
	if (old_entry(old, p->crate, text_hash, file_hash) && strcmp(text_hash, p->text_hash) == 0 &&
	    sb_read_file(&img, path.buf) == 0) {
		hash_buf_hex(img.buf, img.len, p->file_hash);
		if (strcmp(p->file_hash, file_hash) == 0 && summary_of((unsigned char *)img.buf, img.len, &had)) {
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
static bool carried_summary(const struct strbuf *old, const struct summary *now, struct summary *out)
{
	const char *line = sb_str(old), *tab = strchr(line, '\t');
	tab = tab ? strchr(tab + 1, '\t') : NULL;
	size_t hex = tab ? strcspn(tab + 1, "\n") : 0;

	*out = *now;
	out->bytes = xmalloc(now->len);
	memcpy(out->bytes, now->bytes, now->len);
	if (strncmp(line, INDEX_MAGIC "\t", sizeof(INDEX_MAGIC)) != 0 || hex != 2 * now->len)
		return false;
	struct summary had = { now->version, now->len, xmalloc(now->len) };
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < 2 * now->len; i++) {
		const char *d = tab[1 + i] ? strchr(digits, tab[1 + i]) : NULL;
		if (!d) {
			free(had.bytes);
			return false;
		}
		had.bytes[i / 2] = (unsigned char)(i % 2 ? (had.bytes[i / 2] << 4) | (d - digits) : (d - digits));
	}
	bool keep = summary_close(&had, now);
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
		if (!old_entry(old, p[i].crate, text_hash, file_hash))
			return true;
	return false;
}

/* Runs llvm-profdata on each piece to rebuild, as many at once as there are cores. */
static int run_jobs(const struct split_input *in, const char *tmp, struct piece *p, size_t n, struct strbuf *err)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t batch = cpus > 0 ? (size_t)cpus : 1;
	struct strvec *cmds = xcalloc(n, sizeof(*cmds));
	char *const **argvs = xcalloc(n, sizeof(*argvs));
	int *status = xcalloc(n, sizeof(*status));
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
		argvs[jobs] = cmds[jobs].v;
		jobs++;
		sb_release(&src);
	}
	for (size_t at = 0; rc == 0 && at < jobs; at += batch) {
		size_t k = jobs - at < batch ? jobs - at : batch;
		if (run_parallel(argvs + at, k, status + at) != 0) {
			sb_addf(err, "cannot run %s: %s", in->tool, strerror(errno));
			rc = -1;
		}
		for (size_t j = at; rc == 0 && j < at + k; j++)
			if (!WIFEXITED(status[j]) || WEXITSTATUS(status[j]) != 0) {
				sb_addf(err, "%s merge of one crate's records failed (exit %d)", in->tool,
					WIFEXITED(status[j]) ? WEXITSTATUS(status[j]) : -1);
				rc = -1;
			}
	}
	for (size_t i = 0; i < jobs; i++)
		sv_release(&cmds[i]);
	free(cmds);
	free(argvs);
	free(status);
	return rc;
}

/*
 * Gives a rebuilt piece the whole profile's summary and puts it in place,
 * unless the file there already has these bytes (its mtime then stays).
 */
static int install_piece(const char *dir, const char *tmp, size_t i, struct piece *p, const struct summary *sum,
			 struct strbuf *err)
{
	struct strbuf built = STRBUF_INIT, img = STRBUF_INIT, dst = STRBUF_INIT, have = STRBUF_INIT;
	struct summary own = { 0, 0, NULL };
	int rc = -1;

	sb_addf(&built, "%s/%zu.profdata", tmp, i);
	file_path(&dst, dir, p->crate);
	if (sb_read_file(&img, built.buf) != 0) {
		sb_addf(err, "cannot read %s: %s", built.buf, strerror(errno));
	} else if (!summary_of((unsigned char *)img.buf, img.len, &own) || own.len != sum->len ||
		   own.version != sum->version) {
		sb_addf(err, "%s wrote %s in a layout other than the merged profile's", "llvm-profdata", built.buf);
	} else {
		memcpy(img.buf + HEADER_BYTES, sum->bytes, sum->len);
		hash_buf_hex(img.buf, img.len, p->file_hash);
		bool same = sb_read_file(&have, dst.buf) == 0 && have.len == img.len &&
			    memcmp(have.buf, img.buf, img.len) == 0;
		struct atomic_opts opts = { .mode = 0600 };
		rc = same && !p->touch ? 0 : write_file_atomic(dst.buf, img.buf, img.len, &opts, err);
		p->rebuild = !same || p->touch;
	}
	free(own.bytes);
	sb_release(&built);
	sb_release(&img);
	sb_release(&dst);
	sb_release(&have);
	return rc;
}

/* The pieces: one per Rust unit of the profile, C_NAME when it has C units, and NONE_NAME last. */
static size_t make_pieces(const struct manifest *m, bool c_code, struct piece **out)
{
	size_t n = 0;
	*out = xcalloc(m->ncrates + 2, sizeof(**out));
	for (size_t i = 0; i < m->ncrates; i++) {
		struct strbuf unit = STRBUF_INIT;
		sb_addf(&unit, "%s-%s", m->crates[i].name, m->crates[i].metadata);
		if (strncmp(unit.buf, "c:", 2) != 0 && piece_of(*out, n, unit.buf) < 0)
			(*out)[n++].crate = sb_detach(&unit);
		sb_release(&unit);
	}
	if (c_code) {
		(*out)[n].c_code = true;
		(*out)[n++].crate = xstrdup(C_NAME);
	}
	(*out)[n++].crate = xstrdup(NONE_NAME);
	return n; /* xcalloc's zeroes are empty strbufs */
}

/*
 * The functions the C units' objects define (ELF names: a static's profile
 * name is "<file>;<name>"). One map of names; the owner is unused.
 */
static bool load_c_functions(const struct split_input *in, struct owner_map *out)
{
	for (size_t i = 0; i < in->m->ncrates; i++) {
		const struct manifest_crate *u = &in->m->crates[i];
		struct strvec names = STRVEC_INIT;
		if (strncmp(u->name, "c:", 2) == 0)
			ccode_unit_functions(in->slot_dir, u->name, u->metadata, &names);
		for (size_t j = 0; j < names.n; j++)
			if (names.v[j][0])
				map_claim(out, names.v[j], strlen(names.v[j]), 0);
		sv_release(&names);
	}
	return out->n > 0;
}

static bool is_c_function(const struct owner_map *c, const char *name, size_t len)
{
	const char *semi = memchr(name, ';', len);
	const char *base = semi ? semi + 1 : name;
	return c->n && map_get(c, base, len - (size_t)(base - name)) != -2;
}

static void fill_pieces(struct piece *p, size_t n, const char *text, size_t header, const struct record *r,
			size_t nr, struct split_stats *st)
{
	for (size_t i = 0; i < n; i++)
		sb_add(&p[i].text, text, header);
	for (size_t j = 0; j < nr; j++) {
		/* The C objects look up their own functions only: other records would rerun their build scripts. */
		for (size_t i = 0; r[j].c_code && i < n; i++)
			if (p[i].c_code)
				sb_add(&p[i].text, text + r[j].start, r[j].len);
		if (r[j].owner >= 0) {
			sb_add(&p[r[j].owner].text, text + r[j].start, r[j].len);
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

static int write_index(const char *dir, const char *key, const struct summary *sum, const struct piece *p,
		       size_t n, struct strbuf *err)
{
	struct strbuf index = STRBUF_INIT, path = STRBUF_INIT;
	struct atomic_opts opts = { .mode = 0600 };

	sb_addf(&index, INDEX_MAGIC "\t%s\t", key);
	for (size_t i = 0; i < sum->len; i++)
		sb_addf(&index, "%02x", sum->bytes[i]);
	sb_addch(&index, '\n');
	for (size_t i = 0; i < n; i++)
		sb_addf(&index, "%s\t%s\t%s\n", p[i].crate, p[i].text_hash, p[i].file_hash);
	path_join(&path, dir, "INDEX");
	int rc = write_file_atomic(path.buf, index.buf, index.len, &opts, err);
	sb_release(&index);
	sb_release(&path);
	return rc;
}

/* A typo would silently keep (or drop) the split: only 0 and 1 are values. */
static bool split_wanted(void)
{
	const char *v = env_get(ENV_SPLIT);
	if (v && strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
		die(PGOW_EXIT_CONFIG, "%s=%s is not 0 or 1; unset it (or 1) to give each unit its part of the "
		    "profile, 0 to give every unit the whole profile", ENV_SPLIT, v);
	return !v || strcmp(v, "1") == 0;
}

int split_profile(const struct split_input *in, struct split_stats *st, struct strbuf *why, struct strbuf *err)
{
	struct strbuf dir = STRBUF_INIT, text = STRBUF_INIT, old = STRBUF_INIT, ipath = STRBUF_INIT, tmp = STRBUF_INIT;
	struct owners owners;
	struct owner_map c_functions = { NULL, NULL, 0, 0 };
	struct summary sum, carried;
	struct piece *p = NULL;
	struct record *r = NULL;
	size_t n = 0, nr = 0, header;
	int rc = 1;

	memset(st, 0, sizeof(*st));
	memset(&owners, 0, sizeof(owners));
	memset(&sum, 0, sizeof(sum));
	memset(&carried, 0, sizeof(carried));
	path_join(&dir, in->slot_dir, "split");
	if (!split_wanted()) {
		sb_addf(why, "%s=0", ENV_SPLIT);
		goto out;
	}
	if (!summary_of_file(in->profdata, &sum)) {
		sb_adds(why, "its format is not one cargo-pgo-wrap can split (indexed v12 or v13)");
		goto out;
	}
	bool c_code = load_c_functions(in, &c_functions);
	n = make_pieces(in->m, c_code, &p);
	if (!load_owners(in, p, n, &owners)) {
		sb_adds(why, "no unit recorded which functions it compiled (profiles merged with --foreign)");
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
	rc = -1;
	parse_records(text.buf, text.len, &header, &r, &nr);
	for (size_t j = 0; j < nr; j++) {
		const char *name = text.buf + r[j].start;
		size_t len = strcspn(name, "\n");
		r[j].owner = owner_of(&owners, name, len);
		r[j].c_code = is_c_function(&c_functions, name, len);
	}
	fill_pieces(p, n, text.buf, header, r, nr, st);
	if (mkdir_private(dir.buf, 0700, err) != 0)
		goto out;
	path_join(&ipath, dir.buf, "INDEX");
	if (sb_read_file(&old, ipath.buf) != 0)
		sb_reset(&old); /* none yet: every file is written */
	bool same_summary = carried_summary(&old, &sum, &carried);
	size_t rebuild = 0;
	for (size_t i = 0; i < n; i++) {
		p[i].rebuild = !same_summary || !keeps_file(dir.buf, &p[i], &old, &carried);
		rebuild += p[i].rebuild;
	}
	/*
	 * A unit new to the profile may have been compiled with NONE_NAME's file,
	 * which its dep-info lists: a new mtime on that file makes cargo give it its own.
	 */
	p[n - 1].touch = gains_units(&old, p, n - 1);
	if (p[n - 1].touch && !p[n - 1].rebuild) {
		p[n - 1].rebuild = true;
		rebuild++;
	}
	sb_addf(&tmp, "%s/merge.XXXXXX", dir.buf); /* a name gc knows as a temp */
	if (rebuild && !mkdtemp(tmp.buf)) {
		sb_addf(err, "cannot create a temp dir in %s: %s", dir.buf, strerror(errno));
		goto out;
	}
	if (rebuild && run_jobs(in, tmp.buf, p, n, err) != 0)
		goto cleanup;
	for (size_t i = 0; i < n; i++)
		if (p[i].rebuild && install_piece(dir.buf, tmp.buf, i, &p[i], &carried, err) != 0)
			goto cleanup;
	if (write_index(dir.buf, in->key, &carried, p, n, err) != 0)
		goto cleanup;
	st->crates = (int)n;
	for (size_t i = 0; i < n; i++)
		st->rewritten += p[i].rebuild;
	rc = 0;
cleanup:
	if (rebuild) {
		struct strbuf e = STRBUF_INIT;
		if (safe_remove_tree(dir.buf, tmp.buf, &e) != 0)
			warn("%s", e.buf);
		sb_release(&e);
	}
out:
	for (size_t i = 0; i < n; i++) {
		free(p[i].crate);
		sb_release(&p[i].text);
	}
	free(p);
	free(r);
	free(sum.bytes);
	free(carried.bytes);
	map_release(&owners.names);
	map_release(&c_functions);
	map_release(&owners.modules);
	sb_release(&dir);
	sb_release(&text);
	sb_release(&old);
	sb_release(&ipath);
	sb_release(&tmp);
	return rc;
}

/*
 * The index, read once per change: verification looks up every unit of a
 * build, and a large workspace has a thousand.
 */
static const struct strbuf *read_index(const char *path)
{
	static struct strbuf cached = STRBUF_INIT, cached_path = STRBUF_INIT;
	static struct stat cached_st;
	struct stat st;

	if (stat(path, &st) != 0)
		return NULL;
	if (cached_path.len && strcmp(cached_path.buf, path) == 0 && st.st_ino == cached_st.st_ino &&
	    st.st_size == cached_st.st_size && st.st_mtim.tv_sec == cached_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == cached_st.st_mtim.tv_nsec)
		return &cached;
	sb_reset(&cached);
	sb_reset(&cached_path);
	if (sb_read_file(&cached, path) != 0)
		return NULL;
	sb_adds(&cached_path, path);
	cached_st = st;
	return &cached;
}

/* The slot's split index when it is the split of profile key, else NULL. */
static const struct strbuf *index_of(const char *slot_dir, const char *key)
{
	struct strbuf path = STRBUF_INIT, want = STRBUF_INIT;
	const struct strbuf *ix;

	path_join(&path, slot_dir, "split/INDEX");
	sb_addf(&want, INDEX_MAGIC "\t%s\t", key ? key : "");
	ix = read_index(path.buf);
	if (ix && strncmp(sb_str(ix), want.buf, want.len) != 0)
		ix = NULL;
	sb_release(&path);
	sb_release(&want);
	return ix;
}

/* The index of key's split, when units are given their parts (not CARGO_PGO_WRAP_SPLIT=0). */
static const struct strbuf *index_in_use(const char *slot_dir, const char *key)
{
	return split_wanted() ? index_of(slot_dir, key) : NULL;
}

int split_lookup(const char *slot_dir, const char *key, const char *crate, const char *metadata,
		 struct strbuf *dir, struct strbuf *file, struct strbuf *hash)
{
	struct strbuf unit = STRBUF_INIT;
	char text_hash[HASH_HEX_LEN + 1], file_hash[HASH_HEX_LEN + 1];
	const struct strbuf *ix = index_in_use(slot_dir, key);
	int found = 0;

	if (ix) {
		if (crate && metadata)
			sb_addf(&unit, "%s-%s", crate, metadata);
		bool own = unit.len && old_entry(ix, unit.buf, text_hash, file_hash);
		if (own || old_entry(ix, NONE_NAME, text_hash, file_hash)) {
			path_join(dir, slot_dir, "split");
			file_path(file, dir->buf, own ? unit.buf : NONE_NAME);
			sb_adds(hash, file_hash);
			found = 1;
		}
	}
	sb_release(&unit);
	return found;
}

void split_detail(struct strbuf *out, const char *file, const char *hash)
{
	sb_addf(out, "%s#%.16s", file, hash);
}

int split_count(const char *slot_dir, const char *key)
{
	const struct strbuf *ix = index_in_use(slot_dir, key);
	int n = -1; /* the first line is the index's own */

	for (const char *p = ix ? ix->buf : ""; *p; p++)
		n += *p == '\n';
	return ix ? n : -1;
}

void split_unlisted(const char *slot_dir, const char *key, struct strvec *out)
{
	struct strbuf dir = STRBUF_INIT;
	struct strvec files = STRVEC_INIT;
	/* The split of another profile than the current one serves nobody. */
	const struct strbuf *ix = index_of(slot_dir, key);
	char text_hash[HASH_HEX_LEN + 1], file_hash[HASH_HEX_LEN + 1];

	path_join(&dir, slot_dir, "split");
	list_dir(dir.buf, ".profdata", &files);
	for (size_t i = 0; i < files.n; i++) {
		const char *base = path_basename(files.v[i]);
		struct strbuf unit = STRBUF_INIT;
		sb_add(&unit, base, strlen(base) - strlen(".profdata"));
		if (!ix || !old_entry(ix, unit.buf, text_hash, file_hash))
			sv_push(out, files.v[i]);
		sb_release(&unit);
	}
	sv_release(&files);
	sb_release(&dir);
}

int split_c_file(const char *slot_dir, const char *key, struct strbuf *file, struct strbuf *hash)
{
	struct strbuf dir = STRBUF_INIT;
	char text_hash[HASH_HEX_LEN + 1], file_hash[HASH_HEX_LEN + 1];
	const struct strbuf *ix = index_in_use(slot_dir, key);
	int found = ix && old_entry(ix, C_NAME, text_hash, file_hash);

	if (found) {
		path_join(&dir, slot_dir, "split");
		file_path(file, dir.buf, C_NAME);
		sb_adds(hash, file_hash);
	}
	sb_release(&dir);
	return found;
}

int split_damaged(const char *slot_dir, const char *key, struct strbuf *first)
{
	struct strbuf dir = STRBUF_INIT;
	struct strvec lines = STRVEC_INIT;
	const struct strbuf *ix = index_in_use(slot_dir, key);
	int damaged = 0;

	path_join(&dir, slot_dir, "split");
	if (ix)
		sv_split(&lines, ix->buf, '\n');
	for (size_t i = 1; i < lines.n; i++) {
		struct strvec f = STRVEC_INIT;
		struct strbuf file = STRBUF_INIT;
		sv_split(&f, lines.v[i], '\t');
		if (f.n == 3) {
			file_path(&file, dir.buf, f.v[0]);
			if (!split_file_intact(file.buf, f.v[2]) && !damaged++)
				sb_adds(first, file.buf);
		}
		sv_release(&f);
		sb_release(&file);
	}
	sv_release(&lines);
	sb_release(&dir);
	return damaged;
}

int split_file_intact(const char *file, const char *hash)
{
	char hex[HASH_HEX_LEN + 1];
	return hash_file_hex(file, hex) == 0 && strcmp(hex, hash) == 0;
}
