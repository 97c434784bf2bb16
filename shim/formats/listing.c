/*
 * listing.c - the names a server lists (see include/formats/listing.h).
 * Neither answer is parsed as a whole: both are a flat run of elements
 * whose text we want, found by their local names.
 */
#include "formats/listing.h"

#include <string.h>

bool listing_name_ok(const char *name, size_t len)
{
	if (!len || len > 255 || (len <= 2 && name[0] == '.' && (len == 1 || name[1] == '.')))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("0123456789abcdefghijklmnopqrstuvwxyz.-", name[i]) || !name[i])
			return false;
	return true;
}

/*
 * The next element whose local name is tag (any "prefix:" before it), from
 * *at: its text in *text and *text_len, *at moved past it. False at the end.
 */
static bool next_element(const char *body, size_t len, size_t *at, const char *tag, const char **text,
			 size_t *text_len)
{
	size_t tlen = strlen(tag);

	for (size_t i = *at; i < len; i++) {
		if (body[i] != '<' || (i + 1 < len && body[i + 1] == '/'))
			continue;
		size_t j = i + 1;
		size_t name = j;
		while (j < len && body[j] != '>' && body[j] != ' ' && body[j] != '/' && body[j] != '\t' && body[j] != '\n')
			if (body[j++] == ':')
				name = j;
		if (j - name != tlen || memcmp(body + name, tag, tlen) != 0)
			continue;
		while (j < len && body[j] != '>')
			j++;
		if (j >= len || body[j - 1] == '/') /* <tag/>: no text */
			continue;
		size_t start = j + 1, end = start;
		while (end < len && body[end] != '<')
			end++;
		if (end >= len)
			return false;
		*text = body + start;
		*text_len = end - start;
		*at = end;
		return true;
	}
	return false;
}

static void trim(const char **s, size_t *len)
{
	while (*len && strchr(" \t\r\n", **s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && strchr(" \t\r\n", (*s)[*len - 1]))
		(*len)--;
}

void listing_parse_propfind(const char *body, size_t len, struct strvec *names)
{
	const char *href;
	size_t at = 0, hlen;

	while (next_element(body, len, &at, "href", &href, &hlen)) {
		trim(&href, &hlen);
		/* A collection (the listed one, or one inside it) ends in '/'. */
		if (!hlen || href[hlen - 1] == '/')
			continue;
		const char *last = href + hlen;
		while (last > href && last[-1] != '/')
			last--;
		size_t n = (size_t)(href + hlen - last);
		if (listing_name_ok(last, n))
			sv_pushf(names, "%.*s", (int)n, last);
	}
}

/* XML's five entities, as S3 may write them in a continuation token. */
static void add_unescaped(struct strbuf *out, const char *s, size_t len)
{
	static const struct { const char *entity; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&apos;", '\'' },
	};
	for (size_t i = 0; i < len; i++) {
		size_t k = 0;
		for (; k < sizeof(ents) / sizeof(ents[0]); k++) {
			size_t el = strlen(ents[k].entity);
			if (i + el <= len && memcmp(s + i, ents[k].entity, el) == 0) {
				sb_addch(out, ents[k].c);
				i += el - 1;
				break;
			}
		}
		if (k == sizeof(ents) / sizeof(ents[0]))
			sb_addch(out, s[i]);
	}
}

void listing_parse_s3(const char *body, size_t len, const char *prefix, struct strvec *names, bool *truncated,
		      struct strbuf *next_token)
{
	const char *text;
	size_t at = 0, tlen, plen = strlen(prefix);

	while (next_element(body, len, &at, "Key", &text, &tlen)) {
		if (tlen <= plen || memcmp(text, prefix, plen) != 0)
			continue;
		if (listing_name_ok(text + plen, tlen - plen))
			sv_pushf(names, "%.*s", (int)(tlen - plen), text + plen);
	}
	at = 0;
	*truncated = next_element(body, len, &at, "IsTruncated", &text, &tlen) && (trim(&text, &tlen), tlen == 4) &&
		     memcmp(text, "true", 4) == 0;
	sb_reset(next_token);
	at = 0;
	if (*truncated && next_element(body, len, &at, "NextContinuationToken", &text, &tlen)) {
		trim(&text, &tlen);
		add_unescaped(next_token, text, tlen);
	}
	/* A truncated page without a token cannot be followed: it is the last. */
	if (!next_token->len)
		*truncated = false;
}
