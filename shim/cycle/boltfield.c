/*
 * boltfield.c - BOLT from the field (see include/cycle/boltfield.h): the
 * records of what ships, the copies perf2bolt needs, the conversion of an
 * upload's samples, and the field profiles the next BOLT stage reads.
 */
#include "cycle/boltfield.h"
#include "base/atomic.h"
#include "base/dirlist.h"
#include "base/fdio.h"
#include "base/hash.h"
#include "base/message.h"
#include "base/path.h"
#include "base/safefs.h"
#include "base/spawn.h"
#include "base/tempfile.h"
#include "base/xalloc.h"
#include "formats/buildid.h"
#include "formats/elfsyms.h"
#include "formats/perfdata.h"
#include "store/report.h"
#include "store/toolchain.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECORD_MAGIC "bolted-v1"
/* Where BOLT keeps its address translation in the programs it writes (BOLT 19 and later). */
#define BAT_SECTION ".note.bolt_bat"

void bolt_cache_file(struct strbuf *out, const char *slot_dir, const char *id, const char *what)
{
	sb_addf(out, "%s/bolt/%s.%s", slot_dir, id, what);
}

/* <slot>/bolt/field[/<from_id>[/<name>]] */
static void field_path(struct strbuf *out, const char *slot_dir, const char *from_id, const char *name)
{
	sb_addf(out, "%s/bolt/field", slot_dir);
	if (from_id)
		sb_addf(out, "/%s", from_id);
	if (name)
		sb_addf(out, "/%s", name);
}

int bolt_perf_tools(struct strbuf *perf, struct strbuf *perf2bolt, struct strbuf *err)
{
	int major = rustc_llvm_major();
	char *found = find_in_path("perf");

	if (found)
		sb_adds(perf, found);
	free(found);
	if (perf->len && major > 0 && llvm_tool_path("perf2bolt", major, perf2bolt))
		return 0;
	sb_reset(err);
	if (major <= 0)
		sb_adds(err, "perf samples for BOLT need the perf2bolt of rustc's LLVM, and which LLVM rustc has cannot "
			"be told (`rustc -vV` fails: is a toolchain installed?)");
	else
		sb_addf(err, "perf samples for BOLT need perf and perf2bolt-%d (rustc's LLVM); apt-get install "
			"linux-perf bolt-%d", major, major);
	return -1;
}

const char *perf2bolt_no_lbr_flag(void)
{
	/* BOLT 22 renamed -nl (kept as a deprecated alias) to --ba; earlier ones know -nl only. */
	return rustc_llvm_major() >= 22 ? "--ba" : "-nl";
}

bool fdata_text_has_samples(const char *text)
{
	if (strncmp(text, "no_lbr", 6) == 0)
		text += strcspn(text, "\n");
	return strchr(text, ' ') != NULL;
}

bool fdata_is_sampled(const char *path)
{
	struct strbuf text = STRBUF_INIT;
	bool sampled = sb_read_file(&text, path) == 0 && strncmp(sb_str(&text), "no_lbr", 6) == 0;
	sb_release(&text);
	return sampled;
}

/* A build-id as hex: 2 to 128 digits (GNU's are 40, LLVM's MD5 32, a BOLT re-stamp 40). */
static bool hex_id_ok(const char *s, size_t n)
{
	return n >= 2 && n <= 128 && mem_is_hex(s, n);
}

/* A program name from elsewhere may become part of a message or a file: a plain file name only. */
static bool program_name_ok(const char *s, size_t n)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";
	return n >= 1 && n <= 255 && strspn(s, ok) >= n && s[0] != '.';
}

int bolted_record_parse(const char *text, struct bolted_record *r)
{
	struct strvec f = STRVEC_INIT;
	int found = 0;

	memset(r, 0, sizeof(*r));
	char *line = xstrndup(text, strcspn(text, "\n"));
	sv_split(&f, line, '\t');
	if (f.n == 5 && strcmp(f.v[0], RECORD_MAGIC) == 0 && hex_id_ok(f.v[1], strlen(f.v[1])) &&
	    program_name_ok(f.v[2], strlen(f.v[2])) && hex_id_ok(f.v[3], strlen(f.v[3])) &&
	    strncmp(f.v[4], "bolt-", 5) == 0 && atoi(f.v[4] + 5) > 0) {
		r->slot_key = xstrdup(f.v[1]);
		r->program = xstrdup(f.v[2]);
		r->from_id = xstrdup(f.v[3]);
		r->bolt_major = atoi(f.v[4] + 5);
		found = 1;
	}
	sv_release(&f);
	free(line);
	return found;
}

