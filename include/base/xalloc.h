/*
 * xalloc.h - allocation that cannot fail: out of memory is one line and
 * exit 70 (PGOW_EXIT_INTERNAL), so callers never check for NULL.
 */
#ifndef PGOW_XALLOC_H
#define PGOW_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
