/*
 * dirlist.c - directory listings: a dir's entries sorted and filtered, and the bytes a tree holds.
 */
#include "base/dirlist.h"
#include "base/path.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void list_dir(const char *dir, const char *suffix, struct strvec *out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t start = out->n, slen = strlen(suffix);

	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp.") || len < slen ||
		    strcmp(e->d_name + len - slen, suffix) != 0)
			continue;
		sv_pushf(out, "%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (out->n > start)
		qsort(out->v + start, out->n - start, sizeof(*out->v), by_string);
}

size_t count_files(const char *dir, const char *suffix)
{
	struct strvec files = STRVEC_INIT;
	list_dir(dir, suffix, &files);
	size_t n = files.n;
	sv_release(&files);
	return n;
}

long long tree_bytes(const char *path)
{
	struct stat st;
	long long total = 0;

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return (long long)st.st_size;
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		struct strbuf child = STRBUF_INIT;
		path_join(&child, path, e->d_name);
		total += tree_bytes(child.buf);
		sb_release(&child);
	}
	if (d)
		closedir(d);
	return total;
}

bool first_link_below(const char *dir, int depth, struct strbuf *found)
{
	DIR *d = opendir(dir);
	bool hit = false;

	for (struct dirent *e; d && !hit && (e = readdir(d));) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		struct strbuf child = STRBUF_INIT;
		struct stat st;
		path_join(&child, dir, e->d_name);
		unsigned char type = e->d_type;
		if (type == DT_UNKNOWN)
			type = lstat(child.buf, &st) != 0 ? DT_REG : S_ISLNK(st.st_mode) ? DT_LNK
							     : S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
		if (type == DT_LNK) {
			sb_adds(found, child.buf);
			hit = true;
		} else if (type == DT_DIR && depth > 1) {
			hit = first_link_below(child.buf, depth - 1, found);
		}
		sb_release(&child);
	}
	if (d)
		closedir(d);
	return hit;
}

bool is_real_dir(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
