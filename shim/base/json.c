/*
 * json.c - strict recursive-descent JSON reader (see include/base/json.h).
 * Only what RFC 8259 allows is accepted; a NUL escaped into a string is
 * refused, since every string we read ends up a C string (a path, a name).
 */
#include "base/json.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

#include <string.h>
#include <stdlib.h>

struct parser {
	const char *s;
	size_t len, pos;
	int depth;
	struct strbuf *err;
};

static int fail(struct parser *p, const char *what)
{
	if (!p->err->len)
		sb_addf(p->err, "col %zu: %s", p->pos + 1, what);
	return -1;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos])
		p->pos++;
}

static int literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);
	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail(p, "unexpected character");
	p->pos += n;
	return 0;
}

static int hex4(struct parser *p, unsigned *out)
{
	*out = 0;
	if (p->len - p->pos < 4)
		return fail(p, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = p->s[p->pos++];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			   : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
		if (d == 16)
			return fail(p, "bad \\u escape");
		*out = *out << 4 | d;
	}
	return 0;
}

static void add_utf8(struct strbuf *out, unsigned cp)
{
	if (cp < 0x80) {
		sb_addch(out, (char)cp);
	} else if (cp < 0x800) {
		sb_addch(out, (char)(0xc0 | cp >> 6));
		sb_addch(out, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		sb_addch(out, (char)(0xe0 | cp >> 12));
		sb_addch(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
		sb_addch(out, (char)(0x80 | (cp & 0x3f)));
	} else {
		sb_addch(out, (char)(0xf0 | cp >> 18));
		sb_addch(out, (char)(0x80 | ((cp >> 12) & 0x3f)));
		sb_addch(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
		sb_addch(out, (char)(0x80 | (cp & 0x3f)));
	}
}

static int unicode_escape(struct parser *p, struct strbuf *out)
{
	unsigned cp, lo;
	if (hex4(p, &cp) != 0)
		return -1;
	if (cp >= 0xd800 && cp < 0xdc00) {
		if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
			return fail(p, "unpaired surrogate");
		p->pos += 2;
		if (hex4(p, &lo) != 0)
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail(p, "unpaired surrogate");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	} else if (cp >= 0xdc00 && cp < 0xe000) {
		return fail(p, "unpaired surrogate");
	}
	if (cp == 0)
		return fail(p, "\\u0000 in a string");
	add_utf8(out, cp);
	return 0;
}

static int string(struct parser *p, char **out)
{
	struct strbuf s = STRBUF_INIT;
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";

	p->pos++; /* the opening quote */
	sb_adds(&s, "");
	for (;;) {
		if (p->pos >= p->len) {
			sb_release(&s);
			return fail(p, "unterminated string");
		}
		char c = p->s[p->pos++];
		if (c == '"')
			break;
		if ((unsigned char)c < 0x20) {
			sb_release(&s);
			return fail(p, "control character in a string");
		}
		if (c != '\\') {
			sb_addch(&s, c);
			continue;
		}
		if (p->pos >= p->len) {
			sb_release(&s);
			return fail(p, "unterminated escape");
		}
		c = p->s[p->pos++];
		const char *e = c ? strchr(from, c) : NULL;
		if (c == 'u') {
			if (unicode_escape(p, &s) != 0) {
				sb_release(&s);
				return -1;
			}
		} else if (e) {
			sb_addch(&s, to[e - from]);
		} else {
			sb_release(&s);
			return fail(p, "bad escape");
		}
	}
	*out = sb_detach(&s);
	return 0;
}

static int number(struct parser *p, struct json *j)
{
	size_t start = p->pos;
	if (p->s[p->pos] == '-')
		p->pos++;
	size_t digits = p->pos;
	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		p->pos++;
	if (p->pos == digits || (p->s[digits] == '0' && p->pos - digits > 1))
		return fail(p, "bad number");
	if (p->pos < p->len && p->s[p->pos] == '.') {
		size_t f = ++p->pos;
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
		if (p->pos == f)
			return fail(p, "bad number");
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		size_t e = p->pos;
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
		if (p->pos == e)
			return fail(p, "bad number");
	}
	j->type = JSON_NUMBER;
	j->text = xstrndup(p->s + start, p->pos - start);
	return 0;
}

static int value(struct parser *p, struct json *j);

/* Grows by doubling: cargo's messages hold arrays of hundreds of file names. */
static void push_item(struct json *j, char *key)
{
	if ((j->n & (j->n - 1)) == 0) {
		size_t cap = j->n ? j->n * 2 : 1; /* n is a power of two (or 0) here */
		j->items = xrealloc(j->items, cap * sizeof(*j->items));
		if (j->type == JSON_OBJECT)
			j->keys = xrealloc(j->keys, cap * sizeof(*j->keys));
	}
	memset(&j->items[j->n], 0, sizeof(*j->items));
	if (j->type == JSON_OBJECT)
		j->keys[j->n] = key;
	j->n++;
}

/* Arrays and objects: the same loop, objects read a key first. */
static int container(struct parser *p, struct json *j, enum json_type type, char close)
{
	if (++p->depth > JSON_MAX_DEPTH)
		return fail(p, "nested too deeply");
	j->type = type;
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		p->depth--;
		return 0;
	}
	for (;;) {
		char *key = NULL;
		skip_ws(p);
		if (type == JSON_OBJECT) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, "expected a key");
			if (string(p, &key) != 0)
				return -1;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':') {
				free(key);
				return fail(p, "expected ':'");
			}
			p->pos++;
		}
		push_item(j, key);
		if (value(p, &j->items[j->n - 1]) != 0)
			return -1;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			p->depth--;
			return 0;
		}
		return fail(p, "expected ',' or a closing bracket");
	}
}

