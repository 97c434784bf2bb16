/*
 * rustcode.c - Rust source as content keys read it (see
 * include/formats/rustcode.h): its test-only items found and left out, and
 * its code without comments or layout. Not a parser: it knows tokens (so that
 * a brace in a string or a comment is not one), brackets, and where an item
 * ends. Where it cannot tell, it leaves text in: a key that changes when it
 * need not costs a refresh; one that does not change when it should would
 * hide a stale profile.
 */
#include "formats/rustcode.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/*
 * Every byte of every .rs file of a build's first key passes here: the
 * helpers asked once per token or byte are inlined, as a call costs about
 * what they do.
 */
#if defined(__GNUC__)
#define HOT static inline __attribute__((always_inline))
#else
#define HOT static inline
#endif

enum tok { T_EOF, T_IDENT, T_LIT, T_LIFETIME, T_PUNCT };

struct token {
	enum tok kind;
	size_t start, end;
	size_t after; /* where the token before it ended: comments and spaces lie between */
};

struct lexer {
	const char *s;
	size_t n, pos;
	size_t token_end; /* where the last token ended */
};

/* Every byte of a file with tests is classed: one table look-up each. */
enum { C_SPACE = 1, C_START = 2, C_IDENT = 4 };
static unsigned char classes[256];
static pthread_once_t classes_once = PTHREAD_ONCE_INIT;

static void fill_classes(void)
{
	for (int c = 0; c < 256; c++) {
		bool start = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
		bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
		classes[c] = (unsigned char)((space ? C_SPACE : 0) | (start ? C_START | C_IDENT : 0) |
					     (c >= '0' && c <= '9' ? C_IDENT : 0));
	}
}

HOT bool is_space(char c)
{
	return classes[(unsigned char)c] & C_SPACE;
}

HOT bool is_ident_start(unsigned char c)
{
	return classes[c] & C_START;
}

HOT bool is_ident_char(unsigned char c)
{
	return classes[c] & C_IDENT;
}

