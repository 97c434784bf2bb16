/*
 * path.h - path strings: joining, splitting, making absolute (without
 * resolving links), and whether a path exists or can be run.
 */
#ifndef PGOW_PATH_H
#define PGOW_PATH_H

#include <stdbool.h>

#include "base/strbuf.h"

bool path_is_absolute(const char *p);
void path_join(struct strbuf *out, const char *dir, const char *name);
/* Appends the directory part of p ("." when there is none). */
void path_dirname(struct strbuf *out, const char *p);
const char *path_basename(const char *p);
/* Absolute form of p against the current directory, without resolving links. */
int path_absolute(struct strbuf *out, const char *p);
bool file_exists(const char *p);
bool is_executable_file(const char *p);
/* Whether path is dir or below it, by their strings (resolve links first where they matter). */
bool path_is_under(const char *path, const char *dir);
/* Whether two paths name the same file (device and inode, through links); false when either is NULL or missing. */
bool same_file(const char *a, const char *b);

#endif
