/*
 * option.c - "--opt value" / "--opt=value" for our commands (see include/base/option.h).
 */
#include "base/option.h"
#include "base/message.h"

#include <string.h>

bool option_take(int argc, char **argv, int *i, const char *name, const char **value)
{
	const char *arg = argv[*i];
	size_t n = strlen(name);

	if (strncmp(arg, name, n) != 0)
		return false;
	if (arg[n] == '=') {
		*value = arg + n + 1;
	} else if (arg[n] == '\0') {
		if (*i + 1 >= argc || (argv[*i + 1][0] == '-' && argv[*i + 1][1] == '-'))
			die(PGOW_EXIT_CONFIG, "%s needs a value (%s VALUE or %s=VALUE)", name, name, name);
		*value = argv[++*i];
	} else {
		return false;
	}
	if (!**value)
		die(PGOW_EXIT_CONFIG, "%s needs a value, not an empty string", name);
	return true;
}
