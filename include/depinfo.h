/*
 * depinfo.h - adds dependencies to the dep-info (.d) file rustc wrote, so
 * that cargo's fingerprint covers inputs it cannot see: our STAMP file and
 * the environment variables the PGO decision reads.
 */
#ifndef PGOW_DEPINFO_H
#define PGOW_DEPINFO_H

#include "strbuf.h"

/*
 * Adds each of files as a prerequisite of every rule, and one
 * "# env-dep:NAME=VALUE" line (or "# env-dep:NAME" when unset) per name,
 * with the value taken from our environment, which is cargo's. The file is
 * replaced atomically; entries already present are not repeated.
 */
int depinfo_append(const char *path, const struct strvec *files,
		   const struct strvec *env_names, struct strbuf *err);

#endif
