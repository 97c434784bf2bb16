/*
 * slot.c - which build configuration a rustc invocation belongs to.
 * Everything in the key must be the same for every crate of one build, so
 * only flags cargo applies to all units count: per-crate inputs (features,
 * sources, -C metadata) belong to the crate keys instead. LTO shows on
 * every unit only as the absence of -C embed-bitcode=no, so that stands
 * in for it.
 */
#include "store/slot.h"
#include "base/atomic.h"
#include "base/dirlist.h"
#include "base/path.h"
#include "base/settings.h"
#include "base/strbuf.h"
#include "base/yamldoc.h"
#include "store/cache.h"
#include "store/toolchain.h"

#include <string.h>

static const char *const signature_keys[] = {
	"opt-level", "target-cpu", "target-feature", "codegen-units", "panic",
	"overflow-checks", "debug-assertions", "relocation-model", "code-model",
	"force-frame-pointers", "llvm-args", "no-redzone", "soft-float",
	"embed-bitcode", "inline-threshold", "passes", "no-vectorize-loops",
	"no-vectorize-slp", "relro-level", "control-flow-guard", NULL,
};

static bool is_signature_key(const char *kv)
{
	size_t klen = strcspn(kv, "=");

	for (const char *const *k = signature_keys; *k; k++)
		if (strlen(*k) == klen && strncmp(*k, kv, klen) == 0)
			return true;
	return false;
}

static void strip_last(struct strbuf *p)
{
	struct strbuf parent = STRBUF_INIT;

	path_dirname(&parent, p->buf);
	sb_reset(p);
	sb_adds(p, parent.buf);
	sb_release(&parent);
}

static void derive_dirs(struct slot *s, const struct rustc_args *a)
{
	struct strbuf abs = STRBUF_INIT;

	if (path_absolute(&abs, a->out_dir ? a->out_dir : ".") != 0)
		sb_adds(&abs, a->out_dir ? a->out_dir : ".");
	while (abs.len > 1 && abs.buf[abs.len - 1] == '/')
		sb_setlen(&abs, abs.len - 1);
	const char *base = path_basename(abs.buf);
	/* cargo puts units in <profile>/deps and examples in <profile>/examples. */
	if (strcmp(base, "deps") == 0 || strcmp(base, "examples") == 0)
		strip_last(&abs);
	sb_adds(&s->build_dir, abs.buf);

	const char *ws = setting_get(SETTING_WORKSPACE);
	if (ws) {
		sb_adds(&s->workspace, ws);
	} else {
		strip_last(&abs); /* the profile dir */
		if (a->target && strcmp(path_basename(abs.buf), a->target) == 0)
			strip_last(&abs);
		/* `build`'s instrumented dir belongs to the target dir it sits in. */
		static const char instr[] = "/pgo-wrap/instrumented";
		if (abs.len > sizeof(instr) - 1 && strcmp(abs.buf + abs.len - (sizeof(instr) - 1), instr) == 0)
			sb_setlen(&abs, abs.len - (sizeof(instr) - 1));
		sb_adds(&s->workspace, abs.buf);
	}
	sb_release(&abs);
}

/* The SLOT file, through the YAML emitter: a path may hold " #", ": " or anything else. */
static int describe(const struct slot *s, const struct rustc_args *a, struct strbuf *out, struct strbuf *err)
{
	struct yemit e;

	yemit_begin(&e, out);
	yemit_map_start(&e);
	yemit_kv(&e, "workspace", s->workspace.buf);
	yemit_kv(&e, "target", a->target ? a->target : "host");
	yemit_kv(&e, "signature", sb_str(&s->signature));
	yemit_kv(&e, "rustc", sb_str(&s->identity));
	yemit_end_map(&e);
	return yemit_finish(&e, err);
}

