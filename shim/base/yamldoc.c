/*
 * yamldoc.c - libyaml document loading with located errors, and a small
 * emitter over a strbuf (see include/base/yamldoc.h).
 */
#include "base/yamldoc.h"
#include "base/input.h"
#include "base/message.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/*
 * libyaml's loader is superlinear in nesting depth (40,000 levels took
 * 15 s), so a document is first scanned as events, which is linear, and
 * refused past these bounds. Our documents nest 4 levels and are small.
 */
#define YDOC_MAX_DEPTH 64
#define YDOC_MAX_BYTES (16 * 1024 * 1024)

static int check_bounds(const struct strbuf *text, const char *path, struct strbuf *err)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, rc = 0;

	if (text->len > YDOC_MAX_BYTES) {
		sb_addf(err, "%s:1:1: the file is %zu bytes, more than the %d this tool reads; "
			"it is not one of ours", path, text->len, YDOC_MAX_BYTES);
		return -1;
	}
	if (!yaml_parser_initialize(&parser))
		die(PGOW_EXIT_INTERNAL, "cannot initialise libyaml");
	yaml_parser_set_input_string(&parser, (const unsigned char *)sb_str(text), text->len);
	for (bool done = false; !done && rc == 0;) {
		if (!yaml_parser_parse(&parser, &ev))
			break; /* the loader reports syntax errors with their place */
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > YDOC_MAX_DEPTH) {
				sb_addf(err, "%s:%zu:%zu: nested deeper than %d levels; simplify it", path,
					ev.start_mark.line + 1, ev.start_mark.column + 1, YDOC_MAX_DEPTH);
				rc = -1;
			}
		} else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return rc;
}

/* A second document (after ---) would be ignored silently: it is refused where it starts. */
static int second_document(yaml_parser_t *parser, const char *path, struct strbuf *err)
{
	yaml_document_t next;

	if (!yaml_parser_load(parser, &next)) {
		yaml_mark_t m = parser->problem_mark;
		sb_addf(err, "%s:%zu:%zu: %s", path, m.line + 1, m.column + 1,
			parser->problem ? parser->problem : "invalid YAML");
		return -1;
	}
	yaml_node_t *root = yaml_document_get_root_node(&next);
	int rc = 0;
	if (root) {
		sb_addf(err, "%s:%zu:%zu: a second YAML document; the file holds one (remove the --- line and what follows, "
			"or merge it into the first)", path, next.start_mark.line + 1, next.start_mark.column + 1);
		rc = -1;
	}
	yaml_document_delete(&next);
	return rc;
}

int ydoc_load(struct ydoc *d, const char *path, struct strbuf *err)
{
	yaml_parser_t parser;
	struct strbuf text = STRBUF_INIT;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	d->path = xstrdup(path);
	if (input_read(&text, path, YDOC_MAX_BYTES, err) != 0) {
		sb_release(&text);
		return -1;
	}
	if (check_bounds(&text, path, err) != 0) {
		sb_release(&text);
		return -1;
	}
	if (!yaml_parser_initialize(&parser))
		die(PGOW_EXIT_INTERNAL, "cannot initialise libyaml");
	yaml_parser_set_input_string(&parser, (const unsigned char *)sb_str(&text), text.len);
	if (!yaml_parser_load(&parser, &d->doc)) {
		yaml_mark_t m = parser.problem_mark;
		sb_addf(err, "%s:%zu:%zu: %s%s%s", path, m.line + 1, m.column + 1,
			parser.problem ? parser.problem : "invalid YAML",
			parser.context ? " " : "", parser.context ? parser.context : "");
	} else {
		d->loaded = true;
		if (!yaml_document_get_root_node(&d->doc)) {
			d->empty = true;
			sb_addf(err, "%s:1:1: the file is empty", path);
		}
		else
			rc = second_document(&parser, path, err);
	}
	yaml_parser_delete(&parser);
	sb_release(&text);
	return rc;
}

void ydoc_release(struct ydoc *d)
{
	if (d->loaded)
		yaml_document_delete(&d->doc);
	free(d->path);
	memset(d, 0, sizeof(*d));
}

yaml_node_t *ydoc_root(struct ydoc *d)
{
	return yaml_document_get_root_node(&d->doc);
}

yaml_node_t *ydoc_node(struct ydoc *d, yaml_node_item_t id)
{
	return yaml_document_get_node(&d->doc, id);
}

void ydoc_where(struct ydoc *d, yaml_node_t *n, struct strbuf *err)
{
	sb_addf(err, "%s:%zu:%zu: ", d->path, n->start_mark.line + 1, n->start_mark.column + 1);
}

