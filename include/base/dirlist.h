/*
 * dirlist.h - directory listings: a dir's entries sorted and filtered, and
 * the bytes a tree holds.
 */
#ifndef PGOW_DIRLIST_H
#define PGOW_DIRLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "base/strbuf.h"

/*
 * Full paths of dir's entries ending in suffix ("" for all), sorted, without
 * dotfiles or our own in-flight temp files. A missing dir lists nothing.
 */
void list_dir(const char *dir, const char *suffix, struct strvec *out);
/* How many entries list_dir(dir, suffix) would give. */
size_t count_files(const char *dir, const char *suffix);
/* The first symbolic link below dir, depth levels deep at most (into found), or false; follows none. */
bool first_link_below(const char *dir, int depth, struct strbuf *found);
/* Whether path is a directory itself, not a link to one. */
bool is_real_dir(const char *path);
/* Bytes under path (its own size for a file), not following links. */
long long tree_bytes(const char *path);

#endif
