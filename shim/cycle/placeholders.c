/*
 * placeholders.c - the placeholders of training commands ({bin:NAME},
 * {workspace}, {target_dir}, {profile_dir}, {{ and }}): checked when
 * pgo-wrap.yaml is read, expanded when a run starts; under shell: each
 * value is single-quoted, so no path is ever pasted into a shell unquoted.
 */
#include "cycle/placeholders.h"
#include "base/path.h"

#include <string.h>

/* One placeholder between braces; NULL when the name is unknown. */
static const char *placeholder_value(const char *name, size_t len, const struct placeholder_values *p)
{
	if (len == 9 && strncmp(name, "workspace", 9) == 0)
		return p->workspace;
	if (len == 10 && strncmp(name, "target_dir", 10) == 0)
		return p->target_dir;
	if (len == 11 && strncmp(name, "profile_dir", 11) == 0)
		return p->profile_dir;
	return NULL;
}

/*
 * Walks arg's placeholders: {{ and }} are braces, {name} is handed to
 * on_name (which appends its value), other text is copied. -1 with err on
 * an unclosed brace or when on_name fails.
 */
typedef int (*placeholder_fn)(const char *name, size_t len, struct strbuf *out, void *ctx,
			      struct strbuf *err);

static int walk_placeholders(const char *arg, placeholder_fn on_name, void *ctx, struct strbuf *out,
			     struct strbuf *err)
{
	for (const char *s = arg; *s; s++) {
		if ((s[0] == '{' && s[1] == '{') || (s[0] == '}' && s[1] == '}')) {
			sb_addch(out, *s++);
		} else if (*s == '}') {
			sb_addf(err, "a lone '}' in \"%s\"; write }} for a literal brace", arg);
			return -1;
		} else if (*s == '{') {
			const char *close = strchr(s + 1, '}');
			const char *nested = strchr(s + 1, '{');
			if (!close || (nested && nested < close)) {
				sb_addf(err, "unclosed '{' in \"%s\"; write {{ for a literal brace", arg);
				return -1;
			}
			if (on_name(s + 1, (size_t)(close - s - 1), out, ctx, err) != 0)
				return -1;
			s = close;
		} else {
			sb_addch(out, *s);
		}
	}
	return 0;
}

static bool is_bin(const char *name, size_t len)
{
	return len > 4 && strncmp(name, "bin:", 4) == 0;
}

static int check_name(const char *name, size_t len, struct strbuf *out, void *ctx, struct strbuf *err)
{
	struct strvec *bins = ctx;
	static const struct placeholder_values known = { "", "", "", "" };
	(void)out;
	if (is_bin(name, len)) {
		if (bins)
			sv_pushf(bins, "%.*s", (int)(len - 4), name + 4);
		return 0;
	}
	if (placeholder_value(name, len, &known))
		return 0;
	sb_addf(err, "unknown placeholder {%.*s}; use {bin:NAME}, {workspace}, {target_dir}, "
		"{profile_dir}, or {{ and }} for literal braces", (int)len, name);
	return -1;
}

int placeholder_check(const char *arg, struct strvec *bins, struct strbuf *err)
{
	struct strbuf ignored = STRBUF_INIT;
	int rc = walk_placeholders(arg, check_name, bins, &ignored, err);
	sb_release(&ignored);
	return rc;
}

struct expand_ctx {
	const struct placeholder_values *p;
	bool shell;
};

static int expand_name(const char *name, size_t len, struct strbuf *out, void *ctxp, struct strbuf *err)
{
	const struct expand_ctx *ctx = ctxp;
	struct strbuf value = STRBUF_INIT;

	if (is_bin(name, len)) {
		sb_addf(&value, "%s/%.*s", ctx->p->bin_dir, (int)(len - 4), name + 4);
		if (!is_executable_file(value.buf)) {
			sb_addf(err, "{bin:%.*s}: %s was not built; build it (e.g. --bin %.*s) or fix the name",
				(int)(len - 4), name + 4, value.buf, (int)(len - 4), name + 4);
			sb_release(&value);
			return -1;
		}
	} else {
		const char *v = placeholder_value(name, len, ctx->p);
		if (!v)
			return check_name(name, len, out, NULL, err);
		sb_adds(&value, v);
	}
	if (ctx->shell)
		sb_add_shell_quoted(out, value.buf);
	else
		sb_adds(out, value.buf);
	sb_release(&value);
	return 0;
}

int placeholder_expand(const char *arg, const struct placeholder_values *p, bool shell, struct strbuf *out,
		       struct strbuf *err)
{
	struct expand_ctx ctx = { p, shell };
	return walk_placeholders(arg, expand_name, &ctx, out, err);
}
