/*
 * manifest.c - profile manifests as YAML (see include/store/manifest.h). Reading
 * is strict: a manifest we cannot fully understand is corrupt, and using a
 * profile on a guess would hide exactly the staleness it exists to show.
 */
#include "store/manifest.h"
#include "base/atomic.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "base/yamldoc.h"

#include <string.h>

struct manifest_crate *manifest_add_crate(struct manifest *m, const char *name, const char *metadata,
					  const char *key)
{
	m->crates = xrealloc(m->crates, (m->ncrates + 1) * sizeof(*m->crates));
	struct manifest_crate *c = &m->crates[m->ncrates++];
	c->name = xstrdup(name);
	c->metadata = xstrdup(metadata);
	c->key = xstrdup(key);
	c->counts = -1;
	c->functions = -1;
	c->covered = -1;
	return c;
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

int manifest_write(const struct manifest *m, const char *path, struct strbuf *err)
{
	struct strbuf out = STRBUF_INIT;
	struct yemit e;

	yemit_begin(&e, &out);
	yemit_map_start(&e);
	/* Version 2 readers (older installs sharing a remote) read a profile without programs. */
	yemit_kv_long(&e, "version", m->programs_known ? MANIFEST_VERSION : 2);
	yemit_kv(&e, "content-key", or_empty(m->content_key));
	yemit_kv(&e, "slot", or_empty(m->slot));
	yemit_kv_long(&e, "created", m->created);
	yemit_kv(&e, "training", or_empty(m->training));
	yemit_kv(&e, "training-id", m->training_id ? m->training_id : "manual");
	yemit_kv_long(&e, "raw-files", m->raw_files);
	yemit_kv(&e, "llvm-profdata", or_empty(m->llvm_profdata));
	yemit_kv(&e, "cargo-lock", m->cargo_lock ? m->cargo_lock : "none");
	yemit_kv_long(&e, "total-counts", m->total_counts);
	yemit_kv(&e, "rustc", or_empty(m->rustc));
	yemit_scalar(&e, "crates");
	yemit_seq_start(&e);
	for (size_t i = 0; i < m->ncrates; i++) {
		yemit_map_start(&e);
		yemit_kv(&e, "name", m->crates[i].name);
		yemit_kv(&e, "metadata", m->crates[i].metadata);
		yemit_kv(&e, "key", m->crates[i].key);
		if (m->crates[i].counts >= 0)
			yemit_kv_long(&e, "counts", m->crates[i].counts);
		if (m->crates[i].functions >= 0)
			yemit_kv_long(&e, "functions", m->crates[i].functions);
		if (m->crates[i].covered >= 0)
			yemit_kv_long(&e, "covered", m->crates[i].covered);
		yemit_end_map(&e);
	}
	yemit_end_seq(&e);
	yemit_scalar(&e, "inputs");
	yemit_seq_start(&e);
	for (size_t i = 0; i < m->inputs.n; i++)
		yemit_scalar(&e, m->inputs.v[i]);
	yemit_end_seq(&e);
	if (m->programs_known) {
		yemit_scalar(&e, "programs");
		yemit_seq_start(&e);
		for (size_t i = 0; i < m->programs.n; i++)
			yemit_scalar(&e, m->programs.v[i]);
		yemit_end_seq(&e);
	}
	yemit_end_map(&e);
	int rc = yemit_finish(&e, err);
	if (rc == 0) {
		struct atomic_opts opts = { .mode = 0600, .fsync = true };
		rc = write_file_atomic(path, out.buf, out.len, &opts, err);
	}
	sb_release(&out);
	return rc;
}

static int read_crate(struct manifest *m, struct ydoc *d, yaml_node_t *n, struct strbuf *err)
{
	const char *fields[3] = { NULL, NULL, NULL };
	static const char *const names[3] = { "name", "metadata", "key" };
	long nums[3] = { -1, -1, -1 };
	static const char *const num_names[3] = { "counts", "functions", "covered" };

	if (ydoc_expect_map(d, n, "a crate entry", err) != 0)
		return -1;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const char *key;
		int which = -1;
		if (ydoc_key(d, p, &key, err) != 0)
			return -1;
		for (int i = 0; i < 3; i++)
			if (strcmp(key, names[i]) == 0)
				which = i;
		int num = -1;
		for (int i = 0; i < 3; i++)
			if (strcmp(key, num_names[i]) == 0)
				num = i;
		if (num >= 0) {
			if (ydoc_long(d, ydoc_node(d, p->value), key, &nums[num], err) != 0)
				return -1;
			continue;
		}
		if (which < 0) {
			ydoc_where(d, ydoc_node(d, p->key), err);
			sb_addf(err, "unknown crate field '%s' (expected name, metadata, key, counts, functions, covered)", key);
			return -1;
		}
		if (ydoc_string(d, ydoc_node(d, p->value), key, &fields[which], err) != 0)
			return -1;
	}
	for (int i = 0; i < 3; i++) {
		if (!fields[i]) {
			ydoc_where(d, n, err);
			sb_addf(err, "crate entry has no '%s'", names[i]);
			return -1;
		}
	}
	struct manifest_crate *c = manifest_add_crate(m, fields[0], fields[1], fields[2]);
	c->counts = nums[0];
	c->functions = nums[1];
	c->covered = nums[2];
	return 0;
}

