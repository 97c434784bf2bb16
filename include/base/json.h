/*
 * json.h - a small, strict JSON reader for the one-object-per-line messages
 * cargo prints with --message-format=json. It builds a tree; strings are
 * unescaped to UTF-8. Depth and size are bounded, so hostile input costs
 * linear time and a clear error.
 */
#ifndef PGOW_JSON_H
#define PGOW_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "base/strbuf.h"

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_type type;
	bool boolean;
	char *text;             /* JSON_STRING: unescaped; JSON_NUMBER: as written */
	struct json *items;     /* array elements or object values */
	char **keys;            /* object keys, parallel to items */
	size_t n;
};

#define JSON_MAX_DEPTH 64

/* Parses one JSON value filling all of text[0..len); -1 with "col N: problem" in err. */
int json_parse(struct json *out, const char *text, size_t len, struct strbuf *err);
void json_release(struct json *j);
/* An object's member, or NULL (also when j is not an object). */
const struct json *json_get(const struct json *j, const char *key);
/* The string value, or NULL when j is NULL or not a string. */
const char *json_string(const struct json *j);
/* A member's string value: json_string(json_get(j, key)). */
const char *json_get_string(const struct json *j, const char *key);
/* true only for a JSON true. */
bool json_get_bool(const struct json *j, const char *key);
/* Whether an array holds the string s. */
bool json_array_has(const struct json *arr, const char *s);

#endif
