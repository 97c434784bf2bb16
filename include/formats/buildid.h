/*
 * buildid.h - the GNU build-id that identifies one linked binary: read from
 * an ELF file's notes, and from the header of the raw profiles that binary
 * writes, so a .profraw can be traced back to the build that produced it.
 */
#ifndef PGOW_BUILDID_H
#define PGOW_BUILDID_H

#include <stdint.h>

#include "base/strbuf.h"

/* Lowercase hex of the NT_GNU_BUILD_ID note; 1 found, 0 none, -1 unreadable (err). */
int buildid_of_elf(const char *path, struct strbuf *hex, struct strbuf *err);
/*
 * Rewrites an ELF file's build-id in place with the first bytes of the
 * SHA-256 of its content (the new id appended to hex); 0, or -1 (err).
 * BOLT derives its output's build-id from its input's, so two layouts of
 * one program would share it, and samples of one be read with the other's BAT.
 */
int buildid_from_content(const char *path, struct strbuf *hex, struct strbuf *err);

/* What the header of a raw profile says. */
struct raw_header {
	uint64_t version;        /* low 32 bits of the version word */
	struct strvec ids;       /* binary ids, lowercase hex (v7+; may be empty) */
};
/*
 * Reads a raw profile's header from an open file (regular files only).
 * -1 with "path is not a raw LLVM profile (...)" in err.
 */
int raw_header_read(int fd, const char *path, struct raw_header *h, struct strbuf *err);
/*
 * The same from the file's first got bytes, already read (size: the whole
 * file's, got <= size); binary ids past them are read from fd (-1 when
 * first holds the whole file).
 */
int raw_header_parse(const unsigned char *first, size_t got, uint64_t size, int fd, const char *path,
		     struct raw_header *h, struct strbuf *err);
void raw_header_release(struct raw_header *h);
/* Whether an open file starts like an indexed profile (.profdata); -1 with err when not. */
int indexed_header_check(int fd, const char *path, struct strbuf *err);

#endif
