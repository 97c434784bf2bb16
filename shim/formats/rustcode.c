/*
 * rustcode.c - finds the test-only items of Rust source (see
 * include/formats/rustcode.h). Not a parser: it knows tokens (so that a
 * brace in a string or a comment is not one), brackets, and where an item
 * ends. Where it cannot tell, it leaves text in: a key that changes when it
 * need not costs a refresh; one that does not change when it should would
 * hide a stale profile.
 */
#include "formats/rustcode.h"

#include <stdbool.h>
#include <string.h>

enum tok { T_EOF, T_IDENT, T_LIT, T_LIFETIME, T_PUNCT };

struct token {
	enum tok kind;
	size_t start, end;
	size_t gap; /* where the whitespace before it starts */
};

struct lexer {
	const char *s;
	size_t n, pos;
	size_t trivia_end; /* where the last token or comment ended */
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_ident_char(unsigned char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool at(const struct lexer *lx, size_t i, char c)
{
	return i < lx->n && lx->s[i] == c;
}

/* Block comments nest in Rust. */
static void skip_block_comment(struct lexer *lx)
{
	size_t depth = 0;

	while (lx->pos < lx->n) {
		if (at(lx, lx->pos, '/') && at(lx, lx->pos + 1, '*')) {
			depth++;
			lx->pos += 2;
		} else if (at(lx, lx->pos, '*') && at(lx, lx->pos + 1, '/')) {
			lx->pos += 2;
			if (--depth == 0)
				return;
		} else {
			lx->pos++;
		}
	}
}

static void skip_trivia(struct lexer *lx)
{
	while (lx->pos < lx->n) {
		if (is_space(lx->s[lx->pos])) {
			lx->pos++;
		} else if (at(lx, lx->pos, '/') && at(lx, lx->pos + 1, '/')) {
			while (lx->pos < lx->n && lx->s[lx->pos] != '\n')
				lx->pos++;
			lx->trivia_end = lx->pos;
		} else if (at(lx, lx->pos, '/') && at(lx, lx->pos + 1, '*')) {
			skip_block_comment(lx);
			lx->trivia_end = lx->pos;
		} else {
			return;
		}
	}
}

/* From the opening quote: escapes skip the next byte. */
static void skip_quoted(struct lexer *lx, char quote)
{
	lx->pos++;
	while (lx->pos < lx->n) {
		char c = lx->s[lx->pos++];
		if (c == '\\')
			lx->pos++;
		else if (c == quote)
			break;
	}
	if (lx->pos > lx->n)
		lx->pos = lx->n;
}

/* From the first '#' or '"' after r, br or cr: r#"..."#. False if it is no raw string. */
static bool skip_raw_string(struct lexer *lx)
{
	size_t i = lx->pos, hashes = 0;

	while (at(lx, i, '#'))
		i++, hashes++;
	if (!at(lx, i, '"'))
		return false;
	for (i++; i < lx->n; i++) {
		size_t h = 0;
		if (lx->s[i] != '"')
			continue;
		while (h < hashes && at(lx, i + 1 + h, '#'))
			h++;
		if (h == hashes) {
			lx->pos = i + 1 + h;
			return true;
		}
	}
	lx->pos = lx->n;
	return true;
}

static size_t utf8_length(unsigned char c)
{
	return c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

/* From the quote: a char literal ('a', '\n', '{') or a lifetime or label ('a). */
static enum tok quote_token(struct lexer *lx)
{
	size_t i = lx->pos + 1;

	if (at(lx, i, '\\')) {
		skip_quoted(lx, '\'');
		return T_LIT;
	}
	if (i < lx->n) {
		size_t len = utf8_length((unsigned char)lx->s[i]);
		if (at(lx, i + len, '\'')) {
			lx->pos = i + len + 1;
			return T_LIT;
		}
	}
	lx->pos = i;
	while (lx->pos < lx->n && is_ident_char((unsigned char)lx->s[lx->pos]))
		lx->pos++;
	return T_LIFETIME;
}

/* An identifier, or the literal it prefixes: b"", c"", r"", br#""#, b'x'; r#raw identifiers. */
static enum tok word_token(struct lexer *lx)
{
	size_t start = lx->pos;

	while (lx->pos < lx->n && is_ident_char((unsigned char)lx->s[lx->pos]))
		lx->pos++;
	size_t len = lx->pos - start;
	const char *w = lx->s + start;
	bool raw = (len == 1 && w[0] == 'r') || (len == 2 && (w[0] == 'b' || w[0] == 'c') && w[1] == 'r');
	if (raw && (at(lx, lx->pos, '"') || at(lx, lx->pos, '#'))) {
		size_t hash = lx->pos;
		if (skip_raw_string(lx))
			return T_LIT;
		lx->pos = hash;
		if (len == 1 && at(lx, hash, '#') && hash + 1 < lx->n &&
		    is_ident_start((unsigned char)lx->s[hash + 1])) {
			lx->pos = hash + 1;
			while (lx->pos < lx->n && is_ident_char((unsigned char)lx->s[lx->pos]))
				lx->pos++;
		}
		return T_IDENT;
	}
	if (len == 1 && (w[0] == 'b' || w[0] == 'c') && at(lx, lx->pos, '"')) {
		skip_quoted(lx, '"');
		return T_LIT;
	}
	if (len == 1 && w[0] == 'b' && at(lx, lx->pos, '\'')) {
		quote_token(lx);
		return T_LIT;
	}
	return T_IDENT;
}

static void number_token(struct lexer *lx)
{
	while (lx->pos < lx->n) {
		unsigned char c = (unsigned char)lx->s[lx->pos];
		bool fraction = c == '.' && lx->pos + 1 < lx->n && lx->s[lx->pos + 1] >= '0' &&
				lx->s[lx->pos + 1] <= '9';
		if (!is_ident_char(c) && !fraction)
			return;
		lx->pos++;
	}
}

static struct token next_token(struct lexer *lx)
{
	struct token t;

	skip_trivia(lx);
	t.gap = lx->trivia_end;
	t.start = lx->pos;
	if (lx->pos >= lx->n) {
		t.kind = T_EOF;
	} else {
		unsigned char c = (unsigned char)lx->s[lx->pos];
		if (is_ident_start(c)) {
			t.kind = word_token(lx);
		} else if (c >= '0' && c <= '9') {
			number_token(lx);
			t.kind = T_LIT;
		} else if (c == '"') {
			skip_quoted(lx, '"');
			t.kind = T_LIT;
		} else if (c == '\'') {
			t.kind = quote_token(lx);
		} else {
			lx->pos++;
			t.kind = T_PUNCT;
		}
	}
	t.end = lx->pos;
	lx->trivia_end = lx->pos;
	return t;
}

static bool is_punct(const struct lexer *lx, struct token t, char c)
{
	return t.kind == T_PUNCT && lx->s[t.start] == c;
}

static bool is_word(const struct lexer *lx, struct token t, const char *w)
{
	size_t len = strlen(w);
	return t.kind == T_IDENT && t.end - t.start == len && memcmp(lx->s + t.start, w, len) == 0;
}

/* After a '#': "[test]" or "[cfg(test)]", exactly; anything else is kept. */
static bool test_attribute(struct lexer *lx)
{
	if (!is_punct(lx, next_token(lx), '['))
		return false;
	struct token t = next_token(lx);
	if (is_word(lx, t, "test"))
		return is_punct(lx, next_token(lx), ']');
	return is_word(lx, t, "cfg") && is_punct(lx, next_token(lx), '(') &&
	       is_word(lx, next_token(lx), "test") && is_punct(lx, next_token(lx), ')') &&
	       is_punct(lx, next_token(lx), ']');
}

/*
 * Where the item after a test attribute ends: at a ';' or ',' outside
 * brackets, or the '}' that closes its body, both included; before a
 * closing bracket of what encloses it (a tail expression, a last match arm).
 */
static size_t item_end(struct lexer *lx)
{
	size_t depth = 0;

	for (;;) {
		struct token t = next_token(lx);
		if (t.kind == T_EOF)
			return t.start;
		if (t.kind != T_PUNCT)
			continue;
		char c = lx->s[t.start];
		if (c == '(' || c == '[' || c == '{') {
			depth++;
		} else if (c == ')' || c == ']' || c == '}') {
			if (depth == 0) {
				lx->pos = t.start;
				return t.start;
			}
			if (--depth == 0 && c == '}')
				return t.end;
		} else if ((c == ';' || c == ',') && depth == 0) {
			return t.end;
		}
	}
}

size_t rust_code_without_tests(const char *text, size_t len, struct strbuf *out)
{
	struct lexer lx = { text, len, 0, 0 };
	size_t copied = 0, left_out = 0;

	for (;;) {
		struct token t = next_token(&lx);
		if (t.kind == T_EOF)
			break;
		if (!is_punct(&lx, t, '#'))
			continue;
		struct lexer saved = lx;
		if (!test_attribute(&lx)) {
			lx = saved;
			continue;
		}
		/* The whitespace before it goes too: a test module added leaves the file as it was. */
		size_t from = t.gap > copied ? t.gap : copied;
		size_t end = item_end(&lx);
		sb_add(out, text + copied, from - copied);
		copied = end;
		left_out++;
	}
	sb_add(out, text + copied, len - copied);
	return left_out;
}
