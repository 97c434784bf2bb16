/*
 * slot.c - which build configuration a rustc invocation belongs to.
 * The key is the build dir (cargo's <target>/<triple>/<profile>) and the
 * target triple: artifacts there overwrite each other across decisions,
 * so that is the set that must be rebuilt together.
 */
#include "slot.h"
#include "cache.h"
#include "util.h"

#include <string.h>

static void build_dir_of(struct strbuf *out, const struct rustc_args *a)
{
	struct strbuf abs = STRBUF_INIT;

	if (path_absolute(&abs, a->out_dir ? a->out_dir : ".") != 0)
		sb_adds(&abs, a->out_dir ? a->out_dir : ".");
	while (abs.len > 1 && abs.buf[abs.len - 1] == '/')
		sb_setlen(&abs, abs.len - 1);
	const char *base = path_basename(abs.buf);
	/* cargo puts units in <profile>/deps and examples in <profile>/examples. */
	if (strcmp(base, "deps") == 0 || strcmp(base, "examples") == 0)
		path_dirname(out, abs.buf);
	else
		sb_adds(out, abs.buf);
	sb_release(&abs);
}

int slot_for_invocation(struct slot *s, const struct rustc_args *a, struct strbuf *err)
{
	struct strbuf sub = STRBUF_INIT;
	struct hasher *h = hasher_new();
	int rc;

	memset(s, 0, sizeof(*s));
	build_dir_of(&s->build_dir, a);
	hasher_add_str(h, "slot-v1");
	hasher_add_str(h, s->build_dir.buf);
	hasher_add_str(h, a->target ? a->target : "host");
	hasher_hex(h, s->id);
	hasher_free(h);
	sb_addf(&sub, "slots/%s", s->id);
	rc = cache_subdir(&s->dir, sub.buf, err);
	sb_release(&sub);
	return rc;
}

void slot_release(struct slot *s)
{
	sb_release(&s->build_dir);
	sb_release(&s->dir);
}