void bolted_record_release(struct bolted_record *r)
{
	free(r->slot_key);
	free(r->program);
	free(r->from_id);
	memset(r, 0, sizeof(*r));
}

/* The program's name: the second line of its verdict (<from>.verdict). 0, or -1 (err). */
static int program_name(const char *slot_dir, const char *from_id, struct strbuf *name, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, verdict = STRBUF_INIT;
	const char *nl = NULL;
	int rc = -1;

	bolt_cache_file(&path, slot_dir, from_id, "verdict");
	if (sb_read_file(&verdict, path.buf) != 0 || !(nl = strchr(verdict.buf, '\n')))
		sb_addf(err, "the program with build-id %s has no verdict in this cache (gc removed it)", from_id);
	else if (!program_name_ok(nl + 1, strcspn(nl + 1, "\n")))
		sb_addf(err, "%s does not name a program", path.buf);
	else
		rc = 0;
	if (rc == 0)
		sb_add(name, nl + 1, strcspn(nl + 1, "\n"));
	sb_release(&path);
	sb_release(&verdict);
	return rc;
}

/*
 * What the cache knows of a shipped program: the build-id BOLT was given
 * (from; its own when it shipped as PGO built it), the file perf2bolt reads
 * (<id>.bat or <id>.shipped, with that build-id), its name. 0, or -1 (err).
 */
static int shipped_program(const char *slot_dir, const char *id, struct strbuf *from, struct strbuf *bin,
			   struct strbuf *name, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, got = STRBUF_INIT;
	int rc = -1;

	bolt_cache_file(&path, slot_dir, id, "output");
	if (sb_read_file(from, path.buf) == 0 && hex_id_ok(from->buf, from->len)) {
		bolt_cache_file(bin, slot_dir, id, "bat");
	} else {
		sb_reset(from);
		sb_adds(from, id);
		bolt_cache_file(bin, slot_dir, id, "shipped");
	}
	if (!file_exists(bin->buf)) {
		sb_addf(err, "this cache does not have the program with build-id %s (perf2bolt needs it as it "
			"shipped): merge on the host whose build shipped it", id);
		goto out;
	}
	if (program_name(slot_dir, from->buf, name, err) != 0)
		goto out;
	if (buildid_of_elf(bin->buf, &got, err) == 1 && strcmp(got.buf, id) == 0)
		rc = 0;
	else if (!err->len)
		sb_addf(err, "%s does not have build-id %s", bin->buf, id);
out:
	sb_release(&path);
	sb_release(&got);
	return rc;
}

/*
 * A copy of src as <slot>/bolt/<id>.<what>. A hard link may stand in for a
 * file of the cache (the .bin is only ever replaced, never rewritten in
 * place), never for one of the target dir, which a linker may rewrite.
 */
static void keep_copy(const char *slot_dir, const char *src, const char *id, const char *what, bool may_link)
{
	struct strbuf dst = STRBUF_INIT, err = STRBUF_INIT;

	path_join(&dst, slot_dir, "bolt");
	if (mkdir_private(dst.buf, 0700, &err) == 0) {
		sb_reset(&dst);
		bolt_cache_file(&dst, slot_dir, id, what);
		if (!file_exists(dst.buf) && (!may_link || link(src, dst.buf) != 0))
			(void)copy_file_atomic(src, dst.buf, 0700, &err);
	}
	if (err.len)
		warn("cannot keep a copy of %s for its perf samples (%s); `merge --remote` cannot convert them", src,
		     err.buf);
	sb_release(&dst);
	sb_release(&err);
}

void boltfield_keep_bolted(const char *slot_dir, const char *bin, const char *bolted_id)
{
	keep_copy(slot_dir, bin, bolted_id, "bat", true);
}

void boltfield_keep_shipped(const char *slot_dir, const char *exe, const char *id)
{
	keep_copy(slot_dir, exe, id, "shipped", false);
}

/* A record for each <id>.<suffix> the slot keeps; a BOLTed one must carry BAT. */
static void records_of(const char *slot_dir, const char *slot_key, const char *suffix, struct strvec *ids,
		       struct strvec *texts)
{
	struct strbuf dir = STRBUF_INIT;
	struct strvec files = STRVEC_INIT;
	int major = rustc_llvm_major();

