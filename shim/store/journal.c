/*
 * journal.c - appends decision records (see include/store/journal.h). A record is
 * one write(2) with O_APPEND, so parallel wrappers never interleave. A
 * failing journal is reported but never fails the build it describes.
 */
#include "store/journal.h"
#include "base/atomic.h"
#include "base/clock.h"
#include "base/message.h"
#include "base/settings.h"
#include "base/strbuf.h"
#include "store/cache.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* Keeps the default journal from growing without bound across builds. */
#define JOURNAL_ROTATE_BYTES (4 * 1024 * 1024)

static int journal_path(struct strbuf *out, struct strbuf *err)
{
	const char *p = setting_get(SETTING_JOURNAL);

	if (p) {
		sb_adds(out, p);
		return 0;
	}
	if (cache_root(out, err) != 0)
		return -1;
	if (cache_is_readonly())
		return 1; /* nowhere to write by default; CARGO_PGO_WRAP_JOURNAL still works */
	sb_adds(out, "/journal.log");
	struct stat st;
	if (stat(out->buf, &st) == 0 && st.st_size > JOURNAL_ROTATE_BYTES) {
		struct strbuf old = STRBUF_INIT;
		sb_addf(&old, "%s.old", out->buf);
		if (rename(out->buf, old.buf) != 0)
			warn("cannot rotate %s; it keeps growing", out->buf);
		sb_release(&old);
	}
	return 0;
}

static void add_field(struct strbuf *line, const char *s)
{
	/* Tabs and newlines would break the record format. */
	for (; s && *s; s++)
		sb_addch(line, (*s == '\t' || *s == '\n') ? ' ' : *s);
	sb_addch(line, '\t');
}

void journal_record(const struct rustc_args *a, const char *action, const char *detail,
		    const char *unit_key, int mismatches)
{
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	struct strbuf line = STRBUF_INIT, types = STRBUF_INIT;

	if (journal_path(&path, &err) == 0) {
		rustc_args_describe_types(a, &types);
		sb_addf(&line, "%.3f\t", now_seconds());
		add_field(&line, a->crate_name ? a->crate_name : "?");
		add_field(&line, types.buf);
		add_field(&line, a->target ? a->target : "host");
		add_field(&line, action);
		add_field(&line, detail ? detail : "-");
		add_field(&line, a->out_dir ? a->out_dir : "-");
		add_field(&line, unit_key ? unit_key : "-");
		sb_addf(&line, "%d\t", mismatches);
		line.buf[line.len - 1] = '\n';
		append_record(path.buf, line.buf, line.len, &err);
	}
	if (err.len)
		warn("journal not written: %s", err.buf);
	sb_release(&path);
	sb_release(&err);
	sb_release(&line);
	sb_release(&types);
}
