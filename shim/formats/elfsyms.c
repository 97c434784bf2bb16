/*
 * elfsyms.c - defined function symbols and named sections of an ELF file (see include/formats/elfsyms.h).
 * Every offset and size comes from a file anyone may plant, so each is
 * checked against the image before it is used.
 */
#include "formats/elfsyms.h"
#include "base/fdio.h"
#include "base/strbuf.h"

#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Objects and programs are read whole; anything bigger is refused. */
#define MAX_ELF_BYTES (1024u << 20)

static bool fits(size_t len, uint64_t off, uint64_t size)
{
	return off <= len && size <= len - off;
}

/* The header, with the section count and name table resolved (past 65,279 they live in section 0). */
struct elf {
	Elf64_Ehdr eh;
	uint64_t shnum;
	uint64_t shstrndx;
};

/* Copies section header i; false when it is not in the image. */
static bool section(const unsigned char *img, size_t len, const struct elf *e, uint64_t i, Elf64_Shdr *out)
{
	if (i >= e->shnum || e->eh.e_shoff > len || i > len / sizeof(Elf64_Shdr))
		return false;
	uint64_t off = e->eh.e_shoff + i * sizeof(Elf64_Shdr);
	if (!fits(len, off, sizeof(Elf64_Shdr)))
		return false;
	memcpy(out, img + off, sizeof(*out));
	return true;
}

static bool read_header(const unsigned char *img, size_t len, struct elf *e)
{
	Elf64_Ehdr *eh = &e->eh;
	Elf64_Shdr zero;

	if (len < sizeof(*eh))
		return false;
	memcpy(eh, img, sizeof(*eh));
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_shentsize != sizeof(Elf64_Shdr))
		return false;
	e->shnum = eh->e_shnum ? eh->e_shnum : 1;
	e->shstrndx = eh->e_shstrndx;
	if ((eh->e_shnum == 0 || eh->e_shstrndx == SHN_XINDEX) && eh->e_shoff) {
		if (!section(img, len, e, 0, &zero))
			return false;
		if (eh->e_shnum == 0)
			e->shnum = zero.sh_size;
		if (eh->e_shstrndx == SHN_XINDEX)
			e->shstrndx = zero.sh_link;
	}
	return true;
}

/* Visits the sections called name; returns how many, or -1 when it is not ELF64. */
static int each_named(const unsigned char *img, size_t len, const char *name, elf_section_fn fn, void *ctx)
{
	struct elf eh;
	Elf64_Shdr names, sh;
	int found = 0;

	if (!read_header(img, len, &eh) || !section(img, len, &eh, eh.shstrndx, &names) ||
	    !fits(len, names.sh_offset, names.sh_size))
		return -1;
	size_t n = strlen(name);
	for (uint64_t i = 0; i < eh.shnum; i++) {
		if (!section(img, len, &eh, i, &sh))
			return -1;
		if (sh.sh_name >= names.sh_size || names.sh_size - sh.sh_name <= n ||
		    memcmp(img + names.sh_offset + sh.sh_name, name, n + 1) != 0)
			continue;
		found++;
		if (!fn)
			break;
		if (sh.sh_type != SHT_NOBITS && fits(len, sh.sh_offset, sh.sh_size))
			fn(img + sh.sh_offset, (size_t)sh.sh_size, ctx);
	}
	return found;
}

int elf_has_section(const unsigned char *img, size_t len, const char *name)
{
	int found = each_named(img, len, name, NULL, NULL);
	return found < 0 ? -1 : found > 0;
}

int elf_each_section(const unsigned char *img, size_t len, const char *name, elf_section_fn fn, void *ctx)
{
	return each_named(img, len, name, fn, ctx) < 0 ? -1 : 0;
}

int elf_static_relocations(const unsigned char *img, size_t len, struct strvec *out)
{
	struct elf eh;
	Elf64_Shdr names, sh;

	if (!read_header(img, len, &eh) || !section(img, len, &eh, eh.shstrndx, &names) ||
	    !fits(len, names.sh_offset, names.sh_size))
		return -1;
	for (uint64_t i = 0; i < eh.shnum; i++) {
		if (!section(img, len, &eh, i, &sh))
			return -1;
		if ((sh.sh_type != SHT_RELA && sh.sh_type != SHT_REL) || (sh.sh_flags & SHF_ALLOC) ||
		    sh.sh_name >= names.sh_size)
			continue;
		const char *name = (const char *)img + names.sh_offset + sh.sh_name;
		size_t n = strnlen(name, (size_t)(names.sh_size - sh.sh_name));
		if (n && n < names.sh_size - sh.sh_name)
			sv_push(out, name);
	}
	return 0;
}

int elf_function_names(const unsigned char *img, size_t len, struct strvec *out)
{
	struct elf eh;

	if (!read_header(img, len, &eh) || eh.eh.e_shoff % 8 != 0)
		return -1;
	for (uint64_t i = 0; i < eh.shnum; i++) {
		Elf64_Shdr sh, str;
		if (!section(img, len, &eh, i, &sh))
			return -1;
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		if (!section(img, len, &eh, sh.sh_link, &str) || !fits(len, sh.sh_offset, sh.sh_size) ||
		    !fits(len, str.sh_offset, str.sh_size))
			return -1;
		const char *names = (const char *)img + str.sh_offset;
		for (uint64_t s = 0; s + sizeof(Elf64_Sym) <= sh.sh_size; s += sizeof(Elf64_Sym)) {
			Elf64_Sym sym;
			memcpy(&sym, img + sh.sh_offset + s, sizeof(sym));
			if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
			    sym.st_name >= str.sh_size)
				continue;
			size_t n = strnlen(names + sym.st_name, (size_t)(str.sh_size - sym.st_name));
			if (n && n < str.sh_size - sym.st_name)
				sv_push(out, names + sym.st_name);
		}
	}
	return 0;
}

int elf_read_image(const char *path, struct strbuf *img, struct strbuf *err)
{
	struct stat st;
	int rc = -1;

	errno = 0;
	int fd = open_read(path);
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size > (off_t)MAX_ELF_BYTES || sb_read_fd(img, fd) != 0)
		sb_addf(err, "cannot read %s: %s", path, errno ? strerror(errno) : "bigger than 1 GiB");
	else
		rc = 0;
	if (fd >= 0)
		close(fd);
	return rc;
}

/* A list-reading function of this file, on a file's image. */
static int names_of(const char *path, int (*fn)(const unsigned char *, size_t, struct strvec *),
		    struct strvec *out, struct strbuf *err)
{
	struct strbuf img = STRBUF_INIT;
	int rc = elf_read_image(path, &img, err);

	if (rc == 0 && (rc = fn((const unsigned char *)img.buf, img.len, out)) != 0)
		sb_addf(err, "%s is not an ELF64 file", path);
	sb_release(&img);
	return rc;
}

int elf_function_names_of(const char *path, struct strvec *out, struct strbuf *err)
{
	return names_of(path, elf_function_names, out, err);
}

int elf_static_relocations_of(const char *path, struct strvec *out, struct strbuf *err)
{
	return names_of(path, elf_static_relocations, out, err);
}

int elf_has_section_of(const char *path, const char *name, struct strbuf *err)
{
	struct strbuf img = STRBUF_INIT;
	int rc = elf_read_image(path, &img, err);

	if (rc == 0 && (rc = elf_has_section((const unsigned char *)img.buf, img.len, name)) < 0)
		sb_addf(err, "%s is not an ELF64 file", path);
	sb_release(&img);
	return rc;
}
