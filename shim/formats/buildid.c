/*
 * buildid.c - build-ids from ELF notes and raw profile headers (see
 * include/formats/buildid.h). Every offset read from a file is checked against the
 * file's size before use: both formats come from files anyone may plant.
 */
#include "formats/buildid.h"
#include "base/bytes.h"
#include "base/fdio.h"
#include "base/sha256.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAW_MAGIC_64 0xff6c70726f667281ULL
/* Header words per raw format: binary ids (v7+) follow the header. */
#define RAW_HEADER_WORDS_V10 16

static size_t header_words(uint64_t version)
{
	switch (version) {
	case 7: case 8: return 11;   /* LLVM 13-16 */
	case 9: return 14;           /* LLVM 17-18: bitmap bytes */
	case 10: return 16;          /* LLVM 19+: vtables */
	default: return 0;           /* no binary ids, or a layout we do not know */
	}
}
#define MAX_NOTES_BYTES (1 << 20)

/* Scans one PT_NOTE segment's bytes for the GNU build-id note: its descriptor's offset and size, or 0. */
static int find_build_id(const unsigned char *notes, size_t len, size_t *at, size_t *size)
{
	size_t off = 0;
	while (len - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		memcpy(&nh, notes + off, sizeof(nh));
		off += sizeof(nh);
		size_t namesz = ((size_t)nh.n_namesz + 3) & ~(size_t)3;
		size_t descsz = ((size_t)nh.n_descsz + 3) & ~(size_t)3;
		if (namesz > len - off || descsz > len - off - namesz)
			return 0;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    memcmp(notes + off, "GNU", 4) == 0 && nh.n_descsz > 0) {
			*at = off + namesz;
			*size = nh.n_descsz;
			return 1;
		}
		off += namesz + descsz;
	}
	return 0;
}

/*
 * Where the build-id is in an open ELF file: 1 with its file offset and
 * bytes (hex appended), 0 when it has none or is no 64-bit little-endian ELF.
 */
static int locate_build_id(int fd, off_t file_size, off_t *where, size_t *size, struct strbuf *hex)
{
	Elf64_Ehdr eh;
	int found = 0;

	/* Only 64-bit little-endian ELF: what x86_64 and aarch64 Linux link. */
	if (read_at(fd, &eh, sizeof(eh), 0) != 0 || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_phentsize != sizeof(Elf64_Phdr))
		return 0;
	for (unsigned i = 0; i < eh.e_phnum && !found; i++) {
		Elf64_Phdr ph;
		size_t at;
		if (read_at(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * sizeof(ph))) != 0)
			break;
		if (ph.p_type != PT_NOTE || ph.p_filesz > MAX_NOTES_BYTES ||
		    ph.p_offset > (uint64_t)file_size || ph.p_filesz > (uint64_t)file_size - ph.p_offset)
			continue;
		unsigned char *notes = xmalloc(ph.p_filesz + 1);
		if (read_at(fd, notes, ph.p_filesz, (off_t)ph.p_offset) == 0 &&
		    (found = find_build_id(notes, ph.p_filesz, &at, size))) {
			*where = (off_t)(ph.p_offset + at);
			sb_addhex(hex, notes + at, *size);
		}
		free(notes);
	}
	return found;
}