HOT bool at(const struct lexer *lx, size_t i, char c)
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
	const char *s = lx->s;

	while (lx->pos < lx->n) {
		char c = s[lx->pos];
		if (is_space(c)) {
			lx->pos++;
		} else if (c == '/' && at(lx, lx->pos + 1, '/')) {
			const char *nl = memchr(s + lx->pos, '\n', lx->n - lx->pos);
			lx->pos = nl ? (size_t)(nl - s) : lx->n;
		} else if (c == '/' && at(lx, lx->pos + 1, '*')) {
			skip_block_comment(lx);
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

/* The length of the character at s[i]: a lead byte's, when the bytes after it continue it (else 1). */
static size_t utf8_length(const struct lexer *lx, size_t i)
{
	unsigned char c = (unsigned char)lx->s[i];
	size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;

	for (size_t k = 1; k < len; k++)
		if (i + k >= lx->n || ((unsigned char)lx->s[i + k] & 0xc0) != 0x80)
			return 1;
	return len;
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
		size_t len = utf8_length(lx, i);
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

HOT void number_token(struct lexer *lx)
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

/*
 * The token at lx->pos, where no space or comment is. Identifiers and
 * punctuation, nearly every byte, are read here with the position in a
 * local; literals are left to the functions above.
 */
HOT struct token token_here(struct lexer *lx)
{
	const char *s = lx->s;
	size_t n = lx->n, pos = lx->pos;
	struct token t;

	t.after = lx->token_end;
	t.start = pos;
	if (pos >= n) {
		t.kind = T_EOF;
	} else if (is_ident_start((unsigned char)s[pos])) {
		while (++pos < n && is_ident_char((unsigned char)s[pos]))
			;
		t.kind = T_IDENT;
		/* A literal an identifier prefixes (r"", br#""#, c"", b'x') or r#raw. */
		if (pos - t.start <= 2 && pos < n && (s[pos] == '"' || s[pos] == '#' || s[pos] == '\'')) {
			lx->pos = t.start;
			t.kind = word_token(lx);
			pos = lx->pos;
		}
	} else if (s[pos] == '"' || s[pos] == '\'' || (s[pos] >= '0' && s[pos] <= '9')) {
		char c = s[pos];
		lx->pos = pos;
		if (c == '\'') {
			t.kind = quote_token(lx);
		} else {
			if (c == '"')
				skip_quoted(lx, '"');
			else
				number_token(lx);
			t.kind = T_LIT;
		}
		pos = lx->pos;
	} else {
		pos++;
		t.kind = T_PUNCT;
	}
	/* A literal's suffix is part of it: `"s"r#"a"#` is "s" with suffix r, and no raw string. */
	if (t.kind == T_LIT)
		while (pos < n && is_ident_char((unsigned char)s[pos]))
			pos++;
	lx->pos = pos;
	t.end = pos;
	if (t.kind != T_EOF)
		lx->token_end = pos;
	return t;
}

/* The next token, past spaces and comments: spaces inline, a comment (rarer) by skip_trivia. */
HOT struct token next_token(struct lexer *lx)
{
	const char *s = lx->s;
	size_t n = lx->n, pos = lx->pos;

	while (pos < n && is_space(s[pos]))
		pos++;
	lx->pos = pos;
	if (pos + 1 < n && s[pos] == '/' && (s[pos + 1] == '/' || s[pos + 1] == '*'))
		skip_trivia(lx);
	return token_here(lx);
}

HOT bool is_punct(const struct lexer *lx, struct token t, char c)
{
	return t.kind == T_PUNCT && lx->s[t.start] == c;
}

/* Asked of most tokens: the kind and the first letter rule out nearly all before any length is taken. */
HOT bool is_word(const struct lexer *lx, struct token t, const char *w)
{
	if (t.kind != T_IDENT || lx->s[t.start] != w[0])
		return false;
	size_t len = strlen(w);
	return t.end - t.start == len && memcmp(lx->s + t.start, w, len) == 0;
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

HOT bool is_open(char c)
{
	return c == '(' || c == '[' || c == '{';
}

HOT bool is_close(char c)
{
	return c == ')' || c == ']' || c == '}';
}

/* After a '#': "[...]", an outer attribute of any kind (its brackets balanced). */
static bool outer_attribute(struct lexer *lx)
{
	size_t depth = 0;

	if (!is_punct(lx, next_token(lx), '['))
		return false;
	for (depth = 1;;) {
		struct token t = next_token(lx);
		if (t.kind == T_EOF)
			return false;
		if (t.kind == T_PUNCT && is_open(lx->s[t.start]))
			depth++;
		else if (t.kind == T_PUNCT && is_close(lx->s[t.start]) && --depth == 0)
			return true;
	}
}

struct item {
	size_t end;      /* where its text ends */
	bool tail;       /* it ran up to the bracket that closes what encloses it */
	char closer;     /* that bracket */
	bool unsure;     /* it may not be an item at all: leave it in */
};

/*
 * Whether the text ahead starts an item (fn f, mod m, impl, ...), not a field,
 * a variant, an arm or a statement: its signature's commas (`Result<(), E>`,
 * `where A: X, B: Y`) are then no end. A keyword alone is not enough: `fn()`
 * is a type and `union` a name, and a field of either kind would run on into
 * the fields after it. Looks ahead on a copy of the lexer.
 */
static bool starts_an_item(struct lexer ahead)
{
	struct token t = next_token(&ahead);

	while (is_punct(&ahead, t, '#')) { /* more attributes: #[test] #[ignore] fn */
		struct lexer at_hash = ahead;
		if (!outer_attribute(&ahead)) {
			ahead = at_hash;
			break;
		}
		t = next_token(&ahead);
	}
	if (is_word(&ahead, t, "pub")) {
		t = next_token(&ahead);
		if (is_punct(&ahead, t, '(')) {
			while (t.kind != T_EOF && !is_punct(&ahead, t, ')'))
				t = next_token(&ahead);
			t = next_token(&ahead);
		}
	}
	while (is_word(&ahead, t, "async") || is_word(&ahead, t, "unsafe") || is_word(&ahead, t, "extern") ||
	       is_word(&ahead, t, "default") || t.kind == T_LIT)
		t = next_token(&ahead);
	if (is_word(&ahead, t, "impl") || is_word(&ahead, t, "use"))
		return true;
	if (is_word(&ahead, t, "macro_rules"))
		return is_punct(&ahead, next_token(&ahead), '!');
	static const char *const named[] = { "fn", "mod", "struct", "enum", "trait", "union", "type", "static",
					     "const", NULL };
	for (const char *const *w = named; *w; w++)
		if (is_word(&ahead, t, *w)) {
			struct token name = next_token(&ahead);
			/* const _: T = ..; const fn; static mut X */
			return name.kind == T_IDENT || is_punct(&ahead, name, '_');
		}
	return false;
}

/*
 * Where the item after a test attribute ends: at a ';' outside brackets (a
 * ',' too, unless it is an item), or the '}' that closes its body, both
 * included; or at its last token before a closing bracket of what encloses it
 * (a tail expression, a last field or match arm). A '>' or '|' it does not
 * open itself, or a '|' not in an or-pattern, means the attribute was on a
 * generic or closure parameter, whose list would run on into the body:
 * unsure. in_list: it follows a ',' or '(', where no item can be.
 */
static struct item item_end(struct lexer *lx, bool in_list)
{
	struct item it = { 0, false, 0, false };
	size_t depth = 0, angles = 0, last = lx->token_end;
	bool item = starts_an_item(*lx) && !in_list, pipe = false;

	for (;; last = lx->token_end) {
		struct token t = next_token(lx);
		if (t.kind == T_EOF) {
			it.end = last;
			break;
		}
		char c = lx->s[t.start];
		if (t.kind != T_PUNCT) {
			continue;
		} else if (is_open(c)) {
			depth++;
		} else if (is_close(c) && depth == 0) {
			lx->pos = t.start; /* the enclosing list's: scanned again */
			lx->token_end = last;
			it.end = last;
			it.tail = true;
			it.closer = c;
			break;
		} else if (is_close(c)) {
			if (--depth == 0 && c == '}') {
				it.end = t.end;
				break;
			}
		} else if ((c == ';' || (c == ',' && !item)) && depth == 0) {
			it.end = t.end;
			break;
		} else if (depth == 0 && c == '<') {
			angles++;
		} else if (depth == 0 && c == '>' && t.start > 0 && lx->s[t.start - 1] != '-' && lx->s[t.start - 1] != '=') {
			if (angles == 0)
				it.unsure = true;
			else
				angles--;
		} else if (depth == 0 && c == '|') {
			pipe = true;
		} else if (depth == 0 && c == '=' && t.end < lx->n && lx->s[t.end] == '>') {
			pipe = false; /* an or-pattern's, `A | B =>` */
		}
	}
	/* A '|' not an or-pattern's may close closure parameters: `|a, #[cfg(test)] b| a | 1`. */
	if (pipe)
		it.unsure = true;
	return it;
}

static bool is_punct_char(char c)
{
	return !is_ident_char((unsigned char)c) && !is_space(c) && !is_open(c) && !is_close(c) && c != '"' && c != '\'';
}

/* Text that would run together where the item was: "a" "b" into "ab", "-" ">" into "->". */
static bool joins(const char *text, size_t len, size_t from, size_t end)
{
	if (from == 0 || end >= len)
		return false;
	char a = text[from - 1], b = text[end];
	return (is_ident_char((unsigned char)a) && is_ident_char((unsigned char)b)) ||
	       (is_punct_char(a) && is_punct_char(b));
}

/*
 * Where the text a test item leaves out starts, or SIZE_MAX to leave it in.
 * The comments and whitespace before its attributes go with it (a test module
 * added leaves the file as it was); so does the ',' before a last field or
 * arm in braces (`pos: 0, #[cfg(test)] trace: t }` reads as `pos: 0 }`).
 */
static size_t item_start(const char *text, size_t len, const struct lexer *lx, struct token before,
			 size_t after, size_t first, const struct item *it)
{
	if (it->unsure || is_punct(lx, before, '<') || is_punct(lx, before, '|') || is_word(lx, before, "where"))
		return SIZE_MAX;
	size_t from = after;
	if (it->tail && it->closer == '}' && is_punct(lx, before, ',') && it->end < len && is_space(text[it->end]))
		from = before.start;
	if (joins(text, len, from, it->end))
		from = first;
	return joins(text, len, from, it->end) ? SIZE_MAX : from;
}

/*
 * Both test attributes are a '#' with "test" soon after: a file without one is
 * passed over at memchr's speed. An attribute spread wider (a long comment
 * inside it) is not looked for, which only leaves its item in.
 */
#define ATTRIBUTE_SPAN 48

static bool mentions_test(const char *text, size_t len)
{
	for (const char *p = text, *end = text + len; p < end; p++) {
		p = memchr(p, '#', (size_t)(end - p));
		if (!p)
			return false;
		size_t span = (size_t)(end - p) < ATTRIBUTE_SPAN ? (size_t)(end - p) : ATTRIBUTE_SPAN;
		for (size_t i = 0; i + 4 <= span; i++)
			if (p[i] == 't' && memcmp(p + i, "test", 4) == 0)
				return true;
	}
	return false;
}

/* The token tree of a macro call or macro_rules! is tokens, not items: `m!(#[test] fn f() {})`. */
struct macro_trees {
	size_t depth;     /* brackets open */
	size_t inside;    /* depth + 1 where the outermost macro tree opened, or 0 */
	bool bang;        /* `name!` (or `macro_rules! name`) just read */
	bool rules;       /* `macro_rules!` just read: its name comes before the tree */
};

HOT void follow_brackets(struct macro_trees *m, const struct lexer *lx, struct token prev, struct token t)
{
	char c = t.kind == T_PUNCT ? lx->s[t.start] : 0;

	if (c && is_open(c)) {
		if (m->bang && !m->inside)
			m->inside = m->depth + 1;
		m->depth++;
	} else if (c && is_close(c) && m->depth) {
		if (m->inside == m->depth)
			m->inside = 0;
		m->depth--;
	}
	/*
	 * `if !x {` is no macro: only macro_rules! (and nightly's `macro`, a
	 * keyword) puts a name between the '!' and the tree.
	 */
	bool name = m->rules && t.kind == T_IDENT && (is_punct(lx, prev, '!') || is_word(lx, prev, "macro"));
	m->rules = (c == '!' && is_word(lx, prev, "macro_rules")) || is_word(lx, t, "macro");
	m->bang = (c == '!' && prev.kind == T_IDENT) || name;
}

/* Doc comments are code: they are #[doc] attributes, and macros read them (clap's help). */
HOT bool doc_comment_at(const char *s, size_t n, size_t i)
{
	if (i + 2 >= n || s[i] != '/')
		return false;
	bool fourth = i + 3 < n;
	if (s[i + 1] == '/') /* ///, //!, not //// */
		return s[i + 2] == '!' || (s[i + 2] == '/' && !(fourth && s[i + 3] == '/'));
	if (s[i + 1] == '*') /* slash-star-star, slash-star-bang; not three stars, nor an empty comment */
		return s[i + 2] == '!' || (s[i + 2] == '*' && !(fourth && (s[i + 3] == '*' || s[i + 3] == '/')));
	return false;
}

/*
 * Spaces and plain comments up to the next token or doc comment: whether
 * there were any. Called for every token, mostly to find no gap at all.
 */
HOT bool skip_gap(struct lexer *lx)
{
	const char *s = lx->s;
	size_t n = lx->n, start = lx->pos, pos = start;

	for (;;) {
		while (pos < n && is_space(s[pos]))
			pos++;
		if (pos + 1 >= n || s[pos] != '/' || (s[pos + 1] != '/' && s[pos + 1] != '*') ||
		    doc_comment_at(s, n, pos))
			break;
		if (s[pos + 1] == '/') {
			const char *nl = memchr(s + pos, '\n', n - pos);
			pos = nl ? (size_t)(nl - s) : n;
		} else {
			lx->pos = pos;
			skip_block_comment(lx);
			pos = lx->pos;
		}
	}
	lx->pos = pos;
	return pos > start;
}

/* `#!` with no `[` after it (spaces and plain comments between, as rustc reads them). */
static bool shebang_at(const struct lexer *lx, size_t start)
{
	if (!at(lx, start, '#') || !at(lx, start + 1, '!'))
		return false;
	struct lexer ahead = *lx;
	ahead.pos = start + 2;
	skip_gap(&ahead);
	return !at(&ahead, ahead.pos, '[');
}

/* Past a byte-order mark and a shebang line, which rustc skips at a file's start: where Rust starts. */
static size_t rust_start(const struct lexer *lx, size_t from)
{
	size_t start = lx->n - from >= 3 && memcmp(lx->s + from, "\xef\xbb\xbf", 3) == 0 ? from + 3 : from;

	if (!shebang_at(lx, start))
		return start;
	const char *nl = memchr(lx->s + start, '\n', lx->n - start);
	return nl ? (size_t)(nl - lx->s) + 1 : lx->n;
}

size_t rust_code_without_tests(const char *text, size_t len, struct strbuf *out)
{
	struct lexer lx = { text, len, 0, 0 };
	struct macro_trees macros = { 0, 0, false, false };
	struct token prev = { T_EOF, 0, 0, 0 }, run_before = prev;
	size_t copied = 0, left_out = 0, run_after = SIZE_MAX, run_first = 0;

	if (!mentions_test(text, len)) {
		sb_add(out, text, len);
		return 0;
	}
	pthread_once(&classes_once, fill_classes);
	lx.pos = lx.token_end = rust_start(&lx, 0);
	for (;;) {
		struct token t = next_token(&lx);
		if (t.kind == T_EOF)
			break;
		follow_brackets(&macros, &lx, prev, t);
		if (!is_punct(&lx, t, '#') || macros.inside) {
			prev = t;
			run_after = SIZE_MAX;
			continue;
		}
		/* A run of outer attributes: a test attribute anywhere in it takes the item, all of them too. */
		if (run_after == SIZE_MAX) {
			run_after = t.after;
			run_before = prev;
			run_first = t.start;
		}
		struct lexer saved = lx;
		if (test_attribute(&lx)) {
			bool in_list = is_punct(&lx, run_before, ',') || is_punct(&lx, run_before, '(');
			struct item it = item_end(&lx, in_list);
			size_t from = item_start(text, len, &lx, run_before, run_after, run_first, &it);
			if (from != SIZE_MAX && from >= copied) {
				sb_add(out, text + copied, from - copied);
				copied = it.end;
				left_out++;
			}
			prev.kind = T_EOF;
			run_after = SIZE_MAX;
			continue;
		}
		lx = saved;
		if (!outer_attribute(&lx)) {
			lx = saved;
			prev = t;
			run_after = SIZE_MAX;
			continue;
		}
		prev.kind = T_PUNCT;
		prev.start = lx.token_end - 1; /* the attribute's ']' */
		prev.end = lx.token_end;
	}
	sb_add(out, text + copied, len - copied);
	return left_out;
}

/* How a token's edge can run into its neighbour's: words into words, punctuation into punctuation. */
enum edge { E_NONE, E_WORD, E_PUNCT };

HOT enum edge edge_of(enum tok kind, char c)
{
	if (kind == T_EOF)
		return E_NONE;
	if (kind != T_PUNCT)
		return E_WORD;
	/* Brackets, ',' and ';' join nothing: no operator holds one. */
	return is_open(c) || is_close(c) || c == ',' || c == ';' ? E_NONE : E_PUNCT;
}

HOT bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Whether the space between two tokens is code: taken away, the two would
 * read as one token (two words; a literal and its suffix or prefix; r #x and
 * r#x; 1 .5 and 1.5; 1. x and 1.x) or as one operator (`& &` is not `&&`). Everywhere else
 * (`x + 1`, `f(a, b)`, a chain broken over lines) it is layout.
 */
static bool space_is_code(const char *s, struct token before, struct token a, struct token b)
{
	/* `1. x` is the float 1. and a name, `1.x` a field of 1. */
	if (a.kind == T_PUNCT && s[a.start] == '.' && before.kind == T_LIT && before.end == a.start &&
	    is_digit(s[before.start]))
		return true;
	enum edge ea = edge_of(a.kind, a.kind == T_EOF ? 0 : s[a.end - 1]);
	enum edge eb = edge_of(b.kind, s[b.start]);

	if (ea == E_NONE || eb == E_NONE)
		return false;
	if (ea == eb)
		return true;
	char pa = a.kind == T_PUNCT ? s[a.start] : 0, pb = b.kind == T_PUNCT ? s[b.start] : 0;
	return pa == '#' || pb == '#' || (pa == '.' && is_digit(s[b.start])) ||
	       (pb == '.' && is_digit(s[a.start]));
}

/*
 * Brackets open, innermost last, for the trailing comma rustfmt adds when it
 * breaks a list: how many commas each holds so far (2 for more), and whether
 * it holds a call's arguments.
 */
struct groups {
	struct strbuf open;
	bool after_tokens; /* the last token closed a macro's tree: `macro m($a:expr) { … }` */
};

#define G_COMMAS 3  /* commas so far, 2 for more */
#define G_CALL 4    /* a call's arguments */
#define G_TOKENS 8  /* a macro's or an attribute's tokens, which a macro reads as they are */
#define G_UNSURE 16 /* a '<' or '|' at its level: `(Map<K, V>,)` and `(|a, b| a,)` hold one comma */

/* Rust's keywords: `return (a,)` and `mut (a,)` are tuples, `f(a,)` a call. */
static bool is_keyword(const struct lexer *lx, struct token t)
{
	/* By first letter, as every '(' after a name asks; Self is the one capital. */
	static const char *const by_letter[26] = {
		['a' - 'a'] = "as async await", ['b' - 'a'] = "box break", ['c' - 'a'] = "const continue crate",
		['d' - 'a'] = "do dyn", ['e' - 'a'] = "else enum extern", ['f' - 'a'] = "false fn for",
		['g' - 'a'] = "gen", ['i' - 'a'] = "if impl in", ['l' - 'a'] = "let loop",
		['m' - 'a'] = "match macro mod move mut", ['p' - 'a'] = "pub", ['r' - 'a'] = "ref return",
		['s' - 'a'] = "self static struct super", ['t' - 'a'] = "trait true try type",
		['u' - 'a'] = "union unsafe use", ['w' - 'a'] = "where while", ['y' - 'a'] = "yeet yield",
	};
	const char *w = lx->s + t.start;
	size_t len = t.end - t.start;

	if (t.kind != T_IDENT || len > 8) /* none is longer */
		return false;
	if (w[0] == 'S')
		return len == 4 && memcmp(w, "Self", 4) == 0;
	if (w[0] < 'a' || w[0] > 'z' || !by_letter[w[0] - 'a'])
		return false;
	for (const char *k = by_letter[w[0] - 'a']; *k;) {
		size_t klen = strcspn(k, " ");
		if (klen == len && memcmp(k, w, len) == 0)
			return true;
		k += klen + (k[klen] == ' ');
	}
	return false;
}

/*
 * A '(' after a name opens a call's arguments (or a tuple struct's fields).
 * Not after a ')': `pub(crate) (u8,)` is a tuple field.
 */
static bool opens_a_call(const struct lexer *lx, struct token prev)
{
	return prev.kind == T_IDENT && !is_keyword(lx, prev);
}

/* in_macro: the bracket t opens is a macro's token tree (macro_trees says). */
static void groups_follow(struct groups *g, const struct lexer *lx, struct token before, struct token prev,
			  struct token t, bool in_macro)
{
	if (t.kind != T_PUNCT) {
		g->after_tokens = false;
		return;
	}
	char c = lx->s[t.start];
	char *top = g->open.len ? &g->open.buf[g->open.len - 1] : NULL;

	if (is_open(c)) {
		bool attribute = c == '[' && (is_punct(lx, prev, '#') ||
					      (is_punct(lx, prev, '!') && is_punct(lx, before, '#')));
		bool tokens = in_macro || attribute || g->after_tokens || (top && (*top & G_TOKENS));
		sb_addch(&g->open, (char)((tokens ? G_TOKENS : 0) | (c == '(' && opens_a_call(lx, prev) ? G_CALL : 0)));
		g->after_tokens = false;
		return;
	}
	g->after_tokens = is_close(c) && top && (*top & G_TOKENS);
	if (is_close(c) && top) {
		sb_setlen(&g->open, g->open.len - 1);
	} else if (c == ',' && top && (*top & G_COMMAS) < 2) {
		(*top)++;
	} else if ((c == '<' || c == '|') && top) {
		*top |= G_UNSURE;
	}
}

/*
 * Whether the ',' before the closing bracket t is only layout: in an array,
 * braces, a call's arguments it is; `(a,)` is a tuple where `(a)` is not, so
 * in other parentheses only after another comma. Never in a macro's or an
 * attribute's tokens: a macro_rules! arm may match `a,` and not `a`.
 */
static bool trailing_comma_is_layout(const struct groups *g, const struct lexer *lx, struct token before,
				     struct token prev, struct token t)
{
	/* `,,)` is no list rustfmt wrote: left as it is. */
	if (t.kind != T_PUNCT || !is_close(lx->s[t.start]) || !is_punct(lx, prev, ',') || is_punct(lx, before, ',') ||
	    !g->open.len)
		return false;
	char top = g->open.buf[g->open.len - 1];
	if (top & G_TOKENS)
		return false;
	return lx->s[t.start] != ')' || (top & G_CALL) || ((top & G_COMMAS) >= 2 && !(top & G_UNSURE));
}

/* U+0085, U+200E, U+200F, U+2028, U+2029: Rust's whitespace, which the lexer reads as identifier text. */
static bool has_unicode_space(const char *text, size_t len)
{
	for (const char *p = text, *end = text + len; (p = memchr(p, 0xe2, (size_t)(end - p))); p++)
		if (end - p >= 3 && (unsigned char)p[1] == 0x80 &&
		    ((unsigned char)p[2] == 0x8e || (unsigned char)p[2] == 0x8f || (unsigned char)p[2] == 0xa8 ||
		     (unsigned char)p[2] == 0xa9))
			return true;
	for (const char *p = text, *end = text + len; (p = memchr(p, 0xc2, (size_t)(end - p))); p++)
		if (end - p >= 2 && (unsigned char)p[1] == 0x85)
			return true;
	return false;
}

/* A quote, or b and a quote, that opens no char literal and no lifetime. */
static bool starts_nothing(const char *s, struct token t)
{
	size_t len = t.end - t.start;
	if (t.kind == T_LIFETIME)
		return len == 1;
	return t.kind == T_LIT && len == 2 && s[t.start] == 'b' && s[t.start + 1] == '\'';
}

/*
 * Text taken as it is, [from, to), appended in one piece when a gap or a left-out
 * comma ends it: tokens mostly follow one another, and one append each cost a
 * fifth of the time.
 */
struct run {
	size_t from, to;
};

/*
 * The code is never longer than the text and the '\n' after a doc comment
 * on the last line (a space or '\n' is written only for a gap it stands
 * for), so out is grown once, before; these append within what it has.
 */
HOT void add_reserved(struct strbuf *out, const char *p, size_t len)
{
	if (out->alloc - out->len <= len)
		sb_grow(out, len); /* not reached: the reserve holds */
	char *to = out->buf + out->len;
	/* Most runs are a token or two: a call to memcpy would cost more than the copy. */
	if (len <= 16)
		for (size_t i = 0; i < len; i++)
			to[i] = p[i];
	else
		memcpy(to, p, len);
	out->len += len;
}

HOT void add_reserved_ch(struct strbuf *out, char c)
{
	add_reserved(out, &c, 1);
}

HOT void flush_run(struct run *r, const char *text, struct strbuf *out, size_t next)
{
	add_reserved(out, text + r->from, r->to - r->from);
	r->from = r->to = next;
}

void rust_code_tokens(const char *text, size_t len, struct strbuf *out)
{
	struct lexer lx = { text, len, 0, 0 };
	struct token prev = { T_EOF, 0, 0, 0 }, before = prev;
	struct groups groups = { STRBUF_INIT, false };
	struct macro_trees macros = { 0, 0, false, false };
	bool first = true;

	pthread_once(&classes_once, fill_classes);
	/* Spaces Rust knows beyond ASCII's (U+200E, U+2028, ...): the text is kept as it is. */
	if (has_unicode_space(text, len)) {
		sb_add(out, text, len);
		return;
	}
	lx.pos = rust_start(&lx, 0);
	sb_grow(out, len + 1);
	struct run run = { 0, lx.pos };
	for (;;) {
		bool gap = skip_gap(&lx);
		if (lx.pos >= len)
			break;
		struct token t;
		bool line_doc = false;
		if (doc_comment_at(text, len, lx.pos)) {
			/* As punctuation: its '/' or '*' could join what is before or after it. */
			t.kind = T_PUNCT;
			t.start = lx.pos;
			line_doc = text[lx.pos + 1] == '/';
			if (line_doc) {
				const char *nl = memchr(text + lx.pos, '\n', len - lx.pos);
				lx.pos = nl ? (size_t)(nl - text) : len;
			} else {
				skip_block_comment(&lx);
			}
			t.end = lx.token_end = lx.pos;
		} else {
			t = token_here(&lx); /* skip_gap left no space or comment */
		}
		bool space = false;
		if (trailing_comma_is_layout(&groups, &lx, before, prev, t))
			run.to = prev.start; /* the run ends with that ',' */
		else if (gap && space_is_code(text, before, prev, t))
			space = true;
		/*
		 * Not at the start, a byte-order mark or `#!` is none: the space before
		 * it keeps it so (after the file's own mark too).
		 */
		else if (gap && first && rust_start(&lx, t.start) != t.start)
			space = true;
		first = false;
		/* A space that is code and was one space already (`let x`): the run goes on over it. */
		bool as_written = space && t.start == run.to + 1 && text[run.to] == ' ';
		if ((t.start != run.to || space) && !as_written) {
			flush_run(&run, text, out, t.start);
			if (space)
				add_reserved_ch(out, ' ');
		}
		run.to = t.end;
		follow_brackets(&macros, &lx, prev, t);
		groups_follow(&groups, &lx, before, prev, t, macros.inside != 0);
		/*
		 * A quote that starts nothing is no Rust (a file being written): the
		 * rest is kept as it is, as what a quote starts depends on the spaces.
		 */
		if (starts_nothing(text, t)) {
			run.to = len;
			break;
		}
		before = prev;
		prev = t;
		/* A line doc comment ends at its line's end: that is its text's end. */
		if (line_doc) {
			flush_run(&run, text, out, t.end);
			add_reserved_ch(out, '\n');
			prev.kind = T_EOF;
			before.kind = T_EOF;
		}
	}
	flush_run(&run, text, out, len);
	out->buf[out->len] = '\0';
	sb_release(&groups.open);
}
