/*
 * profsummary.c - the summary an indexed profile carries after its header
 * (the counts at each cutoff that LLVM derives hot and cold thresholds from):
 * read, compared, and copied into the files of a split.
 */
#include "formats/profsummary.h"
#include "base/bytes.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#define INDEXED_MAGIC 0x8169666f72706cffULL
#define VARIANT_CS (1ULL << 57)

/* The summary of an indexed profile image; false when its layout is not one we know. */
bool profsummary_of(const unsigned char *img, size_t len, struct profsummary *s)
{
	memset(s, 0, sizeof(*s));
	if (len < PROFSUMMARY_OFFSET + 16 || load_le64(img) != INDEXED_MAGIC)
		return false;
	s->version = load_le64(img + 8);
	uint32_t format = (uint32_t)s->version;
	uint64_t fields = load_le64(img + PROFSUMMARY_OFFSET), cutoffs = load_le64(img + PROFSUMMARY_OFFSET + 8);
	if ((format != 12 && format != 13) || (s->version & VARIANT_CS) || fields > 64 || cutoffs > 1024)
		return false;
	s->len = (size_t)(16 + 8 * fields + 24 * cutoffs);
	uint64_t hash_offset = load_le64(img + 32);
	if (PROFSUMMARY_OFFSET + s->len > len || hash_offset < PROFSUMMARY_OFFSET + s->len)
		return false;
	s->bytes = xmalloc(s->len);
	memcpy(s->bytes, img + PROFSUMMARY_OFFSET, s->len);
	return true;
}

/* Within an eighth of each other. */
static bool near(uint64_t x, uint64_t y)
{
	uint64_t hi = x > y ? x : y, lo = x > y ? y : x;
	return hi - lo <= hi / 8;
}

/*
 * A summary still describes the profile when what LLVM derives from it is
 * within an eighth of the current one: the minimum counts at the cutoffs
 * from 95% up (the hot threshold at 99%, the cold one at 99.9999%, the
 * size-over-speed one at 95%) and the working set at the hot cutoff. Then
 * an unchanged crate's file need not change. Lower cutoffs and totals are
 * not compared: they move with every edit of the hottest code.
 */
bool profsummary_close(const struct profsummary *a, const struct profsummary *b)
{
	if (a->len != b->len || a->version != b->version || memcmp(a->bytes, b->bytes, 16) != 0)
		return false;
	uint64_t fields = load_le64(a->bytes), cutoffs = load_le64(a->bytes + 8);
	const unsigned char *ea = a->bytes + 16 + 8 * fields, *eb = b->bytes + 16 + 8 * fields;
	for (uint64_t i = 0; i < cutoffs; i++, ea += 24, eb += 24) {
		uint64_t cutoff = load_le64(ea);
		if (cutoff != load_le64(eb))
			return false;
		if (cutoff < 950000)
			continue;
		if (!near(load_le64(ea + 8), load_le64(eb + 8)) || (cutoff == 990000 && !near(load_le64(ea + 16), load_le64(eb + 16))))
			return false;
	}
	return true;
}

bool profsummary_of_file(const char *path, struct profsummary *s)
{
	struct strbuf img = STRBUF_INIT;
	bool ok = sb_read_file(&img, path) == 0 && profsummary_of((unsigned char *)img.buf, img.len, s);
	sb_release(&img);
	return ok;
}
