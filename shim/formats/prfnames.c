/*
 * prfnames.c - the names of the functions a compiled unit instruments, read
 * from the __llvm_prf_names sections of its objects (see include/formats/prfnames.h).
 * They are the exact names its profile records carry, locals included.
 */
#include "formats/prfnames.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "formats/elfsyms.h"

#include <string.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

/* No unit's names come near this; a bigger claim is a planted file. */
#define MAX_NAMES_BYTES (256u << 20)
/* LLVM's separator between names in one blob (INSTR_PROF_NAME_SEP). */
#define NAME_SEP '\001'

struct names_ctx {
	struct strvec *out;
	bool bad;
};

static bool read_uleb(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
		unsigned char b = *(*p)++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

static void split_names(const char *s, size_t n, struct strvec *out)
{
	while (n) {
		const char *sep = memchr(s, NAME_SEP, n);
		size_t len = sep ? (size_t)(sep - s) : n;
		if (len)
			sv_pushf(out, "%.*s", (int)len, s);
		s += len + (sep != NULL);
		n -= len + (sep != NULL);
	}
}

/* One blob: ULEB128 plain size, ULEB128 compressed size (0: stored), then the bytes. */
static bool decode_blob(const unsigned char **p, const unsigned char *end, struct strvec *out)
{
	uint64_t plain, packed;

	if (!read_uleb(p, end, &plain) || !read_uleb(p, end, &packed) || plain > MAX_NAMES_BYTES)
		return false;
	size_t have = (size_t)(end - *p);
	if (packed == 0) {
		if (plain > have)
			return false;
		split_names((const char *)*p, (size_t)plain, out);
		*p += plain;
		return true;
	}
	if (packed > have)
		return false;
	char *buf = xmalloc(plain ? (size_t)plain : 1);
	uLongf got = (uLongf)plain;
	bool ok = uncompress((Bytef *)buf, &got, *p, (uLong)packed) == Z_OK && got == plain;
	if (ok)
		split_names(buf, (size_t)got, out);
	free(buf);
	*p += packed;
	return ok;
}

static void names_section(const unsigned char *data, size_t len, void *vctx)
{
	struct names_ctx *c = vctx;
	const unsigned char *p = data, *end = data + len;

	while (p < end && !c->bad) {
		/* A linked program concatenates its objects' blobs, zero-padded between them. */
		if (*p == 0) {
			p++;
			continue;
		}
		c->bad = !decode_blob(&p, end, c->out);
	}
}

static int names_of_elf(const unsigned char *img, size_t len, struct names_ctx *c)
{
	return elf_each_section(img, len, "__llvm_prf_names", names_section, c) == 0 && !c->bad ? 0 : -1;
}

/* LLVM bitcode, raw or in its wrapper: what cargo's LTO builds put in rlibs (-Clinker-plugin-lto). */
static bool is_bitcode(const unsigned char *data, size_t size)
{
	static const unsigned char raw[] = { 'B', 'C', 0xc0, 0xde }, wrapped[] = { 0xde, 0xc0, 0x17, 0x0b };
	return size >= 4 && (memcmp(data, raw, 4) == 0 || memcmp(data, wrapped, 4) == 0);
}

/*
 * The LLVM module of an rlib member "<crate><extra>.<module>.rcgu.o": the
 * prefix of its local functions' profile names ("<module>;<symbol>").
 */
static bool member_module(const char *name, size_t len, struct strvec *modules)
{
	static const char suffix[] = ".rcgu.o";
	const char *dot = memchr(name, '.', len);
	size_t tail = sizeof(suffix) - 1;

	if (!dot || len < tail || memcmp(name + len - tail, suffix, tail) != 0 || (size_t)(dot - name) + 1 >= len - tail)
		return false;
	sv_pushf(modules, "%.*s", (int)(len - tail - (size_t)(dot - name) - 1), dot + 1);
	return true;
}

/* A member's name: inline ("name/"), or "/<offset>" into the "//" table of long names. */
static bool member_name(const unsigned char *h, const unsigned char *longnames, size_t nlong, const char **name,
			size_t *len)
{
	const char *field = (const char *)h;
	if (field[0] == '/' && field[1] >= '0' && field[1] <= '9') {
		char num[16];
		memcpy(num, field + 1, 15);
		num[15] = '\0';
		unsigned long off = strtoul(num, NULL, 10);
		if (!longnames || off >= nlong)
			return false;
		const char *start = (const char *)longnames + off, *end = memchr(start, '\n', nlong - off);
		*name = start;
		*len = end ? (size_t)(end - start) : nlong - off;
	} else {
		*name = field;
		*len = 16;
	}
	while (*len && ((*name)[*len - 1] == ' ' || (*name)[*len - 1] == '/' || (*name)[*len - 1] == '\n'))
		(*len)--;
	return *len > 0;
}

/*
 * An ar archive (an rlib): every ELF member is an object of the unit. A
 * bitcode member's names cannot be read here: its module is listed instead.
 */
static int names_of_archive(const unsigned char *img, size_t len, struct names_ctx *c, struct strvec *modules)
{
	size_t off = 8; /* "!<arch>\n" */
	const unsigned char *longnames = NULL;
	size_t nlong = 0;

	while (off + 60 <= len) {
		const unsigned char *h = img + off;
		char size_field[11];
		if (h[58] != '`' || h[59] != '\n')
			return -1;
		memcpy(size_field, h + 48, 10);
		size_field[10] = '\0';
		char *endp;
		unsigned long long size = strtoull(size_field, &endp, 10);
		if (endp == size_field || size > len - off - 60)
			return -1;
		const unsigned char *data = h + 60;
		const char *name;
		size_t nlen;
		if (memcmp(h, "//              ", 16) == 0) {
			longnames = data;
			nlong = (size_t)size;
		} else if (size >= 4 && memcmp(data, "\177ELF", 4) == 0) {
			if (names_of_elf(data, (size_t)size, c) != 0)
				return -1;
		} else if (is_bitcode(data, (size_t)size)) {
			if (!member_name(h, longnames, nlong, &name, &nlen) || !member_module(name, nlen, modules))
				return -1;
		}
		off += 60 + (size_t)size + (size & 1);
	}
	return 0;
}

int prf_names_of_image(const unsigned char *img, size_t len, struct strvec *out, struct strvec *modules)
{
	struct names_ctx c = { out, false };

	if (len >= 8 && memcmp(img, "!<arch>\n", 8) == 0)
		return names_of_archive(img, len, &c, modules);
	return names_of_elf(img, len, &c);
}

int prf_names_of(const char *path, struct strvec *out, struct strvec *modules, struct strbuf *err)
{
	struct strbuf img = STRBUF_INIT;
	int rc = elf_read_image(path, &img, err);

	if (rc == 0 && (rc = prf_names_of_image((const unsigned char *)img.buf, img.len, out, modules)) != 0)
		sb_addf(err, "%s is not an ELF64 object, program or archive with readable profile names", path);
	sb_release(&img);
	return rc;
}
