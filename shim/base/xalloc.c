/*
 * xalloc.c - allocation that cannot fail: out of memory is one line and exit 70.
 */
#include "base/xalloc.h"
#include "base/message.h"

#include <string.h>
#include <unistd.h>
#include <stdlib.h>

static void *check_alloc(void *p)
{
	if (!p) {
		static const char msg[] = "cargo-pgo-wrap: error: out of memory\n";
		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
		_exit(PGOW_EXIT_INTERNAL);
	}
	return p;
}

void *xmalloc(size_t n)
{
	return check_alloc(malloc(n ? n : 1));
}

void *xcalloc(size_t n, size_t size)
{
	return check_alloc(calloc(n ? n : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t n)
{
	return check_alloc(realloc(p, n ? n : 1));
}

char *xstrdup(const char *s)
{
	return check_alloc(strdup(s));
}

char *xstrndup(const char *s, size_t n)
{
	return check_alloc(strndup(s, n));
}
