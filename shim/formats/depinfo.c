/*
 * depinfo.c - extends rustc's dep-info with our own dependencies.
 * Escaping follows rustc: spaces in paths become "\ "; env-dep values
 * escape '\\', '\n' and '\r', which is what cargo unescapes.
 */
#include "formats/depinfo.h"
#include "base/atomic.h"
#include "base/path.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void add_escaped_path(struct strbuf *out, const char *p)
{
	for (; *p; p++) {
		if (*p == ' ')
			sb_addch(out, '\\');
		sb_addch(out, *p);
	}
}

/* The colon ending a rule's target (": ", not an escaped one), or NULL: not a rule line. */
static const char *rule_colon(const char *line, size_t len)
{
	if (len && line[0] == '#')
		return NULL;
	for (size_t i = 0; i + 1 < len; i++)
		if (line[i] == ':' && line[i + 1] == ' ' && (i == 0 || line[i - 1] != '\\'))
			return line + i;
	return NULL;
}

/* Runs of plain bytes are copied at once: an uplifted dep-info lists thousands of paths. */
static void each_word(const char *p, const char *end, struct strbuf *word,
		      void (*fn)(const char *word, size_t len, void *ctx), void *ctx)
{
	while (p < end) {
		const char *q = p;
		while (q < end && *q != ' ' && *q != '\\')
			q++;
		sb_add(word, p, (size_t)(q - p));
		if (q < end && *q == '\\') {
			bool space = q + 1 < end && q[1] == ' ';
			sb_addch(word, space ? ' ' : '\\');
			p = q + 1 + space;
			continue;
		}
		if (word->len)
			fn(word->buf, word->len, ctx);
		sb_reset(word);
		p = q + 1;
	}
	if (word->len) /* the line ended in a backslash */
		fn(word->buf, word->len, ctx);
}

void depinfo_each_prerequisite(const char *text, void (*fn)(const char *word, size_t len, void *ctx), void *ctx)
{
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		const char *colon = rule_colon(line, len);
		if (colon) {
			struct strbuf word = STRBUF_INIT;
			each_word(colon + 2, line + len, &word, fn, ctx);
			sb_release(&word);
			return;
		}
		line += len + (line[len] == '\n');
	}
}

static void add_escaped_env(struct strbuf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			sb_adds(out, "\\\\");
		else if (*v == '\n')
			sb_adds(out, "\\n");
		else if (*v == '\r')
			sb_adds(out, "\\r");
		else
			sb_addch(out, *v);
	}
}

/* A rule is "target: prereqs"; rustc's own "file:" lines have nothing after. */
static bool is_rule_line(const char *line, size_t len)
{
	return rule_colon(line, len) != NULL;
}

static void build_env_line(struct strbuf *out, const char *name)
{
	const char *value = getenv(name);

	sb_addf(out, "# env-dep:%s", name);
	if (value) {
		sb_addch(out, '=');
		add_escaped_env(out, value);
	}
}

static bool has_line(const char *text, const char *line)
{
	size_t len = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p += len)
		if ((p == text || p[-1] == '\n') && (p[len] == '\n' || p[len] == '\0'))
			return true;
	return false;
}

#define MARK_UNIT "# pgo-wrap:unit\t"
#define MARK_DEP "# pgo-wrap:dep\t"

static bool has_separator(const char *s)
{
	return !s || !*s || strpbrk(s, "\t\n\r") != NULL;
}

static void format_mark(const struct unit_mark *m, struct strbuf *out)
{
	const char *fields[] = { m->slot, m->crate, m->metadata, m->action, m->key, m->detail };
	if (m->crate) { /* a mark without a crate is a proc-macro's: its deps alone */
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (has_separator(fields[i]))
				return; /* unrecordable: the unit reads as built without us, and is rebuilt */
		sb_addf(out, MARK_UNIT "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", m->slot, m->crate, m->metadata,
			m->action, m->key, m->detail, m->mismatches);
	}
	for (size_t i = 0; i < m->deps.n; i++)
		if (!has_separator(m->deps.v[i]))
			sb_addf(out, MARK_DEP "%s\n", m->deps.v[i]);
}

/* A rule line's prerequisites end before a trailing continuation backslash. */
static size_t prereq_end(const char *line, size_t len)
{
	size_t end = len;
	while (end && (line[end - 1] == ' ' || line[end - 1] == '\t'))
		end--;
	return end && line[end - 1] == '\\' ? end - 1 : len;
}

int depinfo_append(const char *path, const struct strvec *files,
		   const struct strvec *env_names, const struct unit_mark *mark,
		   struct strbuf *err)
{
	struct strbuf old = STRBUF_INIT, out = STRBUF_INIT, escaped = STRBUF_INIT;
	struct strbuf tail = STRBUF_INIT, line = STRBUF_INIT;
	struct stat st;
	int rc = -1;

