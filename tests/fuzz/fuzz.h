/*
 * fuzz.h - what every harness shares: a private scratch dir, and writing an
 * input to a file there for the parsers that read files.
 */
#ifndef PGOW_FUZZ_H
#define PGOW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[64];

/* <scratch>/name with the input as its content; the path, or NULL. */
static const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
	static char path[128];
	if (!fuzz_dir[0]) {
		strcpy(fuzz_dir, "/tmp/pgow-fuzz.XXXXXX");
		if (!mkdtemp(fuzz_dir))
			abort();
	}
	snprintf(path, sizeof(path), "%s/%s", fuzz_dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	return path;
}

/* The input as a NUL-terminated string (NULs inside end it early, as in a C string). */
static char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