int slot_identify(struct slot *s, const struct rustc_args *a, const char *rustc, struct strbuf *err)
{
	memset(s, 0, sizeof(*s));
	derive_dirs(s, a);
	/* Stamps record the build dir on a line of its own. */
	if (strchr(s->build_dir.buf, '\n') || strchr(s->workspace.buf, '\n')) {
		sb_addf(err, "the path %s has a newline in it, which cargo-pgo-wrap cannot record; "
			"use a target dir without one", strchr(s->build_dir.buf, '\n') ? s->build_dir.buf
											 : s->workspace.buf);
		return -1;
	}
	if (rustc_identity(rustc, &s->identity, err) != 0)
		return -1;
	for (size_t i = 0; i < a->codegen.n; i++)
		if (is_signature_key(a->codegen.v[i]))
			sb_addf(&s->signature, "%s\n", a->codegen.v[i]);

	struct hasher *h = hasher_new();
	hasher_add_str(h, "slot-v2");
	hasher_add_str(h, s->workspace.buf);
	hasher_add_str(h, a->target ? a->target : "host");
	hasher_add_str(h, s->identity.buf);
	hasher_add_str(h, sb_str(&s->signature));
	hasher_hex(h, s->id);
	hasher_free(h);
	struct strbuf root = STRBUF_INIT;
	int rc = cache_root_path(&root, err);
	if (rc == 0)
		sb_addf(&s->dir, "%s/slots/%s", root.buf, s->id);
	sb_release(&root);
	return rc;
}

int slot_open(struct slot *s, const struct rustc_args *a, struct strbuf *err)
{
	struct strbuf sub = STRBUF_INIT, info = STRBUF_INIT, text = STRBUF_INIT;
	sb_addf(&sub, "slots/%s", s->id);
	sb_reset(&s->dir);
	int rc = cache_subdir(&s->dir, sub.buf, err);
	if (rc == 0) {
		path_join(&info, s->dir.buf, "SLOT");
		if (!file_exists(info.buf)) {
			struct atomic_opts opts = { .mode = 0600 };
			rc = describe(s, a, &text, err);
			if (rc == 0)
				rc = write_file_atomic(info.buf, text.buf, text.len, &opts, err);
		}
	}
	sb_release(&sub);
	sb_release(&info);
	sb_release(&text);
	return rc;
}


void slot_unit_records(const char *slot_dir, struct strvec *out)
{
	struct strbuf units = STRBUF_INIT;

	path_join(&units, slot_dir, "units");
	list_dir(units.buf, ".unit", out);
	sb_release(&units);
}

void slot_build_record(struct strbuf *out, const char *slot_dir, const char *build_dir, const char *args_key)
{
	char hex[HASH_HEX_LEN + 1];
	struct hasher *h = hasher_new();
	hasher_add_str(h, build_dir);
	hasher_add_str(h, args_key);
	hasher_hex(h, hex);
	hasher_free(h);
	sb_addf(out, "%s/builds/%s", slot_dir, hex);
}

bool slot_id_valid(const char *id)
{
	return id && str_is_hex(id, HASH_HEX_LEN);
}

void slot_release(struct slot *s)
{
	sb_release(&s->workspace);
	sb_release(&s->build_dir);
	sb_release(&s->identity);
	sb_release(&s->signature);
	sb_release(&s->dir);
}

int slot_read_info(const char *slot_dir, struct slot_info *info, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	struct ydoc d;
	int rc = -1;

	memset(info, 0, sizeof(*info));
	path_join(&path, slot_dir, "SLOT");
	if (ydoc_load(&d, path.buf, err) == 0 && ydoc_expect_map(&d, ydoc_root(&d), "SLOT", err) == 0) {
		yaml_node_t *root = ydoc_root(&d);
		rc = 0;
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
		     rc == 0 && p < root->data.mapping.pairs.top; p++) {
			const char *key, *value;
			rc = ydoc_key(&d, p, &key, err) == 0 &&
			     ydoc_string(&d, ydoc_node(&d, p->value), key, &value, err) == 0 ? 0 : -1;
			struct strbuf *dst = rc ? NULL
				: strcmp(key, "workspace") == 0 ? &info->workspace
				: strcmp(key, "target") == 0 ? &info->target
				: strcmp(key, "signature") == 0 ? &info->signature
				: strcmp(key, "rustc") == 0 ? &info->rustc : NULL;
			if (dst)
				sb_adds(dst, value);
		}
		if (rc == 0 && !info->rustc.len) {
			sb_addf(err, "%s has no rustc identity; delete the slot dir and rebuild", path.buf);
			rc = -1;
		}
	}
	ydoc_release(&d);
	sb_release(&path);
	return rc;
}

void slot_info_release(struct slot_info *info)
{
	sb_release(&info->workspace);
	sb_release(&info->target);
	sb_release(&info->signature);
	sb_release(&info->rustc);
}

bool slot_is_of_workspace(const char *slot_dir, const char *workspace)
{
	struct slot_info info;
	struct strbuf err = STRBUF_INIT;
	bool same = slot_read_info(slot_dir, &info, &err) == 0 && strcmp(sb_str(&info.workspace), workspace) == 0;

	slot_info_release(&info);
	sb_release(&err);
	return same;
}
