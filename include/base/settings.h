/*
 * settings.h - the tool's settings: every CARGO_PGO_WRAP_* variable, read
 * through one table that knows its type, default, validation and doc.
 */
#ifndef PGOW_SETTINGS_H
#define PGOW_SETTINGS_H

/* getenv() that treats an empty value as unset. */
const char *env_get(const char *name);

#endif
