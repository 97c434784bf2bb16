/*
 * option.h - command-line options of our own commands, the way cargo and
 * git take them: "--opt value" and "--opt=value" alike, a missing value is
 * an error that names the option.
 */
#ifndef PGOW_OPTION_H
#define PGOW_OPTION_H

#include <stdbool.h>

/*
 * Whether argv[*i] is option name (with its value in *value); advances *i
 * past a separate value. Dies (exit 2) when the value is missing.
 */
bool option_take(int argc, char **argv, int *i, const char *name, const char **value);

#endif
