/*
 * elfsyms.h - the functions an object file defines (its ELF symbol table),
 * which is how the C code a build script compiled is found in a profile:
 * C function names carry no crate, as Rust's mangled names do.
 */
#ifndef PGOW_ELFSYMS_H
#define PGOW_ELFSYMS_H

#include <stddef.h>

#include "strbuf.h"

/* Names of the functions defined in an ELF64 little-endian image; -1 when it is not one. */
int elf_function_names(const unsigned char *image, size_t len, struct strvec *out);
/* The same for a file; -1 with err when it cannot be read or is not ELF. */
int elf_function_names_of(const char *path, struct strvec *out, struct strbuf *err);

#endif
