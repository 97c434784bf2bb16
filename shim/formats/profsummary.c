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

/* What LLVM reads from the summary (ProfileSummaryInfo, PGSO), and its default bounds. */
#define CUTOFF_SIZE_OPT 950000      /* profile-guided size optimisation (instrumented profiles) */
#define CUTOFF_HOT 990000           /* hot: a count at or above this entry's minimum */
#define WORKING_SET_LARGE 12500     /* "large" and "huge" working sets: counts at the hot cutoff */
#define WORKING_SET_HUGE 15000
/*
 * A threshold of at most this many executions: a block whose class it flips
 * ran at most this often in the whole training, which no optimisation
 * decision can make measurable. (Non-deterministic trainings move the cold
 * threshold between 1 and 2 from run to run.)
 */
#define NEGLIGIBLE_COUNT 3

/* Within an eighth of each other, or both negligible. */
static bool near(uint64_t x, uint64_t y)
{
	uint64_t hi = x > y ? x : y, lo = x > y ? y : x;
	return hi <= NEGLIGIBLE_COUNT || hi - lo <= hi / 8;
}

/* LLVM's working-set flags (large, huge) are the same for both, and the sizes near. */
static bool same_working_set(uint64_t x, uint64_t y)
{
	return (x >= WORKING_SET_LARGE) == (y >= WORKING_SET_LARGE) &&
	       (x >= WORKING_SET_HUGE) == (y >= WORKING_SET_HUGE) && near(x, y);
}

/*
 * A summary still describes the profile when what LLVM derives from it is
 * near the current one: the minimum counts at the cutoffs from 95% up (the
 * size-over-speed threshold at 95%, the hot one at 99%, the cold one at
 * 99.9999%) within an eighth, or both at most NEGLIGIBLE_COUNT; and the
 * working set at the hot cutoff on the same side of LLVM's bounds. Then an
 * unchanged crate's file need not change. Lower cutoffs and totals are not
 * compared: they move with every edit of the hottest code.
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
		if (cutoff < CUTOFF_SIZE_OPT)
			continue;
		if (!near(load_le64(ea + 8), load_le64(eb + 8)) ||
		    (cutoff == CUTOFF_HOT && !same_working_set(load_le64(ea + 16), load_le64(eb + 16))))
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
