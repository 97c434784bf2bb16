/*
 * settings.c - the tool's settings: every CARGO_PGO_WRAP_* variable, read
 * through one table that knows its type, default, validation and doc.
 */
#include "base/settings.h"

#include <stdlib.h>

const char *env_get(const char *name)
{
	const char *v = getenv(name);
	return (v && *v) ? v : NULL;
}
