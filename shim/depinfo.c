/*
 * depinfo.c - extends rustc's dep-info with our own dependencies.
 * Escaping follows rustc: spaces in paths become "\ "; env-dep values
 * escape '\\', '\n' and '\r', which is what cargo unescapes.
 */
#include "depinfo.h"
#include "util.h"

#include <errno.h>
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
	if (len && line[0] == '#')
		return false;
	for (size_t i = 0; i + 1 < len; i++)
		if (line[i] == ':' && line[i + 1] == ' ')
			return true;
	return false;
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

int depinfo_append(const char *path, const struct strvec *files,
		   const struct strvec *env_names, struct strbuf *err)
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
	if (!tail.len) {
		rc = 0;
		goto out;
	}
	for (const char *p = sb_str(&old); *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		sb_add(&out, p, len);
		if (is_rule_line(p, len))
			sb_add(&out, sb_str(&escaped), escaped.len);
		sb_addch(&out, '\n');
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
