/*
 * unitnames.c - which functions each instrumented unit compiled, by the
 * names its profile records carry: recorded by the wrapper after the compile,
 * beside the unit's record, and read by the splitter.
 */
#include "store/unitnames.h"
#include "base/atomic.h"
#include "base/path.h"
#include "base/safefs.h"
#include "base/spawn.h"
#include "formats/prfnames.h"
#include "store/manifest.h"
#include "store/toolchain.h"
#include "store/unitkey.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

void unitnames_path(struct strbuf *out, const char *slot_dir, const char *crate, const char *metadata)
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
		struct child c = CHILD_INIT(argv);
		c.in = CHILD_NULL;
		c.out = CHILD_CAPTURE;
		c.capture = &out;
		/* "lib.rmeta: no symbols" for every rlib's metadata member: its exit status says enough. */
		c.err = CHILD_NULL;
		struct strbuf why = STRBUF_INIT;
		ok = child_run(&c, &why) == 0 && child_succeeded(&c);
		sb_release(&why);
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
int unitnames_record(const char *slot_dir, const char *crate, const char *metadata, bool program,
		     const char *output, int llvm_major, struct strbuf *err)
{
	struct strvec names = STRVEC_INIT, modules = STRVEC_INIT;
	struct strbuf text = STRBUF_INIT, path = STRBUF_INIT, dir = STRBUF_INIT, e = STRBUF_INIT;
	struct atomic_opts opts = { .mode = 0600 };
	int rc = prf_names_of(output, &names, &modules, err);

	unitnames_path(&path, slot_dir, crate, metadata);
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

/* A bundle: this line, then per unit "unit <crate>-<metadata> <bytes>\n" and that many bytes of its list. */
#define BUNDLE_MAGIC "pgow-names-v1\n"

bool unitnames_bundle(const char *slot_dir, const struct manifest *m, struct strbuf *out)
{
	struct strbuf path = STRBUF_INIT, list = STRBUF_INIT;
	int units = 0;

	sb_adds(out, BUNDLE_MAGIC);
	for (size_t i = 0; i < m->ncrates; i++) {
		sb_reset(&path);
		sb_reset(&list);
		unitnames_path(&path, slot_dir, m->crates[i].name, m->crates[i].metadata);
		if (sb_read_file(&list, path.buf) != 0)
			continue;
		sb_addf(out, "unit %s-%s %zu\n", m->crates[i].name, m->crates[i].metadata, list.len);
		sb_add(out, sb_str(&list), list.len);
		units++;
	}
	sb_release(&path);
	sb_release(&list);
	return units > 0;
}

/* The manifest's unit named "<crate>-<metadata>", or NULL. */
static const struct manifest_crate *bundle_unit(const struct manifest *m, const char *name, size_t len)
{
	for (size_t i = 0; i < m->ncrates; i++) {
		size_t n = strlen(m->crates[i].name);
		if (len == n + 1 + strlen(m->crates[i].metadata) && strncmp(name, m->crates[i].name, n) == 0 &&
		    name[n] == '-' && strncmp(name + n + 1, m->crates[i].metadata, len - n - 1) == 0)
			return &m->crates[i];
	}
	return NULL;
}

int unitnames_unbundle(const char *slot_dir, const struct manifest *m, const char *data, size_t len,
		       struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	struct atomic_opts opts = { .mode = 0600 };
	size_t at = strlen(BUNDLE_MAGIC);
	int written = 0;

	if (len < at || memcmp(data, BUNDLE_MAGIC, at) != 0) {
		sb_adds(err, "its function names are not a names bundle");
		return -1;
	}
	if (unitkey_make_dir(slot_dir, err) != 0)
		return -1;
	while (at < len && written >= 0) {
		const char *line = data + at, *nl = memchr(line, '\n', len - at);
		const char *space = NULL;
		for (const char *p = line; nl && p < nl; p++)
			if (*p == ' ')
				space = p;
		char *end;
		if (!space || strncmp(line, "unit ", 5) != 0 || space < line + 5) {
			sb_addf(err, "its function names are damaged at byte %zu", at);
			written = -1;
			break;
		}
		unsigned long long bytes = strtoull(space + 1, &end, 10);
		at = (size_t)(nl + 1 - data);
		if (end != nl || space[1] < '0' || space[1] > '9' || bytes > len - at) {
			sb_addf(err, "its function names are damaged at byte %zu", (size_t)(line - data));
			written = -1;
			break;
		}
		/* The file name comes from the verified manifest, never from the bundle. */
		const struct manifest_crate *u = bundle_unit(m, line + 5, (size_t)(space - line - 5));
		if (u) {
			sb_reset(&path);
			unitnames_path(&path, slot_dir, u->name, u->metadata);
			written = write_file_atomic(path.buf, data + at, (size_t)bytes, &opts, err) == 0 ? written + 1 : -1;
		}
		at += (size_t)bytes;
	}
	sb_release(&path);
	return written;
}
