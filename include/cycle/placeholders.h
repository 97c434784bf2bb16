/*
 * placeholders.h - the placeholders of training commands: {bin:NAME},
 * {workspace}, {target_dir}, {profile_dir}, and {{ and }} for braces.
 */
#ifndef PGOW_PLACEHOLDERS_H
#define PGOW_PLACEHOLDERS_H

#include <stdbool.h>

#include "base/strbuf.h"

struct placeholder_values {
	const char *bin_dir;       /* where {bin:NAME} binaries live */
	const char *target_dir;    /* {target_dir} */
	const char *profile_dir;   /* {profile_dir} */
	const char *workspace;     /* {workspace} */
};

/* Whether arg's placeholders are all known; the NAMEs of {bin:NAME} are added to bins (may be NULL). */
int placeholder_check(const char *arg, struct strvec *bins, struct strbuf *err);
/*
 * arg with its placeholders replaced by their values, each single-quoted
 * when shell (a `shell:` run); a {bin:NAME} that was not built is an error.
 */
int placeholder_expand(const char *arg, const struct placeholder_values *v, bool shell, struct strbuf *out,
		       struct strbuf *err);

#endif
