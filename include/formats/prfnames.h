/*
 * prfnames.h - which functions a unit compiled with -Cprofile-generate
 * instruments, by the names its profile records will carry: what splits a
 * merged profile into one file per crate.
 */
#ifndef PGOW_PRFNAMES_H
#define PGOW_PRFNAMES_H

#include <stddef.h>

#include "base/strbuf.h"

/*
 * Appends the names in the __llvm_prf_names sections of an ELF object or
 * program, or of every ELF member of an ar archive (an rlib). An LTO build's
 * rlib holds LLVM bitcode instead, whose names are not read: the module
 * name of each such member goes to modules (its local functions' names
 * start with "<module>;"). -1 when the image is none of these, or a names
 * blob or member name is damaged.
 */
int prf_names_of_image(const unsigned char *image, size_t len, struct strvec *out, struct strvec *modules);
/* The same for a file; -1 with err. */
int prf_names_of(const char *path, struct strvec *out, struct strvec *modules, struct strbuf *err);

#endif
