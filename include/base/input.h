/*
 * input.h - inputs the user names (a config file, a profile to merge):
 * regular files only, opened without blocking on a FIFO or a device (a
 * pgo-wrap.yaml FIFO hung build; /dev/zero was read to 1.1 GB), and read
 * with their limit enforced while reading.
 */
#ifndef PGOW_INPUT_H
#define PGOW_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/strbuf.h"

/*
 * Opens an input for reading, without following a link when nofollow; its
 * size goes to size. -1 with "PATH: why; fix" in err.
 */
int input_open(const char *path, bool nofollow, long long *size, struct strbuf *err);
/* Reads a whole input of at most max bytes into sb. -1 with "PATH: why; fix" in err. */
int input_read(struct strbuf *sb, const char *path, size_t max, struct strbuf *err);

#endif
