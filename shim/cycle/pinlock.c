/*
 * pinlock.c - pgo-wrap.lock (see include/cycle/pinlock.h): read with
 * located errors, written through the YAML emitter, one pin per slot.
 */
#include "cycle/pinlock.h"
#include "base/atomic.h"
#include "base/hash.h"
#include "base/path.h"
#include "base/xalloc.h"
#include "base/yamldoc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const pin_keys[] = { "slot", "profile", "target", "flags", "rustc", NULL };

static char **pin_field(struct pin *p, size_t i)
{
	char **fields[] = { &p->slot, &p->profile, &p->target, &p->flags, &p->rustc };
	return fields[i];
}

static bool is_key(const char *s)
{
	return s && str_is_hex(s, HASH_HEX_LEN);
}

static void pin_release(struct pin *p)
{
	for (size_t i = 0; pin_keys[i]; i++)
		free(*pin_field(p, i));
}

static int read_pin(struct pinlock *l, struct ydoc *d, yaml_node_t *n, struct strbuf *err)
{
	struct pin p;

	memset(&p, 0, sizeof(p));
	if (ydoc_expect_map(d, n, "a pin", err) != 0)
		return -1;
	for (yaml_node_pair_t *kv = n->data.mapping.pairs.start; kv < n->data.mapping.pairs.top; kv++) {
		const char *key, *value;
		size_t i = 0;
		if (ydoc_key(d, kv, &key, err) != 0)
			goto bad;
		while (pin_keys[i] && strcmp(pin_keys[i], key) != 0)
			i++;
		if (!pin_keys[i]) {
			ydoc_where(d, ydoc_node(d, kv->key), err);
			sb_addf(err, "unknown key '%s' in a pin (slot, profile, target, flags, rustc)", key);
			goto bad;
		}
		if (ydoc_string(d, ydoc_node(d, kv->value), key, &value, err) != 0)
			goto bad;
		free(*pin_field(&p, i));
		*pin_field(&p, i) = xstrdup(value);
	}
	if (!is_key(p.slot) || !is_key(p.profile)) {
		ydoc_where(d, n, err);
		sb_addf(err, "a pin needs 'slot' and 'profile', each 32 hex digits; `cargo-pgo-wrap pin` writes them");
		goto bad;
	}
	pinlock_set(l, &p);
	pin_release(&p);
	return 0;
bad:
	pin_release(&p);
	return -1;
}

int pinlock_read(struct pinlock *l, const char *root, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	struct ydoc d;
	int rc = -1;

	memset(l, 0, sizeof(*l));
	path_join(&path, root, PINLOCK_NAME);
	l->path = xstrdup(path.buf);
	if (access(path.buf, F_OK) != 0 && errno == ENOENT) {
		sb_release(&path);
		return 0;
	}
	if (ydoc_load(&d, path.buf, err) != 0)
		goto done;
	yaml_node_t *root_node = ydoc_root(&d);
	if (ydoc_expect_map(&d, root_node, "pgo-wrap.lock", err) != 0)
		goto done;
	for (yaml_node_pair_t *kv = root_node->data.mapping.pairs.start; kv < root_node->data.mapping.pairs.top; kv++) {
		const char *key;
		yaml_node_t *v = ydoc_node(&d, kv->value);
		if (ydoc_key(&d, kv, &key, err) != 0)
			goto done;
		if (strcmp(key, "version") == 0) {
			long version;
			if (ydoc_long(&d, v, key, &version, err) != 0)
				goto done;
			if (version != 1) {
				ydoc_where(&d, v, err);
				sb_addf(err, "version %ld is not one this cargo-pgo-wrap reads (1)", version);
				goto done;
			}
		} else if (strcmp(key, "pins") == 0) {
			if (ydoc_expect_seq(&d, v, "pins", err) != 0)
				goto done;
			for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++)
				if (read_pin(l, &d, ydoc_node(&d, *i), err) != 0)
					goto done;
		} else {
			ydoc_where(&d, ydoc_node(&d, kv->key), err);
			sb_addf(err, "unknown key '%s' (version, pins)", key);
			goto done;
		}
	}
	rc = 1;
done:
	ydoc_release(&d);
	sb_release(&path);
	return rc;
}

const struct pin *pinlock_find(const struct pinlock *l, const char *slot)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].slot, slot) == 0)
			return &l->v[i];
	return NULL;
}

void pinlock_set(struct pinlock *l, const struct pin *p)
{
	struct pin *to = (struct pin *)pinlock_find(l, p->slot);

	if (!to) {
		l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		to = &l->v[l->n++];
	} else {
		pin_release(to);
	}
	memset(to, 0, sizeof(*to));
	for (size_t i = 0; pin_keys[i]; i++)
		if (*pin_field((struct pin *)p, i))
			*pin_field(to, i) = xstrdup(*pin_field((struct pin *)p, i));
}

int pinlock_write(const struct pinlock *l, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT, body = STRBUF_INIT;
	struct yemit e;

	sb_adds(&text, "# pgo-wrap.lock: the profile each build configuration of this workspace uses.\n"
		       "# `cargo-pgo-wrap pin` writes it; builds fetch these profiles and never replace them.\n");
	yemit_begin(&e, &body);
	yemit_map_start(&e);
	yemit_kv_long(&e, "version", 1);
	yemit_scalar(&e, "pins");
	yemit_seq_start(&e);
	for (size_t i = 0; i < l->n; i++) {
		yemit_map_start(&e);
		for (size_t k = 0; pin_keys[k]; k++)
			if (*pin_field(&l->v[i], k))
				yemit_kv(&e, pin_keys[k], *pin_field(&l->v[i], k));
		yemit_end_map(&e);
	}
	yemit_end_seq(&e);
	yemit_end_map(&e);
	int rc = yemit_finish(&e, err);
	if (rc == 0) {
		sb_add(&text, body.buf, body.len);
		struct atomic_opts opts = { .mode = 0644 };
		rc = write_file_atomic(l->path, text.buf, text.len, &opts, err);
	}
	sb_release(&text);
	sb_release(&body);
	return rc;
}

void pinlock_release(struct pinlock *l)
{
	for (size_t i = 0; i < l->n; i++)
		pin_release(&l->v[i]);
	free(l->v);
	free(l->path);
	memset(l, 0, sizeof(*l));
}