	path_join(&dir, slot_dir, "bolt");
	list_dir(dir.buf, suffix, &files);
	for (size_t i = 0; i < files.n; i++) {
		const char *base = path_basename(files.v[i]);
		size_t n = strlen(base) - strlen(suffix);
		struct strbuf from = STRBUF_INIT, bin = STRBUF_INIT, name = STRBUF_INIT, err = STRBUF_INIT;
		char *id = xstrndup(base, n);
		if (hex_id_ok(id, n) && shipped_program(slot_dir, id, &from, &bin, &name, &err) == 0 &&
		    (strcmp(from.buf, id) == 0 || elf_has_section_of(bin.buf, BAT_SECTION, &err) == 1)) {
			struct strbuf text = STRBUF_INIT;
			sb_addf(&text, RECORD_MAGIC "\t%s\t%s\t%s\tbolt-%d\n", slot_key, name.buf, from.buf, major);
			sv_push(ids, id);
			sv_push(texts, text.buf);
			sb_release(&text);
		}
		free(id);
		sb_release(&from);
		sb_release(&bin);
		sb_release(&name);
		sb_release(&err);
	}
	sv_release(&files);
	sb_release(&dir);
}

void boltfield_records(const char *slot_dir, const char *slot_key, struct strvec *ids, struct strvec *texts)
{
	records_of(slot_dir, slot_key, ".bat", ids, texts);
	records_of(slot_dir, slot_key, ".shipped", ids, texts);
}

int boltfield_convertible(const char *slot_dir, const char *id, struct strbuf *err)
{
	struct strbuf from = STRBUF_INIT, bin = STRBUF_INIT, name = STRBUF_INIT;
	int rc = shipped_program(slot_dir, id, &from, &bin, &name, err);
	sb_release(&from);
	sb_release(&bin);
	sb_release(&name);
	return rc;
}

/*
 * perf2bolt writes "boltedcollection" before "no_lbr", and BOLT 22 reads
 * "no_lbr" first only (llvm-project PR 86501, open): such a profile reads
 * as empty. The line only says where the samples were taken; BAT mapped
 * them to the pre-BOLT program already, and merge-fdata refuses to merge
 * it with a training's profile, so it is dropped. True when samples remain.
 */
static bool field_profile_text(struct strbuf *text)
{
	static const char bolted[] = "boltedcollection\n";
	size_t skip = sizeof(bolted) - 1;
	if (strncmp(sb_str(text), bolted, skip) == 0) {
		memmove(text->buf, text->buf + skip, text->len - skip + 1);
		text->len -= skip;
	}
	return fdata_text_has_samples(sb_str(text));
}

/* Whether the samples carry branch stacks: perf2bolt is told --ba (-nl) when not. -1 (err) when unreadable. */
static int perf_branch_stacks(const char *perf_path, struct strbuf *err)
{
	struct perf_data_info info;
	int fd = open(perf_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	memset(&info, 0, sizeof(info));
	if (fd < 0) {
		sb_addf(err, "cannot open %s: %s", perf_path, strerror(errno));
		return -1;
	}
	int rc = perf_data_read(fd, perf_path, &info, err) == 0 ? info.branch_stacks : -1;
	close(fd);
	perf_data_release(&info);
	return rc;
}

/* Appends a run's log to the slot's perf2bolt.log, through no link. */
static void keep_log(const char *slot_dir, const struct strbuf *said)
{
	struct strbuf path = STRBUF_INIT;

	field_path(&path, slot_dir, NULL, "perf2bolt.log");
	int fd = open(path.buf, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, sb_str(said), said->len) != 0)
		warn("cannot keep perf2bolt's log in %s: %s", path.buf, strerror(errno));
	if (fd >= 0)
		close(fd);
	sb_release(&path);
}

/*
 * How much the samples say, from perf2bolt's log: "448 samples", and its
 * own warning when BOLT would do better with more ("77.1x more").
 */
static void sample_note(const struct strbuf *said, struct strbuf *note)
{
	const char *at = strstr(sb_str(said), "PERF2BOLT: read ");
	unsigned long long n;
	char more[32];

	if (at && sscanf(at, "PERF2BOLT: read %llu", &n) == 1)
		sb_addf(note, "%llu samples", n);
	at = strstr(sb_str(said), "optimize better with ");
	if (at && sscanf(at, "optimize better with %31[0-9.]x more samples", more) == 1)
		sb_addf(note, "%sperf2bolt: BOLT would do better with %sx more (a longer run, or a higher -F)",
			note->len ? "; " : "", more);
}

/*
 * perf2bolt [--ba] -p perf_path -o out bin: the profile's text, and what
 * the samples amount to in note; -1 (err).
 */