	if (sb_read_file(&old, path) != 0 || stat(path, &st) != 0) {
		sb_addf(err, "cannot read dep-info %s: %s", path, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < files->n; i++) {
		sb_reset(&line);
		add_escaped_path(&line, files->v[i]);
		sb_addch(&line, ':');
		if (has_line(sb_str(&old), line.buf))
			continue; /* already ours: rustc did not rewrite the file */
		sb_addch(&escaped, ' ');
		sb_add(&escaped, line.buf, line.len - 1);
		sb_addf(&tail, "%s\n", line.buf);
	}
	for (size_t i = 0; i < env_names->n; i++) {
		sb_reset(&line);
		build_env_line(&line, env_names->v[i]);
		if (!has_line(sb_str(&old), line.buf))
			sb_addf(&tail, "%s\n", line.buf);
	}
	if (mark)
		format_mark(mark, &tail);
	if (!tail.len) {
		rc = 0;
		goto out;
	}
	for (const char *p = sb_str(&old); *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		/* An earlier mark is replaced, never repeated. */
		if (strncmp(p, "# pgo-wrap:", 11) != 0) {
			size_t end = is_rule_line(p, len) ? prereq_end(p, len) : len;
			sb_add(&out, p, end);
			if (end != len || is_rule_line(p, len))
				sb_add(&out, sb_str(&escaped), escaped.len);
			if (end != len)
				sb_adds(&out, " \\");
			sb_addch(&out, '\n');
		}
		p += len + (nl ? 1 : 0);
	}
	sb_add(&out, tail.buf, tail.len);
	struct atomic_opts opts = { .mode = st.st_mode & 07777 };
	rc = write_file_atomic(path, out.buf, out.len, &opts, err);
out:
	sb_release(&old);
	sb_release(&out);
	sb_release(&escaped);
	sb_release(&tail);
	sb_release(&line);
	return rc;
}

/* The dep-info path of a dep line, or NULL. */
static const char *mark_dep(const char *line)
{
	size_t len = strlen(MARK_DEP);
	return strncmp(line, MARK_DEP, len) == 0 && line[len] && line[len] != '\n' ? line + len : NULL;
}

static void parse_mark_line(struct unit_mark *m, const char *line, int *found)
{
	struct strvec f = STRVEC_INIT;

	if (strncmp(line, MARK_UNIT, strlen(MARK_UNIT)) == 0) {
		sv_split(&f, line + strlen(MARK_UNIT), '\t');
		if (f.n == 7 && !*found) {
			char **slots[] = { &m->slot, &m->crate, &m->metadata, &m->action, &m->key, &m->detail };
			for (size_t i = 0; i < 6; i++)
				*slots[i] = xstrdup(f.v[i]);
			m->mismatches = atoi(f.v[6]);
			*found = 1;
		}
	} else if (mark_dep(line)) {
		sv_push(&m->deps, mark_dep(line));
	}
	sv_release(&f);
}

int depinfo_read_mark(const char *path, struct unit_mark *m, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	int found = 0;

	memset(m, 0, sizeof(*m));
	if (sb_read_file(&text, path) != 0) {
		sb_addf(err, "cannot read dep-info %s: %s", path, strerror(errno));
		sb_release(&text);
		return -1;
	}
	for (char *p = text.buf; p && *p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (*p == '#')
			parse_mark_line(m, p, &found);
		p = nl ? nl + 1 : NULL;
	}
	sb_release(&text);
	if (!found)
		unit_mark_release(m);
	return found;
}

void depinfo_mark_deps(const char *text, struct strvec *deps)
{
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		const char *dep = mark_dep(p);
		if (dep)
			sv_pushf(deps, "%.*s", (int)(n - (size_t)(dep - p)), dep);
		p += n + (p[n] == '\n');
	}
}

void unit_mark_release(struct unit_mark *m)
{
	free(m->slot);
	free(m->crate);
	free(m->metadata);
	free(m->action);
	free(m->key);
	free(m->detail);
	sv_release(&m->deps);
	memset(m, 0, sizeof(*m));
}

int depinfo_of_library(const char *lib, struct strbuf *out)
{
	const char *base = path_basename(lib);
	const char *dot = strrchr(base, '.');

	if (strncmp(base, "lib", 3) != 0 || !dot || dot <= base + 3)
		return -1;
	path_dirname(out, lib);
	sb_addf(out, "/%.*s.d", (int)(dot - base - 3), base + 3);
	return 0;
}