static int wrong_kind(struct ydoc *d, yaml_node_t *n, const char *what, const char *kind,
		      struct strbuf *err)
{
	ydoc_where(d, n, err);
	sb_addf(err, "%s must be %s", what, kind);
	return -1;
}

int ydoc_expect_map(struct ydoc *d, yaml_node_t *n, const char *what, struct strbuf *err)
{
	return n->type == YAML_MAPPING_NODE ? 0 : wrong_kind(d, n, what, "a mapping (key: value)", err);
}

int ydoc_expect_seq(struct ydoc *d, yaml_node_t *n, const char *what, struct strbuf *err)
{
	return n->type == YAML_SEQUENCE_NODE ? 0 : wrong_kind(d, n, what, "a list", err);
}

int ydoc_string(struct ydoc *d, yaml_node_t *n, const char *what, const char **out, struct strbuf *err)
{
	if (n->type != YAML_SCALAR_NODE)
		return wrong_kind(d, n, what, "a string", err);
	*out = (const char *)n->data.scalar.value;
	return 0;
}

int ydoc_long(struct ydoc *d, yaml_node_t *n, const char *what, long *out, struct strbuf *err)
{
	const char *s;
	char *end;

	if (ydoc_string(d, n, what, &s, err) != 0)
		return -1;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno == ERANGE)
		return wrong_kind(d, n, what, "a whole number", err);
	*out = v;
	return 0;
}

int ydoc_bool(struct ydoc *d, yaml_node_t *n, const char *what, bool *out, struct strbuf *err)
{
	const char *s;

	if (ydoc_string(d, n, what, &s, err) != 0)
		return -1;
	if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0)
		*out = true;
	else if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0)
		*out = false;
	else
		return wrong_kind(d, n, what, "true or false", err);
	return 0;
}

int ydoc_key(struct ydoc *d, yaml_node_pair_t *p, const char **out, struct strbuf *err)
{
	return ydoc_string(d, ydoc_node(d, p->key), "a key", out, err);
}

static int to_strbuf(void *data, unsigned char *buffer, size_t size)
{
	sb_add(data, buffer, size);
	return 1;
}

static void emit(struct yemit *e, yaml_event_t *ev, int ok)
{
	if (e->failed)
		return;
	if (!ok || !yaml_emitter_emit(&e->em, ev))
		e->failed = 1;
}

void yemit_begin(struct yemit *e, struct strbuf *out)
{
	yaml_event_t ev;

	memset(e, 0, sizeof(*e));
	e->out = out;
	if (!yaml_emitter_initialize(&e->em))
		die(PGOW_EXIT_INTERNAL, "cannot initialise the libyaml emitter");
	yaml_emitter_set_output(&e->em, to_strbuf, out);
	yaml_emitter_set_unicode(&e->em, 1);
	yaml_emitter_set_width(&e->em, INT_MAX);
	emit(e, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	emit(e, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
}

void yemit_map_start(struct yemit *e)
{
	yaml_event_t ev;
	emit(e, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
}

void yemit_seq_start(struct yemit *e)
{
	yaml_event_t ev;
	emit(e, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE));
}

void yemit_end_map(struct yemit *e)
{
	yaml_event_t ev;
	emit(e, &ev, yaml_mapping_end_event_initialize(&ev));
}

void yemit_end_seq(struct yemit *e)
{
	yaml_event_t ev;
	emit(e, &ev, yaml_sequence_end_event_initialize(&ev));
}

void yemit_scalar(struct yemit *e, const char *s)
{
	yaml_event_t ev;
	/* Multi-line text (rustc -vV) reads best as a literal block. */
	yaml_scalar_style_t style = strchr(s, '\n') ? YAML_LITERAL_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE;
	emit(e, &ev, yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s),
						  1, 1, style));
}

void yemit_kv(struct yemit *e, const char *key, const char *value)
{
	yemit_scalar(e, key);
	yemit_scalar(e, value);
}

void yemit_kv_long(struct yemit *e, const char *key, long value)
{
	char num[32];
	snprintf(num, sizeof(num), "%ld", value);
	yemit_kv(e, key, num);
}

int yemit_finish(struct yemit *e, struct strbuf *err)
{
	yaml_event_t ev;

	emit(e, &ev, yaml_document_end_event_initialize(&ev, 1));
	emit(e, &ev, yaml_stream_end_event_initialize(&ev));
	int rc = 0;
	if (e->failed) {
		sb_addf(err, "cannot write YAML: %s", e->em.problem ? e->em.problem : "emitter error");
		rc = -1;
	}
	yaml_emitter_delete(&e->em);
	return rc;
}