static int run_perf2bolt(const char *slot_dir, const char *tool, const char *bin, const char *perf_path, bool lbr,
			 struct strbuf *text, struct strbuf *note, struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT, out = STRBUF_INIT;
	struct strbuf log = STRBUF_INIT, said = STRBUF_INIT;
	struct strvec argv = STRVEC_INIT;
	int rc = -1;

	if (tempdir_create(slot_dir, "perf2bolt.", &tmp, err) != 0)
		goto out;
	sb_addf(&out, "%s/out.fdata", tmp.buf);
	sb_addf(&log, "%s/perf2bolt.log", tmp.buf);
	field_path(&said, slot_dir, NULL, NULL);
	if (mkdir_private(said.buf, 0700, err) != 0)
		goto out;
	sb_reset(&said);
	sv_push(&argv, tool);
	if (!lbr)
		sv_push(&argv, perf2bolt_no_lbr_flag());
	sv_pushf(&argv, "-p=%s", perf_path);
	sv_pushf(&argv, "-o=%s", out.buf);
	sv_push(&argv, bin);
	int ran = run_to_log(argv.v, log.buf);
	(void)sb_read_file(&said, log.buf);
	keep_log(slot_dir, &said);
	if (ran == 0 && sb_read_file(text, out.buf) == 0) {
		sample_note(&said, note);
		rc = 0;
	} else {
		sb_addf(err, "perf2bolt could not read the samples; see %s/bolt/field/perf2bolt.log", slot_dir);
	}
out:
	if (tmp.len)
		tempdir_remove(tmp.buf);
	sv_release(&argv);
	sb_release(&tmp);
	sb_release(&out);
	sb_release(&log);
	sb_release(&said);
	return rc;
}

/* field/<from>/<hash>.fdata, with field/<from>/program naming it. */
static int store_field_profile(const char *slot_dir, const char *from_id, const char *name, const char *hash,
			       const struct strbuf *text, struct strbuf *err)
{
	struct strbuf dir = STRBUF_INIT, path = STRBUF_INIT, line = STRBUF_INIT;
	struct atomic_opts opts = { .mode = 0600 };
	int rc = -1;

	field_path(&dir, slot_dir, NULL, NULL);
	if (mkdir_private(dir.buf, 0700, err) != 0)
		goto out;
	sb_reset(&dir);
	field_path(&dir, slot_dir, from_id, NULL);
	if (mkdir_private(dir.buf, 0700, err) != 0)
		goto out;
	sb_addf(&line, "%s\n", name);
	path_join(&path, dir.buf, "program");
	if (write_file_atomic(path.buf, line.buf, line.len, &opts, err) != 0)
		goto out;
	sb_reset(&path);
	sb_addf(&path, "%s/%s.fdata", dir.buf, hash);
	rc = write_file_atomic(path.buf, text->buf, text->len, &opts, err);
out:
	sb_release(&dir);
	sb_release(&path);
	sb_release(&line);
	return rc;
}

int boltfield_convert(const char *slot_dir, const char *perf2bolt, const char *id, const char *perf_path,
		      const char *hash, struct strbuf *err)
{
	struct strbuf from = STRBUF_INIT, bin = STRBUF_INIT, name = STRBUF_INIT, text = STRBUF_INIT, note = STRBUF_INIT;
	int rc = -1, lbr;

	if (shipped_program(slot_dir, id, &from, &bin, &name, err) != 0 ||
	    (lbr = perf_branch_stacks(perf_path, err)) < 0)
		goto out;
	bool bolted = strcmp(from.buf, id) != 0;
	if (bolted && elf_has_section_of(bin.buf, BAT_SECTION, err) != 1) {
		if (!err->len)
			sb_addf(err, "%s was BOLTed without BAT (bolt-bat: off), so its samples cannot be mapped back",
				name.buf);
		goto out;
	}
	if (run_perf2bolt(slot_dir, perf2bolt, bin.buf, perf_path, lbr, &text, &note, err) != 0)
		goto out;
	if (!field_profile_text(&text)) {
		sb_addf(err, "the samples hold none of %s (build-id %s): perf recorded something else", name.buf, id);
		goto out;
	}
	if (store_field_profile(slot_dir, from.buf, name.buf, hash, &text, err) != 0)
		goto out;
	progress("Converted", "perf samples of %s (%s, build-id %s) into BOLT's profile of %s%s%s%s%s\n", name.buf,
		 bolted ? "BOLTed" : "as PGO built it", id, bolted ? "the program it was BOLTed from" : "it",
		 lbr ? "" : "; no branch stacks in them (no LBR where they were taken): sampled addresses only",
		 note.len ? " (" : "", sb_str(&note), note.len ? ")" : "");
	rc = 0;
out:
	sb_release(&from);
	sb_release(&bin);
	sb_release(&name);
	sb_release(&text);
	sb_release(&note);
	return rc;
}

