/*
 * yamldoc.h - reading and writing small YAML documents with libyaml.
 * Every error names file:line:col (1-based) and what is wrong, so config
 * and manifest mistakes point at the exact spot.
 */
#ifndef PGOW_YAMLDOC_H
#define PGOW_YAMLDOC_H

#include <stdbool.h>
#include <yaml.h>

#include "base/strbuf.h"

struct ydoc {
	yaml_document_t doc;
	char *path;
	bool loaded;
	bool empty;           /* the file held no document (only comments or nothing) */
};

/* 0, or -1 with "path:line:col: problem" in err. An empty file is an error. */
int ydoc_load(struct ydoc *d, const char *path, struct strbuf *err);
void ydoc_release(struct ydoc *d);
yaml_node_t *ydoc_root(struct ydoc *d);
yaml_node_t *ydoc_node(struct ydoc *d, yaml_node_item_t id);
/* Appends "path:line:col: " for node n. */
void ydoc_where(struct ydoc *d, yaml_node_t *n, struct strbuf *err);

/* Typed accessors: -1 with a located error when n is not of that kind. */
int ydoc_expect_map(struct ydoc *d, yaml_node_t *n, const char *what, struct strbuf *err);
int ydoc_expect_seq(struct ydoc *d, yaml_node_t *n, const char *what, struct strbuf *err);
int ydoc_string(struct ydoc *d, yaml_node_t *n, const char *what, const char **out, struct strbuf *err);
int ydoc_long(struct ydoc *d, yaml_node_t *n, const char *what, long *out, struct strbuf *err);
int ydoc_bool(struct ydoc *d, yaml_node_t *n, const char *what, bool *out, struct strbuf *err);
/* The key of a mapping pair, which must be a plain string. */
int ydoc_key(struct ydoc *d, yaml_node_pair_t *p, const char **out, struct strbuf *err);

/* Emitting into a strbuf; functions return -1 after the first failure. */
struct yemit {
	yaml_emitter_t em;
	struct strbuf *out;
	int failed;
};
void yemit_begin(struct yemit *e, struct strbuf *out);
void yemit_map_start(struct yemit *e);
void yemit_seq_start(struct yemit *e);
void yemit_end_map(struct yemit *e);
void yemit_end_seq(struct yemit *e);
void yemit_scalar(struct yemit *e, const char *s);
void yemit_kv(struct yemit *e, const char *key, const char *value);
void yemit_kv_long(struct yemit *e, const char *key, long value);
/* 0, or -1 with the emitter's problem in err. */
int yemit_finish(struct yemit *e, struct strbuf *err);

#endif
