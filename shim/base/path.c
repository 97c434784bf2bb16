/*
 * path.c - path strings: joining, splitting, making absolute (without resolving links),
 * and the two questions asked of a path most often: does it exist, can it run.
 */
#include "base/path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool path_is_absolute(const char *p)
{
	return p && p[0] == '/';
}

void path_join(struct strbuf *out, const char *dir, const char *name)
{
	sb_adds(out, dir);
	if (out->len && out->buf[out->len - 1] != '/')
		sb_addch(out, '/');
	sb_adds(out, name);
}

void path_dirname(struct strbuf *out, const char *p)
{
	const char *slash = strrchr(p, '/');

	if (!slash)
		sb_adds(out, ".");
	else if (slash == p)
		sb_adds(out, "/");
	else
		sb_add(out, p, (size_t)(slash - p));
}

const char *path_basename(const char *p)
{
	const char *slash = strrchr(p, '/');
	return slash ? slash + 1 : p;
}

int path_absolute(struct strbuf *out, const char *p)
{
	if (path_is_absolute(p)) {
		sb_adds(out, p);
		return 0;
	}
	char *cwd = getcwd(NULL, 0);
	if (!cwd)
		return -1;
	path_join(out, cwd, p);
	free(cwd);
	return 0;
}

bool file_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

bool is_executable_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

bool path_is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/' || (n == 1 && dir[0] == '/'));
}

bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}
