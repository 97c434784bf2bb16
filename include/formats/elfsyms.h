/*
 * elfsyms.h - what an ELF file holds: the functions it defines (how the C
 * code a build script compiled is found in a profile: C names carry no
 * crate, as Rust's mangled names do), and its sections (whether a program
 * kept the relocations BOLT needs).
 */
#ifndef PGOW_ELFSYMS_H
#define PGOW_ELFSYMS_H

#include <stddef.h>

#include "base/strbuf.h"

/* Names of the functions defined in an ELF64 little-endian image; -1 when it is not one. */
int elf_function_names(const unsigned char *image, size_t len, struct strvec *out);
/* The same for a file; -1 with err when it cannot be read or is not ELF. */
int elf_function_names_of(const char *path, struct strvec *out, struct strbuf *err);

/* 1 when a section of that name exists, 0 when not, -1 when it is not ELF64 (err for the file form). */
int elf_has_section(const unsigned char *image, size_t len, const char *name);
int elf_has_section_of(const char *path, const char *name, struct strbuf *err);

/* Calls fn with the bytes of each section of that name (none for SHT_NOBITS); -1 when it is not ELF64. */
typedef void (*elf_section_fn)(const unsigned char *data, size_t len, void *ctx);
int elf_each_section(const unsigned char *image, size_t len, const char *name, elf_section_fn fn, void *ctx);

/*
 * Sections of relocations nothing loads (-Wl,-q keeps them for BOLT): what a
 * program not rewritten by BOLT ships without. -1 when it is not ELF64.
 */
int elf_static_relocations(const unsigned char *image, size_t len, struct strvec *out);
int elf_static_relocations_of(const char *path, struct strvec *out, struct strbuf *err);

/* A file's bytes, for the readers above (at most 1 GiB); -1 with err. */
int elf_read_image(const char *path, struct strbuf *img, struct strbuf *err);

#endif
