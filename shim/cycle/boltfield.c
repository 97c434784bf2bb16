/*
 * boltfield.c - BOLT from the field (see include/cycle/boltfield.h): the
 * remote records of BOLTed programs with BAT, perf2bolt of the samples a
 * deployed one sent, and the field profiles the next BOLT stage reads.
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

static bool is_hex_id(const char *s, size_t n)
{
	return n >= 2 && n <= 128 && strspn(s, "0123456789abcdef") >= n;
}

/* A program name from elsewhere becomes a directory name here: a plain file name only. */
static bool program_name_ok(const char *s, size_t n)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";
	return n >= 1 && n <= 255 && strspn(s, ok) >= n && !(s[0] == '.');
}

int bolted_record_parse(const char *text, struct bolted_record *r)
{
	struct strvec f = STRVEC_INIT;
	int found = 0;

	memset(r, 0, sizeof(*r));
	size_t len = strcspn(text, "\n");
	char *line = xstrndup(text, len);
	sv_split(&f, line, '\t');
	if (f.n == 5 && strcmp(f.v[0], RECORD_MAGIC) == 0 && is_hex_id(f.v[1], strlen(f.v[1])) &&
	    program_name_ok(f.v[2], strlen(f.v[2])) && is_hex_id(f.v[3], strlen(f.v[3])) &&
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

/* <slot>/bolt/<id>.<what> */
static void bolt_file(struct strbuf *out, const char *slot_dir, const char *id, const char *what)
{
	sb_addf(out, "%s/bolt/%s.%s", slot_dir, id, what);
}

/*
 * What the cache knows of a shipped program: the build-id BOLT was given
 * (from; its own when it ships as PGO built it), the file perf2bolt reads
 * (<from>.bin, BOLT's output kept; or <id>.shipped), its name (the
 * verdict's second line). 0, or -1 with what is missing in err.
 */
static int bolted_program(const char *slot_dir, const char *bolted_id, struct strbuf *from, struct strbuf *bin,
			  struct strbuf *name, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, verdict = STRBUF_INIT;
	int rc = -1;

	bolt_file(&path, slot_dir, bolted_id, "output");
	if (sb_read_file(from, path.buf) == 0 && is_hex_id(from->buf, from->len)) {
		bolt_file(bin, slot_dir, from->buf, "bin");
	} else {
		sb_reset(from);
		sb_adds(from, bolted_id);
		bolt_file(bin, slot_dir, bolted_id, "shipped");
		if (!file_exists(bin->buf)) {
			sb_addf(err, "this cache did not ship the program with build-id %s (perf2bolt needs that program: "
				"merge on the host whose build shipped it)", bolted_id);
			goto out;
		}
	}
	sb_reset(&path);
	bolt_file(&path, slot_dir, from->buf, "verdict");
	const char *nl;
	if (!file_exists(bin->buf) || sb_read_file(&verdict, path.buf) != 0 || !(nl = strchr(verdict.buf, '\n'))) {
		sb_addf(err, "the program with build-id %s is no longer in this cache (gc removed it); rebuild it, or "
			"merge on the host that has it", bolted_id);
		goto out;
	}
	size_t n = strcspn(nl + 1, "\n");
	if (!program_name_ok(nl + 1, n)) {
		sb_addf(err, "%s does not name a program", path.buf);
		goto out;
	}
	sb_add(name, nl + 1, n);
	/* A later BOLT of the same program replaced it: its BAT is not the one the samples need. */
	struct strbuf id = STRBUF_INIT;
	if (buildid_of_elf(bin->buf, &id, err) == 1 && strcmp(id.buf, bolted_id) == 0)
		rc = 0;
	else if (!err->len)
		sb_addf(err, "%s with build-id %s was BOLTed again since (now %s): the samples of the one deployed "
			"cannot be mapped back; deploy the current one and sample it", name->buf, bolted_id,
			id.len ? id.buf : "none");
	sb_release(&id);
out:
	sb_release(&path);
	sb_release(&verdict);
	return rc;
}

void boltfield_keep_shipped(const char *slot_dir, const char *exe, const char *id)
{
	struct strbuf dst = STRBUF_INIT, err = STRBUF_INIT;

	path_join(&dst, slot_dir, "bolt");
	if (mkdir_private(dst.buf, 0700, &err) == 0) {
		sb_reset(&dst);
		bolt_file(&dst, slot_dir, id, "shipped");
		if (!file_exists(dst.buf))
			(void)copy_file_atomic(exe, dst.buf, 0700, &err);
	}
	if (err.len)
		warn("cannot keep a copy of %s for its perf samples (%s); `merge --remote` cannot convert them", exe,
		     err.buf);
	sb_release(&dst);
	sb_release(&err);
}

/* A record for each file of the slot that ships: <id>.<suffix>, BOLT's with BAT or as PGO built it. */
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
		/* A BOLTed program must carry BAT for its samples to be mapped back. */
		if (is_hex_id(id, n) && bolted_program(slot_dir, id, &from, &bin, &name, &err) == 0 &&
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
	records_of(slot_dir, slot_key, ".output", ids, texts);
	records_of(slot_dir, slot_key, ".shipped", ids, texts);
}

bool fdata_is_sampled(const char *path)
{
	struct strbuf text = STRBUF_INIT;
	bool sampled = sb_read_file(&text, path) == 0 && strncmp(sb_str(&text), "no_lbr", 6) == 0;
	sb_release(&text);
	return sampled;
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
	const char *rest = sb_str(text);
	if (strncmp(rest, "no_lbr", 6) == 0)
		rest += strcspn(rest, "\n") + (rest[strcspn(rest, "\n")] == '\n');
	return *rest != '\0';
}

static int find_tools(struct strbuf *perf2bolt, struct strbuf *err)
{
	int major = rustc_llvm_major();
	char *perf = find_in_path("perf");
	bool ok = perf && major > 0 && llvm_tool_path("perf2bolt", major, perf2bolt);

	free(perf);
	if (!ok)
		sb_addf(err, "converting perf samples needs perf and perf2bolt-%d (rustc's LLVM); apt-get install "
			"linux-perf bolt-%d", major, major);
	return ok ? 0 : -1;
}

int boltfield_convert(const char *slot_dir, const char *bolted_id, const char *perf_path, const char *hash,
		      struct strbuf *err)
{
	struct strbuf from = STRBUF_INIT, bin = STRBUF_INIT, name = STRBUF_INIT, tool = STRBUF_INIT;
	struct strbuf tmp = STRBUF_INIT, out = STRBUF_INIT, log = STRBUF_INIT, text = STRBUF_INIT, dst = STRBUF_INIT;
	struct strvec argv = STRVEC_INIT;
	struct perf_data_info info;
	int rc = -1;

	memset(&info, 0, sizeof(info));
	if (bolted_program(slot_dir, bolted_id, &from, &bin, &name, err) != 0 || find_tools(&tool, err) != 0)
		goto out;
	bool bolted = strcmp(from.buf, bolted_id) != 0;
	if (bolted && elf_has_section_of(bin.buf, BAT_SECTION, err) != 1) {
		if (!err->len)
			sb_addf(err, "%s was BOLTed without BAT (bolt-bat: off), so its samples cannot be mapped back",
				name.buf);
		goto out;
	}
	int fd = open(perf_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || perf_data_read(fd, perf_path, &info, err) != 0) {
		if (fd < 0)
			sb_addf(err, "cannot open %s: %s", perf_path, strerror(errno));
		else
			close(fd);
		goto out;
	}
	close(fd);
	path_join(&dst, slot_dir, "bolt/field");
	if (mkdir_private(dst.buf, 0700, err) != 0)
		goto out;
	sb_addf(&dst, "/%s", name.buf);
	if (mkdir_private(dst.buf, 0700, err) != 0 || tempdir_create(slot_dir, "perf2bolt.", &tmp, err) != 0)
		goto out;
	sb_addf(&dst, "/%s.fdata", hash);
	sb_addf(&out, "%s/out.fdata", tmp.buf);
	path_join(&log, slot_dir, "bolt/field/perf2bolt.log");
	sv_push(&argv, tool.buf);
	/* Without branch stacks (no LBR where it ran), BOLT learns from the sampled addresses only. */
	if (!info.branch_stacks)
		sv_push(&argv, "--ba");
	sv_pushf(&argv, "-p=%s", perf_path);
	sv_pushf(&argv, "-o=%s", out.buf);
	sv_push(&argv, bin.buf);
	if (run_to_log(argv.v, log.buf) != 0 || sb_read_file(&text, out.buf) != 0) {
		sb_addf(err, "perf2bolt could not read the samples of %s; see %s", name.buf, log.buf);
		goto out;
	}
	if (!field_profile_text(&text)) {
		sb_addf(err, "the samples hold none of %s (build-id %s): perf recorded something else", name.buf,
			bolted_id);
		goto out;
	}
	struct atomic_opts opts = { .mode = 0600 };
	if (write_file_atomic(dst.buf, text.buf, text.len, &opts, err) != 0)
		goto out;
	progress("Converted", "perf samples of %s (%s, build-id %s) into BOLT's profile of %s%s\n", name.buf,
		 bolted ? "BOLTed" : "as PGO built it", bolted_id,
		 bolted ? "the program it was BOLTed from" : "it",
		 info.branch_stacks ? "" : "; no branch stacks in them (no LBR where they were taken): "
		 "sampled addresses only (perf2bolt --ba)");
	rc = 0;
out:
	if (tmp.len)
		tempdir_remove(tmp.buf);
	perf_data_release(&info);
	sv_release(&argv);
	sb_release(&from);
	sb_release(&bin);
	sb_release(&name);
	sb_release(&tool);
	sb_release(&tmp);
	sb_release(&out);
	sb_release(&log);
	sb_release(&text);
	sb_release(&dst);
	return rc;
}

int boltfield_convertible(const char *slot_dir, const char *bolted_id, struct strbuf *err)
{
	struct strbuf from = STRBUF_INIT, bin = STRBUF_INIT, name = STRBUF_INIT;
	int rc = bolted_program(slot_dir, bolted_id, &from, &bin, &name, err);
	sb_release(&from);
	sb_release(&bin);
	sb_release(&name);
	return rc;
}

void boltfield_clear(const char *slot_dir)
{
	struct strbuf dir = STRBUF_INIT, err = STRBUF_INIT;

	path_join(&dir, slot_dir, "bolt/field");
	if (safe_remove_tree(slot_dir, dir.buf, &err) != 0)
		warn("cannot remove the field's BOLT profiles: %s", err.buf);
	sb_release(&dir);
	sb_release(&err);
}

void boltfield_files(const char *slot_dir, const char *program, struct strvec *out)
{
	struct strbuf dir = STRBUF_INIT;

	sb_addf(&dir, "%s/bolt/field/%s", slot_dir, program);
	list_dir(dir.buf, ".fdata", out);
	sb_release(&dir);
}

void boltfield_state(const char *slot_dir, struct strbuf *out)
{
	struct strbuf dir = STRBUF_INIT;
	struct strvec programs = STRVEC_INIT;
	struct hasher *h = hasher_new();
	size_t n = 0;
	char hex[HASH_HEX_LEN + 1];

	path_join(&dir, slot_dir, "bolt/field");
	list_dir(dir.buf, "", &programs);
	for (size_t i = 0; i < programs.n; i++) {
		struct strvec files = STRVEC_INIT;
		list_dir(programs.v[i], ".fdata", &files);
		for (size_t f = 0; f < files.n; f++, n++) {
			hasher_add_str(h, path_basename(programs.v[i]));
			hasher_add_str(h, path_basename(files.v[f]));
		}
		sv_release(&files);
	}
	hasher_hex(h, hex);
	hasher_free(h);
	if (n)
		sb_addf(out, "%.16s", hex);
	else
		sb_addch(out, '-');
	sv_release(&programs);
	sb_release(&dir);
}