static int read_strings(struct ydoc *d, yaml_node_t *v, const char *key, const char *what,
			struct strvec *out, struct strbuf *err)
{
	if (ydoc_expect_seq(d, v, key, err) != 0)
		return -1;
	for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
		const char *s;
		if (ydoc_string(d, ydoc_node(d, *i), what, &s, err) != 0)
			return -1;
		sv_push(out, s);
	}
	return 0;
}

static int read_field(struct manifest *m, struct ydoc *d, const char *key, yaml_node_t *v,
		      struct strbuf *err)
{
	struct { const char *name; char **str; long *num; } fields[] = {
		{ "content-key", &m->content_key, NULL }, { "slot", &m->slot, NULL },
		{ "training", &m->training, NULL }, { "llvm-profdata", &m->llvm_profdata, NULL },
		{ "training-id", &m->training_id, NULL },
		{ "cargo-lock", &m->cargo_lock, NULL }, { "rustc", &m->rustc, NULL },
		{ "created", NULL, &m->created }, { "raw-files", NULL, &m->raw_files },
		{ "total-counts", NULL, &m->total_counts },
	};
	long version;

	if (strcmp(key, "version") == 0) {
		if (ydoc_long(d, v, "version", &version, err) != 0)
			return -1;
		if (version < 1 || version > MANIFEST_VERSION) {
			ydoc_where(d, v, err);
			sb_addf(err, "manifest version %ld is not %d; it was written by another "
				"cargo-pgo-wrap: delete this profile and collect a new one",
				version, MANIFEST_VERSION);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "inputs") == 0)
		return read_strings(d, v, "inputs", "an input", &m->inputs, err);
	if (strcmp(key, "programs") == 0) {
		m->programs_known = true;
		return read_strings(d, v, "programs", "a program", &m->programs, err);
	}
	if (strcmp(key, "crates") == 0) {
		if (ydoc_expect_seq(d, v, "crates", err) != 0)
			return -1;
		for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++)
			if (read_crate(m, d, ydoc_node(d, *i), err) != 0)
				return -1;
		return 0;
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(key, fields[i].name) != 0)
			continue;
		if (fields[i].num)
			return ydoc_long(d, v, key, fields[i].num, err);
		const char *s;
		if (ydoc_string(d, v, key, &s, err) != 0)
			return -1;
		free(*fields[i].str);
		*fields[i].str = xstrdup(s);
		return 0;
	}
	ydoc_where(d, v, err);
	sb_addf(err, "unknown manifest key '%s'", key);
	return -1;
}

int manifest_read(struct manifest *m, const char *path, struct strbuf *err)
{
	struct ydoc d;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	if (ydoc_load(&d, path, err) != 0)
		goto out;
	yaml_node_t *root = ydoc_root(&d);
	if (ydoc_expect_map(&d, root, "a manifest", err) != 0)
		goto out;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		const char *key;
		if (ydoc_key(&d, p, &key, err) != 0 || read_field(m, &d, key, ydoc_node(&d, p->value), err) != 0)
			goto out;
	}
	if (!m->content_key || !m->slot) {
		ydoc_where(&d, root, err);
		sb_addf(err, "manifest has no %s", m->content_key ? "slot" : "content-key");
		goto out;
	}
	rc = 0;
out:
	ydoc_release(&d);
	return rc;
}

void manifest_release(struct manifest *m)
{
	for (size_t i = 0; i < m->ncrates; i++) {
		free(m->crates[i].name);
		free(m->crates[i].metadata);
		free(m->crates[i].key);
	}
	free(m->crates);
	sv_release(&m->inputs);
	sv_release(&m->programs);
	free(m->content_key);
	free(m->slot);
	free(m->rustc);
	free(m->llvm_profdata);
	free(m->training);
	free(m->training_id);
	free(m->cargo_lock);
	memset(m, 0, sizeof(*m));
}

const struct manifest_crate *manifest_find(const struct manifest *m, const char *name,
					   const char *metadata)
{
	for (size_t i = 0; i < m->ncrates; i++)
		if (strcmp(m->crates[i].name, name) == 0 && strcmp(m->crates[i].metadata, metadata) == 0)
			return &m->crates[i];
	return NULL;
}

const struct manifest_crate *manifest_find_name(const struct manifest *m, const char *name)
{
	for (size_t i = 0; i < m->ncrates; i++)
		if (strcmp(m->crates[i].name, name) == 0)
			return &m->crates[i];
	return NULL;
}

bool manifest_name_never_ran(const struct manifest *m, const char *name)
{
	bool found = false;
	for (size_t i = 0; i < m->ncrates; i++) {
		if (strcmp(m->crates[i].name, name) != 0)
			continue;
		if (m->crates[i].counts != 0 || m->crates[i].functions <= 0)
			return false;
		found = true;
	}
	return found;
}

bool manifest_program_untrained(const struct manifest *m, const char *crate, bool test_harness)
{
	if (!m->programs_known)
		return false;
	if (test_harness)
		return true;
	/* A program the profile has counts for ran (a trained one started it), named or not. */
	bool ran = manifest_find_name(m, crate) && !manifest_name_never_ran(m, crate);
	return !ran && !sv_has(&m->programs, crate);
}