static int value(struct parser *p, struct json *j)
{
	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, "unexpected end");
	switch (p->s[p->pos]) {
	case '{':
		return container(p, j, JSON_OBJECT, '}');
	case '[':
		return container(p, j, JSON_ARRAY, ']');
	case '"':
		j->type = JSON_STRING;
		return string(p, &j->text);
	case 't':
		j->type = JSON_BOOL;
		j->boolean = true;
		return literal(p, "true");
	case 'f':
		j->type = JSON_BOOL;
		return literal(p, "false");
	case 'n':
		j->type = JSON_NULL;
		return literal(p, "null");
	default:
		return number(p, j);
	}
}

int json_parse(struct json *out, const char *text, size_t len, struct strbuf *err)
{
	struct parser p = { text, len, 0, 0, err };

	memset(out, 0, sizeof(*out));
	if (value(&p, out) == 0) {
		skip_ws(&p);
		if (p.pos == p.len)
			return 0;
		fail(&p, "trailing characters");
	}
	json_release(out);
	return -1;
}

void json_release(struct json *j)
{
	for (size_t i = 0; i < j->n; i++) {
		json_release(&j->items[i]);
		if (j->keys)
			free(j->keys[i]);
	}
	free(j->items);
	free(j->keys);
	free(j->text);
	memset(j, 0, sizeof(*j));
}

const struct json *json_get(const struct json *j, const char *key)
{
	if (!j || j->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < j->n; i++)
		if (j->keys[i] && strcmp(j->keys[i], key) == 0)
			return &j->items[i];
	return NULL;
}

const char *json_string(const struct json *j)
{
	return j && j->type == JSON_STRING ? j->text : NULL;
}

const char *json_get_string(const struct json *j, const char *key)
{
	return json_string(json_get(j, key));
}

bool json_get_bool(const struct json *j, const char *key)
{
	const struct json *v = json_get(j, key);
	return v && v->type == JSON_BOOL && v->boolean;
}

bool json_array_has(const struct json *arr, const char *s)
{
	for (size_t i = 0; arr && arr->type == JSON_ARRAY && i < arr->n; i++)
		if (json_string(&arr->items[i]) && strcmp(arr->items[i].text, s) == 0)
			return true;
	return false;
}
