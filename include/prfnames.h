/*
 * prfnames.h - which functions a unit compiled with -Cprofile-generate
 * instruments, by the names its profile records will carry: what splits a
 * merged profile into one file per crate.
 */
#ifndef PGOW_PRFNAMES_H
#define PGOW_PRFNAMES_H

#include <stddef.h>

#include "strbuf.h"

/*
 * Appends the names in the __llvm_prf_names sections of an ELF object or
 * program, or of every ELF member of an ar archive (an rlib). -1 when the
 * image is neither, or a names blob is damaged.
 */
int prf_names_of_image(const unsigned char *image, size_t len, struct strvec *out);
/* The same for a file; -1 with err. */
int prf_names_of(const char *path, struct strvec *out, struct strbuf *err);

#endif