static bool has_string(const struct strvec *v, const char *s, size_t n)
{
	for (size_t i = 0; i < v->n; i++)
		if (strlen(v->v[i]) == n && strncmp(v->v[i], s, n) == 0)
			return true;
	return false;
}

void boltfield_keep_only(const char *slot_dir, const struct strvec *hashes)
{
	struct strbuf dir = STRBUF_INIT, err = STRBUF_INIT;
	struct strvec builds = STRVEC_INIT;

	field_path(&dir, slot_dir, NULL, NULL);
	list_dir(dir.buf, "", &builds);
	for (size_t i = 0; i < builds.n; i++) {
		struct strvec files = STRVEC_INIT;
		list_dir(builds.v[i], ".fdata", &files);
		for (size_t f = 0; f < files.n; f++) {
			const char *base = path_basename(files.v[f]);
			if (!has_string(hashes, base, strlen(base) - strlen(".fdata")) &&
			    safe_unlink(slot_dir, files.v[f], &err) != 0)
				warn("%s", err.buf);
			sb_reset(&err);
		}
		sv_release(&files);
	}
	sv_release(&builds);
	sb_release(&dir);
	sb_release(&err);
}

void boltfield_files(const char *slot_dir, const char *from_id, struct strvec *out)
{
	struct strbuf dir = STRBUF_INIT;

	field_path(&dir, slot_dir, from_id, NULL);
	list_dir(dir.buf, ".fdata", out);
	sb_release(&dir);
}

void boltfield_state(const char *slot_dir, const char *from_id, struct strbuf *out)
{
	struct strvec files = STRVEC_INIT;
	struct hasher *h = hasher_new();
	char hex[HASH_HEX_LEN + 1];

	boltfield_files(slot_dir, from_id, &files);
	for (size_t f = 0; f < files.n; f++)
		hasher_add_str(h, path_basename(files.v[f]));
	hasher_hex(h, hex);
	hasher_free(h);
	if (files.n)
		sb_addf(out, "%.16s", hex);
	else
		sb_addch(out, '-');
	sv_release(&files);
}

/* Each build with field profiles: its dir, the program's name, how many uploads; for fn. */
static void each_field_build(const char *slot_dir,
			     void (*fn)(const char *build_dir, const char *name, size_t uploads, void *ctx), void *ctx)
{
	struct strbuf dir = STRBUF_INIT;
	struct strvec builds = STRVEC_INIT;

	field_path(&dir, slot_dir, NULL, NULL);
	list_dir(dir.buf, "", &builds);
	for (size_t i = 0; i < builds.n; i++) {
		struct strbuf path = STRBUF_INIT, name = STRBUF_INIT;
		size_t n = count_files(builds.v[i], ".fdata");
		path_join(&path, builds.v[i], "program");
		if (n && sb_read_file(&name, path.buf) == 0) {
			sb_setlen(&name, strcspn(name.buf, "\n"));
			fn(builds.v[i], name.buf, n, ctx);
		}
		sb_release(&path);
		sb_release(&name);
	}
	sv_release(&builds);
	sb_release(&dir);
}

struct elsewhere {
	const char *name, *from_id;
	size_t n;
};

static void count_elsewhere(const char *build_dir, const char *name, size_t uploads, void *ctx)
{
	struct elsewhere *e = ctx;
	if (strcmp(name, e->name) == 0 && strcmp(path_basename(build_dir), e->from_id) != 0)
		e->n += uploads;
}

size_t boltfield_elsewhere(const char *slot_dir, const char *name, const char *from_id)
{
	struct elsewhere e = { name, from_id, 0 };
	each_field_build(slot_dir, count_elsewhere, &e);
	return e.n;
}

static void describe_build(const char *build_dir, const char *name, size_t uploads, void *ctx)
{
	sv_pushf(ctx, "%s: %zu upload(s) of perf samples, for build %.12s", name, uploads, path_basename(build_dir));
}

void boltfield_describe(const char *slot_dir, struct strvec *out)
{
	each_field_build(slot_dir, describe_build, out);
}