int buildid_of_elf(const char *path, struct strbuf *hex, struct strbuf *err)
{
	struct stat st;
	int fd = open_read(path);

	if (fd < 0 || fstat(fd, &st) != 0) {
		sb_addf(err, "cannot read %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	off_t where;
	size_t size;
	int found = locate_build_id(fd, st.st_size, &where, &size, hex);
	close(fd);
	return found;
}

int buildid_from_content(const char *path, struct strbuf *hex, struct strbuf *err)
{
	struct stat st;
	struct strbuf old = STRBUF_INIT;
	unsigned char digest[SHA256_LEN];
	/* One descriptor throughout, opened through no link: what is hashed is what is rewritten. */
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC), rc = -1;
	off_t where;
	size_t size;

	if (fd < 0 || fstat(fd, &st) != 0 || sha256_fd(fd, digest) != 0) {
		sb_addf(err, "cannot rewrite %s's build-id: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || locate_build_id(fd, st.st_size, &where, &size, &old) != 1) {
		sb_addf(err, "%s has no build-id note to rewrite", path);
		goto out;
	}
	if (size > SHA256_LEN) {
		sb_addf(err, "%s's build-id is %zu bytes, more than the %d a SHA-256 gives", path, size, SHA256_LEN);
		goto out;
	}
	if (pwrite(fd, digest, size, where) != (ssize_t)size) {
		sb_addf(err, "cannot rewrite %s's build-id: %s", path, strerror(errno));
		goto out;
	}
	sb_addhex(hex, digest, size);
	rc = 0;
out:
	if (fd >= 0 && close(fd) != 0 && rc == 0) {
		sb_addf(err, "cannot rewrite %s's build-id: %s", path, strerror(errno));
		rc = -1;
	}
	sb_release(&old);
	return rc;
}

int raw_header_parse(const unsigned char *first, size_t got, uint64_t size, int fd, const char *path,
		     struct raw_header *h, struct strbuf *err)
{
	memset(h, 0, sizeof(*h));
	if (got > size)
		got = (size_t)size;
	if (got < 16 || load_le64(first) != RAW_MAGIC_64) {
		sb_addf(err, "%s: not a raw LLVM profile (bad magic)", path);
		return -1;
	}
	/* The high bits are flags (rustc writes 0x010000000000000A). */
	h->version = load_le64(first + 8) & 0xffffffffULL;
	size_t words = header_words(h->version);
	size_t hdr_bytes = words * 8;
	if (!words)
		return 0;
	if (got < hdr_bytes) {
		sb_addf(err, "%s: not a raw LLVM profile (truncated header)", path);
		return -1;
	}
	uint64_t ids_size = load_le64(first + 16);
	if (ids_size > size - hdr_bytes || ids_size > MAX_NOTES_BYTES) {
		sb_addf(err, "%s: not a raw LLVM profile (binary ids past its end)", path);
		return -1;
	}
	unsigned char *ids = xmalloc(ids_size + 1);
	int rc = 0;
	if (hdr_bytes + ids_size <= got)
		memcpy(ids, first + hdr_bytes, ids_size);
	else
		rc = read_at(fd, ids, ids_size, (off_t)hdr_bytes);
	for (uint64_t off = 0; rc == 0 && ids_size - off >= 8;) {
		uint64_t n = load_le64(ids + off);
		off += 8;
		if (n == 0 || n > ids_size - off) {
			rc = -1;
			break;
		}
		struct strbuf hex = STRBUF_INIT;
		sb_addhex(&hex, ids + off, n);
		sv_push(&h->ids, hex.buf);
		sb_release(&hex);
		uint64_t padded = (n + 7) & ~(uint64_t)7;
		off = padded > ids_size - off ? ids_size : off + padded;
	}
	free(ids);
	if (rc != 0) {
		sb_addf(err, "%s: not a raw LLVM profile (corrupt binary ids)", path);
		raw_header_release(h);
		return -1;
	}
	return 0;
}

/* The first bytes of a raw profile hold its header and, in practice, its binary ids: one read. */
#define RAW_FIRST_READ 4096

int raw_header_read(int fd, const char *path, struct raw_header *h, struct strbuf *err)
{
	unsigned char first[RAW_FIRST_READ];
	struct stat st;

	memset(h, 0, sizeof(*h));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		sb_addf(err, "%s: not a regular file", path);
		return -1;
	}
	size_t got = st.st_size < (off_t)sizeof(first) ? (size_t)st.st_size : sizeof(first);
	if (got < 16 || read_at(fd, first, got, 0) != 0) {
		sb_addf(err, "%s: not a raw LLVM profile (bad magic)", path);
		return -1;
	}
	return raw_header_parse(first, got, (uint64_t)st.st_size, fd, path, h, err);
}

#define INDEXED_MAGIC_64 0x8169666f72706cffULL /* "\xfflprofi\x81" */

int indexed_header_check(int fd, const char *path, struct strbuf *err)
{
	unsigned char hdr[8];
	if (read_at(fd, hdr, sizeof(hdr), 0) != 0 || load_le64(hdr) != INDEXED_MAGIC_64) {
		sb_addf(err, "%s: not an indexed LLVM profile (bad magic)", path);
		return -1;
	}
	return 0;
}

void raw_header_release(struct raw_header *h)
{
	sv_release(&h->ids);
}
